"""Gold labels inside a fit: known objects clamped while the model learns.

:meth:`TruthModel.fit(table, gold=...) <credscore.models.TruthModel.fit>`
turns ``{object id: true value}`` into a :class:`Gold` of table indices;
models that use it hold those objects at their known value in every
iteration, so the known answers teach each source's reliability (or
confusion matrix) directly, and report them with probability 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.errors import CredscoreWarning, InvalidTableError, outside_stacklevel
from credscore.table.table import Table

__all__ = ["Gold", "clamp_probability", "resolve_gold", "select_objects", "warn_ignored"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@attrs.frozen
class Gold:
    """Known values of some objects of a table, as indices."""

    objects: IntArray  #: the known objects, sorted
    claims: IntArray  #: the claim holding each one's known value, or -1 when no source gave it
    values: np.ndarray[Any, Any]  #: the known values
    n_ignored: int  #: gold entries whose object is not in the table
    #: the first of those entries' object id (None when there is none)
    first_ignored: Any = None

    def object_mask(self, n_objects: int) -> npt.NDArray[np.bool_]:
        out = np.zeros(n_objects, dtype=bool)
        out[self.objects] = True
        return out

    def right_claims(self, n_claims: int) -> FloatArray:
        """1 at the claim of each known value, 0 elsewhere (a known value no
        source gave has no claim).

        Examples
        --------
        >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "2"), ("a", "y", "1")])
        >>> resolve_gold(t, {"x": "2", "y": "3"}).right_claims(t.n_claims).tolist()
        [0.0, 1.0, 0.0]
        """
        out = np.zeros(n_claims)
        out[self.claims[self.claims >= 0]] = 1.0
        return out

    def hold(self, table: Table, prob: FloatArray) -> FloatArray:
        """``prob`` (one number per claim of ``table``) with each known
        object's claims at 1 for its known value and 0 for the others (all 0
        where no source gave it), as a new array; unlike
        :func:`clamp_probability`, for a fit taking the known values as decided.

        Examples
        --------
        >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "2"), ("a", "y", "1")])
        >>> g = resolve_gold(t, {"x": "2", "y": "3"})
        >>> g.hold(t, np.array([0.9, 0.1, 1.0])).tolist()
        [0.0, 1.0, 0.0]
        """
        out = np.array(prob, dtype=np.float64, copy=True)
        out[self.object_mask(table.n_objects)[table.claim_object]] = 0.0
        out[self.claims[self.claims >= 0]] = 1.0
        return out

    def numbers(self, n_objects: int) -> FloatArray:
        """Each known object's value as a number (on a numeric table), 0 for
        the other objects."""
        out = np.zeros(n_objects)
        out[self.objects] = np.asarray(self.values, dtype=np.float64)
        return out

    def labels(self, labels: np.ndarray[Any, Any], table: Table, model: str) -> IntArray:
        """Each known value's index in a model's label space ``labels``.

        Raises
        ------
        InvalidTableError
            A known value is not one of the labels (it names the object).
        """
        out = np.empty(self.objects.shape[0], dtype=np.int64)
        index = {_key(v): i for i, v in enumerate(labels.tolist())}
        for n, (o, v) in enumerate(zip(self.objects.tolist(), self.values.tolist())):
            got = index.get(_key(v))
            if got is None:
                raise InvalidTableError(
                    f"gold: the value {v!r} given for object {_key(table.object_ids[o])!r} is not a "
                    f"label of the table, and {model} learns over the table's labels only"
                )
            out[n] = got
        return out


def _key(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def resolve_gold(table: Table, gold: Mapping[Any, Any]) -> Gold:
    """``{object id: value}`` as indices into ``table``.

    Objects not in the table are left out (counted in ``n_ignored``; see
    :func:`warn_ignored`). A value is matched to the object's claims with
    ``==``; on a numeric table the values must be numbers.

    Raises
    ------
    TypeError
        ``gold`` is not a mapping.
    InvalidTableError
        A value of the wrong kind (a string on a numeric table, a number
        where the table's values are text or the other way round, a missing
        value), or an object id that is not in the table and is of another
        kind than the table's (the number ``1`` where the ids are text, as
        ``"1"`` read from a file is: it would otherwise be silently left
        out); the message names the object.

    Examples
    --------
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "2"), ("a", "y", "1")])
    >>> g = resolve_gold(t, {"x": "2", "z": "1", "y": "3"})
    >>> g.objects.tolist(), g.claims.tolist(), g.n_ignored
    ([0, 1], [1, -1], 1)
    """
    if not isinstance(gold, Mapping):
        raise TypeError(
            f"gold: expected a mapping of object id to value, got {type(gold).__name__}"
        )
    position = {_key(o): i for i, o in enumerate(table.object_ids.tolist())}
    found: list[tuple[int, Any]] = []
    ignored = 0
    first_ignored: Any = None
    ids = _id_kind(table.object_ids)
    labels = None if table.numeric else _id_kind(table.claim_value)
    for obj, value in gold.items():
        i = position.get(_key(obj))
        if i is None:
            kind = _key_kind(obj)
            if ids is not None and kind is not None and kind != ids:
                raise InvalidTableError(
                    f"gold: object {obj!r} is {_KIND_NAMES[kind]} and the table's object "
                    f"ids are {_KIND_NAMES[ids + 's']}, so it names no object{_as_kind(obj, ids)}"
                )
            if ignored == 0:
                first_ignored = obj
            ignored += 1
            continue
        if value is None or (isinstance(value, float) and value != value):
            raise InvalidTableError(f"gold: object {obj!r} has no value")
        if table.numeric and not isinstance(_key(value), (int, float)):
            raise InvalidTableError(
                f"gold: object {obj!r}: expected a number on a numeric table, got {value!r}"
            )
        kind = _key_kind(value)
        if labels is not None and kind is not None and kind != labels:
            # a value of another kind matches no claim, and would be taken
            # as a true value that no source gave
            raise InvalidTableError(
                f"gold: object {obj!r}: the known value {value!r} is {_KIND_NAMES[kind]} and "
                f"the table's values are {_KIND_NAMES[labels + 's']}{_as_kind(value, labels)}"
            )
        found.append((i, value))
    found.sort(key=lambda p: p[0])
    objects = np.array([i for i, _ in found], dtype=np.int64)
    values = np.empty(len(found), dtype=object)
    values[:] = [v for _, v in found]
    claims = np.full(len(found), -1, dtype=np.int64)
    start = table.object_start
    for n, (i, v) in enumerate(found):
        lo, hi = int(start[i]), int(start[i + 1])
        for c in range(lo, hi):
            if _key(table.claim_value[c]) == _key(v):
                claims[n] = c
                break
    return Gold(
        objects=objects,
        claims=claims,
        values=values,
        n_ignored=ignored,
        first_ignored=first_ignored,
    )


_KIND_NAMES = {"text": "text", "number": "a number", "texts": "text", "numbers": "numbers"}


def _id_kind(ids: np.ndarray[Any, Any]) -> str | None:
    """``"text"`` or ``"number"`` for an array of object ids of one kind, else None."""
    if ids.dtype.kind in "US":
        return "text"
    if ids.dtype.kind in "iuf":
        return "number"
    return None


def _key_kind(key: Any) -> str | None:
    """``"text"`` or ``"number"`` for one gold key, else None (booleans, tuples...)."""
    if isinstance(key, (str, np.str_)):
        return "text"
    if isinstance(key, (int, float, np.integer, np.floating)) and not isinstance(
        key, (bool, np.bool_)
    ):
        return "number"
    return None


def _as_kind(key: Any, kind: str) -> str:
    """How to write ``key`` as the table's ids are, for the message (empty
    when it cannot be)."""
    if kind == "text":
        return f" (write it as {str(_key(key))!r})"
    try:
        number = float(key)
    except ValueError:
        return ""
    return f" (write it as {int(number) if number.is_integer() else number!r})"


def warn_ignored(gold: Gold, n_given: int) -> None:
    """Warn (:class:`~credscore.errors.CredscoreWarning`) when some of the
    ``n_given`` known values name objects that are not in the table: they
    are left out of the fit, which is fine for a file of known values that
    covers more than the table, and a mistake when the ids are misspelt.

    Examples
    --------
    >>> import warnings
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "2")])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_ignored(resolve_gold(t, {"x": "1", "X": "2"}), 2)
    >>> print(caught[0].message)
    gold: 1 of 2 known values name objects not in the table, and are left out (the first: 'X')
    """
    if gold.n_ignored:
        warnings.warn(
            f"gold: {gold.n_ignored} of {n_given} known values name objects not in the "
            f"table, and are left out (the first: {gold.first_ignored!r})",
            CredscoreWarning,
            stacklevel=outside_stacklevel(),
        )


def clamp_probability(table: Table, prob: FloatArray, gold: Gold) -> FloatArray:
    """``prob`` with each known object's claims set to 1 for its known value
    and 0 for the others; an object whose known value no source gave keeps
    the model's probabilities (the result can only name claimed values)."""
    out = prob.copy()
    start = table.object_start
    for o, c in zip(gold.objects.tolist(), gold.claims.tolist()):
        if c >= 0:
            out[int(start[o]) : int(start[o + 1])] = 0.0
            out[c] = 1.0
    return out


