"""Several evaluators in headless Chromium: two evaluators rate the same capability differently,
each without seeing the other's rating; the lead evaluator sees both with their agreement and
records the final rating; the report then shows the reconciled rating and the agreement figure.

Four people in four browser contexts (own cookies, own sessions) on one ``hotwash serve`` process."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from pypdf import PdfReader

from exercises.access import Role
from exercises.record.entries import CapabilityRated, RatingReconciled
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Rating
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.aar.builders import squash
from tests.console.conftest import MILL_FIRE
from tests.console.harness import Server, choose, current, open_console, sign_in, wait_idle, wait_toast
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAPABILITY = "Operational Coordination"
WAIT_MS = 60_000
"""A ceiling for what follows a click (a rerun on a busy machine), not a speed promise."""


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    made = svc.create_exercise(load_scenario(MILL_FIRE), name="Evaluation team drill", seed=5)
    controller = svc.sign_in(code(made, Role.CONTROLLER))
    svc.assign_evaluator(controller, "Lee Park", lead=True)
    svc.assign_evaluator(controller, "Ana Silva", capability=CAPABILITY)
    svc.assign_evaluator(controller, "Ben Okafor", capability=CAPABILITY)
    svc.start(controller)
    return made


def evaluator(browser: Browser, server: Server, created: CreatedExercise, name: str) -> Page:
    page = open_console(browser, server.url)
    sign_in(page, code(created, Role.EVALUATOR), name=name)
    wait_idle(page)
    return page


def pick(page: Page, group: str, option: str) -> None:
    current(page).get_by_role("radiogroup", name=group).get_by_text(option, exact=True).click()


def rated(svc: ExerciseService, created: CreatedExercise, who: str, reason: str) -> bool:
    """Whether ``who``'s rating with ``reason`` is in the journal."""
    journal = svc.journal(svc.sign_in(code(created, Role.CONTROLLER)))
    return any(isinstance(e.payload, CapabilityRated) and e.payload.reason == reason and who in e.actor
               for e in journal)


@dataclass(frozen=True)
class RatingForm:
    """The labels of a rating form: an evaluator's own, or the lead evaluator's final rating."""

    capability: str
    rating: str
    reason: str
    button: str
    confirmation: str


OWN = RatingForm("Capability to rate", "Your rating", "Reason for the rating", "Record rating", "Rating recorded")
FINAL = RatingForm("Capability to reconcile", "Final rating", "Reason for the final rating", "Record final rating",
                   "Final rating recorded")


def rate(page: Page, rating: str, meaning: str, reason: str, recorded: Callable[[], bool],
         form: RatingForm = OWN) -> None:
    """Rate as a person does; while the clock runs the page is redrawn whenever the journal has news,
    and a redraw may land between a choice and the click: if neither the confirmation nor the rating
    came, the evaluator fills the form again (never twice recorded: the journal is asked first)."""
    for attempt in range(3):
        choose(page, form.capability, CAPABILITY, tries=6)
        wait_idle(page)
        pick(page, form.rating, f"{rating}: {meaning}")
        wait_idle(page)  # the choice reruns the page: a field filled before that run ends is drawn anew, empty
        field = current(page).get_by_role("textbox", name=form.reason)
        field.fill(reason)
        field.press("Tab")
        wait_idle(page)
        current(page).get_by_role("button", name=form.button).click()
        try:
            wait_toast(page, f"{form.confirmation}: {CAPABILITY} rated {rating}", timeout=WAIT_MS)
            return
        except PlaywrightError:
            if recorded() or attempt == 2:
                assert recorded(), f"{form.confirmation.lower()} never reached the journal"
                return


def reconciled(svc: ExerciseService, created: CreatedExercise) -> bool:
    journal = svc.journal(svc.sign_in(code(created, Role.CONTROLLER)))
    return any(isinstance(e.payload, RatingReconciled) for e in journal)


def test_two_evaluators_differ_the_lead_reconciles_and_the_report_shows_it(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise, workdir: Path
) -> None:
    ana = evaluator(browser, server, created, "Ana Silva")
    rate(ana, "S", "Performed with some challenges", "Command was set up, the EOC heard late",
         lambda: rated(svc, created, "Ana Silva", "Command was set up, the EOC heard late"))
    ben = evaluator(browser, server, created, "Ben Okafor")
    rate(ben, "U", "Unable to be performed", "No unified command with the mill operator",
         lambda: rated(svc, created, "Ben Okafor", "No unified command with the mill operator"))

    # Ben's page: Ana's rating is there as kept apart, without its rating or reason.
    kept_apart = current(ben).get_by_text("kept apart until the lead evaluator reconciles")
    kept_apart.first.wait_for(timeout=WAIT_MS)
    assert current(ben).get_by_text("Command was set up, the EOC heard late").count() == 0

    lead = evaluator(browser, server, created, "Lee Park")
    choose(lead, "Capability to reconcile", CAPABILITY, tries=6)
    wait_idle(lead)
    current(lead).get_by_text("Agreement: 0% of pairs of evaluators.").first.wait_for(timeout=WAIT_MS)
    rate(lead, "M", "Performed with major challenges", "Command stood up but the operator never joined it",
         lambda: reconciled(svc, created), FINAL)

    controller = svc.sign_in(code(created, Role.CONTROLLER))
    journal = svc.journal(controller)
    ratings = [e for e in journal if isinstance(e.payload, CapabilityRated)]
    final = [e.payload for e in journal if isinstance(e.payload, RatingReconciled)]
    assert [e.payload.rating for e in ratings] == [Rating.S, Rating.U]
    assert len(final) == 1 and final[0].rating is Rating.M and final[0].ratings == tuple(e.seq for e in ratings)

    # Ben now reads the summary: the reconciled rating and the agreement figure.
    ben.get_by_role("link", name="Summary & report").click()
    current(ben).get_by_text("Evaluators' ratings and agreement").first.wait_for(timeout=WAIT_MS)
    current(ben).get_by_text("Cohen's kappa 0.00 (slight)", exact=False).first.wait_for(timeout=WAIT_MS)
    current(ben).get_by_text("Lee Park: Command stood up but the operator never joined it").first.wait_for(
        timeout=WAIT_MS)

    saved = workdir / "aar-team.pdf"
    with ben.expect_download(timeout=120_000) as download:
        current(ben).get_by_role("button", name="Download the AAR/IP (PDF)").click()
    download.value.save_as(saved)
    text = squash("".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(saved.read_bytes())).pages))
    assert squash("Cohen's kappa 0.00 (slight); percent agreement 0%") in text
    assert squash("reconciled by Lee Park") in text
    assert squash("Command stood up but the operator never joined it") in text
    for page in (ana, ben, lead):
        page.context.close()
