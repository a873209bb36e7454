"""Acknowledgement latency of the exercise service under concurrent writers.

50 writers (processes x threads, as app processes serve many browser sessions each) log actions
into one live exercise; each call's time from call to return is one acknowledgement. Every
append runs the real write path: the lock, the simulation advanced to the clock, the hash chain,
a durable commit. Prints p50/p95/p99/max per database and load.

    python -m bench.bench_service                       # SQLite and PostgreSQL, both loads
    python -m bench.bench_service --database sqlite --think 0
    python -m bench.bench_service --postgres-url postgresql://user@host/db

Each app process makes one call before measuring starts: its first call replays the journal
in the simulation engine (cold start, outside the lock), which is not what a steady exercise
sees. Loads: ``--think 0`` is saturation (each writer calls again the moment it is answered: the worst
case); ``--think 1.0`` paces each writer at one action per second on average (a busy exercise:
50 players each logging every second). PostgreSQL is started on a loopback port by
tests.pg_server unless ``--postgres-url`` is given.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from exercises.record.entries import ActionLogged
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import CHEAP_HASHER, WAREHOUSE, code_for

fork = multiprocessing.get_context("fork")


def _process(url: str, code: str, tag: int, threads: int, calls: int, think: float, barrier: Any, results: Any) -> None:
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    caller = service.sign_in(code)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        rng = random.Random(n)
        mine = []
        for i in range(calls):
            if think:
                time.sleep(rng.expovariate(1 / think))
            start = time.perf_counter()
            try:
                service.log_action(caller, "establish_command", text=f"bench {tag}-{n}-{i}")
            except Exception as exc:  # counted: the bench reports errors, it does not hide them
                errors.append(repr(exc))
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    # Steady state: the process's first call replays the journal in the engine (~0.2-0.4 s of CPU
    # for a fresh exercise, outside the lock); make it before the clock starts counting.
    service.tick(caller)
    service.log_action(caller, "establish_command", text="warm-up")
    barrier.wait()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put((latencies, errors))


def run(url: str, *, writers: int, processes: int, calls: int, think: float) -> dict[str, float]:
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    created = service.create_exercise(load_scenario(WAREHOUSE), seed=1)
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller, speed=10)
    code = code_for(created, "player", "fire")
    barrier, results = fork.Barrier(processes + 1), fork.Queue()
    per = [writers // processes + (1 if p < writers % processes else 0) for p in range(processes)]
    procs = [fork.Process(target=_process, args=(url, code, k, n, calls, think, barrier, results)) for k, n in enumerate(per)]
    for p in procs:
        p.start()
    barrier.wait()
    began = time.perf_counter()
    latencies: list[float] = []
    errors: list[str] = []
    for _ in procs:
        got, failed = results.get(timeout=1800)
        latencies += got
        errors += failed
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
    verification = service.verify(controller)
    assert verification.ok, verification
    texts = Counter(
        e.payload.text for e in service.journal(controller) if isinstance(e.payload, ActionLogged) and e.payload.text.startswith("bench ")
    )
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "acks": len(latencies),
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "max_ms": max(latencies) * 1000,
        "per_s": len(latencies) / elapsed,
        "entries": verification.entries,
        "errors": len(errors),
        "lost": len(latencies) - len(texts),
        "doubled": sum(n - 1 for n in texts.values()),
    }


def bare_sqlite(path: Path, commits: int) -> float:
    """Commits per second of a bare loop with the journal's durability: one connection, WAL,
    synchronous=FULL, BEGIN IMMEDIATE, one row of about an entry's size per transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY, payload TEXT, hash TEXT)")
    row = "x" * 300
    start = time.perf_counter()
    for k in range(commits):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (payload, hash) VALUES (?, ?)", (row, f"{k:064d}"))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    connection.close()
    return commits / elapsed


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    made.add_argument("--writers", type=int, default=50)
    made.add_argument("--processes", type=int, default=5, help="app processes the writers are spread over")
    made.add_argument("--calls", type=int, default=40, help="actions per writer")
    made.add_argument("--think", type=float, action="append", help="mean seconds between a writer's calls")
    made.add_argument("--postgres-url", help="an empty PostgreSQL database to use")
    made.add_argument("--bare-commits", type=int, default=300, help="commits of the bare SQLite yardstick")
    return made


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    thinks = args.think or [1.0, 0.0]
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    server = None
    print(f"{args.writers} writers over {args.processes} processes, {args.calls} actions each")
    print(
        f"{'database':<11} {'think s':>7} {'acks':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'acks/s':>7} {'errors':>6} {'lost':>5} {'doubled':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for n, (name, think) in enumerate((d, t) for d in databases for t in thinks):
                if name == "sqlite":
                    url = f"sqlite:///{Path(tmp) / f'bench-{n}.db'}"
                    bare = bare_sqlite(Path(tmp) / f"bare-{n}.db", args.bare_commits)
                elif args.postgres_url:
                    url = args.postgres_url
                else:
                    if server is None:
                        from tests.pg_server import PostgresServer

                        server = PostgresServer().start()
                    url = server.create_database("bench")
                r = run(url, writers=args.writers, processes=args.processes, calls=args.calls, think=think)
                print(
                    f"{name:<11} {think:>7.1f} {r['acks']:>6.0f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
                    f"{r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} {r['per_s']:>7.1f} {r['errors']:>6.0f} "
                    f"{r['lost']:>5.0f} {r['doubled']:>7.0f}",
                    flush=True,
                )
                if name == "sqlite":
                    print(
                        f"{'':<11} bare SQLite loop, same durability, measured just before: {bare:.1f} commits/s; "
                        f"the service acknowledged {r['per_s'] / bare:.2f}x as many entries per second "
                        f"(load {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
        finally:
            if server is not None:
                server.stop()

if __name__ == "__main__":
    main()
