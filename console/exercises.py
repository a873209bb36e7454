"""The exercises in this database, by scenario, date and state; this exercise's sign-in locks and
their clearing; run this exercise again, or branch a new exercise from a moment of its timeline
once it is finished (or paused).

A new exercise's access codes are shown once, the way the New exercise page shows them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from console import session
from console.new_exercise import CREATED_KEY, show_codes
from console.text import md
from console.widgets import text_table
from exercises.access import AccessDenied, Caller, ExerciseInputError, Role
from exercises.record.entries import EntryKind
from exercises.scenario.durations import format_duration
from exercises.service.exercise_service import CreatedExercise
from exercises.service.sessions import BROWSER_LIMIT, CODE_LIMIT, EXERCISE_LIMIT, Lock, wait_words
from exercises.storage.faults import StorageFault
from exercises.storage.tables import ExercisePublic
from exercises.views import ClockStatus, TimelineItem

REFUSED_KEY = "exercises_refused"


def _open(what: str, call: object) -> None:
    """Run a call that opens an exercise; keep its codes on screen, or why it was refused."""
    assert callable(call)
    try:
        created = call()
    except (AccessDenied, ExerciseInputError, StorageFault) as exc:
        st.session_state[REFUSED_KEY] = str(exc)
        st.toast(md(f"Not opened: {exc}"), icon=":material/error:")
        return
    assert isinstance(created, CreatedExercise)
    st.session_state.pop(REFUSED_KEY, None)
    st.session_state[CREATED_KEY] = created
    st.toast(md(f"{what}: exercise {created.exercise.id}, {created.exercise.name}"), icon=":material/check_circle:")


def _run_again(caller: Caller) -> None:
    name = str(st.session_state.get("again_name") or "").strip() or None
    _open("Opened again", lambda: session.service().run_again(caller, name=name))


def _branch(caller: Caller) -> None:
    seq = st.session_state.get("branch_entry")
    name = str(st.session_state.get("branch_name") or "").strip() or None
    if not isinstance(seq, int):
        return
    _open("Branch opened", lambda: session.service().branch(caller, seq=seq, name=name))


def moments(items: list[TimelineItem]) -> list[TimelineItem]:
    """The moments a branch can go on from: after the clock started, before it ended."""
    started = next((i.seq for i in items if i.kind is EntryKind.CLOCK_STARTED), None)
    ended = next((i.seq for i in items if i.kind is EntryKind.CLOCK_ENDED), None)
    if started is None:
        return []
    return [i for i in items if i.seq >= started and (ended is None or i.seq < ended)]


def moment_label(item: TimelineItem, names: dict[str, str]) -> str:
    """"0:01:54  Town Fire Department: Establish incident command: IC at the gate  (entry 4)"."""
    who = f"{names.get(item.agency, item.agency)}: " if item.agency else ""
    return f"{format_duration(item.at)}  {who}{item.summary}  (entry {item.seq})"


def branch_section(caller: Caller, status: ClockStatus) -> None:
    st.header("Branch from a moment")
    if status not in (ClockStatus.ENDED, ClockStatus.PAUSED):
        st.caption("Pause or end this exercise to branch a new one from a moment of it.")
        return
    svc = session.service()
    items = moments(svc.timeline(caller))
    if not items:
        st.caption("This exercise never started: run it again instead.")
        return
    names = {a.id: a.name for a in svc.scenario(caller).agencies}
    labels = {i.seq: moment_label(i, names) for i in items}
    st.caption(
        "The new exercise starts with this exercise's record up to the moment you pick (proven by its "
        "hash chain), paused there, with new access codes. Play then goes on from that time."
    )
    st.selectbox("Branch from (timeline)", list(labels), index=len(labels) - 1, format_func=labels.__getitem__,
                 key="branch_entry")
    st.text_input("Name of the branch (optional)", key="branch_name", max_chars=200,
                  placeholder="e.g. Spring TTX, EOC told at once")
    st.button("Branch from here", type="primary", icon=":material/call_split:", key="branch_go",
              on_click=_branch, args=(caller,))


def again_section(caller: Caller) -> None:
    st.header("Run it again")
    st.caption("Same scenario, plans, seed, time zone and points of contact; new access codes; an empty record.")
    row = st.container(horizontal=True, vertical_alignment="bottom")
    with row:
        st.text_input("Name of the new exercise (optional)", key="again_name", max_chars=200,
                      placeholder="e.g. Night shift")
        st.button("Run again", icon=":material/replay:", key="again_go", on_click=_run_again, args=(caller,))


def _clear_locks(caller: Caller) -> None:
    session.perform(lambda n: f"Sign-in locks cleared: {n} wrong code{'s' if n != 1 else ''} no longer count. "
                    "Recorded with your name.", lambda: session.store().clear_locks(caller))


def lock_rows(locks: list[Lock], names: dict[str, str]) -> pd.DataFrame:
    """What is locked, in words: a browser by its address, a code by the role it grants, the exercise."""
    def what(lock: Lock) -> str:
        if lock.scope == "exercise":
            return "Signing in to this exercise (every code)"
        if lock.scope == "code":
            agency = f" of {names.get(lock.agency, lock.agency)}" if lock.agency else ""
            return f"The {lock.role.value if lock.role else ''} access code{agency}"
        address, _, short = lock.label.partition(" ")
        return f"A browser at {address}" + (f" (browser {short})" if short else " (no browser cookie)")

    return pd.DataFrame([
        {"Locked": what(lock), "Wrong codes in the last hour": str(lock.wrong),
         "Opens again in": wait_words(lock.seconds_left)}
        for lock in locks
    ], columns=["Locked", "Wrong codes in the last hour", "Opens again in"])


def locks_section(caller: Caller) -> None:
    st.subheader("Sign-in locks")
    seen = session.store().locks(caller)
    st.caption(
        f"Wrong access codes count for an hour. A browser may type {BROWSER_LIMIT}; one code may be typed "
        f"wrong {CODE_LIMIT} times from all browsers together; this exercise's codes {EXERCISE_LIMIT} times. At "
        "a limit, signing in there waits until the oldest of them is an hour old. Clearing lets everyone "
        "try again now, and is recorded with your name and the time."
    )
    st.markdown(f"**{seen.wrong_last_hour}** wrong code{'s' if seen.wrong_last_hour != 1 else ''} for this "
                "exercise in the last hour.")
    if seen.locks:
        names = {a.id: a.name for a in session.service().scenario(caller).agencies}
        text_table(lock_rows(seen.locks, names))
    else:
        st.caption("Nothing is locked.")
    if seen.last_clearance is not None:
        by, at = seen.last_clearance
        st.caption(md(f"Last cleared by {by} at {datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M} UTC."))
    st.button("Clear sign-in locks", icon=":material/lock_open:", key="locks_clear", disabled=not seen.locks,
              on_click=_clear_locks, args=(caller,))


def exercise_rows(exercises: list[ExercisePublic]) -> pd.DataFrame:
    """Every exercise, by scenario, then newest first."""
    ordered = sorted(exercises, key=lambda e: (e.scenario_name.casefold(), -e.created_at.timestamp()))
    return pd.DataFrame([
        {
            "Scenario": e.scenario_name,
            "Exercise": f"{e.id}: {e.name}",
            "Opened": e.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "State": e.status,
            "Entries": str(e.entries),
            "Branched from": (
                f"exercise {e.branched_from} at {format_duration(e.branched_at or 0.0)}"
                if e.branched_from is not None else ""
            ),
        }
        for e in ordered
    ])


def render() -> None:
    caller = session.require_caller(Role.CONTROLLER)
    svc = session.service()
    st.title("Exercises")
    created = st.session_state.get(CREATED_KEY)
    if isinstance(created, CreatedExercise):
        show_codes(created)
    refused = st.session_state.get(REFUSED_KEY)
    if refused:
        st.error("No exercise was opened:", icon=":material/error:")
        st.code(str(refused), language=None)
    state = svc.state(caller)
    st.header(f"This exercise: {md(state.name)}")
    st.caption(f"{state.status.value.capitalize()}, exercise time {format_duration(state.clock)}.")
    locks_section(caller)
    again_section(caller)
    branch_section(caller, state.status)
    st.header("All exercises")
    text_table(exercise_rows(svc.list_exercises()), height=480)


if __name__ == "__main__":
    render()
