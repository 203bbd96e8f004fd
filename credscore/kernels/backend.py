"""Which kernels run, numpy or numba, and the one place numba is loaded.

numba is optional (the ``fast`` extra). When it imports, loop kernels are
compiled by it, once per process, from numba's on-disk cache when that is
warm; otherwise the numpy forms run. ``CREDSCORE_KERNELS=numpy`` in the
environment, or :func:`set_backend`, forces numpy.

Examples
--------
>>> from credscore.kernels import backend as B
>>> with B.use_backend("numpy"):
...     B.backend(), B.compiled({"f": lambda: None}) is None
('numpy', True)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["backend", "compiled", "set_backend", "use_backend"]

_BACKENDS = ("auto", "numpy", "numba")
_choice: str = os.environ.get("CREDSCORE_KERNELS", "auto").strip().lower() or "auto"
if _choice not in _BACKENDS:  # pragma: no cover - depends on the environment
    _choice = "auto"
_numba: Any = None
_numba_missing = False
_cache: dict[Any, dict[str, Callable[..., Any]]] = {}


def _load_numba() -> Any:
    """The numba module, or None when it is not installed (looked up once)."""
    global _numba, _numba_missing
    if _numba is None and not _numba_missing:
        try:
            import numba
        except ImportError:
            _numba_missing = True
        else:
            _numba = numba
    return _numba


def set_backend(name: str) -> None:
    """Choose the kernels: ``"auto"`` (numba when installed), ``"numpy"`` or ``"numba"``.

    Parameters
    ----------
    name : {"auto", "numpy", "numba"}

    Raises
    ------
    ValueError
        For another name.
    ImportError
        For ``"numba"`` when numba is not installed.

    Examples
    --------
    >>> from credscore.kernels import backend as B
    >>> B.set_backend("numpy"); B.backend()
    'numpy'
    >>> B.set_backend("auto")
    """
    global _choice
    if name not in _BACKENDS:
        raise ValueError(f"backend: expected one of {', '.join(_BACKENDS)}, got {name!r}")
    if name == "numba" and _load_numba() is None:
        raise ImportError(
            "backend: numba is not installed; install it with: pip install 'credscore[fast]'"
        )
    _choice = name


def backend() -> str:
    """The kernels in use now: ``"numba"`` or ``"numpy"``.

    Examples
    --------
    >>> from credscore.kernels import backend as B
    >>> B.backend() in ("numba", "numpy")
    True
    """
    return "numba" if _choice != "numpy" and _load_numba() is not None else "numpy"


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Context manager: run a block with the kernels ``name`` (see :func:`set_backend`).

    Examples
    --------
    >>> from credscore.kernels import backend as B
    >>> with B.use_backend("numpy"):
    ...     B.backend()
    'numpy'
    """
    global _choice
    old = _choice
    set_backend(name)
    try:
        yield
    finally:
        _choice = old


def jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled by numba with the settings every kernel uses (cached on
    disk, no GIL, no fast-math: results must not depend on the backend beyond
    rounding). Only call when :func:`backend` is ``"numba"``."""
    numba = _load_numba()
    out: Callable[..., Any] = numba.njit(cache=True, nogil=True, fastmath=False)(fn)
    return out


def compiled(
    loops: Mapping[str, Callable[..., Any]] | Callable[[], Mapping[str, Callable[..., Any]]],
    *,
    key: Any = None,
) -> dict[str, Callable[..., Any]] | None:
    """The compiled form of a family of loops, or None on the numpy path.

    ``loops`` maps names to plain Python loops (compiled with :func:`jit`), or
    is a function that builds such a mapping of already compiled loops (for
    loops that need numba's own types to be written). Each family is compiled
    once per process, under ``key`` (default: the identity of ``loops``).
    """
    if backend() != "numba":
        return None
    key = id(loops) if key is None else key
    got = _cache.get(key)
    if got is None:
        got = dict(loops()) if callable(loops) else {name: jit(fn) for name, fn in loops.items()}
        _cache[key] = got
    return got
