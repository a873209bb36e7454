"""Loading scenario and plan files: every broken file gets one clear error naming file, line, field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exercises.scenario import loading
from exercises.scenario.loading import MAX_FILE_BYTES, ScenarioError, load_plan, load_scenario
from exercises.scenario.model import IncidentKind, Repeats, Scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"
EXAMPLE_PLAN = ROOT / "docs" / "example" / "plans" / "notification_basics.yaml"
SOURCE = EXAMPLE.read_text()
PLAN_SOURCE = EXAMPLE_PLAN.read_text()


pytestmark = pytest.mark.usefixtures("yaml_parser")
"""Every loading test, refusals included, runs with each YAML parser (tests/foundation/conftest.py)."""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle`` in ``text``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """A copy of the example's scenarios/ and plans/ folders that a test may break."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "scenarios")
    shutil.copytree(EXAMPLE_PLAN.parent, tmp_path / "plans")
    return tmp_path


def test_example_loads_with_resolved_protocols() -> None:
    sc = load_scenario(EXAMPLE)
    assert isinstance(sc, Scenario)
    assert sc.kind is IncidentKind.FACILITY_INCIDENT
    assert sc.duration == 7200
    assert [i.time for i in sc.msel] == [0, 1200, 1800]
    assert sc.agency("fire").resources == {"engine": 3, "ladder": 1}
    by_id = {p.id: p for p in sc.protocols}
    assert set(by_id) == {"IC-01", "NOT-01", "EOC-01"}
    assert by_id["EOC-01"].agency == "eoc"
    assert by_id["EOC-01"].trigger.kind == "action"
    assert by_id["EOC-01"].trigger.agencies == ("fire",)
    assert by_id["NOT-01"].within == 900
    assert by_id["EOC-01"].repeats is Repeats.REMINDER  # a notification chased is one request
    assert "contain_fire" in sc.vocabulary and "notify_eoc" in sc.vocabulary


def test_snapshot_round_trips_through_json() -> None:
    """The exercise service snapshots the scenario as JSON; reloading must give the same scenario."""
    sc = load_scenario(EXAMPLE)
    again = Scenario.model_validate_json(sc.model_dump_json(by_alias=True))
    assert again == sc


