"""The console a controller trusts, in headless Chromium on the bundled civil-disturbance scenario.

One ``hotwash serve`` process on a loopback port and a real SQLite file. Every browser context
routes every request through a check: one for a host other than this server fails the test (the
page icon, fonts and scripts are all served locally). Waits are on conditions (a toast, a text),
never fixed sleeps, so the suite holds on a busy machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route
from sqlmodel import delete

from console.library import BUNDLED
from exercises.access import Role
from exercises.record.entries import InjectDelivered, InjectReleased
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from exercises.service.sessions import BROWSER_LIMIT
from exercises.storage.tables import SignInFailure
from tests.console.harness import (
    APP_READY,
    NAVIGATION_TIMEOUT_MS,
    Server,
    current,
    sign_in,
    wait_idle,
    wait_toast,
)
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCENARIO = BUNDLED / "civil_disturbance.yaml"
WIDTH = 1440
LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def created(svc: ExerciseService, scenario: Scenario) -> CreatedExercise:
    return svc.create_exercise(scenario, name="Riverton march drill", seed=5)


@pytest.fixture(scope="module")
def outside() -> list[str]:
    """Every request a page made to a host other than this machine (each one aborted)."""
    return []


@pytest.fixture(autouse=True)
def nothing_fetched_from_outside(outside: list[str]) -> Iterator[None]:
    yield
    assert outside == [], f"requests left localhost: {outside}"


def local_only(context: BrowserContext, outside: list[str]) -> None:
    def check(route: Route) -> None:
        url = route.request.url
        if urlparse(url).hostname in LOCAL or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", check)


def open_page(browser: Browser, server: Server, outside: list[str], path: str = "") -> Page:
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    local_only(context, outside)
    page = context.new_page()
    page.goto(f"{server.url}/{path}")
    wait_idle(page)
    return page


def pick(page: Page, label: str, option: str, typed: str | None = None) -> None:
    """Choose in a select box by typing, as people do in a long list (only visible options exist)."""
    box = page.get_by_role("combobox", name=label, exact=True).first
    box.click()
    box.press_sequentially(typed or option[:12])
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def main_text(page: Page) -> str:
    return page.locator("[data-testid='stApp']").inner_text()


def signed_in_as(page: Page, text: str) -> None:
    page.locator("[data-testid='stSidebar']", has_text=text).wait_for(timeout=90_000)


def on_sign_in_form(page: Page) -> None:
    page.get_by_role("textbox", name="Access code").wait_for(timeout=90_000)


# --- sessions that survive a reload ----------------------------------------------------------


def test_reload_and_a_bookmarked_page_keep_the_session_and_sign_out_ends_it(
    browser: Browser, server: Server, created: CreatedExercise, outside: list[str]
) -> None:
    page = open_page(browser, server, outside)
    sign_in(page, code(created, Role.CONTROLLER), name="Chief Ortiz")
    page.goto(f"{server.url}/msel")
    wait_idle(page)
    page.get_by_text("Release or hold an inject").wait_for()
    page.reload()  # F5
    wait_idle(page)
    page.get_by_text("Release or hold an inject").wait_for()
    signed_in_as(page, "Chief Ortiz")
    assert page.get_by_role("textbox", name="Access code").count() == 0
    # A bookmark opened in a new tab of the same browser.
    bookmark = page.context.new_page()
    bookmark.goto(f"{server.url}/msel")
    wait_idle(bookmark)
    bookmark.get_by_text("Release or hold an inject").wait_for()
    bookmark.close()
    # The cookie holds a random token, never the access code.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert "hotwash_session" in cookies and len(cookies["hotwash_session"]) >= 40
    assert code(created, Role.CONTROLLER).replace("-", "") not in str(cookies).replace("-", "")

    page.get_by_role("button", name="Sign out").click()
    on_sign_in_form(page)
    page.reload()
    wait_idle(page)
    on_sign_in_form(page)
    page.goto(f"{server.url}/msel")  # the bookmark now asks for a code, then opens the page
    wait_idle(page)
    on_sign_in_form(page)
    sign_in(page, code(created, Role.CONTROLLER))
    page.get_by_text("Release or hold an inject").wait_for()
    page.context.close()


# --- the truth about injects -----------------------------------------------------------------


def test_a_conditional_inject_whose_condition_fails_shows_why_and_what_happened(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise, outside: list[str]
) -> None:
    controller = svc.sign_in(code(created, Role.CONTROLLER))
    if svc.state(controller).status.value == "not started":
        svc.start(controller, speed=1.0)
    police = svc.sign_in(code(created, Role.PLAYER, "city_police"), name="Lt. Alvarez")
    # CD-07 goes out only if the police have NOT sent dialogue officers; they have.
    svc.log_action(police, "deploy_dialogue_officers", text="Two teams with the march")
    row = next(r for r in svc.msel(controller) if r.inject_id == "CD-07")
    page = open_page(browser, server, outside)
    sign_in(page, code(created, Role.CONTROLLER))
    page.goto(f"{server.url}/msel")
    wait_idle(page)
    pick(page, "Inject", f"CD-07 ({row.status.value}, 0:45): {row.synopsis}", typed="CD-07")
    warning = page.locator("[data-testid='stAlert']", has_text="Its condition does not hold now")
    warning.wait_for()
    assert "Riverton Police Department logged" in warning.inner_text()
    assert page.get_by_role("button", name="Release now").count() == 0
    current(page).get_by_role("button", name="Release anyway (controller override)").click()
    wait_toast(page, "Inject CD-07 delivered to Riverton Police Department (controller override")
    journal = svc.journal(controller)
    released = [e.payload for e in journal if isinstance(e.payload, InjectReleased) and e.payload.inject_id == "CD-07"]
    assert len(released) == 1 and released[0].override
    assert any(isinstance(e.payload, InjectDelivered) and e.payload.inject_id == "CD-07" for e in journal)
    # The MSEL says so too.
    page.locator("[data-testid='stTable']", has_text="released by controller override").wait_for()
    page.context.close()


# --- observations ------------------------------------------------------------------------------


def test_an_observation_is_the_evaluators_about_the_agency_and_an_empty_one_is_refused(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise, outside: list[str]
) -> None:
    controller = svc.sign_in(code(created, Role.CONTROLLER))
    if svc.state(controller).status.value == "not started":
        svc.start(controller, speed=1.0)
    before = svc.state(controller).entries
    page = open_page(browser, server, outside)
    sign_in(page, code(created, Role.EVALUATOR), name="Eva Marsh")
    current(page).get_by_role("button", name="Record observation").click()
    page.locator("[data-testid='stAlert']", has_text="needs a rating or something written").wait_for()
    wait_idle(page)
    assert svc.state(controller).entries - before < 5  # nothing but the simulation's own entries
    assert not [e for e in svc.journal(controller)[before:] if e.kind.value == "observation_recorded"]

    # Text over the limit is kept and refused with a message, never dropped.
    current(page).get_by_role("textbox", name="Notes (what was seen, when, by whom)", exact=True).fill("x" * 4100)
    page.get_by_role("textbox", name="Strengths").click()  # leaving the field updates its counter
    page.get_by_text("4,100 / 4,000 characters: too long by 100").wait_for()
    wait_idle(page)
    current(page).get_by_role("button", name="Record observation").click()
    wait_toast(page, "Not recorded: Notes is 4,100 characters; the limit is 4,000")
    wait_idle(page)
    assert page.get_by_role("textbox", name="Notes (what was seen, when, by whom)", exact=True).input_value() == "x" * 4100

    current(page).get_by_role("textbox", name="Notes (what was seen, when, by whom)", exact=True).fill("Liaison met the organisers")
    pick(page, "Agency observed (optional)", "Riverton Police Department")
    current(page).get_by_role("radiogroup", name="Rating", exact=True).get_by_text(
        "S: Performed with some challenges").click()
    current(page).get_by_role("button", name="Record observation").click()
    wait_toast(page, "about Riverton Police Department rated S")
    # Visible tables only: the timeline's table view (a collapsed expander) holds the entry too.
    feed = page.locator("[data-testid='stTable']:visible", has_text="Liaison met the organisers").first
    feed.wait_for()
    row = feed.locator("tr", has_text="Liaison met the organisers").first.inner_text()
    assert "Evaluator (Eva Marsh)" in row
    assert "about Riverton Police Department" in row
    page.context.close()


# --- names, not ids ------------------------------------------------------------------------------


def scenario_ids(scenario: Scenario) -> set[str]:
    """Agency, objective, action and unit-type ids a person must never read standing alone. An id
    that is an ordinary word of the scenario's own texts (the unit type ``engine``) is left out."""
    ids = {a.id for a in scenario.agencies} | {o.id for o in scenario.objectives} | set(scenario.vocabulary)
    ids |= {u for a in scenario.agencies for u in a.resources}
    prose = " ".join([*(a.name for a in scenario.agencies), *scenario.vocabulary.values(),
                      *(o.text for o in scenario.objectives), *(i.text + " " + i.synopsis for i in scenario.msel),
                      scenario.summary]).lower()
    return {i for i in ids if "_" in i or not re.search(rf"\b{re.escape(i)}\b", prose)}


