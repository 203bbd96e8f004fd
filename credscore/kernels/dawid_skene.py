"""Kernels of the Dawid-Skene and one-coin models, in numpy and (optionally) numba.

One EM iteration is one pass over the assertions in object order: the
posterior of each object from its answers' confusion rows (E-step), added
into the expected counts of each answer's ``(source, given label)`` cell
(M-step). The functions take a *plan* (:func:`plan`: the assertions coded
once as cells ``source * K + given``, with each object's offsets). With
numba (:mod:`credscore.kernels.dawid_skene_numba`) the pass is a loop per
object in linear space, redone in log space for the rare object whose
product underflows; with numpy, chunks of objects of equal length. How and
why is in ``docs/explanation/kernels.md``; both paths give the same results
to 1e-9 (``tests/test_ds_kernels.py``). Confusion probabilities and counts
are indexed ``[source, given label, true label]``.

Examples
--------
>>> import numpy as np
>>> from credscore.kernels import dawid_skene as D
>>> p = D.plan(np.array([0, 1, 0]), np.array([1, 1, 0]), np.array([0, 2, 3]), 2, 2)
>>> conf = np.array([[[0.8, 0.2], [0.2, 0.8]], [[0.6, 0.4], [0.4, 0.6]]])
>>> counts, total = D.ds_step(p, conf, np.array([0.5, 0.5]))
>>> total.round(3).tolist()
[0.943, 1.057]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.kernels import dawid_skene_numba as _ds_numba
from credscore.kernels import segments as _kernels
from credscore.kernels.backend import compiled

__all__ = [
    "DSPlan",
    "ds_claim_probability",
    "ds_step",
    "ds_vote_step",
    "oc_claim_probability",
    "oc_step",
    "plan",
]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
AnyIndex = npt.NDArray[np.integer[Any]]

#: Products below this are recomputed in log space (far above the subnormals).
TINY = 1e-280
#: Assertions per chunk of the numpy path: temporaries of ``CHUNK x K`` floats.
CHUNK = 65_536
#: Longest object handled as a dense (length x objects) matrix by numpy.
MAX_DENSE_LENGTH = 16
#: numba: answers ahead whose rows are prefetched, once the table of confusion
#: rows and counts is larger than PREFETCH_ABOVE_BYTES.
PREFETCH_AHEAD = 16
PREFETCH_ABOVE_BYTES = 1 << 20
#: Largest number of labels with kernels compiled for that exact number.
MAX_UNROLLED = 8


class DSPlan:
    """Assertions of one table (or partition) coded for the kernels; built by :func:`plan`.

    Attributes
    ----------
    source : int32 or int64 array of shape (n_assertions,)
    given : int8 (or int32 beyond 127 labels) array of shape (n_assertions,)
        Label index of each assertion's answer.
    cell : int array of shape (n_assertions,)
        ``source * n_labels + given label`` of each assertion, grouped by object.
    start : int64 array of shape (n_objects + 1,)
        Offsets of each object's assertions in ``cell``.
    n_sources, n_labels : int
    """

    __slots__ = ("_numpy", "cell", "given", "n_labels", "n_sources", "source", "start")

    def __init__(
        self,
        source: AnyIndex,
        given: AnyIndex,
        cell: AnyIndex,
        start: IndexArray,
        n_sources: int,
        n_labels: int,
    ) -> None:
        self.source = source
        self.given = given
        self.cell = cell
        self.start = start
        self.n_sources = n_sources
        self.n_labels = n_labels
        self._numpy: dict[str, Any] | None = None

    @property
    def n_objects(self) -> int:
        return int(self.start.shape[0] - 1)


def plan(
    source: AnyIndex, given: npt.ArrayLike, start: AnyIndex, n_sources: int, n_labels: int
) -> DSPlan:
    """Code the assertions once for every later step.

    Parameters
    ----------
    source, given : int arrays of shape (m,)
        Source and given label (in ``[0, n_labels)``) of each assertion,
        grouped by object.
    start : int array of shape (n_objects + 1,)
        Offsets of each object's assertions.
    n_sources, n_labels : int

    Returns
    -------
    DSPlan

    Examples
    --------
    >>> import numpy as np
    >>> p = plan(np.array([0, 1]), np.array([1, 0]), np.array([0, 2]), 2, 3)
    >>> p.cell.tolist(), p.n_objects
    ([1, 3], 1)
    """
    n_cells = int(n_sources) * int(n_labels)
    dtype = np.int32 if n_cells < 2**31 else np.int64
    src = np.ascontiguousarray(source)
    if src.dtype not in (np.int32, np.int64):
        src = src.astype(np.int64)
    lab: AnyIndex = np.asarray(given).astype(np.int8 if n_labels <= 127 else np.int32, copy=False)
    cell: AnyIndex = src.astype(dtype)
    cell = cell * int(n_labels) + lab
    return DSPlan(
        src,
        np.ascontiguousarray(lab),
        np.ascontiguousarray(cell, dtype=dtype),
        np.ascontiguousarray(start, dtype=np.int64),
        int(n_sources),
        int(n_labels),
    )


def _loops(n_labels: int) -> dict[str, Callable[..., Any]] | None:
    """The numba loops for ``n_labels`` labels, or None on the numpy path."""
    kk = n_labels if n_labels <= MAX_UNROLLED else 0
    return compiled(lambda: _ds_numba.build(kk, TINY), key=("dawid-skene", kk))


# --------------------------------------------------------------------------
# numpy: chunks of objects of equal length, in log space.


def _numpy_plan(p: DSPlan) -> dict[str, Any]:
    """Chunks for the numpy path, made once per plan.

    Each chunk is ``(objects, length, cells, lengths)``: for objects of
    equal ``length`` <= MAX_DENSE_LENGTH, ``cells`` is their ``(length, n)``
    matrix of cells flattened position by position and ``lengths`` is None;
    for longer objects (``length`` 0), ``cells`` lists their assertions in
    order and ``lengths`` their counts.
    """
    store = p._numpy if p._numpy is not None else {}
    if "chunks" in store:
        return store
    start = p.start
    cell = p.cell.astype(np.intp)
    lengths = np.diff(start)
    chunks: list[tuple[IndexArray, int, npt.NDArray[np.intp], IndexArray | None]] = []
    dense = np.clip(lengths, 0, MAX_DENSE_LENGTH + 1).astype(np.uint8)
    by_length = np.argsort(dense, kind="stable")
    bounds = np.searchsorted(dense[by_length], np.arange(MAX_DENSE_LENGTH + 2))
    for length in range(1, MAX_DENSE_LENGTH + 1):
        objs = by_length[bounds[length] : bounds[length + 1]]
        step = max(CHUNK // length, 1)
        for lo in range(0, objs.shape[0], step):
            o = objs[lo : lo + step]
            where = start[o][None, :] + np.arange(length)[:, None]
            chunks.append((o, length, cell[where.reshape(-1)], None))
    long_objs = by_length[bounds[MAX_DENSE_LENGTH + 1] :]
    if long_objs.shape[0]:
        ends = np.cumsum(lengths[long_objs])
        cut = np.searchsorted(ends, np.arange(CHUNK, int(ends[-1]), CHUNK), side="right")
        for o in np.split(long_objs, np.unique(cut)):
            if o.shape[0] == 0:
                continue
            ln = lengths[o]
            first = np.repeat(start[o] - np.cumsum(ln) + ln, ln)
            idx = first + np.arange(int(ln.sum()))
            chunks.append((o, 0, cell[idx], ln))
    store["chunks"] = chunks
    p._numpy = store
    return store


def _np_log_joint(
    chunk: tuple[IndexArray, int, npt.NDArray[np.intp], IndexArray | None],
    log_conf: FloatArray,
    log_prior: FloatArray,
) -> FloatArray:
    """``(K, n)`` log of prior times the answers' likelihood, for one chunk."""
    objs, length, cells, ln = chunk
    rows = np.take(log_conf, cells, axis=0)
    if ln is not None:
        seg = np.zeros(ln.shape[0], dtype=np.intp)
        np.cumsum(ln[:-1], out=seg[1:])
        joint = np.add.reduceat(rows, seg, axis=0)
    elif length > 1:
        joint = rows.reshape(length, objs.shape[0], -1).sum(axis=0)
    else:
        joint = rows
    out = np.ascontiguousarray(joint.T)
    out += log_prior[:, None]
    return out


