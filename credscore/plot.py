"""Pictures of what the numbers say (the ``plot`` extra: matplotlib).

Every function returns a :class:`matplotlib.figure.Figure` and takes an
optional ``ax`` to draw into; without one it makes its own figure, without
pyplot (so it works in scripts, on servers and in notebooks alike).

- :func:`reliability_diagram`: stated probabilities against how often they came
  true (calibration).
- :func:`timeline`: one claim's probability and interval over time, with each
  report marked where it arrived.
- :func:`dependence_graph`: who said what about one claim, and which of them
  are not independent.
- :func:`source_reliability`: the learned reliability of the sources of a fused
  table.

Examples
--------
>>> import pytest; _ = pytest.importorskip("matplotlib")
>>> import credscore, credscore.plot
>>> fig = credscore.plot.timeline(credscore.examples.kursk(), "nk-casualties")
>>> fig.axes[0].get_ylabel()
'probability'
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from credscore._optional import require
from credscore.case.model import Case
from credscore.case.parts import parse_time
from credscore.case.registry import ScoringModel, score
from credscore.case.result import ClaimScore, Scores
from credscore.errors import CredscoreWarning
from credscore.metrics import brier, calibration_bins, expected_calibration_error, log_loss
from credscore.models.base import FusionResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["dependence_graph", "reliability_diagram", "source_reliability", "timeline"]

#: The colour of each stance, in every picture.
STANCE_COLOURS: dict[str, str] = {
    "confirms": "#1b9e77",
    "denies": "#d95f02",
    "retracts": "#e7298a",
    "observes": "#7570b3",
    "no_comment": "#999999",
}


def _axes(ax: Axes | None, what: str, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure and axes to draw into: ``ax``'s, or a new figure's."""
    require("matplotlib", what)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if ax is None:
        new = Figure(figsize=size, layout="constrained")
        return new, new.add_subplot()

    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    fig: Any = ax.figure
    while not isinstance(fig, Figure):  # a SubFigure: its root figure
        fig = fig.figure
    return fig, ax


def _claim_scores(case: Case, claim_id: str, model: ScoringModel | str | None) -> Scores:
    if not isinstance(case, Case):
        raise TypeError(f"case: expected a credscore.Case, got {type(case).__name__}")
    if not isinstance(claim_id, str):
        raise TypeError(f"claim_id: expected a string, got {type(claim_id).__name__}")
    scores = score(case, model)
    if claim_id not in scores:
        known = ", ".join(scores.claim_ids[:10])
        more = ", ..." if len(scores) > 10 else ""
        raise KeyError(f"claim_id: no claim {claim_id!r} in the case; claims: {known}{more}")
    return scores


# -- calibration ------------------------------------------------------------------


