"""Take the console's screenshots for the docs (docs/images/console-*.png) from a real running exercise.

Not a test: run ``python -m tests.console.screenshots`` from the repository root. It opens the bundled
civil-disturbance scenario on a temporary SQLite database, starts ``hotwash serve``, runs the exercise
at x60 while players, an evaluator and the simulation fill the journal, and photographs the pages.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from exercises.access import Caller, Role
from exercises.scenario.durations import format_duration
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from exercises.views import MselRow, condition_reason, words
from tests.console.harness import access_code as code
from tests.console.harness import launch_chromium, sign_in, start_server, wait_idle

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"
SCENARIO = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
WIDTH = 1440




def play(svc: ExerciseService, created: CreatedExercise) -> None:
    """What the players and an evaluator record in the first minutes (the simulation does the rest)."""

    def player(agency: str, name: str) -> Caller:
        return svc.sign_in(code(created, Role.PLAYER, agency), name=name)

    police = player("city_police", "Lt. Alvarez")
    sheriff = player("county_sheriff", "Sgt. Boone")
    eoc = player("eoc", "Duty officer Kim")
    pio = player("city_pio", "M. Osei")
    svc.log_action(police, "establish_command", text="IC: Lt. Alvarez, command post at Liberty Park east gate",
                   inject_id="CD-01")
    svc.log_action(police, "deploy_dialogue_officers", text="Two dialogue teams walking with the march")
    time.sleep(4)
    svc.send_message(police, "county_sheriff", "Please stage two field-force squads at 5th and Main")
    svc.log_action(police, "notify_eoc", text="Duty officer told by phone; march larger than permitted")
    svc.log_action(police, "notify_federal_partner", text="FPS duty officer called about the plaza")
    time.sleep(4)
    svc.log_action(eoc, "activate_eoc", text="Level 3 (monitoring); liaison sent to the command post")
    svc.request_resource(sheriff, "county_ems", "bike_team", 1, text="Medical cover for the line")
    time.sleep(4)
    svc.log_action(pio, "issue_public_statement", text="Road closures on Main St; march is peaceful")
    evaluator = svc.sign_in(code(created, Role.EVALUATOR), name="Evaluator R. Chen")
    svc.record_observation(
        evaluator, "Operational Coordination", agency="city_police", objective="obj_command", rating="S",
        critical_task="Establish unified command with the Sheriff and FPS",
        strengths="Command announced on the first radio report",
        areas_for_improvement="FPS not brought into the command post for 25 minutes",
    )


def failing_contingency(svc: ExerciseService, created: CreatedExercise) -> MselRow:
    """A contingency inject still to come whose condition no longer holds (the page explains it)."""
    operator = svc.operator(created.exercise.id)
    scenario, entries = svc.scenario(operator), svc.journal(operator)
    named = words(scenario)
    return next(r for r in svc.msel(operator) if r.status.value in ("scheduled", "held")
                and condition_reason(scenario.inject(r.inject_id), entries, named))


def shoot(page: Page, name: str, height: int, settle: float = 3.0) -> Path:
    page.set_viewport_size({"width": WIDTH, "height": height})
    wait_idle(page, timeout=240_000)
    time.sleep(settle)
    wait_idle(page, timeout=240_000)  # between two refreshes: no "running" indicator in the picture
    path = IMAGES / f"console-{name}.png"
    page.screenshot(path=str(path))
    return path


def open_as(browser: Browser, url: str, the_code: str, name: str) -> Page:
    page = browser.new_context(viewport={"width": WIDTH, "height": 1000}).new_page()
    page.set_default_timeout(120_000)  # a busy machine: the pictures wait, they do not race
    page.goto(url)
    wait_idle(page, timeout=240_000)
    sign_in(page, the_code, name=name)
    return page


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hotwash-shots-"))
    url = f"sqlite:///{(work / 'hotwash.db').as_posix()}"
    svc = ExerciseService.open(url)
    created = svc.create_exercise(load_scenario(SCENARIO), name="Federal Plaza TTX (county EOC)", seed=4)
    server = start_server(url, work)
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            controller = open_as(browser, server.url, code(created, Role.CONTROLLER), "Exercise director")
            controller.get_by_role("combobox", name="Speed").click()
            controller.get_by_role("option", name="x60").click()
            controller.get_by_role("button", name="Start exercise").click()
            play(svc, created)
            police = open_as(browser, server.url, code(created, Role.PLAYER, "city_police"), "Lt. Alvarez")
            evaluator = open_as(browser, server.url, code(created, Role.EVALUATOR), "Evaluator R. Chen")
            time.sleep(20)  # about twenty more exercise minutes at x60
            controller.get_by_role("button", name="Pause").click()
            time.sleep(5)  # the confirmation toast fades
            print(shoot(controller, "controller", 1900))
            print(shoot(police, "player", 1250))
            print(shoot(evaluator, "evaluator", 1700))
            controller.get_by_role("link", name="MSEL").click()
            wait_idle(controller, timeout=240_000)
            # A contingency inject whose condition no longer holds (the PIO has made a statement).
            row = failing_contingency(svc, created)
            box = controller.get_by_role("combobox", name="Inject", exact=True).first
            box.click()
            box.press_sequentially(row.inject_id)
            label = f"{row.inject_id} ({row.status.value}, {format_duration(row.time)}): {row.synopsis}"
            controller.get_by_role("option", name=label, exact=True).click()
            controller.get_by_text("Its condition does not hold now").wait_for()
            print(shoot(controller, "msel", 1700))
            controller.get_by_role("link", name="Summary & report").click()
            print(shoot(controller, "summary", 1700, settle=6.0))
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
