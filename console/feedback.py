"""The Participant Feedback Form (HSEEP), for every participant once play has ended: the exercise's
design and conduct rated from 1 to 5, and the free-text questions. What participants write reaches
the AAR/IP's Appendix D as their words."""

from __future__ import annotations

import streamlit as st

from console import session
from console.widgets import counted_text, exercise_header, too_long
from exercises.access import Caller, Role
from exercises.record.entries import FEEDBACK_QUESTIONS, FEEDBACK_STATEMENTS
from exercises.views import ClockStatus

SCALE = {1: "1 strongly disagree", 2: "2 disagree", 3: "3 neutral", 4: "4 agree", 5: "5 strongly agree"}


def _submit(caller: Caller) -> None:
    refused = too_long({text: f"fb_{key}" for key, text in FEEDBACK_QUESTIONS.items()})
    if refused:
        st.toast(f"Not recorded: {refused}", icon=":material/error:")
        return
    ratings = {key: int(v) for key in FEEDBACK_STATEMENTS if (v := st.session_state.get(f"fb_{key}")) is not None}
    answers = {key: str(st.session_state.get(f"fb_{key}") or "") for key in FEEDBACK_QUESTIONS}
    done = session.perform("Feedback form recorded: thank you",
                           lambda: session.service().submit_feedback(caller, ratings, answers))
    if done is not None:
        for key in [*FEEDBACK_STATEMENTS, *FEEDBACK_QUESTIONS]:
            st.session_state[f"fb_{key}"] = "" if key in FEEDBACK_QUESTIONS else None
        st.session_state["fb_done"] = True


def form(caller: Caller) -> None:
    if st.session_state.get("fb_done"):
        st.success("Your feedback form is recorded. Thank you. Another participant on this device may fill "
                   "the form below.", icon=":material/check_circle:")
    st.header("Exercise design and conduct")
    st.caption("1 strongly disagree to 5 strongly agree; leave out any.")
    for key, text in FEEDBACK_STATEMENTS.items():
        st.radio(text, list(SCALE), key=f"fb_{key}", index=None, horizontal=True, format_func=SCALE.__getitem__)
    st.header("Your observations and recommendations")
    for key, text in FEEDBACK_QUESTIONS.items():
        counted_text(text, f"fb_{key}")
    st.button("Submit feedback form", type="primary", key="fb_submit", icon=":material/rate_review:",
              on_click=_submit, args=(caller,))


def render() -> None:
    caller = session.require_caller(*Role)
    svc = session.service()
    state = svc.state(caller)
    exercise_header(state, subtitle="Participant Feedback Form")
    if state.status is not ClockStatus.ENDED:
        st.info("The feedback form opens when the exercise ends: it is filled right after play.",
                icon=":material/schedule:")
        return
    form(caller)


if __name__ == "__main__":
    render()
