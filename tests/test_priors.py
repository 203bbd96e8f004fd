"""Known sources: learned reliability priors per source group, declared copiers,
and the population loader's editor kinds."""

from __future__ import annotations

import itertools
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import reference_priors as ref
from hypothesis import given
from hypothesis import strategies as st
from test_models_corroboration import VARIANTS, variant

from credscore.datasets import editor_kind, load_population
from credscore.errors import ConvergenceWarning, InvalidTableError
from credscore.models import Corroboration
from credscore.models._priors import (
    copied_llr,
    copier_rates,
    group_index,
    group_shrinkage,
    shared_claim,
)
from credscore.models.corroboration import confirmation_llr
from credscore.table.table import Table

DATA = Path(
    os.environ.get("CREDSCORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)

# -- editor kinds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("0 (68.162.248.83)", "anonymous"),
        ("contributor #0 (130.13.0.68)", "anonymous"),
        ("2001:db8::1", "anonymous"),
        ("10.0.0.1", "anonymous"),
        ("5512121: CapitalBot", "bot"),
        ("contributor #5512121: capitalbot", "bot"),
        ("1879647: VoABot II", "bot"),
        ("5277842: Kotbot", "bot"),
        ("3729068: BOTijo", "bot"),
        ("129912: Water Bottle", "registered"),
        ("620554: Harpchad", "registered"),
        ("contributor #201610: pentawing", "registered"),
        ("1722939: 055203", "registered"),
    ],
)
def test_editor_kind(name: str, kind: str) -> None:
    assert editor_kind(name) == kind


def test_population_loader_gives_editor_kinds() -> None:
    """On the DAFNA-EA file: 1,747 anonymous editors, 14 bots (CapitalBot among
    them), the rest registered; every source has a kind."""
    if not (DATA / "truth" / "population").is_dir():
        pytest.skip(f"no population data under {DATA}")
    ds = load_population(DATA / "truth" / "population")
    assert ds.source_groups is not None
    assert set(ds.source_groups) == set(ds.table.source_ids.tolist())
    kinds = list(ds.source_groups.values())
    assert kinds.count("anonymous") == 1747
    assert kinds.count("bot") == 14
    assert ds.source_groups["5512121: CapitalBot"] == "bot"
    assert "1747 anonymous" in ds.description


# -- group shrinkage and copied ratios against the references --------------------


@given(
    st.lists(
        st.tuples(
            st.floats(-5, 20, allow_nan=False),
            st.floats(0, 20, allow_nan=False),
            st.integers(-1, 3),
        ),
        min_size=1,
        max_size=12,
    ),
    st.floats(0.01, 0.99),
    st.floats(0.1, 10),
)
def test_group_shrinkage_matches_reference(
    data: list[tuple[float, float, int]], mean: float, strength: float
) -> None:
    num = np.array([d[0] for d in data])
    den = np.array([d[1] for d in data])
    group = np.array([d[2] for d in data], dtype=np.int64)
    est, means = group_shrinkage(num, den, group, 4, mean, strength)
    want, want_means = ref.group_shrinkage_ref(num, den, group.tolist(), mean, strength)
    np.testing.assert_allclose(est, want, rtol=1e-9, atol=1e-12)
    for g, m in want_means.items():
        assert means[g] == pytest.approx(m, rel=1e-9)
    for g in set(range(4)) - set(want_means):  # empty group: the fixed prior
        assert means[g] == pytest.approx(mean)


@given(
    st.lists(
        st.tuples(st.floats(-0.99, 0.999999), st.floats(0.01, 1.0), st.floats(0.0, 0.99)),
        min_size=1,
        max_size=20,
    )
)
def test_copied_llr_matches_reference(data: list[tuple[float, float, float]]) -> None:
    rho, a, c = (np.array(x) for x in zip(*data))
    got = copied_llr(rho, a, c)
    want = [ref.copied_llr_ref(*d) for d in data]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@given(st.floats(0.0, 0.999999), st.floats(0.01, 1.0))
