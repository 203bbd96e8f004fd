"""The parts of a case: sources, claims, reports, groups and links.

Every part is a frozen, slotted attrs class validated on construction. Ids
are plain strings; times are kept as the ISO 8601 strings they were given in
(so a case file round-trips exactly) and parsed when needed. The whole
:class:`~credscore.case.model.Case`, which checks how the parts refer to each
other, is in :mod:`credscore.case.model`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from credscore._validators import number_problem, show, unwritable
from credscore.errors import InvalidCaseError

__all__ = [
    "ADMIRALTY_RELIABILITY",
    "LINK_KINDS",
    "Claim",
    "Group",
    "Link",
    "Report",
    "Source",
    "Stance",
    "parse_time",
]

#: Probability that a source of each Admiralty reliability grade knows what it
#: reports. ``F`` (cannot be judged) maps to None: the model's
#: ``unknown_reliability`` (0.5) is used until a better value is learned.
ADMIRALTY_RELIABILITY: Mapping[str, float | None] = {
    "A": 0.95,
    "B": 0.8,
    "C": 0.6,
    "D": 0.4,
    "E": 0.2,
    "F": None,
}


_GOOD_TIMES: set[str] = set()


class Stance(str, enum.Enum):
    """What a report says about its claim.

    Examples
    --------
    >>> Stance("no_comment") is Stance.NO_COMMENT
    True
    >>> [s.value for s in Stance]
    ['confirms', 'denies', 'observes', 'no_comment', 'retracts']
    """

    CONFIRMS = "confirms"
    DENIES = "denies"
    OBSERVES = "observes"
    NO_COMMENT = "no_comment"
    RETRACTS = "retracts"

    def __str__(self) -> str:
        return self.value


_STANCE_OF: dict[str, Stance] = {s.value: s for s in Stance}


def parse_time(value: str | datetime, *, field: str = "time", id: str | None = None) -> datetime:
    """Parse an ISO 8601 date or date-time into a naive UTC :class:`datetime`.

    Times with an offset are converted to UTC; times without one are taken as
    UTC. A bare date is midnight at its start.

    Examples
    --------
    >>> parse_time("2024-12-16")
    datetime.datetime(2024, 12, 16, 0, 0)
    >>> parse_time("2024-12-16T12:00:00+02:00")
    datetime.datetime(2024, 12, 16, 10, 0)
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidCaseError(
                field, id, f"{show(value)} is not an ISO 8601 date or date-time"
            ) from None
    else:
        raise InvalidCaseError(field, id, f"expected an ISO 8601 string, got {show(value)}")
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise InvalidCaseError(
                field, id, f"{show(value)} lies outside the years 1-9999 once in UTC"
            ) from None
    return dt


def _check_id(field: str) -> Any:
    def check(inst: Any, attribute: attrs.Attribute[str], value: str) -> None:
        if type(value) is str and value and not value.isspace() and value.isascii():
            return
        if not isinstance(value, str) or not value.strip():
            raise InvalidCaseError(field, None, f"must be a non-empty string, got {show(value)}")
        _writable(value, field, None)

    return check


