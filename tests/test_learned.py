"""credscore.learn and LearnedModel: fitting, saving, loading, the command line."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings

import credscore
import credscore.strategies as cst
from credscore import Case, Claim, LearnedModel, Report, Source
from credscore.errors import InvalidCaseError, InvalidInputError
from credscore.examples import kursk, record


@pytest.fixture(scope="module")
def learned() -> LearnedModel:
    return credscore.learn(record())


def _same_scores(a: credscore.Scores, b: credscore.Scores) -> None:
    assert a.log_odds.tolist() == b.log_odds.tolist()
    assert a.lower.tolist() == b.lower.tolist()
    assert a.upper.tolist() == b.upper.tolist()
    assert [s.grade for s in a] == [s.grade for s in b]


def test_json_round_trip_gives_identical_scores(learned: LearnedModel, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    learned.save(path)
    again = credscore.load_model(path)
    assert again.parameters_ == learned.parameters_
    assert again.settings == learned.settings
    _same_scores(credscore.score(kursk(), model=learned), credscore.score(kursk(), model=again))
    doc = json.loads(path.read_text())
    assert doc["format"] == "credscore-learned-model" and doc["version"] == 1


def test_learn_is_deterministic_and_order_invariant() -> None:
    """Shuffling the cases, their claims and their reports changes no number."""
    hist = [record(30, seed=1), record(30, seed=2)]
    hist[1] = hist[1].replace(
        claims=tuple(attrs.evolve(c, id=c.id + "-b") for c in hist[1].claims),
        reports=tuple(attrs.evolve(r, claim=r.claim + "-b") for r in hist[1].reports),
    )
    first = credscore.learn(hist)
    assert credscore.learn(hist).parameters_ == first.parameters_
    rnd = random.Random(0)
    for _ in range(3):
        shuffled = []
        for case in hist[::-1]:
            claims, reports = list(case.claims), list(case.reports)
            rnd.shuffle(claims)
            rnd.shuffle(reports)
            shuffled.append(case.replace(claims=tuple(claims), reports=tuple(reports)))
        other = credscore.learn(shuffled)
        assert _flat(other.parameters_) == pytest.approx(_flat(first.parameters_), rel=1e-12)


def _flat(d: object, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}/{k}"))
    elif isinstance(d, (int, float)):
        out[prefix] = float(d)
    return out


@settings(max_examples=30, deadline=None)
@given(cst.cases(outcomes=True, max_reports=20))
def test_a_claims_own_outcome_never_enters_its_score(case: Case) -> None:
    """Learning on a history and scoring one of its claims: the same score
    with the claim's ``resolved`` present or removed."""
    if not any(c.resolved is not None for c in case.claims):
        return
    model = credscore.learn(case)
    hidden = case.replace(
        claims=tuple(attrs.evolve(c, resolved=None, resolved_at=None) for c in case.claims)
    )
    _same_scores(credscore.score(case, model=model), credscore.score(hidden, model=model))


def test_unresolved_claims_are_not_required_and_change_nothing() -> None:
    hist = record(30)
    extra = hist.replace(
        sources=(*hist.sources, Source("newcomer")),
        claims=(*hist.claims, Claim("open")),
        reports=(*hist.reports, Report("newcomer", "open", "confirms")),
    )
    assert credscore.learn(extra).parameters_ == credscore.learn(hist).parameters_


def test_what_was_learned_follows_the_record(learned: LearnedModel) -> None:
    """The invented record: the White House right 30 of 34 times, Moscow's
    ministry 6 of 23; the learned reliabilities keep that order."""
    src = learned.parameters_["sources"]
    assert src["white-house"]["of"] >= 20
    assert (
        src["white-house"]["reliability"]
        > src["gur"]["reliability"]
        > src["ru-mod"]["reliability"]
    )
    # each reliability is the shrunk share right, as 2 * accuracy - 1
    r = src["pentagon"]
    acc = (r["right"] + 4.0 * (1 + 0.8) / 2) / (r["of"] + 4.0)
    assert r["reliability"] == pytest.approx(2 * acc - 1)
    assert 0 < learned.parameters_["base_rate"]["all"] < 1


