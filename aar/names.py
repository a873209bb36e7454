"""What a person reads instead of an id: agency names, action labels, objective titles, unit types.

Unit types, agency kinds and plurals are worded by ``exercises.views.wording``, the one rule the
console uses too; this module carries the scenario's tables into the report model.

Scenario ids (``city_police``, ``obj_command``, ``establish_command``) belong in the JSON export
and the report's marked index; every sentence and table cell is written with these names.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from exercises.record.entries import Development
from exercises.scenario.model import Scenario
from exercises.views.wording import (
    IncidentNames,
    UnitForms,
    agency_kind,
    development_words,
    incident_names,
    plural,
    unit_names,
    units,
)

__all__ = ["Names", "humanise", "plural", "quantity"]

_TOKEN = re.compile(r"(?<!\w)[a-z][a-z0-9_]*(?!\w)")


def quantity(n: int, noun: str) -> str:
    """'1 request', '3 requests', '2 entries', '15,003 messages'."""
    return f"{n:,} {plural(noun, n)}"


def humanise(identifier: str) -> str:
    """A label from an id that has none: ``patrol_unit`` -> ``patrol unit``."""
    return identifier.replace("_", " ").strip()


class Names(BaseModel):
    """Id -> name tables for one scenario, carried in the report model (and its JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agencies: dict[str, str] = {}
    actions: dict[str, str] = {}
    events: dict[str, str] = {}
    objectives: dict[str, str] = {}
    protocols: dict[str, str] = {}
    plans: dict[str, str] = {}
    unit_types: dict[str, UnitForms] = {}
    incident: str = ""
    """What a general incident model calls the incident (empty for the built-in models)."""
    developments: dict[str, str] = {}
    """A general incident model's developments: id -> the scenario's name for it."""

    @classmethod
    def of(cls, scenario: Scenario) -> Names:
        incident = incident_names(scenario)
        return cls(
            incident=incident.incident,
            developments=dict(incident.developments),
            agencies={**scenario.party_names, **{a.id: a.name for a in scenario.agencies}},
            actions=dict(scenario.vocabulary),
            events=dict(scenario.event_names),
            objectives={o.id: o.short_title or o.text for o in scenario.objectives},
            protocols={p.id: p.title for p in scenario.protocols},
            plans={p.id: p.name for p in scenario.plans},
            unit_types=unit_names(scenario),
        )

    def agency(self, agency_id: str | None) -> str:
        if agency_id is None:
            return "--"
        return self.agencies.get(agency_id, humanise(agency_id))

    def action(self, action_id: str) -> str:
        return self.actions.get(action_id, humanise(action_id))

    def event(self, event_id: str) -> str:
        return self.events.get(event_id, humanise(event_id))

    def objective(self, objective_id: str) -> str:
        return self.objectives.get(objective_id, humanise(objective_id))

    def protocol(self, protocol_id: str) -> str:
        return self.protocols.get(protocol_id, protocol_id)

    def link(self, between: tuple[str, str] | list[str], channel: str | None = None) -> str:
        text = f"{self.agency(between[0])} - {self.agency(between[1])}"
        return f"{text} ({humanise(channel)})" if channel else text

    def words(self, sentence: str) -> str:
        """A sentence the engine wrote with ids (never user text), with names put in their place."""
        for key in sorted(self.protocols, key=len, reverse=True):
            sentence = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", self.protocols[key], sentence)

        def name(match: re.Match[str]) -> str:
            token = match.group(0)
            for table in (self.agencies, self.events, self.plans):
                if token in table:
                    return table[token]
            if token in self.unit_types:
                return self.unit_types[token][0]
            if token in self.actions:
                return f"\u201c{self.actions[token]}\u201d"
            return humanise(token) if "_" in token else token

        return _TOKEN.sub(name, sentence)

    def development(self, p: Development, agency: str | None, *, incident: bool = True) -> str:
        """A development of the incident in the scenario's words (``exercises.views.wording``'s rule)."""
        named = IncidentNames(self.incident, self.developments)
        return development_words(p, named, self.agency(agency) if agency else "", self.action, self.agency,
                                 incident=incident)

    def units(self, unit_type: str, count: int) -> str:
        """``20 patrol units``, ``8 EOC staff``: the console's rule (``exercises.views.wording.units``)."""
        return units(count, unit_type, self.unit_types)

    @staticmethod
    def kind(kind: str) -> str:
        """An agency's kind: ``EMS``, ``Law enforcement``."""
        return agency_kind(kind)
