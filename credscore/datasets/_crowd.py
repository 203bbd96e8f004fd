"""Loaders of the crowdsourcing data sets: workers' labels with gold answers.

Zheng, Li, Li, Shan and Cheng, "Truth inference in crowdsourcing: is the
problem solved?", PVLDB 10(5), 2017, published ``answer.csv``
(``question, worker, answer``) and ``truth.csv`` (``question, truth``) for
D_Product, D_PosSent, S_Rel, S_Adult and N_Emotion; RTE and Temp are from Snow,
O'Connor, Jurafsky and Ng, EMNLP 2008. Labels are kept as the strings in the
files (``"0"``, ``"1"``, ``"before"``); N_Emotion is numeric.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from credscore.datasets._base import Dataset, require, resolve
from credscore.table.read import read_gold, read_table

__all__ = [
    "load_adult",
    "load_dog",
    "load_duck",
    "load_emotion",
    "load_face",
    "load_product",
    "load_relevance",
    "load_rte",
    "load_sentiment",
    "load_temp",
    "load_trec",
    "load_web",
]

PathArg = str | os.PathLike[str] | None


def _crowd(
    name: str,
    path: PathArg,
    folder: str,
    about: str,
    *,
    object_col: str = "question",
    numeric: bool = False,
) -> Dataset:
    root = resolve(path, "crowd", folder)
    table = read_table(
        require(root, "answer.csv"),
        source="worker",
        object=object_col,
        value="answer",
        sep=",",
        numeric=numeric,
    )
    gold = read_gold(require(root, "truth.csv"), numeric=numeric)
    objects = set(table.object_ids.tolist())
    scored = sum(1 for k in gold if k in objects)
    kind = "numeric answers" if numeric else "labels kept as the strings in the file"
    scope = (
        f"Scored: all {scored} gold tasks."
        if scored == len(gold)
        else f"Scored: the {scored} gold tasks that have at least one answer; "
        f"{len(gold) - scored} of the {len(gold)} gold tasks have none and are not scored."
    )
    text = (
        f"{about} {table.n_assertions} answers from {table.n_sources} workers on "
        f"{table.n_objects} tasks ({kind}; a worker's repeated answer to a task "
        f"counts once, the last one). {scope}"
    )
    return Dataset(name, table, gold, text, root)


def load_product(path: PathArg = None) -> Dataset:
    """D_Product: do two product records match? (binary; Zheng et al. 2017).

    Parameters
    ----------
    path : str or path-like, optional
        The folder holding ``answer.csv`` and ``truth.csv``; default
        ``crowd/product`` under :func:`~credscore.datasets.default_root`.

    Returns
    -------
    Dataset
        Every one of the 8,315 tasks has gold and is scored. Majority vote
        scores 89.66% (Zheng et al., Table 6).

    Raises
    ------
    DataNotFoundError
        When the folder or a file is missing.

    References
    ----------
    Y. Zheng, G. Li, Y. Li, C. Shan and R. Cheng, "Truth inference in
    crowdsourcing: is the problem solved?", PVLDB 10(5), 2017.

    Examples
    --------
    Any folder in the crowd layout loads the same way:

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\nq1,w1,1\\nq1,w2,1\\nq2,w1,0\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\nq1,1\\nq2,1\\nq3,0\\n")
    >>> ds = load_product(d)
    >>> ds.table.n_objects, ds.gold
    (2, {'q1': '1', 'q2': '1', 'q3': '0'})
    >>> ds.description.endswith("1 of the 3 gold tasks have none and are not scored.")
    True

    On the real data (``load_product()``), 8,315 tasks, all scored.
    """
    return _crowd(
        "product", path, "product", "D_Product (Zheng et al., PVLDB 2017): product-pair matching."
    )


def load_sentiment(path: PathArg = None) -> Dataset:
    """D_PosSent: is a tweet's sentiment positive? (binary; Zheng et al. 2017).

    ``answer.csv`` names the task column ``id`` and ``truth.csv`` names it
    ``q``. The qualification round (``quali.csv``) is not loaded.

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/sentiment`` under the data root.

    Returns
    -------
    Dataset
        1,000 tasks, all with gold and all scored.

    References
    ----------
    Zheng et al., PVLDB 10(5), 2017 (see :func:`load_product`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("id,worker,answer\\nt1,w1,1\\nt1,w2,0\\n")
    >>> _ = (d / "truth.csv").write_text("q,truth\\nt1,1\\n")
    >>> load_sentiment(d).gold
    {'t1': '1'}
    """
    return _crowd(
        "sentiment",
        path,
        "sentiment",
        "D_PosSent (Zheng et al., PVLDB 2017): tweet sentiment, positive or not.",
        object_col="id",
    )


def load_relevance(path: PathArg = None) -> Dataset:
    """S_Rel: relevance of a web page to a query, four grades (Zheng et al. 2017).

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/relevance`` under the data root.

    Returns
    -------
    Dataset
        20,232 tasks are fused; only the 4,460 with gold are scored.

    References
    ----------
    Zheng et al., PVLDB 10(5), 2017 (see :func:`load_product`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\nq1,w1,3\\nq2,w1,0\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\nq1,3\\n")
    >>> ds = load_relevance(d); ds.table.n_objects, len(ds.gold)
    (2, 1)
    """
    return _crowd(
        "relevance",
        path,
        "relevance",
        "S_Rel (Zheng et al., PVLDB 2017; TREC 2011 crowdsourcing track): "
        "relevance of a web page to a query, labels 0-3.",
    )


def load_adult(path: PathArg = None) -> Dataset:
    """S_Adult: how adult a web site's content is, four grades (Zheng et al. 2017).

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/adult`` under the data root.

    Returns
    -------
    Dataset
        Only 333 of the 1,517 gold sites have any answer; :meth:`Dataset.evaluate`
        scores those 333 (answered items only). Zheng et al. score all 1,517,
        counting unanswered ones as wrong, hence their ~36%.

    References
    ----------
    Zheng et al., PVLDB 10(5), 2017 (see :func:`load_product`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\nsite1,w1,0\\nsite1,w1,2\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\nsite1,2\\nsite2,0\\n")
    >>> load_adult(d).table.claim_value.tolist()  # a repeated answer: the last counts
    ['2']
    """
    return _crowd(
        "adult",
        path,
        "adult",
        "S_Adult (Zheng et al., PVLDB 2017): adult-content rating of web sites, labels 0-3.",
    )


def load_emotion(path: PathArg = None) -> Dataset:
    """N_Emotion: intensity of an emotion in a headline, -100..100 (numeric).

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/emotion`` under the data root.

    Returns
    -------
    Dataset
        A numeric table; all 700 tasks have gold and are scored by MAE and
        RMSE. The mean of the answers gives MAE 12.02 (Zheng et al., Table 6).

    References
    ----------
    Zheng et al., PVLDB 10(5), 2017; R. Snow, B. O'Connor, D. Jurafsky and
    A. Y. Ng, "Cheap and fast -- but is it good?", EMNLP 2008.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\nq1,w1,25\\nq1,w2,-10\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\nq1,5\\n")
    >>> ds = load_emotion(d); ds.table.numeric, ds.gold
    (True, {'q1': 5.0})
    """
    return _crowd(
        "emotion",
        path,
        "emotion",
        "N_Emotion (Snow et al., EMNLP 2008, as in Zheng et al., PVLDB 2017): "
        "emotion intensity scores from -100 to 100.",
        numeric=True,
    )


def _snow(name: str, path: PathArg, file: str, about: str) -> Dataset:
    """The ``*.standardized.csv`` layout of Snow et al.'s RTE and Temp data."""
    root = resolve(path, "crowd", name)
    f = require(root, file) if root.is_dir() else root
    table = read_table(f, source="!amt_worker_ids", object="orig_id", value="response", sep=",")
    gold: dict[Any, Any] = {}
    with f.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            gold[row["orig_id"]] = row["gold"]
    text = (
        f"{about} {table.n_assertions} answers from {table.n_sources} workers on "
        f"{table.n_objects} items (labels kept as the strings in the file). "
        f"Scored: all {len(gold)} items (gold from the file's gold column)."
    )
    return Dataset(name, table, gold, text, Path(f))


def load_rte(path: PathArg = None) -> Dataset:
    """RTE: does a text entail a hypothesis? (binary; Snow et al. 2008).

    Parameters
    ----------
    path : str or path-like, optional
        The folder holding ``rte.standardized.csv`` (or the file itself);
        default ``crowd/rte`` under the data root.

    Returns
    -------
    Dataset
        800 items, 10 answers each, all scored. Majority vote gives about 0.897.

    References
    ----------
    R. Snow, B. O'Connor, D. Jurafsky and A. Y. Ng, "Cheap and fast -- but is
    it good? Evaluating non-expert annotations for natural language tasks",
    EMNLP 2008.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "rte.standardized.csv"
    >>> _ = f.write_text("!amt_annotation_ids,!amt_worker_ids,orig_id,response,gold\\n1,w1,25,0,0\\n2,w2,25,1,0\\n")
    >>> ds = load_rte(f); ds.table.n_assertions, ds.gold
    (2, {'25': '0'})
    """
    return _snow(
        "rte",
        path,
        "rte.standardized.csv",
        "RTE (Snow et al., EMNLP 2008): recognising textual entailment.",
    )


def load_temp(path: PathArg = None) -> Dataset:
    """Temp: does one event happen before or after another? (Snow et al. 2008).

    Parameters
    ----------
    path : str or path-like, optional
        The folder holding ``temp.standardized.csv`` (or the file itself);
        default ``crowd/temp`` under the data root.

    Returns
    -------
    Dataset
        462 items, 10 answers each, labels ``before``/``after``, all scored.
        Majority vote gives about 0.936.

    References
    ----------
    Snow et al., EMNLP 2008 (see :func:`load_rte`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "temp.standardized.csv"
    >>> _ = f.write_text("!amt_annotation_ids,!amt_worker_ids,orig_id,response,gold\\n1,w1,42_0,before,before\\n")
    >>> load_temp(f).gold
    {'42_0': 'before'}
    """
    return _snow(
        "temp",
        path,
        "temp.standardized.csv",
        "Temp (Snow et al., EMNLP 2008): temporal ordering of two events.",
    )


def load_duck(path: PathArg = None) -> Dataset:
    """Duck: does an image show a duck? 108 images, 39 workers (binary).

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/duck`` under the data root.

    References
    ----------
    P. Welinder, S. Branson, S. Belongie and P. Perona, "The multidimensional
    wisdom of crowds", NeurIPS 2010.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\n1,7,1\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\n1,1\\n")
    >>> load_duck(d).gold
    {'1': '1'}
    """
    return _crowd("duck", path, "duck", "Duck (Welinder et al., NeurIPS 2010): duck or not.")


def load_dog(path: PathArg = None) -> Dataset:
    """Dog: which of four dog breeds an image shows (Zhou et al., NeurIPS 2012).

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/dog`` under the data root.

    References
    ----------
    D. Zhou, J. C. Platt, S. Basu and Y. Mao, "Learning from the wisdom of
    crowds by minimax entropy", NeurIPS 2012.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\n1,1,3\\n1,2,2\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\n1,3\\n")
    >>> load_dog(d).table.claim_value.tolist()
    ['2', '3']
    """
    return _crowd("dog", path, "dog", "Dog (Zhou et al., NeurIPS 2012): four dog breeds.")


def load_face(path: PathArg = None) -> Dataset:
    """Face: which of four expressions a face shows (584 images, 4 balanced labels).

    The data folder does not document where this set comes from; use it as a
    small extra, not as a benchmark with published numbers.

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/face`` under the data root.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\n1,a,0\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\n1,2\\n")
    >>> load_face(d).gold
    {'1': '2'}
    """
    return _crowd("face", path, "face", "Face: four facial expressions (origin undocumented).")


def load_web(path: PathArg = None) -> Dataset:
    """Web: relevance of a web page to a search query, 5 grades (0-4).

    2,665 items answered by 177 workers, 2,653 of them with a gold grade; many
    workers answer only a handful of items.

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/web`` under the data root.

    References
    ----------
    D. Zhou, J. C. Platt, S. Basu and Y. Mao, "Learning from the wisdom of
    crowds by minimax entropy", NeurIPS 2012 (the data set, as redistributed
    with Li and Yu, "Truth inference at scale", WWW 2019).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\n1,1,4\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\n1,4\\n")
    >>> load_web(d).gold
    {'1': '4'}
    """
    return _crowd(
        "web", path, "web", "Web (Zhou et al., NeurIPS 2012): web search relevance, grades 0-4."
    )


def load_trec(path: PathArg = None) -> Dataset:
    """TREC: relevance of a document to a topic, binary (TREC 2011 crowdsourcing track).

    19,033 items answered by 762 workers; 2,275 of them have a gold label.

    Parameters
    ----------
    path : str or path-like, optional
        Default ``crowd/trec`` under the data root.

    References
    ----------
    M. Lease and G. Kazai, "Overview of the TREC 2011 crowdsourcing track",
    TREC 2011 (as redistributed with Li and Yu, "Truth inference at scale",
    WWW 2019).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "answer.csv").write_text("question,worker,answer\\n1,1,0\\n2,1,1\\n")
    >>> _ = (d / "truth.csv").write_text("question,truth\\n2,1\\n")
    >>> load_trec(d).gold
    {'2': '1'}
    """
    return _crowd(
        "trec", path, "trec", "TREC 2011 crowdsourcing track (Lease & Kazai): relevance, binary."
    )
