"""The console when its PostgreSQL server goes down mid-exercise and comes back: the page says so in
words (never the driver's error), and goes on by itself when the server answers again, in the same
``hotwash serve`` process, with no reload. A private server, so the suite's shared one stays up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from exercises.access import Role
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.conftest import MILL_FIRE
from tests.console.harness import NAVIGATION_TIMEOUT_MS, Server, current, sign_in, wait_idle, wait_toast
from tests.console.harness import access_code as code
from tests.pg_server import PostgresServer

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

FAULT = "[data-testid='stAlert']"


@pytest.fixture(scope="module")
def private_pg(workdir: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(max_connections=40).start()
    old = os.environ.get("HOTWASH_KEY_FILE")
    os.environ["HOTWASH_KEY_FILE"] = str(workdir / "signing.key")  # the server process inherits it
    try:
        yield server
    finally:
        if old is None:
            os.environ.pop("HOTWASH_KEY_FILE", None)
        else:
            os.environ["HOTWASH_KEY_FILE"] = old
        server.stop()


@pytest.fixture(scope="module")
def database_url(private_pg: PostgresServer) -> str:
    return private_pg.create_database("console_faults")


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    from exercises.scenario.loading import load_scenario

    scenario: Scenario = load_scenario(MILL_FIRE)
    return svc.create_exercise(scenario, name="Mill fire drill", seed=7)


def test_postgresql_down_is_said_in_words_and_the_console_goes_on_by_itself(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise, private_pg: PostgresServer
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(server.url)
        wait_idle(page)
        sign_in(page, code(created, Role.CONTROLLER), "J. Moss")
        page.get_by_text("Agency network").first.wait_for()
        private_pg.pause()
        try:
            # The live part (every 2 s) meets the fault and says it where it would have drawn.
            said = page.locator(FAULT, has_text=f"The PostgreSQL database server at 127.0.0.1:{private_pg.port}")
            said.first.wait_for(timeout=60_000)
            text = said.first.inner_text()
            assert "Nothing recorded before is lost" in text and "Start the server" in text
            assert not [raw for raw in ("psycopg", "OperationalError", "Traceback", "sqlalche.me")
                        if raw in page.inner_text("body")]
            # Another page opened meanwhile meets it on its whole run: said, and tried again by itself.
            other = context.new_page()
            other.goto(f"{server.url}/exercises")
            other.locator(FAULT, has_text="is not answering").first.wait_for(timeout=60_000)
            other.get_by_text("tries again every 3 seconds", exact=False).first.wait_for()
        finally:
            private_pg.resume()
        # No restart, nobody reloads: the page that met it on its whole run loads again by itself.
        other.get_by_role("heading", name="Sign-in locks").wait_for(timeout=60_000)
        # The live part's next refresh finds the server.
        said.first.wait_for(state="detached", timeout=60_000)
        page.get_by_text("Agency network").first.wait_for()
        current(page).get_by_role("button", name="Start exercise").click()
        wait_toast(page, "Exercise started")
        assert svc.state(svc.operator(created.exercise.id)).status.value == "running"
    finally:
        context.close()
