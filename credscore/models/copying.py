"""Copy detection between sources (Dong, Berti-Equille & Srivastava, VLDB 2009).

Two independent sources that are both wrong about an object rarely pick the
*same* false value (one chance in ``n_false``); a source that copies another
inherits its errors. So for every pair of sources sharing objects, the
numbers of shared true values ``k_t``, shared false values ``k_f`` and
differing values ``k_d`` decide, by Bayes' rule, how likely the pair is to
be dependent.

Model (per pair ``(i, j)``, accuracies ``A_i``, ``A_j``, copy rate ``c``,
``n`` false values per object, prior copy probability ``alpha`` split evenly
between the two directions). Under independence a shared object gives the
same true value with probability ``A_i A_j``, the same false value with
``(1 - A_i)(1 - A_j) / n`` and different values with the rest ``P_d``. When
``i`` copies ``j`` (it takes ``j``'s value with probability ``c``, else acts
independently) these become ``c A_j + (1 - c) A_i A_j``,
``c (1 - A_j) + (1 - c)(1 - A_i)(1 - A_j) / n`` and ``(1 - c) P_d``. The
likelihood ratio against independence is therefore::

    ln L(i -> j) = k_t ln(1 - c + c / A_i)
                 + k_f ln(1 - c + c n / (1 - A_i)) + k_d ln(1 - c)

and the posterior of each direction follows from the three log scores in
log space. Shared true and false counts are *soft*: an agreeing object adds
``P(v)`` to ``k_t`` and ``1 - P(v)`` to ``k_f``, where ``P(v)`` is the current
probability of the shared value ``v``. All three counts are sums over
objects, so they are computed per partition and added.

Candidate pairs. A pair of sources that shares only one or two objects
carries too little evidence to tell copying from coincidence, and there are
far more such pairs than informative ones (on the speed benchmark's largest
table, 25 times more pairs than pairs sharing three objects; figures in
``docs/explanation/kernels.md``). The pair statistics can therefore be kept only
for the *candidate pairs*, those sharing at least ``min_shared`` objects;
every other pair is treated as independent (its posterior of copying is
left at the prior and its votes are not discounted). Li et al. (ICDE 2015)
also scale copy detection by leaving out what cannot change its
conclusion, with an index over the shared values; the rule here is simply
the number of shared objects. ``min_shared=1`` keeps every pair that shares
an object: the exact model of the paper.

The candidate pairs are found without holding all co-occurrences at once
(:func:`candidate_cooccurrences`): the sources are cut into blocks of
consecutive indices that generate about :data:`BLOCK` (source, source,
object) incidences each; within a block the ordered pairs are keyed
``(i - low) * n_sources + j`` (int64) and counted with ``numpy.bincount``
(``numpy.unique`` when the block spans very many sources), and only the
co-occurrences of the pairs reaching ``min_shared`` are kept; a single
source with more co-occurrences than a block is generated in pieces whose
counts are added up, then generated again to pick its kept co-occurrences.
Memory beyond the table is thus a block plus the kept co-occurrences, and
the time grows
with ``sum_o k_o**2`` for ``k_o`` sources on object ``o``. The numpy path
never holds an ``n_sources x n_sources`` matrix; with numba, a table of up
to 2,048 sources is counted in one compiled pass into one of at most 32 MB
(:data:`DENSE_PAIRS`), about ten times faster.

The discount of copied votes, :func:`independence_log_weight`, follows the
paper's vote count with dependence: sources are taken in an order, and a
source's vote for ``v`` is multiplied by ``prod (1 - c P(S -> S'))`` over the
sources ``S'`` *before* it that also give ``v``, so that the total vote for a
value never falls when a supporter is added. The paper builds the order
greedily per value; here one order serves all values: by decreasing
accuracy (the likely originals first), ties broken by source index.

References
----------
.. [1] X. L. Dong, L. Berti-Equille and D. Srivastava. Integrating conflicting
   data: the role of source dependence. PVLDB 2(1), 550-561, 2009.
.. [2] X. Li, X. L. Dong, K. B. Lyons, W. Meng and D. Srivastava. Scaling up
   copy detection. ICDE 2015, 89-100.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.errors import InvalidTableError
from credscore.kernels.backend import compiled
from credscore.kernels.segments import weighted_count
from credscore.table.table import Table

__all__ = ["CLOSED_DOMAIN", "copy_pairs", "copy_probabilities", "observed_false_values"]

FloatArray = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]


def check_copy_settings(alpha: float, copy_rate: float | None, n_false: float, eps: float) -> None:
    """Raise ValueError naming the setting when one is out of range."""
    checks: list[tuple[str, float, float, float]] = [
        ("alpha", alpha, 0.0, 1.0),
        ("eps", eps, 0.0, 0.5),
    ]
    if copy_rate is not None:
        checks.append(("copy_rate", copy_rate, 0.0, 1.0))
    for name, value, lo, hi in checks:
        if not (isinstance(value, (int, float, np.floating)) and lo < value < hi):
            raise ValueError(f"{name}: expected a number in ({lo:g}, {hi:g}), got {value!r}")
    if not (isinstance(n_false, (int, float, np.integer, np.floating)) and n_false > 0):
        raise ValueError(f"n_false: expected a number > 0, got {n_false!r}")
    if isinstance(n_false, bool):
        raise ValueError(f"n_false: expected a number > 0, got {n_false!r}")


CLOSED_DOMAIN = 30
"""A table with at most this many distinct values is a closed label set."""


def closed_labels(table: Table) -> int | None:
    """The number ``K`` of distinct values when the table's values form a
    closed label set (at most :data:`CLOSED_DOMAIN` of them), else None."""
    n_values = int(table.labels.shape[0]) if table.n_claims else 0
    return n_values if n_values <= CLOSED_DOMAIN else None


def observed_false_values(table: Table) -> float:
    """The number ``n`` of false values per object, from the table.

    A closed label set of ``K`` values (at most :data:`CLOSED_DOMAIN`
    distinct values in the table, :func:`closed_labels`) has ``K - 1``;
    otherwise ``n`` is the mean, over the objects with two or more
    candidates, of their candidates less one (the observed domain), and 1
    when no object is contested.

    Examples
    --------
    >>> t = Table.from_rows([("a", 1, "x"), ("b", 1, "y"), ("c", 1, "z"), ("a", 2, "x")])
    >>> observed_false_values(t)
    2.0
    """
    k = closed_labels(table)
    if k is not None:
        return float(max(k - 1, 1))
    m = np.diff(table.object_start)
    contested = m[m > 1]
    return float(contested.mean() - 1.0) if contested.shape[0] else 1.0


def cooccurrences(table: Table) -> tuple[Int64Array, Int64Array]:
    """Every pair of assertions on the same object, as assertion indices.

    Returns ``(first, second)`` with ``table.source[first] <
    table.source[second]``; each unordered pair of assertions appears once.
    All at once: for small tables (the models use
    :func:`candidate_cooccurrences`, block by block).
    """
    n_a = table.n_assertions
    obj = table.object.astype(np.int64)
    # Assertions are sorted by claim and claims by object: each object's
    # assertions are contiguous.
    start = np.searchsorted(obj, np.arange(table.n_objects + 1)).astype(np.int64)
    size = np.diff(start)
    pos = np.arange(n_a, dtype=np.int64) - start[obj]
    after = size[obj] - 1 - pos  # partners later in the same object
    total = int(after.sum())
    first = np.repeat(np.arange(n_a, dtype=np.int64), after)
    block = np.cumsum(after) - after  # where each assertion's run begins
    second = first + 1 + (np.arange(total, dtype=np.int64) - np.repeat(block, after))
    src = table.source
    swap = src[first] > src[second]
    a = np.where(swap, second, first)
    b = np.where(swap, first, second)
    return a, b


def source_order(table: Table) -> Int64Array:
    """The assertions sorted by source, stably (so by claim within a source).

    Examples
    --------
    >>> t = Table.from_rows([("b", 1, "x"), ("a", 1, "y"), ("a", 2, "x")])
    >>> source_order(t).tolist()
    [1, 2, 0]
    """
    src = table.source
    if table.n_sources <= 1 << 16:
        src = src.astype(np.uint16)  # numpy's stable sort of 16-bit keys is a radix sort
    out: Int64Array = np.argsort(src, kind="stable").astype(np.int64)
    return out


def original_of(table: Table, order: Int64Array | None = None) -> Int64Array:
    """For each source, the lowest-index source with exactly the same set of
    (object, value) claims (itself when it copies no one exactly).

    ``order`` is :func:`source_order` of the table, when already computed.

    Examples
    --------
    >>> t = Table.from_rows([("a", 1, "x"), ("b", 1, "x"), ("c", 1, "y")])
    >>> original_of(t).tolist()
    [0, 0, 2]
    """
    if order is None:
        order = source_order(table)
    # Assertions are sorted by claim: within a source, so are these.
    claims = table.claim[order]
    bounds = np.searchsorted(table.source[order], np.arange(1, table.n_sources))
    seen: dict[bytes, int] = {}
    out = np.arange(table.n_sources, dtype=np.int64)
    for s, chunk in enumerate(np.split(claims, bounds)):  # one step per source
        out[s] = seen.setdefault(chunk.tobytes(), s)
    return out


def pair_keys(table: Table, first: Int64Array, second: Int64Array) -> Int64Array:
    """One int64 key per source pair: ``i * n_sources + j``."""
    n = np.int64(table.n_sources)
    return table.source[first].astype(np.int64) * n + table.source[second]


BLOCK = 1 << 20
"""About how many co-occurrences one block of sources generates at once in
:func:`candidate_cooccurrences` (each costs some 60 bytes while its block is
processed)."""


def check_min_shared(min_shared: Any) -> int:
    """``min_shared`` as an int; ValueError naming it unless it is an int >= 1."""
    if isinstance(min_shared, bool) or not isinstance(min_shared, (int, np.integer)):
        raise ValueError(f"min_shared: expected a positive integer, got {min_shared!r}")
    if min_shared < 1:
        raise ValueError(f"min_shared: expected a positive integer, got {min_shared!r}")
    return int(min_shared)


Piece = Callable[[], tuple[Int64Array, Int64Array, Int64Array]]


def _blocks(
    table: Table, block: int, order: Int64Array | None
) -> Iterator[tuple[int, int, list[Piece]]]:
    """Yield ``(low, rows, pieces)`` block by block.

    A block holds the consecutive sources ``low, ..., low + rows - 1``
    (whole sources). Calling each of its pieces gives ``(first, second,
    key)``: some of the block's assertions ``first``, each paired with every
    assertion ``second`` on the same object -- itself included, and in both
    directions -- as ``key = (source[first] - low) * n_sources +
    source[second]``. The caller drops the pairs with ``source[first] >=
    source[second]``. A block has one piece unless a single source has
    more than ``block`` co-occurrences; its pieces together cover it.
    """
    src = table.source
    obj = table.object
    n_s = np.int64(table.n_sources)
    if table.n_assertions == 0:
        return
    # Assertions are sorted by claim and claims by object: the assertions of
    # object o are start[o]:start[o + 1]. (int32 when it fits: less traffic.)
    itype = np.int32 if table.n_assertions < 2**31 else np.int64
    start = np.searchsorted(obj, np.arange(table.n_objects + 1)).astype(itype)
    size = np.diff(start)
    if order is None:
        order = source_order(table)
    # Cut between sources, about every `block` generated co-occurrences.
    per_source = np.bincount(src, minlength=table.n_sources)
    done = np.cumsum(np.bincount(src, weights=size[obj], minlength=table.n_sources))
    cuts = np.searchsorted(done, np.arange(block, done[-1], block), "right")
    cuts = np.unique(np.concatenate([[0], cuts, [table.n_sources]]))
    bounds = np.concatenate([[0], np.cumsum(per_source)])[cuts]
    # Per assertion in source order: the first and size of its object's run.
    obj_of = obj[order]
    gen = size[obj_of]
    begin = start[obj_of]
    del obj_of
    steps = np.arange(int(gen.max()), dtype=np.int64)

    def generate(lo: int, hi: int, row: Int64Array) -> tuple[Int64Array, Int64Array, Int64Array]:
        """The pairs of the assertions order[lo:hi] (``row``: their
        ``(source - low) * n_sources``)."""
        # Assertions grouped by the size of their object: a group of size k
        # pairs with a (members x k) grid, without per-element repeats.
        g = gen[lo:hi]
        by_size = np.argsort(g, kind="stable")
        g = g[by_size]
        a = order[lo:hi][by_size]
        b = begin[lo:hi][by_size]
        row = row[by_size]
        edges = np.flatnonzero(np.diff(g)) + 1
        n_out = int(g.sum())
        first = np.empty(n_out, dtype=np.int64)
        second = np.empty(n_out, dtype=np.int64)
        key = np.empty(n_out, dtype=np.int64)
        pos = 0
        for u, v in zip([0, *edges.tolist()], [*edges.tolist(), g.shape[0]]):  # per size
            k = int(g[u])
            n = (v - u) * k
            grid = second[pos : pos + n].reshape(-1, k)
            np.add(b[u:v, None], steps[:k], out=grid)
            first[pos : pos + n] = np.repeat(a[u:v], k)
            np.add(row[u:v, None], src[grid], out=key[pos : pos + n].reshape(-1, k))
            pos += n
        return first, second, key

    # Block: the sources low:high, whose assertions are order[lo:hi].
    for lo, hi, low, high in zip(  # one step per block
        bounds[:-1].tolist(), bounds[1:].tolist(), cuts[:-1].tolist(), cuts[1:].tolist()
    ):
        if lo == hi:
            continue
        rows = high - low
        row = np.repeat(np.arange(rows, dtype=np.int64) * n_s, per_source[low:high])
        # A source with more than `block` co-occurrences is split in pieces.
        total = np.cumsum(gen[lo:hi])
        ends = [0, hi - lo]
        if total[-1] > 2 * block:
            split = np.searchsorted(total, np.arange(block, total[-1], block), "right")
            ends = [0, *split.tolist(), hi - lo]
        pieces: list[Piece] = [
            partial(generate, lo + u, lo + v, row[u:v])
            for u, v in itertools.pairwise(ends)
            if u < v
        ]
        yield low, rows, pieces


def _select(kept: Int64Array, key: Int64Array) -> tuple[npt.NDArray[np.bool_], Int64Array]:
    """Which ``key`` are among the sorted ``kept``, and their index there."""
    if kept.shape[0] == 0:
        return np.zeros(key.shape[0], dtype=bool), np.zeros(0, dtype=np.int64)
    where = np.minimum(np.searchsorted(kept, key), kept.shape[0] - 1)
    hit = kept[where] == key
    return hit, where[hit]


def _count_block(
    key: Int64Array,
    low: int,
    rows: int,
    n_s: int,
    min_shared: int,
    exclude: npt.NDArray[np.bool_] | None,
    dense: bool,
) -> tuple[Int64Array, npt.NDArray[np.bool_], Int64Array]:
    """The pairs of one block of :func:`_blocks` that share at least
    ``min_shared`` objects, ``i < j``, neither excluded: their keys (within
    the block, sorted), which co-occurrences are theirs, and the index of
    each of those in the keys."""
    if dense:
        good = _good_dense(
            np.bincount(key, minlength=rows * n_s), low, rows, n_s, min_shared, exclude
        )
        sel = good[key]
        index = np.cumsum(good) - 1  # of each kept (i, j) among the kept
        return np.flatnonzero(good), sel, index[key[sel]]
    uniq, inv, count = np.unique(key, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    good = _good_sparse(uniq, count, low, n_s, min_shared, exclude)
    sel = good[inv]
    return uniq[good], sel, (np.cumsum(good) - 1)[inv[sel]]


def _good_dense(
    count: Int64Array, low: int, rows: int, n_s: int, min_shared: int, exclude: Any
) -> npt.NDArray[np.bool_]:
    """Which of the block's ``(i, j)``, counted densely, are kept."""
    good = count.reshape(rows, n_s) >= min_shared
    good &= np.arange(n_s) > np.arange(low, low + rows)[:, None]
    if exclude is not None:
        good &= ~exclude
        good &= ~exclude[low : low + rows, None]
    out: npt.NDArray[np.bool_] = good.reshape(-1)
    return out


