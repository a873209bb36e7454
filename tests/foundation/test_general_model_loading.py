"""The general incident model is checked like the rest of a scenario: every problem at once, with
file, line and field, in the planner's words (a development after an unknown one, with a did-you-mean;
a ring of developments that each wait for the next; a name that is not an agency; a field error in one
development that hides none of the others)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import GeneralModel

ROOT = Path(__file__).resolve().parents[2]
FLOOD = ROOT / "data" / "scenarios" / "river_flood.yaml"
SOURCE = FLOOD.read_text()


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data" / "plans", tmp_path / "plans")
    (tmp_path / "scenarios").mkdir()
    return tmp_path / "scenarios" / "river_flood.yaml"


def _line(needle: str, after: str = "") -> int:
    """The line of the first ``needle`` after the first ``after``."""
    lines = SOURCE.splitlines()
    start = next(n for n, line in enumerate(lines) if after in line) if after else 0
    return next(n for n, line in enumerate(lines[start:], start + 1) if needle in line)


def _problems(path: Path, text: str) -> list[str]:
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def _replace(text: str, old: str, new: str, after: str) -> str:
    """Replace the first ``old`` after the first ``after``."""
    at = text.index(after)
    return text[:at] + text[at:].replace(old, new, 1)


def test_the_flood_scenario_describes_its_incident_in_its_own_words() -> None:
    inc = load_scenario(FLOOD).simulation.incident
    assert isinstance(inc, GeneralModel)
    assert inc.names["levee_overtopped"] == "Levee overtopped at the Mill Creek low section"


def test_an_unknown_after_a_ring_of_afters_and_an_unknown_agency_come_out_together(path: Path) -> None:
    text = _replace(SOURCE, "after: levee_overtopped", "after: levee_overtoped", "- id: levee_breach")
    text = _replace(text, "after: action_stage", "after: river_crest", "- id: minor_flood_stage")
    text = _replace(text, "tells: [alder_eoc]", "tells: [alder_eco]", "- id: shelter_near_capacity")
    dev = "simulation.incident.developments"
    assert _problems(path, text) == [
        f"{path}:{_line('after: levee_overtopped', '- id: levee_breach')}: {dev}[5].after: comes after "
        "'levee_overtoped', which is not a development of the incident (did you mean 'levee_overtopped'?)",
        f"{path}:{_line('tells: [alder_eoc]', '- id: shelter_near_capacity')}: {dev}[7].tells[0]: "
        "unknown agency 'alder_eco' (did you mean 'alder_eoc'?)",
        f"{path}:{_line('after: action_stage')}: {dev}[1].after: these developments each come after the next "
        "in a ring, so none of them can happen: 'minor_flood_stage' -> 'river_crest' -> 'major_flood_stage' "
        "-> 'moderate_flood_stage' -> 'minor_flood_stage' (one of them must come after another development, "
        "or count from the start)",
    ]


def test_a_field_error_in_one_development_hides_no_problem_of_the_others(path: Path) -> None:
    text = _replace(SOURCE, "slows: 1.5}", "slows: 0.5}", "- id: levee_overtopped")
    text = _replace(text, "unit: marine_unit", "unit: marine_units", "- id: levee_breach")
    text = _replace(text, "      - {action: open_overflow_shelter, stops: true}",
                    "      - {action: open_overflow_shelters, stops: true}", "- id: shelter_full")
    dev = "simulation.incident.developments"
    assert _problems(path, text) == [
        f"{path}:{_line('slows: 1.5}')}: {dev}[4].responses[0].slows: Input should be greater than 1",
        f"{path}:{_line('unit: marine_unit')}: {dev}[5].demand[1].unit: Alder County Sheriff's Office has no "
        "units of type 'marine_units' (did you mean 'marine_unit'?)",
        f"{path}:{_line('action: open_overflow_shelter', '- id: shelter_full')}: {dev}[8].responses[0].action: "
        "action 'open_overflow_shelters' is not in the vocabulary (did you mean 'open_overflow_shelter'?)",
    ]
