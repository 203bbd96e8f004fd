"""credscore.plot (issue 12, item 4): every function returns a Figure, on the
reference case and on a fused crowd set, that renders to PNG; what it draws
is what the scores say."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import credscore
from credscore import Case, Claim, Link, Report, Source, examples, score
from credscore.cli.main import main

mpl = pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

import credscore.plot as cplot  # noqa: E402

DATA = Path(
    os.environ.get("CREDSCORE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
PNG = b"\x89PNG\r\n\x1a\n"


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    data = buf.getvalue()
    assert data.startswith(PNG) and len(data) > 2000
    return data


@pytest.fixture(scope="module")
def kursk() -> Case:
    return examples.kursk()


@pytest.fixture(scope="module")
def rte() -> tuple[credscore.FusionResult, np.ndarray, np.ndarray]:
    """dawid-skene on RTE: the result, the probability of each fused value and
    whether it is the gold label."""
    if not DATA.is_dir():
        pytest.skip(f"no data folder at {DATA}")
    from credscore.datasets import load

    ds = load("rte", DATA)
    r = credscore.fuse(ds.table, model="dawid-skene")
    pos = {o: i for i, o in enumerate(ds.table.object_ids.tolist())}
    keys = [k for k in ds.gold if k in pos]
    idx = np.array([pos[k] for k in keys])
    gold = np.array([ds.gold[k] for k in keys])
    return r, r.probability[idx], r.value[idx] == gold


# -- timeline -----------------------------------------------------------------


@pytest.mark.parametrize("claim", ["nk-casualties", "nk-deployed", "nk-11000"])
def test_timeline_on_the_reference_case_renders(kursk: Case, claim: str) -> None:
    fig = cplot.timeline(kursk, claim)
    assert isinstance(fig, Figure)
    png(fig)


def test_timeline_steps_through_the_scores_as_of_each_report() -> None:
    """The line is the prior, then the score as_of each report time: checked
    against scores computed here, on a case whose score changes three times."""
    case = Case(
        sources=[Source("a", reliability="B"), Source("b", reliability="C"), Source("c")],
        claims=[Claim("x")],
        reports=[
            Report("a", "x", "confirms", time="2024-01-01"),
            Report("b", "x", "confirms", time="2024-01-05T12:00"),
            Report("c", "x", "denies", time="2024-02-01"),
        ],
    )
    fig = cplot.timeline(case, "x")
    line = fig.axes[0].get_lines()[0]
    ys = np.asarray(line.get_ydata(), dtype=float)
    times = [datetime(2024, 1, 1), datetime(2024, 1, 5, 12), datetime(2024, 2, 1)]
    expected = [0.5] + [score(case, as_of=t)["x"].probability for t in times]
    assert ys[:-1] == pytest.approx(expected)
    assert ys[-1] == pytest.approx(score(case)["x"].probability)
    assert len(set(np.round(ys, 9))) == 4  # the score really moved each time
    # each report is marked in its stance's colour
    marks = [c for c in fig.axes[0].collections if isinstance(c, mpl.collections.PathCollection)]
    assert len(marks) == 3
    colours = {mpl.colors.to_hex(c.get_facecolor()[0]) for c in marks}
    assert colours == {cplot.STANCE_COLOURS["confirms"], cplot.STANCE_COLOURS["denies"]}


def test_timeline_shows_untimed_reports_in_the_last_point(kursk: Case) -> None:
    """nk-11000's only report has no time: it counts in the whole-case point."""
    fig = cplot.timeline(kursk, "nk-11000")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "all reports (+1 untimed)" in labels
    whole = score(kursk)["nk-11000"].probability
    bars = [c for c in fig.axes[0].containers if isinstance(c, mpl.container.ErrorbarContainer)]
    (bar,) = bars
    assert bar.lines[0].get_ydata()[0] == pytest.approx(whole)


def test_timeline_scores_at_most_max_points_times() -> None:
    n = 300
    start = datetime(2024, 1, 1)
    case = Case(
        sources=[Source(f"s{i}") for i in range(n)],
        claims=[Claim("x")],
        reports=[
            Report(
                f"s{i}", "x", "confirms" if i % 3 else "denies", time=start + timedelta(hours=i)
            )
            for i in range(n)
        ],
    )
    fig = cplot.timeline(case, "x", max_points=20)
    # prior + 20 times + the closing point
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 22


# -- dependence graph ---------------------------------------------------------


def test_dependence_graph_on_the_reference_case(kursk: Case) -> None:
    fig = cplot.dependence_graph(kursk, "nk-deployed")
    png(fig)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    # every source whose report bears on the claim is a node, with its letter
    for node in ("gur (B)", "pentagon (B)", "white-house (B)", "kremlin (C)", "intel-sources (F)"):
        assert node in texts
    assert "pyongyang (E)" not in texts  # said nothing
    # the groups that pool two or more of them: us/gov declared 0.8, ru/gov default 0.8
    groups = sorted(t for t in texts if " r=" in t)
    assert groups == ["ru/gov r=0.80", "us/gov r=0.80"]


def test_dependence_graph_widths_follow_the_effects(kursk: Case) -> None:
    from matplotlib.patches import FancyArrowPatch

    fig = cplot.dependence_graph(kursk, "nk-casualties")
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    contributions = score(kursk)["nk-casualties"].contributions
    report_arrows = arrows[-len(contributions) :]
    widths = [a.get_linewidth() for a in report_arrows]
    effects = [abs(c.effect) for c in contributions]
    # wider exactly where the effect is larger
    assert (
        np.argsort(widths, kind="stable").tolist() == np.argsort(effects, kind="stable").tolist()
    )
    assert max(widths) == pytest.approx(5.0)


