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
import math
import sys
from typing import IO, Any

from credscore.errors import CredscoreError
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
    p.add_argument("file", help="CSV/TSV file with a header naming source, object, value")
    p.add_argument("--model", default="accu", help="registry name of the model (default: accu)")
    p.add_argument("--gold", help="CSV with columns object, value (or question, truth)")
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
    p.add_argument("--source-col", default="source", help="name of the source column")
    p.add_argument("--object-col", default="object", help="name of the object column")
    p.add_argument("--value-col", default="value", help="name of the value column")
    p.add_argument("--time-col", default=None, help="name of an optional time column")
    p.add_argument("--sep", default=None, help="field separator (default: sniffed)")
    p.add_argument(
        "--numeric",
        action="store_true",
        help="values are numbers (default for models that accept only numbers)",
    )
    p.add_argument("--max-iter", type=int, default=None, help="iterations for iterative models")
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
    from credscore.table.read import read_gold

    settings: dict[str, Any] = {}
    if args.max_iter is not None:
        settings["max_iter"] = args.max_iter
    if args.seed is not None:
        settings["seed"] = args.seed
    try:
        model = resolve_model(args.model, **settings)
        numeric = bool(args.numeric) or model.kinds == frozenset({"numeric"})
        table = read_table(
            args.file,
            source=args.source_col,
            object=args.object_col,
            value=args.value_col,
            time=args.time_col,
            sep=args.sep,
            numeric=numeric,
        )
        reporter = attach_progress(model, file=err) if args.progress else None
        try:
            result = model.fit_score(table)
        finally:
            if reporter is not None:
                reporter.close()
        evaluation = None
        if args.gold:
            gold = read_gold(args.gold, numeric=table.numeric)
            evaluation = evaluate(result, gold, ties=args.ties)
    except (CredscoreError, ValueError, TypeError, OSError) as exc:
        print(f"credscore fuse: error: {exc}", file=err)
        return 2

    extra = None
    if evaluation is not None:
        extra = {"evaluation": {k: _json_number(v) for k, v in evaluation.items()}}
    if args.json:  # streamed: a table of 10^7 rows never makes one big dict
        write_json(result, out, extra=extra)
        out.write("\n")
        return 0

    doc = result.to_dict()
    objects, sources = doc["objects"], doc["sources"]
    w_obj = max(6, *(len(str(o["object"])) for o in objects))
    w_val = max(5, *(len(str(o["value"])) for o in objects))
    print(
        f"{result.model}: {table!r}, n_iter={result.n_iter}, converged={result.converged}",
        file=out,
    )
    print(f"\n{'object':<{w_obj}}  {'value':<{w_val}}  probability", file=out)
    for o in objects:
        prob = "-" if o["probability"] is None else f"{o['probability']:.4f}"
        print(f"{o['object']!s:<{w_obj}}  {o['value']!s:<{w_val}}  {prob}", file=out)
    w_src = max(6, *(len(str(s["source"])) for s in sources))
    print(f"\n{'source':<{w_src}}  reliability", file=out)
    for s in sorted(sources, key=lambda s: -(s["reliability"] or 0.0)):
        rel = "-" if s["reliability"] is None else f"{s['reliability']:.4f}"
        print(f"{s['source']!s:<{w_src}}  {rel}", file=out)
    if evaluation is not None:
        parts = ", ".join(
            f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in evaluation.items()
        )
        print(f"\nevaluation: {parts}", file=out)
    return 0


def _json_number(x: Any) -> Any:
    if hasattr(x, "item"):
        x = x.item()
    return None if isinstance(x, float) and not math.isfinite(x) else x
