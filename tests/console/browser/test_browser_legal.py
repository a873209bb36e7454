"""The rules of a joint operation in the browser, on the fourth bundled scenario: a task-force player
who ticks "Immigration status" on a message to the school is told, before sending, that no
agreement allows it; the message is still sent (it is an exercise) and the report lists the
disclosure. One ``hotwash serve`` process on a real SQLite file, headless Chromium at 1440 px."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from aar.model import RecordIntegrity
from aar.report import build_report
from console.library import BUNDLED
from exercises.access import Role
from exercises.record.entries import MessageSent
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.harness import Server, choose, current, sign_in, wait_idle, wait_toast
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTICE = ("No data-sharing agreement lets Marlow Police Department (task force) share Immigration status "
          "with Eastside Elementary School")


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    made = svc.create_exercise(load_scenario(BUNDLED / "joint_warrant_operation.yaml"), name="Alder Street drill", seed=3)
    svc.start(svc.sign_in(code(made, Role.CONTROLLER)))
    return made


def test_the_sender_sees_the_rule_before_sending_and_the_report_lists_the_disclosure(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise, workdir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(server.url)
    wait_idle(page)
    sign_in(page, code(created, Role.PLAYER, "marlow_police"), name="Sgt Diaz")
    page.get_by_role("tab", name="Send a message").first.click()
    choose(page, "To", "Eastside Elementary School")
    wait_idle(page)
    choose(page, "Information it carries", "Immigration status")
    page.keyboard.press("Escape")  # close the list, as a person clicking away does
    wait_idle(page)
    page.get_by_text(NOTICE).first.wait_for(timeout=90_000)
    page.screenshot(path=str(workdir / "message-notice.png"), full_page=True)
    current(page).get_by_role("textbox", name="Message").fill("The father's removal case is pending.")
    current(page).get_by_role("button", name="Send message").click()
    wait_toast(page, "Message sent to Eastside Elementary School")

    controller = svc.sign_in(code(created, Role.CONTROLLER))
    journal = svc.journal(controller)
    [sent] = [e for e in journal if isinstance(e.payload, MessageSent)]
    assert sent.agency == "marlow_police" and sent.payload.categories == ("immigration_status",)
    report = build_report(svc.scenario(controller), journal, exercise_name="Alder Street drill",
                          exercise_dates=(date.today(), date.today()),
                          integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None))
    assert report.legal is not None
    [finding] = [f for f in report.legal.findings if f.kind == "disclosure"]
    assert finding.agency == "marlow_police" and finding.evidence[0].seq == sent.seq
    context.close()
