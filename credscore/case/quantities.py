"""Quantities in cases: the fused figure of a claim that states a number.

A claim may state a quantity ("about 30 killed or wounded": ``value`` 30,
``approx`` [25, 35]) and its reports may give their own figures. Beside the
probability that the claim is true, its score then carries an
:class:`Estimate`: the figures combined, with an interval, the probability
that the quantity lies in the claim's range, and which figures agree with it.

The combination (see :doc:`/howto/quantities`) is inverse-variance
weighting of normal measurements, on the log scale when every number is
positive (counts: errors are multiplicative). A figure's spread is
``spread / odds``: the odds of its report's evidence after the model's
adjustments (``exp |adjusted|``, so a self-serving or indirect report gives
a looser figure), or, for models without a breakdown, the source's
reliability odds raised to the report's weight. Figures from one affiliation
group are pooled as the evidence is: a group of dependence ``r`` has the
precision ``r max + (1 - r) sum`` of its members', so five offices of one
government repeating a figure do not make it five times as precise. A report
that cites a source that gave a figure of its own is an echo and left out.

When the figures disagree more than their spreads allow, the variance
between them is estimated (DerSimonian and Laird) and added to each figure's
own, so that the interval widens instead of settling between figures that
contradict each other.

References
----------
W. G. Cochran, "The combination of estimates from different experiments",
*Biometrics* 10(1), 1954 (inverse-variance weighting).
R. DerSimonian and N. Laird, "Meta-analysis in clinical trials", *Controlled
Clinical Trials* 7(3), 1986 (the variance between figures).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import attrs

from credscore.case.parts import Claim, Report, Stance, parse_time

__all__ = ["Estimate", "Figure", "estimate"]

#: Spread of a figure whose report carries no evidence (odds 1): on the log
#: scale a factor of e^0.5 = 1.65 at one standard deviation; on the linear
#: scale half the largest number in play (stated value, range, figures).
SPREAD = 0.5
#: Without ``approx``, figures within this share of the stated value agree.
TOLERANCE = 0.1
#: Reports' odds are clipped to this, so that no figure is exact.
MAX_ODDS = 99.0

_N = NormalDist()
_LOG_MAX = math.log(sys.float_info.max)
_FLOAT_MAX = sys.float_info.max


@attrs.frozen
class Figure:
    """One report's figure, as the estimate used it.

    Attributes
    ----------
    source : str
    value : float
    share : float
        Its weight in the fused value (the shares sum to 1).
    agrees : bool
        Inside the claim's range: ``approx``, or within 10% of the stated
        value without one.
    """

    source: str
    value: float
    share: float
    agrees: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "value": self.value,
            "share": self.share,
            "agrees": self.agrees,
        }


@attrs.frozen
class Estimate:
    """The fused figure of a claim's quantity.

    Attributes
    ----------
    stated : float
        The claim's ``value``.
    unit : str or None
    low, high : float
        The range within which the claim is true as stated (its ``approx``,
        or 10% either side of ``stated``).
    value : float or None
        The fused figure; None when no counted report gives one.
    interval : (float, float) or None
        At the scores' interval level (80% by default).
    in_range : float or None
        Probability that the quantity lies in ``[low, high]``.
    scale : {"log", "linear"}
    figures : tuple of Figure
        The figures used, largest share first.
    between : float
        How far the figures disagree beyond their own spreads: the standard
        deviation between them (DerSimonian-Laird), on the ``scale``; 0 when
        they agree within their spreads.
    """

    stated: float
    unit: str | None
    low: float
    high: float
    value: float | None
    interval: tuple[float, float] | None
    in_range: float | None
    scale: str
    figures: tuple[Figure, ...]
    between: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "stated": self.stated,
            "unit": self.unit,
            "range": [self.low, self.high],
            "value": self.value,
            "interval": None if self.interval is None else list(self.interval),
            "in_range": self.in_range,
            "scale": self.scale,
            "between": self.between,
            "figures": [f.to_dict() for f in self.figures],
        }

    def sentences(self, level: float) -> list[str]:
        """The lines of :meth:`Scores.explain` on the quantity."""
        unit = f" {self.unit}" if self.unit else ""
        head = f"Quantity: the claim states {format_number(self.stated)}{unit} (true as stated from {format_number(self.low)} to {format_number(self.high)})"
        if self.value is None or self.interval is None or self.in_range is None:
            return [head + "; no report gives a figure."]
        lo, hi = self.interval
        lines = [
            head + f"; the reports' figures combine to {format_number(self.value)}{unit}, "
            f"{round(100 * level)}% interval {format_number(lo)}-{format_number(hi)}, "
            f"{self.in_range:.0%} probability of lying in that range."
        ]
        if self.between > 0:
            spread = (
                f"a factor of {math.exp(self.between):.2f}"
                if self.scale == "log"
                else f"{format_number(self.between)}"
            )
            lines.append(
                f"  The figures disagree more than their reports' strength allows: "
                f"the interval includes a spread of {spread} between them."
            )
        agree = [f for f in self.figures if f.agrees]
        other = [f for f in self.figures if not f.agrees]
        for words, group in (("agree", agree), ("do not agree", other)):
            if group:
                items = ", ".join(
                    f"{f.source} {format_number(f.value)} ({f.share:.0%} of the estimate)"
                    for f in group
                )
                lines.append(f"  Figures that {words}: {items}.")
        return lines


def format_number(x: float) -> str:
    """A figure as people write it: 30, 11,000, 0.25, 1.2e+09."""
    if x == 0 or 1e-3 <= abs(x) < 1e15:
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:.3g}"
    return f"{x:.3g}"


def _latest(reports: Sequence[tuple[int, Report]]) -> dict[str, tuple[int, Report]]:
    """Of several counted reports of one source, the latest (the last given
    on a tie or without times), by source."""
    out: dict[str, tuple[float, int, Report]] = {}
    for i, r in reports:
        t = -math.inf if r.time is None else parse_time(r.time).timestamp()
        prev = out.get(r.source)
        if prev is None or (t, i) >= (prev[0], prev[1]):
            out[r.source] = (t, i, r)
    return {s: (i, r) for s, (_, i, r) in out.items()}


def estimate(
    claim: Claim,
    reports: Sequence[tuple[int, Report]],
    *,
    strength: dict[str, float],
    affiliation: dict[str, str | None],
    dependence: dict[str, float],
    level: float,
) -> Estimate:
    """The :class:`Estimate` of one claim that states a quantity.

    Parameters
    ----------
    claim : Claim
        With a ``value``.
    reports : sequence of (index, Report)
        The claim's counted reports (after ``as_of`` and supersession).
    strength : dict
        Per source, the odds of its report's evidence (>= 1).
    affiliation : dict
        Per source, its affiliation path (or None).
    dependence : dict
        Per affiliation group, its dependence in [0, 1].
    level : float
        The interval's level.
    """
    assert claim.value is not None
    stated = claim.value
    if claim.approx is not None:
        low, high = claim.approx
    else:
        ends = (stated * (1 - TOLERANCE), stated * (1 + TOLERANCE))
        low, high = sorted(max(-_FLOAT_MAX, min(_FLOAT_MAX, x)) for x in ends)
    latest = _latest(reports)
    given = {s: r for s, (_, r) in latest.items() if r.value is not None and r.stance in _GIVES}
    # an echo of a figure the cited source gave itself adds nothing
    figures = {s: r for s, r in given.items() if r.cites is None or r.cites not in given}
    values = {s: float(r.value) for s, r in figures.items()}  # type: ignore[arg-type]
    numbers = [stated, low, high, *values.values()]
    log = all(x > 0 for x in numbers)
    scale = "log" if log else "linear"
    if log:
        unit_spread = SPREAD

        def fwd(x: float) -> float:
            return math.log(x)

        def back(y: float) -> float:
            return math.exp(min(y, _LOG_MAX))

    else:
        # in units of the largest number in play (which nothing then overflows):
        # a figure of odds 1 is good to half of it
        size = max(abs(x) for x in numbers) or 1.0
        unit_spread = SPREAD

        def fwd(x: float) -> float:
            return x / size

        def back(y: float) -> float:
            return max(-_FLOAT_MAX, min(_FLOAT_MAX, y * size))

    if not figures:
        return Estimate(stated, claim.unit, low, high, None, None, None, scale, (), 0.0)
    leaves = {}
    for s, v in values.items():
        odds = min(max(strength.get(s, 1.0), 1.0), MAX_ODDS)
        leaves[s] = (fwd(v), (odds / unit_spread) ** 2)
    between = _between_variance(list(leaves.values()))
    if between > 0:
        leaves = {s: (m, 1.0 / (1.0 / p + between)) for s, (m, p) in leaves.items()}
    mean, precision, shares = _pool(leaves, affiliation, dependence)
    sd = 1.0 / math.sqrt(precision)
    z = _N.inv_cdf(0.5 + level / 2)
    fused = float(f"{back(mean):.12g}")  # exp(log 30) is 30, not 29.999999999999996
    interval = (min(back(mean - z * sd), fused), max(back(mean + z * sd), fused))
    in_range = _N.cdf((fwd(high) - mean) / sd) - _N.cdf((fwd(low) - mean) / sd)
    out = tuple(
        sorted(
            (Figure(s, v, shares[s], low <= v <= high) for s, v in values.items()),
            key=lambda f: (-f.share, f.source),
        )
    )
    return Estimate(
        stated,
        claim.unit,
        low,
        high,
        fused,
        interval,
        max(0.0, min(1.0, in_range)),
        scale,
        out,
        math.sqrt(between),
    )


def _between_variance(leaves: Sequence[tuple[float, float]]) -> float:
    """DerSimonian and Laird's moment estimate of the variance between the
    figures beyond their own spreads: ``max(0, (Q - (k - 1)) / (S1 - S2 / S1))``
    with ``Q`` Cochran's heterogeneity statistic, ``S1`` and ``S2`` the sums of
    the precisions and of their squares."""
    k = len(leaves)
    if k < 2:
        return 0.0
    s1 = sum(p for _, p in leaves)
    s2 = sum(p * p for _, p in leaves)
    mean = sum(m * p for m, p in leaves) / s1
    q = sum(p * (m - mean) ** 2 for m, p in leaves)
    return max(0.0, (q - (k - 1)) / (s1 - s2 / s1))


_GIVES = (Stance.CONFIRMS, Stance.DENIES, Stance.OBSERVES)


def _pool(
    leaves: dict[str, tuple[float, float]],
    affiliation: dict[str, str | None],
    dependence: dict[str, float],
) -> tuple[float, float, dict[str, float]]:
    """Pool (mean, precision) leaves up the affiliation tree: the mean is the
    precision-weighted mean of the children, the precision ``r max + (1 - r)
    sum`` of theirs. Returns the root's mean and precision and each leaf's
    share of the root's mean."""
    # node -> list of (mean, precision, {leaf: share within the node})
    children: dict[str, list[tuple[float, float, dict[str, float]]]] = {}
    for s, (m, p) in leaves.items():
        aff = affiliation.get(s)
        children.setdefault(aff or "", []).append((m, p, {s: 1.0}))
    # deepest groups first; each pools into its parent
    while True:
        inner = [g for g in children if g]
        if not inner:
            break
        g = max(inner, key=lambda x: (x.count("/"), x))
        kids = children.pop(g)
        parent = g.rsplit("/", 1)[0] if "/" in g else ""
        r = dependence.get(g, 0.0)
        children.setdefault(parent, []).append(_merge(kids, r))
    mean, precision, shares = _merge(children[""], 0.0)
    return mean, precision, shares


