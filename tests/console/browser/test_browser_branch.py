"""Branching in headless Chromium: the controller of a finished exercise branches a new one from a
moment of its timeline; a player signs in with the branch's new code and carries on from there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from exercises.access import Role
from exercises.record.entries import ActionLogged, EntryKind
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.conftest import MILL_FIRE
from tests.console.harness import Server, choose, current, open_console, sign_in, wait_idle, wait_toast
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BRANCH_NAME = "Mill fire, road closed at once"


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    """A finished exercise, played before the server starts: command established, then ended."""
    made = svc.create_exercise(load_scenario(MILL_FIRE), name="Mill fire drill", seed=11)
    controller = svc.sign_in(code(made, Role.CONTROLLER))
    svc.start(controller, speed=60)
    svc.log_action(svc.sign_in(code(made, Role.PLAYER, "fire")), "establish_command", text="IC at the gate")
    svc.end(controller)
    return made


def codes_on(page: Page) -> str:
    """The text of the access-code table (drawn on a canvas; its accessible copy is in the DOM)."""
    table = page.locator("[data-testid='stDataFrame']").filter(has_text="Access code").first
    table.wait_for(state="attached", timeout=90_000)
    return table.text_content() or ""


def test_the_controller_branches_from_the_timeline_and_a_player_carries_on(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise
) -> None:
    parent = svc.sign_in(code(created, Role.CONTROLLER))
    logged = next(e for e in svc.journal(parent) if e.kind is EntryKind.ACTION_LOGGED)

    controller = open_console(browser, server.url)
    sign_in(controller, code(created, Role.CONTROLLER), name="Controller One")
    controller.goto(f"{server.url}/exercises")
    wait_idle(controller)
    choose(controller, "Branch from (timeline)",
           next(label for label in _options(controller) if label.endswith(f"(entry {logged.seq})")))
    current(controller).get_by_role("textbox", name="Name of the branch (optional)").fill(BRANCH_NAME)
    current(controller).get_by_role("button", name="Branch from here").click()
    wait_toast(controller, "Branch opened")
    text = codes_on(controller)
    player_code = re.search(r"Player for Town Fire Department\s*([0-9A-Z]{6}(?:-[0-9A-Z]{4}){4})", text)
    assert player_code is not None, text

    branch = next(e for e in svc.list_exercises() if e.name == BRANCH_NAME)
    assert branch.branched_from == created.exercise.id and branch.status == "paused"
    # The controller takes the branch over and resumes it from the branch time.
    current(controller).get_by_role("button", name="Control this exercise").click()
    wait_toast(controller, f"Now controlling {BRANCH_NAME}")
    controller.goto(server.url)  # the dashboard is the controller's first page
    wait_idle(controller)
    current(controller).get_by_role("button", name="Resume").click()
    wait_toast(controller, "Exercise resumed")

    player = open_console(browser, server.url)
    sign_in(player, player_code.group(1), name="Fire player")
    choose(player, "Action", "Contain the fire")
    current(player).get_by_role("textbox", name="Details").fill("road closed in the branch")
    current(player).get_by_role("button", name="Log action").click()
    wait_toast(player, "Logged: Contain the fire")

    operator = svc.operator(branch.id)
    journal = svc.journal(operator)
    mine = [e for e in journal if isinstance(e.payload, ActionLogged) and e.payload.text == "road closed in the branch"]
    assert len(mine) == 1 and mine[0].agency == "fire" and mine[0].at >= logged.at
    # What came before the branch point is the parent's, entry for entry; the parent is unchanged.
    assert [(e.at, e.payload) for e in journal[: logged.seq]] == [(e.at, e.payload) for e in svc.journal(parent)[: logged.seq]]
    assert svc.verify(operator).ok and svc.verify(parent).ok
    assert not any(isinstance(e.payload, ActionLogged) and e.payload.text == "road closed in the branch"
                   for e in svc.journal(parent))


def _options(page: Page) -> list[str]:
    box = current(page).get_by_role("combobox", name="Branch from (timeline)").first
    box.click()
    labels = [t.strip() for t in page.get_by_role("option").all_text_contents()]
    box.press("Escape")
    return labels
