"""A slow, obviously correct reference of the default scoring model.

Written from notes/MODEL_SPEC.md (steps 1-14), with dicts, loops and recursion
on the affiliation tree. It uses only the data model (credscore.case.model); it does
not import credscore.case.score, credscore.case.pooling or credscore.case.compile,
so that the vectorised model can be checked against it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

import attrs

from credscore.case.model import (
    ADMIRALTY_RELIABILITY,
    Case,
    Claim,
    Report,
    Source,
    Stance,
    parse_time,
)

DEFAULTS: dict[str, Any] = {
    "prior": 0.5,
    "unknown_reliability": 0.3,
    "crowd_dependence": 0.8,
    "reliability": None,
    "dependence": None,
    "nested_dependence": 0.8,
    "top_level_dependence": 0.0,
    "propensity": 0.5,
    "self_serving_propensity": 0.7,
    "against_interest_propensity": 0.1,
    "self_serving_bias": 0.35,
    "self_serving_denial_bias": 0.9,
    "observes_weight": 0.0,
    "threshold": 0.4,
    "interval": 0.8,
    "reliability_spread": 0.5,
    "unknown_reliability_spread": 1.0,
    "dependence_spread": 0.15,
}

PRECEDENCE = {
    Stance.NO_COMMENT: 0,
    Stance.OBSERVES: 1,
    Stance.CONFIRMS: 2,
    Stance.DENIES: 3,
    Stance.RETRACTS: 4,
}

FLAGS = ("single-source", "circular", "self-serving", "contested", "unacknowledged")


def logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


@attrs.define
class Entry:
    """One (report, claim it bears on)."""

    report: int
    claim: str
    speaker: str
    position: str
    origin: str
    ell: float
    sign: float
    rho: float
    unknown: bool
    weight: float
    a: float
    lam: float
    interested: bool


@attrs.define
class RefScore:
    probability: float
    log_odds: float
    interval: tuple[float, float]
    independent_confirmations: int
    grade: int
    phrase: str
    flags: tuple[str, ...]
    #: the pooled values of each cluster and the nominal total, for tests that
    #: need to know how close a result is to a threshold
    cluster_values: dict[str, float]
    #: the pooled log-likelihood ratio of all evidence (log_odds minus the prior's)
    evidence: float


def under(source: Source, prefixes: tuple[str, ...]) -> bool:
    """Is the source in one of these affiliation groups?"""
    return any(g in prefixes for g in source.groups)


def resolve(value: Any) -> float | None:
    if isinstance(value, str):
        return ADMIRALTY_RELIABILITY[value.strip().upper()]
    return float(value)


def reliability(settings: Mapping[str, Any], source: Source, claim: Claim) -> tuple[float, bool]:
    """(rho, known) of a source speaking about a claim (spec step 5)."""
    spec = settings["reliability"]
    case_value: float | None = source.probability
    if isinstance(spec, Mapping):
        key = source.id if source.id in spec else source.kind
        if key is not None and key in spec:
            case_value = resolve(spec[key])
    known = case_value is not None
    if callable(spec):
        v = spec(source, claim)
        if v is None:
            v = source.probability
        v = resolve(v) if v is not None else None
        return (settings["unknown_reliability"] if v is None else v), known
    return (settings["unknown_reliability"] if case_value is None else case_value), known


def known(settings: Mapping[str, Any], source: Source) -> bool:
    """Whether the source's reliability can be judged (from the case, or a
    mapping of custom weights that covers it)."""
    spec = settings["reliability"]
    if isinstance(spec, Mapping):
        key = source.id if source.id in spec else source.kind
        if key is not None and key in spec:
            return resolve(spec[key]) is not None
    return source.probability is not None


def llr(rho: float, w: float, a: float, lam: float) -> float:
    return w * math.log((rho + (1 - rho) * a) / (rho * lam + (1 - rho) * a))


def interest(source: Source, claim: Claim) -> tuple[bool, bool]:
    serves = under(source, claim.benefits)
    hurts = under(source, claim.harms)
    if serves and hurts:
        return False, False
    return serves, hurts


# -- the tree ------------------------------------------------------------------


def build_tree(
    case: Case, settings: Mapping[str, Any]
) -> tuple[dict[str, str | None], dict[str, float], dict[str, bool]]:
    """Parent and dependence of every node. Nodes: ``src:<id>`` leaves,
    ``grp:<path>`` groups, ``lnk:<...>`` virtual groups; the root is None."""
    declared = {g.id: g.dependence for g in case.groups}
    parent: dict[str, str | None] = {}
    dep: dict[str, float] = {}
    uncertain: dict[str, bool] = {}
    for s in case.sources:
        prev: str | None = None
        for g in s.groups:
            node = "grp:" + g
            parent[node] = prev
            if g in declared:
                r = declared[g]
            elif g.count("/") >= 1:
                r = settings["nested_dependence"]
            else:
                r = settings["top_level_dependence"]
            dep[node] = r
            uncertain[node] = 0 < r < 1
            prev = node
        if not s.groups and settings["crowd_dependence"] > 0 and not known(settings, s):
            # unaffiliated and of unknown reliability: one of the crowd
            prev = "grp:(crowd)"
            parent[prev] = None
            dep[prev] = settings["crowd_dependence"]
            uncertain[prev] = 0 < dep[prev] < 1
        leaf = "src:" + s.id
        parent[leaf] = prev
        dep[leaf] = 1.0
        uncertain[leaf] = False

    links: list[tuple[str, str, float]] = []
    for link in case.links:
        if link.kind == "depends":
            assert link.dependence is not None
            links.append((link.source, link.target, link.dependence))
    fn: Callable[[Source, Source], float] | None = settings["dependence"]
    if fn is not None:
        speakers: dict[str, set[str]] = {}
        for r in case.reports:
            speakers.setdefault(r.claim, set()).add(r.source)
        pairs = set()
        order = {s.id: i for i, s in enumerate(case.sources)}
        for ss in speakers.values():
            for x in ss:
                for y in ss:
                    if order[x] < order[y]:
                        pairs.add((x, y))
        for x, y in pairs:
            r = fn(case.source(x), case.source(y))
            links.append((x, y, float(r)))

    def chain(node: str) -> list[str]:
        out = [node]
        while parent[out[-1]] is not None:
            out.append(parent[out[-1]])  # type: ignore[arg-type]
        return out[::-1]

    # group links by the lowest common ancestor on the affiliation tree
    by_lca: dict[str | None, list[tuple[str, str, float]]] = {}
    for a, b, r in links:
        if r <= 0 or a == b:
            continue
        pa, pb = chain("src:" + a), chain("src:" + b)
        k = 0
        while k < min(len(pa), len(pb)) and pa[k] == pb[k]:
            k += 1
        lca = pa[k - 1] if k > 0 else None
        by_lca.setdefault(lca, []).append((pa[k], pb[k], r))
    for lca, edges in by_lca.items():
        # connected components of the children joined by links
        comp: dict[str, set[str]] = {}
        for x, y, _ in edges:
            merged = comp.get(x, {x}) | comp.get(y, {y})
            for m in merged:
                comp[m] = merged
        done: set[frozenset[str]] = set()
        for members in comp.values():
            key = frozenset(members)
            if key in done:
                continue
            done.add(key)
            r_max = max(r for x, y, r in edges if x in members)
            v = "lnk:" + "+".join(sorted(members))
            parent[v] = lca
            dep[v] = r_max
            uncertain[v] = 0 < r_max < 1
            for m in members:
                parent[m] = v
    return parent, dep, uncertain


def path_of(parent: Mapping[str, str | None], node: str) -> list[str]:
    out = [node]
    while parent[out[-1]] is not None:
        out.append(parent[out[-1]])  # type: ignore[arg-type]
    return out[::-1]


def pool(
    entries: list[tuple[str, float]],
    parent: Mapping[str, str | None],
    dep_pos: Mapping[str, float],
    dep_neg: Mapping[str, float],
) -> tuple[float, dict[str, tuple[float, float]]]:
    """Pool (position source, ell) entries bottom-up; returns the total and
    the (P, N) of every node that has evidence."""
    children: dict[str | None, set[str]] = {}
    at_leaf: dict[str, list[float]] = {}
    for pos, ell in entries:
        leaf = "src:" + pos
        at_leaf.setdefault(leaf, []).append(ell)
        p = path_of(parent, leaf)
        children.setdefault(None, set()).add(p[0])
        for up, down in itertools.pairwise(p):
            children.setdefault(up, set()).add(down)
    values: dict[str, tuple[float, float]] = {}

    def combine(xs: list[float], r: float, extreme: Callable[[list[float]], float]) -> float:
        if r >= 1:
            return extreme(xs)
        return r * extreme(xs) + (1 - r) * sum(xs)

    def value(node: str) -> tuple[float, float]:
        if node in at_leaf:
            ells = at_leaf[node]
            out = (max(max(e, 0.0) for e in ells), min(min(e, 0.0) for e in ells))
        else:
            kids = [value(k) for k in sorted(children[node])]
            if len(kids) == 1:
                out = kids[0]
            else:
                out = (
                    combine([k[0] for k in kids], dep_pos[node], max),
                    combine([k[1] for k in kids], dep_neg[node], min),
                )
        values[node] = out
        return out

    total = 0.0
    for top in sorted(children.get(None, ())):
        pp, nn = value(top)
        total += pp + nn
    return total, values


# -- the model -----------------------------------------------------------------


def reference_score(
    case: Case,
    as_of: str | datetime | None = None,
    **overrides: Any,
) -> dict[str, RefScore]:
    """Score every claim of ``case`` by the letter of MODEL_SPEC.md."""
    settings = dict(DEFAULTS)
    settings.update(overrides)
    sources = {s.id: s for s in case.sources}
    claims = {c.id: c for c in case.claims}

    # 1. as_of: a bare date is the end of that day; untimed reports have no
    # place in time and are left out of any as_of reading
    if as_of is None:
        reports = list(enumerate(case.reports))
    else:
        limit = parse_time(as_of)
        if isinstance(as_of, str) and len(as_of.strip()) == 10:
            limit += timedelta(days=1) - timedelta(milliseconds=1)
        reports = [
            (i, r)
            for i, r in enumerate(case.reports)
            if r.time is not None and parse_time(r.time) <= limit
        ]

    # 2. supersession: what a source said (confirms, denies, retracts) over
    # its silence or an observation, whenever made; then the latest; an
    # untimed retraction is the last word; then
    # the more cautious stance; then the smaller weight. Reports tied on all
    # of these, differing only in whom they cite, are all kept (ordered by
    # the cited id, uncited first).
    def when(r: Report) -> tuple[int, datetime]:
        if r.time is not None:
            return (1, parse_time(r.time))
        return (2 if r.stance is Stance.RETRACTS else 0, datetime.min)

    def rank(r: Report) -> tuple[Any, ...]:
        said = r.stance in (Stance.CONFIRMS, Stance.DENIES, Stance.RETRACTS)
        return (said, when(r), PRECEDENCE[r.stance], -r.weight)

    def cited_key(ir: tuple[int, Report]) -> tuple[bool, str]:
        return (ir[1].cites is not None, ir[1].cites or "")

    kept: dict[tuple[str, str], list[tuple[int, Report]]] = {}
    for i, r in reports:
        key = (r.source, r.claim)
        if key not in kept or rank(r) > rank(kept[key][0][1]):
            kept[key] = [(i, r)]
        elif rank(r) == rank(kept[key][0][1]):
            kept[key].append((i, r))
    for v in kept.values():
        v.sort(key=cited_key)

    # 3. citations: a cited source speaks for itself unless all it said was
    # "no comment" (or an observation that carries no weight)
    def speaks(r: Report) -> bool:
        if r.stance is Stance.NO_COMMENT:
            return False
        return not (r.stance is Stance.OBSERVES and settings["observes_weight"] == 0)

    def own_word(r: Report) -> Report | None:
        """What the cited source said itself, if it spoke (its first kept report)."""
        assert r.cites is not None
        own = kept.get((r.cites, r.claim))
        return own[0][1] if own is not None and speaks(own[0][1]) else None

    def absorbed(r: Report) -> bool:
        """A citing report is absorbed by the cited source's own word, unless
        that word is the same confirmation or denial made uncited: then the
        relay stays beside it (at the cited source's place, where pooling
        takes the stronger), so the source's own weak word never weakens it."""
        own = own_word(r)
        if own is None:
            return False
        agrees = own.stance is r.stance and own.cites is None
        return not (agrees and r.stance in (Stance.CONFIRMS, Stance.DENIES))

    def origin(r: Report) -> str:
        if r.cites is None:
            return r.source
        if not absorbed(r):
            return r.cites
        own = own_word(r)
        assert own is not None
        return origin(own)

    # 4-6. evidence-carrying reports
    descendants = closure(case, "down")
    ancestors = closure(case, "up")
    contradicts: dict[str, set[str]] = {c: set() for c in claims}
    for link in case.links:
        if link.kind == "contradicts":
            contradicts[link.source].add(link.target)
            contradicts[link.target].add(link.source)

    entries: list[Entry] = []
    for (src_id, claim_id), i, r in [(k, i, r) for k, v in kept.items() for i, r in v]:
        claim = claims[claim_id]
        if r.cites is not None and absorbed(r):
            continue  # the cited source speaks for itself
        if r.stance is Stance.CONFIRMS:
            sign, w = 1.0, r.weight
        elif r.stance is Stance.DENIES:
            sign, w = -1.0, r.weight
        elif r.stance is Stance.OBSERVES and settings["observes_weight"] > 0:
            sign, w = 1.0, r.weight * settings["observes_weight"]
        else:
            continue
        speaker = sources[src_id]
        position = sources[r.cites] if r.cites is not None else speaker
        rho, known = reliability(settings, position, claim)
        if r.cites is not None:
            rho_x, known_x = reliability(settings, speaker, claim)
            rho *= rho_x
            known = known and known_x
        serves, hurts = interest(position, claim)
        a, lam = settings["propensity"], 0.0
        if sign > 0:
            interested = serves
            if serves:
                a, lam = settings["self_serving_propensity"], settings["self_serving_bias"]
            elif hurts:
                a = settings["against_interest_propensity"]
        else:
            interested = hurts
            if hurts:
                a, lam = settings["self_serving_propensity"], settings["self_serving_denial_bias"]
            elif serves:
                a = settings["against_interest_propensity"]
        ell = sign * llr(rho, w, a, lam)

        # 7. the claims the entry bears on
        positive = {claim_id} | descendants[claim_id] if sign > 0 else set()
        negative: set[str] = set()
        if sign < 0:
            negative.add(claim_id)
        for x in positive:
            negative |= contradicts[x]
        for y in list(negative):
            negative |= ancestors[y]
        negative -= positive
        for target, s in [(c, 1.0) for c in positive] + [(c, -1.0) for c in negative]:
            entries.append(
                Entry(
                    report=i,
                    claim=target,
                    speaker=src_id,
                    position=position.id,
                    origin=origin(r),
                    ell=s * abs(ell),
                    sign=s,
                    rho=rho,
                    unknown=not known,
                    weight=w,
                    a=a,
                    lam=lam,
                    interested=interested,
                )
            )

    # 8. the tree
    parent, dep, uncertain = build_tree(case, settings)
    cluster: dict[str, str] = {}
    for s in case.sources:
        p = path_of(parent, "src:" + s.id)
        cluster[s.id] = next(node for node in p if dep[node] > 0)

    # 12. interval settings
    z = NormalDist().inv_cdf(0.5 + settings["interval"] / 2) / NormalDist().inv_cdf(0.9)
    ds = settings["dependence_spread"] * z
    r_up = {n: (min(1.0, max(0.0, r + ds)) if uncertain[n] else r) for n, r in dep.items()}
    r_dn = {n: (min(1.0, max(0.0, r - ds)) if uncertain[n] else r) for n, r in dep.items()}

    # 10. priors
    def own_prior(c: Claim) -> float:
        return settings["prior"] if c.prior is None else c.prior

    out: dict[str, RefScore] = {}
    for claim_id, claim in claims.items():
        here = [e for e in entries if e.claim == claim_id]
        prior = max([own_prior(claim)] + [own_prior(claims[a]) for a in ancestors[claim_id]])
        base = logit(prior)
        # 9. pooling
        total, values = pool([(e.position, e.ell) for e in here], parent, dep, dep)
        log_odds = base + total
        p = logistic(log_odds)
        # 11. independent confirmations
        clusters = {cluster[e.position] for e in here}
        cluster_values = {c: values[c][0] + values[c][1] for c in clusters}
        indep = sum(1 for v in cluster_values.values() if v > settings["threshold"])
        # 12. interval
        pess, opt = [], []
        for e in here:
            spread = (
                settings["unknown_reliability_spread"]
                if e.unknown
                else settings["reliability_spread"]
            ) * z
            lo = logistic(logit(e.rho) - spread)
            hi = logistic(logit(e.rho) + spread)
            pess.append((e.position, e.sign * llr(lo if e.sign > 0 else hi, e.weight, e.a, e.lam)))
            opt.append((e.position, e.sign * llr(hi if e.sign > 0 else lo, e.weight, e.a, e.lam)))
        l_pess, _ = pool(pess, parent, r_up, r_dn)
        l_opt, _ = pool(opt, parent, r_dn, r_up)
        interval = (min(logistic(base + l_pess), p), max(logistic(base + l_opt), p))
        # 13. flags
        conf = [e for e in here if e.ell > 0]
        # self-serving is the claim's own: does this claim serve the party
        speakers = {e.speaker for e in conf}
        origins = {e.origin for e in conf}
        contested = any(e.ell < -settings["threshold"] and not e.interested for e in here)
        flags = {
            "single-source": len(speakers) == 1 and len(origins) == 1,
            "circular": len(speakers) >= 2 and len(origins) == 1,
            "self-serving": bool(conf)
            and all(interest(sources[e.position], claim)[0] for e in conf),
            "contested": contested,
            # "speaker under one of the claim's harms", read as step 6 reads
            # interest: a speaker also under one of its benefits is not a
            # harmed party (the spec leaves this case open; the lead is told).
            "unacknowledged": bool(claim.harms)
            and not any(interest(sources[e.speaker], claim)[1] for e in conf),
        }
        # 14. grade and phrase
        if not here:
            g = 6
        elif p >= 0.9 and indep >= 2 and not contested and not flags["self-serving"]:
            g = 1
        elif p >= 0.8:
            g = 2
        elif p >= 0.5:
            g = 3
        elif p >= 0.2:
            g = 4
        else:
            g = 5
        out[claim_id] = RefScore(
            probability=p,
            log_odds=log_odds,
            interval=interval,
            independent_confirmations=indep,
            grade=g,
            phrase=phrase(p),
            flags=tuple(f for f in FLAGS if flags[f]),
            cluster_values=cluster_values,
            evidence=total,
        )
    return out


def phrase(p: float) -> str:
    for upper, words in (
        (0.05, "almost no chance"),
        (0.20, "very unlikely"),
        (0.45, "unlikely"),
        (0.55, "roughly even chance"),
        (0.80, "likely"),
        (0.95, "very likely"),
    ):
        if p < upper:
            return words
    return "almost certain"


def closure(case: Case, direction: str) -> dict[str, set[str]]:
    """Strict descendants ("down") or ancestors ("up") of each claim under implies."""
    edges: dict[str, set[str]] = {c.id: set() for c in case.claims}
    for link in case.links:
        if link.kind == "implies":
            if direction == "down":
                edges[link.source].add(link.target)
            else:
                edges[link.target].add(link.source)

    def reach(c: str) -> set[str]:
        out: set[str] = set()
        for d in edges[c]:
            out |= {d} | reach(d)
        return out

    return {c: reach(c) for c in edges}
