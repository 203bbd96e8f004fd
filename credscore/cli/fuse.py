"""``credscore fuse FILE --model NAME [--gold FILE] [--json]``.

The command line face of :func:`credscore.fuse`: reads a CSV/TSV of
assertions, prints the fused value of each object with its probability and
each source's reliability, and with ``--gold`` the evaluation. ``--json``
prints one object with ``objects`` (each: ``object``, ``value``,
``probability``), ``sources`` (each: ``source``, ``reliability``) and, with
``--gold``, ``evaluation`` (``accuracy`` or ``mae``/``rmse``, and ``items``):
:meth:`FusionResult.to_dict() <credscore.FusionResult.to_dict>` (which also
gives ``model``, ``n_iter`` and ``converged``) with the evaluation added.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import IO, Any

import attrs
import numpy as np

from credscore.cli.models import with_settings
from credscore.errors import (
    ConvergenceWarning,
    CredscoreError,
    GoldNotSupportedError,
    InvalidInputError,
)
from credscore.models.base import write_json
from credscore.models.fuse import resolve_model
from credscore.models.progress import attach_progress
from credscore.table.read import read_table

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``fuse`` sub-command to an ``argparse`` sub-parsers object.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="credscore")
    >>> p = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["fuse", "t.csv", "--model", "majority", "--json"])
    >>> args.model, args.json, args.func is run
    ('majority', True, True)
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "fuse",
        help="find the true value of each object in a table of assertions",
        description=(
            "Fuse a CSV/TSV table of (source, object, value) assertions with a truth-"
            "discovery model; print each object's value and probability and each "
            "source's reliability, and with --gold the evaluation."
        ),
    )
    p.add_argument(
        "file", help="CSV/TSV file with a header naming source, object, value; - reads stdin"
    )
    p.add_argument("--model", default="accu", help="registry name of the model (default: accu)")
    p.add_argument("--gold", help="CSV with columns object, value (or question, truth)")
    p.add_argument(
        "--fit-gold",
        metavar="FILE",
        help=(
            "CSV of known values (as --gold) held fixed while the model learns, for the "
            "models that can (see `credscore models`); --gold then scores only the objects "
            "not in this file"
        ),
    )
    p.add_argument(
        "--ties",
        choices=("expected", "first"),
        default="expected",
        help=(
            "how --gold scores an object whose top probability k values share: "
            "'expected' gives 1/k when the gold value is among them (as ties broken "
            "at random; the default), 'first' scores the printed value"
        ),
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--top",
        type=_count,
        default=None,
        metavar="N",
        help="list only the first N objects and the N most reliable sources",
    )
    p.add_argument(
        "--output",
        "-o",
        default=None,
        metavar="FILE",
        help="also write every fused value to FILE: .csv or .tsv (object, value, "
        "probability), .json (as --json prints) or .parquet (needs pandas and pyarrow)",
    )
    p.add_argument(
        "--no-header",
        action="store_true",
        help="the file has no header line: columns are numbered from 1 (as cut -f "
        "numbers them) and --source-col/--object-col/--value-col default to 1, 2, 3",
    )
    p.add_argument("--source-col", default="source", help="name of the source column")
    p.add_argument("--object-col", default="object", help="name of the object column")
    p.add_argument("--value-col", default="value", help="name of the value column")
    p.add_argument(
        "--time-col",
        default=None,
        help="name of an optional time column (numbers or ISO 8601 times): a source's "
        "latest value for an object is kept",
    )
    p.add_argument("--sep", default=None, help="field separator, one character (default: sniffed)")
    p.add_argument(
        "--numeric",
        action="store_true",
        help="values are numbers (default for models that accept only numbers)",
    )
    p.add_argument(
        "--label-set",
        nargs="?",
        const="",
        default=None,
        metavar="LABELS",
        help="every label is a candidate of every object, also where nobody gave it, so "
        "that a crowd model can answer a label nobody gave: the values of the file, or "
        "the comma-separated LABELS (Table.with_label_set)",
    )
    p.add_argument("--max-iter", type=int, default=None, help="iterations for iterative models")
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        help="a model setting (repeatable), e.g. --set n_false=10; "
        "an unknown KEY lists the model's settings",
    )
    p.add_argument("--seed", type=int, default=None, help="seed for models with a random start")
    p.add_argument(
        "--progress",
        action="store_true",
        help="show the iterations of a long fit on standard error (a bar when tqdm is installed)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run ``credscore fuse`` with parsed ``args``; returns the exit status.

    0 on success, 2 when the input is invalid (the message goes to stderr).

    Examples
    --------
    >>> import argparse, tempfile, pathlib, io
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("source,object,value\\ns1,x,a\\ns2,x,a\\ns3,x,b\\n")
    >>> parser = argparse.ArgumentParser()
    >>> _ = add_parser(parser.add_subparsers())
    >>> buf = io.StringIO()
    >>> args = parser.parse_args(["fuse", str(d / "t.csv"), "--model", "majority", "--json"])
    >>> run(args, out=buf)
    0
    >>> import json; json.loads(buf.getvalue())["objects"]
    [{'object': 'x', 'value': 'a', 'probability': 0.6666666666666666}]
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    from credscore.metrics import evaluate
    from credscore.models.registry import gold_models
    from credscore.table.read import read_gold

    settings: dict[str, Any] = {}
    if args.max_iter is not None:
        settings["max_iter"] = args.max_iter
    if args.seed is not None:
        settings["seed"] = args.seed
    no_header = bool(getattr(args, "no_header", False))
    cols = {
        role: getattr(args, f"{role}_col")
        for role in ("source", "object", "value")
        if not (no_header and getattr(args, f"{role}_col") == role)
    }
    stdin_copy: str | None = None
    caught: list[warnings.WarningMessage] = []
    try:
        model = with_settings(resolve_model(args.model, **settings), args.set)
        numeric = bool(args.numeric) or model.kinds == frozenset({"numeric"})
        path, name = args.file, args.file
        if path == "-":
            stdin_copy = path = _stdin_to_file()
            name = "<stdin>"
        try:
            table = read_table(
                path,
                time=args.time_col,
                sep=args.sep,
                numeric=numeric,
                header=not no_header,
                **cols,
            )
        except CredscoreError as exc:
            msg = str(exc)
            if msg.startswith("sep: "):
                msg = "--sep: " + msg[len("sep: ") :]
            if stdin_copy is not None:
                msg = msg.replace(str(stdin_copy), name)
            raise type(exc)(msg) from None
        if args.label_set is not None:
            # labels read from a file are text, as the given ones are
            given = [x.strip() for x in args.label_set.split(",")] if args.label_set else None
            try:
                table = table.with_label_set(given)
            except CredscoreError as exc:
                raise type(exc)(f"--label-set: {exc}") from None
        fit_gold = read_gold(args.fit_gold, numeric=table.numeric) if args.fit_gold else None
        if fit_gold is not None and not model.accepts_gold():
            raise GoldNotSupportedError(
                f"--fit-gold: model {model.name!r} cannot use known values inside its fit; "
                f"models that can: {', '.join(gold_models())}"
            )
        reporter = attach_progress(model, file=err) if args.progress else None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = model.fit_score(table, gold=fit_gold)
        finally:
            if reporter is not None:
                reporter.finish()
        evaluation = None
        unmatched = 0
        if args.gold:
            gold = read_gold(args.gold, numeric=table.numeric)
            if fit_gold is not None:  # score only what the model was not told
                gold = {k: v for k, v in gold.items() if k not in fit_gold}
            evaluation = evaluate(result, gold, ties=args.ties)
            known = set(table.object_ids.tolist())
            unmatched = sum(1 for k in gold if k not in known)
        if args.output:
            _write_output(result, args.output)
    except (CredscoreError, ValueError, TypeError, OSError) as exc:
        print(f"credscore fuse: error: {exc}", file=err)
        return 2
    finally:
        if stdin_copy is not None:
            os.unlink(stdin_copy)
    for w in caught:  # one line each, without Python's source line
        kind = "warning" if not issubclass(w.category, ConvergenceWarning) else "not converged"
        print(f"credscore fuse: {kind}: {w.message}", file=err)

    if table.n_rows is not None and table.n_rows > table.n_assertions:
        print(
            f"credscore fuse: note: {table.n_rows - table.n_assertions:,} of "
            f"{table.n_rows:,} rows repeat a source on an object it already gave a value "
            "for; each source's last value for an object is kept",
            file=err,
        )

    extra: dict[str, Any] = {"settings": _settings(model), "table": name}
    if evaluation is not None:
        extra["evaluation"] = {k: _json_number(v) for k, v in evaluation.items()}
        extra["evaluation"]["gold_not_in_table"] = unmatched
        if fit_gold is not None:
            extra["evaluation"]["given_to_fit"] = len(fit_gold)
    if args.json:  # streamed: a table of 10^7 rows never makes one big dict
        write_json(result, out, extra=extra)
        out.write("\n")
        return 0

    t = table
    state = "converged" if result.converged else "stopped before converging"
    print(
        f"{result.model} on {name}: {t.n_assertions:,} assertions by {t.n_sources:,} sources "
        f"on {t.n_objects:,} objects; {result.n_iter} iterations, {state}",
        file=out,
    )
    if evaluation is not None:
        parts = ", ".join(
            f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in evaluation.items()
            if k != "items"
        )
        line = f"evaluation on {evaluation['items']:,} gold objects: {parts}"
        if unmatched:
            line += (
                " (1 gold object is not in the table and was not scored)"
                if unmatched == 1
                else f" ({unmatched:,} gold objects are not in the table and were not scored)"
            )
        if fit_gold is not None:
            n_fit = len(fit_gold)
            what = "value of --fit-gold is" if n_fit == 1 else "values of --fit-gold are"
            line += f"; the {n_fit:,} {what} not scored"
        print(line, file=out)
    top = args.top
    n_obj = t.n_objects if top is None else min(top, t.n_objects)
    ids = t.object_ids[:n_obj].tolist()
    vals = result.value[:n_obj].tolist()
    probs = result.probability[:n_obj].tolist()
    w_obj = max(6, *(len(str(o)) for o in ids)) if ids else 6
    w_val = max(5, *(len(str(v)) for v in vals)) if vals else 5
    print(f"\n{'object':<{w_obj}}  {'value':<{w_val}}  probability", file=out)
    for o, v, p in zip(ids, vals, probs):
        print(f"{o!s:<{w_obj}}  {v!s:<{w_val}}  {_prob(p)}", file=out)
    if n_obj < t.n_objects:
        print(f"... {t.n_objects - n_obj:,} more objects (--output FILE writes all)", file=out)
    single = int(np.count_nonzero(np.diff(t.object_start) == 1)) if not t.numeric else 0
    if single:
        print(
            f"({single:,} of {t.n_objects:,} objects have one candidate value: a probability is "
            "shared among the values given, so theirs is 1 whatever their sources' record)",
            file=out,
        )
    rel = result.reliability
    order = sorted(range(t.n_sources), key=lambda i: -(rel[i] if rel[i] == rel[i] else 0.0))
    n_src = len(order) if top is None else min(top, len(order))
    src_ids = t.source_ids.tolist()
    w_src = max(6, *(len(str(src_ids[i])) for i in order[:n_src])) if n_src else 6
    print(f"\n{'source':<{w_src}}  reliability", file=out)
    for i in order[:n_src]:
        r = "-" if rel[i] != rel[i] else f"{rel[i]:.4f}"
        print(f"{src_ids[i]!s:<{w_src}}  {r}", file=out)
    if n_src < len(order):
        print(f"... {len(order) - n_src:,} more sources", file=out)
    return 0


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {n}")
    return n


def _prob(p: float) -> str:
    """Four decimals, without rounding a probability that is not 0 or 1 to one."""
    if p != p:
        return "-"
    if 0.99995 <= p < 1.0:
        return ">0.9999"
    if 0.0 < p < 0.00005:
        return "<0.0001"
    return f"{p:.4f}"


def _settings(model: Any) -> dict[str, Any]:
    """The model's settings that JSON can hold (callables and arrays left out)."""
    out: dict[str, Any] = {}
    for f in attrs.fields(type(model)):
        if not f.init:
            continue  # learned state, not a setting
        v = getattr(model, f.name)
        if isinstance(v, (bool, int, float, str)) or v is None:
            out[f.name] = _json_number(v)
    return out


