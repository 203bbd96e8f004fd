"""Shapes of input at the extremes (issue 14): long chains, deep trees, wide
claims, huge and tiny numbers, text that cannot be written, failed writes.

Each test checks a result, never a time: the time and memory targets live in
``benchmarks/stress.py``.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import credscore as cs
import credscore.strategies as cst
from credscore.case.compile import GroupPaths, compile_case
from credscore.cli import main
from credscore.errors import InvalidCaseError, InvalidTableError

# -- implies: no stored closure ------------------------------------------------


def _naive_closure(n: int, edges: list[tuple[int, int]]) -> list[set[int]]:
    """Strict descendants of every node, by repeated relaxation (obviously right)."""
    reach = [set() for _ in range(n)]
    for a, b in edges:
        reach[a].add(b)
    changed = True
    while changed:
        changed = False
        for u in range(n):
            extra = set().union(*(reach[v] for v in reach[u])) - reach[u] if reach[u] else set()
            if extra:
                reach[u] |= extra
                changed = True
    return reach


@st.composite
def dags(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    n = draw(st.integers(1, 12))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=30)) if pairs else []
    perm = draw(st.permutations(range(n)))  # so that edges do not all point "up"
    return n, [(perm[a], perm[b]) for a, b in edges]


def _dag_case(n: int, edges: list[tuple[int, int]], priors: list[float] | None = None) -> cs.Case:
    claims = [cs.Claim(f"k{i}", prior=None if priors is None else priors[i]) for i in range(n)]
    links = [cs.Link("implies", f"k{a}", f"k{b}") for a, b in edges]
    return cs.Case([cs.Source("s")], claims, [], links=links)


@given(dags(), st.data())
@settings(max_examples=150, deadline=None)
def test_descendants_and_ancestors_match_the_naive_closure(
    dag: tuple[int, list[tuple[int, int]]], data: st.DataObject
) -> None:
    n, edges = dag
    cc = compile_case(_dag_case(n, edges))
    starts = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=8)), dtype=np.int64)
    down = _naive_closure(n, edges)
    up = _naive_closure(n, [(b, a) for a, b in edges])
    for method, want in ((cc.descendants, down), (cc.ancestors, up)):
        owner, node = method(starts)
        got = sorted(zip(owner.tolist(), node.tolist()))
        expect = sorted((k, v) for k, u in enumerate(starts.tolist()) for v in want[u])
        assert got == expect


@given(dags(), st.data())
@settings(max_examples=100, deadline=None)
def test_priors_are_raised_to_the_largest_prior_above(
    dag: tuple[int, list[tuple[int, int]]], data: st.DataObject
) -> None:
    """A implies B: p(B) never starts below p(A); the topological pass gives
    the maximum over every claim above, as the closure does."""
    n, edges = dag
    priors = data.draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n))
    cc = compile_case(_dag_case(n, edges, priors))
    got = cs.CorroborationModel().priors(cc)
    up = _naive_closure(n, [(b, a) for a, b in edges])
    expect = [max([priors[c]] + [priors[a] for a in up[c]]) for c in range(n)]
    assert got.tolist() == expect


def test_a_long_chain_carries_evidence_to_its_end() -> None:
    """A confirmation at the top of a 3,000-claim chain confirms every claim
    below; a denial at the end counts against every claim above."""
    n = 3000
    claims = [cs.Claim(f"k{i}") for i in range(n)]
    links = [cs.Link("implies", f"k{i}", f"k{i + 1}") for i in range(n - 1)]
    top = cs.Case(
        [cs.Source("s", reliability="B")], claims, [cs.Report("s", "k0", "confirms")], links=links
    )
    p = cs.score(top).probability
    assert p[0] > 0.5 and np.all(p == p[0])
    end = cs.Case(
        [cs.Source("s", reliability="B")],
        claims,
        [cs.Report("s", f"k{n - 1}", "denies")],
        links=links,
    )
    q = cs.score(end).probability
    assert q[0] < 0.5 and np.all(q == q[0])


# -- affiliation groups as a tree of segments ---------------------------------


def test_group_paths_name_and_find_every_prefix() -> None:
    paths = GroupPaths()
    g = paths.add("us/gov/dod")
    h = paths.add("us/gov/state")
    assert [paths[i] for i in range(len(paths))] == ["us", "us/gov", "us/gov/dod", "us/gov/state"]
    assert (paths.index("us/gov/dod"), paths.index("us/gov/state")) == (g, h)
    assert paths.index("us/go") is None and paths.index("us/gov/dod/x") is None
    assert paths.chain(g) == [0, 1, g] and paths[-1] == "us/gov/state"
    assert list(paths[1:3]) == ["us/gov", "us/gov/dod"]
    with pytest.raises(IndexError):
        paths[4]


def test_interest_is_found_at_any_depth_of_a_deep_affiliation() -> None:
    """1,000 levels deep, a claim that benefits the 500th prefix is self-serving
    for the sources below it, and not for one beside it."""
    deep = "/".join(f"g{i}" for i in range(1000))
    beside = "/".join(f"g{i}" for i in range(499)) + "/other"
    prefix = "/".join(f"g{i}" for i in range(500))
    sources = [
        cs.Source("a", reliability="B", affiliation=deep),
        cs.Source("b", reliability="B", affiliation=deep),
        cs.Source("c", reliability="B", affiliation=beside),
    ]
    claims = [cs.Claim("x", benefits=[prefix]), cs.Claim("y", benefits=[prefix])]
    reports = [
        cs.Report("a", "x", "confirms"),
        cs.Report("b", "x", "confirms"),
        cs.Report("c", "y", "confirms"),
    ]
    s = cs.score(cs.Case(sources, claims, reports))
    assert "self-serving" in s["x"].flags
    assert "self-serving" not in s["y"].flags
    cc = s.compiled
    assert cc.group_ids[int(cc.source_group[0])] == deep
    text = s.explain("x")
    assert "a and b were pooled as dependent: they share " + deep in text


# -- citations: origins by pointer jumping --------------------------------------


@pytest.mark.parametrize("n", [2, 3, 17, 1000])
def test_a_citation_chain_has_one_origin(n: int) -> None:
    """s1 cites s2 cites ... cites s{n}, all on one claim: one origin, and
    the claim is flagged circular (more than one voice, one origin)."""
    sources = [cs.Source(f"s{i}", reliability="B") for i in range(1, n + 1)]
    reports = [cs.Report(f"s{i}", "c", "confirms", cites=f"s{i + 1}") for i in range(1, n)]
    reports.append(cs.Report(f"s{n}", "c", "confirms"))
    case = cs.Case(sources, [cs.Claim("c")], reports[::-1] if n % 2 else reports)
    s = cs.score(case)["c"]
    assert s.independent_confirmations == 1
    assert "circular" in s.flags and "single-source" not in s.flags
    origin = cs.CorroborationModel().evidence(compile_case(case)).origin
    assert set(origin.tolist()) == {n - 1}


# -- long cycles are reported briefly -------------------------------------------


def test_a_long_implication_cycle_is_named_by_its_length_and_first_ids() -> None:
    n = 10_000
    claims = [cs.Claim(f"k{i}") for i in range(n)]
    links = [cs.Link("implies", f"k{i}", f"k{(i + 1) % n}") for i in range(n)]
    with pytest.raises(
        InvalidCaseError, match=f"implication cycle of {n} claims: k0 -> k1"
    ) as info:
        cs.Case([], claims, [], links=links)
    assert len(str(info.value)) < 300
    assert "k9 -> ..." in str(info.value)


def test_a_short_cycle_is_listed_whole() -> None:
    claims = [cs.Claim(c) for c in "abc"]
    links = [
        cs.Link("implies", "a", "b"),
        cs.Link("implies", "b", "c"),
        cs.Link("implies", "c", "a"),
    ]
    with pytest.raises(InvalidCaseError, match=r"implication cycle a -> b -> c -> a$"):
        cs.Case([], claims, [], links=links)


def test_a_long_citation_cycle_is_named_by_its_length() -> None:
    n = 50
    sources = [cs.Source(f"s{i}") for i in range(n)]
    reports = [cs.Report(f"s{i}", "c", "confirms", cites=f"s{(i + 1) % n}") for i in range(n)]
    with pytest.raises(InvalidCaseError, match=f"citation cycle of {n} sources: s0 -> s1"):
        cs.Case(sources, [cs.Claim("c")], reports)


# -- explain: linear, summarised ------------------------------------------------


def _wide(n: int, affiliation: str | None = None) -> cs.Case:
    sources = [cs.Source(f"s{i:04d}", reliability="B", affiliation=affiliation) for i in range(n)]
    reports = [cs.Report(f"s{i:04d}", "c", "confirms") for i in range(n)]
    return cs.Case(sources, [cs.Claim("c")], reports)


def test_explain_lists_the_strongest_reports_and_sums_the_rest() -> None:
    s = cs.score(_wide(300))
    text = s.explain("c")
    listed = [ln for ln in text.splitlines() if ln.startswith("  - s")]
    assert len(listed) == 20
    summary = next(ln for ln in text.splitlines() if ln.startswith("  - and 280 more report(s)"))
    # The listed effects and the summary add up to the whole move in log-odds.
    effects = [float(ln.rsplit(", ", 1)[1].split()[0]) for ln in listed]
    rest = float(summary.split("together ")[1].split()[0])
    assert math.isclose(sum(effects) + rest, s["c"].log_odds, abs_tol=0.01 * 21)
    full = s.explain("c", max_reports=None)
    assert len([ln for ln in full.splitlines() if ln.startswith("  - s")]) == 300


def test_dependence_is_one_sentence_per_group_not_per_pair() -> None:
    s = cs.score(_wide(40, affiliation="ru/gov"))
    notes = [ln for ln in s.explain("c").splitlines() if "pooled as dependent" in ln]
    assert notes == [
        "s0000, s0001, s0002, s0003, s0004 and 35 other sources were pooled as dependent: "
        "they share ru/gov (dependence 0.80)."
    ]


def test_contributions_add_up_to_the_log_odds_on_a_wide_claim() -> None:
    s = cs.score(_wide(2000, affiliation=None))["c"]
    total = math.fsum(c.effect for c in s.contributions)
    assert math.isclose(total, s.log_odds, rel_tol=1e-9)


# -- numerical edges -------------------------------------------------------------


def test_underflowing_stand_in_reliability_warns_nothing() -> None:
    case = cs.Case(
        [cs.Source("a", reliability=1e-200), cs.Source("b", reliability=1e-200)],
        [cs.Claim("c")],
        [cs.Report("b", "c", "confirms", cites="a")],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = cs.score(case)["c"]
    assert 0.5 <= s.probability < 0.5 + 1e-12
    assert all(math.isfinite(x) for x in s.interval)


@pytest.mark.parametrize("values", [[1e308, 1e308], [1e308, 1.5e308, -1e308], [2e100, 1.0]])
def test_numbers_too_large_to_fuse_are_refused_by_name(values: list[float]) -> None:
    src = np.array([f"s{i}" for i in range(len(values))])
    obj = np.array(["o"] * len(values))
    with pytest.raises(
        InvalidTableError, match=r"^value: row \d \(source 's\d', object 'o'\) is "
    ):
        cs.Table.from_arrays(src, obj, np.array(values))


def test_numbers_up_to_1e100_fuse_without_a_warning() -> None:
    t = cs.Table.from_arrays(
        np.array(["a", "b", "c"]), np.array(["o", "o", "o"]), np.array([1e100, -1e100, 5e99])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in ("mean", "median"):
            r = cs.models.get_model(model).fit_score(t)
            assert np.all(np.isfinite(r.claim_probability))


def test_nan_in_a_table_is_named_in_plain_words(tmp_path: Path) -> None:
    with pytest.raises(InvalidTableError, match=r"is nan, not a finite number$"):
        cs.Table.from_arrays(np.array(["a"]), np.array(["o"]), np.array([np.nan]))
    f = tmp_path / "t.csv"
    f.write_text("source,object,value\na,o,1\nb,o,nan\nc,o,1e308\n", encoding="utf-8")
    with pytest.raises(
        InvalidTableError, match=r"line 3: the value column 'value' holds 'nan', not"
    ):
        cs.read_table(f, numeric=True)
    f.write_text("source,object,value\na,o,1\nc,o,1e308\n", encoding="utf-8")
    with pytest.raises(InvalidTableError, match=r"line 3: .* holds '1e308', beyond \+-1e\+100"):
        cs.read_table(f, numeric=True)


def test_fuse_mean_on_huge_numbers_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "t.csv"
    f.write_text("source,object,value\na,o,1e308\nb,o,1e308\n", encoding="utf-8")
    assert main(["fuse", "--model", "mean", "--numeric", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1e308" in err[0] and "np.float64" not in err[0]


# -- text that cannot be written --------------------------------------------------


def test_lone_surrogates_are_refused_where_they_enter(tmp_path: Path) -> None:
    with pytest.raises(InvalidCaseError, match=r"sources\.id: holds a lone surrogate"):
        cs.Source("a\ud800")
    with pytest.raises(InvalidCaseError, match=r"reports\.claim: holds a lone surrogate"):
        cs.Report("a", "c\udcff", "confirms")
    with pytest.raises(InvalidCaseError, match="text of 'c': holds a lone surrogate"):
        cs.Claim("c", text="x\udfff")
    with pytest.raises(InvalidCaseError, match="affiliation of 'a': holds a lone surrogate"):
        cs.Source("a", affiliation="us/\ud800")
    doc = '{"credscore": 1, "sources": [{"id": "a\\ud800"}], "claims": [], "reports": []}'
    p = tmp_path / "s.json"
    p.write_text(doc, encoding="utf-8")
    with pytest.raises(InvalidCaseError, match=r"sources\[0\]\.id holds a lone surrogate"):
        cs.load_case(p)
    # A pair written as two escapes is one character, and fine.
    ok = doc.replace("a\\ud800", "\\ud83d\\ude00")
    assert cs.load_case(io.StringIO(ok)).sources[0].id == "\U0001f600"


def test_the_command_line_refuses_a_lone_surrogate_without_a_traceback(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(cs.examples.kursk().to_dict()))
    doc["sources"][0]["id"] = "gur\ud800"
    p = tmp_path / "s.json"
    p.write_text(json.dumps(doc), encoding="utf-8")  # json.dumps escapes it as \ud800
    for argv in (
        ["score", str(p)],
        ["score", "--json", str(p)],
        ["explain", str(p), "nk-deployed"],
        ["validate", str(p)],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "credscore", *argv], capture_output=True, text=True
        )
        assert proc.returncode in (1, 2), argv
        assert "Traceback" not in proc.stderr
        assert "lone surrogate" in proc.stderr + proc.stdout


def test_load_case_names_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "latin.json"
    p.write_bytes(b'{"credscore": 1, "sources": [{"id": "\xe9"}], "claims": [], "reports": []}')
    with pytest.raises(InvalidCaseError, match=r"latin\.json: not UTF-8 text"):
        cs.load_case(p)
    with open(p, "rb") as f, pytest.raises(InvalidCaseError, match="not UTF-8 text"):
        cs.load_case(f)  # type: ignore[arg-type]


# -- safe writes --------------------------------------------------------------------


def test_a_write_that_fails_mid_way_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "case.json"
    cs.dump_case(cs.examples.kursk(), p)
    before = p.read_bytes()
    real_fdopen = os.fdopen

    class Broken(io.RawIOBase):
        def __init__(self, f: io.BufferedWriter) -> None:
            self.f = f

        def write(self, data: bytes) -> int:  # type: ignore[override]
            self.f.write(bytes(data)[: len(data) // 2])  # half of it lands, then a failure
            raise OSError(5, "Input/output error")

        def close(self) -> None:
            self.f.close()

    monkeypatch.setattr(os, "fdopen", lambda fd, mode, **kw: Broken(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="Input/output error"):
        cs.dump_case(_wide(2000), p)
    monkeypatch.undo()
    assert p.read_bytes() == before
    assert [x.name for x in tmp_path.iterdir()] == ["case.json"]


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_leaves_the_old_file(tmp_path: Path) -> None:
    """With the file size limited to 200,000 bytes (a full disk, as far as the
    writer can tell), a 700 KB write fails and the old file is intact."""
    p = tmp_path / "case.json"
    cs.dump_case(cs.examples.kursk(), p)
    before = p.read_bytes()
    script = f"""
