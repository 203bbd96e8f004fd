"""The ``credscore`` command line: one module per command family.

:mod:`~credscore.cli.main` builds the parser and dispatches; ``main`` is the
console entry point.
"""

from credscore.cli.main import main

__all__ = ["main"]
