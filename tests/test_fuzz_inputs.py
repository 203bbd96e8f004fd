"""Fuzzing the readers (issue 13): mutated case JSON and mutated CSV tables.

Every input either raises a :class:`~credscore.errors.CredscoreError` or loads
and scores with every probability in [0, 1], inside its interval, and without
a warning from numpy. A sample of the same inputs, given to the command line,
exits 0 or 2 and never prints a traceback.

The mutations are those a real file meets: deleted and unknown keys, wrong
types, huge and non-finite numbers, deep nesting, unicode and empty ids, a
byte-order mark, CRLF line ends, bytes that are not UTF-8, truncation, ragged
rows. One function makes each mutation from a ``RandomPick`` (a source of choices):
in the property tests its ``random.Random`` is Hypothesis's own
(``st.randoms()``, so failures shrink), for the command-line sample a seeded one.

The number of examples is ``CREDSCORE_FUZZ_EXAMPLES`` (default 10,000 for the
case JSON and 5,000 for each kind of table; about a minute in all on 2 cores).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import credscore as cs
from credscore.cli.main import main
from credscore.errors import CredscoreError, CredscoreWarning
from credscore.examples import path as example_path
from credscore.io.casefile import load_case
from credscore.io.casetables import read_case_tables
from credscore.table.read import read_table

T = TypeVar("T")
EXAMPLES = int(os.environ.get("CREDSCORE_FUZZ_EXAMPLES", "10000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TABLE_FUZZ = settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
WORK = Path(tempfile.mkdtemp(prefix="credscore-fuzz-"))


class RandomPick:
    def __init__(self, seed: int | random.Random) -> None:
        self.rng = seed if isinstance(seed, random.Random) else random.Random(seed)

    def one(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def int(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


# -- case JSON -------------------------------------------------------------------------

KURSK = json.loads(example_path("kursk").read_text(encoding="utf-8"))
SMALL = {
    "credscore": 1,
    "sources": [
        {"id": "a", "reliability": "B", "affiliation": "x/gov"},
        {"id": "b", "reliability": 0.7, "affiliation": "x/media", "kind": "media"},
        {"id": "c"},
    ],
    "groups": [{"id": "x", "dependence": 0.5}],
    "claims": [
        {"id": "p", "benefits": ["x"], "prior": 0.3},
        {"id": "q", "harms": ["x/gov"]},
        {"id": "r"},
    ],
    "links": [
        {"kind": "implies", "from": "p", "to": "q"},
        {"kind": "contradicts", "from": "q", "to": "r"},
        {"kind": "depends", "from": "a", "to": "c", "dependence": 0.4},
    ],
    "reports": [
        {"source": "a", "claim": "p", "stance": "confirms", "time": "2024-01-02"},
        {"source": "b", "claim": "p", "stance": "confirms", "cites": "a", "weight": 0.5},
        {"source": "c", "claim": "r", "stance": "denies", "time": "2024-01-03T10:00:00Z"},
        {"source": "a", "claim": "q", "stance": "retracts"},
        {"source": "c", "claim": "q", "stance": "no_comment"},
        {"source": "b", "claim": "r", "stance": "observes"},
    ],
}
BASES = [KURSK, SMALL]


def _deep(depth: int) -> Any:
    out: Any = []
    for _ in range(depth):
        out = [out]
    return out


VALUES: list[Callable[[], Any]] = [
    lambda: None,
    lambda: True,
    lambda: 0,
    lambda: -1,
    lambda: 1,
    lambda: 0.5,
    lambda: 1e-300,
    lambda: 1.0 - 1e-16,
    lambda: 10**400,  # written as 401 digits
    lambda: -(10**30),
    lambda: float("nan"),
    lambda: float("inf"),
    lambda: "",
    lambda: " ",
    lambda: "é",
    lambda: "ua/gov",
    lambda: "a",
    lambda: "B",
    lambda: "F",
    lambda: "confirms",
    lambda: "no comment",
    lambda: "2024-12-16",
    lambda: "0001-01-01T00:00:00+01:00",
    lambda: "9999-12-31T23:59:59-01:00",
    lambda: "\u0000",
    lambda: "\ud7ff\U0001f600",
    lambda: "x" * 5000,
    lambda: [],
    lambda: {},
    lambda: ["x"],
    lambda: {"id": "a"},
    lambda: _deep(40),
    lambda: _deep(300),
]


def _places(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a document, breadth first."""
    out: list[tuple[Any, Any]] = []
    todo = [doc]
    while todo and len(out) < 400:
        node = todo.pop(0)
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for k in keys:
            out.append((node, k))
            if isinstance(node[k], (dict, list)):
                todo.append(node[k])
    return out