def test_copied_llr_is_the_confirmation_without_copying_and_shrinks_with_c(
    rho: float, a: float
) -> None:
    r, aa = np.array([rho]), np.array([a])
    base = confirmation_llr(r, aa)[0]
    assert copied_llr(r, aa, np.array([0.0]))[0] == pytest.approx(base, rel=1e-9, abs=1e-12)
    values = [copied_llr(r, aa, np.array([c]))[0] for c in (0.0, 0.3, 0.6, 0.9)]
    assert all(x >= y - 1e-12 for x, y in itertools.pairwise(values))
    # A value copied for sure would say nothing; at c it is bounded by ln(1 / c).
    assert values[-1] <= math.log(1 / 0.9) + 1e-12


def test_helpers_on_a_small_table() -> None:
    t = Table.from_rows([("bot", "x", "1"), ("ann", "x", "1"), ("bob", "x", "2")])
    assert shared_claim(t).tolist() == [True, True, False]
    assert copier_rates(t, {"bot": 0.3}, 0.8).tolist() == [0.0, 0.0, 0.3]
    idx, labels = group_index(t, {"ann": 1, "bob": 1, "bot": "b"})
    assert labels == ["b", 1] and idx.tolist() == [1, 1, 0]  # labels ordered by repr


# -- the model against the plain-Python EM ---------------------------------------


@st.composite
def open_rows(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """Rows with one value per (source, object), a few values per object."""
    n_src = draw(st.integers(2, 6))
    n_obj = draw(st.integers(1, 6))
    out = []
    for s in range(n_src):
        for o in range(n_obj):
            if draw(st.booleans()):
                out.append((f"s{s}", f"o{o}", f"v{draw(st.integers(0, 2))}"))
    if not out:
        out.append(("s0", "o0", "v0"))
    return out


@pytest.mark.parametrize(("backend", "general"), VARIANTS)
@given(data=st.data())
def test_corroboration_with_groups_and_copiers_matches_reference(
    backend: str, general: bool, data: st.DataObject
) -> None:
    rows = data.draw(open_rows())
    sources = sorted({r[0] for r in rows})
    kinds = data.draw(
        st.lists(st.sampled_from(["a", "b", None]), min_size=len(sources), max_size=len(sources))
    )
    groups = {s: k for s, k in zip(sources, kinds) if k is not None}
    rates = data.draw(
        st.lists(st.sampled_from([0.0, 0.5, 0.8]), min_size=len(sources), max_size=len(sources))
    )
    copiers = {s: c for s, c in zip(sources, rates) if c > 0}
    rho_want, prob_want = ref.corroboration_ref(
        rows, prior_groups=groups, copiers=copiers, n_iter=7
    )
    with variant(backend, general):
        m = Corroboration(
            domain="observed", prior_groups=groups, copiers=copiers, max_iter=7, tol=0.0
        ).fit(Table.from_rows(rows))
    got = m.reliability_by_source_
    for s in sources:
        assert min(max(rho_want[s], 1e-6), 1 - 1e-6) == pytest.approx(got[s], abs=1e-9)
    t = m.result.table
    for c in range(t.n_claims):
        key = (t.object_ids[t.claim_object[c]], t.claim_value[c])
        assert m.result.claim_probability[c] == pytest.approx(prob_want[key], abs=1e-9)


def test_empty_groups_and_no_copiers_change_nothing() -> None:
    rows = [("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2"), ("a", "y", "3"), ("c", "y", "4")]
    t = Table.from_rows(rows)
    base = Corroboration().fit_score(t)
    for kw in ({"prior_groups": {}}, {"copiers": []}, {"copiers": {"a": 0.0}}):
        r = Corroboration(**kw).fit_score(t)  # type: ignore[arg-type]
        np.testing.assert_allclose(r.claim_probability, base.claim_probability, atol=1e-12)
        np.testing.assert_allclose(r.reliability, base.reliability, atol=1e-12)


def test_group_prior_on_a_closed_label_set_and_on_numbers() -> None:
    """The prior applies to every path: a closed label set with learned guessing
    (MACE M-step) and numeric values (variance shrunk to the group's)."""
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 60)
    rows = []
    for s in range(6):
        good = s < 3
        for o in range(60):
            if good or o % 10 == 0:  # the bad sources answer rarely
                right = rng.random() < (0.9 if good else 0.2)
                rows.append((f"s{s}", o, str(truth[o] if right else 1 - truth[o])))
    t = Table.from_rows(rows)
    groups = {f"s{s}": "good" if s < 3 else "bad" for s in range(6)}
    m = Corroboration(prior_groups=groups).fit(t)
    g = m.group_reliability_
    assert g["good"] > 0.6 > g["bad"]
    rows_n = [
        (f"s{s}", o, float(o + (0.1 if s < 2 else 5.0) * rng.standard_normal()))
        for s in range(4)
        for o in range(30)
    ]
    mn = Corroboration(prior_groups={"s0": "p", "s1": "p", "s2": "q", "s3": "q"}).fit(
        Table.from_rows(rows_n)
    )
    assert mn.group_reliability_["p"] > mn.group_reliability_["q"]