def _np_softmax_rows(x: FloatArray) -> FloatArray:
    """Normalise ``exp(x)`` down each column (labels are rows), in place."""
    x -= x.max(axis=0)
    np.exp(x, out=x)
    x /= x.sum(axis=0)
    return x


def _np_vote(
    chunk: tuple[IndexArray, int, npt.NDArray[np.intp], IndexArray | None],
    n_k: int,
    given: npt.NDArray[np.intp],
) -> FloatArray:
    """``(K, n)`` share of each object's answers that give each label.

    ``given`` is the label of each cell (``cell % n_k``), a lookup table
    cheaper than the remainder of every cell.
    """
    objs, length, cells, ln = chunk
    n = objs.shape[0]
    flat = np.take(given, cells)
    flat *= n
    if ln is not None:
        flat += np.repeat(np.arange(n), ln)
    else:
        flat.reshape(length, n)[:] += np.arange(n)
    votes = np.bincount(flat, minlength=n_k * n).reshape(n_k, n)
    out: FloatArray = votes / (ln if ln is not None else float(length))
    return out


def _np_weights(
    post: FloatArray,
    chunk: tuple[IndexArray, int, npt.NDArray[np.intp], IndexArray | None],
    buf: FloatArray,
) -> FloatArray:
    """Posterior of label row ``post`` at each of the chunk's assertions (in ``buf``)."""
    objs, length, cells, ln = chunk
    if ln is not None:
        return np.repeat(post, ln)
    if length == 1:
        return post
    out = buf[: cells.shape[0]]
    # Position-major cells: the object's posterior repeats every n entries.
    out.reshape(length, objs.shape[0])[:] = post
    return out


