"""Commanders' and observers' page: the live summary and the AAR/IP PDF, at any point and after the end.

The summary is the after-action report as it stands now (``aar.report.build_report`` over the
journal so far). Controllers also edit the Improvement Plan rows here; each edit is a journal
entry, so the report made afterwards, by anyone, carries it.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from aar.model import SHORTFALLS, STATUS_LABEL, AfterActionReport, Element, ImprovementItem
from console import session
from console.report import current_report, report_pdf
from console.text import md
from console.widgets import exercise_header
from exercises.access import Caller, Role
from exercises.capabilities import CORE_CAPABILITIES
from exercises.durations import format_duration, format_span
from exercises.entries import IMPROVEMENT_FIELDS

COMPLIANCE_COLOURS = {"met": "#2e7d32", "late": "#ef6c00", "missed": "#c62828", "out of order": "#ad1457",
                      "not due yet": "#90a4ae"}


def compliance_chart(report: AfterActionReport) -> None:
    names = {p.id: p.name for p in report.participants}
    rows = []
    for count in report.by_agency:
        for label, n in (("met", count.met), ("late", count.late), ("missed", count.missed),
                         ("out of order", count.out_of_order), ("not due yet", count.open)):
            if n:
                rows.append({"agency": names.get(count.name, count.label), "status": label, "instances": n})
    if not rows:
        st.caption("No protocol has been triggered yet.")
        return
    chart = alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        x=alt.X("instances:Q", title="Protocol instances", stack="zero"),
        y=alt.Y("agency:N", title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.Color("status:N", title=None,
                        scale=alt.Scale(domain=list(COMPLIANCE_COLOURS), range=list(COMPLIANCE_COLOURS.values())),
                        legend=alt.Legend(orient="right")),
        tooltip=["agency:N", "status:N", "instances:Q"],
    ).properties(height=max(140, 34 * len({r["agency"] for r in rows})))
    st.altair_chart(chart, width="stretch")


def capability_table(report: AfterActionReport) -> None:
    rows = [
        {
            "Capability": r.capability,
            "Objective": r.objective or "",
            "Computed": r.computed.value if r.computed else "",
            "Evaluators": " ".join(e.rating.value for e in r.evaluator),
            "Of record": r.of_record.value if r.of_record else "",
            "Protocols met": f"{r.tasks.met} of {r.tasks.scored}" if r.tasks.scored else "",
            "Why": r.computed_reason,
        }
        for r in report.table1
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="sum_capabilities")


def bottlenecks(report: AfterActionReport) -> None:
    coord = report.coordination
    lines = [a.explanation for a in coord.agencies if a.overloaded or a.cut_off]
    for link in coord.links:
        if link.down_intervals:
            spans = ", ".join(f"{format_duration(a)}-{format_duration(b) if b is not None else 'end'}"
                              for a, b in link.down_intervals)
            lines.append(f"Link {' - '.join(link.between)} ({link.channel}) down {spans}.")
    unanswered = [r for r in coord.requests if r.answered_at is None]
    if unanswered:
        lines.append(f"{len(unanswered)} resource request(s) not answered.")
    st.markdown(
        f"**Coordination**: {coord.messages_sent} messages sent, {coord.messages_delivered} delivered, "
        f"{coord.messages_lost} lost."
    )
    if lines:
        for line in lines:
            st.text("• " + line)
    else:
        st.caption("No bottleneck stands out so far.")


def shortfalls(report: AfterActionReport) -> None:
    names = {p.id: p.name for p in report.participants}
    rows = [
        {
            "Protocol": f"{f.protocol_id} {f.protocol_title}",
            "Agency": names.get(f.agency, f.agency),
            "Status": STATUS_LABEL[f.status],
            "Critical": "yes" if f.critical else "",
            "Triggered": format_duration(f.triggered_at) if f.triggered_at is not None else "",
            "By how much": format_span(f.late_by_s) if f.late_by_s is not None else "",
        }
        for f in report.findings
        if f.status in SHORTFALLS
    ]
    st.markdown(f"**Areas for improvement found in the record** ({len(rows)})")
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="sum_shortfalls")
    else:
        st.caption("No late, missed or out-of-order protocol so far.")


def public_information(report: AfterActionReport) -> None:
    """The report's public-information section (scenarios with a media layer): first statement,
    rumours and who answered them, and the trust curve."""
    pi = report.public_information
    if pi is None:
        return
    st.markdown("**Public information and community trust**")
    row = st.columns(3)
    first = format_span(pi.time_to_first_statement_s) if pi.time_to_first_statement_s is not None else "none yet"
    row[0].metric("First statement after", first, border=True, help=pi.first_statement_by or None)
    answered = sum(1 for r in pi.rumours if r.addressed_at is not None)
    row[1].metric("Rumours answered", f"{answered} of {len(pi.rumours)}", border=True)
    row[2].metric("Community trust", f"{pi.trust_end:.0f} / 100", border=True, help=f"started at {pi.trust_start:.0f}")
    if pi.rumours:
        rows = [
            {
                "Rumour": r.topic, "Started by": r.source, "Started": format_duration(r.started_at),
                "Peak reach": r.peak_reach,
                "Answered": format_duration(r.addressed_at) if r.addressed_at is not None else "not answered",
                "Took": format_span(r.time_to_address_s) if r.time_to_address_s is not None else "",
                "By": r.addressed_by,
            }
            for r in pi.rumours
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="sum_rumours")
    points = [*pi.trust, pi.trust[-1].model_copy(update={"at": max(pi.end, pi.trust[-1].at)})]  # held to now
    curve = pd.DataFrame([{"Exercise minutes": t.at / 60, "Trust": t.trust} for t in points])
    chart = alt.Chart(curve).mark_line(interpolate="step-after").encode(
        x="Exercise minutes:Q", y=alt.Y("Trust:Q", scale=alt.Scale(domain=[0, 100]))
    ).properties(height=180)
    st.altair_chart(chart, width="stretch")


@st.fragment(run_every="2s")
def live(caller: Caller) -> None:
    svc = session.service()
    svc.tick(caller)
    state = svc.state(caller)
    exercise_header(state, subtitle=state.scenario_name)
    report = current_report(svc, session.view_cache(), caller)
    scored = sum(c.scored for c in report.by_agency)
    met = sum(c.met for c in report.by_agency)
    critical_bad = sum(1 for f in report.findings if f.critical and f.status in SHORTFALLS)
    observations = sum(len(r.evaluator) for r in report.table1)
    row = st.columns(4)
    row[0].metric("Protocols met", f"{met} of {scored}" if scored else "-", border=True)
    row[1].metric("Critical shortfalls", critical_bad, border=True)
    row[2].metric("Evaluator ratings", observations, border=True)
    integrity = report.integrity
    row[3].metric("Record", "intact" if integrity.intact else f"BROKEN at {integrity.first_broken_seq}",
                  border=True, help=f"{integrity.entries} entries; head {integrity.head_hash}")
    left, right = st.columns(2)
    with left:
        st.markdown("**Compliance by agency**")
        compliance_chart(report)
        bottlenecks(report)
    with right:
        st.markdown("**Capabilities (HSEEP Table 1)**")
        capability_table(report)
    shortfalls(report)
    public_information(report)


def download(caller: Caller) -> None:
    svc, cache = session.service(), session.view_cache()
    st.download_button(
        "Download the AAR/IP (PDF)",
        data=lambda: report_pdf(svc, cache, caller),
        file_name=f"hotwash-aar-exercise-{caller.exercise_id}.pdf",
        mime="application/pdf",
        type="primary",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        key="sum_pdf",
    )
    st.caption("Made from the journal as it stands when you click: during play it is a draft.")


# --- the Improvement Plan ----------------------------------------------------------------

PLAN_COLUMNS = IMPROVEMENT_FIELDS


def plan_frame(items: tuple[ImprovementItem, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"key": i.key, **{c: getattr(i, c) for c in PLAN_COLUMNS}} for i in items],
        columns=["key", *PLAN_COLUMNS],
    )


def plan_edits(before: pd.DataFrame, after: pd.DataFrame, agency_ids: dict[str, str]) -> dict[str, dict[str, str]]:
    """The changed fields of each row, as the service takes them (text; dates ISO; agency ids)."""
    edits: dict[str, dict[str, str]] = {}
    old = before.set_index("key")
    for _, row in after.iterrows():
        key = str(row["key"])
        if key not in old.index:
            continue
        for column in PLAN_COLUMNS:
            new, was = row[column], old.at[key, column]
            if _same(new, was):
                continue
            if isinstance(new, dt.date):
                value = new.isoformat()
            elif column == "responsible_agency":
                value = agency_ids.get(str(new), str(new))
            else:
                value = "" if new is None or (isinstance(new, float) and pd.isna(new)) else str(new)
            edits.setdefault(key, {})[column] = value
    return edits


def _same(a: object, b: object) -> bool:
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return a == b
    return str(a) == str(b)


def _save_plan(caller: Caller, before: pd.DataFrame, agency_ids: dict[str, str]) -> None:
    state = st.session_state.get("plan_editor")
    if state is None:
        return
    after = before.copy()
    for index, changes in state.get("edited_rows", {}).items():
        for column, value in changes.items():
            if column in PLAN_COLUMNS:
                if column.endswith("_date") and isinstance(value, str):
                    value = dt.date.fromisoformat(value[:10])
                after.at[int(index), column] = value
    edits = plan_edits(before, after, agency_ids)
    if not edits:
        st.toast("No change to save", icon=":material/info:")
        return
    svc = session.service()
    for key, fields in edits.items():
        session.perform(f"Improvement plan row {key} updated ({', '.join(fields)})",
                        partial(svc.edit_improvement_item, caller, key, fields))


def improvement_plan(caller: Caller, report: AfterActionReport) -> None:
    st.markdown("**Improvement Plan (AAR/IP Appendix A)**")
    if not report.improvement_plan:
        st.caption("No row yet: rows are drafted from critical protocols not met and from evaluators' "
                   "areas for improvement.")
        return
    frame = plan_frame(report.improvement_plan)
    if caller.role is not Role.CONTROLLER:
        st.dataframe(frame.drop(columns=["key"]), hide_index=True, key="plan_table")
        return
    agencies = {p.name: p.id for p in report.participants}
    st.data_editor(
        frame,
        key="plan_editor",
        hide_index=True,
        disabled=["key"],
        column_config={
            "key": st.column_config.TextColumn("Row", width="small"),
            "capability": st.column_config.SelectboxColumn("Capability", options=list(CORE_CAPABILITIES)),
            "issue": st.column_config.TextColumn("Issue / area for improvement", max_chars=4000),
            "corrective_action": st.column_config.TextColumn("Corrective action", max_chars=4000),
            "element": st.column_config.SelectboxColumn("Element", options=[e.value for e in Element]),
            "responsible_agency": st.column_config.SelectboxColumn(
                "Responsible agency", options=sorted({*agencies, *frame["responsible_agency"]})
            ),
            "point_of_contact": st.column_config.TextColumn("Point of contact", max_chars=200),
            "start_date": st.column_config.DateColumn("Start"),
            "completion_date": st.column_config.DateColumn("Completion"),
        },
    )
    st.button("Save improvement plan", type="primary", icon=":material/save:", key="plan_save",
              on_click=_save_plan, args=(caller, frame, agencies))


def render() -> None:
    caller = session.require_caller(Role.CONTROLLER, Role.EVALUATOR, Role.OBSERVER)
    live(caller)
    download(caller)
    report = current_report(session.service(), session.view_cache(), caller)
    improvement_plan(caller, report)
    if report.notes:
        with st.expander("Notes on how this report was made"):
            for note in report.notes:
                st.text(note)
    st.caption(md(f"{len(report.findings)} findings from {report.integrity.entries} journal entries."))


if __name__ == "__main__":
    render()
