"""Crowd label-aggregation models: Dawid-Skene, one-coin, GLAD, CRH, CATD, mean, median."""

from __future__ import annotations

import itertools
import math
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import reference_crowd as ref
from hypothesis import given
from hypothesis import strategies as st

from credscore.errors import ConvergenceWarning, InvalidTableError
from credscore.kernels import backend as B
from credscore.models import (
    BWA,
    CATD,
    CRH,
    EBCC,
    GLAD,
    IBCC,
    MACE,
    DawidSkene,
    Mean,
    Median,
    OneCoin,
    Wawa,
    get_model,
)
from credscore.models._bayes import digamma, gammaln
from credscore.models.base import IterativeModel, combine_stats
from credscore.models.crh import chi2_lower_quantile
from credscore.models.ebcc import start_split
from credscore.table.table import Table
from tests.backends import BACKENDS

CATEGORICAL = ["dawid-skene", "one-coin", "glad", "crh", "catd"]
#: the label models fitted by variational Bayes or Bayesian averaging (no partitioned fit)
BAYESIAN = ["ibcc", "ebcc", "bwa"]
NUMERIC = ["crh", "catd", "mean", "median"]


# -- generated tables ---------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn, numeric: bool = False) -> Table:
    n_src = draw(st.integers(1, 5))
    n_obj = draw(st.integers(1, 5))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_src - 1), st.integers(0, n_obj - 1)),
            min_size=1,
            max_size=18,
            unique=True,
        )
    )
    if numeric:
        value = st.one_of(
            st.sampled_from([-2.0, 0.0, 1.0, 1.5, 7.0]),
            st.floats(-50, 50, allow_nan=False, allow_infinity=False),
        )
    else:
        value = st.sampled_from(["a", "b", "c", "d"])
    values = [draw(value) for _ in pairs]
    return Table.from_arrays(
        [f"s{s}" for s, _ in pairs],
        [f"o{o}" for _, o in pairs],
        np.array(values, dtype=np.float64 if numeric else object),
        numeric=numeric,
    )


def _fit_quietly(model: Any, table: Table) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning of any kind
        return model.fit_score(table)


def _assert_agrees(
    result: Any, expected: tuple[list[float], list[Any], list[float]], values: str
) -> None:
    prob, value, rel = expected
    np.testing.assert_allclose(result.claim_probability, prob, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.reliability, rel, rtol=1e-9, atol=1e-9)
    if values == "numeric":
        np.testing.assert_allclose(result.value, value, rtol=1e-9, atol=1e-9)
    elif values == "exact":
        assert result.value.tolist() == value


# -- vectorised models against the pure-Python references ----------------------


@given(tables(), st.integers(1, 5), st.sampled_from([0.01, 0.5]))
def test_dawid_skene_matches_reference(table: Table, n_iter: int, smoothing: float) -> None:
    """Dawid-Skene agrees with the loop-and-dict reference to 1e-9."""
    r = _fit_quietly(DawidSkene(max_iter=n_iter, tol=0, smoothing=smoothing), table)
    _assert_agrees(r, ref.dawid_skene(table, n_iter, smoothing), values="none")


@given(
    tables(),
    st.integers(1, 5),
    st.floats(0.0, 10.0),
    st.floats(0.05, 0.95),
    st.booleans(),
    st.data(),
)
def test_dawid_skene_priors_match_reference(
    table: Table, n_iter: int, strength: float, accuracy: float, own: bool, data: st.DataObject
) -> None:
    """With a Dirichlet prior on every confusion row (and a matrix of its own
    for one source) Dawid-Skene agrees with the reference to 1e-9."""
    k = len(set(table.claim_value.tolist()))
    mine = None
    if own:
        cells = st.floats(0.0, 5.0)
        mine = {
            table.source_ids[0]: data.draw(
                st.lists(st.lists(cells, min_size=k, max_size=k), min_size=k, max_size=k)
            )
        }
    model = DawidSkene(
        max_iter=n_iter,
        tol=0,
        prior_strength=strength,
        prior_accuracy=accuracy,
        prior_confusion=mine,
    )
    r = _fit_quietly(model, table)
    expect = ref.dawid_skene(
        table, n_iter, prior_strength=strength, prior_accuracy=accuracy, prior_confusion=mine
    )
    _assert_agrees(r, expect, values="none")


@given(tables(), st.integers(1, 5), st.floats(0.0, 10.0), st.floats(0.05, 0.95), st.booleans())
def test_one_coin_priors_match_reference(
    table: Table, n_iter: int, strength: float, accuracy: float, own: bool
) -> None:
    """With a Beta prior on every accuracy (and a mean of its own for one
    source) one-coin agrees with the reference to 1e-9."""
    mine = {table.source_ids[0]: 0.95} if own else None
    model = OneCoin(
        max_iter=n_iter,
        tol=0,
        prior_strength=strength,
        prior_accuracy=accuracy,
        prior_accuracies=mine,
    )
    r = _fit_quietly(model, table)
    expect = ref.one_coin(
        table, n_iter, prior_strength=strength, prior_accuracy=accuracy, prior_accuracies=mine
    )
    _assert_agrees(r, expect, values="none")


def test_a_strong_prior_keeps_a_sparse_worker_near_it() -> None:
    """A worker with two answers, both against the crowd: without a prior its
    accuracy is near 0; with 10 pseudo-answers at 0.7 it stays above 0.5."""
    rows = [(f"w{w}", q, "a") for w in range(5) for q in range(20)]
    rows += [("sparse", 0, "b"), ("sparse", 1, "b")]
    t = Table.from_rows(rows)
    ids = t.source_ids.tolist()
    plain = _fit_quietly(OneCoin(max_iter=50), t)
    held = _fit_quietly(OneCoin(max_iter=50, prior_strength=10, prior_accuracy=0.7), t)
    assert plain.reliability[ids.index("sparse")] < 0.05
    assert held.reliability[ids.index("sparse")] > 0.5
    ds = _fit_quietly(DawidSkene(max_iter=50, prior_strength=10, prior_accuracy=0.7), t)
    assert ds.reliability[ids.index("sparse")] < 0.05  # reliability counts its own answers


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"prior_confusion": {"nobody": [[1, 0], [0, 1]]}}, "prior_confusion: source 'nobody'"),
        ({"prior_confusion": {"w0": [[1, 0]]}}, "prior_confusion: source 'w0'"),
        ({"prior_confusion": {"w0": [[1, -1], [0, 1]]}}, "prior_confusion: source 'w0'"),
        ({"prior_confusion": {"w0": "x"}}, "prior_confusion: source 'w0'"),
    ],
)
def test_a_bad_prior_matrix_names_the_source(settings: dict[str, Any], field: str) -> None:
    t = Table.from_rows([("w0", 1, "a"), ("w1", 1, "b"), ("w0", 2, "b")])
    with pytest.raises((ValueError, InvalidTableError), match=re.escape(field)):
        DawidSkene(**settings).fit(t)


