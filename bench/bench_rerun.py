"""A whole Streamlit rerun of each role's main page, as a participant waits for it: the controller's
dashboard, a player's page and the evaluator's page, at 20,000 and 80,000 entries (target: p95 under
250 ms at 20,000, and at 80,000 under 1.25x the figure at 20,000).

A rerun is ``streamlit.testing.v1.AppTest.run()`` on the console's own script, signed in: the script
run with every element built and handed to Streamlit (its protobuf messages), the fragments
included, in the console's own process with its service and view cache; each page's script compiled
once, as a server does. What it leaves out: the websocket, the browser's drawing and the network,
and ``AppTest``'s own reading of the elements is in the figure (a few ms).

The exercise is ``bench_console.build``'s: the bundled civil-disturbance scenario played through the
service with a hand-moved wall clock. Each size is built once into ``--database-dir`` (kept, so a
second run reuses it) and timed in a new process: first the first page after a (re)start of the
console process (cold, but the journal already read to print its length: ``bench_restart.py`` times
a first page that reads it, which is what a participant waits for after a restart), then ``--reruns`` reruns of each page, a refresh every 2 s of the hand clock
and a player's entry before every other one (so half the reruns find the journal moved).

Beside each page's wall time: its CPU time per rerun (``time.process_time``: the script runs in a
thread of this process), and a yardstick taken in the same run, interleaved with the measured
reruns: a rerun of the sign-in page (no journal read), so a figure can be read against the
machine's speed at that moment (``x sign-in`` is the page's p95 over the sign-in page's p50). When
both sizes are run, the ratio of their p95 (80,000 over 20,000) is printed per page.

Run: ``python bench/bench_rerun.py`` (``--entries 20000 80000``, ``--reruns 100``,
``--database-dir DIR``). The machine's load is printed with every figure.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from argon2 import PasswordHasher  # noqa: E402
from bench_console import HandClock, build, last_wall_time, percentile  # noqa: E402

from exercises.access import Caller, Role  # noqa: E402
from exercises.scenario.model import PlayedBy  # noqa: E402
from exercises.service.exercise_service import ExerciseService  # noqa: E402

TARGET_MS = 250.0
GROWTH = 1.25
"""At 80,000 entries a rerun may cost at most this much more than at 20,000."""
NAME = "Console benchmark"
PAGES = {"controller": "controller.py", "player": "player.py", "evaluator": "evaluator.py"}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} / {five:.1f}"


def summary(samples: list[float]) -> str:
    return (f"n={len(samples):>3}  min {min(samples):6.0f}  p50 {statistics.median(samples):6.0f}  "
            f"p95 {percentile(samples, 0.95):6.0f}  max {max(samples):6.0f} ms")


def found(svc: ExerciseService, entries: int) -> int | None:
    have = [e for e in svc.list_exercises() if e.name == NAME and e.entries >= entries]
    return have[-1].id if have else None


def cheap_service(url: str, clock: HandClock) -> ExerciseService:
    # Access codes hashed cheaply: argon2's cost is the sign-in's, not what is measured here.
    return ExerciseService.open(url, wall_clock=clock, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def ensure(url: str, entries: int, seed: int) -> None:
    clock = HandClock()
    svc = cheap_service(url, clock)
    if found(svc, entries) is None:
        build(svc, clock, entries, seed)


def callers(svc: ExerciseService, exercise_id: int) -> dict[str, Caller]:
    scenario = svc.scenario(svc.operator(exercise_id))
    agency = next(a.id for a in scenario.agencies if a.played_by is PlayedBy.PLAYERS)
    return {
        "controller": Caller(exercise_id, Role.CONTROLLER, name="Bench controller"),
        "player": Caller(exercise_id, Role.PLAYER, agency, name="Bench player"),
        "evaluator": Caller(exercise_id, Role.EVALUATOR, name="Bench evaluator"),
    }


def one_script_cache() -> None:
    """A server compiles each page's script once (its runtime keeps one cache); ``AppTest`` makes a
    new cache every run, which would time compiling the page each rerun."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test

    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[assignment,misc]


def open_page(caller: Caller, page: str) -> tuple[object, float]:
    """A new tab of ``page`` signed in as ``caller``; how long its first full page took (ms)."""
    from streamlit.testing.v1 import AppTest

    from console import session

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.session_state[session.CALLER_KEY] = caller
    started = time.perf_counter()
    at.run()
    at.switch_page(f"console/{page}").run()
    took = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
    return at, took


