"""Reading tables from files: assertions (:func:`read_table`) and gold
standards (:func:`read_gold`), through the one text reader of
:mod:`credscore.io.text`."""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore._validators import show
from credscore.errors import (
    CredscoreWarning,
    DataNotFoundError,
    InvalidInputError,
    InvalidTableError,
    outside_stacklevel,
)
from credscore.io.text import open_text, sniff_delimiter
from credscore.table._fastcsv import simple, split_columns
from credscore.table.table import MAX_NUMERIC, Table, parse_times

__all__ = ["CROWD_COLUMNS", "read_gold", "read_table"]

FloatArray = npt.NDArray[np.float64]


CROWD_COLUMNS = {"source": "worker", "object": "question", "value": "answer"}


def read_table(
    path: str | os.PathLike[str],
    *,
    source: str = "source",
    object: str = "object",
    value: str = "value",
    time: str | None = None,
    sep: str | None = None,
    numeric: bool | None = None,
    encoding: str = "utf-8-sig",
    header: bool = True,
) -> Table:
    """Read a CSV/TSV file with a header row into a :class:`Table`.

    Parameters
    ----------
    path : str or path-like
        The file. Its first line names the columns.
    source, object, value : str
        Names of the columns holding the source, the object and the value.
        When all three are left at their defaults and the header lacks them
        but names ``worker``, ``question`` and ``answer``, the crowd
        ``answer.csv`` layout is used (worker = source, question = object,
        answer = value).
    time : str, optional
        Name of a column of times; when a source gives several values for an
        object, the latest wins. Times that all parse as numbers are compared
        as numbers, else as ISO 8601 times (in UTC, a time without a zone taken as UTC;
        :func:`~credscore.table.table.parse_times`), else as text with a warning.
    sep : str, optional
        The field separator. Default: a tab for ``.tsv``/``.tab`` files,
        otherwise whichever of ``,`` ``\\t`` ``;`` ``|`` occurs most often in
        the header line.
    numeric : bool, optional
        Parse values as numbers. Default False: values are labels compared as
        strings (a crowd label ``1`` is a category, not a quantity).
    encoding : str
        Text encoding; the default accepts UTF-8 with or without a BOM.
    header : bool
        Whether the first line names the columns. With ``header=False`` every
        line is a row and the columns are named by their number from 1, as
        ``cut -f`` numbers them: ``source``, ``object`` and ``value`` then
        default to ``"1"``, ``"2"`` and ``"3"`` (``value="4"`` takes the
        fourth column).

    Returns
    -------
    Table

    Raises
    ------
    InvalidTableError
        When the file is empty, a named column is missing, a row has the wrong
        number of fields, a source or object cell is empty, or (``numeric``) a
        value is not a finite number. The message names the file, the line
        and the column. Also when ``sep`` is not one character.
    DataNotFoundError
        When the file does not exist or is a folder (also a
        :class:`FileNotFoundError`).

    Notes
    -----
    Spaces around cells are stripped. A row whose value cell is empty asserts
    nothing and is left out, with a :class:`~credscore.errors.CredscoreWarning`
    that counts them (a source that left a field blank has not claimed a
    value); blank lines are skipped. The file is parsed with the :mod:`csv`
    module and compiled with numpy, so millions of rows take seconds and
    pandas is not needed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("source,object,value\\ns1,x,a\\ns2,x,a\\ns3,x,b\\n")
    >>> read_table(d / "t.csv")
    <Table: 3 assertions, 3 sources, 1 objects, 2 claims, categorical>
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\nq1,w1,0\\nq1,w2,1\\n")
    >>> read_table(d / "answer.csv").source_ids.tolist()
    ['w1', 'w2']
    >>> _ = (d / "book.txt").write_text("s1\\tx\\tt\\ta\\ns2\\tx\\tt\\tb\\n")
    >>> read_table(d / "book.txt", header=False, value="4").claim_value.tolist()
    ['a', 'b']
    """
    path = Path(path)
    where = str(path)
    check_file(path)
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1 or sep in '\r\n"'):
        raise InvalidTableError(
            f"sep: must be one character other than a quote or a line end, got {show(sep)}"
        )
    if not header:
        source, object, value = (
            "1" if source == "source" else str(source),
            "2" if object == "object" else str(object),
            "3" if value == "value" else str(value),
        )
        time = None if time is None else str(time)
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig", "utf8-sig"):
        fast = _read_simple(path, where, source, object, value, time, sep, numeric, header)
        if fast is not None:
            return fast
    try:
        with open_text(path, encoding=encoding) as f:
            header_line = f.readline()
            if not header_line.strip():
                raise InvalidTableError(f"{where}: the file is empty (no header line)")
            if sep is None:
                sep = sniff_delimiter(where, header_line)
            first = [h.strip() for h in next(csv.reader([header_line], delimiter=sep))]
            rows = list(csv.reader(f, delimiter=sep))
    except InvalidInputError as exc:
        raise InvalidTableError(str(exc)) from None
    except csv.Error as exc:
        raise InvalidTableError(f"{where}: cannot parse as CSV ({exc})") from None
    if header:
        names_row, first_line, what = first, 2, "the header has"
    else:
        rows.insert(0, next(csv.reader([header_line], delimiter=sep)))
        names_row, first_line, what = _numbered(len(first)), 1, "the first line has"

    names, index = _columns(where, names_row, source, object, value, time)

    width = len(names_row)
    widths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    wrong = (widths != width) & (widths != 0)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise InvalidTableError(
            f"{where}, line {i + first_line}: has {widths[i]} fields, {what} {width}"
        )
    # Line numbers below assume one line per record (no quoted newlines).
    lines = np.flatnonzero(widths != 0) + first_line
    if (widths == 0).any():
        rows = [r for r in rows if r]
    if not rows:
        raise InvalidTableError(f"{where}: the file has a header but no rows")

    # Surrounding spaces are not part of a label ("s1, x, a" is s1, x and a).
    cols = {role: [r[j].strip() for r in rows] for role, j in index.items()}
    arrays = {role: np.asarray(col) for role, col in cols.items()}
    keep = np.char.str_len(arrays["value"]) > 0
    for role in ("source", "object"):
        empty = np.char.str_len(arrays[role]) == 0
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise InvalidTableError(
                f"{where}, line {lines[i]}: the {role} column {names[role]!r} is empty"
            )
    if not keep.all():
        arrays = {role: a[keep] for role, a in arrays.items()}
        lines = lines[keep]
        if not keep.any():
            raise InvalidTableError(f"{where}: every {names['value']!r} cell is empty")
        _warn_skipped(where, keep, names["value"])

    val: np.ndarray[Any, Any] = arrays["value"]
    if numeric:
        val = _parse_numbers(val, lines, f"{where}", "value", names["value"])
    time_a: np.ndarray[Any, Any] | None = None
    if time is not None:
        t_labels, t_codes = np.unique(arrays["time"], return_inverse=True)
        time_a = parse_times(t_labels, where, names["time"])[t_codes.reshape(-1)]
    return Table.from_arrays(
        arrays["source"], arrays["object"], val, time=time_a, numeric=bool(numeric)
    )


