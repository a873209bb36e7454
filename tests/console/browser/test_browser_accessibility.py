"""Every page of every role passes axe-core at WCAG 2.0/2.1 A and AA with no critical and no serious
violation, on a running exercise (inbox, media feed, network, timeline and charts all drawn).

One browser test: each role signs in once and visits each of its pages; axe runs on each. The counts
per page are printed (``-s`` shows them). What Streamlit itself draws and the app cannot change is
excluded by rule and node below, each with its reason; docs/accessibility.md lists them with the
upstream issue.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from exercises.access import Role
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from tests.console.harness import NAVIGATION_TIMEOUT_MS, Server, sign_in, wait_idle
from tests.console.harness import access_code as code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CIVIL = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}

ROLES: dict[str, tuple[Role, str | None]] = {
    "controller": (Role.CONTROLLER, None),
    "player": (Role.PLAYER, "city_police"),
    "pio": (Role.PLAYER, "city_pio"),
    "evaluator": (Role.EVALUATOR, None),
    "observer": (Role.OBSERVER, None),
}


@pytest.fixture(scope="module")
def created(svc: ExerciseService) -> CreatedExercise:
    made = svc.create_exercise(load_scenario(CIVIL), name="Accessibility drill", seed=5)
    operator = svc.operator(made.exercise.id)
    # Some exercise minutes at x120: injects in the inboxes, posts in the media feed, a timeline; a
    # few messages so the police inbox scrolls.
    svc.start(operator, speed=120)
    police = svc.sign_in(code(made, Role.PLAYER, "city_police"), name="Lt. Alvarez")
    sheriff = svc.sign_in(code(made, Role.PLAYER, "county_sheriff"), name="Sgt. Boone")
    for text in ("Two squads staged at 5th and Main", "Bus for arrests on its way", "Staging at the depot"):
        svc.send_message(sheriff, "city_police", text)
    svc.log_action(police, "establish_command", text="IC at Liberty Park east gate", inject_id="CD-01")
    time.sleep(4)
    svc.tick(operator)
    svc.pause(operator)
    return made


CURRENT_H1 = "[...document.querySelectorAll('main h1')].filter(h => !h.closest(\"[data-stale='true']\"))"
"""The page's h1 headings as the last run drew them (the previous page's linger, marked stale)."""
MID_REFRESH = "[data-stale='true'] { opacity: 1 !important; transition: none !important; }"
"""While a live part reruns (every 2 s), Streamlit fades its elements; on a busy machine the audit
can catch one faded. The audit measures the page as drawn, not Streamlit's passing fade."""


def h1s(page: Page) -> list[str]:
    """The page's h1 headings once there is one (the previous page's, marked stale, linger until
    the new page's run is over); all of them if there never is exactly one."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("() => document.querySelectorAll('main h1').length === 1", timeout=60_000)
    return list(page.evaluate("() => [...document.querySelectorAll('main h1')].map(h => h.innerText)"))


def audit(page: Page) -> dict[str, int]:
    """Violations by impact on the page as drawn now."""
    wait_idle(page)
    page.add_style_tag(content=MID_REFRESH)
    results = Axe().run(page, options=WCAG_AA)
    counts = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    found = []
    for violation in results.response["violations"]:
        counts[violation["impact"]] += len(violation["nodes"])
        found.append((violation["impact"], violation["id"], len(violation["nodes"]),
                      [n["target"] for n in violation["nodes"]][:3],
                      violation["nodes"][0].get("failureSummary", "")[:200]))
    for f in found:
        print("   ", *f)  # what to fix, when something is found
    return counts


def test_every_page_of_every_role_passes_axe(browser: Browser, server: Server, created: CreatedExercise) -> None:
    report: dict[str, dict[str, int]] = {}
    headings: dict[str, list[str]] = {}
    for who, (role, agency) in ROLES.items():
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        page = context.new_page()
        page.goto(server.url)
        wait_idle(page)
        if who == "controller":
            page.get_by_role("textbox", name="Access code").wait_for()
            report["sign-in"] = audit(page)
            headings["sign-in"] = h1s(page)
        sign_in(page, code(created, role, agency))
        links = page.get_by_test_id("stSidebarNav").get_by_role("link")
        for i in range(links.count()):
            title = links.nth(i).inner_text().splitlines()[-1]
            links.nth(i).click()
            # Each page its own title in the browser's tab ("MSEL - Hotwash"), and its heading drawn.
            page.wait_for_function("t => document.title === t", arg=f"{title} - Hotwash")
            page.wait_for_function(f"() => {CURRENT_H1}.length > 0", timeout=60_000)
            wait_idle(page)
            report[f"{who}: {title}"] = audit(page)
            headings[f"{who}: {title}"] = h1s(page)
        context.close()
    for name, counts in report.items():
        print(f"{name:40} " + " ".join(f"{k} {v}" for k, v in counts.items()))
    failing = {name: c for name, c in report.items() if c["critical"] or c["serious"]}
    assert failing == {}
    # One h1 on every page: its name (the exercise's, or the page's where no exercise is shown).
    assert {name: h for name, h in headings.items() if len(h) != 1} == {}


FOCUSED = """() => {
  const el = document.activeElement;
  const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].innerText)
    || el.innerText || '';
  return {tag: el.tagName, label: label.trim().split('\\n').pop(), text: (el.innerText || '').trim(),
          live: !!el.closest('[aria-live]'), slot: (el.closest('[class*="st-key-a11y_live_"]') || {}).className || ''};
}"""


def focused(page: Page) -> dict[str, object]:
    return dict(page.evaluate(FOCUSED))


def tab_to(page: Page, label: str, limit: int = 400) -> None:
    """Press Tab until the focused element is the one labelled ``label``, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page)["label"] == label:
            return
    raise AssertionError(f"Tab never reached {label!r}; last focus: {focused(page)}")


