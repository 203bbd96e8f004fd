"""Tables of assertions: ``(source, object, value)`` rows compiled to arrays.

A :class:`Table` is the compiled form every table-scale model works on. Rows
are grouped into *claims* -- distinct ``(object, value)`` pairs, the mutually
exclusive candidate values of one object -- and every array is integer
indexed, so that a model is a handful of ``numpy.bincount`` and fancy-indexing
operations over the assertions with no Python loop per row.

Layout (all arrays are read-only)::

    source_ids[n_sources]        original source labels, sorted
    object_ids[n_objects]        original object labels, sorted
    claim_object[n_claims]       object of each claim, non-decreasing
    claim_value[n_claims]        original value of each claim
    object_start[n_objects + 1]  claims of object o are object_start[o]:object_start[o+1]
    source[n_assertions]         source of each assertion (int32)
    claim[n_assertions]          claim of each assertion (int32), non-decreasing
    object[n_assertions]         object of each assertion (= claim_object[claim])

Each ``(source, object)`` pair appears at most once: when a source asserts
several values for one object, its last row wins (by ``time`` when given, else
by row order), as a later report supersedes an earlier one in a case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.errors import InvalidTableError

__all__ = ["Table"]

IntArray = npt.NDArray[np.int32]
IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _readonly(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    a.setflags(write=False)
    return a


@attrs.define(frozen=True, eq=False, repr=False)
class Table:
    """A compiled table of assertions. Build it with :meth:`from_arrays`.

    Examples
    --------
    >>> t = Table.from_arrays(["s1", "s2", "s3"], ["x", "x", "x"], ["a", "a", "b"])
    >>> t.n_sources, t.n_objects, t.n_claims, t.n_assertions
    (3, 1, 2, 3)
    >>> t.claim_value.tolist(), t.claim.tolist()
    (['a', 'b'], [0, 0, 1])
    """

    source_ids: np.ndarray[Any, Any]
    object_ids: np.ndarray[Any, Any]
    claim_object: IntArray
    claim_value: np.ndarray[Any, Any]
    object_start: IndexArray
    source: IntArray
    claim: IntArray
    object: IntArray
    numeric: bool = False

    @property
    def n_sources(self) -> int:
        return int(self.source_ids.shape[0])

    @property
    def n_objects(self) -> int:
        return int(self.object_ids.shape[0])

    @property
    def n_claims(self) -> int:
        return int(self.claim_object.shape[0])

    @property
    def n_assertions(self) -> int:
        return int(self.source.shape[0])

    def __repr__(self) -> str:
        kind = "numeric" if self.numeric else "categorical"
        return (
            f"<Table: {self.n_assertions} assertions, {self.n_sources} sources, "
            f"{self.n_objects} objects, {self.n_claims} claims, {kind}>"
        )

    @classmethod
    def from_arrays(
        cls,
        source: Sequence[Any] | np.ndarray[Any, Any],
        object: Sequence[Any] | np.ndarray[Any, Any],
        value: Sequence[Any] | np.ndarray[Any, Any],
        *,
        time: Sequence[Any] | np.ndarray[Any, Any] | None = None,
        numeric: bool | None = None,
    ) -> Table:
        """Compile parallel arrays of sources, objects and values.

        Parameters
        ----------
        source, object, value : array-like, same length
            One entry per assertion. Labels may be strings or integers.
        time : array-like, optional
            Sortable times; when a source gives several values for one object,
            the latest wins (ties: the later row).
        numeric : bool, optional
            Treat values as numbers. Default: True when ``value`` has a
            numeric (non-boolean) dtype.

        Raises
        ------
        InvalidTableError
            When lengths differ, the table is empty, or a numeric value is
            NaN or infinite.
        """
        src_a = np.asarray(source)
        obj_a = np.asarray(object)
        val_a = np.asarray(value)
        n = src_a.shape[0] if src_a.ndim == 1 else -1
        for name, arr in (("source", src_a), ("object", obj_a), ("value", val_a)):
            if arr.ndim != 1:
                raise InvalidTableError(f"{name}: expected a 1-d sequence, got shape {arr.shape}")
            if arr.shape[0] != n:
                raise InvalidTableError(
                    f"{name}: has {arr.shape[0]} rows, but source has {n}"
                )
        if n == 0:
            raise InvalidTableError("source: the table has no rows")
        if numeric is None:
            numeric = val_a.dtype.kind in "iuf"
        if numeric:
            try:
                val_a = val_a.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise InvalidTableError(f"value: not numeric ({exc})") from None
            bad = ~np.isfinite(val_a)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InvalidTableError(
                    f"value: row {i} (source {src_a[i]!r}, object {obj_a[i]!r}) "
                    f"is {val_a[i]!r}, not a finite number"
                )
        source_ids, src_i = _factorize(src_a, "source")
        object_ids, obj_i = _factorize(obj_a, "object")
        value_ids, val_i = _factorize(val_a, "value")

        # Keep the last assertion of each (source, object) pair.
        order_keys: list[np.ndarray[Any, Any]] = [np.arange(n)]
        if time is not None:
            time_a = np.asarray(time)
            if time_a.shape != (n,):
                raise InvalidTableError(f"time: has shape {time_a.shape}, expected ({n},)")
            order_keys.append(time_a)
        order_keys += [src_i, obj_i]
        order = np.lexsort(order_keys)  # by object, then source, then time, then row
        so = obj_i[order].astype(np.int64) * len(source_ids) + src_i[order]
        last = np.ones(n, dtype=bool)
        last[:-1] = so[1:] != so[:-1]
        keep = order[last]
        src_i, obj_i, val_i = src_i[keep], obj_i[keep], val_i[keep]

        # Claims: distinct (object, value) pairs, sorted by object then value.
        pair = obj_i.astype(np.int64) * len(value_ids) + val_i
        pairs, claim_i = np.unique(pair, return_inverse=True)
        claim_object = (pairs // len(value_ids)).astype(np.int32)
        claim_value = value_ids[pairs % len(value_ids)]
        object_start = np.searchsorted(
            claim_object, np.arange(len(object_ids) + 1)
        ).astype(np.int64)

        by_claim = np.argsort(claim_i, kind="stable")
        claim_sorted = claim_i[by_claim].astype(np.int32)
        return cls(
            source_ids=_readonly(source_ids),
            object_ids=_readonly(object_ids),
            claim_object=_readonly(claim_object),
            claim_value=_readonly(claim_value),
            object_start=_readonly(object_start),
            source=_readonly(src_i[by_claim].astype(np.int32)),
            claim=_readonly(claim_sorted),
            object=_readonly(claim_object[claim_sorted]),
            numeric=bool(numeric),
        )

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]], *, numeric: bool | None = None) -> Table:
        """Compile an iterable of ``(source, object, value)`` or
        ``(source, object, value, time)`` rows.

        Examples
        --------
        >>> Table.from_rows([("a", 1, "x"), ("b", 1, "y")])
        <Table: 2 assertions, 2 sources, 1 objects, 2 claims, categorical>
        """
        cols: list[list[Any]] = [[], [], [], []]
        width = None
        for k, row in enumerate(rows):
            if width is None:
                width = len(row)
                if width not in (3, 4):
                    raise InvalidTableError(
                        f"row {k}: expected (source, object, value[, time]), got {len(row)} fields"
                    )
            elif len(row) != width:
                raise InvalidTableError(f"row {k}: has {len(row)} fields, row 0 has {width}")
            for j in range(width):
                cols[j].append(row[j])
        if width is None:
            raise InvalidTableError("source: the table has no rows")
        return cls.from_arrays(
            cols[0], cols[1], cols[2], time=cols[3] if width == 4 else None, numeric=numeric
        )


def _factorize(a: np.ndarray[Any, Any], name: str) -> tuple[np.ndarray[Any, Any], IntArray]:
    """Sorted unique labels and the int32 index of each entry."""
    if a.dtype.kind == "O":
        if any(x is None for x in a):
            i = next(k for k, x in enumerate(a) if x is None)
            raise InvalidTableError(f"{name}: row {i} is missing")
        try:
            uniq, inv = np.unique(a, return_inverse=True)
        except TypeError:
            uniq, inv = np.unique(a.astype(str), return_inverse=True)
    else:
        if a.dtype.kind == "f" and np.isnan(a).any():
            i = int(np.flatnonzero(np.isnan(a))[0])
            raise InvalidTableError(f"{name}: row {i} is NaN")
        uniq, inv = np.unique(a, return_inverse=True)
    return uniq, inv.reshape(-1).astype(np.int32)
