"""Speed benchmark: every credscore model, and other libraries, on synthetic tables.

Synthetic tables (as in issue 5): ``n`` assertions, ``n / 1000`` sources
(clipped to 100-10,000) with reliabilities uniform in [0.3, 0.95],
``n / 5`` objects with 2-5 candidate values each (the truth uniform among
them), 5 distinct sources per object; a source gives the truth with its
reliability, otherwise a uniformly chosen wrong candidate. Rows come grouped
by object, as most exported tables do.

For every registered model that accepts categorical values, and each size,
a fresh subprocess (so peak memories do not mix) loads the arrays and fits
the model once on their first 1,000 rows (so that, as for the other
libraries, import time -- here including loading numba's cached kernels -- is
not counted); then, on the clock, it compiles the
:class:`~credscore.table.table.Table` and fits with ``max_iter=20, tol=0``. It
reports the end-to-end time (compile + fit), the time of one iteration in
nanoseconds per assertion (the median gap between the progress callbacks of
iterations 2-20, so that one-off set-up in the first iteration is not
counted), the peak resident memory of the process (``ru_maxrss``, input
arrays and interpreter included) and the accuracy against the hidden truth.

It also measures the memory bandwidth (copying a 512 MB array) and prints
the floor it implies for one iteration: reading the two int32 index arrays
(``source`` and ``claim``, 8 bytes per assertion) at that speed.

When they are importable (install them in a separate virtualenv, never as
credscore dependencies; see docs/howto/speed.md), crowd-kit's ``DawidSkene``
and ``MajorityVote`` and truthdiscovery's ``Sums`` and ``TruthFinder`` run on
the same data, end to end from the same numpy arrays, and the ratios are
printed.

Usage::

    python benchmarks/speed.py --sizes 1e4 1e5 1e6 1e7 --kernels numpy numba \\
        --baselines --markdown speed.md --json speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ITERATIONS = 20
CHUNK_OBJECTS = 1_000_000
BASELINES = {
    "crowdkit:DawidSkene": "dawid-skene",
    "crowdkit:MajorityVote": "majority",
    "truthdiscovery:Sums": "sums",
    "truthdiscovery:TruthFinder": "truthfinder",
}


# -- the synthetic generator ---------------------------------------------------


def shape(n: int) -> tuple[int, int, int]:
    """(n_sources, n_objects, sources per object) for ``n`` assertions."""
    n_sources = int(np.clip(n // 1000, 100, 10_000))
    per_object = 5
    n_objects = max(n // per_object, 1)
    return n_sources, n_objects, per_object


def reliabilities(n: int, seed: int = 0) -> np.ndarray[Any, Any]:
    """The hidden reliability of each source."""
    n_sources, _, _ = shape(n)
    return np.random.default_rng([seed, 0]).uniform(0.3, 0.95, n_sources)


def chunks(
    n: int, seed: int = 0, chunk_objects: int = CHUNK_OBJECTS
) -> Iterator[tuple[np.ndarray[Any, Any], ...]]:
    """Yield ``(source, object, value, truth_of_these_objects)`` chunk by chunk.

    Chunks cover consecutive object ranges, so tables of 1e8 assertions can be
    written to disk without holding them in memory. The data depend only on
    ``n`` and ``seed``.
    """
    n_sources, n_objects, per = shape(n)
    rel = reliabilities(n, seed)
    for c, lo in enumerate(range(0, n_objects, chunk_objects)):
        hi = min(lo + chunk_objects, n_objects)
        rng = np.random.default_rng([seed, 1, c])
        m = hi - lo
        n_values = rng.integers(2, 6, m)
        truth = rng.integers(0, n_values)
        obj_local = np.repeat(np.arange(m, dtype=np.int64), per)
        src = rng.integers(0, n_sources, obj_local.size)
        while True:  # redraw repeated (source, object) pairs until there are none
            key = obj_local * n_sources + src
            order = np.argsort(key, kind="stable")
            k = key[order]
            dup = np.zeros(k.size, dtype=bool)
            dup[1:] = k[1:] == k[:-1]
            if not dup.any():
                break
            idx = order[dup]
            src[idx] = rng.integers(0, n_sources, idx.size)
        right = rng.random(obj_local.size) < rel[src]
        cand = n_values[obj_local]
        wrong = (truth[obj_local] + rng.integers(1, cand)) % cand
        value = np.where(right, truth[obj_local], wrong)
        yield (
            src.astype(np.int32),
            (obj_local + lo).astype(np.int32),
            value.astype(np.int32),
            truth.astype(np.int32),
        )


def generate(n: int, seed: int = 0) -> tuple[np.ndarray[Any, Any], ...]:
    """The whole table: ``(source, object, value, truth)`` as numpy arrays."""
    parts = list(chunks(n, seed))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


# -- the machine -------------------------------------------------------------


def bandwidth(nbytes: int = 512 * 2**20, repeat: int = 5) -> float:
    """Memory traffic of a large array copy, in bytes per second (read + write)."""
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t)
    return 2 * nbytes / best


def floor_ns(bw: float) -> float:
    """Least time per assertion of one iteration: read source and claim (int32)."""
    return 8 / bw * 1e9


# -- one measurement, in a fresh process -------------------------------------


def _peak_mb() -> float:
    """Peak resident memory of this process since its exec, in MB.

    ``VmHWM`` rather than ``ru_maxrss``, which Linux carries over from the
    parent across fork and exec.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _load(data_dir: Path) -> tuple[np.ndarray[Any, Any], ...]:
    return tuple(np.load(data_dir / f"{k}.npy") for k in ("source", "object", "value", "truth"))


