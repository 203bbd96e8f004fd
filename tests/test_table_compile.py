"""The fast compilation paths (credscore.kernels.codes) agree with a slow reference.

Rows without times take :func:`credscore.kernels.codes.compile_by_object` (fastest
when they come sorted or grouped by object), consecutive integer labels
(codes ``0..k-1``) take :func:`credscore.kernels.codes.factorize_dense`; rows with times
take the general path. The tests generate inputs in every
order (grouped by object, fully sorted, nearly sorted, shuffled), with
repeated ``(source, object)`` pairs, and check each path against a
pure-Python reference, and the tables compiled with and without the fast
paths against each other, array for array and dtype for dtype.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore.kernels import codes as _codes
from credscore.kernels import segments as K
from credscore.table.table import Table

Rows = tuple[list[int], list[int], list[int], int, int, int]


def reference(
    src: list[int], obj: list[int], val: list[int], n_o: int
) -> tuple[list[int], list[int], list[int], list[int], list[int], list[int]]:
    """Last row per (source, object) wins; claims are the sorted distinct
    (object, value) pairs; assertions sorted by claim, then source."""
    last: dict[tuple[int, int], int] = {}
    for s, o, v in zip(src, obj, val):
        last[(s, o)] = v
    claims = sorted({(o, v) for (_, o), v in last.items()})
    index = {c: i for i, c in enumerate(claims)}
    assertions = sorted((index[(o, v)], s, o) for (s, o), v in last.items())
    start = [sum(1 for c in claims if c[0] < o) for o in range(n_o + 1)]
    return (
        [s for _, s, _ in assertions],
        [c for c, _, _ in assertions],
        [o for o, _ in claims],
        [v for _, v in claims],
        start,
        [o for _, _, o in assertions],
    )


@st.composite
def grouped_rows(draw: st.DrawFn) -> Rows:
    """Rows sorted by object, objects of mixed lengths (1 to 40 rows), with
    repeated sources within an object."""
    n_s = draw(st.integers(1, 12))
    n_v = draw(st.integers(1, 5))
    lengths = draw(
        st.lists(st.one_of(st.integers(1, 6), st.integers(7, 40)), min_size=1, max_size=12)
    )
    n_o = len(lengths) + draw(st.integers(0, 2))  # some codes may be unused
    objects = sorted(
        draw(
            st.lists(
                st.integers(0, n_o - 1), min_size=len(lengths), max_size=len(lengths), unique=True
            )
        )
    )
    obj = [o for o, m in zip(objects, lengths) for _ in range(m)]
    m = len(obj)
    src = draw(st.lists(st.integers(0, n_s - 1), min_size=m, max_size=m))
    val = draw(st.lists(st.integers(0, n_v - 1), min_size=m, max_size=m))
    if draw(st.booleans()):  # also fully sorted by (object, value, source)
        rows = sorted(zip(obj, val, src))
        obj, val, src = (list(x) for x in zip(*rows))
    return src, obj, val, n_s, n_o, n_v


@st.composite
def any_rows(draw: st.DrawFn) -> Rows:
    """Rows sorted by object, left as they are, with whole objects permuted
    (still grouped), nearly sorted (a few swaps) or shuffled."""
    src, obj, val, n_s, n_o, n_v = draw(grouped_rows())
    order = list(range(len(obj)))
    how = draw(st.sampled_from(["grouped", "blocks", "swapped", "shuffled"]))
    if how == "blocks":  # still grouped, objects out of order
        runs: dict[int, list[int]] = {}
        for k, o in enumerate(obj):
            runs.setdefault(o, []).append(k)
        order = [k for o in draw(st.permutations(sorted(runs))) for k in runs[o]]
    elif how == "swapped":
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(order) - 1))
            j = draw(st.integers(0, len(order) - 1))
            order[i], order[j] = order[j], order[i]
    elif how == "shuffled":
        order = draw(st.permutations(order))
    return [src[k] for k in order], [obj[k] for k in order], [val[k] for k in order], n_s, n_o, n_v


@contextlib.contextmanager
def thresholds(pairwise: int, exact: int, prefix: int) -> Iterator[None]:
    """Lower the fast paths' size thresholds, so small inputs use every branch."""
    before = (_codes.PAIRWISE_MAX, _codes.EXACT_MAX, _codes.FIRST_PREFIX)
    _codes.PAIRWISE_MAX, _codes.EXACT_MAX, _codes.FIRST_PREFIX = pairwise, exact, prefix
    try:
        yield
    finally:
        _codes.PAIRWISE_MAX, _codes.EXACT_MAX, _codes.FIRST_PREFIX = before


small_thresholds = st.tuples(
    st.sampled_from([1, 2, 3, 8]), st.sampled_from([2, 3, 5, 16]), st.sampled_from([1, 2, 65536])
)


