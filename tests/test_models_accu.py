"""The Accu family (accu, pop-accu, accu-copy) against slow references, and
copy detection on tables with planted copiers."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscore.models import Accu, AccuCopy, Majority, PopAccu, get_model
from credscore.models.copying import MAX_COPY_RATE, estimate_copy_rate
from credscore.table.table import Table
from tests.reference_accu import accu_reference
from tests.test_copying import tables

MODELS = {"accu": Accu, "pop-accu": PopAccu, "accu-copy": AccuCopy}


@st.composite
def settings_for(draw: st.DrawFn, kind: str) -> dict[str, object]:
    out: dict[str, object] = {
        "initial_accuracy": draw(st.floats(0.05, 0.95)),
        "eps": draw(st.sampled_from([1e-3, 0.05])),
    }
    if kind != "pop-accu":
        out["n_false"] = draw(st.floats(1.0, 150.0))
        out["unobserved"] = draw(st.booleans())
    if kind == "accu-copy":
        out["alpha"] = draw(st.floats(0.05, 0.95))
        out["copy_rate"] = draw(st.none() | st.floats(0.05, 0.95))
        out["direction"] = draw(st.booleans())
        out["initial_dependence"] = draw(st.booleans())
        out["duplicate_min_claims"] = draw(st.sampled_from([None, 1, 2, 3]))
        out["min_shared"] = draw(st.sampled_from([1, 2, 3]))
        out["adversarial"] = draw(st.booleans())
    return out


@pytest.mark.parametrize("kind", sorted(MODELS))
@settings(max_examples=40)
@given(data=st.data(), t=tables(max_sources=5, max_objects=5))
def test_models_match_reference(kind: str, data: st.DataObject, t: Table) -> None:
    """With fixed iterations (tol=0) each model equals its per-object reference to 1e-9."""
    kw = data.draw(settings_for(kind))
    n_iter = data.draw(st.integers(1, 6))
    # accu-copy's reference is the paper's schedule (dependence re-judged
    # every iteration); the rounds schedule has its own test below.
    paper = {"schedule": "paper"} if kind == "accu-copy" else {}
    model = MODELS[kind](max_iter=n_iter, tol=0.0, **kw, **paper).fit(t)
    prob, acc, copies = accu_reference(t, n_iter, kind=kind, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(model.result.claim_probability, prob, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.reliability_, acc, rtol=0, atol=1e-9)
    if kind == "accu-copy":
        ids = t.source_ids.tolist()
        want = {(ids[i], ids[j]): p for (i, j), p in copies.items()}
        got = model.copy_pairs_
        assert set(got) == set(want)
        np.testing.assert_allclose(
            [got[k] for k in sorted(want)], [want[k] for k in sorted(want)], rtol=0, atol=1e-9
        )


@pytest.mark.parametrize(
    ("kind", "schedule"),
    [("accu", None), ("pop-accu", None), ("accu-copy", "paper"), ("accu-copy", "rounds")],
)
@settings(max_examples=40)
@given(data=st.data(), t=tables(max_sources=5, max_objects=5))
def test_models_with_gold_match_reference(
    kind: str, schedule: str | None, data: st.DataObject, t: Table
) -> None:
    """With gold, Accu, PopAccu and AccuCopy (both schedules) equal the
    reference that counts the known objects' claims as 1 (the known value)
    or 0 in every accuracy step and every judgement of copying but the
    first of the rounds, to 1e-9; the known objects come out at their value."""
    kw = data.draw(settings_for(kind))
    if schedule is not None:
        kw["schedule"] = schedule
    if schedule == "rounds":
        kw["copy_rounds"] = data.draw(st.integers(1, 4))
    n_iter = data.draw(st.integers(1, 6))
    chosen = data.draw(st.lists(st.integers(0, t.n_objects - 1), unique=True))
    by_index: dict[int, int] = {}
    gold: dict[object, object] = {}
    for o in chosen:
        lo, hi = int(t.object_start[o]), int(t.object_start[o + 1])
        c = data.draw(st.sampled_from([*range(lo, hi), -1]))  # -1: a value nobody gave
        by_index[o] = c
        gold[t.object_ids[o].item()] = t.claim_value[c].item() if c >= 0 else "nobody's"
    model = MODELS[kind](max_iter=n_iter, tol=0.0, **kw).fit(t, gold=gold)
    prob, acc, _ = accu_reference(t, n_iter, kind=kind, gold=by_index, **kw)  # type: ignore[arg-type]
    np.testing.assert_allclose(model.reliability_, acc, rtol=0, atol=1e-9)
    got = model.result.claim_probability
    for o in range(t.n_objects):
        lo, hi = int(t.object_start[o]), int(t.object_start[o + 1])
        if by_index.get(o, -1) >= 0:
            assert [got[c] for c in range(lo, hi)] == [
                float(c == by_index[o]) for c in range(lo, hi)
            ]
        else:
            np.testing.assert_allclose(got[lo:hi], prob[lo:hi], rtol=0, atol=1e-9)


@pytest.mark.parametrize("kind", sorted(MODELS))
@given(t=tables())
def test_probabilities_sum_to_one_per_object(kind: str, t: Table) -> None:
    """Claim probabilities lie in [0, 1] and sum to 1 within each object."""
    r = get_model(kind, max_iter=20, tol=0.0).fit_score(t)
    p = r.claim_probability
    assert np.all((p >= 0) & (p <= 1))
    sums = np.bincount(t.claim_object, weights=p, minlength=t.n_objects)
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    assert np.all((r.reliability > 0) & (r.reliability < 1))


@pytest.mark.parametrize("kind", sorted(MODELS))
@given(data=st.data(), t=tables())
def test_row_order_and_renaming_do_not_matter(kind: str, data: st.DataObject, t: Table) -> None:
    """Shuffling rows and renaming sources, objects and values (order kept) changes nothing."""
    src = t.source_ids[t.source].tolist()
    obj = t.object_ids[t.object].tolist()
    val = t.claim_value[t.claim].tolist()
    perm = data.draw(st.permutations(range(len(src))))
    t2 = Table.from_arrays(
        [f"src-{src[k]}" for k in perm],
        [f"obj-{obj[k]}" for k in perm],
        [val[k] + "!" for k in perm],
    )
    r1 = get_model(kind, max_iter=15, tol=0.0).fit_score(t)
    r2 = get_model(kind, max_iter=15, tol=0.0).fit_score(t2)
    np.testing.assert_allclose(r1.claim_probability, r2.claim_probability, atol=1e-12)
    np.testing.assert_allclose(r1.reliability, r2.reliability, atol=1e-12)


@given(
    t=tables(max_sources=5, max_objects=6),
    star=st.dictionaries(st.integers(0, 5), st.integers(0, 3), min_size=3),
    name=st.sampled_from(["0-copy", "zz-copy"]),
)
def test_exact_duplicate_source_keeps_accu_copy_truths(
    t: Table, star: dict[int, int], name: str
) -> None:
    """A source duplicated as an exact copy does not change accu-copy's truths."""
    src = t.source_ids[t.source].tolist() + ["star"] * len(star)
    obj = t.object_ids[t.object].tolist() + [f"o{o}" for o in star]
    val = t.claim_value[t.claim].tolist() + [f"v{v}" for v in star.values()]
    # At least duplicate_min_claims (3) claims, so the copy counts as exact.
    t1 = Table.from_arrays(src, obj, val)
    t2 = Table.from_arrays(
        src + [name] * len(star), obj + obj[-len(star) :], val + val[-len(star) :]
    )
    r1 = AccuCopy(max_iter=30, tol=0.0).fit_score(t1)
    model = AccuCopy(max_iter=30, tol=0.0).fit(t2)
    assert model.result.truths() == r1.truths()
    np.testing.assert_allclose(model.result.claim_probability, r1.claim_probability, atol=1e-12)
    assert model.copy_pairs_[tuple(sorted([name, "star"]))] == 1.0


