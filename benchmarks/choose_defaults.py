"""Choose a model's default setting on held-out gold, and say what it costs.

For one model and a grid of values of one setting, every value is fitted on
every set of crowd labels in ``../shared/data`` (or ``--root``, or
``CREDSCORE_DATA``), without any gold. The gold items of each set are then
split in two halves by a hash of the item id (CRC-32 of its text, even or
odd), and:

* the value with the best mean accuracy over the sets on half A is chosen,
  and then scored on half B beside the current default (accuracy, and the
  log loss, Brier score and ECE of the probability of each fused value);
* each set is scored with the value that did best (mean accuracy, all
  gold) on the other sets: leave one set out.

No number is chosen and reported on the same items. Usage::

    python benchmarks/choose_defaults.py --model corroboration \\
        --setting class_prior --values 1 2 5 10 20 50 [--sets duck web ...]
"""

from __future__ import annotations

import argparse
import ast
import sys
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accuracy import fused_outcomes

from credscore.datasets import Dataset, default_root, load
from credscore.errors import ConvergenceWarning
from credscore.metrics import brier, expected_calibration_error, log_loss
from credscore.models import FusionResult, get_model

CROWD = (
    "product",
    "sentiment",
    "relevance",
    "adult",
    "rte",
    "temp",
    "duck",
    "dog",
    "face",
    "web",
    "trec",
)


def half_of(item: Any) -> int:
    """0 (half A) or 1 (half B): the parity of the CRC-32 of the id's text.

    >>> half_of("q1"), half_of("a"), half_of(1) == half_of("1")
    (0, 1, True)
    """
    return zlib.crc32(str(item).encode("utf-8")) & 1


def half_scores(result: FusionResult, ds: Dataset) -> dict[int | None, dict[str, float]]:
    """Accuracy (as :meth:`Dataset.evaluate <credscore.datasets.Dataset.evaluate>`
    counts it, with expected tie credit) and the log loss, Brier score and ECE
    of the fused values' probabilities, on half A (0), half B (1) and all the
    gold (None)."""
    halves = {k: half_of(k) for k in ds.gold}
    out: dict[int | None, dict[str, float]] = {}
    for h in (0, 1, None):
        other = {k for k, g in halves.items() if h is not None and g != h}
        p, y = fused_outcomes(result, ds, exclude=other)
        out[h] = {
            "accuracy": 100 * ds.evaluate(result, exclude=other)["accuracy"],
            "log_loss": log_loss(p, y),
            "brier": brier(p, y),
            "ece": expected_calibration_error(p, y),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--setting", required=True)
    parser.add_argument("--values", nargs="+", required=True, help="Python literals")
    parser.add_argument("--sets", nargs="+", default=list(CROWD))
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args(argv)
    grid = [ast.literal_eval(v) for v in args.values]
    default = getattr(get_model(args.model), args.setting)
    if default not in grid:
        grid.append(default)
    root = args.root or default_root()
    scores: dict[str, dict[Any, dict[int | None, dict[str, float]]]] = {}
    for name in args.sets:
        ds = load(name, root=root)
        scores[name] = {}
        for value in grid:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                result = get_model(args.model, **{args.setting: value}).fit_score(ds.table)
            scores[name][value] = half_scores(result, ds)
        print(f"fitted {name}", file=sys.stderr, flush=True)

    def mean_of(key: str, value: Any, sets: list[str], half: int | None) -> float:
        return float(np.mean([scores[s][value][half][key] for s in sets]))

    def mean_accuracy(value: Any, sets: list[str], half: int | None) -> float:
        return mean_of("accuracy", value, sets, half)

    print(f"# {args.model}: {args.setting} in {grid} (default {default!r})\n")
    print("| value | mean accuracy, half A | half B | mean log loss, half A | half B |")
    print("|---|---:|---:|---:|---:|")
    for value in grid:
        a, b = mean_accuracy(value, args.sets, 0), mean_accuracy(value, args.sets, 1)
        la, lb = (mean_of("log_loss", value, args.sets, h) for h in (0, 1))
        print(f"| {value!r} | {a:.2f} | {b:.2f} | {la:.4f} | {lb:.4f} |")
    chosen = max(grid, key=lambda v: (mean_accuracy(v, args.sets, 0), v == default))
    print(f"\nChosen on half A: {chosen!r}. Half B, chosen against default:\n")
    print(
        "| set | accuracy | log loss | Brier | ECE | default accuracy | log loss | Brier | ECE |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in args.sets:
        row = []
        for value in (chosen, default):
            m = scores[s][value][1]
            row += [f"{m['accuracy']:.2f}", f"{m['log_loss']:.4f}", f"{m['brier']:.4f}"]
            row += [f"{m['ece']:.4f}"]
        print(f"| {s} | " + " | ".join(row) + " |")
    print("\nLeave one set out (value chosen on the other sets, all their gold):\n")
    print("| set | value chosen on the others | accuracy | with the default | change |")
    print("|---|---|---:|---:|---:|")
    for s in args.sets:
        others = [x for x in args.sets if x != s]
        pick = max(grid, key=lambda v: (mean_accuracy(v, others, None), v == default))
        got, base = mean_accuracy(pick, [s], None), mean_accuracy(default, [s], None)
        print(f"| {s} | {pick!r} | {got:.2f} | {base:.2f} | {got - base:+.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
