"""Quantities in cases (issue 12, item 6): a claim's stated figure, the
reports' own figures, the fused estimate beside the probability, and the
inputs that must be refused."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscore import (
    Case,
    Claim,
    Group,
    InvalidCaseError,
    Report,
    Source,
    dump_case,
    examples,
    load_case,
    read_case_tables,
    score,
    strategies,
)
from credscore.case.quantities import SPREAD
from credscore.cli.main import main

N = NormalDist()


def _case(reports: list[Report], *, approx=(150.0, 250.0), sources=None, groups=()) -> Case:  # type: ignore[no-untyped-def]
    names = sorted({r.source for r in reports} | {r.cites for r in reports if r.cites})
    return Case(
        sources=sources or [Source(s, reliability="B") for s in names],
        claims=[Claim("q", value=200.0, unit="people", approx=approx)],
        reports=reports,
        groups=list(groups),
    )


def reference(figures: list[tuple[float, float]], low: float, high: float, level: float = 0.8):  # type: ignore[no-untyped-def]
    """Random-effects meta-analysis of independent (value, odds) figures on the
    log scale, written out plainly: each figure's variance (SPREAD / odds)^2,
    DerSimonian and Laird's between-figure variance added, inverse-variance
    weights. Returns (value, interval, in_range, shares)."""
    ys = [math.log(v) for v, _ in figures]
    ws = [(odds / SPREAD) ** 2 for _, odds in figures]
    tau2 = 0.0
    if len(ys) > 1:
        fixed = sum(w * y for w, y in zip(ws, ys)) / sum(ws)
        q = sum(w * (y - fixed) ** 2 for w, y in zip(ws, ys))
        c = sum(ws) - sum(w * w for w in ws) / sum(ws)
        tau2 = max(0.0, (q - (len(ys) - 1)) / c)
    ws = [1 / (1 / w + tau2) for w in ws]
    mean = sum(w * y for w, y in zip(ws, ys)) / sum(ws)
    sd = 1 / math.sqrt(sum(ws))
    z = N.inv_cdf(0.5 + level / 2)
    p_in = N.cdf((math.log(high) - mean) / sd) - N.cdf((math.log(low) - mean) / sd)
    shares = [w / sum(ws) for w in ws]
    return math.exp(mean), (math.exp(mean - z * sd), math.exp(mean + z * sd)), p_in, shares


def _odds(case: Case, source: str) -> float:
    """The odds of a source's evidence on q, as the model adjusted it."""
    (c,) = [c for c in score(case)["q"].contributions if c.source == source]
    return math.exp(abs(c.adjusted))


# -- the data model ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"unit": "people"}, "unit", "needs the claim's value"),
        ({"approx": (1, 2)}, "approx", "needs the claim's value"),
        ({"value": 3, "approx": (4, 5)}, "approx", "must hold the value 3"),
        ({"value": 3, "approx": (1,)}, "approx", "expected [low, high], got 1"),
        ({"value": 3, "approx": "1-5"}, "approx", "expected [low, high]"),
        ({"value": float("nan")}, "value", "finite"),
        ({"value": True}, "value", "expected a number"),
        ({"value": 3, "unit": " "}, "unit", "non-empty string"),
    ],
)
def test_bad_claim_quantities_are_named(kwargs, field, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidCaseError) as info:
        Claim("c1", **kwargs)
    assert info.value.field == field and info.value.id == "c1"
    assert words in str(info.value)


@pytest.mark.parametrize("stance", ["no_comment", "retracts"])
def test_silence_and_retraction_give_no_figure(stance: str) -> None:
    with pytest.raises(InvalidCaseError, match=f"value of 'a->q': a {stance} report gives no"):
        Report("a", "q", stance, value=3)


def test_a_figure_needs_a_claim_that_states_a_quantity() -> None:
    with pytest.raises(InvalidCaseError, match="value of 'a->x': claim 'x' states no quantity"):
        Case(
            sources=[Source("a")],
            claims=[Claim("x")],
            reports=[Report("a", "x", "confirms", value=1)],
        )


