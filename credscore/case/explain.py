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
from credscore.case.parts import Report, Stance
from credscore.case.result import CONTRIBUTION_FIELDS, Contribution

__all__ = ["EvidenceBreakdown"]

FloatArray = npt.NDArray[np.float64]


@attrs.define(frozen=True, eq=False)
class EvidenceBreakdown:
    """Contributions and dependence notes of every claim, from the evidence of
    one scoring run."""

    ev: Evidence
    #: where each claim's entries start in the claim-sorted plan order
    _start: npt.NDArray[np.int64] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        ev = self.ev
        sorted_claims = ev.claim[ev.plan.order]
        bounds = np.arange(ev.compiled.n_claims + 1, dtype=np.int64)
        object.__setattr__(self, "_start", np.searchsorted(sorted_claims, bounds))

    def _entries(self, i: int) -> npt.NDArray[np.int64]:
        a, b = int(self._start[i]), int(self._start[i + 1])
        return np.sort(self.ev.plan.order[a:b])

    def _incremental_effects(self, ranked: npt.NDArray[np.int64]) -> FloatArray:
        """What each entry adds to the pooled total when added in this order.

        Each tree node keeps the sum and the extreme of its children's pooled
        values; adding an entry updates the nodes on its path only, so a claim
        with n reports costs O(n x depth), not O(n^2). (Pooled values only grow
        in size as entries are added, so the running maximum stays exact.)
        The pooling rule is :func:`~credscore.semantics.pool_rule`, on floats.
        """
        ev = self.ev
        tree = ev.tree
        depth = tree.path.shape[1]
        if depth == 1:
            return self._flat_effects(ranked)
        paths = tree.path[ev.position[ranked]].tolist()
        ells = ev.ell[ranked].tolist()
        dep = tree.dependence.tolist()
        # per node key (level, node): [S+, S-, M+, M-, children {child: (P, N)}]
        state: dict[tuple[int, int], list[Any]] = {}
        out: list[float] = []
        before = 0.0
        for k, path, ell in zip(ranked.tolist(), paths, ells):
            child: Any = ("entry", k)
            pos, neg = (ell, 0.0) if ell > 0.0 else (0.0, min(ell, 0.0))
            for d in range(depth, -1, -1):
                key = (d, path[d - 1] if d > 0 else -1)
                r = 1.0 if d == depth else 0.0 if d == 0 else dep[path[d - 1]]
                node = state.get(key)
                if node is None:
                    node = state[key] = [0.0, 0.0, 0.0, 0.0, {}]
                kids = node[4]
                old = kids.get(child, (0.0, 0.0))
                kids[child] = (pos, neg)
                node[0] += pos - old[0]
                node[1] += neg - old[1]
                if pos > node[2]:
                    node[2] = pos
                if neg < node[3]:
                    node[3] = neg
                if len(kids) > 1:  # (one child passes through unchanged)
                    if r >= 1.0:
                        pos, neg = node[2], node[3]
                    else:
                        pos = node[0] - r * (node[0] - node[2])
                        neg = node[1] - r * (node[1] - node[3])
                child = path[d - 1] if d > 0 else None
            after = pos + neg
            out.append(after - before)
            before = after
        return np.asarray(out, dtype=np.float64)

    def _flat_effects(self, ranked: npt.NDArray[np.int64]) -> FloatArray:
        """:meth:`_incremental_effects` when no source is in a group: the
        claim adds its sources up, and a source's several entries of one sign
        count as its strongest. Taken strongest first, an entry adds its whole
        value if it is its source's first of its sign, else nothing."""
        ev = self.ev
        ell = ev.ell[ranked]
        key = ev.position[ranked] * 2 + (ell < 0)
        _, first = np.unique(key, return_index=True)
        out = np.zeros(ranked.shape[0])
        out[first] = ell[first]
        return out

    def contributions(self, claim: int) -> list[Contribution]:
        """Every report bearing on the claim, strongest first."""
        cols = self.contribution_columns(claim)
        floats = ("raw", "adjusted", "effect")  # arrays: as Python floats
        fields = (cols[f].tolist() if f in floats else cols[f] for f in CONTRIBUTION_FIELDS)
        return list(map(Contribution, *fields))

    def contribution_columns(self, claim: int) -> dict[str, Any]:
        """:meth:`contributions` as one column per field of
        :class:`~credscore.case.result.Contribution`: lists of strings, float
        arrays for ``raw``, ``adjusted`` and ``effect`` (for writers that
        stream millions of them without making an object each)."""
        i = claim
        ev = self.ev
        cc = ev.compiled
        case = cc.case
        entries = self._entries(i)
        # Effects add up to the pooled total: reports are taken strongest first
        # (a direct report before one via another claim, then by source id and
        # report), and each is credited with what it adds to those before it.
        speakers, at = np.unique(ev.speaker[entries], return_inverse=True)
        names = [cc.source_ids[s] for s in speakers.tolist()]
        id_rank = np.empty(len(names), dtype=np.int64)
        id_rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        by_id = id_rank[at.reshape(-1)]
        ranked = entries[
            np.lexsort((ev.report[entries], by_id, ev.implied[entries], -np.abs(ev.ell[entries])))
        ]
        reports = ev.report[ranked].tolist()
        parts = list(map(case.reports.__getitem__, reports))
        own = cc.claim_ids[i]
        notes = [""] * len(parts)
        interested = ev.interested[ranked]
        rep_a = ev.report[ranked]
        special = np.flatnonzero(
            interested | (cc.report_claim[rep_a] != i) | (cc.report_cites[rep_a] >= 0)
        )
        for k in special.tolist():
            r = parts[k]
            why = []
            if r.claim != own:
                why.append(_via(r, float(ev.sign[ranked[k]])))
            if interested[k]:
                why.append("in the source's own interest")
            if r.cites is not None:
                why.append(f"stands in for {r.cites!r}, who did not report")
            notes[k] = "; ".join(why)
        cols: dict[str, Any] = {
            "source": [r.source for r in parts],
            "claim": [r.claim for r in parts],
            "stance": [r.stance.value for r in parts],
            "raw": ev.neutral_ells(ranked),
            "adjusted": ev.ell[ranked],
            "effect": self._incremental_effects(ranked),
            "note": notes,
        }
        silent = np.flatnonzero(cc.report_claim == i)
        silent = silent[~np.isin(silent, np.asarray(reports, dtype=np.int64))]
        if silent.shape[0]:
            by_report = np.argsort(ev.kept)
            kept, absorbed_of = ev.kept[by_report], ev.absorbed[by_report]
            if kept.shape[0]:
                at_k = np.minimum(np.searchsorted(kept, silent), kept.shape[0] - 1)
                is_kept = kept[at_k] == silent
                absorbed = is_kept & absorbed_of[at_k]
            else:  # every report is after as_of
                is_kept = absorbed = np.zeros(silent.shape[0], dtype=bool)
            quiet = [case.reports[rep] for rep in silent.tolist()]
            cols["source"] += [r.source for r in quiet]
            cols["claim"] += [r.claim for r in quiet]
            cols["stance"] += [r.stance.value for r in quiet]
            for f in ("raw", "adjusted", "effect"):
                cols[f] = np.concatenate([cols[f], np.zeros(len(quiet))])
            cols["note"] += [
                _silent_note(r, k, a)
                for r, k, a in zip(quiet, is_kept.tolist(), absorbed.tolist())
            ]
        return cols

    def notes(self, claim: int, *, names_shown: int = 5) -> list[str]:
        """Which confirming sources were pooled as dependent, and why: one
        sentence per dependent group that joins confirmations from two or
        more of its branches (at most ``names_shown`` names each, then a
        count). Time is linear in the confirming sources times the depth of
        the tree: no pair of sources is looked at."""
        ev = self.ev
        tree = ev.tree
        entries = self._entries(claim)
        pos = np.unique(ev.position[entries[ev.ell[entries] > 0]])
        if pos.shape[0] < 2:
            return []
        paths = tree.path[pos]
        names = ev.compiled.source_ids
        found: list[tuple[int, int, str]] = []  # (depth, first member, sentence)
        for d in range(paths.shape[1] - 1):
            node = paths[:, d]
            inner = node >= tree.n_sources
            if not inner.any():
                continue
            rows = np.flatnonzero(inner & (tree.dependence[np.maximum(node, 0)] > 0))
            if rows.shape[0] < 2:
                continue
            branches = np.unique(np.stack([node[rows], paths[rows, d + 1]]), axis=1)
            groups, n_branches = np.unique(branches[0], return_counts=True)
            for g in groups[n_branches >= 2].tolist():
                members = pos[rows[node[rows] == g]]
                who = [names[int(m)] for m in members[:names_shown]]
                rest = members.shape[0] - len(who)
                listed = (
                    ", ".join(who[:-1]) + " and " + who[-1]
                    if rest == 0
                    else ", ".join(who) + f" and {rest:,} other source" + ("s" if rest > 1 else "")
                )
                found.append(
                    (
                        d,
                        int(members[0]),
                        f"{listed} were pooled as dependent: they share {tree.labels[g]} "
                        f"(dependence {tree.dependence[g]:.2f}).",
                    )
                )
        return [text for _, _, text in sorted(found)]


def _silent_note(r: Report, kept: bool, absorbed: bool) -> str:
    """Why a report on the claim carries no evidence."""
    if not kept:
        return "superseded by another report of the same source, or after as_of"
    if absorbed:
        return f"cites {r.cites!r}, who reported on this claim itself: adds nothing"
    if r.stance is Stance.RETRACTS:
        return "retracted: the source's earlier report no longer counts"
    if r.stance is Stance.NO_COMMENT:
        return "no comment: carries no evidence"
    if r.stance is Stance.OBSERVES:
        return "observes that the claim is made, without endorsing it"
    return "carries no evidence"


def _via(report: Report, sign: float) -> str:
    """How a report on another claim bears on this one, by the link that
    carried it: a confirmation of a claim implying this one, of a claim
    contradicting it (it counts against), or a denial of a claim this one
    implies."""
    other = repr(report.claim)
    if report.stance is Stance.DENIES:
        return f"via {other}, which this claim implies: it counts against"
    if sign < 0:
        return f"via {other}, which contradicts this claim: it counts against"
    return f"via {other}, which implies this claim"
