"""Shared pieces of the Bayesian label aggregators (IBCC, EBCC, BWA).

The assertions coded against the table's global label space, the digamma
function their variational updates need (numpy has none, and scipy is not a
core dependency), the majority-vote start, and the step from a dense
``(objects x labels)`` log posterior to the claims' probabilities.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.errors import InvalidTableError
from credscore.kernels import segments as _kernels
from credscore.kernels.backend import backend as _kernel_backend
from credscore.kernels.bayes import add_rows_into, kept_columns, vb_pass
from credscore.models._gold import Gold
from credscore.models.base import FloatArray, FusionResult, Progress, warn_not_converged
from credscore.models.dawid_skene import MAX_DENSE_CELLS, _claim_label, _labels
from credscore.table.table import Table

__all__ = [
    "Coded",
    "claim_probability",
    "code",
    "digamma",
    "finish",
    "gammaln",
    "known_labels",
    "reporter",
    "source_mean",
]

_SHIFT = 10

IntArray = npt.NDArray[np.int64]


def digamma(x: npt.ArrayLike) -> FloatArray:
    """The digamma function, ``d/dx ln Gamma(x)``, for ``x > 0``, elementwise.

    The recurrence ``psi(x) = psi(x + 10) - sum_{i<10} 1/(x + i)`` and the
    asymptotic series at ``x + 10`` (Abramowitz & Stegun 6.3.18), accurate
    to about 1e-14.

    Examples
    --------
    >>> round(float(digamma(1.0)), 12)  # -Euler's gamma
    -0.577215664902
    >>> digamma([2.0, 0.5]).round(12).tolist()  # 1 - gamma, -gamma - 2 ln 2
    [0.422784335098, -1.963510026021]
    """
    y = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(y)
    for i in range(_SHIFT):
        out -= 1.0 / (y + i)
    y = y + _SHIFT
    inv = 1.0 / y
    inv2 = inv * inv
    series = inv2 * (
        1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132)))
    )
    out += np.log(y) - 0.5 * inv - series
    return out


def gammaln(x: npt.ArrayLike) -> FloatArray:
    """``ln Gamma(x)`` for ``x > 0``, elementwise.

    The recurrence ``ln Gamma(x) = ln Gamma(x + 10) - sum ln(x + i)`` and
    Stirling's series at ``x + 10`` (Abramowitz & Stegun 6.1.41).

    Examples
    --------
    >>> gammaln([5.0, 0.5]).round(10).tolist()  # ln 24, ln sqrt(pi)
    [3.1780538303, 0.5723649429]
    """
    y = np.asarray(x, dtype=np.float64)
    prod = np.ones_like(y)
    out = np.zeros_like(y)
    for i in range(_SHIFT):
        prod = prod * (y + i)
        if i % 5 == 4:  # keep the product far from overflow
            out -= np.log(prod)
            prod = np.ones_like(y)
    y = y + _SHIFT
    inv = 1.0 / y
    inv2 = inv * inv
    series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680)))
    out += (y - 0.5) * np.log(y) - y + 0.5 * np.log(2.0 * np.pi) + series
    return out


@attrs.frozen
class Coded:
    """The assertions of a table coded for the label-space models."""

    labels: np.ndarray[Any, Any]  #: the sorted distinct values of the table
    claim_label: IntArray  #: each claim's index in ``labels``
    label: IntArray  #: each assertion's index in ``labels``
    source: IntArray  #: each assertion's source
    object: IntArray  #: each assertion's object
    n_sources: int
    n_objects: int

    @property
    def k(self) -> int:
        return int(self.labels.shape[0])

    def vote_share(self) -> FloatArray:
        """``(objects x labels)`` share of each object's answers giving each label."""
        votes = self.votes()
        out: FloatArray = votes / votes.sum(axis=1, keepdims=True)
        return out

    def votes(self) -> FloatArray:
        """``(objects x labels)`` counts of answers."""
        k = self.k
        flat = np.bincount(self.object * k + self.label, minlength=self.n_objects * k)
        return flat.reshape(self.n_objects, k).astype(np.float64)


