"""What every browser test module sets up the same way: a database file, the service on it, a
``hotwash serve`` process on that database, and Chromium, once per module. Each module defines its
own ``created`` exercise (opened before the server starts, so that the server finds one: no demo).
These module-scoped fixtures stand in for tests/console/conftest.py's per-test ones here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.harness import Server, launch_chromium, start_server


@pytest.fixture(scope="module")
def workdir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def database_url(workdir: Path) -> str:
    return f"sqlite:///{(workdir / 'hotwash.db').as_posix()}"


@pytest.fixture(scope="module")
def svc(database_url: str) -> ExerciseService:
    return ExerciseService.open(database_url)


@pytest.fixture(scope="module")
def server(created: CreatedExercise, database_url: str, workdir: Path) -> Iterator[Server]:
    running = start_server(database_url, workdir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()
