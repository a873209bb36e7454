"""The media feed on the players' and controller's pages (AppTest: fast page logic; the browser test
holds the live refresh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.access import Role
from exercises.record.entries import MediaItemAdded, StatementIssued
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from tests.console.conftest import Exercise, button, console, plain, table, toasts

CIVIL = Path(__file__).resolve().parents[2] / "data" / "scenarios" / "civil_disturbance.yaml"
PIO = "City of Riverton Public Information Office"


@pytest.fixture
def civil(svc: ExerciseService) -> Exercise:
    return Exercise(svc.create_exercise(load_scenario(CIVIL), name="Media page drill", seed=3), svc)


def test_the_pio_publishes_and_the_police_see_the_rumour_answered_by_name(civil: Exercise) -> None:
    ctl = civil.controller
    civil.svc.start(ctl)
    civil.svc.add_media_item(ctl, "channel7", "Live: <b>crowds</b> on Main", starts_rumour="gas_and_guard")
    pio = console(civil.caller(Role.PLAYER, "city_pio"))
    assert "BREAKING: police gassing people downtown, National Guard coming at 7pm. Get out now. #RivertonMarch" in [
        t.value for t in pio.text
    ]
    assert "Live: <b>crowds</b> on Main" in [t.value for t in pio.text], "posts are shown as typed"
    pio.multiselect(key="media_topics").set_value(["crowd_control"])
    pio.text_area(key="media_statement").input("No chemical agents have been used.")
    button(pio, "Publish statement").click().run()
    assert "Statement published (Crowd-control force (gas, batons, riot squads))" in toasts(pio)
    assert pio.text_area(key="media_statement").value == ""
    # The PIO's own statement is in the PIO's log, as the PIO did it.
    assert "Official statement: No chemical agents have been used." in list(table(pio, "Time", "What")["What"])
    police = console(civil.caller(Role.PLAYER, "city_police"))
    badges = [plain(m.value) for m in police.markdown]
    assert any(f"Answered by {PIO}" in b for b in badges), badges
    assert "No chemical agents have been used." in [t.value for t in police.text]
    assert not [b for b in police.button if b.label == "Publish statement"], "only the PIO's page has the form"
    entries = civil.svc.journal(ctl)
    assert [e.agency for e in entries if isinstance(e.payload, StatementIssued)] == ["city_pio"]


def test_the_controller_adds_a_media_item_that_starts_a_rumour(civil: Exercise) -> None:
    ctl = civil.controller
    civil.svc.start(ctl)
    at = console(ctl)
    at.selectbox(key="media_outlet").set_value("liberty_collective")
    at.text_area(key="media_item_text").input("March organisers: stay calm, stay together")
    at.selectbox(key="media_rumour").set_value("death_in_custody")
    button(at, "Add media item").click().run()
    assert "Media item added (Liberty Park Collective)" in toasts(at)
    added = [e.payload for e in civil.svc.journal(ctl) if isinstance(e.payload, MediaItemAdded)]
    assert [(a.outlet, a.starts_rumour) for a in added] == [("liberty_collective", "death_in_custody")]


def test_a_scenario_without_media_shows_no_feed(exercise: Exercise) -> None:
    exercise.svc.start(exercise.controller)
    at = console(exercise.caller(Role.PLAYER, "fire"))
    assert not any("Media feed" in m.value for m in [*at.markdown, *at.header])


def test_the_summary_shows_the_public_information_section(civil: Exercise) -> None:
    ctl = civil.controller
    civil.svc.start(ctl)
    civil.svc.add_media_item(ctl, "channel7", "Live", starts_rumour="gas_and_guard")
    civil.svc.publish_statement(civil.caller(Role.PLAYER, "city_pio"), ["crowd_control"], "No gas was used.")
    at = console(civil.caller(Role.OBSERVER), page="summary.py")
    assert "Public information and community trust" in [h.value for h in at.header], "a heading, not bold text"
    rumours = table(at, "Rumour", "Answered", "By")
    assert list(rumours["By"]) == [PIO]
    # A table that wraps its cells (a dataframe cuts "By" at the column's width).
    assert any("By" in t.value.columns for t in at.table), "the rumour table wraps, nothing is cut off"
    assert list(rumours["Rumour"]) == ["Crowd-control force (gas, batons, riot squads)"]
