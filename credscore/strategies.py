"""Hypothesis strategies for credscore objects: sources, claims, reports, cases, tables.

Use them to test your own reliability functions, dependence functions and
scoring models against generated inputs, the way credscore tests its own::

    from hypothesis import given
    import credscore
    from credscore import strategies as cst

    @given(cst.cases())
    def test_my_weights_keep_probabilities_bounded(case):
        model = credscore.CorroborationModel(reliability=my_weights)
        for s in credscore.score(case, model=model):
            assert 0.0 <= s.probability <= 1.0

This module imports `Hypothesis <https://hypothesis.readthedocs.io>`_ when it
is imported; credscore itself does not need it. Install it with the ``test``
extra (``pip install credscore[test]``) before importing
``credscore.strategies``.

Generated cases are valid by construction: ids are unique, every report and
link names known ids, ``cites`` never forms a cycle (a source only cites
sources listed before it) and ``implies`` links form a DAG (a claim only
implies claims listed after it). Affiliation paths are drawn from a small
alphabet so that sources share groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from credscore.case.model import Case, Claim, Group, Link, Report, Source, Stance

__all__ = [
    "AFFILIATION_SEGMENTS",
    "STANCES",
    "TIMES",
    "affiliations",
    "cases",
    "claims",
    "reliabilities",
    "reports",
    "sources",
    "tables",
]

#: Segments of generated affiliation paths: few, so that groups are shared.
AFFILIATION_SEGMENTS: tuple[str, ...] = ("a", "b", "c")

#: Times of generated reports: few, so that reports tie and supersede each other.
TIMES: tuple[str, ...] = ("2024-12-01", "2024-12-16", "2024-12-16T12:00:00", "2024-12-20")

_KINDS = ("government", "press", "intelligence")

#: Stances of generated reports, weighted toward those that carry evidence.
STANCES: tuple[Stance, ...] = (
    Stance.CONFIRMS,
    Stance.CONFIRMS,
    Stance.CONFIRMS,
    Stance.DENIES,
    Stance.DENIES,
    Stance.OBSERVES,
    Stance.NO_COMMENT,
    Stance.RETRACTS,
)


def reliabilities() -> st.SearchStrategy[str | float | None]:
    """A source reliability: an Admiralty letter, a probability in (0, 1), or None.

    Returns
    -------
    SearchStrategy of str, float or None

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(reliabilities())
    ... def check(r):
    ...     assert r in (None, "A", "B", "C", "D", "E", "F") or 0 < r < 1
    >>> check()
    """
    return st.one_of(
        st.sampled_from(["A", "B", "C", "D", "E", "F"]),
        st.none(),
        st.floats(min_value=0.01, max_value=0.99),
    )


def affiliations(
    max_depth: int = 3, segments: Sequence[str] = AFFILIATION_SEGMENTS
) -> st.SearchStrategy[str | None]:
    """An affiliation path of depth 0 (None) to ``max_depth``, from ``segments``.

    Parameters
    ----------
    max_depth : int
        Most segments in a path.
    segments : sequence of str
        The alphabet of path segments.

    Returns
    -------
    SearchStrategy of str or None

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(affiliations(max_depth=2))
    ... def check(path):
    ...     assert path is None or path.count("/") <= 1
    >>> check()
    """
    seg = st.sampled_from(tuple(segments))
    return st.lists(seg, min_size=0, max_size=max_depth).map(
        lambda parts: "/".join(parts) if parts else None
    )


def sources(
    ids: st.SearchStrategy[str] | None = None,
    *,
    max_depth: int = 3,
    segments: Sequence[str] = AFFILIATION_SEGMENTS,
) -> st.SearchStrategy[Source]:
    """A :class:`~credscore.case.model.Source` with a reliability, kind and affiliation.

    Parameters
    ----------
    ids : strategy of str, optional
        Where the id comes from (default: ``"s0"`` to ``"s9"``).
    max_depth, segments
        See :func:`affiliations`.

    Returns
    -------
    SearchStrategy of Source

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(sources())
    ... def check(source):
    ...     assert source.groups[-1:] == (() if source.affiliation is None
    ...                                    else (source.affiliation,))
    >>> check()
    """
    id_st = ids if ids is not None else st.integers(0, 9).map(lambda i: f"s{i}")
    return st.builds(
        lambda i, rel, kind, aff: Source(i, reliability=rel, kind=kind, affiliation=aff),
        id_st,
        reliabilities(),
        st.none() | st.sampled_from(_KINDS),
        affiliations(max_depth, segments),
    )


def _prefixes(segments: Sequence[str]) -> st.SearchStrategy[str]:
    seg = st.sampled_from(tuple(segments))
    return st.lists(seg, min_size=1, max_size=2).map("/".join)


def claims(
    ids: st.SearchStrategy[str] | None = None,
    *,
    segments: Sequence[str] = AFFILIATION_SEGMENTS,
    interests: bool = True,
) -> st.SearchStrategy[Claim]:
    """A :class:`~credscore.case.model.Claim` with an optional prior and interests.

    Parameters
    ----------
    ids : strategy of str, optional
        Where the id comes from (default: ``"c0"`` to ``"c9"``).
    segments : sequence of str
        Alphabet of the ``benefits`` / ``harms`` prefixes (1 or 2 segments).
    interests : bool
        Draw ``benefits`` and ``harms``; False leaves them empty.

    Returns
    -------
    SearchStrategy of Claim

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(claims(interests=False))
    ... def check(claim):
    ...     assert claim.benefits == claim.harms == ()
    >>> check()
    """
    id_st = ids if ids is not None else st.integers(0, 9).map(lambda i: f"c{i}")
    prefixes = st.lists(_prefixes(segments), max_size=2, unique=True) if interests else st.just([])
    return st.builds(
        lambda i, prior, ben, harm: Claim(i, prior=prior, benefits=ben, harms=harm),
        id_st,
        st.none() | st.floats(min_value=0.05, max_value=0.95),
        prefixes,
        prefixes,
    )


def _weights() -> st.SearchStrategy[float]:
    return st.sampled_from([1.0, 1.0, 0.5]) | st.floats(min_value=0.05, max_value=1.0)


def reports(
    source_ids: Sequence[str],
    claim_ids: Sequence[str],
    *,
    stances: Sequence[Stance | str] = tuple(Stance),
    times: Sequence[str] | None = TIMES,
    cites: Sequence[str] = (),
) -> st.SearchStrategy[Report]:
    """A :class:`~credscore.case.model.Report` by one of ``source_ids`` on one of ``claim_ids``.

    Parameters
    ----------
    source_ids, claim_ids : sequence of str
        Ids to draw from (non-empty).
    stances : sequence of Stance or str
        Stances to draw from.
    times : sequence of str or None
        Times to draw from (or None: undated); ``None`` here means every report
        is undated.
    cites : sequence of str
        Sources a report may cite (a report never cites its own source). A
        single report cannot make a cycle; :func:`cases` keeps whole cases
        acyclic.

    Returns
    -------
    SearchStrategy of Report

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(reports(["gur", "pentagon"], ["nk-casualties"], stances=["confirms"]))
    ... def check(report):
    ...     assert report.claim == "nk-casualties" and report.stance.value == "confirms"
    >>> check()
    """
    time_st: st.SearchStrategy[str | None] = (
        st.none() | st.sampled_from(tuple(times)) if times else st.none()
    )

    @st.composite
    def build(draw: st.DrawFn) -> Report:
        src = draw(st.sampled_from(tuple(source_ids)))
        others = [c for c in cites if c != src]
        cited = draw(st.none() | st.sampled_from(others)) if others else None
        return Report(
            src,
            draw(st.sampled_from(tuple(claim_ids))),
            Stance(draw(st.sampled_from(tuple(stances)))),
            time=draw(time_st),
            cites=cited,
            weight=draw(_weights()),
        )

    return build()


@st.composite
def _cases(
    draw: st.DrawFn,
    *,
    min_sources: int,
    max_sources: int,
    min_claims: int,
    max_claims: int,
    max_reports: int,
    stances: tuple[Stance, ...],
    max_depth: int,
    segments: tuple[str, ...],
    groups: bool,
    interests: bool,
    times: bool,
    cites: bool,
    implies: bool,
    contradicts: bool,
    depends: bool,
    outcomes: bool,
) -> Case:
    n_s = draw(st.integers(min_sources, max_sources))
    n_c = draw(st.integers(min_claims, max_claims))
    src_ids = [f"s{i}" for i in range(n_s)]
    clm_ids = [f"c{i}" for i in range(n_c)]
    srcs = [
        Source(
            i,
            reliability=draw(reliabilities()),
            kind=draw(st.none() | st.sampled_from(_KINDS)),
            affiliation=draw(affiliations(max_depth, segments)),
        )
        for i in src_ids
    ]
    clms = [draw(claims(st.just(i), segments=segments, interests=interests)) for i in clm_ids]
    if outcomes:
        clms = [
            attrs.evolve(
                c,
                topic=draw(st.none() | st.sampled_from(["t0", "t1"])),
                resolved=(res := draw(st.none() | st.booleans())),
                resolved_at=None if res is None else draw(st.none() | st.sampled_from(TIMES)),
            )
            for c in clms
        ]

    decl: list[Group] = []
    if groups:
        present = sorted({g for s in srcs for g in s.groups})
        if present:
            chosen = draw(st.lists(st.sampled_from(present), unique=True, max_size=3))
            dep = st.sampled_from([0.0, 0.5, 0.8, 1.0]) | st.floats(0.0, 1.0)
            decl = [Group(g, draw(dep)) for g in chosen]

    links: list[Link] = []
    if n_c >= 2:
        pairs = [(i, j) for i in range(n_c) for j in range(i + 1, n_c)]
        if implies:
            for i, j in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=n_c)):
                links.append(Link("implies", clm_ids[i], clm_ids[j]))
        if contradicts:
            # a contradicts link between claims that share an implies-ancestor
            # could never hold and is refused by Case. Implies links run from a
            # lower to a higher index, so taking them by target index finishes
            # every claim's ancestors before they are passed on.
            anc = [{k} for k in range(n_c)]
            for lk in sorted(links, key=lambda x: int(x.target[1:])):
                anc[int(lk.target[1:])] |= anc[int(lk.source[1:])]
            free = [(i, j) for i, j in pairs if not anc[i] & anc[j]]
            if free:
                for i, j in draw(st.lists(st.sampled_from(free), unique=True, max_size=2)):
                    a, b = (i, j) if draw(st.booleans()) else (j, i)
                    links.append(Link("contradicts", clm_ids[a], clm_ids[b]))
    if depends and n_s >= 2:
        spairs = [(i, j) for i in range(n_s) for j in range(i + 1, n_s)]
        dep_r = st.sampled_from([0.5, 1.0]) | st.floats(0.0, 1.0)
        for i, j in draw(st.lists(st.sampled_from(spairs), unique=True, max_size=2)):
            links.append(Link("depends", src_ids[i], src_ids[j], dependence=draw(dep_r)))

    time_st: st.SearchStrategy[str | None] = (
        st.none() | st.sampled_from(TIMES) if times else st.none()
    )
    reps: list[Report] = []
    for _ in range(draw(st.integers(0, max_reports))):
        s = draw(st.integers(0, n_s - 1))
        cited = None
        if cites and s > 0 and draw(st.integers(0, 3)) == 0:
            # only sources listed earlier: no citation cycle can form
            cited = src_ids[draw(st.integers(0, s - 1))]
        reps.append(
            Report(
                src_ids[s],
                clm_ids[draw(st.integers(0, n_c - 1))],
                draw(st.sampled_from(stances)),
                time=draw(time_st),
                cites=cited,
                weight=draw(_weights()),
            )
        )
    return Case(srcs, clms, reps, groups=decl, links=links)


def cases(
    *,
    min_sources: int = 1,
    max_sources: int = 6,
    min_claims: int = 1,
    max_claims: int = 4,
    max_reports: int = 16,
    stances: Sequence[Stance | str] = STANCES,
    max_depth: int = 3,
    segments: Sequence[str] = AFFILIATION_SEGMENTS,
    groups: bool = True,
    interests: bool = True,
    times: bool = True,
    cites: bool = True,
    implies: bool = True,
    contradicts: bool = True,
    depends: bool = True,
    outcomes: bool = False,
) -> st.SearchStrategy[Case]:
    """A valid :class:`~credscore.case.model.Case`.

    Sources ``s0, s1, ...`` have affiliation paths of depth 0 to ``max_depth``
    over ``segments``; claims ``c0, c1, ...`` have optional priors and
    ``benefits`` / ``harms`` over the same alphabet. Optionally: declared group
    dependences, ``implies`` links (a DAG: ``ci`` implies only ``cj`` with
    ``j > i``), ``contradicts`` links, ``depends`` links between sources,
    report times (few distinct, so reports tie and supersede), ``cites`` (a
    source cites only sources listed before it, so there is no cycle) and
    weights.

    Parameters
    ----------
    min_sources, max_sources, min_claims, max_claims : int
        Size of the case (at least one source and one claim).
    max_reports : int
        Most reports (any number from 0).
    stances : sequence of Stance or str
        Stances reports are drawn from, uniformly (repeat one to weight it).
        Default :data:`STANCES`: every stance, confirmations and denials
        more often.
    max_depth, segments
        See :func:`affiliations`.
    groups, interests, times, cites, implies, contradicts, depends : bool
        Switch each feature off to generate simpler cases.
    outcomes : bool
        Also draw each claim's ``topic``, ``resolved`` and ``resolved_at``
        (for histories to learn from).

    Returns
    -------
    SearchStrategy of Case

    Examples
    --------
    Generated cases are meant for ``@given``::

        @given(cases(max_reports=30))
        def test_bounded(case):
            for s in credscore.score(case):
                assert 0 <= s.probability <= 1

    For instance, every generated case round-trips through the JSON format:

    >>> from hypothesis import given, settings
    >>> from credscore import Case
    >>> @settings(max_examples=10, database=None)
    ... @given(cases())
    ... def check(case):
    ...     assert Case.from_dict(case.to_dict()) == case
    >>> check()
    """
    if min_sources < 1 or min_claims < 1:
        raise ValueError("min_sources and min_claims must be at least 1")
    if max_sources < min_sources or max_claims < min_claims or max_reports < 0:
        raise ValueError("max_sources/max_claims must not be below their minimum")
    return _cases(
        min_sources=min_sources,
        max_sources=max_sources,
        min_claims=min_claims,
        max_claims=max_claims,
        max_reports=max_reports,
        stances=tuple(Stance(s) for s in stances),
        max_depth=max_depth,
        segments=tuple(segments),
        groups=groups,
        interests=interests,
        times=times,
        cites=cites,
        implies=implies,
        contradicts=contradicts,
        depends=depends,
        outcomes=outcomes,
    )


TableArrays = tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]


@st.composite
def _tables(
    draw: st.DrawFn,
    *,
    max_sources: int,
    max_objects: int,
    max_values: int,
    max_rows: int,
    numeric: bool,
) -> TableArrays:
    n = draw(st.integers(1, max_rows))
    src = draw(st.lists(st.integers(0, max_sources - 1), min_size=n, max_size=n))
    obj = draw(st.lists(st.integers(0, max_objects - 1), min_size=n, max_size=n))
    val = draw(st.lists(st.integers(0, max_values - 1), min_size=n, max_size=n))
    source = np.array([f"s{i}" for i in src], dtype=object)
    objects = np.array([f"o{i}" for i in obj], dtype=object)
    if numeric:
        values: npt.NDArray[Any] = np.array(val, dtype=np.float64) * 1.5
    else:
        values = np.array([f"v{i}" for i in val], dtype=object)
    return source, objects, values


def tables(
    *,
    max_sources: int = 6,
    max_objects: int = 5,
    max_values: int = 3,
    max_rows: int = 30,
    numeric: bool = False,
) -> st.SearchStrategy[TableArrays]:
    """Parallel ``(source, object, value)`` arrays for :meth:`credscore.Table.from_arrays`.

    Sources are ``"s0"``..., objects ``"o0"``...; values are labels
    ``"v0"``... or, with ``numeric=True``, floats (multiples of 1.5). A source
    may give several values for one object (the table keeps the last).

    Parameters
    ----------
    max_sources, max_objects, max_values, max_rows : int
        Sizes (at least one row).
    numeric : bool
        Numeric values instead of labels.

    Returns
    -------
    SearchStrategy of (ndarray, ndarray, ndarray)

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from credscore import Table
    >>> @settings(max_examples=10, database=None)
    ... @given(tables(max_objects=3))
    ... def check(arrays):
    ...     assert Table.from_arrays(*arrays).n_objects <= 3
    >>> check()
    """
    for name, v in (
        ("max_sources", max_sources),
        ("max_objects", max_objects),
        ("max_values", max_values),
        ("max_rows", max_rows),
    ):
        if v < 1:
            raise ValueError(f"{name} must be at least 1, got {v!r}")
    return _tables(
        max_sources=max_sources,
        max_objects=max_objects,
        max_values=max_values,
        max_rows=max_rows,
        numeric=numeric,
    )
