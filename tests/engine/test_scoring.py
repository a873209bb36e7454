"""Protocol instances scored over a run's record: met, late, missed, open, out of order.

The cases are written as the journal entries the run would make (``of_entry`` gives their record)."""

from __future__ import annotations

from exercises.record.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    Development,
    InjectDelivered,
    NewEntry,
    Payload,
)
from sim_engine.record import of_entry
from sim_engine.scoring import score_protocols
from tests.engine.helpers import agency, inject, protocol, scenario

SC = scenario(
    [agency("fire"), agency("eoc"), agency("police")],
    msel=[inject("A", 0, ["fire"], raises=["reported"])],
    actions=["notify", "activate", "verify", "arrest", "brief"],
    events=["reported", "spread"],
    protocols=[
        protocol("NOT-01", "fire", "notify", {"kind": "event", "name": "reported"}, 600),
        protocol(
            "EOC-01", "eoc", "activate", {"kind": "action", "name": "notify", "agencies": ["fire"]}, 900
        ),
        protocol(
            "LEG-01", "police", "verify", {"kind": "action", "name": "arrest", "agencies": ["police"]}, None
        ),
        protocol("BRF-01", "eoc", "brief", {"kind": "exercise_start"}, 1800),
        protocol("SPR-01", "fire", "notify", {"kind": "event", "name": "spread"}, 300),
    ],
)


def e(at: float, agency_id: str | None, payload: Payload) -> NewEntry:
    return NewEntry(at=at, agency=agency_id, actor=ENGINE_ACTOR, payload=payload)


def outcomes(entries: list[NewEntry], end: float = 10_000.0) -> dict[str, list[tuple[str, float | None]]]:
    found: dict[str, list[tuple[str, float | None]]] = {}
    for inst in score_protocols(SC, [of_entry(entry) for entry in entries], end):
        found.setdefault(inst.protocol_id, []).append((inst.outcome, inst.response))
    return found


def test_each_trigger_instance_is_answered_by_its_own_action() -> None:
    entries = [
        e(100, None, InjectDelivered(inject_id="A", to=("fire",))),
        e(400, "fire", ActionLogged(action="notify")),  # NOT-01 #1 met after 300 s
        e(1000, None, InjectDelivered(inject_id="A", to=("fire",))),
        e(1700, "fire", ActionLogged(action="notify")),  # NOT-01 #2 late (700 s)
        e(2000, None, InjectDelivered(inject_id="A", to=("fire",))),  # #3 never answered
        e(9500, None, InjectDelivered(inject_id="A", to=("fire",))),  # #4 deadline after the end
    ]
    result = outcomes(entries)
    assert result["NOT-01"] == [("met", 300.0), ("late", 700.0), ("missed", None), ("open", None)]
    # EOC-01 starts on fire's first notify; the second, still unanswered, is a reminder of it (the EOC
    # never activated).
    assert result["EOC-01"] == [("missed", None)]
    assert result["BRF-01"] == [("missed", None)]  # exercise start: one instance at 0
    assert "LEG-01" not in result and "SPR-01" not in result


def test_action_triggers_count_only_the_named_agencies_and_developments_raise_events() -> None:
    entries = [
        e(10, "police", ActionLogged(action="notify")),  # not fire: no EOC-01 instance
        e(20, None, Development(model="fire", what="fire_spread", raises=("spread",))),
        e(200, "fire", ActionLogged(action="notify")),
        e(300, "eoc", ActionLogged(action="activate")),
        e(400, "eoc", ActionLogged(action="brief")),
    ]
    result = outcomes(entries)
    assert result["EOC-01"] == [("met", 100.0)]
    assert result["SPR-01"] == [("met", 180.0)]
    assert result["BRF-01"] == [("met", 400.0)]


def test_before_trigger_protocols_need_the_action_first() -> None:
    entries = [
        e(50, "police", ActionLogged(action="verify")),
        e(100, "police", ActionLogged(action="arrest")),  # met
        e(150, "police", ActionLogged(action="arrest")),  # met: the earlier verification stands
    ]
    assert outcomes(entries)["LEG-01"] == [("met", -50.0), ("met", -100.0)]
    late = [e(100, "police", ActionLogged(action="arrest")), e(200, "police", ActionLogged(action="verify"))]
    assert outcomes(late)["LEG-01"] == [("out_of_order", 100.0)]
    assert outcomes([e(100, "police", ActionLogged(action="arrest"))])["LEG-01"] == [("missed", None)]


def test_the_answer_must_follow_the_trigger_in_the_journal() -> None:
    # Same instant, but logged before the trigger: it does not answer it.
    entries = [
        e(100, "fire", ActionLogged(action="notify")),
        e(100, None, InjectDelivered(inject_id="A", to=("fire",))),
        e(200, "fire", ActionLogged(action="notify")),
    ]
    assert outcomes(entries)["NOT-01"] == [("met", 100.0)]
