"""The fifth bundled scenario in the browser: the controller starts the river flood, the levee
district's player reads the flood warning and sandbags the Mill Creek low section, which slows the
water going over the levee (a development of the general incident model); the report, as PDF and
Word, tells how the incident developed in the scenario's words. One ``hotwash serve`` process on a
real SQLite file, headless Chromium at 1440 px."""

from __future__ import annotations

import io
import time
from datetime import date
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pypdf import PdfReader

from aar.model import RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from console.library import BUNDLED
from exercises.access import Role
from exercises.record.entries import ActionLogged, Development, Entry
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.harness import Server, current, open_console, sign_in, wait_idle, wait_toast
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SANDBAG = "Sandbag the low section of the levee (say where and how high)"
SLOWED = (f"Levee overtopped at the Mill Creek low section: slowed (time left x1.5) by \u201c{SANDBAG}\u201d "
          "(Millbrook Public Works and Levee District)")


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    return svc.create_exercise(load_scenario(BUNDLED / "river_flood.yaml"), name="Cedar River drill", seed=3)


def pick_typed(page: Page, label: str, typed: str, option: str) -> None:
    """Pick an option of a long select box by typing part of it (the list shows only the first few
    options it holds). The live parts re-render every 2 s, and one that does so just as the list opens
    closes it: open it again until the option is taken."""
    box = current(page).get_by_role("combobox", name=label, exact=True).first
    for attempt in range(8):
        box.click()
        page.keyboard.type(typed)
        try:
            page.get_by_role("option", name=option, exact=True).first.click(timeout=3_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            if attempt == 7:
                raise


def _slowed(svc: ExerciseService, created: CreatedExercise, ceiling: float = 90.0) -> list[Entry]:
    """The journal once the engine has taken in the player's action (the live pages advance it)."""
    controller = svc.sign_in(code(created, Role.CONTROLLER))
    deadline = time.monotonic() + ceiling
    while True:
        journal = svc.journal(controller)
        if any(isinstance(e.payload, Development) and e.payload.detail.get("change") for e in journal):
            return journal
        assert time.monotonic() < deadline, "the engine never took in the sandbagging"
        time.sleep(1.0)


def test_a_player_slows_the_water_over_the_levee_and_the_report_says_so(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise, workdir: Path
) -> None:
    controller = open_console(browser, server.url)
    sign_in(controller, code(created, Role.CONTROLLER), name="Exercise director")
    controller.get_by_role("button", name="Start exercise").click()
    wait_toast(controller, "Exercise started")

    levee = open_console(browser, server.url)
    sign_in(levee, code(created, Role.PLAYER, "public_works"), name="Levee superintendent")
    levee.get_by_text("NWS flood warning for the Cedar River at Millbrook").first.wait_for(timeout=90_000)
    pick_typed(levee, "Action", "Sandbag", SANDBAG)
    current(levee).get_by_role("textbox", name="Details").fill("Mill Creek low section, two feet of bags")
    current(levee).get_by_role("button", name="Log action").click()
    wait_toast(levee, f"Logged: {SANDBAG}")
    wait_idle(levee)
    levee.set_viewport_size({"width": 1440, "height": 1400})
    levee.screenshot(path=str(workdir / "levee-player.png"), full_page=True)

    journal = _slowed(svc, created)
    [logged] = [e for e in journal if isinstance(e.payload, ActionLogged) and e.payload.action == "sandbag_levee"]
    changes = {e.payload.what: e for e in journal if isinstance(e.payload, Development) and e.payload.detail.get("change")}
    assert changes["levee_overtopped"].agency == "public_works"
    assert changes["levee_overtopped"].at == logged.at and changes["levee_overtopped"].seq > logged.seq

    report = build_report(svc.scenario(svc.sign_in(code(created, Role.CONTROLLER))), journal,
                          exercise_name="Cedar River drill", exercise_dates=(date.today(), date.today()),
                          integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None))
    assert (logged.at, SLOWED) in report.overview.developments
    pdf = render_pdf(report)
    (workdir / "flood-report.pdf").write_bytes(pdf)
    pdf_text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "How the incident developed (Cedar River flood)" in pdf_text
    assert "Levee overtopped at the Mill Creek low section: slowed" in pdf_text
    assert "fire development" not in pdf_text and "fire spread" not in pdf_text
    word = render_docx(report)
    (workdir / "flood-report.docx").write_bytes(word)
    cells = [c.text for t in docx.Document(io.BytesIO(word)).tables for row in t.rows for c in row.cells]
    assert any(SLOWED in c for c in cells)
