"""Batch benchmark: parallel efficiency and memory of ``hotwash simulate`` (prints figures; not a test).

    python bench/bench_batch.py [--runs 1000] [--repeat 3] [--memory-runs 1000,100000]

1. Parallel efficiency: the batch's speed-up from 1 to 2 jobs over the machine's own speed-up from 1 to
   2 processes for a trivial CPU loop, measured in the same run, interleaved (target: >= 0.9). Wall
   clock, since parallel speed is wall clock; the machine may be shared, so each figure is repeated
   and given as min / median / max, with the load average.
2. Peak memory of a batch of 1,000 and of 100,000 runs with 2 jobs (target: within 1.2x), each in a
   fresh process: the parent's peak resident set and the largest worker's.
3. The JSON of 1 job and 2 jobs: identical.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from exercises.scenario.loading import load_scenario
from sim_engine.batch.runs import run_batch

ROOT = Path(__file__).resolve().parents[1]
LARGEST = ROOT / "data" / "scenarios" / "mass_casualty.yaml"
SMALL = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def spin(n: int) -> int:
    """The yardstick: a trivial CPU loop. It stays within Python's cached small integers and allocates
    nothing: a loop that allocates (a growing sum) ran 23 % slower in this process, after the batch it
    had just run, than in a fresh fork, which made the machine's speed-up look like 2.2x on 2 cores."""
    x = 0
    for _ in range(n):
        x = (x * 5 + 1) & 255
    return x


def machine_speedup(work: int) -> float:
    """Two loops of ``work`` in one process, over the same two loops in two processes at once."""
    start = time.perf_counter()
    spin(work)
    spin(work)
    one = time.perf_counter() - start
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    workers = [context.Process(target=spin, args=(work,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return one / (time.perf_counter() - start)


def loop_size(seconds: float) -> int:
    """The ``spin`` size that takes about ``seconds`` here: a short yardstick is a noisy one."""
    start = time.perf_counter()
    spin(2_000_000)
    return int(2_000_000 * seconds / (time.perf_counter() - start))


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def efficiency(runs: int, repeat: int) -> None:
    scenario = load_scenario(LARGEST)
    run_batch(scenario, 20, seed=1, jobs=1)  # warm: the scenario's memo, as for any later batch
    machine, batch, ratios, same = [], [], [], True
    for _ in range(repeat):
        start = time.perf_counter()
        one = run_batch(scenario, runs, seed=1, jobs=1)
        t1 = time.perf_counter() - start
        m = machine_speedup(loop_size(t1 / 2))  # two loops in one process: as long as the batch takes
        start = time.perf_counter()
        two = run_batch(scenario, runs, seed=1, jobs=2)
        t2 = time.perf_counter() - start
        same = same and one.model_dump_json() == two.model_dump_json()
        machine.append(m)
        batch.append(t1 / t2)
        ratios.append((t1 / t2) / m)
        print(
            f"   {runs:,} runs of {scenario.id}: 1 job {t1:.2f} s, 2 jobs {t2:.2f} s, speed-up {t1 / t2:.2f}x; "
            f"CPU loop speed-up {m:.2f}x; efficiency {(t1 / t2) / m:.2f} ({load()})"
        )
    print(
        f"1. parallel efficiency (min/median/max of {repeat}): {spread(ratios)} (target >= 0.9); batch "
        f"speed-up {spread(batch)}x, machine's {spread(machine)}x"
    )
    print(f"3. identical JSON for 1 and 2 jobs: {same}")


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-runs", default="1000,100000")
    parser.add_argument("--memory-scenario", type=Path, default=SMALL)
    parser.add_argument("--skip-efficiency", action="store_true")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {load()}")
    if not args.skip_efficiency:
        efficiency(args.runs, args.repeat)
    memory(args.memory_scenario, [int(n) for n in args.memory_runs.split(",")])


if __name__ == "__main__":
    main()
