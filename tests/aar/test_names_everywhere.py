"""Names for people, from one rule: the console, the report, the ICS 214, the MSEL workbook, the
printed access codes and the command line word unit types and agencies the same way, never as ids."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aar.ics import ics214
from aar.model import RecordIntegrity
from aar.names import Names
from aar.render.pdf import render_pdf
from aar.report import build_report
from exercises.documents.msel_sheet import export_xlsx, parse_msel, read_msel_table
from exercises.record.entries import (
    ActionLogged,
    ClockEnded,
    ClockStarted,
    ObservationRecorded,
    ResourceAssigned,
    ResourceRequested,
)
from exercises.scenario.loading import load_scenario
from exercises.views import agency_log, describe, words
from exercises.views.wording import NameIndex, plural, unit_forms
from tests.aar.builders import Journal, pdf_text, squash

ROOT = Path(__file__).resolve().parents[2]
CIVIL = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"


@pytest.fixture(scope="module")
def civil():  # type: ignore[no-untyped-def]
    return load_scenario(CIVIL)


def _requests(scenario):  # type: ignore[no-untyped-def]
    """Police ask the EOC for 8 EOC staff; the EOC assigns them; police lend 2 LRAD teams to the sheriff."""
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller")
    j.add(5, "city_police", ResourceRequested(request_id="R2", to="eoc", unit_type="eoc_staff", count=8),
          actor="player:city_police (Dana Ruiz)")
    j.add(9, "eoc", ResourceAssigned(request_id="R2", requester="city_police", unit_type="eoc_staff", count=8,
                                     queue_wait=0.0), actor="player:eoc (Sam Okafor)")
    j.add(12, "county_sheriff", ResourceRequested(request_id="R4", to="city_police", unit_type="lrad_team", count=2),
          actor="player:county_sheriff (Lee Park)")
    j.add(60, None, ClockEnded(), actor="controller")
    return j.entries


def test_the_console_and_the_report_word_units_and_kinds_the_same(civil) -> None:  # type: ignore[no-untyped-def]
    entries = _requests(civil)
    injects = {i.id: i for i in civil.msel}
    console = [describe(e, civil, injects, words(civil, entries)) for e in entries]
    assert "Request to Harlan County Emergency Operations Centre for 8 EOC staff" in console
    assert "8 EOC staff assigned to Riverton Police Department" in console
    police_log = [i.summary for i in agency_log(civil, entries, "city_police")]
    assert "Request to Harlan County Emergency Operations Centre for 8 EOC staff" in police_log

    names = Names.of(civil)
    assert names.units("eoc_staff", 8) == words(civil).units(8, "eoc_staff") == "8 EOC staff"
    assert names.units("lrad_team", 2) == "2 LRAD teams" and names.units("lrad_team", 1) == "1 LRAD team"
    report = build_report(civil, entries, exercise_name="Names TTX", exercise_dates=(date(2026, 5, 2),) * 2,
                          integrity=RecordIntegrity(entries=len(entries), intact=True, head_hash=None))
    text = squash(pdf_text(render_pdf(report)))
    # Appendix B and the requests table say what the console says.
    for phrase in ("8 EOC staff", "2 LRAD teams", "8 supervisors", "Federal Protective Service, Riverton Area Command",
                   "EMS", "Law enforcement", "Emergency management"):
        assert squash(phrase) in text, phrase
    for wrong in ("eocstaff", "lradteam", "8supervisor,", "EOCstaffs", "staffs"):
        assert wrong not in text, wrong
    assert not re.search(r"\bems\b", pdf_text(render_pdf(report)))


def test_the_ics_214_names_units_as_the_console_does(civil) -> None:  # type: ignore[no-untyped-def]
    entries = _requests(civil)
    form = ics214(civil, entries, "city_police", incident_name="Names TTX", day=date(2026, 5, 2))
    resources = {r.name for r in form.resources}
    assert {"2 LRAD teams", "8 supervisors", "20 patrol units"} <= resources
    assert "Requested 8 EOC staff (request R2) from Harlan County Emergency Operations Centre" in {
        a.text for a in form.activities}


def test_the_ics_214_blocks_hold_what_the_form_asks(civil) -> None:  # type: ignore[no-untyped-def]
    """Block 3 the person who kept the log, 4 an ICS position, 5 the agency, 6 its people (not the
    evaluator who wrote about it) and units, 8 the person and position who prepared it."""
    entries = _requests(civil)
    j = Journal()
    j.entries = entries[:-1]
    j.add(20, "city_police", ActionLogged(action="establish_command"), actor="player:city_police (Dana Ruiz)")
    j.add(25, "city_police", ObservationRecorded(capability="Operational Coordination", text="Good briefing"),
          actor="evaluator (Pat Evans)")
    j.add(60, None, ClockEnded(), actor="controller")
    form = ics214(civil, j.entries, "city_police", incident_name="Names TTX", day=date(2026, 5, 2))
    assert (form.name, form.position, form.home_agency) == ("Dana Ruiz", "Incident Commander", "Riverton Police Department")
    assert (form.prepared_by, form.prepared_position) == ("Dana Ruiz", "Incident Commander")
    people = [r for r in form.resources if r.position == "Incident Commander"]
    assert [r.name for r in people] == ["Dana Ruiz"]  # the evaluator is no police resource
    assert not any("Pat Evans" in r.name for r in form.resources)
    assert ics214(civil, j.entries, "eoc", incident_name="x", day=date(2026, 5, 2)).position == "Agency Representative"
    pio = ics214(civil, j.entries, "city_pio", incident_name="x", day=date(2026, 5, 2))
    assert pio.position == "Public Information Officer" and pio.name == "Not recorded"
    assert pio.prepared_by == "Exercise control"
    fire = ics214(civil, j.entries, "city_fire", incident_name="x", day=date(2026, 5, 2))
    assert fire.name == "Played by the simulation cell"


def test_a_scenario_may_name_its_unit_types_and_a_wrong_one_is_named(tmp_path: Path) -> None:
    text = CIVIL.read_text()
    named = text.replace("lead_agency: city_police\n", "lead_agency: city_police\nunit_types:\n"
                         "  mobile_comms_unit: Mobile communications unit\n"
                         "  pio_staff: {name: public information officer, plural: public information officers}\n")
    sc = load_scenario(CIVIL, text=named)
    assert Names.of(sc).units("mobile_comms_unit", 1) == "1 Mobile communications unit"
    assert words(sc).units(3, "pio_staff") == "3 public information officers"
    bad = text.replace("lead_agency: city_police\n", "lead_agency: city_police\nunit_types:\n  lrad_teams: LRAD\n")
    with pytest.raises(Exception, match=r"unit_types\.lrad_teams.*no agency has units of type 'lrad_teams'.*lrad_team"):
        load_scenario(CIVIL, text=bad)


@given(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True), min_size=1, max_size=4), st.integers(2, 999))
def test_a_unit_type_never_reads_as_an_id(parts: list[str], count: int) -> None:
    one, many = unit_forms("_".join(parts))
    assert "_" not in one and "_" not in many
    assert many == plural(one, count)


def test_the_msel_workbook_writes_names_and_reads_names_or_ids(civil) -> None:  # type: ignore[no-untyped-def]
    data = export_xlsx(civil)
    ws = openpyxl.load_workbook(io.BytesIO(data))["MSEL"]
    header = [c.value for c in ws[2]]
    first = next(i for i in civil.msel if i.expected_actions)
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == first.id)
    cells = dict(zip(header, row, strict=False))
    names = {a.id: a.name for a in civil.agencies}
    assert cells["To"] == "; ".join(names[t] for t in first.to)
    assert cells["From"] == {"simcell": "Simulation cell", "controller": "Controller"}.get(first.from_,
                                                                                         names.get(first.from_))
    assert cells["Expected Player Actions"] == "; ".join(civil.vocabulary[a] for a in first.expected_actions)
    # Read back: the names are the same injects as the ids (the round trip is exact).
    back = parse_msel(read_msel_table(data, "msel.xlsx"), _raw(civil), {})
    again = next(i for i in back if i["id"] == first.id)
    assert again["to"] == list(first.to) and again["expected_actions"] == list(first.expected_actions)


def _raw(scenario):  # type: ignore[no-untyped-def]
    return {"agencies": [{"id": a.id, "name": a.name} for a in scenario.agencies],
            "actions": [{"id": k, "label": v} for k, v in scenario.vocabulary.items()]}


def test_names_are_found_in_any_case_and_a_name_holding_a_comma_stays_whole() -> None:
    index = NameIndex([("fps", "Federal Protective Service, Riverton Area Command"),
                       ("city_police", "Riverton Police Department"), ("a", "Twin"), ("b", "Twin")])
    assert index.split("city_police, Federal Protective Service, Riverton Area Command; riverton police DEPARTMENT") == [
        "city_police", "fps", "city_police"]
    assert index.find("Twin") is None  # ambiguous: written and read as ids
    assert not index.unique("a", "Twin") and index.unique("fps", "Federal Protective Service, Riverton Area Command")


def test_appendix_c_names_the_people_who_ran_the_exercise(civil) -> None:  # type: ignore[no-untyped-def]
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller (J. Moss)")
    j.add(3, "city_police", ActionLogged(action="establish_command"), actor="player:city_police (Dana Ruiz)")
    j.add(4, "city_police", ObservationRecorded(capability="Operational Coordination", text="Quick"),
          actor="evaluator (R. Chen)")
    j.add(30, None, ClockEnded(), actor="controller (operator)")  # the command line: nobody's name
    report = build_report(civil, j.entries, exercise_name="Names TTX", exercise_dates=(date(2026, 5, 2),) * 2,
                          integrity=RecordIntegrity(entries=len(j.entries), intact=True, head_hash=None))
    people = [(c.role, c.name) for c in report.points_of_contact]
    assert ("Controller", "J. Moss") in people and ("Evaluator", "R. Chen") in people
    assert not any(name in ("operator", "Dana Ruiz") for _, name in people)
    assert ("Exercise director", "Dana Whitfield") in people  # the scenario's own contacts stay
    text = squash(pdf_text(render_pdf(report)))
    assert squash("Controller J. Moss") in text and squash("Evaluator R. Chen") in text


BUILT_IN = ("mass_casualty", "civil_disturbance", "facility_fire")


@pytest.mark.parametrize("scenario_id", BUILT_IN)
def test_the_simulation_s_developments_and_trust_read_as_words_in_the_console_and_the_report(scenario_id: str) -> None:
    """Crowds, patients, fires and the community's trust are worded from what the run recorded, by
    one rule: the console's line and the report's line for each development are the same words, with
    no id in them ("crowd_escalated", "hospital_a", "unanswered_rumour")."""
    from exercises.record.entries import Development, Entry, TrustChanged
    from sim_engine.batch.runs import run_once

    scenario = load_scenario(ROOT / "data" / "scenarios" / f"{scenario_id}.yaml")
    journal = [Entry(seq=i, **e.model_dump()) for i, e in enumerate(run_once(scenario, seed=5), start=1)]
    injects, said, names = {i.id: i for i in scenario.msel}, words(scenario, journal), Names.of(scenario)
    worded = [(e, describe(e, scenario, injects, said)) for e in journal
              if isinstance(e.payload, Development | TrustChanged)]
    assert any(isinstance(e.payload, Development) for e, _ in worded), "a run of a built-in model develops"
    for entry, line in worded:
        assert "_" not in line, line  # the ids of developments, hospitals and drivers all have one
        if isinstance(entry.payload, Development):
            assert line == names.development(entry.payload, entry.agency)
