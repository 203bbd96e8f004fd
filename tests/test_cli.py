"""The installed ``credscore`` command, run as a subprocess (and as ``python -m credscore``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import pytest

import credscore as cs
from credscore.examples import path as example_path
from credscore.io.casetables import read_case_tables


def _script() -> list[str]:
    here = Path(sys.executable).parent / "credscore"
    found = str(here) if here.exists() else shutil.which("credscore")
    if found is None:
        pytest.skip("the credscore console script is not installed (pip install -e .)")
    return [found]


SCRIPT: list[str] = []
MODULE = [sys.executable, "-m", "credscore"]


@pytest.fixture(scope="module", autouse=True)
def _find_script() -> None:
    SCRIPT[:] = _script()


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="100", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [*(command or SCRIPT), *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


KURSK_TEXT = example_path("kursk").read_text(encoding="utf-8")
KURSK = json.loads(KURSK_TEXT)
CLAIMS = [c["id"] for c in KURSK["claims"]]

CLAIM_KEYS = {
    "id",
    "probability",
    "interval",
    "grade",
    "phrase",
    "independent_confirmations",
    "flags",
    "contributions",
}
SOURCE_KEYS = {"id", "reliability"}
FLAGS = {"single-source", "circular", "self-serving", "contested", "unacknowledged"}


@pytest.fixture(scope="module")
def kursk_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("case") / "kursk.json"
    path.write_text(KURSK_TEXT, encoding="utf-8")
    return path


# ------------------------------------------------------------------ commands


@pytest.mark.parametrize("command", ["score", "explain", "example", "validate", "fuse"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    """`credscore COMMAND --help` exits 0 and shows an example of the command."""
    proc = run(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "examples:" in proc.stdout
    assert f"credscore {command} " in proc.stdout.split("examples:")[1]


def test_top_level_help_and_version() -> None:
    """`credscore --help` lists the commands; `--version` prints the version."""
    proc = run("--help")
    assert proc.returncode == 0
    for command in ("score", "explain", "example", "validate"):
        assert command in proc.stdout
    proc = run("--version")
    assert proc.returncode == 0 and cs.__version__ in proc.stdout


def test_example_prints_the_reference_case() -> None:
    """`credscore example kursk` prints the built-in case, which loads back equal."""
    proc = run("example", "kursk")
    assert proc.returncode == 0, proc.stderr
    assert cs.Case.from_dict(json.loads(proc.stdout)) == cs.examples.kursk()
    assert run("example").stdout == proc.stdout  # kursk is the default
    listed = run("example", "--list")
    assert listed.returncode == 0 and "kursk" in listed.stdout.split()


def test_score_prints_an_aligned_table(kursk_file: Path) -> None:
    """The table has one row per claim, columns aligned, numbers as the library computes."""
    proc = run("score", str(kursk_file))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = lines[0]
    for word in ("claim", "probability", "interval", "grade", "phrase", "independent", "flags"):
        assert word in header
    rows = lines[1 : 1 + len(CLAIMS)]
    assert [r.split()[0] for r in rows] == CLAIMS
    # Right-aligned numeric columns end where their header ends.
    end_p = header.index("probability") + len("probability")
    end_g = header.index("grade") + len("grade")
    scores = cs.score(cs.examples.kursk())
    for row, claim in zip(rows, CLAIMS):
        s = scores[claim]
        assert row[end_p - 5 : end_p] == f"{s.probability:.3f}"
        assert row[end_g - 1 : end_g] == str(s.grade)
        assert s.phrase in row
    # The quantities' table follows, after a blank line: the two claims that
    # state a number; then the sources'.
    rest = lines[1 + len(CLAIMS) :]
    assert rest[0] == "" and rest[1].split()[:3] == ["quantity", "stated", "range"]
    assert [r.split()[0] for r in rest[2:4]] == ["nk-30-casualties", "nk-11000"]
    rest = rest[4:]
    assert rest[0] == "" and rest[1].split() == ["source", "reliability"]
    assert {r.split()[0] for r in rest[2:]} == {s["id"] for s in KURSK["sources"]}


def _check_scored_output(doc: dict[str, Any], claims: list[str]) -> None:
    assert set(doc) == {"claims", "sources"}
    assert [c["id"] for c in doc["claims"]] == claims
    for c in doc["claims"]:
        assert set(c) >= CLAIM_KEYS, CLAIM_KEYS - set(c)
        lo, hi = c["interval"]
        assert 0 <= lo <= c["probability"] <= hi <= 1
        assert c["grade"] in range(1, 7)
        assert isinstance(c["phrase"], str) and c["phrase"]
        assert isinstance(c["independent_confirmations"], int)
        assert set(c["flags"]) <= FLAGS
        for contribution in c["contributions"]:
            assert {"source", "claim", "stance", "raw", "adjusted", "effect"} <= set(contribution)
    for s in doc["sources"]:
        assert set(s) >= SOURCE_KEYS
        assert 0 < s["reliability"] < 1


def test_score_json_has_the_documented_keys(kursk_file: Path) -> None:
    """`--json` prints the scored output object: claims and sources with their keys."""
    proc = run("score", str(kursk_file), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    _check_scored_output(doc, CLAIMS)
    assert doc == json.loads(json.dumps(cs.score(cs.examples.kursk()).to_dict()))


def test_score_reads_standard_input() -> None:
    """`credscore example kursk | credscore score -` works, as the README says."""
    example = run("example", "kursk")
    proc = run("score", "-", "--json", stdin=example.stdout)
    assert proc.returncode == 0, proc.stderr
    _check_scored_output(json.loads(proc.stdout), CLAIMS)


def test_python_m_credscore_is_the_same_command(kursk_file: Path) -> None:
    """`python -m credscore` prints what the console script prints."""
    a = run("score", str(kursk_file), command=MODULE)
    b = run("score", str(kursk_file))
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


def test_claim_option_selects_claims_in_order(kursk_file: Path) -> None:
    """`--claim B --claim A` shows only those claims, in that order, in table and
    JSON; the case file may follow `--claim`, which takes one id."""
    wanted = [CLAIMS[2], CLAIMS[0]]
    proc = run("score", "--claim", wanted[0], "--claim", wanted[1], str(kursk_file), "--json")
    assert proc.returncode == 0, proc.stderr
    _check_scored_output(json.loads(proc.stdout), wanted)
    table = run("score", str(kursk_file), "--claim", wanted[0], "--claim", wanted[1])
    rows = table.stdout.splitlines()[1:3]
    assert [r.split()[0] for r in rows] == wanted
    assert table.stdout.splitlines()[3] == ""


def test_as_of_and_model_options(kursk_file: Path) -> None:
    """`--as-of` and `--model` give what credscore.score gives with the same settings."""
    case = cs.examples.kursk()
    proc = run("score", str(kursk_file), "--json", "--as-of", "2024-12-01")
    assert proc.returncode == 0, proc.stderr
    expected = cs.score(case, as_of="2024-12-01").to_dict()
    assert json.loads(proc.stdout) == json.loads(json.dumps(expected))
    # The models a fresh interpreter knows (a test may register more in this one).
    fresh = subprocess.run(
        [sys.executable, "-c", "import credscore; print(' '.join(credscore.case_models()))"],
        capture_output=True,
        text=True,
        check=True,
    )
    for name in fresh.stdout.split():
        proc = run("score", str(kursk_file), "--json", "--model", name)
        assert proc.returncode == 0, (name, proc.stderr)
        expected = cs.score(case, name).to_dict()
        assert json.loads(proc.stdout) == json.loads(json.dumps(expected))


def test_explain_prints_the_explanation(kursk_file: Path) -> None:
    """`credscore explain CASE CLAIM` prints scores.explain(CLAIM)."""
    proc = run("explain", str(kursk_file), "nk-casualties")
    assert proc.returncode == 0, proc.stderr
    expected = cs.score(cs.examples.kursk()).explain("nk-casualties")
    assert proc.stdout.strip() == expected.strip()
    piped = run("explain", "-", "nk-casualties", stdin=KURSK_TEXT)
    assert piped.stdout == proc.stdout


def test_validate_accepts_a_valid_case(kursk_file: Path) -> None:
    """`credscore validate` on a valid case exits 0 and says so."""
    proc = run("validate", str(kursk_file))
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout and proc.stderr == ""


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    """`credscore validate` lists all problems, one per line, each naming file and id."""
    doc = json.loads(KURSK_TEXT)
    doc["sources"][0]["reliability"] = 1.5
    doc["reports"][0]["stance"] = "confirm"
    doc["reports"][1]["source"] = "nobody"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    proc = run("validate", str(bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, proc.stderr
    assert all(str(bad) in line for line in lines)
    assert "gur" in lines[0] and "reliability" in proc.stderr
    assert "stance" in proc.stderr and "nobody" in proc.stderr
    assert "Traceback" not in proc.stderr


REPORTS_CSV = """source,claim,stance,time,cites,weight
gur,nk-casualties,confirms,2024-12-16,,
pentagon,nk-casualties,confirms,2024-12-16,,
white-house,nk-deployed,confirms,,,
kremlin,nk-deployed,no comment,,,
daily,nk-casualties,confirms,,gur,0.5
"""
SOURCES_CSV = """id,name,reliability,affiliation
gur,GUR,B,ua/gov/mod/gur
pentagon,US Department of Defense,B,us/gov/dod
white-house,White House,B,us/gov/nsc
kremlin,Kremlin,C,ru/gov/kremlin
daily,A daily paper,C,media/daily
"""
CLAIMS_TSV = (
    "id\ttext\tbenefits\tharms\n"
    "nk-casualties\tNorth Korean troops were hit\tua\tru;kp\n"
    "nk-deployed\tNorth Korean troops are deployed\t\tru kp\n"
)


@pytest.fixture()
def tables(tmp_path: Path) -> Path:
    (tmp_path / "reports.csv").write_text(REPORTS_CSV, encoding="utf-8")
    (tmp_path / "sources.csv").write_text(SOURCES_CSV, encoding="utf-8")
    (tmp_path / "claims.tsv").write_text(CLAIMS_TSV, encoding="utf-8")
    return tmp_path


def test_score_from_spreadsheet_tables(tables: Path) -> None:
    """`--reports/--sources/--claims` score what read_case_tables reads."""
    args = ["--reports", "reports.csv", "--sources", "sources.csv", "--claims", "claims.tsv"]
    proc = run("score", *args, "--json", cwd=tables)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    _check_scored_output(doc, ["nk-casualties", "nk-deployed"])
    case = read_case_tables(tables / "reports.csv", tables / "sources.csv", tables / "claims.tsv")
    assert doc == json.loads(json.dumps(cs.score(case).to_dict()))
    assert run("validate", *args, cwd=tables).returncode == 0
    explained = run("explain", *args, "nk-casualties", cwd=tables)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.strip() == cs.score(case).explain("nk-casualties").strip()
    # The reports table can come from standard input too.
    piped = run("score", "--reports", "-", "--sources", "sources.csv", "--json", cwd=tables,
                stdin=REPORTS_CSV)  # fmt: skip
    assert piped.returncode == 0, piped.stderr


# ------------------------------------------------------------------ bad input

# (name, arguments, standard input, files to create, words the message must contain)
BAD: list[tuple[str, list[str], str, dict[str, str | bytes], list[str]]] = []


def _case(change: Any) -> str:
    doc = json.loads(KURSK_TEXT)
    change(doc)
    return json.dumps(doc)


def bad(
    name: str,
    args: list[str],
    words: list[str],
    *,
    stdin: str = "",
    files: dict[str, str | bytes] | None = None,
) -> None:
    BAD.append((name, args, stdin, files or {}, words))


bad("missing file", ["score", "nosuch.json"], ["nosuch.json", "No such file"])
bad("a directory", ["score", "."], ["directory"])
bad("invalid JSON", ["score", "c.json"], ["c.json", "line 1", "not valid JSON"],
    files={"c.json": "{sources: []"})  # fmt: skip
bad("not UTF-8", ["score", "c.json"], ["c.json", "UTF-8"], files={"c.json": b"\xff\xfe{}"})
bad("empty standard input", ["score", "-"], ["<stdin>", "not valid JSON"])
bad("JSON that is not an object", ["score", "-"], ["<stdin>", "JSON object"], stdin="[1, 2]")
bad("duplicate JSON key", ["score", "-"], ["duplicate key", "'id'"],
    stdin='{"credscore": 1, "sources": [{"id": "a", "id": "b"}], "claims": [], "reports": []}')  # fmt: skip
bad("NaN in JSON", ["score", "-"], ["NaN"],
    stdin=_case(lambda d: d["sources"][0].update(reliability=0.5)).replace("0.5", "NaN"))  # fmt: skip
bad("unknown stance", ["score", "-"], ["stance", "gur->nk-30-casualties", "confirm"],
    stdin=_case(lambda d: d["reports"][0].update(stance="confirm")))  # fmt: skip
bad("reliability out of range", ["score", "-"], ["reliability", "'gur'", "1.5"],
    stdin=_case(lambda d: d["sources"][0].update(reliability=1.5)))  # fmt: skip
bad("unknown source id", ["score", "-"], ["unknown source id", "'nobody'"],
    stdin=_case(lambda d: d["reports"][0].update(source="nobody")))  # fmt: skip
bad("duplicate claim id", ["score", "-"], ["duplicate claim id", "nk-casualties"],
    stdin=_case(lambda d: d["claims"].append({"id": "nk-casualties"})))  # fmt: skip
bad("unknown key", ["score", "-"], ["colour", "unknown key"],
    stdin=_case(lambda d: d["sources"][1].update(colour="red")))  # fmt: skip
bad("time that does not parse", ["score", "-"], ["time", "yesterday"],
    stdin=_case(lambda d: d["reports"][0].update(time="yesterday")))  # fmt: skip
bad("implication cycle", ["score", "-"], ["cycle"],
    stdin=_case(lambda d: d["links"].append(
        {"kind": "implies", "from": "nk-deployed", "to": "nk-30-casualties"})))  # fmt: skip
bad("wrong format version", ["score", "-"], ["credscore", "version"],
    stdin=_case(lambda d: d.update(credscore=2)))  # fmt: skip
bad("unknown claim to explain", ["explain", "-", "zzz"], ["zzz", "not in the case"],
    stdin=KURSK_TEXT)  # fmt: skip
bad("explain without a claim", ["explain", "k.json"], ["CLAIM"], files={"k.json": KURSK_TEXT})
bad("unknown --claim", ["score", "-", "--claim", "zzz"], ["zzz"], stdin=KURSK_TEXT)
bad("bad --as-of", ["score", "-", "--as-of", "soon"], ["--as-of", "soon"], stdin=KURSK_TEXT)
bad("unknown --model", ["score", "-", "--model", "oracle"], ["--model", "oracle"],
    stdin=KURSK_TEXT)  # fmt: skip
bad("unknown example", ["example", "atlantis"], ["atlantis", "kursk"])
bad("unknown command", ["frobnicate"], ["frobnicate"])
bad("unknown option", ["score", "-", "--colour"], ["--colour"], stdin=KURSK_TEXT)
bad("case file and --reports", ["score", "k.json", "--reports", "r.csv"], ["not both"],
    files={"k.json": KURSK_TEXT, "r.csv": REPORTS_CSV})  # fmt: skip
bad("--sources without --reports", ["score", "--sources", "s.csv"], ["--reports"],
    files={"s.csv": SOURCES_CSV})  # fmt: skip
bad("bad stance in a table", ["score", "--reports", "r.csv"],
    ["r.csv", "line 3", "column 'stance'", "maybe"],
    files={"r.csv": "source,claim,stance\na,c,confirms\nb,c,maybe\n"})  # fmt: skip
bad("missing column in a table", ["score", "--reports", "r.csv"], ["r.csv", "stance"],
    files={"r.csv": "source,claim\na,c\n"})  # fmt: skip
bad("unknown source in a table", ["score", "--reports", "r.csv", "--sources", "s.csv"],
    ["r.csv", "line 2", "column 'source'", "'zed'"],
    files={"r.csv": "source,claim,stance\nzed,c,confirms\n", "s.csv": "id\na\n"})  # fmt: skip
bad("bad weight in a table", ["score", "--reports", "r.csv"], ["r.csv", "weight", "heavy"],
    files={"r.csv": "source,claim,stance,weight\na,c,confirms,heavy\n"})  # fmt: skip


def _run_bad(
    item: tuple[str, list[str], str, dict[str, str | bytes], list[str]], root: Path
) -> subprocess.CompletedProcess[str]:
    name, args, stdin, files, _ = item
    folder = root / name.replace(" ", "-").replace("/", "")
    folder.mkdir()
    for fname, content in files.items():
        target = folder / fname
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return run(*args, stdin=stdin, cwd=folder)


@pytest.fixture(scope="module")
def bad_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every bad-input run, started a few at a time (each is a fresh interpreter)."""
    root = tmp_path_factory.mktemp("bad")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda item: _run_bad(item, root), BAD)
        return {item[0]: proc for item, proc in zip(BAD, results)}


