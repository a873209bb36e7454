"""Credit where it is due (issue 21, item 1): a live exercise whose EOC the simulation plays. The
report credits the simulation's results to no played agency (no strength, no rating, no area for
improvement), says whose they were, and the simulation sends nothing in a played agency's name."""

from __future__ import annotations

from datetime import date

from aar.model import AfterActionReport, RecordIntegrity, Status
from aar.report import build_report
from exercises.record.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    ClockEnded,
    Entry,
    MessageDelivered,
    MessageLost,
    MessageSent,
    ResourceRequested,
)
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import PlayedBy, Scenario
from sim_engine.live import clear_cache
from tests.engine.helpers import EXAMPLE, Journal

SCENARIO = load_scenario(EXAMPLE)
INTACT = RecordIntegrity(entries=0, intact=True, head_hash="ab" * 32)


def played(scenario: Scenario, entries: list[Entry], end: float) -> list[Entry]:
    """The fire players notify the EOC at 0:05; the simulated EOC activates; play ends at ``end``."""
    clear_cache()  # the live cache knows a scenario by its id; these variants share one
    journal = Journal(scenario, 42)
    journal.external(300.0, ActionLogged(action="notify_eoc"), agency="fire", actor="fire-player")
    for entry in entries:
        journal.external(entry.at, entry.payload, agency=entry.agency, actor=entry.actor)
    journal.external(end, ClockEnded(), agency=None, actor="controller")
    return journal.entries


def report(scenario: Scenario, entries: list[Entry]) -> AfterActionReport:
    return build_report(scenario, entries, exercise_name="Warehouse TTX", exercise_dates=(date(2026, 1, 5),) * 2,
                        integrity=INTACT)


def test_the_simulations_results_are_its_own_never_a_played_agencys() -> None:
    """The EOC-01 protocol (the simulated EOC activates once notified) is met by the simulation:
    shown as the simulation's, it is no strength, no area for improvement and carries no rating."""
    only_eoc = SCENARIO.model_copy(update={"protocols": tuple(
        p for p in SCENARIO.protocols if p.id != "IC-01")})  # Operational Coordination: the EOC's alone
    entries = played(only_eoc, [], 3600.0)
    assert any(e.actor == ENGINE_ACTOR and e.agency == "eoc" and isinstance(e.payload, ActionLogged)
               for e in entries)
    aar = report(only_eoc, entries)
    (eoc,) = [f for f in aar.findings if f.protocol_id == "EOC-01"]
    assert eoc.status is Status.MET and eoc.by_simulation
    strengths = [n.text for o in aar.objectives for n in o.strengths]
    assert strengths and not any("Town EOC" in s for s in strengths)
    assert aar.executive_summary is not None
    assert not any("Town EOC" in p.text for p in aar.executive_summary.strengths)
    assert "the simulation played (Town EOC)" in aar.executive_summary.overview
    coordination = [r for r in aar.table1 if r.capability == "Operational Coordination"]
    assert coordination and all(r.computed is None for r in coordination)
    assert "Only agencies the simulation played" in coordination[0].computed_reason
    # Fire's own notification (NOT-01) is fire's: rated and credited.
    assert any("EOC notified (Town Fire Department)" in s for s in strengths)


def test_an_agency_people_played_is_credited_even_if_the_scenario_says_simulation() -> None:
    """An EOC whose entries are people's (a controller or an imported log acting for it) is people's."""
    entries = played(SCENARIO, [Entry(seq=1, at=400.0, agency="eoc", actor="eoc-player",
                                      payload=ActionLogged(action="activate_eoc"))], 3600.0)
    assert SCENARIO.agency("eoc").played_by is PlayedBy.SIMULATION
    (eoc, *_) = [f for f in report(SCENARIO, entries).findings if f.protocol_id == "EOC-01"]
    assert not eoc.by_simulation


def test_the_simulation_sends_nothing_in_a_played_agencys_name() -> None:
    """Every player's action that triggers a protocol, with the EOC played too: no engine entry is a
    message, request or action of a played agency, and a message the engine carries from one is one
    its players sent (a player's own message, as the console sends it)."""
    both = SCENARIO.model_copy(update={"agencies": tuple(
        a.model_copy(update={"played_by": PlayedBy.PLAYERS}) if a.id == "eoc" else a for a in SCENARIO.agencies)})
    entries = played(both, [
        Entry(seq=1, at=400.0, agency="eoc", actor="eoc-player", payload=ActionLogged(action="activate_eoc")),
        Entry(seq=2, at=500.0, agency="eoc", actor="eoc-player", payload=MessageSent(
            message_id="p1", to="fire", text="EOC active")),
    ], 3600.0)
    people = {a.id for a in both.agencies if a.played_by is PlayedBy.PLAYERS}
    own = {e.payload.message_id for e in entries if isinstance(e.payload, MessageSent) and e.actor != ENGINE_ACTOR}
    for e in entries:
        if e.actor != ENGINE_ACTOR:
            continue
        p = e.payload
        if isinstance(p, MessageSent | ResourceRequested | ActionLogged):
            assert e.agency not in people, e
        if isinstance(p, MessageDelivered | MessageLost) and p.sender in people:
            assert p.message_id in own, e  # only the players' own messages, carried
