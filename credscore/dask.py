"""Fuse tables larger than one machine on a Dask cluster.

:func:`fuse` runs any registered model on a Dask DataFrame (or Parquet files)
of ``(source, object, value)`` rows and returns the same
:class:`~credscore.models.FusionResult` as the in-memory fit, equal to it to
1e-9.

How it works (the map-reduce protocol of
:class:`~credscore.models.IterativeModel`):

1. The distinct sources are collected (one small pass) and broadcast, so
   every partition uses the global source index.
2. Rows are range-partitioned by object (``set_index``), so each partition
   holds whole objects and partitions follow the global order of objects.
3. Each partition is compiled into a :class:`~credscore.table.table.Table` *on a
   worker* and kept there, outside Dask's task graph, with the model's
   per-partition state (``local``), until the fit ends.
4. Each iteration broadcasts the small global state (per-source vectors),
   runs ``partition_stats`` on every partition where it lives, sums the per-source
   statistics of each worker's partitions on that worker and those of the
   workers on the client (:func:`~credscore.models.base.combine_stats`),
   and calls ``update_state``. The task graph does not grow with the iterations:
   each iteration is one task per partition and one per worker.
5. ``claim_scores`` runs on every partition, and the per-claim results are
   gathered into one result over the global index.

With known values (``gold=``), each partition resolves the known objects it
holds and adds their ``gold_stats`` to the others' ``partition_stats``
(:meth:`~credscore.models.IterativeModel.gold_parts`); a model with a gold
fit of its own is fitted on the gathered table.

The start state (``init_state``) of most models is built from per-partition
summaries (source counts, the label set), as the model's ``init_reads``
declares (see :class:`~credscore.models.IterativeModel`); for a model whose
start needs
more of the table (``accu-copy``'s source pairs, ``corroboration``,
2-/3-Estimates, CATD) and for the non-iterative models (``majority``,
``mean``, ``median``), the compiled partitions are gathered once on the
client, which needs memory for the whole table there. A model whose fit
alternates whole-table steps with its iterations
(:meth:`~credscore.models.IterativeModel.fits_whole_table`: ``accu-copy``'s
rounds, ``corroboration`` learning dependence) is then fitted there, in
memory.

Examples
--------
(skipped when the ``dask`` extra is not installed)

>>> import pytest; dd = pytest.importorskip("dask.dataframe")
>>> import pandas as pd
>>> from distributed import Client, LocalCluster
>>> rows = pd.DataFrame({
...     "source": ["w1", "w2", "w3", "w1", "w2", "w3"],
...     "object": ["q1", "q1", "q1", "q2", "q2", "q2"],
...     "value": ["cat", "cat", "dog", "dog", "dog", "cat"],
... })
>>> with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
...     with Client(cluster) as client:
...         result = fuse(dd.from_pandas(rows, npartitions=2), "dawid-skene",
...                       client=client, max_iter=10)
>>> result.truths()
{'q1': 'cat', 'q2': 'dog'}
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import attrs
import numpy as np

from credscore.errors import InvalidTableError
from credscore.models.base import (
    FusionResult,
    IterativeModel,
    State,
    Stats,
    TruthModel,
    combine_stats,
    gold_refused,
    start_stub,
    with_known_values,
)
from credscore.models.registry import get_model
from credscore.table.table import Table

__all__ = ["fuse"]

# Partitions compiled on a worker, by token; module-level so that they live
# in the worker's process between tasks (and outside Dask's spilling).
_STORE: dict[str, _Part] = {}


@attrs.define
class _Part:
    table: Table
    local: dict[str, Any]
    #: with known values: the partition's statistics and claim scores
    #: (:meth:`~credscore.models.IterativeModel.gold_parts`)
    gold: tuple[Callable[[Any], Stats], Callable[[Any], Any]] | None = None


@attrs.frozen
class _Box:
    """Wraps a value so ``client.scatter`` sends it as one piece."""

    value: Any


def _require_dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError:
        raise ImportError(
            "credscore.dask needs dask and distributed: pip install 'credscore[dask]'"
        ) from None
    return dd


def fuse(
    data: Any,
    model: str | TruthModel = "dawid-skene",
    *,
    client: Any,
    npartitions: int | None = None,
    columns: Sequence[str] = ("source", "object", "value"),
    numeric: bool | None = None,
    keep_assertions: bool = True,
    gold: Mapping[Any, Any] | None = None,
    **settings: Any,
) -> FusionResult:
    """Fit a model to a table held in a Dask DataFrame or in Parquet files.

    Parameters
    ----------
    data : dask.dataframe.DataFrame, str, Path or list of them
        The rows, or Parquet file(s)/folder(s) holding them.
    model : str or TruthModel, default "dawid-skene"
        A registry name (see :func:`credscore.available_models`) or a model
        instance.
    client : distributed.Client
        The cluster to run on.
    npartitions : int, optional
        Number of object partitions (default: as many as ``data`` has).
    columns : (str, str, str), default ("source", "object", "value")
        Names of the source, object and value columns.
    numeric : bool, optional
        Treat values as numbers; default: when the value column has a
        numeric (non-boolean) dtype, as for :meth:`Table.from_arrays`.
    keep_assertions : bool, default True
        Gather the assertion arrays into ``result.table``, so that it equals
        the in-memory table. With False, ``result.table`` holds the sources,
        objects and claims but no assertions (``n_assertions == 0``), which
        keeps the client's memory to per-claim arrays.
    gold : mapping of object id to value, optional
        Known values of some objects, held fixed while the model learns and
        reported with probability 1, as in :meth:`TruthModel.fit
        <credscore.models.TruthModel.fit>`; objects not in the table are
        left out with a :class:`~credscore.errors.CredscoreWarning`. Models
        that fit partition by partition (Dawid-Skene, one-coin, GLAD, Accu,
        CRH, CATD, TruthFinder, Sums, ...) hold the known
        objects on the partitions where they live; the others
        (:class:`~credscore.models.IBCC`, ``corroboration``, ``accu-copy``,
        ...) are fitted on the gathered table.
    **settings
        Model settings (``max_iter``, ``tol``, ``progress``, ...), when
        ``model`` is a name.

    Returns
    -------
    FusionResult
        Over the global index: sources and objects sorted as in
        :meth:`Table.from_arrays`.

    Raises
    ------
    ImportError
        When dask or distributed are not installed.
    InvalidTableError
        When the table is empty or a column is missing, or a known value is
        of the wrong kind (the message names the object).
    GoldNotSupportedError
        When ``gold`` is given to a model that cannot use it.

    Notes
    -----
    When a source gives several values for one object, the row kept is the
    last one of its partition after the shuffle, which need not be the last
    one of the input: remove such duplicates first when it matters.

    Examples
    --------
    Fuse Parquet files on an existing cluster (not run here)::

        from distributed import Client
        from credscore.dask import fuse
        client = Client("tcp://scheduler:8786")
        result = fuse("s3://bucket/assertions/*.parquet", "sums", client=client,
                      max_iter=20, keep_assertions=False)
    """
    dd = _require_dask()
    if isinstance(model, str):
        fitted = get_model(model, **settings)
    elif isinstance(model, TruthModel):
        if settings:
            raise TypeError("settings: pass settings to the model instance, not to fuse()")
        fitted = model
    else:
        raise TypeError(f"model: expected a name or a TruthModel, got {type(model).__name__}")
    if gold is not None:
        if not isinstance(gold, Mapping):
            raise TypeError(
                f"gold: expected a mapping of object id to value, got {type(gold).__name__}"
            )
        if not fitted.accepts_gold():
            raise gold_refused(fitted.name)
    if len(columns) != 3:
        raise ValueError(f"columns: expected (source, object, value), got {columns!r}")
    src_col, obj_col, val_col = columns

    if isinstance(data, (str, Path)) or (
        isinstance(data, (list, tuple)) and data and isinstance(data[0], (str, Path))
    ):
        paths = [str(p) for p in data] if isinstance(data, (list, tuple)) else str(data)
        frame = dd.read_parquet(paths, columns=list(columns))
    else:
        frame = data
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidTableError(f"{missing[0]}: no such column (columns: {list(frame.columns)})")
    frame = frame[list(columns)]
    if numeric is None:
        numeric = _is_numeric(frame[val_col].dtype)

    source_ids = _sorted_unique(frame[src_col].unique().compute())
    if source_ids.shape[0] == 0:
        raise InvalidTableError("source: the table has no rows")
    by_object = frame.set_index(obj_col, npartitions=npartitions or frame.npartitions)

    ids_f = client.scatter(_Box(source_ids), broadcast=True, hash=False)
    run = uuid.uuid4().hex
    build = [
        _dask_delayed()(_build_part)(part, f"{run}-{i}", ids_f, src_col, val_col, numeric)
        for i, part in enumerate(by_object.to_delayed())
    ]
    infos = [info for info in client.gather(client.compute(build)) if info is not None]
    if not infos:
        raise InvalidTableError("source: the table has no rows")
    try:
        if isinstance(fitted, IterativeModel):
            whole = None
            in_memory = gold is not None and not _gold_by_parts(fitted)
            # gathered for the start, or for a gold fit of the model's own
            if fitted.init_reads == "table" or in_memory:
                whole = _gather_table(client, infos, source_ids, bool(numeric), True)
                if in_memory or fitted.fits_whole_table(whole):
                    return fitted.fit_score(whole, gold=gold)
            return _fit_iterative(
                client, fitted, infos, source_ids, bool(numeric), keep_assertions, whole, gold
            )
        table = _gather_table(client, infos, source_ids, bool(numeric), True)
        return fitted.fit_score(table, gold=gold)
    finally:
        for info in infos:
            client.submit(
                _drop_part, info["token"], workers=[info["worker"]], pure=False
            ).release()


def _gold_by_parts(model: IterativeModel[Any]) -> bool:
    """Whether ``model`` fits with known values by the map-reduce protocol:
    the known objects' ``gold_stats`` beside the others' ``partition_stats``
    (:meth:`~credscore.models.IterativeModel.gold_parts`), with no fit of
    its own (``corroboration``'s and ``accu-copy``'s rounds)."""
    return type(model).estimate_gold is IterativeModel.estimate_gold


def _is_numeric(dtype: Any) -> bool:
    """Numeric and not boolean, as :meth:`Table.from_arrays` decides."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return bool(is_numeric_dtype(dtype) and not is_bool_dtype(dtype))


