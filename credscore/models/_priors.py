r"""Prior knowledge about sources: learned reliability priors per group, declared copiers.

Two pieces of knowledge a table may come with, known before any fitting and
independent of any gold standard, used by
:class:`~credscore.models.Corroboration` (``prior_groups=``, ``copiers=``):

*Group priors* (empirical Bayes). A label per source saying what kind of
source it is -- an anonymous editor, a registered editor or a bot; a web
site's domain; a crowd worker's channel. Each group's mean reliability is
learned from the pooled statistics of its members, and each source's own
estimate is shrunk toward its group's mean instead of toward a fixed
default, so a source with few assertions gets its group's reliability. This
is the hierarchical prior of Bayesian truth discovery (Zhao et al. 2012 give
source reliabilities Beta priors) with the prior's mean estimated per group
from the data; Pasternack and Roth (2013) likewise let source features
inform trust.

*Declared copiers*. Some sources are known to re-publish values they find
-- a Wikipedia bot re-saves the page it edits, value and all; an aggregator
re-posts other sites' listings. After Dong, Berti-Equille and Srivastava
(2009), a copier copies a value with probability ``c`` (the copy rate) and
otherwise judges independently. Where another source gives the same value
as a declared copier, the copier's confirmation is therefore worth only

.. math::

    \ell_c = \ln \frac{c + (1 - c) P_t}{c + (1 - c) P_f}, \qquad
    P_t = \rho + (1 - \rho) a, \quad P_f = (1 - \rho) a,

instead of :math:`\ln (P_t / P_f)`: with probability ``c`` it says the value
whether or not the value is true. Where no other source gives its value it
cannot have copied it from them, and its confirmation counts in full. As in
Dong et al., copying discounts votes only: a copier's reliability is still
learned from every value it provides, copied or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.errors import InvalidTableError
from credscore.semantics import llr
from credscore.table.table import Table

__all__ = [
    "copied_llr",
    "copier_rates",
    "group_index",
    "group_shrinkage",
    "shared_claim",
    "source_mapping_ids",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def source_mapping_ids(table: Table, groups: Any, field: str) -> list[Any]:
    """The table's source ids, once ``groups`` is checked to be a mapping of them.

    Raises
    ------
    TypeError
        When ``groups`` is not a mapping.
    InvalidTableError
        When it names a source that is not in the table (the message names
        ``field`` and the source).

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", 1), ("b", "x", 2)])
    >>> source_mapping_ids(t, {"b": "bots"}, "prior_groups")
    ['a', 'b']
    """
    if not isinstance(groups, Mapping):
        raise TypeError(f"{field}: expected a mapping of source id to group, got {groups!r}")
    ids: list[Any] = table.source_ids.tolist()
    known = set(ids)
    for sid in groups:
        if sid not in known:
            raise InvalidTableError(f"{field}: source {sid!r} is not in the table")
    return ids


def group_index(table: Table, groups: Mapping[Any, Any]) -> tuple[IntArray, list[Any]]:
    """The prior group of each source of ``table``, from ``{source_id: label}``.

    Parameters
    ----------
    table : Table
    groups : mapping
        Group label of each source; sources missing from it belong to no
        group (index -1). Labels are any hashable values.

    Returns
    -------
    index : ndarray of shape (n_sources,)
        Group number of each source, in ``0 .. n_groups - 1`` (groups
        numbered by the sorted ``repr`` of their labels), -1 for none.
    labels : list
        The label of each group number.

    Raises
    ------
    TypeError
        When ``groups`` is not a mapping.
    InvalidTableError
        When it names a source that is not in the table.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("ip1", "x", 1), ("bob", "x", 2), ("ip2", "y", 3)])
    >>> idx, labels = group_index(t, {"ip1": "anonymous", "ip2": "anonymous"})
    >>> dict(zip(t.source_ids.tolist(), idx.tolist())), labels
    ({'bob': -1, 'ip1': 0, 'ip2': 0}, ['anonymous'])
    """
    ids = source_mapping_ids(table, groups, "prior_groups")
    by_repr = {repr(v): v for v in groups.values()}
    keys = sorted(by_repr)
    number = {k: n for n, k in enumerate(keys)}
    index = np.array(
        [number[repr(groups[sid])] if sid in groups else -1 for sid in ids], dtype=np.int64
    )
    return index, [by_repr[k] for k in keys]


def group_shrinkage(
    num: FloatArray,
    den: FloatArray,
    group: IntArray,
    n_groups: int,
    mean: float,
    strength: float,
) -> tuple[FloatArray, FloatArray]:
    """Per-source estimates shrunk toward their group's learned mean.

    A source's estimate is a ratio ``num / den`` of sufficient statistics
    (say, expected correct answers over answers) with a Beta-like prior of
    mean ``m`` and weight ``strength``: ``(num + strength m) / (den +
    strength)``. Here ``m`` is learned per group from its members' pooled
    statistics, itself with the fixed prior (``mean``, ``strength``):

    .. math::

        m_g = \\frac{\\sum_{s \\in g} num_s + strength \\cdot mean}
                   {\\sum_{s \\in g} den_s + strength}, \\qquad
        \\hat\\theta_s = \\frac{num_s + strength \\cdot m_{g(s)}}{den_s + strength}.

    Sources in no group (index -1) keep the fixed prior mean ``mean``.

    Parameters
    ----------
    num, den : ndarray of shape (n_sources,)
    group : ndarray of shape (n_sources,)
        Group of each source, -1 for none (see :func:`group_index`).
    n_groups : int
    mean : float
        Fixed prior mean (the hyper-prior of the group means).
    strength : float
        Prior weight, in units of ``den``.

    Returns
    -------
    estimate : ndarray of shape (n_sources,)
    group_mean : ndarray of shape (n_groups,)

    Examples
    --------
    >>> import numpy as np
    >>> num = np.array([9.0, 0.0, 1.0, 1.0])
    >>> den = np.array([10.0, 1.0, 1.0, 1.0])
    >>> est, m = group_shrinkage(num, den, np.array([0, 0, 1, -1]), 2, 0.5, 2.0)
    >>> m.round(3).tolist(), est.round(3).tolist()
    ([0.769, 0.667], [0.878, 0.513, 0.778, 0.667])
    """
    ok = group >= 0
    g = np.where(ok, group, 0)
    num_g = np.bincount(g[ok], weights=num[ok], minlength=n_groups)
    den_g = np.bincount(g[ok], weights=den[ok], minlength=n_groups)
    group_mean: FloatArray = (num_g + strength * mean) / (den_g + strength)
    prior = np.where(ok, group_mean[g] if n_groups else mean, mean)
    estimate: FloatArray = (num + strength * prior) / (den + strength)
    return estimate, group_mean


def copier_rates(
    table: Table, copiers: Mapping[Any, float] | Iterable[Any], rate: float
) -> FloatArray:
    """The copy rate of each source of ``table``: 0 for sources not declared copiers.

    Parameters
    ----------
    table : Table
    copiers : mapping or iterable
        ``{source_id: copy rate}``, or source ids that all copy with ``rate``.
    rate : float
        Copy rate of the sources given without one, in [0, 1).

    Returns
    -------
    ndarray of shape (n_sources,)

    Raises
    ------
    InvalidTableError
        When a source is not in the table.
    ValueError
        When a rate is not a number in [0, 1).

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("bot", "x", "1"), ("ann", "x", "1"), ("bob", "x", "2")])
    >>> copier_rates(t, ["bot"], 0.8).tolist()
    [0.0, 0.0, 0.8]
    >>> copier_rates(t, {"bot": 0.5}, 0.8).tolist()
    [0.0, 0.0, 0.5]
    """
    if isinstance(copiers, (str, bytes)):
        raise TypeError(f"copiers: expected source ids or a mapping, got {copiers!r}")
    given = dict(copiers) if isinstance(copiers, Mapping) else dict.fromkeys(copiers, rate)
    index = {sid: n for n, sid in enumerate(table.source_ids.tolist())}
    out = np.zeros(table.n_sources)
    for sid, c in given.items():
        if sid not in index:
            raise InvalidTableError(f"copiers: source {sid!r} is not in the table")
        ok = isinstance(c, (int, float, np.floating)) and not isinstance(c, bool)
        if not (ok and 0.0 <= c < 1.0):
            raise ValueError(f"copiers: copy rate of source {sid!r} must be in [0, 1), got {c!r}")
        out[index[sid]] = float(c)
    return out


def shared_claim(table: Table) -> npt.NDArray[np.bool_]:
    """For each assertion, whether another source asserts the same claim.

    Examples
    --------
    >>> from credscore.table.table import Table
    >>> t = Table.from_rows([("a", "x", "1"), ("b", "x", "1"), ("c", "x", "2")])
    >>> shared_claim(t).tolist()
    [True, True, False]
    """
    per_claim = np.bincount(table.claim, minlength=table.n_claims)
    out: npt.NDArray[np.bool_] = per_claim[table.claim] > 1
    return out


def copied_llr(rho: FloatArray, a: FloatArray, c: FloatArray) -> FloatArray:
    """Log-likelihood ratio of a confirmation that was copied with probability ``c``.

    ``ln[(c + (1 - c) P_t) / (c + (1 - c) P_f)]`` with ``P_t = rho + (1 - rho) a``
    and ``P_f = (1 - rho) a``; for ``c = 0`` it is
    :func:`~credscore.models.corroboration.confirmation_llr`. A reliability
    below 0 (worse than chance) keeps ``P_t`` at least ``1e-12 P_f``, as
    there.

    Parameters
    ----------
    rho : ndarray
        Reliability of the confirming source, below 1.
    a : ndarray
        Probability, in (0, 1], that it would say the value anyway if false.
    c : ndarray
        Probability, in [0, 1), that it copied the value.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> copied_llr(np.array([0.9, 0.9, 0.9]), np.full(3, 0.5), np.array([0.0, 0.5, 0.8])).round(4)
    array([2.9444, 0.619 , 0.2007])
    """
    return llr(np.minimum(rho, 1.0 - 1e-9), a, copied=c)
