"""A whole case, and its plain-data form.

:class:`Case` holds the parts of :mod:`credscore.case.parts` and checks how they
refer to each other (unique ids, known ids in reports and links, no cycle of
``cites`` or ``implies``). :func:`case_from_dict` and :func:`case_to_dict` turn a
case into the plain data of the JSON case format, version 1
(:doc:`/reference/case-format`) and back, listing every problem at once;
reading and writing the file itself (text, encoding, safe writes) is
:mod:`credscore.io.casefile`.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from credscore._gc import paused_gc
from credscore._validators import show
from credscore.case.parts import (
    ADMIRALTY_RELIABILITY,
    Claim,
    Group,
    Link,
    Report,
    Source,
    Stance,
    parse_time,
    quick_report,
    quick_source,
)
from credscore.errors import InvalidCaseError
from credscore.io.text import unique_keys

__all__ = [
    "ADMIRALTY_RELIABILITY",
    "FORMAT_VERSION",
    "Case",
    "Claim",
    "Group",
    "Link",
    "Report",
    "Source",
    "Stance",
    "case_from_dict",
    "case_to_dict",
    "check_case",
    "loose_ends",
    "parse_time",
]


def _tuple_of(value: Any, cls: type[Any], field: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidCaseError(field, None, f"expected a list, got {type(value).__name__}")
    out = tuple(value)
    if set(map(type, out)) <= {cls}:  # the usual case, checked at C speed
        return out
    for i, v in enumerate(out):
        if not isinstance(v, cls):
            raise InvalidCaseError(
                f"{field}[{i}]", None, f"expected a {cls.__name__}, got {type(v).__name__}"
            )
    return out


def _sources(value: Iterable[Source]) -> tuple[Source, ...]:
    return _tuple_of(value, Source, "sources")


def _claims(value: Iterable[Claim]) -> tuple[Claim, ...]:
    return _tuple_of(value, Claim, "claims")


def _reports(value: Iterable[Report]) -> tuple[Report, ...]:
    return _tuple_of(value, Report, "reports")


def _groups(value: Iterable[Group]) -> tuple[Group, ...]:
    return _tuple_of(value, Group, "groups")


def _links(value: Iterable[Link]) -> tuple[Link, ...]:
    return _tuple_of(value, Link, "links")


@attrs.frozen
class Case:
    """Sources, claims and reports about one event, with declared groups and links.

    Construction checks the whole case: unique ids, known ids in reports and
    links, no cycle of ``cites`` or of ``implies``. The JSON case format is
    :meth:`from_dict` / :meth:`to_dict`; files: :mod:`credscore.io.casefile`.

    Examples
    --------
    >>> case = Case(
    ...     sources=[Source("a", reliability="B"), Source("b")],
    ...     claims=[Claim("c1")],
    ...     reports=[Report("a", "c1", "confirms"), Report("b", "c1", "no_comment")],
    ... )
    >>> len(case.reports), case.source("a").probability
    (2, 0.8)
    >>> Case(sources=[], claims=[Claim("c1")], reports=[Report("a", "c1", "confirms")])
    Traceback (most recent call last):
    ...
    credscore.errors.InvalidCaseError: source of 'a->c1': unknown source id 'a'
    """

    sources: tuple[Source, ...] = attrs.field(converter=_sources)
    claims: tuple[Claim, ...] = attrs.field(converter=_claims)
    reports: tuple[Report, ...] = attrs.field(converter=_reports)
    groups: tuple[Group, ...] = attrs.field(default=(), kw_only=True, converter=_groups)
    links: tuple[Link, ...] = attrs.field(default=(), kw_only=True, converter=_links)

    def __attrs_post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidCaseError.collect(problems)

    def problems(self) -> list[InvalidCaseError]:
        """Every cross-reference problem of the case (empty when it is valid)."""
        out: list[InvalidCaseError] = []
        src_list = list(map(_ID, self.sources))
        src_ids: set[str] = set(src_list)
        if len(src_ids) != len(src_list):
            seen: set[str] = set()
            for sid in src_list:
                if sid in seen:
                    out.append(InvalidCaseError("sources.id", sid, "duplicate source id"))
                seen.add(sid)
        claim_list = list(map(_ID, self.claims))
        claim_ids: set[str] = set(claim_list)
        if len(claim_ids) != len(claim_list):
            seen = set()
            for cid in claim_list:
                if cid in seen:
                    out.append(InvalidCaseError("claims.id", cid, "duplicate claim id"))
                seen.add(cid)
        group_ids: set[str] = set()
        for g in self.groups:
            if g.id in group_ids:
                out.append(InvalidCaseError("groups.id", g.id, "duplicate group id"))
            group_ids.add(g.id)
        # Most reports name known ids and cite nobody: look at the others only.
        reports: Iterable[Report] = self.reports
        if src_ids.issuperset(map(_SOURCE, reports)) and claim_ids.issuperset(
            map(_CLAIM, reports)
        ):
            reports = [r for r in reports if r.cites is not None]
        for r in reports:
            if r.source not in src_ids:
                out.append(
                    InvalidCaseError("source", r.key, f"unknown source id {show(r.source)}")
                )
            if r.claim not in claim_ids:
                out.append(InvalidCaseError("claim", r.key, f"unknown claim id {show(r.claim)}"))
            if r.cites is not None:
                if r.cites not in src_ids:
                    out.append(
                        InvalidCaseError("cites", r.key, f"unknown source id {show(r.cites)}")
                    )
                elif r.cites == r.source:
                    out.append(InvalidCaseError("cites", r.key, "a source cannot cite itself"))
        out += _figures(self)
        for link in self.links:
            known = src_ids if link.kind == "depends" else claim_ids
            what = "source" if link.kind == "depends" else "claim"
            for field, ref in (("from", link.source), ("to", link.target)):
                if ref not in known:
                    out.append(InvalidCaseError(field, link.key, f"unknown {what} id {show(ref)}"))
        if not out:
            out += _cycles(self)
        if not out:
            out += _contradictions(self)
        return out

    def __repr__(self) -> str:
        def n(k: int, word: str) -> str:
            return f"{k:,} {word}" + ("" if k == 1 else "s")

        parts = [n(len(self.sources), "source"), n(len(self.claims), "claim"),
                 n(len(self.reports), "report")]  # fmt: skip
        if self.groups:
            parts.append(n(len(self.groups), "group"))
        if self.links:
            parts.append(n(len(self.links), "link"))
        return f"<Case: {', '.join(parts)}>"

    def _repr_html_(self) -> str:
        """Sources, claims and reports as tables in a notebook (50 rows each)."""
        from credscore._html import html_table

        k = 50
        return "".join(
            [
                html_table(
                    f"{self!r}"[1:-1] + ": sources",
                    ["id", "name", "kind", "reliability", "affiliation"],
                    [(s.id, s.name or "", s.kind or "", "" if s.reliability is None
                      else s.reliability, s.affiliation or "") for s in self.sources[:k]],
                    total=len(self.sources),
                ),
                html_table(
                    "claims",
                    ["id", "text", "prior", "benefits", "harms"],
                    [(c.id, c.text or "", "" if c.prior is None else c.prior,
                      ", ".join(c.benefits), ", ".join(c.harms)) for c in self.claims[:k]],
                    total=len(self.claims),
                ),
                html_table(
                    "reports",
                    ["source", "claim", "stance", "time", "cites", "weight"],
                    [(r.source, r.claim, r.stance.value, r.time or "", r.cites or "", r.weight)
                     for r in self.reports[:k]],
                    total=len(self.reports),
                ),
            ]
        )  # fmt: skip

    def source(self, id: str) -> Source:
        """The source with this id (KeyError if none)."""
        for s in self.sources:
            if s.id == id:
                return s
        raise KeyError(id)

    def claim(self, id: str) -> Claim:
        """The claim with this id (KeyError if none)."""
        for c in self.claims:
            if c.id == id:
                return c
        raise KeyError(id)

    def replace(self, **changes: Any) -> Case:
        """A copy with some fields replaced (validated again).

        Examples
        --------
        >>> from credscore.examples import kursk
        >>> case = kursk()
        >>> more = case.replace(reports=case.reports + (Report("kremlin", "nk-deployed", "confirms"),))
        >>> len(more.reports) - len(case.reports)
        1
        """
        return attrs.evolve(self, **changes)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Case:
        """Build a case from the JSON case format, version 1 (:doc:`/reference/case-format`);
        see :func:`case_from_dict`."""
        return case_from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON case format, version 1; ``Case.from_dict(c.to_dict()) == c``."""
        return case_to_dict(self)


