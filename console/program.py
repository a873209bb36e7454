"""The program page: the preparedness program's priorities and schedule, and the corrective actions
of its finalised AAR/IPs, each changed here with a reason (who and when are kept by the service).

A controller finalises the exercise's AAR/IP here after the after-action meeting. A player sees and
changes only their own agency's actions (the service checks it again); observers read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from aar.model import Retest
from aar.program import finalise
from aar.program_report import (
    AGENCY_COLUMNS,
    CAPABILITY_COLUMNS,
    ProgramReport,
    agency_trend,
    build_program_report,
    capability_trend,
)
from console import session
from console.derived import ViewCache
from console.report import current_retests
from console.text import md
from console.widgets import counted_text, described_chart, page_of, rows_of, text_table, too_long
from exercises.access import Caller, Role
from exercises.program.ip_sheet import schedule_xlsx
from exercises.program.model import (
    PRIORITY_COLUMNS,
    SCHEDULE_COLUMNS,
    VERDICTS,
    ActionStatus,
    CorrectiveAction,
    ProgramPlan,
    schedule_rows,
)
from exercises.program.service import ProgramService
from exercises.service.exercise_service import ExerciseService
from exercises.storage.tables import wall_datetime

UPDATE_FIELDS = {"Notes": "ca_notes", "Why": "ca_why"}


def programs() -> ProgramService:
    """The program service over the console's database (it holds no cache of its own)."""
    return ProgramService(session.service().db)


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def actions_frame(actions: list[tuple[str, CorrectiveAction]], today: dt.date) -> pd.DataFrame:
    return pd.DataFrame([
        {
            "Exercise": exercise, "Core capability": a.capability, "Element": a.element.capitalize(),
            "Corrective action": a.action, "Agency": a.agency_name, "Point of contact": a.point_of_contact,
            "Start": _day(a.start_date), "Completion": _day(a.completion_date),
            "Status": a.status.value + (" (overdue)" if a.overdue(today) else ""), "Notes": a.notes,
        }
        for exercise, a in actions
    ])


def schedule(plan: ProgramPlan) -> None:
    st.header(md(plan.name))
    st.caption(f"Preparedness program, {plan.first_year} to {plan.last_year}")
    # Made when asked for (Streamlit calls it on the click): not on every redraw of the page.
    st.download_button("Download the IPP schedule (.xlsx)", lambda: schedule_xlsx(plan), file_name="ipp-schedule.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ipp_xlsx")
    if plan.priorities:
        st.subheader("Priorities")
        text_table(pd.DataFrame([(n, p.capability, p.why) for n, p in enumerate(plan.priorities, 1)],
                                columns=list(PRIORITY_COLUMNS)))
    st.subheader("Schedule of exercises")
    text_table(pd.DataFrame([(day.isoformat(), *texts) for day, *texts in schedule_rows(plan)],
                            columns=list(SCHEDULE_COLUMNS)))


def tracked(service: ProgramService, caller: Caller, plan: ProgramPlan | None) -> list[tuple[str, CorrectiveAction]]:
    """The actions this caller sees: the program's (or this exercise's), a player's own agency's only."""
    runs = [(e.title, e.exercise_id) for e in plan.exercises if e.exercise_id] if plan else []
    if not any(ex == caller.exercise_id for _, ex in runs):
        runs.append((service.exercise_name(caller.exercise_id), caller.exercise_id))
    by_exercise = service.actions_of([ex for _, ex in runs if ex is not None])
    found = [(title, a) for title, ex in runs if ex is not None for a in by_exercise[ex]]
    return [(t, a) for t, a in found if caller.role is not Role.PLAYER or a.agency == caller.agency]


def _finalise(caller: Caller) -> None:
    session.perform(
        lambda made: f"AAR/IP finalised: {len(made)} corrective actions tracked, each open",
        lambda: finalise(session.service(), programs(), caller),
    )


def _update(caller: Caller, choices: dict[str, CorrectiveAction]) -> None:
    refused = too_long(UPDATE_FIELDS)
    action = choices.get(str(st.session_state.get("ca_action")))
    if refused or action is None:
        st.toast(md(f"Not recorded: {refused or 'choose an action'}"), icon=":material/error:")
        return
    fields = {
        "status": str(st.session_state.get("ca_status") or action.status.value),
        "point_of_contact": str(st.session_state.get("ca_contact") or ""),
        "start_date": _day(st.session_state.get("ca_start")),
        "completion_date": _day(st.session_state.get("ca_due")),
        "notes": str(st.session_state.get("ca_notes") or ""),
    }
    current = {"status": action.status.value, "point_of_contact": action.point_of_contact,
               "start_date": _day(action.start_date), "completion_date": _day(action.completion_date),
               "notes": action.notes}
    changed = {k: v for k, v in fields.items() if v != current[k]}
    done = session.perform(
        f"Corrective action updated: {action.action[:60]}",
        lambda: programs().update(caller, action.exercise_id, action.key, changed, str(st.session_state.get("ca_why", ""))),
    )
    if done is not None:
        st.session_state["ca_why"] = ""