def _stdin_to_file() -> str:
    """Standard input copied to a temporary file (the readers want a path)."""
    fd, name = tempfile.mkstemp(prefix="credscore-stdin-", suffix=".csv")
    with os.fdopen(fd, "wb") as f:
        shutil.copyfileobj(sys.stdin.buffer, f)
    return name


def _write_output(result: Any, path: str) -> None:
    """Every fused value, as CSV (object, value, probability), JSON or Parquet."""
    from credscore.io.casefile import open_atomic

    target = Path(path)
    if target.suffix.lower() == ".json":
        with open_atomic(target) as f:
            write_json(result, f)
            f.write("\n")
        return
    if target.suffix.lower() == ".parquet":
        try:
            frame = result.to_frame()
            from credscore._optional import require

            require("pyarrow", "--output FILE.parquet")
        except ImportError as exc:
            raise InvalidInputError(f"--output: {exc}") from None
        with open_atomic(target, "wb") as f:
            frame.to_parquet(f, index=False)
        return
    if target.suffix.lower() not in (".csv", ".tsv", ".txt"):
        raise InvalidInputError(
            f"--output: {path!r} must end in .csv, .tsv, .json or .parquet "
            "(the format is taken from it)"
        )
    sep = "\t" if target.suffix.lower() == ".tsv" else ","
    with open_atomic(target) as f:
        w = csv.writer(f, delimiter=sep, lineterminator="\n")
        w.writerow(["object", "value", "probability"])
        t = result.table
        for o, v, p in zip(
            t.object_ids.tolist(), result.value.tolist(), result.probability.tolist()
        ):
            w.writerow([o, v, "" if p != p else repr(float(p))])


def _json_number(x: Any) -> Any:
    if hasattr(x, "item"):
        x = x.item()
    return None if isinstance(x, float) and not math.isfinite(x) else x
