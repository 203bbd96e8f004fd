"""Slow, obviously correct reference of the table-scale corroboration model.

Plain Python: dicts and loops over rows, the formulas of
``credscore.models.corroboration`` written out one assertion at a time.
Rows must hold at most one value per (source, object) pair.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

RHO_MAX = 1.0 - 1e-9


def confirmation_llr(rho: float, a: float) -> float:
    """ln[(rho + (1 - rho) a) / ((1 - rho) a)], with the model's clipping."""
    rho = min(rho, RHO_MAX)
    against = (1.0 - rho) * a
    for_ = max(rho + (1.0 - rho) * a, against * 1e-12)
    return math.log(for_ / against)


def corroboration(
    rows: list[tuple[Any, Any, Any]],
    *,
    n_iter: int,
    domain: Any = "auto",
    max_closed_domain: int = 20,
    prior_reliability: float = 0.5,
    prior_strength: float = 2.0,
    learn_prior: bool = True,
    class_prior: float = 1.0,
    adversarial: bool = False,
    guess: str = "learned",
    groups: dict[Any, Any] | None = None,
    group_dependence: float = 0.8,
    gold: dict[Any, Any] | None = None,
) -> tuple[dict[tuple[Any, Any], float], dict[Any, float]]:
    """Run ``n_iter`` EM iterations; return ``({(object, value): probability},
    {source: reliability})``. The objects of ``gold`` (``{object: value}``)
    have, in every M-step, posterior 1 on their known value and 0 on every
    other; the probabilities returned are those of the E-step, for all
    objects."""
    gold = gold or {}
    candidates: dict[Any, list[Any]] = defaultdict(list)
    said: dict[tuple[Any, Any], list[Any]] = defaultdict(list)  # claim -> sources
    for s, o, v in rows:
        if v not in candidates[o]:
            candidates[o].append(v)
        said[(o, v)].append(s)
    sources = sorted({s for s, _, _ in rows})
    values = sorted({v for _, _, v in rows})
    closed = domain == "auto" and len(values) <= max_closed_domain
    if isinstance(domain, int):
        k = domain
    elif closed:
        k = len(values)
    else:
        k = 2
    a_obj = {o: 1.0 / max(len(c), k) for o, c in candidates.items()}
    n_on = {o: sum(1 for _, o2, _ in rows if o2 == o) for o in candidates}
    learned_guess = closed and guess == "learned"

    rho = dict.fromkeys(sources, prior_reliability)
    guess_p = {s: {v: 1.0 / len(values) for v in values} for s in sources}
    log_prior = {v: -math.log(len(values)) for v in values}

    group_of: dict[Any, Any] = {}
    r_of: dict[Any, float] = {}
    for s in sources:
        if groups is not None and s in groups:
            group_of[s] = ("g", groups[s])
        else:
            group_of[s] = ("s", s)
    for g in set(group_of.values()):
        members = [s for s in sources if group_of[s] == g]
        r_of[g] = group_dependence if len(members) > 1 else 0.0

    def a_of(s: Any, o: Any, v: Any) -> float:
        return guess_p[s][v] if learned_guess else a_obj[o]

    def e_step() -> tuple[dict[tuple[Any, Any], float], dict[tuple[Any, Any], float]]:
        """Posteriors over every possible value (asserted or not), and the
        same renormalised over the asserted candidates."""
        full: dict[tuple[Any, Any], float] = {}
        shown: dict[tuple[Any, Any], float] = {}
        for o, cands in candidates.items():
            scores: dict[Any, float] = {}
            for v in cands:
                by_group: dict[Any, list[float]] = defaultdict(list)
                for s in said[(o, v)]:
                    by_group[group_of[s]].append(confirmation_llr(rho[s], a_of(s, o, v)))
                total = 0.0
                for g, ells in by_group.items():
                    r = r_of[g]
                    pos = [x for x in ells if x > 0]
                    neg = [x for x in ells if x < 0]
                    if pos:
                        total += r * max(pos) + (1 - r) * sum(pos)
                    if neg:
                        total += r * min(neg) + (1 - r) * sum(neg)
                if closed and learn_prior:
                    total += log_prior[v]
                scores[v] = total
            # Values nobody asserted: their prior only.
            if closed:
                for v in values:
                    if v not in scores:
                        scores[v] = log_prior[v] if learn_prior else 0.0
            else:
                for n in range(max(len(cands), k) - len(cands)):
                    scores[("phantom", n)] = 0.0
            top = max(scores.values())
            z = sum(math.exp(x - top) for x in scores.values())
            z_shown = sum(math.exp(scores[v] - top) for v in cands)
            for v, x in scores.items():
                full[(o, v)] = math.exp(x - top) / z
            for v in cands:
                shown[(o, v)] = math.exp(scores[v] - top) / z_shown
        return full, shown

    alpha = prior_strength * prior_reliability
    for _ in range(n_iter):
        post, _ = e_step()
        for o, v in post:
            if o in gold:
                post[(o, v)] = 1.0 if v == gold[o] else 0.0
        for o, g in gold.items():
            post[(o, g)] = 1.0  # also a known value that no source gave
        new_rho = {}
        new_guess = {}
        for s in sources:
            mine = [(o, v) for s2, o, v in rows if s2 == s]
            if learned_guess:
                knew_total = 0.0
                guessed = dict.fromkeys(values, 0.0)
                for o, v in mine:
                    ell = confirmation_llr(rho[s], a_of(s, o, v))
                    knew = post[(o, v)] * (1.0 - math.exp(-ell))
                    knew_total += knew
                    guessed[v] += 1.0 - knew
                new_rho[s] = (knew_total + alpha) / (len(mine) + prior_strength)
                norm = sum(guessed.values()) + len(values)
                new_guess[s] = {v: (guessed[v] + 1.0) / norm for v in values}
            else:
                # Assertions alone on their object are left out when the prior
                # is uniform (their likelihood does not depend on rho).
                skip_alone = not (closed and learn_prior)
                # (A known object's truth is given: its lone assertions count.)
                kept = [
                    (o, v) for o, v in mine if not (skip_alone and n_on[o] == 1 and o not in gold)
                ]
                excess = sum(post[(o, v)] - a_obj[o] for o, v in kept)
                info = sum(1.0 - a_obj[o] for o, v in kept)
                new_rho[s] = (excess + alpha) / (info + prior_strength)
            lo = -1.0 if adversarial else 0.0
            new_rho[s] = min(max(new_rho[s], lo), RHO_MAX)
        rho = new_rho
        if learned_guess:
            guess_p = new_guess
        if closed and learn_prior:
            mass = dict.fromkeys(values, 0.0)
            for (_, v), p in post.items():  # every object has a posterior on every value
                mass[v] += p
            total_mass = sum(mass.values())
            log_prior = {
                v: math.log(mass[v] + class_prior)
                - math.log(total_mass + class_prior * len(values))
                for v in values
            }
    return e_step()[1], rho


