"""The ``credscore`` command line.

Commands (``credscore COMMAND --help`` shows each one's options and an
example)::

    credscore score CASE [--json] [--as-of TIME] [--model NAME|MODEL.json] [--claim ID]...
    credscore score --reports REPORTS.csv [--sources S.csv] [--claims C.csv] ...
    credscore explain CASE CLAIM
    credscore example [NAME]
    credscore validate CASE
    credscore learn HISTORY.json [MORE.json ...] -o MODEL.json
    credscore fuse TABLE.csv ...

``CASE`` is a case file in the JSON case format, version 1, or ``-`` for
standard input. Exit status: 0 on success, 2 on bad input, with a one-line
message on standard error that names the file, the field and the id.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from credscore._gc import paused_gc
from credscore.case.model import Case, case_from_owned_dict, check_case, quick_pairs
from credscore.case.parts import Report, Source
from credscore.case.registry import case_models, score
from credscore.errors import CredscoreError, CredscoreWarning, InvalidCaseError, InvalidInputError
from credscore.io.text import parse_json, read_text

if TYPE_CHECKING:
    from credscore.case.result import Scores

__all__ = ["format_scores", "main"]

_PROG = "credscore"
_STDIN = "-"


class UsageError(Exception):
    """A mistake in what the user asked for; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions, but keeps the examples in an epilog line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return _HelpFormatter(prog, max_help_position=32)


# ---------------------------------------------------------------- reading input


def _display(path: str) -> str:
    return "<stdin>" if path == _STDIN else path


def read_json(path: str, make_pairs: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    """The JSON document in ``path`` (``-``: standard input), or a UsageError
    (``make_pairs``: see :func:`~credscore.io.text.parse_json`)."""
    name = _display(path)
    try:
        text = read_text(sys.stdin if path == _STDIN else path, where=name)
        return parse_json(text, name, make_pairs=make_pairs)
    except InvalidInputError as exc:
        raise UsageError(str(exc)) from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a case file") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None


def _case_from_json(path: str) -> Case:
    with paused_gc():  # millions of small acyclic objects (see credscore._gc)
        doc = read_json(path, make_pairs=quick_pairs)  # plain parts built as they are read
    if not isinstance(doc, (dict, Report, Source)):  # (a part: a JSON object read quickly)
        raise UsageError(
            f"{_display(path)}: expected a JSON object (a case file), got {type(doc).__name__}"
        )
    try:
        return case_from_owned_dict(doc)
    except CredscoreError as exc:
        raise UsageError(f"{_display(path)}: {exc}") from None


def _table_arg(path: str | None) -> str | IO[str] | None:
    if path is None or path != _STDIN:
        return path
    return sys.stdin


def _case_from_tables(args: argparse.Namespace) -> Case:
    from credscore.io.casetables import read_case_tables

    paths = [p for p in (args.reports, args.sources, args.claims, args.groups, args.links) if p]
    if paths.count(_STDIN) > 1:
        raise UsageError("only one table can be read from standard input ('-')")
    try:
        return read_case_tables(
            _table_arg(args.reports) or "",
            _table_arg(args.sources),
            _table_arg(args.claims),
            groups=_table_arg(args.groups),
            links=_table_arg(args.links),
        )
    except OSError as exc:
        raise UsageError(f"{exc.filename or '<stdin>'}: {exc.strerror or exc}") from None


def _uses_tables(args: argparse.Namespace) -> bool:
    return any(getattr(args, k, None) for k in ("reports", "sources", "claims", "groups", "links"))


def _load_case(args: argparse.Namespace) -> tuple[Case, str]:
    """The case the user named, and a name for it in messages."""
    if _uses_tables(args):
        if args.case is not None:
            raise UsageError(f"give either a case file ({args.case}) or --reports, not both")
        if not args.reports:
            raise UsageError("--sources, --claims, --groups and --links need --reports")
        return _case_from_tables(args), _display(args.reports)
    if args.case is None:
        raise UsageError("give a case file (or - for standard input), or --reports TABLE")
    return _case_from_json(args.case), _display(args.case)


def _claim_ids(case: Case) -> list[str]:
    return [c.id for c in case.claims]


def _check_claims(case: Case, wanted: Sequence[str], name: str) -> None:
    known = _claim_ids(case)
    for claim in wanted:
        if claim not in known:
            shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
            raise UsageError(f"{name}: claim {claim!r} is not in the case (claims: {shown})")


def _as_of(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--as-of: {text!r} is not an ISO 8601 date or time (e.g. 2024-12-16)"
        ) from None
    return text


def _export_date(text: str) -> str:
    try:
        _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2024-12-17)"
        ) from None
    return text


