"""Learning from the record: :func:`learn` fits a :class:`LearnedModel` to
resolved claims (:doc:`/howto/learn`, :doc:`/explanation/learning`).

The learned model is the default model with some of what it takes as fixed
fitted to outcomes, each with a prior that shrinks it toward the default:

- the **base rate**: a log-odds for every claim, plus an offset per
  ``topic`` (partial pooling: a topic with few resolved claims stays near
  the overall rate);
- the **strength of each stance**: a multiplier of the default model's
  evidence for confirmations, denials and observations, with an adjustment
  per source ``kind`` and per interest (self-serving, against interest);
- each **source's reliability** from its track record: the share of its
  confirmations and denials that were right, shrunk toward what the case
  says of it (a Beta prior of ``record_strength`` pseudo-reports), turned
  into a reliability by ``accuracy = rho + (1 - rho) / 2`` (a source that
  knows is right; one that guesses is right half the time);
- the **dependence** of the crowd and of undeclared nested groups, chosen
  among a few values by the penalised likelihood.

Fitting is maximum a posteriori logistic regression (Newton's method, which
converges to the single optimum of this convex problem: the result does not
depend on a seed or on the order of the history). Its inputs are the
default model's pooled evidence of every claim, one channel per (stance,
kind, interest); a source's reliability, while fitting, comes from its
record on the *other* claims, so that a claim's own outcome never explains
itself. Scoring pools all channels together, weighted, as the default model
does; when no group mixes channels, that is exactly the fitted sum.

The priors are Gaussian on the log-odds scale (Gelman et al., "A weakly
informative default prior distribution for logistic and other regression
models", Ann. Appl. Stat. 2008); the track record is the Beta-binomial
estimate of Good (1965) and Efron & Morris (1975).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from credscore.case.compile import CompiledCase, compile_case
from credscore.case.evidence import Evidence
from credscore.case.explain import EvidenceBreakdown
from credscore.case.model import Case, Claim, Source
from credscore.case.pooling import pool
from credscore.case.result import Contribution, Scores
from credscore.case.score import CorroborationModel
from credscore.errors import InvalidCaseError, InvalidInputError
from credscore.semantics import CONFIRMS, DENIES, OBSERVES, expit, logit

__all__ = ["LearnedModel", "learn", "load_model"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FORMAT = "credscore-learned-model"
FORMAT_VERSION = 1
STANCES = ("confirms", "denies", "observes")
INTERESTS = ("self-serving", "against-interest")
_STANCE_CODE = {"confirms": CONFIRMS, "denies": DENIES, "observes": OBSERVES}
#: the default strength of each stance (observations carry nothing by default)
DEFAULT_STRENGTH = {"confirms": 1.0, "denies": 1.0, "observes": 0.0}
#: the values tried for a learned dependence
DEPENDENCE_GRID = (0.0, 0.5, 0.8, 1.0)


@attrs.frozen
class _Channel:
    stance: str
    kind: str | None
    interest: str | None


@attrs.define(kw_only=True, eq=False)
class LearnedModel:
    """A scoring model fitted to resolved claims by :func:`learn`.

    Use it as any model: ``credscore.score(case, model=learned)``. Its
    numbers are in :attr:`parameters_`; :meth:`save` writes them as JSON and
    :func:`load_model` reads them back.

    Attributes
    ----------
    parameters_ : dict
        What was learned (plain JSON types):

        - ``base_rate``: ``{"all": p, "topics": {topic: p}}``, the
          probability of a claim before any report;
        - ``strength``: per stance, ``{"all": w, "kinds": {kind: dw},
          "interests": {"self-serving": dw, "against-interest": dw}}``; a
          report's evidence is the default model's times ``all + kind's dw +
          interest's dw`` (at least 0; a self-serving one at most the neutral
          one and 1; an against-interest one at least the neutral one);
        - ``sources``: ``{id: {"reliability": rho, "right": k, "of": n}}``;
        - ``dependence``: ``{"crowd": r, "nested": r}``;
        - ``fit``: the claims fitted, the log-likelihood, the iterations.
    settings : dict
        The default model's settings that learning started from.

    Examples
    --------
    >>> import credscore
    >>> from credscore import Case, Claim, Report, Source
    >>> history = Case(
    ...     [Source("wire"), Source("blog")],
    ...     [Claim(f"c{i}", resolved=i % 2 == 0) for i in range(8)],
    ...     [Report("wire", f"c{i}", "confirms" if i % 2 == 0 else "denies") for i in range(8)]
    ...     + [Report("blog", f"c{i}", "confirms") for i in range(8)],
    ... )
    >>> learned = credscore.learn(history)
    >>> learned.parameters_["sources"]["wire"]["right"], learned.parameters_["sources"]["blog"]["right"]
    (8, 4)
    >>> new = Case([Source("wire"), Source("blog")], [Claim("x")],
    ...            [Report("wire", "x", "confirms"), Report("blog", "x", "confirms")])
    >>> p_learned = credscore.score(new, model=learned)["x"].probability
    >>> p_default = credscore.score(new)["x"].probability
    >>> p_learned > p_default
    True
    """

    parameters_: dict[str, Any]
    settings: dict[str, Any] = attrs.field(factory=dict)

    name = "learned"

    # -- scoring ----------------------------------------------------------------

    def score(self, case: Case | CompiledCase, *, as_of: str | datetime | None = None) -> Scores:
        """Score every claim of a case with the learned parameters.

        Parameters
        ----------
        case : Case or CompiledCase
        as_of : ISO 8601 string or datetime, optional
            As :meth:`CorroborationModel.score`.

        Returns
        -------
        Scores
        """
        cc = case if isinstance(case, CompiledCase) else compile_case(case)
        engine = self._engine()
        engine._warn_loose(cc)
        ev = engine.evidence(cc, as_of=as_of)
        channels, code = _channels(ev)
        strength = self.parameters_["strength"]
        w = np.array([_strength(strength, ch) for ch in channels], dtype=np.float64)[code]
        ev = _scaled(ev, w)
        return engine.scores(ev, breakdown=_LearnedBreakdown(ev, self, w, channels, code))

    def _engine(self) -> _Engine:
        p = self.parameters_
        dep = p["dependence"]
        settings = dict(self.settings)
        settings["crowd_dependence"] = dep["crowd"]
        settings["nested_dependence"] = dep["nested"]
        settings["observes_weight"] = 1.0  # the learned strength decides
        known = p["sources"]

        def reliability(source: Source, claim: Claim) -> float | None:
            rec = known.get(source.id)
            return None if rec is None else float(rec["reliability"])

        return _Engine(
            reliability=reliability if known else None,
            base_rates=p["base_rate"],
            **settings,
        )

    # -- saving -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON types (what :meth:`save` writes)."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "settings": dict(self.settings),
            "parameters": self.parameters_,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON (read it back with :func:`load_model`).

        Floats are written with all their digits, so the loaded model gives
        identical scores.
        """
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> LearnedModel:
        """Rebuild a model from :meth:`to_dict`'s output, checking it."""
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            raise InvalidInputError(f"format: not a credscore learned model (expected {FORMAT!r})")
        if doc.get("version") != FORMAT_VERSION:
            raise InvalidInputError(
                f"version: expected {FORMAT_VERSION}, got {doc.get('version')!r}"
            )
        params = doc.get("parameters")
        settings = doc.get("settings", {})
        try:
            _check_parameters(params)
            CorroborationModel(**settings)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"parameters: {exc}") from None
        return cls(parameters_=dict(params), settings=dict(settings))  # type: ignore[arg-type]

    def __repr__(self) -> str:
        fit = self.parameters_.get("fit", {})
        return (
            f"<LearnedModel: {fit.get('claims', 0):,} resolved claims, "
            f"{len(self.parameters_.get('sources', {})):,} sources with a record>"
        )