def _merge(
    kids: list[tuple[float, float, dict[str, float]]], r: float
) -> tuple[float, float, dict[str, float]]:
    total = sum(p for _, p, _ in kids)
    mean = sum(m * p for m, p, _ in kids) / total
    precision = r * max(p for _, p, _ in kids) + (1 - r) * total
    shares: dict[str, float] = {}
    for _, p, sub in kids:
        for leaf, share in sub.items():
            shares[leaf] = share * p / total
    return mean, precision, shares


def claim_estimate(scores: Any, i: int, contributions: Sequence[Any]) -> Estimate:
    r"""The estimate of claim ``i`` of ``scores`` (a :class:`~credscore.Scores`;
    its claim states a value) from its :class:`~credscore.Contribution`\ s.
    (Typed loosely: :mod:`credscore.case.result` imports this module.)"""
    cc = scores.compiled
    case = cc.case
    claim = case.claims[i]
    counted = scores.counted_reports(i)
    reports = [(k, case.reports[k]) for k in counted]
    sources = {r.source for _, r in reports}
    strength: dict[str, float] = {}
    own = [c for c in contributions if c.claim == claim.id]
    if own:
        for c in own:
            strength[c.source] = math.exp(min(abs(c.adjusted), math.log(MAX_ODDS)))
    else:
        weight = {r.source: r.weight for _, r in reports}
        for s in sources:
            rel = float(scores.source_reliability[cc.source_index[s]])
            if math.isnan(rel):
                rel = 0.5
            rel = min(max(rel, 0.01), 0.99)
            strength[s] = (rel / (1 - rel)) ** weight[s] if rel > 0.5 else 1.0
    by_id = {s.id: s for s in case.sources}
    affiliation = {s: by_id[s].affiliation for s in sources}
    return estimate(
        claim,
        reports,
        strength=strength,
        affiliation=affiliation,
        dependence=scores.group_dependence(),
        level=scores.interval,
    )
