"""Commanders' and observers' page: the live summary and the AAR/IP PDF, at any point and after the end.

The summary is the after-action report as it stands now (``aar.report.build_report`` over the
journal so far). Controllers also edit the Improvement Plan rows here; each edit is a journal
entry, so the report made afterwards, by anyone, carries it.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from aar import alt_text
from aar.document import agreement_text
from aar.improvement import element_text, issue_text
from aar.legal import KIND_TITLE, LEGAL_TITLE
from aar.model import SHORTFALLS, STATUS_LABEL, AfterActionReport, Element, ImprovementItem
from console import session
from console.new_exercise import clock_and_contacts_fields, typed_details
from console.report import current_report, ics_forms, report_docx, report_pdf
from console.text import clip, md, with_names
from console.widgets import described_chart, exercise_header, text_table
from exercises.access import Caller, ExerciseInputError, Role
from exercises.record.entries import IMPROVEMENT_FIELDS
from exercises.scenario.capabilities import CORE_CAPABILITIES
from exercises.scenario.durations import format_duration, format_span
from sim_engine.batch.runs import run_batch

COMPLIANCE_COLOURS = {"met": "#2e7d32", "late": "#ef6c00", "missed": "#c62828", "out of order": "#ad1457",
                      "overdue": "#e65100", "not due yet": "#78909c"}


def compliance_chart(report: AfterActionReport) -> None:
    names = {p.id: p.name for p in report.participants}
    rows = []
    for count in report.by_agency:
        for label, n in (("met", count.met), ("late", count.late), ("missed", count.missed),
                         ("out of order", count.out_of_order), ("overdue", count.overdue),
                         ("not due yet", count.open + count.pending)):
            if n:
                rows.append({"agency": names.get(count.name, count.label), "status": label, "instances": n})
    if not rows:
        st.caption("No protocol has been triggered yet.")
        return
    agencies = sorted({str(r["agency"]) for r in rows})
    chart = alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        x=alt.X("instances:Q", title="Protocol instances", stack="zero", axis=alt.Axis(tickMinStep=1)),
        # Every agency gets its label: no truncation, no dropping of "overlapping" ones.
        y=alt.Y("agency:N", title=None, sort=agencies,
                axis=alt.Axis(labelLimit=0, labelOverlap=False, labelFontSize=13)),
        color=alt.Color("status:N", title=None,
                        scale=alt.Scale(domain=list(COMPLIANCE_COLOURS), range=list(COMPLIANCE_COLOURS.values())),
                        legend=alt.Legend(orient="right")),
        tooltip=["agency:N", "status:N", "instances:Q"],
    )
    table = (pd.DataFrame(rows).pivot_table(index="agency", columns="status", values="instances", aggfunc="sum",
                                            fill_value=0)
             .reindex(columns=[c for c in COMPLIANCE_COLOURS if c in {r["status"] for r in rows}])
             .reset_index().rename(columns={"agency": "Agency"}))
    described_chart(chart, table, description=alt_text.compliance(report.by_agency, "responsible agency"),
                    what="Compliance by agency", key="sum_compliance_table",
                    height=max(170, 48 * len(agencies)))


# Table 1 names each row's objective as the report does (its short title, else the start of its
# text; the whole text is in the report).
OBJECTIVE_CHARS = 110


def capability_table(report: AfterActionReport) -> None:
    rows = [
        {
            "Capability": r.capability,
            "Objective": clip(report.names.objective(r.objective), OBJECTIVE_CHARS) if r.objective else "",
            "Computed": r.computed.value if r.computed else "",
            "Evaluators": " ".join(e.rating.value for e in r.evaluator),
            "Of record": r.of_record.value if r.of_record else "",
            "Protocols met": f"{r.tasks.met} of {r.tasks.scored}" if r.tasks.scored else "",
            "Why": r.computed_reason,
        }
        for r in report.table1
    ]
    text_table(pd.DataFrame(rows))


def evaluation_team(report: AfterActionReport) -> None:
    """Each evaluator's rating, their agreement and the lead evaluator's reconciled rating."""
    panel = report.evaluation
    if panel is None:
        return
    st.header("Evaluators' ratings and agreement")
    st.caption(md(agreement_text(panel.agreement)))
    rows = [
        {
            "Capability": c.capability,
            "Objective": clip(report.names.objective(c.objective), OBJECTIVE_CHARS) if c.objective else "",
            "Evaluators": "; ".join(f"{r.evaluator}: {r.rating.value}" for r in c.ratings),
            "Agreement": "" if c.agreement is None else f"{c.agreement:.0%}",
            "Final": c.final.value if c.final else "awaiting reconciliation",
            "Reconciled by": f"{c.reconciled.evaluator}: {c.reconciled.reason}" if c.reconciled else "",
        }
        for c in panel.capabilities
    ]
    text_table(pd.DataFrame(rows))
    for flag in panel.flags:
        st.caption(md(f"Possible {flag.error} ({flag.evaluator}): {flag.detail}."))


def record_closed_to(caller: Caller) -> bool:
    """An evaluator other than the lead, while other evaluators' ratings are kept apart from them:
    the report holds every rating, so it waits for the lead evaluator's reconciliation."""
    if session.service().may_read_whole_record(caller):
        return False
    st.info("The report shows every evaluator's rating, so it opens to you once the lead evaluator has "
            "reconciled the ratings still kept apart. Your own ratings are on the Evaluation page.",
            icon=":material/lock:")
    return True


