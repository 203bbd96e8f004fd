"""ProgressReporter: what a long fit reports, with and without tqdm."""

from __future__ import annotations

import io
import re
import sys

import pytest

from credscore.models import DawidSkene, Progress, get_model
from credscore.models.progress import ProgressReporter, attach_progress
from credscore.table.table import Table

TABLE = Table.from_rows(
    [("w1", "q1", "a"), ("w2", "q1", "a"), ("w3", "q1", "b"), ("w1", "q2", "b"), ("w2", "q2", "b")]
)


def test_plain_lines_one_per_iteration() -> None:
    """Without a bar, every iteration of a fit writes iteration, change and elapsed."""
    out = io.StringIO()
    with ProgressReporter(file=out, bar=False) as report:
        DawidSkene(max_iter=4, tol=0, progress=report).fit(TABLE)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    for i, line in enumerate(lines, start=1):
        assert re.fullmatch(rf"dawid-skene: iteration {i}/4, change \S+, \d+\.\d s", line)


def test_min_interval_keeps_first_and_last() -> None:
    """With a long min_interval only the first and the last iteration are written."""
    out = io.StringIO()
    report = ProgressReporter(file=out, bar=False, min_interval=3600)
    for i in range(1, 6):
        report(Progress("sums", i, 5, 1.0 / i, 0.1 * i))
    lines = out.getvalue().splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["sums: iteration 1/5", "sums: iteration 5/5"]


def test_falls_back_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    """When tqdm cannot be imported the default is plain lines, and bar=True is an error."""
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert not ProgressReporter(file=io.StringIO()).uses_bar
    with pytest.raises(ImportError, match="tqdm"):
        ProgressReporter(bar=True)


def test_tqdm_bar_reaches_last_iteration() -> None:
    """With tqdm the bar shows the model name and ends at the last iteration run."""
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with ProgressReporter(file=out, bar=True) as report:
        assert report.uses_bar
        DawidSkene(max_iter=3, tol=0, progress=report).fit(TABLE)
        text = out.getvalue()
    assert "dawid-skene" in text
    assert "3/3" in text
    assert "change=" in text


def test_new_fit_starts_a_new_report() -> None:
    """A second fit with the same reporter starts again from iteration 1."""
    out = io.StringIO()
    with ProgressReporter(file=out, bar=False) as report:
        for _ in range(2):
            DawidSkene(max_iter=2, tol=0, progress=report).fit(TABLE)
    iters = [int(m) for m in re.findall(r"iteration (\d+)/2", out.getvalue())]
    assert iters == [1, 2, 1, 2]


def test_attach_progress_only_to_iterative_models() -> None:
    """attach_progress reports the fit of an iterative model and ignores majority."""
    out = io.StringIO()
    model = get_model("dawid-skene", max_iter=2, tol=0)
    reporter = attach_progress(model, file=out, bar=False)
    assert reporter is not None
    model.fit(TABLE)
    reporter.close()
    assert out.getvalue().count("dawid-skene: iteration") == 2
    majority = get_model("majority")
    assert attach_progress(majority, file=out) is None


def test_a_bar_left_short_by_early_convergence_is_finished() -> None:
    """A fit that converges at iteration k of 100 ends its bar at k/k (100%),
    not at k/100, which reads as a stop (issue 13); without a bar, one line
    says when it was done."""
    pytest.importorskip("tqdm")
    out = io.StringIO()
    report = ProgressReporter(file=out, bar=True)
    model = DawidSkene(max_iter=100, tol=1e-2, progress=report).fit(TABLE)
    report.finish()
    k = model.n_iter_
    assert model.converged_ and k < 100
    text = out.getvalue()
    assert f"{k}/{k}" in text and "100%" in text and "converged" in text
    plain = io.StringIO()
    report = ProgressReporter(file=plain, bar=False)
    DawidSkene(max_iter=100, tol=1e-2, progress=report).fit(TABLE)
    report.finish()
    assert plain.getvalue().splitlines()[-1] == f"dawid-skene: done after {k} iterations"
