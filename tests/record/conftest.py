"""Fixtures for the tampering suite: the service suite's databases (SQLite file and a real
PostgreSQL server), with a signing key and witness file of each test's own, so a test may delete
or replace them (the rest of the run shares one key, tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.record.evidence import KEY_SETTING, Keys
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import (  # noqa: F401  (fixtures)
    CHEAP_HASHER,
    Opened,
    WallClock,
    db_url,
    pg_server,
    wall,
    warehouse,
)


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's signing key and, beside it, its witness file (the database is the module's,
    already holding other tests' checkpoints, so the key is made here as for a fresh installation)."""
    path = tmp_path / "keys" / "signing.key"
    monkeypatch.setenv(KEY_SETTING, str(path))
    Keys(path).signer(may_create=True)
    return path


@pytest.fixture
def opened(db_url: str, wall: WallClock, warehouse: Scenario, key_file: Path) -> Opened:  # noqa: F811
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)
    return Opened(service, service.create_exercise(warehouse, seed=11))
