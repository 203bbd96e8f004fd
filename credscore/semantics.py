"""What the numbers mean, written once: stance codes, log-odds, the
log-likelihood ratio of a report, and the rule that pools dependent evidence.

Both scales use these: the case model (:mod:`credscore.case.score`,
:mod:`credscore.case.pooling`, :mod:`credscore.case.result`) and the table-scale
corroboration model (:mod:`credscore.models.corroboration`). A change here is a
change of meaning, made in one place. The derivations are in
``docs/explanation/model.md``.

Examples
--------
>>> import numpy as np
>>> float(llr(np.array(0.8), np.array(0.5)))  # ln 9: a B source, a coin-flip guesser
2.1972245773362196
>>> float(pool_rule(np.array(3.0), np.array(2.0), np.array(0.5)))  # halfway from sum to max
2.5
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CONFIRMS",
    "CROWD_DEPENDENCE",
    "DENIES",
    "NESTED_DEPENDENCE",
    "NO_COMMENT",
    "OBSERVES",
    "RETRACTS",
    "STANCE_CODES",
    "TOP_LEVEL_DEPENDENCE",
    "expit",
    "llr",
    "logit",
    "pool_rule",
]

FloatArray = npt.NDArray[np.float64]

#: Integer code of each stance in compiled arrays (the order is part of no
#: promise; compare against the names).
NO_COMMENT: Final = 0
OBSERVES: Final = 1
CONFIRMS: Final = 2
DENIES: Final = 3
RETRACTS: Final = 4
#: Stance name (as in the case file) -> code.
STANCE_CODES: Final[dict[str, int]] = {
    "no_comment": NO_COMMENT,
    "observes": OBSERVES,
    "confirms": CONFIRMS,
    "denies": DENIES,
    "retracts": RETRACTS,
}


#: Dependence of a group the case does not declare: two or more levels deep
#: (one government, one newspaper group), at the top level (a country), and
#: of the crowd of unaffiliated sources of unknown reliability.
NESTED_DEPENDENCE: Final = 0.8
TOP_LEVEL_DEPENDENCE: Final = 0.0
CROWD_DEPENDENCE: Final = 0.8


def logit(p: FloatArray | float) -> FloatArray:
    """Log-odds of a probability in (0, 1).

    Examples
    --------
    >>> float(logit(0.5))
    0.0
    """
    p = np.asarray(p, dtype=np.float64)
    out: FloatArray = np.log(p) - np.log1p(-p)
    return out


def expit(x: FloatArray | float) -> FloatArray:
    """The logistic function, without overflow for any finite input.

    Examples
    --------
    >>> float(expit(0.0)), float(expit(-1000.0))
    (0.5, 0.0)
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(under="ignore"):  # exp(-745) and below is 0: the right answer
        e = np.exp(-np.abs(x))
    out: FloatArray = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out


def llr(
    rho: FloatArray,
    a: FloatArray | float,
    *,
    lam: FloatArray | float = 0.0,
    weight: FloatArray | float = 1.0,
    copied: FloatArray | float = 0.0,
) -> FloatArray:
    """Log-likelihood ratio of a confirmation, vectorised.

    A source of reliability ``rho`` knows the truth with probability ``rho``;
    otherwise it asserts the claim anyway with probability ``a``. Knowing the
    claim false, it asserts it all the same with probability ``lam`` (the
    claim serves it). It copied its statement from another source with
    probability ``copied``. With ``P_t = rho + (1 - rho) a`` and
    ``P_f = rho lam + (1 - rho) a``::

        ell = weight * ln[(copied + (1 - copied) P_t) / (copied + (1 - copied) P_f)]

    The two-component "knows or guesses" likelihood is the one-coin model of
    Dawid & Skene (1979); the bias ``lam`` follows Schum, *The Evidential
    Foundations of Probabilistic Reasoning* (1994), ch. 3; copying follows
    Dong, Berti-Equille & Srivastava (VLDB 2009). A denial is the negative of
    the confirmation's ratio (the caller applies the sign).

    Parameters
    ----------
    rho : ndarray
        Reliability, below 1 (1 itself gives a large finite ratio). A
        negative ``rho`` (worse than chance) keeps ``P_t`` at least
        ``1e-12 P_f``, so the ratio stays finite and negative.
    a : ndarray or float
        Propensity to assert when not knowing, in (0, 1].
    lam : ndarray or float
        Bias towards a claim that serves the source, in [0, 1).
    weight : ndarray or float
        Weight of the report.
    copied : ndarray or float
        Probability, in [0, 1), that the statement was copied.

    Returns
    -------
    ndarray
        Finite; 0 where ``rho = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> llr(np.array([0.0, 0.5, 0.9]), 0.5).round(4)
    array([0.    , 1.0986, 2.9444])
    >>> float(llr(np.array(0.9), 0.5, lam=0.25).round(4))  # at most ln(1 / lam)
    1.2397
    """
    rho = np.asarray(rho, dtype=np.float64)
    q = (1.0 - rho) * a
    gap = rho  # P_t - P_f
    p_false = q
    if _nonzero(lam):
        p_false = rho * lam + q
        gap = rho * (1.0 - lam)
    # rho that rounds to 1 (the optimistic end of an interval around 1 - 1e-16)
    # would make P_f = 0: the smallest normal float keeps the ratio finite.
    p_false = np.maximum(p_false, _TINY)
    p_true = np.maximum(rho + q, p_false * 1e-12)
    if _nonzero(copied):
        keep = 1.0 - np.asarray(copied)
        p_true = copied + keep * p_true
        p_false = copied + keep * p_false
        gap = keep * gap
    out: FloatArray = np.log(p_true) - np.log(p_false)
    # Where the two likelihoods are close the difference of logs loses the
    # sign and the digits of a tiny ratio; ln(1 + gap / P_f) keeps both.
    ratio = gap / p_false
    near = np.abs(ratio) < _NEAR
    if np.any(near):
        out = np.where(near, np.log1p(np.where(near, ratio, 0.0)), out)
    if _nonzero(weight - 1.0):
        out = weight * out
    return out


#: Below this ratio ``(P_t - P_f) / P_f`` the ratio is taken through log1p.
_NEAR = 1e-4
_TINY = float(np.finfo(np.float64).tiny)


def _nonzero(x: FloatArray | float) -> bool:
    return not (isinstance(x, (int, float)) and x == 0.0)


def pool_rule(total: FloatArray, extreme: FloatArray, r: FloatArray) -> FloatArray:
    """Pooled evidence of a group of dependent reports: ``r * extreme + (1 - r) * total``.

    ``total`` is the sum of the group's log-likelihood ratios of one sign,
    ``extreme`` the largest of them in size, ``r`` the group's dependence:
    ``r = 0`` adds them as independent, ``r = 1`` keeps only the strongest
    (:doc:`/explanation/model`). Written as ``total - r (total - extreme)`` so that
    both ends are exact.

    Examples
    --------
    >>> import numpy as np
    >>> pool_rule(np.array([3.0, 3.0, 3.0]), np.array([2.0, 2.0, 2.0]), np.array([0.0, 0.5, 1.0]))
    array([3. , 2.5, 2. ])
    """
    out: FloatArray = np.where(r >= 1.0, extreme, total - r * (total - extreme))
    return out
