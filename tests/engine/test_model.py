"""The SimPy model: simulated agencies act by their protocols with their units, ask for mutual aid,
carry notifications across the network, follow the MSEL, and incidents develop."""

from __future__ import annotations

from typing import Any

from exercises.record.entries import (
    ActionLogged,
    Development,
    InjectDelivered,
    InjectSkipped,
    MessageDelivered,
    NewEntry,
    ResourceAssigned,
    ResourceReleased,
    ResourceRequested,
)
from sim_engine.batch.runs import run_once
from tests.engine.helpers import agency, inject, link, protocol, scenario

FIXED = {"dist": "fixed", "value": 0.0}


def fixed(seconds: float) -> dict[str, Any]:
    return {"dist": "fixed", "value": seconds}


def actions_of(entries: list[NewEntry]) -> list[tuple[float, str | None, str]]:
    return [(e.at, e.agency, e.payload.action) for e in entries if isinstance(e.payload, ActionLogged)]


def developments(entries: list[NewEntry]) -> list[Development]:
    return [e.payload for e in entries if isinstance(e.payload, Development)]


def test_busy_units_mean_queueing_first_come_first_served() -> None:
    sc = scenario(
        [agency("fire", engine=1, delay=10)],
        msel=[
            inject("A", 0, ["fire"], expected_actions=["pump"]),
            inject("B", 60, ["fire"], expected_actions=["pump"]),
        ],
        actions=["pump"],
        simulation={"actions": {"pump": {"uses": "engine", "duration": fixed(300)}}},
    )
    entries = run_once(sc, seed=1)
    assigned = [(e.at, e.payload.queue_wait) for e in entries if isinstance(e.payload, ResourceAssigned)]
    assert assigned == [(10.0, 0.0), (310.0, 240.0)]  # B asked at 70 s, got the engine when A released it
    assert actions_of(entries) == [(10.0, "fire", "pump"), (310.0, "fire", "pump")]
    released = [e.at for e in entries if isinstance(e.payload, ResourceReleased)]
    assert released == [310.0, 610.0]


def test_mutual_aid_from_a_linked_neighbour() -> None:
    sc = scenario(
        [agency("town", delay=0), agency("county", engine=2), agency("state", engine=9)],
        links=[link("town", "county", 100), link("town", "state", 200)],
        msel=[inject("A", 0, ["town"], expected_actions=["pump"])],
        actions=["pump"],
        simulation={
            "actions": {"pump": {"uses": "engine", "duration": fixed(600)}},
            "message_handling": fixed(30),
        },
    )
    entries = run_once(sc, seed=1)[1:]
    kinds = [(e.at, e.agency, type(e.payload).__name__) for e in entries]
    assert kinds == [
        (0.0, "town", "ResourceRequested"),
        (100.0, "county", "MessageDelivered"),
        (130.0, "county", "ResourceAssigned"),
        (130.0, "town", "ActionLogged"),
        (730.0, "county", "ResourceReleased"),
    ]
    request = entries[0].payload
    assert isinstance(request, ResourceRequested) and request.to == "county" and request.unit_type == "engine"
    assigned = entries[2].payload
    assert isinstance(assigned, ResourceAssigned) and assigned.requester == "town"


def test_without_mutual_aid_an_agency_short_of_a_unit_cannot_act() -> None:
    sc = scenario(
        [agency("town"), agency("county", engine=2)],
        links=[link("town", "county", 100)],
        msel=[inject("A", 0, ["town"], expected_actions=["pump"])],
        actions=["pump"],
        simulation={"actions": {"pump": {"uses": "engine", "duration": fixed(600)}}, "mutual_aid": False},
    )
    assert run_once(sc, seed=1)[1:] == []


def test_an_action_triggers_protocols_across_the_network() -> None:
    sc = scenario(
        [agency("fire", delay=60), agency("dispatch", delay=5), agency("eoc", delay=120)],
        links=[link("fire", "dispatch", 10), link("dispatch", "eoc", 50)],
        msel=[inject("A", 0, ["fire"], raises=["incident_reported"])],
        actions=["notify_eoc", "activate_eoc"],
        events=["incident_reported"],
        protocols=[
            protocol("NOT-01", "fire", "notify_eoc", {"kind": "event", "name": "incident_reported"}),
            protocol(
                "EOC-01",
                "eoc",
                "activate_eoc",
                {"kind": "action", "name": "notify_eoc", "agencies": ["fire"]},
            ),
        ],
        simulation={"message_handling": fixed(30)},
    )
    entries = run_once(sc, seed=1)
    note = next(e for e in entries if isinstance(e.payload, MessageDelivered))
    assert note.payload.path == ("fire", "dispatch", "eoc") and note.payload.about == "notify_eoc"
    assert note.at == 60 + 10 + 50
    # Read the notification (30 s), respond after the EOC's delay (120 s).
    assert actions_of(entries) == [(60.0, "fire", "notify_eoc"), (60 + 60 + 30 + 120, "eoc", "activate_eoc")]


