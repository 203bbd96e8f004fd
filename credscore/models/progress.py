"""Progress reporting for long fits: a tqdm bar, or plain lines on standard error.

Every :class:`~credscore.models.IterativeModel` takes ``progress=``, a
callable given a :class:`~credscore.models.Progress` (model, iteration,
max_iter, change, elapsed) after each iteration. :class:`ProgressReporter` is
that callable: it draws a `tqdm <https://tqdm.github.io>`_ bar when tqdm is
installed (``pip install credscore[progress]``) and otherwise writes one
plain line per iteration (at most a few per second) to standard error.

Examples
--------
>>> import io
>>> from credscore.models import DawidSkene, Progress
>>> out = io.StringIO()
>>> with ProgressReporter(file=out, bar=False) as report:
...     report(Progress("dawid-skene", 1, 2, 0.5, 0.01))
...     report(Progress("dawid-skene", 2, 2, 0.001, 0.02))
>>> print(out.getvalue(), end="")
dawid-skene: iteration 1/2, change 0.5, 0.0 s
dawid-skene: iteration 2/2, change 0.001, 0.0 s
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO, Any

from credscore.models.base import IterativeModel, Progress, TruthModel

__all__ = ["ProgressReporter", "attach_progress"]


class ProgressReporter:
    """A ``progress=`` callback showing iteration, change and elapsed time.

    Parameters
    ----------
    file : text stream, optional
        Where to write; default ``sys.stderr``.
    bar : bool, optional
        ``True``: a tqdm bar (ImportError without tqdm); ``False``: plain
        lines; default: a bar when tqdm is installed.
    min_interval : float, default 0.0
        Plain lines only: the least number of seconds between two lines
        (the first and the last iteration are always written).

    Raises
    ------
    ImportError
        With ``bar=True`` when tqdm is not installed.

    Notes
    -----
    One reporter can follow several fits one after another: a new bar (or
    header) starts whenever the iteration count restarts or the model
    changes. A fit that converges early leaves its bar short of
    ``max_iter``; :meth:`close` (or leaving a ``with`` block) closes it.

    Examples
    --------
    Report the iterations of a fit on standard error:

    >>> from credscore.models import DawidSkene
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("w1", "q", "a"), ("w2", "q", "a"), ("w3", "q", "b")])
    >>> with ProgressReporter(bar=False, file=sys.stdout) as report:
    ...     _ = DawidSkene(max_iter=2, tol=0, progress=report).fit(t)
    dawid-skene: iteration 1/2, change ..., ... s
    dawid-skene: iteration 2/2, change ..., ... s
    """

    def __init__(
        self, *, file: IO[str] | None = None, bar: bool | None = None, min_interval: float = 0.0
    ) -> None:
        self._file = file
        self._tqdm: Any = None
        if bar is None or bar:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                if bar:
                    raise ImportError(
                        "bar: tqdm is not installed; pip install 'credscore[progress]'"
                    ) from None
            else:
                self._tqdm = tqdm
        self.min_interval = float(min_interval)
        self._bar: Any = None
        self._key: tuple[str, int] | None = None
        self._last_line = -float("inf")
        self._last_iteration = 0

    @property
    def uses_bar(self) -> bool:
        """Whether a tqdm bar is drawn (else plain lines)."""
        return self._tqdm is not None

    def __call__(self, progress: Progress) -> None:
        key = (progress.model, progress.max_iter)
        if key != self._key or progress.iteration <= self._last_iteration:
            self.close()
            self._key = key
            self._last_line = -float("inf")
        self._last_iteration = progress.iteration
        if self._tqdm is not None:
            if self._bar is None:
                self._bar = self._tqdm(
                    total=progress.max_iter,
                    desc=progress.model,
                    unit="it",
                    file=self._file if self._file is not None else sys.stderr,
                    leave=True,
                )
            self._bar.n = progress.iteration
            self._bar.set_postfix(change=f"{progress.change:.3g}", refresh=False)
            self._bar.refresh()
            return
        now = time.monotonic()
        last = progress.iteration in (1, progress.max_iter)
        if not last and now - self._last_line < self.min_interval:
            return
        self._last_line = now
        out = self._file if self._file is not None else sys.stderr
        print(
            f"{progress.model}: iteration {progress.iteration}/{progress.max_iter}, "
            f"change {progress.change:.3g}, {progress.elapsed:.1f} s",
            file=out,
            flush=True,
        )

    def finish(self) -> None:
        """End the current fit: a bar left short because the fit converged
        early is completed (its total set to the iterations run, so it reads
        100%, not a stop at 20%), then closed."""
        if self._bar is not None and self._bar.n < (self._bar.total or 0):
            self._bar.total = self._bar.n
            self._bar.set_postfix_str("converged", refresh=False)
            self._bar.refresh()
        elif self._bar is None and self._key is not None and self._last_iteration:
            out = self._file if self._file is not None else sys.stderr
            print(
                f"{self._key[0]}: done after {self._last_iteration} iterations",
                file=out,
                flush=True,
            )
        self.close()

    def close(self) -> None:
        """Close the current bar, if any."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._last_iteration = 0

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def attach_progress(
    model: TruthModel, *, file: IO[str] | None = None, bar: bool | None = None
) -> ProgressReporter | None:
    """Make an iterative model report its progress; other models are left alone.

    This is what ``credscore fuse --progress`` does: it sets ``model.progress``
    to a new :class:`ProgressReporter` when ``model`` is an
    :class:`~credscore.models.IterativeModel`, and returns the reporter (call
    its :meth:`~ProgressReporter.close` after the fit), or None for a model
    without iterations (such as ``majority``).

    Parameters
    ----------
    model : TruthModel
    file, bar
        As for :class:`ProgressReporter`.

    Returns
    -------
    ProgressReporter or None

    Examples
    --------
    >>> from credscore.models import get_model
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("w1", "q", "a"), ("w2", "q", "a"), ("w3", "q", "b")])
    >>> model = get_model("sums", max_iter=1, tol=0)
    >>> report = attach_progress(model, file=sys.stdout, bar=False)
    >>> _ = model.fit(t)
    sums: iteration 1/1, change ..., ... s
    >>> report.close()
    >>> attach_progress(get_model("majority")) is None
    True
    """
    if not isinstance(model, IterativeModel):
        return None
    reporter = ProgressReporter(file=file, bar=bar)
    model.progress = reporter
    return reporter
