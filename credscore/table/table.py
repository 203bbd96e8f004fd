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

import contextlib
import datetime as dt
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore._validators import show
from credscore.errors import CredscoreWarning, InvalidTableError, outside_stacklevel
from credscore.kernels.codes import compile_by_object, concat_ranges
from credscore.kernels.segments import compile_codes, factorize
from credscore.kernels.splice import merger, splice_assertions, splice_claims

__all__ = ["Table", "parse_times"]

IntArray = npt.NDArray[np.int32]
IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _readonly(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    a.setflags(write=False)
    return a


@attrs.define(frozen=True, eq=False, repr=False)
class Table:
    """A compiled table of assertions.

    Build it with :meth:`from_arrays` (parallel arrays), :meth:`from_rows`
    (an iterable of tuples), :meth:`from_dataframe` (a pandas DataFrame) or
    :func:`read_table` (a CSV/TSV file).

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
    #: rows the table was compiled from (``None`` when it was assembled from
    #: compiled arrays, as a Dask partition is); more than :attr:`n_assertions`
    #: when a source gave several values for one object, of which the last is
    #: kept
    n_rows: int | None = attrs.field(default=None, kw_only=True)
    #: the values were integers and ``numeric`` was not stated: the table is
    #: categorical (crowd labels are integers almost everywhere), and a model
    #: that takes only numbers reads the same values as numbers
    #: (:meth:`as_numbers`)
    integer_labels: bool = attrs.field(default=False, kw_only=True)
    #: every label of :attr:`labels` is a candidate value of every object, also
    #: where nobody gave it (:meth:`with_label_set`); :meth:`append` keeps it so
    label_set: bool = attrs.field(default=False, kw_only=True)
    #: what is computed once from the arrays (:attr:`labels`)
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def labels(self) -> np.ndarray[Any, Any]:
        """The sorted distinct values of the claims, computed once.

        Examples
        --------
        >>> t = Table.from_arrays(["s1", "s2", "s1"], ["x", "x", "y"], ["b", "a", "b"])
        >>> t.labels.tolist(), t.claim_label.tolist()
        (['a', 'b'], [0, 1, 1])
        """
        if "labels" not in self._cache:
            labels, code = factorize(self.claim_value)
            self._set_labels(labels, code)
        out: np.ndarray[Any, Any] = self._cache["labels"]
        return out

    @property
    def claim_label(self) -> IntArray:
        """Index in :attr:`labels` of each claim's value."""
        self.labels  # noqa: B018 -- fills the cache
        out: IntArray = self._cache["claim_label"]
        return out

    def _set_labels(self, labels: np.ndarray[Any, Any], code: IntArray) -> None:
        self._cache["labels"] = _readonly(labels)
        self._cache["claim_label"] = _readonly(code)

    def _evolve(self, **changes: Any) -> Table:
        """``attrs.evolve`` that keeps the labels when the claims stay."""
        out = attrs.evolve(self, **changes)
        if "claim_value" not in changes:
            out._cache.update(self._cache)
        return out

    def as_numbers(self) -> Table:
        """This table with its integer labels read as numbers.

        Examples
        --------
        >>> t = Table.from_arrays(["s1", "s2"], ["x", "x"], [3, 5])
        >>> t.numeric, t.as_numbers().numeric, t.as_numbers().claim_value.tolist()
        (False, True, [3.0, 5.0])
        """
        if self.numeric:
            return self
        if not self.integer_labels:
            raise InvalidTableError(
                "value: the values are labels, not numbers (build the table with numeric=True)"
            )
        # integer labels are int64 or uint64: always within MAX_NUMERIC
        values = self.claim_value.astype(np.float64)
        return attrs.evolve(self, claim_value=_readonly(values), numeric=True)

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
            the latest wins (ties: the later row). Text is read as numbers, or
            else as ISO 8601 times (:func:`parse_times`), as a file's times are.
        numeric : bool, optional
            Treat values as numbers. Default: True when ``value`` has a
            floating-point dtype. Integer values, unless ``numeric`` says
            otherwise, are labels (the table is categorical, as crowd labels
            are) that models taking only numbers read as numbers
            (:attr:`integer_labels`).

        Returns
        -------
        Table

        Raises
        ------
        InvalidTableError
            When lengths differ, the table is empty, a numeric value is NaN
            or infinite, or a column holds labels of two kinds that would be
            one label as text (``1`` and ``"1"``; the message names both rows).

        Notes
        -----
        Large tables compile fastest from integer labels that are already
        codes ``0..k-1`` (they are used as they are) with rows sorted, or at
        least grouped, by object: then only each object's few rows are
        sorted, with no sort over the whole table. Rows in any other order
        are first sorted by object. Rows with ``time`` take a slower,
        general path.

        Examples
        --------
        >>> import numpy as np
        >>> t = Table.from_arrays(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([2, 2, 0]),
        ...                       numeric=False)
        >>> t.claim_value.tolist(), t.source.tolist(), t.object.tolist()
        ([2, 0], [0, 1, 1], [0, 0, 1])
        """
        src_a = _as_column(source, "source")
        obj_a = _as_column(object, "object")
        val_a = _as_column(value, "value")
        n = src_a.shape[0] if src_a.ndim == 1 else -1
        for name, arr in (("source", src_a), ("object", obj_a), ("value", val_a)):
            if arr.ndim != 1:
                raise InvalidTableError(f"{name}: expected a 1-d sequence, got shape {arr.shape}")
            if arr.shape[0] != n:
                raise InvalidTableError(f"{name}: has {arr.shape[0]} rows, but source has {n}")
        if n == 0:
            raise InvalidTableError("source: the table has no rows")
        integer_labels = numeric is None and val_a.dtype.kind in "iu"
        if numeric is None:
            numeric = val_a.dtype.kind == "f"
        if numeric:
            try:
                val_a = val_a.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise InvalidTableError(f"value: not numeric ({exc})") from None
            bad = ~(np.abs(val_a) <= MAX_NUMERIC)  # NaN and inf too
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                x = float(val_a[i])
                why = (
                    "not a finite number"
                    if not np.isfinite(x)
                    else f"beyond +-{MAX_NUMERIC:g} (rescale the column, e.g. to thousands)"
                )
                raise InvalidTableError(
                    f"value: row {i} (source {show(src_a[i])}, object {show(obj_a[i])}) "
                    f"is {x!r}, {why}"
                )
        source_ids, src_i = _factorize(src_a, "source")
        object_ids, obj_i = _factorize(obj_a, "object")
        value_ids, val_i = _factorize(val_a, "value")

        time_a = None
        if time is not None:
            time_a = np.asarray(time)
            if time_a.shape != (n,):
                raise InvalidTableError(f"time: has shape {time_a.shape}, expected ({n},)")
            if time_a.dtype.kind in "US":  # text: as numbers or ISO 8601 times
                t_labels, t_codes = np.unique(time_a, return_inverse=True)
                time_a = parse_times(t_labels, "time", "time")[t_codes.reshape(-1)]
        table = cls._from_codes(
            source_ids, src_i, object_ids, obj_i, value_ids, val_i, time=time_a, numeric=numeric
        )
        return table._evolve(integer_labels=True) if integer_labels else table

    @classmethod
    def _from_codes(
        cls,
        source_ids: np.ndarray[Any, Any],
        src_i: npt.NDArray[np.integer[Any]],
        object_ids: np.ndarray[Any, Any],
        obj_i: npt.NDArray[np.integer[Any]],
        value_ids: np.ndarray[Any, Any],
        val_i: npt.NDArray[np.integer[Any]],
        *,
        time: np.ndarray[Any, Any] | None,
        numeric: bool,
    ) -> Table:
        """Compile rows given as codes into sorted distinct labels (what
        :func:`~credscore.kernels.segments.factorize` returns)."""
        time_a = time
        # Keep the last assertion of each (source, object) pair (by time, then
        # row); claims are the distinct (object, value) pairs, sorted by object
        # then value; assertions sorted by claim then source.
        sizes = (len(source_ids), len(object_ids), len(value_ids))
        by_object = None if time_a is not None else compile_by_object(src_i, obj_i, val_i, *sizes)
        if by_object is not None:
            src_sorted, claim_sorted, claim_object, claim_code, object_start, obj_sorted = (
                by_object
            )
        else:
            src_sorted, claim_sorted, claim_object, claim_code, object_start = compile_codes(
                src_i, obj_i, val_i, *sizes, time=time_a
            )
            obj_sorted = claim_object[claim_sorted]
        claim_value = value_ids[claim_code]
        table = cls(
            source_ids=_readonly(source_ids),
            object_ids=_readonly(object_ids),
            claim_object=_readonly(claim_object),
            claim_value=_readonly(claim_value),
            object_start=_readonly(object_start),
            source=_readonly(src_sorted),
            claim=_readonly(claim_sorted),
            object=_readonly(obj_sorted),
            numeric=bool(numeric),
            n_rows=int(src_i.shape[0]),
        )
        # The labels from the codes (integers: no sort of the values).
        present, code = factorize(claim_code)
        table._set_labels(value_ids[present], code)
        return table

    def append(self, other: Table) -> Table:
        """This table with the assertions of ``other`` added.

        Sources, objects and values are matched by their labels; an
        assertion of a ``(source, object)`` pair that both tables hold is
        replaced by ``other``'s, as a later row supersedes an earlier one in
        :meth:`from_arrays`. What a model's
        :meth:`~credscore.models.TruthModel.partial_fit` fits.

        The objects ``other`` leaves alone keep their claims and assertions
        as they are (their codes mapped to the new labels); only the objects
        it touches are compiled again. The cost is a few passes over the
        arrays and a sort of the labels ``other`` brings; nothing is
        factorised again.

        Raises
        ------
        InvalidTableError
            When one table is numeric and the other is not, or their source,
            object or value labels are of different kinds (text and numbers:
            ``"1"`` and ``1`` would otherwise be silently one label, or two).

        Examples
        --------
        >>> t = Table.from_arrays(["s1", "s2"], ["x", "x"], ["a", "b"])
        >>> u = t.append(Table.from_arrays(["s2", "s3"], ["x", "y"], ["a", "c"]))
        >>> u
        <Table: 3 assertions, 3 sources, 2 objects, 2 claims, categorical>
        >>> u.claim_value.tolist(), u.source.tolist()
        (['a', 'c'], [0, 1, 2])
        """
        if not isinstance(other, Table):
            raise TypeError(f"other: expected a credscore.Table, got {type(other).__name__}")
        if other.numeric != self.numeric:
            kinds = {True: "numeric", False: "categorical"}
            raise InvalidTableError(
                f"value: the new rows are {kinds[other.numeric]} and the table is "
                f"{kinds[self.numeric]}"
            )
        source_ids, s_old, s_new = _union(self.source_ids, other.source_ids, "source")
        object_ids, o_old, o_new = _union(self.object_ids, other.object_ids, "object")
        value_ids, v_old, v_new = _union(self.labels, other.labels, "value")
        table = _splice(
            self,
            other,
            (source_ids, s_old, s_new),
            (object_ids, o_old, o_new),
            (value_ids, v_old, v_new),
        )
        rows = (self.n_rows or self.n_assertions) + (other.n_rows or other.n_assertions)
        both = self.integer_labels and other.integer_labels
        table = table._evolve(n_rows=rows, integer_labels=both)
        if self.label_set or other.label_set:
            table = table.with_label_set(value_ids)
        return table

    def with_label_set(self, labels: Iterable[Any] | None = None) -> Table:
        """This table with every label a candidate value of every object.

        A table's claims are the values someone gave, so a model can only
        return one of them. Crowd labels come from a fixed set, though, and
        a Dawid-Skene-type model can conclude that the truth is a label
        nobody gave (three workers who all answer "match" where their
        confusion matrices say "no match" is likelier). This table holds a
        claim for each ``(object, label)``; a claim nobody made has no
        assertions, and models give it what their fit implies: a model with
        parameters per label (``dawid-skene``, ``ibcc``, ``ebcc``,
        ``corroboration``'s label prior, ``pop-accu``) can answer it; models
        with one number per source give it a small probability, and the
        voting models 0.

        Parameters
        ----------
        labels : iterable, optional
            The label set; by default :attr:`labels`, the values anyone
            gave. It must hold every value of the table, as labels of the
            same kind (text or integers).

        Returns
        -------
        Table
            With ``n_objects x len(labels)`` claims, the same assertions and
            :attr:`label_set` true.

        Raises
        ------
        InvalidTableError
            On a numeric table, when ``labels`` misses a value of the table
            or holds labels of another kind, or when the claims would
            number more than 2**31 - 1.

        Examples
        --------
        >>> t = Table.from_arrays(["s1", "s2", "s1"], ["x", "x", "y"], ["a", "b", "a"])
        >>> u = t.with_label_set()
        >>> u.n_claims, u.claim_value.tolist(), u.claim.tolist()
        (4, ['a', 'b', 'a', 'b'], [0, 1, 2])
        >>> t.with_label_set(["a", "b", "c"]).n_claims
        6
        """
        if self.numeric:
            raise InvalidTableError(
                "value: a numeric table has no label set (its values are numbers, not labels)"
            )
        if labels is None:
            lab = self.labels
            code = np.arange(lab.shape[0])
        else:
            given = np.asarray(list(labels) if not isinstance(labels, np.ndarray) else labels)
            if given.ndim != 1 or given.shape[0] == 0:
                raise InvalidTableError("labels: expected a non-empty sequence of labels")
            if self.labels.dtype.kind == "O":
                given = given.astype(object)
            lab, _ = _factorize(given, "labels")
            if _kind(lab) != _kind(self.labels):
                raise InvalidTableError(
                    f"labels: they are {_kind(lab)} and the table's values are "
                    f"{_kind(self.labels)}"
                )
            code = np.minimum(np.searchsorted(lab, self.labels), lab.shape[0] - 1)
            missing = np.flatnonzero(lab[code] != self.labels)
            if missing.size:
                raise InvalidTableError(
                    f"labels: the table has the value {show(self.labels[missing[0]])}, "
                    "which is not in the label set"
                )
        k = int(lab.shape[0])
        n_o = self.n_objects
        if n_o * k > np.iinfo(np.int32).max:
            raise InvalidTableError(
                f"value: {n_o:,} objects x {k:,} labels is more claims than a table "
                "holds (2**31 - 1)"
            )
        new_id = self.claim_object.astype(np.int64) * k + code[self.claim_label]
        table = Table(
            source_ids=self.source_ids,
            object_ids=self.object_ids,
            claim_object=_readonly(np.repeat(np.arange(n_o, dtype=np.int32), k)),
            claim_value=_readonly(np.tile(lab, n_o)),
            object_start=_readonly(np.arange(0, n_o * k + 1, k, dtype=np.int64)),
            source=self.source,
            # claims were in (object, value) order, so the new ids keep the
            # assertions in claim order
            claim=_readonly(new_id[self.claim].astype(np.int32)),
            object=self.object,
            numeric=False,
            n_rows=self.n_rows,
            integer_labels=self.integer_labels,
            label_set=True,
        )
        table._set_labels(_readonly(lab.copy()), np.tile(np.arange(k, dtype=np.int32), n_o))
        return table

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

    @classmethod
    def from_dataframe(
        cls,
        df: Any,
        *,
        source: str = "source",
        object: str = "object",
        value: str = "value",
        time: str | None = None,
        numeric: bool | None = None,
    ) -> Table:
        """Compile a pandas DataFrame with one assertion per row.

        Requires the optional ``pandas`` extra (``pip install credscore[pandas]``).

        Parameters
        ----------
        df : pandas.DataFrame
        source, object, value : str
            Names of the columns holding the source, the object and the value.
        time : str, optional
            Name of a column of sortable times (see :meth:`from_arrays`).
        numeric : bool, optional
            Treat values as numbers. Default: True when the value column has a
            floating-point dtype; integers are labels, as in :meth:`from_arrays`.

        Returns
        -------
        Table

        Raises
        ------
        InvalidTableError
            When a column is missing, the frame is empty, or a cell is missing
            (None/NaN/NA) -- the message names the column and the row label.
        ImportError
            When pandas is not installed.

        Examples
        --------
        (skipped when pandas is not installed)

        >>> import pytest; pd = pytest.importorskip("pandas")
        >>> df = pd.DataFrame({"who": ["s1", "s2"], "object": ["x", "x"], "value": [1.5, 2.5]})
        >>> Table.from_dataframe(df, source="who")
        <Table: 2 assertions, 2 sources, 1 objects, 2 claims, numeric>
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Table.from_dataframe needs pandas; install it with "
                "`pip install credscore[pandas]`"
            ) from None
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"df: expected a pandas.DataFrame, got {type(df).__name__}")
        wanted = {"source": source, "object": object, "value": value}
        if time is not None:
            wanted["time"] = time
        for role, col in wanted.items():
            if col not in df.columns:
                raise InvalidTableError(
                    f"{role}: no column {col!r} in the DataFrame "
                    f"(columns: {', '.join(map(str, df.columns))})"
                )
            copies = int(np.sum(np.asarray(df.columns == col)))
            if copies > 1:
                raise InvalidTableError(
                    f"{role}: the DataFrame has {copies} columns named {col!r}; rename all but one"
                )
        arrays: dict[str, np.ndarray[Any, Any]] = {}
        for role, col in wanted.items():
            series = df[col]
            missing = series.isna().to_numpy()
            if missing.any():
                i = int(np.flatnonzero(missing)[0])
                raise InvalidTableError(
                    f"{role}: column {col!r} is missing a value at row {df.index[i]!r}"
                )
            arrays[role] = np.asarray(series.to_numpy())
        return cls.from_arrays(
            arrays["source"],
            arrays["object"],
            arrays["value"],
            time=arrays.get("time"),
            numeric=numeric,
        )


