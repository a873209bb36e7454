"""The service's side of participants: refresh and acknowledgement latency against N threads.

N here is a number of threads calling the exercise service as the console's pages do, not a number
of people: no Streamlit rerun, no page delta, no websocket. How many people a console process holds
is ``bench/bench_sessions.py``'s measure (real sessions of real console processes); this bench
isolates the service's share of it.

    python -m bench.bench_participants             # SQLite; PostgreSQL with one process, then two
    python -m bench.bench_participants --setups sqlite:1 --counts 25,50,100,150 --seconds 40

N participants play one exercise of a bundled scenario (mass_casualty: five agencies played by
people) through the exercise service, as the console does:
- every participant refreshes every 2 s, as the console's live fragments do: a player's refresh is
  the player page's three fragments (``tick`` + ``state``; ``inbox``; ``state`` + ``agency_log``), a
  controller's is ``tick`` and the dashboard's views (``console.derived.controller_dashboard``);
- every player logs an action every 30 to 60 s (uniformly drawn), which is acknowledged only once
  committed.
One in ten participants is a controller, the rest are players spread over the played agencies.

Configurations (``--setups``): one process on a SQLite file; one, then two processes over one
PostgreSQL database (started on a loopback port by tests.pg_server), the participants split between
them, so that the same run shows what the second process adds. A process here stands for
one console process: its participants are threads, as Streamlit runs each session's script on its
own thread (Streamlit's own rendering and websocket traffic are not included). The exercise is
opened and started, and its journal grown to ``--journal`` entries, by the bench's parent process;
the participants' processes open the database fresh (no cache of it).

For each N it prints p50/p95 of a refresh and of an acknowledgement, the refreshes that fell behind
their 2 s period, then the largest N whose p95 service refresh stayed under 300 ms. The machine may be shared:
the load average is printed with every line.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from exercises.access import Caller, Role
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import PlayedBy
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.service.conftest import CHEAP_HASHER

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenarios" / "mass_casualty.yaml"
PERIOD = 2.0
TARGET_MS = 300.0
fork = multiprocessing.get_context("fork")


def _code(created: CreatedExercise, role: Role, agency: str | None = None) -> str:
    return next(c.code for c in created.codes if c.role is role and c.agency == agency)


def prepare(url: str, entries: int) -> tuple[list[tuple[str, bool]], list[str]]:
    """Open and start the exercise and grow its journal; returns (code, is player) per seat."""
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    scenario = load_scenario(SCENARIO)
    created = service.create_exercise(scenario, name="Participants bench", seed=3)
    controller = service.sign_in(_code(created, Role.CONTROLLER))
    service.start(controller, speed=1)
    played = [a.id for a in scenario.agencies if a.played_by is PlayedBy.PLAYERS]
    players = [service.sign_in(_code(created, Role.PLAYER, a)) for a in played]
    vocabulary = sorted(scenario.vocabulary)
    k = 0
    while len(service.journal(controller)) < entries:
        service.log_action(players[k % len(players)], vocabulary[k % len(vocabulary)], text=f"history {k}")
        k += 1
    seats = [(_code(created, Role.CONTROLLER), False)] + [
        (_code(created, Role.PLAYER, a), True) for a in played
    ]
    return seats, vocabulary


def _refresh(service: ExerciseService, caller: Caller, dashboard: Any, cache: Any) -> None:
    if caller.role is Role.PLAYER:
        service.tick(caller)
        service.state(caller)
        service.inbox(caller)
        service.state(caller)
        service.agency_log(caller)
    else:
        service.tick(caller)
        dashboard(service, cache, caller)


def participants(
    url: str, seats: list[tuple[str, bool]], vocabulary: list[str], seconds: float, out: Any
) -> None:
    """One console process: a thread per participant, refreshing and (players) logging actions."""
    from console.derived import ViewCache, controller_dashboard

    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    cache = ViewCache()
    refreshes: list[float] = []
    acks: list[float] = []
    late = errors = 0
    lock = threading.Lock()
    callers = [(service.sign_in(code), is_player) for code, is_player in seats]
    start_at = time.monotonic() + 1.0
    stop_at = start_at + seconds

    def seat(n: int, caller: Caller, is_player: bool) -> None:
        nonlocal late, errors
        rng = random.Random(n)
        mine_r: list[float] = []
        mine_a: list[float] = []
        next_refresh = start_at + rng.uniform(0, PERIOD)
        next_action = start_at + rng.uniform(0, 60) if is_player else float("inf")
        while True:
            now = time.monotonic()
            due = min(next_refresh, next_action)
            if due >= stop_at:
                break
            if due > now:
                time.sleep(due - now)
            try:
                if next_action <= next_refresh:
                    began = time.monotonic()
                    service.log_action(caller, vocabulary[rng.randrange(len(vocabulary))], text=f"seat {n}")
                    mine_a.append(time.monotonic() - began)
                    next_action += rng.uniform(30, 60)
                else:
                    began = time.monotonic()
                    _refresh(service, caller, controller_dashboard, cache)
                    took = time.monotonic() - began
                    mine_r.append(took)
                    next_refresh += PERIOD
                    if time.monotonic() > next_refresh:  # fell behind: skip, as a fragment would
                        with lock:
                            late += 1
                        next_refresh = time.monotonic() + PERIOD
            except Exception:
                with lock:
                    errors += 1
                next_refresh += PERIOD
        with lock:
            refreshes.extend(mine_r)
            acks.extend(mine_a)

    threads = [threading.Thread(target=seat, args=(n, c, p)) for n, (c, p) in enumerate(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((refreshes, acks, late, errors))


def measure(url: str, n: int, processes: int, seconds: float, journal: int) -> dict[str, float]:
    seats, vocabulary = prepare(url, journal)
    controllers = max(1, n // 10)
    chosen = [seats[0]] * controllers + [seats[1 + k % (len(seats) - 1)] for k in range(n - controllers)]
    random.Random(n).shuffle(chosen)
    out = fork.Queue()
    procs = [
        fork.Process(target=participants, args=(url, chosen[p::processes], vocabulary, seconds, out))
        for p in range(processes)
    ]
    for p in procs:
        p.start()
    refreshes: list[float] = []
    acks: list[float] = []
    late = errors = 0
    for _ in procs:
        r, a, lt, er = out.get(timeout=seconds * 20 + 600)
        refreshes += r
        acks += a
        late += lt
        errors += er
    for p in procs:
        p.join()

    def pct(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) >= 2 else float("nan")

    return {
        "refreshes": len(refreshes),
        "refresh_p50": pct(refreshes, 50),
        "refresh_p95": pct(refreshes, 95),
        "acks": len(acks),
        "ack_p50": pct(acks, 50),
        "ack_p95": pct(acks, 95),
        "late": late,
        "errors": errors,
    }


def _setup(text: str) -> tuple[str, int]:
    name, _, processes = text.partition(":")
    if name not in ("sqlite", "postgresql") or not processes.isdigit() or int(processes) < 1:
        raise SystemExit(f"--setups: {text!r} is not sqlite:N or postgresql:N")
    if name == "sqlite" and int(processes) > 1:
        raise SystemExit("--setups: several console processes need PostgreSQL (docs/deployment.md)")
    return name, int(processes)


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    made.add_argument(
        "--setups",
        default="sqlite:1,postgresql:1,postgresql:2",
        help="database:processes, comma-separated (one process over PostgreSQL is the yardstick for two)",
    )
    made.add_argument("--counts", default="50,100,200,300,400,600")
    made.add_argument("--seconds", type=float, default=40.0, help="measured play per N")
    made.add_argument("--journal", type=int, default=2000, help="entries in the journal before play starts")
    return made


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    modes = [_setup(text) for text in args.setups.split(",")]
    print(
        f"{os.cpu_count()} CPUs; {args.seconds:.0f} s of play per N; journal of {args.journal} entries first"
    )
    print(
        f"{'database':<11} {'procs':>5} {'N':>4} {'refreshes':>9} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'acks':>5} {'ack p50':>7} {'ack p95':>7} {'late':>5} {'errors':>6} load"
    )
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, processes in modes:
                held = []
                for n in counts:
                    if name == "sqlite":
                        url = f"sqlite:///{Path(tmp) / f'participants-{n}.db'}"
                    else:
                        if server is None:
                            from tests.pg_server import PostgresServer

                            server = PostgresServer(max_connections=400).start()
                        url = server.create_database("participants")
                    r = measure(url, n, processes, args.seconds, args.journal)
                    print(
                        f"{name:<11} {processes:>5} {n:>4} {r['refreshes']:>9.0f} {r['refresh_p50']:>7.0f} "
                        f"{r['refresh_p95']:>7.0f} {r['acks']:>5.0f} {r['ack_p50']:>7.0f} {r['ack_p95']:>7.0f} "
                        f"{r['late']:>5.0f} {r['errors']:>6.0f} {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                    if r["refresh_p95"] < TARGET_MS and not r["errors"]:
                        held.append(n)
                best = max(held) if held else 0
                print(
                    f"{name}, {processes} process(es): most threads calling the service (not people: no "
                    f"Streamlit rerun, no websocket) with p95 service refresh under {TARGET_MS:.0f} ms: {best}"
                )
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
