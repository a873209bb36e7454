"""The controller's dashboard: the exercise clock, the network, the protocol clock, the timeline, the feed.

The clock at the top looks every 2 seconds (``st.fragment``) whether anything changed, after asking
the service to advance the simulation to the exercise clock; the page is redrawn when the journal
has new entries or a deadline passed (``console.session.watch``), not on a blind timer.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from console import session
from console.derived import ControllerDashboard, controller_dashboard
from console.media import media_panel
from console.widgets import (
    exercise_header,
    feed_table,
    msel_frame,
    network_figure,
    protocol_clock_table,
    protocol_counts,
    text_table,
    timeline_chart,
)
from exercises.access import Caller, Role
from exercises.scenario.durations import format_duration
from exercises.scoring import SCORED, Status
from exercises.views import ClockStatus, InjectStatus

SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


SUMMARY_PAGE = Path(__file__).with_name("summary.py")


def _speed_label(speed: float) -> str:
    return "real time" if speed == 1 else f"x{speed:g}"


def _start(caller: Caller) -> None:
    speed = float(st.session_state.get("ctl_start_speed", 1.0))
    session.perform(f"Exercise started ({_speed_label(speed)})", lambda: session.service().start(caller, speed=speed))


def _pause(caller: Caller) -> None:
    session.perform("Exercise paused", lambda: session.service().pause(caller))


def _resume(caller: Caller) -> None:
    # Resume at the speed the selector shows, whether or not "Set speed" was pressed.
    speed = st.session_state.get("ctl_speed")
    chosen = None if speed is None else float(speed)
    label = "Exercise resumed" + (f" ({_speed_label(chosen)})" if chosen is not None else "")
    session.perform(label, lambda: session.service().resume(caller, speed=chosen))


def _speed_selector(speed: float) -> None:
    """The speed selector shows the clock's speed, unless the controller has picked another since the
    clock's speed last changed (a change by another controller shows at once)."""
    options = SPEEDS if speed in SPEEDS else tuple(sorted({*SPEEDS, speed}))
    if st.session_state.get("ctl_speed_seen") != speed or st.session_state.get("ctl_speed") not in options:
        st.session_state["ctl_speed"] = speed
    st.session_state["ctl_speed_seen"] = speed
    st.selectbox("Speed", options, format_func=_speed_label, key="ctl_speed", width=140)


def _speed(caller: Caller) -> None:
    speed = float(st.session_state.get("ctl_speed", 1.0))
    session.perform(f"Clock speed set to {_speed_label(speed)}",
                    lambda: session.service().change_speed(caller, speed))


TO_REPORT_KEY = "ctl_to_report"


def _end(caller: Caller) -> None:
    if session.perform("Exercise ended: the report is ready; players and evaluators sign in again to read it",
                       lambda: session.service().end(caller)) is not None:
        # The record is closed: every session opened during play ends but the controllers'
        # (docs/service.md); the controller goes on to the report.
        session.store().close_exercise(caller.exercise_id)
        st.session_state[TO_REPORT_KEY] = True


def clock_controls(caller: Caller, status: ClockStatus, speed: float) -> None:
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
    with row:
        if status is ClockStatus.NOT_STARTED:
            st.selectbox("Speed", SPEEDS, format_func=_speed_label, key="ctl_start_speed", width=140)
            st.button("Start exercise", type="primary", icon=":material/play_arrow:", key="ctl_start",
                      on_click=_start, args=(caller,))
        elif status is ClockStatus.RUNNING:
            st.button("Pause", icon=":material/pause:", key="ctl_pause", on_click=_pause, args=(caller,))
        elif status is ClockStatus.PAUSED:
            st.button("Resume", type="primary", icon=":material/play_arrow:", key="ctl_resume",
                      on_click=_resume, args=(caller,))
        if status in (ClockStatus.RUNNING, ClockStatus.PAUSED):
            _speed_selector(speed)
            st.button("Set speed", icon=":material/speed:", key="ctl_set_speed", on_click=_speed, args=(caller,))
            with st.popover("End exercise", icon=":material/stop:"):
                st.write("Ending stops the clock for everyone; the record is then final.")
                st.button("End the exercise now", type="primary", key="ctl_end", on_click=_end, args=(caller,))
        if status is ClockStatus.ENDED:
            st.success("The exercise has ended. The after-action report is under Summary & report.",
                       icon=":material/flag:")


