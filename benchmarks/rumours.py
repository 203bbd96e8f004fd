"""RumourEval 2017: how well credscore's scores match how rumours turned out.

Usage::

    python benchmarks/rumours.py [--root DIR] [--reps 10] [--out docs/accuracy.md]

The threads come from ``credscore.datasets.rumoureval`` (read from
``../shared/data``, never copied). The 219 threads labelled true or false are
scored; "unverified" threads stay in every history as claims without an
outcome. For each method: AUC, macro-F1 (true vs false, at p = 0.5), log
loss, Brier score and ECE (10 equal-mass bins), and the numbers of a
reliability diagram (10 equal-mass bins):

- ``default``: credscore's default model, which learns nothing;
- ``learned``: ``credscore.learn`` on the training threads, scoring the others;
- ``base rate``: the share of true threads in the training folds;
- ``sign(#support - #deny)``: a ranking only (no probabilities);
- ``stance-count LR``: logistic regression (L2, strength 1) on the counts of
  support, deny, query and comment tweets in the thread.

Two protocols: 10 x 5-fold cross-validation over threads (folds drawn with a
fixed seed; metrics averaged over the repetitions), and the official split
(train + dev -> test: 199 threads -> 20, from events the training data do
not name). The results replace the section between the ``rumours`` markers
of ``docs/accuracy.md`` (``--out``); ``--out -`` prints them only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import numpy as np

import credscore
from credscore import Case
from credscore import metrics as M
from credscore.datasets import rumoureval

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- rumours:start -->", "<!-- rumours:end -->"

Predict = Callable[[list[Case], set[str]], dict[str, float]]


def hide(cases: Sequence[Case], ids: set[str]) -> list[Case]:
    """The cases with the outcomes of the claims ``ids`` removed."""
    out = []
    for case in cases:
        if any(c.id in ids for c in case.claims):
            claims = [
                attrs.evolve(c, resolved=None, resolved_at=None) if c.id in ids else c
                for c in case.claims
            ]
            case = attrs.evolve(case, claims=claims)
        out.append(case)
    return out


def truth_of(cases: Sequence[Case]) -> dict[str, bool]:
    return {c.id: c.resolved for case in cases for c in case.claims if c.resolved is not None}


def _scores(cases: Sequence[Case], ids: set[str], model: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for case in cases:
        if not any(c.id in ids for c in case.claims):
            continue
        s = credscore.score(case, model=model)
        for c in case.claims:
            if c.id in ids:
                out[c.id] = s[c.id].probability
    return out


def default(cases: list[Case], test: set[str]) -> dict[str, float]:
    return _scores(cases, test, None)


def learned(cases: list[Case], test: set[str]) -> dict[str, float]:
    model = credscore.learn(hide(cases, test))
    return _scores(cases, test, model)


def base_rate(cases: list[Case], test: set[str]) -> dict[str, float]:
    truth = truth_of(cases)
    train = [v for k, v in truth.items() if k not in test]
    p = float(np.mean(train))
    return dict.fromkeys(test, p)


def _counts(cases: Sequence[Case]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    col = {"confirms": 0, "denies": 1, "observes": 2, "no_comment": 3}
    for case in cases:
        for c in case.claims:
            out[c.id] = np.zeros(4)
        for r in case.reports:
            out[r.claim][col[r.stance.value]] += 1
    return out


def sign_count(cases: list[Case], test: set[str]) -> dict[str, float]:
    counts = _counts(cases)
    return {k: float(np.sign(counts[k][0] - counts[k][1])) for k in test}


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method (intercept free)."""
    X = np.c_[np.ones(len(x)), x]
    w = np.zeros(X.shape[1])
    pen = np.r_[0.0, np.full(X.shape[1] - 1, l2)]
    for _ in range(100):
        p = 1 / (1 + np.exp(-X @ w))
        g = X.T @ (p - y) + pen * w
        h = (X * (p * (1 - p))[:, None]).T @ X + np.diag(pen)
        step = np.linalg.solve(h, g)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w


def stance_lr(cases: list[Case], test: set[str]) -> dict[str, float]:
    counts = _counts(cases)
    truth = truth_of(cases)
    train = sorted(k for k in truth if k not in test)
    w = logistic(np.array([counts[k] for k in train]), np.array([truth[k] for k in train], float))
    ids = sorted(test)
    z = np.c_[np.ones(len(ids)), np.array([counts[k] for k in ids])] @ w
    return dict(zip(ids, (1 / (1 + np.exp(-z))).tolist()))


METHODS: dict[str, tuple[Predict, bool]] = {
    # name: (predict, gives probabilities)
    "default": (default, True),
    "learned": (learned, True),
    "base rate": (base_rate, True),
    "sign(#support - #deny)": (sign_count, False),
    "stance-count LR": (stance_lr, True),
}


def metrics(prob: dict[str, float], truth: dict[str, bool], calibrated: bool) -> dict[str, float]:
    ids = sorted(prob)
    p = np.array([prob[k] for k in ids])
    y = np.array([truth[k] for k in ids], dtype=float)
    out = {"auc": M.roc_auc(p, y)}
    if calibrated:
        q = np.clip(p, 1e-12, 1 - 1e-12)
        out["f1"] = M.precision_recall_f1(y, (q >= 0.5).astype(float), average="macro")[2]
        out["log_loss"] = M.log_loss(q, y)
        out["brier"] = M.brier(q, y)
        out["ece"] = M.expected_calibration_error(q, y, n_bins=10, ties="together")
    else:
        out["f1"] = M.precision_recall_f1(y, (p > 0).astype(float), average="macro")[2]
    return out