def time_size(url: str, entries: int, reruns: int, seed: int) -> dict[str, float]:
    """In this (new) process: the first page after a start, then ``reruns`` reruns of each page."""
    from console import session

    clock = HandClock()
    svc = cheap_service(url, clock)
    exercise_id = found(svc, entries)
    assert exercise_id is not None
    clock.now = last_wall_time(svc, exercise_id)
    session.service = lambda: svc  # type: ignore[assignment]  # the console's one service, on the hand clock
    one_script_cache()
    who = callers(svc, exercise_id)
    players = [c for c in who.values() if c.role is Role.PLAYER]
    rng = random.Random(seed)
    p95s: dict[str, float] = {}
    print(f"{svc.state(who['controller']).entries:,}-entry exercise ({url.split(':', 1)[0]}), {load()}")
    yardstick = sign_in_page()
    for role, page in PAGES.items():
        at, first = open_page(who[role], page)
        # The journal was read above (the entry count): bench_restart.py times a first page that reads it.
        print(f"  {role:<10} first page{' after the start, the journal already read' if role == 'controller' else ''}: "
              f"{first:6.0f} ms")
        timed = rerun_samples(at, reruns, clock, lambda: svc.log_action(rng.choice(players), "situation_report",
                                                                          text="update"), yardstick)
        p95s[role] = percentile(timed.wall, 0.95)
        print(f"  {role:<10} whole rerun {summary(timed.wall)}  ({load()})")
        print(f"  {'':<10} CPU time    {summary(timed.cpu)}")
        print(f"  {'':<10} sign-in page {summary(timed.yardstick)}  yardstick; "
              f"p95 = x{p95s[role] / statistics.median(timed.yardstick):.1f} sign-in")
    return p95s


def sign_in_page() -> object:
    """The yardstick: the sign-in page (nobody signed in), which reads no journal."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.run()
    return at


@dataclass
class Timed:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU time of this process during the rerun (ms)."""
    yardstick: list[float] = field(default_factory=list)
    """The sign-in page's rerun, run just before each measured one (ms)."""


def rerun_samples(at: object, reruns: int, clock: HandClock, entry: Callable[[], object], yardstick: object) -> Timed:
    timed = Timed()
    for n in range(reruns):
        timed.yardstick.append(_rerun(yardstick)[0])
        clock.now += 2.0
        if n % 2:
            entry()
        wall, cpu = _rerun(at)
        timed.wall.append(wall)
        timed.cpu.append(cpu)
    return timed


def _rerun(at: object) -> tuple[float, float]:
    """One whole rerun: its wall and CPU time (ms)."""
    started, cpu = time.perf_counter(), time.process_time()
    at.run()  # type: ignore[attr-defined]
    took = ((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)
    if at.exception:  # type: ignore[attr-defined]
        raise RuntimeError([e.value for e in at.exception])  # type: ignore[attr-defined]
    return took


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    made.add_argument("--entries", type=int, nargs="+", default=[20_000, 80_000])
    made.add_argument("--reruns", type=int, default=100)
    made.add_argument("--database-dir", type=Path, help="where the built exercises are kept (default: a temporary folder)")
    made.add_argument("--seed", type=int, default=7)
    made.add_argument("--time", help=argparse.SUPPRESS)  # the timing process: the database URL
    return made


def main(argv: list[str] | None = None) -> dict[int, dict[str, float]]:
    args = parser().parse_args(argv)
    if args.time:
        figures = time_size(args.time, args.entries[0], args.reruns, args.seed)
        print("P95 " + " ".join(f"{k}={v:.1f}" for k, v in figures.items()))
        return {args.entries[0]: figures}
    folder = args.database_dir or Path(tempfile.mkdtemp(prefix="hotwash-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, float]] = {}
    for entries in args.entries:
        url = f"sqlite:///{(folder / f'rerun-{entries}.db').as_posix()}"
        ensure(url, entries, args.seed)
        # Timed in a new process: the console's process starting on the exercise, cold.
        done = subprocess.run([sys.executable, __file__, "--time", url, "--entries", str(entries),
                               "--reruns", str(args.reruns), "--seed", str(args.seed)],
                              capture_output=True, text=True, check=True)
        print(done.stdout, end="")
        line = next(x for x in done.stdout.splitlines() if x.startswith("P95 "))
        results[entries] = {k: float(v) for k, v in (p.split("=") for p in line.split()[1:])}
    verdicts(results)
    return results


def verdicts(results: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    for role in PAGES:
        said = [f"{n:,}: p95 {results[n][role]:.0f} ms" for n in sizes]
        verdict = "meets" if results[sizes[0]][role] < TARGET_MS else "misses"
        if len(sizes) > 1:
            ratio = results[sizes[-1]][role] / results[sizes[0]][role]
            said.append(f"{sizes[-1]:,} vs {sizes[0]:,}: x{ratio:.2f} ({'within' if ratio < GROWTH else 'over'} "
                        f"x{GROWTH})")
        print(f"{role}: {'; '.join(said)}; target p95 < {TARGET_MS:.0f} ms at {sizes[0]:,}: {verdict}")


if __name__ == "__main__":
    main()
