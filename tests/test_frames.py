"""pandas frames of scores and fused tables, and Parquet output (issue 12, item 3)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import credscore as cs

pd = pytest.importorskip("pandas")


def test_scores_frames_have_the_documented_columns_and_values() -> None:
    scores = cs.score(cs.examples.kursk())
    frame = scores.to_frame()
    assert list(frame.columns) == [
        "id", "probability", "interval_low", "interval_high", "grade", "phrase",
        "independent_confirmations", "log_odds", "flags",
        "estimate", "estimate_low", "estimate_high",
    ]  # fmt: skip
    assert frame["id"].tolist() == [c.id for c in scores]
    for row, c in zip(frame.itertuples(index=False), scores):
        assert row.probability == c.probability and row.grade == c.grade
        assert (row.interval_low, row.interval_high) == c.interval
        assert row.flags == ", ".join(c.flags)
    parts = scores.contributions_frame()
    assert list(parts.columns) == [
        "claim",
        "source",
        "stance",
        "raw",
        "adjusted",
        "effect",
        "note",
    ]
    assert len(parts) == sum(len(c.contributions) for c in scores)
    gur = parts[(parts.claim == "nk-casualties") & (parts.source == "gur")].iloc[0]
    assert gur.stance == "confirms" and gur.adjusted < gur.raw  # self-serving


def test_fusion_frames_match_the_result() -> None:
    r = cs.fuse((["s1", "s2", "s3", "s1"], ["x", "x", "x", "y"], ["a", "a", "b", "c"]),
                model="majority")  # fmt: skip
    objects = r.to_frame()
    assert objects.values.tolist() == [["x", "a", pytest.approx(2 / 3)], ["y", "c", 1.0]]
    sources = r.sources_frame()
    assert list(sources.columns) == ["source", "reliability"]
    assert dict(zip(sources.source, sources.reliability)) == r.reliabilities()


def test_without_pandas_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(
        ImportError, match=r"Scores.to_frame\(\) needs pandas.*credscore\[pandas\]"
    ):
        cs.score(cs.examples.kursk()).to_frame()
    r = cs.fuse((["s1"], ["x"], ["a"]), model="majority")
    with pytest.raises(ImportError, match=r"FusionResult.sources_frame\(\) needs pandas"):
        r.sources_frame()


def test_fuse_writes_parquet(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from credscore.cli.main import main

    table = tmp_path / "t.csv"
    table.write_text("source,object,value\ns1,x,a\ns2,x,a\ns3,x,b\ns1,y,c\n")
    out = tmp_path / "fused.parquet"
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", io.StringIO())
        mp.setattr(sys, "stderr", err)
        assert main(["fuse", str(table), "--model", "majority", "-o", str(out)]) == 0
    back = pd.read_parquet(out)
    assert back.values.tolist() == [["x", "a", pytest.approx(2 / 3)], ["y", "c", 1.0]]