def reliability_diagram(
    probabilities: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    *,
    n_bins: int = 10,
    strategy: str = "uniform",
    label: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Stated probabilities against how often they came true.

    The predictions are cut into ``n_bins`` bins (as
    :func:`credscore.metrics.expected_calibration_error`); each bin is a
    point at its mean probability and the share of its outcomes that were
    true, sized by how many predictions it holds. A calibrated forecaster's
    points lie on the diagonal. The legend gives the ECE, Brier score and log
    loss; a strip along the bottom shows where the probabilities fall.

    Parameters
    ----------
    probabilities : array-like of float in [0, 1]
    outcomes : array-like of 0/1 or bool
        Whether each prediction came true.
    n_bins : int
    strategy : {"uniform", "quantile"}
        Bins of equal width, or of equal size.
    label : str, optional
        Name of the forecaster, for the legend (draw several into one ``ax``
        to compare them).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MetricInputError
        The inputs differ in length, or are not probabilities and 0/1 outcomes.

    References
    ----------
    A. H. Murphy and R. L. Winkler, "Reliability of subjective probability
    forecasts of precipitation and temperature", *Applied Statistics* 26(1),
    1977.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> fig = reliability_diagram([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 1], n_bins=2)
    >>> fig.axes[0].get_xlabel()
    'stated probability'
    """
    # the metrics check the inputs and name them
    ece = expected_calibration_error(probabilities, outcomes, n_bins=n_bins, strategy=strategy)  # type: ignore[arg-type]
    b = brier(probabilities, outcomes)  # type: ignore[arg-type]
    ll = log_loss(probabilities, outcomes)  # type: ignore[arg-type]
    p = np.asarray(probabilities, dtype=float).ravel()
    fig, ax = _axes(ax, "credscore.plot.reliability_diagram()", (5.0, 5.0))
    mean_p, share, count = calibration_bins(probabilities, outcomes, n_bins, strategy)  # type: ignore[arg-type]
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="calibrated")
    name = f"{label}: " if label else ""
    (line,) = ax.plot(
        mean_p,
        share,
        marker="o",
        label=f"{name}ECE {ece:.3f}, Brier {b:.3f}, log loss {ll:.3f} (n={p.size:,})",
    )
    sizes = 20 + 180 * count / count.max()
    ax.scatter(mean_p, share, s=sizes, color=line.get_color(), alpha=0.35, zorder=3)
    # where the probabilities fall: a rug along the bottom
    ax.plot(p, np.full(p.size, -0.03), "|", color=line.get_color(), alpha=0.3, markersize=6)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.06, 1.02)
    ax.set_xlabel("stated probability")
    ax.set_ylabel("share that came true")
    ax.set_title("Reliability diagram")
    ax.legend(loc="upper left", fontsize="small")
    return fig


# -- one claim over time ----------------------------------------------------------


def _day(t: datetime) -> float:
    """A time as matplotlib's date number (days since its date epoch)."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(t))  # type: ignore[no-untyped-call]


def _related_reports(case: Case, claim: ClaimScore) -> list[tuple[datetime | None, str, str, str]]:
    """(time, source, claim, stance) of every report that bears on ``claim``:
    its own and those reaching it through links."""
    pairs = {(c.source, c.claim) for c in claim.contributions}
    out = []
    for r in case.reports:
        if r.claim == claim.id or (r.source, r.claim) in pairs:
            t = None if r.time is None else parse_time(r.time)
            out.append((t, r.source, r.claim, r.stance.value))
    return out


def timeline(
    case: Case,
    claim_id: str,
    *,
    model: ScoringModel | str | None = None,
    max_points: int = 200,
    ax: Axes | None = None,
) -> Figure:
    """A claim's probability and interval over time.

    The case is scored ``as_of`` each time a report bearing on the claim
    arrived (its own reports and those reaching it through ``implies`` or
    ``contradicts`` links); the line steps at each of them, from the prior
    before the first. Each report is marked at its time, coloured by stance
    and labelled with its source. Reports without a time count only in the
    whole-case score, drawn as the last point ("all reports").

    Parameters
    ----------
    case : Case
    claim_id : str
    model : ScoringModel or str, optional
        As :func:`credscore.score`.
    max_points : int
        At most this many times are scored; with more distinct report times,
        evenly spaced ones among them are (the last always).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        No claim ``claim_id`` in the case.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import credscore
    >>> fig = timeline(credscore.examples.kursk(), "nk-casualties")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
    ['probability', '80% interval']
    """
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise ValueError(f"max_points: expected a positive integer, got {max_points!r}")
    scores = _claim_scores(case, claim_id, model)
    whole = scores[claim_id]
    reports = _related_reports(case, whole)
    times = sorted({t for t, *_ in reports if t is not None})
    if len(times) > max_points:
        pick = np.unique(np.linspace(0, len(times) - 1, max_points).round().astype(int))
        times = [times[i] for i in pick]
    points: list[ClaimScore] = []
    with warnings.catch_warnings():
        # untimed reports are left out of an as_of reading: the picture says so
        warnings.simplefilter("ignore", CredscoreWarning)
        for t in times:
            points.append(score(case, model, as_of=t)[claim_id])
    fig, ax = _axes(ax, "credscore.plot.timeline()", (7.5, 4.0))
    import matplotlib.dates as mdates

    prior = float(scores.prior[scores.compiled.claim_index[claim_id]])
    # matplotlib's date numbers: days, as floats
    days = [_day(t) for t in times]
    pad = max((days[-1] - days[0]) * 0.15, 1.0) if days else 1.0
    start = days[0] - pad if days else 0.0
    end = days[-1] + pad if days else 0.0
    x_all = end + pad * 0.5  # the whole-case point, right of the timed ones
    xs = [start, *days, end]
    ps = [prior, *(c.probability for c in points)]
    lo = [prior, *(c.interval[0] for c in points)]
    hi = [prior, *(c.interval[1] for c in points)]
    ps.append(ps[-1])
    lo.append(lo[-1])
    hi.append(hi[-1])
    level = round(100 * scores.interval)
    if days:
        ax.step(xs, ps, where="post", color="C0", linewidth=2, label="probability")
        ax.fill_between(xs, lo, hi, step="post", color="C0", alpha=0.2, label=f"{level}% interval")
    untimed = [r for r in reports if r[0] is None]
    if untimed or not points or not math.isclose(points[-1].probability, whole.probability):
        err = [[whole.probability - whole.interval[0]], [whole.interval[1] - whole.probability]]
        ax.errorbar(
            [x_all],
            [whole.probability],
            yerr=err,
            fmt="D",
            color="C0",
            capsize=4,
            label="all reports" + (f" (+{len(untimed)} untimed)" if untimed else ""),
        )
        if days:
            ax.axvline(end, color="0.85", linewidth=1)
    # each report where it arrived: stacked along the bottom
    stack: dict[float, int] = {}
    labelled: set[str] = set()
    for when, src, cl, stance in sorted(
        reports, key=lambda r: (r[0] is None, r[0] or datetime.min)
    ):
        x = x_all if when is None else _day(when)
        k = stack.get(x, 0)
        stack[x] = k + 1
        y = 0.04 + 0.07 * k
        name = stance.replace("_", " ")
        ax.scatter(
            [x],
            [y],
            marker="v" if stance in ("denies", "retracts") else "^",
            color=STANCE_COLOURS[stance],
            edgecolor="black",
            linewidth=0.5,
            s=45,
            zorder=4,
            label=None if name in labelled else name,
        )
        labelled.add(name)
        text = src if cl == claim_id else f"{src} (on {cl})"
        ax.annotate(text, (x, y), xytext=(5, -3), textcoords="offset points", fontsize=7)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("probability")
    ax.set_title(f"{claim_id}: {whole.probability:.2f} now, grade {whole.grade}")
    ax.legend(loc="upper left", fontsize="small")
    if days:
        locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    else:
        ax.set_xticks([x_all], ["all reports (none timed)"])
    return fig


# -- who said what, and who depends on whom ----------------------------------------


def _group_dependence(scores: Scores) -> dict[str, float]:
    """Each group's dependence as the model used it; only the declared ones
    when the model did not say (a custom model that passes none)."""
    if scores.dependence is not None:
        return scores.group_dependence()
    cc = scores.compiled
    return {
        cc.group_ids[g]: float(cc.group_dependence[g])
        for g in range(cc.n_groups)
        if not math.isnan(cc.group_dependence[g])
    }


def dependence_graph(
    case: Case,
    claim_id: str,
    *,
    model: ScoringModel | str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Who said what about a claim, and which of them are not independent.

    The claim is at the centre, claims linked to it (whose reports reach it
    through ``implies`` or ``contradicts``) around it, and every source whose
    report bears on it on a ring outside, ordered by affiliation. Each report
    is an edge from its source, coloured by stance, as wide as its effect on
    the claim's log-odds after pooling (a thin line: no effect). Arcs outside
    the ring are the affiliation groups that pool two or more of them,
    labelled with their dependence (groups with dependence 0 are left out); dashed arrows are citations,
    dotted lines declared ``depends`` links.

    Parameters
    ----------
    case : Case
    claim_id : str
    model : ScoringModel or str, optional
        As :func:`credscore.score`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        No claim ``claim_id`` in the case.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import credscore
    >>> fig = dependence_graph(credscore.examples.kursk(), "nk-casualties")
    >>> fig.axes[0].get_title()
    'nk-casualties: who said what'
    """
    scores = _claim_scores(case, claim_id, model)
    whole = scores[claim_id]
    fig, ax = _axes(ax, "credscore.plot.dependence_graph()", (7.5, 7.5))
    from matplotlib.patches import Arc, FancyArrowPatch

    sources_by_id = {s.id: s for s in case.sources}
    edges = [(c.source, c.claim, c.stance, c.effect) for c in whole.contributions]
    reported = {s for s, *_ in edges}
    cited = {
        r.cites
        for r in case.reports
        if r.cites is not None and (r.source, r.claim) in {(s, c) for s, c, *_ in edges}
    }
    shown = sorted(
        reported | cited,
        key=lambda s: (
            sources_by_id[s].affiliation is None,
            sources_by_id[s].affiliation or "",
            s,
        ),
    )
    claims = [claim_id, *sorted({c for _, c, *_ in edges} - {claim_id})]
    pos: dict[tuple[str, str], tuple[float, float]] = {("claim", claim_id): (0.0, 0.0)}
    for i, c in enumerate(claims[1:]):
        a = 2 * math.pi * i / max(len(claims) - 1, 1) + math.pi / 2
        pos[("claim", c)] = (0.55 * math.cos(a), 0.55 * math.sin(a))
    angle: dict[str, float] = {}
    for i, s in enumerate(shown):
        a = 2 * math.pi * i / max(len(shown), 1) + math.pi / 2
        angle[s] = a
        pos[("source", s)] = (math.cos(a), math.sin(a))

    def arrow(a: tuple[float, float], b: tuple[float, float], **kw: Any) -> None:
        ax.add_patch(FancyArrowPatch(a, b, shrinkA=14, shrinkB=14, mutation_scale=10, **kw))

    # links between the claims shown
    for link in case.links:
        ka, kb = ("claim", link.source), ("claim", link.target)
        if link.kind != "depends" and ka in pos and kb in pos:
            arrow(pos[ka], pos[kb], arrowstyle="-|>", color="0.4", linewidth=1)
            mx, my = (pos[ka][0] + pos[kb][0]) / 2, (pos[ka][1] + pos[kb][1]) / 2
            ax.annotate(link.kind, (mx, my), fontsize=7, color="0.4", ha="center")
        elif link.kind == "depends" and link.source in angle and link.target in angle:
            pa, pb = pos[("source", link.source)], pos[("source", link.target)]
            ax.plot([pa[0], pb[0]], [pa[1], pb[1]], linestyle=":", color="black", linewidth=1.2)
    # citations
    for rep in case.reports:
        if rep.cites in angle and rep.source in angle and rep.claim in claims:
            arrow(
                pos[("source", rep.source)],
                pos[("source", rep.cites)],
                arrowstyle="-|>",
                linestyle="--",
                color="#6a3d9a",
                connectionstyle="arc3,rad=0.3",
            )
    # reports: width by effect
    top = max((abs(e) for *_, e in edges), default=0.0) or 1.0
    drawn: set[str] = set()
    for s, c, stance, effect in edges:
        name = stance.replace("_", " ")
        arrow(
            pos[("source", s)],
            pos[("claim", c)],
            arrowstyle="-|>",
            color=STANCE_COLOURS[stance],
            linewidth=0.6 + 4.4 * abs(effect) / top,
            linestyle="--" if stance == "no_comment" else "-",
            connectionstyle="arc3,rad=0.15",  # two reports of one source stay apart
            label=None if name in drawn else name,
        )
        drawn.add(name)
    # affiliation groups as arcs outside the ring
    dep = _group_dependence(scores)
    depth_of = {g: g.count("/") + 1 for g in dep}
    deepest = max((depth_of[g] for g in dep), default=1)
    step = 2 * math.pi / max(len(shown), 1)
    for g, dependence in dep.items():
        members = [
            s
            for s in shown
            if (aff := sources_by_id[s].affiliation) is not None
            and (aff == g or aff.startswith(g + "/"))
        ]
        if dependence <= 0 or len(members) < 2:  # a group of one pools nothing
            continue
        radius = 1.18 + 0.1 * (deepest - depth_of[g])
        a0 = math.degrees(angle[members[0]] - step * 0.35)
        a1 = math.degrees(angle[members[-1]] + step * 0.35)
        ax.add_patch(
            Arc((0, 0), 2 * radius, 2 * radius, theta1=a0, theta2=a1, color="#b15928", linewidth=3)
        )
        mid = math.radians((a0 + a1) / 2)
        ax.annotate(
            f"{g} r={dependence:.2f}",
            (radius * 1.06 * math.cos(mid), radius * 1.06 * math.sin(mid)),
            fontsize=7,
            color="#b15928",
            ha="center",
            va="center",
        )
    # nodes
    for (kind, name), (x, y) in pos.items():
        main = kind == "claim" and name == claim_id
        if kind == "claim":
            text = f"{name}\n{scores[name].probability:.2f}"
            box = {"boxstyle": "round", "fc": "#fdbf6f" if main else "#ffffcc", "ec": "0.3"}
        else:
            rel = sources_by_id[name].reliability
            text = name if rel is None else f"{name} ({rel})"
            box = {"boxstyle": "round", "fc": "white", "ec": "0.3"}
        ax.annotate(
            text,
            (x, y),
            ha="center",
            va="center",
            fontsize=9 if main else 8,
            bbox=box,
            zorder=5,
        )
    if edges:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=len(drawn),
            fontsize="small",
            title="stance (line width: effect)",
            frameon=False,
        )
    lim = 1.18 + 0.1 * deepest + 0.25
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"{claim_id}: who said what")
    return fig


# -- a fused table ---------------------------------------------------------------


def source_reliability(
    result: FusionResult,
    *,
    max_sources: int = 40,
    ax: Axes | None = None,
) -> Figure:
    """The learned reliability of each source of a fused table, as bars.

    Sources are sorted from most to least reliable and labelled with how many
    values they gave; with more than ``max_sources``, the most and the least
    reliable halves are shown and a line says how many were left out.

    Parameters
    ----------
    result : FusionResult
        What :func:`credscore.fuse` returned.
    max_sources : int
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import credscore
    >>> r = credscore.fuse((["s1", "s2", "s3"], ["x", "x", "x"], ["a", "a", "b"]), model="majority")
    >>> fig = source_reliability(r)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['s1 (1)', 's2 (1)', 's3 (1)']
    """
    if not isinstance(result, FusionResult):
        raise TypeError(
            f"result: expected a credscore.FusionResult (from fuse), got {type(result).__name__}"
        )
    if isinstance(max_sources, bool) or not isinstance(max_sources, int) or max_sources < 2:
        raise ValueError(f"max_sources: expected an integer of at least 2, got {max_sources!r}")
    t = result.table
    rel = np.asarray(result.reliability, dtype=float)
    counts = np.bincount(t.source, minlength=t.n_sources)
    order = np.lexsort((np.arange(t.n_sources), -rel))
    hidden = 0
    if order.size > max_sources:
        half = max_sources // 2
        hidden = order.size - 2 * half
        order = np.concatenate([order[:half], order[-half:]])
    n = order.size
    fig, ax = _axes(ax, "credscore.plot.source_reliability()", (6.0, 1.2 + 0.22 * n))
    ys = np.arange(n)
    ax.barh(ys, rel[order], color="C0")
    ax.set_yticks(ys, [f"{t.source_ids[i]} ({counts[i]:,})" for i in order])
    ax.invert_yaxis()
    finite = rel[np.isfinite(rel)]
    if finite.size and finite.min() >= 0 and finite.max() <= 1:
        ax.set_xlim(0, 1)
    ax.set_xlabel(f"reliability learned by {result.model!r}")
    title = "Sources (values given)"
    if hidden:
        title += f": the {n // 2} most and least reliable; {hidden:,} more not shown"
    ax.set_title(title, fontsize="medium")
    return fig
