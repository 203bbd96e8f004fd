"""The byte-level reader of simple tables against the csv-module reader.

``read_table`` reads simple UTF-8 files (no quotes) without a Python object
per cell (:mod:`credscore.table._fastcsv`); the general reader, through the
:mod:`csv` module, is the slow and obviously correct reference. On generated
files both must give the same table, or the same error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import credscore as cs
from credscore.errors import InvalidTableError
from credscore.table import read as reader
from credscore.table._fastcsv import split_columns

FIELDS = ("source_ids", "object_ids", "claim_object", "claim_value", "object_start")
FIELDS += ("source", "claim", "object")

cells = st.text(
    alphabet=st.sampled_from([*list("ab1. é"), "\t", "\xa0", "x", "7", "-", "ü", "\u2003", "😀"]),
    max_size=4,
)


def _general(path: Path, **kw: object) -> cs.Table:
    """read_table with the fast path switched off."""
    saved = reader._read_simple
    reader._read_simple = lambda *a, **k: None  # type: ignore[assignment]
    try:
        return cs.read_table(path, **kw)  # type: ignore[arg-type]
    finally:
        reader._read_simple = saved


def _outcome(fn: object, path: Path, **kw: object) -> tuple[str, object]:
    try:
        t = fn(path, **kw)  # type: ignore[operator]
    except InvalidTableError as exc:
        return "error", str(exc)
    return "table", (*tuple(getattr(t, f).tolist() for f in FIELDS), t.numeric)


@st.composite
def files(draw: st.DrawFn) -> tuple[bytes, dict[str, object]]:
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    with_time = draw(st.booleans())
    header = ["source", "object", "value"] + (["time"] if with_time else [])
    if draw(st.booleans()):
        header = header[::-1]
    n = draw(st.integers(0, 12))
    lines = [sep.join(header)]
    numeric = draw(st.booleans())
    for _ in range(n):
        kind = draw(st.sampled_from(["row"] * 8 + ["blank", "ragged"]))
        if kind == "blank":
            lines.append("")
            continue
        row = {
            "source": draw(st.sampled_from(["s1", "s2", " s3", "s1 ", ""]) | cells),
            "object": draw(st.sampled_from(["o1", "o2", "o3"]) | cells),
            "value": draw(
                st.sampled_from(["1", "2.0", "1.0", " 3", "-0", "1e3", "", "nan", "x"])
                if numeric
                else st.sampled_from(["a", "b", "", " a"]) | cells
            ),
            "time": draw(st.sampled_from(["1", "2", "2024-01-02", ""])),
        }
        cols = [row[h] for h in header]
        if kind == "ragged":
            cols = cols[:-1] if draw(st.booleans()) else [*cols, "extra"]
        lines.append(sep.join(c.replace(sep, "") for c in cols))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    kw: dict[str, object] = {"numeric": numeric}
    if with_time:
        kw["time"] = "time"
    return data, kw


@given(files())
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_fast_reader_agrees_with_the_csv_reader(
    tmp_path: Path, file: tuple[bytes, dict[str, object]]
) -> None:
    data, kw = file
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert _outcome(cs.read_table, path, **kw) == _outcome(_general, path, **kw)


def test_the_fast_reader_is_used_on_a_simple_file(tmp_path: Path) -> None:
    body = b"s1,o1,a\ns2,o1,b\r\n\ns3, o2 ,a\n"
    cols = split_columns(body, ",", 3, {"source": 0, "object": 1, "value": 2}, 2)
    assert cols is not None and not isinstance(cols, str)
    assert cols.labels["object"].tolist() == ["o1", "o2"]
    assert cols.codes["source"].tolist() == [0, 1, 2]
    assert cols.line.tolist() == [2, 3, 5]  # the blank line 4 is skipped


@pytest.mark.parametrize(
    "body",
    [
        b'"s1",o1,a\n',
        b"s1,o1,a\rs2,o1,b\n",
        b"s1,o\x00,a\n",
        b"s1,\xa0o1,a\n".replace(b"\xa0", "\u00a0".encode()),
    ],
)
def test_the_fast_reader_declines_what_is_not_simple(body: bytes) -> None:
    assert split_columns(body, ",", 3, {"source": 0, "object": 1, "value": 2}, 2) is None


def test_labels_sort_as_numpy_sorts_strings() -> None:
    """UTF-8 byte order is code point order: the labels come out as np.unique
    sorts them, past 8 bytes too (several 64-bit words per key)."""
    labels = ["b", "a", "ab", "é", "e", "z" * 20, "z" * 19, "😀", "ü", "aaaaaaaaab", "aaaaaaaaa"]
    body = "".join(f"s,o{i},{v}\n" for i, v in enumerate(labels)).encode()
    cols = split_columns(body, ",", 3, {"value": 2}, 2)
    assert cols is not None and not isinstance(cols, str)
    assert cols.labels["value"].tolist() == np.unique(np.array(labels)).tolist()
    assert cols.labels["value"][cols.codes["value"]].tolist() == labels
