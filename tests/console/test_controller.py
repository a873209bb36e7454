"""The controller's dashboard and MSEL pages, driven as a controller drives them (AppTest)."""

from __future__ import annotations

import pytest

from exercises.access import Role
from exercises.record.entries import InjectAdded, InjectHeld, InjectReleased
from exercises.views import ClockStatus, InjectStatus
from tests.console.conftest import Exercise, button, console, table, toasts


def test_start_pause_resume_speed_and_end(exercise: Exercise) -> None:
    ctl = exercise.controller
    at = console(ctl)
    at.selectbox(key="ctl_start_speed").set_value(5.0)
    at.button(key="ctl_start").click().run()
    assert "Exercise started (x5)" in toasts(at)
    state = exercise.svc.state(ctl)
    assert (state.status, state.speed) == (ClockStatus.RUNNING, 5.0)

    at.button(key="ctl_pause").click().run()
    assert "Exercise paused" in toasts(at)
    assert exercise.svc.state(ctl).status is ClockStatus.PAUSED

    # Paused, the controller picks x10 and resumes: the clock runs at what the selector shows.
    assert at.selectbox(key="ctl_speed").value == 5.0
    at.selectbox(key="ctl_speed").set_value(10.0).run()
    at.button(key="ctl_resume").click().run()
    assert "Exercise resumed (x10)" in toasts(at)
    state = exercise.svc.state(ctl)
    assert (state.status, state.speed) == (ClockStatus.RUNNING, 10.0)
    assert at.selectbox(key="ctl_speed").value == 10.0
    # Another controller's change shows in the selector at once.
    exercise.svc.change_speed(ctl, 60.0)
    at.run()
    assert at.selectbox(key="ctl_speed").value == 60.0
    at.selectbox(key="ctl_speed").set_value(30.0)
    at.button(key="ctl_set_speed").click().run()
    assert "Clock speed set to x30" in toasts(at)
    assert exercise.svc.state(ctl).speed == 30.0

    at.button(key="ctl_end").click().run()
    assert any(t.startswith("Exercise ended") for t in toasts(at))
    assert exercise.svc.state(ctl).status is ClockStatus.ENDED
    # The controller lands on the summary and report, still signed in.
    assert any(b.key == "sum_baseline" for b in at.button), [b.key for b in at.button]


def test_dashboard_shows_what_players_did(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    fire = exercise.caller(Role.PLAYER, "fire")
    exercise.svc.log_action(fire, "establish_command", text="IC is Chief <b>Ortiz</b> at the mill gate",
                            inject_id="MF-01")
    at = console(ctl)
    feed = table(at, "Who", "What")
    row = feed[feed["What"].str.contains("Establish incident command")].iloc[0]
    # Scenario names, and the player's text exactly as typed (a dataframe shows it literally).
    assert row["Who"] == "Town Fire Department"
    assert "IC is Chief <b>Ortiz</b> at the mill gate" in row["What"]
    protocols = table(at, "Protocol", "Must")
    ic = protocols[protocols["Protocol"].str.startswith("IC-01")].iloc[0]
    assert ic["Status"] == "met"
    labels = {m.label: m.value for m in at.metric}
    assert labels["Injects delivered"] == "2 / 4"
    assert labels["Protocols met on time"] == "1 / 1"
    assert at.get("graphviz_chart"), "the agency network is drawn"


def test_msel_hold_release_and_add(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(ctl, "msel.py")
    msel = table(at, "Inject", "Expected")
    assert dict(zip(msel["Inject"], msel["Status"], strict=True)) == {
        "MF-01": "delivered", "MF-02": "delivered", "MF-03": "scheduled", "MF-04": "scheduled",
    }

    at.selectbox(key="msel_pick").set_value("MF-04")
    at.text_input(key="msel_hold_reason").input("EOC not staffed yet")
    at.button(key="msel_hold").click().run()
    assert "Inject MF-04 held" in toasts(at)
    at.selectbox(key="msel_pick").set_value("MF-03")
    at.button(key="msel_release").click().run()
    assert "Inject MF-03 delivered to Town Fire Department, Town Police" in toasts(at)

    kinds = [type(e.payload) for e in exercise.svc.journal(ctl)]
    assert InjectHeld in kinds and InjectReleased in kinds
    rows = {r.inject_id: r.status for r in exercise.svc.msel(ctl)}
    assert rows["MF-04"] is InjectStatus.HELD
    assert rows["MF-03"] in (InjectStatus.DELIVERED, InjectStatus.ACTED_ON)


def test_msel_add_inject_and_refuse_a_bad_one(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(ctl, "msel.py")
    at.text_input(key="add_id").input("X-01")
    at.text_input(key="add_time").input("0:45")
    at.multiselect(key="add_to").set_value(["police"])
    at.text_input(key="add_synopsis").input("Journalist at the cordon")
    at.text_area(key="add_text").input("A reporter asks the police for a statement.")
    at.selectbox(key="add_capability").set_value("Public Information and Warning")
    button(at, "Add inject").click().run()
    assert "Inject X-01 added" in toasts(at)
    added = [e.payload for e in exercise.svc.journal(ctl) if isinstance(e.payload, InjectAdded)]
    assert [(a.inject.id, a.inject.to, a.inject.time) for a in added] == [("X-01", ("police",), 2700.0)]

    # Missing recipients: refused with the reason, nothing written.
    before = exercise.svc.state(ctl).entries
    at.text_input(key="add_id").input("X-02")
    at.text_input(key="add_synopsis").input("No one to tell")
    at.text_area(key="add_text").input("text")
    at.multiselect(key="add_to").set_value([])
    button(at, "Add inject").click().run()
    assert any(t.startswith("Not recorded: to:") for t in toasts(at)), toasts(at)
    assert exercise.svc.state(ctl).entries == before


def test_protocol_counts_are_headed_in_words_with_a_column_per_status_seen() -> None:
    """The dashboard's per-agency counts: "out of order" as a person writes it, never its enum value,
    and no empty columns for statuses no instance has."""
    from console.widgets import protocol_counts
    from exercises.scoring import Status
    from exercises.views import ProtocolInstance

    def one(status: Status, agency: str) -> ProtocolInstance:
        return ProtocolInstance(protocol_id="P", title="t", agency=agency, action="a", critical=False,
                                capability="Planning", before_trigger=True, triggered_at=0.0, trigger_seq=1,
                                due_at=0.0, status=status)

    frame = protocol_counts([one(Status.OUT_OF_ORDER, "fire"), one(Status.MET, "fire"), one(Status.MET, "eoc")],
                            {"fire": "Town Fire Department", "eoc": "Town EOC"})
    assert list(frame.columns) == ["Agency", "met", "out of order"]
    assert frame.to_dict("records") == [{"Agency": "Town Fire Department", "met": 1, "out of order": 1},
                                        {"Agency": "Town EOC", "met": 1, "out of order": 0}]


def test_the_timeline_and_network_tables_are_drawn_once_opened(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    exercise.svc.log_action(exercise.caller(Role.PLAYER, "fire"), "establish_command", text="IC at the mill gate")
    at = console(ctl)
    for columns in (("Lane", "Entry"), ("Link", "Messages carried")):
        with pytest.raises(LookupError):
            table(at, *columns)  # closed: nothing drawn, nothing sent
    at.session_state["ctl_timeline_table"] = True  # what opening the expander does (its key, then a rerun)
    at.session_state["ctl_network_table"] = True
    at.run()
    timeline = table(at, "Lane", "Entry")
    assert timeline["What"].str.contains("IC at the mill gate").any()
    assert len(table(at, "Link", "Messages carried")) > 0
