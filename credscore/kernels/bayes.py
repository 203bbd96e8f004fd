"""Count and score passes of the variational Bayes classifier combination
(:func:`credscore.models._bayes.bcc_vb`, behind IBCC and EBCC).

Each iteration needs two passes over the assertions ``a`` (source ``s``,
answer ``l``, object ``o``, row ``r = s K + l``):

* counts: ``counts[r, :] += q[o, :]``, the expected answers of each worker
  per (class, subtype) column;
* scores: ``score[o, :] += e_log_v[r, :]``, each object's log joint.

In numpy both are a gather of ``n_assertions x (K M)`` numbers followed by
``numpy.add.reduceat`` over blocks (the assertions sorted by row for the
counts, by object for the scores). With numba (the ``fast`` extra) one
fused loop per iteration (:func:`vb_pass`) takes each object in turn: its
posterior from its answers' rows, then its answers' counts, so that ``q``
lives one object at a time and only its class sums are kept. EBCC's sparse
prior over subtypes empties most columns within a few dozen iterations;
the pass then runs over the kept ones (:func:`kept_columns`), with a bound
on what the others could hold. The sums are the same up to rounding (the
order of the additions differs) and that bound.

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

from credscore.kernels.backend import backend as _kernel_backend
from credscore.kernels.backend import compiled, jit

__all__ = ["add_rows_into", "bwa_pass", "kept_columns", "vb_pass"]

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


def _log_space_loop(
    out: Any, log_prior: Any, e_log_v: Any, key: Any, a0: int, a1: int, m: int, only: int
) -> Any:  # pragma: no cover - compiled by numba
    """An object's posterior over every column in log space, for the
    objects the linear-space product cannot take: ``out[c]`` set to
    ``exp(L(c) - top)`` with ``L(c) = log_prior[c] + sum of e_log_v[key[a], c]``
    over its answers ``a0:a1`` (and 0 outside class ``only``'s ``m``
    columns when ``only >= 0``, a known object); returns ``(sum of out, top)``."""
    width = log_prior.shape[0]
    for c in range(width):
        out[c] = log_prior[c]
    for a in range(a0, a1):
        r = key[a]
        for c in range(width):
            out[c] += e_log_v[r, c]
    if only >= 0:
        for c in range(width):
            if c // m != only:
                out[c] = -np.inf
    top = -np.inf
    for c in range(width):
        if out[c] > top:
            top = out[c]
    total = 0.0
    for c in range(width):
        out[c] = np.exp(out[c] - top)
        total += out[c]
    return total, top


def _add_norm_loop(
    total: float, product: float, log_norm: float
) -> Any:  # pragma: no cover - compiled by numba
    """Fold an object's normaliser ``total`` into the running ``(product,
    log_norm)`` whose ``log_norm + ln(product)`` is the sum of the logs: the
    product is logged when it nears the ends of the floating-point range, and
    a normaliser below 1e-150 goes to the log at once (two such in a row
    could underflow)."""
    if total < 1e-150:
        return product, log_norm + np.log(total)
    product *= total
    if not 1e-150 < product < 1e150:
        return 1.0, log_norm + np.log(product)
    return product, log_norm


def _class_sums_loop(q: Any, out: Any, m: int) -> float:  # pragma: no cover - compiled by numba
    """``out[k]`` the sum of class ``k``'s ``m`` columns of ``q``; returns
    their total. K short chains of additions, not one of K M: with EBCC's
    50 columns that one chain bounded the pass (32 -> 29 ns per assertion)."""
    total = 0.0
    for kk in range(out.shape[0]):
        acc = 0.0
        for mm in range(m):
            acc += q[kk * m + mm]
        out[kk] = acc
        total += acc
    return total


#: :func:`_log_space_loop`, :func:`_add_norm_loop` and
#: :func:`_class_sums_loop` compiled, set by
#: :func:`_compiled_helpers` before the passes that call them are compiled.
_log_space: Any = None
_add_norm: Any = None
_class_sums: Any = None


def _compiled_helpers() -> None:
    global _log_space, _add_norm, _class_sums
    if _log_space is None:
        _log_space = jit(_log_space_loop)
        _add_norm = jit(_add_norm_loop)
        _class_sums = jit(_class_sums_loop)


def _vb_pass_for(fixed: int) -> Callable[..., Any]:
    """The fused pass of :func:`vb_pass` for ``fixed`` columns (K M), a
    constant the compiler unrolls; 0 for any width (read from the arrays)."""

    def vb_pass_loop(
        key: Any,
        obj_start: Any,
        obj_of_block: Any,
        e_log_v: Any,
        log_prior: Any,
        n_classes: int,
        known: Any,
        z: Any,
        counts: Any,
        q_sum: Any,
    ) -> tuple[float, float]:  # pragma: no cover - compiled by numba
        """One fused pass: every object's posterior from its answers, then the
        counts and column sums of the new posteriors; returns the largest change
        of a class posterior and the sum of the objects' log normalisers.

        The product of an object's factors ``exp(e_log_v)`` (all at most 1) is
        taken in linear space, as the Dawid-Skene kernels do; an object whose
        product falls below 1e-280 is redone in log space. The normalisers
        are multiplied together (:func:`_add_norm_loop`). A known object (``known[o] >= 0``) keeps only its class's columns."""
        n_blocks = obj_start.shape[0] - 1
        width = fixed if fixed > 0 else log_prior.shape[0]
        m = width // n_classes
        tmp = np.empty(width)
        zs = np.empty(n_classes)
        factor = np.exp(e_log_v)
        top_prior = -np.inf
        for c in range(width):
            if log_prior[c] > top_prior:
                top_prior = log_prior[c]
        prior = np.exp(log_prior - top_prior)
        delta = 0.0
        log_norm = 0.0
        product = 1.0
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
            only = known[o]
            if only >= 0:  # a known object: its class's columns only
                for c in range(width):
                    if c // m != only:
                        tmp[c] = 0.0
            # A fixed width (IBCC's K, unrolled) sums its columns in one
            # chain; K M columns (EBCC) sum K class sums (_class_sums_loop).
            if fixed > 0:
                total = 0.0
                for c in range(width):
                    total += tmp[c]
            else:
                total = _class_sums(tmp, zs, m)
            if total > 1e-280:
                log_norm += top_prior
            else:
                total, top = _log_space(tmp, log_prior, e_log_v, key, a0, a1, m, only)
                log_norm += top
                if fixed == 0:
                    _class_sums(tmp, zs, m)
            product, log_norm = _add_norm(total, product, log_norm)
            inv = 1.0 / total
            for c in range(width):
                tmp[c] *= inv
                q_sum[c] += tmp[c]
            for kk in range(n_classes):
                if fixed > 0:
                    zk = 0.0
                    for mm in range(m):
                        zk += tmp[kk * m + mm]
                else:
                    zk = zs[kk] * inv
                d = abs(zk - z[o, kk])
                if d > delta:
                    delta = d
                z[o, kk] = zk
            for a in range(a0, a1):
                r = key[a]
                for c in range(width):
                    counts[r, c] += tmp[c]
        return delta, log_norm + np.log(product)

    return vb_pass_loop


