"""Validation tells everything at once: every problem of a scenario in one run, in the planner's words,
with a did-you-mean where one exists, and none that only follows from another."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from exercises.documents.msel_sheet import export_xlsx, import_msel
from exercises.scenario.loading import ScenarioError, load_scenario
from hotwash.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example"
SOURCE = (EXAMPLE / "scenarios" / "warehouse_fire.yaml").read_text()


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE / "scenarios", tmp_path / "scenarios")
    shutil.copytree(EXAMPLE / "plans", tmp_path / "plans")
    return tmp_path


def _problems(path: Path, text: str) -> list[str]:
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def _line(needle: str, occurrence: int = 1) -> int:
    return [n for n, line in enumerate(SOURCE.splitlines(), 1) if needle in line][occurrence - 1]


def test_an_unknown_field_does_not_hide_an_unknown_agency_and_gets_a_did_you_mean(workspace: Path) -> None:
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    text = SOURCE.replace("expected_actions: [establish_command]", "expected_action: [establish_command]")
    text = text.replace("    to: fire\n    mode: radio\n    synopsis: Head", "    to: fier\n    mode: radio\n    synopsis: Head")
    assert _problems(path, text) == [
        f"{path}:{_line('expected_actions: [establish_command]')}: msel[0].expected_action: unknown field "
        "(did you mean 'expected_actions'?)",
        f"{path}:{_line('to: fire', 1)}: msel[1].to: unknown agency 'fier' (did you mean 'fire'?)",
    ]


def test_a_bad_time_does_not_hide_an_inject_after_the_end(workspace: Path) -> None:
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    text = SOURCE.replace('time: "00:20"', 'time: "00:2O"').replace('time: "00:30"', 'time: "05:30"')
    bad, late = _line('time: "00:20"'), _line('time: "00:30"')
    assert _problems(path, text) == [
        f"{path}:{bad}: msel[1].time: '00:2O' is not a time: write H:MM ('00:05'), or units ('90s', '5m', '1h30m')",
        f"{path}:{late}: msel[2].time: 330 min is after the end of the scenario (120 min)",
    ]


def test_an_item_with_a_field_error_is_not_reported_again_as_unknown(workspace: Path) -> None:
    """An agency whose own field is wrong is still an agency: injects sent to it are not 'unknown'."""
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    text = SOURCE.replace("    kind: facility_operator\n", "    kind: warehouse\n")
    problems = _problems(path, text)
    assert len(problems) == 1 and "agencies[1].kind: 'warehouse' is not one of" in problems[0], problems


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        ("location: Riverside port: warehouse 7", "location:",
         "a colon and a space inside a value start a new field here: put the whole value in quotes (\"...\") "
         "or write it on the next lines after '>-'"),
        ("location: Riverside port, warehouse 7\n\tsponsor2: x", "location:",
         "a tab character: indent with spaces only (YAML does not allow tabs)"),
        ("location: [Riverside port, warehouse 7", "location:",
         "a list in [ ] is not closed, or one of its items holds a colon or a comma: close it with ']' and put "
         "such items in quotes"),
    ],
    ids=["colon in a value", "tab", "unclosed list"],
)
@pytest.mark.usefixtures("yaml_parser")
def test_a_yaml_syntax_error_is_said_in_words_at_its_line(workspace: Path, broken: str, line: str, message: str) -> None:
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    text = SOURCE.replace("location: Riverside port, warehouse 7", broken)
    at = _line(line) + (1 if "\t" in broken else 0)
    assert _problems(path, text) == [f"{path}:{at}: {message}"]


def test_a_scenario_copied_without_its_plans_folder_gets_one_problem(tmp_path: Path) -> None:
    """A bundled scenario copied alone: one problem saying what is missing, not one per plan action."""
    (tmp_path / "scenarios").mkdir()
    source = ROOT / "data" / "scenarios" / "mass_casualty.yaml"
    path = tmp_path / "scenarios" / "mass_casualty.yaml"
    text = source.read_text()
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("response_plans:"))
    assert _problems(path, text) == [
        f"{path}:{line}: response_plans: the response plans it applies ('interagency_notification', "
        "'mass_casualty_response') are read from a folder plans/ beside the folder "
        "scenarios/, and there is none: copy the plans folder with the scenario (the plans' actions and events "
        "are checked once it is there)"
    ]


def _sheet(tmp_path: Path, edit: dict[str, str | None], keep_rows: int | None = None) -> Path:
    scenario = load_scenario(EXAMPLE / "scenarios" / "warehouse_fire.yaml")
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(scenario)))
    ws = wb["MSEL"]
    for ref, value in edit.items():
        ws[ref] = value
    if keep_rows is not None:
        ws.delete_rows(3 + keep_rows, ws.max_row)
    out = tmp_path / "msel.xlsx"
    wb.save(out)
    return out


def test_a_near_miss_agency_name_in_a_workbook_gets_the_nearest_name(workspace: Path) -> None:
    sheet = _sheet(workspace, {"E4": "Town Fire Dept", "D5": "Warehouse Operater"})
    with pytest.raises(ScenarioError) as caught:
        import_msel(sheet, workspace / "scenarios" / "warehouse_fire.yaml")
    assert [str(p) for p in caught.value.problems] == [
        f"{sheet}: MSEL!E4: to: 'Town Fire Dept' is not one of the scenario's agencies "
        "(did you mean 'Town Fire Department'?)",
        f"{sheet}: MSEL!D5: from: 'Warehouse Operater' is not one of the scenario's agencies "
        "(did you mean 'Warehouse Operator'?)",
    ]


def test_an_agency_name_in_other_capitals_is_read(workspace: Path) -> None:
    target = workspace / "scenarios" / "warehouse_fire.yaml"
    sheet = _sheet(workspace, {"E4": "town fire department"})
    scenario, changed = import_msel(sheet, target)
    assert not changed and scenario.msel[1].to == ("fire",)


def test_a_workbook_that_would_remove_injects_is_refused_with_a_warning(workspace: Path) -> None:
    target = workspace / "scenarios" / "warehouse_fire.yaml"
    before = target.read_bytes()
    sheet = _sheet(workspace, {}, keep_rows=1)
    with pytest.raises(ScenarioError) as caught:
        import_msel(sheet, target)
    assert str(caught.value) == (
        f"{sheet}: the sheet has 1 inject and the scenario's MSEL 3: importing it removes 2 (WF-02, WF-03); "
        "to remove them, import it again with --remove-injects"
    )
    assert target.read_bytes() == before
    result = CliRunner().invoke(app, ["msel", "import", str(sheet), "--into", str(target), "--remove-injects"])
    assert result.exit_code == 0, result.output
    assert [i.id for i in load_scenario(target).msel] == ["WF-01"]


# Independent errors a planner makes, each at its own inject (index 0..2) or field: (field, how to plant it).
def _unknown_field(data: dict, i: int) -> str:
    data["msel"][i]["expected_action"] = ["head_count"]
    return f"msel[{i}].expected_action"


def _unknown_agency(data: dict, i: int) -> str:
    data["msel"][i]["to"] = "fier"
    return f"msel[{i}].to"


def _bad_time(data: dict, i: int) -> str:
    data["msel"][i]["time"] = "00:1O"
    return f"msel[{i}].time"


def _after_the_end(data: dict, i: int) -> str:
    data["msel"][i]["time"] = "09:00"
    return f"msel[{i}].time"


def _unknown_action(data: dict, i: int) -> str:
    data["msel"][i]["expected_actions"] = ["headcount"]
    return f"msel[{i}].expected_actions[0]"


def _bad_mode(data: dict, i: int) -> str:
    data["msel"][i]["mode"] = "pigeon"
    return f"msel[{i}].mode"


def _unknown_objective(data: dict, i: int) -> str:
    data["msel"][i]["objective"] = "obj_comand"
    return f"msel[{i}].objective"


def _bad_action_duration(data: dict, i: int) -> str:
    data["simulation"]["actions"]["contain_fire"]["duration"]["p90"] = "4O"
    return "simulation.actions.contain_fire.duration.p90"


def _misspelt_sponsor_field(data: dict, i: int) -> str:
    data["sponsr"] = data.pop("sponsor")
    return "sponsr"


def _bad_mission_area(data: dict, i: int) -> str:
    data["mission_areas"] = ["responce"]
    return "mission_areas[0]"


PLANTS = [_unknown_field, _unknown_agency, _bad_time, _after_the_end, _unknown_action, _bad_mode, _unknown_objective,
          _bad_action_duration, _misspelt_sponsor_field, _bad_mission_area]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plants=st.lists(st.sampled_from(PLANTS), min_size=2, max_size=2, unique=True),
    at=st.permutations([0, 1, 2]),
)
def test_two_independent_errors_are_both_reported_in_one_run(workspace: Path, plants: list, at: list[int]) -> None:
    data = yaml.safe_load(SOURCE)
    fields = [plant(data, i) for plant, i in zip(plants, at, strict=False)]
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    named = [p.field for p in caught.value.problems]
    assert sorted(named) == sorted(fields), [str(p) for p in caught.value.problems]


def test_capability_targets_are_checked_against_objectives_capabilities_and_agencies(workspace: Path) -> None:
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    targets = """
capability_targets:
  - id: briefing
    objective: obj_comand
    capability: Operational Coordination
    target: Command briefs every partner.
    critical_tasks:
      - task: The IC briefed the EOC duty officer.
  - id: briefing
    objective: obj_command
    capability: Mass Search and Rescue Operations
    target: Search the building floor by floor.
    critical_tasks:
      - task: Wardens confirmed each floor clear.
        agency: opertor
  - id: no_tasks
    objective: obj_command
    capability: Operational Coordination
    target: An empty target.
    critical_tasks: []
"""
    problems = _problems(path, SOURCE + targets)
    base = len(SOURCE.splitlines())
    assert problems == [
        f"{path}:{base + 20}: capability_targets[2].critical_tasks: needs at least one entry",
        f"{path}:{base + 9}: capability_targets[1].id: duplicate capability target id 'briefing'",
        f"{path}:{base + 4}: capability_targets[0].objective: unknown objective 'obj_comand' (did you mean 'obj_command'?)",
        f"{path}:{base + 11}: capability_targets[1].capability: 'Mass Search and Rescue Operations' is not a capability "
        "of objective 'obj_command' (it names: Operational Coordination; Operational Communications)",
        f"{path}:{base + 15}: capability_targets[1].critical_tasks[0].agency: unknown agency 'opertor' "
        "(did you mean 'operator'?)",
    ]
