"""The five bundled scenarios meet the bar an emergency manager would expect of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.scenario.capabilities import CORE_CAPABILITIES
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import IncidentKind, PlayedBy, Scenario

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = {
    "civil_disturbance.yaml": IncidentKind.CIVIL_DISTURBANCE,
    "mass_casualty.yaml": IncidentKind.MASS_CASUALTY,
    "facility_fire.yaml": IncidentKind.FACILITY_INCIDENT,
    "joint_warrant_operation.yaml": IncidentKind.CIVIL_DISTURBANCE,
    "river_flood.yaml": IncidentKind.NATURAL_HAZARD,
}


@pytest.fixture(scope="module", params=sorted(BUNDLED))
def bundled(request: pytest.FixtureRequest) -> tuple[str, Scenario]:
    name = request.param
    return name, load_scenario(ROOT / "data" / "scenarios" / name)


def test_kind_and_size(bundled: tuple[str, Scenario]) -> None:
    name, sc = bundled
    assert sc.kind is BUNDLED[name]
    assert len(sc.agencies) >= 8
    assert len(sc.msel) >= 25
    assert sum(1 for i in sc.msel if i.condition) >= 3, "several contingency injects"
    assert any(i.effect and i.effect.link_down for i in sc.msel), "at least one communications failure"
    assert 3 <= sum(1 for a in sc.agencies if a.played_by is PlayedBy.PLAYERS) < len(sc.agencies)


def test_protocols_from_two_plans_mapped_to_capabilities(bundled: tuple[str, Scenario]) -> None:
    _, sc = bundled
    assert len(sc.protocols) >= 15
    assert len({p.plan for p in sc.protocols}) >= 2
    assert "interagency_notification" in {p.plan for p in sc.protocols}
    assert all(p.capability in CORE_CAPABILITIES for p in sc.protocols)
    assert any(p.critical for p in sc.protocols)
    assert all(p.source for p in sc.protocols)


def test_every_protocol_can_be_triggered(bundled: tuple[str, Scenario]) -> None:
    """A protocol whose trigger event no inject, media rumour or incident development raises could never
    be scored: a design error."""
    _, sc = bundled
    raised = {e for i in sc.msel for e in i.raises}
    raised |= {e for r in (sc.media.rumours if sc.media else ()) for e in r.raises}
    raised |= {e for events in sc.simulation.development_raises.values() for e in events}
    for proto in sc.protocols:
        if proto.trigger.kind == "event":
            assert proto.trigger.name in raised, f"{proto.id}: no inject or rumour raises {proto.trigger.name!r}"


def test_msel_in_time_order_within_duration(bundled: tuple[str, Scenario]) -> None:
    _, sc = bundled
    times = [i.time for i in sc.msel]
    assert times == sorted(times), "the MSEL is written in scenario-time order"
    assert sc.duration >= 3 * 3600
    assert max(times) <= sc.duration


def test_objectives_cover_the_injects(bundled: tuple[str, Scenario]) -> None:
    _, sc = bundled
    assert 3 <= len(sc.objectives) <= 6
    objective_caps = {c for o in sc.objectives for c in o.capabilities}
    assert {p.capability for p in sc.protocols if p.critical} <= objective_caps | {
        i.capability for i in sc.msel
    }


def test_the_joint_operation_holds_its_agencies_to_authorities_agreements_and_rights_steps() -> None:
    """The fourth scenario: ten or more agencies, thirty or more injects, every authority and agreement
    citing its source, rights steps as protocols, and a documented pitfall for players to catch."""
    sc = load_scenario(ROOT / "data" / "scenarios" / "joint_warrant_operation.yaml")
    assert len(sc.agencies) >= 10 and len(sc.msel) >= 30
    assert {a.agency for a in sc.authorities} == {"marlow_police", "ice_ero", "county_jail"}
    assert all(a.source for a in (*sc.authorities, *sc.agreements))
    rights = {p.id for p in sc.protocols if p.rights_step}
    assert rights == {"JTF-BWC-01", "JTF-BWC-02", "JTF-LEP-01", "JTF-CNS-01", "JTF-MED-01"}
    assert {"immigration_status", "chri", "medical", "juvenile"} <= set(sc.categories)
    assert any(i.categories for i in sc.msel)
    [pitfall] = sc.simulation.pitfalls
    assert pitfall.why and 0 < pitfall.probability < 1
