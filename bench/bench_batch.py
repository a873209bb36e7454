"""Batch benchmark: parallel efficiency and memory of ``hotwash simulate`` (prints figures; not a test).

    python bench/bench_batch.py [--runs 1000] [--repeat 3] [--memory-runs 1000,100000]

1. Parallel efficiency of ``hotwash simulate SCENARIO --runs N --jobs 2`` (target: >= 0.9), from
   paired runs: each pair runs the whole command with ``--jobs 1`` and with ``--jobs 2`` one right
   after the other (which goes first alternates from pair to pair), so both meet the same neighbours
   on a shared machine; each pair gives its own ratio (``--jobs 2``'s wall time over ``--jobs 1``'s)
   and its efficiency, ``jobs-1 time / (2 x jobs-2 time)``. Printed per pair with the load average,
   then min / median / max over the pairs. An efficiency is never formed from speed-ups measured
   at different times: two unpaired speed-ups once gave figures above 1, which two cores cannot.
   Wall clock of the whole command as a user waits for it: start, imports, the worker pool, the
   replications, the merge and the JSON written.
2. Peak memory of a batch of 1,000 and of 100,000 runs with 2 jobs (target: within 1.2x), each in a
   fresh process: the parent's peak resident set and the largest worker's.
3. The JSON of 1 job and 2 jobs: identical (every pair compares them).

Left out: a machine with more than 2 cores (the target is for 2), and the command's terminal output
(the progress bar is drawn only on a terminal).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LARGEST = ROOT / "data" / "scenarios" / "mass_casualty.yaml"
SMALL = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def simulate_command(scenario: Path, runs: int, jobs: int, out: Path) -> list[str]:
    hotwash = shutil.which("hotwash", path=str(Path(sys.executable).parent)) or "hotwash"
    return [hotwash, "simulate", str(scenario), "--runs", str(runs), "--jobs", str(jobs), "--json", str(out)]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def pair(scenario: Path, runs: int, first: int, folder: Path) -> tuple[float, float, bool]:
    """One pair: the command with 1 job and with 2 jobs back to back, ``first`` of them first."""
    took: dict[int, float] = {}
    for jobs in (first, 3 - first):
        took[jobs] = timed(simulate_command(scenario, runs, jobs, folder / f"jobs{jobs}.json"))
    same = (folder / "jobs1.json").read_bytes() == (folder / "jobs2.json").read_bytes()
    return took[1], took[2], same


def efficiency(scenario: Path, runs: int, repeat: int) -> list[float]:
    """The efficiency of each of ``repeat`` pairs (printed, with the figures they come from)."""
    effs, ratios, same = [], [], True
    with tempfile.TemporaryDirectory() as tmp:
        timed(simulate_command(scenario, min(runs, 20), 1, Path(tmp) / "warm.json"))  # the file cache, once
        for n in range(repeat):
            before = load()
            one, two, identical = pair(scenario, runs, 1 if n % 2 == 0 else 2, Path(tmp))
            same = same and identical
            ratios.append(two / one)
            effs.append(one / (2 * two))
            order = "1 then 2" if n % 2 == 0 else "2 then 1"
            print(f"   pair {n + 1} ({order}): --jobs 1 {one:.2f} s, --jobs 2 {two:.2f} s, ratio {two / one:.2f}, "
                  f"efficiency {one / (2 * two):.2f} ({before} before, {load()} after)")
    print(
        f"1. hotwash simulate {scenario.stem} --runs {runs:,}, {repeat} pairs: --jobs 2 / --jobs 1 wall "
        f"{spread(ratios)}, efficiency {spread(effs)} (min/median/max; target >= 0.9; {load()})"
    )
    print(f"3. identical JSON for 1 and 2 jobs in every pair: {same}")
    return effs


MEASURE = """
import json, resource, sys
from exercises.scenario.loading import load_scenario
from sim_engine.batch.runs import run_batch
scenario = load_scenario(sys.argv[1])
result = run_batch(scenario, int(sys.argv[2]), seed=1, jobs=2)
print(json.dumps({"parent_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "runs": result.runs}))
"""


def peak_memory(path: Path, runs: int) -> tuple[float, float, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(runs)], check=True, capture_output=True, text=True
    )
    figures = json.loads(out.stdout)
    return figures["parent_kib"] / 1024, figures["worker_kib"] / 1024, time.perf_counter() - start


def memory(path: Path, sizes: list[int]) -> None:
    peaks = {}
    for runs in sizes:
        parent, worker, took = peak_memory(path, runs)
        peaks[runs] = parent, worker
        print(
            f"   {runs:,} runs of {path.stem}, 2 jobs: parent peak {parent:.1f} MiB, largest worker "
            f"{worker:.1f} MiB ({took:.0f} s, {load()})"
        )
    small, large = peaks[min(sizes)], peaks[max(sizes)]
    print(
        f"2. peak memory at {max(sizes):,} runs over {min(sizes):,} runs: parent {large[0] / small[0]:.2f}x, "
        f"worker {large[1] / small[1]:.2f}x (target <= 1.2x)"
    )


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="pairs of runs (1 job, 2 jobs)")
    parser.add_argument("--scenario", type=Path, default=LARGEST, help="the scenario simulated for 1.")
    parser.add_argument("--memory-runs", default="1000,100000")
    parser.add_argument("--memory-scenario", type=Path, default=SMALL)
    parser.add_argument("--skip-efficiency", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {load()}")
    if not args.skip_efficiency:
        efficiency(args.scenario, args.runs, args.repeat)
    if not args.skip_memory:
        memory(args.memory_scenario, [int(n) for n in args.memory_runs.split(",")])


if __name__ == "__main__":
    main()