def ids_standing_alone(text: str, ids: set[str]) -> list[str]:
    return sorted({i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)})


@pytest.fixture(scope="module")
def record(svc: ExerciseService, created: CreatedExercise) -> None:
    """Something on every page: actions, messages, a request, a held inject, an observation."""
    controller = svc.sign_in(code(created, Role.CONTROLLER))
    if svc.state(controller).status.value == "not started":
        svc.start(controller, speed=1.0)
    police = svc.sign_in(code(created, Role.PLAYER, "city_police"), name="Lt. Alvarez")
    sheriff = svc.sign_in(code(created, Role.PLAYER, "county_sheriff"), name="Sgt. Boone")
    svc.log_action(police, "establish_command", text="IC at the park gate", inject_id="CD-01")
    svc.send_message(police, "county_sheriff", "Stage two squads at 5th and Main")
    svc.send_message(sheriff, "city_police", "Squads staged")
    svc.request_resource(sheriff, "city_police", "patrol_unit", 2, text="Traffic points")
    svc.hold_inject(controller, "CD-10", reason="Players busy")
    evaluator = svc.sign_in(code(created, Role.EVALUATOR), name="R. Chen")
    svc.record_observation(evaluator, "Operational Coordination", agency="city_police", objective="obj_command",
                           rating="S", strengths="Command announced at once")
    svc.tick(controller)


