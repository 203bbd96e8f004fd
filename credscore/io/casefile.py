"""The JSON case format, version 1 (DESIGN.md section 8): read, check, write.

A case file is one JSON object::

    {"credscore": 1, "sources": [...], "claims": [...], "reports": [...],
     "groups": [...], "links": [...]}

Unknown keys, unknown or duplicate ids, numbers out of range, NaN, unknown
stances, times that do not parse and cycles of ``cites`` or ``implies`` are
errors that name the field and the id; :func:`check_case` lists all of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import IO, Any

from credscore.case.model import Case, Claim, Group, Link, Report, Source
from credscore.errors import InvalidCaseError, InvalidInputError
from credscore.io.text import display_name, parse_json, read_text

__all__ = [
    "FORMAT_VERSION",
    "case_from_dict",
    "case_to_dict",
    "check_case",
    "dump_case",
    "load_case",
]

FORMAT_VERSION = 1

_TOP = {"credscore", "sources", "claims", "reports", "groups", "links"}
_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # section: (required keys, optional keys)
    "sources": ({"id"}, {"name", "kind", "reliability", "affiliation"}),
    "claims": ({"id"}, {"text", "prior", "benefits", "harms"}),
    "reports": ({"source", "claim", "stance"}, {"time", "cites", "weight"}),
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


def _build(section: str, item: Mapping[str, Any]) -> Any:
    if section == "sources":
        return Source(
            item["id"],
            name=item.get("name"),
            kind=item.get("kind"),
            reliability=item.get("reliability"),
            affiliation=item.get("affiliation"),
        )
    if section == "claims":
        return Claim(
            item["id"],
            text=item.get("text", ""),
            prior=item.get("prior"),
            benefits=item.get("benefits", ()),
            harms=item.get("harms", ()),
        )
    if section == "reports":
        return Report(
            item["source"],
            item["claim"],
            item["stance"],
            time=item.get("time"),
            cites=item.get("cites"),
            weight=item.get("weight", 1.0),
        )
    if section == "groups":
        return Group(item["id"], item["dependence"])
    return Link(item["kind"], item["from"], item["to"], dependence=item.get("dependence"))


def _parse(data: Any) -> tuple[dict[str, list[Any]], list[InvalidCaseError]]:
    problems: list[InvalidCaseError] = []
    built: dict[str, list[Any]] = {k: [] for k in _KEYS}
    if not isinstance(data, Mapping):
        return built, [InvalidCaseError("case", None, "a case must be a JSON object")]
    for key in sorted(set(data) - _TOP):
        problems.append(InvalidCaseError(str(key), None, "unknown key at the top of the case"))
    version = data.get("credscore")
    if isinstance(version, bool) or version != FORMAT_VERSION:  # true == 1 in Python
        problems.append(
            InvalidCaseError(
                "credscore", None, f"format version must be {FORMAT_VERSION}, got {version!r}"
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
        for i, item in enumerate(items):
            where = f"{section}[{i}]"
            if not isinstance(item, Mapping):
                problems.append(InvalidCaseError(where, None, "must be a JSON object"))
                continue
            ident = _item_id(section, i, item)
            bad = False
            for key in sorted(set(item) - required - optional):
                problems.append(InvalidCaseError(f"{where}.{key}", ident, "unknown key"))
                bad = True
            for key in sorted(required - set(item)):
                problems.append(InvalidCaseError(f"{where}.{key}", ident, "missing"))
                bad = True
            if bad:
                continue
            try:
                built[section].append(_build(section, item))
            except InvalidCaseError as exc:
                problems.extend(exc.problems)
            except (TypeError, ValueError) as exc:  # pragma: no cover - defensive
                problems.append(InvalidCaseError(where, ident, str(exc)))
    return built, problems


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
    """
    return _check(data)[1]


def _check(data: Any) -> tuple[Case | None, list[InvalidCaseError]]:
    built, problems = _parse(data)
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
    elif isinstance(data, Mapping):
        # Cross-references can still be checked among the items that did parse.
        src: set[Any] = set()
        clm: set[Any] = set()
        if isinstance(data.get("sources"), list):
            src = {s["id"] for s in data["sources"] if isinstance(s, Mapping) and _is_str(s, "id")}
        if isinstance(data.get("claims"), list):
            clm = {c["id"] for c in data["claims"] if isinstance(c, Mapping) and _is_str(c, "id")}
        for r in built["reports"]:
            if r.source not in src:
                problems.append(
                    InvalidCaseError("source", r.key, f"unknown source id {r.source!r}")
                )
            if r.claim not in clm:
                problems.append(InvalidCaseError("claim", r.key, f"unknown claim id {r.claim!r}"))
    return case, problems


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
    case, problems = _check(data)
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
        out["reports"].append(d)
    return out


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
    try:
        doc = parse_json(read_text(path, where=where), where)
    except InvalidInputError as exc:
        raise InvalidCaseError("case", None, str(exc)) from None
    return case_from_dict(doc)


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
        Path(path).write_text(text, encoding="utf-8")