def _good_sparse(
    uniq: Int64Array, count: Any, low: int, n_s: int, min_shared: int, exclude: Any
) -> npt.NDArray[np.bool_]:
    """Which of the block's keys ``uniq``, with their counts, are kept."""
    i, j = uniq // n_s + low, uniq % n_s
    good: npt.NDArray[np.bool_] = (count >= min_shared) & (j > i)
    if exclude is not None:
        good &= ~(exclude[i] | exclude[j])
    return good


def _kept_of_pieces(
    pieces: list[Piece],
    low: int,
    rows: int,
    n_s: int,
    min_shared: int,
    exclude: Any,
    dense: bool,
) -> Int64Array:
    """The kept keys of a block in several pieces: counts added up piece by
    piece (densely, or by merging the distinct keys)."""
    if dense:
        count = np.zeros(rows * n_s, dtype=np.int64)
        for piece in pieces:  # one step per piece
            count += np.bincount(piece()[2], minlength=rows * n_s)
        return np.flatnonzero(_good_dense(count, low, rows, n_s, min_shared, exclude))
    uniq = np.zeros(0, dtype=np.int64)
    total = np.zeros(0, dtype=np.int64)
    for piece in pieces:  # one step per piece
        new, count = np.unique(piece()[2], return_inverse=True, return_counts=True)[::2]
        uniq, inv = np.unique(np.concatenate([uniq, new]), return_inverse=True)
        total = np.bincount(inv.reshape(-1), weights=np.concatenate([total, count]))
        total = total.astype(np.int64)
    return uniq[_good_sparse(uniq, total, low, n_s, min_shared, exclude)]


