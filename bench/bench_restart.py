"""A console process (re)starting on a running exercise: the first page each role waits for, and the
2-second tick after it, as the journal grows (targets: the first page at 20,000 entries under 1.5 s;
a warm tick at 80,000 entries within 1.2x of the tick at 20,000).

Each first page is timed in a new process (imports done, nothing of the exercise read yet), as
``bench_rerun`` opens it: ``streamlit.testing.v1.AppTest`` on the console's own script, signed in,
the whole page built; one role per process, so each figure is that role's page after a restart.
What a console server does once at its start, before any participant can connect, is done before
the timing, as the server does it: Streamlit's scan of the installed packages for components
(``Runtime`` makes it when the server starts; ``AppTest`` would make it in its first run, about
0.2 s of the first page on the quiet machine, which no participant waits for after a restart).
In the controller's process, the warm tick follows: what an open page's watcher does every 2 s
(``ExerciseService.tick`` then ``view_version``), ``--ticks`` times on the hand clock, quiet (only
what the simulation makes) and busy (a player's entry before each tick, not timed); a tick is timed in the process's CPU
time (``time.process_time``), which the machine's other load does not inflate.

``--against DIR`` times another checkout (its own ``.venv``) on a copy of the same database, in the
same run, interleaved with this one (this, that, this, that ...): a paired before/after comparison
on a shared machine. Wall and CPU time (the child's ``RUSAGE_CHILDREN``) are both printed, with
min / median / p95 / max and the machine's load.

Run: ``python bench/bench_restart.py`` (``--entries 20000 80000``, ``--restarts 3``, ``--ticks 100``,
``--database-dir DIR`` to keep the built exercises, ``--against ../main`` for a paired comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("controller", "player", "evaluator")
FIRST_PAGE_TARGET_MS = 1500.0
TICK_GROWTH = 1.2
"""A warm tick at the largest size may cost at most this much more than at the smallest."""
NAME = "Console benchmark"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--entries", type=int, nargs="+", default=[20_000, 80_000])
    p.add_argument("--restarts", type=int, default=3, help="new processes per role, size and checkout")
    p.add_argument("--ticks", type=int, default=100, help="warm ticks timed in each controller process")
    p.add_argument("--database-dir", type=Path, help="where the built exercises are kept (default: a temporary folder)")
    p.add_argument("--against", type=Path, help="another checkout (with its .venv) to time in the same run")
    p.add_argument("--roles", nargs="+", choices=ROLES, default=list(ROLES), help="whose first page (the controller's carries the tick)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--child", nargs=3, metavar=("ROOT", "URL", "ROLE"), help=argparse.SUPPRESS)
    return p


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} / {five:.1f}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(samples: list[float], unit: str = "ms") -> str:
    return (f"min {min(samples):7.1f}  p50 {statistics.median(samples):7.1f}  p95 {percentile(samples, 0.95):7.1f}  "
            f"max {max(samples):7.1f} {unit} (n={len(samples)})")


# --- the timed process -------------------------------------------------------------------


def child(root: Path, url: str, role: str, entries: int, ticks: int, seed: int) -> None:
    """In a new process on ``root``'s code: the first page of ``role``, then (controller) warm ticks."""
    sys.path[:0] = [str(root), str(root / "bench")]
    import random

    import bench_rerun as rerun  # the checkout's own, so each side opens pages its own way

    from console import session

    clock = rerun.HandClock()
    svc = rerun.cheap_service(url, clock)
    exercise_id = rerun.found(svc, entries)
    assert exercise_id is not None, f"no {entries}-entry exercise in {url}"
    clock.now = rerun.last_wall_time(svc, exercise_id)
    session.service = lambda: svc
    rerun.one_script_cache()
    server_started()
    who = rerun.callers(svc, exercise_id)
    cpu = time.process_time()
    _, first = rerun.open_page(who[role], rerun.PAGES[role])
    # The process's CPU time over the page (the script's thread; the test's own thread only waits):
    # what the page costs whatever else the machine runs.
    out: dict[str, object] = {"first": first, "first cpu": (time.process_time() - cpu) * 1000}
    if role == "controller":
        players = [c for c in who.values() if c.agency]
        rng = random.Random(seed)

        def tick() -> None:
            svc.tick(who["controller"])
            svc.view_version(who["controller"])

        out["quiet"] = timed_ticks(clock, tick, ticks, lambda: None)
        out["busy"] = timed_ticks(clock, tick, ticks, lambda: svc.log_action(rng.choice(players), "situation_report",
                                                                               text="update"))
    print("RESULT " + json.dumps(out))


def server_started() -> None:
    """The components scan a console server makes at its start (``Runtime``), made here once
    instead of in ``AppTest``'s first run, which would put it in the first page."""
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1 import app_test

    scanned = BidiComponentManager()
    scanned.discover_and_register_components(start_file_watching=False)
    scanned.discover_and_register_components = lambda **_: None  # type: ignore[method-assign]
    app_test.BidiComponentManager = lambda: scanned  # type: ignore[assignment,misc]


