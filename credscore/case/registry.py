"""The functional face: ``credscore.score(case)``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from credscore.case.compile import CompiledCase
from credscore.case.model import Case
from credscore.case.result import Scores
from credscore.case.score import CorroborationModel

__all__ = ["ScoringModel", "case_models", "register_case_model", "score"]


@runtime_checkable
class ScoringModel(Protocol):
    """What :func:`score` accepts as ``model``: anything with this method.

    A model compiles the case (:func:`~credscore.compile_case`), computes one
    log-odds per claim, and returns :meth:`Scores.build(compiled, ...)
    <credscore.Scores.build>`; intervals, confirmations, flags and a
    per-report :class:`~credscore.case.result.Breakdown` are optional.

    Examples
    --------
    A model that adds one unit of log-odds per confirmation and takes one per
    denial, written from scratch:

    >>> import numpy as np
    >>> from credscore import Scores, compile_case
    >>> from credscore.semantics import CONFIRMS, DENIES
    >>> class StanceCount:
    ...     def score(self, case, *, as_of=None):
    ...         cc = compile_case(case)
    ...         vote = (cc.report_stance == CONFIRMS) * 1.0 - (cc.report_stance == DENIES)
    ...         net = np.bincount(cc.report_claim, weights=vote, minlength=cc.n_claims)
    ...         return Scores.build(cc, log_odds=net)
    >>> from credscore.examples import kursk
    >>> isinstance(StanceCount(), ScoringModel)
    True
    >>> round(score(kursk(), model=StanceCount())["nk-casualties"].probability, 2)
    0.88
    """

    def score(self, case: Case, *, as_of: str | datetime | None = None) -> Scores: ...


_CASE_MODELS: dict[str, Callable[[], ScoringModel]] = {
    "corroboration": CorroborationModel,
    # Every group independent: what plain Bayesian addition would say.
    "independent": lambda: CorroborationModel(nested_dependence=0.0, top_level_dependence=0.0),
}


def register_case_model(name: str, factory: Callable[[], ScoringModel]) -> None:
    """Make ``score(case, model=name)`` use ``factory()``.

    Examples
    --------
    >>> from credscore.case.score import CorroborationModel
    >>> register_case_model("cautious", lambda: CorroborationModel(nested_dependence=1.0))
    >>> "cautious" in case_models()
    True
    >>> del _CASE_MODELS["cautious"]  # (this example leaves the registry as it was)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string, got {name!r}")
    _CASE_MODELS[name] = factory


def case_models() -> list[str]:
    """Names usable as ``score(case, model=NAME)``.

    Examples
    --------
    >>> case_models()[:2]
    ['corroboration', 'independent']
    """
    return list(_CASE_MODELS)


def score(
    case: Case | CompiledCase,
    model: ScoringModel | str | None = None,
    *,
    as_of: str | datetime | None = None,
) -> Scores:
    """Score every claim of a case.

    Parameters
    ----------
    case : Case
        See :class:`credscore.Case`, :func:`credscore.load_case`.
    model : ScoringModel, str or None
        A model object, the name of a registered case model (see
        :func:`case_models`), or None for :class:`CorroborationModel` with its
        defaults.
    as_of : ISO 8601 string or datetime, optional
        Ignore reports made after this time.

    Returns
    -------
    Scores
        Index it by claim id for a :class:`ClaimScore`.

    Raises
    ------
    InvalidCaseError
        ``as_of`` does not parse, or a custom reliability is out of range.

    Examples
    --------
    >>> from credscore.examples import kursk
    >>> s = score(kursk())["nk-casualties"]
    >>> round(s.probability, 2), s.grade, s.independent_confirmations
    (0.95, 1, 2)
    >>> round(score(kursk(), as_of="2024-12-01")["nk-casualties"].probability, 2)
    0.5
    """
    m: ScoringModel
    if model is None:
        m = CorroborationModel()
    elif isinstance(model, str):
        try:
            m = _CASE_MODELS[model]()
        except KeyError:
            raise ValueError(
                f"model: unknown case model {model!r}; available: {', '.join(case_models())}"
            ) from None
    else:
        m = model
    if not isinstance(case, (Case, CompiledCase)):
        raise TypeError(f"case: expected a credscore.Case, got {type(case).__name__}")
    result = m.score(case, as_of=as_of)  # type: ignore[arg-type]
    if not isinstance(result, Scores):
        raise TypeError(
            f"model: {type(m).__name__}.score returned {type(result).__name__}, "
            "expected credscore.Scores (build it with Scores.build)"
        )
    return result