def _fill(choices: dict[str, CorrectiveAction]) -> None:
    """The form shows the chosen action as it stands."""
    action = choices.get(str(st.session_state.get("ca_action")))
    if action is None:
        return
    st.session_state.update(ca_status=action.status.value, ca_contact=action.point_of_contact,
                            ca_start=action.start_date, ca_due=action.completion_date, ca_notes=action.notes)


def update_form(caller: Caller, actions: list[tuple[str, CorrectiveAction]]) -> None:
    choices = {f"{a.exercise_id}|{a.key}": a for _, a in actions}
    labels = {k: f"{a.agency_name or 'no agency'}: {a.action}" for k, a in choices.items()}
    statuses = [s.value for s in ActionStatus if caller.role is not Role.PLAYER or s not in VERDICTS]
    with st.container(border=True):
        st.subheader("Update a corrective action")
        st.selectbox("Corrective action", list(choices), key="ca_action", format_func=labels.__getitem__,
                     on_change=_fill, args=(choices,), index=None, placeholder="choose one")
        a, b, c = st.columns(3)
        a.selectbox("Status", statuses, key="ca_status", index=None, placeholder="as it stands")
        b.date_input("Start date", key="ca_start", value=None)
        c.date_input("Completion date", key="ca_due", value=None)
        st.text_input("Point of contact", key="ca_contact")
        counted_text("Notes", "ca_notes")
        counted_text("Why (kept with the change)", "ca_why", area=False)
        st.button("Save the change", type="primary", key="ca_save", on_click=_update, args=(caller, choices))
    chosen = choices.get(str(st.session_state.get("ca_action")))
    if chosen is not None:
        history(chosen)


def history(action: CorrectiveAction) -> None:
    changes = programs().history(action.exercise_id, action.key)
    st.subheader("History of this action")
    text_table(pd.DataFrame([
        {
            "When (UTC)": wall_datetime(c.wall_time).strftime("%Y-%m-%d %H:%M"), "Who": c.actor, "Why": c.why,
            "What changed": "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in c.fields.items()
                                      if v and k in {"status", "point_of_contact", "start_date", "completion_date", "notes"}),
        }
        for c in changes
    ]))


@dataclass(frozen=True)
class PageData:
    """Everything the page shows, read in one go (no Streamlit: the benchmark times this)."""

    plan: ProgramPlan | None
    report: ProgramReport | None
    """The program's trends (not read for a player: other agencies' figures)."""
    retests: tuple[Retest, ...]
    exercise_name: str
    actions: list[tuple[str, CorrectiveAction]]
    finalised: bool


def page_data(svc: ExerciseService, cache: ViewCache, caller: Caller, today: dt.date) -> PageData:
    service = ProgramService(svc.db)
    program = service.program_of(caller.exercise_id)
    plan = service.plan(program) if program is not None else None
    made: ProgramReport | None = None
    retests: tuple[Retest, ...] = ()
    name = ""
    if plan is not None and caller.role is not Role.PLAYER:
        made = build_program_report(svc, service, plan.id, today)
        retests, name = current_retests(svc, cache, caller), svc.exercise_name(caller)
    return PageData(plan, made, retests, name, tracked(service, caller, plan), service.finalised(caller.exercise_id))


