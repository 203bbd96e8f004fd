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

from credscore.table import Table


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
    c: float,
    n: float,
    eps: float,
) -> dict[tuple[int, int], tuple[float, float]]:
    """{(i, j): (P(i copies j), P(j copies i))} for pairs sharing an object."""
    kt: dict[tuple[int, int], float] = defaultdict(float)
    kf: dict[tuple[int, int], float] = defaultdict(float)
    kd: dict[tuple[int, int], float] = defaultdict(float)
    pairs = set()
    for given in objects_of(table).values():
        for i in given:
            for j in given:
                if i < j:
                    pairs.add((i, j))
                    if given[i] == given[j]:
                        kt[i, j] += prob[given[i]]
                        kf[i, j] += 1.0 - prob[given[i]]
                    else:
                        kd[i, j] += 1.0
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

        scores = []
        for orig in (a_j, a_i):  # i copies j, then j copies i
            t = c * orig + (1 - c) * a_i * a_j
            f = c * (1 - orig) + (1 - c) * (1 - a_i) * (1 - a_j) / n
            dep = (
                kt[i, j] * math.log(t)
                + kf[i, j] * math.log(f)
                + kd[i, j] * math.log((1 - c) * pd_)
            )
            scores.append(math.log(alpha / 2) + dep - indep)
        l_ij, l_ji = scores
        l_0 = math.log(1 - alpha)
        m = max(l_ij, l_ji, l_0)
        z = math.exp(l_ij - m) + math.exp(l_ji - m) + math.exp(l_0 - m)
        out[i, j] = (math.exp(l_ij - m) / z, math.exp(l_ji - m) / z)
    return out
