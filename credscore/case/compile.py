"""Compile a :class:`~credscore.case.model.Case` into integer-indexed numpy arrays.

The compiled form is model independent: ids to indices, the affiliation
groups each source belongs to, per-report arrays (source, claim, stance,
time, weight, cited source), which claims each report's source has an
interest in, and the ``implies`` links with a topological order. Models turn
it into evidence; results map back to ids at the end.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any, overload

import attrs
import numpy as np
import numpy.typing as npt

from credscore._gc import paused_gc
from credscore.case.model import Case, Stance, parse_time
from credscore.case.parts import ADMIRALTY_RELIABILITY
from credscore.semantics import STANCE_CODES

__all__ = ["STANCE_CODE", "CompiledCase", "compile_case"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Integer code of each stance in compiled arrays.
STANCE_CODE: dict[Stance, int] = {s: STANCE_CODES[s.value] for s in Stance}

_EPOCH = datetime(1970, 1, 1)


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


def _reach(ptr: IntArray, idx: IntArray, starts: IntArray) -> tuple[IntArray, IntArray]:
    """(k, node) for every node reachable from ``starts[k]`` in one or more
    steps along the CSR graph (ptr, idx), each pair once."""
    starts = np.asarray(starts, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if idx.shape[0] == 0 or starts.shape[0] == 0:
        return empty, empty
    has_out = ptr[starts + 1] > ptr[starts]
    if not has_out.any():
        return empty, empty
    uniq, inverse = np.unique(starts[has_out], return_inverse=True)
    ptr_l = ptr.tolist()
    idx_l = idx.tolist()
    rows: list[list[int]] = []
    for u in uniq.tolist():
        seen: set[int] = set()
        out: list[int] = []
        stack = idx_l[ptr_l[u] : ptr_l[u + 1]]
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            out.append(v)
            stack.extend(idx_l[ptr_l[v] : ptr_l[v + 1]])
        out.sort()
        rows.append(out)
    r_ptr, r_idx = _csr(rows)
    owner, node = csr_gather(r_ptr, r_idx, inverse)
    return np.flatnonzero(has_out)[owner], node


@attrs.define(frozen=True, eq=False)
class CompiledCase:
    """Arrays compiled from a case: what a scoring model reads (see the
    module docstring).

    The attributes documented here are the stable interface: ids and their
    index maps, per-source, per-group, per-claim and per-report arrays, and
    :meth:`descendants`, :meth:`ancestors` and :meth:`interest` for the
    links and interests. The compressed layouts behind those three methods
    (``implies_ptr``, ``benefits_ptr``, ``group_at_depth``, ...) are
    internal and may change.
    """

    case: Case
    source_ids: tuple[str, ...]
    claim_ids: tuple[str, ...]
    group_ids: GroupPaths
    source_index: dict[str, int]
    claim_index: dict[str, int]
    #: per source: probability from the case (NaN: cannot be judged)
    source_reliability: FloatArray
    #: per group: parent group (-1: top level), depth (1 = top level) and
    #: declared dependence (NaN: not declared)
    group_parent: IntArray
    group_depth: IntArray
    group_dependence: FloatArray
    #: per source: its deepest group (-1: no affiliation)
    source_group: IntArray
    # (distinct affiliations + 1, max depth): the group at each depth of each
    # distinct affiliation, -1 past its end (the last row: no affiliation)
    group_at_depth: IntArray
    # per source: its row of ``group_at_depth``
    source_depth_row: IntArray
    # CSR: groups each claim benefits / harms (only groups that exist)
    benefits_ptr: IntArray
    benefits: IntArray
    harms_ptr: IntArray
    harms: IntArray
    #: per claim: prior (NaN: model default), and whether it names any harmed party
    claim_prior: FloatArray
    claim_has_harms: BoolArray
    # CSR: the claims each claim implies directly, and those implying it directly
    implies_ptr: IntArray
    implies: IntArray
    implied_by_ptr: IntArray
    implied_by: IntArray
    # the claims joined by ``implies``, each after every claim implying it
    implies_order: IntArray
    # CSR: claims each claim contradicts (symmetric)
    contra_ptr: IntArray
    contra: IntArray
    # declared source dependence links: (a, b, r)
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

    def descendants(self, claims: IntArray) -> tuple[IntArray, IntArray]:
        """Every claim implied by ``claims[k]``, directly or through a chain:
        (k, claim) pairs, each once. Time and memory are proportional to the
        pairs returned (a depth-first walk per distinct starting claim)."""
        return _reach(self.implies_ptr, self.implies, claims)

    def ancestors(self, claims: IntArray) -> tuple[IntArray, IntArray]:
        """Every claim implying ``claims[k]``, directly or through a chain:
        (k, claim) pairs, each once (see :meth:`descendants`)."""
        return _reach(self.implied_by_ptr, self.implied_by, claims)

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
        row = self.source_depth_row[source[owner]]
        hit = self.group_at_depth[row, self.group_depth[g] - 1] == g
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

    Time and memory are linear in the size of the case: an affiliation path
    is walked once per distinct path, and ``implies`` links are stored as
    edges, not as their transitive closure (see :meth:`CompiledCase.descendants`).

    Examples
    --------
    >>> from credscore.examples import kursk
    >>> cc = compile_case(kursk())
    >>> cc.n_sources, cc.n_claims, cc.n_reports
    (7, 6, 8)
    >>> owner, claim = cc.descendants(np.array([cc.claim_index["nk-30-casualties"]]))
    >>> [cc.claim_ids[int(i)] for i in claim]
    ['nk-casualties', 'nk-deployed']
    """
    with paused_gc():  # millions of small acyclic objects (see credscore._gc)
        return _compile(case)