def test_a_bad_prior_accuracy_names_the_source() -> None:
    t = Table.from_rows([("w0", 1, "a"), ("w1", 1, "b")])
    with pytest.raises(ValueError, match=re.escape("prior_accuracies: source 'w1'")):
        OneCoin(prior_accuracies={"w1": 1.5}).fit(t)
    with pytest.raises(InvalidTableError, match=re.escape("prior_accuracies: source 'zz'")):
        OneCoin(prior_accuracies={"zz": 0.5}).fit(t)


@given(tables(), st.integers(1, 5), st.sampled_from(["one-coin", "glad"]))
def test_per_object_candidates_match_reference(table: Table, n_iter: int, kind: str) -> None:
    """One-coin and GLAD with per-object candidate sets agree with a loop over
    each object's candidates to 1e-9."""
    cls = OneCoin if kind == "one-coin" else GLAD
    r = _fit_quietly(cls(max_iter=n_iter, tol=0, candidates="object"), table)
    _assert_agrees(r, ref.candidate_model(table, n_iter, kind), values="none")


def test_per_object_candidates_run_where_labels_do_not_fit() -> None:
    """200,000 objects with their own values: the label-set arrays would need
    hundreds of GB, so candidates='labels' refuses with a named error and the
    default ('auto') fits per-object candidate sets."""
    n = 200_000
    rows = [(f"s{s}", o, f"{o}-{(o + s) % 2}") for o in range(n) for s in range(3)]
    rows += [(f"s{s}", o, f"{o}-0") for o in range(n) for s in range(3, 5)]
    t = Table.from_rows(rows)
    with pytest.raises(InvalidTableError, match="distinct values"):
        OneCoin(candidates="labels").fit(t)
    for cls in (OneCoin, GLAD):
        result = _fit_quietly(cls(), t)
        assert result.truths()[0] == "0-0"


@given(tables(), st.integers(1, 5), st.booleans())
def test_one_coin_matches_reference(table: Table, n_iter: int, learn_prior: bool) -> None:
    """One-coin Dawid-Skene agrees with its reference to 1e-9."""
    r = _fit_quietly(OneCoin(max_iter=n_iter, tol=0, learn_prior=learn_prior), table)
    _assert_agrees(r, ref.one_coin(table, n_iter, learn_prior=learn_prior), values="none")


@given(tables(), st.integers(1, 5), st.sampled_from([0.5, 1.0, 3.0]))
def test_glad_matches_reference(table: Table, n_iter: int, precision: float) -> None:
    """GLAD agrees with its reference to 1e-9."""
    r = _fit_quietly(GLAD(max_iter=n_iter, tol=0, prior_precision=precision), table)
    _assert_agrees(r, ref.glad(table, n_iter, prior_precision=precision), values="none")


@given(tables(), st.integers(1, 5), st.sampled_from([0.01, 0.5]))
def test_crh_categorical_matches_reference(table: Table, n_iter: int, smoothing: float) -> None:
    """CRH with the 0-1 loss agrees with its reference, truths included."""
    r = _fit_quietly(CRH(max_iter=n_iter, tol=0, smoothing=smoothing), table)
    _assert_agrees(r, ref.crh(table, n_iter, smoothing=smoothing), values="exact")


@given(tables(numeric=True), st.integers(1, 5), st.sampled_from(["squared", "absolute"]))
def test_crh_numeric_matches_reference(table: Table, n_iter: int, loss: Any) -> None:
    """CRH with normalised squared / absolute loss agrees with its reference."""
    r = _fit_quietly(CRH(max_iter=n_iter, tol=0, loss=loss), table)
    _assert_agrees(r, ref.crh(table, n_iter, loss=loss), values="numeric")


@given(tables(), st.integers(1, 5))
def test_catd_categorical_matches_reference(table: Table, n_iter: int) -> None:
    """CATD with the 0-1 loss agrees with its reference, truths included."""
    r = _fit_quietly(CATD(max_iter=n_iter, tol=0), table)
    _assert_agrees(r, ref.catd(table, n_iter), values="exact")


@given(tables(numeric=True), st.integers(1, 5), st.sampled_from([0.05, 0.3]))
def test_catd_numeric_matches_reference(table: Table, n_iter: int, alpha: float) -> None:
    """CATD on numbers agrees with its reference."""
    r = _fit_quietly(CATD(max_iter=n_iter, tol=0, alpha=alpha), table)
    _assert_agrees(r, ref.catd(table, n_iter, alpha=alpha), values="numeric")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@given(tables(), st.integers(1, 5), st.sampled_from([0.1, 0.5, 2.0]))
def test_mace_matches_reference(backend: str, table: Table, n_iter: int, smoothing: float) -> None:
    """MACE (EM) agrees with its loop-and-dict reference to 1e-9, in numpy
    and in the compiled pass (credscore.kernels.mace)."""
    if backend == "numba":
        pytest.importorskip("numba")
    with B.use_backend(backend):
        r = _fit_quietly(MACE(max_iter=n_iter, tol=0, smoothing=smoothing), table)
    _assert_agrees(r, ref.mace(table, n_iter, smoothing), values="none")


def test_mace_compiled_and_numpy_fits_agree() -> None:
    """On a synthetic crowd of 12 workers and 400 items, the compiled pass
    and the numpy iterations give the same fit to 1e-12."""
    pytest.importorskip("numba")
    from credscore.datasets import synthetic

    table, _, _ = synthetic(n_sources=12, n_objects=400, reliability=0.7, seed=4)
    fits = []
    for backend in ("numpy", "numba"):
        with B.use_backend(backend):
            fits.append(_fit_quietly(MACE(max_iter=30, tol=0), table))
    np.testing.assert_allclose(fits[0].claim_probability, fits[1].claim_probability, atol=1e-12)
    np.testing.assert_allclose(fits[0].reliability, fits[1].reliability, rtol=1e-12)


