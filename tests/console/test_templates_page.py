"""The Templates page: save a scenario with who plays as a template, open an exercise from it in one
step with new codes, and a template whose files no longer load says why and makes nothing."""

from __future__ import annotations

from exercises.scenario.bundle import gather
from exercises.service.exercise_service import TemplateSetUp
from tests.console.conftest import Exercise, button, console, table, toasts
from tests.service.conftest import WAREHOUSE
from tests.service.test_templates import _replace_stored_scenario


def test_save_a_template_then_open_an_exercise_from_it(exercise: Exercise) -> None:
    at = console(exercise.controller, "templates.py")
    assert not at.exception, [e.value for e in at.exception]
    label = next(o for o in at.selectbox(key="tpl_scenario").options if o.startswith("warehouse fire"))
    at.selectbox(key="tpl_scenario").set_value(label).run()
    at.text_input(key="tpl_name").input("Warehouse day shift")
    at.multiselect(key="tpl_players").set_value(["Town Fire Department"])
    at.text_input(key="tpl_marking").input("For Official Use Only")
    button(at, "Save template").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Template 'Warehouse day shift' saved" in t for t in toasts(at))
    listed = table(at, "Template", "Version")
    assert listed.iloc[0]["Template"] == "Warehouse day shift" and listed.iloc[0]["Agencies played by people"] == 1
    shown = table(at, "Item", "Set-up").set_index("Item")
    assert shown.loc["Played by people", "Set-up"] == "Town Fire Department"
    assert shown.loc["Handling marking", "Set-up"] == "For Official Use Only"
    at.text_input(key="tpl_exercise_name").input("Day shift TTX")
    button(at, "New exercise from this template").click().run()
    assert any("Exercise opened from template Warehouse day shift, version 1" in t for t in toasts(at))
    codes = table(at, "Role", "Access code").set_index("Role")
    assert list(codes.index) == ["Controller", "Evaluator", "Observer", "Player for Town Fire Department"]
    player = exercise.svc.sign_in(codes.loc["Player for Town Fire Department", "Access code"])
    assert exercise.svc.state(player).name == "Day shift TTX"


def test_a_template_that_no_longer_loads_says_why_and_makes_nothing(exercise: Exercise) -> None:
    scenario, bundle = gather(WAREHOUSE)
    exercise.svc.save_template("Old warehouse", scenario, bundle, TemplateSetUp(("fire",)))
    _replace_stored_scenario(exercise.svc, "Old warehouse",
                             WAREHOUSE.read_bytes().replace(b"\nduration:", b"\nduraton:", 1), rehash=True)
    before = len(exercise.svc.list_exercises())
    at = console(exercise.controller, "templates.py")
    button(at, "New exercise from this template").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "The template's files do not load; nothing was made:" in [e.value for e in at.error]
    shown = at.code[0].value
    assert "template 'Old warehouse' version 1: scenarios/warehouse_fire.yaml:" in shown and "duraton" in shown
    assert len(exercise.svc.list_exercises()) == before
