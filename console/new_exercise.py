"""Open a new exercise on a scenario and hand out its access codes (shown this once).

The codes are stored only as argon2 hashes: after this page is left they cannot be shown again,
so the page offers them as a text file to download and keeps them on screen until dismissed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import session
from console.library import scenario_files
from console.text import md
from exercises.access import Caller, ExerciseInputError, Role
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.service.details import CONTACT_ROLES, ContactPerson, ExerciseDetails, RecordKind, local_start
from exercises.service.exercise_service import CreatedExercise

CREATED_KEY = "new_exercise_created"


def _create(paths: dict[str, str]) -> None:
    label = st.session_state.get("new_scenario")
    if label not in paths:
        return
    name = str(st.session_state.get("new_name", "")).strip() or None
    try:
        scenario = load_scenario(paths[label])
    except ScenarioError as exc:
        st.session_state["new_error"] = str(exc)
        return
    try:
        details = typed_details()
    except ExerciseInputError as exc:
        st.session_state["new_error"] = str(exc)
        return
    created = session.perform(
        f"Exercise created: {name or scenario.name}",
        lambda: session.service().create_exercise(
            scenario, name=name, real_start=details.real_start, timezone=details.timezone, contacts=details.contacts
        ),
    )
    if created is not None:
        st.session_state[CREATED_KEY] = created
        st.session_state.pop("new_error", None)


def clock_and_contacts_fields(prefix: str = "new", current: ExerciseDetails | None = None) -> None:
    """When exercise time 0:00 is on the wall clock (the report prints local time beside exercise
    time), and the points of contact the AAR/IP names (they override the scenario's)."""
    now = current or ExerciseDetails()
    start = now.real_start
    people = {c.role: c for c in now.contacts}
    left, middle, right = st.columns(3)
    left.date_input("Start date", value=start.date() if start else None, key=f"{prefix}_start_date")
    middle.time_input("Start time", value=start.time() if start else None, key=f"{prefix}_start_time", step=300)
    right.text_input("Time zone (IANA)", value=now.timezone or "", key=f"{prefix}_timezone",
                     placeholder="America/Chicago", max_chars=64)
    contacts_fields(prefix, people)


def contacts_fields(prefix: str, people: dict[str, ContactPerson] | None = None) -> None:
    """The points of contact the AAR/IP names, a row of fields per role."""
    people = people or {}
    for role in CONTACT_ROLES:
        person = people.get(role)
        name_col, org_col, contact_col = st.columns(3)
        name_col.text_input(role, value=person.name if person else "", key=f"{prefix}_poc_{role}",
                            max_chars=200, placeholder="Name")
        org_col.text_input(f"{role}: organization", value=person.organization if person else "",
                           key=f"{prefix}_poc_org_{role}", max_chars=200)
        contact_col.text_input(f"{role}: phone or e-mail", value=person.contact if person else "",
                               key=f"{prefix}_poc_contact_{role}", max_chars=200)


def typed_details(prefix: str = "new", kind: RecordKind = "exercise") -> ExerciseDetails:
    """The clock and contacts typed in the fields (checked again by the service)."""
    state = st.session_state

    def text(key: str) -> str:
        return str(state.get(f"{prefix}_{key}") or "").strip()

    day, clock, zone = state.get(f"{prefix}_start_date"), state.get(f"{prefix}_start_time"), text("timezone")
    start = None
    if day is not None or clock is not None:
        if day is None or clock is None or not zone:
            raise ExerciseInputError("a start needs its date, its time and its time zone")
        start = local_start(day, clock, zone)
    return ExerciseDetails(record_kind=kind, real_start=start, timezone=zone or None, contacts=typed_contacts(prefix))


def typed_contacts(prefix: str) -> tuple[ContactPerson, ...]:
    """The points of contact typed in ``contacts_fields`` (checked again by the service)."""
    def text(key: str) -> str:
        return str(st.session_state.get(f"{prefix}_{key}") or "").strip()

    return tuple(
        ContactPerson(role, text(f"poc_{role}"), text(f"poc_org_{role}"), text(f"poc_contact_{role}"))
        for role in CONTACT_ROLES
        if text(f"poc_{role}")
    )


def _switch(created: CreatedExercise) -> None:
    code = next(c.code for c in created.codes if c.role is Role.CONTROLLER)
    st.session_state.pop(CREATED_KEY, None)
    session.sign_in(code, None)
    st.toast(md(f"Now controlling {created.exercise.name}"), icon=":material/swap_horiz:")


def codes_text(created: CreatedExercise) -> str:
    lines = [f"Hotwash exercise {created.exercise.id}: {created.exercise.name}", ""]
    lines += [f"{c.label:<50} {c.code}" for c in created.codes]
    lines += ["", f"Record signed under key {created.key_fingerprint} (pinned for this exercise; "
              "the AAR's cover and hotwash verify name the key they find)"]
    return "\n".join(lines) + "\n"


def show_codes(created: CreatedExercise) -> None:
    with st.container(border=True):
        st.header(f"Exercise {created.exercise.id} is open: {md(created.exercise.name)}")
        st.warning("These access codes are shown only now. Hand each one to its holder; anyone with a code "
                   "acts in that role.", icon=":material/key:")
        st.dataframe(
            pd.DataFrame([{"Role": c.label, "Access code": c.code} for c in created.codes]),
            hide_index=True,
            key="new_codes",
        )
        st.caption(f"The record is signed under key {created.key_fingerprint}, pinned for this exercise: "
                   "keep it with the codes and compare it with the one on the AAR's cover.")
        row = st.container(horizontal=True)
        with row:
            st.download_button("Download the codes", data=codes_text(created),
                               file_name=f"hotwash-exercise-{created.exercise.id}-codes.txt",
                               mime="text/plain", icon=":material/download:", on_click="ignore")
            st.button("Control this exercise", type="primary", icon=":material/swap_horiz:",
                      on_click=_switch, args=(created,), key="new_switch")
            st.button("I have handed them out", key="new_dismiss",
                      on_click=lambda: st.session_state.pop(CREATED_KEY, None))


def exercises_table() -> None:
    rows = [
        {"#": e.id, "Exercise": e.name, "Scenario": e.scenario_name, "Status": e.status, "Entries": e.entries,
         "Opened": e.created_at.strftime("%Y-%m-%d %H:%M UTC")}
        for e in reversed(session.service().list_exercises())
    ]
    st.header("Exercises in this database")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="new_exercises")


def render() -> None:
    caller: Caller = session.require_caller(Role.CONTROLLER)
    st.title("New exercise")
    created = st.session_state.get(CREATED_KEY)
    if isinstance(created, CreatedExercise):
        show_codes(created)
    files = scenario_files()
    paths = {label: str(path) for label, path in files.items()}
    with st.form("new_exercise", border=True):
        st.selectbox("Scenario", list(paths), key="new_scenario",
                     help="The scenarios that ship with Hotwash. Check your own on the Scenario designer page.")
        st.text_input("Exercise name (optional)", key="new_name", max_chars=200,
                      placeholder="e.g. Spring TTX 2026, county EOC")
        with st.expander("Clock and points of contact (optional)"):
            clock_and_contacts_fields()
        st.form_submit_button("Create exercise", type="primary", icon=":material/add_circle:",
                              on_click=_create, args=(paths,))
    error = st.session_state.get("new_error")
    if error:
        st.error("The scenario does not load:", icon=":material/error:")
        st.code(str(error), language=None)
    exercises_table()
    st.caption(md(f"You are signed in to {session.service().exercise_name(caller)}."))


if __name__ == "__main__":
    render()