def test_explain_names_the_learned_parameters(learned: LearnedModel) -> None:
    text = credscore.score(kursk(), model=learned).explain("nk-30-casualties")
    assert "Learned from 60 resolved claims" in text
    assert "Source 'gur': right" in text
    assert "Learned strength of confirms" in text


def test_a_history_without_outcomes_is_a_named_error() -> None:
    with pytest.raises(InvalidCaseError, match=r"resolved.*0 resolved claim"):
        credscore.learn(kursk())
    with pytest.raises(TypeError, match=r"history\[0\]"):
        credscore.learn(["not a case"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="topic_scale"):
        credscore.learn(record(), topic_scale=0)


def test_bad_model_files_are_named_errors(tmp_path: Path, learned: LearnedModel) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInputError, match=r"bad\.json: not JSON"):
        credscore.load_model(bad)
    bad.write_text("{}")
    with pytest.raises(InvalidInputError, match="not a credscore learned model"):
        credscore.load_model(bad)
    doc = learned.to_dict()
    doc["parameters"]["base_rate"]["all"] = 1.5
    bad.write_text(json.dumps(doc))
    with pytest.raises(InvalidInputError, match="base_rate"):
        credscore.load_model(bad)
    with pytest.raises(InvalidInputError, match=r"missing\.json"):
        credscore.load_model(tmp_path / "missing.json")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credscore", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_command_line_learns_and_scores_with_the_saved_model(tmp_path: Path) -> None:
    credscore.dump_case(record(), tmp_path / "history.json")
    credscore.dump_case(kursk(), tmp_path / "case.json")
    run = _cli("learn", "history.json", "-o", "model.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "60 resolved claim(s)" in run.stderr and "saved model.json" in run.stderr
    out = _cli("score", "case.json", "--model", "model.json", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    got = {c["id"]: c["probability"] for c in json.loads(out.stdout)["claims"]}
    want = credscore.score(kursk(), model=credscore.load_model(tmp_path / "model.json"))
    assert got == pytest.approx({s.id: s.probability for s in want}, rel=1e-12)
    # a registry name still works
    assert _cli("score", "case.json", "--model", "independent", cwd=tmp_path).returncode == 0


def test_command_line_errors_exit_2_with_a_named_error(tmp_path: Path) -> None:
    credscore.dump_case(kursk(), tmp_path / "case.json")
    run = _cli("learn", "case.json", "-o", "model.json", cwd=tmp_path)
    assert run.returncode == 2
    assert "case.json" in run.stderr and "0 resolved claim" in run.stderr
    (tmp_path / "broken.json").write_text('{"credscore": 1, "sources": 5}')
    run = _cli("learn", "broken.json", "-o", "model.json", cwd=tmp_path)
    assert run.returncode == 2 and "broken.json" in run.stderr
    (tmp_path / "model.json").write_text("[]")
    run = _cli("score", "case.json", "--model", "model.json", cwd=tmp_path)
    assert run.returncode == 2 and "model.json" in run.stderr


def test_circular_when_a_relay_chain_ends_at_an_origin_that_also_reports() -> None:
    """informant -> BND -> DIA -> CIA -> SIS, all confirming, and the
    informant also reports: every confirmation traces to one origin."""
    chain = ["informant", "bnd", "dia", "cia", "sis"]
    sources = [Source(s, reliability="B", affiliation=f"{s}/x") for s in chain]
    reports = [Report("informant", "x", "confirms")]
    reports += [Report(b, "x", "confirms", cites=a) for a, b in itertools.pairwise(chain)]
    s = credscore.score(Case(sources, [Claim("x")], reports))["x"]
    assert "circular" in s.flags
    assert s.independent_confirmations == 1
