"""Pieces several pages draw: the exercise header, the protocol clock, the feed, the timeline, the MSEL.

Text from users and scenario files goes into dataframes and charts (shown literally) or through
``console.text.md``; nothing here passes HTML.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.elements.lib.layout_utils import Height

from console import a11y
from console.derived import SIMULATION, TIMELINE_WINDOW_S, Row
from console.network import LinkKey, network_graph, network_rows
from console.text import md
from exercises.record.entries import MAX_TEXT
from exercises.scenario.durations import format_duration, format_span
from exercises.scenario.model import Scenario
from exercises.scoring import Status
from exercises.service.exercise_service import ExerciseState
from exercises.views import SENDER_NAMES, ClockStatus, InjectStatus, MselRow, ProtocolInstance

STATUS_BADGE: dict[ClockStatus, tuple[str, str]] = {
    ClockStatus.NOT_STARTED: ("Not started", "gray"),
    ClockStatus.RUNNING: ("Running", "green"),
    ClockStatus.PAUSED: ("Paused", "orange"),
    ClockStatus.ENDED: ("Ended", "violet"),
}

PROTOCOL_COLOURS: dict[str, str] = {
    Status.PENDING: "#fff4d6",
    Status.OVERDUE: "#ffd5d0",
    Status.MET: "#dff2dc",
    Status.LATE: "#ffe4c7",
    Status.MISSED: "#f4b6ae",
    "out of order": "#ead6f0",
    "not due by end of play": "#eeeeee",
    "never reached the agency": "#e3ecf7",
}
STATUS_WORDS: dict[str, str] = {Status.OUT_OF_ORDER: "out of order", Status.OPEN: "not due by end of play",
                                Status.NOT_REACHED: "never reached the agency"}
"""How a status reads where its value is not already plain words."""
COUNT_HEADINGS: dict[str, str] = {Status.OUT_OF_ORDER: "out of order", Status.OPEN: "not due"}
INJECT_COLOURS: dict[str, str] = {
    InjectStatus.SCHEDULED: "#ffffff",
    InjectStatus.HELD: "#fff4d6",
    InjectStatus.DELIVERED: "#e3ecf7",
    InjectStatus.ACTED_ON: "#dff2dc",
    InjectStatus.SKIPPED: "#eeeeee",
}
CATEGORY_COLOURS = {
    "inject": "#6a1b9a",
    "action": "#2e7d32",
    "message": "#1565c0",
    "message lost": "#c62828",
    "resource": "#ef6c00",
    "link down/up": "#b71c1c",
    "evaluation": "#00838f",
    "correction": "#757575",
    "exercise details": "#5d4037",
    "incident": "#8d6e63",
    "clock": "#37474f",
}


CLOCK_RULE_COLOUR = "#78909c"
"""Clock changes on the timeline: 3.4:1 on white, the 3:1 WCAG 1.4.11 asks of graphics."""


def described_chart(chart: alt.Chart | alt.LayerChart | alt.FacetChart | dict[str, Any], table: pd.DataFrame, *,
                    description: str, what: str, key: str, height: int | None = None) -> None:
    """A chart a screen reader names (``description`` is its accessible name, not "Vega
    visualization") with its data as a table in an expander below it: the figure's text alternative.
    ``chart`` is an Altair chart or a Vega-Lite spec with its data as named datasets."""
    size: Height = "content" if height is None else height
    if isinstance(chart, dict):
        st.vega_lite_chart(spec=chart, width="stretch", height=size, alt=description)
    else:
        st.altair_chart(chart, width="stretch", height=size, alt=description)
    table_on_demand(f"{what} as a table", key, lambda: text_table(table, height=420))


def table_on_demand(label: str, key: str, draw: Callable[[], None]) -> None:
    """A table in an expander, drawn when the expander is open: a closed one costs the page nothing
    (the timeline's table holds up to an hour of entries). Opening it reruns the page, which then
    draws the table; the server keeps it open across redraws until it is closed."""
    box = st.expander(label, key=key, on_change="rerun")
    if box.open:
        with box:
            draw()


def exercise_header(state: ExerciseState, *, subtitle: str | None = None) -> None:
    """The exercise's name, clock and status: the same at the top of every live page."""
    label, colour = STATUS_BADGE[state.status]
    # The speed column holds "x120" whole at 1440 px (narrower, the metric cuts it to "x...").
    left, clock, speed, played = st.columns([5, 2, 1.4, 2], vertical_alignment="center")
    with left:
        st.title(md(state.name))
        line = st.container(horizontal=True, vertical_alignment="center")
        with line:
            st.badge(label, color=colour)  # type: ignore[arg-type]
            if subtitle:
                st.caption(md(subtitle))
    clock.metric("Exercise clock", format_duration(state.clock), border=True)
    speed.metric("Speed", f"x{state.speed:g}", border=True)
    share = min(1.0, state.clock / state.duration) if state.duration else 0.0
    with played:
        st.caption(f"Planned length {format_span(state.duration)}")
        st.progress(share, text=f"{share:.0%} of the scenario played")


def agency_names(names: Mapping[str, str], ids: Sequence[str]) -> str:
    return ", ".join(names.get(i, i) for i in ids)


def _colour_column(frame: pd.DataFrame, column: str, colours: Mapping[str, str]) -> Styler:
    return frame.style.map(lambda v: f"background-color: {colours.get(v, '#ffffff')}", subset=[column])


UNBROKEN_COLUMNS = ("Time", "Inject", "Due", "Date", "Start", "Completion")
"""Short columns a controller reads at a glance (a time, an inject number such as CD-06): never
broken over two lines, whatever room the long columns beside them take."""


def text_table(data: pd.DataFrame | Styler, *, height: int | None = None) -> None:
    """A table whose long text wraps inside its column, so nothing is cut off at 1280-1440 px;
    taller than ``height`` pixels, it scrolls. (Dataframes cut text at the column's width.)"""
    rows = len(data.data) if isinstance(data, Styler) else len(data)
    styled = data if isinstance(data, Styler) else data.style
    columns = list(styled.data.columns)
    whole = [columns.index(c) for c in UNBROKEN_COLUMNS if c in columns]
    if whole:
        # On the cells and what the table draws inside them (the cell's own style is not inherited
        # past the Markdown block each cell holds).
        selector = ", ".join(f"td.col{i}, td.col{i} *" for i in whole)
        styled = styled.set_table_styles([{"selector": selector, "props": [("white-space", "nowrap")]}],
                                         overwrite=False)
    # st.table reads each cell as Markdown: every text is escaped so it shows exactly as typed.
    styled = styled.format(lambda v: md(v) if isinstance(v, str) else v)
    st.table(styled, border="horizontal", hide_index=True,
             height=height if height is not None and rows > height // 40 else "content")


CLOSED_SHOWN = 40
"""Closed protocol instances (met, late, missed) the live table shows, the latest first."""


def protocol_clock_table(
    instances: Sequence[ProtocolInstance], names: Mapping[str, str], now: float, *, key: str | None = None,
    vocab: Mapping[str, str] | None = None,
) -> None:
    """Each protocol instance: when due, what is owed, and its status; open ones first."""
    if not instances:
        st.info("No protocol has been triggered yet.")
        return
    order = {Status.OVERDUE: 0, Status.PENDING: 1, Status.MISSED: 2, Status.OPEN: 2,
             Status.OUT_OF_ORDER: 3, Status.LATE: 3, Status.MET: 4, Status.NOT_REACHED: 4}
    ranked = sorted(instances, key=lambda i: (order[i.status], -i.due_at if order[i.status] > 1 else i.due_at))
    # Every open instance; of the closed ones the latest, so a long exercise's page stays light.
    open_count = sum(1 for i in ranked if order[i.status] <= 1)
    shown = ranked[: max(open_count, 0) + CLOSED_SHOWN]
    rows = []
    for inst in shown:
        if inst.status is Status.PENDING:
            note = f"{format_span(inst.due_at - now)} left"
        elif inst.status is Status.OVERDUE:
            note = f"{format_span(now - inst.due_at)} over"
        elif inst.status is Status.LATE and inst.late_by is not None:
            note = f"late by {format_span(inst.late_by)}"
        elif inst.status is Status.OUT_OF_ORDER and inst.done_at is not None:
            note = f"done {format_duration(inst.done_at)}, after the trigger"
        elif inst.done_at is not None:
            note = f"done {format_duration(inst.done_at)}"
        else:
            note = ""
        rows.append({
            "Due": format_duration(inst.due_at),
            "Status": STATUS_WORDS.get(inst.status, inst.status.value),
            "When": note,
            "Agency": names.get(inst.agency, inst.agency),
            "Must": (vocab or {}).get(inst.action, inst.action.replace("_", " ")),
            "Protocol": f"{inst.protocol_id} {inst.title}" + (" (critical)" if inst.critical else ""),
        })
    frame = pd.DataFrame(rows)
    text_table(_colour_column(frame, "Status", PROTOCOL_COLOURS), height=420)
    if len(shown) < len(ranked):
        st.caption(f"and {len(ranked) - len(shown)} earlier instances met, late or missed "
                   "(all of them are in the after-action report).")


def protocol_counts(instances: Sequence[ProtocolInstance], names: Mapping[str, str]) -> pd.DataFrame:
    """Per agency: how many instances are pending, overdue, met, late, out of order, missed and not due
    by the end of play (a column only for a status some instance has, so the table stays narrow)."""
    per: dict[str, Counter[Status]] = {}
    for inst in instances:
        per.setdefault(inst.agency, Counter())[inst.status] += 1
    order = (Status.PENDING, Status.OVERDUE, Status.MET, Status.LATE, Status.OUT_OF_ORDER, Status.MISSED,
             Status.OPEN)
    shown = [s for s in order if any(c[s] for c in per.values())]
    heading = {s: COUNT_HEADINGS.get(s, s.value) for s in shown}
    rows = [{"Agency": names.get(a, a), **{heading[s]: c[s] for s in shown}} for a, c in per.items()]
    return pd.DataFrame(rows, columns=["Agency", *heading.values()])


def _who(item: Row) -> str:
    """An agency the simulation plays is marked so; the simulation itself needs no mark."""
    return item.who + (" (simulated)" if item.simulated and item.who != SIMULATION else "")


def feed_table(items: Sequence[Row], *, key: str | None = None, height: int = 360) -> None:
    """Entries newest first: time, who, what (user text shown as typed)."""
    if not items:
        st.caption("Nothing recorded yet.")
        return
    frame = pd.DataFrame(
        [
            {"Time": format_duration(i.at), "Who": _who(i), "What": i.what}
            for i in items
        ]
    )
    text_table(frame, height=height)


def timeline_chart(frame: pd.DataFrame, now: float, window: float = TIMELINE_WINDOW_S, *, key: str) -> None:
    """Entries by exercise time (minutes) and lane; simulated ones hollow; a rule at 'now'."""
    if frame.empty:
        st.caption("The timeline fills as the exercise runs.")
        return
    points = frame[frame["category"] != "clock"]
    rules = frame[frame["category"] == "clock"]
    seen = set(points["lane"])
    lanes = [lane for lane in ["MSEL", *sorted(seen - {"MSEL", "Incident", "Control", "Network"}),
                               "Incident", "Network", "Control"] if lane in seen]
    categories = set(points["category"])  # once: a set per colour read the column a dozen times
    present = [c for c in CATEGORY_COLOURS if c in categories]
    spec = json.loads(_timeline_spec(tuple(lanes), tuple(present), not rules.empty))
    # The spec's one changing part: the time shown, the last ``window`` up to now.
    spec["layer"][0]["encoding"]["x"]["scale"]["domain"] = [max(0.0, now / 60.0 - window / 60.0),
                                                            max(now / 60.0, 10.0)]
    spec["datasets"] = {"points": points, "now": pd.DataFrame({"minute": [now / 60.0]}), "rules": rules}
    height = max(270, 30 * len(lanes))
    kinds = Counter(points["category"])
    description = (f"Timeline of exercise time {format_duration(max(0.0, now - window))} to {format_duration(now)}: "
                   + ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()) + f", in {len(lanes)} lanes.")
    table = points.sort_values("minute", ascending=False)[["time", "lane", "category", "source", "what"]]
    table.columns = ["Time", "Lane", "Entry", "By", "What"]
    described_chart(spec, table, description=description, what="The timeline", key=key, height=height)


@functools.lru_cache(maxsize=256)
def _timeline_spec(lanes: tuple[str, ...], present: tuple[str, ...], with_rules: bool) -> str:
    """The timeline's Vega-Lite spec for these lanes and kinds of entry, its data named, not held:
    Altair builds it and checks it against the schema once per process (most of a redraw's cost
    when done on each run); each redraw fills in the data and the time shown."""
    x = alt.X("minute:Q", title="Exercise time (minutes)", scale=alt.Scale(domain=[0.0, 10.0], nice=False))
    colours = alt.Scale(domain=list(present), range=[CATEGORY_COLOURS[c] for c in present])
    base = alt.Chart(alt.NamedData(name="points")).mark_point(size=70, strokeWidth=2).encode(
        x=x,
        y=alt.Y("lane:N", title=None, sort=list(lanes), axis=alt.Axis(labelLimit=360)),
        color=alt.Color("category:N", title="Entry", scale=colours, legend=alt.Legend(orient="right")),
        shape=alt.Shape("source:N", title="By", scale=alt.Scale(domain=["people", "simulated"],
                                                                range=["circle", "triangle-up"])),
        # People's entries filled, the simulation's hollow, in the same colours.
        fill=alt.condition("datum.source == 'people'", alt.Fill("category:N", scale=colours, legend=None),
                           alt.value("transparent")),
        tooltip=[alt.Tooltip("time:N", title="Time"), alt.Tooltip("lane:N", title="Lane"),
                 alt.Tooltip("what:N", title="What")],
    )
    now_rule = alt.Chart(alt.NamedData(name="now")).mark_rule(color="#b3261e", strokeDash=[4, 3]).encode(
        x="minute:Q")
    layers: list[alt.Chart] = [base, now_rule]
    if with_rules:
        layers.append(alt.Chart(alt.NamedData(name="rules")).mark_rule(color=CLOCK_RULE_COLOUR).encode(
            x="minute:Q", tooltip=[alt.Tooltip("what:N")]))
    spec = alt.layer(*layers).to_dict()
    spec.pop("config", None)  # Altair's default view size: the page sets the chart's size
    return json.dumps(spec)


def counted_text(label: str, key: str, *, limit: int = MAX_TEXT, area: bool = True, height: int = 80,
                 placeholder: str | None = None) -> None:
    """A text field with a counter of its limit. No ``max_chars``: the browser would then drop a
    pasted text that is too long without a word; here it is kept, counted, and refused with a
    message when submitted, so the user can shorten it."""
    # In its counter box, the count follows each keystroke in the browser (console.a11y's script);
    # the server's count below is the same words, drawn again on each run.
    with a11y.counter_box(key, limit):
        if area:
            st.text_area(label, key=key, height=height, placeholder=placeholder)
        else:
            st.text_input(label, key=key, placeholder=placeholder)
        used = len(str(st.session_state.get(key) or ""))
        counter = f"{used:,} / {limit:,} characters"
        st.caption(f"{counter}: too long by {used - limit:,}" if used > limit else counter)


def too_long(fields: Mapping[str, str], limit: int = MAX_TEXT) -> str | None:
    """Why a submission is refused when a field (label -> session key) is over ``limit``."""
    for label, key in fields.items():
        used = len(str(st.session_state.get(key) or ""))
        if used > limit:
            return (f"{label} is {used:,} characters; the limit is {limit:,}. Your text is kept: shorten it "
                    "and try again.")
    return None


def msel_frame(rows: Sequence[MselRow], names: Mapping[str, str],
               vocab: Mapping[str, str] | None = None) -> pd.DataFrame:
    names = {**SENDER_NAMES, **names}
    vocab = vocab or {}
    return pd.DataFrame(
        [
            {
                "Time": format_duration(r.time),
                "Inject": r.inject_id,
                "Status": r.status.value,
                "Synopsis": r.synopsis,
                "From": names.get(r.sender, r.sender),
                "To": agency_names(names, r.to),
                "Expected": ", ".join(vocab.get(a, a.replace("_", " ")) for a in r.expected_actions),
                "Acted on by": agency_names(names, r.acted_on_by),
                "Note": "; ".join(n for n in (
                    "conditional" if r.conditional and not r.skipped_reason and not r.override else "",
                    "released by controller override" if r.override else "",
                    "added during play" if r.added else "",
                    f"skipped: {r.skipped_reason}" if r.skipped_reason else "",
                ) if n),
            }
            for r in rows
        ],
        columns=["Time", "Inject", "Status", "Synopsis", "From", "To", "Expected", "Acted on by", "Note"],
    )


def msel_table(rows: Sequence[MselRow], names: Mapping[str, str], *, key: str | None = None,
               height: int = 640, vocab: Mapping[str, str] | None = None) -> None:
    frame = msel_frame(rows, names, vocab)
    text_table(_colour_column(frame, "Status", INJECT_COLOURS), height=height)


def network_figure(scenario: Scenario, *, links_down: Collection[LinkKey] = (),
                   load: Mapping[LinkKey, int] | None = None, key: str) -> None:
    """The agency network drawn, with the same facts as a table beside it (its text alternative):
    every link by name, its channel, the messages it carried, and whether it is down."""
    down = len({frozenset(k) for k in links_down})
    # The drawing gets the page's width: drawn smaller, its names would be unreadable.
    st.graphviz_chart(network_graph(scenario, links_down=links_down, load=load), width="stretch")
    st.caption(f"{len(scenario.agencies)} agencies, {len(scenario.links)} links, {down} down. Double border: "
               "played by people. Line width and number: messages carried. Red dashes: link down.")
    table_on_demand("The network as a table (links, messages carried, links down)", key,
                    lambda: text_table(pd.DataFrame(network_rows(scenario, links_down=links_down, load=load)),
                                       height=480))



PAGE_ROWS = 25
"""Rows of a long table drawn at once: a program's hundreds of corrective actions are read a page at
a time (drawing them all made each redraw of the page take seconds)."""


def page_of(frame: pd.DataFrame, key: str, what: str) -> pd.DataFrame:
    """The rows of ``frame`` the reader chose to see, ``PAGE_ROWS`` at a time; with more rows than
    that, a choice of which rows, and how many there are in all."""
    if len(frame) <= PAGE_ROWS:
        return frame
    starts = range(0, len(frame), PAGE_ROWS)
    start = st.selectbox(
        f"{what.capitalize()} shown", starts, key=key,
        format_func=lambda s: f"{s + 1:,} to {min(s + PAGE_ROWS, len(frame)):,} of {len(frame):,}",
    )
    return frame.iloc[start: start + PAGE_ROWS]


def rows_of(frame: pd.DataFrame, column: str, key: str) -> pd.DataFrame:
    """A long table read one ``column`` value at a time (a capability's trend across twenty
    exercises): with more than ``PAGE_ROWS`` rows, a choice of the value, the first one shown."""
    values = list(dict.fromkeys(frame[column])) if len(frame) > PAGE_ROWS else []
    if len(values) < 2:
        return frame
    chosen = st.selectbox(column, values, key=key)
    return frame[frame[column] == chosen]
