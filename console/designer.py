"""For exercise designers: load or upload a scenario, see its problems where they are, simulate it.

An upload is untrusted input: it goes through the same safe loader as every scenario file
(``exercises.scenario.loading.load_scenario`` with ``text=``), and every problem is listed with its line,
beside the file itself with line numbers. A valid scenario can be simulated in batch (every agency
simulated, many seeds) to see whether the plan's deadlines can be met and where the bottlenecks are.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from console import session
from console.library import ROOT, scenario_files
from console.new_exercise import CREATED_KEY
from console.text import md, scenario_words, with_names
from console.widgets import described_chart, network_figure
from exercises.access import Role
from exercises.documents.msel_sheet import left_out_injects, left_out_warning, load_with_msel
from exercises.scenario.durations import format_duration, format_span
from exercises.scenario.loading import (
    LoadedPlan,
    ScenarioError,
    decode_upload,
    load_plans,
    load_scenario,
    read_yaml,
)
from exercises.scenario.model import Scenario
from exercises.views import UnitForms, unit_label, unit_names
from sim_engine.batch.results import BatchResult
from sim_engine.batch.runs import run_batch
from sim_engine.checks import EngineError

PLANS = ROOT / "data" / "plans"
RESULT_KEY = "designer_batch"


def problems_frame(exc: ScenarioError) -> pd.DataFrame:
    return pd.DataFrame(
        [{"File": Path(p.file).name, "Line": p.line, "Cell": f"{p.sheet}!{p.cell}" if p.sheet and p.cell else (p.sheet or ""),
          "Field": p.field, "Problem": p.message} for p in exc.problems],
        columns=["File", "Line", "Cell", "Field", "Problem"],
    )


def plans_with(uploads: Sequence[UploadedFile]) -> dict[str, LoadedPlan]:
    """The bundled plans, with uploaded plan files added (or replacing a bundled plan of the same id).

    The loader reads plans from a folder and checks that each file is named after its plan, so the
    uploads are written, under their own base names, to a temporary folder that is gone afterwards."""
    plans = load_plans(PLANS)
    if not uploads:
        return plans
    with tempfile.TemporaryDirectory(prefix="hotwash-plans-") as folder:
        for upload in uploads:
            name = Path(upload.name).name
            stem = name.rsplit(".", 1)[0]
            (Path(folder) / f"{stem}.yaml").write_bytes(upload.getvalue())
        plans.update(load_plans(folder))
    return plans


def load_choice() -> tuple[str, str, Scenario | ScenarioError] | None:
    """The chosen or uploaded scenario: (name, text, scenario or its problems)."""
    source = st.radio("Scenario", ["A scenario that ships with Hotwash", "Upload a scenario file"],
                      horizontal=True, key="designer_source")
    if source.startswith("Upload"):
        upload = st.file_uploader("Scenario file (YAML)", type=["yaml", "yml"], key="designer_upload")
        plan_uploads = st.file_uploader(
            "Response plans it applies (optional)", type=["yaml", "yml"], accept_multiple_files=True,
            key="designer_plans", help="The bundled plans (data/plans) are used for every plan not uploaded.",
        )
        msel = msel_upload()
        if upload is None:
            return None
        name = Path(upload.name).name
        raw = upload.getvalue()
        text = raw.decode("utf-8", errors="replace")
        try:
            text = decode_upload(name, raw)
            if msel is not None:
                scenario = load_with_msel(name, text, plans_with(plan_uploads or []), *msel)
                warn_left_out(name, text, scenario)
                return name, text, scenario
            return name, text, load_scenario(name, plans_with(plan_uploads or []), text=text)
        except ScenarioError as exc:
            return name, text, exc
    files = scenario_files()
    label = st.selectbox("Bundled scenario", list(files), key="designer_bundled")
    path = files[label]
    text = path.read_text(encoding="utf-8")
    try:
        return path.name, text, load_scenario(path)
    except ScenarioError as exc:
        return path.name, text, exc


def warn_left_out(name: str, text: str, scenario: Scenario) -> None:
    """Say so when the uploaded workbook's MSEL leaves out injects the scenario file has."""
    data, _ = read_yaml(name, text)
    left_out = left_out_injects(data, scenario)
    if left_out:
        words = left_out_warning(left_out, len(data["msel"]), len(scenario.msel))
        st.warning(md(f"The MSEL workbook replaces the scenario's MSEL: {words}."), icon=":material/warning:")