Union = tuple[np.ndarray[Any, Any], IntArray, IntArray]


def _splice(a: Table, b: Table, sources: Union, objects: Union, values: Union) -> Table:
    """``a`` with ``b``'s assertions added (the work of :meth:`Table.append`).

    Each of ``sources``, ``objects`` and ``values`` is what :func:`_union`
    returns: the union of the labels and where ``a``'s and ``b``'s go. The
    maps keep the order of labels, so the claims and assertions of the
    objects ``b`` does not touch stay sorted as they are; those ``b``
    touches (its rows after ``a``'s, so that they supersede them) are
    compiled as a small table, and the two are merged by position.
    """
    source_ids, s_old, s_new = sources
    object_ids, o_old, o_new = objects
    value_ids, v_old, v_new = values
    n_obj = object_ids.shape[0]
    touched = np.zeros(n_obj, dtype=bool)
    touched[o_new] = True
    touched_a = touched[o_old]
    # a's assertions on the touched objects (assertions are in object order)
    idx = np.flatnonzero(touched_a).astype(a.object.dtype)
    lo = np.searchsorted(a.object, idx, side="left")
    hi = np.searchsorted(a.object, idx, side="right")
    rows = concat_ranges(lo, hi)
    obj_a = o_old[a.object[rows]]
    obj_b = o_new[b.object]
    at = np.searchsorted(obj_a, obj_b, side="right") + np.arange(obj_b.shape[0])
    merge, _ = merger(obj_a.shape[0] + obj_b.shape[0], at)
    small = compile_by_object(
        merge(s_old[a.source[rows]], s_new[b.source], np.int32),
        merge(obj_a, obj_b, np.int32),
        merge(v_old[a.claim_label[a.claim[rows]]], v_new[b.claim_label[b.claim]], np.int32),
        source_ids.shape[0],
        n_obj,
        value_ids.shape[0],
    )
    if small is None:  # pragma: no cover - b has at least one assertion
        raise InvalidTableError("value: the new rows hold no assertion")
    sm_source, sm_claim, sm_claim_object, sm_code, _, sm_object = small
    # Claims: a's on the objects b leaves alone, and the small table's, in
    # object order (no object is in both); then the assertions, in claim
    # order (credscore.kernels.splice).
    n_claims_kept = a.n_claims - int((a.object_start[idx + 1] - a.object_start[idx]).sum())
    claim_object, claim_code, claim_map, pos_s, object_start = splice_claims(
        a.claim_object,
        a.claim_label,
        touched_a,
        o_old,
        v_old,
        sm_claim_object,
        sm_code,
        n_obj,
        n_claims_kept,
    )
    source, claim, obj = splice_assertions(
        a.claim,
        a.source,
        a.object,
        touched_a,
        claim_map,
        s_old,
        o_old,
        pos_s[sm_claim].astype(np.int32),
        sm_source,
        sm_object,
        a.n_assertions - rows.shape[0],
    )
    table = Table(
        source_ids=_readonly(source_ids),
        object_ids=_readonly(object_ids),
        claim_object=_readonly(claim_object),
        claim_value=_readonly(value_ids[claim_code]),
        object_start=_readonly(object_start),
        source=_readonly(source),
        claim=_readonly(claim),
        object=_readonly(obj),
        numeric=a.numeric,
        n_rows=None,
    )
    present, code = factorize(claim_code)
    table._set_labels(value_ids[present], code)
    return table


