"""credscore: how far should a claim be believed?

Scores claims from who reported them, who confirmed or denied them, and how
independent those parties are; and, at table scale, finds the true value of
each object from many conflicting sources.
"""

from credscore.errors import (
    ConvergenceWarning,
    CredscoreError,
    InvalidCaseError,
    InvalidTableError,
    NotFittedError,
)
from credscore.models import FusionResult, available_models, get_model, register_model
from credscore.table import Table

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "CredscoreError",
    "FusionResult",
    "InvalidCaseError",
    "InvalidTableError",
    "NotFittedError",
    "Table",
    "__version__",
    "available_models",
    "get_model",
    "register_model",
]
