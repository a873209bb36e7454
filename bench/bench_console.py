"""Server-side time of one controller dashboard refresh on a 20,000-entry exercise (target p95 < 150 ms).

A refresh is what the dashboard's live fragment does every 2 seconds: ``ExerciseService.tick`` (advance
the simulation to the clock) and every service read the dashboard makes with what it derives from them
(``console.derived.controller_dashboard``: state, scenario, journal, MSEL, protocol clock, feed,
timeline, link state). Drawing is the browser's; Streamlit's own serialisation is not included.

The exercise is built through the service API, as players would fill it: the bundled civil-disturbance
scenario, five agencies' players logging actions (a few of them protocol triggers, as in a real
exercise), messages and resource requests, with the simulation running alongside; a hand-moved wall
clock lets hours of exercise pass in a couple of minutes.

Two cases are timed, each over ``--refreshes`` refreshes (at least 200):
- quiet: nothing was recorded since the last refresh (the per-head cache of views answers);
- busy: one player entry arrived before each refresh (what changed is folded in).

The timing never runs on a database the same process just built: without ``--reuse`` of an
earlier exercise, the benchmark builds one, then times it in a new process (cold caches, as a
console process that starts on a running exercise). The machine is shared, so each sample is
paired with a yardstick (a fixed pure-Python workload) run just before it in the same process;
figures are given in ms and as ratios to the yardstick's median, with min / p50 / p95 / max.

Run: ``python bench/bench_console.py`` (``--entries``, ``--refreshes``, ``--database URL`` to keep
the database or to run on PostgreSQL).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from argon2 import PasswordHasher
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.derived import ViewCache, controller_dashboard  # noqa: E402
from exercises.access import Caller, Role  # noqa: E402
from exercises.scenario.loading import load_scenario  # noqa: E402
from exercises.scenario.model import PlayedBy  # noqa: E402
from exercises.service.exercise_service import ExerciseService  # noqa: E402
from exercises.storage.tables import JournalEntry  # noqa: E402

SCENARIO = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
TRIGGER_SHARE = 0.03
"""Share of logged actions that are protocol triggers (declarations, detentions, use of force ...)."""


class HandClock:
    """The wall clock the service reads, moved by the benchmark (the exercise clock follows it)."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def build(svc: ExerciseService, clock: HandClock, entries: int, seed: int) -> tuple[Caller, list[Caller]]:
    scenario = load_scenario(SCENARIO)
    created = svc.create_exercise(scenario, name="Console benchmark", seed=seed)
    controller = svc.sign_in(next(c.code for c in created.codes if c.role is Role.CONTROLLER))
    players = [svc.sign_in(c.code) for c in created.codes if c.role is Role.PLAYER]
    svc.start(controller)
    triggers = sorted({p.trigger.name for p in scenario.protocols if p.trigger.kind == "action" and p.trigger.name})
    ordinary = sorted(set(scenario.vocabulary) - set(triggers))
    agencies = [a.id for a in scenario.agencies]
    units = sorted({u for a in scenario.agencies if a.played_by is PlayedBy.SIMULATION for u in a.resources})
    rng = random.Random(seed)
    # Spread the entries over the scenario's length, so the simulation runs all the way through.
    step = scenario.duration * 0.95 / entries
    started = time.perf_counter()
    while svc.state(controller).entries < entries:
        clock.now += step
        player = rng.choice(players)
        others = [a for a in agencies if a != player.agency]
        draw = rng.random()
        if draw < 0.80:
            action = rng.choice(triggers) if rng.random() < TRIGGER_SHARE else rng.choice(ordinary)
            svc.log_action(player, action, text=f"note {rng.randrange(10**6)}")
        elif draw < 0.95:
            svc.send_message(player, rng.choice(others), f"message {rng.randrange(10**6)}")
        else:
            svc.request_resource(player, rng.choice(others), rng.choice(units), rng.randint(1, 3))
    print(f"built {svc.state(controller).entries} entries in {time.perf_counter() - started:.0f} s")
    return controller, players


def reuse(svc: ExerciseService, clock: HandClock, entries: int) -> tuple[Caller | None, list[Caller]]:
    """The benchmark exercise an earlier run left in the database, with the hand clock after it."""
    found = [e for e in svc.list_exercises() if e.name == "Console benchmark" and e.entries >= entries]
    if not found:
        return None, []
    exercise = found[-1]
    controller = svc.operator(exercise.id)
    clock.now = last_wall_time(svc, exercise.id)
    scenario = svc.scenario(controller)
    players = [Caller(exercise.id, Role.PLAYER, a.id) for a in scenario.agencies if a.played_by is PlayedBy.PLAYERS]
    print(f"reusing exercise {exercise.id} ({exercise.entries} entries)")
    return controller, players


def last_wall_time(svc: ExerciseService, exercise_id: int) -> float:
    """When the exercise's last entry was appended (the hand clock goes on from there)."""
    with svc.db.reading() as session:
        last = session.exec(
            select(JournalEntry).where(JournalEntry.exercise_id == exercise_id).order_by(col(JournalEntry.seq).desc())
        ).first()
    return float(last.wall_time) if last is not None else time.time()