PAGES: dict[str, tuple[Role, str | None, list[str]]] = {
    "controller": (Role.CONTROLLER, None, ["controller", "msel", "evaluator", "summary", "new_exercise", "exercises", "designer"]),
    "player": (Role.PLAYER, "city_police", ["player"]),
    "evaluator": (Role.EVALUATOR, None, ["evaluator", "summary"]),
    "observer": (Role.OBSERVER, None, ["summary"]),
}


@pytest.mark.parametrize("who", list(PAGES))
def test_every_page_names_agencies_objectives_actions_and_units(
    who: str, browser: Browser, server: Server, created: CreatedExercise, scenario: Scenario,
    outside: list[str], record: None,
) -> None:
    role, agency, paths = PAGES[who]
    ids = scenario_ids(scenario)
    page = open_page(browser, server, outside)
    sign_in(page, code(created, role, agency))
    for path in paths:
        page.goto(f"{server.url}/{path}")
        wait_idle(page)
        page.wait_for_selector(APP_READY)
        # Tables fill their cells after the page is idle: read once every table shows its rows.
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stTable]')].every(t => t.querySelector('td p'))"
        )
        text = main_text(page)
        assert ids_standing_alone(text, ids) == [], f"{who} on /{path} reads ids"
    page.context.close()


# --- sign-in throttling (last: it counts this machine's address) ----------------------------------


def test_one_browsers_wrong_codes_hold_only_that_browser_and_a_controller_clears_them(
    browser: Browser, server: Server, svc: ExerciseService, created: CreatedExercise, outside: list[str]
) -> None:
    right = code(created, Role.OBSERVER)
    typist = open_page(browser, server, outside)
    pages = [typist]
    try:
        for n in range(BROWSER_LIMIT):
            current(typist).get_by_role("textbox", name="Access code").fill(f"ZZZ{n:03d}-0000-0000-0000-0000")
            typist.get_by_role("button", name="Sign in").click()
            left = BROWSER_LIMIT - n - 1
            # Each try's answer has its own count, so the last try's alert is never read as this one's.
            said = f"After {left} more wrong code" if left else "That was the last wrong code allowed in this hour"
            typist.locator("[data-testid='stAlert']", has_text=said).wait_for()
            wait_idle(typist)
        current(typist).get_by_role("textbox", name="Access code").fill(right)
        typist.get_by_role("button", name="Sign in").click()
        typist.locator("[data-testid='stAlert']",
                       has_text="this browser has typed 10 wrong access codes in the last hour").wait_for()
        assert "must wait 60 minutes" in typist.locator("[data-testid='stAlert']").last.inner_text()
        # A colleague on another browser behind the same address signs in with their code.
        colleague = open_page(browser, server, outside)
        pages.append(colleague)
        sign_in(colleague, right)
        controller = open_page(browser, server, outside)
        pages.append(controller)
        sign_in(controller, code(created, Role.CONTROLLER), "J. Moss")
        controller.goto(f"{server.url}/exercises")
        wait_idle(controller)
        controller.get_by_text("A browser at ", exact=False).first.wait_for()
        current(controller).get_by_role("button", name="Clear sign-in locks").click()
        wait_toast(controller, "Sign-in locks cleared: 10 wrong codes no longer count")
        wait_idle(controller)
        controller.get_by_text("Last cleared by J. Moss (controller)", exact=False).first.wait_for()
        typist.reload()
        wait_idle(typist)
        sign_in(typist, right)
        assert "sign-in locks cleared" in server.output()
    finally:
        for page in pages:
            page.context.close()
        with svc.db.writing() as session:  # other tests on this machine sign in from loopback too
            session.exec(delete(SignInFailure))
            session.commit()