@pytest.mark.parametrize(("n_a", "n_b"), [(150, 149), (3, 1), (160, 2)])
def test_mace_compiled_pass_leaves_linear_space_when_products_overflow(n_a: int, n_b: int) -> None:
    """The compiled pass multiplies ratios in linear space and redoes an
    object in log space when a product passes 1e280: with ratios of 100,
    150 answers overflow (and 149 nearly), and the posteriors and spam sums
    must still be the softmax of the log-ratio sums (written out here)."""
    pytest.importorskip("numba")
    from credscore.kernels import mace as MK

    ratio = np.array([100.0, 100.0])
    spam_if_true = np.array([0.3, 0.6])
    pair = np.array([0] * n_a + [1] * n_b)
    source = np.arange(n_a + n_b) % 7
    claim_start = np.array([0, n_a, n_a + n_b])
    with B.use_backend("numba"):
        got = MK.mace_pass(
            ratio, spam_if_true, pair, source, claim_start, np.array([0, 2]), np.zeros(2), 7
        )
    assert got is not None
    new, spam_source, spam_pair, delta = got
    score = np.array([n_a, n_b]) * np.log(100.0)
    want = np.exp(score - score.max()) / np.exp(score - score.max()).sum()
    np.testing.assert_allclose(new, want, rtol=1e-12)
    q = want[[0] * n_a + [1] * n_b]
    e = q * spam_if_true[pair] + (1.0 - q)
    np.testing.assert_allclose(
        spam_source, np.bincount(source, weights=e, minlength=7), rtol=1e-12
    )
    np.testing.assert_allclose(spam_pair, np.bincount(pair, weights=e), rtol=1e-12)
    assert delta == pytest.approx(want.max())


@given(tables())
def test_wawa_matches_reference(table: Table) -> None:
    """Wawa (probabilities, values, agreement shares) matches the loops."""
    _assert_agrees(_fit_quietly(Wawa(), table), ref.wawa(table), values="exact")


@given(tables(), st.integers(1, 5), st.sampled_from([(4.0, 1.0), (2.0, 0.5)]))
def test_ibcc_matches_reference(table: Table, n_iter: int, prior: tuple[float, float]) -> None:
    """IBCC (variational Bayes) agrees with the loop-and-dict EBCC reference
    with one subtype, to 1e-9."""
    diag, off = prior
    r = _fit_quietly(
        IBCC(max_iter=n_iter, tol=0, prior_diagonal=diag, prior_off_diagonal=off), table
    )
    k = len(set(table.claim_value.tolist()))
    split = [[[1.0] for _ in range(k)] for _ in range(table.n_objects)]
    prob, value, rel, _ = ref.ebcc(
        table, n_iter, split, class_prior=[1.0] * k, diagonal=diag, off_diagonal=off
    )
    _assert_agrees(r, (prob, value, rel), values="none")


@given(tables(), st.integers(1, 4), st.integers(1, 3), st.integers(0, 3), st.booleans())
def test_ebcc_matches_reference(
    table: Table, n_iter: int, m: int, seed: int, empirical: bool
) -> None:
    """EBCC agrees with its reference to 1e-9 from the same random start, and
    its ELBO with the reference's (which uses math.lgamma) to 1e-9."""
    model = EBCC(max_iter=n_iter, tol=0, n_subtypes=m, seed=seed, empirical_prior=empirical)
    r = _fit_quietly(model, table)
    k = len(set(table.claim_value.tolist()))
    split = start_split(seed, table.n_objects, k, m).tolist()
    prob, value, rel, elbo = ref.ebcc(
        table, n_iter, split, class_prior=None if empirical else [1.0] * k
    )
    _assert_agrees(r, (prob, value, rel), values="none")
    assert model.elbo_ is not None
    assert math.isclose(model.elbo_, elbo, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
@given(tables(), st.integers(1, 4), st.integers(1, 3))
def test_ebcc_with_a_label_nobody_gave_matches_reference(
    backend: str, table: Table, n_iter: int, m: int
) -> None:
    """On a label set with a label nobody gave, EBCC's empirical class prior
    is 0 for it: that class is impossible (its log prior -inf, no ELBO
    term), with no warning, on both backends, as in the reference. (The
    compiled fit once took the class's parameter as 0.1 - 10 x 0.01 =
    -1e-17, whose digamma is +7e16, and put every item in that class.)"""
    labels = sorted(set(table.claim_value.tolist()))
    wide = table.with_label_set([*labels, "zz-nobody"])
    model = EBCC(max_iter=n_iter, tol=0, n_subtypes=m, seed=0)
    with B.use_backend(backend), warnings.catch_warnings():
        warnings.simplefilter("error")
        r = model.fit_score(wide)
    split = start_split(0, wide.n_objects, len(labels) + 1, m).tolist()
    prob, value, rel, elbo = ref.ebcc(wide, n_iter, split, class_prior=None)
    _assert_agrees(r, (prob, value, rel), values="none")
    assert model.elbo_ is not None and math.isclose(model.elbo_, elbo, rel_tol=1e-9, abs_tol=1e-9)


@given(tables(), st.integers(1, 5), st.sampled_from([(15.0, 1.0, True), (2.0, 3.0, False)]))
def test_bwa_matches_reference(
    table: Table, n_iter: int, settings: tuple[float, float, bool]
) -> None:
    """BWA agrees with its loop-and-dict reference to 1e-9."""
    a, lam, corr = settings
    model = BWA(max_iter=n_iter, tol=0, precision_prior=a, item_prior=lam, prior_correction=corr)
    r = _fit_quietly(model, table)
    expected = ref.bwa(table, n_iter, precision_prior=a, item_prior=lam, prior_correction=corr)
    _assert_agrees(r, expected, values="none")


def _wide_table(n_labels: int, seed: int) -> Table:
    """Every label given at least once, 6 workers, 40 items."""
    rng = np.random.default_rng(seed)
    rows = [(f"s{s}", f"o{o}") for o in range(40) for s in rng.choice(6, 3, replace=False)]
    labels = [f"v{i:02d}" for i in rng.integers(0, n_labels, len(rows))]
    labels[:n_labels] = [f"v{i:02d}" for i in range(n_labels)]
    return Table.from_arrays([s for s, _ in rows], [o for _, o in rows], labels)


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_passes_for_any_width_match_references(seed: int) -> None:
    """The compiled VB and BWA passes have a loop per width up to
    credscore.kernels.bayes.MAX_FIXED_WIDTH and one for any width beyond;
    the tables of the other tests are narrow, so these are wide: IBCC and
    BWA on 18 labels, EBCC on 3 labels of 6 subtypes (18 columns)."""
    from credscore.kernels.bayes import MAX_FIXED_WIDTH

    assert MAX_FIXED_WIDTH < 18
    wide = _wide_table(18, seed)
    r = _fit_quietly(IBCC(max_iter=3, tol=0), wide)
    split = [[[1.0] for _ in range(18)] for _ in range(wide.n_objects)]
    prob, value, rel, _ = ref.ebcc(wide, 3, split, class_prior=[1.0] * 18)
    _assert_agrees(r, (prob, value, rel), values="none")
    model = BWA(max_iter=3, tol=0)
    _assert_agrees(_fit_quietly(model, wide), ref.bwa(wide, 3), values="none")
    narrow = _wide_table(3, seed)
    model = EBCC(max_iter=3, tol=0, n_subtypes=6, seed=seed)
    r = _fit_quietly(model, narrow)
    split = start_split(seed, narrow.n_objects, 3, 6).tolist()
    prob, value, rel, _ = ref.ebcc(narrow, 3, split, class_prior=None)
    _assert_agrees(r, (prob, value, rel), values="none")


def test_ebcc_with_one_subtype_is_ibcc() -> None:
    """With one subtype and the same class prior, EBCC's updates are IBCC's."""
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 60)
    rows = []
    for j in range(6):
        right = rng.random(60) < 0.5 + 0.08 * j
        noise = rng.integers(0, 3, 60)
        rows += [
            (f"w{j}", f"q{i}", int(t if ok else e))
            for i, (t, ok, e) in enumerate(zip(truth, right, noise))
        ]
    table = Table.from_rows(rows, numeric=False)
    a = _fit_quietly(IBCC(max_iter=30, tol=0), table)
    b = _fit_quietly(
        EBCC(max_iter=30, tol=0, n_subtypes=1, empirical_prior=False, class_prior=1.0), table
    )
    np.testing.assert_allclose(a.claim_probability, b.claim_probability, atol=1e-12)


