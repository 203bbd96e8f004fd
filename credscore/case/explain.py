"""The breakdown of a corroboration score: what each report added, and why.

:class:`EvidenceBreakdown` is the :class:`~credscore.case.result.Breakdown`
that :class:`~credscore.case.score.CorroborationModel` hands to its
:class:`~credscore.case.result.Scores`: the contributions of a claim's
reports (effects that add up to its log-odds) and the sentences on which
sources were pooled as dependent.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.case.evidence import Evidence
from credscore.case.parts import Stance
from credscore.case.result import Contribution
from credscore.semantics import pool_rule

__all__ = ["EvidenceBreakdown"]


@attrs.define(frozen=True, eq=False)
class EvidenceBreakdown:
    """Contributions and dependence notes of every claim, from the evidence of
    one scoring run."""

    ev: Evidence

    def _entries(self, i: int) -> npt.NDArray[np.int64]:
        ev = self.ev
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
        ev = self.ev
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

    def contributions(self, claim: int) -> list[Contribution]:
        """Every report bearing on the claim, strongest first."""
        i = claim
        ev = self.ev
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
            if r.claim != cc.claim_ids[i]:
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

    def notes(self, claim: int) -> list[str]:
        """Which pairs of confirming sources were pooled as dependent, and why."""
        i = claim
        ev = self.ev
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