import resource, signal, sys
import credscore as cs
import credscore.strategies as cst
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_scale_edges import _wide
case = _wide(6000)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
try:
    cs.dump_case(case, {str(p)!r})
except OSError as exc:
    print("refused:", exc.errno)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused:")
    assert p.read_bytes() == before
    assert [x.name for x in tmp_path.iterdir()] == ["case.json"]
    assert len(json.dumps(_wide(6000).to_dict(), indent=2)) > 700_000


# -- fuse --json, streamed --------------------------------------------------------


@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=3),
            st.text(min_size=1, max_size=3),
            st.one_of(st.text(min_size=1, max_size=3), st.integers(-5, 5)),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["majority", "accu", "mean"]),
    st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_streamed_json_is_byte_for_byte_json_dump(
    rows: list[tuple[str, str, object]], model: str, with_extra: bool
) -> None:
    from credscore.models.base import write_json

    numeric = model == "mean"
    vals = [
        v if numeric == isinstance(v, int) else (len(str(v)) if numeric else str(v))
        for *_, v in rows
    ]
    t = cs.Table.from_arrays([r[0] for r in rows], [r[1] for r in rows], vals, numeric=numeric)
    result = cs.fuse(t, model=model)
    extra = {"evaluation": {"accuracy": 0.5, "n": 3, "nan": None}} if with_extra else None
    buf = io.StringIO()
    write_json(result, buf, extra=extra)
    doc = {**result.to_dict(), **(extra or {})}
    assert buf.getvalue() == json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


