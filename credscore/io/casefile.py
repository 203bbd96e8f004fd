"""The JSON case format, version 1 (:doc:`/reference/case-format`): read, check, write.

A case file is one JSON object::

    {"credscore": 1, "sources": [...], "claims": [...], "reports": [...],
     "groups": [...], "links": [...]}

Unknown keys, unknown or duplicate ids, numbers out of range, NaN, unknown
stances, times that do not parse and cycles of ``cites`` or ``implies`` are
errors that name the field and the id; :func:`check_case` lists all of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import IO, Any

from credscore._gc import paused_gc
from credscore.case.model import (
    FORMAT_VERSION,
    Case,
    case_from_dict,
    case_from_owned_dict,
    case_to_dict,
    check_case,
    quick_pairs,
)
from credscore.errors import InvalidCaseError, InvalidInputError
from credscore.io.text import display_name, parse_json, read_text

__all__ = [
    "FORMAT_VERSION",
    "case_from_dict",
    "case_to_dict",
    "check_case",
    "dump_case",
    "load_case",
    "write_atomic",
]


def load_case(path: str | PathLike[str] | IO[str]) -> Case:
    """Read a case file (JSON, format version 1).

    Parameters
    ----------
    path : str, path-like or text file object

    Raises
    ------
    InvalidCaseError
        The file is not UTF-8, not valid JSON (a duplicate key, ``NaN``) or not
        a valid case (every problem listed).
    OSError
        The file cannot be read.

    Examples
    --------
    >>> from credscore.examples import path
    >>> load_case(path("kursk")).claim("nk-casualties").harms
    ('ru', 'kp')
    """
    where = display_name(path)
    with paused_gc():  # millions of small acyclic objects (see credscore._gc)
        try:
            doc = parse_json(read_text(path, where=where), where, make_pairs=quick_pairs)
        except InvalidInputError as exc:
            raise InvalidCaseError("case", None, str(exc)) from None
        return case_from_owned_dict(doc)  # the document is ours to consume


def dump_case(case: Case, path: str | PathLike[str] | IO[str], *, indent: int | None = 2) -> None:
    """Write a case as JSON (format version 1).

    Examples
    --------
    >>> import io
    >>> from credscore.examples import kursk
    >>> buf = io.StringIO()
    >>> dump_case(kursk(), buf)
    >>> _ = buf.seek(0)
    >>> load_case(buf) == kursk()
    True
    """
    text = json.dumps(case_to_dict(case), indent=indent, ensure_ascii=False) + "\n"
    if hasattr(path, "write"):
        path.write(text)
    else:
        write_atomic(Path(path), text.encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then
    rename it over ``path``: on any error ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "case.json"
    >>> write_atomic(target, b"{}")
    >>> target.read_bytes(), [p.name for p in target.parent.iterdir()]
    (b'{}', ['case.json'])
    """
    with open_atomic(path, "wb") as f:
        f.write(data)


@contextlib.contextmanager
def open_atomic(path: Path, mode: str = "w") -> Iterator[Any]:
    """A file to write ``path`` through: it goes to a temporary file beside
    ``path``, renamed over it when the block ends without error (text modes
    write UTF-8). On any error ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.csv"
    >>> with open_atomic(target) as f:
    ...     _ = f.write("object,value\\n")
    >>> target.read_text()
    'object,value\\n'
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        enc = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=enc, newline=None if enc is None else "") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
