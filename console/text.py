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


def with_names(text: str, names: dict[str, str]) -> str:
    """``text`` (written by another part of Hotwash) with every id of ``names`` standing alone as a
    word replaced by its name: sentences made for logs name ``city_police``; people read names."""
    if not names:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
                         + r")(?![\w-])")
    return pattern.sub(lambda m: names[m.group(1)], text)


def scenario_words(scenario: object) -> dict[str, str]:
    """Every id a scenario defines that people should read as a name or label: agencies,
    objectives, actions and unit types."""
    from exercises.scenario.model import Scenario

    assert isinstance(scenario, Scenario)
    words = {u: u.replace("_", " ") for a in scenario.agencies for u in a.resources}
    words.update(scenario.vocabulary)
    words.update({o.id: o.text for o in scenario.objectives})
    words.update({a.id: a.name for a in scenario.agencies})
    return words
