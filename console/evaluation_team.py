"""The evaluation team on the evaluator's page: assignments and the lead evaluator (named by a
controller), each evaluator's own capability ratings with their reasons, kept apart from the
others' until the lead evaluator reconciles them into the final rating.

What an evaluator sees here is what the service lets them read: other evaluators' unreconciled
ratings come without rating and reason (``exercises.views.evaluation``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from aar.agreement import pair_agreement
from console import session
from console.derived import person
from console.text import md
from console.widgets import counted_text, text_table, too_long
from exercises.access import Caller, Role
from exercises.record.entries import CapabilityRated, Entry, RatingReconciled
from exercises.scenario.durations import format_duration
from exercises.scenario.model import RATING_MEANING, Rating, Scenario
from exercises.views.evaluation import assignments, is_lead, lead_evaluator, unreconciled

KEPT_APART = "kept apart until the lead evaluator reconciles"


def rating_label(rating: Rating) -> str:
    return f"{rating.value}: {RATING_MEANING[rating]}"


def capabilities_of(scenario: Scenario) -> list[str]:
    """The capabilities the scenario's objectives and protocols name, in their order."""
    return list(dict.fromkeys(
        [*(c for o in scenario.objectives for c in o.capabilities), *(p.capability for p in scenario.protocols)]
    ))


def _assign(caller: Caller) -> None:
    name = str(st.session_state.get("team_name") or "").strip()
    capability = st.session_state.get("team_capability")
    agency = st.session_state.get("team_agency")
    lead = bool(st.session_state.get("team_lead"))
    done = session.perform(
        f"{name} named lead evaluator" if lead else f"{name} assigned",
        lambda: session.service().assign_evaluator(caller, name, capability=capability, agency=agency, lead=lead),
    )
    if done is not None:
        st.session_state["team_name"] = ""


def assignment_form(caller: Caller, scenario: Scenario) -> None:
    agencies = {a.id: a.name for a in scenario.agencies}
    with st.container(border=True):
        st.subheader("Assign an evaluator")
        st.caption("By the name they sign in with.")
        a, b = st.columns(2)
        a.text_input("Evaluator's name", key="team_name", max_chars=60)
        b.checkbox("Lead evaluator (sees every rating and reconciles them)", key="team_lead")
        a.selectbox("Capability to evaluate", [None, *capabilities_of(scenario)], key="team_capability",
                    format_func=lambda c: "any" if c is None else str(c))
        b.selectbox("Agency to evaluate", [None, *agencies], key="team_agency",
                    format_func=lambda i: "any" if i is None else agencies[i])
        st.button("Assign", key="team_assign", icon=":material/group_add:", on_click=_assign, args=(caller,))


def _rate(caller: Caller) -> None:
    refused = too_long({"Reason for the rating": "rate_reason"})
    capability, rating = st.session_state.get("rate_capability"), st.session_state.get("rate_rating")
    if refused or rating is None or not capability:
        st.toast(md(f"Not recorded: {refused or 'choose a capability and a rating'}"), icon=":material/error:")
        return
    done = session.perform(
        f"Rating recorded: {capability} rated {rating.value}",
        lambda: session.service().rate_capability(
            caller, capability, rating, str(st.session_state.get("rate_reason") or ""),
            objective=st.session_state.get("rate_objective") or None),
    )
    if done is not None:
        st.session_state["rate_reason"] = ""
        st.session_state["rate_rating"] = None


def rating_form(caller: Caller, scenario: Scenario) -> None:
    objectives = {o.id: o.short_title or o.text for o in scenario.objectives}
    with st.container(border=True):
        st.subheader("Rate a capability")
        st.caption("Your rating is kept apart from the other evaluators' until the lead evaluator reconciles "
                   "them.")
        st.selectbox("Capability to rate", capabilities_of(scenario), key="rate_capability")
        st.selectbox("Objective rated against (optional)", [None, *objectives], key="rate_objective",
                     format_func=lambda i: "none" if i is None else objectives[i])
        st.radio("Your rating", [*Rating], key="rate_rating", index=None, horizontal=True, format_func=rating_label)
        counted_text("Reason for the rating", "rate_reason",
                     placeholder="What you saw that earns this rating: times, who, what was missing")
        st.button("Record rating", type="primary", key="rate_record", icon=":material/grading:",
                  on_click=_rate, args=(caller,))


