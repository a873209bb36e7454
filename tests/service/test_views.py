"""Views computed from the journal: the exercise clock, corrections, the inbox, the MSEL with
status and the protocol clock, both as pure functions and through the service."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.record.corrections import effective
from exercises.record.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Correction,
    Entry,
    InjectDelivered,
    MessageDelivered,
    MessageSent,
    Payload,
)
from exercises.scenario.model import Scenario
from exercises.scoring import Status
from exercises.views import (
    ClockStatus,
    InjectStatus,
    derive_clock,
    inbox,
    protocol_clock,
)
from tests.service.conftest import Opened, WallClock


def entries(*items: tuple[float, str | None, Payload], actor: str = "player:fire") -> list[Entry]:
    return [
        Entry(seq=n, at=at, agency=agency, actor=ENGINE_ACTOR if isinstance(p, InjectDelivered) else actor, payload=p)
        for n, (at, agency, p) in enumerate(items, start=1)
    ]


# --- the exercise clock ----------------------------------------------------------------------


def test_clock_runs_at_speed_freezes_when_paused_and_stops_at_the_end() -> None:
    marks = [
        (Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted(speed=10)), 100.0),
    ]
    assert derive_clock(marks).now(103.0) == pytest.approx(30.0)
    marks.append((Entry(seq=2, at=30.0, actor="controller", payload=ClockPaused()), 103.0))
    assert derive_clock(marks).status is ClockStatus.PAUSED
    assert derive_clock(marks).now(500.0) == 30.0
    marks.append((Entry(seq=3, at=30.0, actor="controller", payload=ClockResumed()), 200.0))
    assert derive_clock(marks).now(201.0) == pytest.approx(40.0)
    marks.append((Entry(seq=4, at=40.0, actor="controller", payload=ClockSpeedChanged(speed=1)), 201.0))
    assert derive_clock(marks).now(211.0) == pytest.approx(50.0)
    marks.append((Entry(seq=5, at=50.0, actor="controller", payload=ClockEnded()), 211.0))
    assert derive_clock(marks).status is ClockStatus.ENDED
    assert derive_clock(marks).now(10_000.0) == 50.0


_controls = st.lists(
    st.tuples(
        st.sampled_from(["pause", "resume", "speed", "end"]),
        st.floats(min_value=0.0, max_value=500.0),
        st.floats(min_value=0.5, max_value=120.0),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(controls=_controls, speed=st.floats(min_value=0.5, max_value=120.0))
def test_the_clock_never_runs_backwards(controls: list[tuple[str, float, float]], speed: float) -> None:
    """Whatever controllers do and whenever, the exercise time read at later wall times (and
    stamped on later clock entries) never decreases."""
    wall = 1000.0
    marks = [(Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted(speed=speed)), wall)]
    readings = [0.0]
    for kind, gap, new_speed in controls:
        wall += gap
        clock = derive_clock(marks)
        now = clock.now(wall)
        readings.append(now)
        payload: Payload = {
            "pause": ClockPaused(), "resume": ClockResumed(), "speed": ClockSpeedChanged(speed=new_speed),
            "end": ClockEnded(),
        }[kind]
        marks.append((Entry(seq=len(marks) + 1, at=now, actor="controller", payload=payload), wall))
        readings.append(derive_clock(marks).now(wall))
    assert readings == sorted(readings)


def test_service_clock_follows_start_pause_resume_and_speed(opened: Opened, wall: WallClock) -> None:
    svc, ctl = opened.service, opened.controller
    assert svc.state(ctl).status is ClockStatus.NOT_STARTED
    svc.start(ctl, speed=60)
    wall.advance(10)
    assert svc.state(ctl).clock == pytest.approx(600.0)
    assert svc.pause(ctl).at == pytest.approx(600.0)
    wall.advance(1000)
    assert svc.state(ctl).clock == pytest.approx(600.0)
    svc.resume(ctl)
    svc.change_speed(ctl, 1)
    wall.advance(30)
    assert svc.state(ctl).clock == pytest.approx(630.0)
    end = svc.end(ctl)
    wall.advance(100)
    state = svc.state(ctl)
    assert (state.status, state.clock) == (ClockStatus.ENDED, end.at)


# --- corrections -------------------------------------------------------------------------------


def test_corrections_void_or_replace_the_entry_they_point_at() -> None:
    journal = entries(
        (1.0, "fire", ActionLogged(action="head_count")),
        (2.0, "fire", ActionLogged(action="notify_eoc")),
        (3.0, "fire", Correction(corrects=1, reason="wrong", replacement=ActionLogged(action="evacuate_staff"))),
        (4.0, "fire", Correction(corrects=2, reason="never happened")),
    )
    result = effective(journal)
    assert [(e.seq, e.payload) for e in result] == [(1, ActionLogged(action="evacuate_staff"))]
    assert result[0].at == 1.0


# --- the inbox -----------------------------------------------------------------------------------


def test_an_inbox_holds_what_reached_the_agency_and_nothing_else(warehouse: Scenario) -> None:
    journal = entries(
        (0.0, None, InjectDelivered(inject_id="WF-01", to=("fire", "operator"))),
        (5.0, "eoc", MessageSent(message_id="M2", to="fire", text="EOC activated")),
        (6.0, "eoc", MessageSent(message_id="M3", to="operator", text="for the operator")),
        (65.0, None, MessageDelivered(message_id="M2", sender="eoc", to="fire", path=("eoc", "fire"), sent_at=5.0)),
        (66.0, None, MessageDelivered(message_id="M3", sender="eoc", to="operator", path=("eoc", "fire", "operator"), sent_at=6.0)),
    )
    fire = inbox(warehouse, journal, "fire")
    assert [(i.kind, i.subject) for i in fire] == [
        ("inject", "911 call reports smoke from warehouse 7"),
        ("message", "Message from Town EOC"),
    ]
    assert fire[1].text == "EOC activated"
    assert [i.text for i in inbox(warehouse, journal, "operator")][-1] == "for the operator"
    assert inbox(warehouse, journal, "eoc") == []


# --- the protocol clock ----------------------------------------------------------------------


def _instance(warehouse: Scenario, journal: list[Entry], protocol: str, now: float, ended: bool = False):  # type: ignore[no-untyped-def]
    found = [i for i in protocol_clock(warehouse, journal, now, ended=ended) if i.protocol_id == protocol]
    assert len(found) == 1
    return found[0]


DELIVERED = (0.0, None, InjectDelivered(inject_id="WF-01", to=("fire", "operator")))  # raises incident_reported


def test_protocol_due_pending_then_overdue_then_missed(warehouse: Scenario) -> None:
    journal = entries(DELIVERED)
    ic = _instance(warehouse, journal, "IC-01", now=300)
    assert (ic.status, ic.due_at, ic.agency) == (Status.PENDING, 600.0, "fire")
    assert _instance(warehouse, journal, "IC-01", now=601).status is Status.OVERDUE
    assert _instance(warehouse, journal, "IC-01", now=601, ended=True).status is Status.MISSED


def test_protocol_met_late_and_chained(warehouse: Scenario) -> None:
    journal = entries(
        DELIVERED,
        (120.0, "fire", ActionLogged(action="establish_command")),
        (1000.0, "fire", ActionLogged(action="notify_eoc")),
    )
    ic = _instance(warehouse, journal, "IC-01", now=2000)
    assert (ic.status, ic.done_at, ic.done_seq) == (Status.MET, 120.0, 2)
    notify = _instance(warehouse, journal, "NOT-01", now=2000)
    assert notify.status is Status.LATE and notify.late_by == pytest.approx(100.0)
    eoc = _instance(warehouse, journal, "EOC-01", now=2000)  # triggered by the fire's notify_eoc
    assert (eoc.triggered_at, eoc.due_at, eoc.status) == (1000.0, 2800.0, Status.PENDING)


def test_a_voided_action_no_longer_meets_its_protocol(warehouse: Scenario) -> None:
    journal = entries(
        DELIVERED,
        (120.0, "fire", ActionLogged(action="establish_command")),
        (130.0, "fire", Correction(corrects=2, reason="logged by mistake")),
    )
    assert _instance(warehouse, journal, "IC-01", now=700).status is Status.OVERDUE


def test_an_action_by_another_agency_does_not_count(warehouse: Scenario) -> None:
    journal = entries(DELIVERED, (60.0, "operator", ActionLogged(action="establish_command")))
    assert _instance(warehouse, journal, "IC-01", now=60).done_at is None


# --- through the service -------------------------------------------------------------------


def test_msel_status_through_an_exercise(opened: Opened, wall: WallClock) -> None:
    svc, ctl, fire = opened.service, opened.controller, opened.player("fire")
    svc.start(ctl, speed=60)
    svc.hold_inject(ctl, "WF-03", reason="radio test later")
    wall.advance(1)
    svc.tick(ctl)  # WF-01 at 0:00
    svc.log_action(fire, "establish_command", inject_id="WF-01")
    svc.log_action(fire, "head_count")  # WF-02 fires only if no head count by 0:20
    wall.advance(40)  # 0:41: WF-02 skipped at 0:20, WF-03 held at 0:30
    svc.tick(ctl)
    status = {r.inject_id: r for r in svc.msel(ctl)}
    assert status["WF-01"].status is InjectStatus.ACTED_ON and status["WF-01"].acted_on_by == ("fire",)
    assert status["WF-02"].status is InjectStatus.SKIPPED
    assert status["WF-03"].status is InjectStatus.HELD
    svc.release_inject(ctl, "WF-03")
    wall.advance(1)
    svc.tick(ctl)
    released = {r.inject_id: r for r in svc.msel(ctl)}["WF-03"]
    assert released.status is InjectStatus.DELIVERED and released.delivered_at is not None
    assert [i.inject_id for i in svc.inbox(fire) if i.kind == "inject"] == ["WF-01", "WF-03"]


def test_entries_are_stamped_in_time_order(opened: Opened, wall: WallClock) -> None:
    svc, ctl, fire = opened.service, opened.controller, opened.player("fire")
    svc.start(ctl, speed=30)
    for step in range(6):
        wall.advance(7)
        svc.log_action(fire, "contain_fire", text=str(step))
        svc.tick(ctl)
    journal = svc.journal(ctl)
    assert [e.at for e in journal] == sorted(e.at for e in journal)
    assert any(e.actor == ENGINE_ACTOR for e in journal)


def test_a_player_corrects_its_own_action(opened: Opened, wall: WallClock) -> None:
    svc, ctl, fire = opened.service, opened.controller, opened.player("fire")
    svc.start(ctl)
    wrong = svc.log_action(fire, "notify_eoc")
    fix = svc.correct(fire, wrong.seq, "meant the head count", replacement=ActionLogged(action="head_count"))
    assert fix.agency == "fire"
    line = {i.seq: i for i in svc.timeline(ctl)}[wrong.seq]
    assert line.corrected_by == fix.seq and not line.voided
    assert [i.seq for i in svc.agency_log(fire)] == [wrong.seq, fix.seq]
