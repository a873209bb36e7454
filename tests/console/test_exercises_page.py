"""The Exercises page: the list by scenario, date and state; run again; branch from the timeline."""

from __future__ import annotations

import pytest

from console import session
from exercises.access import AccessDenied, Role
from exercises.record.entries import EntryKind
from exercises.service.sessions import CODE_LIMIT, SignInThrottled
from tests.console.conftest import Exercise, button, console, plain, table, toasts


def play_and_end(exercise: Exercise) -> None:
    svc, controller = exercise.svc, exercise.controller
    svc.start(controller, speed=60)
    svc.log_action(exercise.caller(Role.PLAYER, "fire"), "establish_command", text="IC at the gate")
    svc.end(controller)


def test_branch_from_a_moment_of_the_timeline_opens_a_paused_exercise_with_new_codes(exercise: Exercise) -> None:
    play_and_end(exercise)
    at = console(exercise.controller, "exercises.py")
    choice = at.selectbox(key="branch_entry")
    logged = next(
        e.seq for e in exercise.svc.journal(exercise.controller) if e.kind is EntryKind.ACTION_LOGGED
    )
    # The timeline in words, with who did what; never past the end.
    label = next(o for o in choice.options if o.endswith(f"(entry {logged})"))
    assert "Town Fire Department: Establish incident command: IC at the gate" in label
    assert not any("ended" in o.casefold() for o in choice.options)
    choice.set_value(logged)
    at.text_input(key="branch_name").input("Mill fire, EOC told at once")
    button(at, "Branch from here").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Branch opened" in t and "Mill fire, EOC told at once" in t for t in toasts(at))
    codes = table(at, "Role", "Access code")
    player = exercise.svc.sign_in(codes.set_index("Role").loc["Player for Town Fire Department", "Access code"])
    assert player.exercise_id != exercise.id
    branch_state = exercise.svc.state(exercise.svc.operator(player.exercise_id))
    assert branch_state.status.value == "paused"
    listed = table(at, "Exercise", "Branched from")
    row = listed[listed["Exercise"].str.endswith("Mill fire, EOC told at once")].iloc[0]
    assert row["Branched from"].startswith(f"exercise {exercise.id} at ")


def test_run_again_opens_an_empty_exercise_of_the_same_scenario(exercise: Exercise) -> None:
    at = console(exercise.controller, "exercises.py")
    assert "Pause or end this exercise" in " ".join(c.value for c in at.caption)
    at.text_input(key="again_name").input("Night shift")
    button(at, "Run again").click().run()
    assert any("Opened again" in t and "Night shift" in t for t in toasts(at))
    listed = table(at, "Scenario", "Exercise", "State")
    night = listed[listed["Exercise"].str.endswith("Night shift")].iloc[0]
    assert night["State"] == "not started" and night["Entries"] == "0"


def test_a_refused_branch_says_why(exercise: Exercise) -> None:
    play_and_end(exercise)
    at = console(exercise.controller, "exercises.py")
    # Tampering between drawing the page and the click: the record no longer verifies.
    from sqlalchemy import update

    from exercises.storage.tables import JOURNAL_TABLE

    with exercise.svc.db.writing() as session:
        session.connection().execute(
            update(JOURNAL_TABLE).where(JOURNAL_TABLE.c.exercise_id == exercise.id, JOURNAL_TABLE.c.seq == 2)
            .values(actor="controller (someone else)")
        )
        session.commit()
    button(at, "Branch from here").click().run()
    assert "does not verify" in at.code[0].value


def test_a_controller_sees_who_is_locked_out_and_clears_it(exercise: Exercise) -> None:
    store = session.store()
    fire = exercise.code(Role.PLAYER, "fire")
    for n in range(CODE_LIMIT):  # someone guesses the fire department's code from many browsers
        wrong = fire[:-2] + "ABCDEFGHJKMNPQRSTVWXYZ"[n] + ("Z" if fire[-1] != "Z" else "Y")
        with pytest.raises(AccessDenied):
            store.sign_in(wrong, client=f"198.51.100.{n}")
    with pytest.raises(SignInThrottled):
        store.sign_in(fire, client="192.0.2.1")
    named = exercise.caller(Role.CONTROLLER, name="J. Moss")
    at = console(named, "exercises.py")
    locks = table(at, "Locked", "Wrong codes in the last hour", "Opens again in")
    assert list(locks["Locked"]) == ["The player access code of Town Fire Department"]
    assert list(locks["Wrong codes in the last hour"]) == [str(CODE_LIMIT)]
    assert locks["Opens again in"].iloc[0].endswith("minutes")
    button(at, "Clear sign-in locks").click().run()
    assert any(t.startswith(f"Sign-in locks cleared: {CODE_LIMIT} wrong codes") for t in toasts(at))
    assert any("Last cleared by J. Moss (controller)" in plain(c.value) for c in at.caption)
    assert store.sign_in(fire, client="192.0.2.1").caller.agency == "fire"
