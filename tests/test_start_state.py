"""A model that declares it starts from the labels (or the source counts) only
must start the same from :func:`~credscore.models.base.start_stub` as from
the whole table: a distributed fit relies on that declaration."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscore.models import IterativeModel, get_model
from credscore.models.base import start_stub
from credscore.models.registry import _REGISTRY
from credscore.table.table import Table

DECLARING = sorted(
    name
    for name, cls in _REGISTRY.items()
    if issubclass(cls, IterativeModel) and cls.init_reads in ("labels", "source_counts")
)


def test_the_common_models_declare_a_light_start() -> None:
    """Guards the list itself: these models start from summaries on Dask."""
    assert {"dawid-skene", "one-coin", "glad", "sums", "truthfinder"} <= set(DECLARING)
    assert "accu-copy" not in DECLARING  # its start needs the source pairs


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a_, b_ = np.asarray(a), np.asarray(b)
        if a_.shape != b_.shape:
            return False
        if a_.dtype.kind in "fc":
            return bool(np.allclose(a_, b_, rtol=0, atol=1e-12, equal_nan=True))
        return bool(np.array_equal(a_, b_))
    return bool(a == b)


@pytest.mark.parametrize("name", DECLARING)
@settings(max_examples=15, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 6), st.integers(0, 3)), min_size=1, max_size=40
    ),
    numeric=st.booleans(),
)
def test_start_from_the_stub_equals_start_from_the_table(
    name: str, rows: list[tuple[int, int, int]], numeric: bool
) -> None:
    """``init_state`` reads no more of the table than the model declares."""
    cls = _REGISTRY[name]
    kind = "numeric" if numeric else "categorical"
    if kind not in cls.kinds:
        return
    src, obj, val = (np.array(c) for c in zip(*rows))
    values = val * 1.5 if numeric else np.array(["a", "b", "c", "d"])[val]
    table = Table.from_arrays([f"s{s}" for s in src], obj, values, numeric=numeric)
    model = get_model(name, seed=0)
    full = model.init_state(table)
    stub = model.init_state(start_stub(table.source_ids, np.unique(table.claim_value), numeric))
    if cls.init_reads == "source_counts":
        stub["n_claims"] = np.bincount(table.source, minlength=table.n_sources).astype(float)
    assert _same(full, stub)
