"""Majority vote agrees with a slow, obviously correct pure-Python vote count."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscore.models import Majority
from credscore.models.voting import _first_most_votes
from credscore.table.table import Table

Row = tuple[int, int, int]


def reference_majority(
    rows: list[Row],
) -> tuple[dict[tuple[int, int], float], dict[int, int], dict[int, float]]:
    """Votes per (object, value) after the last row of each (source, object)
    wins; the winner is the most voted value, the smallest on a tie; a
    source's reliability is the share of its values equal to the winner."""
    last = {(s, o): v for s, o, v in rows}
    votes: Counter[tuple[int, int]] = Counter((o, v) for (_, o), v in last.items())
    per_object: Counter[int] = Counter()
    for (o, _), c in votes.items():
        per_object[o] += c
    prob = {(o, v): c / per_object[o] for (o, v), c in votes.items()}
    winner = {}
    for o in per_object:
        cands = sorted(v for (oo, v) in votes if oo == o)
        winner[o] = max(cands, key=lambda v: (votes[(o, v)], -v))
    agree: defaultdict[int, int] = defaultdict(int)
    total: defaultdict[int, int] = defaultdict(int)
    for (s, o), v in last.items():
        total[s] += 1
        agree[s] += v == winner[o]
    return prob, winner, {s: agree[s] / total[s] for s in total}


rows_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=60
)


@given(rows_strategy, st.booleans())
def test_majority_matches_reference(rows: list[Row], by_object: bool) -> None:
    """Majority's probabilities, winners (first value on a tie) and source
    reliabilities equal the plain vote count's, whatever the row order."""
    if by_object:
        rows = sorted(rows, key=lambda r: r[1])  # grouped by object: the fast compile path
    src, obj, val = (np.array(c) for c in zip(*rows))
    table = Table.from_arrays(src, obj, val, numeric=False)
    result = Majority().fit_score(table)
    prob, winner, reliability = reference_majority(rows)
    objects = table.object_ids[table.claim_object].tolist()
    got_prob = dict(zip(zip(objects, table.claim_value.tolist()), result.claim_probability))
    assert got_prob.keys() == prob.keys()
    for key, p in prob.items():
        assert got_prob[key] == pytest.approx(p, abs=1e-12)
    assert result.truths() == winner
    got_rel = result.reliabilities()
    assert got_rel.keys() == reliability.keys()
    for s, r in reliability.items():
        assert got_rel[s] == pytest.approx(r, abs=1e-12)


@given(st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=6), min_size=1, max_size=20))
def test_first_most_votes_is_first_argmax(objects: list[list[int]]) -> None:
    """The packed maximum finds each object's first claim with the most votes."""
    count = np.array([c for obj in objects for c in obj], dtype=np.int64)
    start = np.cumsum([0] + [len(obj) for obj in objects]).astype(np.int64)
    got = _first_most_votes(count, start)
    assert got is not None
    expect = [int(start[i]) + obj.index(max(obj)) for i, obj in enumerate(objects)]
    assert got.tolist() == expect


def test_first_most_votes_declines_empty_objects() -> None:
    """An object without claims sends the vote to the general argmax."""
    assert _first_most_votes(np.array([3, 1]), np.array([0, 2, 2])) is None
    assert _first_most_votes(np.zeros(0, dtype=np.int64), np.array([0])) is None
