"""Learn source reliabilities from a case's own record, and feed them back.

A source whose reliability cannot be judged (Admiralty F) counts as 0.5 in the
default model. With many claims, its record of agreeing and disagreeing with
other sources says more: :func:`learn_reliability` turns the case's
confirmations and denials into a table (one object per claim, the values
"true" and "false") and fits the table-scale
:class:`~credscore.models.corroboration.Corroboration` model, whose
reliability has the same meaning as the case model's (the chance a source
knows the truth), so the result can be passed straight back as
``CorroborationModel(reliability=...)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from credscore.case.compile import timestamp
from credscore.case.model import Case, Stance
from credscore.errors import InvalidCaseError
from credscore.table.table import Table

__all__ = ["learn_reliability"]


def learn_reliability(
    case: Case,
    *,
    only_unknown: bool = True,
    min_reports: int = 3,
    **settings: Any,
) -> dict[str, float]:
    """Reliabilities learned by EM from who agreed with whom across the claims.

    Parameters
    ----------
    case : Case
    only_unknown : bool
        Return only sources whose reliability cannot be judged (F or none);
        the others keep what the case says.
    min_reports : int
        Sources with fewer confirmations and denials than this are left out
        (too little record to learn from).
    **settings
        Passed to :class:`credscore.models.corroboration.Corroboration`.

    Returns
    -------
    dict
        ``{source id: reliability}``, ready for
        ``CorroborationModel(reliability=...)``.

    Raises
    ------
    InvalidCaseError
        When the case has no confirmation or denial to learn from.

    Examples
    --------
    >>> from credscore import Case, Claim, Report, Source, CorroborationModel, score
    >>> sources = [Source(s) for s in ("a", "b", "c", "liar")]
    >>> claims = [Claim(f"c{i}") for i in range(12)]
    >>> truth = [i % 3 != 0 for i in range(12)]
    >>> reports = [Report(s, f"c{i}", "confirms" if t else "denies")
    ...            for i, t in enumerate(truth) for s in ("a", "b", "c")]
    >>> reports += [Report("liar", f"c{i}", "denies" if t else "confirms")
    ...             for i, t in enumerate(truth)]
    >>> case = Case(sources, claims, reports)
    >>> learned = learn_reliability(case)
    >>> learned["a"] > 0.8 > 0.2 > learned["liar"]
    True
    >>> model = CorroborationModel(reliability=learned)
    >>> score(case, model)["c1"].probability > score(case)["c1"].probability
    True
    """
    from credscore.models.corroboration import Corroboration

    rows = [r for r in case.reports if r.stance is Stance.CONFIRMS or r.stance is Stance.DENIES]
    if not rows:
        raise InvalidCaseError("reports", None, "no confirmation or denial to learn from")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.source] = counts.get(r.source, 0) + 1
    table = Table.from_arrays(
        [r.source for r in rows],
        [r.claim for r in rows],
        ["true" if r.stance is Stance.CONFIRMS else "false" for r in rows],
        time=np.array([-math.inf if r.time is None else timestamp(r.time) for r in rows]),
        numeric=False,
    )
    settings.setdefault("domain", 2)
    fitted = Corroboration(**settings).fit(table)
    learned = fitted.reliability_by_source_
    out: dict[str, float] = {}
    for s in case.sources:
        if s.id not in learned or counts.get(s.id, 0) < min_reports:
            continue
        if only_unknown and s.probability is not None:
            continue
        rho = float(learned[s.id])
        out[s.id] = min(max(rho, 1e-6), 1 - 1e-6)
    return out