def test_the_file_and_the_schema_carry_quantities(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads(resources.files("credscore").joinpath("schema/case-v1.json").read_text())
    case = examples.kursk()
    buf = io.StringIO()
    dump_case(case, buf)
    data = json.loads(buf.getvalue())
    jsonschema.validate(data, schema)
    back = load_case(io.StringIO(buf.getvalue()))
    assert back == case
    claim = {c.id: c for c in back.claims}["nk-11000"]
    assert (claim.value, claim.unit, claim.approx) == (11000.0, "soldiers", (10000.0, 12000.0))
    assert [r.value for r in back.reports if r.value is not None] == [30.0, 11000.0]
    # the schema refuses a unit without a value, as the loader does
    data["claims"][0]["unit"] = "soldiers"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
    with pytest.raises(InvalidCaseError, match="unit of 'nk-casualties': needs the claim's value"):
        load_case(io.StringIO(json.dumps(data)))


def test_validate_names_every_bad_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(examples.path("kursk").read_text(encoding="utf-8"))
    data["claims"][1]["approx"] = [31, 35]  # does not hold 30
    data["reports"][3]["value"] = 2  # pentagon on nk-casualties, which states no quantity
    data["reports"][6]["value"] = "many"  # kremlin's no comment
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "approx of 'nk-30-casualties'" in err
    assert "value of 'kremlin->nk-deployed'" in err
    assert "value of 'pentagon->nk-casualties': claim 'nk-casualties' states no quantity" in err


def test_tables_carry_quantities(tmp_path: Path) -> None:
    reports = tmp_path / "reports.csv"
    reports.write_text("source,claim,stance,value\na,q,confirms,180\nb,q,confirms,220\n")
    claims = tmp_path / "claims.csv"
    claims.write_text("id,value,unit,approx_low,approx_high\nq,200,people,150,250\n")
    case = read_case_tables(reports, claims=claims)
    assert case.claims[0].approx == (150.0, 250.0)
    assert [r.value for r in case.reports] == [180.0, 220.0]
    claims.write_text("id,value,approx_low\nq,200,150\n")
    with pytest.raises(InvalidCaseError, match=r"approx_high.*go together"):
        read_case_tables(reports, claims=claims)
    reports.write_text("source,claim,stance,value\na,q,confirms,lots\n")
    claims.write_text("id,value\nq,200\n")
    with pytest.raises(InvalidCaseError, match="'lots' is not a number"):
        read_case_tables(reports, claims=claims)


# -- the estimate -----------------------------------------------------------------


def test_equal_figures_of_equal_strength_meet_at_the_geometric_mean() -> None:
    case = _case(
        [Report("a", "q", "confirms", value=100), Report("b", "q", "confirms", value=400)]
    )
    e = score(case)["q"].estimate
    assert e is not None and e.scale == "log"
    assert e.value == pytest.approx(200.0)
    assert [f.share for f in e.figures] == pytest.approx([0.5, 0.5])
    value, interval, p_in, _ = reference(
        [(100, _odds(case, "a")), (400, _odds(case, "b"))], 150, 250
    )
    assert e.value == pytest.approx(value)
    assert e.interval == pytest.approx(interval)
    assert e.in_range == pytest.approx(p_in)
    # 100 and 400 disagree far beyond two strong reports' spreads: the
    # interval holds both, rather than settling between them
    assert e.between > 0 and e.interval[0] < 100 and e.interval[1] > 400  # type: ignore[index]
    assert [f.agrees for f in e.figures] == [False, False]  # 100 and 400 lie outside 150-250


def test_figures_that_agree_add_no_spread_between_them() -> None:
    case = _case(
        [Report("a", "q", "confirms", value=199), Report("b", "q", "confirms", value=201)]
    )
    e = score(case)["q"].estimate
    assert e is not None and e.between == 0.0
    _, interval, _, _ = reference([(199, _odds(case, "a")), (201, _odds(case, "b"))], 150, 250)
    assert e.interval == pytest.approx(interval)


@settings(max_examples=60)
@given(
    figures=st.lists(
        st.tuples(st.floats(1.0, 1e5), st.sampled_from("ABCDEF")), min_size=1, max_size=6
    )
)
def test_independent_figures_match_the_reference(figures: list[tuple[float, str]]) -> None:
    """Unaffiliated sources: the estimate is the plain random-effects
    meta-analysis of their figures."""
    sources = [Source(f"s{i}", reliability=r) for i, (_, r) in enumerate(figures)]
    reports = [Report(f"s{i}", "q", "confirms", value=v) for i, (v, _) in enumerate(figures)]
    case = _case(reports, sources=sources)
    e = score(case)["q"].estimate
    assert e is not None
    value, interval, p_in, shares = reference(
        [(v, _odds(case, f"s{i}")) for i, (v, _) in enumerate(figures)], 150, 250
    )
    assert e.value == pytest.approx(value, rel=1e-9)
    assert e.interval == pytest.approx(interval, rel=1e-9)
    assert e.in_range == pytest.approx(p_in, abs=1e-12)
    got = {f.source: f.share for f in e.figures}
    assert [got[f"s{i}"] for i in range(len(figures))] == pytest.approx(shares)


def test_one_government_repeating_a_figure_is_not_several_witnesses() -> None:
    """Two offices of one government (dependence 1) say 100, an independent
    source says 400: the group counts once, and the estimate is the
    geometric mean of 100 and 400; were all three independent, 100 would
    weigh twice."""
    sources = [
        Source("office-1", reliability="B", affiliation="x/gov/one"),
        Source("office-2", reliability="B", affiliation="x/gov/two"),
        Source("other", reliability="B", affiliation="y/press"),
    ]
    reports = [
        Report("office-1", "q", "confirms", value=100),
        Report("office-2", "q", "confirms", value=100),
        Report("other", "q", "confirms", value=400),
    ]
    dependent = _case(reports, sources=sources, groups=[Group("x/gov", 1.0), Group("y", 0.0)])
    e = score(dependent)["q"].estimate
    assert e is not None and e.value == pytest.approx(200.0)
    assert sum(f.share for f in e.figures if f.source.startswith("office")) == pytest.approx(0.5)
    independent = _case(reports, sources=sources, groups=[Group("x/gov", 0.0), Group("y", 0.0)])
    e0 = score(independent)["q"].estimate
    assert e0 is not None
    assert e0.value == pytest.approx(100 ** (2 / 3) * 400 ** (1 / 3))
    assert e0.interval[1] - e0.interval[0] < e.interval[1] - e.interval[0]  # type: ignore[index]


def test_an_echo_adds_no_figure() -> None:
    case = _case(
        [
            Report("wire", "q", "confirms", value=210),
            Report("paper", "q", "confirms", value=210, cites="wire"),
            Report("other", "q", "confirms", value=180),
        ]
    )
    e = score(case)["q"].estimate
    assert e is not None
    assert sorted(f.source for f in e.figures) == ["other", "wire"]


def test_a_weaker_report_gives_a_looser_figure() -> None:
    strong = Source("strong", reliability="A")
    weak = Source("weak", reliability="D")
    case = _case(
        [Report("strong", "q", "confirms", value=190), Report("weak", "q", "confirms", value=900)],
        sources=[strong, weak],
    )
    e = score(case)["q"].estimate
    assert e is not None
    w = {f.source: f.share for f in e.figures}
    _, _, _, shares = reference(
        [(190, _odds(case, "strong")), (900, _odds(case, "weak"))], 150, 250
    )
    assert [w["strong"], w["weak"]] == pytest.approx(shares)
    assert w["strong"] > 0.5
    assert e.figures[0].source == "strong" and e.figures[0].agrees


def test_negative_quantities_use_the_linear_scale() -> None:
    case = Case(
        sources=[Source("a", reliability="B"), Source("b", reliability="B")],
        claims=[Claim("t", value=-2.0, approx=(-3.0, -1.0))],
        reports=[
            Report("a", "t", "confirms", value=-2.5),
            Report("b", "t", "confirms", value=0.5),
        ],
    )
    e = score(case)["t"].estimate
    assert e is not None and e.scale == "linear"
    assert e.value == pytest.approx(-1.0)  # the plain mean of equal-strength figures


def test_as_of_and_later_reports_decide_which_figures_count() -> None:
    case = _case(
        [
            Report("a", "q", "confirms", value=100, time="2024-01-01"),
            Report("a", "q", "confirms", value=220, time="2024-02-01"),
            Report("b", "q", "confirms", value=180, time="2024-03-01"),
        ]
    )
    early = score(case, as_of="2024-01-15")["q"].estimate
    assert early is not None and [(f.source, f.value) for f in early.figures] == [("a", 100.0)]
    late = score(case)["q"].estimate
    assert late is not None
    assert sorted((f.source, f.value) for f in late.figures) == [("a", 220.0), ("b", 180.0)]
    assert score(case, as_of="2023-12-01")["q"].estimate.value is None  # type: ignore[union-attr]


def test_no_figure_no_estimate() -> None:
    case = _case([Report("a", "q", "confirms")])
    e = score(case)["q"].estimate
    assert e is not None and e.value is None and e.interval is None
    assert "no report gives a figure" in score(case).explain("q")


def test_explain_says_which_figures_agree() -> None:
    case = _case([Report("a", "q", "confirms", value=190), Report("b", "q", "denies", value=900)])
    text = score(case).explain("q")
    assert "Quantity: the claim states 200 people (true as stated from 150 to 250)" in text
    assert "Figures that agree: a 190" in text
    assert "Figures that do not agree: b 900" in text


def test_without_approx_ten_percent_either_side_agrees() -> None:
    case = _case([Report("a", "q", "confirms", value=215)], approx=None)
    e = score(case)["q"].estimate
    assert e is not None and (e.low, e.high) == pytest.approx((180.0, 220.0))
    assert e.figures[0].agrees


# -- the probability never reads the figures --------------------------------------


@settings(max_examples=40)
@given(case=strategies.cases(), data=st.data())
def test_figures_do_not_change_the_probability(case: Case, data: st.DataObject) -> None:
    """Give every claim a quantity and every report that may a figure: the
    probabilities, intervals, grades and flags stay exactly as they were."""
    before = score(case)
    number = st.floats(0.5, 1e6, allow_nan=False)
    claims = []
    for c in case.claims:
        v = data.draw(number)
        claims.append(
            Claim(
                c.id,
                text=c.text,
                prior=c.prior,
                benefits=c.benefits,
                harms=c.harms,
                value=v,
                approx=(v / 2, v * 2),
            )
        )
    reports = [
        Report(r.source, r.claim, r.stance, time=r.time, cites=r.cites, weight=r.weight,
               value=None if r.stance.value in ("no_comment", "retracts") else data.draw(number))
        for r in case.reports
    ]  # fmt: skip
    after = score(Case(case.sources, claims, reports, groups=case.groups, links=case.links))
    for b, a in zip(before, after):
        assert (a.probability, a.interval, a.grade, a.flags) == (
            b.probability,
            b.interval,
            b.grade,
            b.flags,
        )
        assert a.estimate is not None and b.estimate is None
        if a.estimate.value is not None:
            lo, hi = a.estimate.interval  # type: ignore[misc]
            assert lo <= a.estimate.value <= hi
            assert 0.0 <= a.estimate.in_range <= 1.0  # type: ignore[operator]
            assert sum(f.share for f in a.estimate.figures) == pytest.approx(1.0)


# -- the reference case and the outputs --------------------------------------------


def test_the_reference_figures() -> None:
    scores = score(examples.kursk())
    e30 = scores["nk-30-casualties"].estimate
    e11 = scores["nk-11000"].estimate
    assert e30 is not None and e11 is not None
    assert (e30.value, e30.unit) == (30.0, "soldiers killed or wounded")
    assert (e11.value, e11.unit) == (11000.0, "soldiers")
    # GUR's figure serves GUR: looser than the Pentagon's would be
    lo, hi = e30.interval  # type: ignore[misc]
    assert lo < 25 and hi > 35
    assert scores["nk-casualties"].estimate is None


def test_json_frame_and_table_carry_the_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    scores = score(examples.kursk())
    buf = io.StringIO()
    scores.write_json(buf)
    data = json.loads(buf.getvalue())
    assert data == json.loads(json.dumps(scores.to_dict()))
    est = {c["id"]: c.get("estimate") for c in data["claims"]}
    assert est["nk-11000"]["value"] == 11000.0 and est["nk-casualties"] is None
    pd = pytest.importorskip("pandas")
    frame = scores.to_frame()
    row = frame.set_index("id").loc["nk-30-casualties"]
    assert row["estimate"] == 30.0 and row["estimate_low"] < 30 < row["estimate_high"]
    assert pd.isna(frame.set_index("id").loc["nk-casualties", "estimate"])
    assert main(["score", str(examples.path("kursk"))]) == 0
    out = capsys.readouterr().out
    assert "quantity" in out and "11,000" in out and "10,000-12,000" in out


FLOATS = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300)
@given(
    stated=FLOATS,
    low=FLOATS,
    high=FLOATS,
    figures=st.lists(
        st.tuples(
            FLOATS,
            st.sampled_from("ABCDEF"),
            st.sampled_from(["confirms", "denies", "observes"]),
            st.floats(0.01, 1.0),
        ),
        max_size=4,
    ),
)
def test_any_finite_numbers_give_a_finite_estimate(
    stated: float, low: float, high: float, figures: list[tuple[float, str, str, float]]
) -> None:
    """From 1e-308 to 1e308, either sign, with zeros and wildly different
    figures: no overflow, no NaN, the interval holds the estimate."""
    low, high = min(low, stated), max(high, stated)
    sources = [Source(f"s{i}", reliability=r) for i, (_, r, _, _) in enumerate(figures)]
    case = Case(
        sources=sources or [Source("nobody")],
        claims=[Claim("q", value=stated, approx=(low, high))],
        reports=[
            Report(f"s{i}", "q", stance, value=v, weight=w)
            for i, (v, _, stance, w) in enumerate(figures)
        ],
    )
    e = score(case)["q"].estimate
    assert e is not None
    if not figures:
        assert e.value is None
        return
    assert e.value is not None and e.interval is not None and e.in_range is not None
    assert math.isfinite(e.value) and all(map(math.isfinite, e.interval))
    assert e.interval[0] <= e.value <= e.interval[1]
    assert 0.0 <= e.in_range <= 1.0
    assert sum(f.share for f in e.figures) == pytest.approx(1.0)