def _np_linear_upto(conf: FloatArray, prior: FloatArray) -> int:
    """Longest dense object (at most MAX_DENSE_LENGTH) safe in linear space.

    Every factor is a probability, so the product of the prior and ``length``
    answers' rows is at least ``min(prior) * min(conf) ** length``: while
    that stays above TINY, no partial product of an object of that length
    leaves the normal range of doubles.
    """
    floor = float(prior.min()) if prior.size else 1.0
    cmin = float(conf.min()) if conf.size else 1.0
    upto = 0
    while upto < MAX_DENSE_LENGTH and floor * cmin > TINY:
        floor *= cmin
        upto += 1
    return upto


def _np_linear_joint(
    chunk: tuple[IndexArray, int, npt.NDArray[np.intp], IndexArray | None],
    conf: FloatArray,
    conf_prior: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Unnormalised ``(K, n)`` posteriors of a dense chunk and ``1 / their sums``.

    Plain products of probabilities, with no logarithm or exponential: only
    called when no product can leave the normal range of doubles (see
    :func:`_np_ds_step`). ``conf_prior`` is ``conf`` times the prior, used
    for each object's first answer.
    """
    objs, length, cells, _ = chunk
    n = objs.shape[0]
    joint = np.take(conf_prior, cells[:n], axis=0)
    if length > 1:
        rows = np.take(conf, cells[n:], axis=0).reshape(length - 1, n, -1)
        for j in range(length - 1):
            joint *= rows[j]
    post = np.ascontiguousarray(joint.T)
    inv = post[0].copy()
    for k in range(1, post.shape[0]):
        inv += post[k]
    np.divide(1.0, inv, out=inv)
    return post, inv


def _np_ds_step(
    p: DSPlan, conf: FloatArray | None, prior: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    n_k = p.n_labels
    n_cells = p.n_sources * n_k
    store = _numpy_plan(p)
    chunks = store["chunks"]
    counts = np.zeros((n_k, n_cells))
    total = np.zeros(n_k)
    # Every object's posterior sums to 1, so one label's counts are each
    # cell's number of answers minus the others' (one scatter pass fewer).
    # That label is the likeliest a priori, whose counts are the largest:
    # the subtraction then loses least.
    derived = n_k - 1 if prior is None or n_k == 0 else int(np.argmax(prior))
    labels = [k for k in range(n_k) if k != derived]
    lin_conf = log_conf = log_prior = conf_prior = None
    cell_label: npt.NDArray[np.intp] | None = None
    linear_upto = 0
    if conf is not None and prior is not None:
        lin_conf = conf.reshape(n_cells, n_k)
        conf_prior = lin_conf * prior
        linear_upto = _np_linear_upto(lin_conf, prior)
    buf = np.empty(max((c[2].shape[0] for c in chunks), default=0))
    for chunk in chunks:
        objs, length, cells, _ = chunk
        n = objs.shape[0]
        # Few cells for the chunk's objects: one scatter per answer position,
        # weighted by the posteriors themselves, rather than writing them out
        # once per position for a single scatter.
        by_position = length > 0 and 2 * n_cells <= n
        inv = None
        if lin_conf is not None and conf_prior is not None and 0 < length <= linear_upto:
            post, inv = _np_linear_joint(chunk, lin_conf, conf_prior)
            if by_position:
                post *= inv
                inv = None
        elif lin_conf is None or prior is None:
            if cell_label is None:
                cell_label = np.arange(n_cells, dtype=np.intp) % max(n_k, 1)
            post = _np_vote(chunk, n_k, cell_label)
        else:
            if log_conf is None or log_prior is None:
                log_conf = np.log(lin_conf)
                log_prior = np.log(prior)
            post = _np_softmax_rows(_np_log_joint(chunk, log_conf, log_prior))
        for k in labels:
            if by_position:
                total[k] += post[k].sum()
                acc = counts[k]
                for j in range(length):
                    cj = cells[j * n : (j + 1) * n]
                    acc += np.bincount(cj, weights=post[k], minlength=n_cells)
                continue
            if inv is not None:
                # The posterior normalised on the fly, written out per position.
                out = buf[: cells.shape[0]].reshape(length, n)
                np.multiply(post[k], inv, out=out)
                total[k] += out[0].sum()
                w = buf[: cells.shape[0]]
            else:
                total[k] += post[k].sum()
                w = _np_weights(post[k], chunk, buf)
            counts[k] += np.bincount(cells, weights=w, minlength=n_cells)
    if "cell_answers" not in store:
        store["cell_answers"] = np.bincount(p.cell, minlength=n_cells).astype(np.float64)
        store["n_answered"] = float(np.count_nonzero(np.diff(p.start)))
    if n_k == 0:
        return counts.reshape(p.n_sources, 0, 0), total
    rest = counts[derived]
    np.subtract(store["cell_answers"], counts.sum(axis=0), out=rest)
    np.maximum(rest, 0.0, out=rest)
    total[derived] = max(store["n_answered"] - (total.sum() - total[derived]), 0.0)
    return np.ascontiguousarray(counts.T).reshape(p.n_sources, n_k, n_k), total


# --------------------------------------------------------------------------
# Public steps.


def _check(
    p: DSPlan,
    conf: FloatArray | None,
    prior: FloatArray | None,
    accuracy: FloatArray | None = None,
) -> None:
    """Shapes, and probabilities in (0, 1] (accuracies in (0, 1)): the
    linear-space loops rely on it."""
    n_k = p.n_labels
    if accuracy is not None:
        n_src = p.n_sources
        if accuracy.shape != (n_src,):
            raise ValueError(f"accuracy: expected shape ({n_src},), got {accuracy.shape}")
        if accuracy.size and not (accuracy.min() > 0 and accuracy.max() < 1):
            raise ValueError("accuracy: expected probabilities in (0, 1)")
    if conf is not None:
        if conf.shape != (p.n_sources, n_k, n_k):
            raise ValueError(f"conf: expected shape {(p.n_sources, n_k, n_k)}, got {conf.shape}")
        if conf.size and not (conf.min() > 0 and conf.max() <= 1):
            raise ValueError("conf: expected probabilities in (0, 1]")
    if prior is not None:
        if prior.shape != (n_k,):
            raise ValueError(f"prior: expected shape ({n_k},), got {prior.shape}")
        if prior.size and not (prior.min() > 0 and prior.max() <= 1):
            raise ValueError("prior: expected probabilities in (0, 1]")


def ds_step(p: DSPlan, conf: FloatArray, prior: FloatArray) -> tuple[FloatArray, FloatArray]:
    """One EM step of Dawid-Skene: label posteriors, then expected confusion counts.

    The posterior of object ``i`` is proportional to
    ``prior[k] * prod_a conf[source_a, given_a, k]`` over its assertions;
    ``counts[s, l, k]`` adds it up over the assertions of source ``s``
    giving label ``l``.

    Parameters
    ----------
    p : DSPlan
    conf : float array of shape (n_sources, K, K)
        Confusion probabilities ``[source, given label, true label]``, in
        ``(0, 1]``.
    prior : float array of shape (K,)
        Label prior, in ``(0, 1]``.

    Returns
    -------
    counts : ndarray of shape (n_sources, K, K)
        Indexed ``[source, given label, true label]``.
    label_total : ndarray of shape (K,)
        Sum of the posteriors over objects.

    References
    ----------
    A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer
    error-rates using the EM algorithm", Journal of the Royal Statistical
    Society, Series C 28(1):20-28, 1979.

    Examples
    --------
    >>> import numpy as np
    >>> p = plan(np.array([0]), np.array([0]), np.array([0, 1]), 1, 2)
    >>> conf = np.array([[[0.9, 0.2], [0.1, 0.8]]])   # [source, given, true]
    >>> counts, total = ds_step(p, conf, np.array([0.5, 0.5]))
    >>> total.round(4).tolist()
    [0.8182, 0.1818]
    """
    conf_a = np.ascontiguousarray(conf, dtype=np.float64)
    prior_a = np.ascontiguousarray(prior, dtype=np.float64)
    _check(p, conf_a, prior_a)
    return _ds_step(p, conf_a, prior_a)


def ds_vote_step(p: DSPlan) -> tuple[FloatArray, FloatArray]:
    """The first M-step's statistics: :func:`ds_step` with majority-vote posteriors.

    Each object's posterior is the share of its answers giving each label,
    as Dawid & Skene (1979) suggest for the start.

    Returns
    -------
    counts : ndarray of shape (n_sources, K, K)
    label_total : ndarray of shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> p = plan(np.array([0, 1]), np.array([0, 1]), np.array([0, 2]), 2, 2)
    >>> counts, total = ds_vote_step(p)
    >>> counts[0].tolist(), total.tolist()
    ([[0.5, 0.5], [0.0, 0.0]], [0.5, 0.5])
    """
    return _ds_step(p, None, None)


def _ds_step(
    p: DSPlan, conf: FloatArray | None, prior: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    n_k = p.n_labels
    loops = _loops(n_k)
    if loops is None:
        return _np_ds_step(p, conf, prior)
    n_cells = p.n_sources * n_k
    tab = np.zeros((n_cells, 2 * n_k))
    vote = conf is None or prior is None
    if not vote:
        tab[:, :n_k] = conf.reshape(n_cells, n_k)  # type: ignore[union-attr]
    total = np.zeros(n_k)
    pr = np.ones(n_k) if prior is None else prior
    # Prefetch when the table outgrows a core's L2 cache (1 MB here and on most
    # current CPUs); below that it only costs instructions.
    ahead = PREFETCH_AHEAD if tab.nbytes > PREFETCH_ABOVE_BYTES else 0
    loops["ds"](tab, pr, p.cell, p.given, p.start, total, vote, ahead)
    return tab[:, n_k:].reshape(p.n_sources, n_k, n_k).copy(), total


def oc_step(
    p: DSPlan, accuracy: FloatArray | None, prior: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """One EM step of the one-coin model: posteriors, then expected correct answers.

    Source ``s`` gives the true label with probability ``accuracy[s]`` and
    each other label with ``(1 - accuracy[s]) / (K - 1)``. With
    ``accuracy=None`` the posteriors are majority-vote shares (the start).

    Parameters
    ----------
    p : DSPlan
    accuracy : float array of shape (n_sources,), in (0, 1), or None
    prior : float array of shape (K,), in (0, 1], or None

    Returns
    -------
    correct : ndarray of shape (n_sources,)
        Sum, over each source's assertions, of the posterior of the label it gave.
    label_total : ndarray of shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> p = plan(np.array([0, 1]), np.array([0, 1]), np.array([0, 2]), 2, 2)
    >>> correct, total = oc_step(p, np.array([0.9, 0.6]), np.array([0.5, 0.5]))
    >>> correct.round(4).tolist()
    [0.8571, 0.1429]
    """
    n_k = p.n_labels
    n_src = p.n_sources
    vote = accuracy is None or prior is None
    acc = np.full(n_src, 0.5) if accuracy is None else np.ascontiguousarray(accuracy, np.float64)
    pr = np.ones(n_k) if prior is None else np.ascontiguousarray(prior, dtype=np.float64)
    _check(p, None, pr, accuracy=acc)
    wrong = (1.0 - acc) / max(n_k - 1, 1)
    loops = _loops(n_k)
    if loops is not None:
        correct = np.zeros(n_src)
        total = np.zeros(n_k)
        loops["oc"](acc, wrong, pr, p.source, p.given, p.start, correct, total, vote)
        return correct, total
    return _np_oc_step(p, acc, wrong, pr, vote)


def _np_oc_plan(p: DSPlan) -> dict[str, Any]:
    """Chunks of consecutive objects for the numpy one-coin step (made once).

    Each chunk is ``(o0, o1, source, flat, lengths, empty)``: objects
    ``o0:o1``, their assertions' sources, the flat index ``given * m + object``
    of each assertion in a ``(K, m)`` array, the objects' answer counts (at
    least 1) and which of them have no answers.
    """
    store = p._numpy if p._numpy is not None else {}
    if "oc_chunks" in store:
        return store
    n_k = p.n_labels
    start = p.start
    n = int(start[-1])
    lengths = np.diff(start)
    cut = np.unique(np.append(np.searchsorted(start, np.arange(0, n, CHUNK)), p.n_objects))
    chunks = []
    for o0, o1 in zip(cut[:-1].tolist(), cut[1:].tolist()):
        a0, a1 = int(start[o0]), int(start[o1])
        m = o1 - o0
        ln = lengths[o0:o1]
        local = np.repeat(np.arange(m, dtype=np.intp), ln)
        flat = p.given[a0:a1].astype(np.intp) * m + local
        if n_k * m < 2**31:
            flat = flat.astype(np.int32)
        empty = np.flatnonzero(ln == 0)
        chunks.append((o0, o1, p.source[a0:a1], flat, np.maximum(ln, 1), empty))
    store["oc_chunks"] = chunks
    p._numpy = store
    return store


def _np_oc_joint(
    chunk: tuple[Any, ...], gain: FloatArray, log_prior: FloatArray, n_k: int
) -> FloatArray:
    """``(K, m)`` log posterior, up to a constant per object, for one chunk."""
    o0, o1, source, flat, _, _ = chunk
    m = o1 - o0
    joint = np.bincount(flat, weights=gain[source], minlength=n_k * m).astype(
        np.float64, copy=False
    )
    out: FloatArray = joint.reshape(n_k, m) + log_prior[:, None]
    return out


def _np_oc_step(
    p: DSPlan, acc: FloatArray, wrong: FloatArray, prior: FloatArray, vote: bool
) -> tuple[FloatArray, FloatArray]:
    n_k = p.n_labels
    correct = np.zeros(p.n_sources)
    total = np.zeros(n_k)
    # Every answer is "wrong" for every label but the one it gives: that
    # common factor cancels, leaving log(acc / wrong) on the given label.
    gain = np.log(acc) - np.log(wrong)
    log_prior = np.log(prior)
    for chunk in _np_oc_plan(p)["oc_chunks"]:
        o0, o1, source, flat, ln, empty = chunk
        m = o1 - o0
        if vote:
            post = np.bincount(flat, minlength=n_k * m).reshape(n_k, m) / ln
        else:
            post = _np_softmax_rows(_np_oc_joint(chunk, gain, log_prior, n_k))
            if empty.shape[0]:
                post[:, empty] = 0.0  # objects without answers add nothing
        total += post.sum(axis=1)
        correct += np.bincount(source, weights=post.reshape(-1)[flat], minlength=p.n_sources)
    return correct, total


def oc_claim_probability(
    p: DSPlan,
    accuracy: FloatArray,
    prior: FloatArray,
    claim_label: AnyIndex,
    claim_start: AnyIndex,
) -> FloatArray:
    """:func:`ds_claim_probability` for the one-coin model of :func:`oc_step`.

    Examples
    --------
    >>> import numpy as np
    >>> p = plan(np.array([0]), np.array([0]), np.array([0, 1]), 1, 3)
    >>> oc_claim_probability(p, np.array([0.8]), np.full(3, 1 / 3), np.array([0, 2]),
    ...                      np.array([0, 2])).round(4).tolist()
    [0.8889, 0.1111]
    """
    n_k = p.n_labels
    n_src = p.n_sources
    acc = np.ascontiguousarray(accuracy, dtype=np.float64)
    pr = np.ascontiguousarray(prior, dtype=np.float64)
    _check(p, None, pr, accuracy=acc)
    wrong = (1.0 - acc) / max(n_k - 1, 1)
    if _loops(n_k) is not None:
        # As Dawid-Skene confusion rows [source, given, true].
        conf = np.repeat(wrong, n_k * n_k).reshape(n_src, n_k, n_k)
        diag = np.arange(n_k)
        conf[:, diag, diag] = acc[:, None]
        return ds_claim_probability(p, conf, pr, claim_label, claim_start)
    lab = np.ascontiguousarray(claim_label, dtype=np.int64)
    cstart = np.ascontiguousarray(claim_start, dtype=np.int64)
    gain = np.log(acc) - np.log(wrong)
    log_prior = np.log(pr)
    out = np.empty(lab.shape[0])
    for chunk in _np_oc_plan(p)["oc_chunks"]:
        o0, o1 = chunk[0], chunk[1]
        c0, c1 = int(cstart[o0]), int(cstart[o1])
        joint = _np_oc_joint(chunk, gain, log_prior, n_k)
        seg = cstart[o0 : o1 + 1] - c0
        claim_obj = np.repeat(np.arange(o1 - o0), np.diff(seg))
        score = joint[lab[c0:c1], claim_obj]
        out[c0:c1] = _kernels.segment_softmax(score, seg)
    return out


def ds_claim_probability(
    p: DSPlan,
    conf: FloatArray,
    prior: FloatArray,
    claim_label: AnyIndex,
    claim_start: AnyIndex,
) -> FloatArray:
    """Posterior of each object's claimed labels, normalised over its claims.

    Parameters
    ----------
    p : DSPlan
    conf : float array of shape (n_sources, K, K)
        ``[source, given label, true label]``, in ``(0, 1]``.
    prior : float array of shape (K,)
    claim_label : int array of shape (n_claims,)
        Label of each claim, claims grouped by object.
    claim_start : int array of shape (n_objects + 1,)
        Offsets of each object's claims.

    Returns
    -------
    ndarray of shape (n_claims,)

    Examples
    --------
    >>> import numpy as np
    >>> p = plan(np.array([0]), np.array([0]), np.array([0, 1]), 1, 3)
    >>> conf = np.full((1, 3, 3), 0.1); conf[0, 0, 0] = 0.8
    >>> ds_claim_probability(p, conf, np.full(3, 1 / 3), np.array([0, 2]),
    ...                      np.array([0, 2])).round(4).tolist()
    [0.8889, 0.1111]
    """
    conf_a = np.ascontiguousarray(conf, dtype=np.float64)
    prior_a = np.ascontiguousarray(prior, dtype=np.float64)
    _check(p, conf_a, prior_a)
    lab = np.ascontiguousarray(claim_label, dtype=np.int64)
    cstart = np.ascontiguousarray(claim_start, dtype=np.int64)
    n_k = p.n_labels
    n_cells = p.n_sources * n_k
    loops = _loops(n_k)
    if loops is not None:
        out = np.zeros(lab.shape[0])
        loops["claims"](conf_a.reshape(n_cells, n_k), prior_a, p.cell, p.start, lab, cstart, out)
        return out
    lin_conf = conf_a.reshape(n_cells, n_k)
    linear_upto = _np_linear_upto(lin_conf, prior_a)
    chunks = _numpy_plan(p)["chunks"]
    n_claims = np.diff(cstart)
    linear = (
        linear_upto > 0
        and all(0 < c[1] <= linear_upto for c in chunks)
        and not (n_claims[np.diff(p.start) == 0] > 0).any()
    )
    if linear:
        # Posteriors over all labels in linear space (objects in chunk order,
        # one row per label), then renormalised over each object's claims,
        # unless some object's claimed labels are all too unlikely for that
        # (then the log-space way below).
        n_in = sum(c[0].shape[0] for c in chunks)
        post = np.empty((n_k, n_in))
        rank = np.zeros(p.n_objects, dtype=np.intp)
        conf_prior = lin_conf * prior_a
        lo = 0
        for chunk in chunks:
            joint, inv = _np_linear_joint(chunk, lin_conf, conf_prior)
            hi = lo + inv.shape[0]
            np.multiply(joint, inv, out=post[:, lo:hi])
            rank[chunk[0]] = np.arange(lo, hi)
            lo = hi
        claim_object = np.repeat(np.arange(p.n_objects), n_claims)
        score = np.take(post, lab * n_in + rank[claim_object])
        z = np.bincount(claim_object, weights=score, minlength=p.n_objects)
        if not (z[n_claims > 0] <= TINY).any():
            out_lin: FloatArray = score / np.take(z, claim_object)
            return out_lin
    log_conf = np.log(lin_conf)
    log_prior = np.log(prior_a)
    joint = np.repeat(log_prior[None, :], p.n_objects, axis=0)
    for chunk in chunks:
        joint[chunk[0]] = _np_log_joint(chunk, log_conf, log_prior).T
    claim_object = np.repeat(np.arange(p.n_objects), np.diff(cstart))
    score = joint[claim_object, lab]
    return _kernels.segment_softmax(score, cstart)