_ID = operator.attrgetter("id")
_SOURCE = operator.attrgetter("source")
_CLAIM = operator.attrgetter("claim")
_VALUE = operator.attrgetter("value")


def _figures(case: Case) -> list[InvalidCaseError]:
    """A report's figure needs a claim that states a quantity."""
    values = map(_VALUE, case.reports)
    given = list(
        itertools.compress(case.reports, map(operator.is_not, values, itertools.repeat(None)))
    )
    if not given:
        return []
    return _figures_of(given, {c.id for c in case.claims if c.value is not None})


def _figures_of(given: Iterable[Report], stated: set[str]) -> list[InvalidCaseError]:
    return [
        InvalidCaseError(
            "value",
            r.key,
            f"claim {show(r.claim)} states no quantity to give a figure for "
            "(give the claim a value)",
        )
        for r in given
        if r.claim not in stated
    ]


def _cycles(case: Case) -> list[InvalidCaseError]:
    """Cycles of ``cites`` (per claim) and of ``implies``."""
    out: list[InvalidCaseError] = []
    cite_edges: dict[str, dict[str, set[str]]] = {}
    for r in case.reports:
        if r.cites is not None:
            cite_edges.setdefault(r.claim, {}).setdefault(r.source, set()).add(r.cites)
    for claim_id in sorted(cite_edges):
        cyc = _find_cycle(cite_edges[claim_id])
        if cyc:
            out.append(
                InvalidCaseError(
                    "cites", f"{cyc[0]}->{claim_id}", _cycle_text("citation", "sources", cyc)
                )
            )
    implies: dict[str, set[str]] = {}
    for link in case.links:
        if link.kind == "implies":
            implies.setdefault(link.source, set()).add(link.target)
    cyc = _find_cycle(implies)
    if cyc:
        out.append(
            InvalidCaseError(
                "links", f"{cyc[0]}->{cyc[1]}", _cycle_text("implication", "claims", cyc)
            )
        )
    return out


