"""The array kernels of credscore.kernels.segments agree with slow, obviously correct
pure-Python references, on the numpy path and (when installed) the numba path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore.kernels import backend as B
from credscore.kernels import segments as K

try:
    import numba  # noqa: F401

    HAVE_NUMBA = True
except ImportError:
    HAVE_NUMBA = False

BACKENDS = [
    "numpy",
    pytest.param("numba", marks=pytest.mark.skipif(not HAVE_NUMBA, reason="numba missing")),
]
TOL = 1e-9

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@st.composite
def segments(draw: st.DrawFn, allow_empty: bool = True) -> tuple[list[float], list[int]]:
    """Values and CSR offsets of a random segmentation."""
    lengths = draw(st.lists(st.integers(0 if allow_empty else 1, 5), min_size=0, max_size=12))
    n = sum(lengths)
    x = draw(st.lists(finite, min_size=n, max_size=n))
    start = [0]
    for ln in lengths:
        start.append(start[-1] + ln)
    return x, start


@st.composite
def gathers(draw: st.DrawFn) -> tuple[list[int], list[float], list[int], int]:
    n = draw(st.integers(1, 8))
    n_values = draw(st.integers(1, 8))
    m = draw(st.integers(0, 40))
    index = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    gather = draw(st.lists(st.integers(0, n_values - 1), min_size=m, max_size=m))
    values = draw(st.lists(finite, min_size=n_values, max_size=n_values))
    return index, values, gather, n


# -- pure-Python references ------------------------------------------------


def ref_gather_sum(
    index: list[int], values: list[float], gather: list[int], n: int
) -> list[float]:
    out = [0.0] * n
    for i, g in zip(index, gather):
        out[i] += values[g]
    return out


def ref_segments(x: list[float], start: list[int]) -> list[list[float]]:
    return [x[start[i] : start[i + 1]] for i in range(len(start) - 1)]


def ref_normalize(x: list[float], start: list[int]) -> list[float]:
    out: list[float] = []
    for seg in ref_segments(x, start):
        s = sum(seg)
        out += [v / s for v in seg] if s > 0 else [1.0 / len(seg)] * len(seg)
    return out


def ref_softmax(x: list[float], start: list[int]) -> list[float]:
    out: list[float] = []
    for seg in ref_segments(x, start):
        m = max(seg, default=0.0)
        e = [math.exp(v - m) for v in seg]
        out += [v / sum(e) for v in e]
    return out


def ref_argmax(x: list[float], start: list[int]) -> list[int]:
    out = []
    for i, seg in enumerate(ref_segments(x, start)):
        best = max(range(len(seg)), key=lambda j: (seg[j], -j))
        out.append(start[i] + best)
    return out


def close(a: object, b: object) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=TOL, atol=TOL))


# -- properties --------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@given(gathers())
def test_gather_sum(backend: str, case: tuple[list[int], list[float], list[int], int]) -> None:
    """gather_sum adds values[gather[a]] into out[index[a]], for int32 and int64 indices."""
    index, values, gather, n = case
    with B.use_backend(backend):
        for dtype in (np.int32, np.int64):
            got = K.gather_sum(
                np.array(index, dtype=dtype), np.array(values), np.array(gather, dtype=dtype), n
            )
            assert got.shape == (n,)
            assert close(got, ref_gather_sum(index, values, gather, n))


@pytest.mark.parametrize("backend", BACKENDS)
@given(segments())
def test_segment_sum_and_max(backend: str, case: tuple[list[float], list[int]]) -> None:
    """segment_sum and segment_max reduce each segment; empty ones give 0 and -inf."""
    x, start = case
    segs = ref_segments(x, start)
    with B.use_backend(backend):
        s = K.segment_sum(np.array(x, dtype=float), np.array(start))
        m = K.segment_max(np.array(x, dtype=float), np.array(start))
    assert close(s, [sum(seg) for seg in segs])
    assert m.tolist() == [max(seg, default=-math.inf) for seg in segs]


@pytest.mark.parametrize("backend", BACKENDS)
@given(segments(), st.integers(1, 3))
def test_segment_sum_rows(backend: str, case: tuple[list[float], list[int]], k: int) -> None:
    """segment_sum of a 2-d array sums whole rows within each segment."""
    x, start = case
    rows = [[v * (j + 1) for j in range(k)] for v in x]
    expect = [
        [sum(rows[a][j] for a in range(start[i], start[i + 1])) for j in range(k)]
        for i in range(len(start) - 1)
    ]
    with B.use_backend(backend):
        got = K.segment_sum(np.array(rows, dtype=float).reshape(len(x), k), np.array(start))
    assert got.shape == (len(start) - 1, k)
    assert close(got, np.array(expect, dtype=float).reshape(-1, k))


@pytest.mark.parametrize("backend", BACKENDS)
@given(segments(allow_empty=False))
def test_segment_normalize(backend: str, case: tuple[list[float], list[int]]) -> None:
    """segment_normalize divides by the segment sum, or is uniform when it is <= 0."""
    x, start = case
    x = [abs(v) if i % 3 else 0.0 for i, v in enumerate(x)]  # non-negative, some zero sums
    with B.use_backend(backend):
        got = K.segment_normalize(np.array(x, dtype=float), np.array(start))
    assert close(got, ref_normalize(x, start))


@pytest.mark.parametrize("backend", BACKENDS)
@given(segments(), st.sampled_from([1.0, 30.0]))
def test_segment_softmax(backend: str, case: tuple[list[float], list[int]], scale: float) -> None:
    """segment_softmax is exp normalised within each segment, stable at large scores."""
    x, start = case
    x = [v * scale for v in x]
    with B.use_backend(backend):
        got = K.segment_softmax(np.array(x, dtype=float), np.array(start))
    assert close(got, ref_softmax(x, start))


@pytest.mark.parametrize("backend", BACKENDS)
@given(segments(allow_empty=False), st.booleans())
def test_segment_argmax(backend: str, case: tuple[list[float], list[int]], ties: bool) -> None:
    """segment_argmax gives the first maximum of each segment."""
    x, start = case
    if ties:
        x = [float(round(v / 25)) for v in x]  # few distinct values: many ties
    with B.use_backend(backend):
        got = K.segment_argmax(np.array(x, dtype=float), np.array(start))
    assert got.tolist() == ref_argmax(x, start)


@given(
    st.one_of(
        st.lists(st.integers(-5, 40), min_size=1, max_size=30),
        st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=30),
        st.lists(st.sampled_from(["a", "b", "zz", ""]), min_size=1, max_size=30),
    )
)
def test_factorize(labels: list[object]) -> None:
    """factorize gives the sorted distinct labels and each entry's position among them."""
    ids, codes = K.factorize(np.array(labels))
    expect_ids = sorted(set(labels))  # type: ignore[type-var]
    assert ids.tolist() == expect_ids
    assert codes.dtype == np.int32
    assert codes.tolist() == [expect_ids.index(v) for v in labels]


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.uint64])
def test_factorize_small_and_unsigned_ints(dtype: type) -> None:
    """factorize is exact for every integer width, including the full range of int8."""
    info = np.iinfo(dtype)
    labels = [int(info.max), int(info.min), int(info.min), 0, int(info.max)]
    ids, codes = K.factorize(np.array(labels, dtype=dtype))
    assert ids.dtype == dtype
    assert ids.tolist() == sorted(set(labels))
    assert codes.tolist() == [sorted(set(labels)).index(v) for v in labels]


