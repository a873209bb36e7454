"""Fixtures for the console's tests: a real SQLite database, a real exercise, signed-in callers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from console import session
from exercises.access import Caller, Role
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.pg_server import pg_server, postgres_url  # noqa: F401  (fixtures for test_two_servers)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
MILL_FIRE = DATA / "scenarios" / "mill_fire.yaml"


@pytest.fixture(scope="session")
def mill_fire() -> Scenario:
    return load_scenario(MILL_FIRE)


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file that the console's cached service (and ours) opens."""
    url = f"sqlite:///{(tmp_path / 'hotwash.db').as_posix()}"
    monkeypatch.setenv("HOTWASH_DATABASE_URL", url)
    session.service.clear()
    session.view_cache.clear()
    yield url
    session.service.clear()
    session.view_cache.clear()


@pytest.fixture
def svc(database_url: str) -> ExerciseService:
    return ExerciseService.open(database_url)


@dataclass
class Exercise:
    created: CreatedExercise
    svc: ExerciseService

    @property
    def id(self) -> int:
        return self.created.exercise.id

    def code(self, role: Role, agency: str | None = None) -> str:
        return next(c.code for c in self.created.codes if c.role is role and c.agency == agency)

    def caller(self, role: Role, agency: str | None = None, name: str | None = None) -> Caller:
        return self.svc.sign_in(self.code(role, agency), name=name)

    @property
    def controller(self) -> Caller:
        return self.caller(Role.CONTROLLER)


@pytest.fixture
def exercise(svc: ExerciseService, mill_fire: Scenario) -> Exercise:
    return Exercise(svc.create_exercise(mill_fire, name="Mill fire drill", seed=7), svc)


def console(caller: Caller | None = None, page: str | None = None) -> AppTest:
    """The console as one browser tab sees it, signed in as ``caller``, on ``page`` (a file in console/)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    if caller is not None:
        at.session_state[session.CALLER_KEY] = caller
    at.run()
    if page is not None:
        at.switch_page(f"console/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(markdown: str) -> str:
    """Markdown escaped by ``console.text.md`` back to its text."""
    return re.sub(r"\\(.)", r"\1", markdown)


def toasts(at: AppTest) -> list[str]:
    """The confirmations shown on this run, as the user reads them."""
    return [plain(str(t.value)) for t in at.toast]


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has these columns (AppTest does not report dataframe keys)."""
    for frame in [*at.dataframe, *at.table]:
        value = frame.value
        if set(columns) <= set(value.columns):
            return value
    raise LookupError(f"no table with columns {columns}")


def button(at: AppTest, label: str) -> Any:
    """The button (or form submit button) with this label."""
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, f"{len(found)} buttons labelled {label!r}"
    return found[0]
