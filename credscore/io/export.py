"""A scored case in the formats of the tools analysts already use.

- :func:`claimreview`: schema.org ``ClaimReview`` JSON-LD, what fact checkers
  publish and search engines read (one review per claim).
- :func:`stix`: a STIX 2.1 bundle (threat intelligence platforms): an
  ``identity`` per source, a ``note`` per claim, an ``opinion`` per report and
  credscore's own ``opinion`` with ``confidence`` 0-100 per claim. Built with
  the ``stix2`` library, so that it validates (the ``export`` extra).
- :func:`misp`: MISP events (one per claim) tagged with the ``admiralty-scale``
  taxonomy: the information credibility of the claim, the source reliability
  of each report.

Every function takes the case and, optionally, its :class:`~credscore.Scores`
(scored with the default model when not given) and returns a JSON-ready
dict. Ids are derived from the case's ids (UUID 5), so exporting the same
case twice gives the same ids and a platform updates its objects instead of
duplicating them. The mapping of each field is in :doc:`/howto/export`.

Examples
--------
>>> import credscore
>>> from credscore.io.export import claimreview
>>> doc = claimreview(credscore.examples.kursk(), date="2024-12-17")
>>> review = doc["@graph"][0]
>>> review["claimReviewed"]
"North Korean soldiers were killed or wounded in Russia's Kursk region"
>>> review["reviewRating"]["ratingValue"], review["reviewRating"]["alternateName"]
(0.953, 'almost certain')
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from credscore._optional import require
from credscore.case.grading import ADMIRALTY_CREDIBILITY
from credscore.case.model import Case
from credscore.case.parts import ADMIRALTY_RELIABILITY, Report, Source, parse_time
from credscore.case.registry import ScoringModel, score
from credscore.case.result import ClaimScore, Scores

__all__ = ["FORMATS", "claimreview", "export", "misp", "stix"]

#: The namespace of every UUID credscore derives (UUID 5 of a case's ids).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "credscore:export")

#: Source kinds written as people rather than organisations.
PERSON_KINDS = frozenset({"person", "individual", "journalist", "expert", "account", "user"})

#: A report's stance as a STIX opinion on the claim.
STIX_OPINION = {
    "confirms": "agree",
    "denies": "disagree",
    "retracts": "disagree",
    "observes": "neutral",
    "no_comment": "neutral",
}

_RELIABILITY_WORDS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def _when(date: str | datetime | None) -> datetime:
    """The export's time: ``date`` (ISO 8601 or datetime) or now, in UTC."""
    if date is None:
        return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    return parse_time(date, field="date")


def _scored(case: Case, scores: Scores | None, model: ScoringModel | str | None) -> Scores:
    if not isinstance(case, Case):
        raise TypeError(f"case: expected a credscore.Case, got {type(case).__name__}")
    if scores is None:
        return score(case, model)
    if not isinstance(scores, Scores):
        raise TypeError(f"scores: expected credscore.Scores, got {type(scores).__name__}")
    if tuple(c.id for c in case.claims) != scores.claim_ids:
        raise ValueError("scores: these scores are not of this case (the claims differ)")
    return scores


def reliability_letter(source: Source) -> str:
    """The Admiralty reliability letter of a source: its own letter, the
    letter nearest a numeric reliability (A 0.95, B 0.8, C 0.6, D 0.4,
    E 0.2), or F (cannot be judged) when it has none.

    Examples
    --------
    >>> reliability_letter(Source("x", reliability=0.78)), reliability_letter(Source("y"))
    ('B', 'F')
    """
    r = source.reliability
    if r is None:
        return "F"
    if isinstance(r, str):
        return r.upper()
    known = [(k, v) for k, v in ADMIRALTY_RELIABILITY.items() if v is not None]
    return min(known, key=lambda kv: (abs(kv[1] - float(r)), kv[0]))[0]


def _summary(c: ClaimScore, level: float) -> str:
    return (
        f"probability {c.probability:.3f} ({c.phrase}), "
        f"{round(100 * level)}% interval "
        f"{c.interval[0]:.3f}-{c.interval[1]:.3f}, grade {c.grade} "
        f"({ADMIRALTY_CREDIBILITY[c.grade]}), "
        f"{c.independent_confirmations} independent confirmation(s)"
        + (f", flags: {', '.join(c.flags)}" if c.flags else "")
    )