@given(cst.cases(), st.booleans())
@settings(max_examples=60, deadline=None)
def test_streamed_scores_json_is_byte_for_byte_json_dumps(case: cs.Case, some: bool) -> None:
    s = cs.score(case)
    wanted = list(s.claim_ids[::2]) if some else None
    buf = io.StringIO()
    s.write_json(buf, wanted)
    doc = s.to_dict()
    if wanted is not None:
        by_id = {c["id"]: c for c in doc["claims"]}
        doc["claims"] = [by_id[c] for c in wanted]
    assert buf.getvalue() == json.dumps(doc, indent=2, ensure_ascii=False)


# -- load_case builds plain parts as it reads -------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "B", "confirms", ""]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "source", "claim", "stance", "reliability"]), inner, max_size=3
        )
    ),
    max_leaves=6,
)


@st.composite
def case_documents(draw: st.DrawFn) -> object:
    """Valid case documents, and ones with parts in the wrong sections,
    null reliabilities, objects where strings belong, ..."""
    doc = draw(cst.cases()).to_dict()
    for _ in range(draw(st.integers(0, 3))):
        section = draw(
            st.sampled_from(["sources", "claims", "reports", "groups", "links", "credscore"])
        )
        if section == "credscore" or not isinstance(doc.get(section), list) or not doc[section]:
            doc[section] = draw(json_values)
            continue
        items = doc[section]
        i = draw(st.integers(0, len(items) - 1))
        if isinstance(items[i], dict):
            key = draw(st.sampled_from(["id", "source", "claim", "stance", "reliability", "text"]))
            items[i][key] = draw(json_values)
        else:
            items[i] = draw(json_values)
    return doc


