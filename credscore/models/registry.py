"""The model registry behind :func:`credscore.fuse` and ``credscore fuse --model``."""

from __future__ import annotations

from typing import Any

from credscore.errors import InvalidSettingError
from credscore.models.base import TruthModel

__all__ = ["available_models", "get_model", "gold_models", "register_model"]

_REGISTRY: dict[str, type[TruthModel]] = {}


def register_model(cls: type[TruthModel], name: str | None = None) -> type[TruthModel]:
    """Register a model class under ``name`` (default: ``cls.name``).

    Usable as a class decorator. Registering a name again replaces it.

    Examples
    --------
    >>> from credscore.models import Majority
    >>> class MyVote(Majority):
    ...     name = "my-vote"
    >>> _ = register_model(MyVote)
    >>> "my-vote" in available_models()
    True
    """
    key = name or cls.name
    if not key:
        raise ValueError(f"name: {cls.__name__} has no registry name; pass name=...")
    if not (isinstance(cls, type) and issubclass(cls, TruthModel)):
        raise TypeError(f"cls: expected a TruthModel subclass, got {cls!r}")
    _REGISTRY[key] = cls
    return cls


def available_models() -> list[str]:
    """Names of the registered models, sorted.

    Examples
    --------
    >>> import credscore.models
    >>> "majority" in available_models()
    True
    """
    return sorted(_REGISTRY)


def gold_models() -> list[str]:
    """Names of the registered models that accept ``fit(table, gold=...)``, sorted.

    Examples
    --------
    >>> import credscore.models
    >>> "dawid-skene" in gold_models(), "majority" in gold_models()
    (True, False)
    """
    return sorted(k for k, cls in _REGISTRY.items() if cls.accepts_gold())


def get_model(name: str, **settings: Any) -> TruthModel:
    """An instance of the model registered as ``name``, with ``settings``."""
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"model: unknown model {name!r}; available: {', '.join(available_models())}"
        ) from None
    try:
        return cls(**settings)
    except InvalidSettingError:
        raise
    except TypeError as exc:
        raise TypeError(f"model {name!r}: {exc}") from None
