"""Slow, obviously correct references for the web fact-finders.

Written with dicts and loops straight from the papers' update equations
(Pasternack & Roth, COLING 2010; Yin, Han & Yu, KDD 2007; Galland et al.,
WSDM 2010), plus the scale and numerical conventions documented in
credscore.models.hubs, .truthfinder and .estimates. Each takes rows
``(source, object, value)`` with at most one row per (source, object) and a
fixed number of iterations, and returns ``(trust, prob)``: the reliability of
each source and the probability of each ``(object, value)`` claim.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence

Row = tuple[Hashable, Hashable, Hashable]
Claim = tuple[Hashable, Hashable]


class Facts:
    """The bipartite graph of sources and claims, as plain dicts."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.claims_of: dict[Hashable, list[Claim]] = defaultdict(list)  # C_s
        self.sources_of: dict[Claim, list[Hashable]] = defaultdict(list)  # S_c
        self.rivals: dict[Hashable, list[Claim]] = defaultdict(list)  # claims of an object
        seen = set()
        for s, o, v in rows:
            assert (s, o) not in seen, "one row per (source, object)"
            seen.add((s, o))
            c = (o, v)
            self.claims_of[s].append(c)
            self.sources_of[c].append(s)
            if c not in self.rivals[o]:
                self.rivals[o].append(c)
        self.sources = list(self.claims_of)
        self.claims = list(self.sources_of)

    def voters(self, o: Hashable) -> list[Hashable]:
        """Every source that asserts some value for object o."""
        return [s for c in self.rivals[o] for s in self.sources_of[c]]

    def normalize_within_objects(self, score: dict[Claim, float]) -> dict[Claim, float]:
        prob = {}
        for claims in self.rivals.values():
            total = sum(score[c] for c in claims)
            for c in claims:
                prob[c] = score[c] / total if total > 0 else 1.0 / len(claims)
        return prob


def _by_max(x: dict[Hashable, float]) -> dict[Hashable, float]:
    top = max(x.values())
    return {k: (v / top if top > 0 else 0.0) for k, v in x.items()}


def _prior(f: Facts, prior: str) -> dict[Claim, float]:
    if prior == "uniform":
        return dict.fromkeys(f.claims, 1.0)
    return {c: len(f.sources_of[c]) / len(f.voters(c[0])) for c in f.claims}


# -- Pasternack & Roth 2010 ------------------------------------------------------------


def sums(
    rows: Sequence[Row],
    iterations: int,
    *,
    average_log: bool = False,
    prior: str = "voted",
    gold: dict[Hashable, Hashable] | None = None,
) -> tuple[dict[Hashable, float], dict[Claim, float]]:
    """With ``gold`` ({object: known value}), before each trust update every
    known object's whole belief goes to its known value (none when no source
    gave it), and the result reports it at probability 1."""
    f = Facts(rows)
    known = gold or {}
    belief = _prior(f, prior)
    trust: dict[Hashable, float] = {}
    for _ in range(iterations):
        for o, v in known.items():
            total = sum(belief[c] for c in f.rivals[o])
            for c in f.rivals[o]:
                belief[c] = total if c[1] == v else 0.0
        for s, cs in f.claims_of.items():
            total = sum(belief[c] for c in cs)
            trust[s] = math.log(len(cs)) * total / len(cs) if average_log else total
        trust = _by_max(trust)
        belief = {c: sum(trust[s] for s in f.sources_of[c]) for c in f.claims}
    prob = f.normalize_within_objects(belief)
    for o, v in known.items():
        if (o, v) in f.sources_of:
            for c in f.rivals[o]:
                prob[c] = 1.0 if c[1] == v else 0.0
    return trust, prob