def _warn_skipped(where: str, keep: npt.NDArray[np.bool_], column: str) -> None:
    """Say how many rows (``keep`` false) an empty value cell left out: they
    assert nothing."""
    n_rows = int(keep.shape[0])
    warnings.warn(
        f"{where}: {n_rows - int(keep.sum()):,} of {n_rows:,} rows have an empty {column!r} cell and "
        "assert nothing; they are left out",
        CredscoreWarning,
        stacklevel=outside_stacklevel(),
    )


def _numbered(n: int) -> list[str]:
    return [str(i + 1) for i in range(n)]


def check_file(path: Path) -> None:
    """Refuse, by name, a path that is not a readable file."""
    if path.is_dir():
        raise DataNotFoundError(f"{path}: is a folder, not a CSV/TSV file")
    if not path.exists():
        raise DataNotFoundError(f"{path}: no such file (a CSV/TSV file was expected)")


def _columns(
    where: str, header: list[str], source: str, object: str, value: str, time: str | None
) -> tuple[dict[str, str], dict[str, int]]:
    """The column name and the position in the header of every role."""
    names = {"source": source, "object": object, "value": value}
    defaults = (source, object, value) == ("source", "object", "value")
    crowd = set(CROWD_COLUMNS.values()) <= set(header)
    if defaults and crowd and not set(names.values()) <= set(header):
        names = dict(CROWD_COLUMNS)
    if time is not None:
        names["time"] = time
    index: dict[str, int] = {}
    role_of: dict[str, str] = {}
    for role, col in names.items():
        if col not in header:
            raise InvalidTableError(
                f"{where}, line 1: no {role} column {col!r} in the header "
                f"(columns: {', '.join(repr(h) for h in header)})"
            )
        _one_column(where, header, role, col)
        if col in role_of:
            raise InvalidTableError(
                f"{where}: the {role_of[col]} and {role} columns are both {col!r}"
            )
        role_of[col] = role
        index[role] = header.index(col)
    return names, index


