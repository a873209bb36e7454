"""Templates of the media layer: posts and news items with the incident's facts filled in.

Templates are scenario text (untrusted). They are filled by plain substitution of ``{name}`` for a
fact's value, never by ``str.format`` (which would let a template reach attributes and indexes of
the values); a fact's value is inserted as it is and never read as a template itself. The loader
refuses a template naming a fact that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FACTS: dict[str, str] = {
    "incident": "the scenario's name",
    "location": "the scenario's location",
    "outlet": "the name of the outlet publishing the item",
    "topic": "the label of the item's topic",
    "agency": "the name of the agency whose action or statement the item reacts to",
    "action": "the label of the action the item reacts to",
    "statement": "the text of the statement the item reacts to (empty for a simulated statement)",
    "time": "the exercise time of the happening, H:MM",
    "minutes": "for silence: the minutes since the start or the last statement",
}
"""The facts a template may name, with what each is."""

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(template: str) -> list[str]:
    """Every ``{name}`` a template names, in order."""
    return _PLACEHOLDER.findall(template)


def unknown_placeholders(template: str) -> list[str]:
    return [name for name in placeholders(template) if name not in FACTS]


def fill(template: str, facts: Mapping[str, str]) -> str:
    """The template with each ``{name}`` replaced by its fact (an unknown name is left as written)."""
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), template)
