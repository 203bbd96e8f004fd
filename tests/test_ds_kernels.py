"""The Dawid-Skene and one-coin kernels of credscore.kernels.dawid_skene agree with slow,
obviously correct pure-Python references, on the numpy path (with small chunks,
so that chunk edges and long objects are exercised) and on the numba path."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from credscore.kernels import backend as B
from credscore.kernels import dawid_skene as D
from credscore.models import DawidSkene, OneCoin
from credscore.table.table import Table

try:
    import numba  # noqa: F401

    HAVE_NUMBA = True
except ImportError:
    HAVE_NUMBA = False

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba missing")
# (backend, numpy chunk size, longest object kept as a dense matrix, table size
# from which numba prefetches rows)
SETTINGS = [
    ("numpy", D.CHUNK, D.MAX_DENSE_LENGTH, D.PREFETCH_ABOVE_BYTES),
    ("numpy", 7, 3, D.PREFETCH_ABOVE_BYTES),
    pytest.param("numba", D.CHUNK, D.MAX_DENSE_LENGTH, D.PREFETCH_ABOVE_BYTES, marks=needs_numba),
    pytest.param("numba", D.CHUNK, D.MAX_DENSE_LENGTH, 0, marks=needs_numba),
]
TOL = 1e-9


@contextmanager
def settings(backend: str, chunk: int, dense: int, prefetch: int) -> Iterator[None]:
    old = D.CHUNK, D.MAX_DENSE_LENGTH, D.PREFETCH_ABOVE_BYTES
    D.CHUNK, D.MAX_DENSE_LENGTH, D.PREFETCH_ABOVE_BYTES = chunk, dense, prefetch
    try:
        with B.use_backend(backend):
            yield
    finally:
        D.CHUNK, D.MAX_DENSE_LENGTH, D.PREFETCH_ABOVE_BYTES = old


def close(a: object, b: object) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=TOL, atol=TOL))


# -- generated inputs ----------------------------------------------------------

# Probabilities, with a few tiny ones so that some products leave the normal
# range of doubles (the kernels then redo the object in log space).
probability = st.one_of(st.floats(1e-3, 1.0), st.sampled_from([1.0, 0.5, 1e-30, 1e-120, 1e-200]))


@st.composite
def cases(
    draw: st.DrawFn,
    probs: st.SearchStrategy[float] = probability,
    longest: int = 20,
    min_objects: int = 0,
    max_objects: int = 7,
) -> dict[str, Any]:
    """Assertions grouped by object, confusion rows, a prior and claimed labels."""
    n_src = draw(st.integers(1, 4))
    n_k = draw(st.sampled_from([1, 2, 3, 5, 9]))
    lengths = draw(st.lists(st.integers(0, longest), min_size=min_objects, max_size=max_objects))
    m = sum(lengths)
    source = draw(st.lists(st.integers(0, n_src - 1), min_size=m, max_size=m))
    label = draw(st.lists(st.integers(0, n_k - 1), min_size=m, max_size=m))
    conf = draw(st.lists(probs, min_size=n_src * n_k * n_k, max_size=n_src * n_k * n_k))
    prior = draw(st.lists(st.floats(0.01, 1.0), min_size=n_k, max_size=n_k))
    acc = draw(st.lists(st.floats(0.01, 0.99), min_size=n_src, max_size=n_src))
    start = [0]
    for ln in lengths:
        start.append(start[-1] + ln)
    # Claimed labels of each object: a non-empty set when it has answers.
    claims: list[list[int]] = []
    for i in range(len(lengths)):
        given = sorted(set(label[start[i] : start[i + 1]]))
        extra = draw(st.sets(st.integers(0, n_k - 1), max_size=2))
        claims.append(sorted(set(given) | extra) if given else [])
    return {
        "n_src": n_src,
        "n_k": n_k,
        "source": source,
        "label": label,
        "start": start,
        "conf": np.array(conf).reshape(n_src, n_k, n_k),
        "prior": prior,
        "acc": acc,
        "claims": claims,
    }


# -- pure-Python references ----------------------------------------------------


def objects(case: dict[str, Any]) -> Iterator[list[tuple[int, int]]]:
    """``[(source, given label), ...]`` of each object."""
    start = case["start"]
    for i in range(len(start) - 1):
        yield [(case["source"][a], case["label"][a]) for a in range(start[i], start[i + 1])]


def ref_log_joint(answers: list[tuple[int, int]], conf: Any, prior: list[float]) -> list[float]:
    """log prior[k] + sum of log conf[source, given, k] over the answers."""
    return [
        math.log(prior[k]) + sum(math.log(conf[s][g][k]) for s, g in answers)
        for k in range(len(prior))
    ]


def softmax(xs: list[float]) -> list[float]:
    top = max(xs)
    es = [math.exp(x - top) for x in xs]
    return [e / sum(es) for e in es]


def vote_share(answers: list[tuple[int, int]], n_k: int) -> list[float]:
    return [sum(1 for _, g in answers if g == k) / len(answers) for k in range(n_k)]


def ref_ds_step(case: dict[str, Any], vote: bool) -> tuple[Any, list[float]]:
    n_k = case["n_k"]
    conf = case["conf"].tolist()
    counts = [[[0.0] * n_k for _ in range(n_k)] for _ in range(case["n_src"])]
    total = [0.0] * n_k
    for answers in objects(case):
        if not answers:
            continue
        if vote:
            post = vote_share(answers, n_k)
        else:
            post = softmax(ref_log_joint(answers, conf, case["prior"]))
        for k in range(n_k):
            total[k] += post[k]
            for s, g in answers:
                counts[s][g][k] += post[k]
    return counts, total


def one_coin_conf(acc: list[float], n_k: int) -> list[list[list[float]]]:
    """The one-coin model's confusion rows [source][given][true]."""
    wrong = [(1 - a) / max(n_k - 1, 1) for a in acc]
    return [
        [[acc[s] if g == k else wrong[s] for k in range(n_k)] for g in range(n_k)]
        for s in range(len(acc))
    ]


