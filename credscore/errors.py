"""Exceptions and warnings raised by credscore.

Every error credscore raises for a user's mistake derives from
:class:`CredscoreError`, and also from the builtin exception that matches it,
so ``except ValueError`` keeps working in code that does not know credscore.

Examples
--------
>>> from credscore.errors import CredscoreError, InvalidCaseError
>>> err = InvalidCaseError("reliability", "gur", "must lie in (0, 1), got 1.5")
>>> str(err)
"reliability of 'gur': must lie in (0, 1), got 1.5"
>>> isinstance(err, CredscoreError) and isinstance(err, ValueError)
True
"""

from __future__ import annotations

import os
import sys

__all__ = [
    "ConvergenceWarning",
    "CredscoreError",
    "CredscoreWarning",
    "DataNotFoundError",
    "GoldNotSupportedError",
    "InvalidCaseError",
    "InvalidInputError",
    "InvalidSettingError",
    "InvalidTableError",
    "MetricInputError",
    "NotFittedError",
]


class CredscoreError(Exception):
    """Base class of every exception credscore raises on purpose."""


class InvalidCaseError(CredscoreError, ValueError):
    """A case (sources, claims, reports, links) is malformed.

    Parameters
    ----------
    field : str
        The field that is wrong, e.g. ``"reliability"`` or ``"reports[3].stance"``.
    id : str or None
        The id of the object that holds the field, when it has one.
    problem : str
        What is wrong, in a few words.

    Attributes
    ----------
    field, id, problem : as above
    problems : list of InvalidCaseError
        When several problems were found at once (see
        :meth:`InvalidCaseError.collect`), all of them; otherwise ``[self]``.
    """

    def __init__(self, field: str, id: str | None, problem: str) -> None:
        self.field = field
        self.id = id
        self.problem = problem
        self.problems: list[InvalidCaseError] = [self]
        where = f"{field} of {id!r}" if id is not None else field
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type[InvalidCaseError], tuple[str, str | None, str]]:
        return (type(self), (self.field, self.id, self.problem))

    @classmethod
    def collect(cls, problems: list[InvalidCaseError]) -> InvalidCaseError:
        """One error standing for several: its message lists them all."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        err = cls(first.field, first.id, first.problem)
        err.problems = list(problems)
        err.args = (f"{len(problems)} problems: " + "; ".join(str(p) for p in problems),)
        return err


class InvalidInputError(CredscoreError, ValueError):
    """A file or stream cannot be read as what it should be: not UTF-8, not
    valid JSON, a duplicate key. The message names the input (and the line)."""


class InvalidSettingError(CredscoreError, ValueError, TypeError):
    """A model setting has a bad value or type; the message starts with the
    setting's name. Both a ``ValueError`` and a ``TypeError``, so code that
    catches either keeps working."""


class InvalidTableError(CredscoreError, ValueError):
    """A table of assertions (source, object, value rows) is malformed."""


class GoldNotSupportedError(CredscoreError, ValueError):
    """``fit(table, gold=...)`` on a model that cannot hold known values
    inside its fit (a one-pass vote, or a model that has no posterior over
    each object's values to clamp)."""


class MetricInputError(CredscoreError, ValueError):
    """The inputs of a metric are malformed (lengths, ranges, NaN)."""


class DataNotFoundError(CredscoreError, FileNotFoundError):
    """A data set's folder or file is not where it was looked for."""


class NotFittedError(CredscoreError, ValueError, AttributeError):
    """A model was used before :meth:`fit` was called."""


class CredscoreWarning(UserWarning):
    """Base class of credscore's warnings: something was accepted that may not
    mean what it says (a benefited party no source belongs to, say)."""


class ConvergenceWarning(CredscoreWarning):
    """An iterative model stopped at ``max_iter`` before reaching ``tol``."""


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def outside_stacklevel() -> int:
    """The ``stacklevel`` of :func:`warnings.warn`, called by the caller of
    this function, that names the first frame outside credscore: a warning
    points at the user's line however deep inside credscore it was raised.

    Examples
    --------
    >>> outside_stacklevel()  # called from outside credscore
    1
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
