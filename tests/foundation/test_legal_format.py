"""Authorities, information categories and agreements in response plans: unknown functions,
categories, roles and agencies are errors with file, line and field, all reported at once; a message
recorded before categories existed hashes as it always did."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exercises.record.entries import MessageSent
from exercises.record.journal import canonical, sha256
from exercises.scenario.loading import ScenarioError, load_plan, load_scenario

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "data" / "plans" / "joint_task_force.yaml"
SCENARIO = ROOT / "data" / "scenarios" / "joint_warrant_operation.yaml"


def test_every_unknown_name_in_authorities_and_agreements_is_reported_at_once(tmp_path: Path) -> None:
    text = PLAN.read_text()
    text = text.replace("    functions: [criminal_arrest]\n", "    functions: [criminal_arest]\n", 1)
    text = text.replace("    supervised_by: federal_partner\n", "    supervised_by: federal_partnr\n", 1)
    text = text.replace("    categories: [pii, chri, victim_witness_identity]\n",
                        "    categories: [pii, chri, victim_identity]\n", 1)
    text = text.replace("    from: hospital\n", "    from: clinic\n", 1)
    text = text.replace("    log_onward: log_secondary_dissemination\n", "    log_onward: log_dissemination\n", 1)
    text = text.replace('label: "Arrest the subject of a criminal warrant", function: criminal_arrest}',
                        'label: "Arrest the subject of a criminal warrant", function: arrest}', 1)
    bad = tmp_path / "joint_task_force.yaml"
    bad.write_text(text)
    lines = text.splitlines()
    with pytest.raises(ScenarioError) as caught:
        load_plan(bad)
    found = {(p.field, p.line): p.message for p in caught.value.problems}
    expected = {
        "authorities[0].functions[0]": "criminal_arest",
        "authorities[2].supervised_by": "federal_partnr",
        "agreements[0].categories[2]": "victim_identity",
        "agreements[6].from": "clinic",
        "agreements[2].log_onward": "log_dissemination",
        "actions[0].function": "'arrest'",
    }
    assert {field for field, _ in found} == set(expected)
    for (field, line), message in found.items():
        assert expected[field].strip("'") in message
        assert line is not None and expected[field].strip("'") in lines[line - 1]
    assert "did you mean 'criminal_arrest'" in found[("authorities[0].functions[0]", _line(lines, "criminal_arest"))]


def _line(lines: list[str], text: str) -> int:
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_a_scenario_naming_an_unknown_category_or_function_or_leaving_a_role_unbound(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    (tmp_path / "scenarios").mkdir()
    for plan in ("joint_task_force", "public_information_media"):
        shutil.copy(ROOT / "data" / "plans" / f"{plan}.yaml", tmp_path / "plans")
    text = SCENARIO.read_text()
    text = text.replace("    categories: [pii, chri, immigration_status]\n", "    categories: [pii, chri, status]\n", 1)
    text = text.replace('  - {id: decline_request, label: "Decline a request for information that no agreement allows, and say why"}',
                        '  - {id: decline_request, label: "Decline a request", function: refuse}', 1)
    text = text.replace("      custody: county_jail\n", "", 1)
    path = tmp_path / "scenarios" / "joint_warrant_operation.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    fields = {p.field: p.message for p in caught.value.problems}
    assert "information category 'status'" in fields["msel[1].categories[2]"]
    assert "function 'refuse'" in next(m for f, m in fields.items() if f.endswith(".function"))
    assert "needs role 'custody' bound" in fields["response_plans[1].roles"]
    assert all(p.line for p in caught.value.problems)


def test_a_message_without_categories_is_stored_and_hashed_as_before() -> None:
    old = MessageSent(message_id="M7", to="hospital", text="Two patients on the way")
    assert canonical(old.model_dump(mode="json")) == (
        b'{"kind":"message_sent","message_id":"M7","text":"Two patients on the way","to":"hospital"}'
    )
    stored = MessageSent.model_validate_json(canonical(old.model_dump(mode="json")))
    assert stored.categories == ()
    carried = MessageSent(message_id="M7", to="hospital", text="x", categories=("medical",))
    assert sha256(canonical(carried.model_dump(mode="json"))) != sha256(canonical(old.model_dump(mode="json")))