def test_ebcc_restarts_keep_the_best_elbo() -> None:
    """n_restarts=4 keeps the fit of highest ELBO; the first restart is the
    single fit with the same seed, so the ELBO cannot be lower."""
    rng = np.random.default_rng(8)
    truth = rng.integers(0, 2, 80)
    rows = []
    for j in range(7):
        right = rng.random(80) < 0.55 + 0.05 * j
        rows += [
            (f"w{j}", i, int(t if ok else 1 - t)) for i, (t, ok) in enumerate(zip(truth, right))
        ]
    table = Table.from_rows(rows, numeric=False)
    one, four = EBCC(seed=11, tol=1e-8), EBCC(seed=11, n_restarts=4, tol=1e-8)
    _fit_quietly(one, table)
    _fit_quietly(four, table)
    assert one.elbo_ is not None and four.elbo_ is not None
    assert four.elbo_ >= one.elbo_ - 1e-9


@given(st.floats(1e-3, 1e4))
def test_digamma_and_gammaln_match_references(x: float) -> None:
    """The vectorised digamma matches the scalar reference, and gammaln
    matches math.lgamma, to 1e-12 relative (or absolute near 0)."""
    assert math.isclose(float(digamma(x)), ref.digamma(x), rel_tol=1e-12, abs_tol=1e-11)
    assert math.isclose(float(gammaln(x)), math.lgamma(x), rel_tol=1e-12, abs_tol=1e-11)


def test_digamma_known_values() -> None:
    """psi(n) = H_{n-1} - gamma and psi(n + 1/2) = -gamma - 2 ln 2 + sum 2/(2k - 1)."""
    gamma = 0.57721566490153286
    for n in range(1, 30):
        harmonic = sum(1.0 / i for i in range(1, n))
        assert math.isclose(float(digamma(n)), harmonic - gamma, abs_tol=1e-13)
        half = -gamma - 2 * math.log(2) + sum(2.0 / (2 * i - 1) for i in range(1, n))
        assert math.isclose(float(digamma(n - 0.5)), half, abs_tol=1e-13)
        assert math.isclose(ref.digamma(n - 0.5), half, abs_tol=1e-13)


@given(tables(numeric=True))
def test_mean_and_median_match_reference(table: Table) -> None:
    """Mean and median (values, closeness probabilities, reliabilities) match."""
    _assert_agrees(_fit_quietly(Mean(), table), ref.mean(table), values="numeric")
    _assert_agrees(_fit_quietly(Median(), table), ref.median(table), values="numeric")


# -- properties of every crowd model ----------------------------------------


@given(st.data())
def test_probabilities_are_finite_and_sum_to_one(data: st.DataObject) -> None:
    """Per object the claim probabilities are finite, in [0, 1] and sum to 1."""
    numeric = data.draw(st.booleans())
    name = data.draw(st.sampled_from(NUMERIC if numeric else CATEGORICAL + BAYESIAN))
    table = data.draw(tables(numeric=numeric))
    model = get_model(name) if name in ("mean", "median") else get_model(name, max_iter=20, tol=0)
    r = _fit_quietly(model, table)
    p = r.claim_probability
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p <= 1 + 1e-12)
    sums = np.bincount(table.claim_object, weights=p, minlength=table.n_objects)
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    assert np.all(np.isfinite(r.reliability))
    if numeric:
        assert np.all(np.isfinite(r.value.astype(np.float64)))


def _part(table: Table, lo: int, hi: int) -> Table:
    """Objects lo:hi of ``table`` as a partition with the global source index."""
    c0, c1 = int(table.object_start[lo]), int(table.object_start[hi])
    a0, a1 = np.searchsorted(table.claim, [c0, c1])
    return Table(
        source_ids=table.source_ids,
        object_ids=table.object_ids[lo:hi],
        claim_object=(table.claim_object[c0:c1] - lo).astype(np.int32),
        claim_value=table.claim_value[c0:c1],
        object_start=table.object_start[lo : hi + 1] - c0,
        source=table.source[a0:a1],
        claim=(table.claim[a0:a1] - c0).astype(np.int32),
        object=(table.object[a0:a1] - lo).astype(np.int32),
        numeric=table.numeric,
    )


@given(st.data())
def test_partitioned_fit_equals_in_memory_fit(data: st.DataObject) -> None:
    """Running partition_stats on object partitions and summing the statistics gives the
    in-memory result to 1e-9 (the map-reduce contract of credscore.dask)."""
    numeric = data.draw(st.booleans())
    name = data.draw(st.sampled_from(["crh", "catd"] if numeric else CATEGORICAL))
    table = data.draw(tables(numeric=numeric))
    cut = data.draw(st.integers(0, table.n_objects))
    model = get_model(name, max_iter=4, tol=0)
    assert isinstance(model, IterativeModel)
    whole = _fit_quietly(model, table)

    parts = [_part(table, 0, cut), _part(table, cut, table.n_objects)]
    parts = [p for p in parts if p.n_objects > 0]
    locals_: list[dict[str, Any]] = [{} for _ in parts]
    state = model.init_state(table)
    for _ in range(4):
        stats = combine_stats(
            [model.partition_stats(p, state, loc) for p, loc in zip(parts, locals_)],
            model.stat_reductions,
        )
        state = model.update_state(state, stats)
    prob = np.concatenate([model.claim_scores(p, state, loc)[0] for p, loc in zip(parts, locals_)])
    np.testing.assert_allclose(prob, whole.claim_probability, atol=1e-9)
    np.testing.assert_allclose(state["reliability"], whole.reliability, atol=1e-9)


