"""The table scale: ``(source, object, value)`` assertions as arrays.

:mod:`~credscore.table.table` holds :class:`Table`, :mod:`~credscore.table.read`
:func:`read_table` and :func:`read_gold`. The
models that fuse a table are in :mod:`credscore.models`.
"""

from credscore.table.read import read_gold, read_table
from credscore.table.table import Table

__all__ = ["Table", "read_gold", "read_table"]
