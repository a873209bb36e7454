"""The template library: exercise set-ups saved under a name, and a new exercise from one in one step.

Everything a template is and does is ``exercises.service.templates``; this page lists, shows,
renames and retires templates, saves a scenario shipped with Hotwash (or the signed-in exercise's
set-up) as one, and opens an exercise from one, showing its new access codes once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import session
from console.library import scenario_files
from console.new_exercise import CREATED_KEY, contacts_fields, show_codes, typed_contacts
from console.text import md
from exercises.access import Caller, Role
from exercises.scenario.bundle import gather, load_bundle
from exercises.scenario.loading import ScenarioError
from exercises.service.exercise_service import CreatedExercise, TemplateInfo, TemplateSetUp

ERROR_KEY = "tpl_error"


def _failed(exc: Exception) -> None:
    st.session_state[ERROR_KEY] = str(exc)


def _new_exercise(info: TemplateInfo) -> None:
    name = str(st.session_state.get("tpl_exercise_name") or "").strip() or None
    try:
        created = session.perform(
            f"Exercise opened from template {info.label}",
            lambda: session.service().create_from_template(info.name, info.version, exercise_name=name),
        )
    except ScenarioError as exc:  # files that no longer validate: every problem shown, nothing made
        _failed(exc)
        return
    if isinstance(created, CreatedExercise):
        st.session_state[CREATED_KEY] = created
        st.session_state.pop(ERROR_KEY, None)


def _rename(info: TemplateInfo) -> None:
    new_name = str(st.session_state.get("tpl_new_name") or "")
    session.perform(f"Template {info.name!r} renamed", lambda: session.service().rename_template(info.name, new_name))


def _retire(info: TemplateInfo) -> None:
    session.perform(f"Template {info.label} retired",
                    lambda: session.service().retire_template(info.name, info.version))


def _save(caller: Caller, paths: dict[str, str]) -> None:
    state = st.session_state
    label = state.get("tpl_scenario")
    if label not in paths:
        return
    try:
        scenario, bundle = gather(paths[label])
    except ScenarioError as exc:
        _failed(exc)
        return
    name, marking = str(state.get("tpl_name") or ""), str(state.get("tpl_marking") or "").strip() or None
    svc = session.service()
    if state.get("tpl_from_exercise"):
        saved = session.perform(f"Template {name!r} saved", lambda: svc.save_exercise_as_template(
            caller, name, scenario, bundle, marking=marking))
    else:
        by_name = {a.name: a.id for a in scenario.agencies}
        players = tuple(by_name[n] for n in state.get("tpl_players") or () if n in by_name)
        setup = TemplateSetUp(players, typed_contacts("tpl"), marking,
                              str(state.get("tpl_timezone") or "").strip() or None)
        saved = session.perform(f"Template {name!r} saved", lambda: svc.save_template(name, scenario, bundle, setup))
    if saved is not None:
        state.pop(ERROR_KEY, None)


def library(templates: list[TemplateInfo]) -> None:
    st.header("Library", anchor=False)
    if not templates:
        st.info("No template yet: save one below from a scenario, with who plays which agency.", icon=":material/info:")
        return
    st.dataframe(pd.DataFrame([
        {"Template": t.name, "Version": t.version, "Scenario": t.scenario_name,
         "Agencies played by people": len(t.setup.players), "Saved": t.created_at.strftime("%Y-%m-%d %H:%M UTC"),
         "State": "retired" if t.retired else "offered"} for t in templates
    ]), hide_index=True, key="tpl_table")


@st.cache_data(max_entries=64, show_spinner=False)
def _played(name: str, version: int, players: tuple[str, ...]) -> str:
    """The agencies people play, by name; the files' problem when they no longer load."""
    try:
        scenario = load_bundle(session.service().template_bundle(name, version), f"template {name!r}")
    except ScenarioError as exc:
        return f"(the template's files no longer load: {exc.problems[0]})"
    return ", ".join(scenario.agency(p).name for p in players) or "none"