def run_credscore(model: str, data_dir: Path, iterations: int) -> dict[str, Any]:
    from credscore.kernels import backend as _backend
    from credscore.models import get_model
    from credscore.table.table import Table

    src, obj, val, truth = _load(data_dir)
    # Import time is left out for every library (the baselines import pandas,
    # crowd-kit or truthdiscovery before their clock starts too). For credscore
    # that includes loading numba's compiled kernels from their disk cache
    # (about 0.4 s, once per process): fit the model once on the first rows of
    # the same data first.
    _warm_in_process(model, src, obj, val)
    stamps: list[tuple[float, float]] = []
    c0 = time.process_time()
    t0 = time.perf_counter()
    table = Table.from_arrays(src, obj, val, numeric=False)
    t1 = time.perf_counter()
    probe = get_model(model)
    if _iterates(probe):
        fitted = get_model(
            model,
            max_iter=iterations,
            tol=0,
            progress=lambda p: stamps.append((time.perf_counter(), time.process_time())),
        )
    else:
        fitted = probe
    result = fitted.fit_score(table)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    pred = np.asarray(result.value)
    accuracy = float(np.mean(pred == truth[np.asarray(table.object_ids)]))
    gaps = np.diff(np.array(stamps).reshape(-1, 2), axis=0)
    per_iter, per_iter_cpu = np.median(gaps, axis=0) if gaps.size else (np.nan, np.nan)
    return {
        "kernels": _backend.backend(),
        "compile_s": t1 - t0,
        "fit_s": t2 - t1,
        "total_s": t2 - t0,
        "cpu_s": cpu,
        "iterations": len(stamps),
        "ns_per_assertion_iter": float(per_iter) / src.size * 1e9,
        "cpu_ns_per_assertion_iter": float(per_iter_cpu) / src.size * 1e9,
        "peak_mb": _peak_mb(),
        "accuracy": accuracy,
    }


def _iterates(model: Any) -> bool:
    """Whether ``model`` takes ``max_iter``, ``tol`` and ``progress`` (an
    IterativeModel, or a model such as IBCC with the same settings)."""
    import attrs

    names = {f.name for f in attrs.fields(type(model))}
    return {"max_iter", "tol", "progress"} <= names


def _warm_in_process(model: str, src: Any, obj: Any, val: Any) -> None:
    """Fit ``model`` on the first 1,000 rows of the data (same dtypes, same
    labels): loads lazily imported modules and numba's cached kernels (or
    compiles them, on a machine that has none yet), so that the clock
    measures the work only."""
    from credscore.models import get_model
    from credscore.table.table import Table

    k = min(1000, src.shape[0])
    tiny = Table.from_arrays(src[:k], obj[:k], val[:k], numeric=False)
    m = get_model(model)
    if _iterates(m):
        m = get_model(model, max_iter=2, tol=0, progress=lambda p: None)
    m.fit_score(tiny)