def corroboration_numeric(
    rows: list[tuple[Any, Any, float]],
    *,
    n_iter: int,
    prior_strength: float = 2.0,
    gold: dict[Any, float] | None = None,
) -> tuple[dict[Any, float], dict[tuple[Any, float], float], dict[Any, float]]:
    """Gaussian form: ``({object: estimate}, {(object, value): probability},
    {source: reliability})`` after ``n_iter`` iterations. In the M-steps the
    objects of ``gold`` are at their known value, with no uncertainty."""
    gold = gold or {}
    objects = sorted({o for _, o, _ in rows})
    sources = sorted({s for s, _, _ in rows})
    mean = {
        o: sum(x for _, o2, x in rows if o2 == o) / sum(1 for r in rows if r[1] == o)
        for o in objects
    }
    v0 = sum((x - mean[o]) ** 2 for _, o, x in rows) / len(rows)
    if not v0 > 0:
        v0 = 1.0
    v0 = max(v0, 1e-280)  # a spread near the smallest float is floored
    var = dict.fromkeys(sources, v0)

    def estimate() -> tuple[dict[Any, float], dict[Any, float]]:
        est, total = {}, {}
        for o in objects:
            w = {s: 1.0 / var[s] for s, o2, _ in rows if o2 == o}
            total[o] = sum(w.values())
            est[o] = sum(w[s] * x for s, o2, x in rows if o2 == o) / total[o]
        return est, total

    for _ in range(n_iter):
        est, total = estimate()
        new = {}
        for s in sources:
            mine = [(o, x) for s2, o, x in rows if s2 == s]
            sq = sum(
                (x - gold[o]) ** 2 if o in gold else (x - est[o]) ** 2 + 1.0 / total[o]
                for o, x in mine
            )
            new[s] = (sq + prior_strength * v0) / (len(mine) + prior_strength)
        var = new
    est, total = estimate()
    prob = {}
    for o in objects:
        cands = sorted({x for _, o2, x in rows if o2 == o})
        scores = {c: -0.5 * total[o] * (c - est[o]) ** 2 for c in cands}
        top = max(scores.values())
        z = sum(math.exp(x - top) for x in scores.values())
        for c in cands:
            prob[(o, c)] = math.exp(scores[c] - top) / z
    return est, prob, {s: v0 / (v0 + var[s]) for s in sources}
