"""Compiled loop of the table-scale corroboration model's E-step (optional numba).

:class:`credscore.models.corroboration.Corroboration` spends its time in one
E-step per iteration: add up the log-likelihood ratios of each claim's
confirmations, take the softmax within each object (counting the values
nobody asserted), and add each claim's posterior back up per *cell* (a
source and the column of its guessing probability). The numpy form of that
step lives in the model; this module holds the same step as one plain loop,
compiled by numba when the ``fast`` extra is installed and the kernels of
:mod:`credscore.kernels.backend` is set to use it (``CREDSCORE_KERNELS`` unset,
``auto`` or ``numba``). The compilation is cached on disk (``cache=True``).

The loop follows the model's definitions literally (the softmax is shifted by
each object's largest score), with one shortcut: when every ratio has the
same sign and every claim's score stays within ``+-no_shift``, the scores'
exponentials are products of the cells' ``exp(ratio)`` rather than an ``exp``
per claim. ``tests/test_models_corroboration.py`` checks that both forms give
the same fits to 1e-9 (with many confirmations of one claim, too).

Examples
--------
>>> from credscore.kernels import corroboration as CK
>>> CK.loops() is None or "estep" in CK.loops()
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from credscore.kernels.backend import compiled

__all__ = ["EStepLayout", "EStepOut", "EStepPrior", "loops"]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
AnyIndex = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]


class EStepLayout(NamedTuple):
    """Where a partition's assertions, claims and objects are (fixed across iterations)."""

    object_start: IndexArray  # claims of object o: object_start[o]:object_start[o + 1]
    claim: AnyIndex  # claim of each assertion
    key: IndexArray  # (source, column) cell of each assertion
    vc: IndexArray  # value index of each claim (with a prior)
    k_full: BoolArray  # object whose every value is asserted
    phantom_fixed: FloatArray  # prior weight of the unasserted values (without a prior)


class EStepPrior(NamedTuple):
    """The prior over values, when there is one (``on``)."""

    on: bool
    log_prior: FloatArray
    prior: FloatArray


class EStepOut(NamedTuple):
    """Arrays the E-step writes, and which of them are wanted."""

    score: FloatArray  # in: pooled ratios when have_score; out: posteriors
    have_score: bool
    unit: FloatArray
    shown: FloatArray
    want_shown: bool
    cell_p: FloatArray
    want_stats: bool
    mass_full: FloatArray
    mass_unit: FloatArray