def details(info: TemplateInfo) -> None:
    st.subheader(info.label, anchor=False)
    rows = [("Scenario", info.scenario_name),
            ("Played by people", _played(info.name, info.version, info.setup.players)),
            ("Handling marking", info.setup.marking or "none"), ("Time zone", info.setup.timezone or "none"),
            *((c.role, ", ".join(v for v in (c.name, c.organization, c.contact) if v)) for c in info.setup.contacts)]
    st.dataframe(pd.DataFrame(rows, columns=["Item", "Set-up"]), hide_index=True, key="tpl_details")
    st.dataframe(pd.DataFrame([{"File": f.path, "Bytes": f.size, "SHA-256": f.sha256} for f in info.files]),
                 hide_index=True, key="tpl_files")
    if info.retired:
        st.caption("This version is retired: kept for the record, no longer offered.")
        return
    with st.form("tpl_new", border=True):
        st.text_input("Name of the new exercise (optional)", key="tpl_exercise_name", max_chars=200,
                      placeholder=f"{info.scenario_name} ({info.label})")
        st.form_submit_button("New exercise from this template", type="primary", icon=":material/add_circle:",
                              on_click=_new_exercise, args=(info,))
    left, right = st.columns(2)
    with left.form("tpl_rename", border=True):
        st.text_input("New name for every version", key="tpl_new_name", max_chars=200)
        st.form_submit_button("Rename", on_click=_rename, args=(info,))
    right.button("Retire this version", icon=":material/archive:", key="tpl_retire", on_click=_retire, args=(info,))


def save_form(caller: Caller) -> None:
    st.header("Save a template", anchor=False)
    paths = {label: str(path) for label, path in scenario_files().items()}
    st.selectbox("Scenario", list(paths), key="tpl_scenario")
    label = st.session_state.get("tpl_scenario")
    try:
        scenario, _ = gather(paths[label]) if label in paths else (None, None)
    except ScenarioError as exc:
        st.error(md(f"The scenario does not load: {exc.problems[0]}"), icon=":material/error:")
        return
    with st.form("tpl_save", border=True):
        st.text_input("Template name", key="tpl_name", max_chars=200, placeholder="e.g. County MCI tabletop")
        st.checkbox(md(f"Take who plays, the contacts and the time zone from {session.service().exercise_name(caller)} "
                       "(the scenario above must be the one it ran)"), key="tpl_from_exercise")
        if scenario is not None:
            st.multiselect("Agencies played by people (the others by the simulation)",
                           [a.name for a in scenario.agencies], key="tpl_players",
                           default=[a.name for a in scenario.agencies if a.played_by.value == "players"])
        st.text_input("Handling marking (optional)", key="tpl_marking", max_chars=200,
                      placeholder="For Official Use Only")
        st.text_input("Time zone (IANA, optional)", key="tpl_timezone", max_chars=64, placeholder="America/Chicago")
        with st.expander("Points of contact (optional)"):
            contacts_fields("tpl")
        st.form_submit_button("Save template", type="primary", icon=":material/save:", on_click=_save,
                              args=(caller, paths))


def render() -> None:
    caller: Caller = session.require_caller(Role.CONTROLLER)
    st.title("Exercise templates")
    created = st.session_state.get(CREATED_KEY)
    if isinstance(created, CreatedExercise):
        show_codes(created)
    error = st.session_state.get(ERROR_KEY)
    if error:
        st.error("The template's files do not load; nothing was made:", icon=":material/error:")
        st.code(str(error), language=None)
    templates = session.service().templates(retired=True)
    library(templates)
    if templates:
        labels = {t.label: t for t in templates}
        chosen = st.selectbox("Template", list(labels), key="tpl_chosen")
        if chosen in labels:
            details(labels[chosen])
    save_form(caller)


if __name__ == "__main__":
    render()
