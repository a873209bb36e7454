"""Several processes on one exercise at once, and one killed mid-stream: nothing lost, nothing
doubled, no gap, the chain intact, and the simulated entries exactly what a replay gives."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import pytest

from exercises.record.entries import ENGINE_ACTOR, ActionLogged, Entry
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from sim_engine.live import replay
from tests.service.conftest import CHEAP_HASHER, ROOT, code_for
from tests.service.writer import log_actions

WRITERS = 20
PER_WRITER = 200
fork = multiprocessing.get_context("fork")


def _writer(url: str, code: str, tag: str, count: int, barrier: object, out: Path) -> None:
    try:
        service = ExerciseService.open(url, hasher=CHEAP_HASHER)
        caller = service.sign_in(code)
        barrier.wait()  # type: ignore[attr-defined]
        acked = [service.log_action(caller, "establish_command", text=f"{tag}-{i}").seq for i in range(count)]
        out.write_text(" ".join(map(str, acked)))
    except BaseException:
        out.with_suffix(".error").write_text(traceback.format_exc())
        raise


def _ticker(url: str, code: str, seconds: float, barrier: object, out: Path) -> None:
    try:
        service = ExerciseService.open(url, hasher=CHEAP_HASHER)
        caller = service.sign_in(code)
        barrier.wait()  # type: ignore[attr-defined]
        appended = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            appended += len(service.tick(caller))
        out.write_text(str(appended))
    except BaseException:
        out.with_suffix(".error").write_text(traceback.format_exc())
        raise


def assert_simulation_consistent(scenario: Scenario, seed: int, entries: list[Entry]) -> None:
    """The journal's engine entries are exactly the start of what one fresh replay produces, and
    nothing the replay produces before the last entry is missing: no duplicate, no gap."""
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    engine = [e for e in entries if e.actor == ENGINE_ACTOR]
    externals = [e for e in entries if e.actor != ENGINE_ACTOR]
    last = entries[-1].at
    expected = replay(scenario, seed, externals, last)
    key = [(e.at, e.agency, e.payload) for e in engine]
    assert key == [(e.at, e.agency, e.payload) for e in expected[: len(engine)]]
    assert all(e.at >= last for e in expected[len(engine) :])


def _join(processes: list[multiprocessing.process.BaseProcess], tmp_path: Path) -> None:
    for p in processes:
        p.join(timeout=600)
    errors = [f.read_text() for f in tmp_path.glob("*.error")]
    assert not errors, errors[0]
    assert [p.exitcode for p in processes] == [0] * len(processes)


@pytest.mark.slow
def test_twenty_writers_lose_and_double_nothing(db_url: str, warehouse: Scenario, tmp_path: Path) -> None:
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER)
    created = service.create_exercise(warehouse, seed=21)
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller, speed=30)  # live: every append first advances the simulation
    barrier = fork.Barrier(WRITERS)
    code = code_for(created, "player", "fire")
    processes = [
        fork.Process(target=_writer, args=(db_url, code, f"w{w}", PER_WRITER, barrier, tmp_path / f"w{w}"))
        for w in range(WRITERS)
    ]
    for p in processes:
        p.start()
    _join(processes, tmp_path)

    assert service.verify(controller).ok
    entries = service.journal(controller)
    texts = Counter(e.payload.text for e in entries if isinstance(e.payload, ActionLogged))
    assert len(texts) == WRITERS * PER_WRITER
    assert set(texts.values()) == {1}
    by_seq = {e.seq: e for e in entries}
    for w in range(WRITERS):
        acked = [int(s) for s in (tmp_path / f"w{w}").read_text().split()]
        assert [by_seq[s].payload.text for s in acked] == [f"w{w}-{i}" for i in range(PER_WRITER)]  # type: ignore[union-attr]
    assert all(a.at <= b.at for a, b in itertools.pairwise(entries))
    assert_simulation_consistent(warehouse, 21, entries)


@pytest.mark.slow
def test_processes_advancing_one_exercise_at_once(db_url: str, warehouse: Scenario, tmp_path: Path) -> None:
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER)
    created = service.create_exercise(warehouse, seed=8)
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller, speed=120)
    tickers = 4
    barrier = fork.Barrier(tickers + 1)
    observer = code_for(created, "observer")
    processes = [
        fork.Process(target=_ticker, args=(db_url, observer, 4.0, barrier, tmp_path / f"t{n}")) for n in range(tickers)
    ]
    for p in processes:
        p.start()
    barrier.wait()
    fire = service.sign_in(code_for(created, "player", "fire"))
    for action in ("establish_command", "notify_eoc", "evacuate_staff", "head_count"):
        time.sleep(0.5)
        service.log_action(fire, action)
    _join(processes, tmp_path)

    appended = sum(int((tmp_path / f"t{n}").read_text()) for n in range(tickers))
    entries = service.journal(controller)
    engine = [e for e in entries if e.actor == ENGINE_ACTOR]
    assert appended > 0 and engine, "the simulation produced entries while the tickers ran"
    assert service.verify(controller).ok
    assert_simulation_consistent(warehouse, 8, entries)


def _spawn_writer(url: str, code: str, count: int, tag: str = "crash") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.service.writer", url, code, str(count), tag],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


KILLS = 5


def _acks(lines: list[str]) -> list[tuple[int, str]]:
    return [(int(p[1]), p[2]) for p in (line.split() for line in lines) if len(p) == 3 and p[0] == "ack"]


@pytest.mark.slow
def test_writers_killed_at_random_moments_lose_and_double_nothing(db_url: str, warehouse: Scenario) -> None:
    """SIGKILL lands anywhere: before, inside or after a transaction, while others hold or wait for
    the lock. Every acknowledged entry is there exactly once; nothing is written twice."""
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER)
    created = service.create_exercise(warehouse, seed=3)
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller, speed=20)
    code = code_for(created, "player", "fire")
    rng = random.Random(13)
    # A second writer keeps going throughout, so the kills land while others hold and wait for locks.
    steady = _spawn_writer(db_url, code, 10_000, "steady")
    acked: list[tuple[int, str]] = []
    for kill in range(KILLS):
        victim = _spawn_writer(db_url, code, 10_000, f"v{kill}")
        assert victim.stdout is not None
        wanted = rng.randint(3, 30)
        for line in victim.stdout:
            acked += _acks([line])
            if sum(1 for _, t in acked if t.startswith(f"v{kill}-")) == wanted:
                break
        time.sleep(rng.uniform(0.0, 0.02))  # somewhere inside the next call, or between calls
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        assert victim.returncode == -signal.SIGKILL
        acked += _acks(victim.stdout.read().splitlines())
    steady.send_signal(signal.SIGTERM)
    out, _ = steady.communicate(timeout=60)
    acked += _acks(out.splitlines())

    check = ExerciseService.open(db_url, hasher=CHEAP_HASHER)  # a fresh process's view: no cache
    assert check.verify(controller).ok
    entries = check.journal(controller)
    texts = Counter(e.payload.text for e in entries if isinstance(e.payload, ActionLogged))
    assert [t for t, n in texts.items() if n > 1] == [], "an entry was written twice"
    by_seq = {e.seq: e for e in entries}
    for seq, text in acked:
        assert by_seq[seq].payload.text == text  # type: ignore[union-attr]
    assert len(acked) >= KILLS * 3
    # The exercise carries on: another process logs, ticks, and the chain still holds.
    resumed = log_actions(db_url, code, 3, "after")
    assert resumed == list(range(resumed[0], resumed[0] + 3))
    check.tick(controller)
    assert check.verify(controller).ok
    assert_simulation_consistent(warehouse, 3, check.journal(controller))


APPENDS = 250
"""Per writer: paced so the writing spans the verifications, bounded so the journal (and so each
verification) stays small on a busy CI machine."""


def _appender(url: str, code: str, tag: str, stop: Path, out: Path) -> None:
    try:
        service = ExerciseService.open(url, hasher=CHEAP_HASHER)
        caller = service.sign_in(code)
        n = 0
        while not stop.exists() and n < APPENDS:
            service.log_action(caller, "establish_command", text=f"{tag}-{n}")
            n += 1
            time.sleep(0.03)
        out.write_text(str(n))
    except BaseException:
        out.with_suffix(".error").write_text(traceback.format_exc())
        raise


VERIFICATIONS = {"postgresql": 500, "sqlite": 200}
"""SQLite's snapshot is its WAL read mark: fewer rounds suffice to keep it honest."""


