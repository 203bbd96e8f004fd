"""The two merges of :meth:`Table.append <credscore.table.table.Table.append>`.

Appending rows to a compiled table keeps the objects they do not touch as
they are and compiles the touched ones as a small table; the two are then
merged, once for the claims (in object order) and once for the assertions
(in claim order). No object is in both, so each merge is a plain two-way
merge of increasing keys.

In numpy each merge is a few passes over the whole arrays (a mask of what
is kept, the gathers through the label maps, a ``searchsorted`` for where
the small table's entries go, and the scatter of both). With numba (the
``fast`` extra) each is one loop: at a million assertions and 1% of new
answers spread over the table, 12 ms of numpy against about 3.
``tests/test_partial_fit.py`` checks both against compiling every row at
once, on generated tables.

Examples
--------
>>> import numpy as np
>>> touched = np.array([False, True, False])  # a's objects 0, 1, 2
>>> claims = splice_claims(
...     np.array([0, 1, 2], dtype=np.int32),  # a's claims, by object
...     np.array([0, 0, 1]),                  # their value codes
...     touched,
...     np.array([0, 1, 2], dtype=np.int32),  # a's objects in the union
...     np.array([0, 1]),                     # a's codes in the union
...     np.array([1, 1], dtype=np.int32),     # the small table's claims (object 1)
...     np.array([0, 1]),
...     3,
... )
>>> [x.tolist() for x in claims]
[[0, 1, 1, 2], [0, 0, 1, 1], [0, -1, 3], [1, 2], [0, 1, 3, 4]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.kernels.backend import compiled

__all__ = ["merger", "splice_assertions", "splice_claims"]

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _claims_loop(
    a_object: Any,
    a_code: Any,
    touched: Any,
    o_map: Any,
    v_map: Any,
    b_object: Any,
    b_code: Any,
    out_object: Any,
    out_code: Any,
    claim_map: Any,
    b_at: Any,
    per_object: Any,
) -> None:  # pragma: no cover - compiled by numba
    """One merge of a's untouched claims and b's, by object."""
    n_b = b_object.shape[0]
    j = 0
    k = 0
    for c in range(a_object.shape[0]):
        ao = a_object[c]
        if touched[ao]:
            claim_map[c] = -1
            continue
        o = o_map[ao]
        while j < n_b and b_object[j] < o:
            out_object[k] = b_object[j]
            out_code[k] = b_code[j]
            per_object[b_object[j]] += 1
            b_at[j] = k
            j += 1
            k += 1
        out_object[k] = o
        out_code[k] = v_map[a_code[c]]
        per_object[o] += 1
        claim_map[c] = k
        k += 1
    while j < n_b:
        out_object[k] = b_object[j]
        out_code[k] = b_code[j]
        per_object[b_object[j]] += 1
        b_at[j] = k
        j += 1
        k += 1


def _assertions_loop(
    a_claim: Any,
    a_source: Any,
    a_object: Any,
    touched: Any,
    claim_map: Any,
    s_map: Any,
    o_map: Any,
    b_claim: Any,
    b_source: Any,
    b_object: Any,
    out_source: Any,
    out_claim: Any,
    out_object: Any,
) -> None:  # pragma: no cover - compiled by numba
    """One merge of a's assertions on untouched objects and b's, by claim."""
    n_b = b_claim.shape[0]
    j = 0
    k = 0
    for i in range(a_claim.shape[0]):
        ao = a_object[i]
        if touched[ao]:
            continue
        c = claim_map[a_claim[i]]
        while j < n_b and b_claim[j] < c:
            out_source[k] = b_source[j]
            out_claim[k] = b_claim[j]
            out_object[k] = b_object[j]
            j += 1
            k += 1
        out_source[k] = s_map[a_source[i]]
        out_claim[k] = c
        out_object[k] = o_map[ao]
        k += 1
    while j < n_b:
        out_source[k] = b_source[j]
        out_claim[k] = b_claim[j]
        out_object[k] = b_object[j]
        j += 1
        k += 1


_LOOPS: dict[str, Callable[..., None]] = {
    "claims": _claims_loop,
    "assertions": _assertions_loop,
}


def merger(n: int, at: Any) -> tuple[Callable[[Any, Any, Any], np.ndarray[Any, Any]], BoolArray]:
    """``merge(x, y, dtype)``: an array of ``n`` holding ``y[i]`` at ``at[i]``
    and ``x`` in order elsewhere; and where ``x`` goes (a mask).

    Examples
    --------
    >>> import numpy as np
    >>> merge, from_x = merger(4, np.array([1, 2]))
    >>> merge(np.array([5, 6]), np.array([7, 8]), np.int64).tolist(), from_x.tolist()
    ([5, 7, 8, 6], [True, False, False, True])
    """
    at_y = np.zeros(n, dtype=bool)
    at_y[at] = True
    at_x = ~at_y

    def merge(x: Any, y: Any, dtype: Any) -> np.ndarray[Any, Any]:
        out = np.empty(n, dtype=dtype)
        out[at_x] = x
        out[at_y] = y
        return out

    return merge, at_x


def splice_claims(
    a_object: Int32Array,
    a_code: Any,
    touched: BoolArray,
    o_map: Int32Array,
    v_map: Any,
    b_object: Int32Array,
    b_code: Any,
    n_objects: int,
    n_kept: int | None = None,
) -> tuple[Int32Array, Int64Array, Int32Array, Int64Array, Int64Array]:
    """Merge table a's claims on the objects not ``touched`` with b's.

    Parameters
    ----------
    a_object, a_code : int arrays
        a's claims: their objects (a's indices, non-decreasing) and value codes.
    touched : bool array
        Per object of a, whether b's rows touch it (its claims are b's).
    o_map, v_map : int arrays
        a's object and value codes in the union of labels (strictly
        increasing: the union keeps the order of a's labels).
    b_object, b_code : int arrays
        The small table's claims, in the union's codes, by object.
    n_objects : int
        Objects in the union.
    n_kept : int, optional
        How many of a's claims are on untouched objects, when known.

    Returns
    -------
    claim_object : int32 array
    claim_code : int64 array
    claim_map : int32 array
        The new index of each of a's claims, -1 for those dropped.
    b_at : int64 array
        The new index of each of b's claims.
    object_start : int64 array of shape (n_objects + 1,)
    """
    if n_kept is None:
        n_kept = int(np.count_nonzero(~touched[a_object]))
    n_out = n_kept + b_object.shape[0]
    jit = compiled(_LOOPS, key="splice")
    if jit is not None:
        claim_object = np.empty(n_out, dtype=np.int32)
        claim_code = np.empty(n_out, dtype=np.int64)
        claim_map = np.empty(a_object.shape[0], dtype=np.int32)
        b_at = np.empty(b_object.shape[0], dtype=np.int64)
        per_object = np.zeros(n_objects, dtype=np.int64)
        jit["claims"](
            a_object,
            a_code,
            touched,
            o_map,
            v_map,
            b_object,
            b_code,
            claim_object,
            claim_code,
            claim_map,
            b_at,
            per_object,
        )
    else:
        # a's claims as they are when b touches none of a's objects, and
        # no map where the labels of its kind did not change
        kept = None if n_kept == a_object.shape[0] else np.flatnonzero(~touched[a_object])
        obj_a = _pick(a_object, kept, o_map)
        b_at = np.searchsorted(obj_a, b_object) + np.arange(b_object.shape[0])
        merge, from_a = merger(n_out, b_at)
        claim_object = merge(obj_a, b_object, np.int32)
        claim_code = merge(_pick(a_code, kept, v_map), b_code, np.int64)
        if kept is None:
            claim_map = np.flatnonzero(from_a).astype(np.int32)
        else:
            claim_map = np.full(a_object.shape[0], -1, dtype=np.int32)
            claim_map[kept] = np.flatnonzero(from_a)
        per_object = np.bincount(claim_object, minlength=n_objects)
    object_start = np.zeros(n_objects + 1, dtype=np.int64)
    np.cumsum(per_object, out=object_start[1:])
    return claim_object, claim_code, claim_map, b_at.astype(np.int64, copy=False), object_start


def splice_assertions(
    a_claim: Int32Array,
    a_source: Int32Array,
    a_object: Int32Array,
    touched: BoolArray,
    claim_map: Int32Array,
    s_map: Int32Array,
    o_map: Int32Array,
    b_claim: Any,
    b_source: Int32Array,
    b_object: Int32Array,
    n_kept: int | None = None,
) -> tuple[Int32Array, Int32Array, Int32Array]:
    """Merge table a's assertions on the objects not ``touched`` with b's.

    ``a_claim``, ``a_source`` and ``a_object`` are a's assertions (by
    claim); ``claim_map`` (from :func:`splice_claims`), ``s_map`` and
    ``o_map`` send a's claims, sources and objects to the new codes;
    ``b_claim`` (new claim indices, non-decreasing), ``b_source`` and
    ``b_object`` are the small table's; ``n_kept``, when known, is how many
    of a's assertions are on untouched objects. Returns the new ``source``,
    ``claim`` and ``object`` of every assertion, by claim.

    Examples
    --------
    >>> import numpy as np
    >>> i32 = lambda *x: np.array(x, dtype=np.int32)
    >>> out = splice_assertions(
    ...     i32(0, 0, 1, 2), i32(0, 1, 0, 1), i32(0, 0, 1, 2),
    ...     np.array([False, True, False]),
    ...     i32(0, -1, 3), i32(0, 1), i32(0, 1, 2),
    ...     i32(1, 2), i32(1, 0), i32(1, 1),
    ... )
    >>> [x.tolist() for x in out]
    [[0, 1, 1, 0, 1], [0, 0, 1, 2, 3], [0, 0, 1, 1, 2]]
    """
    jit = compiled(_LOOPS, key="splice")
    if n_kept is None:
        n_kept = int(np.count_nonzero(~touched[a_object]))
    n_out = n_kept + b_claim.shape[0]
    if jit is not None:
        source = np.empty(n_out, dtype=np.int32)
        claim = np.empty(n_out, dtype=np.int32)
        obj = np.empty(n_out, dtype=np.int32)
        jit["assertions"](
            a_claim,
            a_source,
            a_object,
            touched,
            claim_map,
            s_map,
            o_map,
            b_claim,
            b_source,
            b_object,
            source,
            claim,
            obj,
        )
        return source, claim, obj
    keep = None if n_kept == a_claim.shape[0] else np.flatnonzero(~touched[a_object])
    claim_a = claim_map[_pick(a_claim, keep, None)]
    pos = np.searchsorted(claim_a, b_claim) + np.arange(b_claim.shape[0])
    merge, _ = merger(n_out, pos)
    source = merge(_pick(a_source, keep, s_map), b_source, np.int32)
    claim = merge(claim_a, b_claim, np.int32)
    obj = merge(_pick(a_object, keep, o_map), b_object, np.int32)
    return source, claim, obj


def _pick(x: Any, at: Any, label_map: Any) -> Any:
    """``label_map[x[at]]``, skipping ``at`` when None and ``label_map`` when
    it is None or the identity.

    The maps are strictly increasing (a's labels are sorted, and so is the
    union): one of length ``L`` is the identity exactly when its last entry
    is ``L - 1``."""
    if at is not None:
        x = x[at]
    if label_map is None or label_map.shape[0] == 0 or label_map[-1] == label_map.shape[0] - 1:
        return x
    return label_map[x]
