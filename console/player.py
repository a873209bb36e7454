"""A player's page: one agency's inbox, its actions, messages and resource requests, its deadlines.

The agency is the one the access code was issued for; nothing on this page can choose another
(and the service refuses it if a request is crafted by hand).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from console import a11y, session
from console.media import media_panel
from console.text import clip, md
from console.widgets import counted_text, exercise_header, text_table, too_long
from exercises.access import Caller, Role
from exercises.scenario.durations import format_duration
from exercises.scoring import Status
from exercises.service.exercise_service import Briefing
from exercises.views import SENDER_NAMES, InboxItem, unit_label, units

# The read mark of a tab without a browser session (tests); signed-in browsers keep it in the database.
SEEN_KEY = "player_seen_seq"
KIND_LABEL = {
    "inject": "Inject",
    "development": "Incident",
    "message": "Message",
    "message_lost": "Not delivered",
    "resource_request": "Resource request",
    "resource_assigned": "Resources assigned",
}


def names_of(brief: Briefing) -> dict[str, str]:
    return {a.id: a.name for a in brief.agencies} | SENDER_NAMES


def inbox_view(items: Sequence[InboxItem], names: dict[str, str], seen: int) -> None:
    new = [i for i in items if i.seq > seen]
    head = st.container(horizontal=True, vertical_alignment="center")
    with head:
        st.header(f"Inbox ({len(items)})")
        if new:
            st.badge(f"{len(new)} new", color="red", icon=":material/notifications_active:")
            st.button("Mark all read", key="player_mark_read", on_click=_mark_read, args=(items[-1].seq,),
                      type="tertiary")
    if not items:
        st.caption("Nothing has reached your agency yet.")
        return
    shown = int(st.session_state.get(SHOWN_KEY, INBOX_SHOWN))
    box = a11y.scroll_region("inbox", 640) if len(items) > 3 else st.container(border=False)
    with box:
        for item in reversed(items[-shown:]):
            fresh = item.seq > seen
            with st.container(border=True, key=f"inbox_{item.seq}"):
                line = st.container(horizontal=True, vertical_alignment="center", gap="small")
                with line:
                    if fresh:
                        st.badge("NEW", color="red")
                    st.badge(KIND_LABEL.get(item.kind, item.kind),
                             color="violet" if item.kind in ("inject", "development") else "blue")
                    st.caption(md(f"{format_duration(item.at)} · from {names.get(item.sender, item.sender)}"
                                  + (f" · {item.inject_id}" if item.inject_id else "")))
                st.markdown(f"**{md(item.subject)}**" if fresh else md(item.subject))
                if item.text:
                    st.text(item.text)
        if len(items) > shown:
            st.caption(f"The newest {shown} of {len(items)} are shown.")
            st.button(f"Show {min(INBOX_SHOWN, len(items) - shown)} older", key="player_inbox_more",
                      on_click=_show_more, type="tertiary")


# Inbox items drawn at first (the newest); a button draws older ones, so a long exercise's page stays
# quick. (A comment, not a string: a page runs as a script, and Streamlit would print a bare string.)
INBOX_SHOWN = 30
SHOWN_KEY = "player_inbox_shown"


def _show_more() -> None:
    st.session_state[SHOWN_KEY] = int(st.session_state.get(SHOWN_KEY, INBOX_SHOWN)) + INBOX_SHOWN


def _mark_read(seq: int) -> None:
    st.session_state[SEEN_KEY] = seq
    signed = session.signed_in()
    if signed is not None:
        # Per participant, in the database: a reload or another browser of the agency sees it too.
        session.store().mark_read(signed.participant_id, seq)


def read_mark() -> int:
    signed = session.signed_in()
    stored = session.store().read_mark(signed.participant_id) if signed is not None else 0
    return max(stored, int(st.session_state.get(SEEN_KEY, 0)))


def deadlines_view(caller: Caller, now: float, vocab: dict[str, str]) -> None:
    open_ = [p for p in session.service().protocol_clock(caller)
             if p.status in (Status.PENDING, Status.OVERDUE)]
    st.header("Open deadlines")
    if not open_:
        st.caption("No deadline is running for your agency.")
        return
    rows = [
        {
            "Due": format_duration(p.due_at),
            # Redrawn when a deadline passes (not every second): the clock above counts the time.
            "Status": "pending" if p.status is Status.PENDING else "OVERDUE",
            "Must": vocab.get(p.action, p.action.replace("_", " ")),
            "Protocol": f"{p.protocol_id} {p.title}" + (" (critical)" if p.critical else ""),
        }
        for p in open_
    ]
    text_table(pd.DataFrame(rows), height=300)


@st.fragment(run_every=session.WATCH_EVERY)
@session.in_words
def live_header(caller: Caller, brief: Briefing) -> None:
    """The clock, every 2 s; the rest of the page is redrawn when the journal has news for the agency."""
    session.watch(caller)
    names = names_of(brief)
    exercise_header(session.service().state(caller),
                    subtitle=f"Playing {names.get(caller.agency or '', caller.agency or '')}")


def answerable(items: Sequence[InboxItem]) -> dict[str, str]:
    """The injects a player may link an action to: those that reached their agency."""
    return {i.inject_id: f"{i.inject_id}: {clip(i.subject, 60)}" for i in items if i.inject_id}


@session.in_words
def live_inbox(caller: Caller, brief: Briefing, items: Sequence[InboxItem]) -> None:
    inbox_view(items, names_of(brief), read_mark())


@session.in_words
def live_log(caller: Caller, vocab: dict[str, str]) -> None:
    svc = session.service()
    deadlines_view(caller, svc.state(caller).clock, vocab)
    st.header("Our log")
    log = svc.agency_log(caller)
    if not log:
        st.caption("Nothing logged yet.")
        return
    shown = int(st.session_state.get(LOG_SHOWN_KEY, LOG_SHOWN))
    frame = pd.DataFrame([{"Time": format_duration(i.at), "What": i.summary,
                           "Note": "voided" if i.voided else ("corrected" if i.corrected_by else "")}
                          for i in reversed(log[-shown:])])
    text_table(frame, height=320)
    if len(log) > shown:
        st.caption(f"The newest {shown} of {len(log)} are shown.")
        st.button(f"Show {min(LOG_SHOWN, len(log) - shown)} older", key="player_log_more", on_click=_show_more_log,
                  type="tertiary")


# Entries of the agency's log drawn at first (the newest); a button draws older ones: the log grows
# with the exercise, and a page that drew it whole would slow with every entry.
LOG_SHOWN = 50
LOG_SHOWN_KEY = "player_log_shown"


def _show_more_log() -> None:
    st.session_state[LOG_SHOWN_KEY] = int(st.session_state.get(LOG_SHOWN_KEY, LOG_SHOWN)) + LOG_SHOWN


# --- the forms ---------------------------------------------------------------------------


def _refused(fields: dict[str, str], slot: str) -> bool:
    """Over-long text is refused with a message (and kept, to be shortened), never dropped."""
    refused = too_long(fields)
    if refused:
        a11y.said(f"Not sent: {refused}", ok=False, slot=slot)
        st.toast(md(f"Not sent: {refused}"), icon=":material/error:")
    return refused is not None


def _log_action(caller: Caller, vocabulary: dict[str, str]) -> None:
    action = st.session_state.get("act_action")
    if not action:
        return
    if _refused({"Details": "act_text"}, "log_action"):
        return
    text = str(st.session_state.get("act_text", ""))
    inject = st.session_state.get("act_inject") or None
    label = vocabulary.get(action, action)
    done = session.perform(
        f"Logged: {label}" + (f" (re {inject})" if inject else ""),
        lambda: session.service().log_action(caller, action, text=text, inject_id=inject),
        slot="log_action",
    )
    if done is not None:
        st.session_state["act_text"] = ""


def _send_message(caller: Caller, names: dict[str, str]) -> None:
    to = st.session_state.get("msg_to")
    text = str(st.session_state.get("msg_text", ""))
    carried = list(st.session_state.get("msg_categories") or [])
    if not to or _refused({"Message": "msg_text"}, "send_message"):
        return
    done = session.perform(f"Message sent to {names.get(to, to)}",
                           lambda: session.service().send_message(caller, to, text, categories=carried),
                           slot="send_message")
    if done is not None:
        st.session_state["msg_text"] = ""
        st.session_state["msg_categories"] = []


def _message_rules(caller: Caller, brief: Briefing) -> None:
    """The information the message carries, and before it is sent, each data-sharing rule it would
    break or require (outside the form, so the notice follows every choice)."""
    if not brief.categories:
        return
    st.multiselect("Information it carries", list(brief.categories), format_func=lambda c: brief.categories[c],
                   key="msg_categories", placeholder="None of the protected categories")
    to = st.session_state.get("msg_to")
    carried = st.session_state.get("msg_categories") or []
    if to and carried:
        for line in session.service().message_notice(caller, to, carried):
            st.warning(md(line), icon=":material/gavel:")


def _request(caller: Caller, names: dict[str, str], brief: Briefing) -> None:
    to = st.session_state.get("req_to")
    unit = st.session_state.get("req_unit")
    count = int(st.session_state.get("req_count", 1))
    text = str(st.session_state.get("req_text", ""))
    if not to or not unit or _refused({"Note": "req_text"}, "request_resources"):
        return
    done = session.perform(
        f"Requested {units(count, unit, brief.unit_names)} from {names.get(to, to)}",
        lambda: session.service().request_resource(caller, to, unit, count, text=text),
        slot="request_resources",
    )
    if done is not None:
        st.session_state["req_text"] = ""


def forms(caller: Caller, brief: Briefing, injects: dict[str, str]) -> None:
    names = names_of(brief)
    others = [a.id for a in brief.agencies if a.id != caller.agency]
    linked = {b if a == caller.agency else a for a, b, _ in brief.links if caller.agency in (a, b)}
    # Neighbours first: a message to anyone else travels over several links.
    others.sort(key=lambda a: (a not in linked, names.get(a, a)))

    def agency_label(a: str) -> str:
        return names.get(a, a) + ("" if a in linked else " (via the network)")

    # Tabs that keep their state: the page is redrawn whole when the journal has news, and a player
    # half-way through a message must stay on its tab.
    act, msg, req = st.tabs(["Log an action", "Send a message", "Request resources"], key="player_tab",
                            on_change="rerun")
    with act, st.form("log_action", border=False):
        vocabulary = brief.vocabulary
        st.selectbox("Action", list(vocabulary), format_func=lambda a: vocabulary[a], key="act_action")
        st.selectbox("In answer to (optional)", [None, *injects], key="act_inject",
                     format_func=lambda i: "no inject" if i is None else injects.get(i, i))
        counted_text("Details", "act_text", height=90, placeholder="What was done, by whom, with what result")
        st.form_submit_button("Log action", type="primary", icon=":material/edit_note:",
                              on_click=_log_action, args=(caller, vocabulary))
    with act:
        a11y.feedback("log_action")
    with msg:
        st.selectbox("To", others, format_func=agency_label, key="msg_to")
        _message_rules(caller, brief)
    with msg, st.form("send_message", border=False):
        counted_text("Message", "msg_text", height=90)
        st.form_submit_button("Send message", type="primary", icon=":material/send:",
                              on_click=_send_message, args=(caller, names))
    with msg:
        a11y.feedback("send_message")
    with req, st.form("request_resources", border=False):
        a, b = st.columns([3, 1])
        a.selectbox("To", others, format_func=agency_label, key="req_to")
        b.number_input("How many", min_value=1, max_value=10_000, value=1, step=1, key="req_count")
        st.selectbox("Unit type", list(brief.unit_types), key="req_unit",
                     format_func=lambda u: unit_label(u, brief.unit_names))
        counted_text("Note (optional)", "req_text", area=False)
        st.form_submit_button("Send request", type="primary", icon=":material/local_shipping:",
                              on_click=_request, args=(caller, names, brief))
    with req:
        a11y.feedback("request_resources")


def media_feed_section(caller: Caller) -> None:
    """The media feed (and, for the public information officer's agency, the statement form)."""
    media_panel(caller)


def render() -> None:
    caller = session.require_caller(Role.PLAYER)
    svc = session.service()
    brief = svc.briefing(caller)
    session.full_run()
    live_header(caller, brief)
    items = svc.inbox(caller)
    injects = answerable(items)
    left, right = st.columns([3, 2], gap="medium")
    with right:
        with st.container(border=True):
            forms(caller, brief, injects)
        live_log(caller, brief.vocabulary)
    with left:
        live_inbox(caller, brief, items)
        media_feed_section(caller)
    with st.expander("Scenario briefing"):
        st.text(brief.summary)
        st.caption(md(f"{brief.threat_or_hazard} · {brief.location}"))
        if brief.my_resources:
            st.dataframe(pd.DataFrame([{"Unit": unit_label(u, brief.unit_names), "Count": n}
                                       for u, n in brief.my_resources.items()]), hide_index=True)


if __name__ == "__main__":
    render()