def _nonempty_text(value: Any, field: str, id: str | None) -> None:
    """A text field that, when given, holds something printable."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidCaseError(field, id, f"expected a non-empty string, got {show(value)}")
    _writable(value, field, id)


def _writable(text: str, field: str, id: str | None) -> None:
    if unwritable(text):
        raise InvalidCaseError(
            field,
            None if id is None or unwritable(id) else id,
            f"holds a lone surrogate, which cannot be written as UTF-8: {show(text)}",
        )


def _number(
    value: Any,
    field: str,
    id: str | None,
    low: float | None = None,
    high: float | None = None,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """``value`` as a float, or InvalidCaseError in the words of credscore._validators."""
    problem = number_problem(value, low=low, high=high, open_low=open_low, open_high=open_high)
    if problem is not None:
        raise InvalidCaseError(field, id, problem)
    return float(value)


def _open_probability(value: Any, field: str, id: str | None) -> float:
    return _number(value, field, id, 0.0, 1.0, open_low=True, open_high=True)


def _path(value: Any, field: str, id: str | None) -> str:
    if not isinstance(value, str) or not value.strip("/ "):
        raise InvalidCaseError(
            field, id, f"must be a non-empty path like 'us/gov', got {show(value)}"
        )
    if value in _GOOD_PATHS:
        return value
    _writable(value, field, id)
    parts = value.strip("/").split("/")
    if any(not p.strip() for p in parts):
        raise InvalidCaseError(field, id, f"has an empty segment: {show(value)}")
    out = "/".join(p.strip() for p in parts)
    if out == value and len(_GOOD_PATHS) < 100_000:
        _GOOD_PATHS.add(value)
    return out


_GOOD_PATHS: set[str] = set()


def _paths(value: Any, field: str, id: str | None) -> tuple[str, ...]:
    if type(value) in (tuple, list) and all(type(v) is str and v in _GOOD_PATHS for v in value):
        return tuple(value)
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise InvalidCaseError(field, id, f"expected a list of paths, got {show(value)}")
    return tuple(_path(v, field, id) for v in value)


@attrs.frozen
class Source:
    """Who speaks.

    Parameters
    ----------
    id : str
    name, kind : str, optional
        ``kind`` (e.g. ``"government"``, ``"wire"``) can key custom reliabilities.
    reliability : str, float or None
        An Admiralty letter ``"A"``-``"F"`` or a probability in (0, 1) that the
        source knows what it reports. ``"F"`` or None: cannot be judged.
    affiliation : str, optional
        A path such as ``"us/gov/dod"``; every prefix (``us``, ``us/gov``,
        ``us/gov/dod``) is a group the source belongs to.

    Examples
    --------
    >>> Source("pentagon", reliability="B", affiliation="us/gov/dod").groups
    ('us', 'us/gov', 'us/gov/dod')
    >>> Source("x", reliability=1.5)
    Traceback (most recent call last):
    ...
    credscore.errors.InvalidCaseError: reliability of 'x': must lie in (0, 1), got 1.5
    """

    id: str = attrs.field(validator=_check_id("sources.id"))
    name: str | None = attrs.field(default=None, kw_only=True)
    kind: str | None = attrs.field(default=None, kw_only=True)
    reliability: str | float | None = attrs.field(default=None, kw_only=True)
    affiliation: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        r = self.reliability
        if (r is None or (type(r) is str and r in ADMIRALTY_RELIABILITY)) and (
            self.affiliation is None and self.name is None and self.kind is None
        ):
            return  # the usual case, fast: a case may hold a million sources
        if isinstance(r, str):
            letter = r.strip().upper()
            if letter not in ADMIRALTY_RELIABILITY:
                raise InvalidCaseError(
                    "reliability", self.id, f"must be a letter A-F or a probability, got {show(r)}"
                )
            object.__setattr__(self, "reliability", letter)
        elif r is not None:
            object.__setattr__(self, "reliability", _open_probability(r, "reliability", self.id))
        if self.affiliation is not None:
            object.__setattr__(
                self, "affiliation", _path(self.affiliation, "affiliation", self.id)
            )
        for f in ("name", "kind"):
            v = getattr(self, f)
            if v is not None:
                if not isinstance(v, str):
                    raise InvalidCaseError(f, self.id, f"expected a string, got {show(v)}")
                _writable(v, f, self.id)

    @property
    def probability(self) -> float | None:
        """The reliability as a probability, None when it cannot be judged."""
        r = self.reliability
        if isinstance(r, str):
            return ADMIRALTY_RELIABILITY[r]
        return r

    @property
    def groups(self) -> tuple[str, ...]:
        """Every affiliation prefix, shortest first (empty without affiliation)."""
        if self.affiliation is None:
            return ()
        parts = self.affiliation.split("/")
        return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))


@attrs.frozen
class Claim:
    """A proposition that is true or false.

    Parameters
    ----------
    id : str
    text : str
    prior : float, optional
        Prior probability in (0, 1); None uses the model's default (0.5).
    benefits, harms : sequence of str
        Affiliation prefixes whose interests the claim serves or hurts; a source
        under one of them is self-serving (benefits) or speaking against its
        interest (harms) when it confirms the claim.
    value : float, optional
        The quantity the claim states ("about 30 killed or wounded": 30).
    unit : str, optional
        What ``value`` counts ("soldiers"); needs ``value``.
    approx : (float, float), optional
        The range within which the claim is true as stated (``low <= value <=
        high``); needs ``value``. See :doc:`/howto/quantities`.
    topic : str, optional
        The story or subject the claim belongs to. Scoring ignores it; a
        learned model (:func:`credscore.learn`) learns a base rate per topic.
    resolved : bool, optional
        What the claim turned out to be, once known. Scoring a claim never
        reads it; :func:`credscore.learn` learns from it.
    resolved_at : str or datetime, optional
        When it was resolved (ISO 8601); needs ``resolved``.

    Examples
    --------
    >>> Claim("nk-deployed", harms=["ru", "kp"]).harms
    ('ru', 'kp')
    >>> Claim("nk-11000", value=11000, unit="soldiers", approx=(10000, 12000)).approx
    (10000.0, 12000.0)
    >>> Claim("c", resolved=True, resolved_at="2025-01-10").resolved
    True
    """

    id: str = attrs.field(validator=_check_id("claims.id"))
    text: str = attrs.field(default="", kw_only=True)
    prior: float | None = attrs.field(default=None, kw_only=True)
    benefits: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    harms: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    value: float | None = attrs.field(default=None, kw_only=True)
    unit: str | None = attrs.field(default=None, kw_only=True)
    approx: tuple[float, float] | None = attrs.field(default=None, kw_only=True)
    topic: str | None = attrs.field(default=None, kw_only=True)
    resolved: bool | None = attrs.field(default=None, kw_only=True)
    resolved_at: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidCaseError("text", self.id, f"expected a string, got {show(self.text)}")
        _writable(self.text, "text", self.id)
        if self.prior is not None:
            object.__setattr__(self, "prior", _open_probability(self.prior, "prior", self.id))
        object.__setattr__(self, "benefits", _paths(self.benefits, "benefits", self.id))
        object.__setattr__(self, "harms", _paths(self.harms, "harms", self.id))
        if self.value is not None or self.unit is not None or self.approx is not None:
            self._check_quantity()
        if self.topic is not None:
            _nonempty_text(self.topic, "topic", self.id)
        if self.resolved is not None or self.resolved_at is not None:
            self._check_resolution()

    def _check_resolution(self) -> None:
        if self.resolved is None:
            raise InvalidCaseError(
                "resolved_at", self.id, "needs resolved (what the claim turned out to be)"
            )
        if type(self.resolved) is not bool:
            raise InvalidCaseError(
                "resolved", self.id, f"expected true or false, got {show(self.resolved)}"
            )
        t = self.resolved_at
        if t is not None:
            if isinstance(t, datetime):
                object.__setattr__(self, "resolved_at", t.isoformat())
            else:
                parse_time(t, field="resolved_at", id=self.id)

    def _check_quantity(self) -> None:
        if self.value is None:
            field = "unit" if self.unit is not None else "approx"
            raise InvalidCaseError(field, self.id, "needs the claim's value (the quantity stated)")
        value = _number(self.value, "value", self.id)
        object.__setattr__(self, "value", value)
        if self.unit is not None:
            _nonempty_text(self.unit, "unit", self.id)
        if self.approx is not None:
            a = self.approx
            if isinstance(a, (str, bytes, Mapping)) or not isinstance(a, Iterable):
                raise InvalidCaseError(
                    "approx", self.id, f"expected [low, high], got {show(self.approx)}"
                )
            pair = list(a)
            if len(pair) != 2:
                raise InvalidCaseError(
                    "approx", self.id, f"expected [low, high], got {len(pair)} number(s)"
                )
            low, high = (_number(v, "approx", self.id) for v in pair)
            if not low <= value <= high:
                raise InvalidCaseError(
                    "approx",
                    self.id,
                    f"[{low:g}, {high:g}] must hold the value {value:g} (low <= value <= high)",
                )
            object.__setattr__(self, "approx", (low, high))


@attrs.frozen
class Report:
    """One source's statement about one claim.

    Parameters
    ----------
    source, claim : str
        Ids of the source and the claim.
    stance : Stance or str
    time : str or datetime, optional
        When it was said (ISO 8601). A source's later report on a claim
        supersedes its earlier one (but its silence, or an observation, never
        supersedes what it said); an undated report counts as the earliest.
    cites : str, optional
        Id of the source this report got its information from.
    weight : float
        Directness in (0, 1]: scales the report's evidence.
    value : float, optional
        The figure this report gives for the claim's quantity (the claim must
        state one); not for ``no_comment`` or ``retracts``.

    Examples
    --------
    >>> Report("gur", "nk-casualties", "confirms", time="2024-12-16").stance
    <Stance.CONFIRMS: 'confirms'>
    >>> Report("gur", "nk-casualties", "maybe")
    Traceback (most recent call last):
    ...
    credscore.errors.InvalidCaseError: stance of 'gur->nk-casualties': must be one of confirms, denies, observes, no_comment, retracts; got 'maybe'
    """

    source: str
    claim: str
    stance: Stance
    time: str | None = attrs.field(default=None, kw_only=True)
    cites: str | None = attrs.field(default=None, kw_only=True)
    weight: float = attrs.field(default=1.0, kw_only=True)
    value: float | None = attrs.field(default=None, kw_only=True)

    @property
    def key(self) -> str:
        """``source->claim``, the id used in error messages."""
        return f"{self.source}->{self.claim}"

    def __attrs_post_init__(self) -> None:
        # Fast paths first: a case may hold millions of reports.
        _report_id(self.source, "reports.source")
        _report_id(self.claim, "reports.claim")
        stance = _STANCE_OF.get(self.stance) if isinstance(self.stance, str) else None
        if stance is None:
            raise InvalidCaseError(
                "stance",
                self.key,
                "must be one of "
                + ", ".join(s.value for s in Stance)
                + f"; got {show(self.stance)}",
            )
        if stance is not self.stance:
            object.__setattr__(self, "stance", stance)
        t = self.time
        if t is not None:
            if isinstance(t, datetime):
                object.__setattr__(self, "time", t.isoformat())
            elif type(t) is not str or t not in _GOOD_TIMES:
                parse_time(t, field="time", id=self.key)
                if len(_GOOD_TIMES) < 100_000:
                    _GOOD_TIMES.add(t)
        if self.cites is not None:
            if not isinstance(self.cites, str) or not self.cites:
                raise InvalidCaseError(
                    "cites", self.key, f"expected a source id, got {show(self.cites)}"
                )
            _writable(self.cites, "cites", self.key)
        if self.value is not None:
            if stance in (Stance.NO_COMMENT, Stance.RETRACTS):
                raise InvalidCaseError(
                    "value", self.key, f"a {stance.value} report gives no figure"
                )
            object.__setattr__(self, "value", _number(self.value, "value", self.key))
        w = self.weight
        if type(w) is float and 0.0 < w <= 1.0:
            return
        w = _number(self.weight, "weight", self.key, 0.0, 1.0, open_low=True)
        object.__setattr__(self, "weight", w)

    @property
    def datetime(self) -> datetime | None:
        """The parsed time (naive UTC), or None."""
        return None if self.time is None else parse_time(self.time)


def _report_id(v: Any, field: str) -> None:
    if type(v) is not str or not v or v.isspace():
        raise InvalidCaseError(field, None, f"must be a non-empty string, got {show(v)}")
    if not v.isascii():
        _writable(v, field, None)


@attrs.frozen
class Group:
    """A declared dependence for an affiliation group (a path prefix).

    ``dependence`` in [0, 1]: 0 means the group's members are independent,
    1 that together they say no more than the strongest of them.

    Examples
    --------
    >>> Group("us/gov", 0.8)
    Group(id='us/gov', dependence=0.8)
    """

    id: str = attrs.field()
    dependence: float = attrs.field()

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "id", _path(self.id, "groups.id", None))
        d = _number(self.dependence, "dependence", self.id, 0.0, 1.0)
        object.__setattr__(self, "dependence", d)


LINK_KINDS = ("implies", "contradicts", "depends")


@attrs.frozen
class Link:
    """A link between two claims (``implies``, ``contradicts``) or two sources
    (``depends``, with a ``dependence`` in [0, 1]).

    Examples
    --------
    >>> Link("implies", "nk-casualties", "nk-deployed")
    Link(kind='implies', source='nk-casualties', target='nk-deployed', dependence=None)
    >>> Link("depends", "afp", "reuters", dependence=0.9).dependence
    0.9
    """

    kind: str = attrs.field()
    source: str = attrs.field(validator=_check_id("links.from"))
    target: str = attrs.field(validator=_check_id("links.to"))
    dependence: float | None = attrs.field(default=None, kw_only=True)

    @property
    def key(self) -> str:
        return f"{self.source}->{self.target}"

    def __attrs_post_init__(self) -> None:
        if self.kind not in LINK_KINDS:
            raise InvalidCaseError(
                "kind", self.key, f"must be one of {', '.join(LINK_KINDS)}; got {show(self.kind)}"
            )
        if self.source == self.target:
            raise InvalidCaseError("to", self.key, "a link cannot join an id to itself")
        if self.kind == "depends":
            d = (
                1.0
                if self.dependence is None
                else _number(self.dependence, "dependence", self.key, 0.0, 1.0)
            )
            object.__setattr__(self, "dependence", d)
        elif self.dependence is not None:
            raise InvalidCaseError(
                "dependence",
                self.key,
                f"only 'depends' links take a dependence, not {show(self.kind)}",
            )


# -- quick construction, for loaders of millions of parts -----------------------

_new = object.__new__
# The slots' own setters (what a frozen attrs __init__ reaches through
# object.__setattr__, without the lookup by name).
_s_id, _s_name, _s_kind, _s_reliability, _s_affiliation = (
    Source.__dict__[f].__set__ for f in ("id", "name", "kind", "reliability", "affiliation")
)
_r_source, _r_claim, _r_stance, _r_time, _r_cites, _r_weight, _r_value = (
    Report.__dict__[f].__set__
    for f in ("source", "claim", "stance", "time", "cites", "weight", "value")
)


def quick_source(id: Any, reliability: Any) -> Source | None:
    """``Source(id, reliability=reliability)`` made without running the checks,
    when the checks could only pass (a plain ASCII id, an upper-case Admiralty
    letter or None); None otherwise, and the caller builds it the usual way."""
    # A non-blank ASCII id passes every id check (written out: once per source).
    if not (type(id) is str and id.isascii() and id and not id.isspace()) or not (
        reliability is None or (type(reliability) is str and reliability in _LETTERS)
    ):
        return None
    s = _new(Source)
    _s_id(s, id)
    _s_name(s, None)
    _s_kind(s, None)
    _s_reliability(s, reliability)
    _s_affiliation(s, None)
    return s


def quick_report(source: Any, claim: Any, stance: Any) -> Report | None:
    """``Report(source, claim, stance)`` made without running the checks, when
    they could only pass (plain ASCII ids, a stance name); else None."""
    st = _STANCE_OF.get(stance) if type(stance) is str else None
    # Non-blank ASCII ids pass every id check (written out: once per report).
    if (
        st is None
        or not (type(source) is str and source.isascii() and source and not source.isspace())
        or not (type(claim) is str and claim.isascii() and claim and not claim.isspace())
    ):
        return None
    r = _new(Report)
    _r_source(r, source)
    _r_claim(r, claim)
    _r_stance(r, st)
    _r_time(r, None)
    _r_cites(r, None)
    _r_weight(r, 1.0)
    _r_value(r, None)
    return r


_LETTERS = frozenset(k for k in ADMIRALTY_RELIABILITY if isinstance(k, str))
