"""Incremental fits: ``partial_fit`` of a few new rows against a new fit.

On the synthetic table of ``benchmarks/speed.py`` (``n`` assertions, five
sources per object), the model is fitted to all the rows but a share
``--fraction`` of them; then, on the clock, the held-back rows are compiled
and added with ``partial_fit``. That is compared with a new fit of all the
rows (compiling the table from the arrays, then ``fit``), with
``max_iter=10000`` for both so that both converge to the default ``tol``.

Two ways for rows to arrive:

``objects``
    the last objects (in id order), with all their assertions;
``answers``
    assertions drawn at random over the whole table.

With ``--text-ids`` sources, objects and values are strings (``"s00042"``,
``"o0001234"``, ``"v3"``), as a table read from a file holds them: a new fit
then sorts a million strings, and ``partial_fit`` only the new rows'.

Each model is first fitted to 1,000 rows so that loading numba's cached
kernels is not counted, and each time is the best of ``--repeat`` runs
(3; each partial fit starts from a copy of the same fitted model). Printed per model and scenario: the two times,
their ratio, the passes over the table of each fit, and how far the two
results are apart (largest difference of a claim probability and of a
reliability).

Usage::

    python benchmarks/incremental.py --size 1e6 --fraction 0.01 [--text-ids] \\
        --models majority dawid-skene one-coin corroboration --json incremental.json
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed

from credscore.errors import ConvergenceWarning
from credscore.models import get_model
from credscore.table.table import Table

MODELS = ("majority", "dawid-skene", "one-coin", "corroboration")


def held_back(obj: np.ndarray[Any, Any], fraction: float, how: str, seed: int = 0) -> Any:
    """Mask of the rows that arrive later."""
    if how == "objects":
        cut = np.quantile(obj, 1.0 - fraction)
        return obj >= cut
    rng = np.random.default_rng([seed, 7])
    return rng.random(obj.shape[0]) < fraction


def measure(name: str, arrays: tuple[Any, ...], late: Any, repeat: int = 3) -> dict[str, Any]:
    src, obj, val = arrays
    settings: dict[str, Any] = {} if name == "majority" else {"max_iter": 10_000}
    get_model(name, **settings).fit(
        Table.from_arrays(src[:1000], obj[:1000], val[:1000], numeric=False)
    )
    t_full = t_part = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        keep = ~late
        base = get_model(name, **settings).fit(
            Table.from_arrays(src[keep], obj[keep], val[keep], numeric=False)
        )
        for _ in range(repeat):
            t0 = time.perf_counter()
            refit = get_model(name, **settings).fit(
                Table.from_arrays(src, obj, val, numeric=False)
            )
            t_full = min(t_full, time.perf_counter() - t0)
            model = copy.deepcopy(base)
            t0 = time.perf_counter()
            model.partial_fit(Table.from_arrays(src[late], obj[late], val[late], numeric=False))
            t_part = min(t_part, time.perf_counter() - t0)
    a, b = model.result, refit.result
    same = a.table.n_claims == b.table.n_claims
    return {
        "model": name,
        "full_s": t_full,
        "partial_s": t_part,
        "ratio": t_part / t_full,
        "full_passes": b.n_iter,
        "partial_passes": a.n_iter,
        "max_prob_diff": float(np.abs(a.claim_probability - b.claim_probability).max())
        if same
        else float("nan"),
        "max_reliability_diff": float(np.abs(a.reliability - b.reliability).max()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=float, default=1e6)
    parser.add_argument("--fraction", type=float, default=0.01)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--scenarios", nargs="+", default=["objects", "answers"])
    parser.add_argument("--text-ids", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    n = int(args.size)
    src, obj, val, _ = speed.generate(n)
    late_by = {how: held_back(obj, args.fraction, how) for how in args.scenarios}
    if args.text_ids:
        src = np.char.add("s", np.char.zfill(src.astype(str), 5))
        obj = np.char.add("o", np.char.zfill(obj.astype(str), 7))
        val = np.char.add("v", val.astype(str))
    rows = []
    print(
        f"{'scenario':9} {'model':14} {'refit s':>8} {'partial s':>9} {'ratio':>6} "
        f"{'passes':>11} {'max dP':>9} {'max dR':>9}"
    )
    for how in args.scenarios:
        late = late_by[how]
        for name in args.models:
            row = {"scenario": how, "size": n, "fraction": args.fraction, "text": args.text_ids}
            row.update(measure(name, (src, obj, val), late, args.repeat))
            rows.append(row)
            print(
                f"{how:9} {name:14} {row['full_s']:8.3f} {row['partial_s']:9.3f} "
                f"{row['ratio']:6.3f} {row['full_passes']:5d}/{row['partial_passes']:<5d} "
                f"{row['max_prob_diff']:9.2e} {row['max_reliability_diff']:9.2e}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
