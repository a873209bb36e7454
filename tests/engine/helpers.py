"""Small scenarios built in Python (through the domain models, not files) and a journal stand-in."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exercises.record.entries import Entry, NewEntry, Payload
from exercises.record.prefix import Prefix
from exercises.scenario.model import Scenario
from sim_engine.live import advance

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"
BUNDLED = ROOT / "data" / "scenarios"

QUIET_FIRE = {
    "model": "fire",
    "zones": 1,
    "spread_every": {"dist": "fixed", "value": 1e9},
    "contain_action": "contain",
    "occupants": 0,
    "seconds_per_person": 0,
    "evacuate_action": "evacuate",
}


def agency(agency_id: str, *, players: bool = False, delay: float = 0.0, **resources: int) -> dict[str, Any]:
    return {
        "id": agency_id,
        "name": agency_id.title(),
        "kind": "other",
        "played_by": "players" if players else "simulation",
        "resources": resources,
        "response_delay": {"dist": "fixed", "value": delay},
    }


def link(a: str, b: str, latency: float, reliability: float = 1.0) -> dict[str, Any]:
    return {"between": [a, b], "channel": "radio", "latency": latency, "reliability": reliability}


def inject(inject_id: str, time: float, to: Sequence[str], **fields: Any) -> dict[str, Any]:
    return {
        "id": inject_id,
        "time": time,
        "from": "simcell",
        "to": list(to),
        "mode": "radio",
        "synopsis": inject_id,
        "text": inject_id,
        "capability": "Operational Coordination",
        **fields,
    }


def protocol(
    protocol_id: str, agency_id: str, action: str, trigger: dict[str, Any], within: float | None = 600.0
) -> dict[str, Any]:
    before = within is None
    return {
        "id": protocol_id,
        "plan": "plan",
        "plan_name": "Plan",
        "title": protocol_id,
        "trigger": trigger,
        "agency": agency_id,
        "action": action,
        "within": within,
        "before_trigger": before,
        "critical": True,
        "capability": "Operational Coordination",
        "source": "test",
    }


def scenario(
    agencies: Sequence[dict[str, Any]],
    *,
    links: Sequence[dict[str, Any]] = (),
    msel: Sequence[dict[str, Any]] = (),
    protocols: Sequence[dict[str, Any]] = (),
    actions: Sequence[str] = (),
    events: Sequence[str] = (),
    simulation: dict[str, Any] | None = None,
    duration: float = 7200.0,
    kind: str = "facility_incident",
) -> Scenario:
    """A scenario of the given parts; the incident is a fire that never spreads unless said otherwise."""
    vocabulary = {"contain", "evacuate", *actions}
    sim = {"incident": copy.deepcopy(QUIET_FIRE), **(simulation or {})}
    data = {
        "id": "test",
        "name": "Test scenario",
        "kind": kind,
        "summary": "A test.",
        "threat_or_hazard": "Test",
        "location": "Test",
        "sponsor": "Test",
        "mission_areas": ["response"],
        "duration": duration,
        "lead_agency": agencies[0]["id"],
        "agencies": list(agencies),
        "links": list(links),
        "actions": [{"id": a, "label": a} for a in sorted(vocabulary)],
        "events": [{"id": e, "label": e} for e in events],
        "objectives": [{"id": "obj", "text": "Test", "capabilities": ["Operational Coordination"]}],
        "msel": list(msel) or [inject("T-00", 0.0, [agencies[0]["id"]])],
        "simulation": sim,
        "protocols": list(protocols),
    }
    return Scenario.model_validate(data)


class Journal:
    """The exercise journal as the service keeps it: entries numbered from 1, stored as JSON and
    read back (so the engine sees what a database gives it), advanced before each external entry."""

    def __init__(self, scenario: Scenario, seed: int, *, views: bool = False) -> None:
        self.scenario, self.seed = scenario, seed
        self.entries: list[Entry] = []
        self.views = views
        """Hand the engine a view of this list (``Prefix``), as the service does, not the list."""

    def append(self, entry: NewEntry) -> None:
        stored = Entry(seq=len(self.entries) + 1, **entry.model_dump())
        self.entries.append(Entry.model_validate_json(stored.model_dump_json()))

    def advance(self, until: float) -> list[NewEntry]:
        journal = Prefix(self.entries) if self.views else self.entries
        produced = advance(self.scenario, self.seed, journal, until)
        for entry in produced:
            self.append(entry)
        return produced

    def external(self, at: float, payload: Payload, agency: str | None, actor: str = "player") -> None:
        """A player's or controller's entry stamped ``at``, after advancing the engine to ``at``."""
        self.advance(at)
        self.append(NewEntry(at=at, agency=agency, actor=actor, payload=payload))

    @property
    def simulated(self) -> list[Entry]:
        return [e for e in self.entries if e.simulated]
