"""The MSEL as a spreadsheet: a round trip changes nothing, for every bundled scenario and for
generated MSELs; a workbook typed by a planner reads in; errors name the workbook, sheet and cell."""

from __future__ import annotations

import io
import re
from datetime import time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from exercises.documents.msel_sheet import (
    _msel_yaml,
    _replace_msel,
    export_csv,
    export_xlsx,
    import_msel,
    parse_msel,
    read_msel_table,
)
from exercises.scenario.loading import ScenarioError, build_scenario, load_plans, load_scenario, read_yaml
from exercises.scenario.model import Condition, DeliveryMode, Effect, Inject, Scenario
from hotwash.cli import app
from tests.documents.helpers import BUNDLED, DATA, EXAMPLE, copy_folder, workbook_bytes

runner = CliRunner()


def _blank_msel(path: Path) -> None:
    """Replace the scenario's MSEL with an empty one: only the sheet can bring it back."""
    text = path.read_text(encoding="utf-8")
    path.write_text(_replace_msel(text, "msel: []\n", str(path)), encoding="utf-8")


@pytest.mark.parametrize("scenario_file", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_every_bundled_scenario_survives_yaml_to_sheet_to_yaml(scenario_file: Path, kind: str, tmp_path: Path) -> None:
    original = load_scenario(scenario_file)
    data = copy_folder(DATA, tmp_path)
    target = data / "scenarios" / scenario_file.name
    sheet = tmp_path / f"msel.{kind}"
    sheet.write_bytes(export_xlsx(original) if kind == "xlsx" else export_csv(original).encode())

    before = target.read_bytes()
    scenario, changed = import_msel(sheet, target)
    assert not changed and target.read_bytes() == before  # the same MSEL: the file is left alone

    _blank_msel(target)
    scenario, changed = import_msel(sheet, target)
    assert changed
    assert load_scenario(target) == original == scenario


def test_export_writes_the_hseep_columns_with_drop_downs_and_excel_times(tmp_path: Path) -> None:
    scenario = load_scenario(EXAMPLE / "scenarios" / "warehouse_fire.yaml")
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(scenario)))
    ws = wb["MSEL"]
    header = [c.value for c in ws[2]]
    assert header[:11] == [
        "Inject #", "Scenario Time", "Event Synopsis", "From", "To", "Delivery Method", "Inject Text",
        "Expected Player Actions", "Objective", "Core Capability", "Condition",
    ]
    assert ws["A4"].value == "WF-02" and ws["B4"].number_format == "[h]:mm"
    assert ws["B4"].value.total_seconds() == 20 * 60  # an Excel time, not text
    assert ws["K4"].value == "if head_count has not happened"
    assert ws["M5"].value == "link down: fire - operator"
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    # From and To are written by name: their drop-downs offer the names.
    assert validations["D3"].startswith("=Lists!$B$2") and validations["E3"].startswith("=Lists!$D$2")
    assert ws["D3"].value == "Exercise control" or ws["D3"].value in {a.name for a in scenario.agencies} | {"Controller", "Simulation cell"}
    lists = wb["Lists"]
    agencies = [lists.cell(row=r, column=3).value for r in range(2, 5)]
    assert agencies == ["fire", "operator", "eoc"]
    assert lists["D2"].value == "Town Fire Department"  # names beside the ids


def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path: Path) -> None:
    scenario = load_scenario(EXAMPLE / "scenarios" / "warehouse_fire.yaml")
    first = scenario.msel[0].model_copy(update={"synopsis": "=HYPERLINK(\"http://x\")", "text": "@SUM(A1)"})
    tricky = scenario.model_copy(update={"msel": (first, *scenario.msel[1:])})
    ws = openpyxl.load_workbook(io.BytesIO(export_xlsx(tricky)))["MSEL"]
    assert ws["C3"].data_type == "s" and ws["C3"].quotePrefix
    assert ws["G3"].data_type == "s" and ws["G3"].quotePrefix
    assert export_csv(tricky).splitlines()[1].split(",")[2].startswith("\"'=HYPERLINK")


