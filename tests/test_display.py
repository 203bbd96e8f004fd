"""Notebook display and readable reprs (issue 12, item 7)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import credscore as cs


class _Cells(HTMLParser):
    """The text of every table cell, and the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)
        self._in = tag in ("td", "th", "caption")
        if self._in:
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.cells[-1] += data


def cells(html: str) -> _Cells:
    p = _Cells()
    p.feed(html)
    return p


def test_scores_claims_and_cases_show_as_tables_and_read_in_one_line() -> None:
    case = cs.examples.kursk()
    scores = cs.score(case)
    assert repr(case) == "<Case: 7 sources, 6 claims, 8 reports, 1 group, 5 links>"
    claim = scores["nk-casualties"]
    lo, hi = claim.interval
    assert repr(claim) == (
        f"<ClaimScore 'nk-casualties': p={claim.probability:.3f} [{lo:.3f}-{hi:.3f}], "
        f"grade {claim.grade}, {claim.phrase}, 2 independent, flags: unacknowledged>"
    )
    table = cells(scores._repr_html_())
    assert table.tags.count("tr") == 1 + len(case.claims)
    assert [c.id for c in scores] == table.cells[8::7]  # caption, 7 headers, then rows
    assert f"{claim.probability:.3f}" in table.cells
    assert cells(claim._repr_html_()).tags.count("tr") == 2
    shown = cells(case._repr_html_())
    assert shown.tags.count("table") == 3
    assert {"gur", "nk-deployed", "no_comment"} <= set(shown.cells)


def test_display_escapes_ids_and_keeps_large_inputs_short() -> None:
    n = 1_000
    sources = [cs.Source(f"<b>s{i}</b>", reliability="B") for i in range(n)]
    reports = [cs.Report(s.id, "c&d", "confirms") for s in sources]
    case = cs.Case(sources, [cs.Claim("c&d")], reports)
    html = case._repr_html_()
    assert "<b>" not in html and "&lt;b&gt;s0&lt;/b&gt;" in html
    assert "(first 50 of 1,000)" in html
    assert len(repr(case)) < 80
    scores = cs.score(case)
    assert "c&amp;d" in scores._repr_html_()
    result = cs.fuse(([f"s{i}" for i in range(300)], [f"o{i % 120}" for i in range(300)],
                      ["a", "b", "a"] * 100), model="majority")  # fmt: skip
    shown = result._repr_html_()
    assert shown.count("<table>") == 2
    assert re.search(r"\(first 50 of 120\)", shown) and re.search(r"\(first 50 of 300\)", shown)