def investment(
    rows: Sequence[Row], iterations: int, *, g: float, pooled: bool, prior: str = "voted"
) -> tuple[dict[Hashable, float], dict[Claim, float]]:
    f = Facts(rows)
    trust = dict.fromkeys(f.sources, 1.0)
    belief = _prior(f, prior)

    def invested(c: Claim) -> float:
        return sum(trust[r] / len(f.claims_of[r]) for r in f.sources_of[c])

    for _ in range(iterations):
        new = {}
        for s, cs in f.claims_of.items():
            new[s] = sum(belief[c] * (trust[s] / len(cs)) / invested(c) for c in cs)
        trust = _by_max(new)
        h = {c: invested(c) for c in f.claims}
        if pooled:
            belief = {}
            for claims in f.rivals.values():
                pool = sum(h[d] ** g for d in claims)
                for c in claims:
                    share = h[c] ** g / pool if pool > 0 else 1.0 / len(claims)
                    belief[c] = h[c] * share
        else:
            belief = {c: h[c] ** g for c in f.claims}
    return trust, f.normalize_within_objects(belief)


# -- Yin, Han & Yu 2007 ------------------------------------------------------------------


def truthfinder(
    rows: Sequence[Row],
    iterations: int,
    *,
    initial_trust: float = 0.9,
    gamma: float = 0.3,
    rho: float = 0.5,
    base_sim: float = 0.5,
    similarity: Callable[[Hashable, Hashable], float] | None = None,
    gold: dict[Hashable, Hashable] | None = None,
) -> tuple[dict[Hashable, float], dict[Claim, float]]:
    """``gold`` ({object: value}): those objects' facts have confidence 1
    (the known value) or 0 in every trust step."""
    f = Facts(rows)
    gold = gold or {}
    tiny = 2.2250738585072014e-308  # smallest normal double: caps tau at ~708
    trust = dict.fromkeys(f.sources, initial_trust)
    one_minus_t = dict.fromkeys(f.sources, 1.0 - initial_trust)

    def confidence() -> dict[Claim, float]:
        tau = {s: -math.log(max(one_minus_t[s], tiny)) for s in f.sources}
        sigma = {c: sum(tau[s] for s in f.sources_of[c]) for c in f.claims}
        adjusted = {}
        for c in f.claims:
            o, v = c
            extra = 0.0
            for d in f.rivals[o]:
                if d != c:
                    sim = 0.0 if similarity is None else similarity(d[1], v)
                    extra += sigma[d] * (sim - base_sim)
            adjusted[c] = sigma[c] + rho * extra
        return adjusted

    for _ in range(iterations):
        adjusted = confidence()
        # 1 - s(f) = 1 - 1/(1 + exp(-gamma sigma*)) = 1/(1 + exp(gamma sigma*))
        miss = {}
        for c, x in adjusted.items():
            z = gamma * x
            miss[c] = math.exp(-z) / (1 + math.exp(-z)) if z > 0 else 1 / (1 + math.exp(z))
            if c[0] in gold:
                miss[c] = 0.0 if c[1] == gold[c[0]] else 1.0
        for s, cs in f.claims_of.items():
            one_minus_t[s] = sum(miss[c] for c in cs) / len(cs)
            trust[s] = 1.0 - one_minus_t[s]
    # Probabilities: the odds s / (1 - s) = exp(gamma sigma*) normalised per object.
    adjusted = confidence()
    odds = {}
    for claims in f.rivals.values():
        top = max(gamma * adjusted[c] for c in claims)
        for c in claims:
            odds[c] = math.exp(gamma * adjusted[c] - top)
    return trust, f.normalize_within_objects(odds)


# -- Galland, Abiteboul, Marian & Senellart 2010 ----------------------------------------------


def _round01(x: float) -> float:
    return 1.0 if x >= 0.5 - 1e-9 else 0.0