def _compile(case: Case) -> CompiledCase:
    get = operator.attrgetter
    source_ids = tuple(map(get("id"), case.sources))
    claim_ids = tuple(map(get("id"), case.claims))
    sidx = dict(zip(source_ids, range(len(source_ids))))
    cidx = dict(zip(claim_ids, range(len(claim_ids))))

    paths = GroupPaths()
    leaf_of: dict[str, int] = {}
    source_group = np.full(len(source_ids), -1, dtype=np.int64)
    affiliations: list[str | None] = list(map(get("affiliation"), case.sources))
    if affiliations.count(None) != len(affiliations):
        for i, aff in enumerate(affiliations):
            if aff is not None:
                g = leaf_of.get(aff)
                if g is None:
                    g = leaf_of[aff] = paths.add(aff)
                source_group[i] = g
    for g_decl in case.groups:
        paths.add(g_decl.id)
    n_groups = len(paths)
    group_parent = np.asarray(paths.parent, dtype=np.int64)
    group_depth = np.asarray(paths.depth, dtype=np.int64)
    group_dependence = np.full(n_groups, np.nan)
    for g_decl in case.groups:
        group_dependence[paths.index(g_decl.id)] = g_decl.dependence

    # The group at each depth above every distinct deepest group (one row per
    # distinct affiliation, not per source), for membership tests.
    leaves = sorted(set(leaf_of.values()))
    max_depth = int(group_depth.max(initial=1))
    at_depth = np.full((len(leaves) + 1, max_depth), -1, dtype=np.int64)
    row_of = np.full(n_groups + 1, len(leaves), dtype=np.int64)  # -1 -> the empty row
    for r, g in enumerate(leaves):
        chain = paths.chain(g)
        at_depth[r, : len(chain)] = chain
        row_of[g] = r

    b_ptr, b = _csr([_found(paths, c.benefits) for c in case.claims])
    h_ptr, h = _csr([_found(paths, c.harms) for c in case.claims])
    prior = np.array([np.nan if c.prior is None else c.prior for c in case.claims])
    has_harms = np.array([bool(c.harms) for c in case.claims], dtype=bool)

    # Reliability as a probability: letters through the Admiralty table (F:
    # cannot be judged, NaN), numbers as they are, None as NaN.
    letter_p: dict[Any, float] = {
        k: math.nan if v is None else v for k, v in ADMIRALTY_RELIABILITY.items()
    }
    letter_p[None] = math.nan
    given = list(map(get("reliability"), case.sources))
    rel = np.fromiter(
        map(letter_p.get, given, given),  # a letter's probability, or the number
        dtype=np.float64,
        count=len(source_ids),
    )

    return CompiledCase(
        case=case,
        source_ids=source_ids,
        claim_ids=claim_ids,
        group_ids=paths,
        source_index=sidx,
        claim_index=cidx,
        source_reliability=rel,
        group_parent=group_parent,
        group_depth=group_depth,
        group_dependence=group_dependence,
        source_group=source_group,
        group_at_depth=at_depth,
        source_depth_row=row_of[source_group],
        benefits_ptr=b_ptr,
        benefits=b,
        harms_ptr=h_ptr,
        harms=h,
        claim_prior=prior,
        claim_has_harms=has_harms,
        **_compile_links(case, sidx, cidx),
        **_compile_reports(case, sidx, cidx),
    )


def _found(paths: GroupPaths, prefixes: Sequence[str]) -> list[int]:
    """The groups among ``prefixes`` that exist (in order, without repeats)."""
    out: list[int] = []
    for p in prefixes:
        g = paths.index(p)
        if g is not None and g not in out:
            out.append(g)
    return out


