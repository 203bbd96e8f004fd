"""Real data sets with gold standards, and synthetic tables with planted copiers.

:func:`load` reads a data set by name from the data folder (see
:func:`default_root`; the files are never part of the package); each data
set also has its own loader taking a path. Every loader returns a
:class:`Dataset`: the compiled :class:`~credscore.table.table.Table`, the gold
values, a description saying how values were normalised and exactly which
items are scored, and :meth:`Dataset.evaluate`.

=============  =============================================  ======================
name           what                                           scored items
=============  =============================================  ======================
product        D_Product, binary (Zheng et al. 2017)          8,315 tasks
sentiment      D_PosSent, binary                              1,000 tasks
relevance      S_Rel, 4 labels                                4,460 gold tasks
adult          S_Adult, 4 labels                              333 answered gold tasks
emotion        N_Emotion, numeric -100..100                   700 tasks (MAE, RMSE)
rte            RTE, binary (Snow et al. 2008)                 800 items
temp           Temp, binary                                   462 items
books          book author lists (Yin et al. 2007)            100 gold books
population     Wikipedia city populations                     301 gold city-years
flights        flight times, 2011-12-01 (Li et al. 2012)      400 gold values
duck/dog/face  small crowd sets                               all gold items
web            web search relevance, 5 grades (Zhou 2012)     2,653 gold items
trec           TREC 2011 relevance, binary                    2,275 gold items
=============  =============================================  ======================

:func:`rumoureval` reads RumourEval 2017 as cases (threads as claims, users as
sources), for scoring and for :func:`credscore.learn`.

Examples
--------
>>> from credscore.datasets import synthetic
>>> table, truth, info = synthetic(n_sources=4, n_objects=10, seed=0)
>>> table.n_objects, len(truth)
(10, 10)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from credscore.datasets._base import DataNotFoundError, Dataset, default_root
from credscore.datasets._crowd import (
    load_adult,
    load_dog,
    load_duck,
    load_emotion,
    load_face,
    load_product,
    load_relevance,
    load_rte,
    load_sentiment,
    load_temp,
    load_trec,
    load_web,
)
from credscore.datasets._rumours import rumoureval
from credscore.datasets._synthetic import SyntheticInfo, synthetic
from credscore.datasets._web import (
    editor_kind,
    load_books,
    load_flights,
    load_population,
    normalize_authors,
    normalize_population,
    normalize_time,
)
from credscore.table.read import read_gold

__all__ = [
    "DataNotFoundError",
    "Dataset",
    "SyntheticInfo",
    "available_datasets",
    "default_root",
    "editor_kind",
    "load",
    "load_adult",
    "load_books",
    "load_dog",
    "load_duck",
    "load_emotion",
    "load_face",
    "load_flights",
    "load_population",
    "load_product",
    "load_relevance",
    "load_rte",
    "load_sentiment",
    "load_temp",
    "load_trec",
    "load_web",
    "normalize_authors",
    "normalize_population",
    "normalize_time",
    "read_gold",
    "rumoureval",
    "synthetic",
]

#: name -> (loader, folder under the data root)
_LOADERS: dict[str, tuple[Callable[..., Dataset], tuple[str, ...]]] = {
    "product": (load_product, ("crowd", "product")),
    "sentiment": (load_sentiment, ("crowd", "sentiment")),
    "relevance": (load_relevance, ("crowd", "relevance")),
    "adult": (load_adult, ("crowd", "adult")),
    "emotion": (load_emotion, ("crowd", "emotion")),
    "rte": (load_rte, ("crowd", "rte")),
    "temp": (load_temp, ("crowd", "temp")),
    "books": (load_books, ("truth", "books")),
    "population": (load_population, ("truth", "population")),
    "flights": (load_flights, ("truth", "flights")),
    "duck": (load_duck, ("crowd", "duck")),
    "dog": (load_dog, ("crowd", "dog")),
    "face": (load_face, ("crowd", "face")),
    "web": (load_web, ("crowd", "web")),
    "trec": (load_trec, ("crowd", "trec")),
}


def available_datasets() -> list[str]:
    """Names accepted by :func:`load`, the main benchmarks first.

    Examples
    --------
    >>> available_datasets()[:3]
    ['product', 'sentiment', 'relevance']
    """
    return list(_LOADERS)


def load(name: str, root: str | os.PathLike[str] | None = None, **options: Any) -> Dataset:
    """Load a data set by name.

    Parameters
    ----------
    name : str
        One of :func:`available_datasets`.
    root : str or path-like, optional
        The folder holding ``crowd/`` and ``truth/``; default
        :func:`default_root` (env ``CREDSCORE_DATA``, else ``../shared/data``).
    **options
        Passed to the loader (e.g. ``version=`` for ``population``).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an unknown name.
    DataNotFoundError
        When the files are not there.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "crowd" / "duck").mkdir(parents=True)
    >>> _ = (root / "crowd" / "duck" / "answer.csv").write_text("question,worker,answer\\n1,7,1\\n")
    >>> _ = (root / "crowd" / "duck" / "truth.csv").write_text("question,truth\\n1,1\\n")
    >>> load("duck", root)
    <Dataset 'duck': 1 assertions, 1 gold objects>

    With the data folder in place, ``load("rte")`` gives the 800 RTE items.
    """
    try:
        loader, parts = _LOADERS[name]
    except KeyError:
        raise ValueError(
            f"name: unknown data set {name!r}; available: {', '.join(_LOADERS)}"
        ) from None
    base = default_root() if root is None else os.fspath(root)
    path = os.path.join(base, *parts)
    if not os.path.exists(path):
        raise DataNotFoundError(f"{path}: no such folder (data set {name!r})")
    return loader(path, **options)