def ref_oc_step(case: dict[str, Any], vote: bool) -> tuple[list[float], list[float]]:
    n_k = case["n_k"]
    conf = one_coin_conf(case["acc"], n_k)
    correct = [0.0] * case["n_src"]
    total = [0.0] * n_k
    for answers in objects(case):
        if not answers:
            continue
        if vote:
            post = vote_share(answers, n_k)
        else:
            post = softmax(ref_log_joint(answers, conf, case["prior"]))
        for k in range(n_k):
            total[k] += post[k]
        for s, g in answers:
            correct[s] += post[g]
    return correct, total


def ref_claims(case: dict[str, Any], conf: Any = None) -> list[float]:
    conf = case["conf"].tolist() if conf is None else conf
    out: list[float] = []
    for answers, labels in zip(objects(case), case["claims"]):
        if labels:
            joint = ref_log_joint(answers, conf, case["prior"])
            out += softmax([joint[k] for k in labels])
    return out


def make_plan(case: dict[str, Any]) -> D.DSPlan:
    return D.plan(
        np.array(case["source"], dtype=np.int32),
        np.array(case["label"], dtype=np.int64),
        np.array(case["start"]),
        case["n_src"],
        case["n_k"],
    )


# -- properties ----------------------------------------------------------------


@pytest.mark.parametrize(("backend", "chunk", "dense", "prefetch"), SETTINGS)
@given(cases(), st.booleans())
def test_ds_step(
    backend: str, chunk: int, dense: int, prefetch: int, case: dict[str, Any], vote: bool
) -> None:
    """ds_step adds each object's label posterior into its answers' confusion counts."""
    with settings(backend, chunk, dense, prefetch):
        p = make_plan(case)
        if vote:
            counts, total = D.ds_vote_step(p)
        else:
            counts, total = D.ds_step(p, case["conf"], np.array(case["prior"]))
    want_counts, want_total = ref_ds_step(case, vote)
    assert counts.shape == (case["n_src"], case["n_k"], case["n_k"])
    assert close(counts, want_counts)
    assert close(total, want_total)


@pytest.mark.parametrize(("backend", "chunk", "dense", "prefetch"), SETTINGS)
@given(cases(probs=st.floats(1e-3, 1.0), longest=2, min_objects=40, max_objects=120))
def test_ds_step_many_short_objects(
    backend: str, chunk: int, dense: int, prefetch: int, case: dict[str, Any]
) -> None:
    """Many short objects and no tiny probabilities: the numpy path's linear-space
    E-step, and its M-step with one scatter per answer position, agree with the
    references (counts, label totals and claim probabilities)."""
    claims = case["claims"]
    claim_start = np.cumsum([0] + [len(c) for c in claims])
    labels = np.array([k for c in claims for k in c], dtype=np.int64)
    with settings(backend, chunk, dense, prefetch):
        p = make_plan(case)
        counts, total = D.ds_step(p, case["conf"], np.array(case["prior"]))
        got = D.ds_claim_probability(p, case["conf"], np.array(case["prior"]), labels, claim_start)
    want_counts, want_total = ref_ds_step(case, vote=False)
    assert close(counts, want_counts)
    assert close(total, want_total)
    assert close(got, ref_claims(case))


