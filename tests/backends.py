"""The kernel backends a test runs on: numpy always, numba when installed."""

from __future__ import annotations

import importlib.util

import pytest

HAS_NUMBA = importlib.util.find_spec("numba") is not None

#: ``@pytest.mark.parametrize("backend", BACKENDS)``, with
#: ``credscore.kernels.backend.use_backend(backend)`` in the test.
BACKENDS = [
    "numpy",
    pytest.param(
        "numba", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")
    ),
]