def press(page: Page, label: str) -> None:
    """Tab to the control labelled ``label`` and press Enter, once the run a field left behind is over."""
    tab_to(page, label)
    wait_idle(page)
    if focused(page)["label"] != label:
        tab_to(page, label)
    page.keyboard.press("Enter")


def focus_settles_on(page: Page, slot: str, text: str) -> dict[str, object]:
    """Where the focus is once the rerun after an action is over: the form's message, announced."""
    try:
        page.wait_for_function(
            "([slot, text]) => { const el = document.activeElement;"
            " return !!el.closest('.st-key-a11y_live_' + slot) && el.innerText.includes(text); }",
            arg=[slot, text], timeout=120_000)
    except PlaywrightTimeout:
        # Say where the focus went and what the live regions hold: a failure on a busy CI machine
        # must be readable from its log alone.
        regions = page.evaluate("() => [...document.querySelectorAll('[class*=\"st-key-a11y_live_\"]')]"
                                ".map(el => el.innerText.trim()).filter(t => t)")
        raise AssertionError(f"the focus never reached {text!r} in {slot!r}: it is on {focused(page)}; "
                             f"live regions say {regions}") from None
    return focused(page)


def keyboard_sign_in(browser: Browser, server: Server, the_code: str) -> Page:
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.goto(server.url)
    wait_idle(page)
    page.get_by_role("textbox", name="Access code").wait_for()
    tab_to(page, "Access code")
    page.keyboard.type(the_code)
    page.keyboard.press("Enter")
    # The landing page's heading takes the focus; "Signed in as" is said in its live region.
    page.wait_for_function("document.activeElement.tagName === 'H1'", timeout=60_000)
    page.locator(".st-key-a11y_live_page[aria-live='polite']", has_text="Signed in as").wait_for()
    wait_idle(page)
    return page


def test_keyboard_only_sign_in_log_observe_publish(browser: Browser, server: Server,
                                                   created: CreatedExercise) -> None:
    police = keyboard_sign_in(browser, server, code(created, Role.PLAYER, "city_police"))
    tab_to(police, "Details")
    police.keyboard.type("Dialogue teams walking with the march")
    # The counter counts as one types, before the form is sent.
    police.locator(".st-key-a11y_count_act_text_4000").get_by_text("37 / 4,000 characters").wait_for()
    press(police, "Log action")
    assert focus_settles_on(police, "log_action", "Logged:")["live"]

    evaluator = keyboard_sign_in(browser, server, code(created, Role.EVALUATOR))
    tab_to(evaluator, "Critical task")
    evaluator.keyboard.type("Establish unified command")
    press(evaluator, "Record observation")
    assert focus_settles_on(evaluator, "observation", "Observation recorded")["live"]

    pio = keyboard_sign_in(browser, server, code(created, Role.PLAYER, "city_pio"))
    press(pio, "Publish an official statement")
    tab_to(pio, "Statement")
    pio.keyboard.type("Main Street is closed; the march is peaceful. Next update at noon.")
    press(pio, "Publish statement")
    assert focus_settles_on(pio, "statement", "Statement published")["live"]