@pytest.mark.parametrize(("backend", "chunk", "dense", "prefetch"), SETTINGS)
@given(cases(), st.booleans())
def test_oc_step(
    backend: str, chunk: int, dense: int, prefetch: int, case: dict[str, Any], vote: bool
) -> None:
    """oc_step adds up, per source, the posterior of the label it gave."""
    acc = None if vote else np.array(case["acc"])
    prior = None if vote else np.array(case["prior"])
    with settings(backend, chunk, dense, prefetch):
        correct, total = D.oc_step(make_plan(case), acc, prior)
    want_correct, want_total = ref_oc_step(case, vote)
    assert close(correct, want_correct)
    assert close(total, want_total)


@st.composite
def long_one_coin_cases(draw: st.DrawFn) -> dict[str, Any]:
    """Objects of 100-400 answers, mostly of one label, from sources of
    accuracy near 1 or near 0: the products of acc / wrong leave the range
    of doubles upwards and downwards."""
    case = draw(cases(longest=1, max_objects=0))
    n_k = draw(st.sampled_from([2, 3, 5]))
    n_src = draw(st.integers(1, 3))
    acc = draw(
        st.lists(st.sampled_from([0.999, 0.99, 0.6, 0.01, 0.001]), min_size=n_src, max_size=n_src)
    )
    lengths = draw(st.lists(st.integers(100, 400), min_size=1, max_size=3))
    source: list[int] = []
    label: list[int] = []
    start = [0]
    for ln in lengths:
        main = draw(st.integers(0, n_k - 1))
        source += draw(st.lists(st.integers(0, n_src - 1), min_size=ln, max_size=ln))
        label += [
            main if draw(st.integers(0, 9)) else draw(st.integers(0, n_k - 1)) for _ in range(ln)
        ]
        start.append(start[-1] + ln)
    prior = draw(st.lists(st.floats(0.01, 1.0), min_size=n_k, max_size=n_k))
    case.update(
        n_src=n_src, n_k=n_k, source=source, label=label, start=start, acc=acc, prior=prior
    )
    return case


@pytest.mark.parametrize(("backend", "chunk", "dense", "prefetch"), SETTINGS)
@hypothesis_settings(max_examples=40, deadline=None)  # long objects, a slow reference
@given(long_one_coin_cases())
def test_oc_step_long_objects(
    backend: str, chunk: int, dense: int, prefetch: int, case: dict[str, Any]
) -> None:
    """The compiled one-coin pass multiplies only the label given, by
    acc / wrong: on long objects its products can leave the range of doubles
    upwards as well as downwards, and the object is then redone in log space."""
    with settings(backend, chunk, dense, prefetch):
        correct, total = D.oc_step(make_plan(case), np.array(case["acc"]), np.array(case["prior"]))
    want_correct, want_total = ref_oc_step(case, False)
    assert close(correct, want_correct)
    assert close(total, want_total)


@pytest.mark.parametrize(("backend", "chunk", "dense", "prefetch"), SETTINGS)
@given(cases())
def test_claim_probability(
    backend: str, chunk: int, dense: int, prefetch: int, case: dict[str, Any]
) -> None:
    """ds_claim_probability is the posterior renormalised over each object's claims."""
    claims = case["claims"]
    claim_start = np.cumsum([0] + [len(c) for c in claims])
    labels = np.array([k for c in claims for k in c], dtype=np.int64)
    with settings(backend, chunk, dense, prefetch):
        got = D.ds_claim_probability(
            make_plan(case), case["conf"], np.array(case["prior"]), labels, claim_start
        )
    assert np.isfinite(got).all()
    assert close(got, ref_claims(case))


@pytest.mark.parametrize(("backend", "chunk", "dense", "prefetch"), SETTINGS)
@given(cases())
def test_one_coin_claim_probability(
    backend: str, chunk: int, dense: int, prefetch: int, case: dict[str, Any]
) -> None:
    """oc_claim_probability is the one-coin posterior renormalised over each object's claims."""
    claims = case["claims"]
    claim_start = np.cumsum([0] + [len(c) for c in claims])
    labels = np.array([k for c in claims for k in c], dtype=np.int64)
    with settings(backend, chunk, dense, prefetch):
        got = D.oc_claim_probability(
            make_plan(case), np.array(case["acc"]), np.array(case["prior"]), labels, claim_start
        )
    assert np.isfinite(got).all()
    assert close(got, ref_claims(case, one_coin_conf(case["acc"], case["n_k"])))


