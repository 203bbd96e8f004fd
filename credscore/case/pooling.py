"""The dependence tree and the pooling kernel of the corroboration model.

Sources are the leaves of a tree whose inner nodes are affiliation groups
(``us`` above ``us/gov`` above ``us/gov/dod``) and virtual groups made by
``depends`` links. Each node has a dependence r in [0, 1]. Evidence is pooled
bottom-up: at a node, the positive parts of its children are combined as
``r * max + (1 - r) * sum`` and the negative parts as ``r * min + (1 - r) * sum``;
the root adds its children (independent clusters) up.

Arrays, not objects: every source has a path of node ids from the top of the
tree to its leaf, padded to one depth by repeating the leaf, so one sort of
the evidence by (claim, leaf order) makes every group contiguous at every
level, and a level of pooling is two ``ufunc.reduceat`` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import attrs
import numpy as np
import numpy.typing as npt

from credscore.semantics import pool_rule

__all__ = ["PoolPlan", "Tree", "build_tree", "make_plan", "pool"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

ROOT = -1


@attrs.define(frozen=True, eq=False)
class Tree:
    """The pooling tree. Nodes ``0..n_sources-1`` are the sources' leaves."""

    n_sources: int
    #: (n_sources, depth) node ids from the top to the leaf, leaf repeated as padding
    path: IntArray
    #: per node: dependence r (leaves: 1, for several reports of one source)
    dependence: FloatArray
    #: per node: level in ``path`` (0 = top)
    level: IntArray
    #: per node: parent node (ROOT = -1)
    parent: IntArray
    #: per node: whether its dependence is uncertain (spread in intervals)
    uncertain: BoolArray
    #: per source: the top-most node on its path with r > 0 (its cluster)
    cluster: IntArray
    #: per source: position in depth-first order of the tree
    rank: IntArray
    #: per node: a label for explanations ("us/gov", "source:gur", "link:a+b")
    labels: Sequence[str]

    @property
    def n_nodes(self) -> int:
        return int(self.dependence.shape[0])


def build_tree(
    source_ids: Sequence[str],
    source_group: IntArray,
    group_parent: IntArray,
    group_ids: Sequence[str],
    group_dependence: FloatArray,
    links: Sequence[tuple[int, int, float]] = (),
) -> Tree:
    """Build the pooling tree.

    Parameters
    ----------
    source_ids : sequence of str
    source_group : per source, its deepest group (-1: none)
    group_parent : per group, the group above it (-1: top level)
    group_ids : group labels (paths)
    group_dependence : resolved dependence of every group
    links : (source a, source b, r) dependence links; each joins, under the
        lowest group the two sources share, the two subtrees holding them
        into a virtual group of dependence r (the largest r when several
        links join the same subtrees).

    Time is linear in the number of sources plus the total depth of the
    distinct groups sources sit in (each such path is walked once).
    """
    n_s = len(source_ids)
    gp = np.asarray(group_parent, dtype=np.int64)
    sg = np.asarray(source_group, dtype=np.int64)
    parent_a = np.concatenate(
        [np.where(sg >= 0, sg + n_s, ROOT), np.where(gp >= 0, gp + n_s, ROOT)]
    )
    parent: list[int] = parent_a.tolist()
    dep: list[float] = [1.0] * n_s + [float(x) for x in group_dependence]
    uncertain = [False] * n_s + [0.0 < float(x) < 1.0 for x in group_dependence]
    link_labels: list[str] = []

    def chain(node: int) -> list[int]:
        out = [node]
        while parent[out[-1]] != ROOT:
            out.append(parent[out[-1]])
        return out[::-1]

    labels = _Labels(source_ids, group_ids, link_labels)
    # Links: group by lowest common ancestor (computed on the affiliation tree
    # alone, so the result does not depend on the order of the links).
    by_lca: dict[int, list[tuple[int, int, float]]] = {}
    for a, b, r in links:
        if r <= 0 or a == b:
            continue
        pa, pb = chain(a), chain(b)
        k = 0
        while k < min(len(pa), len(pb)) and pa[k] == pb[k]:
            k += 1
        lca = pa[k - 1] if k > 0 else ROOT
        by_lca.setdefault(lca, []).append((pa[k], pb[k], float(r)))
    for lca in sorted(by_lca):
        members = _components(by_lca[lca])
        for comp, r_max in members:
            v = len(parent)
            parent.append(lca)
            dep.append(r_max)
            uncertain.append(0.0 < r_max < 1.0)
            link_labels.append("link:" + "+".join(sorted(labels[c] for c in comp)))
            for c in comp:
                parent[c] = v

    # Sources hang under few distinct nodes: walk each such node's path once.
    dep_a = np.asarray(dep, dtype=np.float64)
    level = np.zeros(len(parent), dtype=np.int64)
    above = np.asarray(parent[:n_s], dtype=np.int64)
    heads, head_of = np.unique(above, return_inverse=True)
    head_chains = [chain(int(h)) if h != ROOT else [] for h in heads.tolist()]
    depth = max((len(c) + 1 for c in head_chains), default=1)
    path = np.empty((n_s, depth), dtype=np.int64)
    cluster = np.empty(n_s, dtype=np.int64)
    leaf = np.arange(n_s, dtype=np.int64)
    for h, ch in enumerate(head_chains):
        rows = np.flatnonzero(head_of == h)
        path[rows, : len(ch)] = ch
        path[rows, len(ch) :] = leaf[rows, None]
        level[rows] = len(ch)
        level[ch] = np.arange(len(ch))
        top = next((node for node in ch if dep_a[node] > 0), None)
        cluster[rows] = leaf[rows] if top is None else top
    rank = np.empty(n_s, dtype=np.int64)
    if n_s:
        order = np.lexsort(path.T[::-1])
        rank[order] = np.arange(n_s)
    return Tree(
        n_sources=n_s,
        path=path,
        dependence=dep_a,
        level=level,
        parent=np.asarray(parent, dtype=np.int64),
        uncertain=np.asarray(uncertain, dtype=bool),
        cluster=cluster,
        rank=rank,
        labels=labels,
    )