@pytest.mark.slow
def test_a_journal_being_written_verifies_intact(db_url: str, warehouse: Scenario, tmp_path: Path) -> None:
    """Several processes append while another verifies in a loop: not one false alarm (on
    PostgreSQL under READ COMMITTED, 48 of 263 verifications said an entry was added outside
    Hotwash, because the head and the rows were read in different snapshots)."""
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER)
    created = service.create_exercise(warehouse, seed=9)
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller, speed=5)
    stop = tmp_path / "stop"
    code = code_for(created, "player", "fire")
    writers = [
        fork.Process(target=_appender, args=(db_url, code, f"a{n}", stop, tmp_path / f"a{n}")) for n in range(3)
    ]
    for p in writers:
        p.start()
    verifier = ExerciseService.open(db_url, hasher=CHEAP_HASHER)
    alarms, sizes, during = [], set(), 0
    rounds = VERIFICATIONS["sqlite" if verifier.db.is_sqlite else "postgresql"]
    done, deadline = 0, time.monotonic() + 120
    try:
        # At least ``rounds`` verifications, and on until the journal was seen at 21 sizes: on a quiet
        # machine SQLite verifies faster than the writers append.
        while done < rounds or (len(sizes) <= 20 and time.monotonic() < deadline):
            done += 1
            writing = any(p.is_alive() for p in writers)
            checked = verifier.verify(controller)
            sizes.add(checked.entries)
            during += writing
            if not checked.ok:
                alarms.append(checked.problem)
    finally:
        stop.touch()
        _join(writers, tmp_path)
    print(f"\n{done} verifications, {during} while writing, {len(sizes)} journal sizes seen, "
          f"{len(alarms)} false alarms")
    assert alarms == [], f"{len(alarms)} false alarms in {done}: {alarms[0]}"
    assert len(sizes) > 20 and during > rounds // 5, (len(sizes), during)
    written = sum(int((tmp_path / f"a{n}").read_text()) for n in range(3))
    final = service.verify(controller)
    assert final.ok and written > 0