def test_bad_shapes_are_refused() -> None:
    """Arrays of the wrong shape raise ValueError naming the argument."""
    p = D.plan(np.array([0]), np.array([0]), np.array([0, 1]), 1, 2)
    with pytest.raises(ValueError, match="conf"):
        D.ds_step(p, np.ones((1, 3, 3)), np.ones(2))
    with pytest.raises(ValueError, match="prior"):
        D.ds_step(p, np.ones((1, 2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="accuracy"):
        D.oc_step(p, np.ones(2), np.ones(2))


def test_values_outside_probabilities_are_refused() -> None:
    """The linear-space loops need factors in (0, 1]: others raise ValueError."""
    p = D.plan(np.array([0]), np.array([0]), np.array([0, 1]), 1, 2)
    with pytest.raises(ValueError, match="conf"):
        D.ds_step(p, np.full((1, 2, 2), 2.0), np.full(2, 0.5))
    with pytest.raises(ValueError, match="conf"):
        D.ds_claim_probability(p, np.zeros((1, 2, 2)), np.full(2, 0.5), [0], [0, 1])
    with pytest.raises(ValueError, match="prior"):
        D.ds_step(p, np.full((1, 2, 2), 0.5), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="accuracy"):
        D.oc_step(p, np.array([1.0]), np.full(2, 0.5))


# -- whole fits: the numpy and numba paths agree -------------------------------


def crowd_table(seed: int, n_obj: int, per: int, n_src: int, n_k: int) -> Table:
    """Workers of accuracy 0.3-0.95 answering objects with ``per`` answers each."""
    rng = np.random.default_rng(seed)
    acc = rng.uniform(0.3, 0.95, n_src)
    truth = rng.integers(0, n_k, n_obj)
    obj = np.repeat(np.arange(n_obj), per)
    src = np.concatenate([rng.choice(n_src, per, replace=False) for _ in range(n_obj)])
    right = rng.random(obj.size) < acc[src]
    value = np.where(right, truth[obj], (truth[obj] + rng.integers(1, n_k, obj.size)) % n_k)
    return Table.from_arrays(src, obj, value, numeric=False)


@needs_numba
@pytest.mark.parametrize("model", [DawidSkene, OneCoin])
@pytest.mark.parametrize(("per", "n_k"), [(5, 5), (3, 2), (200, 4), (12, 11)])
def test_fits_agree_across_backends(model: Any, per: int, n_k: int) -> None:
    """numpy and numba fits give the same probabilities and reliabilities to 1e-9,
    also with 200 answers per object (products far below the doubles' range)."""
    table = crowd_table(per * n_k, 300 if per < 100 else 20, per, 40 if per < 100 else 300, n_k)
    fits = []
    for backend in ("numpy", "numba"):
        with B.use_backend(backend):
            fits.append(model(max_iter=15, tol=0).fit_score(table))
    a, b = fits
    np.testing.assert_allclose(a.claim_probability, b.claim_probability, rtol=0, atol=TOL)
    np.testing.assert_allclose(a.reliability, b.reliability, rtol=TOL, atol=TOL)
    assert np.isfinite(a.claim_probability).all()


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8, np.int64])
@pytest.mark.parametrize("model", [DawidSkene, OneCoin])
def test_integer_labels_of_any_width_fit_alike(model: Any, dtype: Any) -> None:
    """Labels given as small or wide integers (here -100..100, or 0..200 unsigned)
    give the same fit as the same labels given as strings."""
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 4, 120)
    lo = 0 if np.dtype(dtype).kind == "u" else -100
    values = np.array([lo, lo + 67, lo + 133, lo + 200])[codes]
    src = np.tile(np.arange(6), 20)
    obj = np.repeat(np.arange(20), 6)
    as_int = Table.from_arrays(src, obj, values.astype(dtype), numeric=False)
    as_str = Table.from_arrays(src, obj, np.array([f"{v:+04d}" for v in values]), numeric=False)
    a = model(max_iter=5, tol=0).fit_score(as_int)
    b = model(max_iter=5, tol=0).fit_score(as_str)
    # "+NNN" strings sort like the numbers only for non-negative ones: compare by value.
    pa = dict(
        zip(zip(as_int.claim_object.tolist(), as_int.claim_value.tolist()), a.claim_probability)
    )
    pb = {
        (o, int(v)): q
        for o, v, q in zip(
            as_str.claim_object.tolist(), as_str.claim_value.tolist(), b.claim_probability
        )
    }
    assert pa.keys() == pb.keys()
    assert all(abs(pa[k] - pb[k]) < TOL for k in pa)