@given(
    counts=st.tuples(*[st.floats(0, 50)] * 3),
    acc=st.floats(0.01, 0.99),
    n=st.floats(1, 100),
)
def test_estimated_copy_rate_maximises_the_likelihood(
    counts: tuple[float, float, float], acc: float, n: float
) -> None:
    """The estimated copy rate is at least as likely as every rate on a fine grid."""
    kt, kf, kd = (np.array([x]) for x in counts)
    c = float(estimate_copy_rate(kt, kf, kd, np.array([acc]), n)[0])
    assert 0.0 <= c <= MAX_COPY_RATE

    def loglik(c: float) -> float:
        return float(
            kt[0] * np.log1p(c * (1 - acc) / acc)
            + kf[0] * np.log1p(c * (n / (1 - acc) - 1))
            + kd[0] * np.log1p(-c)
        )

    best = max(loglik(x) for x in np.linspace(0, MAX_COPY_RATE, 2001))
    assert loglik(c) >= best - 1e-9


@given(
    st.lists(
        st.tuples(st.floats(0, 200), st.floats(0, 200), st.floats(0, 200), st.floats(0.01, 0.99)),
        min_size=1,
        max_size=20,
    ),
    st.floats(1, 100),
)
def test_copy_rate_is_the_bisection_root(
    rows: list[tuple[float, float, float, float]], n: float
) -> None:
    """The vectorised Newton solve gives, pair by pair, what 80 halvings of
    the bracket on the likelihood's slope give (plain Python), to 1e-12."""
    kt, kf, kd, acc = (np.array(col) for col in zip(*rows))
    got = estimate_copy_rate(kt, kf, kd, acc, n)
    for i, (t, f, d, A) in enumerate(rows):
        assert abs(got[i] - _bisect_copy_rate(t, f, d, A, n)) <= 1e-12