def trends(made: ProgramReport) -> None:
    """Capabilities and agencies across the program's conducted exercises, from stored summaries."""
    if not made.conducted:
        return
    st.header("Trends across the program's exercises")
    order = [r.title for r in made.conducted]
    points = pd.DataFrame([
        {"Exercise": r.title, "Core capability": c, "Met (%)": round(100 * v["critical_met"] / v["critical_scored"])}
        for c in made.capabilities() for r in made.conducted
        if (v := r.summary["capabilities"].get(c, {})).get("critical_scored")
    ])
    if not points.empty:
        st.subheader("Share of critical tasks met, exercise by exercise (%)")
        chart = alt.Chart(points).mark_line(point=True).encode(
            x=alt.X("Exercise:N", sort=order, axis=alt.Axis(labelAngle=0, labelLimit=0)),
            y=alt.Y("Met (%):Q", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("Core capability:N", legend=alt.Legend(orient="bottom", labelLimit=0)),
        ).properties(height=260)
        table = points.pivot_table(index="Core capability", columns="Exercise", values="Met (%)")
        table = table.reindex(columns=[e for e in order if e in table.columns]).round(0).reset_index().fillna("")
        described_chart(chart, table, key="prog_trend_table", what="Critical tasks met",
                        description=f"Line chart: the share of critical tasks met (%) in {len(order)} exercises, "
                                    f"for {points['Core capability'].nunique()} core capabilities.")
    rows = [dict(zip(("Core capability", *CAPABILITY_COLUMNS), (c, *row), strict=True))
            for c in made.capabilities() for row in capability_trend(made, c)]
    if rows:
        st.subheader("Core capabilities")
        text_table(rows_of(pd.DataFrame(rows), "Core capability", "prog_capability"))
    agencies = [dict(zip(AGENCY_COLUMNS, row, strict=True)) for row in agency_trend(made)]
    if agencies:
        st.subheader("Agencies")
        text_table(rows_of(pd.DataFrame(agencies), "Agency", "prog_agency"))


def _confirm(caller: Caller, retest: Retest, verdict: str, exercise_name: str) -> None:
    session.perform(
        f"Confirmed {verdict}: {retest.corrective_action[:60]}",
        lambda: programs().update(
            caller, retest.source_exercise_id, retest.action_key, {"status": verdict},
            f"re-tested in {exercise_name}: {retest.new_outcome}",
        ),
    )


def retested(caller: Caller, retests: tuple[Retest, ...], exercise_name: str) -> None:
    """This exercise's re-tests of earlier corrective actions, those awaiting a verdict first; a
    controller or evaluator confirms each, one chosen at a time (never set silently)."""
    if not retests:
        return
    st.header("Corrective actions re-tested in this exercise")
    confirmed = {s.value for s in VERDICTS}
    pending = [t for t in retests if t.status not in confirmed]
    ordered = [*pending, *(t for t in retests if t.status in confirmed)]
    text_table(page_of(pd.DataFrame([
        {"Corrective action": t.corrective_action, "Agency": t.agency_name, "From": t.source_exercise,
         "Earlier finding": t.earlier_finding, "Outcome in this exercise": t.new_outcome,
         "Suggested verdict": t.suggested, "Status of record": t.status}
        for t in ordered
    ]), "rt_rows", "re-tests"))
    if caller.role in {Role.CONTROLLER, Role.EVALUATOR} and pending:
        confirm_form(caller, pending, exercise_name)


def confirm_form(caller: Caller, pending: list[Retest], exercise_name: str) -> None:
    choices = {f"{t.source_exercise_id}|{t.action_key}": t for t in pending}
    with st.container(border=True):
        st.subheader(f"Confirm a re-test ({len(pending):,} awaiting a verdict)")
        key = st.selectbox("Re-test", list(choices), key="rt_choice", index=None, placeholder="choose one",
                           format_func=lambda k: f"{choices[k].corrective_action} ({choices[k].agency_name}): "
                                                 f"suggested {choices[k].suggested}")
        chosen = choices.get(str(key))
        left, right, _ = st.columns([1, 1.2, 2.5])
        for column, verdict, label in ((left, ActionStatus.VALIDATED, "Confirm validated"),
                                       (right, ActionStatus.NOT_VALIDATED, "Confirm not validated")):
            column.button(label, key=f"rt_{verdict.name.lower()}", disabled=chosen is None, on_click=_confirm,
                          args=(caller, chosen, verdict.value, exercise_name))


def render() -> None:
    caller = session.require_caller(*Role)
    session.heartbeat()
    st.title("Corrective actions")
    data = page_data(session.service(), session.view_cache(), caller, dt.datetime.now(dt.UTC).date())
    if data.plan is not None:
        schedule(data.plan)
        if data.report is not None:
            trends(data.report)
        retested(caller, data.retests, data.exercise_name)
    else:
        st.caption("This exercise is not in a preparedness program's schedule (hotwash program conducted).")
    st.header("Tracked corrective actions")
    if caller.role is Role.CONTROLLER and not data.finalised:
        st.button("Finalise the AAR/IP", key="ca_finalise", on_click=_finalise, args=(caller,),
                  help="After the after-action meeting: each improvement-plan row becomes a tracked action.")
    actions = data.actions
    if not actions:
        st.caption("None tracked yet: a controller finalises the AAR/IP after the after-action meeting.")
        return
    text_table(page_of(actions_frame(actions, dt.datetime.now(dt.UTC).date()), "ca_rows", "corrective actions"))
    if caller.role is not Role.OBSERVER:
        update_form(caller, actions)


if __name__ == "__main__":
    render()