@given(grouped_rows(), small_thresholds, st.sampled_from([np.int32, np.int64]))
def test_compile_by_object_matches_reference(
    case: Rows, limits: tuple[int, int, int], dtype: type
) -> None:
    """Rows sorted by object compile, on the fast path, to exactly the
    reference's assertions, claims and object offsets."""
    src, obj, val, n_s, n_o, n_v = case
    with thresholds(*limits):
        got = _codes.compile_by_object(
            np.array(src, dtype=dtype),
            np.array(obj, dtype=dtype),
            np.array(val, dtype=dtype),
            n_s,
            n_o,
            n_v,
        )
    assert got is not None
    assert [a.tolist() for a in got] == [list(e) for e in reference(src, obj, val, n_o)]
    assert [a.dtype for a in got] == [np.int32, np.int32, np.int32, np.int64, np.int64, np.int32]


@given(any_rows(), small_thresholds)
def test_compile_codes_matches_reference(case: Rows, limits: tuple[int, int, int]) -> None:
    """compile_codes and compile_by_object give the reference's layout
    whatever the row order."""
    src, obj, val, n_s, n_o, n_v = case
    args = (np.array(src), np.array(obj), np.array(val), n_s, n_o, n_v)
    with thresholds(*limits):
        got = K.compile_codes(*args)
        fast = _codes.compile_by_object(*args)
    expect = [list(e) for e in reference(src, obj, val, n_o)]
    assert [a.tolist() for a in got] == expect[:5]
    assert fast is not None
    assert [a.tolist() for a in fast] == expect


@given(any_rows())
def test_group_order_only_for_grouped_rows(case: Rows) -> None:
    """Rows are moved whole objects at a time exactly when each object's rows
    are contiguous, and the move puts them in object order keeping each
    object's rows in order."""
    _, obj, _, _, n_o, _ = case
    order = _codes._group_order(np.array(obj), n_o)
    runs = [o for k, o in enumerate(obj) if k == 0 or obj[k - 1] != o]
    assert (order is None) == (len(runs) != len(set(runs)))
    if order is not None:
        expect = sorted(range(len(obj)), key=lambda k: (obj[k], k))
        assert order.tolist() == expect


@given(any_rows())
def test_sort_order_is_stable_object_order(case: Rows) -> None:
    """The (object, row) key sort orders rows by object, then by row."""
    _, obj, _, _, n_o, _ = case
    order = _codes._sort_order(np.array(obj), n_o)
    assert order is not None
    assert order.tolist() == sorted(range(len(obj)), key=lambda k: (obj[k], k))


def _same_table(a: Table, b: Table) -> None:
    for field in (
        "source_ids",
        "object_ids",
        "claim_object",
        "claim_value",
        "object_start",
        "source",
        "claim",
        "object",
    ):
        x, y = getattr(a, field), getattr(b, field)
        assert x.dtype == y.dtype, field
        assert x.tolist() == y.tolist(), field
    assert a.numeric == b.numeric


@given(any_rows(), small_thresholds, st.booleans())
def test_fast_and_general_tables_are_equal(
    case: Rows, limits: tuple[int, int, int], as_strings: bool
) -> None:
    """A table compiled on the fast paths equals, array for array and dtype
    for dtype, the one compiled on the general path (equal times send the
    rows there with the same last-row-wins rule)."""
    src, obj, val, _, _, _ = case
    cols: list[Any] = [np.array(src), np.array(obj) * 3 + 7, np.array(val)]
    if as_strings:
        cols = [np.array([f"L{x:03d}" for x in c]) for c in cols]
    with thresholds(*limits):
        fast = Table.from_arrays(*cols, numeric=False)
    general = Table.from_arrays(*cols, time=np.zeros(len(src)), numeric=False)
    _same_table(fast, general)


@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=200),
    st.integers(-40, 40),
    st.sampled_from([1, 3, 65536]),
    st.booleans(),
)
def test_dense_codes_matches_reference(
    codes: list[int], offset: int, prefix: int, sort: bool
) -> None:
    """dense_codes says yes exactly when every integer from the least to the
    largest occurs."""
    labels = sorted(c + offset for c in codes) if sort else [c + offset for c in codes]
    lo, hi = min(labels), max(labels)
    with thresholds(_codes.PAIRWISE_MAX, _codes.EXACT_MAX, prefix):
        got = _codes.dense_codes(np.array(labels, dtype=np.int32), lo, hi)
    assert got == (set(labels) == set(range(lo, hi + 1)))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint32, np.int64])
def test_dense_codes_unsigned_and_wide(dtype: type) -> None:
    """A descending step in an unsigned array is not mistaken for a sorted one."""
    assert _codes.dense_codes(np.array([1, 0, 2], dtype=dtype), 0, 2)
    assert not _codes.dense_codes(np.array([2, 0, 2], dtype=dtype), 0, 2)
    assert not _codes.dense_codes(np.array([0, 2, 2], dtype=dtype), 0, 2)
    assert _codes.dense_codes(np.array([3, 1, 2], dtype=dtype), 1, 3)