def run_baseline(name: str, data_dir: Path, iterations: int) -> dict[str, Any]:
    src, obj, val, truth = _load(data_dir)
    lib, algo = name.split(":")
    if lib == "crowdkit":
        import pandas as pd
        from crowdkit.aggregation import DawidSkene, MajorityVote
    else:
        import truthdiscovery as td
    c0 = time.process_time()
    t0 = time.perf_counter()
    if lib == "crowdkit":
        df = pd.DataFrame({"worker": src, "task": obj, "label": val})
        if algo == "DawidSkene":
            labels = DawidSkene(n_iter=iterations, tol=-np.inf).fit_predict(df)
        else:
            labels = MajorityVote().fit_predict(df)
        t1 = time.perf_counter()
        pred = labels.reindex(np.arange(truth.size)).to_numpy()
    else:
        data = td.Dataset(zip(src.tolist(), obj.tolist(), val.tolist()))
        algorithm_cls = {"Sums": td.Sums, "TruthFinder": td.TruthFinder}[algo]
        res = algorithm_cls(iterator=td.FixedIterator(iterations)).run(data)
        t1 = time.perf_counter()
        pred = np.full(truth.size, -1)
        for var, beliefs in res.belief.items():
            pred[var] = max(beliefs.items(), key=lambda kv: kv[1])[0]
    return {
        "kernels": "-",
        "compile_s": float("nan"),
        "fit_s": float("nan"),
        "total_s": t1 - t0,
        "cpu_s": time.process_time() - c0,
        "iterations": iterations if algo != "MajorityVote" else 0,
        "ns_per_assertion_iter": float("nan"),
        "cpu_ns_per_assertion_iter": float("nan"),
        "peak_mb": _peak_mb(),
        "accuracy": float(np.mean(pred == truth)),
    }


def _worker(argv: list[str]) -> None:
    kind, name, data_dir, iterations = argv[0], argv[1], Path(argv[2]), int(argv[3])
    if kind == "credscore":
        out = run_credscore(name, data_dir, iterations)
    else:
        out = run_baseline(name, data_dir, iterations)
    print("RESULT " + json.dumps(out))


def measure(
    kind: str, name: str, data_dir: Path, iterations: int, kernels: str, timeout: float
) -> dict[str, Any]:
    env = dict(os.environ, CREDSCORE_KERNELS=kernels)
    cmd = [sys.executable, __file__, "--worker", kind, name, str(data_dir), str(iterations)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out: dict[str, Any] = json.loads(line[7:])
            return out
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"exit {proc.returncode}: {tail[0][:120]}"}


def baselines_available() -> list[str]:
    names = []
    for name in BASELINES:
        lib = name.split(":")[0]
        try:
            __import__(lib)
        except Exception:
            continue
        names.append(name)
    return names


def warm_up(models: list[str], kernels: list[str]) -> None:
    """Fit every model once on a tiny table so numba's disk cache is filled."""
    if "numba" not in kernels:
        return
    code = (
        "import attrs\n"
        "import numpy as np\n"
        "from credscore.models import get_model\n"
        "from credscore.table.table import Table\n"
        "rng = np.random.default_rng(0)\n"
        "t = Table.from_arrays(rng.integers(0, 9, 300), np.repeat(np.arange(60), 5),"
        " rng.integers(0, 5, 300), numeric=False)\n"
        f"for name in {models!r}:\n"
        "    m = get_model(name)\n"
        "    if {'max_iter', 'tol'} <= {f.name for f in attrs.fields(type(m))}:\n"
        "        m = get_model(name, max_iter=2, tol=0)\n"
        "    m.fit(t)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ, CREDSCORE_KERNELS="numba"), check=False
    )


def categorical_models() -> list[str]:
    import credscore.models  # noqa: F401  (registers the models)
    from credscore.models.registry import _REGISTRY

    return sorted(name for name, cls in _REGISTRY.items() if "categorical" in cls.kinds)