def test_prerequisites_come_first_and_standing_orders_at_the_start() -> None:
    sc = scenario(
        [agency("police", delay=30), agency("sheriff", delay=45)],
        links=[link("police", "sheriff", 10)],
        msel=[inject("A", 600, ["police"], expected_actions=["arrest", "verify_authority"])],
        actions=["arrest", "verify_authority", "cameras_on"],
        protocols=[
            protocol(
                "LEG-01",
                "police",
                "verify_authority",
                {"kind": "action", "name": "arrest", "agencies": ["police"]},
                None,
            ),
            protocol(
                "BWC-01",
                "sheriff",
                "cameras_on",
                {"kind": "action", "name": "arrest", "agencies": ["police"]},
                None,
            ),
        ],
    )
    entries = run_once(sc, seed=1)
    assert actions_of(entries) == [
        (
            45.0,
            "sheriff",
            "cameras_on",
        ),  # the sheriff cannot see police arrests coming: cameras on from the start
        (630.0, "police", "verify_authority"),  # done once, as the arrest's prerequisite
        (630.0, "police", "arrest"),
    ]


def test_expected_actions_go_to_the_recipient_that_owns_them() -> None:
    sc = scenario(
        [agency("police"), agency("ems", ambulance=2), agency("pio")],
        links=[link("police", "ems", 1), link("police", "pio", 1)],
        msel=[
            inject("A", 0, ["police", "ems", "pio"], expected_actions=["transport", "statement", "assess"]),
        ],
        actions=["transport", "statement", "assess"],
        events=["x"],
        protocols=[protocol("PIO-01", "pio", "statement", {"kind": "event", "name": "x"})],
        simulation={"actions": {"transport": {"uses": "ambulance", "duration": fixed(60)}}},
    )
    performed = {(agency_id, action) for _, agency_id, action in actions_of(run_once(sc, seed=1))}
    # statement: the protocol holder; transport: the recipient with ambulances; assess: the first recipient.
    assert performed == {("pio", "statement"), ("ems", "transport"), ("police", "assess")}


def test_contingency_injects_fire_only_when_their_condition_holds() -> None:
    sc = scenario(
        [agency("fire", delay=100)],
        msel=[
            inject("A", 0, ["fire"], expected_actions=["count"]),
            inject("IF-NOT", 50, ["fire"], condition={"action": "count", "happened": False}),
            inject(
                "IF-DONE", 200, ["fire"], condition={"action": "count", "happened": True, "by_agency": "fire"}
            ),
            inject("TOO-LATE", 300, ["fire"], condition={"action": "count", "happened": False}),
        ],
        actions=["count"],
    )
    entries = run_once(sc, seed=1)
    delivered = [e.payload.inject_id for e in entries if isinstance(e.payload, InjectDelivered)]
    skipped = [e.payload for e in entries if isinstance(e.payload, InjectSkipped)]
    assert delivered == ["A", "IF-NOT", "IF-DONE"]
    assert [s.inject_id for s in skipped] == ["TOO-LATE"]
    assert skipped[0].reason == "count had already been logged"


def test_a_development_raises_events_that_start_protocols() -> None:
    sc = scenario(
        [agency("fire", delay=20)],
        events=["fire_spreads"],
        actions=["call_second_alarm"],
        protocols=[
            protocol("FIRE-02", "fire", "call_second_alarm", {"kind": "event", "name": "fire_spreads"})
        ],
        simulation={
            "incident": {
                "model": "fire",
                "zones": 3,
                "spread_every": fixed(600),
                "contain_action": "contain",
                "occupants": 0,
                "seconds_per_person": 0,
                "evacuate_action": "evacuate",
            },
            "raises": {"fire_spread": ["fire_spreads"]},
        },
    )
    entries = run_once(sc, seed=1)
    spreads = [(e.at, e.payload.raises) for e in entries if isinstance(e.payload, Development)]
    assert spreads == [(600.0, ("fire_spreads",)), (1200.0, ("fire_spreads",))]
    assert actions_of(entries) == [
        (620.0, "fire", "call_second_alarm"),
        (1220.0, "fire", "call_second_alarm"),
    ]


def fire_scenario(contain_at: float | None) -> Any:
    msel = [inject("A", contain_at, ["fire"], expected_actions=["contain", "evacuate"])] if contain_at else []
    return scenario(
        [agency("fire", engine=2, delay=0)],
        msel=msel,
        simulation={
            "actions": {"contain": {"uses": "engine", "duration": fixed(900)}},
            "incident": {
                "model": "fire",
                "zones": 5,
                "spread_every": fixed(600),
                "contain_action": "contain",
                "occupants": 40,
                "seconds_per_person": 15,
                "evacuate_action": "evacuate",
                "injured_per_zone": 2,
            },
        },
    )


