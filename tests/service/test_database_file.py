"""The SQLite database file is the owner's only, like the signing key: it holds the journal and the
hashes of access codes and browser sessions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import CHEAP_HASHER, WAREHOUSE


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_new_database_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files world-readable unless created otherwise
    try:
        path = tmp_path / "var" / "hotwash.db"
        service = ExerciseService.open(f"sqlite:///{path.as_posix()}", hasher=CHEAP_HASHER)
        service.create_exercise(load_scenario(WAREHOUSE), name="Modes")
        files = [p for p in path.parent.iterdir() if p.name.startswith("hotwash.db") and not p.name.endswith(".lock")]
        assert path in files and any(p.name.endswith("-wal") for p in files)
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, (p.name, oct(p.stat().st_mode))
    finally:
        os.umask(old)
