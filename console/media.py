"""The media feed and its forms: what the simulated press and public publish, as it appears, for every
player and the controller; the statement form of the public information officer's agency; and the
controller's form to add a media item live. Names, never ids; posts are shown literally (``st.text``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import streamlit as st

from console import a11y, session
from console.text import md
from exercises.access import Caller
from exercises.scenario.durations import format_duration
from exercises.views.media_feed import FeedItem, MediaDesk

Colour = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray", "grey", "primary"]
KIND_BADGE: dict[str, tuple[str, Colour]] = {"rumour": ("Rumour", "orange"), "post": ("Post / news", "blue"), "statement": ("Official statement", "green")}
SHOWN = 40
"""Feed items shown (newest first); the journal keeps them all."""


def feed_item(item: FeedItem) -> None:
    with st.container(border=True, key=f"media_{item.seq}"):
        line = st.container(horizontal=True, vertical_alignment="center", gap="small")
        with line:
            label, colour = KIND_BADGE[item.kind]
            st.badge(label, color=colour)
            if item.kind == "rumour":
                if item.answered:
                    st.badge(f"Answered by {item.answered_by}", color="green", icon=":material/check:")
                else:
                    st.badge("Unanswered", color="red", icon=":material/campaign:")
            reach = f" · reach {item.reach:,}" if item.kind != "statement" else ""
            peak = f" (peak {item.peak_reach:,})" if item.kind == "rumour" and item.peak_reach > item.reach else ""
            st.caption(md(f"{format_duration(item.at)} · {item.source}{reach}{peak}"))
        st.text(item.text)
        if item.topics:
            st.caption(md("Topic: " + ", ".join(item.topics)))


def feed_view(items: Sequence[FeedItem], trust: float | None) -> None:
    head = st.container(horizontal=True, vertical_alignment="center")
    with head:
        st.header("Media feed")
        # The trust badge first: it is always there, so the header keeps its shape between refreshes.
        if trust is not None:
            st.badge(f"Community trust {trust:.0f} / 100", color="violet")
        open_ = sum(1 for i in items if i.kind == "rumour" and not i.answered)
        if open_:
            st.badge(f"{open_} rumour(s) unanswered", color="red")
    if not items:
        st.caption("Nothing in the news or on social media yet.")
        return
    box = a11y.scroll_region("media_feed", 520) if len(items) > 3 else st.container(border=False)
    with box:
        for item in items[:SHOWN]:
            feed_item(item)


@session.in_words
def live_media_feed(caller: Caller) -> None:
    """The feed as of this run (the page is redrawn when the journal has news: ``session.watch``)."""
    svc = session.service()
    curve = svc.trust_curve(caller)
    feed_view(svc.media_feed(caller), curve[-1].trust if curve else None)


def _publish(caller: Caller, desk: MediaDesk) -> None:
    topics = list(st.session_state.get("media_topics") or [])
    text = str(st.session_state.get("media_statement", ""))
    named = ", ".join(desk.topics.get(t, t) for t in topics) or "no named topic"
    done = session.perform(
        f"Statement published ({named})",
        lambda: session.service().publish_statement(caller, topics, text),
        slot="statement",
    )
    if done is not None:
        st.session_state["media_statement"] = ""
        st.session_state["media_topics"] = []


def statement_form(caller: Caller, desk: MediaDesk) -> None:
    """The public information officer's statement, naming the topics (rumours) it answers."""
    with st.form("media_statement_form", border=False):
        st.multiselect("Topics it addresses", list(desk.topics), format_func=lambda t: desk.topics[t],
                       key="media_topics", placeholder="Choose the rumours' topics")
        st.text_area("Statement", key="media_statement", max_chars=4000, height=90,
                     placeholder="What is known, what is being checked, when the next update comes")
        st.form_submit_button("Publish statement", type="primary", icon=":material/campaign:",
                              on_click=_publish, args=(caller, desk))
    a11y.feedback("statement")


def _add_item(caller: Caller, desk: MediaDesk) -> None:
    outlet = st.session_state.get("media_outlet")
    text = str(st.session_state.get("media_item_text", ""))
    rumour = st.session_state.get("media_rumour") or None
    topic = st.session_state.get("media_item_topic") or None
    if not outlet:
        return
    done = session.perform(
        f"Media item added ({desk.outlets.get(outlet, outlet)})",
        lambda: session.service().add_media_item(caller, outlet, text, topic=topic, starts_rumour=rumour),
        slot="media_item",
    )
    if done is not None:
        st.session_state["media_item_text"] = ""
        st.session_state["media_rumour"] = None


def media_item_form(caller: Caller, desk: MediaDesk) -> None:
    """A controller adds a post or news item live; it may start one of the scenario's rumours."""
    with st.form("media_item_form", border=False):
        st.selectbox("Outlet", list(desk.outlets), format_func=lambda o: desk.outlets[o], key="media_outlet")
        st.text_area("Post or news item", key="media_item_text", max_chars=4000, height=80)
        st.selectbox("Topic (optional)", [None, *desk.topics], key="media_item_topic",
                     format_func=lambda t: "none" if t is None else desk.topics[t])
        st.selectbox("Also start a rumour (optional)", [None, *desk.rumours], key="media_rumour",
                     format_func=lambda r: "no" if r is None else desk.rumours[r])
        st.form_submit_button("Add media item", icon=":material/newspaper:", on_click=_add_item, args=(caller, desk))
    a11y.feedback("media_item")


def media_panel(caller: Caller) -> None:
    """The feed with the forms this caller may use; nothing when the scenario has no media layer."""
    desk = session.service().media_desk(caller)
    if not desk.enabled:
        return
    if desk.may_publish:
        # Kept open by the server across the rerun a publication starts, so its message (which takes
        # the focus) stays in view.
        with st.expander("Publish an official statement", icon=":material/campaign:", key="media_statement_open",
                         on_change="rerun"):
            statement_form(caller, desk)
    if desk.rumours:
        with st.expander("Add a media item", icon=":material/newspaper:", key="media_item_open", on_change="rerun"):
            media_item_form(caller, desk)
    live_media_feed(caller)