def test_fire_spreads_until_contained_and_evacuation_takes_time_per_person() -> None:
    unchecked = developments(run_once(fire_scenario(None), seed=1))
    assert [d.detail["zones_burning"] for d in unchecked] == [2, 3, 4, 5]
    assert unchecked[0].detail["injured"] == 2
    entries = run_once(fire_scenario(700.0), seed=1)
    timeline = [(e.at, e.payload.what) for e in entries if isinstance(e.payload, Development)]
    assert timeline == [
        (600.0, "fire_spread"),
        (1200.0, "fire_spread"),  # still spreading while the engines work (700 s to 1,600 s)
        (700.0 + 40 * 15, "evacuation_complete"),
        (1600.0, "fire_contained"),
    ]


def crowd_scenario(calming_at: list[float]) -> Any:
    return scenario(
        [agency("police", delay=0)],
        msel=[
            inject(f"C{k}", t, ["police"], expected_actions=["dialogue"]) for k, t in enumerate(calming_at)
        ],
        actions=["dialogue", "kettle"],
        kind="civil_disturbance",
        duration=4 * 3600,
        simulation={
            "incident": {
                "model": "crowd",
                "initial_size": 1000,
                "growth_per_hour": 500,
                "max_size": 2500,
                "levels": ["calm", "tense", "disorderly", "violent"],
                "escalate_every": fixed(1800),
                "calming_actions": ["dialogue"],
                "inflaming_actions": ["kettle"],
            }
        },
    )


def test_a_crowd_escalates_unless_the_response_calms_it() -> None:
    left_alone = developments(run_once(crowd_scenario([]), seed=1))
    assert [(d.what, d.detail["level_name"]) for d in left_alone] == [
        ("crowd_escalated", "tense"),
        ("crowd_escalated", "disorderly"),
        ("crowd_escalated", "violent"),
    ]
    assert [d.detail["size"] for d in left_alone] == [1250, 1500, 1750]
    # One calming action in each 30-minute interval holds the crowd where it is.
    assert developments(run_once(crowd_scenario([900.0 + 1800 * k for k in range(8)]), seed=1)) == []
    # Left alone for the first interval, then two calming actions: back down a level.
    calmed = developments(run_once(crowd_scenario([2000.0, 2100.0]), seed=1))
    assert [(d.what, d.detail["level_name"]) for d in calmed][:2] == [
        ("crowd_escalated", "tense"),
        ("crowd_calmed", "calm"),
    ]


def casualty_scenario(transports: int, beds: int) -> Any:
    return scenario(
        [agency("ems", ambulance=10), agency("near_hospital", bed=beds), agency("far_hospital", bed=50)],
        links=[link("ems", "near_hospital", 10), link("ems", "far_hospital", 100)],
        msel=[inject(f"T{k}", 600 + k, ["ems"], expected_actions=["transport"]) for k in range(transports)],
        actions=["treat", "transport"],
        kind="mass_casualty",
        simulation={
            "actions": {"transport": {"uses": "ambulance", "duration": fixed(1200)}},
            "incident": {
                "model": "casualties",
                "patients": {"red": 2, "yellow": 3, "green": 1},
                "arrive_over": 300,
                "yellow_to_red": fixed(3600),
                "red_to_black": fixed(1800),
                "treat_action": "treat",
                "transport_action": "transport",
                "bed_unit": "bed",
            },
        },
    )


def test_patients_deteriorate_without_care() -> None:
    entries = run_once(casualty_scenario(0, beds=5), seed=1)
    changes = [(d.what, d.detail["category"]) for d in developments(entries) if d.what != "patient_arrived"]
    assert sorted(changes) == sorted([("patient_died", "black")] * 5 + [("patient_deteriorated", "red")] * 3)


def test_transported_patients_fill_the_nearest_hospital_first() -> None:
    sc = casualty_scenario(3, beds=2)
    # Hospital kinds: the helper makes agencies of kind 'other'; the casualty model needs hospitals.
    data = sc.model_dump(by_alias=True)
    for a in data["agencies"]:
        if a["id"].endswith("hospital"):
            a["kind"] = "hospital"
    sc = type(sc).model_validate(data)
    entries = run_once(sc, seed=1)
    beds = [
        (e.at, e.agency)
        for e in entries
        if isinstance(e.payload, ResourceAssigned) and e.payload.unit_type == "bed"
    ]
    assert [agency_id for _, agency_id in beds] == ["near_hospital", "near_hospital", "far_hospital"]
    assert beds[0][0] == 600 + 1200  # admitted at the end of the transport
    full = [d for d in developments(entries) if d.what == "hospital_full"]
    assert [d.detail["hospital"] for d in full] == ["near_hospital"]
    # The two red patients went first and did not die; the rest deteriorate as before.
    died = [d.detail["patient"] for d in developments(entries) if d.what == "patient_died"]
    assert 1 not in died and 2 not in died
