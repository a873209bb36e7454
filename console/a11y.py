"""What makes the console usable with a keyboard and a screen reader, in one place: the style that
raises caption contrast, labelled scroll regions, messages announced where the action was taken,
focus put back after a rerun, and character counters that count as one types.

Streamlit's elements take no ARIA attributes and run no per-element script, so a region, a live
message or a counter is an ordinary Streamlit container with a ``key`` (which Streamlit writes into
the element's class as ``st-key-<key>``), and one constant script (``BEHAVIOUR``) gives those
containers their roles and names. No user text ever goes into HTML or the script: messages are drawn
by ``st.success``/``st.error`` through ``console.text.md``; the script's data are constant strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from console.text import md

CAPTION_COLOUR = "#5f6368"
"""Caption text: 6.0:1 on white, 5.4:1 on the sidebar's grey. Streamlit draws captions in the text
colour at 60 % opacity: 3.9:1, under the 4.5:1 that WCAG 1.4.3 asks of text."""

STYLE = f"""<style>
[data-testid="stCaptionContainer"] {{ color: {CAPTION_COLOUR}; opacity: 1; }}
[data-testid="stCaptionContainer"] p {{ color: {CAPTION_COLOUR}; }}
.st-key-a11y_scripts, [class*="st-key-a11y_focus_"] {{ display: none; }}
[class*="st-key-a11y_region_"]:focus-visible {{ outline: 2px solid #b3261e; outline-offset: 2px; }}
</style>"""

REGIONS: dict[str, str] = {
    "inbox": "Inbox",
    "media_feed": "Media feed",
}
"""Scroll boxes: their key (``a11y_region_<key>``) and the name a screen reader reads for them."""

MESSAGE_KEY = "a11y_message"
Focus = Literal["message", "heading"]

# The script: constant text; it is sent once per page run and installs itself once per tab.
BEHAVIOUR = """<script>
(() => {
  const doc = window.parent ? window.parent.document : document;
  const regions = __REGIONS__;
  const label = () => {
    for (const [key, name] of Object.entries(regions)) {
      for (const box of doc.querySelectorAll('.st-key-a11y_region_' + key)) {
        // Streamlit puts the key's class on the scrolling block itself.
        if (box.getAttribute('aria-label') !== name) {
          box.setAttribute('role', 'region');
          box.setAttribute('aria-label', name);
          box.setAttribute('tabindex', '0');
        }
      }
    }
    for (const live of doc.querySelectorAll('[class*="st-key-a11y_live_"]')) {
      if (live.getAttribute('aria-live') !== 'polite') {
        live.setAttribute('role', 'status');
        live.setAttribute('aria-live', 'polite');
      }
    }
  };
  if (!doc.defaultView.__hotwashA11y) {
    doc.defaultView.__hotwashA11y = true;
    new MutationObserver(label).observe(doc.body, {childList: true, subtree: true});
    // A counter under a text field counts as one types (the server's count follows on the next run).
    doc.addEventListener('input', (event) => {
      const field = event.target;
      const box = field.closest && field.closest('[class*="st-key-a11y_count_"]');
      if (!box) return;
      const counter = box.querySelector('.a11y-counter, [data-testid="stCaptionContainer"] p');
      if (!counter) return;
      const limit = Number(box.className.match(/a11y_count_[^ ]*_(\\d+)/)[1]);
      const used = field.value.length;
      const fmt = (n) => n.toLocaleString('en-US');
      counter.textContent = used > limit
        ? `${fmt(used)} / ${fmt(limit)} characters: too long by ${fmt(used - limit)}`
        : `${fmt(used)} / ${fmt(limit)} characters`;
    }, true);
  }
  label();
})();
</script>""".replace("__REGIONS__", json.dumps(REGIONS))

FOCUS = """<script>
(() => {
  /* __NONCE__ */
  const doc = window.parent ? window.parent.document : document;
  const win = doc.defaultView;
  const selector = __SELECTOR__;
  // The newest message owns the focus: an older script still waiting stops (two would take turns).
  const me = {};
  win.__hotwashFocus = me;
  // Focus is moved from nowhere (the page's body, where a rerun leaves it) or from the control that
  // had it when the message appeared; never taken from where the user has since gone.
  const from = doc.activeElement;
  let placed = false;
  let tries = 0;
  const go = () => {
    if (win.__hotwashFocus !== me) return;
    const target = [...doc.querySelectorAll(selector)].find((el) => !el.closest("[data-stale='true']"));
    const now = doc.activeElement;
    const idle = doc.querySelector("[data-test-script-state='notRunning']");
    if (target && now === target) {
      placed = true;
      if (idle) return;
    } else if (placed && now && now !== doc.body) {
      return;  // the user has gone on from the message (a keyboard user tabbing to the next field)
    } else if (target && (!now || now === doc.body || now === from)) {
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    }
    // A busy server can take long over the run that draws the message: wait up to two minutes.
    if (++tries < 600) setTimeout(go, 200);
  };
  setTimeout(go, 50);
})();
</script>"""


@dataclass(frozen=True)
class Message:
    """What an action said, for the place on the page where it was taken."""

    text: str
    ok: bool
    slot: str
    focus: Focus
    nonce: int


def page_setup() -> None:
    """The style and the behaviour script; every page run calls this once (``console.app``)."""
    # One element in a hidden container: a style alone would go to Streamlit's event container,
    # where it takes the place of a toast sent before a page switch.
    with st.container(key="a11y_scripts"):
        st.html(STYLE + BEHAVIOUR, unsafe_allow_javascript=True)


def said(text: str, *, ok: bool = True, slot: str = "page", focus: Focus = "message") -> None:
    """Keep what an action said, to be shown (and announced) where ``feedback(slot)`` draws it."""
    st.session_state[MESSAGE_KEY] = Message(text, ok, slot, focus, next_nonce())


def next_nonce() -> int:
    """A number new to this tab: a focus script that differs from the last one runs again."""
    nonce = int(st.session_state.get("a11y_nonce", 0)) + 1
    st.session_state["a11y_nonce"] = nonce
    return nonce


def pending(slot: str) -> Message | None:
    found = st.session_state.get(MESSAGE_KEY)
    return found if isinstance(found, Message) and found.slot == slot else None


def feedback(slot: str) -> None:
    """The live region of one form: always drawn (a live region must be on the page before its
    message), holding the message of the action just taken there, once; focus goes to it."""
    message = pending(slot)
    with st.container(key=f"a11y_live_{slot}"):
        if message is None:
            return
        del st.session_state[MESSAGE_KEY]
        shown = md(message.text)
        if message.ok:
            st.success(shown, icon=":material/check_circle:")
        else:
            st.error(shown, icon=":material/error:")
    target = "main h1" if message.focus == "heading" else f".st-key-a11y_live_{slot} [data-testid='stAlert']"
    focus(target, message.nonce)


def focus(selector: str, nonce: int) -> None:
    """Move the keyboard focus to the first current element matching ``selector`` (a constant)."""
    script = FOCUS.replace("__SELECTOR__", json.dumps(selector)).replace("__NONCE__", str(nonce))
    with st.container(key=f"a11y_focus_{nonce}"):
        st.html(script, unsafe_allow_javascript=True)


def scroll_region(name: str, height: int) -> st.delta_generator.DeltaGenerator:
    """A scroll box a keyboard can reach and a screen reader names (``REGIONS[name]``)."""
    assert name in REGIONS, name
    return st.container(height=height, border=False, key=f"a11y_region_{name}")


def counter_box(key: str, limit: int) -> st.delta_generator.DeltaGenerator:
    """The container of a text field and its counter, which the script updates while one types."""
    return st.container(key=f"a11y_count_{key}_{limit}")