class _Labels(Sequence[str]):
    """Node labels, made on access: ``source:<id>``, a group's path, ``link:a+b``."""

    def __init__(
        self, source_ids: Sequence[str], group_ids: Sequence[str], link_labels: list[str]
    ) -> None:
        self._s, self._g, self._l = source_ids, group_ids, link_labels

    def __len__(self) -> int:
        return len(self._s) + len(self._g) + len(self._l)

    @overload
    def __getitem__(self, node: int) -> str: ...
    @overload
    def __getitem__(self, node: slice) -> Sequence[str]: ...
    def __getitem__(self, node: int | slice) -> str | Sequence[str]:
        if isinstance(node, slice):
            return [self[i] for i in range(len(self))[node]]
        node = range(len(self))[node]
        n_s, n_g = len(self._s), len(self._g)
        if node < n_s:
            return f"source:{self._s[node]}"
        if node < n_s + n_g:
            return self._g[node - n_s]
        return self._l[node - n_s - n_g]


def _components(edges: list[tuple[int, int, float]]) -> list[tuple[list[int], float]]:
    """Connected components of the nodes joined by links, with the largest r of each."""
    root_of: dict[int, int] = {}

    def find(x: int) -> int:
        while root_of.get(x, x) != x:
            x = root_of[x]
        return x

    for a, b, _r in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            root_of[max(ra, rb)] = min(ra, rb)
    comps: dict[int, list[int]] = {}
    best: dict[int, float] = {}
    for a, b, r in edges:
        rt = find(a)
        best[rt] = max(best.get(rt, 0.0), r)
        for c in (a, b):
            if c not in comps.setdefault(rt, []):
                comps[rt].append(c)
    return [(sorted(comps[rt]), best[rt]) for rt in sorted(comps)]


def _starts(keys: IntArray) -> IntArray:
    if keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.empty(keys.shape[0], dtype=bool)
    change[0] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    return np.flatnonzero(change)


@attrs.define(frozen=True, eq=False)
class _Level:
    starts: IntArray  # into the previous level's segments
    node: IntArray  # node of each new segment
    trivial: bool  # every segment has one child: values pass through
    capture: IntArray  # indices of segments that are cluster nodes at this level


@attrs.define(frozen=True, eq=False)
class PoolPlan:
    """Where the groups are in sorted evidence; reusable for several passes."""

    order: IntArray  # sorts the evidence
    in_order: bool  # the evidence was already sorted (order is the identity)
    leaf_starts: IntArray
    leaf_capture: IntArray
    leaf_claim: IntArray
    levels: tuple[_Level, ...]
    claims: IntArray  # claim of each final segment
    claim_starts: IntArray
    capture_claim: IntArray  # claim of each captured cluster value (in capture order)
    n_entries: int


