"""The :class:`Dataset` container, where the data live, and reading gold files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from credscore.errors import DataNotFoundError, InvalidTableError
from credscore.table.read import read_gold
from credscore.table.table import Table

if TYPE_CHECKING:
    from credscore.models.base import FusionResult

__all__ = ["DataNotFoundError", "Dataset", "default_root", "read_gold"]

ENV_VAR = "CREDSCORE_DATA"


def default_root() -> Path:
    """The folder holding ``crowd/`` and ``truth/``.

    The environment variable ``CREDSCORE_DATA`` when set; else
    ``../shared/data`` relative to the current directory; else
    ``shared/data`` beside the repository that holds this package.

    Raises
    ------
    DataNotFoundError
        When none of these exists.

    Examples
    --------
    >>> import os
    >>> os.environ["CREDSCORE_DATA"] = "/some/where"
    >>> str(default_root())
    '/some/where'
    >>> del os.environ["CREDSCORE_DATA"]
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    candidates = [
        Path.cwd() / ".." / "shared" / "data",
        Path(__file__).resolve().parents[3] / "shared" / "data",
    ]
    for cand in candidates:
        if cand.is_dir():
            return cand.resolve()
    raise DataNotFoundError(
        f"no data folder: set {ENV_VAR} or pass root=...; looked in "
        + ", ".join(str(c) for c in candidates)
    )


def resolve(path: str | os.PathLike[str] | None, *parts: str) -> Path:
    """``path`` when given, else ``default_root() / parts``; must exist."""
    folder = Path(path) if path is not None else default_root().joinpath(*parts)
    if not folder.exists():
        raise DataNotFoundError(f"{folder}: no such file or folder")
    return folder


def require(folder: Path, name: str) -> Path:
    f = folder / name
    if not f.is_file():
        raise DataNotFoundError(f"{f}: no such file")
    return f


@attrs.define(frozen=True, eq=False, repr=False)
class Dataset:
    """A table of assertions with its gold standard.

    Attributes
    ----------
    name : str
        Registry name (see :func:`credscore.datasets.load`).
    table : Table
        The compiled assertions.
    gold : dict
        True value of each gold object, keyed and typed like the table's
        object ids and values.
    description : str
        What the data are, how values were normalised, and exactly which
        items :meth:`evaluate` scores.
    path : pathlib.Path or None
        Where the data were read from.
    source_groups : mapping or None
        ``{source_id: group label}`` when the data say, before any fitting
        and independently of the gold, what kind of source each one is
        (population: anonymous, registered or bot editors); None otherwise.
        Pass it to models with a per-group reliability prior, such as
        ``Corroboration(prior_groups=ds.source_groups)``.
    copiers : frozenset or None
        Sources known, from how the data were made, to re-publish values
        they find (population: Wikipedia bots, which re-save the figure on
        the page they edit); None when none are known. Pass it to models
        that discount copied confirmations, such as
        ``Corroboration(copiers=ds.copiers)``.

    Examples
    --------
    >>> from credscore.datasets import synthetic
    >>> table, truth, info = synthetic(n_sources=5, n_objects=20, seed=0)
    >>> ds = Dataset("toy", table, truth, "20 synthetic objects; all scored.")
    >>> ds
    <Dataset 'toy': 100 assertions, 20 gold objects>
    """

    name: str
    table: Table
    gold: Mapping[Any, Any]
    description: str
    path: Path | None = None
    source_groups: Mapping[Any, Any] | None = None
    copiers: frozenset[Any] | None = None

    def __repr__(self) -> str:
        return (
            f"<Dataset {self.name!r}: {self.table.n_assertions} assertions, "
            f"{len(self.gold)} gold objects>"
        )

    @property
    def n_labels(self) -> int:
        """Number of distinct gold values (0 for numeric data sets)."""
        if self.table.numeric:
            return 0
        return len(set(self.gold.values()))

    def source_settings(self, model: str) -> dict[str, Any]:
        """Settings that hand what the data say about their sources to ``model``.

        ``{"prior_groups": source_groups, "copiers": copiers}``, keeping only
        what the data set has and what the registered model accepts as a
        setting (:class:`~credscore.models.Corroboration` takes both); an
        empty dict otherwise. Nothing in them comes from the gold.

        Parameters
        ----------
        model : str
            A registered model name.

        Returns
        -------
        dict

        Examples
        --------
        >>> from credscore.table import Table
        >>> t = Table.from_rows([("0 (1.2.3.4)", "x", 1), ("7: Bob", "x", 2)])
        >>> ds = Dataset("toy", t, {}, "", source_groups={"0 (1.2.3.4)": "anonymous"})
        >>> ds.source_settings("corroboration")
        {'prior_groups': {'0 (1.2.3.4)': 'anonymous'}}
        >>> ds.source_settings("majority")
        {}
        """
        from credscore.models import get_model

        accepted = {f.name for f in attrs.fields(type(get_model(model)))}
        out: dict[str, Any] = {}
        if self.source_groups is not None and "prior_groups" in accepted:
            out["prior_groups"] = self.source_groups
        if self.copiers and "copiers" in accepted:
            out["copiers"] = self.copiers
        return out

    def evaluate(
        self, result: FusionResult, *, exclude: Iterable[Any] | None = None
    ) -> dict[str, float]:
        """Score a result of a model fitted on :attr:`table` against the gold.

        Returns ``accuracy`` (categorical) or ``mae`` and ``rmse`` (numeric),
        and ``items``: the number of gold objects scored (those present in the
        table). See :func:`credscore.metrics.evaluate`.

        ``exclude``: objects not to score, such as the ones given to the fit
        (``fuse(..., gold=...)``; a mapping's keys are its objects).

        Examples
        --------
        >>> from credscore.datasets import synthetic
        >>> from credscore.models import Majority
        >>> table, truth, _ = synthetic(n_sources=5, n_objects=50, reliability=0.9, seed=1)
        >>> ds = Dataset("toy", table, truth, "all objects scored")
        >>> ev = ds.evaluate(Majority().fit_score(ds.table))
        >>> ev["items"], ev["accuracy"] > 0.9
        (50, True)
        """
        from credscore.metrics import evaluate

        if result.table is not self.table and not (
            result.table.n_objects == self.table.n_objects
            and (result.table.object_ids == self.table.object_ids).all()
        ):
            raise InvalidTableError(
                f"result: fitted on a different table than data set {self.name!r}"
            )
        gold = self.gold
        if exclude is not None:
            drop = set(exclude)
            gold = {k: v for k, v in gold.items() if k not in drop}
        return evaluate(result, gold)
