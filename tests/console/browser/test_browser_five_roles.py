"""One exercise played in five browsers at once, as a new user would: the controller, two players (the
police and the sheriff), an evaluator and the public information officer, on the bundled
civil-disturbance scenario, each page at 1440 px.

What it holds: the speed the controller's selector shows is the speed the clock runs at after a
resume; units, agencies and kinds read as names on every page (never ids, never "8 eoc staffs"); the
PIO's own statement is in the PIO's log. With HOTWASH_SCREENSHOTS set, every page is photographed
whole into that folder, to be looked at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from exercises.access import Role
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from exercises.views import ClockStatus
from tests.console.browser.test_browser_trust import ids_standing_alone, scenario_ids
from tests.console.harness import (
    NAVIGATION_TIMEOUT_MS,
    Server,
    current,
    sign_in,
    wait_idle,
    wait_toast,
)
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CIVIL = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
WIDTH = 1440
SHOTS = os.environ.get("HOTWASH_SCREENSHOTS")
"""A folder to save 1440-px screenshots of every page into (to look at them), when set."""

ROLES: dict[str, tuple[Role, str | None, str | None, list[str]]] = {
    # "" is the role's own first page (the address a signed-in browser lands on).
    "controller": (Role.CONTROLLER, None, "Exercise director J. Moss",
                   ["", "msel", "evaluator", "summary", "new_exercise", "designer"]),
    "police": (Role.PLAYER, "city_police", "Lt. Alvarez", [""]),
    "sheriff": (Role.PLAYER, "county_sheriff", "Sgt. Boone", [""]),
    "evaluator": (Role.EVALUATOR, None, "R. Chen", ["", "summary"]),
    "pio": (Role.PLAYER, "city_pio", "M. Osei", [""]),
}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(CIVIL)


@pytest.fixture(scope="module")
def created(svc: ExerciseService, scenario: Scenario) -> CreatedExercise:
    return svc.create_exercise(scenario, name="Five-role drill", seed=4)


@pytest.fixture(scope="module")
def pages(browser: Browser, server: Server, created: CreatedExercise) -> dict[str, Page]:
    """Five browsers, each signed in with its own code and name."""
    opened = {}
    for who, (role, agency, name, _) in ROLES.items():
        context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        page = context.new_page()
        page.goto(server.url)
        wait_idle(page)
        sign_in(page, code(created, role, agency), name)
        opened[who] = page
    return opened


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.set_viewport_size({"width": WIDTH, "height": 1600})
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTH, "height": 1000})


def test_resume_runs_at_the_speed_the_selector_shows(
    pages: dict[str, Page], svc: ExerciseService, created: CreatedExercise
) -> None:
    page = pages["controller"]
    controller = svc.sign_in(code(created, Role.CONTROLLER))
    current(page).get_by_role("button", name="Start exercise").click()
    wait_toast(page, "Exercise started")
    current(page).get_by_role("button", name="Pause").click()
    wait_toast(page, "Exercise paused")
    wait_idle(page)
    current(page).get_by_role("combobox", name="Speed", exact=True).first.click()
    page.get_by_role("option", name="x10", exact=True).first.click()
    wait_idle(page)
    current(page).get_by_role("button", name="Resume").click()
    wait_toast(page, "Exercise resumed (x10)")
    state = svc.state(controller)
    assert (state.status, state.speed) == (ClockStatus.RUNNING, 10.0)


def test_five_roles_play_and_every_page_reads_names(
    pages: dict[str, Page], server: Server, svc: ExerciseService, created: CreatedExercise, scenario: Scenario
) -> None:
    def player(agency: str, name: str):  # type: ignore[no-untyped-def]
        return svc.sign_in(code(created, Role.PLAYER, agency), name=name)

    police, sheriff, pio = (player("city_police", "Lt. Alvarez"), player("county_sheriff", "Sgt. Boone"),
                            player("city_pio", "M. Osei"))
    svc.log_action(police, "establish_command", text="IC at the park gate", inject_id="CD-01")
    svc.request_resource(sheriff, "city_police", "lrad_team", 2, text="Dispersal order at 5th and Main")
    svc.request_resource(police, "eoc", "eoc_staff", 8, text="Liaisons to the command post")
    svc.publish_statement(pio, ["crowd_control"], "No chemical agents have been used.")
    evaluator = svc.sign_in(code(created, Role.EVALUATOR), name="R. Chen")
    svc.record_observation(evaluator, "Operational Coordination", agency="city_police", objective="obj_command",
                           rating="S", strengths="Command announced at once")
    ids = scenario_ids(scenario)
    for who, (_, _, _, paths) in ROLES.items():
        page = pages[who]
        for path in paths:
            page.goto(f"{server.url}/{path}")
            wait_idle(page)
            page.wait_for_function(
                "() => [...document.querySelectorAll('[data-testid=stTable]')].every(t => t.querySelector('td p'))"
            )
            text = page.locator("[data-testid='stMain']").inner_text()
            assert ids_standing_alone(text, ids) == [], f"{who} on /{path} reads ids"
            assert "staffs" not in text and "lrad" not in text, f"{who} on /{path}"
            assert page.get_by_text("Page not found").count() == 0, f"{who} on /{path}"
            shot(page, f"{who}-{path or 'home'}")
    # The watcher may start a whole-page rerun after the page went idle (the simulation caught up with
    # the clock); mid-rerun a table can be between its old and new drawing, so wait for the text.
    expect(pages["sheriff"].locator("[data-testid='stMain']")).to_contain_text(
        "Request to Riverton Police Department for 2 LRAD teams", timeout=90_000)
    expect(pages["pio"].locator("[data-testid='stMain']")).to_contain_text(
        "Official statement: No chemical agents have been used.", timeout=90_000)
