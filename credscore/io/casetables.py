"""Cases from spreadsheets: reports, sources and claims as CSV or TSV tables.

People whose reports live in a spreadsheet can score them without writing
JSON: :func:`read_case_tables` reads one table of reports and, optionally,
tables of sources, claims, groups and links, and returns a
:class:`credscore.Case`. Every problem is reported with the file, the line and
the column it was found in, and all problems are reported at once.

Columns (the first non-blank line is the header; names are case-insensitive;
empty cells mean "not given"; lines starting with ``#`` are comments):

============  ======================================================  ===========
table         columns                                                 required
============  ======================================================  ===========
reports       ``source, claim, stance, time, cites, weight, value``   first three
sources       ``id, name, kind, reliability, affiliation``            ``id``
claims        ``id, text, prior, benefits, harms, value, unit,        ``id``
              approx_low, approx_high, topic, resolved,
              resolved_at``
groups        ``id, dependence``                                      both
links         ``kind, from, to, dependence``                          first three
============  ======================================================  ===========

A claim's ``value`` is the quantity it states, ``approx_low`` and
``approx_high`` the range within which it is true as stated (both or
neither); a report's ``value`` is the figure it gives (see
:doc:`/howto/quantities`). ``resolved`` is what the claim turned out to be:
``true``/``false`` (also ``yes``/``no``, ``1``/``0``), see
:doc:`/howto/learn`.

``benefits`` and ``harms`` hold affiliation prefixes separated by ``;``
(or spaces). Without a sources table, every source named in the reports is
a source of unknown reliability; without a claims table, every claim named
in the reports is a claim with no text.

The delimiter is a tab for ``.tsv`` and ``.tab`` files; otherwise the one of
comma, tab and semicolon that the header line uses most (spreadsheets in many
locales save "CSV" with semicolons).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from typing import IO, Any, TypeVar

from credscore.case.model import Case, Claim, Group, Link, Report, Source
from credscore.errors import CredscoreError, InvalidCaseError, InvalidInputError
from credscore.io.text import display_name, read_text, sniff_delimiter

__all__ = ["read_case_tables"]

TableInput = str | os.PathLike[str] | IO[str]

_REPORT_COLUMNS = ("source", "claim", "stance", "time", "cites", "weight", "value")
_SOURCE_COLUMNS = ("id", "name", "kind", "reliability", "affiliation")
_CLAIM_COLUMNS = (
    "id",
    "text",
    "prior",
    "benefits",
    "harms",
    "value",
    "unit",
    "approx_low",
    "approx_high",
    "topic",
    "resolved",
    "resolved_at",
)
_GROUP_COLUMNS = ("id", "dependence")
_LINK_COLUMNS = ("kind", "from", "to", "dependence")
_STANCES = ("confirms", "denies", "observes", "no_comment", "retracts")


class _Row:
    """One data row of a table: its cells by column, and where it came from."""

    __slots__ = ("cells", "file", "line")

    def __init__(self, file: str, line: int, cells: dict[str, str]) -> None:
        self.file = file
        self.line = line
        self.cells = cells

    def get(self, column: str) -> str | None:
        value = self.cells.get(column, "").strip()
        return value or None

    def where(self, column: str) -> str:
        return f"{self.file}, line {self.line}, column {column!r}"


class _Problems:
    """Collects every problem found, so that the user sees them all at once."""

    def __init__(self) -> None:
        self.items: list[InvalidCaseError] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append(InvalidCaseError(where, None, problem))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidCaseError.collect(self.items)


def _header_line(text: str) -> str:
    """The first line that is neither blank nor a comment."""
    lines = (ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#"))
    return next(lines, "")


def _read_table(
    src: TableInput,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    problems: _Problems,
) -> list[_Row]:
    """Rows of one table; header problems are recorded and give no rows."""
    name = display_name(src)
    try:
        text = read_text(src, where=name)
    except InvalidInputError as exc:
        problems.add(name, str(exc).removeprefix(f"{name}: "))
        return []
    delimiter = sniff_delimiter(name, _header_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    rows: list[_Row] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if header is None:
                header_line = reader.line_num
                header = [c.strip().lower() for c in cells]
                if not _check_header(header, columns, required, name, header_line, problems):
                    return []
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                problems.add(
                    f"{name}, line {reader.line_num}",
                    f"{len(cells)} cells, but the header (line {header_line}) "
                    f"has {len(header)} columns",
                )
                continue
            rows.append(_Row(name, reader.line_num, dict(zip(header, cells))))
    except csv.Error as exc:
        problems.add(f"{name}, line {reader.line_num}", f"not a valid table ({exc})")
        return []
    if header is None:
        problems.add(name, f"empty table; expected a header line with {', '.join(required)}")
    return rows


def _check_header(
    header: list[str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    name: str,
    line: int,
    problems: _Problems,
) -> bool:
    ok = True
    where = f"{name}, line {line}"
    for col in header:
        if col not in columns:
            problems.add(where, f"unknown column {col!r}; the columns are {', '.join(columns)}")
            ok = False
        elif header.count(col) > 1:
            problems.add(where, f"column {col!r} appears more than once")
            ok = False
    missing = [c for c in required if c not in header]
    if missing:
        problems.add(where, f"missing column(s) {', '.join(missing)}")
        ok = False
    return ok and len(set(header)) == len(header)


def _number(row: _Row, column: str, problems: _Problems) -> float | None:
    text = row.get(column)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.add(row.where(column), f"{text!r} is not a number")
        return None
    if value != value or value in (float("inf"), float("-inf")):
        problems.add(row.where(column), f"{text!r} is not a finite number")
        return None
    return value


_TRUTH = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _truth(row: _Row, column: str, problems: _Problems) -> bool | None:
    text = row.get(column)
    if text is None:
        return None
    value = _TRUTH.get(text.strip().lower())
    if value is None:
        problems.add(row.where(column), f"{text!r} is not true or false")
    return value


def _paths(text: str | None) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[;,\s]+", text or "") if p)


T = TypeVar("T")


def _build(
    row: _Row, problems: _Problems, make: Callable[..., T], *args: Any, **kwargs: Any
) -> T | None:
    """``make(*args, **kwargs)``; a validation error is re-addressed to the row."""
    try:
        return make(*args, **kwargs)
    except (CredscoreError, ValueError, TypeError) as exc:
        field = getattr(exc, "field", None)
        column = field.rsplit(".", 1)[-1] if isinstance(field, str) else None
        column = re.sub(r"\[.*?\]", "", column) if column else None
        problem = getattr(exc, "problem", None) or str(exc)
        if column and column in row.cells:
            problems.add(row.where(column), problem)
        else:
            problems.add(f"{row.file}, line {row.line}", str(exc))
        return None


def _check_ids(
    rows: list[_Row], column: str, kind: str, problems: _Problems
) -> Iterator[tuple[_Row, str]]:
    """Rows with a non-empty, first-seen id; duplicates and gaps are problems."""
    seen: dict[str, int] = {}
    for row in rows:
        ident = row.get(column)
        if ident is None:
            problems.add(row.where(column), f"every {kind} needs an id")
            continue
        if ident in seen:
            problems.add(
                row.where(column), f"duplicate {kind} id {ident!r} (first on line {seen[ident]})"
            )
            continue
        seen[ident] = row.line
        yield row, ident


def read_case_tables(
    reports: TableInput,
    sources: TableInput | None = None,
    claims: TableInput | None = None,
    *,
    groups: TableInput | None = None,
    links: TableInput | None = None,
) -> Case:
    """Read a case from CSV or TSV tables of reports, sources and claims.

    Parameters
    ----------
    reports : path or text file
        Columns ``source, claim, stance`` and optionally ``time, cites,
        weight, value``; one report per line.
    sources : path or text file, optional
        Columns ``id`` and optionally ``name, kind, reliability,
        affiliation``. Without it, the sources named in ``reports`` are used,
        each of unknown reliability.
    claims : path or text file, optional
        Columns ``id`` and optionally ``text, prior, benefits, harms, value,
        unit, approx_low, approx_high``. Without it, the claims named in ``reports`` are used.
    groups : path or text file, optional
        Columns ``id, dependence``: declared dependence of affiliation groups.
    links : path or text file, optional
        Columns ``kind, from, to`` and optionally ``dependence``:
        ``implies`` or ``contradicts`` between two claims, or ``depends``
        (with a dependence in [0, 1], default 1) between two sources.

    Returns
    -------
    credscore.Case

    Raises
    ------
    InvalidCaseError
        Naming the file, line and column of every problem found (an unknown
        column, a stance that is not one of ``confirms, denies, observes,
        no_comment, retracts``, a reliability that is neither a letter A-F
        nor a probability, an id that no sources or claims table declares,
        a duplicate id, ...); :attr:`InvalidCaseError.problems` lists them.
    OSError
        When a file cannot be read.

    Notes
    -----
    Cells are stripped of surrounding spaces; a stance may also be written
    with a space or a hyphen (``no comment``) and in any case.

    Examples
    --------
    >>> import io
    >>> from credscore.io.casetables import read_case_tables
    >>> reports = io.StringIO(
    ...     "source,claim,stance\\n"
    ...     "gur,nk-casualties,confirms\\n"
    ...     "pentagon,nk-casualties,confirms\\n"
    ... )
    >>> sources = io.StringIO(
    ...     "id,reliability,affiliation\\n"
    ...     "gur,B,ua/gov/mod/gur\\n"
    ...     "pentagon,B,us/gov/dod\\n"
    ... )
    >>> case = read_case_tables(reports, sources)
    >>> [s.id for s in case.sources], len(case.reports)
    (['gur', 'pentagon'], 2)

    A mistake is reported with its place:

    >>> bad = io.StringIO("source,claim,stance\\ngur,nk-casualties,confirm\\n")
    >>> read_case_tables(bad)
    Traceback (most recent call last):
    ...
    credscore.errors.InvalidCaseError: <stream>, line 2, column 'stance': ...
    """
    problems = _Problems()
    report_rows = _read_table(reports, _REPORT_COLUMNS, _REPORT_COLUMNS[:3], problems)
    source_rows = (
        None if sources is None else _read_table(sources, _SOURCE_COLUMNS, ("id",), problems)
    )
    claim_rows = None if claims is None else _read_table(claims, _CLAIM_COLUMNS, ("id",), problems)
    group_rows = (
        [] if groups is None else _read_table(groups, _GROUP_COLUMNS, _GROUP_COLUMNS, problems)
    )
    link_rows = (
        [] if links is None else _read_table(links, _LINK_COLUMNS, _LINK_COLUMNS[:3], problems)
    )

    source_objs = {} if source_rows is None else _sources_of(source_rows, problems)
    claim_objs = {} if claim_rows is None else _claims_of(claim_rows, problems)
    declared_sources = {r.get("id") for r in source_rows or ()}
    declared_claims = {r.get("id") for r in claim_rows or ()}

    tables, declared = (sources, claims), (declared_sources, declared_claims)
    report_objs = _reports_of(report_rows, problems, tables, declared, source_objs, claim_objs)
    group_objs = _groups_of(group_rows, problems)
    link_objs = _links_of(link_rows, problems, tables, declared)

    problems.raise_if_any()
    try:
        return Case(
            list(source_objs.values()),
            list(claim_objs.values()),
            report_objs,
            groups=group_objs,
            links=link_objs,
        )
    except InvalidCaseError as exc:
        # Problems only the whole case shows (a cycle of citations or of
        # implications): no single line to point at, so name the tables.
        names = [display_name(t) for t in (reports, sources, claims, groups, links) if t]
        raise InvalidCaseError(f"{' + '.join(names)}: {exc.field}", exc.id, exc.problem) from None


def _sources_of(rows: list[_Row], problems: _Problems) -> dict[str, Source]:
    """The sources of a sources table, by id."""
    source_objs: dict[str, Source] = {}
    for row, ident in _check_ids(rows, "id", "source", problems):
        reliability: str | float | None = row.get("reliability")
        # A number, a letter A-F, or a mistake that Source reports.
        with contextlib.suppress(ValueError):
            reliability = float(reliability) if reliability is not None else None
        source = _build(
            row,
            problems,
            Source,
            ident,
            name=row.get("name"),
            kind=row.get("kind"),
            reliability=reliability,
            affiliation=row.get("affiliation"),
        )
        if source is not None:
            source_objs[ident] = source
    return source_objs


def _claims_of(rows: list[_Row], problems: _Problems) -> dict[str, Claim]:
    """The claims of a claims table, by id."""
    claim_objs: dict[str, Claim] = {}
    for row, ident in _check_ids(rows, "id", "claim", problems):
        prior = _number(row, "prior", problems)
        value = _number(row, "value", problems)
        low, high = _number(row, "approx_low", problems), _number(row, "approx_high", problems)
        bad = any(
            row.get(c) is not None and v is None
            for c, v in (("value", value), ("approx_low", low), ("approx_high", high))
        )
        resolved = _truth(row, "resolved", problems)
        if row.get("resolved") is not None and resolved is None:
            bad = True
        if (low is None) != (high is None):
            missing = "approx_high" if high is None else "approx_low"
            if row.get(missing) is None:
                problems.add(row.where(missing), "approx_low and approx_high go together")
            bad = True
        if bad:
            continue
        claim = _build(
            row,
            problems,
            Claim,
            ident,
            text=row.get("text") or "",
            prior=prior,
            benefits=_paths(row.get("benefits")),
            harms=_paths(row.get("harms")),
            value=value,
            unit=row.get("unit"),
            approx=None if low is None or high is None else (low, high),
            topic=row.get("topic"),
            resolved=resolved,
            resolved_at=row.get("resolved_at"),
        )
        if claim is not None:
            claim_objs[ident] = claim
    return claim_objs


def _reports_of(
    rows: list[_Row],
    problems: _Problems,
    tables: tuple[TableInput | None, TableInput | None],
    declared_ids: tuple[set[str | None], set[str | None]],
    source_objs: dict[str, Source],
    claim_objs: dict[str, Claim],
) -> list[Report]:
    """The reports of a reports table. Without a sources (claims) table, the
    sources (claims) they name are added to ``source_objs`` (``claim_objs``)."""
    sources, claims = tables
    declared_sources, declared_claims = declared_ids
    report_objs: list[Report] = []
    for row in rows:
        ok = True
        for column, declared, kind, table in (
            ("source", declared_sources, "source", sources),
            ("claim", declared_claims, "claim", claims),
            ("cites", declared_sources, "source", sources),
        ):
            ref = row.get(column)
            if ref is None:
                if column != "cites":
                    problems.add(row.where(column), f"every report needs a {column}")
                    ok = False
            elif table is not None and ref not in declared:
                problems.add(
                    row.where(column),
                    f"unknown {kind} {ref!r}: not in {display_name(table)}",
                )
                ok = False
        stance_text = row.get("stance")
        stance = (stance_text or "").lower().replace(" ", "_").replace("-", "_")
        if stance_text is not None and stance not in _STANCES:
            problems.add(
                row.where("stance"),
                f"unknown stance {stance_text!r}; expected one of {', '.join(_STANCES)}",
            )
            ok = False
        weight = _number(row, "weight", problems)
        value = _number(row, "value", problems)
        if (
            not ok
            or (row.get("weight") is not None and weight is None)
            or (row.get("value") is not None and value is None)
        ):
            continue
        src, clm = row.get("source"), row.get("claim")
        if src is None or clm is None:  # already recorded as a problem above
            continue
        if sources is None:
            for ref in (src, row.get("cites")):
                if ref is not None and ref not in source_objs:
                    source_objs[ref] = Source(ref)
        if claims is None and clm not in claim_objs:
            claim_objs[clm] = Claim(clm)
        report = _build(
            row,
            problems,
            Report,
            src,
            clm,
            stance,
            time=row.get("time"),
            cites=row.get("cites"),
            weight=1.0 if weight is None else weight,
            value=value,
        )
        if report is not None:
            report_objs.append(report)
    return report_objs


def _groups_of(rows: list[_Row], problems: _Problems) -> list[Group]:
    """The declared dependences of a groups table."""
    group_objs: list[Group] = []
    for row, ident in _check_ids(rows, "id", "group", problems):
        dependence = _number(row, "dependence", problems)
        if dependence is None:
            if row.get("dependence") is None:
                problems.add(row.where("dependence"), f"group {ident!r} needs a dependence")
            continue
        group = _build(row, problems, Group, ident, dependence)
        if group is not None:
            group_objs.append(group)
    return group_objs


def _links_of(
    rows: list[_Row],
    problems: _Problems,
    tables: tuple[TableInput | None, TableInput | None],
    declared_ids: tuple[set[str | None], set[str | None]],
) -> list[Link]:
    """The links of a links table."""
    sources, claims = tables
    declared_sources, declared_claims = declared_ids
    link_objs: list[Link] = []
    for row in rows:
        kind = (row.get("kind") or "").lower()
        # implies / contradicts join claims; depends joins sources.
        table, declared, what = (
            (sources, declared_sources, "source")
            if kind == "depends"
            else (claims, declared_claims, "claim")
        )
        ok = True
        for column in _LINK_COLUMNS[:3]:
            ref = row.get(column)
            if ref is None:
                problems.add(row.where(column), f"every link needs a {column!r}")
                ok = False
            elif column != "kind" and table is not None and ref not in declared:
                problems.add(
                    row.where(column), f"unknown {what} {ref!r}: not in {display_name(table)}"
                )
                ok = False
        dependence = _number(row, "dependence", problems)
        if not ok or (row.get("dependence") is not None and dependence is None):
            continue
        link = _build(
            row,
            problems,
            Link,
            kind,
            row.get("from") or "",
            row.get("to") or "",
            dependence=dependence,
        )
        if link is not None:
            link_objs.append(link)
    return link_objs
