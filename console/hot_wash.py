"""The hot wash on the evaluation page: right after play the facilitator (a controller) records
what each agency's participants say went well and what to improve, each attributed to who said it.
These are participants' views; the report keeps them apart from the evaluators' findings."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import session
from console.text import md
from console.widgets import counted_text, text_table, too_long
from exercises.access import Caller, Role
from exercises.record.corrections import effective
from exercises.record.entries import Entry, HotWashPoint
from exercises.scenario.model import Scenario
from exercises.views import ClockStatus

POINTS = {"strength": "Strength (went well)", "area_for_improvement": "Area for improvement"}


def _record(caller: Caller, agencies: dict[str, str]) -> None:
    refused = too_long({"What was said": "hw_text"})
    agency = st.session_state.get("hw_agency")
    if refused or not agency:
        st.toast(md(f"Not recorded: {refused or 'choose the agency'}"), icon=":material/error:")
        return
    point = str(st.session_state.get("hw_point") or "strength")
    done = session.perform(
        f"Hot wash recorded: {agencies.get(agency, agency)}, {POINTS[point].lower()}",
        lambda: session.service().record_hot_wash(
            caller, agency, point, str(st.session_state.get("hw_text") or ""),
            str(st.session_state.get("hw_said_by") or "")),
    )
    if done is not None:
        st.session_state["hw_text"] = ""


def hot_wash_form(caller: Caller, agencies: dict[str, str]) -> None:
    with st.container(border=True):
        st.header("Record the hot wash")
        st.caption("For the facilitator: what participants say, agency by agency.")
        a, b = st.columns(2)
        a.selectbox("Agency", list(agencies), key="hw_agency", format_func=lambda i: agencies[i])
        b.text_input("Said by (name, position)", key="hw_said_by", max_chars=120)
        st.radio("Point", list(POINTS), key="hw_point", horizontal=True, format_func=POINTS.__getitem__)
        counted_text("What was said", "hw_text", placeholder="In the participant's words")
        st.button("Record hot-wash point", key="hw_record", icon=":material/record_voice_over:",
                  on_click=_record, args=(caller, agencies))


def hot_wash_table(entries: list[Entry], agencies: dict[str, str]) -> None:
    rows = [
        {"Agency": agencies.get(e.agency or "", e.agency or ""), "Point": POINTS[e.payload.point],
         "What was said": e.payload.text, "Said by": e.payload.said_by}
        for e in effective(entries)
        if isinstance(e.payload, HotWashPoint)
    ]
    st.header(f"Hot wash: participants' views ({len(rows)})")
    if rows:
        text_table(pd.DataFrame(rows), height=360)
    else:
        st.caption("Held right after play; none recorded yet.")


def hot_wash_section(caller: Caller, scenario: Scenario) -> None:
    svc = session.service()
    agencies = {a.id: a.name for a in scenario.agencies}
    if caller.role is Role.CONTROLLER and svc.state(caller).status is ClockStatus.ENDED:
        hot_wash_form(caller, agencies)
    hot_wash_table(svc.evaluation_record(caller), agencies)
