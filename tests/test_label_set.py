"""``Table.with_label_set``: every label a candidate of every object.

Checked against a slow reference built from the rows (every (object, label)
pair a claim, the assertions unchanged), on generated tables; then what the
models do with claims nobody made.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_table import check_layout, decompile, reference_compile, rows_strategy

from credscore.errors import ConvergenceWarning, InvalidTableError
from credscore.models import available_models, get_model
from credscore.table import Table


def reference_label_set(rows: list[tuple[Any, Any, Any]], labels: list[Any]) -> dict[str, Any]:
    """The compiled table of ``rows``, with a claim for every (object, label)."""
    ref = reference_compile(rows)
    ref["claims"] = [(o, v) for o in ref["objects"] for v in sorted(labels)]
    return ref


def _layout_without_nonempty_claims(t: Table) -> None:
    """check_layout, except that a claim may have no assertions."""
    assert (np.diff(t.claim) >= 0).all()
    assert (np.diff(t.claim_object) >= 0).all()
    assert (t.object == t.claim_object[t.claim]).all()
    assert t.object_start[-1] == t.n_claims


@given(rows_strategy, st.sets(st.sampled_from(["x", "y", "z"])))
def test_label_set_matches_reference(rows: list[tuple[str, str, str]], extra: set[str]) -> None:
    t = Table.from_rows(rows)
    check_layout(t)
    # by default the values left once later rows superseded earlier ones;
    # given labels may add any others (here also the superseded ones)
    left = {v for _, v in reference_compile(rows)["claims"]}
    labels = sorted({v for _, _, v in rows} | extra) if extra else sorted(left)
    u = t.with_label_set(labels if extra else None)
    assert decompile(u) == reference_label_set(rows, labels)
    _layout_without_nonempty_claims(u)
    assert u.label_set and not t.label_set
    assert u.labels.tolist() == labels
    assert u.claim_value[u.object_start[:-1]].tolist() == [labels[0]] * u.n_objects
    # the labels cached at construction are those a fresh factorisation finds
    assert u.labels[u.claim_label].tolist() == u.claim_value.tolist()


@given(rows_strategy, rows_strategy)
def test_append_keeps_the_label_set(
    a: list[tuple[str, str, str]], b: list[tuple[str, str, str]]
) -> None:
    u = Table.from_rows(a).with_label_set().append(Table.from_rows(b))
    # the label set: the values left in either table (a later row can drop one)
    labels = sorted({v for part in (a, b) for _, v in reference_compile(part)["claims"]})
    assert u.label_set
    assert decompile(u) == reference_label_set(a + b, labels)


def test_integer_labels() -> None:
    t = Table.from_arrays(["s1", "s2"], ["x", "y"], [0, 2])
    u = t.with_label_set([0, 1, 2])
    assert u.integer_labels and u.claim_value.tolist() == [0, 1, 2, 0, 1, 2]
    assert u.claim.tolist() == [0, 5]


@pytest.mark.parametrize(
    ("table", "labels", "match"),
    [
        (Table.from_arrays(["s"], ["x"], [1.5], numeric=True), None, "value: a numeric table"),
        (Table.from_arrays(["s", "t"], ["x", "x"], ["a", "b"]), ["a"], "value 'b'"),
        (Table.from_arrays(["s"], ["x"], ["a"]), [1, 2], "labels: they are integers"),
        (Table.from_arrays(["s"], ["x"], ["a"]), [], "labels: expected a non-empty"),
    ],
)
def test_bad_label_sets_name_the_field(table: Table, labels: Any, match: str) -> None:
    with pytest.raises(InvalidTableError, match=match):
        table.with_label_set(labels)


def _crowd(seed: int) -> tuple[Table, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Labels "a", "b", "c"; no item is "b". Six good workers (right 90% of
    the time) answer items 0-259 with three biased workers, who answer "b"
    on every "a" item; items 260-299 ("a") only the biased workers answer.
    Returns the table, the truth and the mask of the items everybody
    called "b"."""
    rng = np.random.default_rng(seed)
    truth = np.where(np.arange(300) % 3 == 0, "c", "a")
    truth[260:] = "a"
    src, obj, val = [], [], []
    for o in range(300):
        workers = [f"b{j}" for j in range(3)]
        if o < 260:
            workers += [f"g{j}" for j in rng.choice(6, size=3, replace=False)]
        for w in workers:
            if w.startswith("b"):
                v = "b" if truth[o] == "a" else "c"
            else:
                v = truth[o] if rng.random() < 0.9 else str(rng.choice(["a", "b", "c"]))
            src.append(w)
            obj.append(f"q{o:03d}")
            val.append(v)
    everyone_b = np.zeros(300, dtype=bool)
    everyone_b[260:] = True
    return Table.from_arrays(src, obj, val), truth, everyone_b


def test_dawid_skene_returns_a_label_nobody_gave() -> None:
    """On the label set, an item answered "b" by everyone can be "a": the
    workers' confusion says so. On the claims alone it cannot."""
    t, truth, everyone_b = _crowd(0)
    u = t.with_label_set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_claims = get_model("dawid-skene").fit_score(t)
        on_set = get_model("dawid-skene").fit_score(u)
    assert (on_claims.value[everyone_b] == "b").all()
    assert (on_set.value[everyone_b] == "a").all()
    assert (on_set.value == truth).mean() > (on_claims.value == truth).mean() + 0.01


@pytest.mark.parametrize("name", [m for m in available_models() if m not in ("mean", "median")])
def test_models_give_claims_nobody_made_a_probability(name: str) -> None:
    """Every categorical model fits a label-set table: probabilities in [0, 1]
    summing to 1 per object, and the same fused values wherever its fit has
    nothing per label (a claim nobody made then gets no support)."""
    t, _, _ = _crowd(1)
    u = t.with_label_set(["a", "b", "c", "d"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = get_model(name).fit_score(u)
    p = r.claim_probability
    assert p.shape == (u.n_claims,) and np.isfinite(p).all()
    assert ((p >= 0) & (p <= 1 + 1e-12)).all()
    np.testing.assert_allclose(np.add.reduceat(p, u.object_start[:-1]), 1.0, atol=1e-9)
    # "d": nobody's answer on any item, and no model rates it above a claim made
    d = u.claim_value == "d"
    assert p[d].max() <= p.max()
    if name in (
        "majority",
        "sums",
        "average-log",
        "investment",
        "pooled-investment",
        "crh",
        "catd",
    ):
        assert (p[np.setdiff1d(np.arange(u.n_claims), u.claim)] == 0).all()
