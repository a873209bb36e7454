"""A player's page: their agency's inbox only, and everything they record is for their agency."""

from __future__ import annotations

from exercises.access import Role
from exercises.record.entries import ActionLogged, MessageSent, ResourceRequested
from tests.console.conftest import Exercise, button, console, table, toasts

MF01_TEXT = "Caller: **heavy smoke** from the mill <b>roof</b> [call back](http://example.invalid/x)"


def test_inbox_holds_only_this_agencys_injects_shown_as_typed(exercise: Exercise) -> None:
    exercise.svc.start(exercise.controller)
    fire = console(exercise.caller(Role.PLAYER, "fire"))
    police = console(exercise.caller(Role.PLAYER, "police"))
    fire_text = [t.value for t in fire.text]
    police_text = [t.value for t in police.text]
    # MF-01 went to fire only, MF-02 to police only. The markup-looking text is shown literally.
    assert MF01_TEXT in fire_text
    assert MF01_TEXT not in police_text
    assert "Drivers are stopping to film the smoke; River Road is backing up." in police_text
    assert not any("River Road is backing up" in t for t in fire_text)
    assert not any("<b>" in m.value for m in fire.markdown), "no HTML reaches markdown"


def test_new_items_are_marked_until_read(exercise: Exercise) -> None:
    exercise.svc.start(exercise.controller)
    at = console(exercise.caller(Role.PLAYER, "fire"))
    shown = [m.value for m in at.markdown]
    assert shown.count(":red-badge[NEW]") == 1
    assert ":red-badge[:material/notifications_active: 1 new]" in shown
    assert "**Smoke from the old mill**" in shown, "a new item's subject is in bold"
    at.button(key="player_mark_read").click().run()
    shown = [m.value for m in at.markdown]
    assert ":red-badge[NEW]" not in shown
    assert "Smoke from the old mill" in shown
    assert not [b for b in at.button if b.key == "player_mark_read"]


def test_log_an_action_linked_to_an_inject(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(exercise.caller(Role.PLAYER, "fire", name="Lt. Okafor"))
    at.selectbox(key="act_action").set_value("establish_command")
    at.selectbox(key="act_inject").set_value("MF-01")
    at.text_area(key="act_text").input("Command post at the mill gate; <i>Engine 2</i> is IC")
    button(at, "Log action").click().run()
    assert "Logged: Establish incident command (re MF-01)" in toasts(at)
    logged = [e for e in exercise.svc.journal(ctl) if isinstance(e.payload, ActionLogged)]
    assert len(logged) == 1
    entry = logged[0]
    assert entry.agency == "fire" and entry.payload.inject_id == "MF-01"
    assert entry.payload.text == "Command post at the mill gate; <i>Engine 2</i> is IC"
    assert "Lt. Okafor" in entry.actor
    assert at.text_area(key="act_text").value == "", "the form is cleared for the next entry"


def test_message_and_resource_request_go_from_own_agency(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(exercise.caller(Role.PLAYER, "police"))
    at.selectbox(key="msg_to").set_value("fire")
    at.text_area(key="msg_text").input("Road closed at the bridge")
    button(at, "Send message").click().run()
    assert "Message sent to Town Fire Department" in toasts(at)
    at.selectbox(key="req_to").set_value("fire")
    at.selectbox(key="req_unit").set_value("engine")
    at.number_input(key="req_count").set_value(2)
    button(at, "Send request").click().run()
    assert "Requested 2 engines from Town Fire Department" in toasts(at)  # plural by the one naming rule
    sent = [e for e in exercise.svc.journal(ctl) if isinstance(e.payload, MessageSent | ResourceRequested)]
    assert [(e.agency, e.payload.to) for e in sent] == [("police", "fire"), ("police", "fire")]
    assert sent[1].payload.count == 2


def test_refused_action_says_why_and_writes_nothing(exercise: Exercise) -> None:
    ctl = exercise.controller  # the clock is not started: actions are refused
    at = console(exercise.caller(Role.PLAYER, "fire"))
    before = exercise.svc.state(ctl).entries
    button(at, "Log action").click().run()
    assert any(t.startswith("Not recorded: the exercise has not started") for t in toasts(at)), toasts(at)
    assert exercise.svc.state(ctl).entries == before


def test_open_deadlines_and_own_log(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    police = exercise.caller(Role.PLAYER, "police")
    exercise.svc.log_action(police, "close_road", text="Bridge closed")
    at = console(exercise.caller(Role.PLAYER, "fire"))
    deadlines = table(at, "Must", "Status")
    # Fire owes IC-01 and NOT-01; police's RD-01 is police's, not on fire's page (by their labels).
    assert sorted(deadlines["Must"]) == ["Establish incident command", "Notify the EOC"]
    assert set(deadlines["Status"]) == {"pending"}
    assert at.caption.values.count("Nothing logged yet.") == 1


def test_the_log_shows_the_newest_first_and_every_older_entry_is_one_click_away(exercise: Exercise) -> None:
    exercise.svc.start(exercise.controller)
    fire = exercise.caller(Role.PLAYER, "fire")
    for n in range(1, 56):
        exercise.svc.log_action(fire, "establish_command", text=f"Report {n}")
    at = console(fire)
    log = table(at, "Time", "What", "Note")
    assert len(log) == 50 and "Report 55" in log["What"].iloc[0] and "Report 6" in log["What"].iloc[-1]
    assert "The newest 50 of 55 are shown." in [c.value for c in at.caption]
    at.button(key="player_log_more").click().run()
    log = table(at, "Time", "What", "Note")
    assert len(log) == 55 and "Report 1" in log["What"].iloc[-1]
    assert not [b for b in at.button if b.key == "player_log_more"]
