"""credscore: how far should a claim be believed?

Scores claims from who reported them, who confirmed or denied them, and how
independent those parties are; and, at table scale, finds the true value of
each object from many conflicting sources.

Submodules: :mod:`credscore.models` (table-scale models), :mod:`credscore.metrics`,
:mod:`credscore.datasets` (loaders for public evaluation data),
:mod:`credscore.strategies` (Hypothesis strategies, needs the ``test`` extra),
:mod:`credscore.testing` (``check_model``), :mod:`credscore.dask` (the ``dask``
extra).

Examples
--------
>>> import credscore
>>> scores = credscore.score(credscore.examples.kursk())
>>> scores["nk-casualties"].grade
1
"""

from credscore import examples
from credscore._version import __version__
from credscore.case.compile import CompiledCase, compile_case
from credscore.case.learned import LearnedModel, learn, load_model
from credscore.case.learning import learn_reliability
from credscore.case.model import Case, Claim, Group, Link, Report, Source, Stance
from credscore.case.registry import ScoringModel, case_models, register_case_model, score
from credscore.case.result import ClaimScore, Contribution, Scores
from credscore.case.score import CorroborationModel
from credscore.errors import (
    ConvergenceWarning,
    CredscoreError,
    CredscoreWarning,
    InvalidCaseError,
    InvalidTableError,
    NotFittedError,
)
from credscore.io.casefile import check_case, dump_case, load_case
from credscore.io.casetables import read_case_tables
from credscore.models import FusionResult, available_models, get_model, register_model
from credscore.models.fuse import fuse
from credscore.table import Table, read_table

__all__ = [
    "Case",
    "Claim",
    "ClaimScore",
    "CompiledCase",
    "Contribution",
    "ConvergenceWarning",
    "CorroborationModel",
    "CredscoreError",
    "CredscoreWarning",
    "FusionResult",
    "Group",
    "InvalidCaseError",
    "InvalidTableError",
    "LearnedModel",
    "Link",
    "NotFittedError",
    "Report",
    "Scores",
    "ScoringModel",
    "Source",
    "Stance",
    "Table",
    "__version__",
    "available_models",
    "case_models",
    "check_case",
    "compile_case",
    "dump_case",
    "examples",
    "fuse",
    "get_model",
    "learn",
    "learn_reliability",
    "load_case",
    "load_model",
    "read_case_tables",
    "read_table",
    "register_case_model",
    "register_model",
    "score",
]
