"""Run every registered model on every data set and write docs/accuracy.md.

Usage::

    python benchmarks/accuracy.py [--root DIR] [--out docs/accuracy.md]
                                  [--models a,b] [--datasets x,y]
                                  [--timeout 300] [--memory-gb 4]

Each (data set, model) pair runs in its own forked process under a memory
limit and a time limit, so that a model that does not scale to a data set
(a Dawid-Skene confusion matrix over thousands of author lists, say) is
reported as such instead of taking the machine down. The data sets are
read from ``../shared/data`` (or ``--root``, or ``CREDSCORE_DATA``); they are
never copied into the repository. The published numbers beside ours are
those of ``PUBLISHED_RESULTS.md`` in that folder.

Every model runs with its default settings. On the data sets of crowd labels,
a few models also run on ``Table.with_label_set()`` (every label a candidate
of every object, also where nobody gave it), as rows ``<model> on the label
set``. A data set that says what its
sources are before any fitting (``Dataset.source_settings``: population's
editor kinds and bots) also runs each model that accepts that knowledge with
it, as a separate row ``<model> + known sources``, and an ablation of it
(groups only, copiers only, other copy rates) is written beside the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
import warnings
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from credscore.datasets import Dataset, available_datasets, default_root, load  # noqa: E402
from credscore.errors import ConvergenceWarning  # noqa: E402
from credscore.metrics import brier, expected_calibration_error, log_loss  # noqa: E402
from credscore.models import available_models, get_model  # noqa: E402

# Published numbers on the same data (PUBLISHED_RESULTS.md), as
# (method, value, where). Accuracies as fractions; MAE as is.
PUBLISHED: dict[str, list[tuple[str, float, str]]] = {
    "product": [
        ("MV", 0.8966, "Zheng et al. 2017, Table 6"),
        ("D&S", 0.9366, "Zheng et al. 2017"),
        ("BCC (best)", 0.9378, "Zheng et al. 2017"),
        ("DS (crowd-kit)", 0.940, "Ustalov et al., crowd-kit"),
        ("BWA", 0.9194, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("EBCC", 0.9349, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("IBCC", 0.9383, "Li & Yu 2019 / Li et al. 2019 notebooks"),
    ],
    "sentiment": [
        ("MV", 0.9331, "Zheng et al. 2017, Table 6"),
        ("D&S / BCC / LFC (best)", 0.9600, "Zheng et al. 2017"),
        ("BWA", 0.956, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("IBCC", 0.960, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("EBCC", 0.961, "Li & Yu 2019 / Li et al. 2019 notebooks"),
    ],
    "relevance": [
        ("MV", 0.5419, "Zheng et al. 2017, Table 6"),
        ("D&S", 0.6130, "Zheng et al. 2017"),
        ("LFC (best)", 0.6164, "Zheng et al. 2017"),
    ],
    "adult": [
        ("MV, all 1,517 gold items", 0.3604, "Zheng et al. 2017 (unanswered items count wrong)"),
        ("MV, answered items", 0.763, "Ustalov et al., crowd-kit"),
        ("Wawa (best, answered)", 0.766, "Ustalov et al., crowd-kit"),
    ],
    "emotion": [
        ("Mean (best)", 12.02, "Zheng et al. 2017, Table 6 (MAE)"),
        ("LFC_N", 12.20, "Zheng et al. 2017"),
        ("PM (=CRH)", 13.91, "Zheng et al. 2017"),
        ("CATD", 16.36, "Zheng et al. 2017"),
    ],
    "rte": [
        ("MV", 0.897, "../shared/data/README.md (ties at random)"),
        ("Dawid-Skene (crowd-kit)", 0.9275, "issue 4"),
        ("BWA / IBCC", 0.9275, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("EBCC", 0.93125, "Li & Yu 2019 / Li et al. 2019 notebooks (745/800)"),
    ],
    "temp": [
        ("MV", 0.936, "../shared/data/README.md (ties at random)"),
        ("best published (issue 4)", 0.9416, "issue 4"),
    ],
    "books": [
        ("Voting", 0.71, "Yin et al. 2007 / Dong et al. 2009"),
        ("TruthFinder", 0.85, "Yin et al. 2007 (0.83 in Dong et al. 2009)"),
        ("Accu", 0.87, "Dong et al. 2009, Table 6"),
        ("AccuSim (best)", 0.89, "Dong et al. 2009, Table 6"),
    ],
    "population": [
        ("Voting", 0.7993, "Pasternack & Roth 2013 (274 eval claims)"),
        ("TruthFinder", 0.8504, "Pasternack & Roth 2013"),
        ("MistakeLCAm (best)", 0.8613, "Pasternack & Roth 2013"),
        ("dominant value", 0.807, "DAFNA-EA dataSetInfo (301 gold)"),
    ],
    "flights": [
        ("majority on raw strings", 0.7625, "issue 4 (this 2011-12-01 subset)"),
        ("Vote (full Flight)", 0.864, "Li et al. 2012, Table 7"),
        ("AccuCopy (full Flight)", 0.943, "Li et al. 2012, Table 7"),
    ],
    "duck": [
        ("BWA", 0.7593, "Li & Yu 2019 / Li et al. 2019 notebooks (bluebird)"),
        ("EBCC", 0.8611, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("IBCC", 0.8889, "Li & Yu 2019 / Li et al. 2019 notebooks"),
    ],
    "dog": [
        ("BWA", 0.8315, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("IBCC", 0.8389, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("EBCC", 0.8401, "Li & Yu 2019 / Li et al. 2019 notebooks"),
    ],
    "face": [
        ("BWA", 0.6182, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("EBCC", 0.6353, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("IBCC", 0.6404, "Li & Yu 2019 / Li et al. 2019 notebooks"),
    ],
    "web": [
        ("IBCC", 0.7508, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("EBCC", 0.7686, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("BWA", 0.8225, "Li & Yu 2019 / Li et al. 2019 notebooks"),
    ],
    "trec": [
        ("BWA", 0.6044, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("EBCC", 0.7037, "Li & Yu 2019 / Li et al. 2019 notebooks"),
        ("IBCC", 0.7055, "Li & Yu 2019 / Li et al. 2019 notebooks"),
    ],
}


# The bars of issues 4 and 11 ("what it must show"), in the units of the tables below.
BARS = {
    "product": ">= 93.95 (.940)",
    "sentiment": ">= 95.9",
    "relevance": ">= 61.0",
    "rte": ">= 92",
    "temp": ">= 94",
    "emotion": "<= 12.1",
    "books": ">= 85",
    "population": ">= 85",
    "flights": ">= 88",
    "web": ">= 82.0",
    "trec": ">= 70.5",
}


KNOWN = " + known sources"
#: Rows fitted to ``Table.with_label_set()`` (every label a candidate of every
#: object), on the data sets of crowd labels (a label set of at most
#: ``LABEL_SET_MAX`` labels), for the models whose parameters are per label.
LABEL_SET = " on the label set"
LABEL_SET_MODELS = ("dawid-skene", "ibcc", "ebcc", "corroboration")
LABEL_SET_MAX = 10


def fused_outcomes(
    result: Any, ds: Dataset, exclude: Collection[Any] = ()
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """For each gold object of ``ds`` in the result's table and not in
    ``exclude``: the probability the result gives its fused value, and
    whether that value is the gold one (compared with ``==``, as
    :func:`credscore.metrics.evaluate` does)."""
    pos = {o: i for i, o in enumerate(result.table.object_ids.tolist())}
    keys = [k for k in ds.gold if k in pos and k not in exclude]
    idx = np.array([pos[k] for k in keys], dtype=np.int64)
    fused = result.value[idx].tolist()
    right = np.array([f == ds.gold[k] for f, k in zip(fused, keys)], dtype=bool)
    return np.clip(result.probability[idx], 0.0, 1.0), right


def _run_one(
    ds: Dataset, model: str, memory_gb: float, queue: Any, settings: dict[str, Any]
) -> None:
    """Child process: fit one model on one data set and report its scores."""
    try:
        limit = int(memory_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            model_obj = get_model(model.removesuffix(LABEL_SET), **settings)
            table = ds.table.with_label_set() if model.endswith(LABEL_SET) else ds.table
            result = model_obj.fit_score(table)
            seconds = time.perf_counter() - start
        out: dict[str, Any] = dict(ds.evaluate(result))
        out.update(seconds=seconds, n_iter=result.n_iter, converged=result.converged)
        if settings.get("prior_groups") is not None:
            out["groups"] = dict(model_obj.group_reliability_)
        if not ds.table.numeric:
            p, right = fused_outcomes(result, ds)
            out["ece"] = expected_calibration_error(p, right)
            out["log_loss"] = log_loss(p, right)
            out["brier"] = brier(p, right)
            sure = (p >= 1.0 - 1e-12) & ~right  # at the 1e-15 clip: ln(1e15) each
            out["sure_wrong"] = int(sure.sum())
            out["sure_wrong_loss"] = float(sure.sum()) * -np.log(1e-15) / max(len(p), 1)
        queue.put(out)
    except MemoryError:
        queue.put({"error": f"out of memory (> {memory_gb:g} GB)"})
    except Exception as exc:
        queue.put({"error": f"{type(exc).__name__}: {str(exc)[:100]}"})


def run_pair(
    ds: Dataset,
    model: str,
    timeout: float,
    memory_gb: float,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_one, args=(ds, model, memory_gb, queue, settings or {}))
    proc.start()
    try:
        return dict(queue.get(timeout=timeout))
    except Exception:
        return {"error": f"no result within {timeout:g} s"}
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()


def accepts(model: str, ds: Dataset) -> bool:
    kind = "numeric" if ds.table.numeric else "categorical"
    if model.endswith(LABEL_SET):
        base = model.removesuffix(LABEL_SET)
        return (
            base in LABEL_SET_MODELS
            and not ds.table.numeric
            and ds.table.labels.shape[0] <= LABEL_SET_MAX
        )
    return kind in get_model(model.removesuffix(KNOWN)).kinds


def ablation(ds: Dataset, model: str) -> list[tuple[str, dict[str, Any]]]:
    """Parts of the known-source settings of ``model`` on ``ds``, one at a time."""
    full = ds.source_settings(model)
    out: list[tuple[str, dict[str, Any]]] = [("none (default settings)", {})]
    if "prior_groups" in full:
        out.append(("prior groups only", {"prior_groups": full["prior_groups"]}))
    if "copiers" in full:
        out.append(("copiers only", {"copiers": full["copiers"]}))
    if len(full) > 1:
        out.append(("prior groups and copiers (the row above)", full))
    if "copiers" in full:
        for rate in (0.5, 0.9):
            out.append((f"both, copy rate {rate}", {**full, "copy_rate": rate}))
        others = {k: v for k, v in full.items() if k != "copiers"}
        everyone = frozenset(ds.table.source_ids.tolist())
        out.append(("prior groups, every source a copier", {**others, "copiers": everyone}))
    return out


def fmt(name: str, r: dict[str, Any] | None) -> str:
    if r is None:
        return ""
    if "error" in r:
        return "—"
    if "mae" in r:
        return f"{r['mae']:.2f}"
    return f"{100 * r['accuracy']:.2f}"


def best_of(name: str, results: dict[str, dict[str, Any]]) -> tuple[str, float] | None:
    ok = {m: r for m, r in results.items() if "error" not in r}
    if not ok:
        return None
    if any("mae" in r for r in ok.values()):
        m = min(ok, key=lambda m: ok[m]["mae"])
        return m, ok[m]["mae"]
    m = max(ok, key=lambda m: ok[m]["accuracy"])
    return m, ok[m]["accuracy"]


def render(
    data: dict[str, Dataset],
    results: dict[str, dict[str, dict[str, Any]]],
    models: list[str],
    elapsed: float,
    limits: str,
    ablations: dict[str, list[tuple[str, dict[str, Any]]]] | None = None,
) -> str:
    ablations = ablations or {}
    lines: list[str] = []
    add = lines.append
    add("# Accuracy on real data")
    add("")
    add(
        "Every registered model on every data set of `../shared/data`, beside the numbers "
        "published on the same data (`PUBLISHED_RESULTS.md` there). Generated by "
        "`python benchmarks/accuracy.py`; do not edit by hand."
    )
    add("")
    add(
        "Accuracy is in percent, counted with *expected tie credit*: an object whose top "
        "probability is shared by k values scores 1/k when the gold value is among them "
        "(the expected accuracy of breaking ties at random, as published baselines do). "
        "N_Emotion is scored by mean absolute error (lower is better). Models run with "
        "their default settings. Rows ending in *on the label set* fit "
        "`Table.with_label_set()` on the sets of crowd labels: every label is a candidate "
        "of every object, so a model can return a label nobody gave (as crowd-kit's "
        "Dawid-Skene does). The calibration of the probability a model gives its fused "
        "value (log loss, Brier score, ECE) is in its own section below. A dash means "
        "the model failed on that data set (see the notes)."
    )
    add("")
    add("## Summary")
    add("")
    add(
        "| data set | items scored | bar | best published | best credscore model "
        "| corroboration | majority / mean |"
    )
    add("|---|---:|---|---|---|---:|---:|")
    for name, ds in data.items():
        res = results[name]
        items = next((r["items"] for r in res.values() if "items" in r), "")
        pub = PUBLISHED.get(name)
        if pub:
            if name == "emotion":
                m, v, _ = min(pub, key=lambda p: p[1])
                pub_s = f"{m} {v:.2f}"
            else:
                m, v, _ = max(pub, key=lambda p: p[1])
                pub_s = f"{m} {100 * v:.2f}"
        else:
            pub_s = "—"
        best = best_of(name, res)
        if best is None:
            best_s = "—"
        elif ds.table.numeric:
            best_s = f"{best[0]} {best[1]:.2f}"
        else:
            best_s = f"{best[0]} {100 * best[1]:.2f}"
        base = res.get("mean" if ds.table.numeric else "majority")
        corr = fmt(name, res.get("corroboration"))
        if "corroboration" + KNOWN in res:
            corr = f"{fmt(name, res['corroboration' + KNOWN])} ({corr} blind)"
        add(
            f"| {name} | {items} | {BARS.get(name, '')} | {pub_s} | {best_s} | {corr} "
            f"| {fmt(name, base)} |"
        )
    add("")

    def model_table(rows: list[str], columns: list[str], cell: Callable[[str, str], str]) -> None:
        """One row per model, one column per data set, ``cell(model, set)``."""
        add("| model | " + " | ".join(columns) + " |")
        add("|---|" + "---:|" * len(columns))
        for m in rows:
            add(f"| {m} | " + " | ".join(cell(m, n) for n in columns) + " |")

    add("## Every model")
    add("")
    names = list(data)
    best_model = {n: (best_of(n, results[n]) or ("", 0.0))[0] for n in names}
    known_rows = sorted({m for n in names for m in results[n] if m.endswith(KNOWN)})
    models = [*models, *known_rows]

    def accuracy_cell(m: str, n: str) -> str:
        cell = fmt(n, results[n].get(m))
        return f"**{cell}**" if m == best_model[n] else cell

    model_table(models, names, accuracy_cell)
    add("")
    add(
        "Bold: the best model on that data set. An empty cell: the model does not accept "
        "that kind of value (categorical/numeric)."
    )
    add("")
    if known_rows:
        add("## Known sources")
        add("")
        add(
            "Rows ending in *+ known sources* run the model with what the data set says "
            "about its sources before any fitting, never from the gold "
            "(`Dataset.source_settings`). On population: each editor's kind, anonymous "
            "(an IP address), registered or bot, from the editor's name alone "
            "(`credscore.datasets.editor_kind`), as `prior_groups` (each kind's mean "
            "reliability is learned and each editor shrunk toward it, so an editor with "
            "few edits gets the reliability of its kind); and the bots as `copiers` (a bot "
            "edits many pages at once and saves the figure it finds, so where another "
            "editor gives the same figure its confirmation counts as copied with "
            "probability 0.8, the copy rate of Dong et al. 2009). See "
            "`docs/explanation/known-sources.md`."
        )
        add("")
        for name, rows in ablations.items():
            add(f"Ablation on {name} (corroboration, accuracy in percent):")
            add("")
            add("| settings | accuracy | learned mean reliability per group |")
            add("|---|---:|---|")
            for label, r in rows:
                groups = r.get("groups") or {}
                g = ", ".join(f"{k} {v:.2f}" for k, v in groups.items())
                add(f"| {label} | {fmt(name, r)} | {g} |")
            add("")
    categorical = [n for n in names if n in data and not data[n].table.numeric]
    if categorical:
        add("## Calibration: the probability of the fused value")
        add("")
        add(
            "Each model's probability for the value it fused, against whether that value "
            "is the gold one, on every gold item scored: log loss (natural log, "
            "probabilities clipped at 1e-15; 0.69 for a constant 0.5), Brier score and "
            "ECE (10 equal-mass bins); lower is better. Numeric sets have no such "
            "probability and are left out."
        )
        add("")
        r = results.get("product", {}).get("corroboration")
        if r is not None and "sure_wrong" in r:
            add(
                "Most of the log loss comes from items reported at probability 1 and wrong. "
                "A result's probabilities sum to 1 over the values that were asserted, so an "
                "item on which every answer gives the same value is reported at probability "
                "1 even where the model leaves mass for labels nobody gave: corroboration on "
                f"product has {r['sure_wrong']} such items of {r['items']}, which make "
                f"{r['sure_wrong_loss']:.2f} of its log loss {r['log_loss']:.2f}. The rows "
                "*on the label set* keep that mass (every label a candidate)."
            )
            add("")
        order = [m for m in ("corroboration", "dawid-skene") if m in models]
        order += [m for m in models if m not in order and not m.endswith(KNOWN)]
        for key, title in (
            ("log_loss", "Log loss"),
            ("brier", "Brier score"),
            ("ece", "Expected calibration error"),
        ):
            add(f"### {title}")
            add("")

            def calibration_cell(m: str, n: str, key: str = key) -> str:
                r = results[n].get(m)
                return "" if r is None else f"{r[key]:.4f}" if key in r else "—"

            model_table(order, categorical, calibration_cell)
            add("")
    add("## Published numbers on the same data")
    add("")
    for name in names:
        if name not in PUBLISHED:
            continue
        pub = "; ".join(
            f"{m} {v:.2f}" if name == "emotion" else f"{m} {100 * v:.2f}"
            for m, v, _ in PUBLISHED[name]
        )
        where = "; ".join(sorted({w for _, _, w in PUBLISHED[name]}))
        add(f"- **{name}**: {pub} ({where}).")
    add("")
    add("## Exactly which items were scored")
    add("")
    for name, ds in data.items():
        add(f"- **{name}**: {ds.description}")
    add("")
    errors = [(n, m, r["error"]) for n in names for m, r in results[n].items() if "error" in r]
    if errors:
        add("## Notes: failures")
        add("")
        for n, m, e in errors:
            add(f"- {m} on {n}: {e}")
        add("")
    add("## Time (seconds to fit, this machine)")
    add("")
    add(
        "Each fit runs in a fresh process, so a time includes any one-off compilation "
        "of numba kernels (about half a second) when numba is installed."
    )
    add("")

    def seconds_cell(m: str, n: str) -> str:
        r = results[n].get(m)
        return f"{r['seconds']:.2f}" if r and "seconds" in r else ""

    model_table(models, names, seconds_cell)
    add("")
    add(
        f"Generated {dt.date.today().isoformat()} on {platform.machine()} "
        f"({os.cpu_count()} cores), Python {platform.python_version()}, numpy "
        f"{np.__version__}; total {elapsed:.0f} s; each fit limited to {limits}."
    )
    add("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="data folder")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "accuracy.md")
    parser.add_argument("--models", default=None, help="comma-separated model names")
    parser.add_argument("--datasets", default=None, help="comma-separated data set names")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per fit")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="memory limit per fit")
    args = parser.parse_args(argv)

    root = args.root or default_root()
    models = args.models.split(",") if args.models else available_models()
    models += [m + LABEL_SET for m in LABEL_SET_MODELS if m in models]
    names = args.datasets.split(",") if args.datasets else available_datasets()
    start = time.perf_counter()
    data: dict[str, Dataset] = {}
    results: dict[str, dict[str, dict[str, Any]]] = {}
    ablations: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name in names:
        ds = load(name, root)
        data[name] = ds
        results[name] = {}
        for m in models:
            if not accepts(m, ds):
                continue
            r = run_pair(ds, m, args.timeout, args.memory_gb)
            results[name][m] = r
            shown = r.get("error") or fmt(name, r)
            print(f"{name:11s} {m:18s} {shown}", flush=True)
            known = {} if m.endswith(LABEL_SET) else ds.source_settings(m)
            if known:
                r = run_pair(ds, m, args.timeout, args.memory_gb, known)
                results[name][m + KNOWN] = r
                print(f"{name:11s} {m + KNOWN:18s} {r.get('error') or fmt(name, r)}", flush=True)
        if "corroboration" in models and ds.source_settings("corroboration"):
            ablations[name] = [
                (label, run_pair(ds, "corroboration", args.timeout, args.memory_gb, kw))
                for label, kw in ablation(ds, "corroboration")
            ]
    limits = f"{args.memory_gb:g} GB and {args.timeout:g} s"
    text = render(data, results, models, time.perf_counter() - start, limits, ablations)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # keep the section benchmarks/rumours.py writes
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    start, end = "<!-- rumours:start -->", "<!-- rumours:end -->"
    if start in old and end in old:
        kept = old[old.index(start) : old.index(end) + len(end)]
        text = text.rstrip("\n") + "\n\n" + kept + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
