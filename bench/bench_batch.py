"""Batch benchmark: parallel efficiency and memory of ``hotwash simulate`` (prints figures; not a test).

    python bench/bench_batch.py [--runs 1000] [--repeat 3] [--memory-runs 1000,100000] [--phases 3]
                                [--before OTHER_CHECKOUT] [--bytecode cached|as-is]

1. Parallel efficiency of ``hotwash simulate SCENARIO --runs N --jobs 2`` (target: >= 0.9), from
   paired runs: each pair runs the whole command with ``--jobs 1`` and with ``--jobs 2`` one right
   after the other (which goes first alternates from pair to pair), so both meet the same neighbours
   on a shared machine; each pair gives its own ratio (``--jobs 2``'s wall time over ``--jobs 1``'s)
   and its efficiency, ``jobs-1 time / (2 x jobs-2 time)``. Printed per pair with the load average,
   then min / median / max over the pairs. An efficiency is never formed from speed-ups measured
   at different times: two unpaired speed-ups once gave figures above 1, which two cores cannot.
   Wall clock of the whole command as a user waits for it: start, imports, the workers, the
   replications, the merge and the JSON written. With ``--before``, the other checkout's pairs take
   turns with this one's.
2. Peak memory of a batch of 1,000 and of 100,000 runs with 2 jobs (target: within 1.2x), each in a
   fresh process: the command's process's peak resident set (it runs replications too) and the
   largest worker's.
3. The JSON of 1 job and 2 jobs: identical (every pair compares them).
4. Where the time of ``--jobs 2`` goes, in CPU time (which a busy neighbour changes less than the
   wall clock of 1.): the real command, run with the batch's ``fold`` (a chunk of replications) timed
   in every process, gives the command's own CPU before its workers start (interpreter start,
   imports, loading and checking the scenario), its CPU while they run (its own chunks, if it takes
   any, merging the workers' tallies, the progress; the command's output is a pipe here, so the bar
   is not drawn) and after them (the result aggregated, the JSON, the tables, its exit: the
   operating system's count of the whole command, less the workers'), each worker's CPU and the
   moment each process finished its last chunk (the gap is the end's imbalance); the start method of
   the workers; and, from the paired ``--jobs 1`` run's whole CPU, the efficiency a quiet 2-core
   machine would give: ``jobs-1 CPU / (2 x (before + the pool + after))``, the pool lasting as long
   as the busiest process in it (or all their CPU over 2 cores, if longer): the serial parts, the
   extra CPU of working in parallel and the imbalance are what keep ``--jobs 2`` from 2x.
   ``--before TREE`` runs the same on another checkout (its ``.venv``), interleaved with this one.

Every command runs with the project's compiled bytecode kept, as an installed package has it
(``--bytecode``, see ``bytecode()``).

Left out: a machine with more than 2 cores (the target is for 2), and the command's terminal output
(the progress bar is drawn only on a terminal).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LARGEST = ROOT / "data" / "scenarios" / "mass_casualty.yaml"
SMALL = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


class Tree:
    """A checkout whose ``hotwash simulate`` is measured: its root, its interpreter, the environment
    its commands run in (see ``bytecode``)."""

    def __init__(self, name: str, root: Path, cache: Path | None) -> None:
        self.name, self.root = name, root
        self.python = Path(sys.executable) if root == ROOT else root / ".venv" / "bin" / "python"
        self.env = dict(os.environ)
        if cache is not None:
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
            self.env["PYTHONPYCACHEPREFIX"] = str(cache / name)

    def command(self, scenario: Path, runs: int, jobs: int, out: Path) -> list[str]:
        """The command on ``scenario``: the tree's own copy of it if it is a file of this checkout."""
        own = self.root / scenario.relative_to(ROOT) if scenario.is_relative_to(ROOT) else scenario
        return [str(self.python.parent / "hotwash"), "simulate", str(own), "--runs", str(runs), "--jobs",
                str(jobs), "--json", str(out)]


def bytecode(cached: bool) -> str:
    """What the printed figures assume of Python's compiled modules. An installed package has them
    (pip compiles them at install) and a checkout writes them at its first run, unless
    ``PYTHONDONTWRITEBYTECODE`` is set, as it is on some development machines: then every command
    compiles the project's source again (about 70 ms of a 2-core machine's CPU), before its workers
    start. ``--bytecode cached`` keeps them, for every tree alike, in a temporary folder (the
    checkouts stay clean); ``--bytecode as-is`` runs the commands in the environment as it is."""
    setting = os.environ.get("PYTHONDONTWRITEBYTECODE")
    if cached:
        return "bytecode cached in a temporary folder, as an installed package has it"
    return f"bytecode as the environment has it (PYTHONDONTWRITEBYTECODE={setting or 'unset'})"


def timed(tree: Tree, command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=tree.root, env=tree.env)
    return time.perf_counter() - start


