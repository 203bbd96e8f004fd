"""Base classes and the result type of the table-scale (truth-discovery) models.

Every iterative model is written as a map-reduce over *object partitions*, so
that the same code runs in memory (one partition, the whole table) and on a
Dask cluster (:mod:`credscore.dask`: partitions hold whole objects and stay on
the workers; only per-source vectors travel each iteration):

``init_state(table) -> state``
    Global state (per-source arrays and scalars) before the first iteration,
    from whole-table statistics. ``state["reliability"]`` must be present.
``partition_stats(part, state, local) -> stats``
    One pass over one partition (a :class:`~credscore.table.table.Table` holding
    whole objects, with the *global* source index): from the broadcast state,
    computes object-level quantities (which may be cached in the mutable dict
    ``local``, private to the partition) and returns partial statistics -- a
    dict of arrays combined across partitions by ``sum`` (or by the reduction
    named in ``stat_reductions``).
``update_state(state, stats) -> state``
    The new global state from the combined statistics.
``claim_scores(part, state, local) -> (claim_probability, object_value)``
    The final per-claim probabilities (summing to 1 within each object) and,
    for numeric models, a per-object estimate (else None).

The in-memory :meth:`IterativeModel.fit` calls these in a loop; convergence is
the largest absolute change of ``state["reliability"]`` falling below ``tol``.
"""

from __future__ import annotations

import abc
import json
import math
import time
import warnings
from collections.abc import Callable, Mapping
from typing import IO, Any, ClassVar, Generic, Literal, TypedDict, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from credscore import _validators as _v
from credscore.errors import (
    ConvergenceWarning,
    GoldNotSupportedError,
    InvalidTableError,
    NotFittedError,
    outside_stacklevel,
)
from credscore.io.text import json_scalar, write_json_objects
from credscore.kernels import segments as _kernels
from credscore.models._gold import (
    Gold,
    clamp_probability,
    resolve_gold,
    select_objects,
    warn_ignored,
)
from credscore.table.table import Table

__all__ = [
    "BaseState",
    "FusionResult",
    "InitReads",
    "IterativeModel",
    "Progress",
    "TruthModel",
    "check_seed",
]

FloatArray = npt.NDArray[np.float64]
Stats = dict[str, Any]


class BaseState(TypedDict):
    """What every iterative model's state holds: one reliability per source
    (convergence is judged on it). A model declares its own state as a
    TypedDict deriving from this one, so that mypy checks every key it uses."""

    reliability: FloatArray


#: The state of an iterative model (a TypedDict deriving from BaseState).
S = TypeVar("S", bound=BaseState)
#: Any model's state, where the model is not known (the Dask driver).
State = BaseState
ProgressCallback = Callable[["Progress"], None]
M = TypeVar("M", bound="TruthModel")


@attrs.frozen
class Progress:
    """What a long fit reports after each iteration (see ``progress=``)."""

    model: str
    iteration: int
    max_iter: int
    change: float
    elapsed: float


InitReads = Literal["labels", "source_counts", "table"]