def loose_ends(case: Case) -> list[InvalidCaseError]:
    """References that are valid but match nothing, so they silently change
    nothing: a ``benefits``/``harms`` prefix or a declared group no source's
    affiliation lies under (by whole path segments: ``ua`` covers ``ua/gov``,
    not ``uae``), and affiliations that differ only in letter case
    (``US/gov`` beside ``us/gov``). ``credscore validate`` reports them as
    errors; scoring warns (:class:`~credscore.errors.CredscoreWarning`).

    Examples
    --------
    >>> case = Case(sources=[Source("gur", affiliation="ua/gov/mod")],
    ...             claims=[Claim("c", benefits=["ukraine"])], reports=[])
    >>> [str(p) for p in loose_ends(case)]
    ["benefits of 'c': 'ukraine' matches no source's affiliation (affiliations start with 'ua')"]
    """
    return _loose_ends(case.sources, case.claims, case.groups)


def _loose_ends(
    sources: Iterable[Source], claims: Iterable[Claim], groups: Iterable[Group]
) -> list[InvalidCaseError]:
    """:func:`loose_ends` of the parts of a case (also of the parts that did
    build from a document with problems)."""
    claims, groups = list(claims), list(groups)
    first: dict[str, str] = {}  # each distinct affiliation -> its first source
    for src in sources:
        if src.affiliation is not None and src.affiliation not in first:
            first[src.affiliation] = src.id
    tops = {aff.partition("/")[0] for aff in first}
    wanted = {p for c in claims for p in (*c.benefits, *c.harms)}
    wanted.update(g.id for g in groups)
    under = _prefixes_present(first, wanted)

    def hint() -> str:
        if not tops:
            return "no source has an affiliation"
        shown = ", ".join(repr(t) for t in sorted(tops)[:5])
        return f"affiliations start with {shown}" + (", ..." if len(tops) > 5 else "")

    out: list[InvalidCaseError] = []
    for c in claims:
        for field in ("benefits", "harms"):
            for prefix in getattr(c, field):
                if prefix not in under:
                    out.append(
                        InvalidCaseError(
                            field,
                            c.id,
                            f"{show(prefix)} matches no source's affiliation ({hint()})",
                        )
                    )
    for g in groups:
        if g.id not in under:
            out.append(
                InvalidCaseError(
                    "groups.id", g.id, f"no source's affiliation lies under it ({hint()})"
                )
            )
    out.extend(_letter_case(first))
    return out


