"""The evaluator's page: the Exercise Evaluation Guide (``console.eeg``), then free observations
against capabilities and critical tasks, rated P / S / M / U.

The free observation form asks which capability (and objective, agency, critical task), how it was
performed, strengths, areas for improvement. The live timeline and feed below it are what the
evaluator refers to; the evaluation team, the capability analyses and the hot wash follow.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import a11y, session
from console.derived import digest, evaluation_view, person, timeline_frame
from console.drafting import analysis_section
from console.eeg import eeg_section
from console.evaluation_team import team_section
from console.hot_wash import hot_wash_section
from console.text import clip, md
from console.widgets import counted_text, exercise_header, feed_table, text_table, timeline_chart, too_long
from exercises.access import Caller, Role
from exercises.record.corrections import effective
from exercises.record.entries import CAPABILITY_ELEMENTS, ObservationRecorded
from exercises.scenario.capabilities import CORE_CAPABILITIES
from exercises.scenario.durations import format_duration
from exercises.scenario.model import RATING_MEANING, Rating, Scenario


def rating_label(rating: Rating | None) -> str:
    return "not rated" if rating is None else f"{rating.value}: {RATING_MEANING[rating]}"


TEXT_FIELDS = {"Critical task": "obs_task", "Strengths": "obs_strengths", "Areas for improvement": "obs_afi",
               "Notes": "obs_text"}


def _record(caller: Caller, agencies: dict[str, str]) -> None:
    capability = st.session_state.get("obs_capability")
    if not capability:
        return
    refused = too_long(TEXT_FIELDS)
    if refused:
        a11y.said(f"Not recorded: {refused}", ok=False, slot="observation")
        st.toast(md(f"Not recorded: {refused}"), icon=":material/error:")
        return
    rating: Rating | None = st.session_state.get("obs_rating")
    about = st.session_state.get("obs_agency")
    what = (f"Observation recorded: {capability}" + (f" about {agencies.get(about, about)}" if about else "")
            + (f" rated {rating.value}" if rating else ""))
    done = session.perform(what, slot="observation", call=lambda: session.service().record_observation(
        caller,
        capability,
        agency=st.session_state.get("obs_agency") or None,
        objective=st.session_state.get("obs_objective") or None,
        critical_task=str(st.session_state.get("obs_task", "")),
        rating=rating,
        strengths=str(st.session_state.get("obs_strengths", "")),
        areas_for_improvement=str(st.session_state.get("obs_afi", "")),
        text=str(st.session_state.get("obs_text", "")),
        element=st.session_state.get("obs_element") or None,
    ))
    if done is None:
        return  # why is said under the button (the service's words)
    for key in TEXT_FIELDS.values():
        st.session_state[key] = ""
    st.session_state["obs_rating"] = None
    st.session_state["obs_element"] = None


def element_field() -> None:
    """The capability element the area for improvement is filed under in the Improvement Plan:
    the evaluator's choice, never guessed by the report."""
    st.selectbox("Capability element of the area for improvement (optional)", [None, *CAPABILITY_ELEMENTS],
                 key="obs_element", format_func=lambda e: "to be set at the after-action meeting" if e is None
                 else str(e).capitalize())


def observation_form(caller: Caller, scenario: Scenario) -> None:
    ours = list(dict.fromkeys(
        [*(c for o in scenario.objectives for c in o.capabilities), *(p.capability for p in scenario.protocols)]
    ))
    capabilities = [*ours, *(c for c in CORE_CAPABILITIES if c not in ours)]
    objectives = {o.id: o.short_title or o.text for o in scenario.objectives}
    agencies = {a.id: a.name for a in scenario.agencies}
    # Not a form: each field's counter follows what was typed as soon as the field is left.
    with st.container(border=True):
        st.subheader("Record an observation")
        st.selectbox("Core capability", capabilities, key="obs_capability",
                     help="The scenario's own capabilities come first.")
        # One a row, at the form's full width, objectives by their short titles: names show whole.
        st.selectbox("Objective (optional)", [None, *objectives], key="obs_objective",
                     format_func=lambda i: "none" if i is None else objectives[i])
        st.selectbox("Agency observed (optional)", [None, *agencies], key="obs_agency",
                     format_func=lambda i: "all / not one agency" if i is None else agencies[i])
        counted_text("Critical task", "obs_task", area=False,
                     placeholder="e.g. Establish unified command with the Sheriff and FPS")
        st.radio("Rating", [*Rating], key="obs_rating", index=None, horizontal=True, format_func=rating_label)
        counted_text("Strengths", "obs_strengths")
        counted_text("Areas for improvement", "obs_afi")
        element_field()
        counted_text("Notes (what was seen, when, by whom)", "obs_text")
        st.button("Record observation", type="primary", icon=":material/fact_check:", key="obs_record",
                  on_click=_record, args=(caller, agencies))
        a11y.feedback("observation")


def observations_table(caller: Caller, scenario: Scenario) -> None:
    entries = effective(session.service().evaluation_record(caller))
    agencies = {a.id: a.name for a in scenario.agencies}
    objectives = {o.id: o.short_title or clip(o.text, 90) for o in scenario.objectives}
    rows = [
        {
            "Time": format_duration(e.at),
            "By": person(e.actor),
            "About": agencies.get(e.agency or "", "all agencies"),
            "Capability": e.payload.capability,
            "Objective": objectives.get(e.payload.objective or "", ""),
            "Rating": e.payload.rating.value if e.payload.rating else "",
            "Critical task": e.payload.critical_task,
            "Strengths": e.payload.strengths,
            "Areas for improvement": e.payload.areas_for_improvement,
            "Notes": e.payload.text,
        }
        for e in reversed(entries)
        if isinstance(e.payload, ObservationRecorded)
    ]
    st.header(f"Observations so far ({len(rows)})")
    if rows:
        text_table(pd.DataFrame(rows), height=480)
    else:
        st.caption("None yet.")


@st.fragment(run_every=session.WATCH_EVERY)
@session.in_words
def live_header(caller: Caller) -> None:
    """The clock, every 2 s; the rest of the page is redrawn when the journal has news."""
    session.watch(caller)
    state = session.service().state(caller)
    exercise_header(state, subtitle=state.scenario_name)


@session.in_words
def live(caller: Caller) -> None:
    svc = session.service()
    state = svc.state(caller)
    scenario = svc.scenario(caller)
    folded = digest(session.view_cache(), caller.exercise_id, scenario, svc.journal(caller))
    st.header("Timeline")
    st.caption("The last hour of exercise time.")
    timeline_chart(timeline_frame(folded.window(state.clock)), state.clock, key="eval_timeline_table")
    st.header("Live feed")
    feed_table(folded.feed(), key="eval_feed", height=300)


def render() -> None:
    caller = session.require_caller(Role.EVALUATOR, Role.CONTROLLER)
    session.full_run()
    live_header(caller)
    svc = session.service()
    scenario = svc.scenario(caller)
    view = evaluation_view(svc, session.view_cache(), caller)
    eeg_section(caller, scenario, view, svc.state(caller).name)
    st.header("Observations")
    # The form at the page's full width: its selects show the longest agency names whole at 1280 px.
    observation_form(caller, scenario)
    live(caller)
    observations_table(caller, scenario)
    team_section(caller, scenario)
    analysis_section(caller, scenario, view)
    hot_wash_section(caller, scenario)


if __name__ == "__main__":
    render()
