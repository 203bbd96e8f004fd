r"""The one reader of text for every input: case files, case tables, tables.

Every input credscore reads goes through here, so that they all agree: UTF-8
with or without a byte-order mark, nothing else; JSON without duplicate keys,
without ``NaN`` or ``Infinity``, and without nesting too deep to read; one rule for guessing a table's separator. Problems
raise :class:`~credscore.errors.InvalidInputError` with the file's name and,
where it applies, the line and column.

Examples
--------
>>> import io
>>> parse_json('{"a": [1, 2]}', "doc.json")
{'a': [1, 2]}
>>> parse_json('{"a": 1, "a": 2}', "doc.json")
Traceback (most recent call last):
...
credscore.errors.InvalidInputError: doc.json: duplicate key 'a' in one JSON object
>>> read_text(io.StringIO("\ufeffid,name\n"))
'id,name\n'
>>> sniff_delimiter("t.csv", "source;object;value")
';'
"""

from __future__ import annotations

import contextlib
import json
import json.encoder
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, repeat
from pathlib import Path
from typing import IO, Any

import numpy as np

from credscore._validators import unwritable
from credscore.errors import InvalidInputError

__all__ = [
    "TextSource",
    "display_name",
    "json_column",
    "json_scalar",
    "json_string",
    "open_text",
    "parse_json",
    "read_text",
    "sniff_delimiter",
    "unique_keys",
    "write_json_objects",
]

#: What :func:`read_text` accepts: a path, or a file object open for reading.
TextSource = str | os.PathLike[str] | IO[str] | IO[bytes]

_BOM = "\ufeff"
_DELIMITERS = (",", "\t", ";", "|")


def display_name(src: TextSource) -> str:
    """How an input is named in messages: its path, its ``name``, or ``<stream>``.

    Examples
    --------
    >>> display_name("cases/kursk.json")
    'cases/kursk.json'
    """
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    name = getattr(src, "name", None)
    return name if isinstance(name, str) else "<stream>"


def _decode(data: bytes | str, where: str) -> str:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    return data[1:] if data.startswith(_BOM) else data


def read_text(src: TextSource, *, where: str | None = None) -> str:
    """The whole text of a file or stream, decoded as UTF-8, without a BOM.

    Parameters
    ----------
    src : str, path-like or file object
        A path, or a file open for reading (text or binary).
    where : str, optional
        The name used in messages (default: :func:`display_name`).

    Raises
    ------
    InvalidInputError
        The bytes are not UTF-8.
    OSError
        The file cannot be read (missing, a directory, no permission).
    """
    where = display_name(src) if where is None else where
    if isinstance(src, (str, os.PathLike)):
        data: bytes | str = Path(src).read_bytes()
    else:
        data = src.read()
    return _decode(data, where)


