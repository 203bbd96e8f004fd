"""Count and score passes of the variational Bayes classifier combination
(:func:`credscore.models._bayes.bcc_vb`, behind IBCC and EBCC).

Each iteration needs two passes over the assertions ``a`` (source ``s``,
answer ``l``, object ``o``, row ``r = s K + l``):

* counts: ``counts[r, :] += q[o, :]``, the expected answers of each worker
  per (class, subtype) column;
* scores: ``score[o, :] += e_log_v[r, :]``, each object's log joint.

In numpy both are a gather of ``n_assertions x (K M)`` numbers followed by
``numpy.add.reduceat`` over blocks (the assertions sorted by row for the
counts, by object for the scores). With numba (the ``fast`` extra) each is
one loop over the assertions that touches ``K M`` numbers of a row, with no
temporary: :func:`add_rows_into`. The sums are the same up to rounding (the
order of the additions differs).

Examples
--------
>>> import numpy as np
>>> q = np.array([[0.25, 0.75], [1.0, 0.0]])
>>> counts = np.zeros((2, 2))
>>> add_rows_into(counts, np.array([1, 1, 0]), q, np.array([0, 1, 1]))
>>> counts.tolist()
[[1.0, 0.0], [1.25, 0.75]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.kernels.backend import compiled, jit

__all__ = ["add_rows_into", "bwa_pass", "vb_pass"]

FloatArray = npt.NDArray[np.float64]


def _add_rows_loop(out: Any, target: Any, source: Any, index: Any) -> None:
    """``out[target[a], :] += source[index[a], :]`` for every ``a``, in order."""
    n = target.shape[0]
    width = source.shape[1]
    for a in range(n):
        t = target[a]
        i = index[a]
        for c in range(width):
            out[t, c] += source[i, c]


def _vb_pass_for(fixed: int) -> Callable[..., float]:
    """The fused pass of :func:`vb_pass` for ``fixed`` columns (K M), a
    constant the compiler unrolls; 0 for any width (read from the arrays)."""

    def vb_pass_loop(
        key: Any,
        obj_start: Any,
        obj_of_block: Any,
        e_log_v: Any,
        log_prior: Any,
        n_classes: int,
        q: Any,
        z: Any,
        counts: Any,
        q_sum: Any,
    ) -> float:  # pragma: no cover - compiled by numba
        """One fused pass: every object's posterior from its answers, then the
        counts and column sums of the new posteriors; returns the largest change
        of a class posterior.

        The product of an object's factors ``exp(e_log_v)`` (all at most 1) is
        taken in linear space, as the Dawid-Skene kernels do; an object whose
        product falls below 1e-280 is redone in log space."""
        n_blocks = obj_start.shape[0] - 1
        width = fixed if fixed > 0 else log_prior.shape[0]
        m = width // n_classes
        tmp = np.empty(width)
        factor = np.exp(e_log_v)
        top_prior = -np.inf
        for c in range(width):
            if log_prior[c] > top_prior:
                top_prior = log_prior[c]
        prior = np.exp(log_prior - top_prior)
        delta = 0.0
        counts[:, :] = 0.0
        q_sum[:] = 0.0
        for b in range(n_blocks):
            o = obj_of_block[b]
            a0 = obj_start[b]
            a1 = obj_start[b + 1]
            for c in range(width):
                tmp[c] = prior[c]
            for a in range(a0, a1):
                r = key[a]
                for c in range(width):
                    tmp[c] *= factor[r, c]
            total = 0.0
            for c in range(width):
                total += tmp[c]
            if not total > 1e-280:
                for c in range(width):
                    tmp[c] = log_prior[c]
                for a in range(a0, a1):
                    r = key[a]
                    for c in range(width):
                        tmp[c] += e_log_v[r, c]
                top = -np.inf
                for c in range(width):
                    if tmp[c] > top:
                        top = tmp[c]
                total = 0.0
                for c in range(width):
                    tmp[c] = np.exp(tmp[c] - top)
                    total += tmp[c]
            inv = 1.0 / total
            for c in range(width):
                q[o, c] = tmp[c] * inv
                q_sum[c] += q[o, c]
            for kk in range(n_classes):
                zk = 0.0
                for mm in range(m):
                    zk += q[o, kk * m + mm]
                d = abs(zk - z[o, kk])
                if d > delta:
                    delta = d
                z[o, kk] = zk
            for a in range(a0, a1):
                r = key[a]
                for c in range(width):
                    counts[r, c] += q[o, c]
        return delta

    return vb_pass_loop


#: Widths (K M) up to this get a pass of their own, with the width a constant.
MAX_FIXED_WIDTH = 16


def _bwa_pass_for(fixed: int) -> Callable[..., float]:
    """The fused pass of :func:`bwa_pass` for ``fixed`` labels, a constant
    the compiler unrolls; 0 for any number (read from the arrays)."""

    def bwa_pass_loop(
        src: Any,
        lab: Any,
        obj_start: Any,
        obj_of_block: Any,
        known: Any,
        prec: Any,
        lam: float,
        mu: Any,
        z: Any,
        ss: Any,
        z_sum: Any,
    ) -> float:  # pragma: no cover - compiled by numba
        """One fused BWA pass: each object's new label scores from the workers'
        precisions, then the squared-error sums ``ss`` of the new scores (for the
        next precisions) and their column sums; returns the largest change."""
        n_blocks = obj_start.shape[0] - 1
        k = fixed if fixed > 0 else z.shape[1]
        weight = np.empty(k)
        hit = np.empty(k)
        delta = 0.0
        ss[:, :] = 0.0
        z_sum[:] = 0.0
        for b in range(n_blocks):
            o = obj_of_block[b]
            a0 = obj_start[b]
            a1 = obj_start[b + 1]
            for c in range(k):
                weight[c] = 0.0
                hit[c] = 0.0
            for a in range(a0, a1):
                s = src[a]
                for c in range(k):
                    weight[c] += prec[s, c]
                hit[lab[a]] += prec[s, lab[a]]
            for c in range(k):
                if known[o] >= 0:
                    new = 1.0 if c == known[o] else 0.0
                else:
                    new = (lam * mu[c] + hit[c]) / (lam + weight[c])
                d = abs(new - z[o, c])
                if d > delta:
                    delta = d
                z[o, c] = new
                z_sum[c] += new
            for a in range(a0, a1):
                s = src[a]
                for c in range(k):
                    ss[s, c] += z[o, c] * z[o, c]
                ss[s, lab[a]] += 1.0 - 2.0 * z[o, lab[a]]
        return delta

    return bwa_pass_loop


_LOOPS: dict[str, Callable[..., Any]] = {
    "add_rows": _add_rows_loop,
    "vb_pass": _vb_pass_for(0),
    "bwa_pass": _bwa_pass_for(0),
}


def bwa_pass(
    src: Any,
    lab: Any,
    obj_start: Any,
    obj_of_block: Any,
    known: Any,
    prec: FloatArray,
    lam: float,
    mu: FloatArray,
    z: FloatArray,
    ss: FloatArray,
    z_sum: FloatArray,
) -> float | None:
    """The compiled fused pass of :class:`credscore.models.BWA` (new scores,
    then the next squared-error sums), updating ``z``, ``ss`` and ``z_sum`` in
    place; None on the numpy path. ``known`` holds each object's known label
    index, -1 where unknown.

    Examples
    --------
    One object answered label 1 by a worker of precision 2 (prior weight 1,
    prior mean 0.5 for both labels): the new scores are 0.5 * 1/3 and
    (0.5 + 2) / 3.

    >>> import pytest; _ = pytest.importorskip("numba")
    >>> import numpy as np
    >>> from credscore.kernels.backend import use_backend
    >>> z, ss, z_sum = np.full((1, 2), 0.5), np.zeros((1, 2)), np.zeros(2)
    >>> one, zero = np.array([1]), np.array([0])
    >>> with use_backend("numba"):
    ...     _ = bwa_pass(zero, one, np.array([0, 1]), zero, np.array([-1]),
    ...                  np.full((1, 2), 2.0), 1.0, np.full(2, 0.5), z, ss, z_sum)
    >>> np.round(z, 4).tolist()
    [[0.1667, 0.8333]]
    """
    loop = _fixed_pass("bwa_pass", _bwa_pass_for, int(z.shape[1]))
    if loop is None:
        return None
    out: float = loop(src, lab, obj_start, obj_of_block, known, prec, lam, mu, z, ss, z_sum)
    return out


def vb_pass(
    key: Any,
    obj_start: Any,
    obj_of_block: Any,
    e_log_v: FloatArray,
    log_prior: FloatArray,
    n_classes: int,
    q: FloatArray,
    z: FloatArray,
    counts: FloatArray,
    q_sum: FloatArray,
) -> float | None:
    """The compiled fused pass of :func:`credscore.models._bayes.bcc_vb` (one
    E-step and the next counts), updating ``q``, ``z``, ``counts`` and
    ``q_sum`` in place; None on the numpy path (the caller
    then runs its own numpy form). Objects without assertions are left as
    they are.

    ``obj_start`` has one more entry than ``obj_of_block``: the assertions of
    block ``b`` (object ``obj_of_block[b]``) are ``obj_start[b]:obj_start[b + 1]``.

    Examples
    --------
    One object, two classes, one answer from a worker whose row favours
    class 0 three to one:

    >>> import pytest; _ = pytest.importorskip("numba")
    >>> import numpy as np
    >>> from credscore.kernels.backend import use_backend
    >>> q, z = np.full((1, 2), 0.5), np.full((1, 2), 0.5)
    >>> counts, q_sum = np.zeros((1, 2)), np.zeros(2)
    >>> e_log_v = np.log(np.array([[0.75, 0.25]]))
    >>> with use_backend("numba"):
    ...     delta = vb_pass(np.array([0]), np.array([0, 1]), np.array([0]), e_log_v,
    ...                     np.log([0.5, 0.5]), 2, q, z, counts, q_sum)
    >>> q.tolist(), round(delta, 2)
    ([[0.75, 0.25]], 0.25)
    """
    loop = _fixed_pass("vb_pass", _vb_pass_for, int(log_prior.shape[0]))
    if loop is None:
        return None
    out: float = loop(
        key, obj_start, obj_of_block, e_log_v, log_prior, n_classes, q, z, counts, q_sum
    )
    return out


def _fixed_pass(
    name: str, factory: Callable[[int], Callable[..., float]], width: int
) -> Callable[..., float] | None:
    """The compiled pass ``name`` for ``width`` columns: one of its own, with
    the width a constant, up to :data:`MAX_FIXED_WIDTH` (IBCC and BWA on up
    to 16 labels: 9.0 ns to 6.6 ns per assertion per iteration at 1e6, five
    labels); the one for any width beyond (EBCC's K M = 50 is slower
    unrolled: 39 ns against 37); None on the numpy path."""
    if width <= 0 or width > MAX_FIXED_WIDTH:
        loops = compiled(_LOOPS, key="bayes")
    else:
        loops = compiled(lambda: {name: jit(factory(width))}, key=(name, width))
    return None if loops is None else loops[name]


def add_rows_into(out: FloatArray, target: Any, source: FloatArray, index: Any) -> None:
    """``out[target[a]] += source[index[a]]`` for every assertion ``a``.

    A compiled loop with numba; ``numpy.add.at`` otherwise (the models use
    their own sorted ``reduceat`` form on the numpy path, which is faster).
    """
    loops = compiled(_LOOPS, key="bayes")
    if loops is not None:
        loops["add_rows"](out, np.asarray(target), source, np.asarray(index))
    else:
        np.add.at(out, np.asarray(target), source[np.asarray(index)])