def metrics(view: ControllerDashboard) -> None:
    delivered = sum(1 for r in view.msel if r.status in (InjectStatus.DELIVERED, InjectStatus.ACTED_ON))
    held = sum(1 for r in view.msel if r.status is InjectStatus.HELD)
    overdue = sum(1 for p in view.protocols if p.status is Status.OVERDUE)
    met = sum(1 for p in view.protocols if p.status is Status.MET)
    scored = sum(1 for p in view.protocols if p.status in SCORED)
    row = st.columns(5)
    row[0].metric("Injects delivered", f"{delivered} / {len(view.msel)}", border=True,
                  help=f"{held} held" if held else None)
    row[1].metric("Protocols overdue", overdue, border=True)
    row[2].metric("Protocols met on time", f"{met} / {scored}" if scored else "-", border=True)
    row[3].metric("Links down", len(view.links.down), border=True)
    row[4].metric("Journal entries", view.state.entries, border=True)


def upcoming(view: ControllerDashboard, names: dict[str, str]) -> None:
    pending = [r for r in view.msel if r.status in (InjectStatus.SCHEDULED, InjectStatus.HELD)]
    st.header("Next injects")
    if not pending:
        st.caption("Every inject has been delivered or skipped.")
        return
    frame = msel_frame(pending[:6], names)[["Time", "Inject", "Synopsis", "To", "Status"]]
    text_table(frame)


@st.fragment(run_every=session.WATCH_EVERY)
@session.in_words
def watch(caller: Caller) -> None:
    """The clock, every 2 s; the rest of the page is redrawn when the journal has news for it."""
    session.watch(caller)
    state = session.service().state(caller)
    exercise_header(state, subtitle=state.scenario_name)


def live(caller: Caller) -> None:
    view = controller_dashboard(session.service(), session.view_cache(), caller)
    names = {a.id: a.name for a in view.scenario.agencies}
    metrics(view)

    st.header("Agency network")
    network_figure(view.scenario, links_down=view.links.down, load=view.links.load, key="ctl_network_table")
    if view.links.down:
        st.subheader("Links down")
        for key in sorted(view.links.down, key=sorted):
            st.text(" - ".join(names.get(a, a) for a in sorted(key)))
    upcoming(view, names)
    counts = protocol_counts(view.protocols, names)
    st.header("Protocols by agency")
    if counts.empty:
        st.caption("No protocol has been triggered yet.")
    else:
        text_table(counts)

    st.header("Protocol clock")
    st.caption("Overdue and pending first.")
    protocol_clock_table(view.protocols, names, view.state.clock, key="ctl_protocols",
                         vocab=view.scenario.vocabulary)

    st.header("Timeline")
    st.caption("The last hour of exercise time.")
    timeline_chart(view.timeline, view.state.clock, key="ctl_timeline_table")

    st.header("Live feed")
    feed_table(view.feed, key="ctl_feed")
    st.caption(f"As of exercise time {format_duration(view.state.clock)}; redrawn as soon as something is "
               "recorded or a deadline passes.")


def render() -> None:
    caller = session.require_caller(Role.CONTROLLER)
    if st.session_state.pop(TO_REPORT_KEY, False):
        st.switch_page(SUMMARY_PAGE)
    session.full_run()
    watch(caller)
    # The controls sit outside the live part: a click reruns the whole page, so the buttons always
    # match the clock after one's own action (another controller's shows within one refresh).
    state = session.service().state(caller)
    clock_controls(caller, state.status, state.speed)
    live(caller)
    media_feed_section(caller)


def media_feed_section(caller: Caller) -> None:
    """The media feed, with the forms to add a media item live and to publish for the PIO's agency."""
    media_panel(caller)


if __name__ == "__main__":
    render()
