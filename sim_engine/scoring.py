"""Protocols scored over one run's record: a small pure function for the simulated baseline.

Each time a protocol's trigger happens, its clock starts once (an *instance*):
- ``within`` protocols: the first action by the protocol's agency after the trigger, not already
  counted for an earlier instance, answers it: **met** by the deadline, **late** after it; with no
  answer, **missed** once the deadline has passed by the end of the run, **open** if it has not;
- ``before_trigger`` protocols: **met** if the agency performed the action before the trigger (a
  standing action counts for every later trigger), **out_of_order** if only after it, else **missed**.

Batch runs have no players or controllers, so the record holds no corrections or added injects. (The
after-action report scores the real journal, corrections included, in ``aar``.)
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Literal, NamedTuple

from exercises.scenario import Inject, Protocol, Scenario
from sim_engine.record import ActionLogged, Development, Happening, InjectDelivered, RumourStarted

Outcome = Literal["met", "late", "missed", "open", "out_of_order"]


class ProtocolInstance(NamedTuple):
    """(A named tuple: a run makes about a hundred, and a frozen dataclass costs several times as much
    to build.)"""

    protocol_id: str
    triggered_at: float
    deadline: float | None
    """Absolute time the action was due by; None for a ``before_trigger`` protocol."""
    outcome: Outcome
    done_at: float | None

    @property
    def response(self) -> float | None:
        """Seconds from the trigger to the answering action (negative when it came before)."""
        return None if self.done_at is None else self.done_at - self.triggered_at


class RecordIndex:
    """Where in a run's record each action was logged and each event raised (record positions, in
    order): what scoring needs of the record. Built in one pass over a finished record
    (``index_record``), or as the run goes (``sim_engine.stats.RunningSummary``)."""

    __slots__ = ("actions", "events")

    def __init__(self) -> None:
        self.actions: dict[str, list[int]] = {}
        self.events: dict[str, list[int]] = {}

    def logged(self, action: str, pos: int) -> None:
        found = self.actions.get(action)
        if found is None:
            self.actions[action] = [pos]
        else:
            found.append(pos)

    def raised(self, events: Sequence[str], pos: int) -> None:
        for event in events:
            self.events.setdefault(event, []).append(pos)


def index_record(scenario: Scenario, entries: Sequence[Happening]) -> RecordIndex:
    """The index of a finished record: actions logged; events raised by developments, rumours and
    the scenario's injects."""
    injects: dict[str, Inject] = {i.id: i for i in scenario.msel}
    index = RecordIndex()
    for pos, entry in enumerate(entries):
        payload = entry.payload
        # The record's payloads are its own named tuples, never subclassed: the exact type is enough.
        if type(payload) is ActionLogged:
            index.logged(payload.action, pos)
        elif type(payload) is Development or type(payload) is RumourStarted:
            index.raised(payload.raises, pos)
        elif type(payload) is InjectDelivered and payload.inject_id in injects:
            index.raised(injects[payload.inject_id].raises, pos)
    return index


def score_protocols(scenario: Scenario, entries: Sequence[Happening], end: float) -> list[ProtocolInstance]:
    """Every protocol instance of a run that ended at ``end``, in protocol order, then trigger order."""
    return score_indexed(scenario, entries, index_record(scenario, entries), end)


def score_indexed(
    scenario: Scenario, entries: Sequence[Happening], index: RecordIndex, end: float
) -> list[ProtocolInstance]:
    """``score_protocols`` from the record's index."""
    events, actions = index.events, index.actions
    found: list[ProtocolInstance] = []
    for proto in scenario.protocols:
        done = [p for p in actions.get(proto.action, ()) if entries[p].agency == proto.agency]
        triggers = _triggers(proto, entries, events, actions)
        if proto.before_trigger:
            found.extend(_before(proto, entries, triggers, done))
        else:
            found.extend(_within(proto, entries, triggers, done, end))
    return found


def _triggers(
    proto: Protocol, entries: Sequence[Happening], events: dict[str, list[int]], actions: dict[str, list[int]]
) -> list[int]:
    """Positions of the trigger's entries (-1 stands for the start of the exercise)."""
    trigger = proto.trigger
    if trigger.kind == "exercise_start":
        return [-1]
    if trigger.kind == "event":
        return events.get(str(trigger.name), [])
    by = set(trigger.agencies)
    return [p for p in actions.get(str(trigger.name), ()) if not by or entries[p].agency in by]


def _at(entries: Sequence[Happening], pos: int) -> float:
    return 0.0 if pos < 0 else entries[pos].at


def _within(
    proto: Protocol, entries: Sequence[Happening], triggers: list[int], done: list[int], end: float
) -> list[ProtocolInstance]:
    out = []
    used = 0
    within = proto.within or 0.0
    for trigger in triggers:
        at = _at(entries, trigger)
        deadline = at + within
        used = max(used, bisect.bisect_right(done, trigger))
        if used < len(done):
            done_at = entries[done[used]].at
            used += 1
            outcome: Outcome = "met" if done_at <= deadline else "late"
            out.append(ProtocolInstance(proto.id, at, deadline, outcome, done_at))
        else:
            out.append(
                ProtocolInstance(proto.id, at, deadline, "missed" if end >= deadline else "open", None)
            )
    return out


def _before(
    proto: Protocol, entries: Sequence[Happening], triggers: list[int], done: list[int]
) -> list[ProtocolInstance]:
    out = []
    for trigger in triggers:
        at = _at(entries, trigger)
        k = bisect.bisect_left(done, trigger)
        if k > 0:
            out.append(ProtocolInstance(proto.id, at, None, "met", entries[done[k - 1]].at))
        elif k < len(done):
            out.append(ProtocolInstance(proto.id, at, None, "out_of_order", entries[done[k]].at))
        else:
            out.append(ProtocolInstance(proto.id, at, None, "missed", None))
    return out
