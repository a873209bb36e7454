"""Faults in words (docs/deployment.md, "When the disk, the database or the key file fails"): a full
disk, a read-only database file, PostgreSQL stopped and started again mid-exercise, a folder at the
signing key's path. Each says what happened and what to do, never the driver's error; nothing
acknowledged is lost; the same service works again once the fault is cleared, without a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exercises.access import Caller
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from exercises.storage.faults import StorageFault
from hotwash.cli import app
from tests.pg_server import PostgresServer
from tests.service.conftest import CHEAP_HASHER

ROOT = Path(__file__).resolve().parents[2]
RAW = ("sqlite3.", "psycopg", "OperationalError", "Background on this error", "sqlalche.me", "chmod 600",
       "Traceback")


def in_words(message: str) -> None:
    """A message a person can act on: no driver's error in it, and it says what to do."""
    assert not [raw for raw in RAW if raw in message], message
    assert "lost" in message or "untouched" in message or "safe" in message, message


def acknowledged_are_all_there(svc: ExerciseService, caller: Caller, acknowledged: list[tuple[int, str]]) -> None:
    texts = {e.seq: getattr(e.payload, "text", None) for e in svc.journal(caller)}
    assert [(seq, texts.get(seq)) for seq, _ in acknowledged] == acknowledged
    checked = svc.verify(caller)
    assert checked.ok and checked.signed_through, checked


def log(svc: ExerciseService, caller: Caller, text: str, acknowledged: list[tuple[int, str]]) -> None:
    entry = svc.log_action(caller, "establish_command", agency="fire", text=text)
    acknowledged.append((entry.seq, text))


def test_a_full_disk_is_said_in_words_loses_nothing_and_writing_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'hotwash.db'}"
    monkeypatch.setenv("HOTWASH_KEY_FILE", str(tmp_path / "signing.key"))
    run = subprocess.run([sys.executable, "-m", "tests.service.fault_writer", url], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert len(result["faults"]) == 3
    for kind, message in result["faults"]:
        assert kind == "disk full"
        assert "could not write to the database file" in message and "file-size limit" in message
        in_words(message)
    acknowledged = [tuple(a) for a in result["acknowledged"]]
    assert acknowledged[-1][1] == "after the disk had room again"  # the same process, once there was room
    svc = ExerciseService.open(url, hasher=CHEAP_HASHER)
    acknowledged_are_all_there(svc, svc.operator(result["exercise"]), acknowledged)


@pytest.fixture
def read_only_switch(tmp_path: Path) -> Iterator[tuple[Path, object]]:
    """A folder for the database and a switch that makes it read-only: a read-only mount when this
    runs as root (root writes whatever a file's mode says), else the files' modes."""
    folder = tmp_path / "data"
    folder.mkdir()
    if os.geteuid() != 0:
        def modes(read_only: bool) -> None:
            for path in [folder, *folder.iterdir()]:
                path.chmod((0o555 if path.is_dir() else 0o444) if read_only else (0o755 if path.is_dir() else 0o600))
        yield folder, modes
        modes(False)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)]).returncode:
        pytest.skip("running as root without the right to mount a file system")

    def remount(read_only: bool) -> None:
        subprocess.run(["mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(folder)], check=True)

    try:
        yield folder, remount
    finally:
        subprocess.run(["umount", "-l", str(folder)])


def test_a_read_only_database_file_is_said_in_words_and_writing_resumes(
    read_only_switch: tuple[Path, object], warehouse: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, make_read_only = read_only_switch
    assert callable(make_read_only)
    monkeypatch.setenv("HOTWASH_KEY_FILE", str(tmp_path / "signing.key"))
    url = f"sqlite:///{folder / 'hotwash.db'}"
    svc = ExerciseService.open(url, hasher=CHEAP_HASHER)
    operator = svc.operator(svc.create_exercise(warehouse, seed=4).exercise.id)
    svc.start(operator, speed=60)
    acknowledged: list[tuple[int, str]] = []
    for n in range(3):
        log(svc, operator, f"before {n}", acknowledged)
    svc.db.engine.dispose()  # the file is opened again after this, as by a restart or a new connection
    make_read_only(True)
    with pytest.raises(StorageFault) as refused:
        log(svc, operator, "while read-only", acknowledged)
    assert refused.value.kind == "read-only"
    assert f"cannot write to the database file {folder / 'hotwash.db'}" in str(refused.value)
    in_words(str(refused.value))
    make_read_only(False)
    log(svc, operator, "after it was writable again", acknowledged)  # the same service: no restart
    acknowledged_are_all_there(svc, operator, acknowledged)


@pytest.mark.postgres
def test_postgresql_stopped_and_started_mid_exercise(warehouse: Scenario, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTWASH_KEY_FILE", str(tmp_path / "signing.key"))
    server = PostgresServer(max_connections=20).start()  # a private one: the shared server stays up
    try:
        svc = ExerciseService.open(server.create_database("faults"), hasher=CHEAP_HASHER)
        operator = svc.operator(svc.create_exercise(warehouse, seed=5).exercise.id)
        svc.start(operator, speed=60)
        acknowledged: list[tuple[int, str]] = []
        for n in range(3):
            log(svc, operator, f"before the server stopped {n}", acknowledged)
        server.pause()
        for attempt in (lambda: log(svc, operator, "while it is down", acknowledged),
                        lambda: svc.journal(operator)):
            with pytest.raises(StorageFault) as refused:
                attempt()
            assert refused.value.kind == "database down"
            assert f"The PostgreSQL database server at 127.0.0.1:{server.port}" in str(refused.value)
            in_words(str(refused.value))
        server.resume()
        log(svc, operator, "after it started again", acknowledged)
        acknowledged_are_all_there(svc, operator, acknowledged)
    finally:
        server.stop()


def test_a_folder_at_the_key_path_is_named_as_such(
    warehouse: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "signing.key"
    folder.mkdir()
    monkeypatch.setenv("HOTWASH_KEY_FILE", str(folder))
    url = f"sqlite:///{tmp_path / 'hotwash.db'}"
    svc = ExerciseService.open(url, hasher=CHEAP_HASHER)
    with pytest.raises(StorageFault, match="is a folder, not a key file") as refused:
        svc.create_exercise(warehouse)
    in_words(str(refused.value))
    assert svc.list_exercises() == []
    for command in (["key"], ["exercise", "create", str(ROOT / "docs/example/scenarios/warehouse_fire.yaml")]):
        result = CliRunner().invoke(app, [*command, "--database", url])
        assert result.exit_code == 1
        assert f"The signing key's path {folder} is a folder" in result.output
        in_words(result.output)