@pytest.mark.parametrize("name", CATEGORICAL + BAYESIAN)
@pytest.mark.parametrize(
    "rows",
    [
        [("w1", "q1", "a")],  # one worker, one answer
        [("w1", "q1", "a"), ("w2", "q1", "a"), ("w1", "q2", "b"), ("w2", "q2", "b")],  # agree
        [("w1", "q1", "a"), ("w2", "q2", "b"), ("w3", "q3", "a")],  # one answer each
        [("w1", "q1", "a"), ("w2", "q1", "b")],  # an even split
    ],
)
def test_degenerate_tables_give_no_nan_and_no_warning(name: str, rows: list[Any]) -> None:
    """A worker with one answer, an object with one answer, all workers agreeing:
    finite probabilities summing to 1 and no warning, even after many iterations."""
    table = Table.from_rows(rows)
    r = _fit_quietly(get_model(name, max_iter=200, tol=0), table)
    assert np.all(np.isfinite(r.claim_probability)) and np.all(np.isfinite(r.reliability))
    sums = np.bincount(table.claim_object, weights=r.claim_probability)
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)


@pytest.mark.parametrize("name", NUMERIC)
def test_numeric_degenerate_tables(name: str) -> None:
    """Numeric models on one answer, on equal answers and on one source: no NaN."""
    for rows, expected in (
        ([("w1", "q1", 3.0)], [3.0]),
        ([("w1", "q1", 3.0), ("w2", "q1", 3.0)], [3.0]),
        ([("w1", "q1", 3.0), ("w1", "q2", 5.0)], [3.0, 5.0]),
    ):
        table = Table.from_rows(rows)
        model = get_model(name) if name in ("mean", "median") else get_model(name, tol=0)
        r = _fit_quietly(model, table)
        np.testing.assert_allclose(r.value.astype(np.float64), expected, rtol=1e-12)
        assert np.all(r.claim_probability == 1.0)


# -- behaviour on generated crowds with a known truth --------------------------


def _crowd(
    accuracy: list[float], n_items: int, seed: int, k: int = 2
) -> tuple[list[tuple[str, int, int]], list[int]]:
    """Every worker labels every item; worker j is right with probability accuracy[j],
    else picks one of the other labels at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items).tolist()
    rows = []
    for j, acc in enumerate(accuracy):
        for i, t in enumerate(truth):
            label = t if rng.random() < acc else int((t + rng.integers(1, k)) % k)
            rows.append((f"w{j}", i, label))
    return rows, truth


def _accuracy(r: Any, truth: list[int]) -> float:
    got = r.truths()
    return float(np.mean([got[i] == t for i, t in enumerate(truth)]))


@pytest.mark.parametrize(
    "model", [DawidSkene(max_iter=500), OneCoin(max_iter=500), GLAD(max_iter=500)]
)
def test_perfect_worker_gets_reliability_near_one(model: Any) -> None:
    """A worker who is always right is learned as (nearly) always right, and
    above every noisy worker."""
    rows, _ = _crowd([1.0, 0.7, 0.65, 0.6, 0.7], n_items=150, seed=3)
    r = _fit_quietly(model, Table.from_rows(rows, numeric=False))
    rel = r.reliabilities()
    assert rel["w0"] > 0.9
    assert all(rel["w0"] > rel[f"w{j}"] for j in range(1, 5))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adversarial_worker_does_not_flip_dawid_skene(seed: int) -> None:
    """Adding a worker who always gives the wrong label does not flip DS: its
    accuracy stays above 90% and does not drop."""
    rows, truth = _crowd([0.8, 0.75, 0.7, 0.8, 0.7], n_items=200, seed=seed)
    base = _fit_quietly(DawidSkene(max_iter=200), Table.from_rows(rows, numeric=False))
    liar = [("liar", i, 1 - t) for i, t in enumerate(truth)]
    more = _fit_quietly(DawidSkene(max_iter=200), Table.from_rows(rows + liar, numeric=False))
    assert _accuracy(more, truth) >= 0.9
    assert _accuracy(more, truth) >= _accuracy(base, truth) - 1e-12
    assert more.reliabilities()["liar"] < 0.05


def test_dawid_skene_beats_majority_with_many_poor_workers() -> None:
    """Three good workers against four near-random ones: DS learns whom to trust
    and recovers more of the truth than majority vote."""
    rows, truth = _crowd([0.9, 0.9, 0.85, 0.55, 0.55, 0.5, 0.55], n_items=300, seed=7)
    table = Table.from_rows(rows, numeric=False)
    ds = _fit_quietly(DawidSkene(max_iter=200), table)
    mv = get_model("majority").fit_score(table)
    assert _accuracy(ds, truth) > _accuracy(mv, truth) + 0.03


def test_crh_and_catd_downweight_an_outlier_source() -> None:
    """On numbers, a source far from the others gets the smallest weight and the
    estimate stays near the honest sources."""
    rng = np.random.default_rng(0)
    truth = rng.uniform(0, 100, 50)
    rows = []
    for j in range(4):
        rows += [(f"s{j}", i, float(t + rng.normal(0, 1))) for i, t in enumerate(truth)]
    rows += [("bad", i, float(t + 40)) for i, t in enumerate(truth)]
    table = Table.from_rows(rows)
    for model in (CRH(), CATD(), CRH(loss="absolute")):
        r = _fit_quietly(model, table)
        rel = r.reliabilities()
        assert rel["bad"] == min(rel.values())
        assert np.mean(np.abs(r.value - truth)) < 2.0


def test_mean_model_refuses_categorical_tables() -> None:
    """Mean and median accept numbers only, with an error naming the field."""
    table = Table.from_rows([("a", "x", "yes")])
    with pytest.raises(InvalidTableError, match="value"):
        Mean().fit(table)


@pytest.mark.parametrize(
    "make",
    [
        lambda: DawidSkene(smoothing=0),
        lambda: OneCoin(smoothing=-1),
        lambda: GLAD(prior_precision=0),
        lambda: GLAD(alpha_mean=float("nan")),
        lambda: CRH(loss="huber"),
        lambda: CRH(smoothing=0),
        lambda: CATD(smoothing=-0.1),
        lambda: CATD(alpha=1.5),
        lambda: DawidSkene(max_iter=0),
    ],
)
def test_bad_settings_are_rejected(make: Callable[[], Any]) -> None:
    """Out-of-range settings raise ValueError at construction."""
    with pytest.raises(ValueError):
        make()


# -- the chi-squared quantile of CATD ------------------------------------------


def test_chi2_quantile_matches_published_tables() -> None:
    """0.025 quantiles from standard chi-squared tables (1, 2, 5, 10, 30, 100 dof)."""
    expected = [0.000982, 0.0506, 0.831, 3.247, 16.791, 74.222]
    got = chi2_lower_quantile(0.025, [1, 2, 5, 10, 30, 100])
    np.testing.assert_allclose(got, expected, rtol=1e-3)


@given(st.integers(1, 3000), st.floats(1e-4, 0.49))
def test_chi2_quantile_inverts_the_gamma_cdf(dof: int, p: float) -> None:
    """P(chi2_dof <= q) = p at the computed quantile q (series evaluated in Python)."""
    q = float(chi2_lower_quantile(p, [dof])[0])
    assert math.isclose(ref.lower_gamma_regularized(dof / 2, q / 2), p, rel_tol=1e-9)


# -- real data (skipped when ../shared/data is absent) --------------------------


def _data_root() -> Path:
    env = os.environ.get("CREDSCORE_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize(
    ("dataset", "model", "bar"),
    [
        ("product", "dawid-skene", 0.935),
        ("sentiment", "dawid-skene", 0.959),
        ("relevance", "dawid-skene", 0.610),
        ("rte", "dawid-skene", 0.92),
        ("temp", "dawid-skene", 0.94),
    ],
)
def test_dawid_skene_reaches_published_accuracy(dataset: str, model: str, bar: float) -> None:
    """Dawid-Skene reaches the issue's accuracy bar on the crowd data sets."""
    datasets = pytest.importorskip("credscore.datasets")
    try:
        ds = datasets.load(dataset, root=_data_root())
    except datasets.DataNotFoundError:
        pytest.skip("data not present")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings at the default max_iter
        r = get_model(model).fit_score(ds.table)
    assert ds.evaluate(r)["accuracy"] >= bar


