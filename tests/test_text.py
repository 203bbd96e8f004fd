"""One text reader for every input: the library and the command line agree on
byte-order marks, duplicate keys, encodings, NaN and deep nesting."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import credscore as cs
from credscore.errors import InvalidInputError
from credscore.io.text import parse_json, read_text, sniff_delimiter

KURSK = json.dumps(cs.examples.kursk().to_dict())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credscore", *args], capture_output=True, text=True, check=False
    )


def test_bom_is_accepted_by_library_and_command_line(tmp_path: Path) -> None:
    """A case file starting with a byte-order mark loads, validates and scores."""
    p = tmp_path / "bom.json"
    p.write_bytes(b"\xef\xbb\xbf" + KURSK.encode())
    assert cs.load_case(p) == cs.examples.kursk()
    assert _cli("validate", str(p)).returncode == 0
    assert _cli("score", str(p)).returncode == 0


def test_duplicate_key_is_refused_by_library_and_command_line(tmp_path: Path) -> None:
    """A JSON object with a key twice is an error in load_case and in validate, naming the key."""
    p = tmp_path / "dup.json"
    p.write_text('{"credscore": 1, "credscore": 1, "sources": [], "claims": [], "reports": []}')
    with pytest.raises(cs.InvalidCaseError, match="duplicate key 'credscore'"):
        cs.load_case(p)
    proc = _cli("validate", str(p))
    assert proc.returncode == 2
    assert "duplicate key 'credscore'" in proc.stderr


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"credscore": NaN}', "NaN is not a number JSON allows"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"{", "not valid JSON"),
    ],
    ids=["latin-1", "nan", "deep", "truncated"],
)
def test_unreadable_inputs_are_named_errors(tmp_path: Path, data: bytes, message: str) -> None:
    """Bad bytes give InvalidCaseError from load_case and exit 2 from the command line."""
    p = tmp_path / "bad.json"
    p.write_bytes(data)
    with pytest.raises(cs.InvalidCaseError, match=message):
        cs.load_case(p)
    proc = _cli("score", str(p))
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_streams_and_paths_read_the_same() -> None:
    """Text streams, binary streams and paths give the same text, BOM removed."""
    assert read_text(io.StringIO("\ufeffa")) == "a"
    assert read_text(io.BytesIO(b"\xef\xbb\xbfa")) == "a"
    with pytest.raises(InvalidInputError, match="<stream>: not UTF-8"):
        read_text(io.BytesIO(b"\xff"))


def test_one_separator_rule_for_case_tables_and_tables(tmp_path: Path) -> None:
    """read_table and read_case_tables split a ';' file the same way."""
    t = tmp_path / "t.csv"
    t.write_text("source;object;value\ns1;x;a\ns2;x;b\n")
    assert cs.read_table(t).n_assertions == 2
    r = tmp_path / "reports.csv"
    r.write_text("source;claim;stance\ngur;c;confirms\n")
    case = cs.read_case_tables(r)
    assert [x.source for x in case.reports] == ["gur"]
    assert sniff_delimiter("x.tsv", "a,b") == "\t"


def test_parse_json_locates_the_error() -> None:
    """A syntax error names the input, the line and the column."""
    with pytest.raises(InvalidInputError, match=r"^doc, line 2, column 1: not valid JSON"):
        parse_json('{"a": 1,\n}', "doc")


def test_dump_case_never_leaves_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails part-way (here: the disk refuses the flush) leaves the
    old file as it was and no temporary file behind."""
    import os

    p = tmp_path / "case.json"
    cs.dump_case(cs.examples.kursk(), p)
    before = p.read_bytes()
    small = cs.Case([cs.Source("a")], [cs.Claim("c")], [cs.Report("a", "c", "confirms")])

    def refuse(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(OSError, match="No space left"):
        cs.dump_case(small, p)
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["case.json"]
    monkeypatch.undo()
    cs.dump_case(small, p)
    assert cs.load_case(p) == small
