"""Array kernels shared by the table-scale models, in numpy and (optionally) numba.

Every iteration of a truth-discovery model is a few passes over the
assertion arrays of a :class:`~credscore.table.table.Table`: gather a per-source
vector at each assertion and add it up per claim, add a per-claim vector up
per source, normalise within each object's claims. This module holds those
passes once, written twice:

* in numpy (``numpy.bincount``, fancy indexing, ``ufunc.reduceat``), always
  available;
* as plain loops compiled by numba when the ``fast`` extra is installed
  (``pip install credscore[fast]``). They make one pass over memory instead
  of materialising temporaries, which is what brings an iteration near the
  memory-bandwidth floor. The JIT compilation is cached on disk
  (``cache=True``), so it is paid once per machine, not per process.

Both give the same results to 1e-9 (``tests/test_kernels.py`` checks them
against slow pure-Python references on generated inputs). The numba path is
used automatically when numba imports; set the environment variable
``CREDSCORE_KERNELS=numpy`` (or call :func:`set_backend`) to force numpy.

Conventions: a *segment* array ``start`` of length ``n_seg + 1`` holds CSR
offsets (segment ``i`` is ``start[i]:start[i+1]``; segments may be empty), as
``Table.object_start`` does for claims. Index arrays may be int32 or int64.

Examples
--------
>>> import numpy as np
>>> from credscore.kernels import segments as K
>>> claim = np.array([0, 0, 1, 2]); source = np.array([0, 1, 1, 0])
>>> trust = np.array([0.5, 2.0])
>>> K.gather_sum(claim, trust, source, 3).tolist()
[2.5, 2.0, 0.5]
>>> K.segment_normalize(np.array([1.0, 3.0, 0.0, 0.0]), np.array([0, 2, 4])).tolist()
[0.25, 0.75, 0.5, 0.5]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.kernels.backend import compiled

__all__ = [
    "compile_codes",
    "factorize",
    "gather_sum",
    "segment_argmax",
    "segment_max",
    "segment_normalize",
    "segment_softmax",
    "segment_sum",
    "sums_step",
    "weighted_count",
]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
AnyIndex = npt.NDArray[np.integer[Any]]


def _jit() -> dict[str, Callable[..., Any]] | None:
    return compiled(_LOOPS)


def _i64(a: Any) -> IndexArray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _f64(a: Any) -> FloatArray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _idx(a: Any) -> AnyIndex:
    """An index array as it is (int32 or int64), contiguous."""
    arr = np.ascontiguousarray(a)
    if arr.dtype not in (np.int32, np.int64):
        arr = arr.astype(np.int64)
    return arr


# --------------------------------------------------------------------------
# Plain loops: compiled by numba when it is installed (never run as Python in
# the library; the pure-Python references live in tests/test_kernels.py).


def _gather_sum_loop(
    index: AnyIndex, values: FloatArray, gather: AnyIndex, out: FloatArray
) -> None:  # pragma: no cover - compiled by numba
    for a in range(index.shape[0]):
        out[index[a]] += values[gather[a]]


def _segment_sum_loop(
    x: FloatArray, start: IndexArray, out: FloatArray
) -> None:  # pragma: no cover - compiled by numba
    for i in range(start.shape[0] - 1):
        for a in range(start[i], start[i + 1]):
            for k in range(x.shape[1]):
                out[i, k] += x[a, k]


def _segment_max_loop(
    x: FloatArray, start: IndexArray, out: FloatArray
) -> None:  # pragma: no cover - compiled by numba
    for i in range(start.shape[0] - 1):
        m = -np.inf
        for a in range(start[i], start[i + 1]):
            if x[a] > m:
                m = x[a]
        out[i] = m


def _segment_argmax_loop(
    x: FloatArray, start: IndexArray, out: IndexArray
) -> None:  # pragma: no cover - compiled by numba
    for i in range(start.shape[0] - 1):
        lo = start[i]
        best = lo
        for a in range(lo + 1, start[i + 1]):
            if x[a] > x[best]:
                best = a
        out[i] = best


def _segment_normalize_loop(
    x: FloatArray, start: IndexArray, out: FloatArray
) -> None:  # pragma: no cover - compiled by numba
    for i in range(start.shape[0] - 1):
        lo = start[i]
        hi = start[i + 1]
        s = 0.0
        for a in range(lo, hi):
            s += x[a]
        if s > 0:
            for a in range(lo, hi):
                out[a] = x[a] / s
        else:
            for a in range(lo, hi):
                out[a] = 1.0 / (hi - lo)


def _segment_softmax_loop(
    x: FloatArray, start: IndexArray, out: FloatArray
) -> None:  # pragma: no cover - compiled by numba
    for i in range(start.shape[0] - 1):
        lo = start[i]
        hi = start[i + 1]
        if hi == lo:
            continue
        m = x[lo]
        for a in range(lo + 1, hi):
            if x[a] > m:
                m = x[a]
        s = 0.0
        for a in range(lo, hi):
            e = np.exp(x[a] - m)
            out[a] = e
            s += e
        for a in range(lo, hi):
            out[a] /= s


def _sums_step_loop(
    source: AnyIndex, claim: AnyIndex, trust: FloatArray, belief: FloatArray, out: FloatArray
) -> None:  # pragma: no cover - compiled by numba
    # Two straight passes with no branch on the claims' sizes (claims have one
    # or two assertions on average, so a loop per claim mispredicts often).
    for c in range(belief.shape[0]):
        belief[c] = 0.0
    for a in range(source.shape[0]):
        belief[claim[a]] += trust[source[a]]
    for a in range(source.shape[0]):
        out[source[a]] += belief[claim[a]]


_LOOPS: dict[str, Callable[..., None]] = {
    "sums_step": _sums_step_loop,
    "gather_sum": _gather_sum_loop,
    "segment_sum": _segment_sum_loop,
    "segment_max": _segment_max_loop,
    "segment_argmax": _segment_argmax_loop,
    "segment_normalize": _segment_normalize_loop,
    "segment_softmax": _segment_softmax_loop,
}


# --------------------------------------------------------------------------
# Public kernels: numba loop when available, else numpy.


def weighted_count(index: Any, weights: Any, n: int) -> FloatArray:
    """``numpy.bincount(index, weights, minlength=n)``, typed as float64
    (``weights`` None counts the entries).

    Examples
    --------
    >>> import numpy as np
    >>> weighted_count(np.array([2, 0, 2]), np.array([0.5, 1.0, 2.0]), 4).tolist()
    [1.0, 0.0, 2.5, 0.0]
    >>> weighted_count(np.array([1, 1]), None, 3).tolist()
    [0.0, 2.0, 0.0]
    """
    out: FloatArray = np.bincount(index, weights=weights, minlength=n).astype(
        np.float64, copy=False
    )
    return out


def gather_sum(index: AnyIndex, values: FloatArray, gather: AnyIndex, n: int) -> FloatArray:
    """``out[k] = sum(values[gather[a]] for a where index[a] == k)``, of length ``n``.

    The workhorse of truth discovery: with ``index=table.claim`` and
    ``gather=table.source`` it adds up the trust of each claim's sources;
    with the roles swapped, the belief in each source's claims. Equal to
    ``numpy.bincount(index, weights=values[gather], minlength=n)``.

    Parameters
    ----------
    index : int array of shape (m,)
        Target of each entry, in ``[0, n)``.
    values : float array
        The vector to gather.
    gather : int array of shape (m,)
        Which entry of ``values`` each entry takes.
    n : int
        Length of the output.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> gather_sum(np.array([1, 1, 0]), np.array([10.0, 20.0]), np.array([0, 1, 1]), 3).tolist()
    [20.0, 30.0, 0.0]
    """
    index_a, gather_a, values_a = _idx(index), _idx(gather), _f64(values)
    jit = _jit()
    if jit is not None:
        out = np.zeros(n, dtype=np.float64)
        jit["gather_sum"](index_a, values_a, gather_a, out)
        return out
    res = np.bincount(index_a, weights=values_a[gather_a], minlength=n)
    return res.astype(np.float64, copy=False)


def segment_sum(x: FloatArray, start: AnyIndex) -> FloatArray:
    """Sum of ``x`` (1-d, or 2-d by rows) within each segment; 0 for an empty one.

    Parameters
    ----------
    x : float array of shape (m,) or (m, k)
    start : int array of shape (n_seg + 1,)
        CSR offsets, non-decreasing, ``start[-1] == m``.

    Returns
    -------
    ndarray of shape (n_seg,) or (n_seg, k)

    Examples
    --------
    >>> import numpy as np
    >>> segment_sum(np.array([1.0, 2.0, 4.0]), np.array([0, 2, 2, 3])).tolist()
    [3.0, 0.0, 4.0]
    """
    x_a, start_a = _f64(x), _i64(start)
    n_seg = start_a.shape[0] - 1
    flat = x_a.ndim == 1
    x2 = x_a.reshape(-1, 1) if flat else x_a
    jit = _jit()
    if jit is not None:
        out = np.zeros((n_seg, x2.shape[1]), dtype=np.float64)
        jit["segment_sum"](x2, start_a, out)
    else:
        out = _np_segment_reduce(np.add, x2, start_a, 0.0)
    return out.reshape(-1) if flat else out


def _np_segment_reduce(
    ufunc: np.ufunc, x: FloatArray, start: IndexArray, empty: float
) -> FloatArray:
    """``ufunc.reduceat`` over segments along axis 0, with ``empty`` for empty ones."""
    n_seg = start.shape[0] - 1
    out = np.full((n_seg, *x.shape[1:]), empty, dtype=np.float64)
    nonempty = start[1:] > start[:-1]
    if x.shape[0] and nonempty.any():
        # reduceat over the starts of non-empty segments: each then runs to the
        # next non-empty start, which is its own end.
        out[nonempty] = ufunc.reduceat(x, start[:-1][nonempty], axis=0)
    return out


def segment_max(x: FloatArray, start: AnyIndex) -> FloatArray:
    """Maximum of ``x`` within each segment; ``-inf`` for an empty one.

    Examples
    --------
    >>> import numpy as np
    >>> segment_max(np.array([1.0, 5.0, 2.0]), np.array([0, 2, 2, 3])).tolist()
    [5.0, -inf, 2.0]
    """
    x_a, start_a = _f64(x), _i64(start)
    jit = _jit()
    if jit is not None:
        out = np.empty(start_a.shape[0] - 1, dtype=np.float64)
        jit["segment_max"](x_a, start_a, out)
        return out
    return _np_segment_reduce(np.maximum, x_a, start_a, -np.inf)


def segment_argmax(x: FloatArray, start: AnyIndex) -> IndexArray:
    """Index (into ``x``) of the first maximum within each segment.

    Every segment must be non-empty.

    Examples
    --------
    >>> import numpy as np
    >>> segment_argmax(np.array([1.0, 5.0, 5.0, 2.0]), np.array([0, 3, 4])).tolist()
    [1, 3]
    """
    x_a, start_a = _f64(x), _i64(start)
    n_seg = start_a.shape[0] - 1
    jit = _jit()
    if jit is not None:
        out = np.empty(n_seg, dtype=np.int64)
        jit["segment_argmax"](x_a, start_a, out)
        return out
    if n_seg == 0:
        return np.zeros(0, dtype=np.int64)
    top = np.maximum.reduceat(x_a, start_a[:-1])
    cand = np.where(x_a == np.repeat(top, np.diff(start_a)), np.arange(x_a.shape[0]), x_a.size)
    return np.minimum.reduceat(cand, start_a[:-1]).astype(np.int64)


def segment_normalize(x: FloatArray, start: AnyIndex) -> FloatArray:
    """``x`` divided by its sum within each segment; uniform where that sum is <= 0.

    Same result as :func:`credscore.models.base.segment_normalize`, taking
    CSR offsets (``table.object_start``) instead of a segment id per entry.

    Examples
    --------
    >>> import numpy as np
    >>> segment_normalize(np.array([1.0, 1.0, 2.0, 0.0]), np.array([0, 3, 4])).tolist()
    [0.25, 0.25, 0.5, 1.0]
    """
    x_a, start_a = _f64(x), _i64(start)
    jit = _jit()
    if jit is not None:
        out = np.empty_like(x_a)
        jit["segment_normalize"](x_a, start_a, out)
        return out
    lengths = np.diff(start_a)
    tot = np.repeat(_np_segment_reduce(np.add, x_a, start_a, 0.0), lengths)
    uniform = np.repeat(1.0 / np.maximum(lengths, 1), lengths)
    pos = tot > 0
    res: FloatArray = np.where(pos, x_a / np.where(pos, tot, 1.0), uniform)
    return res


def segment_softmax(score: FloatArray, start: AnyIndex) -> FloatArray:
    """``exp(score)`` normalised within each segment, computed stably.

    Entries of ``-inf`` get probability 0 unless their whole segment is
    ``-inf`` (then the result is NaN there, as ``0/0``); finite scores are
    safe at any magnitude.

    Examples
    --------
    >>> import numpy as np
    >>> p = segment_softmax(np.array([0.0, 0.0, 1000.0, 0.0]), np.array([0, 2, 4]))
    >>> p.round(6).tolist()
    [0.5, 0.5, 1.0, 0.0]
    """
    x_a, start_a = _f64(score), _i64(start)
    jit = _jit()
    if jit is not None:
        out = np.empty_like(x_a)
        jit["segment_softmax"](x_a, start_a, out)
        return out
    lengths = np.diff(start_a)
    top = np.repeat(_np_segment_reduce(np.maximum, x_a, start_a, 0.0), lengths)
    e = np.exp(x_a - top)
    z = np.repeat(_np_segment_reduce(np.add, e, start_a, 1.0), lengths)
    res: FloatArray = e / z
    return res


def sums_step(
    source: AnyIndex,
    claim: AnyIndex,
    trust: FloatArray,
    n_claims: int,
    n_sources: int,
    cache: dict[str, Any] | None = None,
) -> FloatArray:
    """Hubs-and-authorities round trip: ``belief = A trust``, then ``A^T belief``.

    The belief of a claim is the sum of the trust of its sources; the result
    is, for each source, the sum of the beliefs of its claims (Kleinberg's
    HITS as used by Sums, Pasternack & Roth 2010). With numba it is one pass
    over the assertions, which must be sorted by claim as in a
    :class:`~credscore.table.table.Table`.

    Parameters
    ----------
    source, claim : int arrays of shape (m,)
        The assertions, sorted by claim.
    trust : float array of shape (n_sources,)
    n_claims, n_sources : int
    cache : dict, optional
        Kept between calls on the same assertions (an iterative fit's
        ``local``): holds the numba path's buffer of claim beliefs.

    Returns
    -------
    ndarray of shape (n_sources,)

    References
    ----------
    J. M. Kleinberg, "Authoritative sources in a hyperlinked environment",
    Journal of the ACM 46(5), 1999. J. Pasternack and D. Roth, "Knowing what
    to believe (when you already know something)", COLING 2010.

    Examples
    --------
    >>> import numpy as np
    >>> sums_step(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([1.0, 2.0]), 2, 2).tolist()
    [3.0, 5.0]
    """
    src_a, claim_a, trust_a = _idx(source), _idx(claim), _f64(trust)
    jit = _jit()
    if jit is not None:
        store = {} if cache is None else cache
        buf: FloatArray | None = store.get("claim_belief")
        if buf is None or buf.shape[0] != n_claims:
            buf = np.empty(n_claims, dtype=np.float64)
            store["claim_belief"] = buf
        out = np.zeros(n_sources, dtype=np.float64)
        jit["sums_step"](src_a, claim_a, trust_a, buf, out)
        return out
    belief = gather_sum(claim_a, trust_a, src_a, n_claims)
    return gather_sum(src_a, belief, claim_a, n_sources)


def compile_codes(
    src: AnyIndex,
    obj: AnyIndex,
    val: AnyIndex,
    n_sources: int,
    n_objects: int,
    n_values: int,
    time: npt.ArrayLike | None = None,
) -> tuple[
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    IndexArray,
    IndexArray,
]:
    """Group coded assertions into the layout of :class:`~credscore.table.table.Table`.

    Keeps the last row of each ``(source, object)`` pair (by ``time``, then
    row order), numbers the distinct ``(object, value)`` pairs as claims in
    sorted order, and sorts the assertions by claim, then source.

    Parameters
    ----------
    src, obj, val : int arrays of shape (n,)
        Codes in ``[0, n_sources)``, ``[0, n_objects)``, ``[0, n_values)``.
    n_sources, n_objects, n_values : int
    time : array of shape (n,), optional
        Sortable times.

    Returns
    -------
    source, claim : int32 arrays of shape (n_kept,)
        The assertions, sorted by claim then source.
    claim_object : int32 array of shape (n_claims,)
    claim_value : int64 array of shape (n_claims,)
        The value code of each claim.
    object_start : int64 array of shape (n_objects + 1,)

    Notes
    -----
    Without ``time``, :func:`credscore.kernels.codes.compile_by_object` does the
    work: it puts the rows in object order (free when they come sorted by
    object, no sort when they come grouped by object) and then sorts within
    each object only. With ``time``, two stable sorts of int64 keys and
    linear passes, instead of a lexicographic sort on three keys and
    ``numpy.unique``.

    Examples
    --------
    >>> import numpy as np
    >>> s, c, co, cv, os_ = compile_codes(np.array([1, 0, 1]), np.array([0, 0, 0]),
    ...                                   np.array([1, 0, 0]), 2, 1, 2)
    >>> s.tolist(), c.tolist(), co.tolist(), cv.tolist(), os_.tolist()
    ([0, 1], [0, 0], [0], [0], [0, 1])
    """
    from credscore.kernels.codes import compile_by_object

    src_a, obj_a, val_a = _idx(src), _idx(obj), _idx(val)
    n = src_a.shape[0]
    if time is None:
        by_object = compile_by_object(src_a, obj_a, val_a, n_sources, n_objects, n_values)
        if by_object is not None:
            return by_object[:5]
        key = obj_a.astype(np.int64) * n_sources + src_a
        order = np.argsort(key, kind="stable")  # by object, source, then row
        k = key[order]
    else:
        order = np.lexsort([np.arange(n), np.asarray(time), src_a, obj_a])
        k = obj_a[order].astype(np.int64) * n_sources + src_a[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = k[1:] != k[:-1]
    keep = order if bool(last.all()) else order[last]
    src_k, obj_k, val_k = src_a[keep], obj_a[keep], val_a[keep]

    pair = obj_k.astype(np.int64) * n_values + val_k
    cells = n_objects * n_values
    if cells <= 8 * n + (1 << 16):
        # A presence table over all (object, value) cells: linear, no sort.
        present = np.zeros(cells, dtype=bool)
        present[pair] = True
        pairs = np.flatnonzero(present)
        rank = np.cumsum(present, dtype=np.int32 if cells < 2**31 else np.int64)
        claim_i = rank[pair] - 1
    else:
        pairs, claim_i = np.unique(pair, return_inverse=True)
        claim_i = claim_i.reshape(-1)
    claim_object = (pairs // n_values).astype(np.int32)
    claim_value = (pairs % n_values).astype(np.int64)
    object_start = np.zeros(n_objects + 1, dtype=np.int64)
    np.cumsum(np.bincount(claim_object, minlength=n_objects), out=object_start[1:])
    # Stable, so that each claim's assertions stay sorted by source.
    by_claim = np.argsort(claim_i, kind="stable")
    return (
        src_k[by_claim].astype(np.int32, copy=False),
        claim_i[by_claim].astype(np.int32, copy=False),
        claim_object,
        claim_value,
        object_start,
    )


def factorize(a: npt.ArrayLike) -> tuple[np.ndarray[Any, Any], npt.NDArray[np.int32]]:
    """Sorted distinct values of ``a`` and the int32 code of each entry.

    The same as ``numpy.unique(a, return_inverse=True)``, in linear time for
    integer labels whose range is at most a few times their number (a
    presence table instead of a sort; consecutive labels such as codes
    ``0..k-1`` in one or two passes); other inputs fall back to
    ``numpy.unique``.

    Examples
    --------
    >>> import numpy as np
    >>> ids, codes = factorize(np.array([7, 3, 7, 9]))
    >>> ids.tolist(), codes.tolist()
    ([3, 7, 9], [1, 0, 1, 2])
    """
    from credscore.kernels.codes import factorize_dense

    arr = np.asarray(a)
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        dense = factorize_dense(arr, lo, hi)
        if dense is not None:
            # Consecutive labels (a table of integer codes): no sort, no gather.
            return dense
        span = hi - lo + 1
        if span <= max(4 * arr.size, 1 << 16):
            if lo == 0:
                shifted = arr
            elif arr.dtype.kind == "i":
                shifted = arr.astype(np.int64) - lo  # exact: no wrap-around in small ints
            else:
                shifted = arr - arr.dtype.type(lo)  # unsigned, and arr >= lo
            present = np.zeros(span, dtype=bool)
            present[shifted] = True
            code_of = np.cumsum(present, dtype=np.int32) - 1
            ids = np.flatnonzero(present)
            if arr.dtype.kind == "u":  # lo may not fit an int64 (uint64 labels)
                ids = ids.astype(arr.dtype) + arr.dtype.type(lo)
            else:
                ids = (ids + lo).astype(arr.dtype)
            return ids, code_of[shifted]
    ids, inv = np.unique(arr, return_inverse=True)
    return ids, inv.reshape(-1).astype(np.int32)