def _kind(a: np.ndarray[Any, Any]) -> str:
    """What labels an array holds, for refusing to mix them."""
    if a.dtype.kind in "iub":
        return "integers"
    if a.dtype.kind == "f":
        return "numbers"
    if a.dtype.kind in "US":
        return "text"
    return "Python objects"


def _union(
    a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], name: str
) -> tuple[np.ndarray[Any, Any], IntArray, IntArray]:
    """Sorted union of two sorted label arrays and where each one's labels go.

    When ``b`` brings no new label the union is ``a`` itself and ``a``'s map
    the identity. The maps are strictly increasing (``a`` is sorted), which
    the numpy merges of :mod:`credscore.kernels.splice` rely on to tell the
    identity from its last entry and skip it."""
    if _kind(a) != _kind(b):
        raise InvalidTableError(
            f"{name}: the new rows' labels are {_kind(b)} and the table's are {_kind(a)}"
        )
    at = np.searchsorted(a, b)
    inside = at < a.shape[0]
    known = np.zeros(b.shape[0], dtype=bool)
    known[inside] = a[at[inside]] == b[inside]
    if known.all():
        return a, np.arange(a.shape[0], dtype=np.int32), at.astype(np.int32)
    union = np.concatenate([a, b[~known]])
    order = np.argsort(union, kind="stable")
    union = union[order]
    rank = np.empty(order.shape[0], dtype=np.int32)
    rank[order] = np.arange(order.shape[0], dtype=np.int32)
    old = rank[: a.shape[0]]
    new = np.empty(b.shape[0], dtype=np.int32)
    new[known] = old[at[known]]
    new[~known] = rank[a.shape[0] :]
    return _readonly(union), old, new