#: With numba, the pairs are counted in one compiled pass over an
#: ``n_sources x n_sources`` table of counts when it holds at most this many
#: entries (32 MB: up to 2,048 sources); beyond it, block by block in numpy.
DENSE_PAIRS = 1 << 22


def _runs_pairs_loop(
    src: Any, obj: Any, exclude: Any, n_s: int, index: Any, first: Any, second: Any, pair: Any
) -> None:  # pragma: no cover - compiled by numba
    """Every pair of assertions on one object by two sources not excluded:
    with ``first`` of size 0, ``index[i * n_s + j] += 1`` for the pair
    ``(i, j)``, ``i < j``, of their sources; else the co-occurrences of the
    pairs with ``index >= 0`` written to ``first``, ``second`` (the lower
    source's assertion first) and ``pair`` (that index). The assertions are
    sorted by object: each object's are one run."""
    n = src.shape[0]
    emit = first.shape[0] > 0
    k = 0
    x = 0
    while x < n:
        end = x + 1
        while end < n and obj[end] == obj[x]:
            end += 1
        for a in range(x, end):
            s = src[a]
            if exclude[s]:
                continue
            for b in range(a + 1, end):
                r = src[b]
                if exclude[r]:
                    continue
                lo, hi, fa, fb = (s, r, a, b) if s < r else (r, s, b, a)
                key = lo * n_s + hi
                if not emit:
                    index[key] += 1
                elif index[key] >= 0:
                    first[k] = fa
                    second[k] = fb
                    pair[k] = index[key]
                    k += 1
        x = end