def _reports_by_claim(case: Case) -> dict[str, list[Report]]:
    out: dict[str, list[Report]] = {c.id: [] for c in case.claims}
    for r in case.reports:
        out[r.claim].append(r)
    return out


def _iso(time: str) -> str:
    return parse_time(time).isoformat() + "Z"


# -- schema.org ClaimReview --------------------------------------------------------


def claimreview(
    case: Case,
    scores: Scores | None = None,
    *,
    model: ScoringModel | str | None = None,
    publisher: str = "credscore",
    url: str | None = None,
    date: str | datetime | None = None,
) -> dict[str, Any]:
    """The case as schema.org ``ClaimReview`` JSON-LD: one review per claim.

    Each review carries the fields Google's Fact Check tools require:
    ``claimReviewed`` (the claim's text, or its id when it has none),
    ``reviewRating`` (``ratingValue`` the probability on a 0-1 scale,
    ``alternateName`` the ICD-203 phrase, ``ratingExplanation`` the grade,
    interval and flags), ``author`` (``publisher``) and ``itemReviewed``: the
    ``Claim``, with one ``appearance`` per report whose ``author`` is the
    source (``firstAppearance``: the earliest confirmation). With ``url``,
    each review also gets ``url`` = ``url#claim-id``.

    Parameters
    ----------
    case : Case
    scores : Scores, optional
        The case's scores; by default ``credscore.score(case, model)``.
    model : ScoringModel or str, optional
    publisher : str
        Who publishes the reviews (the review's ``author``).
    url : str, optional
        The page the reviews are published on.
    date : ISO 8601 string or datetime, optional
        ``datePublished`` of the reviews; by default now.

    Returns
    -------
    dict
        ``{"@context": "https://schema.org", "@graph": [ClaimReview, ...]}``.

    References
    ----------
    schema.org, "ClaimReview" (https://schema.org/ClaimReview); Google Search
    Central, "Fact check (ClaimReview) structured data".
    """
    s = _scored(case, scores, model)
    when = _when(date)
    sources = {src.id: src for src in case.sources}
    reports = _reports_by_claim(case)

    def person(source_id: str) -> dict[str, Any]:
        src = sources[source_id]
        kind = "Person" if (src.kind or "").lower() in PERSON_KINDS else "Organization"
        return {"@type": kind, "name": src.name or src.id, "identifier": src.id}

    graph = []
    for claim in case.claims:
        c = s[claim.id]
        appearances = []
        for r in reports[claim.id]:
            a: dict[str, Any] = {
                "@type": "CreativeWork",
                "author": person(r.source),
                "description": f"{r.source} {r.stance.value}"
                + (f", citing {r.cites}" if r.cites else ""),
            }
            if r.time is not None:
                a["datePublished"] = _iso(r.time)
            appearances.append(a)
        item: dict[str, Any] = {
            "@type": "Claim",
            "identifier": claim.id,
            "appearance": appearances,
        }
        confirming = [
            (r.time is None, parse_time(r.time) if r.time else datetime.min, i)
            for i, r in enumerate(reports[claim.id])
            if r.stance.value == "confirms"
        ]
        if confirming:
            first = min(confirming)[2]
            item["firstAppearance"] = appearances[first]
            item["author"] = appearances[first]["author"]
        review: dict[str, Any] = {
            "@type": "ClaimReview",
            "identifier": claim.id,
            "claimReviewed": claim.text or claim.id,
            "datePublished": when.date().isoformat(),
            "author": {"@type": "Organization", "name": publisher},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": round(c.probability, 3),
                "worstRating": 0,
                "bestRating": 1,
                "alternateName": c.phrase,
                "ratingExplanation": _summary(c, s.interval),
            },
            "itemReviewed": item,
        }
        if url is not None:
            review["url"] = f"{url}#{claim.id}"
        graph.append(review)
    return {"@context": "https://schema.org", "@graph": graph}


# -- STIX 2.1 ----------------------------------------------------------------------


def _stix_opinion(p: float) -> str:
    """The STIX opinion whose ICD-203 band holds ``p``."""
    if p >= 0.8:
        return "strongly-agree"
    if p > 0.55:
        return "agree"
    if p >= 0.45:
        return "neutral"
    if p > 0.2:
        return "disagree"
    return "strongly-disagree"


