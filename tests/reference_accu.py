"""Slow, obviously correct references for the Accu family and copy detection.

Written from the papers' equations with dicts and loops, one object at a
time, for comparison with the vectorised code in credscore.models.accu and
credscore.models.copying. They read only the table's plain arrays.

- Dong, Berti-Equille & Srivastava, PVLDB 2009 (Accu, copy detection).
- Dong, Saha & Srivastava, PVLDB 2012 (PopAccu).
"""

from __future__ import annotations

import math
from collections import defaultdict

from credscore.table.table import Table


def objects_of(table: Table) -> dict[int, dict[int, int]]:
    """{object: {source: claim}}"""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for s, c in zip(table.source.tolist(), table.claim.tolist()):
        out[int(table.claim_object[c])][s] = c
    return dict(out)


def claims_of(table: Table) -> dict[int, list[int]]:
    """{object: [claims]}"""
    out: dict[int, list[int]] = defaultdict(list)
    for c, o in enumerate(table.claim_object.tolist()):
        out[o].append(c)
    return dict(out)


def clip(a: float, eps: float) -> float:
    return min(max(a, eps), 1.0 - eps)


def directed_copy_probabilities(
    table: Table,
    prob: list[float],
    acc: list[float],
    alpha: float,
    c: float | None,
    n: float,
    eps: float,
    skip: set[int] | frozenset[int] = frozenset(),
    rates: dict[tuple[int, int], tuple[float, float]] | None = None,
    min_shared: int = 1,
    weight: list[float] | None = None,
) -> dict[tuple[int, int], tuple[float, float]]:
    """{(i, j): (P(i copies j), P(j copies i))} for pairs sharing at least
    ``min_shared`` objects (the other pairs are independent and not listed).

    With ``c=None`` each direction's copy rate is the one in [0, 0.999]
    that maximises its likelihood (ternary search: the log-likelihood is
    concave in c); the rates go into ``rates`` when given. ``weight`` (per
    claim, default 1) is what an agreement on that claim counts in all:
    ``prob`` of it as shared true, the rest as shared false.
    """
    kt: dict[tuple[int, int], float] = defaultdict(float)
    kf: dict[tuple[int, int], float] = defaultdict(float)
    kd: dict[tuple[int, int], float] = defaultdict(float)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for given in objects_of(table).values():
        for i in given:
            for j in given:
                if i < j and i not in skip and j not in skip:
                    shared[i, j] += 1
                    if given[i] == given[j]:
                        w = 1.0 if weight is None else weight[given[i]]
                        kt[i, j] += prob[given[i]]
                        kf[i, j] += w - prob[given[i]]
                    else:
                        kd[i, j] += 1.0
    pairs = {p for p, count in shared.items() if count >= min_shared}
    out = {}
    for i, j in sorted(pairs):
        a_i, a_j = clip(acc[i], eps), clip(acc[j], eps)
        # Per-object probabilities, straight from the paper.
        pd_ = 1 - a_i * a_j - (1 - a_i) * (1 - a_j) / n
        indep = (
            kt[i, j] * math.log(a_i * a_j)
            + kf[i, j] * math.log((1 - a_i) * (1 - a_j) / n)
            + kd[i, j] * math.log(pd_)
        )

        counts = (kt[i, j], kf[i, j], kd[i, j])
        scores, used = [], []
        for orig in (a_j, a_i):  # i copies j, then j copies i
            rate = c
            if rate is None:
                # The log-likelihood is concave in c: bisect on its derivative
                # (a search on the values themselves stalls near 1e-8, where
                # they stop differing in floating point).
                lo, hi = 0.0, 0.999
                for _ in range(200):
                    mid = (lo + hi) / 2
                    if dependent_slope(orig, mid, (a_i, a_j), n, counts) > 0:
                        lo = mid
                    else:
                        hi = mid
                rate = (lo + hi) / 2
            used.append(rate)
            scores.append(
                math.log(alpha / 2) + dependent_loglik(orig, rate, (a_i, a_j), n, counts) - indep
            )
        l_ij, l_ji = scores
        if rates is not None:
            rates[i, j] = (used[0], used[1])
        l_0 = math.log(1 - alpha)
        m = max(l_ij, l_ji, l_0)
        z = math.exp(l_ij - m) + math.exp(l_ji - m) + math.exp(l_0 - m)
        out[i, j] = (math.exp(l_ij - m) / z, math.exp(l_ji - m) / z)
    return out