def msel_upload() -> tuple[str, bytes] | None:
    """An optional MSEL workbook (or CSV) that replaces the uploaded scenario's own MSEL."""
    upload = st.file_uploader(
        "MSEL workbook (optional)", type=["xlsx", "csv"], key="designer_msel_upload",
        help="The MSEL in the HSEEP columns (hotwash msel export writes one); it replaces the scenario's msel.",
    )
    return (Path(upload.name).name, upload.getvalue()) if upload is not None else None


def show_problems(name: str, text: str, exc: ScenarioError) -> None:
    st.error(md(f"{name}: {len(exc.problems)} problem(s); nothing can run until they are fixed."),
             icon=":material/error:")
    st.dataframe(problems_frame(exc), hide_index=True, key="designer_problems")
    lines = sorted({p.line for p in exc.problems if p.line})
    st.caption("The file, with line numbers" + (f" (problems on lines {', '.join(map(str, lines))})"
                                                if lines else ""))
    st.code(text, language="yaml", line_numbers=True, height=500)


def show_scenario(scenario: Scenario) -> None:
    names = {a.id: a.name for a in scenario.agencies}
    st.success(md(f"{scenario.name}: valid. {len(scenario.agencies)} agencies, {len(scenario.links)} links, "
                  f"{len(scenario.msel)} injects, {len(scenario.protocols)} protocols from "
                  f"{len(scenario.plans)} plan(s)."), icon=":material/check_circle:")
    left, right = st.columns([3, 2])
    with left:
        network_figure(scenario, key="designer_network_table")
    with right:
        st.dataframe(pd.DataFrame([
            {"Protocol": p.title, "Agency": names.get(p.agency, p.agency),
             "Deadline": "before trigger" if p.before_trigger else format_span(p.within or 0),
             "Critical": "yes" if p.critical else ""}
            for p in scenario.protocols
        ]), hide_index=True, key="designer_protocols")
    with st.expander(f"MSEL ({len(scenario.msel)} injects)"):
        st.dataframe(pd.DataFrame([
            {"Time": format_duration(i.time), "Inject": i.id, "To": ", ".join(names.get(t, t) for t in i.to),
             "Synopsis": i.synopsis, "Conditional": "yes" if i.condition else ""}
            for i in sorted(scenario.msel, key=lambda i: (i.time, i.id))
        ]), hide_index=True, key="designer_msel")