def test_bad_settings_are_named() -> None:
    t = Table.from_rows([("a", "x", "1"), ("b", "x", "2")])
    with pytest.raises(InvalidTableError, match="prior_groups: source 'zz'"):
        Corroboration(prior_groups={"zz": "g"}).fit(t)
    with pytest.raises(InvalidTableError, match="copiers: source 'zz'"):
        Corroboration(copiers=["zz"]).fit(t)
    with pytest.raises(ValueError, match="copy rate of source 'a'"):
        Corroboration(copiers={"a": 1.0}).fit(t)
    with pytest.raises(ValueError, match="copy_rate"):
        Corroboration(copy_rate=1.0)
    with pytest.raises(InvalidTableError, match="copiers= needs categorical"):
        Corroboration(copiers=["a"]).fit(Table.from_rows([("a", "x", 1.0), ("b", "x", 2.0)]))


# -- a planted re-saving bot ----------------------------------------------------------


def resaving_bot_table(seed: int) -> tuple[Table, dict[str, str], dict[Any, str], list[str]]:
    """Pages edited by registered editors (right 80% of the time) and anonymous
    vandals (right 10%), then re-saved by a bot that keeps the value it finds
    (the last edit's). The bot also fills 2,000 pages nobody else edits, with
    the right value. Returns the table, the editor kinds, the truth and the
    contested objects."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str]] = []
    truth: dict[Any, str] = {}
    contested = []
    kinds: dict[str, str] = {"bot": "bot"}
    n_reg, n_anon = 60, 300
    for o in range(400):
        obj = f"p{o}"
        truth[obj] = "t"
        editors = [f"r{rng.integers(n_reg)}"]
        if rng.random() < 0.7:
            editors.append(f"ip{rng.integers(n_anon)}")
        rng.shuffle(editors)
        last = None
        for e in dict.fromkeys(editors):
            reg = e.startswith("r")
            kinds[e] = "registered" if reg else "anonymous"
            right = rng.random() < (0.8 if reg else 0.1)
            last = "t" if right else f"f{rng.integers(10**6)}"
            rows.append((e, obj, last))
        assert last is not None
        rows.append(("bot", obj, last))
        contested.append(obj)
    for o in range(2000):
        rows.append(("bot", f"q{o}", "t"))
        truth[f"q{o}"] = "t"
    return Table.from_rows(rows), kinds, truth, contested


def test_known_sources_recover_pages_saved_by_a_bot_after_vandalism() -> None:
    """Blind to who the sources are, the bot (right on every page it fills
    alone) outvotes the registered editors wherever it re-saved a vandal's
    value; with the editor kinds as prior groups and the bot declared a
    copier, the truth wins on more contested pages."""
    table, kinds, truth, contested = resaving_bot_table(0)

    def right(result: Any) -> float:
        fused = result.truths()
        return float(np.mean([fused[o] == truth[o] for o in contested]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        blind = right(Corroboration().fit_score(table))
        known = right(Corroboration(prior_groups=kinds, copiers=["bot"]).fit_score(table))
    assert known >= blind + 0.15, (blind, known)
