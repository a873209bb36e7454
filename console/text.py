"""Showing text that users or scenario authors typed, literally.

``st.text``, ``st.code`` and dataframes show a string as it is. Everything else Streamlit draws
(markdown, widget labels, expander titles, toasts) reads Markdown: links, images (a tracking pixel
from a player's message), emphasis, ``:red[...]`` directives, ``$...$`` maths. ``md`` escapes a
string so Markdown shows it as typed; HTML is never on (no ``unsafe_allow_html`` with user text).
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation; Streamlit's own directives (":", "$",
# "~") are punctuation too, so escaping all of it is both safe and complete.
_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")


def md(value: object) -> str:
    """``value`` as Markdown that renders as exactly its text, on one line."""
    text = " ".join(str(value).split())
    return _PUNCTUATION.sub(r"\\\1", text)


def clip(value: str, limit: int = 80) -> str:
    """A one-line preview: at most ``limit`` characters, with an ellipsis when cut."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