def bottlenecks(report: AfterActionReport) -> None:
    coord = report.coordination
    names = {p.id: p.name for p in report.participants}
    # Each line says which agency it is about.
    lines = [with_names(a.explanation if a.explanation.startswith(a.name) else f"{a.name}: {a.explanation}",
                        names) for a in coord.agencies if a.overloaded or a.cut_off]
    for link in coord.links:
        if link.down_intervals:
            spans = ", ".join(f"{format_duration(a)}-{format_duration(b) if b is not None else 'end'}"
                              for a, b in link.down_intervals)
            ends = " - ".join(names.get(a, a) for a in link.between)
            lines.append(f"Link {ends} ({link.channel.replace('_', ' ')}) down {spans}.")
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
        if f.status in SHORTFALLS and not f.by_simulation
    ]
    st.header(f"Areas for improvement found in the record ({len(rows)})")
    if rows:
        text_table(pd.DataFrame(rows), height=420)
    else:
        st.caption("No late, missed or out-of-order protocol so far.")


def public_information(report: AfterActionReport) -> None:
    """The report's public-information section (scenarios with a media layer): first statement,
    rumours and who answered them, and the trust curve."""
    pi = report.public_information
    if pi is None:
        return
    st.header("Public information and community trust")
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
                "Peak reach": f"{r.peak_reach:,}",
                "Answered": format_duration(r.addressed_at) if r.addressed_at is not None else "not answered",
                "Took": format_span(r.time_to_address_s) if r.time_to_address_s is not None else "",
                "By": r.addressed_by,
            }
            for r in pi.rumours
        ]
        text_table(pd.DataFrame(rows))  # wraps: the rumour and who answered it are read whole
    points = [*pi.trust, pi.trust[-1].model_copy(update={"at": max(pi.end, pi.trust[-1].at)})]  # held to now
    curve = pd.DataFrame([{"Exercise minutes": t.at / 60, "Trust": t.trust} for t in points])
    chart = alt.Chart(curve).mark_line(interpolate="step-after").encode(
        x="Exercise minutes:Q", y=alt.Y("Trust:Q", scale=alt.Scale(domain=[0, 100]))
    ).properties(height=180)
    table = pd.DataFrame([{"Exercise time": format_duration(t.at), "Community trust": round(t.trust)} for t in points])
    described_chart(chart, table, description=alt_text.trust(report), what="Community trust",
                    key="sum_trust_table")


def legal(report: AfterActionReport) -> None:
    """The report's legal-authority section (scenarios whose plans declare authorities, agreements or
    rights steps): each overreach, disclosure and missing dissemination log, with its evidence."""
    review = report.legal
    if review is None:
        return
    st.header(f"{LEGAL_TITLE} ({len(review.findings)})")
    if not review.findings:
        st.caption("No overreach of authority, disclosure outside agreement or missing dissemination log so far.")
        return
    rows = [
        {"Finding": KIND_TITLE[f.kind], "Agency": f.agency_name, "When": format_duration(f.at), "What": f.what,
         "Rule": f.rule, "Evidence": ", ".join(f"entry {ev.seq}" for ev in f.evidence)}
        for f in review.findings
    ]
    text_table(pd.DataFrame(rows), height=300)