def _load_outcome(load: object, doc: object) -> tuple[str, object]:
    try:
        case = load(doc)  # type: ignore[operator]
    except InvalidCaseError as exc:
        return "error", str(exc)
    return "case", case.to_dict()


@given(case_documents())
@settings(max_examples=300, deadline=None)
def test_loading_a_file_equals_building_from_its_dict(doc: object) -> None:
    """load_case builds plain reports and sources while the JSON is read; the
    case, or every message, is the same as case_from_dict on the parsed dict."""
    text = json.dumps(doc)
    fast = _load_outcome(lambda d: cs.load_case(io.StringIO(text)), doc)
    slow = _load_outcome(lambda d: cs.Case.from_dict(json.loads(text)), doc)
    assert fast == slow


def test_a_source_written_in_another_key_order_is_shown_as_written() -> None:
    """A source-like object with its keys in an unusual order, where a
    message shows it, reads the same from a file as from its dict (found by
    Hypothesis in a fresh environment)."""
    doc = {
        "credscore": 1,
        "sources": [{"id": {"reliability": "B", "id": "a"}, "reliability": "A"}],
        "claims": [{"id": "c0"}],
        "reports": None,
    }
    test_loading_a_file_equals_building_from_its_dict.hypothesis.inner_test(doc)  # type: ignore[attr-defined]