def mutate_doc(pick: RandomPick, doc: dict[str, Any]) -> None:
    """One structural change somewhere in ``doc``."""
    places = _places(doc)
    if not places:
        return
    container, key = pick.one(places)
    what = pick.int(0, 6)
    if what == 0:  # delete
        del container[key]
    elif what == 1 and isinstance(container, dict):  # an unknown key beside it
        container[pick.one(["colour", "", "ID", "Stance", "é"])] = "red"
    elif what == 2:  # an id copied from elsewhere (duplicates, dangling references)
        container[key] = pick.one(["gur", "pentagon", "a", "b", "nk-deployed", "p", "zzz"])
    elif what == 3 and isinstance(container, list):  # an item repeated
        container.append(copy.deepcopy(container[key]))
    else:  # a value of another type or size
        container[key] = pick.one(VALUES)()


def case_bytes(pick: RandomPick) -> bytes:
    doc = copy.deepcopy(pick.one(BASES))
    for _ in range(pick.int(0, 4)):
        mutate_doc(pick, doc)
    try:
        text = json.dumps(doc, ensure_ascii=bool(pick.int(0, 1)))
    except ValueError:  # a NaN key, say: not JSON
        text = "{"
    if pick.int(0, 9) == 0:  # numbers no float holds
        text = text.replace("1e-300", "1e-400").replace("0.5", "5e999", 1)
    if pick.int(0, 19) == 0:  # nesting deeper than any recursion limit
        depth = pick.one([2000, 100_000])
        text = text.replace('"B"', "[" * depth + "]" * depth, 1)
    return mutate_bytes(pick, text.encode("utf-8"))