@pytest.mark.parametrize("model", ["mean", "crh"])
def test_emotion_mae_within_bar(model: str) -> None:
    """Mean (published 12.02) and CRH keep N_Emotion's MAE at or below 12.1."""
    datasets = pytest.importorskip("credscore.datasets")
    try:
        ds = datasets.load("emotion", root=_data_root())
    except datasets.DataNotFoundError:
        pytest.skip("data not present")
    r = _fit_quietly(get_model(model), ds.table)
    assert ds.evaluate(r)["mae"] <= 12.1


@given(st.data())
def test_renaming_sources_changes_nothing(data: st.DataObject) -> None:
    """Renaming sources (which reverses their order) leaves every claim's
    probability and every source's reliability unchanged, to 1e-9."""
    numeric = data.draw(st.booleans())
    names = NUMERIC if numeric else CATEGORICAL + BAYESIAN
    name = data.draw(st.sampled_from(names))
    table = data.draw(tables(numeric=numeric))
    src = table.source_ids[table.source]
    obj = table.object_ids[table.object]
    val = table.claim_value[table.claim]
    renamed = np.array([f"z{99 - int(s[1:])}" for s in src])
    other = Table.from_arrays(renamed, obj, val, numeric=numeric)

    def make() -> Any:
        return (
            get_model(name) if name in ("mean", "median") else get_model(name, max_iter=5, tol=0)
        )

    a = _fit_quietly(make(), table)
    b = _fit_quietly(make(), other)
    np.testing.assert_allclose(a.claim_probability, b.claim_probability, atol=1e-9)
    rel_b = b.reliabilities()
    for s, r in a.reliabilities().items():
        assert math.isclose(r, rel_b[f"z{99 - int(s[1:])}"], rel_tol=1e-9, abs_tol=1e-9)


def test_catd_does_not_trust_a_lucky_small_source() -> None:
    """A source with a single answer that happens to be exact gets less weight
    from CATD than every prolific honest source (the long-tail correction),
    while CRH, which only sees its zero loss, ranks it first."""
    rng = np.random.default_rng(5)
    truth = rng.uniform(0, 10, 40)
    rows = []
    for j in range(3):
        rows += [(f"s{j}", i, float(t + rng.normal(0, 1))) for i, t in enumerate(truth)]
    rows.append(("lucky", 0, float(truth[0])))
    table = Table.from_rows(rows)
    catd = _fit_quietly(CATD(), table).reliabilities()
    assert all(catd["lucky"] < catd[f"s{j}"] for j in range(3))
    crh = _fit_quietly(CRH(), table).reliabilities()
    assert crh["lucky"] == max(crh.values())


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("dawid-skene", {}),
        ("one-coin", {"candidates": "labels"}),
        ("glad", {"candidates": "labels"}),
    ],
)
def test_open_ended_values_are_refused_with_a_clear_error(
    name: str, settings: dict[str, Any]
) -> None:
    """A label-set model on thousands of distinct values says why, instead of
    trying to allocate an (objects x labels) matrix that cannot fit (one-coin
    and GLAD by default switch to per-object candidates instead)."""
    n = 24_000  # 12,000 objects x 24,000 labels: 2.3 GB of posteriors alone
    src = [f"s{i % 50}" for i in range(n)]
    obj = [f"o{i // 2}" for i in range(n)]
    val = [f"v{i}" for i in range(n)]  # every value distinct
    table = Table.from_arrays(src, obj, val)
    with pytest.raises(InvalidTableError, match="distinct values"):
        get_model(name, **settings).fit(table)


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba is not installed"
)
@given(tables(), st.integers(1, 6), st.sampled_from(["ibcc", "ebcc", "bwa"]), st.booleans())
def test_compiled_passes_match_numpy(
    table: Table, n_iter: int, name: str, with_gold: bool
) -> None:
    """The fused numba passes of IBCC, EBCC and BWA (credscore.kernels.bayes)
    give the numpy fits to 1e-12, with and without known objects."""
    from credscore.kernels import backend as B

    cls = {"ibcc": IBCC, "ebcc": EBCC, "bwa": BWA}[name]
    gold = None
    if with_gold:
        o = 0
        lo = int(table.object_start[o])
        gold = {table.object_ids[o]: table.claim_value[lo]}
    out = []
    for backend in ("numpy", "numba"):
        with B.use_backend(backend):
            out.append(_fit_quietly_gold(cls(max_iter=n_iter, tol=0), table, gold))
    np.testing.assert_allclose(out[0].claim_probability, out[1].claim_probability, atol=1e-12)
    np.testing.assert_allclose(out[0].reliability, out[1].reliability, atol=1e-12)


