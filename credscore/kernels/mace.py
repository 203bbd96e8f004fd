"""Compiled EM pass of MACE (optional numba).

:class:`credscore.models.mace.MACE` spends its time in one E-step and one
count per iteration. An answer of source ``j`` with value ``k`` (a *pair*
``(j, k)``) multiplies the likelihood of the truth being ``k`` by
``ratio = 1 + (1 - theta_j) / (theta_j xi_j(k))`` against every other value
(the all-spam factor, the same for every value of the object, cancels); it
was spam, were ``k`` the truth, with probability ``theta_j xi_j(k) / (1 -
theta_j + theta_j xi_j(k))``. Both depend on the pair alone, so they are
computed once per pair and iteration, and the pass over the assertions
gathers them.

:func:`mace_pass` is that pass as one loop, compiled by numba when the
``fast`` extra is installed: each object's candidates' posteriors (a product
of ratios in linear space; an object whose product leaves the normal range
is redone in log space), then each answer's expected spam indicator, added
up per source and per pair for the next M-step. The numpy form lives in the
model; ``tests/test_models_crowd.py`` checks that both give the fit of the
pure-Python reference to 1e-9 and each other to 1e-12, and the log-space
redo against the softmax written out.

Examples
--------
>>> from credscore.kernels import mace as MK
>>> MK.loops() is None or "pass" in MK.loops()
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.kernels.backend import compiled

__all__ = ["loops", "mace_pass"]

FloatArray = npt.NDArray[np.float64]

#: A product of ratios above this is redone in log space.
HUGE = 1e280


def _mace_pass_loop(
    ratio: Any,
    spam_if_true: Any,
    pair: Any,
    source: Any,
    claim_start: Any,
    object_start: Any,
    prob: Any,
    new: Any,
    spam_source: Any,
    spam_pair: Any,
) -> float:  # pragma: no cover - compiled by numba
    """Posteriors ``new`` of every claim, the expected spam indicators added up
    per source and per pair; returns the largest change from ``prob``."""
    spam_source[:] = 0.0
    spam_pair[:] = 0.0
    delta = 0.0
    for o in range(object_start.shape[0] - 1):
        c0 = object_start[o]
        c1 = object_start[o + 1]
        if c1 == c0:
            continue
        top = 0.0
        for c in range(c0, c1):
            p = 1.0
            for a in range(claim_start[c], claim_start[c + 1]):
                p *= ratio[pair[a]]
            new[c] = p
            if p > top:
                top = p
        if not top <= HUGE:
            # redo in log space, shifted by the largest score
            big = -np.inf
            for c in range(c0, c1):
                s = 0.0
                for a in range(claim_start[c], claim_start[c + 1]):
                    s += np.log(ratio[pair[a]])
                new[c] = s
                if s > big:
                    big = s
            for c in range(c0, c1):
                new[c] = np.exp(new[c] - big)
        z = 0.0
        for c in range(c0, c1):
            z += new[c]
        inv = 1.0 / z
        for c in range(c0, c1):
            q = new[c] * inv
            new[c] = q
            d = abs(q - prob[c])
            if d > delta:
                delta = d
            for a in range(claim_start[c], claim_start[c + 1]):
                e = q * spam_if_true[pair[a]] + (1.0 - q)
                spam_source[source[a]] += e
                spam_pair[pair[a]] += e
    return delta


_LOOPS: dict[str, Callable[..., Any]] = {"pass": _mace_pass_loop}


def loops() -> dict[str, Callable[..., Any]] | None:
    """The compiled loops, or None on the numpy path."""
    return compiled(_LOOPS, key="mace")


def mace_pass(
    ratio: FloatArray,
    spam_if_true: FloatArray,
    pair: Any,
    source: Any,
    claim_start: Any,
    object_start: Any,
    prob: FloatArray,
    n_sources: int,
) -> tuple[FloatArray, FloatArray, FloatArray, float] | None:
    """One compiled MACE iteration, or None on the numpy path.

    Parameters
    ----------
    ratio, spam_if_true : float arrays of shape (n_pairs,)
        Per (source, value) pair, as in the module's description.
    pair, source : int arrays of shape (n_assertions,)
        Each assertion's pair and source; assertions sorted by claim.
    claim_start : int array of shape (n_claims + 1,)
        Assertions of claim ``c``: ``claim_start[c]:claim_start[c + 1]``.
    object_start : int array of shape (n_objects + 1,)
        Claims of object ``o``.
    prob : float array of shape (n_claims,)
        The last posteriors (for the change).
    n_sources : int

    Returns
    -------
    new : ndarray of shape (n_claims,)
        The posteriors.
    spam_source, spam_pair : ndarrays of shape (n_sources,) and (n_pairs,)
        The expected spam indicators added up.
    delta : float
        The largest change of a posterior.

    Examples
    --------
    One object, two candidates, one answer each; the first answer's pair is
    three times as telling:

    >>> import pytest; _ = pytest.importorskip("numba")
    >>> import numpy as np
    >>> from credscore.kernels.backend import use_backend
    >>> with use_backend("numba"):
    ...     new, s_src, s_pair, d = mace_pass(
    ...         np.array([3.0, 1.0]), np.array([0.5, 0.5]), np.array([0, 1]),
    ...         np.array([0, 1]), np.array([0, 1, 2]), np.array([0, 2]),
    ...         np.array([0.5, 0.5]), 2)
    >>> new.tolist(), s_src.tolist(), round(d, 2)
    ([0.75, 0.25], [0.625, 0.875], 0.25)
    """
    got = loops()
    if got is None:
        return None
    new = np.empty(prob.shape[0])
    spam_source = np.zeros(int(n_sources))
    spam_pair = np.zeros(ratio.shape[0])
    delta = got["pass"](
        ratio,
        spam_if_true,
        pair,
        source,
        claim_start,
        object_start,
        prob,
        new,
        spam_source,
        spam_pair,
    )
    return new, spam_source, spam_pair, float(delta)