def test_there_are_at_least_ten_kinds_of_bad_input() -> None:
    """The suite below covers at least ten distinct kinds of bad input."""
    assert len({name for name, *_ in BAD}) >= 10


@pytest.mark.parametrize("name", [item[0] for item in BAD])
def test_bad_input_exits_2_with_one_line_naming_the_problem(
    name: str, bad_runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    """Bad input: exit status 2, one line on stderr naming the problem, no traceback."""
    proc = bad_runs[name]
    words = next(item[4] for item in BAD if item[0] == name)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("credscore")
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The Python example in README.md runs, prints what the README says it
    prints, and that is what the command line prints for the same claim in
    the reference case (issue 13: they were 0.988 and 0.953)."""
    readme_path = Path(__file__).resolve().parents[1] / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "README.md has no Python example"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no loose ends in the example
        exec(compile(blocks[0], "README.md", "exec"), {})
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert f"It prints `{first}`" in " ".join(readme.split())
    assert "nk-casualties" in out
    reference = cs.score(cs.examples.kursk())["nk-casualties"]
    assert first == f"{reference.probability:.3f} {reference.grade} {reference.flags}"
    table = run("score", "-", "--claim", "nk-casualties", stdin=KURSK_TEXT).stdout
    assert table.splitlines()[1].split()[1] == first.split()[0]


def test_readme_commands_are_the_ones_tested() -> None:
    """README's two commands: the example piped into score, and the test command of CI."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "credscore example kursk | credscore score -" in readme
    assert "python -m pip install -e '.[test]' && python -m pytest" in readme


# -- issue 13: warnings, loose ends and an unambiguous case argument --------------------


def test_the_case_file_may_follow_claim(kursk_file: Path) -> None:
    """`--claim` takes one id: `score --claim nk-deployed kursk.json` no longer
    swallows the file name."""
    proc = run("score", "--claim", "nk-deployed", str(kursk_file))
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.split("\n\n")[0].splitlines()[1:]  # the claims table
    assert [ln.split()[0] for ln in rows] == ["nk-deployed"]


def test_a_loose_end_is_a_one_line_warning_in_score_and_an_error_in_validate(
    tmp_path: Path,
) -> None:
    doc = json.loads(KURSK_TEXT)
    doc["claims"][0]["benefits"] = ["ukraine"]
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    scored = run("score", str(path))
    assert scored.returncode == 0
    assert scored.stderr.splitlines() == [
        f"credscore score: warning: benefits of '{doc['claims'][0]['id']}': 'ukraine' matches "
        "no source's affiliation (affiliations start with 'kp', 'ru', 'ua', 'us'); "
        "it changes no probability"
    ]
    checked = run("validate", str(path))
    assert checked.returncode == 2
    assert checked.stderr.strip().splitlines() == [
        f"{path}: benefits of '{doc['claims'][0]['id']}': 'ukraine' matches no source's "
        "affiliation (affiliations start with 'kp', 'ru', 'ua', 'us')"
    ]


def test_as_of_says_that_untimed_reports_are_left_out(kursk_file: Path) -> None:
    proc = run("score", str(kursk_file), "--as-of", "2024-12-16")
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        "credscore score: warning: as_of: 1 report(s) without a time left out (an untimed "
        "report counts only when the whole case is scored)"
    ]