_PAIR_LOOPS: dict[str, Callable[..., None]] = {"runs_pairs": _runs_pairs_loop}


def _dense_cooccurrences(
    table: Table, min_shared: int, exclude: Any, jit: dict[str, Callable[..., Any]]
) -> tuple[Int64Array, Int64Array, Int64Array, Int64Array]:
    """:func:`candidate_cooccurrences` in two compiled passes over the
    assertions: count every pair, then write the kept pairs' co-occurrences."""
    n_s = table.n_sources
    ex = np.zeros(n_s, dtype=bool) if exclude is None else exclude
    src = np.ascontiguousarray(table.source)
    obj = np.ascontiguousarray(table.object)
    count = np.zeros(n_s * n_s, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    jit["runs_pairs"](src, obj, ex, n_s, count, none, none, none)
    keys = np.flatnonzero(count >= min_shared).astype(np.int64)
    n_co = int(count[keys].sum())
    if n_co == 0:
        return keys, none, none.copy(), none.copy()
    count[:] = -1
    count[keys] = np.arange(keys.shape[0])
    first = np.empty(n_co, dtype=np.int64)
    second = np.empty(n_co, dtype=np.int64)
    pair = np.empty(n_co, dtype=np.int64)
    jit["runs_pairs"](src, obj, ex, n_s, count, first, second, pair)
    return keys, first, second, pair


def candidate_cooccurrences(
    table: Table,
    min_shared: int = 1,
    *,
    exclude: Any = None,
    order: Int64Array | None = None,
    block: int = BLOCK,
    dense: bool | None = None,
) -> tuple[Int64Array, Int64Array, Int64Array, Int64Array]:
    """The candidate pairs and their co-occurrences, block by block.

    With numba (the ``fast`` extra) and at most :data:`DENSE_PAIRS` ordered
    pairs of sources, the pairs are instead counted in one compiled pass
    over the assertions into an ``n_sources x n_sources`` table, and the
    kept ones' co-occurrences written in a second (``order``, ``block`` and
    ``dense`` do not apply; the co-occurrences come in another order).

    Parameters
    ----------
    table : Table
    min_shared : int, default 1
        Keep the pairs of sources that share at least this many objects.
    exclude : bool array of shape (n_sources,), optional
        Sources left out of every pair.
    order : int64 array, optional
        :func:`source_order` of the table, when already computed.
    block : int
        About how many co-occurrences to generate at once.
    dense : bool, optional
        Count the pairs of a block with ``numpy.bincount`` over all its
        ``(i, j)`` (True) or with ``numpy.unique`` (False); by default
        bincount unless that range is much larger than the block.

    Returns
    -------
    keys : int64 array
        ``i * n_sources + j`` of each kept pair ``(i, j)``, ``i < j``, sorted.
    first, second : int64 arrays
        Every pair of assertions on one object by the two sources of a kept
        pair, ``first`` by the lower source.
    pair : int64 array
        Index in ``keys`` of each co-occurrence.

    Examples
    --------
    >>> t = Table.from_arrays(["a", "b", "c", "a", "b"], [1, 1, 1, 2, 2], list("xyxxx"))
    >>> keys, first, second, pair = candidate_cooccurrences(t, 2)
    >>> (keys // t.n_sources).tolist(), (keys % t.n_sources).tolist(), pair.tolist()
    ([0], [1], [0, 0])
    """
    min_shared = check_min_shared(min_shared)
    n_s = table.n_sources
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=bool)
        if exclude.shape != (n_s,):
            raise ValueError(
                f"exclude: expected {n_s} flags, one per source, got shape {exclude.shape}"
            )
    jit = compiled(_PAIR_LOOPS, key="copy-pairs")
    if jit is not None and n_s * n_s <= DENSE_PAIRS:
        return _dense_cooccurrences(table, min_shared, exclude, jit)
    keys, firsts, seconds, pairs = [], [], [], []
    offset = 0
    for low, rows, pieces in _blocks(table, max(int(block), 1), order):
        # bincount over all (i, j) of the block unless that is much more
        # than the co-occurrences themselves (very many sources).
        wide = rows * n_s > 4 * max(int(block), 1) + 4096
        use_dense = not wide if dense is None else dense
        if len(pieces) == 1:
            first, second, key = pieces[0]()
            kept, sel, pair = _count_block(key, low, rows, n_s, min_shared, exclude, use_dense)
            found = [(first[sel], second[sel], pair)]
            del first, second, key, sel  # before the next block is allocated
        else:
            kept = _kept_of_pieces(pieces, low, rows, n_s, min_shared, exclude, use_dense)
            found = []
            for piece in pieces:  # one step per piece
                first, second, key = piece()
                hit, pair = _select(kept, key)
                found.append((first[hit], second[hit], pair))
                del first, second, key, hit
        if kept.shape[0]:
            keys.append(kept + np.int64(low) * n_s)
            for f, s, p in found:
                firsts.append(f)
                seconds.append(s)
                pairs.append(p + offset)
            offset += kept.shape[0]
    return tuple(  # type: ignore[return-value]
        np.concatenate(x).astype(np.int64, copy=False) if x else np.zeros(0, dtype=np.int64)
        for x in (keys, firsts, seconds, pairs)
    )