def dependent_loglik(
    orig: float, c: float, acc: tuple[float, float], n: float, counts: tuple[float, ...]
) -> float:
    """ln Pr(counts | one source of the pair copies the source of accuracy
    ``orig`` at rate c), from the paper's per-object probabilities."""
    a_i, a_j = acc
    k_t, k_f, k_d = counts
    pd_ = 1 - a_i * a_j - (1 - a_i) * (1 - a_j) / n
    t = c * orig + (1 - c) * a_i * a_j
    f = c * (1 - orig) + (1 - c) * (1 - a_i) * (1 - a_j) / n
    return k_t * math.log(t) + k_f * math.log(f) + k_d * math.log((1 - c) * pd_)


def dependent_slope(
    orig: float, c: float, acc: tuple[float, float], n: float, counts: tuple[float, ...]
) -> float:
    """d/dc of :func:`dependent_loglik`, term by term."""
    a_i, a_j = acc
    k_t, k_f, k_d = counts
    t = c * orig + (1 - c) * a_i * a_j
    f = c * (1 - orig) + (1 - c) * (1 - a_i) * (1 - a_j) / n
    dt = orig - a_i * a_j
    df = (1 - orig) - (1 - a_i) * (1 - a_j) / n
    return k_t * dt / t + k_f * df / f - k_d / (1 - c)


def softmax(scores: dict[int, float], extra: float) -> dict[int, float]:
    """exp(score) / (sum exp(score) + extra), computed stably."""
    top = max(scores.values())
    z = sum(math.exp(s - top) for s in scores.values()) + extra * math.exp(-top)
    return {c: math.exp(s - top) / z for c, s in scores.items()}


