"""On a closed network nothing may depend on the outside: every request the console's pages make,
for every role, goes to the console's own address (no CDN, no fonts from elsewhere, no telemetry)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route

from exercises.access import Role
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.harness import Server, open_console, sign_in, wait_idle
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CIVIL = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
LOCAL = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    return svc.create_exercise(load_scenario(CIVIL), name="Closed-network drill", seed=3)


@pytest.mark.parametrize("role, agency", [(Role.CONTROLLER, None), (Role.PLAYER, "city_pio"),
                                          (Role.EVALUATOR, None), (Role.OBSERVER, None)])
def test_every_request_of_every_page_stays_on_the_machine(
    browser: Browser, server: Server, created: CreatedExercise, role: Role, agency: str | None
) -> None:
    seen: list[str] = []

    def record(route: Route) -> None:
        """Every request is noted; one for another machine is stopped here, so the test sends none."""
        url = route.request.url
        seen.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL:
            route.abort()
        else:
            route.continue_()

    page = open_console(browser, server.url)
    page.context.route("**/*", record)
    page.reload()
    wait_idle(page)
    sign_in(page, code(created, role, agency))
    for link in page.get_by_test_id("stSidebarNav").get_by_role("link").all():
        link.click()
        wait_idle(page)
    page.context.close()
    outside = sorted({url for url in seen if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                      and urlsplit(url).hostname not in LOCAL})
    assert seen and outside == []