def _dask_delayed() -> Any:
    from dask.delayed import delayed

    return delayed


def _sorted_unique(values: Any) -> np.ndarray[Any, Any]:
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if arr.dtype.kind == "O":
        try:
            return np.unique(arr)
        except TypeError:
            return np.unique(arr.astype(str))
    return np.unique(arr)


# -- on the workers ----------------------------------------------------------


def _build_part(
    df: Any, token: str, ids: _Box, src_col: str, val_col: str, numeric: bool
) -> dict[str, Any] | None:
    """Compile one partition into a Table with the global source index; keep it here."""
    from distributed import get_worker

    if len(df) == 0:
        return None
    part = Table.from_arrays(
        df[src_col].to_numpy(), df.index.to_numpy(), df[val_col].to_numpy(), numeric=numeric
    )
    global_ids: np.ndarray[Any, Any] = ids.value
    code = np.searchsorted(global_ids, part.source_ids).astype(np.int32)
    source = code[part.source]
    source.setflags(write=False)
    part = attrs.evolve(part, source_ids=global_ids, source=source)
    _STORE[token] = _Part(part, {})
    return {
        "token": token,
        "worker": get_worker().address,
        "object_first": part.object_ids[0],
        "n_objects": part.n_objects,
        "n_claims": part.n_claims,
        "labels": part.labels,
        "source_count": np.bincount(part.source, minlength=global_ids.shape[0]),
    }