def _fit_quietly_gold(model: Any, table: Table, gold: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(table, gold=gold).result


@pytest.mark.parametrize("n_values", [5, 1001])
def test_auto_candidates_decide_on_the_distributed_start_as_on_the_table(n_values: int) -> None:
    """candidates='auto' decides from the distinct values and sources alone, so
    the start a distributed fit builds (start_stub) decides as the table does."""
    from credscore.models.base import start_stub

    rows = [(f"s{i % 7}", i // 2, f"v{i % n_values}") for i in range(2 * n_values)]
    t = Table.from_rows(rows)
    stub = start_stub(t.source_ids, np.unique(t.claim_value), numeric=False)
    for cls in (OneCoin, GLAD):
        want = cls().init_state(t)["per_object"]
        assert cls().init_state(stub)["per_object"] == want
        assert want == (n_values > 1000)


@pytest.mark.parametrize("cls", [DawidSkene, IBCC, EBCC, BWA, MACE])
def test_not_converged_warning_points_at_the_caller(cls: Any) -> None:
    """The ConvergenceWarning of a fit stopped at max_iter names the line that
    called fit, not a line inside credscore."""
    t = Table.from_rows(
        [("w1", "q1", "a"), ("w2", "q1", "b"), ("w3", "q1", "a"), ("w1", "q2", "b")]
    )
    with pytest.warns(ConvergenceWarning) as caught:
        cls(max_iter=1, tol=1e-12).fit(t)
    assert [Path(w.filename).name for w in caught] == [Path(__file__).name]


# -- EBCC's pruned pass (credscore.kernels.bayes.vb_pass with cols) -----------


def _pass_inputs(
    draw: st.DrawFn,
) -> tuple[Any, ...]:
    """A random fused-pass problem: objects with 1-8 answers, K classes of
    m subtypes, some subtypes' log prior weight far below the others'."""
    k = draw(st.integers(2, 4))
    m = draw(st.integers(2, 6))
    width = k * m  # above MAX_FIXED_WIDTH (16) the pass of any width is used
    n_rows = draw(st.integers(1, 6)) * k
    sizes = draw(st.lists(st.integers(1, 8), min_size=1, max_size=12))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    key = rng.integers(0, n_rows, sum(sizes)).astype(np.int64)
    bounds = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    block_obj = rng.permutation(len(sizes)).astype(np.int64)
    # factors in (0, 1]; some answers very unlikely under every column, so
    # that some objects' kept mass is small enough to be redone in full
    low = draw(st.sampled_from([-3.0, -12.0, -40.0]))
    e_log_v = rng.uniform(low, 0.0, (n_rows, width))
    log_prior = np.log(rng.dirichlet(np.ones(width)))
    n_drop = draw(st.integers(1, width - 1))
    drop = rng.choice(width, n_drop, replace=False)
    top = np.delete(log_prior, drop).max()
    log_prior[drop] = top + draw(st.sampled_from([-50.0, -75.0, -110.0, -300.0]))
    # some rows fit only the left-out columns: an object with enough of
    # them holds most of its mass there, and the pruned pass must see it
    odd = rng.random(n_rows) < draw(st.sampled_from([0.0, 0.3, 1.0]))
    kept = np.ones(width, dtype=bool)
    kept[drop] = False
    e_log_v[np.ix_(odd, kept)] += low
    e_log_v[np.ix_(odd, ~kept)] = 0.0
    return key, bounds, block_obj, e_log_v, log_prior, k, m


def _full_and_pruned_passes(
    key: Any,
    bounds: Any,
    block_obj: Any,
    e_log_v: Any,
    log_prior: Any,
    k: int,
    cols: Any,
    known: Any,
) -> list[tuple[Any, Any, Any, tuple[float, float]]]:
    """``(z, counts, q_sum, (delta, log_norm))`` of the full pass, then of the
    pass over ``cols``, each from a uniform ``z`` and unset sums."""
    from credscore.kernels.bayes import vb_pass

    width = log_prior.shape[0]
    out = []
    with B.use_backend("numba"):
        for use in (None, cols):
            z = np.full((block_obj.size, k), 1.0 / k)
            counts = np.full((e_log_v.shape[0], width), np.nan)
            q_sum = np.full(width, np.nan)
            got = vb_pass(
                key,
                bounds,
                block_obj,
                e_log_v,
                log_prior,
                k,
                z,
                counts,
                q_sum,
                cols=use,
                known=known,
            )
            assert got is not None
            out.append((z, counts, q_sum, got))
    return out


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba is not installed"
)
@given(st.data())
def test_pruned_vb_pass_matches_the_full_pass(data: st.DataObject) -> None:
    """The pass over EBCC's kept columns gives the full pass's class sums,
    column sums, counts and log normaliser (to 1e-12 of each object's mass),
    including for the objects it must redo over every column, and both give
    a plain numpy E-step's, known objects (held to their class) included."""
    from credscore.kernels.bayes import PRUNE_BELOW, kept_columns

    key, bounds, block_obj, e_log_v, log_prior, k, m = _pass_inputs(data.draw)
    width = k * m
    n_o = block_obj.size
    known = np.full(n_o, -1, dtype=np.int64)
    if data.draw(st.booleans()):
        rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
        known = np.where(rng.random(n_o) < 0.5, rng.integers(0, k, n_o), -1).astype(np.int64)
    cols = np.flatnonzero(np.exp(log_prior - log_prior.max()) >= PRUNE_BELOW).astype(np.int64)
    assert cols.size < width
    passes = _full_and_pruned_passes(key, bounds, block_obj, e_log_v, log_prior, k, cols, known)
    (z0, c0, s0, (d0, n0)), (z1, c1, s1, (d1, n1)) = passes
    np.testing.assert_allclose(z1, z0, rtol=0, atol=1e-12)
    # the result renormalises over the answered values: their classes' sums
    # must agree relatively, however small
    for b, (a0, a1) in enumerate(itertools.pairwise(bounds)):
        o = block_obj[b]
        for kk in set((key[a0:a1] % k).tolist()):
            if known[o] < 0 or kk == known[o]:
                assert z1[o, kk] == pytest.approx(z0[o, kk], rel=1e-9, abs=1e-290)
    np.testing.assert_allclose(c1, c0, rtol=0, atol=1e-12 * max(1, key.size))
    np.testing.assert_allclose(s1, s0, rtol=0, atol=1e-12 * n_o)
    assert abs(d1 - d0) <= 1e-12
    assert math.isclose(n1, n0, rel_tol=1e-12, abs_tol=1e-9)
    # the full pass against a plain numpy E-step, in log space
    score = np.stack(
        [log_prior + e_log_v[key[a:b]].sum(axis=0) for a, b in itertools.pairwise(bounds)]
    )
    held = known[block_obj]
    outside = (held[:, None] >= 0) & (np.arange(width)[None, :] // m != held[:, None])
    score[outside] = -np.inf
    top = score.max(axis=1, keepdims=True)
    norm = top[:, 0] + np.log(np.exp(score - top).sum(axis=1))
    q = np.exp(score - norm[:, None])
    np.testing.assert_allclose(z0[block_obj], q.reshape(-1, k, m).sum(axis=2), atol=1e-12)
    assert math.isclose(n0, float(norm.sum()), rel_tol=1e-12, abs_tol=1e-9)
    np.testing.assert_allclose(s0, q.sum(axis=0), atol=1e-12 * n_o)
    want = np.zeros_like(c0)
    for b, (a0, a1) in enumerate(itertools.pairwise(bounds)):
        np.add.at(want, key[a0:a1], q[b])
    np.testing.assert_allclose(c0, want, atol=1e-12 * max(1, key.size))
    # and the rule that chose the columns keeps these ones
    assert kept_columns(log_prior, m).tolist() in (cols.tolist(), list(range(width)))


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba is not installed"
)
def test_pruned_pass_redoes_a_known_object_whose_class_mass_was_left_out() -> None:
    """A known object of class 0 whose answers fit only class 0's left-out
    subtype: its kept columns hold e^-120 of the mass, the left-out one
    e^-60, so the pruned pass must redo it over every column."""

    log_prior = np.log(np.array([0.5, 1e-26, 0.3, 0.2]))  # class 0: 0, 1; class 1: 2, 3
    e_log_v = np.array([[-40.0, 0.0, -40.0, -40.0], [-1.0, -1.0, -0.5, -0.5]])
    key = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    bounds = np.array([0, 3, 5], dtype=np.int64)
    block_obj = np.array([0, 1], dtype=np.int64)
    known = np.array([0, -1], dtype=np.int64)
    cols = np.array([0, 2, 3], dtype=np.int64)
    passes = _full_and_pruned_passes(key, bounds, block_obj, e_log_v, log_prior, 2, cols, known)
    (z0, c0, s0, (_, n0)), (z1, c1, s1, (_, n1)) = passes
    assert z0[0].tolist() == [1.0, 0.0]
    assert s0[1] > 0.99  # the left-out subtype holds object 0
    np.testing.assert_allclose(z1, z0, atol=1e-12)
    np.testing.assert_allclose(c1, c0, atol=1e-12)
    np.testing.assert_allclose(s1, s0, atol=1e-12)
    assert math.isclose(n1, n0, rel_tol=1e-12)


@pytest.mark.parametrize("n_gold", [0, 40])
def test_ebcc_long_fit_with_emptied_subtypes_matches_numpy(n_gold: int) -> None:
    """Over 150 iterations most of EBCC's subtypes empty and the compiled fit
    runs the pruned pass; it still gives the numpy fit (every column, every
    iteration) to 1e-9, ELBO included, with and without known items."""
    pytest.importorskip("numba")
    import credscore.kernels.bayes as kb
    import credscore.models._bayes as bayes_module

    rng = np.random.default_rng(3)
    n_w, n_items, k = 12, 300, 3
    truth = rng.integers(0, k, n_items)
    acc = rng.uniform(0.5, 0.9, n_w)
    rows = []
    for i in range(n_items):
        for w in rng.choice(n_w, 4, replace=False):
            label = truth[i] if rng.random() < acc[w] else rng.integers(0, k)
            rows.append((f"w{w}", f"i{i}", f"l{label}"))
    table = Table.from_rows(rows, numeric=False)
    gold = {f"i{i}": f"l{truth[i]}" for i in range(n_gold)} or None
    widths: list[int] = []

    def spy(log_prior: Any, m: int = 1) -> Any:
        cols = kb.kept_columns(log_prior, m)
        widths.append(int(cols.size))
        return cols

    fits = []
    for backend in ("numpy", "numba"):
        model = EBCC(max_iter=150, tol=0, n_subtypes=6, seed=5)
        with B.use_backend(backend), pytest.MonkeyPatch.context() as mp:
            mp.setattr(bayes_module, "kept_columns", spy)
            fits.append((_fit_quietly_gold(model, table, gold), model.elbo_))
    assert widths and min(widths) < 0.6 * k * 6  # the pruned pass ran
    (r0, e0), (r1, e1) = fits
    np.testing.assert_allclose(r1.claim_probability, r0.claim_probability, atol=1e-9)
    np.testing.assert_allclose(r1.reliability, r0.reliability, atol=1e-9)
    assert e0 is not None and e1 is not None
    assert math.isclose(e1, e0, rel_tol=1e-9)


@pytest.mark.parametrize("restarts", [1, 3])
def test_ebcc_start_drawn_by_blocks_is_the_whole_start(restarts: int) -> None:
    """The compiled EBCC fit draws its random start a block of objects at a
    time (so that it never holds n_objects x K x M numbers); with blocks of
    7 objects the fit is the one from blocks larger than the table, restarts
    included (each draws its whole start before the next)."""
    pytest.importorskip("numba")
    import credscore.models._bayes as bayes_module

    rng = np.random.default_rng(8)
    rows = [(f"w{w}", f"i{i}", f"l{rng.integers(0, 3)}") for i in range(40) for w in range(3)]
    table = Table.from_rows(rows, numeric=False)
    out = []
    for block in (7, 10**6):
        model = EBCC(max_iter=15, tol=0, n_subtypes=3, seed=2, n_restarts=restarts)
        with B.use_backend("numba"), pytest.MonkeyPatch.context() as mp:
            mp.setattr(bayes_module, "START_BLOCK", block)
            out.append((_fit_quietly(model, table), model.elbo_))
    np.testing.assert_allclose(
        out[0][0].claim_probability, out[1][0].claim_probability, atol=1e-12
    )
    assert out[0][1] is not None and out[1][1] is not None
    assert math.isclose(out[0][1], out[1][1], rel_tol=1e-12)


def test_bwa_start_by_blocks_is_the_whole_start() -> None:
    """The compiled BWA fit computes its start's squared errors a block of
    assertions at a time; blocks of 5 give the fit of one block."""
    pytest.importorskip("numba")
    import credscore.models.bwa as bwa_module

    rng = np.random.default_rng(9)
    rows = [(f"w{w}", f"i{i}", f"l{rng.integers(0, 3)}") for i in range(30) for w in range(4)]
    table = Table.from_rows(rows, numeric=False)
    out = []
    for block in (5, 10**6):
        with B.use_backend("numba"), pytest.MonkeyPatch.context() as mp:
            mp.setattr(bwa_module, "_START_BLOCK", block)
            out.append(_fit_quietly(BWA(max_iter=10, tol=0), table))
    np.testing.assert_allclose(out[0].claim_probability, out[1].claim_probability, atol=1e-12)
    np.testing.assert_allclose(out[0].reliability, out[1].reliability, atol=1e-12)
