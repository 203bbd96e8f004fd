"""Columns of a simple delimited file, split and numbered with numpy.

:func:`credscore.table.read.read_table` reads a table through the :mod:`csv`
module, which makes a Python list and a Python string per row and cell; at
10^7 rows that is minutes and gigabytes. Most tables are simple: no quotes,
UTF-8, one record per line. For those this module finds the line ends and
separators in the raw bytes, and numbers the distinct cells of a column by
sorting them as fixed-width big-endian integers (UTF-8 byte order is code
point order, so the labels come out sorted exactly as ``numpy.unique``
sorts strings). Only the distinct labels are ever decoded into strings.

Anything else (a quote, a lone carriage return, a NUL byte, a multi-byte
separator, cells with non-ASCII white space around them, bytes that are not
UTF-8) returns None, and the caller reads the file the general way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Columns", "simple", "split_columns"]

IntArray = npt.NDArray[np.integer[Any]]

#: bytes that str.strip() removes and that are one byte in UTF-8
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True


class Columns:
    """The wanted columns of a file: per column, sorted distinct labels and
    the int64 code of each kept row; ``line`` is each kept row's line number."""

    def __init__(
        self, labels: dict[str, npt.NDArray[Any]], codes: dict[str, IntArray], line: IntArray
    ) -> None:
        self.labels = labels
        self.codes = codes
        self.line = line


def simple(data: bytes) -> bool:
    """No quote, no NUL byte, and no carriage return but before a line feed."""
    if b'"' in data or b"\x00" in data:
        return False
    return b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")


def _has_space(data: bytes, sep: str) -> bool:
    """Whether any cell may have white space to strip (a fast scan per byte value)."""
    return any(
        bytes([b]) in data for b in np.flatnonzero(_SPACE).tolist() if b not in (10, 13, ord(sep))
    )


def split_columns(
    data: bytes,
    sep: str,
    width: int,
    wanted: dict[str, int],
    first_line: int,
    offset: int = 0,
    *,
    checked: bool = False,
) -> Columns | str | None:
    """Split the body of a file (``data[offset:]``, after the header) into
    columns (``checked``: :func:`simple` is known to hold for ``data``).

    Returns the columns; or a message (``"line 7: has 4 fields, the header
    has 3"``, ``"line 9: the source column is empty"`` with the role named)
    for an error the general reader would report the same way; or None when
    the file is not simple (see the module docstring).
    """
    if len(sep) != 1 or ord(sep) > 127 or sep in '\r\n"':
        return None
    if not checked and not simple(data):
        return None
    buf = np.frombuffer(data, dtype=np.uint8, offset=min(offset, len(data)))
    n_bytes = buf.shape[0]
    ends = np.flatnonzero(buf == 10)
    if n_bytes and (ends.shape[0] == 0 or ends[-1] != n_bytes - 1):
        ends = np.append(ends, n_bytes)
    starts = np.empty_like(ends)
    if ends.shape[0]:
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
    stop = ends.copy()  # a line without its "\r\n" / "\n"
    has_cr = (stop > starts) & (buf[np.maximum(stop - 1, 0)] == 13)
    stop[has_cr] -= 1
    lines = np.arange(ends.shape[0], dtype=np.int64) + first_line
    blank = stop == starts
    if blank.any():
        keep = ~blank
        starts, stop, lines = starts[keep], stop[keep], lines[keep]
    if starts.shape[0] == 0:
        return Columns({}, {}, lines)
    seps = np.flatnonzero(buf == ord(sep))
    first = np.searchsorted(seps, starts)
    count = np.searchsorted(seps, stop) - first
    wrong = count != width - 1
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        return f"line {lines[i]}: has {int(count[i]) + 1} fields, the header has {width}"
    labels: dict[str, npt.NDArray[Any]] = {}
    codes: dict[str, IntArray] = {}
    strip = _has_space(data, sep)
    for role, j in wanted.items():
        a0: Any = starts if j == 0 else seps[first + (j - 1)] + 1
        b0: Any = stop if j == width - 1 else seps[first + j]
        a, b = _strip(buf, a0, b0) if strip else (a0, b0)
        got = _factorize_spans(buf, a, b)
        if got is None:
            return None
        labels[role], codes[role] = got
    return Columns(labels, codes, lines)


def _strip(buf: npt.NDArray[np.uint8], a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
    """Move span ends past one-byte white space (as ``str.strip`` would)."""
    a, b = a.copy(), b.copy()
    last = max(buf.shape[0] - 1, 0)
    while True:
        move = (a < b) & _SPACE[buf[np.minimum(a, last)]]
        if not move.any():
            break
        a[move] += 1
    while True:
        move = (a < b) & _SPACE[buf[np.maximum(b - 1, 0)]]
        if not move.any():
            break
        b[move] -= 1
    return a, b


def _factorize_spans(
    buf: npt.NDArray[np.uint8], a: IntArray, b: IntArray
) -> tuple[npt.NDArray[Any], IntArray] | None:
    """Sorted distinct byte strings among the spans, decoded, and each span's code."""
    n = a.shape[0]
    length = b - a
    width = int(length.max(initial=0))
    words = max(1, (width + 7) // 8)
    # Every 8-byte window of the buffer (zero-padded at the end) as a row:
    # one gather per word of the key, then bytes past the span set to 0.
    padded = np.concatenate([buf, np.zeros(8 * words, dtype=np.uint8)])
    windows = np.lib.stride_tricks.as_strided(
        padded, shape=(padded.shape[0] - 7, 8), strides=(1, 1), writeable=False
    )
    keys = np.empty((n, words * 8), dtype=np.uint8)
    step = np.arange(8)
    for w in range(words):
        part = windows[a + 8 * w]
        part[step >= (length - 8 * w)[:, None]] = 0
        keys[:, 8 * w : 8 * w + 8] = part
    del padded, windows
    big = keys.view(">u8")  # (n, words): one lexicographic key per span
    order = np.argsort(big[:, 0]) if words == 1 else np.lexsort(big.T[::-1])
    sorted_keys = big[order]
    del big
    new = np.ones(n, dtype=bool)
    if n > 1:
        if words == 1:
            np.not_equal(sorted_keys[1:, 0], sorted_keys[:-1, 0], out=new[1:])
        else:
            new[1:] = np.any(sorted_keys[1:] != sorted_keys[:-1], axis=1)
    del sorted_keys
    code: IntArray = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
    code[order] = np.cumsum(new, dtype=code.dtype) - 1
    distinct = keys[order[new]][:, : max(width, 1)]
    del keys, order
    if not (distinct & 0x80).any():
        # ASCII: code points are the bytes, so widen them to UCS4 in place of
        # a decoder; one-byte white space was stripped already.
        text = np.ascontiguousarray(distinct.astype(np.uint32)).view(f"U{max(width, 1)}")
        return text.reshape(-1), code
    raw = np.ascontiguousarray(distinct).view(f"S{max(width, 1)}").reshape(-1)
    try:
        text = np.strings.decode(raw, "utf-8")
    except UnicodeDecodeError:
        return None
    if text.shape[0] and (np.strings.strip(text) != text).any():
        return None  # white space str.strip removes but this module does not
    return text, code