def stix(
    case: Case,
    scores: Scores | None = None,
    *,
    model: ScoringModel | str | None = None,
    publisher: str = "credscore",
    date: str | datetime | None = None,
) -> dict[str, Any]:
    """The case as a STIX 2.1 bundle, built and checked by the ``stix2``
    library (the ``export`` extra).

    - an ``identity`` per source (``individual`` for people, ``organization``
      otherwise, ``unknown`` for anonymous sources), its Admiralty
      reliability in ``description``, and one for ``publisher`` (``system``);
    - a ``note`` per claim: ``abstract`` the claim id, ``content`` its text;
    - an ``opinion`` per report, made by its source's identity, on the note:
      ``agree`` (confirms), ``disagree`` (denies, retracts) or ``neutral``
      (observes, no comment), the stance in ``explanation``, ``created`` the
      report's time;
    - credscore's ``opinion`` per claim, made by ``publisher``: ``confidence``
      the probability on 0-100, ``opinion`` the ICD-203 band (``strongly-agree``
      from 0.8, ``agree`` above 0.55, ``neutral`` from 0.45, ``disagree`` above
      0.2, ``strongly-disagree`` below), the grade and interval in
      ``explanation``.

    Parameters
    ----------
    case, scores, model, publisher, date
        As :func:`claimreview`; ``date`` is the ``created`` time of the
        objects that have no time of their own.

    Returns
    -------
    dict
        The bundle, as JSON-ready data (``stix2.parse`` reads it back).

    References
    ----------
    OASIS, *STIX Version 2.1*, Committee Specification 02, 2021: sections 4.12
    (Note), 4.14 (Opinion), 3.2 (confidence).
    """
    stix2 = require("stix2", "credscore.io.export.stix()")
    s = _scored(case, scores, model)
    when = _when(date)
    me = stix2.Identity(
        id=f"identity--{_uid('publisher', publisher)}",
        name=publisher,
        identity_class="system",
        created=when,
        modified=when,
    )
    objects: list[Any] = [me]
    ident: dict[str, str] = {}
    for src in case.sources:
        kind = (src.kind or "").lower()
        cls = (
            "unknown"
            if kind == "anonymous"
            else "individual"
            if kind in PERSON_KINDS
            else "organization"
        )
        letter = reliability_letter(src)
        obj = stix2.Identity(
            id=f"identity--{_uid('source', src.id)}",
            name=src.name or src.id,
            identity_class=cls,
            description=f"credscore source {src.id!r}: Admiralty reliability {letter} "
            f"({_RELIABILITY_WORDS[letter]})"
            + (f", affiliation {src.affiliation}" if src.affiliation else ""),
            created_by_ref=me.id,
            created=when,
            modified=when,
        )
        ident[src.id] = obj.id
        objects.append(obj)
    reports = _reports_by_claim(case)
    for claim in case.claims:
        c = s[claim.id]
        by = sorted({ident[r.source] for r in reports[claim.id]}) or [me.id]
        note = stix2.Note(
            id=f"note--{_uid('claim', claim.id)}",
            abstract=claim.id,
            content=claim.text or claim.id,
            object_refs=by,
            created_by_ref=me.id,
            created=when,
            modified=when,
        )
        objects.append(note)
        for i, r in enumerate(reports[claim.id]):
            t = parse_time(r.time) if r.time is not None else when
            objects.append(
                stix2.Opinion(
                    id=f"opinion--{_uid('report', claim.id, str(i))}",
                    opinion=STIX_OPINION[r.stance.value],
                    explanation=f"{r.stance.value}"
                    + (f", citing {r.cites}" if r.cites else "")
                    + (f", weight {r.weight:g}" if r.weight != 1.0 else ""),
                    object_refs=[note.id],
                    created_by_ref=ident[r.source],
                    created=t,
                    modified=t,
                )
            )
        objects.append(
            stix2.Opinion(
                id=f"opinion--{_uid('score', claim.id)}",
                opinion=_stix_opinion(c.probability),
                confidence=round(100 * c.probability),
                explanation=f"credscore: {_summary(c, s.interval)}",
                object_refs=[note.id],
                created_by_ref=me.id,
                created=when,
                modified=when,
            )
        )
    bundle = stix2.Bundle(*objects, id=f"bundle--{_uid('bundle', *(c.id for c in case.claims))}")
    import json

    out: dict[str, Any] = json.loads(bundle.serialize())
    return out


# -- MISP ------------------------------------------------------------------------