def test_a_workbook_as_a_planner_types_it(tmp_path: Path) -> None:
    example = copy_folder(EXAMPLE, tmp_path)
    target = example / "scenarios" / "warehouse_fire.yaml"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "MSEL"
    ws["A1"] = "Riverside Warehouse Fire TTX - Master Scenario Events List"
    ws["A2"] = "FOR OFFICIAL USE ONLY"
    ws.append([])
    ws.append(["Inject No.", "Designated Scenario Time", "Event Synopsis", "From", "To", "Delivery method",
               "Inject Text", "Expected Player Action", "Core Capability", "Notes"])
    ws.append(["WF-01", time(0, 0), "911 call", "simcell", "Town Fire Department, operator", "Phone",
               "Smoke from warehouse 7.", "Establish incident command", "Operational Coordination", None])
    ws.append([])  # a blank row between phases
    ws.append(["WF-02", "0:20", "Head count short", "Warehouse Operator", "fire", "radio",
               "38 of 40 at the assembly point.", "head_count, evacuate_staff", "Mass Search and Rescue Operations",
               "Two staff are in the cold store."])
    ws.append(["WF-03", "45m", "Repeater down", "simcell", "fire", "In person", "The repeater lost power.", None,
               "Operational Communications", None])
    ws["B5"].number_format = "h:mm"
    sheet = tmp_path / "planner.xlsx"
    sheet.write_bytes(workbook_bytes(wb))

    _, changed = import_msel(sheet, target)
    assert changed
    injects = {i.id: i for i in load_scenario(target).msel}
    assert [injects[i].time for i in ("WF-01", "WF-02", "WF-03")] == [0.0, 1200.0, 2700.0]
    assert injects["WF-01"].to == ("fire", "operator") and injects["WF-01"].mode is DeliveryMode.PHONE
    assert injects["WF-01"].expected_actions == ("establish_command",)  # typed by its label
    assert injects["WF-02"].from_ == "operator" and injects["WF-02"].expected_actions == ("head_count", "evacuate_staff")
    assert injects["WF-02"].evaluator_notes == "Two staff are in the cold store."
    assert injects["WF-03"].mode is DeliveryMode.IN_PERSON


def _planner_sheet(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    scenario = load_scenario(EXAMPLE / "scenarios" / "warehouse_fire.yaml")
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(scenario)))
    mutate(wb["MSEL"])
    sheet = tmp_path / "msel.xlsx"
    sheet.write_bytes(workbook_bytes(wb))
    return sheet


def test_every_problem_in_the_sheet_is_named_at_once_with_its_cell(tmp_path: Path) -> None:
    example = copy_folder(EXAMPLE, tmp_path)
    target = example / "scenarios" / "warehouse_fire.yaml"
    before = target.read_bytes()

    def typos(ws) -> None:  # type: ignore[no-untyped-def]
        ws["D4"] = "operater"
        ws["E3"] = "fire, eco"
        ws["H3"] = "establish_comand"
        ws["F5"] = "pigeon"
        ws["B5"] = "half past"
        ws["J4"] = "Mass Search and Rescue"

    sheet = _planner_sheet(tmp_path, typos)
    with pytest.raises(ScenarioError) as caught:
        import_msel(sheet, target)
    lines = str(caught.value).splitlines()
    expected = [
        f"{sheet}: MSEL!D4: from: unknown agency 'operater' (did you mean 'operator'?)",
        f"{sheet}: MSEL!E3: to: unknown agency 'eco' (did you mean 'eoc'?)",
        f"{sheet}: MSEL!H3: expected_actions: action 'establish_comand' is not in the vocabulary (did you mean 'establish_command'?)",
        f"{sheet}: MSEL!B5: time: 'half past' is not a time",
        f"{sheet}: MSEL!F5: mode: 'pigeon' is not one of",
        f"{sheet}: MSEL!J4: capability: 'Mass Search and Rescue' is not one of the 32 HSEEP core capabilities (did you mean 'Mass Search and Rescue Operations'?)",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, lines)
    assert target.read_bytes() == before


def test_cli_export_and_import(tmp_path: Path) -> None:
    example = copy_folder(EXAMPLE, tmp_path)
    target = example / "scenarios" / "warehouse_fire.yaml"
    out = runner.invoke(app, ["msel", "export", str(target), "--xlsx", str(tmp_path / "m.xlsx"), "--csv", str(tmp_path / "m.csv")])
    assert out.exit_code == 0, out.output
    _blank_msel(target)
    out = runner.invoke(app, ["msel", "import", str(tmp_path / "m.csv"), "--into", str(target)])
    assert out.exit_code == 0 and "wrote 3 injects" in out.output
    broken = _planner_sheet(tmp_path, lambda ws: ws.__setitem__("D4", "polce"))
    out = runner.invoke(app, ["msel", "import", str(broken), "--into", str(target)])
    assert out.exit_code == 1 and "MSEL!D4: from: unknown agency 'polce'" in out.output and "nothing was written" in out.output