def ratings_table(entries: list[Entry], objectives: dict[str, str]) -> None:
    pending = unreconciled(entries)
    rows = []
    for e in reversed(entries):
        p = e.payload
        if isinstance(p, CapabilityRated):
            rows.append({
                "Time": format_duration(e.at), "By": person(e.actor), "Capability": p.capability,
                "Objective": objectives.get(p.objective or "", ""),
                "Rating": p.rating.value if p.rating else KEPT_APART,
                "Reason": p.reason, "Status": "awaiting reconciliation" if e.seq in pending else "reconciled",
            })
        elif isinstance(p, RatingReconciled):
            rows.append({
                "Time": format_duration(e.at), "By": f"{person(e.actor)}, lead", "Capability": p.capability,
                "Objective": objectives.get(p.objective or "", ""), "Rating": p.rating.value,
                "Reason": p.reason, "Status": "final rating",
            })
    st.subheader(f"Capability ratings ({len(rows)})")
    if rows:
        text_table(pd.DataFrame(rows), height=360)
    else:
        st.caption("None yet.")


def _reconcile(caller: Caller) -> None:
    capability, rating = st.session_state.get("rec_capability"), st.session_state.get("rec_rating")
    refused = too_long({"Reason for the final rating": "rec_reason"})
    if refused or rating is None or not capability:
        st.toast(md(f"Not recorded: {refused or 'choose a capability and the final rating'}"),
                 icon=":material/error:")
        return
    cap, _, objective = str(capability).partition("\t")
    done = session.perform(
        f"Final rating recorded: {cap} rated {rating.value}",
        lambda: session.service().reconcile_rating(
            caller, cap, rating, str(st.session_state.get("rec_reason") or ""), objective=objective or None),
    )
    if done is not None:
        st.session_state["rec_reason"] = ""
        st.session_state["rec_rating"] = None


def reconcile_form(caller: Caller, entries: list[Entry], objectives: dict[str, str]) -> None:
    """The lead evaluator's view: each capability with unreconciled ratings, their agreement, and
    the final rating with its reason."""
    pending = unreconciled(entries)
    waiting: dict[str, list[Entry]] = {}
    for e in entries:
        if e.seq in pending and isinstance(e.payload, CapabilityRated):
            waiting.setdefault(f"{e.payload.capability}\t{e.payload.objective or ''}", []).append(e)
    with st.container(border=True):
        st.subheader("Reconcile the ratings")
        st.caption("For the lead evaluator.")
        if not waiting:
            st.caption("No rating awaits reconciliation.")
            return

        def label(key: str) -> str:
            cap, _, objective = key.partition("\t")
            return f"{cap} ({objectives.get(objective, objective)})" if objective else cap

        chosen = st.selectbox("Capability to reconcile", list(waiting), key="rec_capability", format_func=label)
        latest = {e.actor: e for e in waiting.get(str(chosen), [])}
        ratings = [e.payload.rating for e in latest.values() if isinstance(e.payload, CapabilityRated)]
        share = pair_agreement(ratings)
        st.caption(md(
            "; ".join(f"{person(a)}: {e.payload.rating.value if isinstance(e.payload, CapabilityRated) and e.payload.rating else '-'}"
                      for a, e in latest.items())
            + (f". Agreement: {float(share):.0%} of pairs of evaluators." if share is not None else ".")
        ))
        st.radio("Final rating", [*Rating], key="rec_rating", index=None, horizontal=True, format_func=rating_label)
        counted_text("Reason for the final rating", "rec_reason",
                     placeholder="Why this rating, weighing the evaluators' reasons")
        st.button("Record final rating", type="primary", key="rec_record", icon=":material/gavel:",
                  on_click=_reconcile, args=(caller,))


def team_section(caller: Caller, scenario: Scenario) -> None:
    entries = session.service().evaluation_record(caller)
    objectives = {o.id: o.short_title or o.text for o in scenario.objectives}
    lead = lead_evaluator(entries)
    st.header("Evaluation team")
    team = [f"{a.evaluator}: {'lead evaluator' if a.lead else ', '.join(x for x in (a.capability, a.agency) if x)}"
            for a in assignments(entries)]
    st.caption(md(("Lead evaluator: " + lead + "." if lead else "No lead evaluator named yet (a controller names one "
                   "here).") + (" Assignments: " + "; ".join(team) + "." if team else "")))
    if caller.role is Role.CONTROLLER:
        assignment_form(caller, scenario)
    elif not caller.name:
        st.info("Sign in again with your name to rate capabilities: ratings are kept per evaluator.")
    else:
        # One under the other, at full width: a capability with its objective shows whole in the selects.
        rating_form(caller, scenario)
        if is_lead(caller, entries):
            reconcile_form(caller, entries, objectives)
    ratings_table(entries, objectives)