def parse_times(labels: np.ndarray[Any, Any], where: str, column: str) -> np.ndarray[Any, Any]:
    """The distinct cells of a time column as sortable keys.

    Numbers when every cell is one; else seconds since 1970 when every cell
    is an ISO 8601 date or time (``2024-01-09``, ``2024-01-09T10:00``,
    ``2024-01-09 10:00:00+02:00``, ``...Z``): a time with an offset is taken
    to UTC and one without is taken as UTC, as a case file's times are
    (:func:`credscore.case.parse_time`); else each cell's rank in text
    order, with a :class:`~credscore.errors.CredscoreWarning` naming a cell
    that is neither (text order puts ``2024-1-9`` after ``2024-1-10``, so the
    value kept as the latest may not be). The keys are always numbers, so a
    column read once is not read again by :meth:`Table.from_arrays`.

    Examples
    --------
    >>> parse_times(np.array(["2024-01-09", "2024-01-10T06:00"]), "t.csv", "time").tolist()
    [1704758400.0, 1704866400.0]
    >>> parse_times(np.array(["2024-01-10T01:00+05:00", "2024-01-09T22:00"]), "t", "time").tolist()
    [1704830400.0, 1704837600.0]
    >>> parse_times(np.array(["10", "9"]), "t.csv", "time").tolist()
    [10.0, 9.0]
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     parse_times(np.array(["2024-1-9", "2024-1-10"]), "t.csv", "time").tolist()
    [1.0, 0.0]
    """
    with contextlib.suppress(ValueError, TypeError):
        return labels.astype(np.float64)
    with warnings.catch_warnings():
        # numpy parses zone-less ISO times in C; with a zone it warns, and it
        # reads "NaT" (the loop below then reads them, or warns)
        warnings.simplefilter("error")
        with contextlib.suppress(ValueError, TypeError, Warning):
            parsed = labels.astype("datetime64[us]")
            if not np.isnat(parsed).any():
                return parsed.astype(np.int64) / 1e6
    out = np.empty(labels.shape[0])
    for i, cell in enumerate(labels.tolist()):
        try:
            when = dt.datetime.fromisoformat(str(cell))
        except ValueError:
            warnings.warn(
                f"{where}: the {column!r} cell {show(cell)} is neither a number nor an ISO 8601 "
                "time (2024-01-09, 2024-01-09T10:00); the times are compared as text, "
                "so the value kept as a source's latest may not be",
                CredscoreWarning,
                stacklevel=outside_stacklevel(),
            )
            rank = np.empty(labels.shape[0])
            rank[np.argsort(labels, kind="stable")] = np.arange(labels.shape[0])
            return rank
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        out[i] = when.timestamp()
    return out