def _one_column(where: str, header: list[str], role: str, col: str) -> None:
    """Refuse a header that names a column it reads more than once (which
    one would be read is a guess)."""
    at = [i + 1 for i, h in enumerate(header) if h == col]
    if len(at) > 1:
        raise InvalidTableError(
            f"{where}, line 1: the header has {len(at)} columns named {col!r} "
            f"(columns {', '.join(map(str, at))}), the {role} column; rename all but one"
        )


def _read_simple(
    path: Path,
    where: str,
    source: str,
    object: str,
    value: str,
    time: str | None,
    sep: str | None,
    numeric: bool | None,
    has_header: bool = True,
) -> Table | None:
    """:func:`read_table` for a simple UTF-8 file (no quotes; see
    :mod:`credscore.table._fastcsv`), without a Python object per cell; None
    when the file is not simple, or on any problem the general reader words
    best (the file is then read again the general way)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None  # the general reader raises it
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not simple(data):
        return None  # quotes, a NUL, or lines ended by a lone carriage return
    cut = data.find(b"\n")
    head_bytes = data if cut < 0 else data[:cut]
    try:
        header_line = head_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not header_line.strip() or '"' in header_line:
        return None
    if sep is None:
        sep = sniff_delimiter(where, header_line)
    header = [h.strip() for h in header_line.rstrip("\r").split(sep)]
    if has_header:
        body, first_line = len(data) if cut < 0 else cut + 1, 2
    else:
        header, body, first_line = _numbered(len(header)), 0, 1
    names, index = _columns(where, header, source, object, value, time)
    cols = split_columns(data, sep, len(header), index, first_line, body, checked=True)
    del data
    if cols is None:
        return None
    if isinstance(cols, str):
        if not has_header:
            cols = cols.replace("the header has", "the first line has")
        raise InvalidTableError(f"{where}, {cols}")
    if cols.line.shape[0] == 0:
        raise InvalidTableError(f"{where}: the file has a header but no rows")
    lines = cols.line
    codes = dict(cols.codes)
    for role in ("source", "object"):
        if cols.labels[role].shape[0] and cols.labels[role][0] == "":
            i = int(np.flatnonzero(codes[role] == 0)[0])
            raise InvalidTableError(
                f"{where}, line {lines[i]}: the {role} column {names[role]!r} is empty"
            )
    labels = dict(cols.labels)
    if labels["value"].shape[0] and labels["value"][0] == "":  # empty cells assert nothing
        keep = codes["value"] != 0
        if not keep.any():
            raise InvalidTableError(f"{where}: every {names['value']!r} cell is empty")
        _warn_skipped(where, keep, names["value"])
        lines = lines[keep]
        for role, c in codes.items():  # labels only on skipped rows go too
            c = c[keep]
            present = np.zeros(labels[role].shape[0], dtype=bool)
            present[c] = True
            labels[role] = labels[role][present]
            codes[role] = (np.cumsum(present) - 1)[c]
    val_labels = labels["value"]
    time_a: np.ndarray[Any, Any] | None = None
    if time is not None:
        t_labels = parse_times(labels["time"], where, names["time"])
        time_a = t_labels[codes["time"]]
    if numeric:
        try:
            as_float = val_labels.astype(np.float64)
        except ValueError:
            return None  # the general reader names the line
        if not (np.abs(as_float) <= MAX_NUMERIC).all():
            return None
        uniq, inv = np.unique(as_float, return_inverse=True)  # "1" and "1.0" are one value
        val_labels = uniq
        val_codes: Any = inv.reshape(-1)[codes["value"]]
    else:
        val_codes = codes["value"]
    return Table._from_codes(
        labels["source"],
        codes["source"].astype(np.int32),
        labels["object"],
        codes["object"].astype(np.int32),
        val_labels,
        val_codes.astype(np.int32),
        time=time_a,
        numeric=bool(numeric),
    )


def _parse_numbers(
    a: np.ndarray[Any, Any], lines: npt.NDArray[np.int64], where: str, role: str, col: str
) -> FloatArray:
    """Parse strings as float64; a bad or non-finite cell is an error naming its line."""
    try:
        out: FloatArray = a.astype(np.float64)
    except ValueError:
        for i, text in enumerate(a.tolist()):  # only on the error path
            try:
                float(text)
            except ValueError:
                raise InvalidTableError(
                    f"{where}, line {lines[i]}: the {role} column {col!r} holds "
                    f"{text!r}, not a number"
                ) from None
        raise  # pragma: no cover - astype and float() disagree
    bad = ~(np.abs(out) <= MAX_NUMERIC)  # NaN and inf too
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        why = (
            "not a finite number"
            if not np.isfinite(out[i])
            else f"beyond +-{MAX_NUMERIC:g} (rescale the column, e.g. to thousands)"
        )
        raise InvalidTableError(
            f"{where}, line {lines[i]}: the {role} column {col!r} holds {show(a[i])}, {why}"
        )
    return out


def read_gold(
    path: str | os.PathLike[str],
    *,
    object: str | Sequence[str] = ("object", "question", "q", "id"),
    value: str | Sequence[str] = ("value", "truth", "gold"),
    sep: str | None = None,
    numeric: bool = False,
) -> dict[Any, Any]:
    """Read a gold file (CSV with a header) into ``{object: value}``.

    Parameters
    ----------
    path : str or path-like
    object, value : str or sequence of str
        The column names, or candidates tried in order (the defaults accept
        ``object,value`` and the crowd ``question,truth`` layout).
    sep : str, optional
        Field separator; default: sniffed as for :func:`read_table`.
    numeric : bool
        Parse the values as floats.

    Returns
    -------
    dict
        Object ids and values as strings (values as floats with ``numeric``).

    Raises
    ------
    InvalidTableError
        When the file is empty, a column is missing, a row is short, an object
        is listed twice with different values, or a numeric value does not
        parse; the message names the file and the line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "truth.csv"
    >>> _ = f.write_text("question,truth\\nq1,1\\nq2,0\\n")
    >>> read_gold(f)
    {'q1': '1', 'q2': '0'}
    """
    path = Path(path)
    check_file(path)
    try:
        return _read_gold(path, object, value, sep, numeric)
    except InvalidInputError as exc:
        raise InvalidTableError(str(exc)) from None
    except csv.Error as exc:
        raise InvalidTableError(f"{path}: cannot parse as CSV ({exc})") from None


def _read_gold(
    path: Path,
    object: str | Sequence[str],
    value: str | Sequence[str],
    sep: str | None,
    numeric: bool,
) -> dict[Any, Any]:
    with open_text(path) as f:
        first = f.readline()
        if sep is None:
            sep = sniff_delimiter(str(path), first)
        header = [h.strip() for h in next(csv.reader([first], delimiter=sep), [])]
        reader = csv.reader(f, delimiter=sep)
        if not header:
            raise InvalidTableError(f"{path}: the file is empty (no header line)")
        cols = []
        for role, cands in (("object", object), ("value", value)):
            names = [cands] if isinstance(cands, str) else list(cands)
            found = next((header.index(c) for c in names if c in header), None)
            if found is None:
                raise InvalidTableError(
                    f"{path}, line 1: no {role} column (looked for "
                    f"{', '.join(map(repr, names))}; columns: {', '.join(map(repr, header))})"
                )
            _one_column(str(path), header, role, header[found])
            cols.append(found)
        gold: dict[Any, Any] = {}
        for row in reader:
            if not row:
                continue
            line = reader.line_num + 1
            if len(row) <= max(cols):
                raise InvalidTableError(f"{path}, line {line}: has {len(row)} fields")
            key, val = row[cols[0]], row[cols[1]]
            parsed: Any = val
            if numeric:
                try:
                    parsed = float(val)
                    if not abs(parsed) <= MAX_NUMERIC:
                        raise ValueError
                except ValueError:
                    raise InvalidTableError(
                        f"{path}, line {line}: value {val!r} is not a finite number"
                    ) from None
            if key in gold and gold[key] != parsed:
                raise InvalidTableError(
                    f"{path}, line {line}: object {key!r} has gold {gold[key]!r} and {parsed!r}"
                )
            gold[key] = parsed
    return gold