def check_seed(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from an int, a Generator or None.

    Examples
    --------
    >>> int(check_seed(0).integers(10)) == int(check_seed(0).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed: expected an int, a numpy.random.Generator or None, got {seed!r}")


@attrs.define(frozen=True, eq=False, repr=False)
class FusionResult:
    """What a table-scale model found: a value and probabilities per object,
    a reliability per source, and how the fit converged.

    Attributes
    ----------
    table : Table
    claim_probability : ndarray of shape (n_claims,)
        Probability that each candidate value is the true one; sums to 1
        within each object.
    value : ndarray of shape (n_objects,)
        The fused value of each object: the most probable candidate, or for
        numeric estimators (mean, median, CRH, CATD) the estimate itself.
    reliability : ndarray of shape (n_sources,)
        Learned reliability of each source, on the model's own scale
        (a probability of being right for probabilistic models).
    model : str
        Registry name of the model that produced it.
    n_iter : int
    converged : bool
    """

    table: Table
    claim_probability: FloatArray
    value: np.ndarray[Any, Any]
    reliability: FloatArray
    model: str
    n_iter: int = 0
    converged: bool = True

    def __repr__(self) -> str:
        return (
            f"<FusionResult of {self.model!r}: {self.table.n_objects} objects, "
            f"{self.table.n_sources} sources, n_iter={self.n_iter}, "
            f"converged={self.converged}>"
        )

    def to_frame(self) -> Any:
        """One row per object: ``object``, ``value`` (the fused value) and
        ``probability``. Needs pandas (the ``pandas`` extra).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("pandas")
        >>> from credscore.models.fuse import fuse
        >>> fuse((["s1", "s2", "s3"], ["x", "x", "x"], ["a", "a", "b"]), model="majority"
        ...      ).to_frame().values.tolist()
        [['x', 'a', 0.6666666666666666]]
        """
        from credscore._optional import require

        pd = require("pandas", "FusionResult.to_frame()")
        t = self.table
        return pd.DataFrame(
            {"object": t.object_ids, "value": self.value, "probability": self.probability}
        )

    def sources_frame(self) -> Any:
        """One row per source: ``source`` and its learned ``reliability``.
        Needs pandas (the ``pandas`` extra).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("pandas")
        >>> from credscore.models.fuse import fuse
        >>> fuse((["s1", "s2", "s3"], ["x", "x", "x"], ["a", "a", "b"]), model="majority"
        ...      ).sources_frame().values.tolist()
        [['s1', 1.0], ['s2', 1.0], ['s3', 0.0]]
        """
        from credscore._optional import require

        pd = require("pandas", "FusionResult.sources_frame()")
        return pd.DataFrame({"source": self.table.source_ids, "reliability": self.reliability})

    def _repr_html_(self) -> str:
        """The fused values and the sources' reliability as two tables in a
        notebook (the first 50 rows of each)."""
        from credscore._html import html_table

        t = self.table
        n = min(50, t.n_objects)
        objects = zip(
            t.object_ids[:n].tolist(), self.value[:n].tolist(), self.probability[:n].tolist()
        )
        m = min(50, t.n_sources)
        sources = zip(t.source_ids[:m].tolist(), self.reliability[:m].tolist())
        state = "converged" if self.converged else "not converged"
        return html_table(
            f"{self.model}: {t.n_objects:,} objects, {self.n_iter} iterations, {state}",
            ["object", "value", "probability"],
            [(o, v, f"{p:.4f}") for o, v, p in objects],
            total=t.n_objects,
        ) + html_table(
            "sources",
            ["source", "reliability"],
            [(s, f"{r:.4f}") for s, r in sources],
            total=t.n_sources,
        )

    @property
    def best_claim(self) -> npt.NDArray[np.int64]:
        """Index of the most probable claim of each object (ties: first value)."""
        return _kernels.segment_argmax(self.claim_probability, self.table.object_start)

    @property
    def probability(self) -> FloatArray:
        """Probability of the most probable candidate of each object."""
        return self.claim_probability[self.best_claim]

    def truths(self) -> dict[Any, Any]:
        """``{object_id: fused value}``."""
        return dict(zip(self.table.object_ids.tolist(), self.value.tolist()))

    def reliabilities(self) -> dict[Any, float]:
        """``{source_id: reliability}``."""
        return dict(zip(self.table.source_ids.tolist(), self.reliability.tolist()))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``model``, ``n_iter``, ``converged``, ``objects``
        (object, value, probability) and ``sources`` (source, reliability).

        Numbers that JSON cannot hold (NaN, infinities) are None.

        Examples
        --------
        >>> import credscore as cs
        >>> t = cs.Table.from_arrays(["a", "b", "c"], ["x", "x", "x"], ["1", "1", "2"])
        >>> cs.fuse(t, model="majority").to_dict()["objects"]
        [{'object': 'x', 'value': '1', 'probability': 0.6666666666666666}]
        """
        prob = self.probability.tolist()
        return {
            "model": self.model,
            "n_iter": self.n_iter,
            "converged": self.converged,
            "objects": [
                {"object": _py(o), "value": _py(v), "probability": _py(p)}
                for o, v, p in zip(self.table.object_ids.tolist(), self.value.tolist(), prob)
            ],
            "sources": [
                {"source": _py(s), "reliability": _py(r)}
                for s, r in zip(self.table.source_ids.tolist(), self.reliability.tolist())
            ],
        }


def write_json(
    result: FusionResult, out: IO[str], *, extra: Mapping[str, Any] | None = None
) -> None:
    """Write ``result.to_dict()`` (with ``extra`` keys appended) to ``out`` as
    ``json.dump(..., indent=2, ensure_ascii=False)`` would, byte for byte, but
    in pieces of 65,536 rows: the whole document is never held in memory.

    Examples
    --------
    >>> import io, json, credscore as cs
    >>> t = cs.Table.from_arrays(["a", "b", "c"], ["x", "x", "y"], ["1", "1", "2"])
    >>> r = cs.fuse(t, model="majority")
    >>> buf = io.StringIO()
    >>> write_json(r, buf)
    >>> buf.getvalue() == json.dumps(r.to_dict(), indent=2, ensure_ascii=False)
    True
    """
    head = {"model": result.model, "n_iter": result.n_iter, "converged": result.converged}
    for k, v in head.items():
        out.write(("{\n" if k == "model" else ",\n") + f"  {json_scalar(k)}: {json_scalar(v)}")
    t = result.table
    _write_rows(
        out,
        "objects",
        ("object", "value", "probability"),
        (t.object_ids, result.value, result.probability),
    )
    _write_rows(out, "sources", ("source", "reliability"), (t.source_ids, result.reliability))
    for k, v in (extra or {}).items():
        text = json.dumps(v, indent=2, ensure_ascii=False, allow_nan=False).replace("\n", "\n  ")
        out.write(f",\n  {json_scalar(k)}: {text}")
    out.write("\n}")


def _write_rows(
    out: IO[str], name: str, keys: tuple[str, ...], columns: tuple[np.ndarray[Any, Any], ...]
) -> None:
    out.write(f",\n  {json_scalar(name)}: ")
    write_json_objects(out, keys, columns, indent=2)


def _py(x: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def gold_refused(name: str) -> GoldNotSupportedError:
    """The error of a model that cannot use known values inside its fit."""
    return GoldNotSupportedError(
        f"gold: model {name!r} cannot use known values inside its fit (the models "
        "that can: credscore.models.registry.gold_models()). To score against gold, fit "
        "without it and use credscore.metrics.evaluate"
    )


def with_known_values(result: FusionResult, gold: Mapping[Any, Any]) -> FusionResult:
    """``result`` (of a fit given the known values ``gold``, ``{object id:
    value}``) reporting each known object of its table at its known value
    with probability 1, as :meth:`TruthModel.fit` returns it (an object whose
    known value no source gave keeps the model's probabilities and value).

    Examples
    --------
    >>> from credscore.models import Majority
    >>> t = Table.from_arrays(["a", "b", "c"], ["x", "x", "x"], ["1", "1", "2"])
    >>> with_known_values(Majority().fit_score(t), {"x": "2"}).truths()
    {'x': '2'}
    """
    known = resolve_gold(result.table, gold)
    warn_ignored(known, len(gold))
    return _with_known(result, known)


def _with_known(result: FusionResult, known: Gold) -> FusionResult:
    table = result.table
    prob = clamp_probability(table, result.claim_probability, known)
    value = np.array(result.value, copy=True)
    claimed = known.claims >= 0
    value[known.objects[claimed]] = table.claim_value[known.claims[claimed]]
    return attrs.evolve(result, claim_probability=prob, value=value)


@attrs.define(kw_only=True)
class TruthModel(abc.ABC):
    """A table-scale model. Settings are attrs fields; learned state ends in ``_``.

    Subclasses set ``name`` (the registry name) and ``kinds`` (which tables
    they accept: ``"categorical"``, ``"numeric"`` or both).
    """

    name: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset({"categorical"})

    result_: FusionResult | None = attrs.field(default=None, init=False, repr=False)
    _fit_gold: dict[Any, Any] | None = attrs.field(default=None, init=False, repr=False)

    @abc.abstractmethod
    def estimate(self, table: Table) -> FusionResult: ...

    def estimate_gold(self, table: Table, gold: Gold) -> FusionResult:
        """Fit with the objects of ``gold`` held at their known values.

        Override it to accept ``fit(table, gold=...)``; the base class
        refuses. The result's known objects are set to their values by
        :meth:`fit` afterwards.
        """
        raise gold_refused(self.name)

    @classmethod
    def accepts_gold(cls) -> bool:
        """Whether ``fit(table, gold=...)`` is supported."""
        return cls.estimate_gold is not TruthModel.estimate_gold

    def fit(self: M, table: Table, *, gold: Mapping[Any, Any] | None = None) -> M:
        """Learn from ``table``; returns the model itself.

        Parameters
        ----------
        table : Table
        gold : mapping of object id to value, optional
            Known values of some objects, held fixed while the model learns
            (so they teach it the sources' reliabilities) and reported with
            probability 1. Objects not in the table are left out, with a
            :class:`~credscore.errors.CredscoreWarning`; an object id of
            another kind than the table's (``1`` for ``"1"``) is an
            :class:`~credscore.errors.InvalidTableError`. Only models
            whose :meth:`accepts_gold` is true take it; others raise
            :class:`~credscore.errors.GoldNotSupportedError`.
        """
        if not isinstance(table, Table):
            raise TypeError(f"table: expected a credscore.Table, got {type(table).__name__}")
        self.result_ = self._fit_table(table, gold)
        self._fit_gold = None if gold is None else dict(gold)
        return self

    def _fit_table(self, table: Table, gold: Mapping[Any, Any] | None) -> FusionResult:
        """The result of ``fit(table, gold=gold)``."""
        kind = "numeric" if table.numeric else "categorical"
        if kind not in self.kinds and table.integer_labels:
            table, kind = table.as_numbers(), "numeric"  # integer labels read as numbers
        if kind not in self.kinds:
            raise InvalidTableError(
                f"value: model {self.name!r} does not accept {kind} values "
                f"(it accepts {', '.join(sorted(self.kinds))})"
            )
        if gold is None:
            return self.estimate(table)
        if not self.accepts_gold():
            self.estimate_gold(table, resolve_gold(table, {}))  # raises the named error
        known = resolve_gold(table, gold)
        warn_ignored(known, len(gold))
        return _with_known(self.estimate_gold(table, known), known)

    def partial_fit(self: M, table: Table) -> M:
        """Add the assertions of ``table`` to those already fitted and update
        the fit; returns the model itself.

        The result is the fit of ``previous.append(table)`` (see
        :meth:`Table.append <credscore.table.table.Table.append>`: new
        sources, objects and values are welcome, and an assertion of a
        ``(source, object)`` pair already fitted replaces the old one), with
        the same settings and the same known values (``gold``) as the last
        fit. Models that can (:meth:`warm_starts`) start from what they had
        learned, which takes fewer passes than starting again; the others
        fit the whole table again. Either way the result is the fit of the
        whole table, to the model's ``tol``.

        Parameters
        ----------
        table : Table
            The new assertions.

        Raises
        ------
        NotFittedError
            Before a first :meth:`fit`.
        InvalidTableError
            When the new rows cannot join the fitted table (see
            :meth:`Table.append <credscore.table.table.Table.append>`).

        Examples
        --------
        >>> from credscore.models import Majority
        >>> from credscore.table.table import Table
        >>> m = Majority().fit(Table.from_arrays(["s1", "s2"], ["x", "x"], ["a", "b"]))
        >>> m.partial_fit(Table.from_arrays(["s3"], ["x"], ["b"])).result.truths()
        {'x': 'b'}
        """
        previous = self.result
        if not isinstance(table, Table):
            raise TypeError(f"table: expected a credscore.Table, got {type(table).__name__}")
        if previous.table.numeric and not table.numeric and table.integer_labels:
            table = table.as_numbers()  # as fit() read the first table
        whole = previous.table.append(table)
        if self._fit_gold is None and self.warm_starts():
            self.result_ = self.estimate_warm(whole, previous)
        else:
            self.result_ = self._fit_table(whole, self._fit_gold)
        return self

    @classmethod
    def warm_starts(cls) -> bool:
        """Whether :meth:`partial_fit` starts from the last fit (else it fits
        the whole table again).

        Examples
        --------
        >>> from credscore.models import DawidSkene, Majority
        >>> DawidSkene.warm_starts(), Majority.warm_starts()
        (True, False)
        """
        return cls.estimate_warm is not TruthModel.estimate_warm

    def estimate_warm(self, table: Table, previous: FusionResult) -> FusionResult:
        """Fit ``table``, which holds every assertion of ``previous.table``
        and more, starting from what the last fit learned; the same fixed
        point as :meth:`estimate`, to ``tol``. Override it to make
        :meth:`partial_fit` faster than a new fit."""
        return self.estimate(table)  # pragma: no cover - warm_starts() is False

    def fit_score(self, table: Table, *, gold: Mapping[Any, Any] | None = None) -> FusionResult:
        """``fit(table, gold=gold)`` and return its :class:`FusionResult`."""
        return self.fit(table, gold=gold).result

    @property
    def result(self) -> FusionResult:
        if self.result_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(table) first")
        return self.result_

    @property
    def reliability_(self) -> FloatArray:
        return self.result.reliability

    @property
    def n_iter_(self) -> int:
        return self.result.n_iter

    @property
    def converged_(self) -> bool:
        return self.result.converged


def warn_not_converged(
    name: str, max_iter: int, tol: float, *, stacklevel: int | None = None
) -> None:
    """Warn with :class:`~credscore.errors.ConvergenceWarning` that a fit
    stopped at ``max_iter`` before its change fell to ``tol``. The warning
    names the first line outside credscore (``stacklevel``, counted from the
    caller of this function, overrides it).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_not_converged("my-model", 10, 1e-6)
    >>> str(caught[0].message)
    'my-model: stopped after max_iter=10 iterations before reaching tol=1e-06'
    """
    warnings.warn(
        f"{name}: stopped after max_iter={max_iter} iterations before reaching tol={tol:g}",
        ConvergenceWarning,
        stacklevel=outside_stacklevel() if stacklevel is None else stacklevel + 1,
    )


@attrs.define(kw_only=True)
class GoldFitModel(TruthModel):
    """A model with one fit routine, ``_fit``, that takes the known values
    (``None`` without them): it serves both :meth:`estimate` and
    :meth:`estimate_gold` (IBCC, EBCC, BWA, MACE)."""

    @abc.abstractmethod
    def _fit(self, table: Table, gold: Gold | None) -> FusionResult: ...

    def estimate(self, table: Table) -> FusionResult:
        return self._fit(table, None)

    def estimate_gold(self, table: Table, gold: Gold) -> FusionResult:
        return self._fit(table, gold)


@attrs.define(kw_only=True)
class IterativeModel(TruthModel, Generic[S]):
    """A model that iterates ``partition_stats`` / ``update_state`` to a fixed point.

    Parameters
    ----------
    max_iter : int
        Most iterations to run.
    tol : float
        Stop when no source's reliability changes by more than this.
        ``tol=0`` runs exactly ``max_iter`` iterations.
    seed : int, numpy.random.Generator or None
        For models with a random start; others ignore it.
    progress : callable, optional
        Called with a :class:`Progress` after each iteration.
    """

    stat_reductions: ClassVar[Mapping[str, Literal["sum", "max", "min"]]] = {}
    #: What ``init_state`` reads of the table, so that a distributed fit
    #: (:mod:`credscore.dask`) can build the start state from small
    #: per-partition summaries: ``"labels"`` (the number of sources and the
    #: sorted distinct values only), ``"source_counts"`` (also the number of
    #: assertions per source, which ``init_state`` must store as ``"n_claims"``),
    #: or ``"table"`` (anything: the partitions are gathered once).
    init_reads: ClassVar[InitReads] = "table"
    #: What :meth:`partial_fit` carries over from the last fit's state to
    #: start from: ``"source"`` keys are arrays with one row per source
    #: (matched by source id; a new source's row comes from one iteration
    #: from the start), ``"global"`` keys are taken as they are, and
    #: ``"same"`` keys must be equal in the last state and in the new
    #: table's start (the label set; else the table is fitted again from
    #: the start). Empty: ``partial_fit`` fits again.
    warm_keys: ClassVar[Mapping[str, Literal["source", "global", "same"]]] = {}
    #: Statistics that may be negative; :meth:`project_stats` clips the
    #: others at 0 after an extrapolated step.
    signed_stats: ClassVar[frozenset[str]] = frozenset()

    max_iter: int = _v.integer(100, low=1)
    tol: float = _v.number(1e-6, low=0)
    seed: int | np.random.Generator | None = _v.seed()
    progress: ProgressCallback | None = _v.callback(
        what="a callable taking a Progress, or None", repr=False, eq=False
    )

    #: the state the last fit ended in (what ``partial_fit`` starts from)
    _state: Any = attrs.field(default=None, init=False, repr=False)

    def fits_whole_table(self, table: Table) -> bool:
        """Whether this fit of ``table`` alternates steps over the whole table
        with its iterations, so that a distributed fit (:mod:`credscore.dask`)
        runs it in memory instead. False: every iteration is a map-reduce.

        Examples
        --------
        >>> from credscore.models import AccuCopy, DawidSkene
        >>> from credscore.table.table import Table
        >>> t = Table.from_rows([("a", 1, "x"), ("b", 1, "y"), ("c", 1, "z")])
        >>> DawidSkene().fits_whole_table(t), AccuCopy().fits_whole_table(t)
        (False, True)
        """
        return False

    @abc.abstractmethod
    def init_state(self, table: Table) -> S: ...

    @abc.abstractmethod
    def partition_stats(self, part: Table, state: S, local: dict[str, Any]) -> Stats: ...

    @abc.abstractmethod
    def update_state(self, state: S, stats: Stats) -> S: ...

    @abc.abstractmethod
    def claim_scores(
        self, part: Table, state: S, local: dict[str, Any]
    ) -> tuple[FloatArray, np.ndarray[Any, Any] | None]: ...

    def estimate(self, table: Table) -> FusionResult:
        local: dict[str, Any] = {}
        state, n_iter, converged = self.converge(
            self.init_state(table), lambda st: self.partition_stats(table, st, local)
        )
        return self._result(table, state, local, n_iter, converged)

    def converge(self, state: S, local_stats: Callable[[S], Stats]) -> tuple[S, int, bool]:
        """:meth:`iterate`, or :meth:`iterate_accelerated` for a model whose
        ``accelerate`` setting is on (dawid-skene, one-coin, corroboration).

        Examples
        --------
        >>> from credscore.datasets import synthetic
        >>> from credscore.models import DawidSkene
        >>> t, _, _ = synthetic(n_sources=8, n_objects=200, reliability=0.65, seed=0)
        >>> def passes(model):
        ...     local = {}
        ...     stats = lambda st: model.partition_stats(t, st, local)
        ...     return model.converge(model.init_state(t), stats)[1]
        >>> passes(DawidSkene(accelerate=True)) < passes(DawidSkene())
        True
        """
        if getattr(self, "accelerate", False):
            return self.iterate_accelerated(state, local_stats)
        return self.iterate(state, local_stats)

    def gold_stats(self, part: Table, state: S, local: dict[str, Any], gold: Gold) -> Stats:
        """The statistics of ``part``, every object of which is known (``gold``
        indexes ``part``), as :meth:`partition_stats` would give them if each
        object's posterior were certain of its known value.

        Override it (with :meth:`partition_stats`'s keys) to accept gold; the
        fit then sums the unknown objects' :meth:`partition_stats` and the
        known ones' :meth:`gold_stats` in every iteration.
        """
        raise NotImplementedError

    @classmethod
    def accepts_gold(cls) -> bool:
        # gold_stats, or an estimate_gold of its own (this class's refuses
        # without gold_stats).
        own = cls.estimate_gold not in (IterativeModel.estimate_gold, TruthModel.estimate_gold)
        return cls.gold_stats is not IterativeModel.gold_stats or own

    def estimate_gold(self, table: Table, gold: Gold) -> FusionResult:
        if type(self).gold_stats is IterativeModel.gold_stats:
            return super().estimate_gold(table, gold)
        stats, score = self._gold_split(table, gold)
        state, n_iter, converged = self.converge(self.init_state(table), stats)
        return score(state, n_iter, converged)

    def _gold_split(
        self, table: Table, gold: Gold
    ) -> tuple[Callable[[S], Stats], Callable[[S, int, bool], FusionResult]]:
        """For a fit of ``table`` with the objects of ``gold`` known: the
        statistics of an iteration and the function that scores the result,
        ``score(state, n_iter, converged)`` (see :meth:`gold_parts`)."""
        stats, claims = self._gold_parts(table, gold)

        def score(state: S, n_iter: int, converged: bool) -> FusionResult:
            self._state = state
            prob, value = claims(state)
            return self.finish(table, state, prob, value, n_iter, converged)

        return stats, score

    def gold_parts(
        self, table: Table, gold: Mapping[Any, Any]
    ) -> tuple[
        Callable[[S], Stats], Callable[[S], tuple[FloatArray, np.ndarray[Any, Any] | None]]
    ]:
        """For a fit of ``table`` (a whole table or one partition of it) with
        the known values ``gold`` (``{object id: value}``; objects not in
        ``table`` are ignored): the statistics of an iteration (the known
        objects' :meth:`gold_stats` plus the others' :meth:`partition_stats`)
        and the function giving the claim scores from a state, in the
        table's claim order (as :meth:`claim_scores`). Each part is scored
        with what it keeps of its own (GLAD's item difficulties).

        Raises
        ------
        InvalidTableError
            A known value of the wrong kind; the message names the object.

        Examples
        --------
        >>> from credscore.models import OneCoin
        >>> t = Table.from_arrays(["a", "b", "a", "b"], ["x", "x", "y", "y"],
        ...                       ["1", "2", "1", "1"])
        >>> model = OneCoin()
        >>> stats, claims = model.gold_parts(t, {"x": "2"})
        >>> state = model.update_state(model.init_state(t), stats(model.init_state(t)))
        >>> a, b = state["reliability"]  # b gave the known value of x, a did not
        >>> bool(b > a)
        True
        >>> prob, _ = claims(state)  # one per claim of t
        >>> len(prob) == t.n_claims
        True
        """
        return self._gold_parts(table, resolve_gold(table, gold))

    def _gold_parts(
        self, table: Table, gold: Gold
    ) -> tuple[
        Callable[[S], Stats], Callable[[S], tuple[FloatArray, np.ndarray[Any, Any] | None]]
    ]:
        known = gold.object_mask(table.n_objects)
        rest = select_objects(table, ~known) if not known.all() else None
        given = select_objects(table, known)
        # the same known values, indexing the table of known objects
        within = gold.claims - table.object_start[gold.objects]
        local_gold = Gold(
            objects=np.arange(gold.objects.shape[0], dtype=np.int64),
            claims=np.where(gold.claims >= 0, within + given.object_start[:-1], -1).astype(
                np.int64
            ),
            values=gold.values,
            n_ignored=0,
        )
        rest_local: dict[str, Any] = {}
        given_local: dict[str, Any] = {}

        def stats(st: S) -> Stats:
            parts = []
            if given.n_objects:
                parts.append(self.gold_stats(given, st, given_local, local_gold))
            if rest is not None:
                parts.append(self.partition_stats(rest, st, rest_local))
            return combine_stats(parts, self.stat_reductions) if len(parts) > 1 else parts[0]

        def claims(state: S) -> tuple[FloatArray, np.ndarray[Any, Any] | None]:
            prob = np.zeros(table.n_claims)
            value: np.ndarray[Any, Any] | None = None
            parts = ((given, given_local, known), (rest, rest_local, ~known))
            for part, part_local, where in parts:
                if part is None or part.n_objects == 0:
                    continue
                p, v = self.claim_scores(part, state, part_local)
                prob[where[table.claim_object]] = p
                if v is not None:
                    if value is None:
                        value = np.empty(table.n_objects, dtype=np.asarray(v).dtype)
                    value[where] = v
            return prob, value

        return stats, claims

    def iterate(
        self, state: S, local_stats: Callable[[S], Stats], *, stacklevel: int | None = None
    ) -> tuple[S, int, bool]:
        """Run ``local_stats`` / ``update_state`` to convergence: the one driver of
        every iterative fit, in memory and on Dask (where ``local_stats`` maps
        over the partitions and combines their statistics).

        Returns the final state, the number of iterations and whether ``tol``
        was reached; warns with :class:`ConvergenceWarning` when it was not,
        naming the first line outside credscore (or the frame ``stacklevel``
        levels above the caller of :func:`warn_not_converged`, when given).
        """
        start = time.perf_counter()
        converged = False
        it = 0
        for it in range(1, self.max_iter + 1):
            new = self.update_state(state, local_stats(state))
            change = float(np.max(np.abs(new["reliability"] - state["reliability"]), initial=0.0))
            state = new
            if self.progress is not None:
                self.progress(
                    Progress(self.name, it, self.max_iter, change, time.perf_counter() - start)
                )
            if self.tol > 0 and change <= self.tol:
                converged = True
                break
        if not converged and self.tol > 0:
            warn_not_converged(self.name, self.max_iter, self.tol, stacklevel=stacklevel)
        return state, it, converged

    @classmethod
    def warm_starts(cls) -> bool:
        return bool(cls.warm_keys) and all(how == "sum" for how in cls.stat_reductions.values())

    def estimate_warm(self, table: Table, previous: FusionResult) -> FusionResult:
        """Start from the last fit's state (its ``warm_keys``) and converge
        with SQUAREM (:meth:`iterate_accelerated`)."""
        local: dict[str, Any] = {}
        state = self.warm_state(table, previous, local)
        if state is None:
            return self.estimate(table)
        state, n_iter, converged = self.iterate_accelerated(
            state, lambda st: self.partition_stats(table, st, local)
        )
        return self._result(table, state, local, n_iter, converged)

    def warm_state(self, table: Table, previous: FusionResult, local: dict[str, Any]) -> S | None:
        """The start of a fit of ``table`` (which holds ``previous.table``'s
        sources and more) from the last fit's state, or None when it cannot
        be carried over (a ``"same"`` key differs)."""
        old = self._state
        if old is None or len(old["reliability"]) != previous.table.n_sources:
            return None
        start = self.init_state(table)
        for key, how in self.warm_keys.items():
            if how == "same" and not _same(old.get(key), start.get(key)):
                return None
        at = np.searchsorted(table.source_ids, previous.table.source_ids)
        fresh: Any = start
        if table.n_sources > previous.table.n_sources:
            # New sources start as after one iteration from the usual start.
            fresh = self.update_state(start, self.partition_stats(table, start, local))
        state: Any = dict(start)
        for key, how in self.warm_keys.items():
            if how == "same" or old.get(key) is None:
                continue
            if how == "global" or table.n_sources == previous.table.n_sources:
                state[key] = np.array(old[key], copy=True)
            else:
                arr = np.array(fresh[key], copy=True)
                arr[at] = old[key]
                state[key] = arr
        result: S = state
        return result

    def project_stats(self, stats: Stats) -> Stats:
        """Statistics made valid after an extrapolated step of
        :meth:`iterate_accelerated`: by default every one not in
        ``signed_stats`` clipped at 0.

        Examples
        --------
        >>> import numpy as np
        >>> from credscore.models import DawidSkene
        >>> DawidSkene().project_stats({"counts": np.array([-0.5, 2.0])})["counts"].tolist()
        [0.0, 2.0]
        """
        return {k: v if k in self.signed_stats else np.maximum(v, 0.0) for k, v in stats.items()}

    def iterate_accelerated(
        self, state: S, local_stats: Callable[[S], Stats], *, stacklevel: int | None = None
    ) -> tuple[S, int, bool]:
        """:meth:`iterate` sped up by SQUAREM on the statistics.

        After two iterations ``x1 = F(x0)`` and ``x2 = F(x1)`` of the map
        ``F`` from statistics to statistics, with ``r = x1 - x0``,
        ``v = x2 - x1 - r`` and the step ``a = min(-1, -|r| / |v|)`` (scheme
        S3 of Varadhan & Roland), the next point is ``x0 - 2 a r + a^2 v``,
        made valid by :meth:`project_stats`, and one more iteration follows
        it. Fixed points are those of :meth:`iterate`, and so is the rule to
        stop: an iteration that changes no reliability by more than ``tol``.
        ``max_iter`` counts the passes over the table.

        References
        ----------
        R. Varadhan and C. Roland, "Simple and globally convergent methods
        for accelerating the convergence of any EM algorithm", Scandinavian
        Journal of Statistics 35(2):335-353, 2008.
        """
        clock = time.perf_counter()
        template = local_stats(state)
        keys = sorted(template)
        shapes = [np.shape(template[k]) for k in keys]
        bounds = np.cumsum([0] + [int(np.prod(sh)) for sh in shapes])

        def flat(stats: Stats) -> FloatArray:
            parts = [np.ravel(np.asarray(stats[k], dtype=np.float64)) for k in keys]
            return np.concatenate(parts) if parts else np.zeros(0)

        def unflat(x: FloatArray) -> Stats:
            return {
                k: x[bounds[n] : bounds[n + 1]].reshape(sh)
                for n, (k, sh) in enumerate(zip(keys, shapes))
            }

        passes = 1

        def done(new: S, old: S) -> bool:
            change = float(np.max(np.abs(new["reliability"] - old["reliability"]), initial=0.0))
            if self.progress is not None:
                elapsed = time.perf_counter() - clock
                self.progress(Progress(self.name, passes, self.max_iter, change, elapsed))
            return self.tol > 0 and change <= self.tol

        def advance(u: S) -> tuple[FloatArray, S, bool]:
            """One ordinary iteration from ``u``: its statistics, the new
            state, and whether it met ``tol``."""
            nonlocal passes
            x = flat(local_stats(u))
            passes += 1
            new = self.update_state(u, unflat(x))
            return x, new, done(new, u)

        x0 = flat(template)
        u0 = self.update_state(state, template)
        if done(u0, state):
            return u0, passes, True
        while passes < self.max_iter:
            x1, u1, met = advance(u0)
            if met:
                return u1, passes, True
            if passes >= self.max_iter:
                u0 = u1
                break
            x2, u2, met = advance(u1)
            if met:
                return u2, passes, True
            r = x1 - x0
            v = x2 - x1 - r
            norm_v = float(np.linalg.norm(v))
            step = min(-1.0, -float(np.linalg.norm(r)) / norm_v) if norm_v > 0 else -1.0
            if step == -1.0 or passes >= self.max_iter:
                x0, u0 = x2, u2  # the extrapolation would be x2 itself
                continue
            up = self.update_state(
                u2, self.project_stats(unflat(x0 - 2 * step * r + step * step * v))
            )
            if not np.all(np.isfinite(up["reliability"])):  # pragma: no cover - projected
                x0, u0 = x2, u2
                continue
            x3, u3, met = advance(up)
            if met:
                return u3, passes, True
            x0, u0 = x3, u3
        warn_not_converged(self.name, self.max_iter, self.tol, stacklevel=stacklevel)
        return u0, passes, False

    def _result(
        self, table: Table, state: S, local: dict[str, Any], n_iter: int, converged: bool
    ) -> FusionResult:
        self._state = state
        prob, value = self.claim_scores(table, state, local)
        return self.finish(table, state, prob, value, n_iter, converged)

    def finish(
        self,
        table: Table,
        state: S,
        prob: FloatArray,
        value: np.ndarray[Any, Any] | None,
        n_iter: int,
        converged: bool,
    ) -> FusionResult:
        """The result from the claim probabilities (and the values, when the
        model picks them itself; else each object's most probable claim)."""
        if value is None:
            value = table.claim_value[_kernels.segment_argmax(prob, table.object_start)]
        return FusionResult(
            table=table,
            claim_probability=prob,
            value=value,
            reliability=np.asarray(state["reliability"], dtype=np.float64),
            model=self.name,
            n_iter=n_iter,
            converged=converged,
        )


def _same(a: Any, b: Any) -> bool:
    """Whether two state entries are equal (arrays by their elements)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype.kind == b.dtype.kind and bool(np.all(a == b))
    return bool(a == b)


def start_stub(
    source_ids: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], numeric: bool
) -> Table:
    """A table with the given sources and labels and no assertions.

    What a model whose ``init_reads`` is ``"labels"`` or ``"source_counts"``
    may read in ``init_state``: its ``init_state`` must give on this stub the same start
    as on the whole table (for ``"source_counts"``, apart from ``"n_claims"``,
    which the caller fills in). A distributed fit builds it from the sorted
    distinct ``labels`` of all partitions.

    Examples
    --------
    >>> import numpy as np
    >>> stub = start_stub(np.array(["a", "b"]), np.array(["no", "yes"]), False)
    >>> stub.n_sources, stub.n_claims, stub.n_assertions
    (2, 2, 0)
    """
    k = labels.shape[0]
    empty = np.zeros(0, dtype=np.int32)
    return Table(
        source_ids=source_ids,
        object_ids=np.zeros(1, dtype=np.int64),
        claim_object=np.zeros(k, dtype=np.int32),
        claim_value=labels,
        object_start=np.array([0, k], dtype=np.int64),
        source=empty,
        claim=empty,
        object=empty,
        numeric=numeric,
    )


def combine_stats(parts: list[Stats], reduce: Mapping[str, Literal["sum", "max", "min"]]) -> Stats:
    """Combine partial statistics from several partitions (used by Dask)."""
    out: Stats = {}
    for key in parts[0]:
        how = reduce.get(key, "sum")
        vals = [p[key] for p in parts]
        if how == "sum":
            acc = vals[0]
            for v in vals[1:]:
                acc = acc + v
            out[key] = acc
        elif how == "max":
            out[key] = np.maximum.reduce([np.asarray(v) for v in vals])
        else:
            out[key] = np.minimum.reduce([np.asarray(v) for v in vals])
    return out
