"""Copy detection between sources (credscore.models.copying)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore.errors import InvalidTableError
from credscore.kernels import backend as B
from credscore.models import copying
from credscore.models.copying import copy_probabilities
from credscore.table.table import Table
from tests.backends import BACKENDS
from tests.reference_accu import directed_copy_probabilities


@st.composite
def tables(draw: st.DrawFn, max_sources: int = 6, max_objects: int = 6) -> Table:
    """Small categorical tables: each source covers a random subset of objects."""
    n_s = draw(st.integers(1, max_sources))
    n_o = draw(st.integers(1, max_objects))
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, n_s - 1), st.integers(0, n_o - 1), st.integers(0, 3)),
            min_size=1,
            max_size=n_s * n_o,
            unique_by=lambda r: (r[0], r[1]),
        )
    )
    return Table.from_rows([(f"s{s}", f"o{o}", f"v{v}") for s, o, v in cells])


def probability_inputs(draw: st.DrawFn, t: Table) -> tuple[list[float], list[float]]:
    unit = st.floats(0.0, 1.0)
    prob = draw(st.lists(unit, min_size=t.n_claims, max_size=t.n_claims))
    acc = draw(st.lists(unit, min_size=t.n_sources, max_size=t.n_sources))
    return prob, acc


@given(data=st.data(), t=tables())
def test_copy_probabilities_match_reference(data: st.DataObject, t: Table) -> None:
    """The vectorised posterior equals the per-pair, per-object formula of the paper."""
    prob, acc = probability_inputs(data.draw, t)
    alpha = data.draw(st.floats(0.01, 0.99))
    c = data.draw(st.none() | st.floats(0.01, 0.99))
    n = data.draw(st.floats(1.0, 200.0))
    m = data.draw(st.integers(1, 4))
    i, j, p = copy_probabilities(
        t, prob, acc, alpha=alpha, copy_rate=c, n_false=n, eps=1e-3, min_shared=m
    )
    ref = directed_copy_probabilities(t, prob, acc, alpha, c, n, 1e-3, min_shared=m)
    assert sorted(ref) == list(zip(i.tolist(), j.tolist()))
    expected = np.array([a + b for a, b in (ref[k] for k in sorted(ref))])
    np.testing.assert_allclose(p, expected.reshape(p.shape), rtol=0, atol=1e-9)


@given(t=tables(), m=st.integers(1, 4))
def test_pairs_are_exactly_the_sources_sharing_min_shared_objects(t: Table, m: int) -> None:
    """Candidate pairs are i < j and share at least min_shared objects; no other
    pair is listed."""
    i, j = copying.candidate_pairs(t, min_shared=m)
    covered = {(int(s), int(o)) for s, o in zip(t.source, t.object)}
    expected = {
        (a, b)
        for a in range(t.n_sources)
        for b in range(a + 1, t.n_sources)
        if sum((a, o) in covered and (b, o) in covered for o in range(t.n_objects)) >= m
    }
    assert set(zip(i.tolist(), j.tolist())) == expected
    assert len(i) == len(expected)
    assert np.all(np.diff(i * t.n_sources + j) > 0)  # sorted


@pytest.mark.parametrize("backend", BACKENDS)
@given(
    t=tables(max_sources=8, max_objects=8),
    m=st.integers(1, 3),
    block=st.integers(1, 40),
    data=st.data(),
)
def test_candidate_cooccurrences_are_those_of_the_kept_pairs_in_any_block_size(
    backend: str, t: Table, m: int, block: int, data: st.DataObject
) -> None:
    """Block by block or all at once (in numpy), or in the compiled pass, the
    kept co-occurrences are exactly the pairs of assertions on one object by
    two non-excluded sources of a kept pair, lower source first;
    cooccurrences_of finds the same from the keys."""
    exclude = np.array(
        data.draw(st.lists(st.booleans(), min_size=t.n_sources, max_size=t.n_sources))
    )
    dense = data.draw(st.sampled_from([None, True, False]))
    with B.use_backend(backend):
        keys, first, second, pair = copying.candidate_cooccurrences(
            t, m, exclude=exclude, block=block, dense=dense
        )
    n = t.n_sources
    src, obj = t.source.tolist(), t.object.tolist()
    shared: dict[tuple[int, int], int] = {}
    for a in range(t.n_assertions):
        for b in range(t.n_assertions):
            s, r = src[a], src[b]
            if obj[a] == obj[b] and s < r and not exclude[s] and not exclude[r]:
                shared[s, r] = shared.get((s, r), 0) + 1
    kept = sorted(p for p, c in shared.items() if c >= m)
    assert keys.tolist() == [s * n + r for s, r in kept]
    want = sorted(
        (a, b)
        for a in range(t.n_assertions)
        for b in range(t.n_assertions)
        if obj[a] == obj[b] and (src[a], src[b]) in set(kept)
    )
    got = sorted(zip(first.tolist(), second.tolist()))
    assert got == want
    assert [kept[k] for k in pair.tolist()] == [(src[a], src[b]) for a, b in zip(first, second)]
    f2, s2, p2 = copying.cooccurrences_of(t, keys, block=block)
    assert sorted(zip(f2.tolist(), s2.tolist(), p2.tolist())) == sorted(
        zip(first.tolist(), second.tolist(), pair.tolist())
    )


def test_min_shared_is_validated() -> None:
    """min_shared must be an integer >= 1; the error names it."""
    t = Table.from_rows([("a", 1, "x"), ("b", 1, "y")])
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="min_shared"):
            copy_probabilities(t, [0.5, 0.5], [0.5, 0.5], min_shared=bad)


@given(data=st.data(), t=tables())
def test_independence_weights_are_a_product_over_earlier_agreeing_sources(
    data: st.DataObject, t: Table
) -> None:
    """log I(S, v) = sum, over the sources S' giving v that come before S in the order,
    of log(1 - c P(S copies S'))."""
    first, second = copying.cooccurrences(t)
    keys = copying.pair_keys(t, first, second)
    uniq, pair = np.unique(keys, return_inverse=True)
    n_p = uniq.shape[0]
    unit = st.floats(0.0, 0.99)
    d_ij = np.array(data.draw(st.lists(unit, min_size=n_p, max_size=n_p)))
    d_ji = np.array(data.draw(st.lists(unit, min_size=n_p, max_size=n_p)))
    acc = np.array(
        data.draw(
            st.lists(st.sampled_from([0.2, 0.5, 0.9]), min_size=t.n_sources, max_size=t.n_sources)
        )
    )
    size = np.bincount(t.source, minlength=t.n_sources)
    rank = copying.source_rank(acc, size)
    got = copying.independence_log_weight(t, first, second, pair.reshape(-1), d_ij, d_ji, rank)
    pair_of = {(int(k // t.n_sources), int(k % t.n_sources)): n for n, k in enumerate(uniq)}
    order = sorted(range(t.n_sources), key=lambda s: (-size[s], -acc[s], s))
    src, clm = t.source.tolist(), t.claim.tolist()
    for a in range(t.n_assertions):
        want = 0.0
        for b in range(t.n_assertions):
            s, o = src[a], src[b]
            if b != a and clm[b] == clm[a] and order.index(o) < order.index(s):
                k = pair_of[min(s, o), max(s, o)]
                want += np.log1p(-(d_ij[k] if s < o else d_ji[k]))
        assert abs(got[a] - want) < 1e-12


def test_shared_false_values_reveal_copiers() -> None:
    """Two sources repeating the same false values are dependent; honest agreement is not."""
    rows = []
    for o in range(20):
        rows += [("h1", o, "t"), ("h2", o, "t"), ("h3", o, "t" if o % 4 else "x")]
        rows += [("bad", o, f"f{o}"), ("copy", o, f"f{o}")]
    t = Table.from_rows(rows)
    prob = np.where(np.char.startswith(t.claim_value.astype(str), "f"), 0.0, 1.0)
    prob[t.claim_value == "x"] = 0.0
    acc = np.array([0.05, 0.05, 0.95, 0.95, 0.8])  # bad, copy, h1, h2, h3 (sorted ids)
    i, j, p = copy_probabilities(t, prob, acc)
    ids = t.source_ids
    got = {(str(ids[a]), str(ids[b])): float(q) for a, b, q in zip(i, j, p)}
    assert got["bad", "copy"] > 0.999
    honest = [v for k, v in got.items() if k != ("bad", "copy")]
    assert max(honest) < 0.5


def test_bad_inputs_name_the_field() -> None:
    """Wrong shapes, values outside [0, 1] and bad settings raise errors naming the field."""
    t = Table.from_rows([("a", 1, "x"), ("b", 1, "y")])
    with pytest.raises(InvalidTableError, match="claim_probability"):
        copy_probabilities(t, [0.5], [0.5, 0.5])
    with pytest.raises(InvalidTableError, match=r"reliability: source 'b'"):
        copy_probabilities(t, [0.5, 0.5], [0.5, 1.5])
    with pytest.raises(InvalidTableError, match="claim_probability"):
        copy_probabilities(t, [0.5, float("nan")], [0.5, 0.5])
    for setting in ({"alpha": 0.0}, {"copy_rate": 1.0}, {"n_false": 0}, {"eps": 0.7}):
        with pytest.raises(ValueError, match=next(iter(setting))):
            copy_probabilities(t, [0.5, 0.5], [0.5, 0.5], **setting)


def test_extreme_accuracies_stay_finite() -> None:
    """Accuracies of exactly 0 and 1 are clipped: no NaN, no warning."""
    t = Table.from_rows([(s, o, "v") for s in "abc" for o in range(50)])
    _, _, p = copy_probabilities(t, np.zeros(t.n_claims), [0.0, 1.0, 1.0])
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))


@pytest.mark.parametrize("dense", [True, False])
def test_sources_split_in_pieces_give_the_same_pairs(dense: bool) -> None:
    """With a small block every source is generated in several pieces; the
    counts added up over the pieces keep the same pairs and co-occurrences
    as one block holding everything."""
    rng = np.random.default_rng(1)
    src, obj = rng.integers(0, 30, 3000), rng.integers(0, 200, 3000)
    _, first_row = np.unique(obj * 100 + src, return_index=True)
    t = Table.from_arrays(src[first_row], obj[first_row], rng.integers(0, 3, first_row.size))
    assert max(len(pieces) for _, _, pieces in copying._blocks(t, 50, None)) > 1
    exclude = np.zeros(t.n_sources, dtype=bool)
    exclude[[3, 7]] = True
    with B.use_backend("numpy"):  # the blocks are numpy's (numba counts in one pass)
        whole = copying.candidate_cooccurrences(t, 2, exclude=exclude, block=10**9)
        split = copying.candidate_cooccurrences(t, 2, exclude=exclude, block=50, dense=dense)
    assert split[0].tolist() == whole[0].tolist()
    assert sorted(zip(*(x.tolist() for x in split[1:]))) == sorted(
        zip(*(x.tolist() for x in whole[1:]))
    )
    f, s, p = copying.cooccurrences_of(t, whole[0], block=50)
    assert sorted(zip(f.tolist(), s.tolist(), p.tolist())) == sorted(
        zip(*(x.tolist() for x in whole[1:]))
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_exclude_of_the_wrong_length_is_refused(backend: str) -> None:
    """exclude holds one flag per source; another length is a named error (the
    compiled pass would otherwise read past its end)."""
    t = Table.from_rows([("a", 1, "x"), ("b", 1, "x"), ("c", 1, "y")])
    with B.use_backend(backend), pytest.raises(ValueError, match="exclude: expected 3 flags"):
        copying.candidate_cooccurrences(t, 1, exclude=[False, True])