def _model(name: str | None) -> Any:
    """A registry name, or a model saved by ``credscore learn`` (a path that
    ends in ``.json`` and exists), or None."""
    if name is None:
        return None
    if name.endswith(".json") and os.path.isfile(name):
        from credscore.case.learned import load_model

        try:
            return load_model(name)
        except CredscoreError as exc:
            raise UsageError(f"--model: {exc}") from None
    names = list(case_models())
    if name not in names:
        hint = " (or a model file saved by credscore learn, MODEL.json)"
        raise UsageError(f"--model: unknown model {name!r}; available: {', '.join(names)}{hint}")
    return name


def _scoring_model(args: argparse.Namespace) -> Any:
    """The case model of ``--model`` and ``--set``: a registry name, a model
    object (with settings, or loaded from a file) or None (the default)."""
    model_name = _model(args.model)
    if not args.set:
        return model_name
    if not isinstance(model_name, (str, type(None))):
        raise UsageError("--set: a saved model keeps its settings; learn it again with them")
    from credscore.case.registry import _CASE_MODELS
    from credscore.cli.models import with_settings

    return with_settings(_CASE_MODELS[model_name or "corroboration"](), args.set)


def _score(case: Case, name: str, args: argparse.Namespace) -> Scores:
    as_of = _as_of(args.as_of)
    model = _scoring_model(args)
    try:
        return score(case, model, as_of=as_of)
    except CredscoreError as exc:
        raise UsageError(f"{name}: {exc}") from None


# ---------------------------------------------------------------- presenting


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Rows as aligned text columns; columns in ``right`` are right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def _fmt_p(p: float) -> str:
    # Three decimals, but never print 1.000 or 0.000 for a probability that
    # is not exactly 1 or 0: the model keeps those apart from certainty.
    text = f"{p:.3f}"
    if text == "1.000" and p < 1:
        return ">0.999"
    if text == "0.000" and p > 0:
        return "<0.001"
    return text