def folds(ids: list[str], k: int, rng: np.random.Generator) -> list[set[str]]:
    order = rng.permutation(len(ids))
    return [{ids[i] for i in order[j::k]} for j in range(k)]


def cross_validate(
    cases: list[Case], method: str, reps: int = 10, k: int = 5, seed: int = 0
) -> tuple[dict[str, float], list[dict[str, float]], dict[str, float], dict[str, bool]]:
    """Metrics averaged over ``reps`` repetitions of k-fold CV over threads;
    also each repetition's metrics and the first repetition's predictions."""
    predict, calibrated = METHODS[method]
    truth = truth_of(cases)
    ids = sorted(truth)
    rng = np.random.default_rng(seed)
    per_rep = []
    first: dict[str, float] = {}
    for rep in range(reps):
        pred: dict[str, float] = {}
        for test in folds(ids, k, rng):
            pred.update(predict(cases, test))
        per_rep.append(metrics(pred, truth, calibrated))
        if rep == 0:
            first = pred
    mean = {m: float(np.mean([r[m] for r in per_rep])) for m in per_rep[0]}
    return mean, per_rep, first, truth


@cache
def official_test_ids() -> frozenset[str]:
    """The resolved threads of the official test split (read once)."""
    return frozenset(truth_of(rumoureval_split(("test",))))


def official(cases_all: list[Case], method: str) -> tuple[dict[str, float], dict[str, float]]:
    test_ids = set(official_test_ids())
    predict, calibrated = METHODS[method]
    pred = predict(cases_all, test_ids)
    return metrics(pred, truth_of(cases_all), calibrated), pred


_ROOT: list[Any] = [None]


def rumoureval_split(splits: Sequence[str]) -> list[Case]:
    return rumoureval(_ROOT[0], splits=splits)


def bins_line(pred: dict[str, float], truth: dict[str, bool]) -> str:
    ids = sorted(pred)
    p = np.clip(np.array([pred[k] for k in ids]), 0, 1)
    y = np.array([truth[k] for k in ids], dtype=float)
    mp, share, n = M.calibration_bins(p, y, n_bins=10, strategy="quantile", ties="together")
    return (
        ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(mp, share))
        + f" ({int(n.min())}-{int(n.max())} per bin)"
    )


def render(rows: dict[str, Any], reps: int, seconds: float, n: int, n_true: int) -> str:
    def fmt(d: dict[str, float], key: str) -> str:
        return f"{d[key]:.3f}" if key in d else "n/a"

    def table(protocol: str) -> list[str]:
        out = ["| method | AUC | macro-F1 | log loss | Brier | ECE |", "|---|---|---|---|---|---|"]
        for name, r in rows.items():
            cells = " | ".join(
                fmt(r[protocol], k) for k in ("auc", "f1", "log_loss", "brier", "ece")
            )
            out.append(f"| {name} | {cells} |")
        return out

    lines = [
        START,
        "## Rumours: RumourEval 2017 (written by `benchmarks/rumours.py`)",
        "",
        f"{n} threads labelled true or false ({n_true} true, base rate {n_true / n:.3f});",
        "threads are claims, users are sources (`credscore.datasets.rumoureval`). The",
        "default model was tuned on the official train split only; the learned model",
        "learns inside each training fold. `sign` gives a ranking, not probabilities.",
        "",
        f"**{reps} x 5-fold cross-validation over threads** (mean over repetitions):",
        "",
        *table("cv"),
        "",
        "**Official split** (train + dev -> test, 20 threads of events the training",
        "data do not name, so no topic base rate applies):",
        "",
        *table("official"),
    ]
    lines += [
        "",
        "ECE and the reliability diagrams use 10 equal-mass bins that keep equal",
        'probabilities together (`ties="together"`): the default model and the base',
        "rate give many threads the same probability. Diagrams: first CV repetition,",
        "each pair mean stated probability / share true:",
        "",
    ]
    for name, r in rows.items():
        if "bins" in r:
            lines.append(f"- {name}: {r['bins']}")
    lines += ["", f"Run time {seconds:.0f} s.", END, ""]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        a, b = text.index(START), text.index(END) + len(END)
        text = text[:a] + section.rstrip("\n") + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=None, help="the rumoureval2017 folder")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--out", default=str(REPO / "docs" / "accuracy.md"))
    ap.add_argument("--methods", default=",".join(METHODS))
    args = ap.parse_args(argv)
    _ROOT[0] = args.root
    start = time.perf_counter()
    cases = rumoureval_split(("train", "dev", "test"))
    truth = truth_of(cases)
    rows: dict[str, Any] = {}
    for name in args.methods.split(","):
        t = time.perf_counter()
        cv, _, first, tr = cross_validate(cases, name, reps=args.reps)
        off, _ = official(cases, name)
        rows[name] = {"cv": cv, "official": off}
        if METHODS[name][1]:
            rows[name]["bins"] = bins_line(first, tr)
        shown = ", ".join(f"{k} {v:.3f}" for k, v in cv.items())
        print(f"{name:24s} CV: {shown}  [{time.perf_counter() - t:.0f} s]", flush=True)
        shown = ", ".join(f"{k} {v:.3f}" for k, v in off.items())
        print(f"{'':24s} official: {shown}", flush=True)
    n_true = sum(truth.values())
    section = render(rows, args.reps, time.perf_counter() - start, len(truth), n_true)
    if args.out == "-":
        print(section)
    else:
        write_section(Path(args.out), section)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