def _prefixes_present(affiliations: Iterable[str], wanted: set[str]) -> set[str]:
    """The paths of ``wanted`` that some affiliation lies under, by whole
    segments. Linear in the affiliations' length for shallow paths (an
    affiliation is split only as deep as the deepest shallow path wanted), so
    an affiliation 10^4 segments deep costs no more than a short one."""
    shallow = {p for p in wanted if p.count("/") < 8}
    depth = max((p.count("/") + 1 for p in shallow), default=0)
    found: set[str] = set()
    affs = list(affiliations)
    if depth:
        for aff in affs:
            parts = aff.split("/", depth)
            prefix = ""
            for k in range(min(depth, len(parts))):
                prefix = parts[k] if k == 0 else f"{prefix}/{parts[k]}"
                if prefix in shallow:
                    found.add(prefix)
    for p in wanted - shallow:  # deep paths: rare, checked one by one
        if any(aff == p or aff.startswith(p + "/") for aff in affs):
            found.add(p)
    return found


def _letter_case(first: Mapping[str, str]) -> list[InvalidCaseError]:
    """Affiliations are case-sensitive ids: 'US/gov' and 'us/gov' are
    different groups, which is almost always a typing slip. Each clash is
    named once, where the spellings first part (the shallowest segment that
    differs). Only as deep as the deepest segment with a capital letter."""
    depth = 0
    for aff in first:
        if aff != aff.lower():
            parts = aff.split("/")
            deepest = max(i for i, x in enumerate(parts) if x != x.lower())
            depth = max(depth, deepest + 1)
    if not depth:
        return []
    spellings: dict[str, dict[str, str]] = {}  # lowered prefix -> spelling -> source
    counts: dict[str, int] = {}
    for aff, src in first.items():
        parts = aff.split("/", depth)
        prefix = ""
        for k in range(min(depth, len(parts))):
            prefix = parts[k] if k == 0 else f"{prefix}/{parts[k]}"
            spellings.setdefault(prefix.lower(), {}).setdefault(prefix, src)
            counts[prefix] = counts.get(prefix, 0) + 1
    out: list[InvalidCaseError] = []
    for low, spelt in spellings.items():
        parent = low.rpartition("/")[0]
        if len(spelt) < 2 or (parent and len(spellings[parent]) > 1):
            continue
        common, *others = sorted(spelt, key=lambda p: (-counts[p], p))
        for p in others:
            out.append(
                InvalidCaseError(
                    "affiliation",
                    spelt[p],
                    f"{show(p)} differs from {show(common)} (of {show(spelt[common])}) "
                    "only in letter case: they are different groups",
                )
            )
    return out


def _contradictions(case: Case) -> list[InvalidCaseError]:
    """``contradicts`` links that no assignment of truth values can satisfy
    together with the ``implies`` links: a claim contradicting itself, or two
    claims that one claim implies both of (A implies B, A contradicts B; or C
    implies A and B, A contradicts B). The claim implying both could never be
    true, which is a mistake in the case, not a finding."""
    pairs = [lk for lk in case.links if lk.kind == "contradicts"]
    if not pairs:
        return []
    up: dict[str, list[str]] = {}
    for lk in case.links:
        if lk.kind == "implies":
            up.setdefault(lk.target, []).append(lk.source)

    def ancestors(c: str) -> set[str]:  # c and every claim implying it
        seen = {c}
        todo = [c]
        while todo:
            for p in up.get(todo.pop(), ()):
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    memo: dict[str, set[str]] = {}
    out: list[InvalidCaseError] = []
    for lk in pairs:
        a = memo.get(lk.source)
        if a is None:
            a = memo[lk.source] = ancestors(lk.source)
        b = memo.get(lk.target)
        if b is None:
            b = memo[lk.target] = ancestors(lk.target)
        both = a & b
        if not both:
            continue
        culprit = sorted(both)[0]
        if culprit in (lk.source, lk.target):
            other = lk.target if culprit == lk.source else lk.source
            why = f"{show(culprit)} also implies {show(other)} (through implies links)"
        else:
            why = f"{show(culprit)} implies both claims, so it could never be true"
        out.append(InvalidCaseError("links", lk.key, f"impossible contradiction: {why}"))
    return out


