"""One vocabulary for checking settings and fields, with one message format.

Every model setting is declared with one of the field factories below
(:func:`number`, :func:`integer`, :func:`flag`, :func:`choice`,
:func:`callback`, :func:`seed`), and the data classes of a case check their
numbers with :func:`number_problem`. So the same mistake reads the same
everywhere::

    <field>: must lie in (0, 1), got 1.5
    <field>: expected a number, got 'high'
    <field>: must be one of 'voted', 'uniform'; got 'none'

Numbers may be Python or numpy scalars (``np.float32(0.3)``); numpy scalars
are stored as Python numbers, so that a setting never turns a float64
computation into float32. ``True`` and ``False`` are not numbers. A bad
setting raises :class:`~credscore.errors.InvalidSettingError`, which is both a
``ValueError`` and a ``TypeError``.

Examples
--------
>>> import attrs
>>> @attrs.define
... class Model:
...     rate: float = number(0.5, low=0, high=1, open_low=True, open_high=True)
...     rounds: int = integer(5, low=1)
>>> Model(rate=1.5)
Traceback (most recent call last):
...
credscore.errors.InvalidSettingError: rate: must lie in (0, 1), got 1.5
>>> Model(rounds=0)
Traceback (most recent call last):
...
credscore.errors.InvalidSettingError: rounds: must be an integer >= 1, got 0
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import numpy as np

from credscore.errors import InvalidSettingError

__all__ = [
    "as_number",
    "callback",
    "choice",
    "flag",
    "instance",
    "integer",
    "is_integer_at_least",
    "number",
    "number_problem",
    "seed",
    "show",
]


def as_number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (Python or numpy, not a
    bool), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            return float(value)
        except OverflowError:  # an int beyond the float range
            return math.inf if value > 0 else -math.inf
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def unwritable(text: str) -> bool:
    r"""Whether ``text`` holds a lone surrogate (``"\ud800"``), which no
    UTF-8 file or terminal can hold: such ids are refused where they enter.

    Examples
    --------
    >>> unwritable("gur"), unwritable("\u017d"), unwritable("a" + chr(0xD800))
    (False, False, True)
    """
    return not text.isascii() and _SURROGATE.search(text) is not None


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)`` for a message: shortened past ``limit`` characters, and
    safe for integers too long for Python to print. Numpy scalars print as
    the Python numbers and strings they hold (``nan``, not ``np.float64(nan)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _range_text(
    low: float | None, high: float | None, open_low: bool, open_high: bool
) -> str | None:
    if low is None and high is None:
        return None
    if high is None:
        return f"{'>' if open_low else '>='} {_fmt(low)}"
    if low is None:
        return f"{'<' if open_high else '<='} {_fmt(high)}"
    return f"{'(' if open_low else '['}{_fmt(low)}, {_fmt(high)}{')' if open_high else ']'}"


def _fmt(x: float | None) -> str:
    return f"{x:g}" if x is not None else ""


def number_problem(
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
) -> str | None:
    """What is wrong with ``value`` as a finite number in the range, or None.

    Examples
    --------
    >>> number_problem(0.5, low=0, high=1), number_problem(2, low=0, high=1)
    (None, 'must lie in [0, 1], got 2')
    >>> number_problem("x"), number_problem(float("nan"))
    ("expected a number, got 'x'", 'must be a finite number, got nan')
    """
    x = as_number(value)
    if x is None:
        return f"expected a number, got {show(value)}"
    if not math.isfinite(x):
        return f"must be a finite number, got {show(value)}"
    bad = (low is not None and (x < low or (open_low and x == low))) or (
        high is not None and (x > high or (open_high and x == high))
    )
    if bad:
        where = _range_text(low, high, open_low, open_high)
        return (
            f"must lie in {where}, got {show(value)}"
            if low is not None and high is not None
            else (f"must be {where}, got {show(value)}")
        )
    return None


def _to_python(value: Any) -> Any:
    """numpy scalars as Python scalars (``np.float32`` to float, ``np.bool_``
    to bool); everything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