int_dtypes = st.sampled_from(
    [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
)


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=60),
    int_dtypes,
    st.data(),
    st.sampled_from([1, 4, 65536]),
    st.booleans(),
)
def test_factorize_matches_unique(
    steps: list[int], dtype: type, data: st.DataObject, prefix: int, sort: bool
) -> None:
    """factorize of integer labels equals numpy.unique with the inverse, in
    ids, codes and dtypes, whether or not the labels are consecutive, for
    every integer dtype and offset (up to the dtype's extremes)."""
    info = np.iinfo(dtype)
    lo = data.draw(st.integers(int(info.min), int(info.max) - 6), label="lo")
    labels = [lo + s for s in steps]
    if sort:
        labels.sort()
    arr = np.array(labels, dtype=dtype)
    with thresholds(_codes.PAIRWISE_MAX, _codes.EXACT_MAX, prefix):
        ids, codes = K.factorize(arr)
    uniq, inv = np.unique(arr, return_inverse=True)
    assert ids.dtype == arr.dtype and codes.dtype == np.int32
    assert ids.tolist() == uniq.tolist() and codes.tolist() == inv.reshape(-1).tolist()


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.uint64])
def test_factorize_full_range_consecutive(dtype: type) -> None:
    """Consecutive labels spanning a small dtype's whole range, or at a wide
    dtype's top, factorize exactly."""
    info = np.iinfo(dtype)
    if np.dtype(dtype).itemsize == 1:
        arr = np.arange(int(info.min), int(info.max) + 1).astype(dtype)
    else:
        arr = np.arange(int(info.max) - 300, int(info.max), dtype=dtype)
    arr = arr[::-1].copy()
    assert arr.size in (256, 300) and int(arr.max()) >= int(info.max) - 1
    got = _codes.factorize_dense(arr, int(arr.min()), int(arr.max()))
    assert got is not None
    ids, codes = got
    uniq, inv = np.unique(arr, return_inverse=True)
    assert ids.dtype == arr.dtype and codes.dtype == np.int32
    assert ids.tolist() == uniq.tolist() and codes.tolist() == inv.tolist()


def test_one_long_object_and_superseded_rows() -> None:
    """An object with many rows (padded to a power of two) keeps each source's
    last value only, beside objects of other lengths."""
    rng = np.random.default_rng(5)
    lengths = [1, 3, 17, 40, 300, 2, 9]
    obj = np.repeat(np.arange(len(lengths)), lengths)
    src = rng.integers(0, 50, obj.size)
    val = rng.integers(0, 4, obj.size)
    got = _codes.compile_by_object(src, obj, val, 50, len(lengths), 4)
    assert got is not None
    expect = reference(src.tolist(), obj.tolist(), val.tolist(), len(lengths))
    assert [a.tolist() for a in got] == [list(e) for e in expect]
    assert got[0].size < obj.size  # 300 rows from 50 sources repeat some


def test_wide_keys_use_int64() -> None:
    """Value and source codes that do not fit an int32 key together still
    compile exactly."""
    n_s, n_v = 70_000, 40_000
    src = np.array([69_999, 0, 69_999, 5], dtype=np.int64)
    obj = np.array([0, 0, 0, 1], dtype=np.int64)
    val = np.array([39_999, 1, 2, 39_999], dtype=np.int64)
    got = _codes.compile_by_object(src, obj, val, n_s, 2, n_v)
    assert got is not None
    expect = reference(src.tolist(), obj.tolist(), val.tolist(), 2)
    assert [a.tolist() for a in got] == [list(e) for e in expect]


def test_input_arrays_stay_writable() -> None:
    """Compiling dense int32 codes does not make the caller's arrays read-only."""
    src = np.array([0, 1, 1], dtype=np.int32)
    obj = np.array([0, 0, 1], dtype=np.int32)
    val = np.array([1, 0, 0], dtype=np.int32)
    t = Table.from_arrays(src, obj, val, numeric=False)
    assert src.flags.writeable and obj.flags.writeable and val.flags.writeable
    assert not t.object.flags.writeable and not t.source.flags.writeable


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), max_size=12))
def test_concat_ranges_is_the_ranges_one_after_another(spans: list[tuple[int, int]]) -> None:
    """credscore.kernels.codes.concat_ranges (used by Table.append and the
    grouped-rows order) against a loop over Python ranges."""
    lo = np.array([a for a, _ in spans], dtype=np.int64)
    hi = np.array([a + n for a, n in spans], dtype=np.int64)
    want = [k for a, n in spans for k in range(a, a + n)]
    assert _codes.concat_ranges(lo, hi).tolist() == want