# -- issue 12, item 2: credscore models -------------------------------------------------


def test_models_lists_every_registered_model_with_its_values_and_paper() -> None:
    from credscore.models import available_models
    from credscore.models.registry import gold_models

    proc = run("models")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    case_part, table_part = text.split("table models (credscore fuse --model NAME)")
    assert case_part.startswith("case models (credscore score --model NAME)")
    for name in cs.case_models():
        assert f"\n  {name} " in case_part, name
    listed = [ln.split()[0] for ln in table_part.splitlines() if ln.startswith("  ") and
              not ln.startswith("   ")]  # fmt: skip
    assert listed == sorted(available_models())
    rows = json.loads(run("models", "--json").stdout)
    table = [r for r in rows if r["scale"] == "table"]
    assert [r["name"] for r in table] == sorted(available_models())
    for r in table:
        assert r["values"] and set(r["values"]) <= {"categorical", "numeric"}
        assert r["gold"] == (r["name"] in gold_models()), r["name"]
        assert r["summary"] and "`" not in r["summary"] and ":math:" not in r["summary"]
    assert "--fit-gold]" in next(ln for ln in table_part.splitlines() if ln.startswith("  ibcc"))
    assert "--fit-gold" not in next(
        ln for ln in table_part.splitlines() if ln.startswith("  majority")
    )
    majority = next(r for r in table if r["name"] == "majority")
    assert majority["values"] == ["categorical"]
    accu = next(r for r in table if r["name"] == "accu")
    assert "Dong" in accu["paper"] and "2009" in accu["paper"]
    # every model but the plain vote counts cites the paper it follows
    uncited = {r["name"] for r in table if not r["paper"]}
    assert uncited <= {"majority", "mean", "median"}, uncited
    independent = next(r for r in rows if r["name"] == "independent")
    assert "nested_dependence=0.0" in independent["summary"]


