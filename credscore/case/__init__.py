"""The case scale: sources, claims and reports, and how they are scored.

Read in this order: :mod:`~credscore.case.model` (the data classes),
:mod:`~credscore.case.compile` (a case as integer-indexed arrays),
:mod:`~credscore.case.pooling` (how dependent evidence is pooled),
:mod:`~credscore.case.score` (the scoring model), :mod:`~credscore.case.result`
(what a score contains and how it is explained), :mod:`~credscore.case.grading`
(grades and phrases), :mod:`~credscore.case.registry` (``score(case)`` and the
named case models), :mod:`~credscore.case.learning` (reliabilities learned from a
case). The semantics every one of them shares (stance codes, the log-likelihood
ratio, the pooling rule) are in :mod:`credscore.semantics`.
"""

from credscore.case.model import (
    ADMIRALTY_RELIABILITY,
    Case,
    Claim,
    Group,
    Link,
    Report,
    Source,
    Stance,
    parse_time,
)

__all__ = [
    "ADMIRALTY_RELIABILITY",
    "Case",
    "Claim",
    "Group",
    "Link",
    "Report",
    "Source",
    "Stance",
    "parse_time",
]
