"""The table scale: ``(source, object, value)`` assertions as arrays.

:mod:`~credscore.table.table` holds :class:`Table` and :func:`read_table`. The
models that fuse a table are in :mod:`credscore.models`.
"""

from credscore.table.table import Table, read_table

__all__ = ["Table", "read_table"]