@pytest.mark.parametrize("model", ["corroboration", "independent"])
def test_score_set_changes_a_case_model_setting(kursk_file: Path, model: str) -> None:
    """`score --set prior=0.3` gives what the model with that setting gives;
    a bad value or key exits 2 naming the setting."""
    from credscore.case.registry import _CASE_MODELS

    proc = run("score", str(kursk_file), "--model", model, "--set", "prior=0.3", "--json")
    assert proc.returncode == 0, proc.stderr
    expected = cs.score(cs.examples.kursk(), cs.CorroborationModel(prior=0.3))
    if model == "independent":
        expected = cs.score(
            cs.examples.kursk(), attrs.evolve(_CASE_MODELS["independent"](), prior=0.3)
        )
    got = {c["id"]: c["probability"] for c in json.loads(proc.stdout)["claims"]}
    assert got == pytest.approx({c.id: c.probability for c in expected})
    bad = run("score", str(kursk_file), "--model", model, "--set", "prior=2")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "credscore score: error: --set: prior: must lie in (0, 1), got 2"
    unknown = run("explain", str(kursk_file), "nk-casualties", "--set", "colour=red")
    assert unknown.returncode == 2 and "no setting 'colour'" in unknown.stderr
    assert "threshold" in unknown.stderr and "Traceback" not in unknown.stderr


def test_models_lists_a_broken_user_factory_without_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import credscore.case.registry as reg
    from credscore.cli.models import describe_models

    monkeypatch.setattr(reg, "_CASE_MODELS", dict(reg._CASE_MODELS))

    def broken() -> Any:
        raise RuntimeError("no network")

    cs.register_case_model("needs-network", broken)
    row = next(r for r in describe_models() if r["name"] == "needs-network")
    assert row["summary"] == "(its factory fails: RuntimeError: no network)"