@attrs.frozen
class _Number:
    low: float | None
    high: float | None
    open_low: bool
    open_high: bool
    optional: bool

    def __call__(self, inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and self.optional:
            return
        problem = number_problem(
            value, low=self.low, high=self.high, open_low=self.open_low, open_high=self.open_high
        )
        if problem is not None:
            raise InvalidSettingError(f"{attribute.name}: {problem}")

    def invalid(self) -> list[Any]:
        """Values this validator refuses (for tests)."""
        out: list[Any] = ["not a number", math.nan, True]
        if self.low is not None:
            out.append(self.low - 1.0 if not self.open_low else self.low)
        if self.high is not None:
            out.append(self.high + 1.0 if not self.open_high else self.high)
        return out


@attrs.frozen
class _Integer:
    low: int | None
    high: int | None
    optional: bool

    def __call__(self, inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and self.optional:
            return
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise InvalidSettingError(f"{attribute.name}: expected an integer, got {show(value)}")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            where = _range_text(self.low, self.high, False, False)
            raise InvalidSettingError(
                f"{attribute.name}: must be an integer {where}, got {show(value)}"
            )

    def invalid(self) -> list[Any]:
        out: list[Any] = ["3", 2.5, True]
        if self.low is not None:
            out.append(self.low - 1)
        if self.high is not None:
            out.append(self.high + 1)
        return out


@attrs.frozen
class _Flag:
    def __call__(self, inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidSettingError(
                f"{attribute.name}: expected True or False, got {show(value)}"
            )

    def invalid(self) -> list[Any]:
        return ["yes", 1, None]


@attrs.frozen
class _Choice:
    options: tuple[Any, ...]
    also: Callable[[Any], bool] | None
    also_text: str

    def __call__(self, inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        try:
            if value in self.options and not isinstance(value, (bool, np.bool_)):
                return
        except TypeError:  # an unhashable or incomparable value
            pass
        if self.also is not None and self.also(value):
            return
        listed = ", ".join(repr(o) for o in self.options)
        extra = f" or {self.also_text}" if self.also_text else ""
        raise InvalidSettingError(
            f"{attribute.name}: must be one of {listed}{extra}; got {show(value)}"
        )

    def invalid(self) -> list[Any]:
        return ["no-such-option", object()]


@attrs.frozen
class _Callback:
    optional: bool
    what: str

    def __call__(self, inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and self.optional:
            return
        if not callable(value):
            raise InvalidSettingError(f"{attribute.name}: expected {self.what}, got {show(value)}")

    def invalid(self) -> list[Any]:
        return ["not callable", 3]


@attrs.frozen
class _Seed:
    def __call__(self, inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None or isinstance(value, np.random.Generator):
            return
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            if value < 0:
                raise InvalidSettingError(
                    f"{attribute.name}: must be an integer >= 0, got {show(value)}"
                )
            return
        raise InvalidSettingError(
            f"{attribute.name}: expected an int, a numpy.random.Generator or None, got {show(value)}"
        )

    def invalid(self) -> list[Any]:
        return ["0", 1.5, -1]


def is_integer_at_least(low: int) -> Callable[[Any], bool]:
    """A test for :func:`choice`'s ``also``: an integer (not a bool) >= ``low``."""

    def test(value: Any) -> bool:
        return bool(
            isinstance(value, (int, np.integer))
            and not isinstance(value, (bool, np.bool_))
            and value >= low
        )

    return test


@attrs.frozen
class _Instance:
    types: tuple[type, ...]
    what: str
    optional: bool

    def __call__(self, inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and self.optional:
            return
        if (isinstance(value, (str, bytes)) and str not in self.types) or not isinstance(
            value, self.types
        ):
            raise InvalidSettingError(f"{attribute.name}: expected {self.what}, got {show(value)}")

    def invalid(self) -> list[Any]:
        return [3, "text"]


def instance(
    default: Any, types: tuple[type, ...], *, what: str, optional: bool = True, **kwargs: Any
) -> Any:
    """A setting that is an instance of ``types`` (a mapping, a collection),
    described as ``what`` in the message; None allowed unless ``optional=False``."""
    return attrs.field(default=default, validator=_Instance(types, what, optional), **kwargs)


def number(
    default: float | None,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
    optional: bool = False,
    **kwargs: Any,
) -> Any:
    """A finite-number setting in ``[low, high]`` (ends open as told); None
    allowed with ``optional``."""
    return attrs.field(
        default=default,
        converter=_to_python,
        validator=_Number(
            None if low is None else float(low),
            None if high is None else float(high),
            open_low,
            open_high,
            optional,
        ),
        **kwargs,
    )


def integer(
    default: int | None,
    *,
    low: int | None = None,
    high: int | None = None,
    optional: bool = False,
    **kwargs: Any,
) -> Any:
    """An integer setting in ``[low, high]``; None allowed with ``optional``."""
    return attrs.field(
        default=default, converter=_to_python, validator=_Integer(low, high, optional), **kwargs
    )


def flag(default: bool, **kwargs: Any) -> Any:
    """A True/False setting."""
    return attrs.field(default=default, converter=_to_python, validator=_Flag(), **kwargs)


def choice(
    default: Any,
    options: Iterable[Any],
    *,
    also: Callable[[Any], bool] | None = None,
    also_text: str = "",
    **kwargs: Any,
) -> Any:
    """A setting that is one of ``options`` (or passes ``also``, described as
    ``also_text`` in the message: an integer, a callable)."""
    return attrs.field(
        default=default,
        converter=_to_python,
        validator=_Choice(tuple(options), also, also_text),
        **kwargs,
    )


def callback(
    default: Any = None, *, what: str = "a callable", optional: bool = True, **kwargs: Any
) -> Any:
    """A callable setting (None allowed unless ``optional=False``)."""
    return attrs.field(default=default, validator=_Callback(optional, what), **kwargs)


def seed(default: int | None = None, **kwargs: Any) -> Any:
    """A seed: an int >= 0, a :class:`numpy.random.Generator` or None."""
    return attrs.field(default=default, converter=_to_python, validator=_Seed(), **kwargs)
