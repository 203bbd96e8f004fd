"""Slow, obviously correct references for source-group priors and declared copiers.

A plain-Python EM of :class:`credscore.models.Corroboration` on open-ended
categorical values (``domain="observed"``: an object with ``k`` candidates has
``K = max(k, 2)`` possible values and ``a = 1/K``) with ``prior_groups`` and
``copiers``, one object, one assertion at a time, written from the model's
documented definitions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

Row = tuple[Hashable, Hashable, Hashable]


def group_shrinkage_ref(
    num: Sequence[float],
    den: Sequence[float],
    group: Sequence[int],
    mean: float,
    strength: float,
) -> tuple[list[float], dict[int, float]]:
    """Per-source ``(num + strength m_g) / (den + strength)``, ``m_g`` learned per group."""
    tot_n: dict[int, float] = defaultdict(float)
    tot_d: dict[int, float] = defaultdict(float)
    for n, d, g in zip(num, den, group):
        if g >= 0:
            tot_n[g] += n
            tot_d[g] += d
    means = {g: (tot_n[g] + strength * mean) / (tot_d[g] + strength) for g in tot_n}
    out = []
    for n, d, g in zip(num, den, group):
        m = means[g] if g >= 0 else mean
        out.append((n + strength * m) / (d + strength))
    return out, means


def copied_llr_ref(rho: float, a: float, c: float) -> float:
    rho = min(rho, 1.0 - 1e-9)
    p_false = (1.0 - rho) * a
    p_true = max(rho + p_false, p_false * 1e-12)
    return math.log(c + (1.0 - c) * p_true) - math.log(c + (1.0 - c) * p_false)


def corroboration_ref(
    rows: Sequence[Row],
    *,
    prior_groups: Mapping[Any, Any] | None = None,
    copiers: Mapping[Any, float] | None = None,
    prior_reliability: float = 0.5,
    prior_strength: float = 2.0,
    n_iter: int = 20,
) -> tuple[dict[Any, float], dict[tuple[Any, Any], float]]:
    """Reliabilities and per-(object, value) probabilities after ``n_iter`` EM steps.

    Rows are ``(source, object, value)``, one per (source, object).
    """
    sources = sorted({s for s, _, _ in rows}, key=repr)
    by_obj: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
    for s, o, v in rows:
        by_obj[o].append((s, v))
    labels = sorted({repr(g) for g in (prior_groups or {}).values()})
    gnum = {s: labels.index(repr(prior_groups[s])) for s in (prior_groups or {})}
    group = [gnum.get(s, -1) for s in sources]
    copy = copiers or {}
    rho = dict.fromkeys(sources, prior_reliability)

    def posterior() -> dict[tuple[Any, Any], tuple[float, float]]:
        """(full, shown) posterior of each (object, value)."""
        out = {}
        for o, pairs in by_obj.items():
            values = sorted({v for _, v in pairs}, key=repr)
            big_k = max(len(values), 2)
            a = 1.0 / big_k
            score = dict.fromkeys(values, 0.0)
            for s, v in pairs:
                others = sum(1 for s2, v2 in pairs if v2 == v and s2 != s)
                c = copy.get(s, 0.0) if others else 0.0
                score[v] += copied_llr_ref(rho[s], a, c)
            top = max(score.values())
            if big_k > len(values):
                top = max(top, 0.0)
            e = {v: math.exp(score[v] - top) for v in values}
            z = sum(e.values()) + (big_k - len(values)) * math.exp(-top)
            asserted = sum(e.values())
            for v in values:
                out[(o, v)] = (e[v] / z, e[v] / asserted)
        return out

    for _ in range(n_iter):
        post = posterior()
        excess = dict.fromkeys(sources, 0.0)
        info = dict.fromkeys(sources, 0.0)
        for o, pairs in by_obj.items():
            if len(pairs) == 1:
                continue  # alone on its object: no information on rho
            a = 1.0 / max(len({v for _, v in pairs}), 2)
            for s, v in pairs:
                excess[s] += post[(o, v)][0] - a
                info[s] += 1.0 - a
        new, _ = group_shrinkage_ref(
            [excess[s] for s in sources],
            [info[s] for s in sources],
            group,
            prior_reliability,
            prior_strength,
        )
        rho = {s: min(max(r, 0.0), 1.0 - 1e-9) for s, r in zip(sources, new)}
    shown = {k: v[1] for k, v in posterior().items()}
    return rho, shown