def accu_reference(
    table: Table,
    n_iter: int,
    *,
    kind: str = "accu",
    n_false: float = 100.0,
    initial_accuracy: float = 0.8,
    unobserved: bool = False,
    eps: float = 1e-3,
    prior_strength: float = 2.0,
    alpha: float = 0.2,
    copy_rate: float | None = 0.8,
    direction: bool = True,
    initial_dependence: bool = False,
    duplicate_min_claims: int | None = 3,
    min_shared: int = 3,
    schedule: str = "paper",
    copy_rounds: int = 5,
    adversarial: bool = False,
    gold: dict[int, int] | None = None,
) -> tuple[list[float], list[float], dict[tuple[int, int], float]]:
    """Run ``n_iter`` iterations of Accu, PopAccu or AccuCopy (``kind``).

    ``gold``: ``{object: claim of its known value, or -1}``; in every
    accuracy step and every judgement of copying but the first of the
    rounds, those objects' claims count as 1 (the known one) or 0.

    Returns the final claim probabilities (over the observed values), the
    accuracies and, for AccuCopy, ``{(i, j): P(dependent)}``.

    AccuCopy's ``schedule="rounds"``: dependence judged once from agreement
    on the contested objects (each observed value 1/m, each source 1/2, the
    later source discounted by c times the whole probability), then
    ``n_iter`` iterations of Accu with it held, then judged again from the
    fused values taken as decided, for at most ``copy_rounds`` rounds.
    """
    given_by = objects_of(table)
    claims = claims_of(table)
    n_s = table.n_sources
    acc = [initial_accuracy] * n_s
    # AccuCopy: an exact copy (at least duplicate_min_claims claims) of a
    # lower-index source's whole table has no vote and no pairs; it is
    # reported as a certain copy of every source with the same table.
    claim_sets: dict[frozenset[int], int] = {}
    original = {}
    for s in range(n_s):
        mine = frozenset(c for given in given_by.values() for t, c in given.items() if t == s)
        original[s] = claim_sets.setdefault(mine, s)
        if duplicate_min_claims is None or len(mine) < duplicate_min_claims:
            original[s] = s
    dups = {s for s in range(n_s) if original[s] != s} if kind == "accu-copy" else set()
    # Only the pairs sharing at least min_shared objects are judged; the
    # others are independent (no discount, not reported).
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for given in given_by.values():
        for i in given:
            for j in given:
                if i < j and i not in dups and j not in dups:
                    shared[i, j] += 1
    pairs = {p for p, count in shared.items() if count >= min_shared}
    dep = dict.fromkeys(pairs, (0.0, 0.0))
    rates: dict[tuple[int, int], tuple[float, float]] = {}
    if kind == "accu-copy" and initial_dependence:
        uniform = [1.0 / len(claims[int(table.claim_object[c])]) for c in range(table.n_claims)]
        dep = directed_copy_probabilities(
            table, uniform, acc, alpha, copy_rate, n_false, eps, dups, rates, min_shared
        )

    split = [True]

    def discount(s: int, t: int) -> float:
        """c P(s copies t)."""
        key = (min(s, t), max(s, t))
        if key not in dep:
            return 0.0
        p_ij, p_ji = dep[key]
        c_ij, c_ji = rates.get(key, (0.0, 0.0)) if copy_rate is None else (copy_rate,) * 2
        if not split[0]:
            both = min(p_ij + p_ji, 1.0)
            return c_ij * both if s < t else c_ji * both
        if not direction:
            return (c_ij * p_ij + c_ji * p_ji) / 2
        return c_ij * p_ij if s < t else c_ji * p_ji

    def probabilities(over_domain: bool) -> list[float]:
        prob = [0.0] * table.n_claims
        size = [sum(1 for given in given_by.values() if s in given) for s in range(n_s)]
        order = sorted(range(n_s), key=lambda s: (-size[s], -acc[s], s))
        for o, given in given_by.items():
            scores = {}
            total = len(given)
            for c in claims[o]:
                sources = [s for s in order if given.get(s) == c and s not in dups]
                vote = 0.0
                for k, s in enumerate(sources):
                    if kind == "pop-accu":
                        w = math.log(acc[s] / (1 - acc[s]))
                    else:
                        w = math.log(n_false * acc[s] / (1 - acc[s]))
                    if kind == "accu-copy" and not adversarial:
                        w = max(w, 0.0)  # a source below chance counts as noise
                    if kind == "accu-copy":
                        for t in sources[:k]:
                            w *= 1 - discount(s, t)
                    vote += w
                if kind == "pop-accu":
                    # Pop(v'|v) = m(v') / (M - m(v)) for every wrong source.
                    m_v = len(sources)
                    for c2 in claims[o]:
                        if c2 != c:
                            m2 = sum(1 for s in given if given[s] == c2)
                            vote += m2 * math.log(m2 / (total - m_v))
                scores[c] = vote
            extra = 0.0
            if over_domain and kind != "pop-accu":
                extra = max(n_false + 1 - len(claims[o]), 0.0)
            for c, p in softmax(scores, extra).items():
                prob[c] = p
        return prob

    def held(prob: list[float]) -> list[float]:
        """``prob`` with the known objects' claims at 1 (the known one) or 0."""
        prob = list(prob)
        for o, known in (gold or {}).items():
            for c in claims[o]:
                prob[c] = 1.0 if c == known else 0.0
        return prob

    def accuracy_step(prob: list[float]) -> None:
        for s in range(n_s):
            mine = [c for given in given_by.values() for t, c in given.items() if t == s]
            # a Beta prior: prior_strength pseudo-values of probability initial_accuracy
            right = sum(prob[c] for c in mine) + prior_strength * initial_accuracy
            acc[s] = clip(right / (len(mine) + prior_strength), eps)

    def judge(prob: list[float], accuracy: list[float], weight: list[float] | None) -> None:
        dep.clear()
        dep.update(
            directed_copy_probabilities(
                table,
                prob,
                accuracy,
                alpha,
                copy_rate,
                n_false,
                eps,
                dups,
                rates,
                min_shared,
                weight,
            )
        )

    if kind == "accu-copy" and schedule == "rounds":
        size_of = {o: len(claims[o]) for o in claims}
        obj = [int(table.claim_object[c]) for c in range(table.n_claims)]
        weight = [1.0 if size_of[obj[c]] > 1 else 0.0 for c in range(table.n_claims)]
        judge([weight[c] / size_of[obj[c]] for c in range(table.n_claims)], [0.5] * n_s, weight)
        split[0] = False
        for k in range(copy_rounds):
            for _ in range(n_iter):
                accuracy_step(held(probabilities(unobserved)))
            if k == copy_rounds - 1:
                break
            prob = probabilities(unobserved)
            hard = [0.0] * table.n_claims
            for o in claims:
                top = max(prob[c] for c in claims[o])
                hard[min(c for c in claims[o] if prob[c] >= top)] = 1.0
            hard = held(hard)
            mine_of = {
                s: [c for given in given_by.values() for t, c in given.items() if t == s]
                for s in range(n_s)
            }
            hard_acc = [sum(hard[c] for c in mine_of[s]) / len(mine_of[s]) for s in range(n_s)]
            before = {(i, j): (discount(i, j), discount(j, i)) for i, j in dep}
            judge(hard, hard_acc, None)
            split[0] = True
            after = {(i, j): (discount(i, j), discount(j, i)) for i, j in dep}
            if all(
                abs(before[p][0] - after[p][0]) <= 1e-4 and abs(before[p][1] - after[p][1]) <= 1e-4
                for p in after
            ):
                break
    else:
        for _ in range(n_iter):
            prob = held(probabilities(unobserved))
            accuracy_step(prob)
            if kind == "accu-copy":
                judge(prob, acc, None)
    copies = {p: min(a + b, 1.0) for p, (a, b) in dep.items()}
    for a in range(n_s):
        for b in range(a + 1, n_s):
            if kind == "accu-copy" and original[a] == original[b]:
                copies[a, b] = 1.0
    return probabilities(False), acc, copies