def _cycle_text(kind: str, what: str, cyc: list[str], shown: int = 10) -> str:
    """``implication cycle a -> b -> a``; a long cycle as its length and first ids."""
    n = len(cyc) - 1
    if n <= shown:
        return f"{kind} cycle " + " -> ".join(cyc)
    return f"{kind} cycle of {n} {what}: " + " -> ".join(cyc[:shown]) + " -> ..."


def _find_cycle(edges: Mapping[str, set[str]]) -> list[str] | None:
    """A cycle in a directed graph as a list of nodes (first repeated last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color: dict[str, int] = {}
    on_path: dict[str, int] = {}  # node -> its position in ``path``
    for root in sorted(edges):
        if color.get(root, WHITE) != WHITE:
            continue
        # each frame: (node, its successors still to visit, in reverse order)
        stack: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ()), reverse=True))]
        path = [root]
        on_path[root] = 0
        color[root] = GREY
        while stack:
            node, todo = stack[-1]
            if not todo:
                color[node] = BLACK
                stack.pop()
                path.pop()
                del on_path[node]
                continue
            nxt = todo.pop()
            c = color.get(nxt, WHITE)
            if c == GREY:
                return [*path[on_path[nxt] :], nxt]
            if c == WHITE:
                color[nxt] = GREY
                on_path[nxt] = len(path)
                path.append(nxt)
                stack.append((nxt, sorted(edges.get(nxt, ()), reverse=True)))
    return None


# -- the plain-data form (the JSON case format, version 1) ------------------

FORMAT_VERSION = 1

_TOP = {"credscore", "sources", "claims", "reports", "groups", "links"}
_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # section: (required keys, optional keys)
    "sources": ({"id"}, {"name", "kind", "reliability", "affiliation"}),
    "claims": (
        {"id"},
        {
            "text",
            "prior",
            "benefits",
            "harms",
            "value",
            "unit",
            "approx",
            "topic",
            "resolved",
            "resolved_at",
        },
    ),
    "reports": ({"source", "claim", "stance"}, {"time", "cites", "weight", "value"}),
    "groups": ({"id", "dependence"}, set()),
    "links": ({"kind", "from", "to"}, {"dependence"}),
}


def _item_id(section: str, i: int, item: Mapping[str, Any]) -> str:
    if section == "reports":
        return f"{item.get('source')}->{item.get('claim')}"
    if section == "links":
        return f"{item.get('from')}->{item.get('to')}"
    ident = item.get("id")
    return str(ident) if ident is not None else f"{section}[{i}]"


def quick_part(item: Mapping[str, Any]) -> Any:
    """For a JSON object as it is read: the :class:`Report` or :class:`Source`
    it plainly is (see :func:`~credscore.case.parts.quick_report`), else the
    object itself. :func:`case_from_owned_dict` takes such parts in their
    sections and turns them back into their objects anywhere else."""
    n = len(item)
    if n == 3:
        get = item.get
        src, claim, stance = get("source"), get("claim"), get("stance")
        if src is not None and claim is not None and stance is not None:
            r = quick_report(src, claim, stance)
            return item if r is None else r
    elif n <= 2:
        ident = item.get("id")
        if ident is not None and (n == 1 or item.get("reliability") is not None):
            s = quick_source(ident, item.get("reliability"))
            return item if s is None else s
    return item


def quick_pairs(pairs: list[tuple[str, Any]]) -> Any:
    """:func:`quick_part` on the (key, value) pairs of a JSON object as it is
    read (``parse_json(make_pairs=quick_pairs)``): a report or source written
    with its keys in the usual order is built without making its dict."""
    n = len(pairs)
    if n == 3:
        (k0, v0), (k1, v1), (k2, v2) = pairs
        if k0 == "source" and k1 == "claim" and k2 == "stance":
            r = quick_report(v0, v1, v2)
            if r is not None:
                return r
    elif n == 2:
        (k0, v0), (k1, v1) = pairs
        if k0 == "id" and k1 == "reliability" and v1 is not None:
            s = quick_source(v0, v1)
            if s is not None:
                return s
    item = unique_keys(pairs)
    part = quick_part(item)
    # Only a part that gives back exactly the object read (keys in their
    # order): a message that shows it must show what the file holds.
    if part is not item and list(_as_item(part).items()) != pairs:
        return item
    return part


def _restore(x: Any) -> Any:
    """``x`` with every part made by :func:`quick_part`, at any depth, turned
    back into the JSON object it was read from (for values outside the
    sections' lists, so that messages show what the file holds)."""
    if isinstance(x, (Report, Source)):
        return _as_item(x)
    if isinstance(x, list):
        return (
            [_restore(v) for v in x]
            if any(isinstance(v, (list, dict, Report, Source)) for v in x)
            else x
        )
    if isinstance(x, dict):
        return {k: _restore(v) for k, v in x.items()}
    return x


def _as_item(part: Any) -> Any:
    """The JSON object a part made by :func:`quick_part` was read from."""
    if isinstance(part, Report):
        return {"source": part.source, "claim": part.claim, "stance": part.stance.value}
    if isinstance(part, Source):
        if part.reliability is None:
            return {"id": part.id}
        return {"id": part.id, "reliability": part.reliability}
    return part


def _source(item: Mapping[str, Any]) -> Source:
    part = quick_part(item)
    if type(part) is Source:
        return part
    get = item.get
    return Source(
        item["id"],
        name=get("name"),
        kind=get("kind"),
        reliability=get("reliability"),
        affiliation=get("affiliation"),
    )


def _claim(item: Mapping[str, Any]) -> Claim:
    get = item.get
    return Claim(
        item["id"],
        text=get("text", ""),
        prior=get("prior"),
        benefits=get("benefits", ()),
        harms=get("harms", ()),
        value=get("value"),
        unit=get("unit"),
        approx=get("approx"),
        topic=get("topic"),
        resolved=get("resolved"),
        resolved_at=get("resolved_at"),
    )


def _report(item: Mapping[str, Any]) -> Report:
    part = quick_part(item)
    if type(part) is Report:
        return part
    get = item.get
    return Report(
        item["source"],
        item["claim"],
        item["stance"],
        time=get("time"),
        cites=get("cites"),
        weight=get("weight", 1.0),
        value=get("value"),
    )


def _group(item: Mapping[str, Any]) -> Group:
    return Group(item["id"], item["dependence"])


def _link(item: Mapping[str, Any]) -> Link:
    return Link(item["kind"], item["from"], item["to"], dependence=item.get("dependence"))


_BUILD: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "sources": _source,
    "claims": _claim,
    "reports": _report,
    "groups": _group,
    "links": _link,
}