def test_backend_choice() -> None:
    """An unknown backend is refused; use_backend restores the previous choice."""
    with pytest.raises(ValueError, match="backend"):
        B.set_backend("fortran")
    before = B.backend()
    with B.use_backend("numpy"):
        assert B.backend() == "numpy"
    assert B.backend() == before
    if HAVE_NUMBA:
        with B.use_backend("numba"):
            assert B.backend() == "numba"


@st.composite
def coded_rows(
    draw: st.DrawFn,
) -> tuple[list[int], list[int], list[int], list[int], int, int, int]:
    n_s, n_o, n_v = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    m = draw(st.integers(1, 30))
    src = draw(st.lists(st.integers(0, n_s - 1), min_size=m, max_size=m))
    obj = draw(st.lists(st.integers(0, n_o - 1), min_size=m, max_size=m))
    val = draw(st.lists(st.integers(0, n_v - 1), min_size=m, max_size=m))
    tim = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    return src, obj, val, tim, n_s, n_o, n_v


def ref_compile(
    src: list[int], obj: list[int], val: list[int], tim: list[int] | None, n_o: int
) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """Last row per (source, object) by (time, row); claims sorted; assertions by claim, source."""
    latest: dict[tuple[int, int], tuple[tuple[int, int], int]] = {}
    for row, (s, o, v) in enumerate(zip(src, obj, val)):
        rank = (tim[row] if tim is not None else 0, row)
        if (s, o) not in latest or rank > latest[(s, o)][0]:
            latest[(s, o)] = (rank, v)
    claims = sorted({(o, v) for (s, o), (_, v) in latest.items()})
    index = {c: i for i, c in enumerate(claims)}
    assertions = sorted((index[(o, v)], s) for (s, o), (_, v) in latest.items())
    start = [sum(1 for c in claims if c[0] < o) for o in range(n_o + 1)]
    return (
        [s for _, s in assertions],
        [c for c, _ in assertions],
        [o for o, _ in claims],
        [v for _, v in claims],
        start,
    )


@given(coded_rows(), st.booleans())
def test_compile_codes(
    case: tuple[list[int], list[int], list[int], list[int], int, int, int], timed: bool
) -> None:
    """compile_codes keeps the latest row per (source, object) and sorts claims and assertions."""
    src, obj, val, tim, n_s, n_o, n_v = case
    got = K.compile_codes(
        np.array(src, dtype=np.int32),
        np.array(obj, dtype=np.int32),
        np.array(val, dtype=np.int32),
        n_s,
        n_o,
        n_v,
        time=np.array(tim) if timed else None,
    )
    expect = ref_compile(src, obj, val, tim if timed else None, n_o)
    assert [a.tolist() for a in got] == [list(e) for e in expect]


@pytest.mark.parametrize("backend", BACKENDS)
@given(gathers())
def test_sums_step(backend: str, case: tuple[list[int], list[float], list[int], int]) -> None:
    """sums_step adds, for each source, the trust-sums of the claims it makes."""
    claim_unsorted, trust, source_unsorted, n_claims = case
    pairs = sorted(zip(claim_unsorted, source_unsorted))
    claim = [c for c, _ in pairs]
    source = [s for _, s in pairs]
    n_sources = len(trust)
    belief = ref_gather_sum(claim, trust, source, n_claims)
    expect = ref_gather_sum(source, belief, claim, n_sources)
    cache: dict[str, object] = {}
    with B.use_backend(backend):
        for _ in range(2):  # the second call reuses the cache
            got = K.sums_step(
                np.array(source, dtype=np.int32),
                np.array(claim, dtype=np.int32),
                np.array(trust),
                n_claims,
                n_sources,
                cache=cache,
            )
            assert close(got, expect)
