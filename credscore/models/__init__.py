"""Table-scale models: truth discovery and crowd label aggregation.

Every model is a small class (settings as fields, learned state ending in
``_``) registered by name for :func:`credscore.fuse`.
"""

from credscore.models.accu import Accu, AccuCopy, PopAccu
from credscore.models.base import FusionResult, IterativeModel, Progress, TruthModel
from credscore.models.bwa import BWA
from credscore.models.corroboration import Corroboration
from credscore.models.crh import CATD, CRH
from credscore.models.dawid_skene import DawidSkene, OneCoin
from credscore.models.ebcc import EBCC
from credscore.models.estimates import ThreeEstimates, TwoEstimates
from credscore.models.glad import GLAD
from credscore.models.hubs import AverageLog, Investment, PooledInvestment, Sums
from credscore.models.ibcc import IBCC
from credscore.models.mace import MACE
from credscore.models.progress import ProgressReporter
from credscore.models.registry import available_models, get_model, register_model
from credscore.models.truthfinder import TruthFinder
from credscore.models.voting import Majority, Mean, Median
from credscore.models.wawa import Wawa

__all__ = [
    "BWA",
    "CATD",
    "CRH",
    "EBCC",
    "GLAD",
    "IBCC",
    "MACE",
    "Accu",
    "AccuCopy",
    "AverageLog",
    "Corroboration",
    "DawidSkene",
    "FusionResult",
    "Investment",
    "IterativeModel",
    "Majority",
    "Mean",
    "Median",
    "OneCoin",
    "PooledInvestment",
    "PopAccu",
    "Progress",
    "ProgressReporter",
    "Sums",
    "ThreeEstimates",
    "TruthFinder",
    "TruthModel",
    "TwoEstimates",
    "Wawa",
    "available_models",
    "get_model",
    "register_model",
]