@contextlib.contextmanager
def open_text(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    r"""A file open for reading text line by line (for large tables), with a
    leading BOM skipped and decoding errors raised as :class:`InvalidInputError`.

    ``encoding`` other than UTF-8 is for tables exported by other tools; case
    files are always UTF-8.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = f.write_bytes(b"\xef\xbb\xbfsource,object,value\n")
    >>> with open_text(f) as lines:
    ...     lines.readline()
    'source,object,value\n'
    """
    where = os.fspath(path)
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        with open(path, encoding=enc, newline="") as f:
            yield f
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{where}: not valid {encoding} text ({exc.reason})") from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


class _Duplicate(Exception):
    pass


#: The pairs of a JSON object as a dict, refusing a repeated key (for
#: ``parse_json(make_pairs=...)`` hooks).
unique_keys = _no_duplicate_keys


class _Constant(Exception):
    pass


def _reject_constant(name: str) -> None:
    raise _Constant(name)


def parse_json(
    text: str,
    where: str,
    *,
    make_pairs: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Parse a JSON document strictly.

    Duplicate keys in one object, ``NaN``/``Infinity`` and nesting deeper than
    Python's recursion limit are errors, as is anything :mod:`json` rejects.
    ``make_pairs``, if given, is called with the (key, value) pairs of every
    object as it is read, and its result stands for the object (a loader can
    build its parts on the fly); it must refuse duplicate keys itself (see
    :data:`unique_keys`).

    Raises
    ------
    InvalidInputError
        Naming ``where``, and the line and column where the parser stopped.
    """
    try:
        hook = make_pairs or _no_duplicate_keys
        doc = json.loads(
            text, object_pairs_hook=hook, parse_constant=_reject_constant, parse_int=_parse_int
        )
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{where}, line {exc.lineno}, column {exc.colno}: not valid JSON "
            f"({exc.msg.removesuffix(' starting at')})"
        ) from None
    except _Duplicate as exc:
        raise InvalidInputError(
            f"{where}: duplicate key {exc.args[0]!r} in one JSON object"
        ) from None
    except _Constant as exc:
        raise InvalidInputError(f"{where}: {exc.args[0]} is not a number JSON allows") from None
    except RecursionError:
        raise InvalidInputError(f"{where}: JSON nested too deeply to read") from None
    except _LongInt as exc:
        raise InvalidInputError(
            f"{where}: an integer of {exc.args[0]} digits is too long to be a number here"
        ) from None
    if _ESCAPED_SURROGATE.search(text):  # rare: only then walk the document
        bad = _lone_surrogate(doc, "")
        if bad is not None:
            raise InvalidInputError(
                f"{where}: {bad or 'the document'} holds a lone surrogate (an escape "
                "\\ud800-\\udfff not part of a pair), which is not text"
            )
    return doc


class _LongInt(Exception):
    pass


_MAX_INT_DIGITS = 1000  # far below Python's own limit (4300), far above any real value


def _parse_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise _LongInt(len(text.lstrip("-")))
    return int(text)


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _lone_surrogate(doc: Any, where: str) -> str | None:
    """Where in ``doc`` a string (or key) holds a lone surrogate, or None."""
    stack: list[tuple[Any, str]] = [(doc, where)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, str):
            if unwritable(node):
                return at
        elif isinstance(node, dict):
            for k in node:  # keys first, then values in document order
                if unwritable(k):
                    return f"{at}.<key>" if at else "<key>"
            stack.extend((node[k], f"{at}.{k}" if at else k) for k in reversed(list(node)))
        elif isinstance(node, list):
            stack.extend((node[i], f"{at}[{i}]") for i in range(len(node) - 1, -1, -1))
    return None


def sniff_delimiter(name: str, header: str) -> str:
    """The separator of a table: a tab for ``.tsv``/``.tab`` files, else the
    most frequent of ``,``, tab, ``;`` and ``|`` in the header line (spreadsheets
    in many locales write ``;`` even in ``.csv`` files); a tie or none: ``,``.

    Examples
    --------
    >>> sniff_delimiter("a.tsv", "x,y"), sniff_delimiter("a.csv", "x|y|z"), sniff_delimiter("a", "x")
    ('\\t', '|', ',')
    """
    if Path(name).suffix.lower() in (".tsv", ".tab"):
        return "\t"
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def json_scalar(x: Any, *, allow_nan: bool = False) -> str:
    """One JSON scalar, written as :func:`json.dumps` writes it (``ensure_ascii``
    off); a NaN or infinity is ``null``, or with ``allow_nan`` ``NaN`` /
    ``Infinity`` as json writes them. For writers that stream large documents.

    Examples
    --------
    >>> json_scalar("Ž"), json_scalar(0.1), json_scalar(float("nan")), json_scalar(None)
    ('"Ž"', '0.1', 'null', 'null')
    """
    if type(x) is str:
        out: str = json_string(x)
        return out
    if type(x) is float:
        if math.isfinite(x):
            return float.__repr__(x)
        if not allow_nan:
            return "null"
        return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    if hasattr(x, "item") and not isinstance(x, (list, dict, tuple)):
        return json_scalar(x.item(), allow_nan=allow_nan)
    return json.dumps(x, ensure_ascii=False)


#: A str as a JSON string, as :func:`json.dumps` writes it with ``ensure_ascii`` off.
json_string: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)


def json_column(
    values: Sequence[Any] | np.ndarray[Any, Any], *, allow_nan: bool = False
) -> list[str]:
    """:func:`json_scalar` of every value, a column at a time: strings and
    finite floats through C-level maps, each distinct float written once.

    Examples
    --------
    >>> json_column(["a", "b"]), json_column([0.5, float("nan")], allow_nan=True)
    (['"a"', '"b"'], ['0.5', 'NaN'])
    """
    if isinstance(values, np.ndarray):
        values = values.tolist()
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(map(json_string, values))
    if kinds == {float}:
        a = np.asarray(values, dtype=np.float64)
        if bool(np.isfinite(a).all()):
            if a.shape[0] < 1024:
                return list(map(float.__repr__, values))
            # Large columns repeat (evidence: one value per reliability and
            # stance): format each distinct value once.
            uniq, inv = np.unique(a, return_inverse=True)
            text = np.array(list(map(float.__repr__, uniq.tolist())), dtype=object)
            out: list[str] = text[inv.reshape(-1)].tolist()
            return out
    return [json_scalar(v, allow_nan=allow_nan) for v in values]


def write_json_objects(
    out: IO[str],
    fields: Sequence[str],
    columns: Sequence[Sequence[Any] | np.ndarray[Any, Any]],
    *,
    indent: int,
    allow_nan: bool = False,
    block: int = 65_536,
) -> None:
    """Write a JSON array of objects, row k holding ``columns[j][k]`` under
    ``fields[j]``, exactly as ``json.dumps(..., indent=2, ensure_ascii=False)``
    writes such an array nested ``indent`` spaces deep; ``block`` rows at a
    time, the fixed text and the values interleaved in one join.

    Examples
    --------
    >>> import io, json
    >>> buf = io.StringIO()
    >>> write_json_objects(buf, ["id", "p"], [["a", "b"], [0.5, 1.0]], indent=0)
    >>> buf.getvalue() == json.dumps([{"id": "a", "p": 0.5}, {"id": "b", "p": 1.0}], indent=2)
    True
    """
    n = len(columns[0]) if columns else 0
    if not n:
        out.write("[]")
        return
    pad = " " * (indent + 2)
    before = [f"\n{pad}{{\n{pad}  {json_string(fields[0])}: "]
    before += [f",\n{pad}  {json_string(f)}: " for f in fields[1:]]
    after = repeat(f"\n{pad}}},")
    out.write("[")
    for a in range(0, n, block):
        cells = [json_column(c[a : a + block], allow_nan=allow_nan) for c in columns]
        rows = zip(*(x for b, c in zip(before, cells) for x in (repeat(b), c)), after)
        text = "".join(chain.from_iterable(rows))
        out.write(text[:-1] if a + block >= n else text)
    out.write("\n" + " " * indent + "]")
