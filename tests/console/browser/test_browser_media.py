"""The media feed in headless Chromium: the public information officer publishes a statement naming a
rumour's topic, and another agency's player sees the statement in its feed and the rumour answered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from exercises.access import Role
from exercises.record.entries import MediaItemAdded, RumourAddressed, StatementIssued
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.harness import (
    Server,
    current,
    open_console,
    sign_in,
    wait_idle,
    wait_toast,
)
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CIVIL = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
PIO = "City of Riverton Public Information Office"
STATEMENT = "No chemical agents have been used. <b>Main Street</b> is open; next update at 7:30."
SHOTS = os.environ.get("HOTWASH_SCREENSHOTS")
"""A folder to save 1440-px screenshots of the pages into (to look at them), when set."""


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    return svc.create_exercise(load_scenario(CIVIL), name="Media drill", seed=2)


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.set_viewport_size({"width": 1440, "height": 1600})
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def pick(page: Page, label: str, option: str, shown: str | None = None) -> None:
    """Pick an option of a select box. The page's live parts re-render every 2 s, and one that does so
    just as the list opens closes it (or drops the click): open it again until the choice shows."""
    box = page.get_by_role("combobox", name=label, exact=True).first
    for attempt in range(8):
        box.click()
        try:
            page.get_by_role("option").filter(has_text=option).first.click(timeout=2_500)
            if shown is not None:
                page.get_by_text(shown).first.wait_for(timeout=3_000)
            return
        except PlaywrightTimeout:
            if attempt == 7:
                raise


def test_the_pio_answers_a_rumour_and_another_player_sees_it_answered(
    browser: Browser, server: Server, created: CreatedExercise, svc: ExerciseService
) -> None:
    pages = {}
    for who, role, agency in (("controller", Role.CONTROLLER, None), ("pio", Role.PLAYER, "city_pio"),
                              ("police", Role.PLAYER, "city_police")):
        pages[who] = page = open_console(browser, server.url)
        sign_in(page, code(created, role, agency), name=f"{who} tester")
    controller, pio, police = pages["controller"], pages["pio"], pages["police"]

    controller.get_by_role("button", name="Start exercise").click()
    wait_toast(controller, "Exercise started")
    wait_idle(controller)
    # The controller puts a post in the feed that starts the scenario's gas rumour now.
    controller.get_by_text("Add a media item").click()
    wait_idle(controller)  # opening the expander is a rerun (the server keeps it open)
    controller.get_by_role("combobox", name="Outlet", exact=True).wait_for()
    pick(controller, "Outlet", "Channel 7 News")
    controller.get_by_role("textbox", name="Post or news item").fill("Live: crowds on Main Street")
    # Typed into the select box: its list filters to the one rumour, and Enter picks it.
    pick(controller, "Also start a rumour (optional)", "BREAKING: police gassing people")
    controller.get_by_role("button", name="Add media item").click()
    wait_toast(controller, "Media item added (Channel 7 News)")

    # Every player sees the rumour, unanswered, without a click.
    police.get_by_text("BREAKING: police gassing people downtown").first.wait_for(timeout=60_000)
    police.get_by_text("Unanswered").first.wait_for(timeout=90_000)
    pio.get_by_text("BREAKING: police gassing people downtown").first.wait_for(timeout=90_000)
    assert police.get_by_text("Publish an official statement").count() == 0  # police do not speak for it

    wait_idle(pio)
    pio.get_by_text("Publish an official statement").click()
    wait_idle(pio)
    pio.get_by_role("combobox", name="Topics it addresses").wait_for()
    pick(pio, "Topics it addresses", "Crowd-control force (gas, batons, riot squads)")
    pio.keyboard.press("Escape")
    current(pio).get_by_role("textbox", name="Statement").fill(STATEMENT)
    current(pio).get_by_role("button", name="Publish statement").click()
    wait_toast(pio, "Statement published (Crowd-control force (gas, batons, riot squads))")

    # The police player's feed shows the statement (literally: no bold) and the rumour answered by name.
    police.get_by_text(STATEMENT).first.wait_for(timeout=90_000)
    police.get_by_text(f"Answered by {PIO}").first.wait_for(timeout=90_000)
    assert police.locator("[data-testid='stMain'] b", has_text="Main Street").count() == 0
    controller.get_by_text(f"Answered by {PIO}").first.wait_for(timeout=90_000)
    shot(police, "media_police")
    shot(pio, "media_pio")
    shot(controller, "media_controller")

    journal = svc.journal(svc.sign_in(code(created, Role.CONTROLLER)))
    assert any(isinstance(e.payload, MediaItemAdded) for e in journal)
    assert [e.agency for e in journal if isinstance(e.payload, StatementIssued)] == ["city_pio"]
    assert any(isinstance(e.payload, RumourAddressed) and e.payload.rumour_id == "gas_and_guard" for e in journal)
    # The summary carries the report's section: the rumour answered, by name (the controller's own tab:
    # a page it already has open, on a busy machine).
    controller.get_by_role("link", name="Summary & report").click()
    controller.get_by_text("Public information and community trust").first.wait_for(timeout=60_000)
    controller.get_by_text("Rumours answered").first.wait_for(timeout=90_000)
    shot(controller, "media_summary")
    for page in pages.values():
        page.context.close()