def _parse(
    data: Any, consume: bool = False
) -> tuple[dict[str, list[Any]], dict[str, list[Any]], list[InvalidCaseError]]:
    """The parts of a case in the JSON format, the report and link items that
    failed to build (their ids are still checked), and every problem met. With
    ``consume`` (the caller owns ``data``), each item is dropped from its list
    once built, so a large document and its parts are never held at once."""
    problems: list[InvalidCaseError] = []
    built: dict[str, list[Any]] = {k: [] for k in _KEYS}
    failed: dict[str, list[Any]] = {"reports": [], "links": []}
    if not isinstance(data, Mapping):
        return built, failed, [InvalidCaseError("case", None, "a case must be a JSON object")]
    for key in sorted(set(data) - _TOP, key=str):
        problems.append(InvalidCaseError(str(key), None, "unknown key at the top of the case"))
    version = data.get("credscore")
    if isinstance(version, bool) or version != FORMAT_VERSION:  # true == 1 in Python
        problems.append(
            InvalidCaseError(
                "credscore",
                None,
                f"format version must be {FORMAT_VERSION}, got {show(_restore(version))}",
            )
        )
    for section, (required, optional) in _KEYS.items():
        items = data.get(section, [] if section in ("groups", "links") else None)
        if items is None:
            problems.append(InvalidCaseError(section, None, "missing (a list is required)"))
            continue
        if not isinstance(items, list):
            problems.append(
                InvalidCaseError(section, None, f"must be a list, got {type(items).__name__}")
            )
            continue
        allowed = required | optional
        build = _BUILD[section]
        out = built[section]
        ready = {"sources": Source, "reports": Report}.get(section) if consume else None
        if ready is not None and set(map(type, items)) == {ready}:
            out.extend(items)  # every item was built as it was read (quick_pairs)
            items.clear()
            continue
        for i, item in enumerate(items):
            if consume and type(item) is not dict:
                if type(item) is ready:  # built as it was read (quick_part)
                    out.append(item)
                    items[i] = None
                    continue
                item = items[i] = _as_item(item)
            elif consume and any(
                isinstance(v, (list, dict, Report, Source)) for v in item.values()
            ):
                item = items[i] = _restore(item)
            if type(item) is not dict and not isinstance(item, Mapping):
                where = f"{section}[{i}]"
                problems.append(InvalidCaseError(where, None, "must be a JSON object"))
                continue
            keys = item.keys()
            if not (keys <= allowed and keys >= required):
                where = f"{section}[{i}]"
                ident = _item_id(section, i, item)
                for key in sorted(set(keys) - allowed, key=str):
                    problems.append(InvalidCaseError(f"{where}.{key}", ident, "unknown key"))
                for key in sorted(required - set(keys)):
                    problems.append(InvalidCaseError(f"{where}.{key}", ident, "missing"))
                continue
            try:
                out.append(build(item))
                if consume:
                    items[i] = None
            except InvalidCaseError as exc:
                problems.extend(exc.problems)
                if section in failed:  # its ids are still checked against the others
                    failed[section].append(item)
            except (TypeError, ValueError) as exc:  # pragma: no cover - defensive
                where = f"{section}[{i}]"
                problems.append(InvalidCaseError(where, _item_id(section, i, item), str(exc)))
    return built, failed, problems


