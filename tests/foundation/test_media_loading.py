"""The scenario's media section is validated like the rest: every problem with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.media_templates import fill, placeholders

ROOT = Path(__file__).resolve().parents[2]
CIVIL = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
SOURCE = CIVIL.read_text()


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


BROKEN = [
    ("outlet: liberty_collective\n      started_by: {inject: CD-04}", "outlet: liberty_colective\n      started_by: {inject: CD-04}",
     "media.rumours[0].outlet", "did you mean 'liberty_collective'", "outlet: liberty_colective"),
    ("started_by: {inject: CD-08}", "started_by: {inject: CD-99}", "media.rumours[1].started_by.inject",
     "inject 'CD-99' is not declared", "CD-99"),
    ("{time}: {agency} moves", "{time}: {agencyy} moves", "media.reactions[0].text",
     "{agencyy} is not a fact a template can name", "{agencyy} moves"),
    ("    - when: {action: kettle_crowd}", "    - when: {action: kettle}", "media.reactions[1].when.action",
     "action 'kettle' is not declared", "when: {action: kettle}"),
    ("      topic: mass_arrests\n      text:", "      topic: arrests\n      text:", "media.reactions[2].topic",
     "topic 'arrests' is not declared", "topic: arrests"),
    ("      steepness: 7m\n", "      steepness: 0s\n", "media.rumours[0]",
     "steepness and half_life must be above zero", "- id: riot_squads"),
    ("  silence_after: 45m\n", "", "media.reactions[5].when.silence",
     "a silence reaction needs 'silence_after'", "when: {silence: true}"),
    ("      peak: 20000\n", "      peek: 20000\n", "media.rumours[0].peek", "unknown field", "peek: 20000"),
    ("      use_crowd_control_force: -6\n", "      use_crowd_control_force: -600\n",
     "media.trust.actions.use_crowd_control_force", "greater than or equal to -100", "use_crowd_control_force: -600"),
    ("    - when: {action: detention_made}", "    - when: {action: detention_made, statement: true}",
     "media.reactions[2].when", "name exactly one of", "statement: true}"),
]


@pytest.mark.parametrize(("old", "new", "field", "message", "at"), BROKEN, ids=[b[2] + ":" + b[3][:20] for b in BROKEN])
def test_a_broken_media_section_names_file_line_and_field(old: str, new: str, field: str, message: str, at: str) -> None:
    assert SOURCE.count(old) >= 1, old
    text = SOURCE.replace(old, new, 1)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(CIVIL, text=text)
    found = [p for p in caught.value.problems if p.field == field]
    assert found, [str(p) for p in caught.value.problems]
    assert message in found[0].message
    assert found[0].file == str(CIVIL)
    assert found[0].line == line_of(text, at)


def test_every_problem_of_the_media_section_is_reported_at_once() -> None:
    text = SOURCE.replace("started_by: {inject: CD-08}", "started_by: {inject: CD-99}").replace(
        "{time}: {agency} moves", "{time}: {agencyy} moves"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(CIVIL, text=text)
    assert {p.field for p in caught.value.problems} == {"media.rumours[1].started_by.inject", "media.reactions[0].text"}


def test_a_scenario_without_spokespeople_or_a_pio_is_refused() -> None:
    text = SOURCE.replace("    kind: public_information\n", "    kind: other\n", 1)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(CIVIL, text=text)
    assert any("name 'spokespeople'" in p.message and p.field == "media" for p in caught.value.problems)


def test_templates_are_filled_by_substitution_only() -> None:
    facts = {"agency": "{location}", "location": "Main St"}
    assert placeholders("{agency} at {location} {0} {a.b}") == ["agency", "location", "0", "a.b"]
    # A fact's value is inserted as it is (never read as a template); unknown names stay as written.
    assert fill("{agency} at {location} {0} {a.__class__} {{x}}", facts) == "{location} at Main St {0} {a.__class__} {{x}}"
