"""Two ``hotwash serve`` processes over one PostgreSQL database serve one exercise.

A player on one server and the controller on the other see each other's entries; one server is
killed (SIGKILL) mid-exercise, nothing recorded is lost, and its users carry on from the other.
Then the same behind one address (docs/deployment.md): a sticky proxy in front of both processes,
one cookie secret for both; the process everybody is on is killed, and the same address carries on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from exercises.access import Role
from exercises.record.entries import ActionLogged
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from tests.console.conftest import MILL_FIRE
from tests.console.harness import access_code as code
from tests.console.harness import (
    choose,
    launch_chromium,
    open_console,
    sign_in,
    start_server,
    wait_idle,
    wait_toast,
)
from tests.console.proxy import StickyProxy

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()




def log_action(page: Page, action: str, text: str) -> None:
    wait_idle(page)  # a page that just reran to offer a new inject shows its old copy until done
    choose(page, "Action", action)
    page.get_by_role("textbox", name="Details").fill(text)
    page.get_by_role("button", name="Log action").click()
    wait_toast(page, f"Logged: {action}")


def test_two_servers_one_exercise_and_one_dies(postgres_url: str, tmp_path: Path, browser: Browser) -> None:
    svc = ExerciseService.open(postgres_url)
    created = svc.create_exercise(load_scenario(MILL_FIRE), name="Two servers", seed=5)
    first = start_server(postgres_url, tmp_path / "first")
    second = start_server(postgres_url, tmp_path / "second")
    try:
        player = open_console(browser, first.url)
        sign_in(player, code(created, Role.PLAYER, "fire"))
        controller = open_console(browser, second.url)
        sign_in(controller, code(created, Role.CONTROLLER))

        # The controller's start, on the second server, reaches the player on the first.
        controller.get_by_role("button", name="Start exercise").click()
        wait_toast(controller, "Exercise started")
        player.get_by_text("Smoke from the old mill").first.wait_for(timeout=15_000)

        # The player's entry, on the first server, reaches the controller's dashboard on the second.
        log_action(player, "Establish incident command", "Command at the mill gate (server one)")
        controller.get_by_text("Command at the mill gate (server one)").first.wait_for(
            state="attached", timeout=10_000
        )

        first.kill()  # a crash, mid-exercise

        # The player carries on from the other server in the same browser, without typing the code
        # again: the browser session lives in the database, not in the dead process.
        player.goto(second.url)
        wait_idle(player)
        player.get_by_text("Playing Town Fire Department").first.wait_for(timeout=15_000)
        wait_idle(player)
        player.get_by_text("Establish incident command: Command at the mill gate (server one)").first.wait_for(
            state="attached", timeout=15_000
        )
        log_action(player, "Notify the EOC", "EOC told by phone (server two)")
        controller.get_by_text("EOC told by phone (server two)").first.wait_for(state="attached", timeout=10_000)

        caller = svc.sign_in(code(created, Role.CONTROLLER))
        texts = [e.payload.text for e in svc.journal(caller) if isinstance(e.payload, ActionLogged)]
        assert texts == ["Command at the mill gate (server one)", "EOC told by phone (server two)"]
        assert svc.verify(caller).ok
    finally:
        first.stop()
        second.stop()


def test_behind_one_address_the_exercise_survives_the_process_everybody_is_on(
    postgres_url: str, tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = ExerciseService.open(postgres_url)
    created = svc.create_exercise(load_scenario(MILL_FIRE), name="One address", seed=6)
    monkeypatch.setenv("STREAMLIT_SERVER_COOKIE_SECRET", "one-secret-for-every-process")
    servers = [start_server(postgres_url, tmp_path / "a"), start_server(postgres_url, tmp_path / "b")]
    proxy = StickyProxy([s.port for s in servers]).start()
    try:
        player = open_console(browser, proxy.url)
        sign_in(player, code(created, Role.PLAYER, "fire"))
        controller = open_console(browser, proxy.url)
        sign_in(controller, code(created, Role.CONTROLLER))
        controller.get_by_role("button", name="Start exercise").click()
        wait_toast(controller, "Exercise started")
        log_action(player, "Establish incident command", "Command post at the gate (before the crash)")

        serving = proxy.serving
        next(s for s in servers if s.port == serving).kill()  # the process every tab is on

        # Same address, same tabs: a reload reaches the other process, and the browser session (kept
        # in the database, not in the dead process) keeps each user signed in: no code typed again.
        for page in (player, controller):
            page.reload()
            wait_idle(page)
        player.get_by_text("Playing Town Fire Department").first.wait_for(timeout=15_000)
        assert proxy.serving != serving
        player.get_by_text("Command post at the gate (before the crash)").first.wait_for(
            state="attached", timeout=15_000
        )
        log_action(player, "Notify the EOC", "EOC told (after the crash)")
        controller.get_by_text("EOC told (after the crash)").first.wait_for(state="attached", timeout=15_000)

        caller = svc.sign_in(code(created, Role.CONTROLLER))
        texts = [e.payload.text for e in svc.journal(caller) if isinstance(e.payload, ActionLogged)]
        assert texts == ["Command post at the gate (before the crash)", "EOC told (after the crash)"]
        assert svc.verify(caller).ok
    finally:
        proxy.close()
        for server in servers:
            server.stop()