def _estep_loop(
    lay: EStepLayout, cell_ell: FloatArray, pri: EStepPrior, out: EStepOut, no_shift: float
) -> None:  # pragma: no cover - compiled by numba
    """One E-step over every object; ``score`` becomes the posterior ``full``.

    Unless ``have_score`` (groups of dependent sources: ``score`` holds each
    claim's pooled ratio), ``score`` starts at 0 and gets ``cell_ell[key[a]]``
    added for each assertion ``a`` of claim ``claim[a]``. With ``prior_on``
    the log prior of the claim's value ``vc[c]`` is added and the prior weight
    of the values nobody asserted is ``1 - sum prior`` (0 when ``k_full``),
    else ``phantom_fixed``. Writes the posterior of each claim into
    ``score``, ``unit`` (posterior of an unasserted value per unit of prior
    weight), optionally ``shown`` (renormalised over the asserted values),
    and adds each claim's posterior to ``cell_p`` at its assertions' cells
    and, with ``prior_on``, to ``mass_full`` / ``mass_unit`` by value.

    The softmax of an object is shifted by its largest score only when some
    of its scores is beyond ``+-no_shift`` (the shift changes nothing but
    rounding, and costs a log and two exps per object).
    """
    object_start, claim, key, vc, k_full, phantom_fixed = lay
    prior_on, log_prior, prior = pri
    score, have_score, unit, shown, want_shown, cell_p, want_stats, mass_full, mass_unit = out
    # When every ratio has one sign, the partial products of exp(ratio) are
    # monotone: if each claim's product (and with it, its prior) is within
    # exp(+-no_shift), so was every partial product, and the products give
    # exp(score) without an exp per claim (1.0e6 assertions: about 1.5 ms of
    # 6 per pass). Otherwise, or past the bounds, the sums of logs.
    linear = False
    if not have_score:
        up = True
        down = True
        for j in range(cell_ell.shape[0]):
            up = up and cell_ell[j] >= 0.0
            down = down and cell_ell[j] <= 0.0
        linear = up or down
    if linear:
        cell_exp = np.exp(cell_ell)
        big = np.exp(no_shift)
        small = np.exp(-no_shift)
        for c in range(score.shape[0]):
            score[c] = 1.0
        for a in range(key.shape[0]):
            score[claim[a]] *= cell_exp[key[a]]
        for c in range(score.shape[0]):
            e = score[c]
            if prior_on:
                e *= prior[vc[c]]
            if not (small <= score[c] <= big and small <= e <= big):
                linear = False
                break
        if not linear:
            for c in range(score.shape[0]):
                score[c] = 0.0
    if not have_score and not linear:
        for a in range(key.shape[0]):
            score[claim[a]] += cell_ell[key[a]]
    # Add the log prior; if every score is within +-no_shift, no object needs
    # the shift (checked once here rather than object by object).
    highest = -np.inf
    lowest = np.inf
    for c in range(score.shape[0]):
        if linear:
            break
        s = score[c]
        if prior_on:
            s += log_prior[vc[c]]
            score[c] = s
        highest = max(highest, s)
        lowest = min(lowest, s)
    unshifted = linear or (highest <= no_shift and lowest >= -no_shift)
    for o in range(object_start.shape[0] - 1):
        lo = object_start[o]
        hi = object_start[o + 1]
        observed = 0.0
        asserted = 0.0
        if unshifted:
            for c in range(lo, hi):
                if linear:
                    e = score[c] * prior[vc[c]] if prior_on else score[c]
                else:
                    e = np.exp(score[c])
                score[c] = e
                asserted += e
                if prior_on:
                    observed += prior[vc[c]]
            if prior_on:
                phantom = 0.0 if k_full[o] else max(1.0 - observed, 0.0)
            else:
                phantom = phantom_fixed[o]
            z = asserted + phantom
            u = 1.0 / z if phantom > 0 else 0.0
        else:
            top = -np.inf
            bottom = np.inf
            for c in range(lo, hi):
                s = score[c]
                if prior_on:
                    observed += prior[vc[c]]
                top = max(top, s)
                bottom = min(bottom, s)
            if prior_on:
                phantom = 0.0 if k_full[o] else max(1.0 - observed, 0.0)
            else:
                phantom = phantom_fixed[o]
            if top <= no_shift and bottom >= -no_shift:
                for c in range(lo, hi):
                    e = np.exp(score[c])
                    score[c] = e
                    asserted += e
                z = asserted + phantom
                u = 1.0 / z if phantom > 0 else 0.0
            else:
                log_phantom = -np.inf
                if phantom > 0:
                    log_phantom = np.log(phantom)
                    top = max(top, log_phantom)
                for c in range(lo, hi):
                    e = np.exp(score[c] - top)
                    score[c] = e
                    asserted += e
                z = asserted
                if phantom > 0:
                    z += np.exp(log_phantom - top)
                u = np.exp(-top) / z if phantom > 0 else 0.0
        inv = 1.0 / z
        for c in range(lo, hi):
            e = score[c]
            if want_shown:
                shown[c] = e / asserted
            p = e * inv
            score[c] = p
            if want_stats and prior_on:
                mass_full[vc[c]] += p
                if phantom > 0:
                    mass_unit[vc[c]] += u
        unit[o] = u
    if want_stats:
        for a in range(key.shape[0]):
            cell_p[key[a]] += score[claim[a]]


_LOOPS: dict[str, Callable[..., None]] = {"estep": _estep_loop}


def loops() -> dict[str, Callable[..., Any]] | None:
    """The compiled loops when the numba kernels are in use, else None.

    Follows the choice of :mod:`credscore.kernels.backend` (``CREDSCORE_KERNELS``,
    :func:`credscore.kernels.backend.set_backend`); compiles once per process, from
    numba's on-disk cache when it is warm.

    Returns
    -------
    dict or None
        ``{"estep": compiled function}``, or None for the numpy path.

    Examples
    --------
    >>> from credscore.kernels import backend as K, corroboration as CK
    >>> with K.use_backend("numpy"):
    ...     CK.loops() is None
    True
    """
    return compiled(_LOOPS)