def _as_column(column: Any, name: str) -> np.ndarray[Any, Any]:
    """``numpy.asarray(column)``, refusing a sequence whose labels of different
    kinds become one label as text (``1`` and ``"1"``: numpy makes both
    ``"1"``, which would silently join two sources, objects or values)."""
    arr = np.asarray(column)
    if arr.dtype.kind in "US" and not isinstance(column, np.ndarray) and arr.ndim == 1:
        kinds = set(map(type, column))
        if len(kinds) > 1 and any(not issubclass(k, (str, bytes)) for k in kinds):
            _refuse_joined(list(column), name)
    return arr


def _refuse_joined(items: list[Any], name: str) -> None:
    """Raise when two distinct ``items`` have the same text, naming their rows."""
    first: dict[str, int] = {}
    for i, x in enumerate(items):
        x_py = x.item() if isinstance(x, np.generic) else x
        key = x_py.decode("utf-8", "replace") if isinstance(x_py, bytes) else str(x_py)
        j = first.setdefault(key, i)
        if j != i and type(items[j]) is not type(x) and items[j] != x:
            raise InvalidTableError(
                f"{name}: rows {j} and {i} hold {show(items[j])} and {show(x)}, which would be "
                f"one label {key!r} as text; give the column labels of one kind"
            )


def _factorize(a: np.ndarray[Any, Any], name: str) -> tuple[np.ndarray[Any, Any], IntArray]:
    """Sorted unique labels and the int32 index of each entry."""
    if a.dtype.kind == "O":
        if any(x is None for x in a):
            i = next(k for k, x in enumerate(a) if x is None)
            raise InvalidTableError(f"{name}: row {i} is missing")
        try:
            uniq, inv = np.unique(a, return_inverse=True)
        except TypeError:  # labels of kinds that do not sort together: as text
            _refuse_joined(a.tolist(), name)
            uniq, inv = np.unique(a.astype(str), return_inverse=True)
    else:
        if a.dtype.kind == "f" and np.isnan(a).any():
            i = int(np.flatnonzero(np.isnan(a))[0])
            raise InvalidTableError(f"{name}: row {i} is NaN")
        return factorize(a)
    return uniq, inv.reshape(-1).astype(np.int32)


#: Largest magnitude of a numeric value. Numeric models sum values and
#: squared deviations; below 1e100 neither can overflow (a sum of 10^9
#: squares stays under 1e210), so no fit meets an infinity.
MAX_NUMERIC = 1e100

#: Column names of the crowd ``answer.csv`` layout (Zheng et al., VLDB 2017).