def test_explaining_a_claim_whose_reports_all_come_after_as_of() -> None:
    case = cs.Case(
        [cs.Source("s", reliability="A")],
        [cs.Claim("c")],
        [cs.Report("s", "c", "confirms", time="2024-12-01")],
    )
    s = cs.score(case, as_of="2024-11-30")["c"]
    assert s.probability == 0.5
    assert [c.note for c in s.contributions] == [
        "superseded by another report of the same source, or after as_of"
    ]


@given(
    st.text(max_size=4) | st.integers(),
    st.text(max_size=4) | st.none(),
    st.sampled_from(["confirms", "denies", "observes", "no_comment", "retracts", "maybe", " A"]),
    st.sampled_from(["A", "B", "F", "a", None, 0.5, "", "G"]),
)
def test_quick_parts_equal_the_checked_ones(
    a: object, b: object, stance: str, reliability: object
) -> None:
    """Built quickly or through every check, a part is the same part; when a
    check would fail, nothing is built quickly."""
    from credscore.case.parts import quick_report, quick_source

    def checked(make: object) -> object:
        try:
            return make()  # type: ignore[operator]
        except InvalidCaseError:
            return None

    for quick, slow in (
        (quick_report(a, b, stance), checked(lambda: cs.Report(a, b, stance))),  # type: ignore[arg-type]
        (quick_source(a, reliability), checked(lambda: cs.Source(a, reliability=reliability))),  # type: ignore[arg-type]
    ):
        if quick is not None:
            assert quick == slow and hash(quick) == hash(slow) and repr(quick) == repr(slow)