def format_scores(scores: Scores, claims: Sequence[str] | None = None) -> str:
    """The readable table that ``credscore score`` prints.

    Parameters
    ----------
    scores : credscore.Scores
        What :func:`credscore.score` returned.
    claims : sequence of str, optional
        Only these claims, in this order. Default: every claim.

    Returns
    -------
    str
        One aligned table of the claims (probability, interval, grade,
        phrase, independent confirmations, flags); for claims that state a
        quantity, one of the fused figures (stated value and range, estimate,
        interval, probability of lying in the range, figures that agree);
        then one of the sources' effective reliabilities (with ``claims``: of
        the sources whose reports bear on them).

    Examples
    --------
    >>> import credscore as cs
    >>> from credscore.cli.main import format_scores
    >>> text = format_scores(cs.score(cs.examples.kursk()), ["nk-casualties"])
    >>> print(text.splitlines()[0])
    claim  probability  80% interval  grade  phrase  independent  flags
    >>> text.splitlines()[1].split()[0]
    'nk-casualties'
    """
    chosen = [scores[c] for c in claims] if claims else list(scores)
    rows = [
        [
            s.id,
            _fmt_p(s.probability),
            f"{_fmt_p(s.interval[0])}-{_fmt_p(s.interval[1])}",
            str(s.grade),
            s.phrase,
            str(s.independent_confirmations),
            ", ".join(s.flags) or "-",
        ]
        for s in chosen
    ]
    interval = f"{scores.interval:.0%} interval"
    header = ["claim", "probability", interval, "grade", "phrase", "independent", "flags"]
    out = _table(header, rows, right={1, 2, 3, 5})
    estimates = [(c.id, c.estimate) for c in chosen if c.estimate is not None]
    if estimates:
        from credscore.case.quantities import format_number as _num

        q_rows = []
        for cid, e in estimates:
            fused = "-" if e.value is None else _num(e.value)
            band = "-" if e.interval is None else f"{_num(e.interval[0])}-{_num(e.interval[1])}"
            inside = "-" if e.in_range is None else f"{e.in_range:.2f}"
            agree = sum(f.agrees for f in e.figures)
            q_rows.append(
                [
                    cid,
                    _num(e.stated),
                    f"{_num(e.low)}-{_num(e.high)}",
                    fused,
                    band,
                    inside,
                    f"{agree}/{len(e.figures)}",
                    e.unit or "",
                ]
            )
        q_header = [
            "quantity",
            "stated",
            "range",
            "estimate",
            interval,
            "in range",
            "agree",
            "unit",
        ]
        out += "\n\n" + _table(q_header, q_rows, right={1, 2, 3, 4, 5, 6})
    sources = dict(scores.sources)
    if claims:
        # Only the sources whose reports bear on the chosen claims.
        used = {c.source for s in chosen for c in s.contributions}
        sources = {k: v for k, v in sources.items() if k in used}
    if sources:
        src_rows = [[k, f"{v:.3f}"] for k, v in sources.items()]
        out += "\n\n" + _table(["source", "reliability"], src_rows, right={1})
    return out


# ---------------------------------------------------------------- commands


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_score(args: argparse.Namespace) -> int:
    case, name = _load_case(args)
    wanted = list(args.claim or ())
    _check_claims(case, wanted, name)
    scores = _score(case, name, args)
    if args.json:  # streamed, one claim at a time
        scores.write_json(sys.stdout, wanted or None)
        sys.stdout.write("\n")
    else:
        _out(format_scores(scores, wanted or None))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    if args.case is None and not _uses_tables(args):
        raise UsageError(
            f"expected CASE and CLAIM, got only {args.claim_id!r} "
            "(e.g. credscore explain kursk.json nk-casualties)"
        )
    case, name = _load_case(args)
    _check_claims(case, [args.claim_id], name)
    scores = _score(case, name, args)
    _out(scores.explain(args.claim_id))
    return 0


_PLOT_FORMATS = ("png", "svg", "pdf")


