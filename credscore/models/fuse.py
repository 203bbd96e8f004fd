"""``credscore.fuse``: one call from a table (in any form) and a model name to a result."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from credscore.errors import InvalidSettingError, InvalidTableError
from credscore.models.base import FusionResult, TruthModel
from credscore.models.registry import get_model
from credscore.table import Table, read_table

__all__ = ["as_table", "fuse", "resolve_model"]


def resolve_model(model: str | TruthModel, **settings: Any) -> TruthModel:
    """A model instance from a registry name or an instance (with ``settings`` applied).

    Examples
    --------
    >>> resolve_model("majority")
    Majority()
    """
    if isinstance(model, str):
        import credscore.models  # noqa: F401  (registers the built-in models)

        return get_model(model, **settings)
    if isinstance(model, TruthModel):
        if not settings:
            return model
        try:
            return attrs.evolve(model, **settings)
        except InvalidSettingError:
            raise
        except TypeError as exc:
            raise TypeError(f"model {model.name!r}: {exc}") from None
    raise TypeError(
        f"model: expected a registry name or a TruthModel instance, got {type(model).__name__}"
    )


def as_table(data: Any, *, numeric: bool | None = None) -> Table:
    """Turn a :class:`Table`, a path, a DataFrame, a Dataset or
    ``(source, object, value)`` arrays into a :class:`Table`.

    Parameters
    ----------
    data : Table, str, path-like, pandas.DataFrame, Dataset, or tuple
        A path is read by :func:`~credscore.table.table.read_table` (columns
        ``source``, ``object``, ``value`` or the crowd layout); a DataFrame by
        :meth:`Table.from_dataframe` with those column names; a tuple of three
        (or four, with times) arrays by :meth:`Table.from_arrays`.
    numeric : bool, optional
        Passed on when the table is built here; ignored for a Table.

    Raises
    ------
    TypeError
        For anything else.

    Examples
    --------
    >>> as_table((["s1", "s2"], ["x", "x"], ["a", "b"]))
    <Table: 2 assertions, 2 sources, 1 objects, 2 claims, categorical>
    """
    if isinstance(data, Table):
        return data
    if isinstance(data, (str, os.PathLike)):
        return read_table(data, numeric=numeric)
    table = getattr(data, "table", None)
    if isinstance(table, Table):  # a Dataset
        return table
    if isinstance(data, tuple) and len(data) in (3, 4):
        return Table.from_arrays(
            data[0], data[1], data[2], time=data[3] if len(data) == 4 else None, numeric=numeric
        )
    if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
        return Table.from_dataframe(data, numeric=numeric)
    raise TypeError(
        "table: expected a credscore.Table, a path to a CSV/TSV file, a pandas DataFrame, "
        f"a Dataset or a (source, object, value) tuple; got {type(data).__name__}"
    )


def fuse(
    table: Any,
    model: str | TruthModel = "accu",
    *,
    gold: Mapping[Any, Any] | None = None,
    **settings: Any,
) -> FusionResult:
    """Find the true value of every object, and each source's reliability.

    Parameters
    ----------
    table : Table, path, pandas.DataFrame, Dataset or (source, object, value) tuple
        The assertions; see :func:`as_table`. A file or DataFrame is read
        as numeric when the model accepts only numeric values.
    model : str or TruthModel
        A registry name (see :func:`credscore.available_models`), or a model
        instance (its settings are updated with ``settings`` on a copy).
    gold : mapping of object id to value, optional
        Known values held fixed while the model learns, for the models that
        accept them (:func:`credscore.models.registry.gold_models`); the
        others raise :class:`~credscore.errors.GoldNotSupportedError`.
        Evaluate on the other objects only (``Dataset.evaluate(result,
        exclude=gold)``).
    **settings
        The model's settings, e.g. ``max_iter=50``, ``seed=0``.

    Returns
    -------
    FusionResult
        Per object: the fused value and a probability per candidate; per
        source: the learned reliability; convergence information.

    Raises
    ------
    ValueError
        For an unknown model name.
    TypeError
        For an unknown setting or table type.
    InvalidTableError
        For a malformed table, or one of a kind the model does not accept.

    Examples
    --------
    >>> r = fuse((["s1", "s2", "s3"], ["x", "x", "x"], ["a", "a", "b"]), model="majority")
    >>> r.truths()
    {'x': 'a'}

    Known values teach the model whom to trust: w3 alone was right on the
    three known objects, so its word on ``y`` now outweighs the other two.

    >>> src = ["w1", "w2", "w3"] * 4
    >>> obj = [o for o in ("x1", "x2", "x3", "y") for _ in range(3)]
    >>> rows = (src, obj, list("aab" * 3 + "ccb"))
    >>> fuse(rows, model="one-coin").truths()["y"]
    'c'
    >>> fuse(rows, model="one-coin", gold={"x1": "b", "x2": "b", "x3": "b"}).truths()
    {'x1': 'b', 'x2': 'b', 'x3': 'b', 'y': 'b'}
    """
    instance = resolve_model(model, **settings)
    numeric = True if instance.kinds == frozenset({"numeric"}) else None
    tbl = as_table(table, numeric=numeric)
    if tbl.n_assertions == 0:  # pragma: no cover - from_arrays refuses empty tables
        raise InvalidTableError("table: has no assertions")
    result = instance.fit_score(tbl, gold=gold)
    if result.claim_probability.shape != (tbl.n_claims,):
        raise InvalidTableError(  # pragma: no cover - a broken user model
            f"model {instance.name!r}: returned {np.shape(result.claim_probability)} "
            f"claim probabilities for {tbl.n_claims} claims"
        )
    return result