class OtherServer:
    """Another app process on the same database: a player there logs an action when asked."""

    def __init__(self, url: str, agencies: list[str], exercise_id: int, seed: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.proc = context.Process(target=_other_server, args=(url, agencies, exercise_id, seed, theirs), daemon=True)
        self.proc.start()

    def log_action(self, now: float) -> None:
        self.conn.send(now)
        self.conn.recv()

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(timeout=30)


def _other_server(url: str, agencies: list[str], exercise_id: int, seed: int, conn: Connection) -> None:
    clock = HandClock()
    svc = ExerciseService.open(url, wall_clock=clock)
    rng = random.Random(seed + 2)
    while (now := conn.recv()) is not None:
        clock.now = now
        player = Caller(exercise_id, Role.PLAYER, rng.choice(agencies))
        svc.log_action(player, "situation_report", text="update from the other server")
        conn.send(True)


TARGET_MS = 150.0
MIN_REFRESHES = 200


def yardstick() -> float:
    """A fixed pure-Python workload (ms): how fast this machine is at the moment."""
    started = time.perf_counter()
    rng = random.Random(1)
    sorted(str(rng.random()) for _ in range(20_000))
    return (time.perf_counter() - started) * 1000


def timed(refresh: Callable[[], object], before: Callable[[], object], count: int) -> tuple[list[float], list[float]]:
    samples, yard = [], []
    for _ in range(count):
        yard.append(yardstick())
        before()
        started = time.perf_counter()
        refresh()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, yard


def report(name: str, measured: tuple[list[float], list[float]]) -> float:
    samples, yard = measured
    p95, unit = percentile(samples, 0.95), statistics.median(yard)
    print(
        f"{name:<6} n={len(samples):>3}  min {min(samples):6.1f}  p50 {statistics.median(samples):6.1f}  "
        f"p95 {p95:6.1f}  max {max(samples):7.1f} ms   p95 = {p95 / unit:.2f} x yardstick "
        f"(yardstick {min(yard):.1f} / {unit:.1f} / {max(yard):.1f} ms)"
    )
    return p95


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    made.add_argument("--entries", type=int, default=20_000)
    made.add_argument("--refreshes", type=int, default=MIN_REFRESHES)
    made.add_argument("--database", help="database URL (default: a new SQLite file in a temporary folder)")
    made.add_argument("--seed", type=int, default=7)
    made.add_argument("--reuse", action="store_true",
                        help="time an exercise an earlier run built in --database, if it has enough entries")
    return made


def main(argv: list[str] | None = None) -> None:
    made = parser()
    args = made.parse_args(argv)
    if args.refreshes < MIN_REFRESHES:
        made.error(f"--refreshes must be at least {MIN_REFRESHES}: a p95 needs the samples")

    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp(prefix='hotwash-bench-')) / 'bench.db'}"
    clock = HandClock()
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # codes are not what is measured
    writer = ExerciseService.open(url, wall_clock=clock, hasher=cheap)
    controller, players = reuse(writer, clock, args.entries) if args.reuse else (None, [])
    if controller is None:
        build(writer, clock, args.entries, args.seed)
        # Time it in a new process, on the database as it stands: not the one this process built.
        command = [sys.executable, __file__, "--reuse", "--database", url, "--entries", str(args.entries),
                   "--refreshes", str(args.refreshes), "--seed", str(args.seed)]
        raise SystemExit(subprocess.call(command))

    # The console's process: one service (journal cache, engine run) and view cache, as in a server.
    console = writer
    cache = ViewCache()
    other = OtherServer(url, [p.agency or "" for p in players], controller.exercise_id, args.seed)

    def refresh() -> object:
        console.tick(controller)
        return controller_dashboard(console, cache, controller)

    started = time.perf_counter()
    view = refresh()
    print(f"first refresh (cold process cache) {(time.perf_counter() - started) * 1000:.0f} ms")
    assert view.state.entries >= args.entries  # type: ignore[attr-defined]

    def quiet() -> None:
        clock.now += 2.0  # a refresh every 2 s; the simulation may or may not have something due

    rng = random.Random(args.seed + 1)

    def busy() -> None:
        clock.now += 2.0
        console.log_action(rng.choice(players), "situation_report", text="update")

    def busy_elsewhere() -> None:
        clock.now += 2.0
        other.log_action(clock.now)

    print(f"controller dashboard refresh, {args.entries:,}-entry exercise ({url.split(':', 1)[0]}):")
    p95_quiet = report("quiet", timed(refresh, quiet, args.refreshes))
    p95_busy = report("busy", timed(refresh, busy, args.refreshes))
    p95_other = report("busy*", timed(refresh, busy_elsewhere, args.refreshes))
    print("busy: a player's entry through this server before each refresh; busy*: through another "
          "server process (this one's simulation catches up with it)")
    other.close()

    # Where a busy refresh spends its time.
    parts: dict[str, list[float]] = {}
    for _ in range(5):
        busy()
        for name, call in (
            ("tick", lambda: console.tick(controller)),
            ("state", lambda: console.state(controller)),
            ("journal", lambda: console.journal(controller)),
            ("dashboard views", lambda: controller_dashboard(console, cache, controller)),
        ):
            started = time.perf_counter()
            call()
            parts.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    print("busy refresh by service call (median ms): "
          + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in parts.items()))
    verdict = "meets" if max(p95_quiet, p95_busy, p95_other) < TARGET_MS else "misses"
    print(f"target p95 < {TARGET_MS:.0f} ms: {verdict} (quiet {p95_quiet:.0f} ms, busy {p95_busy:.0f} ms, "
          f"busy* {p95_other:.0f} ms)")


if __name__ == "__main__":
    main()