def pair(tree: Tree, scenario: Path, runs: int, first: int, folder: Path) -> tuple[float, float, bool]:
    """One pair: the command with 1 job and with 2 jobs back to back, ``first`` of them first."""
    took: dict[int, float] = {}
    for jobs in (first, 3 - first):
        took[jobs] = timed(tree, tree.command(scenario, runs, jobs, folder / f"{tree.name}-jobs{jobs}.json"))
    same = (folder / f"{tree.name}-jobs1.json").read_bytes() == (folder / f"{tree.name}-jobs2.json").read_bytes()
    return took[1], took[2], same


def efficiency(trees: list[Tree], scenario: Path, runs: int, repeat: int) -> dict[str, list[float]]:
    """The efficiency of each of ``repeat`` pairs per tree, the trees' pairs taking turns (printed, with
    the figures they come from)."""
    effs: dict[str, list[float]] = {t.name: [] for t in trees}
    ratios: dict[str, list[float]] = {t.name: [] for t in trees}
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        for tree in trees:  # the file cache and the bytecode, once
            timed(tree, tree.command(scenario, min(runs, 20), 1, Path(tmp) / "warm.json"))
        for n in range(repeat):
            for tree in trees if n % 2 == 0 else trees[::-1]:
                before = load()
                one, two, identical = pair(tree, scenario, runs, 1 if n % 2 == 0 else 2, Path(tmp))
                same = same and identical
                ratios[tree.name].append(two / one)
                effs[tree.name].append(one / (2 * two))
                order = "1 then 2" if n % 2 == 0 else "2 then 1"
                print(f"   {tree.name} pair {n + 1} ({order}): --jobs 1 {one:.2f} s, --jobs 2 {two:.2f} s, ratio "
                      f"{two / one:.2f}, efficiency {one / (2 * two):.2f} ({before} before, {load()} after)")
    for tree in trees:
        print(
            f"1. {tree.name}: hotwash simulate {scenario.stem} --runs {runs:,}, {repeat} pairs: --jobs 2 / --jobs 1 "
            f"wall {spread(ratios[tree.name])}, efficiency {spread(effs[tree.name])} (min/median/max; target >= 0.9; "
            f"{load()})"
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


TIMED = """
import json, os, time
import sim_engine.batch.runs as runs

LOG = os.environ["HOTWASH_BENCH_TIMELINE"]
fold, batch, context, aggregate = runs.fold, runs.run_batch, runs._context, runs.aggregate

def note(**fields):
    with open(LOG, "a", encoding="utf-8") as out:
        out.write(json.dumps({"pid": os.getpid(), **fields}) + "\\n")

def _fold(scenario, seed, indices, *args, **kwargs):
    tally = fold(scenario, seed, indices, *args, **kwargs)
    note(chunk_end=time.monotonic(), cpu=time.process_time(), runs=len(indices))
    return tally

def run_batch(*args, **kwargs):
    note(batch_start=time.monotonic(), cpu=time.process_time())
    result = batch(*args, **kwargs)
    note(batch_end=time.monotonic(), cpu=time.process_time())
    return result

def _aggregated(*args, **kwargs):
    note(aggregate_start=time.monotonic(), cpu=time.process_time())
    return aggregate(*args, **kwargs)

def _context():
    chosen = context()
    note(start_method=chosen.get_start_method())
    return chosen

for timed in (_fold, run_batch, _context):
    timed.__module__ = runs.__name__
    setattr(runs, timed.__name__.lstrip("_") if timed is _fold else timed.__name__, timed)
runs.aggregate = _aggregated
"""
"""The command's batch functions timed, in every process the command starts (a fork server's too: it
is installed as ``sitecustomize``, which every interpreter of the tree imports at start). ``fold`` is
what runs a chunk of replications, in a worker and, in a tree where the command's own process takes
chunks too, in that process."""

FRESH = "import time, sim_engine.batch.runs; print(time.process_time())"
"""A fork server's own start: an interpreter importing the engine (the workers are forked from it)."""


def timeline(tree: Tree, scenario: Path, runs: int, jobs: int) -> dict[str, float | str]:
    """The command ``hotwash simulate`` of ``tree`` run once with its batch functions timed: CPU
    seconds of each phase (see 4. above) and the end's imbalance. The command's whole CPU, its exit
    included, is the operating system's count for it and the workers it waited for."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sitecustomize.py").write_text(TIMED, encoding="utf-8")
        log = Path(tmp) / "timeline.jsonl"
        env = {**tree.env, "PYTHONPATH": f"{tmp}{os.pathsep}{tree.root}", "HOTWASH_BENCH_TIMELINE": str(log)}
        with open(Path(tmp) / "output", "wb") as output:
            command = subprocess.Popen(tree.command(scenario, runs, jobs, Path(tmp) / "out.json"), cwd=tree.root,
                                       env=env, stdout=output, stderr=output)
            _, status, usage = os.wait4(command.pid, 0)
            command.returncode = os.waitstatus_to_exitcode(status)
        if command.returncode:
            raise RuntimeError((Path(tmp) / "output").read_text(encoding="utf-8", errors="replace"))
        rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        figures = phases(rows, usage.ru_utime + usage.ru_stime)
        if figures["method"] == "forkserver":
            env.pop("HOTWASH_BENCH_TIMELINE")
            env["PYTHONPATH"] = str(tree.root)
            fresh = subprocess.run([str(tree.python), "-c", FRESH], check=True, capture_output=True, text=True,
                                   cwd=tree.root, env=env)
            figures["server"] = float(fresh.stdout)
    return figures


def phases(rows: list[dict[str, Any]], whole: float) -> dict[str, float | str]:
    """The phases of one command from its timeline, ``whole`` being the CPU of the command and its
    workers together: what the workers did not spend is the command's own, its exit included."""
    parent = next(r["pid"] for r in rows if "batch_start" in r)
    start = next(r for r in rows if "batch_start" in r)
    end = next(r for r in rows if "aggregate_start" in r)  # the tallies merged: what follows is serial
    workers: dict[int, dict[str, float]] = {}
    ends: dict[int, float] = {}
    for row in rows:
        if "chunk_end" in row:
            ends[row["pid"]] = max(ends.get(row["pid"], 0.0), row["chunk_end"])
            if row["pid"] != parent:
                workers.setdefault(row["pid"], {"cpu": 0.0})
                workers[row["pid"]]["cpu"] = row["cpu"]  # the worker's whole CPU so far, start-up included
    parallel = len(ends) > 1
    total = whole - sum(w["cpu"] for w in workers.values())
    return {
        "method": next((r["start_method"] for r in rows if "start_method" in r), "none (1 job)"),
        "before": start["cpu"], "pool": end["cpu"] - start["cpu"], "after": total - end["cpu"],
        "total": total, "workers": sum(w["cpu"] for w in workers.values()),
        "busiest": max((w["cpu"] for w in workers.values()), default=0.0),
        "imbalance": max(ends.values()) - min(ends.values()) if parallel else 0.0,
        "parent_runs": float(sum(r["runs"] for r in rows if "chunk_end" in r and r["pid"] == parent)),
    }


def quiet_efficiency(one: dict[str, float | str], two: dict[str, float | str]) -> float:
    """What a quiet 2-core machine would give: the whole CPU of 1 job over twice the path of 2 jobs (the
    parent before the workers, a fork server's start, the pool, the parent after them); the pool lasts
    as long as the busier of the processes working in it (the workers, and the parent, which in a tree
    where it takes chunks itself is one of them), or, if longer, as their CPU shared by 2 cores."""
    busiest = max(float(two["busiest"]), float(two["pool"]))
    pool = max(busiest, (float(two["workers"]) + float(two["pool"])) / 2)
    path = float(two["before"]) + float(two.get("server", 0.0)) + pool + float(two["after"])
    return float(one["total"]) / (2 * path)


def where_time_goes(trees: list[Tree], scenario: Path, runs: int, repeat: int) -> None:
    """4.: each tree's command timed phase by phase, trees and job counts interleaved."""
    effs: dict[str, list[float]] = {tree.name: [] for tree in trees}
    for n in range(repeat):
        for tree in trees if n % 2 == 0 else trees[::-1]:
            one = timeline(tree, scenario, runs, 1)
            two = timeline(tree, scenario, runs, 2)
            effs[tree.name].append(quiet_efficiency(one, two))
            print(
                f"   {tree.name} #{n + 1}: --jobs 1 {float(one['total']):.2f} s CPU; --jobs 2 ({two['method']}): "
                f"parent {float(two['before']):.2f} s before the workers"
                + (f" (and a fork server's start {float(two['server']):.2f} s)" if "server" in two else "")
                + f", {float(two['pool']):.2f} s while they run ({two['parent_runs']:.0f} runs of its own), "
                f"{float(two['after']):.2f} s after, exit included; workers {float(two['workers']):.2f} s in all, "
                f"the busier {float(two['busiest']):.2f} s; end imbalance {float(two['imbalance']) * 1000:.0f} ms "
                f"wall; quiet-machine efficiency {effs[tree.name][-1]:.2f} ({load()})"
            )
    for name, values in effs.items():
        print(f"4. {name}: efficiency from CPU phases {spread(values)} (min/median/max; target >= 0.9)")


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
    parser.add_argument("--phases", type=int, default=3, help="timed runs for 4. (0: none)")
    parser.add_argument("--before", type=Path, help="another checkout with its .venv, measured in 1. and 4. too")
    parser.add_argument("--bytecode", choices=("cached", "as-is"), default="cached", help="see bytecode()")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {load()}; {bytecode(args.bytecode == 'cached')}")
    with tempfile.TemporaryDirectory() as cache:
        folder = Path(cache) if args.bytecode == "cached" else None
        trees = [Tree("this", ROOT, folder), *([Tree("before", args.before.resolve(), folder)] if args.before else [])]
        if not args.skip_efficiency:
            efficiency(trees, args.scenario.resolve(), args.runs, args.repeat)
        if args.phases:
            where_time_goes(trees, args.scenario.resolve(), args.runs, args.phases)
    if not args.skip_memory:
        memory(args.memory_scenario, [int(n) for n in args.memory_runs.split(",")])


if __name__ == "__main__":
    main()