def fmt(x: Any, spec: str) -> str:
    if isinstance(x, float) and not np.isfinite(x):
        return "-"
    return format(x, spec)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["1e4", "1e5", "1e6"], help="assertions")
    ap.add_argument("--models", nargs="+", default=None, help="default: every categorical model")
    ap.add_argument("--kernels", nargs="+", default=["auto"], choices=["auto", "numpy", "numba"])
    ap.add_argument("--baselines", action="store_true", help="run crowd-kit and truthdiscovery")
    ap.add_argument("--baseline-max", type=float, default=1e7, help="largest size for baselines")
    ap.add_argument("--iterations", type=int, default=ITERATIONS)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write all measurements here")
    ap.add_argument("--markdown", type=Path, help="write the table here")
    args = ap.parse_args()

    models = args.models or categorical_models()
    bw = bandwidth()
    floor = floor_ns(bw)
    print(f"memory bandwidth (copy, read+write): {bw / 1e9:.1f} GB/s")
    print(f"floor for one iteration (8 bytes/assertion): {floor:.2f} ns/assertion")
    load_start = os.getloadavg()[0]
    warm_up(models, args.kernels)
    base = baselines_available() if args.baselines else []
    if args.baselines and len(base) < len(BASELINES):
        print(f"baselines importable: {', '.join(base) or 'none'}")

    rows: list[dict[str, Any]] = []
    header = (
        "| n | model | kernels | compile s | fit s | end-to-end s | CPU s | ns/assertion/iter "
        "| CPU ns/assertion/iter | x floor | peak MB | accuracy |"
    )
    lines = [header, "|" + "---|" * 12]
    print(header)
    with tempfile.TemporaryDirectory(prefix="credscore-speed-") as tmp:
        for size in args.sizes:
            n = int(float(size))
            data_dir = Path(tmp) / f"n{n}"
            data_dir.mkdir()
            arrays = generate(n, args.seed)
            for key, arr in zip(("source", "object", "value", "truth"), arrays):
                np.save(data_dir / f"{key}.npy", arr)
            n_actual = arrays[0].size
            del arrays
            jobs = [("credscore", m, k) for m in models for k in args.kernels]
            if n <= args.baseline_max:
                jobs += [("baseline", b, "numpy") for b in base]
            for kind, name, kernels in jobs:
                res = measure(kind, name, data_dir, args.iterations, kernels, args.timeout)
                res.update(n=n_actual, model=name, kind=kind, floor_ns=floor)
                rows.append(res)
                if "error" in res:
                    line = f"| {n:.0e} | {name} | {kernels} | {res['error']} |"
                else:
                    ratio = res["ns_per_assertion_iter"] / floor
                    line = (
                        f"| {n:.0e} | {name} | {res['kernels']} | {fmt(res['compile_s'], '.2f')} "
                        f"| {fmt(res['fit_s'], '.2f')} | {res['total_s']:.2f} | {res['cpu_s']:.2f} "
                        f"| {fmt(res['ns_per_assertion_iter'], '.1f')} "
                        f"| {fmt(res['cpu_ns_per_assertion_iter'], '.1f')} | {fmt(ratio, '.1f')} "
                        f"| {res['peak_mb']:.0f} | {res['accuracy']:.4f} |"
                    )
                print(line, flush=True)
                lines.append(line)
            shutil_rmtree(data_dir)

    load = (
        f"load average (1 min) {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print(load)
    ratio_lines = ratios(rows)
    for line in ratio_lines:
        print(line)
    if args.markdown:
        text = (
            f"memory bandwidth (copy, read+write): {bw / 1e9:.1f} GB/s; "
            f"floor {floor:.2f} ns/assertion/iteration; {load}\n\n" + "\n".join(lines) + "\n"
        )
        if ratio_lines:
            text += "\n" + "\n".join(ratio_lines) + "\n"
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"bandwidth": bw, "floor_ns": floor, "rows": rows}))


def ratios(rows: list[dict[str, Any]]) -> list[str]:
    """End-to-end speed-up of credscore over each baseline, at each size."""
    out = []
    for row in rows:
        if row["kind"] != "baseline" or "error" in row:
            continue
        ours = [
            r
            for r in rows
            if r["kind"] == "credscore"
            and r["model"] == BASELINES[row["model"]]
            and r["n"] == row["n"]
            and "error" not in r
        ]
        for r in ours:
            out.append(
                f"n={row['n']:.0e}: credscore {r['model']} ({r['kernels']}) is "
                f"{row['total_s'] / r['total_s']:.1f}x faster than {row['model']} end to end "
                f"({r['total_s']:.2f} s vs {row['total_s']:.2f} s); accuracy "
                f"{r['accuracy']:.4f} vs {row['accuracy']:.4f}"
            )
    return out


def shutil_rmtree(path: Path) -> None:
    for f in path.iterdir():
        f.unlink()
    path.rmdir()


if __name__ == "__main__":
    main()