def simulate(scenario: Scenario) -> None:
    st.header("Simulate in batch")
    st.caption("Every agency simulated, following its protocols with the scenario's delays and resources.")
    a, b, c = st.columns([2, 1, 1], vertical_alignment="bottom")
    runs = a.slider("Runs", min_value=10, max_value=500, value=100, step=10, key="designer_runs")
    seed = b.number_input("Seed", min_value=0, max_value=2**31 - 1, value=1, step=1, key="designer_seed")
    go = c.button("Run simulation", type="primary", icon=":material/play_arrow:", key="designer_run")
    if go:
        bar = st.progress(0.0, text="Starting ...")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"{done} of {total} runs")

        jobs = max(1, (os.cpu_count() or 2) // 2)
        try:
            result = run_batch(scenario, int(runs), int(seed), jobs, progress)
        except EngineError as exc:
            st.error("The simulation cannot run this scenario:", icon=":material/error:")
            for problem in exc.problems:
                st.text("• " + problem)
            return
        bar.progress(1.0, text=f"{result.runs} runs done")
        st.session_state[RESULT_KEY] = result
        st.toast(md(f"Simulated {result.runs} runs of {scenario.name}"), icon=":material/check_circle:")
    kept = st.session_state.get(RESULT_KEY)
    if isinstance(kept, BatchResult) and kept.scenario_id == scenario.id:
        show_batch(scenario, kept)


def show_batch(scenario: Scenario, result: BatchResult) -> None:
    names = {a.id: a.name for a in scenario.agencies}
    st.subheader(f"{result.runs} runs, seed {result.seed}")
    protocols = pd.DataFrame([
        {
            "protocol": f"{p.title} ({names.get(p.agency, p.agency)})",
            "title": p.title,
            "critical": "critical" if p.critical else "other",
            "met": p.met_share,
            "triggered": p.triggered_share,
            "median": (p.response_median_s or 0) / 60 if p.response_median_s is not None else None,
            "p90": (p.response_p90_s or 0) / 60 if p.response_p90_s is not None else None,
            "deadline": p.deadline_s / 60 if p.deadline_s is not None else None,
        }
        for p in result.protocols
    ])
    _protocol_charts(protocols)
    _unit_and_link_charts(result, names, unit_names(scenario))
    st.subheader("Bottlenecks")
    if result.bottlenecks:
        words = scenario_words(scenario)
        for line in result.bottlenecks:
            st.text("• " + with_names(line, words))
    else:
        st.caption("None found.")


def _protocol_charts(protocols: pd.DataFrame) -> None:
    """Share met on time, and response times against the deadline, per protocol."""
    # One above the other, full width: a protocol's title and agency are read whole, never cut.
    left, right = st.container(), st.container()
    with left:
        st.markdown("Share of triggered instances met on time")
        met = alt.Chart(protocols).mark_bar().encode(
            x=alt.X("met:Q", title="Met on time", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("protocol:N", title=None, sort="x", axis=alt.Axis(labelLimit=0)),
            color=alt.Color("critical:N", title=None, scale=alt.Scale(domain=["critical", "other"],
                                                                       range=["#b3261e", "#78909c"])),
            tooltip=["protocol:N", "title:N", alt.Tooltip("met:Q", format=".0%"),
                     alt.Tooltip("triggered:Q", format=".0%", title="runs triggered")],
        ).properties(height=30 + 24 * len(protocols))
        table = pd.DataFrame({"Protocol": protocols["protocol"], "Critical": protocols["critical"],
                              "Met on time": protocols["met"].map("{:.0%}".format),
                              "Runs triggered": protocols["triggered"].map("{:.0%}".format)})
        described_chart(met, table, what="Share met on time", key="designer_met_table",
                        description=f"Bar chart: the share of triggered instances met on time, for "
                                    f"{len(protocols)} protocols.")
    with right:
        st.markdown("Response time, median to p90 (bar), against the deadline (tick), minutes")
        timed = protocols.dropna(subset=["median"])
        if timed.empty:
            st.caption("No protocol was answered in the runs.")
        else:
            y = alt.Y("protocol:N", title=None, axis=alt.Axis(labelLimit=0))
            spread = alt.Chart(timed).mark_bar(height=10, color="#4a6b8a").encode(
                x=alt.X("median:Q", title="Minutes after the trigger"), x2="p90:Q", y=y,
                tooltip=["protocol:N", alt.Tooltip("median:Q", format=".1f"), alt.Tooltip("p90:Q", format=".1f"),
                         alt.Tooltip("deadline:Q", format=".1f")],
            )
            deadline = alt.Chart(timed.dropna(subset=["deadline"])).mark_tick(
                color="#b3261e", thickness=3, size=18
            ).encode(x="deadline:Q", y=y)
            table = pd.DataFrame({"Protocol": timed["protocol"], "Median (min)": timed["median"].round(1),
                                  "p90 (min)": timed["p90"].round(1),
                                  "Deadline (min)": timed["deadline"].round(1).astype(object).where(
                                      timed["deadline"].notna(), "none")})
            described_chart((spread + deadline).properties(height=30 + 24 * len(timed)), table,
                            what="Response times", key="designer_times_table",
                            description=f"Bar chart: response time from median to 90th percentile, in minutes, "
                                        f"against each deadline, for {len(timed)} protocols.")


def _unit_and_link_charts(result: BatchResult, names: dict[str, str], unit_types: dict[str, UnitForms]) -> None:
    """Which units were busiest, and how many messages each link carried."""
    units = pd.DataFrame([
        {"unit": f"{unit_label(u.unit_type, unit_types)} ({names.get(a.agency, a.agency)})", "utilisation": u.utilisation,
         "wait p90 (min)": u.queue_wait_p90_s / 60, "units": u.units}
        for a in result.agencies for u in a.units
    ])
    left, right = st.container(), st.container()
    with left:
        st.markdown("Unit utilisation (busy share of the run)")
        if units.empty:
            st.caption("No unit was used.")
        else:
            busiest = units.sort_values("utilisation", ascending=False).head(15)
            chart = alt.Chart(busiest).mark_bar(color="#ef6c00").encode(
                x=alt.X("utilisation:Q", axis=alt.Axis(format="%"), title="Utilisation"),
                y=alt.Y("unit:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
                tooltip=["unit:N", alt.Tooltip("utilisation:Q", format=".0%"), "units:Q",
                         alt.Tooltip("wait p90 (min):Q", format=".1f")],
            ).properties(height=30 + 24 * len(busiest))
            table = pd.DataFrame({"Unit": busiest["unit"], "Units": busiest["units"],
                                  "Utilisation": busiest["utilisation"].map("{:.0%}".format),
                                  "Wait p90 (min)": busiest["wait p90 (min)"].round(1)})
            described_chart(chart, table, what="Unit utilisation", key="designer_units_table",
                            description=f"Bar chart: the busy share of the run for the {len(busiest)} busiest "
                                        "units.")
    with right:
        st.markdown("Messages per link and run")
        links = pd.DataFrame([
            {"link": " - ".join(names.get(x, x) for x in link.between), "messages": link.messages_mean,
             "lost": link.lost_share, "delay (s)": link.delay_mean_s}
            for link in result.links
        ])
        if links.empty:
            st.caption("No messages.")
        else:
            chart = alt.Chart(links).mark_bar(color="#1565c0").encode(
                x=alt.X("messages:Q", title="Messages per run"),
                y=alt.Y("link:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
                tooltip=["link:N", alt.Tooltip("messages:Q", format=".1f"), alt.Tooltip("lost:Q", format=".0%"),
                         alt.Tooltip("delay (s):Q", format=".0f")],
            ).properties(height=30 + 24 * len(links))
            table = pd.DataFrame({"Link": links["link"], "Messages per run": links["messages"].round(1),
                                  "Lost": links["lost"].map("{:.0%}".format),
                                  "Delay (s)": links["delay (s)"].round(0)})
            described_chart(chart, table.sort_values("Messages per run", ascending=False), what="Messages per link",
                            key="designer_links_table",
                            description=f"Bar chart: messages per run on each of {len(links)} links.")


def _open_exercise(scenario: Scenario) -> None:
    created = session.perform(f"Exercise created: {scenario.name}",
                              lambda: session.service().create_exercise(scenario))
    if created is not None:
        st.session_state[CREATED_KEY] = created


def render() -> None:
    session.require_caller(Role.CONTROLLER)
    st.title("Scenario designer")
    chosen = load_choice()
    if chosen is None:
        st.caption("Choose a bundled scenario or upload a file to check it.")
        return
    name, text, loaded = chosen
    if isinstance(loaded, ScenarioError):
        show_problems(name, text, loaded)
        return
    show_scenario(loaded)
    simulate(loaded)
    st.divider()
    if st.button("Open an exercise on this scenario", icon=":material/add_circle:", key="designer_open",
                 on_click=_open_exercise, args=(loaded,)):
        st.switch_page(Path(__file__).with_name("new_exercise.py"))


if __name__ == "__main__":
    render()
