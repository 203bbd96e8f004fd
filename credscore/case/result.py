"""What a score contains, and the plain-language explanation of each number."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import IO, Any, Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from credscore.case.compile import CompiledCase
from credscore.case.grading import ADMIRALTY_CREDIBILITY, grade, phrase
from credscore.case.quantities import Estimate, claim_estimate
from credscore.io.text import write_json_objects
from credscore.semantics import NESTED_DEPENDENCE, TOP_LEVEL_DEPENDENCE, expit, logit

__all__ = ["FLAGS", "Breakdown", "ClaimScore", "Contribution", "Scores"]

FloatArray = npt.NDArray[np.float64]

#: The flags a claim can carry, in the order they are listed.
FLAGS = ("single-source", "circular", "self-serving", "contested", "unacknowledged")


@attrs.frozen
class Contribution:
    """One report's part in a claim's score.

    ``raw`` is the report's log-likelihood ratio as if it were neutral,
    ``adjusted`` after the source's interest in the claim, ``effect`` what it
    adds to the claim's log-odds after pooling, reports being taken strongest
    first (so the effects of a claim's reports add up to its total).
    """

    source: str
    claim: str
    stance: str
    raw: float
    adjusted: float
    effect: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


#: The fields of a :class:`Contribution`, in order.
CONTRIBUTION_FIELDS = ("source", "claim", "stance", "raw", "adjusted", "effect", "note")


@attrs.frozen
class ClaimScore:
    """The score of one claim.

    Examples
    --------
    >>> from credscore import score
    >>> from credscore.examples import kursk
    >>> s = score(kursk())["nk-30-casualties"]
    >>> s.grade, s.flags
    (3, ('single-source', 'self-serving', 'unacknowledged'))
    """

    id: str
    probability: float
    log_odds: float
    interval: tuple[float, float]
    grade: int
    phrase: str
    independent_confirmations: int
    flags: tuple[str, ...]
    contributions: tuple[Contribution, ...]
    #: The fused figure, when the claim states a quantity (:doc:`/howto/quantities`).
    estimate: Estimate | None = attrs.field(default=None, kw_only=True)

    def __repr__(self) -> str:
        lo, hi = self.interval
        flags = f", flags: {', '.join(self.flags)}" if self.flags else ""
        return (
            f"<ClaimScore {self.id!r}: p={self.probability:.3f} [{lo:.3f}-{hi:.3f}], "
            f"grade {self.grade}, {self.phrase}, "
            f"{self.independent_confirmations} independent{flags}>"
        )

    def _repr_html_(self) -> str:
        from credscore._html import html_table

        return html_table(f"claim {self.id}", _HTML_HEADER, [_html_row(self)])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the keys of :doc:`/reference/case-format`."""
        return {
            "id": self.id,
            "probability": self.probability,
            "log_odds": self.log_odds,
            "interval": list(self.interval),
            "grade": self.grade,
            "phrase": self.phrase,
            "independent_confirmations": self.independent_confirmations,
            "flags": list(self.flags),
            **({} if self.estimate is None else {"estimate": self.estimate.to_dict()}),
            "contributions": [c.to_dict() for c in self.contributions],
        }


@runtime_checkable
class Breakdown(Protocol):
    """What a scoring model may add to its scores so that they can be explained
    report by report (optional: :meth:`Scores.build` works without one).

    Claims are given by their index in the compiled case
    (``compiled.claim_index[claim_id]``).
    """

    def contributions(self, claim: int) -> Sequence[Contribution]:
        """Every report bearing on the claim, strongest first."""
        ...

    def notes(self, claim: int) -> Sequence[str]:
        """Sentences on how the reports were combined (dependence, pooling)."""
        ...


def _per_claim(name: str, value: Any, n: int, dtype: Any, fill: Any) -> Any:
    """``value`` as one entry per claim: None gives ``fill``; a scalar is
    repeated; anything else must have shape ``(n,)``."""
    if value is None:
        return np.full(n, fill, dtype=dtype)
    try:
        arr = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected one number per claim, got {value!r}") from None
    if arr.ndim == 0:
        return np.full(n, arr, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), one per claim, got {arr.shape}")
    return arr


@attrs.define(frozen=True, eq=False, repr=False)
class Scores:
    """Scores of every claim of a case. Index by claim id, iterate, or export.

    A scoring model builds its scores with :meth:`build` from arrays over the
    claims of a :class:`~credscore.case.compile.CompiledCase`; everything
    else (grades, phrases, flags, export and explanation) follows from them.

    Examples
    --------
    >>> from credscore import score
    >>> from credscore.examples import kursk
    >>> scores = score(kursk())
    >>> len(scores), "nk-casualties" in scores
    (6, True)
    >>> sorted(scores.to_dict())
    ['claims', 'sources']
    """

    compiled: CompiledCase
    probability: FloatArray
    log_odds: FloatArray
    lower: FloatArray
    upper: FloatArray
    prior: FloatArray
    independent_confirmations: npt.NDArray[np.int64]
    grades: npt.NDArray[np.int8]
    flag_matrix: npt.NDArray[np.bool_]
    has_evidence: npt.NDArray[np.bool_]
    source_reliability: FloatArray
    interval: float
    breakdown: Breakdown | None
    #: indices of the reports that counted (after as_of and supersession); None: all
    counted: npt.NDArray[np.int64] | None = None
    #: per group: the dependence the model used (None: declared, else 0.8 two
    #: or more levels deep and 0 at the top)
    dependence: FloatArray | None = None
    _by_claim: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)

    @classmethod
    def build(
        cls,
        compiled: CompiledCase,
        *,
        log_odds: npt.ArrayLike,
        prior: npt.ArrayLike | float = 0.5,
        lower: npt.ArrayLike | None = None,
        upper: npt.ArrayLike | None = None,
        interval: float = 0.8,
        independent_confirmations: npt.ArrayLike | None = None,
        contested: npt.ArrayLike | None = None,
        has_evidence: npt.ArrayLike | None = None,
        flags: npt.ArrayLike | None = None,
        source_reliability: npt.ArrayLike | None = None,
        breakdown: Breakdown | None = None,
        counted: npt.ArrayLike | None = None,
        group_dependence: npt.ArrayLike | None = None,
    ) -> Scores:
        """Scores from what a model computed, one entry per claim (in the order
        of ``compiled.claim_ids``). This is the interface between any
        :class:`~credscore.ScoringModel` and the rest of credscore.

        Parameters
        ----------
        compiled : CompiledCase
            The case that was scored (:func:`~credscore.compile_case`).
        log_odds : array of shape (n_claims,)
            Each claim's log-odds after the evidence; the probability is its
            logistic.
        prior : float or array of shape (n_claims,)
            Each claim's prior probability (what the explanation starts from).
        lower, upper : array of shape (n_claims,), optional
            Bounds of the interval around each probability (default: the
            probability itself); clipped so that they enclose it.
        interval : float
            The coverage of those bounds, for the explanation.
        independent_confirmations : array of int, optional
            Default 0 for every claim.
        contested : array of bool, optional
            Whether a credible party denies the claim (bars grade 1).
        has_evidence : array of bool, optional
            Whether any report carries evidence (grade 6 otherwise). Default:
            the claim's log-odds differ from its prior's.
        flags : array of bool of shape (n_claims, len(FLAGS)), optional
            Which of :data:`FLAGS` each claim carries (default: none).
        source_reliability : array of shape (n_sources,), optional
            Each source's reliability as the model used it (default: the
            case's own, NaN where it cannot be judged).
        breakdown : Breakdown, optional
            Per-report contributions and notes for :meth:`explain`.
        counted : array of int, optional
            Indices (into ``compiled.case.reports``) of the reports that
            counted, after ``as_of`` and a source's later reports superseding
            its earlier ones; for the estimates of claims that state a
            quantity. Default: every report.
        group_dependence : array of shape (n_groups,), optional
            The dependence the model gave each group, for those estimates.
            Default: the declared one, else 0.8 two or more levels deep and 0
            at the top level.

        Examples
        --------
        A model that counts stances, written from scratch:

        >>> import numpy as np
        >>> from credscore import compile_case
        >>> from credscore.examples import kursk
        >>> from credscore.semantics import CONFIRMS, DENIES
        >>> cc = compile_case(kursk())
        >>> vote = (cc.report_stance == CONFIRMS) * 1.0 - (cc.report_stance == DENIES)
        >>> net = np.bincount(cc.report_claim, weights=vote, minlength=cc.n_claims)
        >>> s = Scores.build(cc, log_odds=net)
        >>> round(s["nk-casualties"].probability, 3), s["nk-casualties"].grade  # two confirmations
        (0.881, 2)
        """
        n = compiled.n_claims
        lo_odds = _per_claim("log_odds", log_odds, n, np.float64, 0.0)
        if np.isnan(lo_odds).any():
            raise ValueError("log_odds: every value must be a number (NaN found)")
        pri = _per_claim("prior", prior, n, np.float64, 0.5)
        if not np.all((pri > 0) & (pri < 1)):
            raise ValueError("prior: every prior must lie in (0, 1)")
        prob = expit(lo_odds)
        lo = (
            prob
            if lower is None
            else np.minimum(_per_claim("lower", lower, n, np.float64, 0), prob)
        )
        hi = (
            prob
            if upper is None
            else np.maximum(_per_claim("upper", upper, n, np.float64, 0), prob)
        )
        indep = _per_claim("independent_confirmations", independent_confirmations, n, np.int64, 0)
        cont = _per_claim("contested", contested, n, bool, False)
        if has_evidence is None:
            has_ev = lo_odds != logit(pri)
        else:
            has_ev = _per_claim("has_evidence", has_evidence, n, bool, False)
        if flags is None:
            flag_matrix = np.zeros((n, len(FLAGS)), dtype=bool)
        else:
            flag_matrix = np.array(flags, dtype=bool)
            if flag_matrix.shape != (n, len(FLAGS)):
                raise ValueError(
                    f"flags: expected shape ({n}, {len(FLAGS)}), one column per flag of FLAGS, "
                    f"got {flag_matrix.shape}"
                )
        if source_reliability is None:
            rel = compiled.source_reliability.copy()
        else:
            rel = np.array(source_reliability, dtype=np.float64)
            if rel.shape != (compiled.n_sources,):
                raise ValueError(
                    f"source_reliability: expected shape ({compiled.n_sources},), one per "
                    f"source, got {rel.shape}"
                )
        kept: npt.NDArray[np.int64] | None = None
        if counted is not None:
            kept = np.asarray(counted, dtype=np.int64).ravel()
            if kept.size and (kept.min() < 0 or kept.max() >= compiled.n_reports):
                raise ValueError(
                    f"counted: report indices must lie in [0, {compiled.n_reports}), "
                    f"got {kept.min()}..{kept.max()}"
                )
        dep: FloatArray | None = None
        if group_dependence is not None:
            dep = np.array(group_dependence, dtype=np.float64)
            if dep.shape != (compiled.n_groups,):
                raise ValueError(
                    f"group_dependence: expected shape ({compiled.n_groups},), one per "
                    f"group, got {dep.shape}"
                )
        if breakdown is not None and not isinstance(breakdown, Breakdown):
            raise TypeError(
                "breakdown: expected an object with contributions(claim) and notes(claim), "
                f"got {type(breakdown).__name__}"
            )
        return cls(
            compiled=compiled,
            probability=prob,
            log_odds=lo_odds,
            lower=lo,
            upper=hi,
            prior=pri,
            independent_confirmations=indep,
            grades=grade(prob, indep, cont, has_ev, self_serving=flag_matrix[:, 2]),
            flag_matrix=flag_matrix,
            has_evidence=has_ev,
            source_reliability=rel,
            interval=float(interval),
            breakdown=breakdown,
            counted=kept,
            dependence=dep,
        )

    # -- mapping interface -----------------------------------------------------

    @property
    def claim_ids(self) -> tuple[str, ...]:
        return self.compiled.claim_ids

    def __len__(self) -> int:
        return len(self.claim_ids)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self.compiled.claim_index

    def __iter__(self) -> Iterator[ClaimScore]:
        for i in range(len(self)):
            yield self._claim(i)

    def __getitem__(self, claim_id: str) -> ClaimScore:
        try:
            i = self.compiled.claim_index[claim_id]
        except KeyError:
            raise KeyError(f"no claim {claim_id!r} in this case") from None
        return self._claim(i)

    def __repr__(self) -> str:
        return f"<Scores: {len(self)} claims>"

    def to_frame(self) -> Any:
        """One row per claim: ``id``, ``probability``, ``interval_low``,
        ``interval_high``, ``grade``, ``phrase``, ``independent_confirmations``,
        ``log_odds``, ``flags`` (comma-separated), and for claims that state a
        quantity ``estimate``, ``estimate_low`` and ``estimate_high`` (NaN for
        the others). Needs pandas (the ``pandas`` extra).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("pandas")
        >>> import credscore as cs
        >>> frame = cs.score(cs.examples.kursk()).to_frame()
        >>> frame.loc[0, "id"], int(frame.loc[0, "grade"]), frame.loc[0, "flags"]
        ('nk-casualties', 1, 'unacknowledged')
        """
        from credscore._optional import require

        pd = require("pandas", "Scores.to_frame()")
        rows = [
            {
                "id": c.id,
                "probability": c.probability,
                "interval_low": c.interval[0],
                "interval_high": c.interval[1],
                "grade": c.grade,
                "phrase": c.phrase,
                "independent_confirmations": c.independent_confirmations,
                "log_odds": c.log_odds,
                "flags": ", ".join(c.flags),
                **_estimate_columns(c.estimate),
            }
            for c in self
        ]
        return pd.DataFrame(rows, columns=list(_FRAME_COLUMNS))

    def contributions_frame(self) -> Any:
        """One row per (claim, report) contribution: ``claim``, ``source``,
        ``stance``, ``raw``, ``adjusted``, ``effect`` and ``note`` (see
        :class:`Contribution`). Needs pandas (the ``pandas`` extra).

        Examples
        --------
        >>> import pytest; _ = pytest.importorskip("pandas")
        >>> import credscore as cs
        >>> parts = cs.score(cs.examples.kursk()).contributions_frame()
        >>> gur = parts[(parts.claim == "nk-casualties") & (parts.source == "gur")]
        >>> bool((gur.adjusted < gur.raw).all())  # self-serving: discounted
        True
        """
        from credscore._optional import require

        pd = require("pandas", "Scores.contributions_frame()")
        cols = ("claim", "source", "stance", "raw", "adjusted", "effect", "note")
        rows = [
            (k.claim, k.source, str(k.stance), k.raw, k.adjusted, k.effect, k.note)
            for c in self
            for k in c.contributions
        ]
        return pd.DataFrame(rows, columns=list(cols))

    def _repr_html_(self) -> str:
        """The claims as a table in a notebook (the first 50)."""
        from credscore._html import html_table

        rows = [_html_row(c) for c, _ in zip(self, range(50))]
        return html_table(f"Scores: {len(self):,} claims", _HTML_HEADER, rows, total=len(self))

    @property
    def sources(self) -> dict[str, float]:
        """Effective reliability of every source (before interest adjustments)."""
        return dict(zip(self.compiled.source_ids, self.source_reliability.tolist()))

    def to_dict(self) -> dict[str, Any]:
        """The scored output of :doc:`/reference/case-format`: ``claims`` and ``sources``."""
        return {
            "claims": [c.to_dict() for c in self],
            "sources": [{"id": k, "reliability": v} for k, v in self.sources.items()],
        }

    def write_json(self, out: IO[str], claim_ids: Sequence[str] | None = None) -> None:
        """Write :meth:`to_dict` (only ``claim_ids``, in that order, if given) to
        ``out`` as ``json.dumps(..., indent=2, ensure_ascii=False)`` would, byte
        for byte, one claim at a time: the document is never held whole, so a
        claim with a million contributions costs a million short lines, not
        a million dicts.

        Examples
        --------
        >>> import io, json
        >>> from credscore import score
        >>> from credscore.examples import kursk
        >>> s, buf = score(kursk()), io.StringIO()
        >>> s.write_json(buf)
        >>> buf.getvalue() == json.dumps(s.to_dict(), indent=2, ensure_ascii=False)
        True
        """
        index = self.compiled.claim_index
        rows = range(len(self)) if claim_ids is None else [index[c] for c in claim_ids]
        out.write('{\n  "claims": [')
        for k, i in enumerate(rows):
            c = self._claim(i, contributions=False)
            head = {
                "id": c.id,
                "probability": c.probability,
                "log_odds": c.log_odds,
                "interval": list(c.interval),
                "grade": c.grade,
                "phrase": c.phrase,
                "independent_confirmations": c.independent_confirmations,
                "flags": list(c.flags),
            }
            if c.estimate is not None:
                head["estimate"] = c.estimate.to_dict()
            text = json.dumps(head, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            # The head as json.dumps writes it, without its closing "\n    }".
            out.write(("," if k else "") + "\n    " + text[:-6] + ',\n      "contributions": ')
            cols = self._contribution_columns(i)
            write_json_objects(
                out,
                CONTRIBUTION_FIELDS,
                [cols[f] for f in CONTRIBUTION_FIELDS],
                indent=6,
                allow_nan=True,
            )
            out.write("\n    }")
        out.write("\n  ]" if rows else "]")
        out.write(',\n  "sources": ')
        write_json_objects(
            out,
            ("id", "reliability"),
            (self.compiled.source_ids, self.source_reliability),
            indent=2,
            allow_nan=True,
        )
        out.write("\n}")

    def _contribution_columns(self, i: int) -> dict[str, Any]:
        """The contributions of claim i, one column (list or array) per field."""
        b = self.breakdown
        if b is None:
            return {f: [] for f in CONTRIBUTION_FIELDS}
        fast = getattr(b, "contribution_columns", None)
        if fast is not None:
            cols: dict[str, Any] = fast(i)
            return cols
        rows = list(b.contributions(i))
        return {f: [getattr(c, f) for c in rows] for f in CONTRIBUTION_FIELDS}

    # -- quantities ------------------------------------------------------------

    def counted_reports(self, claim: int) -> npt.NDArray[np.int64]:
        """Indices (into the case's reports) of claim ``claim``'s reports that
        counted in this scoring run."""
        ptr = self._by_claim.get("ptr")
        if ptr is None:
            cc = self.compiled
            kept = (
                np.arange(cc.n_reports, dtype=np.int64) if self.counted is None else self.counted
            )
            order = kept[np.argsort(cc.report_claim[kept], kind="stable")]
            ptr = np.zeros(cc.n_claims + 1, dtype=np.int64)
            np.cumsum(np.bincount(cc.report_claim[kept], minlength=cc.n_claims), out=ptr[1:])
            self._by_claim["ptr"], self._by_claim["idx"] = ptr, order
        idx: npt.NDArray[np.int64] = self._by_claim["idx"][ptr[claim] : ptr[claim + 1]]
        return idx

    def group_dependence(self) -> dict[str, float]:
        """The dependence of each affiliation group, by path, as the model
        used it (see :meth:`build`)."""
        cc = self.compiled
        dep = self.dependence
        if dep is None:
            dep = cc.group_dependence.copy()
            undeclared = np.isnan(dep)
            dep[undeclared] = np.where(
                cc.group_depth[undeclared] >= 2, NESTED_DEPENDENCE, TOP_LEVEL_DEPENDENCE
            )
        return {cc.group_ids[g]: float(dep[g]) for g in range(cc.n_groups)}

    def _estimate(self, i: int, contributions: Sequence[Contribution] | None) -> Estimate | None:
        if self.compiled.case.claims[i].value is None:
            return None
        if contributions is None:
            contributions = (
                tuple(self.breakdown.contributions(i)) if self.breakdown is not None else ()
            )
        return claim_estimate(self, i, contributions)

    def _claim(self, i: int, *, contributions: bool = True) -> ClaimScore:
        p = float(self.probability[i])
        contribs = (
            tuple(self.breakdown.contributions(i))
            if contributions and self.breakdown is not None
            else ()
        )
        return ClaimScore(
            estimate=self._estimate(i, contribs if contributions else None),
            id=self.claim_ids[i],
            probability=p,
            log_odds=float(self.log_odds[i]),
            interval=(float(self.lower[i]), float(self.upper[i])),
            grade=int(self.grades[i]),
            phrase=phrase(p),
            independent_confirmations=int(self.independent_confirmations[i]),
            flags=tuple(f for f, on in zip(FLAGS, self.flag_matrix[i].tolist()) if on),
            contributions=contribs,
        )

    # -- explanation -------------------------------------------------------------

    def explain(self, claim_id: str, *, max_reports: int | None = 20) -> str:
        """A few plain sentences on why a claim scored what it did.

        The ``max_reports`` reports that moved the score most are listed one
        per line, and the rest summed up in one line (None lists them all);
        the same for the reports that carry no evidence.

        Examples
        --------
        >>> from credscore import score
        >>> from credscore.examples import kursk
        >>> print(score(kursk()).explain("nk-30-casualties"))  # doctest: +ELLIPSIS
        nk-30-casualties: probability 0.69 (likely), 80% interval 0.6...-0.7..., grade 3 (possibly true).
        ...
        """
        s = self[claim_id]
        cc = self.compiled
        i = cc.claim_index[claim_id]
        lo, hi = s.interval
        lines = [
            f"{claim_id}: probability {s.probability:.2f} ({s.phrase}), "
            f"{self.interval:.0%} interval {lo:.2f}-{hi:.2f}, "
            f"grade {s.grade} ({ADMIRALTY_CREDIBILITY[s.grade]})."
        ]
        prior = float(self.prior[i])
        moving = [c for c in s.contributions if c.adjusted != 0.0]
        if not moving:
            if self.breakdown is None and s.log_odds != float(logit(prior)):
                lines.append(
                    f"From a prior of {prior:.2f}, the evidence moved the log-odds by "
                    f"{s.log_odds - float(logit(prior)):+.2f}."
                )
            else:
                lines.append(f"No report carries evidence, so it stays at its prior {prior:.2f}.")
        else:
            moved = s.log_odds - float(np.log(prior / (1 - prior)))
            lines.append(
                f"From a prior of {prior:.2f}, {s.independent_confirmations} independent "
                f"confirmation(s) moved the log-odds by {moved:+.2f} ({odds_words(moved)}):"
            )
            lines.append(
                "  (Evidence is counted in log-odds: +0.69 doubles the odds that the claim "
                "is true, +2.30 multiplies them by 10; a minus sign counts against it.)"
            )
            moving.sort(key=lambda c: -abs(c.effect))
            shown = moving if max_reports is None else moving[:max_reports]
            for c in shown:
                extra = f" ({c.note})" if c.note else ""
                adj = (
                    f"{c.adjusted:+.2f}"
                    if abs(c.adjusted - c.raw) < 1e-12
                    else f"{c.adjusted:+.2f} instead of {c.raw:+.2f}"
                )
                lines.append(
                    f"  - {c.source} {c.stance}{extra}: evidence {adj} "
                    f"({odds_words(c.adjusted, of='report')}), {c.effect:+.2f} after pooling."
                )
            if len(shown) < len(moving):
                rest = moving[len(shown) :]
                lines.append(
                    f"  - and {len(rest):,} more report(s) carrying evidence, together "
                    f"{math.fsum(c.effect for c in rest):+.2f} after pooling."
                )
        if self.breakdown is not None:
            lines += self.breakdown.notes(i)
        silent = [c for c in s.contributions if c.adjusted == 0.0]
        for c in silent if max_reports is None else silent[:max_reports]:
            lines.append(f"  - {c.source} {c.stance}: {c.note}.")
        if max_reports is not None and len(silent) > max_reports:
            lines.append(
                f"  - and {len(silent) - max_reports:,} more report(s) that carry no evidence."
            )
        if "self-serving" in s.flags:
            lines.append("Every confirmation comes from a party the claim serves.")
        if "circular" in s.flags:
            lines.append("All confirmations trace back to one origin.")
        if "contested" in s.flags:
            direct = any(
                c.claim == claim_id and c.stance == "denies" and c.adjusted < 0
                for c in s.contributions
            )
            lines.append(
                "A credible party, not denying in its own interest, denies it."
                if direct
                else "Contested through its links: credible evidence against it comes from "
                "reports on other claims (marked 'via' above), not from a denial of it."
            )
        if "unacknowledged" in s.flags:
            harmed = ", ".join(cc.case.claims[i].harms)
            lines.append(f"Missing: no party the claim harms ({harmed}) has acknowledged it.")
        if s.estimate is not None:
            lines += s.estimate.sentences(self.interval)
        return "\n".join(lines)


def _estimate_columns(e: Estimate | None) -> dict[str, float]:
    if e is None or e.value is None or e.interval is None:
        return {"estimate": math.nan, "estimate_low": math.nan, "estimate_high": math.nan}
    return {"estimate": e.value, "estimate_low": e.interval[0], "estimate_high": e.interval[1]}


def odds_words(ell: float, *, of: str = "total") -> str:
    """A log-likelihood ratio in words: ``"about 9 to 1 for"``.

    Examples
    --------
    >>> odds_words(2.2), odds_words(-0.69), odds_words(0.0), odds_words(12.0)
    ('odds x9', 'odds /2', 'odds unchanged', 'odds x163,000')
    >>> odds_words(100.0)
    'odds x10^43'

    >>> odds_words(2.2, of="report"), odds_words(-0.69, of="report")
    ('about 9 to 1 for', 'about 2 to 1 against')
    """
    ratio = math.exp(min(abs(ell), 700.0))
    if ratio < 1.05:
        return "odds unchanged" if of == "total" else "about even"
    if ratio >= 1e6:
        r = f"10^{math.log10(ratio):.0f}"
    else:
        r = f"{ratio:.1f}" if ratio < 3 else f"{float(f'{ratio:.3g}'):,.0f}"
        r = r.removesuffix(".0")
    if of == "total":
        return f"odds x{r}" if ell > 0 else f"odds /{r}"
    return f"about {r} to 1 {'for' if ell > 0 else 'against'}"


_FRAME_COLUMNS = (
    "id", "probability", "interval_low", "interval_high", "grade", "phrase",
    "independent_confirmations", "log_odds", "flags",
    "estimate", "estimate_low", "estimate_high",
)  # fmt: skip

_HTML_HEADER = ("claim", "probability", "interval", "grade", "phrase", "independent", "flags")


def _html_row(c: ClaimScore) -> tuple[str, ...]:
    lo, hi = c.interval
    return (
        c.id,
        f"{c.probability:.3f}",
        f"{lo:.3f}-{hi:.3f}",
        str(c.grade),
        c.phrase,
        str(c.independent_confirmations),
        ", ".join(c.flags),
    )