def test_threads_of_one_process_commit_in_groups_and_a_failing_call_writes_nothing(
    db_url: str, warehouse: Scenario
) -> None:
    """Calls that arrive while another commits go together in one transaction: every acknowledged
    entry is in the journal once, where its call was told, and fewer commits than calls were made;
    a call that fails inside a group raises its own error and leaves nothing, the others go on."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import event

    from exercises.access import ExerciseInputError

    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER)
    created = service.create_exercise(warehouse, seed=5)
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller, speed=30)
    player = service.sign_in(code_for(created, "player", "fire"))
    commits = Counter[str]()
    event.listen(service.db.engine, "commit", lambda _conn: commits.update(["commit"]))

    def call(k: int) -> int | str:
        try:
            bad = "NO-SUCH-INJECT" if k % 7 == 3 else None
            return service.log_action(player, "establish_command", text=f"t{k}", inject_id=bad).seq
        except ExerciseInputError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(call, range(160)))
    entries = service.journal(controller)
    assert service.verify(controller).ok
    by_seq = {e.seq: e for e in entries}
    for k, outcome in enumerate(outcomes):
        if k % 7 == 3:
            assert isinstance(outcome, str) and "unknown inject 'NO-SUCH-INJECT'" in outcome
        else:
            assert isinstance(outcome, int) and by_seq[outcome].payload.text == f"t{k}"  # type: ignore[union-attr]
    texts = Counter(e.payload.text for e in entries if isinstance(e.payload, ActionLogged))
    assert sorted(texts) == sorted(f"t{k}" for k in range(160) if k % 7 != 3) and set(texts.values()) == {1}
    assert commits["commit"] < len(texts)
    assert_simulation_consistent(warehouse, 5, entries)