def mutate_bytes(pick: RandomPick, data: bytes) -> bytes:
    """Changes to the file's bytes: BOM, CRLF, a byte that is not UTF-8, a cut."""
    if pick.int(0, 7) == 0:
        data = b"\xef\xbb\xbf" + data
    if pick.int(0, 7) == 0:
        data = data.replace(b"\n", b"\r\n").replace(b", ", b",\r\n")
    if pick.int(0, 11) == 0 and data:
        i = pick.int(0, len(data) - 1)
        data = data[:i] + pick.one([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"]) + data[i:]
    if pick.int(0, 11) == 0 and data:
        data = data[: pick.int(0, len(data) - 1)]
    return data


def _check_scores(scores: cs.Scores) -> None:
    for c in scores:
        assert 0.0 <= c.probability <= 1.0, c
        lo, hi = c.interval
        assert 0.0 <= lo <= c.probability <= hi <= 1.0, c
        assert c.grade in range(1, 7)


@contextlib.contextmanager
def numpy_warnings_fail() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's overflow, invalid, ...
        warnings.simplefilter("ignore", CredscoreWarning)  # loose ends: expected here
        yield


def load_and_score_case(data: bytes, name: str = "case.json") -> None:
    path = WORK / name
    path.write_bytes(data)
    with numpy_warnings_fail():
        try:
            case = load_case(path)
        except CredscoreError:
            return
        _check_scores(cs.score(case))
        _check_scores(cs.score(case, as_of="2024-12-16"))
        if case.claims:
            cs.score(case).explain(case.claims[0].id)


def picks() -> st.SearchStrategy[RandomPick]:
    return st.builds(RandomPick, st.randoms(use_true_random=False))


@FUZZ
@given(picks())
def test_fuzzed_case_json_loads_and_scores_or_is_refused(pick: RandomPick) -> None:
    load_and_score_case(case_bytes(pick))


def test_the_mutations_reach_both_outcomes() -> None:
    """The fuzzer is worth running: of 300 seeded inputs, some load and some
    are refused, for more than one reason."""
    loaded, reasons = 0, set()
    for seed in range(300):
        path = WORK / "mix.json"
        path.write_bytes(case_bytes(RandomPick(seed)))
        try:
            load_case(path)
            loaded += 1
        except CredscoreError as exc:
            reasons.add(str(exc).split(":")[1 if str(exc).startswith(str(path)) else 0][:20])
    assert 30 <= loaded <= 270, loaded
    assert len(reasons) >= 10, reasons


# -- CSV tables ---------------------------------------------------------------------------

REPORTS = [
    ["source", "claim", "stance", "time", "cites", "weight"],
    ["gur", "nk-casualties", "confirms", "2024-12-16", "", ""],
    ["pentagon", "nk-casualties", "confirms", "2024-12-16T12:00:00Z", "", "1"],
    ["white-house", "nk-deployed", "confirms", "", "", ""],
    ["kremlin", "nk-deployed", "no comment", "", "", ""],
    ["daily", "nk-casualties", "confirms", "", "gur", "0.5"],
]
SOURCES = [
    ["id", "name", "reliability", "affiliation"],
    ["gur", "GUR", "B", "ua/gov/mod/gur"],
    ["pentagon", "US Department of Defense", "B", "us/gov/dod"],
    ["white-house", "White House", "0.7", "us/gov/nsc"],
    ["kremlin", "Kremlin", "C", "ru/gov/kremlin"],
    ["daily", "A daily paper", "", "media/daily"],
]
TABLE = [
    ["source", "object", "value"],
    ["s1", "x", "a"],
    ["s2", "x", "a"],
    ["s3", "x", "b"],
    ["s1", "y", "1.5"],
    ["s3", "y", "2"],
    ["s2", "z", "é"],
]
CELLS = ["", " ", "é", "nan", "inf", "-1", "1e400", "1" + "0" * 5000, '"', "a,b", "\t",
         "confirms", "denies", "maybe", "Z", "2024-13-40", "gur", "x" * 300]  # fmt: skip


def mutate_rows(pick: RandomPick, rows: list[list[str]]) -> None:
    what = pick.int(0, 5)
    r = pick.int(0, len(rows) - 1)
    if what == 0 and rows[r]:  # a ragged row: a cell dropped
        del rows[r][pick.int(0, len(rows[r]) - 1)]
    elif what == 1:  # a ragged row: a cell added
        rows[r].append(pick.one(CELLS))
    elif what == 2 and len(rows) > 1:  # a row deleted (the header too)
        del rows[r]
    elif what == 3:  # a row repeated
        rows.insert(r, list(rows[r]))
    elif rows[r]:  # a cell changed
        rows[r][pick.int(0, len(rows[r]) - 1)] = pick.one(CELLS)


def csv_bytes(pick: RandomPick, rows: list[list[str]]) -> bytes:
    rows = [list(r) for r in rows]
    for _ in range(pick.int(0, 3)):
        mutate_rows(pick, rows)
    sep = pick.one([",", ",", "\t", ";"])
    out = io.StringIO()
    for row in rows:
        out.write(sep.join(row) + "\n")
    return mutate_bytes(pick, out.getvalue().encode("utf-8"))


@TABLE_FUZZ
@given(picks())
def test_fuzzed_case_tables_load_and_score_or_are_refused(pick: RandomPick) -> None:
    (WORK / "reports.csv").write_bytes(csv_bytes(pick, REPORTS))
    (WORK / "sources.csv").write_bytes(csv_bytes(pick, SOURCES))
    with numpy_warnings_fail():
        try:
            case = read_case_tables(WORK / "reports.csv", WORK / "sources.csv")
        except CredscoreError:
            return
        _check_scores(cs.score(case))


@TABLE_FUZZ
@given(picks())
def test_fuzzed_tables_read_and_fuse_or_are_refused(pick: RandomPick) -> None:
    path = WORK / "table.csv"
    path.write_bytes(csv_bytes(pick, TABLE))
    with numpy_warnings_fail():
        warnings.simplefilter("ignore", cs.ConvergenceWarning)
        try:
            table = read_table(path)
        except CredscoreError:
            return
        for model in ("majority", "accu"):
            r = cs.fuse(table, model=model)
            p = r.claim_probability
            assert ((p >= 0) & (p <= 1 + 1e-12)).all()


# -- the command line on a sample of the same inputs ----------------------------------------


def _sample() -> list[tuple[str, list[str], dict[str, bytes]]]:
    out: list[tuple[str, list[str], dict[str, bytes]]] = []
    for seed in range(40):
        pick = RandomPick(seed)
        out.append((f"case-{seed}", ["score", "case.json"], {"case.json": case_bytes(pick)}))
    for seed in range(10):
        pick = RandomPick(1000 + seed)
        out.append((f"explain-{seed}", ["explain", "case.json", "nk-casualties"],
                    {"case.json": case_bytes(pick)}))  # fmt: skip
        out.append(
            (f"validate-{seed}", ["validate", "case.json"], {"case.json": case_bytes(pick)})
        )
    for seed in range(20):
        pick = RandomPick(2000 + seed)
        files = {"r.csv": csv_bytes(pick, REPORTS), "s.csv": csv_bytes(pick, SOURCES)}
        out.append(
            (f"tables-{seed}", ["score", "--reports", "r.csv", "--sources", "s.csv"], files)
        )
        out.append((f"fuse-{seed}", ["fuse", "t.csv"], {"t.csv": csv_bytes(pick, TABLE)}))
    return out


SAMPLE = _sample()


def _in_process(args: list[str], cwd: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.chdir(old)
    return code, err.getvalue()


def test_the_command_line_exits_0_or_2_on_fuzzed_inputs(tmp_path: Path) -> None:
    """Every sampled input, in process: status 0 or 2, and any error is one
    line naming the command (an exception escaping main fails the test)."""
    codes = set()
    for name, args, files in SAMPLE:
        folder = tmp_path / name
        folder.mkdir()
        for fname, data in files.items():
            (folder / fname).write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            code, err = _in_process(args, folder)
        assert code in (0, 2), (name, code, err)
        if code == 2:
            assert "Traceback" not in err, (name, err)
            if args[0] == "validate" and not err.startswith("credscore validate: error: "):
                # the case was read: one problem per line, each naming the file
                assert all(ln.startswith("case.json: ") for ln in err.splitlines()), (name, err)
            else:
                assert err.startswith(f"credscore {args[0]}: error: "), (name, err)
                assert err.count("\n") == 1, (name, err)
        codes.add(code)
    assert codes == {0, 2}  # the sample has both kinds


@pytest.mark.skipif(sys.platform == "win32", reason="the console script path differs")
def test_the_installed_command_prints_no_traceback_on_fuzzed_inputs(tmp_path: Path) -> None:
    """A few of the same inputs through the real command (a fresh interpreter each)."""
    for name, args, files in SAMPLE[::10]:
        folder = tmp_path / name
        folder.mkdir()
        for fname, data in files.items():
            (folder / fname).write_bytes(data)
        proc = subprocess.run(
            [sys.executable, "-m", "credscore", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode in (0, 2), (name, proc.stderr)
        assert "Traceback" not in proc.stderr, (name, proc.stderr)
