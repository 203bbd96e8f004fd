"""Synthetic tables with known truth, known reliabilities and planted copiers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.models.base import check_seed
from credscore.table.table import Table

__all__ = ["SyntheticInfo", "synthetic"]


@attrs.frozen
class SyntheticInfo:
    """What :func:`synthetic` planted.

    Attributes
    ----------
    source_ids : tuple of str
        Source labels, in index order (``"s00"``, ``"s01"``, ...).
    reliability : tuple of float
        Each source's probability of giving the true value when it answers on
        its own (a copier's copied values inherit its original's accuracy).
    copy_pairs : tuple of (str, str)
        ``(copier, original)`` for every planted copier.
    groups : tuple of tuple of str
        Each copier group: its original first, then its copiers.
    copy_rate : float
        Probability that a copier copies a given value of its original.
    """

    source_ids: tuple[str, ...]
    reliability: tuple[float, ...]
    copy_pairs: tuple[tuple[str, str], ...]
    groups: tuple[tuple[str, ...], ...]
    copy_rate: float

    @property
    def dependent_pairs(self) -> frozenset[tuple[str, str]]:
        """Every unordered pair ``(a, b)`` with ``a < b`` inside one copier group.

        Two copiers of one original are dependent too: they share its values,
        false ones included.

        Examples
        --------
        >>> _, _, info = synthetic(n_sources=4, n_objects=5, copiers={0: [1, 2]}, seed=0)
        >>> sorted(info.dependent_pairs)
        [('s0', 's1'), ('s0', 's2'), ('s1', 's2')]
        """
        out = set()
        for group in self.groups:
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    out.add((min(a, b), max(a, b)))
        return frozenset(out)


def _per_source(x: float | Sequence[float], n: int, name: str, low_open: bool) -> Any:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected a number or {n} numbers, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr > 1) | ((arr <= 0) if low_open else (arr < 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name}: entry {i} is {arr[i]!r}, outside {interval}")
    return arr


def synthetic(
    n_sources: int = 10,
    n_objects: int = 100,
    n_values: int = 4,
    reliability: float | Sequence[float] = 0.7,
    copiers: Mapping[int, Sequence[int]] | None = None,
    *,
    copy_rate: float = 1.0,
    coverage: float | Sequence[float] = 1.0,
    seed: int | np.random.Generator | None = None,
) -> tuple[Table, dict[str, str], SyntheticInfo]:
    """Generate a categorical table with known truth, reliabilities and copiers.

    Each object's true value is drawn uniformly from ``n_values`` values
    ``"v0"``, ``"v1"``, ...; each source covers each object with probability
    ``coverage`` and gives the true value with probability ``reliability``,
    otherwise a false value drawn uniformly from the other ``n_values - 1``.
    Each copier, for each object its original covers, copies the original's
    value with probability ``copy_rate`` (and otherwise answers on its own).

    Parameters
    ----------
    n_sources, n_objects : int
        Sizes; sources are ``"s0"``... and objects ``"o0"``... (zero-padded, so
        the sorted ids follow the indices).
    n_values : int
        Candidate values per object, at least 2.
    reliability : float or sequence of float in [0, 1]
        One for all sources, or one per source.
    copiers : mapping, optional
        ``{original: [copier, ...]}`` by source index. A copier copies one
        original, and an original is not itself a copier.
    copy_rate : float in [0, 1]
    coverage : float or sequence of float in (0, 1]
    seed : int, numpy.random.Generator or None

    Returns
    -------
    table : Table
    truth : dict
        ``{object_id: true value}`` for every object that has an assertion.
    info : SyntheticInfo

    Raises
    ------
    ValueError
        When a size, probability or copier index is out of range.

    Notes
    -----
    The generator draws a dense ``n_sources x n_objects`` matrix, so it is
    meant for tables up to some 10^7 cells.

    Examples
    --------
    Three independent honest sources against an unreliable one copied by
    three others: the four identical votes outvote the honest majority.

    >>> from credscore.models import Majority
    >>> from credscore.metrics import evaluate
    >>> table, truth, info = synthetic(
    ...     n_sources=7, n_objects=300, n_values=4,
    ...     reliability=[0.8, 0.8, 0.8, 0.2, 0.2, 0.2, 0.2],
    ...     copiers={3: [4, 5, 6]}, seed=0)
    >>> info.copy_pairs
    (('s4', 's3'), ('s5', 's3'), ('s6', 's3'))
    >>> evaluate(Majority().fit_score(table), truth)["accuracy"] < 0.5
    True
    """
    for name, v, low in (
        ("n_sources", n_sources, 1),
        ("n_objects", n_objects, 1),
        ("n_values", n_values, 2),
    ):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"{name}: expected an integer >= {low}, got {v!r}")
    if not (isinstance(copy_rate, (int, float)) and 0 <= copy_rate <= 1):
        raise ValueError(f"copy_rate: expected a number in [0, 1], got {copy_rate!r}")
    rel = _per_source(reliability, n_sources, "reliability", low_open=False)
    cov = _per_source(coverage, n_sources, "coverage", low_open=True)
    copy_of = np.full(n_sources, -1, dtype=np.int64)
    for original, group in (copiers or {}).items():
        for c in [original, *group]:
            if (
                isinstance(c, bool)
                or not isinstance(c, (int, np.integer))
                or not 0 <= c < n_sources
            ):
                raise ValueError(f"copiers: source index {c!r} outside 0..{n_sources - 1}")
        for c in group:
            if c == original or copy_of[c] >= 0:
                raise ValueError(f"copiers: source {c} copies itself or two originals")
            copy_of[c] = original
    for original in copiers or {}:
        if copy_of[original] >= 0:
            raise ValueError(f"copiers: original {original} is itself a copier")

    rng = check_seed(seed)
    truth_idx = rng.integers(n_values, size=n_objects)
    shape = (n_sources, n_objects)
    covered = rng.random(shape) < cov[:, None]
    right = rng.random(shape) < rel[:, None]
    shift = 1 + rng.integers(n_values - 1, size=shape)
    value = np.where(right, truth_idx[None, :], (truth_idx[None, :] + shift) % n_values)
    copies = rng.random(shape) < copy_rate
    for cp in np.flatnonzero(copy_of >= 0).tolist():
        orig = int(copy_of[cp])
        take = copies[cp] & covered[orig]
        value[cp] = np.where(take, value[orig], value[cp])
        covered[cp] |= take

    width_s, width_o = len(str(n_sources - 1)), len(str(n_objects - 1))
    source_ids = np.array([f"s{i:0{width_s}d}" for i in range(n_sources)])
    object_ids = np.array([f"o{i:0{width_o}d}" for i in range(n_objects)])
    value_ids = np.array([f"v{i}" for i in range(n_values)])
    s_idx, o_idx = np.nonzero(covered)
    values: npt.NDArray[np.str_] = value_ids[value[s_idx, o_idx]]
    table = Table.from_arrays(source_ids[s_idx], object_ids[o_idx], values, numeric=False)
    present = np.unique(o_idx)
    truth = dict(zip(object_ids[present].tolist(), value_ids[truth_idx[present]].tolist()))
    groups = tuple(
        (str(source_ids[g]), *(str(source_ids[c]) for c in np.flatnonzero(copy_of == g)))
        for g in sorted(copiers or {})
    )
    info = SyntheticInfo(
        source_ids=tuple(source_ids.tolist()),
        reliability=tuple(rel.tolist()),
        copy_pairs=tuple(
            (str(source_ids[c]), str(source_ids[copy_of[c]])) for c in np.flatnonzero(copy_of >= 0)
        ),
        groups=groups,
        copy_rate=float(copy_rate),
    )
    return table, truth, info
