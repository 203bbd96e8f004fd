"""Conformance checks for scoring models, in the spirit of scikit-learn's
``check_estimator``.

:func:`check_model` runs a model through a fixed set of small cases or tables
and raises :class:`AssertionError` with a message saying what broke. It is a
testing helper: call it from your test suite on your own models. It needs
only credscore itself (no Hypothesis); for property-based tests of your
model over generated cases, see :mod:`credscore.strategies`.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.case.model import Case, Claim, Group, Link, Report, Source, Stance
from credscore.errors import ConvergenceWarning, GoldNotSupportedError, NotFittedError
from credscore.examples import kursk
from credscore.models.base import FusionResult, TruthModel
from credscore.table.table import Table

__all__ = ["check_case_model", "check_model", "check_table_model", "sample_cases", "sample_tables"]

_SILENT = "check-model-silent"
_SILENT_PRIOR = 0.3


def check_model(model: Any) -> None:
    """Check that a model behaves as credscore expects of one.

    A *case-scale* model (anything with ``score(case, *, as_of=None)``, see
    :class:`credscore.ScoringModel`) is checked by :func:`check_case_model`;
    a *table-scale* model (a :class:`credscore.models.TruthModel`) by
    :func:`check_table_model`.

    Parameters
    ----------
    model : ScoringModel or TruthModel

    Raises
    ------
    AssertionError
        The model breaks a rule; the message says which, on which input.
    TypeError
        ``model`` is neither kind of model.

    Examples
    --------
    >>> from credscore import CorroborationModel
    >>> from credscore.models import Majority
    >>> check_model(CorroborationModel())
    >>> check_model(Majority())
    >>> class Broken:
    ...     def score(self, case, *, as_of=None):
    ...         return {c.id: 1.5 for c in case.claims}
    >>> check_model(Broken())
    Traceback (most recent call last):
    ...
    AssertionError: Broken on case 'kursk', claim 'nk-casualties': the score has no probability
    """
    if isinstance(model, TruthModel):
        check_table_model(model)
    elif callable(getattr(model, "score", None)):
        check_case_model(model)
    else:
        raise TypeError(
            "model: expected a scoring model (with score(case, as_of=None)) or a "
            f"credscore.models.TruthModel, got {type(model).__name__}"
        )


# -- case-scale models ----------------------------------------------------------------


def sample_cases(seed: int = 0, n: int = 3) -> list[tuple[str, Case]]:
    """The cases :func:`check_case_model` uses: the Kursk case and ``n`` small
    random ones (affiliation groups, declared dependence, citations, implied
    and contradicting claims, times and weights).

    Examples
    --------
    >>> [name for name, _ in sample_cases(n=2)]
    ['kursk', 'random-0', 'random-1']
    """
    rnd = random.Random(seed)
    out = [("kursk", kursk())]
    stances = ["confirms", "confirms", "denies", "observes", "no_comment", "retracts"]
    times = [None, "2024-12-01", "2024-12-16", "2024-12-20T08:00:00"]
    for k in range(n):
        n_s, n_c = rnd.randint(3, 7), rnd.randint(2, 5)
        sources = []
        for i in range(n_s):
            depth = rnd.randint(0, 3)
            aff = "/".join(rnd.choice("xyz") for _ in range(depth)) or None
            rel = rnd.choice(
                ["A", "B", "C", "D", "E", "F", None, round(rnd.uniform(0.05, 0.95), 3)]
            )
            sources.append(Source(f"s{i}", reliability=rel, affiliation=aff))
        claims = [
            Claim(
                f"c{i}",
                prior=rnd.choice([None, 0.2, 0.6]),
                benefits=tuple(rnd.sample(["x", "y/x"], rnd.randint(0, 1))),
                harms=tuple(rnd.sample(["z", "y"], rnd.randint(0, 1))),
            )
            for i in range(n_c)
        ]
        links = [
            Link("implies", f"c{i}", f"c{j}")
            for i in range(n_c)
            for j in range(i + 1, n_c)
            # nothing implies the last claim, which contradicts the one before
            # it: a claim implying both could never be true
            if rnd.random() < 0.3 and not (n_c >= 3 and j == n_c - 1)
        ]
        if n_c >= 3:
            links.append(Link("contradicts", f"c{n_c - 1}", f"c{n_c - 2}"))
        links.append(Link("depends", "s0", f"s{n_s - 1}", dependence=0.5))
        groups = [Group(s.groups[0], 0.6) for s in sources[:1] if s.groups]
        reports = []
        seen = set()
        for _ in range(rnd.randint(4, 14)):
            s = rnd.randrange(n_s)
            c = rnd.randrange(n_c)
            time = rnd.choice(times)
            if (s, c, time) in seen:  # no ties for supersession to break
                continue
            seen.add((s, c, time))
            cites = f"s{rnd.randrange(s)}" if s > 0 and rnd.random() < 0.25 else None
            reports.append(
                Report(
                    f"s{s}",
                    f"c{c}",
                    Stance(rnd.choice(stances)),
                    time=time,
                    cites=cites,
                    weight=rnd.choice([1.0, 0.5]),
                )
            )
        out.append((f"random-{k}", Case(sources, claims, reports, groups=groups, links=links)))
    return out


def _reversed(case: Case) -> Case:
    return Case(
        case.sources[::-1],
        case.claims[::-1],
        case.reports[::-1],
        groups=case.groups[::-1],
        links=case.links[::-1],
    )


def _with_silent_claim(case: Case) -> Case:
    claims = (*case.claims, Claim(_SILENT, prior=_SILENT_PRIOR))
    reports = (*case.reports, Report(case.sources[0].id, _SILENT, Stance.NO_COMMENT))
    return case.replace(claims=claims, reports=reports)


def _read(model: Any, where: str, scores: Any, claim_id: str) -> tuple[float, Any, Any]:
    try:
        s = scores[claim_id]
    except Exception as exc:
        raise AssertionError(f"{where}: scores[{claim_id!r}] failed: {exc!r}") from None
    p = getattr(s, "probability", None)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)):
        raise AssertionError(f"{where}: the score has no probability")
    return float(p), getattr(s, "interval", None), getattr(s, "grade", None)


def check_case_model(model: Any, cases: Sequence[tuple[str, Case]] | None = None) -> None:
    """Check a case-scale scoring model.

    On every case: each claim's probability lies in [0, 1] and is not NaN;
    its ``interval`` (if any) lies in [0, 1] and contains it; its ``grade``
    (if any) is 1 to 6; a claim with no evidence (only a ``no_comment``)
    scores its prior and grade 6; the scores do not change when every input
    list is reversed; scoring twice gives the same numbers; ``as_of`` is
    accepted.

    Parameters
    ----------
    model : object with ``score(case, *, as_of=None)``
        Its result must support ``result[claim_id]`` giving an object with a
        ``probability`` (and optionally ``interval``, ``log_odds``, ``grade``).
    cases : sequence of (name, Case), optional
        Default :func:`sample_cases`.

    Raises
    ------
    AssertionError

    Examples
    --------
    >>> from credscore import CorroborationModel
    >>> check_case_model(CorroborationModel(nested_dependence=1.0))
    """
    name = type(model).__name__
    for case_name, case in cases if cases is not None else sample_cases():
        case = _with_silent_claim(case)
        where = f"{name} on case {case_name!r}"
        first = model.score(case)
        again = model.score(case)
        flipped = model.score(_reversed(case))
        dated = model.score(case, as_of="2024-12-16")
        for claim in case.claims:
            w = f"{where}, claim {claim.id!r}"
            p, interval, grade = _read(model, w, first, claim.id)
            if not 0.0 <= p <= 1.0:
                raise AssertionError(f"{w}: probability {p!r} is not in [0, 1]")
            lo_odds = getattr(first[claim.id], "log_odds", None)
            if lo_odds is not None and math.isnan(lo_odds):
                raise AssertionError(f"{w}: log_odds is NaN")
            if interval is not None:
                lo, hi = (float(x) for x in interval)
                if not 0.0 <= lo <= p <= hi <= 1.0:
                    raise AssertionError(
                        f"{w}: interval ({lo!r}, {hi!r}) does not contain probability {p!r} "
                        "within [0, 1]"
                    )
            if grade is not None and grade not in range(1, 7):
                raise AssertionError(f"{w}: grade {grade!r} is not 1 to 6")
            p2, _, g2 = _read(model, w, again, claim.id)
            if p2 != p or g2 != grade:
                raise AssertionError(f"{w}: not deterministic ({p!r}, then {p2!r})")
            p3, _, g3 = _read(model, w, flipped, claim.id)
            if abs(p3 - p) > 1e-9 or g3 != grade:
                raise AssertionError(
                    f"{w}: depends on the order of inputs ({p!r}, reversed {p3!r})"
                )
            p4, _, _ = _read(model, w + " as_of 2024-12-16", dated, claim.id)
            if not 0.0 <= p4 <= 1.0:
                raise AssertionError(f"{w}: probability {p4!r} with as_of is not in [0, 1]")
        w = f"{where}, claim {_SILENT!r} (no evidence, prior {_SILENT_PRIOR})"
        p, _, grade = _read(model, w, first, _SILENT)
        if abs(p - _SILENT_PRIOR) > 1e-9:
            raise AssertionError(f"{w}: probability {p!r} is not the prior")
        if grade is not None and grade != 6:
            raise AssertionError(f"{w}: grade {grade!r}, expected 6")


# -- table-scale models ---------------------------------------------------------------


def sample_tables(kind: str, seed: int = 0) -> list[tuple[str, Table]]:
    """The tables :func:`check_table_model` uses for ``kind`` ``"categorical"``
    or ``"numeric"``: sources of graded accuracy answering most objects; for
    ``"categorical"`` also the first of them with a label set of four labels,
    one of which nobody gave.

    Examples
    --------
    >>> [(name, t.numeric) for name, t in sample_tables("numeric")]
    [('numeric', True), ('numeric-small', True)]
    """
    rng = np.random.default_rng(seed)
    out = []
    for size, n_s, n_o in (("", 7, 12), ("-small", 3, 2)):
        accuracy = np.linspace(0.9, 0.4, n_s)
        src: list[str] = []
        obj: list[str] = []
        val: list[Any] = []
        for o in range(n_o):
            truth = int(rng.integers(3))
            for s in range(n_s):
                if n_s > 3 and rng.random() < 0.2:
                    continue
                if kind == "numeric":
                    v: Any = round(10.0 * truth + float(rng.normal(0, 4 * (1 - accuracy[s]))), 1)
                else:
                    right = rng.random() < accuracy[s]
                    v = f"v{truth if right else int(rng.integers(3))}"
                src.append(f"src-{s}")
                obj.append(f"obj-{o}")
                val.append(v)
        table = Table.from_arrays(
            np.array(src, dtype=object),
            np.array(obj, dtype=object),
            np.array(val, dtype=np.float64 if kind == "numeric" else object),
        )
        out.append((kind + size, table))
    if kind == "categorical":
        # every label a candidate of every object, "v3" given by nobody:
        # claims without assertions (Table.with_label_set)
        out.append((kind + "-label-set", out[0][1].with_label_set(["v0", "v1", "v2", "v3"])))
    return out


def _fresh(model: TruthModel, **changes: Any) -> TruthModel:
    if attrs.has(type(model)):
        fresh: TruthModel = attrs.evolve(model, **changes)
        fresh.result_ = None
        return fresh
    import copy

    fresh = copy.deepcopy(model)
    fresh.result_ = None
    for k, v in changes.items():
        setattr(fresh, k, v)
    return fresh


def _fit(model: TruthModel, table: Table) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(table)


def _aligned(table: Table, x: npt.NDArray[Any]) -> dict[tuple[Any, Any], float]:
    objs = table.object_ids[table.claim_object]
    return {(o, v): float(p) for o, v, p in zip(objs.tolist(), table.claim_value.tolist(), x)}


#: How far :func:`check_table_model` lets ``partial_fit`` be from a new fit.
PARTIAL_FIT_TOL = 1e-3


def _check_partial_fit(
    model: TruthModel,
    table: Table,
    whole: FusionResult,
    where: str,
    seeded: bool,
    *,
    compare: bool,
) -> None:
    """``partial_fit`` of the last third of ``table``'s rows after a fit of
    the rest is the fit of ``table`` (``whole``)."""
    cut = 2 * table.n_assertions // 3
    src = table.source_ids[table.source]
    obj = table.object_ids[table.object]
    val = table.claim_value[table.claim]
    first = Table.from_arrays(src[:cut], obj[:cut], val[:cut], numeric=table.numeric)
    rest = Table.from_arrays(src[cut:], obj[cut:], val[cut:], numeric=table.numeric)
    if table.label_set:
        first = first.with_label_set(table.labels)
    fresh = _fresh(model, seed=0) if seeded else _fresh(model)
    _fit(fresh, first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        returned = fresh.partial_fit(rest)
    if returned is not fresh:
        raise AssertionError(f"{where}: partial_fit() returned {returned!r}, not the model itself")
    got = fresh.result
    same = got.table.n_claims == table.n_claims and all(
        np.array_equal(getattr(got.table, f), getattr(table, f))
        for f in ("source_ids", "object_ids", "claim_object", "claim_value", "source", "claim")
    )
    if not same:
        raise AssertionError(f"{where}: after partial_fit the table is not the whole table")
    if not compare:
        return
    for what, a, b in (
        ("claim probability", got.claim_probability, whole.claim_probability),
        ("reliability", got.reliability, whole.reliability),
    ):
        worst = float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b))))
        if not worst <= PARTIAL_FIT_TOL:
            raise AssertionError(
                f"{where}: partial_fit of the last third of the rows differs from a fit of "
                f"the whole table by {worst:.3g} in a {what}"
            )


def _check_gold(
    model: TruthModel, table: Table, plain: FusionResult, where: str, seeded: bool
) -> None:
    """Every third object given as known, at the value ``plain`` (the fit
    without gold) finds least likely: each comes out at that value with
    probability 1, and unless every known value is the one ``plain`` chose,
    some reliability moves. A model whose ``accepts_gold()`` is false must
    raise :class:`~credscore.errors.GoldNotSupportedError` instead."""
    objects = list(range(0, table.n_objects, 3))
    start = table.object_start
    prob0 = np.asarray(plain.claim_probability, dtype=np.float64)
    known = [int(start[o]) + int(np.argmin(prob0[start[o] : start[o + 1]])) for o in objects]
    ids, values = table.object_ids.tolist(), table.claim_value.tolist()
    gold = {ids[o]: values[c] for o, c in zip(objects, known)}
    fresh = _fresh(model, seed=0) if seeded else _fresh(model)
    if not type(model).accepts_gold():
        try:
            fresh.fit(table, gold=gold)
        except GoldNotSupportedError:
            return
        raise AssertionError(
            f"{where}: accepts_gold() is false, but fit(table, gold=...) does not raise "
            "GoldNotSupportedError"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fresh.fit(table, gold=gold).result
    prob = np.asarray(res.claim_probability, dtype=np.float64)
    if not np.isfinite(prob).all():
        raise AssertionError(f"{where}: with gold, claim probabilities are not finite")
    sums = np.bincount(table.claim_object, weights=prob, minlength=table.n_objects)
    if np.any(np.abs(sums - 1.0) > 1e-6):
        raise AssertionError(f"{where}: with gold, an object's probabilities do not sum to 1")
    for o, c in zip(objects, known):
        if prob[c] != 1.0:
            raise AssertionError(
                f"{where}: object {ids[o]!r}, given as known, has probability {prob[c]!r} "
                "for its known value, not 1"
            )
    best = plain.best_claim
    if any(int(best[o]) != c for o, c in zip(objects, known)):
        moved = np.abs(np.asarray(res.reliability) - np.asarray(plain.reliability))
        if not float(np.max(moved, initial=0.0)) > 0.0:
            raise AssertionError(
                f"{where}: known values that contradict the fit without them move no "
                "reliability: are they used in the fit?"
            )


def check_table_model(model: TruthModel, tol: float = 1e-6) -> None:
    """Check a table-scale (truth-discovery) model.

    For every kind of table the model accepts (categorical: also one with a
    label set, :meth:`~credscore.table.table.Table.with_label_set`, whose
    claims nobody made have no assertions): using it before ``fit`` raises
    :class:`~credscore.NotFittedError`; ``fit`` returns the model itself;
    claim probabilities are finite, in [0, 1] and sum to 1 within each
    object; reliabilities and values have one entry per source and object;
    on the label set, no object comes out at the label nobody gave;
    shuffling the rows and the order of sources and objects changes no
    result by more than ``tol``; with a fixed
    ``seed`` (when the model has one) two fits give identical results;
    with every third object known (``fit(table, gold=...)``) at the value
    the fit without gold finds least likely, those objects come out at that
    value with probability 1 and some reliability moves (or, when
    ``accepts_gold()`` is false, the fit raises
    :class:`~credscore.errors.GoldNotSupportedError`);
    ``partial_fit`` of the last third of the rows, after a fit of the rest,
    returns the model and gives the fit of the whole table: its table, and
    on the larger sample tables claim probabilities and reliabilities within
    ``PARTIAL_FIT_TOL`` (a warm start stops at another point within the
    model's own ``tol``; on two objects EM has several fixed points, and a
    warm start may find another one).

    Parameters
    ----------
    model : TruthModel
        Not modified: the checks fit fresh copies.
    tol : float
        Tolerance of the row-order check.

    Raises
    ------
    AssertionError

    Examples
    --------
    >>> from credscore.models import DawidSkene
    >>> check_table_model(DawidSkene(max_iter=20))
    """
    name = type(model).__name__
    seeded = (
        "seed" in {f.name for f in attrs.fields(type(model))} if attrs.has(type(model)) else False
    )
    for kind in sorted(model.kinds):
        for table_name, table in sample_tables(kind):
            where = f"{name} on table {table_name!r}"
            fresh = _fresh(model, seed=0) if seeded else _fresh(model)
            try:
                fresh.result  # noqa: B018
            except NotFittedError:
                pass
            else:
                raise AssertionError(f"{where}: .result before fit does not raise NotFittedError")
            returned = _fit(fresh, table)
            if returned is not fresh:
                raise AssertionError(f"{where}: fit() returned {returned!r}, not the model itself")
            res = fresh.result
            prob = np.asarray(res.claim_probability, dtype=np.float64)
            if prob.shape != (table.n_claims,):
                raise AssertionError(
                    f"{where}: claim_probability has shape {prob.shape}, expected ({table.n_claims},)"
                )
            if not np.isfinite(prob).all() or (prob < -1e-12).any() or (prob > 1 + 1e-12).any():
                raise AssertionError(f"{where}: claim probabilities outside [0, 1]: {prob}")
            sums = np.bincount(table.claim_object, weights=prob, minlength=table.n_objects)
            bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
            if bad.size:
                o = table.object_ids[int(bad[0])]
                raise AssertionError(
                    f"{where}: probabilities of object {o!r} sum to {sums[bad[0]]!r}, not 1"
                )
            rel = np.asarray(res.reliability, dtype=np.float64)
            if rel.shape != (table.n_sources,) or not np.isfinite(rel).all():
                raise AssertionError(f"{where}: reliability must be finite, one per source: {rel}")
            if len(res.value) != table.n_objects:
                raise AssertionError(f"{where}: value must have one entry per object")
            if table.label_set:
                # "v3" is in the label set, but no source gave it (and every
                # source is better than chance): no object is it.
                nobody = [o for o, v in res.truths().items() if v == "v3"]
                if nobody:
                    raise AssertionError(
                        f"{where}: object {nobody[0]!r} comes out 'v3', a label no source gave"
                    )

            # determinism
            if seeded:
                twice = _fit(_fresh(model, seed=0), table).result
                if not np.array_equal(twice.claim_probability, res.claim_probability):
                    raise AssertionError(f"{where}: two fits with seed=0 differ")

            # row order, and the order of sources and objects (renamed so that
            # their sorted order changes)
            rng = np.random.default_rng(1)
            rows = rng.permutation(table.n_assertions)
            s_new = np.array([f"s{i:04d}" for i in rng.permutation(table.n_sources)], dtype=object)
            o_new = np.array([f"o{i:04d}" for i in rng.permutation(table.n_objects)], dtype=object)
            shuffled = Table.from_arrays(
                s_new[table.source][rows],
                o_new[table.object][rows],
                table.claim_value[table.claim][rows],
                numeric=table.numeric,
            )
            if table.label_set:
                shuffled = shuffled.with_label_set(table.labels)
            other = _fit(_fresh(model, seed=0) if seeded else _fresh(model), shuffled).result
            o_back = dict(zip(o_new.tolist(), table.object_ids.tolist()))
            s_back = dict(zip(s_new.tolist(), table.source_ids.tolist()))
            a = _aligned(table, prob)
            b = {
                (o_back[o], v): p
                for (o, v), p in _aligned(
                    shuffled, np.asarray(other.claim_probability, dtype=np.float64)
                ).items()
            }
            worst = max(abs(a[k] - b[k]) for k in a) if a.keys() == b.keys() else math.inf
            if worst > tol:
                raise AssertionError(
                    f"{where}: shuffling the rows and reordering sources and objects changes "
                    f"claim probabilities by {worst:.3g}"
                )
            _check_partial_fit(
                model, table, res, where, seeded, compare=not table_name.endswith("-small")
            )
            _check_gold(model, table, res, where, seeded)

            ra = dict(zip(table.source_ids.tolist(), rel.tolist()))
            rb = {
                s_back[k]: v
                for k, v in zip(
                    shuffled.source_ids.tolist(), np.asarray(other.reliability).tolist()
                )
            }
            worst = max(abs(ra[k] - rb[k]) for k in ra)
            if worst > tol:
                raise AssertionError(
                    f"{where}: shuffling the rows and reordering sources and objects changes "
                    f"reliabilities by {worst:.3g}"
                )