def _bisect_copy_rate(t: float, f: float, d: float, acc: float, n: float) -> float:
    """The copy rate by 80 halvings of [0, MAX_COPY_RATE] on the slope."""
    a, b = (1 - acc) / acc, n / (1 - acc) - 1

    def slope(c: float) -> float:
        return t * a / (1 + c * a) + f * b / (1 + c * b) - d / (1 - c)

    if slope(0.0) <= 0:
        return 0.0
    if slope(MAX_COPY_RATE) >= 0:
        return MAX_COPY_RATE
    lo, hi = 0.0, MAX_COPY_RATE
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if slope(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


def test_no_evidence_is_no_copy_rate() -> None:
    """A pair with nothing counted (a flat likelihood) gets rate 0, so that
    P(dependent) alone discounts no vote; it was the largest rate before."""
    zero = np.zeros(3)
    c = estimate_copy_rate(zero, zero, zero, np.array([0.3, 0.5, 0.9]), 10.0)
    assert c.tolist() == [0.0, 0.0, 0.0]


def planted(seed: int, n_objects: int = 200) -> tuple[Table, np.ndarray, set[tuple[str, str]]]:
    """3 independent honest sources (accuracy 0.9) against an unreliable one
    (accuracy 0.2) copied exactly by 3 others; 10 values per object.

    The planted pairs are all pairs within the copier group (each two of
    them are dependent). Copying must be exact for the truth to be
    identifiable at all: with copy rate r < 1, the mirror world where the
    four copiers are independent and accurate and the three honest sources
    copy an inaccurate one fits the table about as well.
    """
    from credscore.datasets import synthetic

    t, truth, _ = synthetic(
        n_sources=7,
        n_objects=n_objects,
        n_values=10,
        reliability=[0.9, 0.9, 0.9, 0.2, 0.2, 0.2, 0.2],
        copiers={3: [4, 5, 6]},
        copy_rate=1.0,
        seed=seed,
    )
    tv = np.array([truth[o] for o in t.object_ids.tolist()])
    group = {(f"s{a}", f"s{b}") for a, b in itertools.combinations([3, 4, 5, 6], 2)}
    return t, tv, group


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_accu_copy_beats_planted_copiers(seed: int) -> None:
    """Where majority falls below 50%, accu-copy recovers >= 95% of truths and finds
    the planted copying pairs with precision and recall >= 0.9."""
    t, tv, group = planted(seed)
    hard = Majority().fit_score(t).value != tv
    assert hard.mean() > 0.5  # the copiers outvote the honest sources
    for model in (Majority(), get_model("dawid-skene"), get_model("truthfinder")):
        assert (model.fit_score(t).value[hard] == tv[hard]).mean() < 0.5
    model = AccuCopy().fit(t)
    assert (model.result.value[hard] == tv[hard]).mean() >= 0.95
    found = {k for k, p in model.copy_pairs_.items() if p > 0.5}
    found = {tuple(sorted(k)) for k in found}
    assert len(found & group) >= 0.9 * len(group)
    assert len(found & group) >= 0.9 * len(found)


def test_settings_are_validated() -> None:
    """Out-of-range settings raise ValueError naming the setting."""
    for cls, bad in [
        (Accu, {"n_false": 0}),
        (Accu, {"initial_accuracy": 1.0}),
        (Accu, {"eps": 0.5}),
        (Accu, {"unobserved": 1}),
        (AccuCopy, {"alpha": 0}),
        (AccuCopy, {"copy_rate": 1.5}),
        (AccuCopy, {"direction": "yes"}),
        (AccuCopy, {"duplicate_min_claims": 0}),
        (AccuCopy, {"min_shared": 0}),
        (AccuCopy, {"min_shared": 2.5}),
        (AccuCopy, {"min_shared": True}),
    ]:
        with pytest.raises((ValueError, TypeError), match=next(iter(bad))):
            cls(**bad)


def test_copy_pairs_before_fit_raise() -> None:
    """copy_pairs_ on an unfitted model raises NotFittedError."""
    from credscore.errors import NotFittedError

    with pytest.raises(NotFittedError):
        _ = AccuCopy().copy_pairs_


DATA = Path(
    os.environ.get("CREDSCORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def load_or_skip(name: str) -> Any:
    from credscore import datasets

    try:
        return datasets.load(name, root=DATA)
    except datasets.DataNotFoundError:
        pytest.skip(f"data set {name!r} not found under {DATA}")


@pytest.mark.parametrize(
    ("dataset", "model", "bar"),
    [
        # Issue 4 bars (published: Accu 0.87 on books, AccuCopy 0.943 on the full Flight data).
        ("books", "pop-accu", 0.85),
        ("books", "accu-copy", 0.85),
        ("flights", "pop-accu", 0.88),
        ("flights", "accu-copy", 0.88),
        # Below the 0.85 bar (TruthFinder 85.04 on another version of the data): a guard.
        ("population", "accu", 0.80),
    ],
)
def test_accuracy_on_real_data(dataset: str, model: str, bar: float) -> None:
    """On the gold items of the real data sets, the Accu family reaches the bars."""
    ds = load_or_skip(dataset)
    result = get_model(model).fit_score(ds.table)
    assert ds.evaluate(result)["accuracy"] >= bar


@settings(max_examples=40)
@given(data=st.data(), t=tables(max_sources=5, max_objects=5))
def test_accu_copy_rounds_match_reference(data: st.DataObject, t: Table) -> None:
    """The rounds schedule (the default) equals its per-pair reference to 1e-9:
    neutral judgement, Accu with dependence held, judged again from the fused
    values."""
    kw = data.draw(settings_for("accu-copy"))
    kw["copy_rounds"] = data.draw(st.integers(1, 4))
    n_iter = data.draw(st.integers(1, 4))
    model = AccuCopy(max_iter=n_iter, tol=0.0, schedule="rounds", **kw).fit(t)
    prob, acc, copies = accu_reference(  # type: ignore[arg-type]
        t, n_iter, kind="accu-copy", schedule="rounds", **kw
    )
    np.testing.assert_allclose(model.result.claim_probability, prob, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.reliability_, acc, rtol=0, atol=1e-9)
    ids = t.source_ids.tolist()
    want = {(ids[i], ids[j]): p for (i, j), p in copies.items()}
    got = model.copy_pairs_
    assert set(got) == set(want)
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=0, atol=1e-9)


@given(t=tables(max_sources=5, max_objects=5), n_iter=st.integers(1, 5))
def test_accu_copy_without_candidate_pairs_is_accu(t: Table, n_iter: int) -> None:
    """With min_shared above every overlap no pair is judged: no vote is
    discounted, no pair is reported, and accu-copy equals accu."""
    kw: dict[str, Any] = {"max_iter": n_iter, "tol": 0.0, "n_false": 100.0}
    model = AccuCopy(min_shared=t.n_objects + 1, duplicate_min_claims=None, **kw).fit(t)
    plain = Accu(**kw).fit_score(t)
    assert model.copy_pairs_ == {}
    np.testing.assert_allclose(model.result.claim_probability, plain.claim_probability, atol=1e-12)
    np.testing.assert_allclose(model.reliability_, plain.reliability, atol=1e-12)
