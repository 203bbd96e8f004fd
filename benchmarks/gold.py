"""What known values buy: ``fit(table, gold=...)`` with a share of the gold.

For each data set and model, the gold items are shuffled (seeds 0 to
``--splits - 1``), the first ``--share`` of them are given to the fit, and the
fit with them is compared with the fit without them on the other items:
accuracy (MAE on numeric sets), and the log loss, Brier score and ECE of the
probability of each fused value. The data sets are read from
``../shared/data`` (or ``--root``, or ``CREDSCORE_DATA``).

Usage::

    python benchmarks/gold.py [--root DIR] [--share 0.1] [--splits 5] \\
        [--sets web flights ...] [--models corroboration accu ...]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from credscore.datasets import Dataset, default_root, load
from credscore.metrics import brier, expected_calibration_error, log_loss
from credscore.models import FusionResult, get_model
from credscore.models.registry import gold_models

SETS = ("product", "rte", "web", "trec", "duck", "dog", "face", "flights", "books", "population")


def calibration(result: FusionResult, ds: Dataset, given: dict[Any, Any]) -> tuple[float, ...]:
    """Log loss, Brier and ECE of the fused values' probabilities on the
    gold objects not in ``given``."""
    t = result.table
    best = result.best_claim
    ids = [str(o) for o in t.object_ids.tolist()]
    values = [str(v) for v in t.claim_value[best].tolist()]
    p = np.clip(result.claim_probability[best], 0.0, 1.0)
    keep = [i for i, o in enumerate(ids) if o in ds.gold and o not in given]
    y = np.array([values[i] == str(ds.gold[ids[i]]) for i in keep])
    q = p[keep]
    return log_loss(q, y), brier(q, y), expected_calibration_error(q, y)


def measure(ds: Dataset, model: str, share: float, splits: int) -> dict[str, float]:
    plain = get_model(model).fit_score(ds.table)
    numeric = ds.table.numeric
    rows = []
    for seed in range(splits):
        keys = sorted(ds.gold)
        np.random.default_rng(seed).shuffle(keys)
        given = {k: ds.gold[k] for k in keys[: int(len(keys) * share)]}
        if numeric:
            given = {k: float(v) for k, v in given.items()}
        with_gold = get_model(model).fit_score(ds.table, gold=given)
        key = "mae" if numeric else "accuracy"
        before = ds.evaluate(plain, exclude=given)[key]
        after = ds.evaluate(with_gold, exclude=given)[key]
        cal = (
            (np.nan,) * 6
            if numeric
            else calibration(plain, ds, given) + calibration(with_gold, ds, given)
        )
        rows.append((before, after, *cal))
    a = np.array(rows, dtype=np.float64)
    gains = a[:, 1] - a[:, 0]
    mean = a.mean(axis=0)
    return {
        "before": mean[0],
        "gain": float(gains.mean()),
        "better": int(np.sum(gains < 0 if numeric else gains > 0)),
        "log_loss": (mean[2], mean[5]),
        "brier": (mean[3], mean[6]),
        "ece": (mean[4], mean[7]),
    }  # type: ignore[dict-item]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--models", nargs="+", default=gold_models())
    args = parser.parse_args(argv)
    root = args.root or default_root()
    warnings.simplefilter("ignore")
    print("| set | model | without gold | gain (splits better) | log loss | Brier | ECE |")
    print("|---|---|---|---|---|---|---|")
    for name in args.sets:
        ds = load(name, root)
        kind = "numeric" if ds.table.numeric else "categorical"
        for model in args.models:
            if kind not in get_model(model).kinds:
                continue
            m = measure(ds, model, args.share, args.splits)
            scale = 1.0 if ds.table.numeric else 100.0
            cells = [
                f"{a:.3f} -> {b:.3f}" if np.isfinite(a) else ""
                for a, b in (m["log_loss"], m["brier"], m["ece"])  # type: ignore[misc]
            ]
            print(
                f"| {name} | {model} | {scale * m['before']:.2f} | "
                f"{scale * m['gain']:+.2f} ({m['better']} of {args.splits}) | "
                + " | ".join(cells)
                + " |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