def test_dependence_graph_draws_citations_and_declared_links() -> None:
    case = Case(
        sources=[Source("afp"), Source("paper"), Source("reuters"), Source("wire")],
        claims=[Claim("x")],
        reports=[
            Report("afp", "x", "confirms"),
            Report("paper", "x", "confirms", cites="afp"),
            Report("reuters", "x", "confirms"),
            Report("wire", "x", "denies"),
        ],
        links=[Link("depends", "reuters", "wire", dependence=0.5)],
    )
    fig = cplot.dependence_graph(case, "x")
    ax = fig.axes[0]
    dashed = [
        p
        for p in ax.patches
        if isinstance(p, mpl.patches.FancyArrowPatch) and p.get_linestyle() == "--"
    ]
    assert len(dashed) == 1  # paper cites afp
    dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(dotted) == 1  # reuters depends on wire
    png(fig)


# -- reliability diagram and sources of a fused table -------------------------


def test_reliability_diagram_points_are_the_bins() -> None:
    p = np.array([0.05, 0.15, 0.15, 0.85, 0.95, 0.95])
    y = np.array([0, 0, 1, 1, 1, 0])
    fig = cplot.reliability_diagram(p, y, n_bins=2)
    x, share = fig.axes[0].get_lines()[1].get_data()
    assert np.asarray(x) == pytest.approx([0.35 / 3, 2.75 / 3])
    assert np.asarray(share) == pytest.approx([1 / 3, 2 / 3])
    label = fig.axes[0].get_legend().get_texts()[1].get_text()
    ece = credscore.metrics.expected_calibration_error(p, y, n_bins=2, strategy="uniform")
    assert f"ECE {ece:.3f}" in label
    png(fig)


def test_reliability_diagram_of_a_fused_crowd_set(rte) -> None:  # type: ignore[no-untyped-def]
    _, prob, correct = rte
    fig = cplot.reliability_diagram(prob, correct, label="dawid-skene on RTE")
    assert "dawid-skene on RTE: ECE" in fig.axes[0].get_legend().get_texts()[1].get_text()
    png(fig)


def test_reliability_diagram_names_bad_input() -> None:
    with pytest.raises(credscore.metrics.MetricInputError, match="prob"):
        cplot.reliability_diagram([0.5, 1.5], [0, 1])


def test_source_reliability_of_a_fused_crowd_set(rte) -> None:  # type: ignore[no-untyped-def]
    result, *_ = rte
    fig = cplot.source_reliability(result, max_sources=20)
    ax = fig.axes[0]
    bars = [b.get_width() for b in ax.patches]
    assert len(bars) == 20
    rel = np.sort(result.reliability)[::-1]
    assert bars == pytest.approx(np.concatenate([rel[:10], rel[-10:]]).tolist())
    assert f"{result.table.n_sources - 20:,} more not shown" in ax.get_title()
    png(fig)


# -- shared behaviour -----------------------------------------------------------


def test_drawing_into_a_given_axes(kursk: Case) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert cplot.timeline(kursk, "nk-casualties", ax=left) is fig
    assert cplot.dependence_graph(kursk, "nk-casualties", ax=right) is fig
    assert left.get_ylabel() == "probability"
    with pytest.raises(TypeError, match="ax: expected a matplotlib Axes"):
        cplot.timeline(kursk, "nk-casualties", ax="left")  # type: ignore[arg-type]


@pytest.mark.parametrize("draw", [cplot.timeline, cplot.dependence_graph])
def test_an_unknown_claim_is_named(kursk: Case, draw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError, match="no claim 'nk-nothing'"):
        draw(kursk, "nk-nothing")


def test_without_matplotlib_the_error_names_the_extra(
    kursk: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    import credscore._optional as opt

    real = opt.importlib.import_module

    def no_mpl(name: str, *a: object) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(opt.importlib, "import_module", no_mpl)
    with pytest.raises(ImportError, match=r"credscore\[plot\]"):
        cplot.timeline(kursk, "nk-casualties")


# -- command line ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "suffix", "magic"),
    [("timeline", "png", PNG), ("graph", "svg", b"<?xml"), ("timeline", "pdf", b"%PDF")],
)
def test_plot_command_writes_the_file(
    tmp_path: Path, kind: str, suffix: str, magic: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "kursk.json"
    case.write_text(examples.path("kursk").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / f"nk.{suffix}"
    assert main(["plot", str(case), "nk-casualties", "-o", str(out), "--kind", kind]) == 0
    assert out.read_bytes().startswith(magic)
    assert f"wrote {out}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nk-casualties", "-o", "nk.gif"], "must end in .png, .svg or .pdf"),
        (["nk-nothing", "-o", "nk.png"], "claim 'nk-nothing' is not in the case"),
        (["nk-casualties", "-o", "nk.png", "--set", "prior=2"], "prior"),
        (["nk-casualties", "-o", "nk.png", "--set", "nonsense=1"], "nonsense"),
    ],
)
def test_plot_command_errors(
    tmp_path: Path,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = tmp_path / "kursk.json"
    case.write_text(examples.path("kursk").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["plot", str(case), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "nk.png").exists() and not (tmp_path / "nk.gif").exists()


def test_the_readme_see_it_example_writes_the_timeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    (see_it,) = [b for b in blocks if "credscore.plot" in b]
    assert len(see_it.strip().splitlines()) == 3
    monkeypatch.chdir(tmp_path)
    exec(compile(see_it, "README.md", "exec"), {})
    assert (tmp_path / "nk-casualties.png").read_bytes().startswith(PNG)