def check_case(data: Any) -> list[InvalidCaseError]:
    """Every problem of a case given as a dict in the JSON format (empty if valid).

    Examples
    --------
    >>> problems = check_case({"credscore": 1, "sources": [{"id": "a", "reliability": 2}],
    ...                        "claims": [], "reports": [{"source": "b", "claim": "c",
    ...                        "stance": "confirms"}]})
    >>> for p in problems:
    ...     print(p)
    reliability of 'a': must lie in (0, 1), got 2
    source of 'b->c': unknown source id 'b'
    claim of 'b->c': unknown claim id 'c'

    Unlike loading, it also reports :func:`loose_ends`: references that are
    valid but match nothing.
    """
    return _check(data, loose=True)[1]


def _check(
    data: Any, consume: bool = False, loose: bool = False
) -> tuple[Case | None, list[InvalidCaseError]]:
    built, failed, problems = _parse(data, consume)
    case = None
    if not problems:
        try:
            case = Case(
                built["sources"],
                built["claims"],
                built["reports"],
                groups=built["groups"],
                links=built["links"],
            )
        except InvalidCaseError as exc:
            problems.extend(exc.problems)
        if case is not None and loose:
            problems.extend(loose_ends(case))
            if problems:
                case = None
    elif isinstance(data, Mapping):
        # Cross-references can still be checked among the items that did parse.
        src: set[Any] = set()
        clm: set[Any] = set()
        # (Items built are in ``built``; with ``consume`` they left ``data``.)
        if isinstance(data.get("sources"), list):
            src = {s["id"] for s in data["sources"] if isinstance(s, Mapping) and _is_str(s, "id")}
            src.update(s.id for s in built["sources"])
        if isinstance(data.get("claims"), list):
            clm = {c["id"] for c in data["claims"] if isinstance(c, Mapping) and _is_str(c, "id")}
            clm.update(c.id for c in built["claims"])
        # Among the parts that did build; with a source missing, the
        # affiliations a claim's interests may match are not all known. (A
        # built item leaves None in its place, or all were built and cleared.)
        given = data.get("sources")
        sources_missing = isinstance(given, list) and len(built["sources"]) < len(given)
        if loose and not sources_missing:
            problems.extend(_loose_ends(built["sources"], built["claims"], built["groups"]))
        refs: list[tuple[str, str | None, str | None, str | None]] = [
            (r.key, r.source, r.claim, r.cites) for r in built["reports"]
        ]
        for item in failed["reports"]:  # a report with a bad field may name unknown ids too
            s, c, x = (v if isinstance(v, str) else None for v in map(item.get, _REF_KEYS))
            refs.append((f"{item.get('source')}->{item.get('claim')}", s, c, x))
        for key, source, claim, cites in refs:
            if source is not None and source not in src:
                problems.append(
                    InvalidCaseError("source", key, f"unknown source id {show(source)}")
                )
            if claim is not None and claim not in clm:
                problems.append(InvalidCaseError("claim", key, f"unknown claim id {show(claim)}"))
            if cites is not None and cites not in src:
                problems.append(InvalidCaseError("cites", key, f"unknown source id {show(cites)}"))
        # a figure needs a claim that states a quantity (among the claims built)
        built_claims = {c.id: c for c in built["claims"]}
        for r in built["reports"]:
            c = built_claims.get(r.claim) if r.value is not None else None
            if c is not None and c.value is None:
                problems.extend(_figures_of([r], set()))
        # links, built or not: their ends are sources (depends) or claims
        ends = [(lk.kind, lk.source, lk.target) for lk in built["links"]]
        ends += [(x.get("kind"), x.get("from"), x.get("to")) for x in failed["links"]]
        for kind, a, b in ends:
            if kind not in ("implies", "contradicts", "depends"):
                continue
            known, what = (src, "source") if kind == "depends" else (clm, "claim")
            for field, end in (("from", a), ("to", b)):
                if isinstance(end, str) and end not in known:
                    problems.append(
                        InvalidCaseError(field, f"{a}->{b}", f"unknown {what} id {show(end)}")
                    )
    return case, problems