def _stretch(x: float, lo: float, hi: float, weight: float) -> float:
    """weight * (x - lo) / (hi - lo) + (1 - weight) * round(x), in [0, 1];
    the stretch is the identity when hi and lo agree to within 1e-9, and a
    stretched value within 1e-9 of 0 or 1 is 0 or 1."""
    flat = not (hi - lo > 1e-9 * max(1.0, abs(lo), abs(hi)))
    s = x if flat else (x - lo) / (hi - lo)
    if not flat:
        s = 0.0 if s <= 1e-9 else 1.0 if s >= 1 - 1e-9 else s  # ties in exact arithmetic
    return min(1.0, max(0.0, weight * s + (1 - weight) * _round01(x)))


def _stretch_all(x: dict[Hashable, float], weight: float) -> dict[Hashable, float]:
    lo, hi = min(x.values()), max(x.values())
    return {k: _stretch(v, lo, hi, weight) for k, v in x.items()}


def _says(f: Facts, s: Hashable, c: Claim) -> bool:
    return s in f.sources_of[c]


def two_estimates(
    rows: Sequence[Row], iterations: int, *, weight: float = 0.5, initial_error: float = 0.2
) -> tuple[dict[Hashable, float], dict[Claim, float]]:
    f = Facts(rows)
    error = dict.fromkeys(f.sources, initial_error)
    truth: dict[Claim, float] = {}
    for _ in range(iterations):
        raw = {}
        for c in f.claims:
            votes = [1 - error[v] if _says(f, v, c) else error[v] for v in f.voters(c[0])]
            raw[c] = sum(votes) / len(votes)
        truth = _stretch_all(raw, weight)
        raw_error = {}
        for s, cs in f.claims_of.items():
            terms = []
            for given in cs:
                for c in f.rivals[given[0]]:
                    terms.append(1 - truth[c] if c == given else truth[c])
            raw_error[s] = sum(terms) / len(terms)
        error = _stretch_all(raw_error, weight)
    return {s: 1 - e for s, e in error.items()}, f.normalize_within_objects(truth)


def three_estimates(
    rows: Sequence[Row],
    iterations: int,
    *,
    weight: float = 0.5,
    initial_error: float = 0.2,
    initial_difficulty: float = 0.5,
) -> tuple[dict[Hashable, float], dict[Claim, float]]:
    f = Facts(rows)
    zero = 1e-12
    error = dict.fromkeys(f.sources, initial_error)
    hard = dict.fromkeys(f.claims, initial_difficulty)
    t_lo, t_hi, f_lo, f_hi = 0.0, 1.0, 0.0, 1.0  # extremes of the previous iteration
    truth: dict[Claim, float] = {}
    for _ in range(iterations):
        raw_t = {}
        for c in f.claims:
            votes = [
                1 - hard[c] * error[v] if _says(f, v, c) else hard[c] * error[v]
                for v in f.voters(c[0])
            ]
            raw_t[c] = sum(votes) / len(votes)
        truth = {c: _stretch(x, t_lo, t_hi, weight) for c, x in raw_t.items()}
        t_lo, t_hi = min(raw_t.values()), max(raw_t.values())

        raw_f = {}
        for c in f.claims:
            terms = [
                (1 - truth[c]) / error[v] if _says(f, v, c) else truth[c] / error[v]
                for v in f.voters(c[0])
                if error[v] > zero
            ]
            if terms:
                raw_f[c] = sum(terms) / len(terms)
        for c, x in raw_f.items():
            hard[c] = _stretch(x, f_lo, f_hi, weight)
        if raw_f:
            f_lo, f_hi = min(raw_f.values()), max(raw_f.values())

        raw_e = {}
        for s, cs in f.claims_of.items():
            terms = []
            for given in cs:
                for c in f.rivals[given[0]]:
                    if hard[c] > zero:
                        terms.append((1 - truth[c] if c == given else truth[c]) / hard[c])
            if terms:
                raw_e[s] = sum(terms) / len(terms)
        if raw_e:
            error.update(_stretch_all(raw_e, weight))
    return {s: 1 - e for s, e in error.items()}, f.normalize_within_objects(truth)