def code(table: Table, *, model: str, cells: Callable[[int], int]) -> Coded:
    """The table's assertions against its global label space.

    ``cells(K)`` is how many floats the model's arrays hold at once with
    ``K`` labels; a table that would need more than 1 GB is refused with an
    error naming the model.
    """
    labels = _labels(table, confusion=False)
    need = cells(int(labels.shape[0]))
    if need > MAX_DENSE_CELLS:
        raise InvalidTableError(
            f"value: the table has {labels.shape[0]:,} distinct values; {model} would need "
            f"{need * 8 / 1e9:,.1f} GB for its arrays. It is meant for closed "
            "label sets such as crowd labels; for open-ended values use corroboration, "
            "accu or mace"
        )
    lab_c = _claim_label(table, labels, {}).astype(np.int64)
    return Coded(
        labels=labels,
        claim_label=lab_c,
        label=lab_c[table.claim],
        source=table.source.astype(np.int64),
        object=table.object.astype(np.int64),
        n_sources=table.n_sources,
        n_objects=table.n_objects,
    )


@attrs.frozen
class VBFit:
    """What :func:`bcc_vb` ends with."""

    log_post: FloatArray  #: (objects x K) ln q(t_i = k), up to a constant per object
    confusion: FloatArray  #: (sources x K x M x K) posterior Dirichlet parameters
    elbo: float
    n_iter: int
    converged: bool


#: Objects per block when a fit's start is drawn block by block (``bcc_vb``).
START_BLOCK = 65536


def fused_fit() -> bool:
    """Whether the Bayesian fits run their compiled passes (with numba):
    :func:`bcc_vb`'s never hold an ``n_objects x K M`` array, BWA's never an
    ``n_assertions x K`` one."""
    return _kernel_backend() == "numba"