def make_plan(tree: Tree, claim: IntArray, position: IntArray, n_claims: int) -> PoolPlan:
    """Sort evidence entries (claim, position source) and find every group."""
    n_s = max(tree.n_sources, 1)
    key = claim * n_s + tree.rank[position]
    in_order = key.shape[0] < 2 or bool(np.all(key[1:] >= key[:-1]))
    if in_order:  # the usual case: evidence arrives sorted (see the model)
        order = np.arange(key.shape[0], dtype=np.int64)
        c_sorted, p_sorted = claim, position
    else:
        order = np.argsort(key, kind="stable")
        c_sorted, p_sorted = claim[order], position[order]
        key = key[order]
    leaf_starts = _starts(key)
    seg_claim = c_sorted[leaf_starts]
    seg_src = p_sorted[leaf_starts]
    depth = tree.path.shape[1]
    path_t = np.ascontiguousarray(tree.path.T)  # one contiguous column per level
    is_cluster = np.zeros(tree.n_nodes, dtype=bool)
    is_cluster[tree.cluster] = True
    leaves = np.arange(tree.n_sources)
    leaf_capture = np.flatnonzero(is_cluster[seg_src] & (tree.level[seg_src] == depth - 1))
    capture_claims = [seg_claim[leaf_capture]]
    levels: list[_Level] = []
    n_nodes = max(tree.n_nodes, 1)
    for d in range(depth - 2, -1, -1):
        node = path_t[d][seg_src]
        starts = _starts(seg_claim * n_nodes + node)
        trivial = starts.shape[0] == node.shape[0]
        seg_claim = seg_claim[starts]
        seg_src = seg_src[starts]
        node = node[starts]
        cap = np.flatnonzero(is_cluster[node] & (tree.level[node] == d))
        capture_claims.append(seg_claim[cap])
        levels.append(_Level(starts=starts, node=node, trivial=trivial, capture=cap))
    claim_starts = _starts(seg_claim)
    del leaves
    return PoolPlan(
        order=order,
        in_order=in_order,
        leaf_starts=leaf_starts,
        leaf_capture=leaf_capture,
        leaf_claim=c_sorted[leaf_starts] if leaf_starts.shape[0] else np.zeros(0, np.int64),
        levels=tuple(levels),
        claims=seg_claim[claim_starts] if claim_starts.shape[0] else np.zeros(0, np.int64),
        claim_starts=claim_starts,
        capture_claim=np.concatenate(capture_claims) if capture_claims else np.zeros(0, np.int64),
        n_entries=int(claim.shape[0]),
    )


def _combine(x: FloatArray, starts: IntArray, r: FloatArray, extreme: np.ufunc) -> FloatArray:
    return pool_rule(np.add.reduceat(x, starts), extreme.reduceat(x, starts), r)


def pool(
    plan: PoolPlan,
    ell: FloatArray,
    r_pos: FloatArray,
    r_neg: FloatArray,
    n_claims: int,
    *,
    capture: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Pool evidence ``ell`` (aligned with the entries given to :func:`make_plan`).

    Returns the pooled log-likelihood ratio of every claim and, with
    ``capture=True``, the net pooled value of every (claim, cluster) in the
    order of ``plan.capture_claim`` (else an empty array).
    """
    total = np.zeros(n_claims, dtype=np.float64)
    if plan.n_entries == 0:
        return total, np.zeros(0, dtype=np.float64)
    e = ell if plan.in_order else ell[plan.order]
    pos = np.maximum.reduceat(np.maximum(e, 0.0), plan.leaf_starts)
    neg = np.minimum.reduceat(np.minimum(e, 0.0), plan.leaf_starts)
    caps: list[FloatArray] = []
    if capture:
        caps.append(pos[plan.leaf_capture] + neg[plan.leaf_capture])
    for lv in plan.levels:
        if not lv.trivial:
            pos = _combine(pos, lv.starts, r_pos[lv.node], np.maximum)
            neg = _combine(neg, lv.starts, r_neg[lv.node], np.minimum)
        if capture:
            caps.append(pos[lv.capture] + neg[lv.capture])
    total[plan.claims] = np.add.reduceat(pos, plan.claim_starts) + np.add.reduceat(
        neg, plan.claim_starts
    )
    captured = np.concatenate(caps) if caps else np.zeros(0, dtype=np.float64)
    return total, captured