def test_a_scenario_may_name_its_msel_workbook(tmp_path: Path) -> None:
    example = copy_folder(EXAMPLE, tmp_path)
    target = example / "scenarios" / "warehouse_fire.yaml"
    original = load_scenario(target)
    (target.parent / "warehouse_msel.xlsx").write_bytes(export_xlsx(original))
    target.write_text(_replace_msel(target.read_text(), "msel: warehouse_msel.xlsx\n", str(target)))
    assert load_scenario(target) == original
    broken = _planner_sheet(tmp_path, lambda ws: ws.__setitem__("E4", "fier"))
    (target.parent / "warehouse_msel.xlsx").write_bytes(broken.read_bytes())
    with pytest.raises(ScenarioError, match=r"warehouse_msel.xlsx: MSEL!E4: to: unknown agency 'fier' \(did you mean 'fire'\?\)"):
        load_scenario(target)
    target.write_text(_replace_msel(target.read_text(), "msel: ../secrets.xlsx\n", str(target)))
    with pytest.raises(ScenarioError, match="no folders"):
        load_scenario(target)


# --- generated MSELs ----------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn")) | st.sampled_from(["\n", "=", "+", "-", "@", "'", " ", "\t"]),
    min_size=1,
    max_size=120,
).filter(lambda s: s.strip() != "")
_AGENCIES = ["fire", "operator", "eoc"]
_ACTIONS = ["contain_fire", "evacuate_staff", "head_count", "establish_command", "notify_eoc"]


@st.composite
def _inject(draw: st.DrawFn, number: int) -> Inject:
    condition = draw(st.none() | st.builds(Condition, action=st.sampled_from(_ACTIONS), happened=st.booleans(),
                                           by_agency=st.none() | st.sampled_from(_AGENCIES)))
    effect = draw(st.none() | st.sampled_from([Effect(link_down=("fire", "operator")), Effect(link_up=("eoc", "fire")),
                                               Effect(link_down=("fire", "eoc"), link_up=("fire", "operator"))]))
    return Inject.model_validate({
        "id": f"G-{number:02d}",
        "time": float(draw(st.integers(0, 7200))),
        "from": draw(st.sampled_from([*_AGENCIES, "simcell", "controller"])),
        "to": draw(st.lists(st.sampled_from(_AGENCIES), min_size=1, max_size=3, unique=True)),
        "mode": draw(st.sampled_from(list(DeliveryMode))),
        "synopsis": draw(_TEXT.filter(lambda s: s == s.strip() and "\n" not in s and len(s) <= 200)),
        "text": draw(_TEXT),
        "expected_actions": draw(st.lists(st.sampled_from(_ACTIONS), max_size=3, unique=True)),
        "capability": draw(st.sampled_from(["Operational Coordination", "Fire Management and Suppression"])),
        "objective": draw(st.none() | st.sampled_from(["obj_command", "obj_life_safety"])),
        "condition": condition,
        "effect": effect,
        "evaluator_notes": draw(st.none() | _TEXT),
    })


@pytest.fixture(scope="module")
def warehouse() -> tuple[Scenario, dict, object, dict]:  # type: ignore[type-arg]
    path = EXAMPLE / "scenarios" / "warehouse_fire.yaml"
    data, lines = read_yaml(path)
    return load_scenario(path), data, lines, load_plans(EXAMPLE / "plans")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(*[_inject(i) for i in range(1, n + 1)])))
def test_generated_msels_survive_both_sheet_formats_and_the_yaml_writer(warehouse, msel) -> None:  # type: ignore[no-untyped-def]
    scenario, data, lines, plans = warehouse
    generated = scenario.model_copy(update={"msel": tuple(msel)})
    path = str(EXAMPLE / "scenarios" / "warehouse_fire.yaml")
    for name, blob in (("g.xlsx", export_xlsx(generated)), ("g.csv", export_csv(generated).encode())):
        items = parse_msel(read_msel_table(blob, name), data, plans)
        back = build_scenario(path, {**data, "msel": items}, lines, plans)  # type: ignore[arg-type]
        assert back.msel == generated.msel, name
        text = _replace_msel((EXAMPLE / "scenarios" / "warehouse_fire.yaml").read_text(), _msel_yaml(items), path)
        again, again_lines = read_yaml(path, text)
        assert build_scenario(path, again, again_lines, plans).msel == generated.msel


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(",;'=+-@ \t\r\nab0")), max_size=12))
def test_a_csv_cell_reads_back_exactly_and_never_starts_a_formula(text: str) -> None:
    """Formula signs at the start or after a separator are quoted, typed quotes in those places too, so
    reading back gives exactly what was written (",@" and "\\n0" once did not)."""
    from exercises.documents.msel_sheet import csv_cell, csv_value

    written = csv_cell(text)
    assert csv_value(written) == text
    assert not written.startswith(("\t", "\r", "\n", "=", "+", "-", "@"))
    assert not re.search(r"^\s*[=+\-@]|[;,]\s*[=+\-@]", written)