def _drop_part(token: str) -> None:
    _STORE.pop(token, None)


def _gold_task(token: str, model: _Box, gold: _Box) -> None:
    """Resolve the known values on this partition and keep its split."""
    p = _STORE[token]
    p.gold = model.value.gold_parts(p.table, gold.value)


def _local_task(token: str, model: _Box, state: _Box) -> Any:
    p = _STORE[token]
    if p.gold is not None:
        return p.gold[0](state.value)
    return model.value.partition_stats(p.table, state.value, p.local)


def _combine_task(reduce: dict[str, Any], *parts: Any) -> Any:
    return combine_stats(list(parts), reduce)


def _claims_task(token: str, model: _Box, state: _Box, keep_assertions: bool) -> dict[str, Any]:
    p = _STORE[token]
    if p.gold is not None:
        prob, value = p.gold[1](state.value)
    else:
        prob, value = model.value.claim_scores(p.table, state.value, p.local)
    return {**_arrays(p.table, keep_assertions), "prob": prob, "value": value}


def _table_task(token: str, keep_assertions: bool) -> dict[str, Any]:
    return _arrays(_STORE[token].table, keep_assertions)


def _arrays(t: Table, keep_assertions: bool) -> dict[str, Any]:
    out = {
        "object_ids": t.object_ids,
        "claim_object": t.claim_object,
        "claim_value": t.claim_value,
        "object_start": t.object_start,
    }
    if keep_assertions:
        out.update(source=t.source, claim=t.claim, object=t.object)
    return out


# -- on the client -----------------------------------------------------------