def cmd_plot(args: argparse.Namespace) -> int:
    if args.case is None and not _uses_tables(args):
        raise UsageError(
            f"expected CASE and CLAIM, got only {args.claim_id!r} "
            "(e.g. credscore plot kursk.json nk-casualties -o nk.png)"
        )
    fmt = Path(args.output).suffix.lower().lstrip(".")
    if fmt not in _PLOT_FORMATS:
        raise UsageError(
            f"--output: {args.output!r} must end in .png, .svg or .pdf (the format to write)"
        )
    case, name = _load_case(args)
    _check_claims(case, [args.claim_id], name)
    model = _scoring_model(args)
    try:
        from credscore import plot

        draw = plot.timeline if args.kind == "timeline" else plot.dependence_graph
        fig = draw(case, args.claim_id, model=model)
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    except CredscoreError as exc:
        raise UsageError(f"{name}: {exc}") from None
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=args.dpi)
    # the whole picture is drawn before the file is opened: nothing half-written
    Path(args.output).write_bytes(buf.getvalue())
    print(f"wrote {args.output} ({args.kind} of {args.claim_id!r})", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from credscore.io.export import export

    case, name = _load_case(args)
    model = _scoring_model(args)
    options: dict[str, Any] = {"publisher": args.publisher, "date": args.date}
    if args.url is not None:
        if args.format != "claimreview":
            raise UsageError(f"--url: only the claimreview format has a url, not {args.format}")
        options["url"] = args.url
    try:
        doc = export(case, args.format, score(case, model), **options)
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    except CredscoreError as exc:
        raise UsageError(f"{name}: {exc}") from None
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output in (None, "-"):
        _out(text.rstrip("\n"))
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({args.format}, {len(case.claims)} claims)", file=sys.stderr)
    return 0


def cmd_example(args: argparse.Namespace) -> int:
    from credscore import examples

    names = list(examples.names())
    if args.list:
        _out("\n".join(names))
        return 0
    if args.name not in names:
        raise UsageError(f"unknown example {args.name!r}; available: {', '.join(names)}")
    _out(examples.path(args.name).read_text(encoding="utf-8"))
    return 0


def cmd_learn(args: argparse.Namespace) -> int:
    from credscore.case.learned import learn

    if not args.output.endswith(".json"):
        raise UsageError(f"--output: {args.output!r} should end in .json")
    cases = [_case_from_json(path) for path in args.history]

    def say(message: str) -> None:
        if not args.quiet:
            print(f"{_PROG} learn: {message}", file=sys.stderr, flush=True)

    try:
        model = learn(cases, progress=say)
    except CredscoreError as exc:
        names = ", ".join(_display(p) for p in args.history)
        raise UsageError(f"{names}: {exc}") from None
    try:
        model.save(args.output)
    except OSError as exc:
        raise UsageError(f"{args.output}: {exc.strerror or exc}") from None
    say(f"saved {args.output}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    if _uses_tables(args) or args.case is None:
        try:
            case, name = _load_case(args)
        except InvalidCaseError as exc:
            for p in exc.problems:
                print(p, file=sys.stderr)
            return 2
    else:
        name = _display(args.case)
        doc = read_json(args.case)
        if not isinstance(doc, dict):
            raise UsageError(f"{name}: expected a JSON object (a case file)")
        problems = check_case(doc)
        if problems:
            for p in problems:
                print(f"{name}: {p}", file=sys.stderr)
            return 2
        try:
            case = Case.from_dict(doc)
        except CredscoreError as exc:  # check_case and the loader should agree
            raise UsageError(f"{name}: {exc}") from None
    _out(
        f"{name}: valid case: {len(case.sources)} sources, {len(case.claims)} claims, "
        f"{len(case.reports)} reports"
    )
    return 0


# ---------------------------------------------------------------- the parser


_SCORE_EXAMPLES = """\
examples:
  credscore example kursk > kursk.json
  credscore score kursk.json
  credscore score kursk.json --json --claim nk-casualties
  credscore score kursk.json --as-of 2024-12-01
  credscore example kursk | credscore score -
  credscore score --reports reports.csv --sources sources.csv --claims claims.csv
"""

_EXPLAIN_EXAMPLES = """\
examples:
  credscore explain kursk.json nk-casualties
  credscore example kursk | credscore explain - nk-casualties
  credscore explain --reports reports.csv --sources sources.csv nk-casualties
"""

_EXAMPLE_EXAMPLES = """\
examples:
  credscore example --list
  credscore example kursk > kursk.json
  credscore example kursk | credscore score -
"""

_FUSE_EXAMPLES = """\
examples:
  credscore fuse claims.csv --model accu
  credscore fuse claims.csv --model dawid-skene --gold gold.csv --json
"""

_PLOT_EXAMPLES = """\
examples:
  credscore example kursk > kursk.json
  credscore plot kursk.json nk-casualties -o nk-casualties.png
  credscore plot kursk.json nk-deployed --kind graph -o nk-deployed.svg
"""

_EXPORT_EXAMPLES = """\
examples:
  credscore example kursk | credscore export - --format claimreview --url https://example.org/kursk
  credscore export kursk.json --format stix -o kursk.stix.json
  credscore export kursk.json --format misp --publisher "Our desk" -o kursk.misp.json
"""

_LEARN_EXAMPLES = """\
examples:
  credscore learn resolved-2024.json resolved-2025.json -o desk-model.json
  credscore score new-case.json --model desk-model.json
"""

_VALIDATE_EXAMPLES = """\
examples:
  credscore validate kursk.json
  credscore validate --reports reports.csv --sources sources.csv
"""


def _add_case_input(p: argparse.ArgumentParser, *, optional_case: bool) -> None:
    p.add_argument(
        "case",
        nargs="?" if optional_case else None,
        metavar="CASE",
        help="case file in the JSON case format v1; '-' reads standard input",
    )
    g = p.add_argument_group("spreadsheet input (instead of CASE; CSV or TSV)")
    g.add_argument("--reports", metavar="FILE", help="reports: source, claim, stance[, time, ...]")
    g.add_argument("--sources", metavar="FILE", help="sources: id[, reliability, affiliation]")
    g.add_argument("--claims", metavar="FILE", help="claims: id[, text, prior, benefits, harms]")
    g.add_argument("--groups", metavar="FILE", help="declared dependence: id, dependence")
    g.add_argument("--links", metavar="FILE", help="links: kind, from, to[, dependence]")


def _add_scoring(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", metavar="TIME", help="ignore reports after TIME (ISO 8601)")
    _add_model(p)


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        metavar="NAME",
        help="scoring model: a name (default: corroboration) or MODEL.json saved by "
        "credscore learn",
    )
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        help="a setting of the model (repeatable), e.g. --set prior=0.3; "
        "an unknown KEY lists the model's settings",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``credscore`` command."""
    from credscore._version import __version__

    parser = _Parser(
        prog=_PROG,
        description="Score how far claims should be believed, from who reported them, "
        "who confirmed or denied them, and how independent those parties are.",
        epilog="examples:\n  credscore example kursk | credscore score -\n"
        "  credscore score --help",
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "score",
        help="score every claim of a case",
        description="Score every claim of a case and print a table of the claims "
        "(probability, interval, Admiralty grade, ICD-203 phrase, independent "
        "confirmations, flags) and of the sources' effective reliability.",
        epilog=_SCORE_EXAMPLES,
        formatter_class=_formatter,
    )
    _add_case_input(p, optional_case=True)
    p.add_argument("--json", action="store_true", help="print the scored output object as JSON")
    p.add_argument(
        "--claim",
        metavar="ID",
        action="append",
        help="only this claim; repeat for several (--claim a --claim b)",
    )
    _add_scoring(p)

    p = sub.add_parser(
        "explain",
        help="explain one claim's score in plain sentences",
        description="Explain, in a few plain sentences, which reports moved one "
        "claim's score, which were pooled as dependent and why, and what is missing.",
        epilog=_EXPLAIN_EXAMPLES,
        formatter_class=_formatter,
    )
    _add_case_input(p, optional_case=True)
    p.add_argument("claim_id", metavar="CLAIM", help="id of the claim to explain")
    _add_scoring(p)

    p = sub.add_parser(
        "plot",
        help="draw one claim's timeline or dependence graph to a file",
        description="Draw one claim's probability over time (--kind timeline) or who "
        "said what about it and who depends on whom (--kind graph) to a PNG, SVG or "
        "PDF file. Needs matplotlib (the plot extra).",
        epilog=_PLOT_EXAMPLES,
        formatter_class=_formatter,
    )
    _add_case_input(p, optional_case=True)
    p.add_argument("claim_id", metavar="CLAIM", help="id of the claim to draw")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="FILE.png, FILE.svg or FILE.pdf"
    )
    p.add_argument(
        "--kind", choices=("timeline", "graph"), default="timeline", help="default: timeline"
    )
    p.add_argument("--dpi", type=int, default=150, help="resolution of a PNG (default: 150)")
    _add_model(p)

    p = sub.add_parser(
        "export",
        help="write a scored case as ClaimReview, STIX 2.1 or MISP",
        description="Score a case and write it in the format of another tool: "
        "schema.org ClaimReview JSON-LD (fact checkers, search engines), a STIX 2.1 "
        "bundle (threat intelligence platforms; needs the export extra) or MISP events "
        "tagged with the admiralty-scale taxonomy.",
        epilog=_EXPORT_EXAMPLES,
        formatter_class=_formatter,
    )
    _add_case_input(p, optional_case=True)
    p.add_argument(
        "--format", required=True, choices=("claimreview", "stix", "misp"), help="the format"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")
    p.add_argument(
        "--publisher", default="credscore", help="who publishes the scores (default: credscore)"
    )
    p.add_argument("--url", help="claimreview: the page the reviews are published on")
    p.add_argument("--date", type=_export_date, help="date of the export, ISO 8601 (default: now)")
    _add_model(p)

    p = sub.add_parser(
        "learn",
        help="learn a scoring model from claims resolved true or false",
        description="Fit a scoring model to the resolved claims (resolved: true or "
        "false) of one or more case files, and save it as JSON for "
        "'credscore score --model MODEL.json'. Progress goes to standard error.",
        epilog=_LEARN_EXAMPLES,
        formatter_class=_formatter,
    )
    p.add_argument("history", nargs="+", metavar="HISTORY", help="case files (JSON), - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="MODEL.json", help="where to save it")
    p.add_argument("--quiet", action="store_true", help="print no progress")

    p = sub.add_parser(
        "example",
        help="print a built-in example case as JSON",
        description="Print a built-in example case (default: the reference case "
        "'kursk') in the JSON case format.",
        epilog=_EXAMPLE_EXAMPLES,
        formatter_class=_formatter,
    )
    p.add_argument("name", nargs="?", default="kursk", metavar="NAME", help="default: kursk")
    p.add_argument("--list", action="store_true", help="list the examples' names")

    p = sub.add_parser(
        "validate",
        help="check a case and list every problem",
        description="Check a case and list every problem found, one per line on "
        "standard error; exit status 0 when the case is valid, 2 otherwise.",
        epilog=_VALIDATE_EXAMPLES,
        formatter_class=_formatter,
    )
    _add_case_input(p, optional_case=True)

    _add_fuse(sub)
    from credscore.cli import models as _cli_models

    _cli_models.add_parser(sub).formatter_class = _formatter
    from credscore.cli import completion as _cli_completion

    completion = _cli_completion.add_parser(sub)
    completion.formatter_class = _formatter
    completion.set_defaults(_parser=parser)  # the script is made from this parser
    return parser


def _add_fuse(sub: Any) -> None:
    """The ``fuse`` command, when its module (credscore.cli.fuse) is there."""
    try:
        from credscore.cli import fuse as _cli_fuse
    except ModuleNotFoundError as exc:
        if exc.name != "credscore.cli.fuse":
            raise
        return
    _cli_fuse.add_parser(sub)
    fuse = sub.choices.get("fuse")
    if fuse is not None:
        fuse.set_defaults(_run=_cli_fuse.run)
        if not fuse.epilog:
            fuse.epilog = _FUSE_EXAMPLES
            fuse.formatter_class = _formatter


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "score": cmd_score,
    "explain": cmd_explain,
    "example": cmd_example,
    "plot": cmd_plot,
    "export": cmd_export,
    "learn": cmd_learn,
    "validate": cmd_validate,
}


def _one_line(prefix: str) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints ``prefix: warning: message``."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        print(f"{prefix}: warning: {message}", file=sys.stderr)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``credscore`` command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name. Default: ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 when the input or the arguments are wrong (a one-line
        message on standard error says what and where).

    Examples
    --------
    >>> from credscore.cli.main import main
    >>> main(["example", "--list"])
    kursk
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    run = getattr(args, "_run", None) or _COMMANDS[args.command]
    prefix = f"{_PROG} {args.command}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", CredscoreWarning)
            warnings.showwarning = _one_line(prefix)
            return int(run(args))
    except UsageError as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
    except CredscoreError as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            # The reader went away (``credscore score ... | head``): not an error.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
        where = exc.filename or "input"
        print(f"{prefix}: error: {where}: {exc.strerror or exc}", file=sys.stderr)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    return 2