@st.fragment(run_every="2s")
@session.in_words
def live(caller: Caller) -> None:
    session.heartbeat()
    svc = session.service()
    session.catch_up(svc, caller)
    state = svc.state(caller)
    exercise_header(state, subtitle=state.scenario_name)
    if record_closed_to(caller):
        return
    report = current_report(svc, session.view_cache(), caller)
    scored = sum(c.scored for c in report.by_agency)
    met = sum(c.met for c in report.by_agency)
    critical_bad = sum(1 for f in report.findings if f.critical and f.status in SHORTFALLS)
    observations = sum(len(r.evaluator) for r in report.table1)
    if report.evaluation is not None:  # the evaluation team's own ratings of capabilities
        observations += sum(len(c.ratings) for c in report.evaluation.capabilities)
    row = st.columns(4)
    row[0].metric("Protocols met", f"{met} of {scored}" if scored else "-", border=True)
    row[1].metric("Critical shortfalls", critical_bad, border=True)
    row[2].metric("Evaluator ratings", observations, border=True)
    integrity = report.integrity
    row[3].metric("Record", "intact" if integrity.intact else f"BROKEN at {integrity.first_broken_seq}",
                  border=True, help=f"{integrity.entries} entries; head {integrity.head_hash}")
    # The chart at the page's width: every agency's name and the whole legend have room.
    st.header("Compliance by agency")
    compliance_chart(report)
    bottlenecks(report)
    # Table 1 has seven columns of text: the page's whole width, wrapped.
    st.header("Capabilities (HSEEP Table 1)")
    capability_table(report)
    evaluation_team(report)
    shortfalls(report)
    public_information(report)
    legal(report)


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
    word_download(caller)
    st.caption("Made from the journal as it stands when you click: during play it is a draft.")


def word_download(caller: Caller) -> None:
    """The same report as an editable Word document."""
    svc, cache = session.service(), session.view_cache()
    st.download_button(
        "Download the AAR/IP (Word)",
        data=lambda: report_docx(svc, cache, caller),
        file_name=f"hotwash-aar-exercise-{caller.exercise_id}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        icon=":material/description:",
        on_click="ignore",
        key="sum_docx",
    )


BASELINE_RUNS_SETTING = "HOTWASH_BASELINE_RUNS"  # runs of the console's simulated baseline (default 200)


def baseline_runs() -> int:
    try:
        return max(1, min(10_000, int(os.environ.get(BASELINE_RUNS_SETTING, "200"))))
    except ValueError:
        return 200


def _run_baseline(caller: Caller) -> None:
    """Simulate the scenario with every agency following the plan; keep the result with the exercise."""
    svc, runs = session.service(), baseline_runs()
    scenario = svc.scenario(caller)
    bar = st.progress(0.0, text=f"Simulating {runs} runs of the plan")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Simulated {done} of {total} runs")

    batch = run_batch(scenario, runs, seed=1, jobs=min(2, runs), progress=progress)
    session.perform(f"Simulated baseline of {runs} runs added to the report",
                    lambda: svc.save_baseline(caller, batch.model_dump_json()))
    bar.empty()


def _save_details(caller: Caller) -> None:
    svc = session.service()
    current = svc.exercise_details(caller)
    try:
        details = typed_details("sum", current.record_kind)
    except ExerciseInputError as exc:
        st.toast(f"Not recorded: {exc}", icon=":material/error:")
        return
    session.perform("Clock and points of contact saved", lambda: svc.set_exercise_details(caller, details))


def details_form(caller: Caller) -> None:
    """The controller sets or corrects the exercise's clock and points of contact for the report."""
    if caller.role is not Role.CONTROLLER:
        return
    with st.expander("Clock and points of contact"), st.form("sum_details", border=False):
        clock_and_contacts_fields("sum", session.service().exercise_details(caller))
        keys = ", ".join(session.service().pinned_keys(caller)) or "none (nothing outside the database vouches for it)"
        st.caption(f"Saved as a journal entry: a change is a new entry. The record is signed under the key "
                   f"pinned for it: {keys}.")
        st.form_submit_button("Save", on_click=_save_details, args=(caller,))


def baseline_button(caller: Caller) -> None:
    """The controller runs the simulated baseline that the report compares actual timings with."""
    if caller.role is not Role.CONTROLLER:
        return
    label = "Run the simulated baseline" if session.service().saved_baseline(caller) is None else "Run the simulated baseline again"
    if st.button(label, icon=":material/query_stats:", key="sum_baseline",
                 help=f"{baseline_runs()} simulated runs with every agency following the plan; the report sets "
                      "each actual timing against them."):
        _run_baseline(caller)