def _ordered(infos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Partitions in the global order of their objects."""
    return sorted(infos, key=lambda info: info["object_first"])


def _assemble(
    pieces: list[dict[str, Any]], source_ids: np.ndarray[Any, Any], numeric: bool, keep: bool
) -> Table:
    """One Table over the global index from per-partition arrays (in object order)."""
    n_obj = np.cumsum([0] + [p["object_ids"].shape[0] for p in pieces])
    n_claim = np.cumsum([0] + [p["claim_object"].shape[0] for p in pieces])
    starts = [p["object_start"][:-1] + n_claim[i] for i, p in enumerate(pieces)]
    starts.append(np.array([n_claim[-1]], dtype=np.int64))

    def cat(key: str, offsets: Any = None, dtype: Any = None) -> np.ndarray[Any, Any]:
        if not keep and key in ("source", "claim", "object"):
            return np.zeros(0, dtype=np.int32)
        arrs = [p[key] if offsets is None else p[key] + offsets[i] for i, p in enumerate(pieces)]
        out = np.concatenate(arrs)
        return out.astype(dtype) if dtype is not None else out

    arrays = {
        "source_ids": source_ids,
        "object_ids": cat("object_ids"),
        "claim_object": cat("claim_object", n_obj, np.int32),
        "claim_value": cat("claim_value"),
        "object_start": np.concatenate(starts).astype(np.int64),
        "source": cat("source", None, np.int32),
        "claim": cat("claim", n_claim, np.int32),
        "object": cat("object", n_obj, np.int32),
    }
    for a in arrays.values():
        a.setflags(write=False)
    return Table(numeric=numeric, **cast(dict[str, Any], arrays))


def _gather_table(
    client: Any,
    infos: list[dict[str, Any]],
    source_ids: np.ndarray[Any, Any],
    numeric: bool,
    keep: bool,
) -> Table:
    futs = [
        client.submit(_table_task, i["token"], keep, workers=[i["worker"]], pure=False)
        for i in _ordered(infos)
    ]
    return _assemble(client.gather(futs), source_ids, numeric, keep)


def _init_state(
    client: Any,
    model: IterativeModel[Any],
    infos: list[dict[str, Any]],
    source_ids: np.ndarray[Any, Any],
    numeric: bool,
    whole: Table | None = None,
) -> Any:
    """The model's start state (a TypedDict of the model's own: typed by the model)."""
    if model.init_reads in ("labels", "source_counts"):
        labels = np.unique(np.concatenate([i["labels"] for i in infos]))
        stub = start_stub(source_ids, labels, numeric)
        state = model.init_state(stub)
        if model.init_reads == "source_counts":
            counts = np.sum([i["source_count"] for i in infos], axis=0)
            state["n_claims"] = counts.astype(np.float64)
        return state
    if whole is None:
        whole = _gather_table(client, infos, source_ids, numeric, True)
    return model.init_state(whole)


def _fit_iterative(
    client: Any,
    model: IterativeModel[Any],
    infos: list[dict[str, Any]],
    source_ids: np.ndarray[Any, Any],
    numeric: bool,
    keep_assertions: bool,
    whole: Table | None = None,
    gold: Mapping[Any, Any] | None = None,
) -> FusionResult:
    state = _init_state(client, model, infos, source_ids, numeric, whole)
    remote = client.scatter(_Box(attrs.evolve(model, progress=None)), broadcast=True, hash=False)
    ordered = _ordered(infos)
    if gold is not None:
        gold_f = client.scatter(_Box(dict(gold)), broadcast=True, hash=False)
        setup = [
            client.submit(
                _gold_task, i["token"], remote, gold_f, workers=[i["worker"]], pure=False
            )
            for i in ordered
        ]
        client.gather(setup)  # a known value of the wrong kind raises here

    def each(fn: Any, state: State, *args: Any) -> list[Any]:
        state_f = client.scatter(_Box(state), broadcast=True, hash=False)
        futs = [
            client.submit(
                fn, i["token"], remote, state_f, *args, workers=[i["worker"]], pure=False
            )
            for i in ordered
        ]
        return list(client.gather(futs))

    def local_stats(st: State) -> Stats:
        # Statistics are combined on each worker first, so the client receives
        # one set per worker, not one per partition (per-source arrays can be
        # megabytes: Dawid-Skene's confusion counts).
        state_f = client.scatter(_Box(st), broadcast=True, hash=False)
        by_worker: dict[str, list[Any]] = {}
        for i in ordered:
            fut = client.submit(
                _local_task, i["token"], remote, state_f, workers=[i["worker"]], pure=False
            )
            by_worker.setdefault(i["worker"], []).append(fut)
        reduce = dict(model.stat_reductions)
        combined = [
            client.submit(_combine_task, reduce, *futs, workers=[w], pure=False)
            for w, futs in sorted(by_worker.items())
        ]
        return combine_stats(list(client.gather(combined)), model.stat_reductions)

    state, it, converged = model.converge(state, local_stats)
    pieces = each(_claims_task, state, keep_assertions)
    table = _assemble(pieces, source_ids, numeric, keep_assertions)
    prob = np.concatenate([p["prob"] for p in pieces]).astype(np.float64)
    value = None
    if all(p["value"] is not None for p in pieces):
        value = np.concatenate([p["value"] for p in pieces])
    result = model.finish(table, state, prob, value, it, converged)
    if gold is None:
        return result
    return with_known_values(result, gold)
