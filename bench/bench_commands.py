"""Whole commands, as a user waits for them (prints figures; not a test).

    python -m bench.bench_commands [--repeat 5] [--entries 20000]

1. ``hotwash --help`` (target: under 0.3 s), beside ``python -c pass`` (the interpreter's own start) in
   the same run.
2. The whole ``hotwash report EXERCISE --out aar.pdf`` (target: under 5 s) of a 20,000-entry exercise
   in a SQLite file: the command's start, its imports, reading and verifying the hash chain,
   scoring and the PDF. The exercise is written once, with a real hash chain (the synthetic journal
   of ``bench/bench_report.py``); every run is a fresh process.

Each figure is min / median / max over ``--repeat`` runs, wall clock and CPU (the command's own, from
the kernel); the machine may be shared, so the load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_report import synthetic_journal
from exercises.record import journal
from exercises.record.entries import NewEntry
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import CHEAP_HASHER

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenarios" / "mass_casualty.yaml"


def timed(command: list[str], repeat: int, env: dict[str, str] | None = None) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def spread(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))


def exercise_of(url: str, entries: int) -> int:
    """An exercise whose journal holds ``entries`` synthetic entries, appended through the journal."""
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    scenario = load_scenario(SCENARIO)
    created = service.create_exercise(scenario, name="Report bench", seed=1)
    new = [NewEntry(at=e.at, agency=e.agency, actor=e.actor, payload=e.payload) for e in synthetic_journal(scenario, entries)]
    exercise_id = created.exercise.id
    with service.db.writing() as session:
        service.db.lock_exercise(session, exercise_id)
        head = journal.read_head(session, exercise_id)
        assert head is not None
        journal.append(session, exercise_id, head, new, time.time())
        session.commit()
    return exercise_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--entries", type=int, default=20_000)
    args = parser.parse_args()
    hotwash = shutil.which("hotwash", path=str(Path(sys.executable).parent)) or "hotwash"
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    walls, cpus = timed([sys.executable, "-c", "pass"], args.repeat)
    print(f"   python -c pass: {spread(walls)} s wall, {spread(cpus)} s CPU (min/median/max)")
    walls, cpus = timed([hotwash, "--help"], args.repeat)
    print(f"1. hotwash --help: {spread(walls)} s wall, {spread(cpus)} s CPU (target < 0.3 s; load {os.getloadavg()[0]:.1f})")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'report.db'}"
        exercise_id = exercise_of(url, args.entries)
        out = Path(tmp) / "aar.pdf"
        command = [hotwash, "report", str(exercise_id), "--out", str(out), "--database", url]
        walls, cpus = timed(command, args.repeat)
        print(
            f"2. hotwash report of a {args.entries:,}-entry exercise: {spread(walls)} s wall, {spread(cpus)} s CPU "
            f"(target < 5 s; {out.stat().st_size / 1024:,.0f} KiB PDF; load {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
