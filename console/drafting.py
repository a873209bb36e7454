"""The capability analyses: Hotwash drafts each from the findings, the observations and the
evaluators' explanations, every sentence citing its journal entries; the lead evaluator reads the
draft, edits it if need be and accepts it, and only the accepted text reaches the report (a journal
entry; a later edit is a new one). Other evaluators see what was accepted."""

from __future__ import annotations

import streamlit as st

from aar.drafting import Draft, accepted, draft
from aar.scoring import findings
from console import session
from console.derived import EvaluationView
from console.text import md
from console.widgets import counted_text, too_long
from exercises.access import Caller
from exercises.record.entries import MAX_ANALYSIS
from exercises.scenario.model import Scenario
from exercises.views.evaluation import is_lead

Item = tuple[str | None, str]


def items(scenario: Scenario) -> list[Item]:
    """(objective, capability) for every capability an objective names: the analyses the report prints."""
    return [(o.id, c) for o in scenario.objectives for c in o.capabilities]


def _accept(caller: Caller, item: Item, drafted: str, key: str) -> None:
    refused = too_long({"The analysis": key}, limit=MAX_ANALYSIS)
    if refused:
        st.toast(md(f"Not recorded: {refused}"), icon=":material/error:")
        return
    text = str(st.session_state.get(key) or "")
    objective, capability = item
    session.perform(
        f"Analysis of {capability} accepted for the report",
        lambda: session.service().accept_analysis(caller, capability, text, objective=objective,
                                                  edited=text.strip() != drafted.strip()))


def _reload(key: str, drafted: str) -> None:
    st.session_state[key] = drafted


def lead_form(caller: Caller, item: Item, drafted: Draft, key: str) -> None:
    st.subheader("Draft from the record")
    st.caption("Each sentence cites the journal entries it rests on. Nothing here is final until you accept it.")
    for sentence in drafted.sentences:
        st.markdown("- " + md(sentence.text))
    if key not in st.session_state:
        st.session_state[key] = drafted.text
    counted_text("The analysis as the report will print it", key, limit=MAX_ANALYSIS, height=220)
    row = st.container(horizontal=True)
    row.button("Accept the analysis", type="primary", icon=":material/task_alt:", key=f"{key}_accept",
               on_click=_accept, args=(caller, item, drafted.text, key))
    row.button("Start again from the current draft", icon=":material/restart_alt:", key=f"{key}_reload",
               on_click=_reload, args=(key, drafted.text))


def analysis_section(caller: Caller, scenario: Scenario, view: EvaluationView) -> None:
    st.header("Capability analysis")
    choices = items(scenario)
    objectives = {o.id: o.short_title or o.text for o in scenario.objectives}
    chosen = st.selectbox("Objective and core capability", range(len(choices)), key="ana_item",
                          format_func=lambda i: f"{objectives[choices[i][0] or '']}: {choices[i][1]}")
    item = choices[chosen or 0]
    record = view.record
    done = accepted(record).get((item[1], item[0]))
    if done is None:
        st.caption("Not accepted yet: the report says so and prints the findings without an analysis.")
    else:
        how = "Edited and accepted" if done.edited else "Accepted"
        st.markdown(md(done.text))
        st.caption(md(f"{how} by the lead evaluator, {done.accepted_by} (journal entry {done.seq}); the report prints it."))
    # Who leads is in the evaluation entries, which the service keeps folded: not a walk of the journal.
    if not is_lead(caller, session.service().evaluation_record(caller)):
        st.caption("The lead evaluator drafts and accepts the analysis.")
        return
    lead_form(caller, item, draft(record, findings(scenario, record), item[1], item[0]), f"ana_text_{chosen}")
