"""Benchmark: branching a new exercise from a moment of a 20,000-entry exercise (target < 5 s).

    python bench/bench_branch.py [--entries 20000] [--repeat 5] [--database URL]

The parent is built through the service API, as players fill an exercise: the bundled
civil-disturbance scenario, its players logging actions, messages and resource requests with the
simulation running alongside (a hand-moved wall clock lets hours pass in minutes); then ended.
Each timed call is ``ExerciseService.branch`` at the parent's last entry before its end (the most
entries to inherit): verify the parent (chain and signed checkpoints), copy its entries, replay
them in the simulation, sign the creation checkpoint, issue new access codes. It runs in a fresh
process each time with the engine's cache empty, as a console process asked for its first branch.
Prints min / median / max over ``--repeat`` branches (wall time), each with its CPU time (all
threads of the process: on a shared machine the wall time is mostly waiting), and the machine's load. Beside each, the
time the same process then takes to open an empty exercise: the access codes' argon2id hashes
(memory-hard on purpose) are most of a branch's time on a busy machine, and the same for both.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_console import HandClock  # noqa: E402  (the same hand-moved wall clock)
from exercises.access import Role  # noqa: E402
from exercises.record.entries import EntryKind  # noqa: E402
from exercises.scenario.loading import load_scenario  # noqa: E402
from exercises.scenario.model import PlayedBy  # noqa: E402
from exercises.service.exercise_service import ExerciseService  # noqa: E402

SCENARIO = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
TARGET_SECONDS = 5.0


def build(url: str, entries: int, seed: int = 5) -> int:
    """A finished exercise of about ``entries`` entries; returns its id."""
    clock = HandClock()
    svc = ExerciseService.open(url, wall_clock=clock)
    scenario = load_scenario(SCENARIO)
    created = svc.create_exercise(scenario, name="Branch benchmark", seed=seed)
    controller = svc.sign_in(next(c.code for c in created.codes if c.role is Role.CONTROLLER))
    players = [svc.sign_in(c.code) for c in created.codes if c.role is Role.PLAYER]
    agencies = [a.id for a in scenario.agencies]
    units = sorted({u for a in scenario.agencies if a.played_by is PlayedBy.SIMULATION for u in a.resources})
    vocabulary = sorted(scenario.vocabulary)
    rng = random.Random(seed)
    svc.start(controller)
    step = scenario.duration * 0.95 / entries
    started = time.perf_counter()
    while svc.state(controller).entries < entries:
        clock.now += step
        player = rng.choice(players)
        others = [a for a in agencies if a != player.agency]
        draw = rng.random()
        if draw < 0.80:
            svc.log_action(player, rng.choice(vocabulary), text=f"note {rng.randrange(10**6)}")
        elif draw < 0.95:
            svc.send_message(player, rng.choice(others), f"message {rng.randrange(10**6)}")
        else:
            svc.request_resource(player, rng.choice(others), rng.choice(units), rng.randint(1, 3))
    clock.now += 1
    svc.end(controller)
    total = svc.state(controller).entries
    print(f"built exercise {created.exercise.id}: {total} entries in {time.perf_counter() - started:.0f} s")
    return created.exercise.id


def time_one(url: str, exercise_id: int) -> None:
    """One branch, in this (fresh) process: prints the seconds and the entries inherited."""
    svc = ExerciseService.open(url)
    operator = svc.operator(exercise_id)
    ended = next(e.seq for e in svc.journal(operator) if e.kind is EntryKind.CLOCK_ENDED)
    started, cpu = time.perf_counter(), time.process_time()
    branched = svc.branch(operator, seq=ended - 1)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    started, create_cpu = time.perf_counter(), time.process_time()
    svc.create_exercise(svc.scenario(operator), name="Yardstick")
    create, create_cpu = time.perf_counter() - started, time.process_time() - create_cpu
    print(f"{seconds:.6f} {create:.6f} {ended - 1} {branched.exercise.entries} {cpu:.6f} {create_cpu:.6f}")


def measure(url: str, exercise_id: int, repeat: int) -> tuple[list[float], list[float]]:
    times, creates = [], []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--time-one", str(exercise_id), "--database", url],
            check=True, capture_output=True, text=True, cwd=ROOT,
        ).stdout.split()
        seconds, create, inherited, entries = float(out[0]), float(out[1]), int(out[2]), int(out[3])
        cpu, create_cpu = float(out[4]), float(out[5])
        times.append(seconds)
        creates.append(create)
        print(
            f"  branch of {inherited} inherited entries ({entries} in the branch): {seconds:.2f} s "
            f"(CPU {cpu:.2f} s); a new empty exercise in the same process: {create:.2f} s (CPU {create_cpu:.2f} s)"
        )
    return times, creates


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    made.add_argument("--entries", type=int, default=20_000)
    made.add_argument("--repeat", type=int, default=5)
    made.add_argument("--database", help="database URL (default: a SQLite file in a temporary folder)")
    made.add_argument("--time-one", type=int, help=argparse.SUPPRESS)
    return made


def main(argv: list[str] | None = None) -> list[float]:
    args = parser().parse_args(argv)
    if args.time_one is not None:
        time_one(args.database, args.time_one)
        return []
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'branch.db'}"
        os.environ.setdefault("HOTWASH_KEY_FILE", str(Path(folder) / "signing.key"))
        exercise_id = build(url, args.entries)
        times, creates = measure(url, exercise_id, args.repeat)
    print(
        f"branch from a {args.entries}-entry exercise: min {min(times):.2f} s, median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s (target < {TARGET_SECONDS:.0f} s); "
        f"opening an empty exercise (its access codes hashed with argon2id): median "
        f"{statistics.median(creates):.2f} s; "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return times


if __name__ == "__main__":
    main()