def select_objects(table: Table, keep: npt.NDArray[np.bool_]) -> Table:
    """The objects of ``table`` where ``keep`` is true, with every source kept
    (indices unchanged), as a table of its own."""
    objects = np.flatnonzero(keep)
    start = table.object_start.astype(np.int64)
    n_claims = (start[objects + 1] - start[objects]).astype(np.int64)
    claim_keep = keep[table.claim_object]
    claims = np.flatnonzero(claim_keep)
    new_claim = np.full(table.n_claims, -1, dtype=np.int64)
    new_claim[claims] = np.arange(claims.shape[0])
    assertion_keep = claim_keep[table.claim]
    new_object = np.full(table.n_objects, -1, dtype=np.int64)
    new_object[objects] = np.arange(objects.shape[0])
    object_start = np.zeros(objects.shape[0] + 1, dtype=table.object_start.dtype)
    np.cumsum(n_claims, out=object_start[1:])
    return Table(
        source_ids=table.source_ids,
        object_ids=table.object_ids[objects],
        claim_object=new_object[table.claim_object[claims]].astype(table.claim_object.dtype),
        claim_value=table.claim_value[claims],
        object_start=object_start,
        source=table.source[assertion_keep],
        claim=new_claim[table.claim[assertion_keep]].astype(table.claim.dtype),
        object=new_object[table.object[assertion_keep]].astype(table.object.dtype),
        numeric=table.numeric,
        integer_labels=table.integer_labels,
    )
