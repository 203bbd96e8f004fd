"""Compile a :class:`~credscore.case.model.Case` into integer-indexed numpy arrays.

The compiled form is model independent: ids to indices, the affiliation
groups each source belongs to, per-report arrays (source, claim, stance,
time, weight, cited source), which claims each report's source has an
interest in, and the transitive closure of ``implies`` links. Models turn it
into evidence; results map back to ids at the end.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.case.model import Case, Stance, parse_time
from credscore.semantics import STANCE_CODES

__all__ = ["STANCE_CODE", "CompiledCase", "compile_case"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Integer code of each stance in compiled arrays.
STANCE_CODE: dict[Stance, int] = {s: STANCE_CODES[s.value] for s in Stance}

_EPOCH = datetime(1970, 1, 1)
_VALUE = operator.attrgetter("_value_")
_STANCE_CODE_OF = {s.value: code for s, code in STANCE_CODE.items()}


def timestamp(value: str | datetime) -> float:
    """Seconds since 1970-01-01 UTC of an ISO 8601 string or datetime."""
    return (parse_time(value) - _EPOCH).total_seconds()


def _csr(rows: Sequence[Sequence[int]]) -> tuple[IntArray, IntArray]:
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)))
    idx = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=int(ptr[-1]))
    return ptr, idx


def csr_gather(ptr: IntArray, idx: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """For each ``rows[k]``, the entries of that CSR row: returns (k, entry) pairs."""
    if idx.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    start = ptr[rows]
    counts = ptr[rows + 1] - start
    if counts.max(initial=0) <= 1:
        # Rows of at most one entry (a claim with one benefited party, say):
        # no repeat needed.
        owner = np.flatnonzero(counts)
        return owner, idx[start[owner]]
    total = int(counts.sum())
    owner = np.repeat(np.arange(rows.shape[0], dtype=np.int64), counts)
    if total == 0:
        return owner, np.zeros(0, dtype=np.int64)
    first = np.repeat(ptr[rows] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return owner, idx[first + np.arange(total, dtype=np.int64)]


@attrs.define(frozen=True, eq=False)
class CompiledCase:
    """Arrays compiled from a case (see the module docstring)."""

    case: Case
    source_ids: tuple[str, ...]
    claim_ids: tuple[str, ...]
    group_ids: tuple[str, ...]
    source_index: dict[str, int]
    claim_index: dict[str, int]
    group_index: dict[str, int]
    #: per source: probability from the case (NaN: cannot be judged)
    source_reliability: FloatArray
    #: per group: depth (1 = top level) and declared dependence (NaN: not declared)
    group_depth: IntArray
    group_dependence: FloatArray
    #: CSR: groups of each source, shortest prefix first
    source_groups_ptr: IntArray
    source_groups: IntArray
    #: (n_sources, max depth) group of each source at each depth, -1 past its own
    source_group_at_depth: IntArray
    #: CSR: groups each claim benefits / harms (only groups that exist)
    benefits_ptr: IntArray
    benefits: IntArray
    harms_ptr: IntArray
    harms: IntArray
    #: per claim: prior (NaN: model default), and whether it names any harmed party
    claim_prior: FloatArray
    claim_has_harms: BoolArray
    #: CSR: strict descendants / ancestors of each claim under ``implies``
    desc_ptr: IntArray
    desc: IntArray
    anc_ptr: IntArray
    anc: IntArray
    #: CSR: claims each claim contradicts (symmetric)
    contra_ptr: IntArray
    contra: IntArray
    #: declared source dependence links: (a, b, r)
    link_a: IntArray
    link_b: IntArray
    link_r: FloatArray
    #: per report
    report_source: IntArray
    report_claim: IntArray
    report_stance: npt.NDArray[np.int8]
    report_time: FloatArray
    report_weight: FloatArray
    report_cites: IntArray

    @property
    def n_sources(self) -> int:
        return len(self.source_ids)

    @property
    def n_claims(self) -> int:
        return len(self.claim_ids)

    @property
    def n_groups(self) -> int:
        return len(self.group_ids)

    @property
    def n_reports(self) -> int:
        return int(self.report_source.shape[0])

    def _member(
        self, source: IntArray, ptr: IntArray, groups: IntArray, claim: IntArray
    ) -> BoolArray:
        # A source is under group g when its own group at g's depth is g.
        owner, g = csr_gather(ptr, groups, claim)
        if g.shape[0] == 0:
            return np.zeros(source.shape[0], dtype=bool)
        hit = self.source_group_at_depth[source[owner], self.group_depth[g] - 1] == g
        return np.bincount(owner[hit], minlength=source.shape[0]) > 0

    def interest(self, source: IntArray, claim: IntArray) -> tuple[BoolArray, BoolArray]:
        """For (source, claim) pairs: is the claim in the source's interest
        (self-serving), against it, as a pair of boolean arrays. A source under
        both a benefited and a harmed prefix counts as neither."""
        source = np.asarray(source, dtype=np.int64)
        claim = np.asarray(claim, dtype=np.int64)
        serves = self._member(source, self.benefits_ptr, self.benefits, claim)
        hurts = self._member(source, self.harms_ptr, self.harms, claim)
        return serves & ~hurts, hurts & ~serves


def compile_case(case: Case) -> CompiledCase:
    """Compile a case into arrays (done once; every model works on the result).

    Examples
    --------
    >>> from credscore.examples import kursk
    >>> cc = compile_case(kursk())
    >>> cc.n_sources, cc.n_claims, cc.n_reports
    (7, 6, 8)
    >>> [cc.claim_ids[int(i)] for i in cc.desc[cc.desc_ptr[1]:cc.desc_ptr[2]]]
    ['nk-casualties', 'nk-deployed']
    """
    source_ids = tuple(s.id for s in case.sources)
    claim_ids = tuple(c.id for c in case.claims)
    sidx = {s: i for i, s in enumerate(source_ids)}
    cidx = {c: i for i, c in enumerate(claim_ids)}

    groups: dict[str, int] = {}
    for s in case.sources:
        for g in s.groups:
            groups.setdefault(g, len(groups))
    for g_decl in case.groups:
        groups.setdefault(g_decl.id, len(groups))
    group_ids = tuple(groups)
    n_groups = len(group_ids)
    group_depth = np.array([g.count("/") + 1 for g in group_ids], dtype=np.int64)
    group_dependence = np.full(n_groups, np.nan)
    for g_decl in case.groups:
        group_dependence[groups[g_decl.id]] = g_decl.dependence

    src_groups = [[groups[g] for g in s.groups] for s in case.sources]
    sg_ptr, sg = _csr(src_groups)
    max_depth = max([len(gs) for gs in src_groups] + [int(group_depth.max(initial=1))])
    at_depth = np.full((len(source_ids), max_depth), -1, dtype=np.int64)
    for i, gs in enumerate(src_groups):
        at_depth[i, : len(gs)] = gs

    b_ptr, b = _csr(
        [[groups[g] for g in c.benefits if g in groups] if c.benefits else [] for c in case.claims]
    )
    h_ptr, h = _csr(
        [[groups[g] for g in c.harms if g in groups] if c.harms else [] for c in case.claims]
    )
    prior = np.array([np.nan if c.prior is None else c.prior for c in case.claims])
    has_harms = np.array([bool(c.harms) for c in case.claims], dtype=bool)

    rel = np.array(
        [np.nan if s.probability is None else s.probability for s in case.sources],
        dtype=np.float64,
    )

    return CompiledCase(
        case=case,
        source_ids=source_ids,
        claim_ids=claim_ids,
        group_ids=group_ids,
        source_index=sidx,
        claim_index=cidx,
        group_index=groups,
        source_reliability=rel,
        group_depth=group_depth,
        group_dependence=group_dependence,
        source_groups_ptr=sg_ptr,
        source_groups=sg,
        source_group_at_depth=at_depth,
        benefits_ptr=b_ptr,
        benefits=b,
        harms_ptr=h_ptr,
        harms=h,
        claim_prior=prior,
        claim_has_harms=has_harms,
        **_compile_links(case, sidx, cidx),
        **_compile_reports(case, sidx, cidx),
    )


def _compile_links(
    case: Case, sidx: dict[str, int], cidx: dict[str, int]
) -> dict[str, npt.NDArray[Any]]:
    """The links of a case as arrays: the closure of ``implies`` both ways,
    ``contradicts`` both ways, and the declared dependences between sources."""
    claim_ids = cidx
    children: list[list[int]] = [[] for _ in claim_ids]
    parents: list[list[int]] = [[] for _ in claim_ids]
    contra: list[set[int]] = [set() for _ in claim_ids]
    la: list[int] = []
    lb: list[int] = []
    lr: list[float] = []
    for link in case.links:
        if link.kind == "implies":
            children[cidx[link.source]].append(cidx[link.target])
            parents[cidx[link.target]].append(cidx[link.source])
        elif link.kind == "contradicts":
            a, b2 = cidx[link.source], cidx[link.target]
            contra[a].add(b2)
            contra[b2].add(a)
        else:
            la.append(sidx[link.source])
            lb.append(sidx[link.target])
            lr.append(float(link.dependence if link.dependence is not None else 1.0))
    desc_ptr, desc = _csr(_closure(children))
    anc_ptr, anc = _csr(_closure(parents))
    contra_ptr, contra_idx = _csr([sorted(s) for s in contra])
    return {
        "desc_ptr": desc_ptr,
        "desc": desc,
        "anc_ptr": anc_ptr,
        "anc": anc,
        "contra_ptr": contra_ptr,
        "contra": contra_idx,
        "link_a": np.array(la, dtype=np.int64),
        "link_b": np.array(lb, dtype=np.int64),
        "link_r": np.array(lr, dtype=np.float64),
    }


def _compile_reports(
    case: Case, sidx: dict[str, int], cidx: dict[str, int]
) -> dict[str, npt.NDArray[Any]]:
    """The reports of a case as columns of integer codes, times and weights."""
    reports = case.reports
    n = len(reports)
    # Column-wise extraction with C-level map: a case may hold millions of reports.
    get = operator.attrgetter
    r_src, r_clm, r_w, r_cites = (
        map(get(f), reports) for f in ("source", "claim", "weight", "cites")
    )
    r_st = map(_VALUE, map(get("stance"), reports))
    r_time: list[str | None] = list(map(get("time"), reports))
    times: dict[str | None, float] = {t: timestamp(t) for t in set(r_time) if t is not None}
    times[None] = -math.inf
    cites_idx: dict[str | None, int] = {None: -1}
    cites_idx.update(sidx)
    return {
        "report_source": np.fromiter(map(sidx.__getitem__, r_src), np.int64, n),
        "report_claim": np.fromiter(map(cidx.__getitem__, r_clm), np.int64, n),
        "report_stance": np.fromiter(map(_STANCE_CODE_OF.__getitem__, r_st), np.int8, n),
        "report_time": np.fromiter(map(times.__getitem__, r_time), np.float64, n),
        "report_weight": np.fromiter(r_w, np.float64, n),
        "report_cites": np.fromiter(map(cites_idx.__getitem__, r_cites), np.int64, n),
    }


def _closure(edges: list[list[int]]) -> list[list[int]]:
    """Strict transitive closure of a DAG given as adjacency lists (sorted)."""
    memo: dict[int, set[int]] = {}

    def reach(u: int) -> set[int]:
        if u in memo:
            return memo[u]
        out: set[int] = set()
        stack = list(edges[u])
        while stack:
            v = stack.pop()
            if v in out:
                continue
            out.add(v)
            if v in memo:
                out |= memo[v]
            else:
                stack.extend(edges[v])
        memo[u] = out
        return out

    return [sorted(reach(u)) if edges[u] else [] for u in range(len(edges))]
