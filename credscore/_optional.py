"""Optional dependencies (extras), imported when a feature needs them."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["require"]

_EXTRA = {"pandas": "pandas", "pyarrow": "parquet", "matplotlib": "plot", "stix2": "export"}


def require(module: str, what: str) -> Any:
    """Import ``module`` for the feature ``what``, or raise an ImportError that
    names the extra to install.

    Examples
    --------
    >>> require("json", "a test").__name__
    'json'
    >>> require("no_such_module_xyz", "Scores.to_frame()")
    Traceback (most recent call last):
    ...
    ImportError: Scores.to_frame() needs no_such_module_xyz, which is not installed
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = _EXTRA.get(module)
        hint = f"; install it with `pip install 'credscore[{extra}]'`" if extra else ""
        raise ImportError(f"{what} needs {module}, which is not installed{hint}") from None
