"""Fast paths of table compilation for the common layouts of large inputs.

:func:`credscore.kernels.segments.compile_codes` and :func:`credscore.kernels.segments.factorize`
sort, which costs about a second at ten million rows. Most large tables need
much less work, because they come *grouped by object* (exported by object, or
written so) with labels that are already integer codes ``0..k-1``:

* :func:`factorize_dense` recognises integer labels that are consecutive
  (codes ``0..k-1``, or ids from 1), for which factorizing is the identity
  or a subtraction. :func:`dense_codes` proves it reading a sorted array
  once, and an unsorted one only until every label has been seen (a prefix
  of doubling length), which for the many-rows-per-label columns (sources,
  values) is a small part of the array.
* :func:`compile_by_object` first puts the rows in object order: free when
  they are sorted by object, a move of whole objects when each object's rows
  are contiguous (no sort), one sort of ``(object, row)`` keys otherwise.
  Every object's rows are then one contiguous *segment*, and the only
  sorting left is within each segment, by ``(value, source)``: segments of
  equal length form a matrix whose rows ``numpy.sort`` sorts along the last
  axis (long segments are padded to a power of two).

Both give exactly what the general path gives (``tests/test_table_compile.py``
checks them against a slow reference on generated inputs). The general path
remains for times (``time=``), where the latest row of a pair is not the
last one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Int32Array = npt.NDArray[np.int32]
IndexArray = npt.NDArray[np.int64]

#: Segments up to this long are deduplicated by comparing their columns
#: pairwise (``L (L - 1) / 2`` comparisons); longer ones by sorting.
PAIRWISE_MAX = 8
#: Segments up to this long are grouped by exact length; longer ones are
#: padded to the next power of two, so there are few groups.
EXACT_MAX = 16
#: The first prefix :func:`dense_codes` reads of an unsorted array.
FIRST_PREFIX = 1 << 16


def dense_codes(arr: npt.NDArray[np.integer[Any]], lo: int, hi: int) -> bool:
    """Whether ``arr`` (integers in ``[lo, hi]``) holds every integer of ``lo..hi``.

    A sorted array has them all when it holds ``hi - lo + 1`` distinct
    values. Otherwise a presence table is filled from prefixes of doubling
    length until it is full (then the answer is yes without reading the
    rest) or the whole array has been read.

    Examples
    --------
    >>> import numpy as np
    >>> dense_codes(np.array([2, 0, 1, 0]), 0, 2), dense_codes(np.array([3, 1, 3]), 1, 3)
    (True, False)
    """
    n = arr.shape[0]
    if n == 0 or hi - lo + 1 > n:
        return False
    if bool((arr[1:] >= arr[:-1]).all()):
        distinct = 1 + int(np.count_nonzero(arr[1:] != arr[:-1]))
        return int(arr[0]) == lo and distinct == hi - lo + 1
    present = np.zeros(hi - lo + 1, dtype=bool)
    done, size = 0, max(FIRST_PREFIX, 4 * (hi - lo + 1))
    while done < n:
        part = arr[done : done + size]
        if lo != 0:
            # Exact offsets: unsigned values are >= lo, signed ones widen.
            part = part - part.dtype.type(lo) if part.dtype.kind == "u" else part - np.int64(lo)
        present[part] = True
        done += size
        size *= 2
        if bool(present.all()):
            return True
    return False


def factorize_dense(
    arr: npt.NDArray[np.integer[Any]], lo: int, hi: int
) -> tuple[npt.NDArray[np.integer[Any]], Int32Array] | None:
    """``lo..hi`` and ``arr - lo`` when ``arr`` holds every integer in ``[lo, hi]``.

    This is :func:`numpy.unique` with the inverse for labels that are
    consecutive integers (codes ``0..k-1``, ids from 1, ...), in one or two
    passes; None when they are not (or too many for int32 codes).

    Examples
    --------
    >>> import numpy as np
    >>> ids, codes = factorize_dense(np.array([3, 1, 2, 3]), 1, 3)
    >>> ids.tolist(), codes.tolist()
    ([1, 2, 3], [2, 0, 1, 2])
    """
    if hi - lo + 1 > np.iinfo(np.int32).max or not dense_codes(arr, lo, hi):
        return None
    ids = np.arange(lo, hi + 1, dtype=arr.dtype)
    if lo == 0:
        return ids, arr.astype(np.int32, copy=False)
    if arr.dtype.kind == "u" or arr.dtype.itemsize >= 4:
        # arr - lo is in [0, hi - lo], which the dtype holds: no wrap-around.
        shifted = arr - arr.dtype.type(lo)
    else:
        shifted = arr.astype(np.int32) - lo  # int8/int16 widen first
    return ids, shifted.astype(np.int32, copy=False)


def compile_by_object(
    src: npt.NDArray[np.integer[Any]],
    obj: npt.NDArray[np.integer[Any]],
    val: npt.NDArray[np.integer[Any]],
    n_sources: int,
    n_objects: int,
    n_values: int,
) -> tuple[Int32Array, Int32Array, Int32Array, IndexArray, IndexArray, Int32Array] | None:
    """Compile coded rows by first putting them in object order.

    Same contract as :func:`credscore.kernels.segments.compile_codes` without times
    (the last row of each ``(source, object)`` pair wins; claims are the
    sorted distinct ``(object, value)`` pairs; assertions are sorted by claim,
    then source), returning also the object of each assertion. None for an
    empty table or one too large to number its rows beside its objects in
    63 bits.

    Returns
    -------
    source, claim : int32 arrays of shape (n_kept,)
    claim_object : int32 array of shape (n_claims,)
    claim_value : int64 array of shape (n_claims,)
    object_start : int64 array of shape (n_objects + 1,)
    object : int32 array of shape (n_kept,)
        ``claim_object[claim]``.

    Notes
    -----
    Rows already sorted by object are used as they are. Rows *grouped* by
    object (each object's rows contiguous) are moved into object order a
    whole object at a time, without a sort. Other rows are sorted by
    ``(object, row)`` keys. Each object keeps its rows in their original
    order, so the last row of a pair stays last.

    Then each row gets a key ``value << b | source`` (``b`` bits hold a
    source code), int32 when it fits. Within an object the kept rows have
    distinct sources, so their keys are distinct and sorting them needs no
    stability; a dropped row's key becomes the dtype's maximum, which sorts
    last in its object and is removed at the end.

    Examples
    --------
    >>> import numpy as np
    >>> out = compile_by_object(np.array([1, 0, 1]), np.array([0, 0, 0]),
    ...                         np.array([1, 0, 0]), 2, 1, 2)
    >>> [a.tolist() for a in out]
    [[0, 1], [0, 0], [0], [0], [0, 1], [0, 0]]
    """
    n = obj.shape[0]
    if n == 0:
        return None
    caller_obj = obj  # never handed out: the table's arrays become read-only
    if not bool((obj[1:] >= obj[:-1]).all()):
        order = _group_order(obj, n_objects)
        if order is None:
            order = _sort_order(obj, n_objects)
            if order is None:
                return None
        src, obj, val = src[order], obj[order], val[order]
        del order
    bits = max(n_sources - 1, 0).bit_length()
    top = (max(n_values - 1, 0) << bits) | max(n_sources - 1, 0)
    kdt: type[np.signedinteger[Any]] = np.int32 if top < np.iinfo(np.int32).max else np.int64
    sentinel = np.iinfo(kdt).max

    key = val.astype(kdt)
    key <<= bits
    key |= src
    bounds = np.flatnonzero(obj[1:] != obj[:-1]) + 1
    first = np.concatenate(([0], bounds))
    length = np.diff(np.concatenate((first, [n])))
    dropped = False
    for size, segs in _length_groups(length):
        if size > 1:
            dropped |= _sort_segments(key, src, first, length, size, segs, sentinel)

    obj_k: npt.NDArray[np.integer[Any]] = obj
    if dropped:
        keep = key != sentinel
        key, obj_k = key[keep], obj[keep]
    # Decode in place where possible: fresh pages cost as much as the work.
    value = key >> bits
    key &= kdt((1 << bits) - 1)
    source = key.astype(np.int32, copy=False)
    del key
    new = np.empty(value.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(value[1:], value[:-1], out=new[1:])
    new[1:] |= obj_k[1:] != obj_k[:-1]
    starts = np.flatnonzero(new)
    claim_object = obj_k[starts].astype(np.int32, copy=False)
    claim_value = value[starts].astype(np.int64)
    if value.dtype == np.int32:
        claim = np.cumsum(new, dtype=np.int32, out=value)
    else:
        claim = np.cumsum(new, dtype=np.int32)
    del new, value
    claim -= 1
    object_start = np.zeros(n_objects + 1, dtype=np.int64)
    np.cumsum(np.bincount(claim_object, minlength=n_objects), out=object_start[1:])
    object_ = obj_k.astype(np.int32, copy=obj_k is caller_obj)
    return source, claim, claim_object, claim_value, object_start, object_


def _group_order(obj: npt.NDArray[np.integer[Any]], n_objects: int) -> npt.NDArray[np.intp] | None:
    """Row order that sorts grouped rows by object; None when not grouped.

    Rows are grouped when each object's rows are contiguous (one run per
    object). The runs are then put in object order by placing each at its
    object code, which needs no sort.
    """
    first = np.concatenate(([0], np.flatnonzero(obj[1:] != obj[:-1]) + 1))
    if first.shape[0] > n_objects:
        return None  # more runs than objects: some object is split
    run_obj = obj[first]
    slot = np.full(n_objects, -1, dtype=np.intp)
    slot[run_obj] = np.arange(first.shape[0])
    runs = slot[slot >= 0]
    if runs.shape[0] != first.shape[0]:
        return None  # an object in two or more runs: not grouped
    length = np.diff(np.append(first, obj.shape[0]))[runs]
    order: npt.NDArray[np.intp] = concat_ranges(first[runs], first[runs] + length).astype(
        np.intp, copy=False
    )
    return order


def concat_ranges(
    lo: npt.NDArray[np.integer[Any]], hi: npt.NDArray[np.integer[Any]]
) -> npt.NDArray[np.integer[Any]]:
    """The concatenation of ``arange(lo[i], hi[i])`` over ``i``.

    Element ``k`` of the output is ``lo[i] + (k - where range i starts in
    the output)``.

    Examples
    --------
    >>> import numpy as np
    >>> concat_ranges(np.array([5, 0, 9]), np.array([7, 0, 10])).tolist()
    [5, 6, 9]
    """
    size = hi - lo
    out: npt.NDArray[np.integer[Any]] = np.repeat(lo - (np.cumsum(size) - size), size)
    out += np.arange(out.shape[0], dtype=out.dtype)
    return out


def _sort_order(obj: npt.NDArray[np.integer[Any]], n_objects: int) -> npt.NDArray[np.int64] | None:
    """Row order by object, then row: a sort of ``object << b | row`` keys.

    The keys are distinct, so any sort gives the one stable order; None
    when they do not fit in 63 bits.
    """
    n = obj.shape[0]
    row_bits = max(n - 1, 0).bit_length()
    if max(n_objects - 1, 0).bit_length() + row_bits > 63:
        return None
    key = obj.astype(np.int64)
    key <<= row_bits
    key |= np.arange(n)
    key.sort(kind="stable")  # timsort: fast on nearly ordered rows
    key &= (1 << row_bits) - 1
    return key


def _length_groups(length: IndexArray) -> list[tuple[int, IndexArray | None]]:
    """Segments grouped by length: ``(size, segment indices)``.

    Up to :data:`EXACT_MAX` the size is the exact length; beyond it, the next
    power of two (the rows get padded). None stands for every segment, when
    all have the same length.
    """
    lo, hi = int(length.min()), int(length.max())
    if lo == hi:
        return [(hi, None)]
    size = length.copy()
    big = size > EXACT_MAX
    if big.any():
        # 2 ** ceil(log2(L)) for L > EXACT_MAX, in integers.
        size[big] = 1 << np.frexp((size[big] - 1).astype(np.float64))[1].astype(np.int64)
    order = np.argsort(size, kind="stable")
    sorted_size = size[order]
    cuts = np.flatnonzero(sorted_size[1:] != sorted_size[:-1]) + 1
    edges = np.concatenate(([0], cuts, [order.shape[0]]))
    return [
        (int(sorted_size[a]), order[a:b]) for a, b in zip(edges[:-1].tolist(), edges[1:].tolist())
    ]


def _sort_segments(
    key: npt.NDArray[np.signedinteger[Any]],
    src: npt.NDArray[np.integer[Any]],
    first: IndexArray,
    length: IndexArray,
    size: int,
    segs: IndexArray | None,
    sentinel: int,
) -> bool:
    """Sort the keys of the given segments in place, marking superseded rows.

    ``size`` is the segments' common length, or the power of two they are
    padded to. Returns whether any row was marked as superseded (its key set
    to ``sentinel``).
    """
    if segs is None:
        # Every segment has this length: a reshape, no gather.
        mat = key.reshape(-1, size)
        drop = _superseded(src.reshape(-1, size), None)
        if drop is not None:
            mat[drop] = sentinel
        mat.sort(axis=1)
        return drop is not None
    seg_len = length[segs]
    rows = first[segs][:, None] + np.arange(size)
    valid: npt.NDArray[np.bool_] | None = None
    if int(seg_len.min()) < size:
        valid = np.arange(size) < seg_len[:, None]
        rows[~valid] = 0  # any row: its gathered entries are overwritten below
    mat = key[rows]
    drop = _superseded(src[rows], valid)
    if drop is not None:
        mat[drop] = sentinel
    if valid is None:
        mat.sort(axis=1)
        key[rows] = mat
    else:
        mat[~valid] = sentinel
        mat.sort(axis=1)
        # Row r's first seg_len[r] sorted keys are its own rows' keys (or the
        # sentinel for superseded ones): the padding sorted after them.
        key[rows[valid]] = mat[valid]
    return drop is not None


def _superseded(
    s: npt.NDArray[np.integer[Any]], valid: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.bool_] | None:
    """Which entries of a (segments x size) matrix of source codes are superseded.

    An entry is superseded when a later entry of its row (a later row of the
    same object) has the same source. ``valid`` marks the real entries of
    padded rows. Returns None when nothing is superseded.
    """
    c, size = s.shape
    if valid is None and size <= PAIRWISE_MAX:
        drop = np.zeros((c, size), dtype=bool)
        for a in range(size - 1):
            for b in range(a + 1, size):
                drop[:, a] |= s[:, a] == s[:, b]
        return drop if bool(drop.any()) else None
    # Sort (source, position) pairs per row: equal neighbours are one
    # source's rows in order, and all but the last of them are superseded.
    pos_bits = max(size - 1, 0).bit_length()
    sp = s.astype(np.int64) << pos_bits
    sp |= np.arange(size)
    pad = np.iinfo(np.int64).max
    if valid is not None:
        sp[~valid] = pad
    sp.sort(axis=1)
    dup = (sp[:, 1:] >> pos_bits) == (sp[:, :-1] >> pos_bits)
    dup &= sp[:, 1:] != pad
    if not bool(dup.any()):
        return None
    r, j = np.nonzero(dup)
    drop = np.zeros((c, size), dtype=bool)
    drop[r, sp[r, j] & ((1 << pos_bits) - 1)] = True
    return drop
