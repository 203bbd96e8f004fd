"""Dask benchmark: models on 1e8 assertions from Parquet, on a LocalCluster.

Writes the synthetic table of ``benchmarks/speed.py`` (same generator) as
Parquet files of int32 ``source``, ``object``, ``value`` columns, chunk by
chunk, then starts a ``LocalCluster`` (default: 2 worker processes, 1 thread
and a 4 GB memory limit each) and runs :func:`credscore.dask.fuse` with 20
iterations (``tol=0``) for each model, reporting the end-to-end time (read,
partition by object, compile on the workers, iterate, gather the per-claim
result), the set-up and per-iteration times, the peak memory of each
worker and of the client, and the accuracy against the hidden truth.

Usage::

    python benchmarks/dask_speed.py --n 1e8 --models dawid-skene sums
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import chunks


def vm_hwm_mb() -> float:
    """Peak resident memory of the calling process, in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def write_parquet(n: int, folder: Path, seed: int) -> np.ndarray[Any, Any]:
    """Write the table once (reused when already there); return the truth."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    done = folder / "_truth.npy"
    if done.exists():
        return np.load(done)
    folder.mkdir(parents=True, exist_ok=True)
    truths = []
    t = time.perf_counter()
    for i, (src, obj, val, truth) in enumerate(chunks(n, seed)):
        table = pa.table({"source": src, "object": obj, "value": val})
        pq.write_table(table, folder / f"part-{i:04d}.parquet")
        truths.append(truth)
    out = np.concatenate(truths)
    np.save(done, out)
    size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
    print(
        f"wrote {n:.0e} assertions as Parquet in {time.perf_counter() - t:.1f} s "
        f"({size / 1e6:.0f} MB, {len(truths)} files) to {folder}"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", default="1e8", help="assertions")
    ap.add_argument("--models", nargs="+", default=["dawid-skene", "sums"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="threads per worker")
    ap.add_argument("--memory-limit", default="4GB", help="per worker")
    ap.add_argument("--npartitions", type=int, default=None, help="default: one per 5e6 rows")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/credscore-dask-bench"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    from credscore.dask import fuse

    n = int(float(args.n))
    folder = args.dir / f"n{n}-seed{args.seed}"
    truth = write_parquet(n, folder, args.seed)
    files = sorted(str(p) for p in folder.glob("*.parquet"))
    nparts = args.npartitions or max(1, n // 5_000_000)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(
        f"LocalCluster: {args.workers} workers x {args.threads} thread, "
        f"memory limit {args.memory_limit} each; {nparts} object partitions; "
        f"kernels: {os.environ.get('CREDSCORE_KERNELS', 'auto')}"
    )
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=args.threads,
            memory_limit=args.memory_limit,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        print("| model | end-to-end s | set-up s | s/iteration | peak worker MB | accuracy |")
        print("|---|---|---|---|---|---|")
        for name in args.models:
            stamps: list[float] = []
            t0 = time.perf_counter()
            result = fuse(
                files,
                name,
                client=client,
                npartitions=nparts,
                numeric=False,
                keep_assertions=False,
                max_iter=args.iterations,
                tol=0,
                progress=lambda p, stamps=stamps: stamps.append(time.perf_counter()),
            )
            total = time.perf_counter() - t0
            gaps = np.diff(stamps)
            per_iter = float(np.median(gaps)) if gaps.size else float("nan")
            setup = stamps[0] - t0 - per_iter if stamps else float("nan")
            peaks = client.run(vm_hwm_mb)
            pred = np.asarray(result.value)
            accuracy = float(np.mean(pred == truth[np.asarray(result.table.object_ids)]))
            print(
                f"| {name} | {total:.1f} | {setup:.1f} | {per_iter:.2f} "
                f"| {max(peaks.values()):.0f} | {accuracy:.4f} |",
                flush=True,
            )
            client.restart()  # fresh workers: peaks of one model do not carry over
    print(f"client peak memory: {vm_hwm_mb():.0f} MB")


if __name__ == "__main__":
    main()
