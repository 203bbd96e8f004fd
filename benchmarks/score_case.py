"""Benchmark: build, compile and score a large generated case.

Issue 2's target on a 2-core machine: 1,000,000 reports over 100,000 claims
and 10,000 sources in 200 affiliation groups, built, compiled and scored in
under 10 s; the scoring step alone (on the compiled case) under 1 s; peak
memory under 2 GB.

Run::

    python benchmarks/score_case.py            # the issue's size
    python benchmarks/score_case.py --reports 100000 --claims 10000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

import credscore as cs


def build_case(n_reports: int, n_claims: int, n_sources: int, n_groups: int, seed: int) -> cs.Case:
    rng = np.random.default_rng(seed)
    # 200 groups as 20 countries x 10 bodies: "c07/gov/b3"-style paths.
    n_countries = max(1, n_groups // 10)
    group_of = rng.integers(0, n_groups, n_sources)
    letters = np.array(list("ABCDEF"))
    rel = letters[rng.integers(0, 6, n_sources)]
    sources = [
        cs.Source(
            f"s{i}",
            reliability=str(rel[i]),
            affiliation=f"c{group_of[i] % n_countries}/gov/b{group_of[i]}",
        )
        for i in range(n_sources)
    ]
    claims = [
        cs.Claim(f"c{j}", benefits=[f"c{j % n_countries}"], harms=[f"c{(j + 1) % n_countries}"])
        for j in range(n_claims)
    ]
    src = rng.integers(0, n_sources, n_reports)
    clm = rng.integers(0, n_claims, n_reports)
    stance_names = np.array(["confirms", "denies", "no_comment", "observes"])
    stance = stance_names[rng.choice(4, n_reports, p=[0.6, 0.2, 0.1, 0.1])]
    days = rng.integers(1, 28, n_reports)
    times = [f"2024-12-{d:02d}" for d in range(1, 29)]
    reports = [
        cs.Report(f"s{s}", f"c{c}", st, time=times[d])
        for s, c, st, d in zip(src.tolist(), clm.tolist(), stance.tolist(), days.tolist())
    ]
    return cs.Case(sources, claims, reports)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--sources", type=int, default=10_000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    case = build_case(args.reports, args.claims, args.sources, args.groups, args.seed)
    t1 = time.perf_counter()
    compiled = cs.compile_case(case)
    t2 = time.perf_counter()
    scores = cs.score(compiled)
    t3 = time.perf_counter()
    cs.score(compiled)
    warm = time.perf_counter() - t3
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p = scores.probability
    print(
        f"{args.reports:,} reports, {args.claims:,} claims, {args.sources:,} sources, "
        f"{args.groups} groups"
    )
    print(f"build   {t1 - t0:7.2f} s")
    print(f"compile {t2 - t1:7.2f} s")
    print(f"score   {t3 - t2:7.2f} s   (target < 1 s; a second call: {warm:.2f} s)")
    print(f"total   {t3 - t0:7.2f} s   (target < 10 s)")
    print(f"peak memory {peak_mb:,.0f} MB (target < 2,048 MB)")
    print(f"probabilities: min {p.min():.3f}, median {np.median(p):.3f}, max {p.max():.3f}")
    ok = (t3 - t0) < 10 and (t3 - t2) < 1 and peak_mb < 2048
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