def load_model(path: str | os.PathLike[str]) -> LearnedModel:
    """Read a model written by :meth:`LearnedModel.save`.

    Raises
    ------
    InvalidInputError
        When the file is not JSON or not a learned model (the message names
        the file and the field).

    Examples
    --------
    >>> import tempfile, os, credscore
    >>> from credscore import Case, Claim, Report, Source
    >>> history = Case([Source("a")], [Claim("x", resolved=True)], [Report("a", "x", "confirms")])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> credscore.learn(history).save(path)
    >>> load_model(path).parameters_["fit"]["claims"]
    1
    """
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as exc:
        raise InvalidInputError(f"{os.fspath(path)}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InvalidInputError(f"{os.fspath(path)}: not JSON ({exc})") from None
    try:
        return LearnedModel.from_dict(doc)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{os.fspath(path)}: {exc}") from None


# -- learning ----------------------------------------------------------------


def learn(
    history: Case | Iterable[Case],
    *,
    base_rate_scale: float = 1.5,
    topic_scale: float = 2.0,
    strength_scale: float = 1.0,
    adjustment_scale: float = 0.5,
    record_strength: float = 4.0,
    min_claims: int = 1,
    progress: Callable[[str], None] | None = None,
    **settings: Any,
) -> LearnedModel:
    """Fit a :class:`LearnedModel` to the resolved claims of a history.

    Parameters
    ----------
    history : Case or iterable of Case
        Cases whose claims carry ``resolved`` (true or false). Claims without
        it are scored in context but not fitted. Source ids name the same
        source across cases.
    base_rate_scale, topic_scale : float
        Standard deviations of the Gaussian priors, in log-odds, of the
        overall base rate (around the default prior) and of each topic's
        offset from it (around 0).
    strength_scale, adjustment_scale : float
        Standard deviations of the prior of each stance's strength (around
        its default: 1 for confirmations and denials, 0 for observations)
        and of each kind's and interest's adjustment (around 0).
    record_strength : float
        How many reports' worth of weight the case's own reliability of a
        source carries against its track record.
    min_claims : int
        Fewest resolved claims to learn from.
    progress : callable, optional
        Called with a short message at each stage (the command line prints
        them).
    **settings
        Settings of the :class:`CorroborationModel` to start from.

    Returns
    -------
    LearnedModel

    Raises
    ------
    InvalidCaseError
        When the history has fewer than ``min_claims`` resolved claims.

    Examples
    --------
    Learn from the invented record of the tutorial, then score the reference
    case with what was learned (more in :class:`LearnedModel` and
    :doc:`/howto/learn`):

    >>> import credscore
    >>> model = learn(credscore.examples.record())
    >>> model.parameters_["fit"]["claims"], model.parameters_["sources"]["gur"]["of"]
    (60, 40)
    >>> scores = credscore.score(credscore.examples.kursk(), model=model)
    >>> 0 < scores["nk-casualties"].probability < 1
    True
    """
    for name, value in (
        ("base_rate_scale", base_rate_scale),
        ("topic_scale", topic_scale),
        ("strength_scale", strength_scale),
        ("adjustment_scale", adjustment_scale),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name}: expected a positive number, got {value!r}")
    if (
        isinstance(record_strength, bool)
        or not isinstance(record_strength, (int, float))
        or not record_strength > 0
    ):
        raise ValueError(f"record_strength: expected a positive number, got {record_strength!r}")
    base_model = CorroborationModel(**settings)  # checks the settings
    cases = [history] if isinstance(history, Case) else list(history)
    for k, c in enumerate(cases):
        if not isinstance(c, Case):
            raise TypeError(f"history[{k}]: expected a Case, got {type(c).__name__}")
    say = progress or (lambda _msg: None)
    compiled = [compile_case(c) for c in cases]
    n_resolved = sum(c.resolved is not None for case in cases for c in case.claims)
    if n_resolved < max(min_claims, 1):
        raise InvalidCaseError(
            "resolved",
            None,
            f"the history has {n_resolved} resolved claim(s); learning needs at least "
            f"{max(min_claims, 1)} (mark claims with resolved: true or false)",
        )
    say(f"{len(cases):,} case(s), {n_resolved:,} resolved claim(s)")

    records = _records(cases)
    defaults = _settings_of(base_model)
    prior_rel = {s.id: s.probability for case in cases for s in case.sources}

    def reliability_of(rec: tuple[int, int], case_rho: float | None) -> float:
        rho0 = base_model.unknown_reliability if case_rho is None else case_rho
        acc0 = (1.0 + rho0) / 2.0
        right, of = rec
        acc = (right + record_strength * acc0) / (of + record_strength)
        return float(min(max(2.0 * acc - 1.0, 1e-3), 1.0 - 1e-6))

    # Which groups exist decides which dependences are learned.
    crowd_grid: tuple[float, ...] = (base_model.crowd_dependence,)
    nested_grid: tuple[float, ...] = (base_model.nested_dependence,)
    # The default first: where the data cannot tell the values apart, it stays.
    if any(base_model._crowd(cc).sum() >= 2 for cc in compiled):
        crowd_grid = _default_first(base_model.crowd_dependence)
    if any(bool(np.any(np.isnan(cc.group_dependence) & (cc.group_depth >= 2))) for cc in compiled):
        nested_grid = _default_first(base_model.nested_dependence)

    prior = _Prior(
        base_mean=float(logit(base_model.prior)),
        base_scale=float(base_rate_scale),
        topic_scale=float(topic_scale),
        strength_scale=float(strength_scale),
        adjustment_scale=float(adjustment_scale),
    )
    best: tuple[float, float, float, _Fit] | None = None
    for crowd in crowd_grid:
        for nested in nested_grid:
            engine_settings = dict(defaults, crowd_dependence=crowd, nested_dependence=nested)
            rows = _design(compiled, cases, engine_settings, records, prior_rel, reliability_of)
            fit = _fit(rows, prior)
            say(
                f"dependence crowd {crowd:g}, nested {nested:g}: "
                f"penalised log-likelihood {fit.objective:.3f} ({fit.iterations} iterations)"
            )
            if best is None or fit.objective > best[0] + 1e-9:
                best = (fit.objective, crowd, nested, fit)
    assert best is not None
    _, crowd, nested, fit = best

    sources = {
        sid: {
            "reliability": reliability_of(rec, prior_rel.get(sid)),
            "right": rec[0],
            "of": rec[1],
        }
        for sid, rec in sorted(records.items())
    }
    params = {
        "base_rate": {
            "all": float(expit(fit.base)),
            "topics": {t: float(expit(fit.base + off)) for t, off in sorted(fit.topics.items())},
        },
        "strength": fit.strength,
        "sources": sources,
        "dependence": {"crowd": crowd, "nested": nested},
        "fit": {
            "claims": fit.n,
            "log_likelihood": fit.log_likelihood,
            "penalised_log_likelihood": fit.objective,
            "iterations": fit.iterations,
        },
    }
    say(f"fitted {fit.n:,} claims: log loss {-fit.log_likelihood / max(fit.n, 1):.3f} in sample")
    return LearnedModel(parameters_=params, settings=defaults)


def _default_first(default: float) -> tuple[float, ...]:
    return (default, *(r for r in DEPENDENCE_GRID if r != default))


def _settings_of(model: CorroborationModel) -> dict[str, Any]:
    """The numeric settings of a model (what a saved model keeps)."""
    out = {}
    for a in attrs.fields(CorroborationModel):
        v = getattr(model, a.name)
        if isinstance(v, float) and a.name not in ("crowd_dependence", "nested_dependence"):
            out[a.name] = v
    if model.reliability is not None or model.dependence is not None:
        raise InvalidInputError(
            "settings: learn starts from numeric settings only (not reliability= or "
            "dependence= callables, which a saved model could not keep)"
        )
    return out


def _records(cases: list[Case]) -> dict[str, tuple[int, int]]:
    """Each source's record on resolved claims: (right, of) over its
    confirmations and denials (its last word on each claim)."""
    out: dict[str, list[int]] = {}
    for case in cases:
        truth = {c.id: c.resolved for c in case.claims if c.resolved is not None}
        for (sid, _claim), right in _verdicts(case, truth).items():
            rec = out.setdefault(sid, [0, 0])
            rec[0] += int(right)
            rec[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _verdicts(case: Case, truth: Mapping[str, bool]) -> dict[tuple[str, str], bool]:
    """Whether each source's confirmation or denial of a resolved claim was
    right (its latest such report on the claim decides)."""
    latest: dict[tuple[str, str], tuple[str, str]] = {}
    for r in case.reports:
        if r.claim not in truth or r.stance.value not in ("confirms", "denies"):
            continue
        key = (r.source, r.claim)
        when = r.time or ""
        if key not in latest or when >= latest[key][0]:
            latest[key] = (when, r.stance.value)
    return {k: (v[1] == "confirms") == truth[k[1]] for k, v in latest.items()}


@attrs.frozen
class _Prior:
    base_mean: float
    base_scale: float
    topic_scale: float
    strength_scale: float
    adjustment_scale: float


@attrs.frozen
class _Rows:
    """The design of the fit: one row per resolved claim."""

    y: FloatArray
    topic: list[str | None]
    #: per channel, the claim's pooled evidence from that channel alone
    features: dict[_Channel, FloatArray]


def _design(
    compiled: list[CompiledCase],
    cases: list[Case],
    settings: Mapping[str, Any],
    records: Mapping[str, tuple[int, int]],
    prior_rel: Mapping[str, float | None],
    reliability_of: Callable[[tuple[int, int], float | None], float],
) -> _Rows:
    ys: list[float] = []
    topics: list[str | None] = []
    feats: dict[_Channel, list[FloatArray]] = {}
    counts: list[int] = []
    for cc, case in zip(compiled, cases):
        truth = {c.id: c.resolved for c in case.claims if c.resolved is not None}
        verdict = _verdicts(case, truth)

        def loo(source: Source, claim: Claim, verdict: Any = verdict) -> float | None:
            rec = records.get(source.id)
            if rec is None:
                return None
            right, of = rec
            mine = verdict.get((source.id, claim.id))
            if mine is not None:  # leave this claim's own outcome out
                right, of = right - int(mine), of - 1
            return reliability_of((right, of), prior_rel.get(source.id))

        engine = _Engine(reliability=loo, base_rates=None, **dict(settings, observes_weight=1.0))
        ev = engine.evidence(cc)
        channels, code = _channels(ev)
        rows = np.array([cc.claim_index[c] for c in truth], dtype=np.int64)
        ys.extend(1.0 if truth[c] else 0.0 for c in truth)
        topics.extend(cc.case.claims[i].topic for i in rows.tolist())
        n = len(rows)
        r = ev.tree.dependence
        for j, ch in enumerate(channels):
            pooled, _ = pool(ev.plan, np.where(code == j, ev.ell, 0.0), r, r, cc.n_claims)
            feats.setdefault(ch, [np.zeros(c) for c in counts])
            feats[ch].append(pooled[rows])
        counts.append(n)
        for ch in feats:
            if len(feats[ch]) < len(counts):
                feats[ch].append(np.zeros(n))
    features = {ch: np.concatenate(v) if v else np.zeros(0) for ch, v in feats.items()}
    return _Rows(y=np.asarray(ys, dtype=np.float64), topic=topics, features=features)


@attrs.frozen
class _Fit:
    base: float
    topics: dict[str, float]
    strength: dict[str, Any]
    log_likelihood: float
    objective: float
    iterations: int
    n: int


def _fit(rows: _Rows, prior: _Prior) -> _Fit:
    """MAP logistic regression by Newton's method, rows in a canonical order
    (so the history's order cannot change a digit)."""
    channels = sorted(rows.features, key=_channel_key)
    topics = sorted({t for t in rows.topic if t is not None})
    stances = [s for s in STANCES if any(c.stance == s for c in channels)]
    kinds = sorted(
        {(c.stance, c.kind) for c in channels if c.kind is not None},
        key=lambda x: (x[0], x[1] or ""),
    )
    interests = sorted({(c.stance, c.interest) for c in channels if c.interest is not None})
    # columns: base, topics, stance strengths, kind adjustments, interest adjustments
    n = rows.y.shape[0]
    cols: list[FloatArray] = [np.ones(n)]
    mean = [prior.base_mean]
    scale = [prior.base_scale]
    for t in topics:
        cols.append(np.array([1.0 if x == t else 0.0 for x in rows.topic]))
        mean.append(0.0)
        scale.append(prior.topic_scale)
    for s in stances:
        cols.append(sum((rows.features[c] for c in channels if c.stance == s), np.zeros(n)))
        mean.append(DEFAULT_STRENGTH[s])
        scale.append(prior.strength_scale)
    for s, k in kinds:
        cols.append(
            sum((rows.features[c] for c in channels if (c.stance, c.kind) == (s, k)), np.zeros(n))
        )
        mean.append(0.0)
        scale.append(prior.adjustment_scale)
    for s, i in interests:
        cols.append(
            sum(
                (rows.features[c] for c in channels if (c.stance, c.interest) == (s, i)),
                np.zeros(n),
            )
        )
        mean.append(0.0)
        scale.append(prior.adjustment_scale)
    X = np.stack(cols, axis=1) if n else np.zeros((0, len(cols)))
    y = rows.y
    # canonical row order: sort rows by their content
    if n:
        order = np.lexsort(np.concatenate([X, y[:, None]], axis=1).T[::-1])
        X, y = X[order], y[order]
    mu = np.asarray(mean)
    prec = 1.0 / np.asarray(scale) ** 2
    theta = mu.copy()
    iterations = 0
    for _ in range(100):
        iterations += 1
        z = X @ theta
        p = expit(z)
        g = X.T @ (y - p) - prec * (theta - mu)
        h = (X * (p * (1.0 - p))[:, None]).T @ X + np.diag(prec)
        step = np.linalg.solve(h, g)
        theta = theta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    z = X @ theta
    ll = float(np.sum(y * _log_expit(z) + (1.0 - y) * _log_expit(-z)))
    obj = ll - 0.5 * float(np.sum(prec * (theta - mu) ** 2))
    col = 1 + len(topics)
    strength: dict[str, Any] = {}
    for s in STANCES:
        strength[s] = {"all": DEFAULT_STRENGTH[s], "kinds": {}, "interests": {}}
    for j, s in enumerate(stances):
        strength[s]["all"] = float(theta[col + j])
    col += len(stances)
    for j, (s, kind) in enumerate(kinds):
        strength[s]["kinds"][kind] = float(theta[col + j])
    col += len(kinds)
    for j, (s, i) in enumerate(interests):
        strength[s]["interests"][i] = float(theta[col + j])
    return _Fit(
        base=float(theta[0]),
        topics={t: float(theta[1 + j]) for j, t in enumerate(topics)},
        strength=strength,
        log_likelihood=ll,
        objective=obj,
        iterations=iterations,
        n=n,
    )


def _log_expit(z: FloatArray) -> FloatArray:
    out: FloatArray = -np.logaddexp(0.0, -z)
    return out


# -- the engine ---------------------------------------------------------------


@attrs.define(kw_only=True)
class _Engine(CorroborationModel):
    """The default model with learned base rates."""

    base_rates: Mapping[str, Any] | None = attrs.field(default=None)

    def _default_prior(self, cc: CompiledCase) -> float | FloatArray:
        """The learned base rate of each claim's topic (or of all claims)."""
        if self.base_rates is None:
            return self.prior
        rates = self.base_rates
        by_topic = rates["topics"]
        return np.array(
            [float(by_topic.get(c.topic, rates["all"])) for c in cc.case.claims],
            dtype=np.float64,
        )


def _channels(ev: Evidence) -> tuple[list[_Channel], IntArray]:
    """The distinct channels of a run's evidence, sorted, and the index in
    them of every entry's channel: its report's stance, its source's kind,
    and whether it speaks in or against its source's interest."""
    cc = ev.compiled
    stance = cc.report_stance[ev.report].astype(np.int64)
    serves, hurts = cc.interest(ev.position, cc.report_claim[ev.report])
    deny = stance == DENIES
    interest = np.where(
        np.where(deny, hurts, serves), 1, np.where(np.where(deny, serves, hurts), 2, 0)
    )
    # "\0" stands for "no kind" (it cannot occur in a kind: case text is printable)
    kinds, kind_of = np.unique(
        np.array(["\0" if s.kind is None else s.kind for s in cc.case.sources], dtype=object),
        return_inverse=True,
    )
    n_k = max(len(kinds), 1)
    key = (stance * n_k + kind_of.reshape(-1)[ev.position]) * 3 + interest
    distinct, code = np.unique(key, return_inverse=True)
    names = {CONFIRMS: "confirms", DENIES: "denies", OBSERVES: "observes"}
    interests = (None, "self-serving", "against-interest")
    channels = [
        _Channel(names[int(k) // 3 // n_k], _kind(kinds[int(k) // 3 % n_k]), interests[int(k) % 3])
        for k in distinct.tolist()
    ]
    return channels, code.reshape(-1).astype(np.int64)


def _kind(k: str) -> str | None:
    return None if k == "\0" else k


def _channel_key(c: _Channel) -> tuple[str, str, str]:
    return (c.stance, c.kind or "", c.interest or "")


def _strength(strength: Mapping[str, Any], ch: _Channel) -> float:
    """A channel's multiplier, with the orderings the properties need."""
    s = strength[ch.stance]
    neutral = max(float(s["all"]) + float(s["kinds"].get(ch.kind, 0.0)), 0.0)
    if ch.interest is None:
        return neutral
    w = max(neutral + float(s["interests"].get(ch.interest, 0.0)), 0.0)
    if ch.interest == "self-serving":
        return min(w, neutral, 1.0)
    return max(w, neutral)


def _scaled(ev: Evidence, w: FloatArray) -> Evidence:
    """The evidence with every entry's weight multiplied by its strength."""
    return attrs.evolve(ev, ell=ev.ell * w, weight=ev.weight * w)


@attrs.define
class _LearnedBreakdown:
    """The default explanation, plus which learned parameters moved the claim."""

    ev: Evidence
    model: LearnedModel
    w: FloatArray
    channels: list[_Channel]
    code: IntArray
    inner: EvidenceBreakdown = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.inner = EvidenceBreakdown(self.ev)

    def contributions(self, claim: int) -> list[Contribution]:
        return list(self.inner.contributions(claim))

    def notes(self, claim: int) -> list[str]:
        p = self.model.parameters_
        cc = self.ev.compiled
        c = cc.case.claims[claim]
        rates = p["base_rate"]
        n = p["fit"]["claims"]
        lines = []
        if c.prior is None:
            if c.topic is not None and c.topic in rates["topics"]:
                lines.append(
                    f"Learned from {n:,} resolved claims: the base rate of topic "
                    f"{c.topic!r} is {rates['topics'][c.topic]:.2f} (all topics "
                    f"{rates['all']:.2f})."
                )
            else:
                lines.append(
                    f"Learned from {n:,} resolved claims: the base rate is {rates['all']:.2f}."
                )
        mine = np.flatnonzero(self.ev.claim == claim)
        seen: dict[str, float] = {}
        for k in mine.tolist():
            ch = self.channels[int(self.code[k])]
            label = (
                ch.stance
                + (f" by {ch.kind} sources" if ch.kind else "")
                + (f" ({ch.interest})" if ch.interest else "")
            )
            seen[label] = float(self.w[k])
        for label, w in sorted(seen.items()):
            lines.append(f"Learned strength of {label}: x{w:.2f} the default model's evidence.")
        rec = p["sources"]
        names = sorted({cc.source_ids[int(s)] for s in self.ev.position[mine].tolist()})
        shown = [s for s in names if s in rec][:5]
        for s in shown:
            r = rec[s]
            lines.append(
                f"Source {s!r}: right {r['right']} of {r['of']} times on resolved claims, "
                f"learned reliability {r['reliability']:.2f}."
            )
        return lines + list(self.inner.notes(claim))


def _check_parameters(p: Any) -> None:
    if not isinstance(p, Mapping):
        raise TypeError("expected an object")
    br = p["base_rate"]
    for v in [br["all"], *br["topics"].values()]:
        if not (isinstance(v, float) and 0 < v < 1):
            raise ValueError(f"base_rate: {v!r} is not a probability in (0, 1)")
    for s in STANCES:
        st = p["strength"][s]
        for v in [st["all"], *st["kinds"].values(), *st["interests"].values()]:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"strength.{s}: {v!r} is not a finite number")
    for sid, rec in p["sources"].items():
        v = rec["reliability"]
        if not (isinstance(v, float) and 0 < v < 1):
            raise ValueError(f"sources.{sid}: reliability {v!r} is not in (0, 1)")
    for key in ("crowd", "nested"):
        v = p["dependence"][key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ValueError(f"dependence.{key}: {v!r} is not in [0, 1]")
    if not isinstance(p["fit"]["claims"], int):
        raise ValueError("fit.claims: expected a count")
