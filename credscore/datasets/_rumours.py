"""RumourEval 2017 as cases: threads are claims, users are sources.

The data (Derczynski et al., SemEval-2017 Task 8) are Twitter threads that
each start with a tweet carrying a rumour, with the replies it drew. Every
tweet has a gold stance towards the rumour (support, deny, query, comment)
and every thread a veracity label (true, false, unverified) settled later by
journalists (Zubiaga et al. 2016, PHEME). The folder holds ``tweets.tsv``
(``thread, event, tweet, parent, user, time``), ``stance-{split}.json`` and
``veracity-{split}.json`` for the splits ``train``, ``dev`` and ``test``.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from credscore.case.model import Case, Claim, Report, Source, Stance
from credscore.datasets._base import require, resolve
from credscore.errors import InvalidInputError

__all__ = ["SPLITS", "STANCE_MAP", "rumoureval"]

#: RumourEval stance -> credscore stance. A reply that supports the rumour
#: confirms it; one that denies it denies it; a question ("is this true?")
#: observes it, reporting that the rumour circulates without endorsing it;
#: a comment says nothing about its truth: no comment.
STANCE_MAP: dict[str, str] = {
    "support": "confirms",
    "deny": "denies",
    "query": "observes",
    "comment": "no_comment",
}
SPLITS = ("train", "dev", "test")
_VERACITY = ("true", "false", "unverified")


def rumoureval(
    path: str | os.PathLike[str] | None = None,
    *,
    splits: Sequence[str] = SPLITS,
    unverified: bool = True,
) -> list[Case]:
    """RumourEval 2017 threads as cases, one case per news event.

    Each thread is a claim (id: the id of its first tweet; ``resolved`` from
    the veracity label, None for "unverified"; ``topic``: the event, e.g.
    ``charliehebdo``, or None for the test split, whose events the data do
    not name). Each user is a source of unknown reliability, with no
    affiliation. Each tweet is a report on its thread's claim with the stance
    of :data:`STANCE_MAP` and the tweet's time; a reply that takes the same
    stance (confirms or denies) as the tweet it answers cites that tweet's
    author (it agrees with what it answers: an echo, not a second witness),
    unless that would make a citation cycle. Replies with another stance
    stand on their own.

    Parameters
    ----------
    path : str or path-like, optional
        The folder; default ``rumours/rumoureval2017`` under the data root.
    splits : sequence of str
        Which of ``"train"``, ``"dev"``, ``"test"`` to read (threads of the
        official split). The default reads all 325 threads.
    unverified : bool
        Keep threads labelled "unverified" as claims without ``resolved``
        (a learner may use them unlabelled); False leaves them out.

    Returns
    -------
    list of Case
        One per event, sorted by event name (the test split's threads form a
        case of their own, ``topic`` None).

    Raises
    ------
    DataNotFoundError
        When a file is missing.
    InvalidInputError
        For an unknown split, a thread of the labels without tweets, or a
        veracity or stance label the data set does not use (naming the thread
        or the tweet).

    References
    ----------
    L. Derczynski, K. Bontcheva, M. Liakata, R. Procter, G. Wong Sak Hoi and
    A. Zubiaga, "SemEval-2017 Task 8: RumourEval: Determining rumour veracity
    and support for rumours", SemEval 2017.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "tweets.tsv").write_text(
    ...     "thread\\tevent\\ttweet\\tparent\\tuser\\ttime\\n"
    ...     "1\\tflood\\t1\\t\\tu1\\t2015-01-07T11:07:51+00:00\\n"
    ...     "1\\tflood\\t2\\t1\\tu2\\t2015-01-07T11:09:00+00:00\\n"
    ...     "1\\tflood\\t3\\t1\\tu3\\t2015-01-07T11:10:00+00:00\\n")
    >>> for s in ("train", "dev", "test"):
    ...     _ = (d / f"stance-{s}.json").write_text(
    ...         json.dumps({"1": "support", "2": "support", "3": "deny"} if s == "train" else {}))
    ...     _ = (d / f"veracity-{s}.json").write_text(
    ...         json.dumps({"1": "false"} if s == "train" else {}))
    >>> (case,) = rumoureval(d)
    >>> case.claims[0].resolved, case.claims[0].topic
    (False, 'flood')
    >>> [(r.source, r.stance.value, r.cites) for r in case.reports]
    [('u1', 'confirms', None), ('u2', 'confirms', 'u1'), ('u3', 'denies', None)]
    """
    folder = resolve(path, "rumours", "rumoureval2017")
    for s in splits:
        if s not in SPLITS:
            raise InvalidInputError(f"splits: unknown split {s!r}; expected some of {SPLITS}")
    stance: dict[str, str] = {}
    label: dict[str, str] = {}
    for s in SPLITS:
        stance.update(_read_json(require(folder, f"stance-{s}.json")))
        if s in splits:
            label.update(_read_json(require(folder, f"veracity-{s}.json")))
    threads: dict[str, list[dict[str, str]]] = defaultdict(list)
    with require(folder, "tweets.tsv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["thread"] in label:
                threads[row["thread"]].append(row)
    missing = sorted(set(label) - set(threads))
    if missing:
        raise InvalidInputError(f"veracity: thread {missing[0]} has no tweets in tweets.tsv")
    for tid, v in sorted(label.items()):
        if v not in _VERACITY:
            raise InvalidInputError(
                f"veracity of thread {tid}: {v!r} is not one of {', '.join(_VERACITY)}"
            )
    for rows in threads.values():
        for r in rows:
            said = stance.get(r["tweet"])
            if said not in STANCE_MAP:
                what = (
                    "has no stance label" if said is None else f"has stance {said!r}, not one of"
                )
                known = "" if said is None else " " + ", ".join(STANCE_MAP)
                raise InvalidInputError(f"stance of tweet {r['tweet']}: {what}{known}")

    by_event: dict[str, list[str]] = defaultdict(list)
    for tid in sorted(threads):
        if label[tid] == "unverified" and not unverified:
            continue
        by_event[threads[tid][0]["event"]].append(tid)
    return [
        _event_case(event, [(tid, threads[tid]) for tid in tids], stance, label)
        for event, tids in sorted(by_event.items())
    ]


def _read_json(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as f:
        data: Any = json.load(f)
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path}: expected an object of id -> label")
    return {str(k): str(v) for k, v in data.items()}


def _event_case(
    event: str,
    threads: Iterable[tuple[str, list[dict[str, str]]]],
    stance: dict[str, str],
    label: dict[str, str],
) -> Case:
    topic = None if event == "test" else event
    users: dict[str, None] = {}
    claims: list[Claim] = []
    reports: list[Report] = []
    cites: dict[str, set[str]] = defaultdict(set)  # citing user -> cited users
    for tid, rows in threads:
        truth = label[tid]
        claims.append(
            Claim(tid, topic=topic, resolved=None if truth == "unverified" else truth == "true")
        )
        tweets = {r["tweet"]: r for r in rows}
        for r in sorted(rows, key=lambda r: (r["time"], r["tweet"])):
            said = STANCE_MAP[stance[r["tweet"]]]
            user = r["user"]
            users[user] = None
            cited = None
            parent = tweets.get(r["parent"])
            if parent is not None and parent["user"] != user:
                before = STANCE_MAP[stance[parent["tweet"]]]
                agrees = said == before and said in ("confirms", "denies")
                if agrees and not _reaches(cites, parent["user"], user):
                    cited = parent["user"]
                    cites[user].add(cited)
            reports.append(Report(user, tid, Stance(said), time=r["time"] or None, cites=cited))
    return Case([Source(u) for u in users], claims, reports)


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    """Whether ``goal`` can be reached from ``start`` along citations."""
    todo, seen = [start], {start}
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False
