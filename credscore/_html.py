"""Compact HTML tables for notebook display (``_repr_html_``)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["html_table"]


def html_table(
    caption: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    total: int | None = None,
) -> str:
    """A captioned HTML table, every cell escaped; ``total`` rows in all, of
    which only those given are shown (the caption then says how many more).

    Examples
    --------
    >>> html_table("two", ["a", "b"], [[1, "<x>"]])
    '<table><caption>two</caption><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>&lt;x&gt;</td></tr></table>'
    """
    body = ["<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows]
    if total is not None and total > len(body):
        caption = f"{caption} (first {len(body):,} of {total:,})"
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
    return f"<table><caption>{html.escape(caption)}</caption>{head}{''.join(body)}</table>"