def admiralty_tags(*, reliability: str | None = None, credibility: int | None = None) -> list[str]:
    """MISP machine tags of the ``admiralty-scale`` taxonomy.

    Examples
    --------
    >>> admiralty_tags(reliability="B", credibility=1)
    ['admiralty-scale:source-reliability="b"', 'admiralty-scale:information-credibility="1"']
    """
    tags = []
    if reliability is not None:
        tags.append(f'admiralty-scale:source-reliability="{reliability.lower()}"')
    if credibility is not None:
        tags.append(f'admiralty-scale:information-credibility="{int(credibility)}"')
    return tags


def misp(
    case: Case,
    scores: Scores | None = None,
    *,
    model: ScoringModel | str | None = None,
    publisher: str = "credscore",
    date: str | datetime | None = None,
) -> dict[str, Any]:
    """The case as MISP events, one per claim.

    Each event's ``info`` is the claim's text; its tag is the claim's
    Admiralty information credibility (``admiralty-scale:information-credibility``,
    1-6, credscore's grade), and its first attribute (``text``) the claim with
    credscore's probability, phrase and interval in the comment. Each report is
    one more ``text`` attribute ("source: stance"), tagged with the source's
    reliability (``admiralty-scale:source-reliability``, a-f), with
    ``first_seen`` its time. Events are ``distribution`` 0 (this organisation
    only), ``analysis`` 1 (ongoing) and ``threat_level_id`` 4 (undefined): set
    them on import as your community requires.

    Parameters
    ----------
    case, scores, model, publisher, date
        As :func:`claimreview`; ``date`` is the events' date.

    Returns
    -------
    dict
        ``{"response": [{"Event": {...}}, ...]}``, the shape of MISP's own
        event export; ``pymisp.MISPEvent().from_dict(**item)`` loads each.

    References
    ----------
    MISP taxonomies, ``admiralty-scale`` (version 5); MISP core format,
    https://www.misp-project.org/datamodels/.
    """
    s = _scored(case, scores, model)
    when = _when(date)
    sources = {src.id: src for src in case.sources}
    reports = _reports_by_claim(case)
    events = []
    for claim in case.claims:
        c = s[claim.id]
        attributes: list[dict[str, Any]] = [
            {
                "uuid": _uid("misp-claim", claim.id),
                "type": "text",
                "category": "Other",
                "to_ids": False,
                "value": claim.text or claim.id,
                "comment": f"{publisher}: {_summary(c, s.interval)}",
                "Tag": [{"name": t} for t in admiralty_tags(credibility=c.grade)],
            }
        ]
        for i, r in enumerate(reports[claim.id]):
            src = sources[r.source]
            a: dict[str, Any] = {
                "uuid": _uid("misp-report", claim.id, str(i)),
                "type": "text",
                "category": "Other",
                "to_ids": False,
                "value": f"{src.name or src.id}: {r.stance.value}",
                "comment": f"source {src.id!r}" + (f", citing {r.cites}" if r.cites else ""),
                "Tag": [{"name": t} for t in admiralty_tags(reliability=reliability_letter(src))],
            }
            if r.time is not None:
                a["first_seen"] = _iso(r.time)
            attributes.append(a)
        events.append(
            {
                "Event": {
                    "uuid": _uid("misp-event", claim.id),
                    "info": claim.text or claim.id,
                    "date": when.date().isoformat(),
                    "distribution": "0",
                    "analysis": "1",
                    "threat_level_id": "4",
                    "Tag": [{"name": t} for t in admiralty_tags(credibility=c.grade)],
                    "Attribute": attributes,
                }
            }
        )
    return {"response": events}


#: The export formats, by name (``credscore export --format``).
FORMATS: Mapping[str, Callable[..., dict[str, Any]]] = {
    "claimreview": claimreview,
    "stix": stix,
    "misp": misp,
}


def export(
    case: Case,
    format: str,
    scores: Scores | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The case in one of :data:`FORMATS` (``claimreview``, ``stix``,
    ``misp``), with the options of that format's function.

    Examples
    --------
    >>> import credscore
    >>> doc = export(credscore.examples.kursk(), "misp", date="2024-12-17")
    >>> doc["response"][0]["Event"]["Tag"]
    [{'name': 'admiralty-scale:information-credibility="1"'}]
    """
    try:
        fn = FORMATS[format]
    except KeyError:
        raise ValueError(
            f"format: unknown export format {format!r}; available: {', '.join(FORMATS)}"
        ) from None
    return fn(case, scores, **options)
