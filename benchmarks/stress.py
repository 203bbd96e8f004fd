"""Stress benchmark: the shapes of input that used to fall off a cliff.

The array core scales linearly in the number of reports; this benchmark
checks the paths around it at the extremes of shape, one row each, every row
in a fresh process so that its peak memory is its own:

=================  ==============================================  ==========  ==========
row                what it runs (full size)                        time        memory
=================  ==============================================  ==========  ==========
explain-1e4        explain a claim with 10^4 independent           1 s
                   confirmations
explain-1e6        the same with 10^6                              30 s
implies-chain      score a chain of 10^4 ``implies`` links (a      2 s         200 MB
                   confirmation at the top, a denial at the end)
implies-chains     10^5 claims as 10 such chains of 10^4           5 s
cites-chain        a citation chain of 10^5 sources, one claim     2 s
deep-affiliation   1,000 sources in one affiliation 10^4 levels    5 s
                   deep (the case built, compiled and scored)
wide-api           one claim, 10^6 independent confirmations,      10 s        1 GB
                   built and scored through the Python API
wide-json          the same read from a JSON case file             10 s        1 GB
wide-cli-json      ``credscore score --json`` on that file         10 s        1 GB
table-distinct     ``read_table`` on 10^7 rows, every value        15 s        2 GB
                   distinct
fuse-json          ``credscore fuse --json`` on that table,        -           2 GB
                   streamed (the fit included)
implies-cycle      validate a 10^5-claim ``implies`` cycle: the    1 s
                   error names 10 ids and the length
=================  ==============================================  ==========  ==========

Time is wall-clock time of the step named (building the input in memory is
excluded, except where the row says so; files are written beforehand);
memory is the peak resident set of the whole process, interpreter, input and
imports included.

Run::

    python benchmarks/stress.py            # every row at its stated size
    python benchmarks/stress.py --quick    # every size divided by 10 (for CI)
    python benchmarks/stress.py --row wide-api --row explain-1e4

The exit status is 1 when a row misses its target (at full size), or, with
``--quick``, when a row misses its target at a tenth of the size; a
quick run therefore checks linearity only loosely, the full run is the
measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import credscore as cs

# row: (full size, time target in s or None, memory target in MB or None)
ROWS: dict[str, tuple[int, float | None, float | None]] = {
    "explain-1e4": (10_000, 1.0, None),
    "explain-1e6": (1_000_000, 30.0, None),
    "implies-chain": (10_000, 2.0, 200.0),
    "implies-chains": (100_000, 5.0, None),
    "cites-chain": (100_000, 2.0, None),
    "deep-affiliation": (10_000, 5.0, None),
    "wide-api": (1_000_000, 10.0, 1024.0),
    "wide-json": (1_000_000, 10.0, 1024.0),
    "wide-cli-json": (1_000_000, 10.0, 1024.0),
    "table-distinct": (10_000_000, 15.0, 2048.0),
    "fuse-json": (10_000_000, None, 2048.0),
    "implies-cycle": (100_000, 1.0, None),
}


def _wide_case(n: int) -> cs.Case:
    sources = [cs.Source(f"s{i}", reliability="B") for i in range(n)]
    reports = [cs.Report(f"s{i}", "c", "confirms") for i in range(n)]
    return cs.Case(sources, [cs.Claim("c")], reports)


def _wide_dict(n: int) -> dict[str, Any]:
    return {
        "credscore": 1,
        "sources": [{"id": f"s{i}", "reliability": "B"} for i in range(n)],
        "claims": [{"id": "c"}],
        "reports": [{"source": f"s{i}", "claim": "c", "stance": "confirms"} for i in range(n)],
    }


def _chain_case(n_claims: int, n_chains: int) -> cs.Case:
    per = n_claims // n_chains
    claims = [cs.Claim(f"k{c}-{i}") for c in range(n_chains) for i in range(per)]
    links = [
        cs.Link("implies", f"k{c}-{i}", f"k{c}-{i + 1}")
        for c in range(n_chains)
        for i in range(per - 1)
    ]
    sources = [cs.Source("top", reliability="B"), cs.Source("end", reliability="C")]
    reports = []
    for c in range(n_chains):
        reports.append(cs.Report("top", f"k{c}-0", "confirms"))
        reports.append(cs.Report("end", f"k{c}-{per - 1}", "denies"))
    return cs.Case(sources, claims, reports, links=links)


def _table_file(n: int, folder: Path) -> Path:
    path = folder / "distinct.csv"
    if not path.exists():
        rng = np.random.default_rng(0)
        n_src = max(n // 1000, 10)
        src = rng.integers(0, n_src, n)
        obj = rng.integers(0, max(n // 5, 1), n)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("source,object,value\n")
            step = 1_000_000
            for a in range(0, n, step):
                b = min(n, a + step)
                fh.write(
                    "".join(
                        f"s{s},o{o},v{v}\n"
                        for s, o, v in zip(src[a:b].tolist(), obj[a:b].tolist(), range(a, b))
                    )
                )
    return path


def _wide_file(n: int, folder: Path) -> Path:
    path = folder / f"wide-{n}.json"
    if not path.exists():
        path.write_text(json.dumps(_wide_dict(n)), encoding="utf-8")
    return path


def _run_cli(argv: list[str], out: Path) -> int:
    """``credscore ARGV > OUT`` in this process."""
    from credscore.cli import main

    with (
        open(out, "w", encoding="utf-8") as fh,
        contextlib.redirect_stdout(fh),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        return main(argv)


def row(name: str, n: int, folder: Path) -> tuple[float, str]:
    """Run one row in this process: returns (seconds, what was checked)."""
    step: Callable[[], str]
    if name.startswith("explain"):
        case = _wide_case(n)
        scores = cs.score(case)

        def step() -> str:
            text = scores.explain("c")
            return f"{len(text.splitlines())} lines"

    elif name in ("implies-chain", "implies-chains"):
        case = _chain_case(n, 1 if name == "implies-chain" else 10)

        def step() -> str:
            p = cs.score(case).probability
            return f"p from {p.min():.3f} to {p.max():.3f}"

    elif name == "cites-chain":
        sources = [cs.Source(f"s{i}", reliability="B") for i in range(n)]
        # s{i} cites s{i+1}; only s0 reports: the chain leads back to s{n-1}.
        reports = [cs.Report("s0", "c", "confirms", cites="s1")] + [
            cs.Report(f"s{i}", "c2", "confirms", cites=f"s{i + 1}") for i in range(1, n - 1)
        ]
        case = cs.Case(sources, [cs.Claim("c"), cs.Claim("c2")], reports)

        def step() -> str:
            s = cs.score(case)
            return f"p(c2) = {s['c2'].probability:.3f}, flags {s['c2'].flags}"

    elif name == "deep-affiliation":
        path = "/".join(f"g{i}" for i in range(n))

        def step() -> str:
            sources = [cs.Source(f"s{i}", reliability="B", affiliation=path) for i in range(1000)]
            reports = [cs.Report(f"s{i}", "c", "confirms") for i in range(1000)]
            s = cs.score(cs.Case(sources, [cs.Claim("c")], reports))
            return f"p = {s.probability[0]:.3f}"

    elif name == "wide-api":

        def step() -> str:
            return f"p = {cs.score(_wide_case(n)).probability[0]:.6f}"

    elif name == "wide-json":
        file = _wide_file(n, folder)

        def step() -> str:
            return f"p = {cs.score(cs.load_case(file)).probability[0]:.6f}"

    elif name == "wide-cli-json":
        file = _wide_file(n, folder)

        def step() -> str:
            out = folder / "score.json"
            code = _run_cli(["score", "--json", str(file)], out)
            return f"exit {code}, {out.stat().st_size / 1e6:.0f} MB written"

    elif name == "table-distinct":
        file = _table_file(n, folder)

        def step() -> str:
            t = cs.read_table(file)
            return f"{t.n_assertions} assertions, {t.n_objects} objects"

    elif name == "fuse-json":
        file = _table_file(n, folder)

        def step() -> str:
            out = folder / "fuse.json"
            code = _run_cli(["fuse", "--json", str(file)], out)
            return f"exit {code}, {out.stat().st_size / 1e6:.0f} MB written"

    elif name == "implies-cycle":
        claims = [cs.Claim(f"k{i}") for i in range(n)]
        links = [cs.Link("implies", f"k{i}", f"k{(i + 1) % n}") for i in range(n)]

        def step() -> str:
            try:
                cs.Case([], claims, [], links=links)
            except cs.InvalidCaseError as exc:
                return f"{len(str(exc))}-character message"
            raise AssertionError("the cycle was not refused")

    else:
        raise SystemExit(f"unknown row {name!r}; known: {', '.join(ROWS)}")
    t0 = time.perf_counter()
    what = step()
    return time.perf_counter() - t0, what


def _child(name: str, n: int, folder: Path) -> None:
    seconds, what = row(name, n, folder)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "what": what}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="every size divided by 10")
    ap.add_argument("--row", action="append", choices=list(ROWS), help="run only these rows")
    ap.add_argument("--folder", help="where to keep generated files (default: a temporary one)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per row (default 900)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child[0], int(args.child[1]), Path(args.folder))
        return 0
    names = args.row or list(ROWS)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(
            f"{'row':<17} {'size':>10} {'time':>9} {'target':>8} {'peak':>9} {'target':>8}  result"
        )
        for name in names:
            full, t_target, m_target = ROWS[name]
            n = full // 10 if args.quick else full
            try:
                proc = subprocess.run(
                    [sys.executable, __file__, "--folder", str(folder), "--child", name, str(n)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"},
                    timeout=args.timeout,
                )
            except subprocess.TimeoutExpired:
                print(f"{name:<17} {n:>10} MISS: stopped after {args.timeout:.0f} s", flush=True)
                failed += 1
                continue
            if proc.returncode != 0:
                print(f"{name:<17} {n:>10} failed:\n{proc.stderr[-2000:]}")
                failed += 1
                continue
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            ok = (t_target is None or res["seconds"] <= t_target) and (
                m_target is None or res["peak_mb"] <= m_target
            )
            failed += not ok
            m_txt = "-" if m_target is None else f"{m_target:.0f} MB"
            t_txt = "-" if t_target is None else f"{t_target:.0f}s"
            print(
                f"{name:<17} {n:>10} {res['seconds']:>8.2f}s {t_txt:>8} "
                f"{res['peak_mb']:>6.0f} MB {m_txt:>8}  {'ok ' if ok else 'MISS'} {res['what']}",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