def timed_ticks(clock: object, tick: object, count: int, before: object) -> list[float]:
    samples = []
    for _ in range(count):
        clock.now += 2.0  # type: ignore[attr-defined]
        before()  # type: ignore[operator]
        started = time.process_time()
        tick()  # type: ignore[operator]
        samples.append((time.process_time() - started) * 1000)
    return samples


# --- the run -------------------------------------------------------------------------------


def ensure(url: str, entries: int, seed: int) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import bench_rerun as rerun

    rerun.ensure(url, entries, seed)


def copy_database(source: Path, target: Path) -> None:
    """The database with its key and witness file, for a checkout of its own (WAL folded in first)."""
    import sqlite3

    with sqlite3.connect(source) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("", "-signing.key", "-signing.key-witness.jsonl"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy2(f"{source}{suffix}", f"{target}{suffix}")


def spawn(tree: Path, url: str, role: str, entries: int, ticks: int, seed: int) -> tuple[dict[str, list[float]], float]:
    python = tree / ".venv" / "bin" / "python"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [str(python if python.exists() else sys.executable), __file__, "--child", str(tree), url, role,
         "--entries", str(entries), "--ticks", str(ticks), "--seed", str(seed)],
        capture_output=True, text=True, check=False, cwd=tree,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{tree} {role}: {done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    found = json.loads(line.removeprefix("RESULT "))
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    return {k: (v if isinstance(v, list) else [v]) for k, v in found.items()}, cpu


def main(argv: list[str] | None = None) -> dict[str, dict[int, dict[str, list[float]]]]:
    args = parser().parse_args(argv)
    if args.child:
        child(Path(args.child[0]), args.child[1], args.child[2], args.entries[0], args.ticks, args.seed)
        return {}
    folder = args.database_dir or Path(tempfile.mkdtemp(prefix="hotwash-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    trees = {"this": ROOT} | ({"against": args.against.resolve()} if args.against else {})
    figures: dict[str, dict[int, dict[str, list[float]]]] = {side: {} for side in trees}
    for entries in args.entries:
        built = folder / f"restart-{entries}.db"
        ensure(f"sqlite:///{built.as_posix()}", entries, args.seed)
        urls = {}
        for side in trees:
            copy = folder / f"restart-{entries}-{side}.db"
            copy_database(built, copy)
            urls[side] = f"sqlite:///{copy.as_posix()}"
        print(f"{entries:,}-entry exercise, {load()}")
        for side in trees:
            figures[side][entries] = {}
        for n in range(args.restarts):
            for role in args.roles:
                for side, tree in trees.items():  # interleaved: this, that, this, that ...
                    found, cpu = spawn(tree, urls[side], role, entries, args.ticks, args.seed + n)
                    got = figures[side][entries]
                    got.setdefault(f"{role} first", []).extend(found.pop("first"))
                    got.setdefault(f"{role} first cpu", []).extend(found.pop("first cpu"))
                    got.setdefault(f"{role} process cpu", []).append(cpu)
                    for kind, samples in found.items():
                        got.setdefault(f"tick {kind}", []).extend(samples)
        for side in trees:
            for name, samples in figures[side][entries].items():
                unit = "ms"
                print(f"  {side:<8} {name:<24} {summary(samples, unit)}")
        print(f"  ({load()})")
    verdicts(figures, trees, args.roles)
    return figures


def verdicts(figures: dict[str, dict[int, dict[str, list[float]]]], trees: dict[str, Path], roles: list[str]) -> None:
    for side, tree in trees.items():
        sizes = sorted(figures[side])
        first = sizes[0]
        said = []
        for role in roles:
            p50 = statistics.median(figures[side][first][f"{role} first"])
            cpu = statistics.median(figures[side][first][f"{role} first cpu"])
            said.append(f"{role} first page p50 {p50:.0f} ms ({cpu:.0f} ms CPU)")
        worst = max(statistics.median(figures[side][first][f"{r} first"]) for r in roles)
        verdict = "meets" if worst < FIRST_PAGE_TARGET_MS else "misses"
        print(f"{side} ({tree.name}) at {first:,}: {'; '.join(said)}; target < {FIRST_PAGE_TARGET_MS:.0f} ms: {verdict}")
        if len(sizes) > 1 and "controller" in roles:
            for kind in ("quiet", "busy"):
                low = statistics.median(figures[side][first][f"tick {kind}"])
                high = statistics.median(figures[side][sizes[-1]][f"tick {kind}"])
                ratio = high / low
                print(f"{side} warm tick ({kind}) p50 {low:.1f} ms at {first:,}, {high:.1f} ms at {sizes[-1]:,}: "
                      f"x{ratio:.2f} ({'within' if ratio <= TICK_GROWTH else 'over'} x{TICK_GROWTH})")


if __name__ == "__main__":
    main()