def ics_downloads(caller: Caller) -> None:
    """ICS 214 activity logs and the ICS 205A-style communications list, filled from the record."""
    svc = session.service()
    names = {a.id: a.name for a in svc.scenario(caller).agencies}
    with st.expander("ICS forms: 214 activity logs, 205A communications list", icon=":material/assignment:"):
        choice = st.selectbox("ICS 214 for", ["Every agency", *names.values()], key="sum_ics_agency")
        agency = next((i for i, n in names.items() if n == choice), None)
        left, right = st.columns(2)
        for column, fmt, label, mime in (
            (left, "pdf", "Download ICS 214 + 205A (PDF)", "application/pdf"),
            (right, "xlsx", "Download ICS 214 + 205A (.xlsx)",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ):
            column.download_button(
                label, data=partial(ics_forms, svc, caller, fmt, agency), mime=mime, on_click="ignore",
                file_name=f"hotwash-ics-exercise-{caller.exercise_id}.{fmt}", key=f"sum_ics_{fmt}",
            )


# --- the Improvement Plan ----------------------------------------------------------------

PLAN_COLUMNS = IMPROVEMENT_FIELDS
PLAN_HEADERS = {
    "capability": "Capability", "issue": "Issue / area for improvement", "corrective_action": "Corrective action",
    "element": "Element", "responsible_agency": "Responsible agency", "point_of_contact": "Point of contact",
    "start_date": "Start", "completion_date": "Completion",
}


def plan_frame(items: tuple[ImprovementItem, ...], names: dict[str, str] | None = None) -> pd.DataFrame:
    """The plan's rows; the responsible agency by name (``names``: agency id -> name)."""
    names = names or {}
    return pd.DataFrame(
        [{"key": i.key, **{c: getattr(i, c) for c in PLAN_COLUMNS},
          "responsible_agency": names.get(i.responsible_agency, i.responsible_agency)} for i in items],
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


def _blank(value: object) -> bool:
    """An unset cell however pandas holds it (None, NaN, NaT, ''): elements and dates start unset."""
    return value is None or value == "" or (not isinstance(value, str) and bool(pd.isna(value)))


def _same(a: object, b: object) -> bool:
    if _blank(a) and _blank(b):
        return True
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
    st.header("Improvement Plan (AAR/IP Appendix A)")
    if not report.improvement_plan:
        st.caption("No row yet: rows are drafted from critical protocols not met and from evaluators' "
                   "areas for improvement.")
        return
    agencies = {p.name: p.id for p in report.participants}
    frame = plan_frame(report.improvement_plan, {p.id: p.name for p in report.participants})
    # The plan whole, wrapped, for everyone (an editor's cells cut long text at the column's width).
    shown = frame.assign(element=[element_text(i) for i in report.improvement_plan],
                         issue=[issue_text(i) for i in report.improvement_plan])
    text_table(shown.drop(columns=["key"]).rename(columns=PLAN_HEADERS), height=480)
    if caller.role is not Role.CONTROLLER:
        return
    st.caption("Edit the plan below: each cell opens whole when double-clicked; the table above shows the saved plan.")
    st.data_editor(
        frame,
        key="plan_editor",
        hide_index=True,
        disabled=["key"],
        # The row key ("protocol:IC-01") only ties an edit to its row: not shown.
        column_order=list(PLAN_COLUMNS),
        column_config={
            "capability": st.column_config.SelectboxColumn("Capability", options=list(CORE_CAPABILITIES)),
            "issue": st.column_config.TextColumn("Issue / area for improvement", max_chars=4000, width="large"),
            "corrective_action": st.column_config.TextColumn("Corrective action", max_chars=4000,
                                                             width="large"),
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
    if not session.service().may_read_whole_record(caller):
        return
    download(caller)
    baseline_button(caller)
    details_form(caller)
    ics_downloads(caller)
    report = current_report(session.service(), session.view_cache(), caller)
    improvement_plan(caller, report)
    if report.notes:
        with st.expander("Notes on how this report was made"):
            for note in report.notes:
                st.text(with_names(note, {p.id: p.name for p in report.participants}))
    st.caption(md(f"{len(report.findings)} findings from {report.integrity.entries} journal entries."))


if __name__ == "__main__":
    render()