_REF_KEYS = ("source", "claim", "cites")


def _is_str(item: Mapping[str, Any], key: str) -> bool:
    # An id of the wrong type (a list, say) is already a problem; it must not
    # also crash the cross-reference check, which hashes ids.
    return isinstance(item.get(key), str)


def case_from_dict(data: Mapping[str, Any]) -> Case:
    """Build a :class:`~credscore.case.model.Case` from the JSON format; raises
    :class:`~credscore.errors.InvalidCaseError` listing every problem.

    Examples
    --------
    >>> case = case_from_dict({"credscore": 1, "sources": [{"id": "a"}],
    ...                        "claims": [{"id": "c"}],
    ...                        "reports": [{"source": "a", "claim": "c", "stance": "confirms"}]})
    >>> case.reports[0].stance.value
    'confirms'
    """
    with paused_gc():  # millions of small acyclic objects (see credscore._gc)
        case, problems = _check(data)
    if case is None:
        raise InvalidCaseError.collect(problems)
    return case


def case_from_owned_dict(data: Any) -> Case:
    """:func:`case_from_dict` for a document nobody else holds (a loader's
    own parse): its items are dropped as they are built, to halve the peak
    memory of a large load. ``data`` is left emptied of what was built."""
    if not isinstance(data, dict):
        data = _restore(data)
    else:
        data = {k: v if isinstance(v, list) else _restore(v) for k, v in data.items()}
    with paused_gc():
        case, problems = _check(data, consume=True)
    if case is None:
        raise InvalidCaseError.collect(problems)
    return case


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def case_to_dict(case: Case) -> dict[str, Any]:
    """The JSON format of a case; optional fields at their defaults are left out.

    Examples
    --------
    >>> from credscore.examples import kursk
    >>> case = kursk()
    >>> case_from_dict(case_to_dict(case)) == case
    True
    """
    out: dict[str, Any] = {"credscore": FORMAT_VERSION}
    out["sources"] = [
        _drop_none(
            {
                "id": s.id,
                "name": s.name,
                "kind": s.kind,
                "reliability": s.reliability,
                "affiliation": s.affiliation,
            }
        )
        for s in case.sources
    ]
    if case.groups:
        out["groups"] = [{"id": g.id, "dependence": g.dependence} for g in case.groups]
    out["claims"] = []
    for c in case.claims:
        d: dict[str, Any] = {"id": c.id}
        if c.text:
            d["text"] = c.text
        if c.prior is not None:
            d["prior"] = c.prior
        if c.benefits:
            d["benefits"] = list(c.benefits)
        if c.harms:
            d["harms"] = list(c.harms)
        if c.value is not None:
            d["value"] = c.value
        if c.unit is not None:
            d["unit"] = c.unit
        if c.approx is not None:
            d["approx"] = list(c.approx)
        if c.topic is not None:
            d["topic"] = c.topic
        if c.resolved is not None:
            d["resolved"] = c.resolved
        if c.resolved_at is not None:
            d["resolved_at"] = c.resolved_at
        out["claims"].append(d)
    if case.links:
        out["links"] = [
            _drop_none(
                {"kind": lk.kind, "from": lk.source, "to": lk.target, "dependence": lk.dependence}
            )
            for lk in case.links
        ]
    out["reports"] = []
    for r in case.reports:
        d = {"source": r.source, "claim": r.claim, "stance": r.stance.value}
        if r.time is not None:
            d["time"] = r.time
        if r.cites is not None:
            d["cites"] = r.cites
        if r.weight != 1.0:
            d["weight"] = r.weight
        if r.value is not None:
            d["value"] = r.value
        out["reports"].append(d)
    return out
