"""What a score contains, and the plain-language explanation of each number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.case.grading import ADMIRALTY_CREDIBILITY, grade, phrase
from credscore.case.model import Stance
from credscore.semantics import expit, logit, pool_rule

if TYPE_CHECKING:
    from credscore.case.score import CorroborationModel, Evidence

__all__ = ["FLAGS", "ClaimScore", "Contribution", "Scores"]

FloatArray = npt.NDArray[np.float64]

#: The flags a claim can carry, in the order they are listed.
FLAGS = ("single-source", "circular", "self-serving", "contested", "unacknowledged")


@attrs.frozen
class Contribution:
    """One report's part in a claim's score.

    ``raw`` is the report's log-likelihood ratio as if it were neutral,
    ``adjusted`` after the source's interest in the claim, ``effect`` what it
    adds to the claim's log-odds after pooling, reports being taken strongest
    first (so the effects of a claim's reports add up to its total).
    """

    source: str
    claim: str
    stance: str
    raw: float
    adjusted: float
    effect: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class ClaimScore:
    """The score of one claim.

    Examples
    --------
    >>> from credscore import score
    >>> from credscore.examples import kursk
    >>> s = score(kursk())["nk-30-casualties"]
    >>> s.grade, s.flags
    (3, ('single-source', 'self-serving', 'unacknowledged'))
    """

    id: str
    probability: float
    log_odds: float
    interval: tuple[float, float]
    grade: int
    phrase: str
    independent_confirmations: int
    flags: tuple[str, ...]
    contributions: tuple[Contribution, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the keys of DESIGN.md section 8."""
        return {
            "id": self.id,
            "probability": self.probability,
            "log_odds": self.log_odds,
            "interval": list(self.interval),
            "grade": self.grade,
            "phrase": self.phrase,
            "independent_confirmations": self.independent_confirmations,
            "flags": list(self.flags),
            "contributions": [c.to_dict() for c in self.contributions],
        }


def _count_distinct(
    claim: npt.NDArray[np.int64], other: npt.NDArray[np.int64], n: int, m: int
) -> Any:
    if claim.shape[0] == 0:
        return np.zeros(n, dtype=np.int64)
    u = np.unique(claim * max(m, 1) + other)
    return np.bincount(u // max(m, 1), minlength=n)


@attrs.define(frozen=True, eq=False, repr=False)
class Scores:
    """Scores of every claim of a case. Index by claim id, iterate, or export.

    Examples
    --------
    >>> from credscore import score
    >>> from credscore.examples import kursk
    >>> scores = score(kursk())
    >>> len(scores), "nk-casualties" in scores
    (6, True)
    >>> sorted(scores.to_dict())
    ['claims', 'sources']
    """

    evidence: Evidence
    model: CorroborationModel
    probability: FloatArray
    log_odds: FloatArray
    lower: FloatArray
    upper: FloatArray
    independent_confirmations: npt.NDArray[np.int64]
    grades: npt.NDArray[np.int8]
    flag_matrix: npt.NDArray[np.bool_]
    has_evidence: npt.NDArray[np.bool_]

    @classmethod
    def from_evidence(cls, ev: Evidence, model: CorroborationModel) -> Scores:
        cc = ev.compiled
        n_c, n_s = cc.n_claims, cc.n_sources
        nominal, lo, hi, captured = model.passes(ev)
        base = logit(model.priors(cc))
        log_odds = base + nominal
        prob = expit(log_odds)
        p_lo = np.minimum(expit(base + lo), prob)
        p_hi = np.maximum(expit(base + hi), prob)
        clear = captured > model.threshold
        indep = np.bincount(ev.plan.capture_claim[clear], minlength=n_c).astype(np.int64)
        has_ev = np.bincount(ev.claim, minlength=n_c) > 0

        conf = ev.ell > 0
        n_conf = np.bincount(ev.claim[conf], minlength=n_c)
        # Every entry's origin is its position (the speaker, or the absent source
        # it stands in for), so distinct origins are the plan's leaf segments.
        plan = ev.plan
        if plan.n_entries:
            conf_sorted = conf if plan.in_order else conf[plan.order]
            seg_conf = np.maximum.reduceat(conf_sorted, plan.leaf_starts)
            origins = np.bincount(plan.leaf_claim[seg_conf], minlength=n_c)
        else:
            origins = np.zeros(n_c, dtype=np.int64)
        speakers = origins.copy()
        standin = conf & (ev.speaker != ev.position)
        if standin.any():
            touched = np.zeros(n_c, dtype=bool)
            touched[ev.claim[standin]] = True
            sel = conf & touched[ev.claim]
            speakers[touched] = _count_distinct(ev.claim[sel], ev.speaker[sel], n_c, n_s)[touched]
        not_interested = np.bincount(ev.claim[conf & ~ev.interested], minlength=n_c)
        contested = (
            np.bincount(ev.claim[(ev.ell < -model.threshold) & ~ev.interested], minlength=n_c) > 0
        )
        _, hurts = cc.interest(ev.speaker[conf], ev.claim[conf])
        acknowledged = np.bincount(ev.claim[conf][hurts], minlength=n_c) > 0
        flags = np.stack(
            [
                (speakers == 1) & (origins == 1),
                (speakers >= 2) & (origins == 1),
                (n_conf > 0) & (not_interested == 0),
                contested,
                cc.claim_has_harms & ~acknowledged,
            ],
            axis=1,
        )
        grades = grade(prob, indep, contested, has_ev)
        return cls(
            evidence=ev,
            model=model,
            probability=prob,
            log_odds=log_odds,
            lower=p_lo,
            upper=p_hi,
            independent_confirmations=indep,
            grades=grades,
            flag_matrix=flags,
            has_evidence=has_ev,
        )

    # -- mapping interface -----------------------------------------------------

    @property
    def claim_ids(self) -> tuple[str, ...]:
        return self.evidence.compiled.claim_ids

    def __len__(self) -> int:
        return len(self.claim_ids)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self.evidence.compiled.claim_index

    def __iter__(self) -> Iterator[ClaimScore]:
        for i in range(len(self)):
            yield self._claim(i)

    def __getitem__(self, claim_id: str) -> ClaimScore:
        try:
            i = self.evidence.compiled.claim_index[claim_id]
        except KeyError:
            raise KeyError(f"no claim {claim_id!r} in this case") from None
        return self._claim(i)

    def __repr__(self) -> str:
        return f"<Scores: {len(self)} claims>"

    @property
    def sources(self) -> dict[str, float]:
        """Effective reliability of every source (before interest adjustments)."""
        cc = self.evidence.compiled
        return dict(zip(cc.source_ids, self.evidence.source_reliability.tolist()))

    def to_dict(self) -> dict[str, Any]:
        """The scored output of DESIGN.md section 8: ``claims`` and ``sources``."""
        return {
            "claims": [c.to_dict() for c in self],
            "sources": [{"id": k, "reliability": v} for k, v in self.sources.items()],
        }

    def _claim(self, i: int) -> ClaimScore:
        p = float(self.probability[i])
        return ClaimScore(
            id=self.claim_ids[i],
            probability=p,
            log_odds=float(self.log_odds[i]),
            interval=(float(self.lower[i]), float(self.upper[i])),
            grade=int(self.grades[i]),
            phrase=phrase(p),
            independent_confirmations=int(self.independent_confirmations[i]),
            flags=tuple(f for f, on in zip(FLAGS, self.flag_matrix[i].tolist()) if on),
            contributions=tuple(self._contributions(i)),
        )

    # -- contributions and explanations ---------------------------------------

    def _entries(self, i: int) -> npt.NDArray[np.int64]:
        ev = self.evidence
        sorted_claims = ev.claim[ev.plan.order]
        a, b = np.searchsorted(sorted_claims, [i, i + 1])
        return np.sort(ev.plan.order[a:b])

    def _incremental_effects(self, ranked: list[int]) -> list[float]:
        """What each entry adds to the pooled total when added in this order.

        Each tree node keeps the sum and the extreme of its children's pooled
        values; adding an entry updates the nodes on its path only, so a claim
        with n reports costs O(n x depth), not O(n^2). (Pooled values only grow
        in size as entries are added, so the running maximum stays exact.)
        """
        ev = self.evidence
        tree = ev.tree
        depth = tree.path.shape[1]
        # per node key (level, node): [S+, S-, M+, M-, children {child: (P, N)}]
        state: dict[tuple[int, int], list[Any]] = {}
        out: list[float] = []
        before = 0.0
        for k in ranked:
            path = tree.path[int(ev.position[k])].tolist()
            ell = float(ev.ell[k])
            child: Any = ("entry", k)
            value = (max(ell, 0.0), min(ell, 0.0))
            for d in range(depth, -1, -1):
                key = (d, path[d - 1] if d > 0 else -1)
                if d == depth:
                    r = 1.0
                elif d == 0:
                    r = 0.0
                else:
                    r = float(tree.dependence[path[d - 1]])
                node = state.setdefault(key, [0.0, 0.0, 0.0, 0.0, {}])
                old = node[4].get(child, (0.0, 0.0))
                node[4][child] = value
                node[0] += value[0] - old[0]
                node[1] += value[1] - old[1]
                node[2] = max(node[2], value[0])
                node[3] = min(node[3], value[1])
                if len(node[4]) > 1:  # (one child passes through unchanged)
                    pooled = pool_rule(np.array(node[:2]), np.array(node[2:4]), np.array(r))
                    value = (float(pooled[0]), float(pooled[1]))
                child = path[d - 1] if d > 0 else None
            after = value[0] + value[1]
            out.append(after - before)
            before = after
        return out

    def _contributions(self, i: int) -> list[Contribution]:
        ev = self.evidence
        cc = ev.compiled
        case = cc.case
        entries = self._entries(i).tolist()
        # Effects add up to the pooled total: reports are taken strongest first,
        # and each is credited with what it adds to those before it.
        ranked = sorted(
            entries,
            key=lambda k: (
                -abs(float(ev.ell[k])),
                bool(ev.implied[k]),  # a direct report before one via another claim
                cc.source_ids[int(ev.speaker[k])],
                int(ev.report[k]),
            ),
        )
        effects = dict(zip(ranked, self._incremental_effects(ranked)))
        out: list[Contribution] = []
        seen: set[int] = set()
        for k in ranked:
            rep = int(ev.report[k])
            seen.add(rep)
            r = case.reports[rep]
            effect = effects[k]
            notes = []
            if r.claim != self.claim_ids[i]:
                notes.append(f"via {r.claim!r}")
            if ev.interested[k]:
                notes.append("in the source's own interest")
            if r.cites is not None:
                notes.append(f"stands in for {r.cites!r}, who did not report")
            out.append(
                Contribution(
                    source=r.source,
                    claim=r.claim,
                    stance=r.stance.value,
                    raw=ev.neutral_ell(k),
                    adjusted=float(ev.ell[k]),
                    effect=float(effect),
                    note="; ".join(notes),
                )
            )
        kept = set(ev.kept.tolist())
        absorbed = dict(zip(ev.kept.tolist(), ev.absorbed.tolist()))
        for rep in np.flatnonzero(cc.report_claim == i).tolist():
            if rep in seen:
                continue
            r = case.reports[rep]
            if rep not in kept:
                note = "superseded by a later report of the same source, or after as_of"
            elif absorbed[rep]:
                note = f"cites {r.cites!r}, who reported on this claim itself: adds nothing"
            elif r.stance is Stance.RETRACTS:
                note = "retracted: the source's earlier report no longer counts"
            elif r.stance is Stance.NO_COMMENT:
                note = "no comment: carries no evidence"
            elif r.stance is Stance.OBSERVES:
                note = "observes that the claim is made, without endorsing it"
            else:
                note = "carries no evidence"
            out.append(Contribution(r.source, r.claim, r.stance.value, 0.0, 0.0, 0.0, note))
        return out

    def explain(self, claim_id: str) -> str:
        """A few plain sentences on why a claim scored what it did.

        Examples
        --------
        >>> from credscore import score
        >>> from credscore.examples import kursk
        >>> print(score(kursk()).explain("nk-30-casualties"))  # doctest: +ELLIPSIS
        nk-30-casualties: probability 0.69 (likely), 80% interval 0.6...-0.7..., grade 3 (possibly true).
        ...
        """
        s = self[claim_id]
        ev = self.evidence
        cc = ev.compiled
        i = cc.claim_index[claim_id]
        lo, hi = s.interval
        lines = [
            f"{claim_id}: probability {s.probability:.2f} ({s.phrase}), "
            f"{self.model.interval:.0%} interval {lo:.2f}-{hi:.2f}, "
            f"grade {s.grade} ({ADMIRALTY_CREDIBILITY[s.grade]})."
        ]
        prior = float(self.model.priors(cc)[i])
        moving = [c for c in s.contributions if c.adjusted != 0.0]
        if not moving:
            lines.append(f"No report carries evidence, so it stays at its prior {prior:.2f}.")
        else:
            lines.append(
                f"From a prior of {prior:.2f}, {s.independent_confirmations} independent "
                f"confirmation(s) moved the log-odds by {s.log_odds - float(np.log(prior / (1 - prior))):+.2f}:"
            )
            for c in sorted(moving, key=lambda c: -abs(c.effect)):
                extra = f" ({c.note})" if c.note else ""
                adj = (
                    f"{c.adjusted:+.2f}"
                    if abs(c.adjusted - c.raw) < 1e-12
                    else f"{c.adjusted:+.2f} instead of {c.raw:+.2f}"
                )
                lines.append(
                    f"  - {c.source} {c.stance}{extra}: evidence {adj}, "
                    f"{c.effect:+.2f} after pooling."
                )
        lines += self._dependence_sentences(i)
        silent = [c for c in s.contributions if c.adjusted == 0.0]
        for c in silent:
            lines.append(f"  - {c.source} {c.stance}: {c.note}.")
        if "self-serving" in s.flags:
            lines.append("Every confirmation comes from a party the claim serves.")
        if "circular" in s.flags:
            lines.append("All confirmations trace back to one origin.")
        if "contested" in s.flags:
            lines.append("A credible party, not denying in its own interest, denies it.")
        if "unacknowledged" in s.flags:
            harmed = ", ".join(cc.case.claims[i].harms)
            lines.append(f"Missing: no party the claim harms ({harmed}) has acknowledged it.")
        return "\n".join(lines)

    def _dependence_sentences(self, i: int) -> list[str]:
        ev = self.evidence
        tree = ev.tree
        entries = [k for k in self._entries(i).tolist() if ev.ell[k] > 0]
        positions = sorted({int(ev.position[k]) for k in entries})
        out = []
        names = ev.compiled.source_ids
        for x in range(len(positions)):
            for y in range(x + 1, len(positions)):
                pa = tree.path[positions[x]].tolist()
                pb = tree.path[positions[y]].tolist()
                shared = [a for a, b in zip(pa, pb) if a == b]
                if shared and tree.dependence[shared[-1]] > 0:
                    node = shared[-1]
                    out.append(
                        f"{names[positions[x]]} and {names[positions[y]]} were pooled as "
                        f"dependent: they share {tree.labels[node]} "
                        f"(dependence {tree.dependence[node]:.2f})."
                    )
        return out