# (name, text transformation, expected message fragment, line the error must point at)
BROKEN_SCENARIOS: list[tuple[str, str, str, str, int]] = [
    (
        "unknown agency in an inject",
        "    to: fire\n    mode: radio\n    synopsis: Head",
        "    to: fier\n    mode: radio\n    synopsis: Head",
        "msel[1].to: unknown agency 'fier' (did you mean 'fire'?)",
        line_of(SOURCE, "to: fire", 1),
    ),
    (
        "unknown key",
        "sponsor: Town",
        "sponsr: Town",
        "sponsr: unknown field",
        line_of(SOURCE, "sponsor:"),
    ),
    (
        "time after the end of the scenario",
        'time: "00:30"',
        'time: "05:30"',
        "msel[2].time: 330 min is after the end of the scenario (120 min)",
        line_of(SOURCE, 'time: "00:30"'),
    ),
    (
        "negative latency",
        "latency: 1m",
        "latency: -1m",
        "links[1].latency: '-1m' is not a time",
        line_of(SOURCE, "latency: 1m"),
    ),
    (
        "a time without a unit",
        "latency: 1m",
        "latency: 60",
        "links[1].latency: 60 has no unit",
        line_of(SOURCE, "latency: 1m"),
    ),
    (
        "duplicate inject id",
        "  - id: WF-02",
        "  - id: WF-01",
        "msel[1].id: duplicate inject id 'WF-01'",
        line_of(SOURCE, "- id: WF-02"),
    ),
    (
        "duplicate agency id",
        "  - id: eoc\n",
        "  - id: operator\n",
        "agencies[2].id: duplicate agency id 'operator'",
        line_of(SOURCE, "- id: eoc"),
    ),
    (
        "an agency that cannot reach the lead agency",
        "  - {between: [fire, eoc], channel: phone, latency: 1m}\n",
        "",
        "agencies[2].id: agency 'eoc' has no link path to the lead agency 'fire'",
        line_of(SOURCE, "- id: eoc"),
    ),
    (
        "expected action outside the vocabulary",
        "expected_actions: [head_count]",
        "expected_actions: [headcount]",
        "msel[1].expected_actions[0]: action 'headcount' is not in the vocabulary (did you mean 'head_count'?)",
        line_of(SOURCE, "expected_actions: [head_count]"),
    ),
    (
        "impossible distribution",
        "median: 2m, p90: 5m",
        "median: 5m, p90: 2m",
        "agencies[0].response_delay: p90 must be above the median",
        line_of(SOURCE, "response_delay: {dist: lognormal"),
    ),
    (
        "unknown distribution",
        "dist: exponential",
        "dist: expo",
        "simulation.incident.spread_every: 'expo' is not one of",
        line_of(SOURCE, "spread_every:"),
    ),
    (
        "plan role left unbound",
        "roles: {command: fire, eoc: eoc}",
        "roles: {command: fire}",
        "response_plans[0].roles: plan 'notification_basics' needs role 'eoc' bound to an agency",
        line_of(SOURCE, "roles: {command: fire"),
    ),
    (
        "unknown response plan",
        "  - plan: notification_basics",
        "  - plan: notification_basic",
        "response_plans[0].plan: no response plan 'notification_basic' (did you mean 'notification_basics'?)",
        line_of(SOURCE, "- plan: notification_basics"),
    ),
    (
        "not a core capability",
        "    capability: Operational Communications\n    effect",
        "    capability: Operational Comms\n    effect",
        "msel[2].capability: 'Operational Comms' is not one of the 32 HSEEP core capabilities",
        line_of(SOURCE, "capability: Operational Communications"),
    ),
    (
        "communications failure on a link that does not exist",
        "effect: {link_down: [fire, operator]}",
        "effect: {link_down: [operator, eoc]}",
        "msel[2].effect.link_down: no link between 'operator' and 'eoc'",
        line_of(SOURCE, "effect: {link_down"),
    ),
    (
        "duplicate key",
        "duration: 2h\n",
        "duration: 2h\nduration: 3h\n",
        "duration: duplicate key",
        line_of(SOURCE, "duration: 2h") + 1,
    ),
    (
        "YAML alias",
        "location: Riverside port, warehouse 7",
        "location: &where Riverside port\nthreat2: *where",
        "anchors and aliases (&, *) are not allowed",
        line_of(SOURCE, "location:") + 1,
    ),
    (
        "bad YAML",
        "name: Town EOC",
        "name: [Town EOC",
        "a list in [ ] is not closed, or one of its items holds a colon or a comma: close it with ']' and "
        "put such items in quotes",
        line_of(SOURCE, "name: Town EOC"),
    ),
    (
        "a Python object tag (unsafe loading)",
        "location: Riverside port, warehouse 7",
        "location: !!python/object/apply:os.system ['true']",
        "location: YAML tags (!!python/object/apply:os.system) are not allowed",
        line_of(SOURCE, "location:"),
    ),
    (
        "missing required field",
        "threat_or_hazard: Structure fire\n",
        "",
        "threat_or_hazard: required field is missing",
        line_of(SOURCE, "id: warehouse_fire"),
    ),
    (
        "incident model does not fit the kind",
        "kind: facility_incident",
        "kind: mass_casualty",
        "simulation.incident.model: a mass_casualty scenario uses the 'casualties' model",
        line_of(SOURCE, "model: fire"),
    ),
    (
        "simulated action uses a unit nobody has",
        "uses: engine,",
        "uses: engines,",
        "simulation.actions.contain_fire.uses: no agency has units of type 'engines' (did you mean 'engine'?)",
        line_of(SOURCE, "contain_fire: {uses"),
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [case[1:] for case in BROKEN_SCENARIOS],
    ids=[case[0] for case in BROKEN_SCENARIOS],
)
def test_broken_scenario_names_file_line_and_field(
    workspace: Path, old: str, new: str, message: str, line: int
) -> None:
    assert old in SOURCE, "the test's anchor text must be in the example"
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    path.write_text(SOURCE.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    rendered = [str(p) for p in caught.value.problems]
    assert any(message in r for r in rendered), rendered
    hit = next(p for p in caught.value.problems if message in str(p))
    assert hit.file == str(path)
    assert hit.line == line, rendered
    assert str(hit).startswith(f"{path}:{line}: ")


def test_several_problems_are_reported_together(workspace: Path) -> None:
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    broken = SOURCE.replace("to: fire\n    mode: radio", "to: fier\n    mode: radio", 1).replace(
        "expected_actions: [head_count]", "expected_actions: [headcount]"
    )
    path.write_text(broken)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert len(caught.value.problems) == 2


def test_oversize_file_is_refused_before_parsing(workspace: Path) -> None:
    path = workspace / "scenarios" / "warehouse_fire.yaml"
    path.write_text(SOURCE + "#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError, match="the limit is 1,000,000"):
        load_scenario(path)


def test_alias_bomb_is_refused_quickly(workspace: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):
        prev = chr(ord("a") + n - 1)
        cur = chr(ord("a") + n)
        bomb.append(f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    path = workspace / "scenarios" / "bomb.yaml"
    path.write_text("\n".join(bomb) + "\n")
    with pytest.raises(ScenarioError, match="anchors and aliases"):
        load_scenario(path)


def test_not_utf8_and_not_a_mapping_and_empty(workspace: Path) -> None:
    path = workspace / "scenarios" / "x.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        load_scenario(path)
    path.write_text("# nothing here\n")
    with pytest.raises(ScenarioError, match="empty"):
        load_scenario(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "scenarios" / "nope.yaml", plans={})


# --- response-plan files ------------------------------------------------------------------

BROKEN_PLANS: list[tuple[str, str, str, str, int]] = [
    (
        "protocol names an action the plan does not declare",
        "must: activate_eoc",
        "must: activate_the_eoc",
        "protocols[2].must: action 'activate_the_eoc' is not in the plan's actions (did you mean 'activate_eoc'?)",
        line_of(PLAN_SOURCE, "must: activate_eoc"),
    ),
    (
        "protocol names an unknown role",
        "    who: eoc\n",
        "    who: ecc\n",
        "protocols[2].who: unknown role 'ecc' (did you mean 'eoc'?)",
        line_of(PLAN_SOURCE, "who: eoc"),
    ),
    (
        "protocol without a deadline",
        "    within: 30m\n",
        "",
        "protocols[2]: a protocol needs a deadline",
        line_of(PLAN_SOURCE, "- id: EOC-01"),
    ),
    (
        "duplicate protocol id",
        "  - id: NOT-01",
        "  - id: IC-01",
        "protocols[1].id: duplicate protocol id 'IC-01'",
        line_of(PLAN_SOURCE, "- id: NOT-01"),
    ),
    (
        "repeats on an event trigger (only a repeated request can be chased)",
        "    within: 10m\n    critical: true\n    capability: Operational Coordination\n    source: Town EOP section 5.1",
        "    within: 10m\n    repeats: new_request\n    critical: true\n    capability: Operational Coordination\n"
        "    source: Town EOP section 5.1",
        "protocols[0]: 'repeats' goes with an action trigger",
        line_of(PLAN_SOURCE, "- id: IC-01"),
    ),
    (
        "trigger with two kinds",
        "when: {event: incident_reported}\n    who: command\n    must: establish_command",
        "when: {event: incident_reported, action: notify_eoc}\n    who: command\n    must: establish_command",
        "protocols[0].when: name exactly one of",
        line_of(PLAN_SOURCE, "when: {event: incident_reported}"),
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [case[1:] for case in BROKEN_PLANS],
    ids=[case[0] for case in BROKEN_PLANS],
)
def test_broken_plan_names_file_line_and_field(
    workspace: Path, old: str, new: str, message: str, line: int
) -> None:
    assert old in PLAN_SOURCE
    path = workspace / "plans" / "notification_basics.yaml"
    path.write_text(PLAN_SOURCE.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_plan(path)
    rendered = [str(p) for p in caught.value.problems]
    hit = next((p for p in caught.value.problems if message in str(p)), None)
    assert hit is not None, rendered
    assert hit.line == line, rendered


def test_plan_id_must_match_file_name(workspace: Path) -> None:
    path = workspace / "plans" / "other_name.yaml"
    path.write_text(PLAN_SOURCE)
    with pytest.raises(ScenarioError, match="must match the file name 'other_name'"):
        load_plan(path)


def test_scenario_reports_broken_plan_folder(workspace: Path) -> None:
    (workspace / "plans" / "notification_basics.yaml").write_text(PLAN_SOURCE.replace("who: eoc", "who: ecc"))
    with pytest.raises(ScenarioError, match="unknown role 'ecc'"):
        load_scenario(workspace / "scenarios" / "warehouse_fire.yaml")


def test_same_role_triggers_and_answers_per_agency(workspace: Path) -> None:
    """'Each agency documents its own use of force': the trigger is bound to the answering agency."""
    plan = workspace / "plans" / "notification_basics.yaml"
    plan.write_text(
        PLAN_SOURCE.replace(
            "when: {action: notify_eoc, by: command}\n    who: eoc",
            "when: {action: notify_eoc, by: command}\n    who: command",
        )
    )
    scenario = workspace / "scenarios" / "warehouse_fire.yaml"
    scenario.write_text(SOURCE.replace("roles: {command: fire, eoc: eoc}", "roles: {command: [fire, operator], eoc: eoc}"))
    sc = load_scenario(scenario)
    eoc01 = {p.id: p for p in sc.protocols if p.id.startswith("EOC-01")}
    assert eoc01["EOC-01/fire"].trigger.agencies == ("fire",)
    assert eoc01["EOC-01/operator"].trigger.agencies == ("operator",)
    # A different role still triggers for everyone it is bound to.
    not01 = {p.id: p for p in sc.protocols if p.id.startswith("NOT-01")}
    assert set(not01) == {"NOT-01/fire", "NOT-01/operator"}


def test_protocol_ids_must_not_collide_across_plans(workspace: Path) -> None:
    clash = PLAN_SOURCE.replace("id: notification_basics", "id: second_plan").replace(
        "name: Basic Notification Plan", "name: Second Plan"
    )
    (workspace / "plans" / "second_plan.yaml").write_text(clash)
    scenario = workspace / "scenarios" / "warehouse_fire.yaml"
    scenario.write_text(
        SOURCE.replace(
            "    roles: {command: fire, eoc: eoc}\n",
            "    roles: {command: fire, eoc: eoc}\n  - plan: second_plan\n    roles: {command: fire, eoc: eoc}\n",
        )
    )
    with pytest.raises(ScenarioError, match="protocol id 'IC-01' is in both 'notification_basics' and 'second_plan'"):
        load_scenario(scenario)


@pytest.mark.parametrize("path", sorted([*(ROOT / "data" / "scenarios").glob("*.yaml"), *(ROOT / "data" / "plans").glob("*.yaml")]),
                         ids=lambda p: p.name)
def test_both_parsers_read_a_bundled_file_alike(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same fields, values and line numbers whichever parser reads the file."""
    if loading.CParser is None:
        pytest.skip("PyYAML here is built without libyaml")
    monkeypatch.setattr(loading, "USE_LIBYAML", True)
    fast = loading.read_yaml(path)
    monkeypatch.setattr(loading, "USE_LIBYAML", False)
    slow = loading.read_yaml(path)
    assert fast[0] == slow[0]
    assert fast[1].lines == slow[1].lines