def _vb_pruned_loop(
    key: Any,
    obj_start: Any,
    obj_of_block: Any,
    e_log_v: Any,
    log_prior: Any,
    n_classes: int,
    known: Any,
    cols: Any,
    z: Any,
    counts: Any,
    q_sum: Any,
) -> tuple[float, float]:  # pragma: no cover - compiled by numba
    """:func:`vb_pass` over the columns ``cols`` only (see its ``cols``).

    Every factor ``exp(e_log_v)`` is at most 1, so the columns left out can
    hold at most ``left = sum of prior[c]`` over them (the prior scaled to a
    largest entry of 1). An object whose kept mass ``total`` is below
    ``left / PRUNE_TOLERANCE`` is computed over every column, in log space."""
    n_blocks = obj_start.shape[0] - 1
    width = log_prior.shape[0]
    n_act = cols.shape[0]
    m = width // n_classes
    n_rows = e_log_v.shape[0]
    top_prior = -np.inf
    for c in range(width):
        if log_prior[c] > top_prior:
            top_prior = log_prior[c]
    prior = np.exp(log_prior - top_prior)
    kept = np.zeros(width, dtype=np.bool_)
    for j in range(n_act):
        kept[cols[j]] = True
    left = 0.0
    left_class = np.zeros(n_classes)  # what a known object's left-out columns can hold
    for c in range(width):
        if not kept[c]:
            left += prior[c]
            left_class[c // m] += prior[c]
    # the kept columns, side by side: factors, prior, class, counts
    factor = np.empty((n_rows, n_act))
    for r in range(n_rows):
        for j in range(n_act):
            factor[r, j] = np.exp(e_log_v[r, cols[j]])
    prior_kept = np.empty(n_act)
    # cols is sorted, so each class's kept columns are a run: class kk's are
    # class_start[kk]:class_start[kk + 1]
    class_start = np.zeros(n_classes + 1, dtype=np.int64)
    for j in range(n_act):
        prior_kept[j] = prior[cols[j]]
        class_start[cols[j] // m + 1] += 1
    for kk in range(n_classes):
        class_start[kk + 1] += class_start[kk]
    q_sum_kept = np.zeros(n_act)
    counts_kept = np.zeros((n_rows, n_act))
    tmp = np.empty(n_act)
    full = np.empty(width)
    zk = np.empty(n_classes)
    delta = 0.0
    log_norm = 0.0
    product = 1.0
    counts[:, :] = 0.0
    q_sum[:] = 0.0
    for b in range(n_blocks):
        o = obj_of_block[b]
        a0 = obj_start[b]
        a1 = obj_start[b + 1]
        for j in range(n_act):
            tmp[j] = prior_kept[j]
        for a in range(a0, a1):
            r = key[a]
            for j in range(n_act):
                tmp[j] *= factor[r, j]
        only = known[o]
        bound = left
        if only >= 0:  # a known object: its class's columns only
            bound = left_class[only]
            for kk in range(n_classes):
                if kk != only:
                    for j in range(class_start[kk], class_start[kk + 1]):
                        tmp[j] = 0.0
        total = 0.0
        for kk in range(n_classes):
            acc = 0.0
            for j in range(class_start[kk], class_start[kk + 1]):
                acc += tmp[j]
            zk[kk] = acc
            total += acc
        fine = total > 1e-280 and bound <= PRUNE_TOLERANCE * total
        # The result renormalises each object's posterior over the values it
        # was given, however small their share: each answered class must hold
        # its own kept mass to the same tolerance.
        for a in range(a0, a1):
            if not fine:
                break
            kk = key[a] % n_classes
            if (only < 0 or kk == only) and left_class[kk] > PRUNE_TOLERANCE * zk[kk]:
                fine = False
        if fine:
            log_norm += top_prior
            inv = 1.0 / total
            for j in range(n_act):
                tmp[j] *= inv
                q_sum_kept[j] += tmp[j]
            for kk in range(n_classes):
                zk[kk] *= inv
            for a in range(a0, a1):
                r = key[a]
                for j in range(n_act):
                    counts_kept[r, j] += tmp[j]
        else:
            for kk in range(n_classes):
                zk[kk] = 0.0
            total, top = _log_space(full, log_prior, e_log_v, key, a0, a1, m, only)
            log_norm += top
            inv = 1.0 / total
            for c in range(width):
                full[c] *= inv
                q_sum[c] += full[c]
                zk[c // m] += full[c]
            for a in range(a0, a1):
                r = key[a]
                for c in range(width):
                    counts[r, c] += full[c]
        product, log_norm = _add_norm(total, product, log_norm)
        for kk in range(n_classes):
            d = abs(zk[kk] - z[o, kk])
            if d > delta:
                delta = d
            z[o, kk] = zk[kk]
    for r in range(n_rows):
        for j in range(n_act):
            counts[r, cols[j]] += counts_kept[r, j]
    for j in range(n_act):
        q_sum[cols[j]] += q_sum_kept[j]
    return delta, log_norm + np.log(product)


#: An object's posterior is taken over the kept columns only when the columns
#: left out could hold at most this share of its mass (see :func:`vb_pass`).
PRUNE_TOLERANCE = 1e-13

#: The columns whose prior weight (relative to the largest) is below this are
#: left out of a pass (:func:`kept_columns`).
PRUNE_BELOW = 1e-20

#: The pruned pass is used only when it keeps at most this share of the
#: columns: at 1e6 assertions and 50 columns it takes 8.3 ns per assertion
#: for 8 kept, 21.6 for 25 and 43 for 43, against 26.4 for the full pass.
PRUNE_SHARE = 0.6


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
    "vb_pruned": _vb_pruned_loop,
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
    z: FloatArray,
    counts: FloatArray,
    q_sum: FloatArray,
    cols: Any = None,
    known: Any = None,
) -> tuple[float, float] | None:
    """The compiled fused pass of :func:`credscore.models._bayes.bcc_vb` (one
    E-step and the next counts), updating ``z``, ``counts`` and ``q_sum`` in
    place; None on the numpy path (the caller then runs its own numpy form).
    Objects without assertions are left as they are.

    Each object's posterior ``q(k, m)`` over the ``K M`` columns lives only
    while its assertions are read: the pass keeps its class sums ``z``, the
    column sums ``q_sum`` and the counts, and returns the largest change of
    a ``z`` and ``sum over objects of ln Z_o``, the logarithms of the objects'
    normalisers, from which :func:`credscore.models._bayes.bcc_vb` gets the
    entropy of ``q`` for the ELBO (``ln q_o(c) = L_o(c) - ln Z_o``).

    ``obj_start`` has one more entry than ``obj_of_block``: the assertions of
    block ``b`` (object ``obj_of_block[b]``) are ``obj_start[b]:obj_start[b + 1]``.

    ``cols``, when given and not every column, are the columns to keep
    (:func:`kept_columns`). EBCC's sparse prior over subtypes empties most of
    them within a few dozen iterations, and an empty one stays empty: its
    prior weight falls to about 1e-45 of the largest. Each factor
    ``exp(e_log_v)`` is at most 1, so the columns left out hold at most the
    sum ``left`` of their prior weights: an object whose kept columns' mass
    is at least ``left / PRUNE_TOLERANCE``, and each of whose answered
    classes holds at least its own left-out columns' weight over
    :data:`PRUNE_TOLERANCE` (the result renormalises over the answered
    values, however small their share), gets its posterior from those alone
    (the others taken as 0, a relative error under :data:`PRUNE_TOLERANCE`
    for every answered class); any other object is computed over every
    column.

    ``known``, when given, holds each object's known class (-1 where
    unknown): a known object's posterior is over its class's ``M`` columns
    only (its subtypes are still inferred), as ``ln q = -inf`` elsewhere.

    Examples
    --------
    One object, two classes, one answer from a worker whose row favours
    class 0 three to one:

    >>> import pytest; _ = pytest.importorskip("numba")
    >>> import numpy as np
    >>> from credscore.kernels.backend import use_backend
    >>> z = np.full((1, 2), 0.5)
    >>> counts, q_sum = np.zeros((1, 2)), np.zeros(2)
    >>> e_log_v = np.log(np.array([[0.75, 0.25]]))
    >>> with use_backend("numba"):
    ...     delta, log_norm = vb_pass(np.array([0]), np.array([0, 1]), np.array([0]),
    ...                               e_log_v, np.log([0.5, 0.5]), 2, z, counts, q_sum)
    >>> z.tolist(), round(delta, 2), round(log_norm, 6)  # ln(0.5 * 0.75 + 0.5 * 0.25)
    ([[0.75, 0.25]], 0.25, -0.693147)
    """
    width = int(log_prior.shape[0])
    if _kernel_backend() == "numba":
        _compiled_helpers()
    if known is None:
        known = np.full(z.shape[0], -1, dtype=np.int64)
    if cols is not None and len(cols) < width:
        loops = compiled(_LOOPS, key="bayes")
        if loops is None:
            return None
        pruned: tuple[float, float] = loops["vb_pruned"](
            key,
            obj_start,
            obj_of_block,
            e_log_v,
            log_prior,
            n_classes,
            known,
            cols,
            z,
            counts,
            q_sum,
        )
        return pruned
    loop = _fixed_pass("vb_pass", _vb_pass_for, width)
    if loop is None:
        return None
    out: tuple[float, float] = loop(
        key, obj_start, obj_of_block, e_log_v, log_prior, n_classes, known, z, counts, q_sum
    )
    return out


def kept_columns(log_prior: FloatArray, m: int = 1) -> Any:
    """The columns a pass over subtypes keeps: those whose prior weight,
    relative to the largest, is at least :data:`PRUNE_BELOW`; every column
    while more than :data:`PRUNE_SHARE` of them would be kept (the pruned
    pass only pays off below that) or when ``m`` is 1 (no subtypes).

    Examples
    --------
    >>> kept_columns(np.log([0.5, 1e-40, 1e-50, 0.25]), m=2).tolist()
    [0, 3]
    >>> kept_columns(np.log([0.5, 1e-40, 0.3, 0.25]), m=2).tolist()
    [0, 1, 2, 3]
    """
    width = log_prior.shape[0]
    every = np.arange(width, dtype=np.int64)
    if m <= 1:
        return every
    rel = np.exp(log_prior - np.max(log_prior))
    cols = np.flatnonzero(rel >= PRUNE_BELOW).astype(np.int64)
    return cols if cols.size <= PRUNE_SHARE * width else every


def _fixed_pass(
    name: str, factory: Callable[[int], Callable[..., Any]], width: int
) -> Callable[..., Any] | None:
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
