"""Grades analysts already know: the Admiralty credibility scale and ICD-203 words.

The Admiralty (NATO STANAG 2511) credibility of information runs from 1
(confirmed by other sources) to 6 (truth cannot be judged). ICD-203
(US Intelligence Community Directive 203, *Analytic Standards*, 2015) fixes
the words for probabilities. Probability and confidence stay separate: the
phrase describes the probability only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["ADMIRALTY_CREDIBILITY", "ICD203_PHRASES", "grade", "phrase"]

#: Meaning of each Admiralty credibility grade.
ADMIRALTY_CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}

#: ICD-203 probability words with the upper end of their range.
ICD203_PHRASES: tuple[tuple[float, str], ...] = (
    (0.05, "almost no chance"),
    (0.20, "very unlikely"),
    (0.45, "unlikely"),
    (0.55, "roughly even chance"),
    (0.80, "likely"),
    (0.95, "very likely"),
    (1.00, "almost certain"),
)


def phrase(probability: float) -> str:
    """The ICD-203 expression for a probability.

    Examples
    --------
    >>> phrase(0.953), phrase(0.5), phrase(0.03)
    ('almost certain', 'roughly even chance', 'almost no chance')
    """
    for upper, words in ICD203_PHRASES:
        if probability < upper:
            return words
    return ICD203_PHRASES[-1][1]


def grade(
    probability: npt.ArrayLike,
    independent_confirmations: npt.ArrayLike,
    contested: npt.ArrayLike,
    has_evidence: npt.ArrayLike,
    *,
    self_serving: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int8]:
    """Admiralty credibility grade, vectorised.

    1 needs p >= 0.9, at least two independent confirmations, no credible
    denial, and (``self_serving``) not every confirmation from a party the
    claim serves: "confirmed by other sources" means sources independent of
    the interest too; 2 is p >= 0.8; 3 p >= 0.5; 4 p >= 0.2; 5 below; 6 when
    no report carries evidence.

    Examples
    --------
    >>> grade([0.95, 0.95, 0.7, 0.5], [2, 1, 1, 0], [False, False, False, False],
    ...       [True, True, True, False]).tolist()
    [1, 2, 3, 6]
    >>> grade([0.95], [3], [False], [True], self_serving=[True]).tolist()
    [2]
    """
    p = np.asarray(probability, dtype=np.float64)
    k = np.asarray(independent_confirmations)
    out = np.select([p >= 0.9, p >= 0.8, p >= 0.5, p >= 0.2], [2, 2, 3, 4], default=5).astype(
        np.int8
    )
    one = (p >= 0.9) & (k >= 2) & ~np.asarray(contested, dtype=bool)
    if self_serving is not None:
        one &= ~np.asarray(self_serving, dtype=bool)
    out[one] = 1
    out[~np.asarray(has_evidence, dtype=bool)] = 6
    return out