def bcc_vb(
    coded: Coded,
    zg: FloatArray | Callable[[int, int], FloatArray],
    *,
    n_subtypes: int | None = None,
    class_prior: FloatArray,
    subtype_prior: float,
    diagonal: float,
    off_diagonal: float,
    max_iter: int,
    tol: float,
    report: Callable[[int, float], None] | None = None,
    known: IntArray | None = None,
) -> VBFit:
    """Mean-field variational Bayes for Bayesian classifier combination with
    ``M`` subtypes per class (EBCC; IBCC is ``M = 1``).

    ``zg`` is the start, ``(objects x K x M)``: ``q(t_i = k, g_i = m)``; or
    a function of ``(lo, hi)`` giving its rows ``lo:hi``, called over
    consecutive blocks of :data:`START_BLOCK` objects from 0 (then
    ``n_subtypes`` is ``M``), so that the compiled fit never holds it whole.
    ``known`` (the label index of each object, -1 where unknown) holds the
    known objects at their class; their subtypes are still inferred.
    Each iteration computes the Dirichlet posteriors of the class
    proportions, the subtype proportions and every worker's confusion rows
    from the expected counts, then ``q`` from their expected logarithms.
    The assertions are grouped by (source, answer) for the counts and by
    object for the posteriors, so both are row sums of contiguous blocks.
    """
    fast = fused_fit()
    blocks = None
    if known is not None and not (known >= 0).any():
        known = None
    if callable(zg):
        n_o, k = coded.n_objects, coded.k
        m = int(n_subtypes) if n_subtypes is not None else 1
        if fast and n_o > 0:
            blocks = zg
            zg = np.zeros((0, k, m))
        else:
            zg = zg(0, n_o)
    else:
        n_o, k, m = zg.shape
    km = k * m
    n_s = coded.n_sources
    src, obj, lab = coded.source, coded.object, coded.label
    # (source, answer) groups: the rows of the counts
    key = src * k + lab
    if fast:  # the compiled passes need no sort
        keys = first = obj_by_key = np.zeros(0, dtype=np.int64)
    else:
        order = np.argsort(key, kind="stable")
        keys, first = np.unique(key[order], return_index=True)
        obj_by_key = obj[order]
    # the assertions are in object order: each object's block
    obj_start = np.flatnonzero(np.r_[True, obj[1:] != obj[:-1]]) if obj.size else obj
    obj_of_block = obj[obj_start]
    beta = np.full((k, k), float(off_diagonal))
    np.fill_diagonal(beta, float(diagonal))
    beta_rows = np.repeat(beta, m, axis=0)  # (K*M, K): beta[k, l] for row (k, m)
    q = zg.reshape(-1, km)
    block = None
    if known is not None:
        if blocks is None:
            q = _hold_known(q, known, k, m)
        if not fast:
            # ln q(k, m) = -inf for every class but the known one
            block = np.where(
                np.repeat(known[:, None], km, axis=1) == np.arange(km) // m, 0.0, -np.inf
            )
            block[known < 0] = 0.0
    z = q.reshape(-1, k, m).sum(axis=2)
    converged = False
    it = 0

    def confusion(q: FloatArray) -> FloatArray:
        # mu[j, l, (k, m)]: the Dirichlet of row (k, m) of worker j, at answer l
        counts = np.zeros((n_s * k, km))
        if fast:
            add_rows_into(counts, key, q, obj)
        elif first.size:
            counts[keys] = np.add.reduceat(q[obj_by_key], first, axis=0)
        out: FloatArray = counts.reshape(n_s, k, km) + beta_rows.T[None, :, :]
        return out

    fused = fast and n_o > 0
    if not fused:
        log_joint = np.log(np.maximum(q, 1e-300))
    if fused:
        # One compiled pass per iteration (credscore.kernels.bayes.vb_pass): the
        # E-step, then the counts and column sums of the new posteriors.
        # q itself is not kept: the passes keep its class sums z, column sums
        # and counts (so memory is n_objects x K, not x K M).
        counts_now = np.zeros((n_s * k, km))
        if blocks is None:
            z = np.ascontiguousarray(z, dtype=np.float64).copy()
            add_rows_into(counts_now, key, np.ascontiguousarray(q, dtype=np.float64), obj)
            q_sum = q.sum(axis=0)
        else:
            z, q_sum = _start_by_blocks(blocks, known, obj, key, n_o, k, m, counts_now)
        del q
        bounds = np.r_[obj_start, obj.shape[0]].astype(np.int64)
        key_c = np.ascontiguousarray(key, dtype=np.int64)
        block_obj = np.ascontiguousarray(obj_of_block, dtype=np.int64)
        known_c = np.full(n_o, -1, dtype=np.int64) if known is None else known.astype(np.int64)
        log_norm = 0.0
        digamma_beta = digamma(beta_rows.T)[None, :, :]
    while fused and it < max_iter:
        it += 1
        eta = subtype_prior / m + q_sum.reshape(k, m)
        e_log_pi = digamma(eta) - digamma(eta.sum(axis=1, keepdims=True))
        # (not eta.sum - subtype_prior: that rounds a class without prior or
        # mass to -1e-17, whose digamma is +7e16)
        nu = class_prior + q_sum.reshape(k, m).sum(axis=1)
        e_log_tau = _e_log_class(nu)
        log_prior = np.ascontiguousarray((e_log_pi + e_log_tau[:, None]).ravel())
        cols = kept_columns(log_prior, m)
        mu = counts_now.reshape(n_s, k, km) + beta_rows.T[None, :, :]
        if cols.size < km:
            # emptied subtypes: most of their counts are 0, their digamma the prior's
            seen = counts_now.reshape(n_s, k, km) != 0
            dg_mu = np.broadcast_to(digamma_beta, mu.shape).copy()
            dg_mu[seen] = digamma(mu[seen])
        else:
            dg_mu = digamma(mu)
        e_log_v = (dg_mu - digamma(mu.sum(axis=1, keepdims=True))).reshape(n_s * k, km)
        got = vb_pass(
            key_c,
            bounds,
            block_obj,
            e_log_v,
            log_prior,
            k,
            z,
            counts_now,
            q_sum,
            cols=cols,
            known=known_c,
        )
        assert got is not None
        delta, log_norm = got
        if report is not None:
            report(it, delta)
        if tol > 0 and delta <= tol:
            converged = True
            break
    while not fused and it < max_iter:
        it += 1
        eta = subtype_prior / m + q.sum(axis=0).reshape(k, m)
        e_log_pi = digamma(eta) - digamma(eta.sum(axis=1, keepdims=True))
        nu = class_prior + z.sum(axis=0)
        e_log_tau = _e_log_class(nu)
        mu = confusion(q)
        e_log_v = (digamma(mu) - digamma(mu.sum(axis=1, keepdims=True))).reshape(n_s * k, km)
        score = np.zeros((n_o, km))
        if fast:
            add_rows_into(score, obj, e_log_v, key)
        elif obj_start.size:
            score[obj_of_block] = np.add.reduceat(e_log_v[key], obj_start, axis=0)
        log_joint = score + (e_log_pi + e_log_tau[:, None]).ravel()[None, :]
        if block is not None:
            log_joint += block
        log_joint -= log_joint.max(axis=1, keepdims=True)
        q = np.exp(log_joint)
        q /= q.sum(axis=1, keepdims=True)
        new = q.reshape(n_o, k, m).sum(axis=2)
        delta = float(np.max(np.abs(new - z))) if n_o else 0.0
        z = new
        if report is not None:
            report(it, delta)
        if tol > 0 and delta <= tol:
            converged = True
            break
    if fused:
        # The class posteriors' logarithms (all the result needs: they are
        # normalised per object); a class whose posterior underflowed stays -inf.
        with np.errstate(divide="ignore"):
            log_post = np.log(z)
    else:
        joint = log_joint.reshape(n_o, k, m)
        top = joint.max(axis=2, keepdims=True)
        with np.errstate(invalid="ignore"):  # -inf - -inf on the known objects' other classes
            log_post = (top + np.log(np.exp(joint - top).sum(axis=2, keepdims=True)))[:, :, 0]
        log_post = np.where(np.isnan(log_post), -np.inf, log_post)
    if fused:
        # sum of q ln q from ln q_o(c) = log_prior(c) + sum of the object's
        # e_log_v(r, c) - ln Z_o, summed against q: no q needed
        mu = counts_now.reshape(n_s, k, km) + beta_rows.T[None, :, :]
        on = q_sum > 0  # (a class of log prior -inf has no mass: no 0 * -inf)
        plogp = float(q_sum[on] @ log_prior[on] + np.sum(counts_now * e_log_v) - log_norm)
    else:
        mu = confusion(q)  # the posteriors of the final q, for the ELBO and the result
        q_sum = q.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = float(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0).sum())
    elbo = _elbo(q_sum, plogp, z, mu, class_prior, subtype_prior, m)
    return VBFit(
        log_post=log_post,
        confusion=mu.transpose(0, 2, 1).reshape(n_s, k, m, k),
        elbo=elbo,
        n_iter=it,
        converged=converged,
    )


