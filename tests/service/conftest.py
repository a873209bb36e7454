"""Fixtures for the exercise service suite: every database-backed test runs on SQLite and on a
real PostgreSQL server (started once per session by ``tests.pg_server``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from exercises.access import Caller
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.pg_server import pg_server, postgres_url  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Real argon2id with small parameters, so the suite can open hundreds of exercises quickly;
test_sign_in checks the default parameters and the rehash at sign-in."""

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class WallClock:
    """A wall clock the test moves by hand (the exercise clock is derived from wall time)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def scenario_with_two_player_agencies() -> Scenario:
    """The warehouse fire with the operator played by players too: two player agencies."""
    text = WAREHOUSE.read_text().replace(
        "    kind: facility_operator\n", "    kind: facility_operator\n    played_by: players\n"
    )
    return load_scenario(WAREHOUSE, text=text)


MEDIA_SECTION = """
media:
  step: 5m
  silence_after: 30m
  statement_actions: [public_statement]
  spokespeople: [fire]
  topics:
    smoke: Toxic smoke over the neighbourhood
    staff: Staff trapped inside
  outlets:
    - {id: local_tv, name: Local TV, kind: tv, reach: 50000, delay: {dist: fixed, value: 2m}}
    - {id: neighbours, name: Neighbourhood group, kind: community_group, reach: 3000}
  rumours:
    - {id: toxic_smoke, topic: smoke, claim: "The smoke is toxic, close your windows!", outlet: neighbours,
       started_by: {inject: WF-01}, peak: 20000, midpoint: 20m, steepness: 5m}
    - {id: trapped, topic: staff, claim: "People trapped in the warehouse", outlet: neighbours,
       started_by: {action: evacuate_staff}, peak: 9000, midpoint: 10m, steepness: 3m}
  reactions:
    - {when: {statement: true}, outlet: local_tv, text: "{agency} says: {statement}"}
  trust: {start: 60, unanswered_rumour: -0.5, rumour_answered: 2, actions: {public_statement: 3}}
"""


def scenario_with_media() -> Scenario:
    """The two-player warehouse fire with a media layer: the fire agency speaks for the response."""
    text = WAREHOUSE.read_text().replace(
        "    kind: facility_operator\n", "    kind: facility_operator\n    played_by: players\n"
    ).replace(
        "  - {id: head_count, label: Report a head count}\n",
        "  - {id: head_count, label: Report a head count}\n  - {id: public_statement, label: Issue a public statement}\n",
    )
    return load_scenario(WAREHOUSE, text=text + MEDIA_SECTION)


@pytest.fixture(scope="session")
def with_media() -> Scenario:
    return scenario_with_media()


@pytest.fixture(scope="session")
def warehouse() -> Scenario:
    return load_scenario(WAREHOUSE)


@pytest.fixture(scope="session")
def two_players() -> Scenario:
    return scenario_with_two_player_agencies()


@pytest.fixture(scope="module", params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database per test module and kind: SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'hotwash.db'}"
    else:
        yield request.getfixturevalue("pg_server").create_database()


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def service(db_url: str, wall: WallClock) -> ExerciseService:
    return ExerciseService.open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)


def code_for(created: CreatedExercise, role: str, agency: str | None = None) -> str:
    return next(c.code for c in created.codes if c.role.value == role and c.agency == agency)


class Opened:
    """An exercise with a signed-in caller per role (and per player agency)."""

    def __init__(self, service: ExerciseService, created: CreatedExercise) -> None:
        self.service = service
        self.created = created
        self.id = created.exercise.id
        self.controller = service.sign_in(code_for(created, "controller"))
        self.evaluator = service.sign_in(code_for(created, "evaluator"))
        self.observer = service.sign_in(code_for(created, "observer"))
        self.players = {
            c.agency: service.sign_in(c.code) for c in created.codes if c.agency is not None
        }

    def player(self, agency: str) -> Caller:
        return self.players[agency]

    def count(self) -> int:
        return len(self.service.journal(self.controller))


@pytest.fixture
def opened(service: ExerciseService, warehouse: Scenario) -> Opened:
    return Opened(service, service.create_exercise(warehouse, seed=11))