class GroupPaths(Sequence[str]):
    """The affiliation groups of a case, as a tree of path segments.

    ``paths[g]`` is group g's path (``"us/gov/dod"``), built on access, so a
    case with affiliations 10,000 levels deep does not hold every prefix as a
    string; :meth:`index` finds a path's group by walking its segments.

    Examples
    --------
    >>> paths = GroupPaths()
    >>> g = paths.add("us/gov/dod")
    >>> paths[g], list(paths), paths.index("us/gov"), paths.index("us/go")
    ('us/gov/dod', ['us', 'us/gov', 'us/gov/dod'], 1, None)
    """

    def __init__(self) -> None:
        self.parent: list[int] = []  # -1: top level
        self.segment: list[str] = []
        self.depth: list[int] = []  # 1: top level
        self._child: dict[tuple[int, str], int] = {}

    def add(self, path: str) -> int:
        """The group of ``path``, created with its missing prefixes."""
        g = -1
        for seg in path.split("/"):
            nxt = self._child.get((g, seg))
            if nxt is None:
                nxt = self._child[(g, seg)] = len(self.parent)
                self.depth.append(self.depth[g] + 1 if g >= 0 else 1)
                self.parent.append(g)
                self.segment.append(seg)
            g = nxt
        return g

    def index(self, path: str) -> int | None:  # type: ignore[override]
        """The group of ``path``, None when no group has it."""
        g = -1
        for seg in path.split("/"):
            nxt = self._child.get((g, seg))
            if nxt is None:
                return None
            g = nxt
        return g

    def chain(self, g: int) -> list[int]:
        """Group g and its ancestors, top level first."""
        out = []
        while g >= 0:
            out.append(g)
            g = self.parent[g]
        return out[::-1]

    def __len__(self) -> int:
        return len(self.parent)

    @overload
    def __getitem__(self, g: int) -> str: ...
    @overload
    def __getitem__(self, g: slice) -> Sequence[str]: ...
    def __getitem__(self, g: int | slice) -> str | Sequence[str]:
        if isinstance(g, slice):
            return [self[i] for i in range(len(self))[g]]
        g = range(len(self))[g]  # negative indices, and IndexError
        return "/".join(self.segment[k] for k in self.chain(g))

    def __repr__(self) -> str:
        return f"<GroupPaths: {len(self)} groups>"


def _compile_links(case: Case, sidx: dict[str, int], cidx: dict[str, int]) -> dict[str, Any]:
    """The links of a case as arrays: ``implies`` edges both ways with a
    topological order of the claims they join, ``contradicts`` both ways,
    and the declared dependences between sources."""
    children: list[list[int]] = [[] for _ in cidx]
    parents: list[list[int]] = [[] for _ in cidx]
    contra: list[set[int]] = [set() for _ in cidx]
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
    implies_ptr, implies = _csr([sorted(set(c)) for c in children])
    implied_by_ptr, implied_by = _csr([sorted(set(p)) for p in parents])
    contra_ptr, contra_idx = _csr([sorted(s) for s in contra])
    return {
        "implies_ptr": implies_ptr,
        "implies": implies,
        "implied_by_ptr": implied_by_ptr,
        "implied_by": implied_by,
        "implies_order": _topological(children, parents),
        "contra_ptr": contra_ptr,
        "contra": contra_idx,
        "link_a": np.array(la, dtype=np.int64),
        "link_b": np.array(lb, dtype=np.int64),
        "link_r": np.array(lr, dtype=np.float64),
    }


def _topological(children: list[list[int]], parents: list[list[int]]) -> IntArray:
    """The claims joined by ``implies`` links, every claim after those implying
    it (Kahn's algorithm; the case has no cycle, :class:`Case` checks)."""
    waiting = [len(set(p)) for p in parents]
    ready = [u for u in range(len(children)) if children[u] and not waiting[u]]
    out: list[int] = []
    while ready:
        u = ready.pop()
        out.append(u)
        for v in sorted(set(children[u])):
            waiting[v] -= 1
            if not waiting[v]:
                ready.append(v)
    return np.asarray(out, dtype=np.int64)


def _compile_reports(
    case: Case, sidx: dict[str, int], cidx: dict[str, int]
) -> dict[str, npt.NDArray[Any]]:
    """The reports of a case as columns of integer codes, times and weights."""
    reports = case.reports
    n = len(reports)
    # Column-wise extraction with C-level map: a case may hold millions of reports.
    get = operator.attrgetter
    r_src, r_clm, r_w = (map(get(f), reports) for f in ("source", "claim", "weight"))
    r_st = map(get("stance"), reports)
    r_time: list[str | None] = list(map(get("time"), reports))
    r_cites: list[str | None] = list(map(get("cites"), reports))
    distinct_times = set(r_time)
    if distinct_times <= {None}:  # no report is dated
        time_a = np.full(n, -math.inf)
    else:
        times = {t: timestamp(t) for t in distinct_times if t is not None}
        times[None] = -math.inf  # type: ignore[index]
        time_a = np.fromiter(map(times.__getitem__, r_time), np.float64, n)  # type: ignore[arg-type]
    if r_cites.count(None) == n:  # nobody cites anybody
        cites_a = np.full(n, -1, dtype=np.int64)
    else:
        cites_idx: dict[str | None, int] = {None: -1}
        cites_idx.update(sidx)
        cites_a = np.fromiter(map(cites_idx.__getitem__, r_cites), np.int64, n)
    return {
        "report_source": np.fromiter(map(sidx.__getitem__, r_src), np.int64, n),
        "report_claim": np.fromiter(map(cidx.__getitem__, r_clm), np.int64, n),
        "report_stance": np.fromiter(map(STANCE_CODE.__getitem__, r_st), np.int8, n),
        "report_time": time_a,
        "report_weight": np.fromiter(r_w, np.float64, n),
        "report_cites": cites_a,
    }