def _hold_known(q: FloatArray, known: IntArray, k: int, m: int) -> FloatArray:
    """The start ``q`` (rows of ``K M`` columns) with each known object's
    mass moved to its class's columns, renormalised (``1 / M`` each where it
    had none there); every row is renormalised."""
    km = k * m
    inside = np.repeat(known[:, None], km, axis=1) == np.arange(km) // m
    inside[known < 0] = True
    q = np.where(inside, q, 0.0)
    q /= np.maximum(q.sum(axis=1, keepdims=True), 1e-300)
    zero = q.sum(axis=1) == 0
    q[zero] = np.where(inside[zero], 1.0 / m, 0.0)
    out: FloatArray = q
    return out


def _start_by_blocks(
    rows: Callable[[int, int], FloatArray],
    known: IntArray | None,
    obj: IntArray,
    key: IntArray,
    n_o: int,
    k: int,
    m: int,
    counts: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """The start's class sums and column sums, its counts added to
    ``counts``, from its rows drawn :data:`START_BLOCK` objects at a time
    (the assertions are in object order)."""
    z = np.empty((n_o, k))
    q_sum = np.zeros(k * m)
    for lo in range(0, n_o, START_BLOCK):
        hi = min(lo + START_BLOCK, n_o)
        part = np.ascontiguousarray(rows(lo, hi), dtype=np.float64).reshape(hi - lo, k * m)
        if known is not None:
            part = _hold_known(part, known[lo:hi], k, m)
        a0, a1 = np.searchsorted(obj, [lo, hi])
        add_rows_into(counts, key[a0:a1], part, obj[a0:a1] - lo)
        q_sum += part.sum(axis=0)
        z[lo:hi] = part.reshape(hi - lo, k, m).sum(axis=2)
    return z, q_sum


def _e_log_class(nu: FloatArray) -> FloatArray:
    """``E ln tau`` under Dirichlet(``nu``). A class of parameter 0 (an
    empirical prior of 0 and no posterior mass: a label of the label set
    that nobody gave) has ``tau = 0`` for certain: ``-inf``.

    Examples
    --------
    >>> _e_log_class(np.array([1.0, 1.0, 0.0])).round(6).tolist()
    [-1.0, -1.0, -inf]
    """
    out = np.full(nu.shape, -np.inf)
    on = nu > 0
    out[on] = digamma(nu[on]) - digamma(nu[on].sum())
    return out


def _dirichlet_entropy(alpha: FloatArray) -> FloatArray:
    """Entropy of Dirichlet(alpha) for each row of ``alpha`` (last axis)."""
    a0 = alpha.sum(axis=-1)
    n = alpha.shape[-1]
    log_b = gammaln(alpha).sum(axis=-1) - gammaln(a0)
    out: FloatArray = log_b + (a0 - n) * digamma(a0) - ((alpha - 1) * digamma(alpha)).sum(axis=-1)
    return out


def _elbo(
    q_sum: FloatArray,
    plogp: float,
    z: FloatArray,
    mu: FloatArray,
    class_prior: FloatArray,
    subtype_prior: float,
    m: int,
) -> float:
    """The evidence lower bound, up to a constant of the data and the priors.

    With every Dirichlet posterior recomputed from ``q`` (its parameters are
    prior plus expected counts), ``E ln p(all) - E ln q`` is
    ``sum (posterior - 1) E ln theta`` over every Dirichlet variable, plus
    their entropies, plus the entropy ``-plogp`` of ``q`` over (class,
    subtype); ``q_sum`` is the column sums of ``q``.
    """
    k = q_sum.shape[0] // m
    eta = subtype_prior / m + q_sum.reshape(k, m)
    nu = class_prior + z.sum(axis=0)
    rows = mu.transpose(0, 2, 1)  # (sources, K*M, K)
    total = 0.0
    # A class of parameter 0 has tau = 0 for certain, under the prior and
    # the posterior alike: no term (the Dirichlet is over the others).
    for alpha in (nu[None, nu > 0], eta, rows.reshape(-1, k)):
        e_log = digamma(alpha) - digamma(alpha.sum(axis=-1, keepdims=True))
        total += float(((alpha - 1.0) * e_log).sum() + _dirichlet_entropy(alpha).sum())
    return total - plogp


def claim_probability(table: Table, coded: Coded, log_post: FloatArray) -> FloatArray:
    """Each claim's probability: its object's log posterior over all labels,
    renormalised over the labels claimed for that object (uniform where
    every claimed label has probability 0: a known object whose value no
    source gave)."""
    score = log_post[table.claim_object, coded.claim_label]
    out = _kernels.segment_softmax(np.where(np.isfinite(score), score, -1e300), table.object_start)
    return out


def known_labels(coded: Coded, table: Table, gold: Gold | None, model: str) -> IntArray | None:
    """The label index of each object known from ``gold``, -1 elsewhere."""
    if gold is None:
        return None
    out = np.full(coded.n_objects, -1, dtype=np.int64)
    out[gold.objects] = gold.labels(coded.labels, table, model)
    return out


def source_mean(coded: Coded, per_assertion: FloatArray) -> FloatArray:
    """Mean of ``per_assertion`` over each source's assertions."""
    n = np.bincount(coded.source, minlength=coded.n_sources).astype(np.float64)
    tot = np.bincount(coded.source, weights=per_assertion, minlength=coded.n_sources)
    out: FloatArray = np.divide(tot, n, out=np.zeros_like(tot), where=n > 0)
    return out


def reporter(
    model: str, max_iter: int, progress: Callable[[Progress], None] | None
) -> Callable[[int, float], None] | None:
    """``report(iteration, change)`` calling ``progress`` with a :class:`Progress`,
    or None when there is no ``progress``."""
    if progress is None:
        return None
    start = time.perf_counter()
    callback = progress

    def report(it: int, change: float) -> None:
        callback(Progress(model, it, max_iter, change, time.perf_counter() - start))

    return report


def finish(
    model: Any, table: Table, coded: Coded, prob: FloatArray, n_iter: int, converged: bool
) -> FusionResult:
    """The result of a label model from its claim probabilities: each
    object's most probable claim, each source's mean probability of its
    answers' claims as its reliability; warns when ``tol`` was not reached."""
    if not converged and model.tol > 0:
        warn_not_converged(model.name, model.max_iter, model.tol)
    best = _kernels.segment_argmax(prob, table.object_start)
    return FusionResult(
        table=table,
        claim_probability=prob,
        value=table.claim_value[best],
        reliability=source_mean(coded, prob[table.claim]),
        model=model.name,
        n_iter=n_iter,
        converged=converged,
    )