def cooccurrences_of(
    table: Table, keys: Int64Array, *, block: int = BLOCK
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """The co-occurrences in ``table`` of the given pairs (sorted keys
    ``i * n_sources + j``, ``n_sources`` counting every source), as
    ``(first, second, pair)`` like :func:`candidate_cooccurrences`.

    For one partition of a table whose candidate pairs were found on the
    whole.

    Examples
    --------
    >>> t = Table.from_arrays(["a", "b", "c"], [1, 1, 1], list("xyx"))
    >>> [x.tolist() for x in cooccurrences_of(t, np.array([2]))]  # the pair (a, c)
    [[0], [1], [0]]
    """
    n_s = np.int64(table.n_sources)
    firsts, seconds, pairs = [], [], []
    blocks = _blocks(table, max(int(block), 1), None) if keys.shape[0] else iter(())
    for low, _, pieces in blocks:
        for piece in pieces:  # one step per piece
            first, second, key = piece()
            # Pairs are listed i < j: the keys with j <= i never match.
            hit, pair = _select(keys, key + np.int64(low) * n_s)
            firsts.append(first[hit])
            seconds.append(second[hit])
            pairs.append(pair)
            del first, second, key, hit  # before the next piece is allocated
    return tuple(  # type: ignore[return-value]
        np.concatenate(x).astype(np.int64, copy=False) if x else np.zeros(0, dtype=np.int64)
        for x in (firsts, seconds, pairs)
    )


def within_objects(
    table: Table, found: Cooccurrences, objects: npt.NDArray[np.bool_], min_shared: int
) -> Cooccurrences:
    """The co-occurrences ``found`` that lie on the marked ``objects``, and
    the pairs that share at least ``min_shared`` of those objects.

    Each source gives at most one value per object, so a pair's
    co-occurrences are its shared objects. ``found`` must hold every pair
    sharing ``min_shared`` marked objects, as :func:`candidate_cooccurrences`
    with ``min_shared`` or less does: then the result equals
    :func:`candidate_cooccurrences` of the table cut to those objects, in
    the table's own source indices.

    Examples
    --------
    >>> t = Table.from_arrays(["a", "b", "a", "b"], [1, 1, 2, 2], list("xyxx"))
    >>> found = candidate_cooccurrences(t, 1)
    >>> [x.tolist() for x in within_objects(t, found, np.array([True, False]), 1)]
    [[1], [0], [1], [0]]
    >>> within_objects(t, found, np.array([True, False]), 2)[0].tolist()
    []
    """
    keys, first, second, pair = found
    on = objects[table.object[first]]
    first, second, pair = first[on], second[on], pair[on]
    shared = np.bincount(pair, minlength=keys.shape[0])
    good = shared >= min_shared
    index = np.cumsum(good) - 1
    hit = good[pair]
    return keys[good], first[hit], second[hit], index[pair[hit]].astype(np.int64)


def candidate_pairs(table: Table, min_shared: int = 1) -> tuple[Int64Array, Int64Array]:
    """The source pairs ``(i, j)``, ``i < j``, that share at least
    ``min_shared`` objects.

    Examples
    --------
    >>> t = Table.from_arrays(["a", "b", "c"], [1, 1, 2], ["x", "y", "x"])
    >>> [p.tolist() for p in candidate_pairs(t)]
    [[0], [1]]
    >>> [p.tolist() for p in candidate_pairs(t, min_shared=2)]
    [[], []]
    """
    keys = candidate_cooccurrences(table, min_shared)[0]
    n = np.int64(table.n_sources)
    return keys // n, keys % n


def pair_statistics(
    table: Table,
    claim_probability: FloatArray,
    first: Int64Array,
    second: Int64Array,
    pair: Int64Array,
    n_pairs: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Soft counts ``(k_t, k_f, k_d)`` per pair from co-occurrences.

    ``pair[k]`` is the index, in the pair list, of co-occurrence ``k``.
    """
    same = table.claim[first] == table.claim[second]
    p_same = np.where(same, claim_probability[table.claim[first]], 0.0)
    kt = weighted_count(pair, p_same, n_pairs)
    kf = weighted_count(pair, same - p_same, n_pairs)
    kd = weighted_count(pair, ~same, n_pairs)
    return kt, kf, kd


MAX_COPY_RATE = 0.999
"""Upper bound of an estimated copy rate (a rate of 1 makes one differing
value impossible)."""


def estimate_copy_rate(
    kt: FloatArray, kf: FloatArray, kd: FloatArray, acc: FloatArray, n_false: float
) -> FloatArray:
    """Copy rate ``c`` in ``[0, MAX_COPY_RATE]`` maximising ``ln L(copier)``.

    ``ln L = k_t ln(1 + c a) + k_f ln(1 + c b) + k_d ln(1 - c)`` with
    ``a = (1 - A) / A`` and ``b = n / (1 - A) - 1`` (``A`` the copier's
    accuracy) is concave in ``c``, so its slope falls: the maximum is at 0
    when the slope there is not positive, at ``MAX_COPY_RATE`` when the slope
    there is not negative, and otherwise where the slope is 0. Times
    ``(1 - c)(1 + c a)(1 + c b)``, positive on ``[0, 1)``, the slope is the
    quadratic ``(1 - c)(P + c Q) - k_d (1 + c R + c^2 S)`` with ``P = k_t a +
    k_f b``, ``Q = a b (k_t + k_f)``, ``R = a + b``, ``S = a b``: positive at 0
    (``P > k_d``) with a non-negative leading coefficient ``-(Q + k_d S)``
    negated, so it has one positive root, taken in the form that does not
    cancel.
    """
    a = (1.0 - acc) / acc
    b = n_false / (1.0 - acc) - 1.0
    kt, kf, kd, a, b = np.broadcast_arrays(kt, kf, kd, a, b)

    def slope(c: float) -> FloatArray:
        out: FloatArray = kt * a / (1.0 + c * a) + kf * b / (1.0 + c * b) - kd / (1.0 - c)
        return out

    # No slope at 0 (no shared object counted, a flat likelihood) is no
    # evidence of copying: rate 0, not the largest rate.
    rate = np.where(
        slope(0.0) <= 0, 0.0, np.where(slope(MAX_COPY_RATE) >= 0, MAX_COPY_RATE, np.nan)
    )
    inside = np.flatnonzero(np.isnan(rate))
    if inside.size:
        ta, tb, tt, tf, td = a[inside], b[inside], kt[inside], kf[inside], kd[inside]
        p, q = tt * ta + tf * tb, ta * tb * (tt + tf)
        # A c^2 + B c + C = 0, A >= 0, C = k_d - P < 0: one root of each sign
        qa = q + td * ta * tb
        qb = p + td * (ta + tb) - q
        qc = td - p
        root = np.sqrt(qb * qb - 4.0 * qa * qc)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(qb >= 0, 2.0 * qc / (-qb - root), (-qb + root) / (2.0 * qa))
        rate[inside] = np.clip(c, 0.0, MAX_COPY_RATE)
    return np.asarray(rate, dtype=np.float64)


def directed_probabilities(
    kt: FloatArray,
    kf: FloatArray,
    kd: FloatArray,
    acc_i: FloatArray,
    acc_j: FloatArray,
    *,
    alpha: float,
    copy_rate: float | None,
    n_false: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Posterior ``P(i copies j)``, ``P(j copies i)`` and the copy rate of each
    direction, for each pair.

    With ``copy_rate=None`` each direction's rate is its maximum-likelihood
    estimate (:func:`estimate_copy_rate`). Accuracies must lie strictly
    inside (0, 1).
    """
    prior_dir = np.log(alpha / 2.0)

    def direction(acc: FloatArray) -> tuple[FloatArray, FloatArray]:
        if copy_rate is None:
            c: Any = estimate_copy_rate(kt, kf, kd, acc, n_false)
            differ = np.log1p(-c)
        else:
            c = float(copy_rate)
            differ = np.log1p(-c)
        # ln(1 - c + c/A) and ln(1 - c + c n/(1 - A)), both >= 0.
        true_term = np.log1p(c * (1.0 - acc) / acc)
        false_term = np.log1p(c * (n_false / (1.0 - acc) - 1.0))
        score: FloatArray = prior_dir + kt * true_term + kf * false_term + kd * differ
        return score, np.broadcast_to(c, acc.shape)

    l_ij, c_ij = direction(acc_i)
    l_ji, c_ji = direction(acc_j)
    # Normalise the three scores (independent, i -> j, j -> i) stably.
    top = np.maximum(np.maximum(l_ij, l_ji), np.log1p(-alpha))
    e_ij = np.exp(l_ij - top)
    e_ji = np.exp(l_ji - top)
    total = e_ij + e_ji + np.exp(np.log1p(-alpha) - top)
    return e_ij / total, e_ji / total, c_ij, c_ji


def source_rank(accuracy: FloatArray, size: Any) -> Int64Array:
    """Position of each source in the discount order: the sources with the
    most claims first (ties: the most accurate first, then by index)."""
    n = accuracy.shape[0]
    order = np.lexsort((np.arange(n), -accuracy, -np.asarray(size)))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def independence_log_weight(
    table: Table,
    first: Int64Array,
    second: Int64Array,
    pair: Int64Array,
    d_ij: FloatArray,
    d_ji: FloatArray,
    rank: Int64Array,
    *,
    agreeing: bool = False,
) -> FloatArray:
    """Log of each assertion's independence factor ``prod (1 - c P(S -> S'))``.

    The product runs over the sources ``S'`` that assert the same claim and
    come before the assertion's source ``S`` in ``rank`` (lower first).
    ``d_ij[k]`` is ``c P(i copies j)`` for pair ``k = (i, j)``, ``i < j``,
    ``d_ji[k]`` the same for ``j`` copying ``i``; ``first`` holds the ``i``
    side. ``agreeing=True`` says that every co-occurrence given is of two
    assertions of the same claim (the others are then not filtered out).
    """
    if agreeing:
        f, s, k = first, second, pair
    else:
        same = table.claim[first] == table.claim[second]
        f, s, k = first[same], second[same], pair[same]
    later, log_factor = later_log_factors(table.source[f], table.source[s], k, d_ij, d_ji, rank)
    return weighted_count(np.where(later, s, f), log_factor, table.n_assertions)


def later_log_factors(
    source_first: Any,
    source_second: Any,
    pair: Int64Array,
    d_ij: FloatArray,
    d_ji: FloatArray,
    rank: Int64Array,
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """For co-occurrences of two sources giving the same value: whether the
    *second* source comes later in ``rank``, and ``log(1 - c P(later copies
    earlier))``, the factor the later source's vote takes.

    Examples
    --------
    >>> later_log_factors(np.array([0]), np.array([1]), np.array([0]),
    ...                   np.array([0.5]), np.array([0.0]), np.array([1, 0]))
    (array([False]), array([-0.69314718]))
    """
    second_later = rank[source_second] > rank[source_first]
    # One logarithm per pair and direction, then a gather per co-occurrence.
    keep_ij, keep_ji = np.log1p(-d_ij), np.log1p(-d_ji)
    return second_later, np.where(second_later, keep_ji[pair], keep_ij[pair])


def check_probability_arrays(
    table: Table, claim_probability: Any, reliability: Any
) -> tuple[FloatArray, FloatArray]:
    """Validate and convert the two input arrays of :func:`copy_probabilities`."""
    out = []
    for name, arr, n, what in (
        ("claim_probability", claim_probability, table.n_claims, "claim"),
        ("reliability", reliability, table.n_sources, "source"),
    ):
        a = np.asarray(arr, dtype=np.float64)
        if a.shape != (n,):
            raise InvalidTableError(
                f"{name}: expected shape ({n},), one per {what}, got {a.shape}"
            )
        bad = ~((a >= 0.0) & (a <= 1.0))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            ids = table.source_ids if what == "source" else None
            where = f"source {ids[k].item()!r}" if ids is not None else f"claim {k}"
            raise InvalidTableError(
                f"{name}: {where} has {float(a[k])!r}, not a probability in [0, 1]"
            )
        out.append(a)
    return out[0], out[1]


def copy_probabilities(
    table: Table,
    claim_probability: Any,
    reliability: Any,
    *,
    alpha: float = 0.2,
    copy_rate: float | None = 0.8,
    n_false: float = 100.0,
    eps: float = 1e-3,
    min_shared: int = 1,
) -> tuple[Int64Array, Int64Array, FloatArray]:
    """Probability that each pair of sources sharing objects is dependent.

    Parameters
    ----------
    table : Table
    claim_probability : array of shape (n_claims,)
        Current probability that each candidate value is true.
    reliability : array of shape (n_sources,)
        Accuracy of each source: the probability that a value it gives is
        true. Clipped into ``[eps, 1 - eps]``.
    alpha : float, default 0.2
        Prior probability that a pair of sources is dependent (half for
        each direction).
    copy_rate : float or None, default 0.8
        Probability ``c`` that a copier copies a given value (rather than
        providing it independently). None: estimated for each pair and
        direction by maximum likelihood (:func:`estimate_copy_rate`).
    n_false : float, default 100
        Number ``n`` of false values of an object, uniformly likely.
    eps : float, default 1e-3
        Accuracies are kept in ``[eps, 1 - eps]``.
    min_shared : int, default 1
        List only the pairs sharing at least this many objects (1: every
        pair sharing an object, the exact model). The others are taken as
        independent.

    Returns
    -------
    i, j : int64 arrays
        Source indices of each candidate pair, ``i < j`` (sorted).
    p : float64 array
        Posterior probability that ``i`` and ``j`` are dependent (either one
        copies the other).

    Raises
    ------
    InvalidTableError
        When an array has the wrong shape or holds a value outside [0, 1].
    ValueError
        When a setting is out of range.

    Notes
    -----
    See the module docstring for the model. Pairs of sources with no object
    in common are not listed: with no shared object the posterior equals
    the prior ``alpha``. Neither are the pairs sharing fewer than
    ``min_shared`` objects; the statistics are built block by block
    (:func:`candidate_cooccurrences`), never for all pairs at once.

    References
    ----------
    .. [1] X. L. Dong, L. Berti-Equille and D. Srivastava. Integrating
       conflicting data: the role of source dependence. PVLDB 2(1), 2009.

    Examples
    --------
    Sources ``c1`` and ``c2`` share three values that are almost surely
    false; ``h1`` and ``h2`` share only true ones:

    >>> rows = [(s, o, v) for o in range(3) for s, v in
    ...         [("h1", "t"), ("h2", "t"), ("c1", "f"), ("c2", "f")]]
    >>> t = Table.from_rows(rows)
    >>> prob = [0.99 if v == "t" else 0.01 for v in t.claim_value]
    >>> i, j, p = copy_probabilities(t, prob, [0.9] * 4)
    >>> {(str(t.source_ids[a]), str(t.source_ids[b])): round(float(q), 3)
    ...  for a, b, q in zip(i, j, p)}
    {('c1', 'c2'): 1.0, ('c1', 'h1'): 0.002, ('c1', 'h2'): 0.002,
     ('c2', 'h1'): 0.002, ('c2', 'h2'): 0.002, ('h1', 'h2'): 0.282}
    """
    i, j, p, _ = copy_pairs(
        table,
        claim_probability,
        reliability,
        alpha=alpha,
        copy_rate=copy_rate,
        n_false=n_false,
        eps=eps,
        min_shared=min_shared,
    )
    return i, j, p


def copy_pairs(
    table: Table,
    claim_probability: Any,
    reliability: Any,
    *,
    alpha: float = 0.2,
    copy_rate: float | None = 0.8,
    n_false: float = 100.0,
    eps: float = 1e-3,
    min_shared: int = 1,
) -> tuple[Int64Array, Int64Array, FloatArray, FloatArray]:
    """As :func:`copy_probabilities`, and the copy rate of each pair: that of
    its more likely direction (``copy_rate`` itself when given).

    Examples
    --------
    With the copy rate estimated, a pair sharing three false values copies
    nearly all of them:

    >>> rows = [(s, o, v) for o in range(3) for s, v in
    ...         [("h1", "t"), ("h2", "t"), ("c1", "f"), ("c2", "f")]]
    >>> t = Table.from_rows(rows)
    >>> prob = [0.99 if v == "t" else 0.01 for v in t.claim_value]
    >>> i, j, p, c = copy_pairs(t, prob, [0.9] * 4, copy_rate=None)
    >>> pair = [(str(t.source_ids[a]), str(t.source_ids[b])) for a, b in zip(i, j)]
    >>> k = pair.index(("c1", "c2"))
    >>> round(float(p[k]), 3), round(float(c[k]), 3)
    (1.0, 0.999)
    """
    check_copy_settings(alpha, copy_rate, n_false, eps)
    min_shared = check_min_shared(min_shared)
    prob, rel = check_probability_arrays(table, claim_probability, reliability)
    found = candidate_cooccurrences(table, min_shared)
    return judge_pairs(
        table, prob, rel, found, alpha=alpha, copy_rate=copy_rate, n_false=n_false, eps=eps
    )


Cooccurrences = tuple[Int64Array, Int64Array, Int64Array, Int64Array]
"""``(keys, first, second, pair)``, as :func:`candidate_cooccurrences` returns."""


def judge_pairs(
    table: Table,
    prob: FloatArray,
    rel: FloatArray,
    found: Cooccurrences,
    *,
    alpha: float,
    copy_rate: float | None,
    n_false: float,
    eps: float = 1e-3,
) -> tuple[Int64Array, Int64Array, FloatArray, FloatArray]:
    """:func:`copy_pairs` of the pairs and co-occurrences ``found`` in
    ``table`` (by :func:`candidate_cooccurrences` or
    :func:`within_objects`), without checking the inputs: so that several
    judgements of one table find its co-occurrences once."""
    keys, first, second, pair = found
    n = np.int64(table.n_sources)
    i, j = keys // n, keys % n
    kt, kf, kd = pair_statistics(table, prob, first, second, pair, keys.shape[0])
    acc = np.clip(rel, eps, 1.0 - eps)
    p_ij, p_ji, c_ij, c_ji = directed_probabilities(
        kt, kf, kd, acc[i], acc[j], alpha=alpha, copy_rate=copy_rate, n_false=n_false
    )
    p: FloatArray = np.minimum(p_ij + p_ji, 1.0)  # the sum can round above 1
    rate: FloatArray = np.where(p_ij >= p_ji, c_ij, c_ji).astype(np.float64)
    return i, j, p, rate
