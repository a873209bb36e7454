"""Frozen pydantic objects held by the tens of thousands (a long journal's entries, a report's
evidence and timeline) made smaller, without changing what they hold or how they behave.

Pydantic keeps with every object the set of the fields it was given (``model_fields_set``): a set
of five names takes 728 bytes, more than the rest of a journal entry. Objects given the same fields
share one such set here. That is safe on frozen models only, which every model here is: pydantic
changes the set when a field is assigned (a frozen model refuses) and ``model_copy`` copies it
before adding to it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

_SHARED: dict[frozenset[str], set[str]] = {}


def share_fields_set(model: BaseModel) -> None:
    """Point the frozen ``model``'s set of given fields at the one shared by every model given the
    same fields."""
    given = model.__pydantic_fields_set__
    shared = _SHARED.setdefault(frozenset(given), given)
    if shared is not given:
        object.__setattr__(model, "__pydantic_fields_set__", shared)


SHORT = 64
"""Texts up to this length are kept once however many entries hold them (agency ids, actions, kinds,
a message's usual words); longer ones are seldom repeated."""


def interned(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` (a journal entry's, as parsed) with its short texts each held once in the process."""
    return {key: sys.intern(value) if type(value) is str and len(value) <= SHORT else value
            for key, value in payload.items()}
