"""Protocols scored over one run's record, for the simulated baseline.

Which action answers which trigger, and the status it earns, is the one rule of
``exercises.scoring`` (the console's protocol clock and the report call it too). What is the
engine's own is the index: a run's record is light tuples, indexed by position as the run goes
(``RecordIndex``), so a run is scored without building journal entries. A property test
(tests/engine/test_scoring.py) holds the instances equal to the journal's on the same happenings.

Batch runs have no players or controllers, so the record holds no corrections or added injects,
and the simulation plays every agency: every event reaches every agency as it is raised (the rule's
"not reached" never applies to a run).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from exercises.scenario.model import Inject, Protocol, Scenario
from exercises.scoring import Mark, Status, match_instances, reminders_apply
from sim_engine.record import ActionLogged, Development, Happening, InjectDelivered, RumourStarted

Outcome = Status


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
    (``index_record``), or as the run goes (``sim_engine.batch.stats.RunningSummary``)."""

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
        for event in dict.fromkeys(events):  # an entry raising an event twice triggers it once
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
        found.extend(_instances(proto, entries, _triggers(proto, entries, events, actions), done, end))
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


def _mark(entries: Sequence[Happening], pos: int) -> Mark:
    return Mark(0.0 if pos < 0 else entries[pos].at, pos)


def _instances(
    proto: Protocol, entries: Sequence[Happening], triggers: list[int], done: list[int], end: float
) -> list[ProtocolInstance]:
    starts = [_mark(entries, t) for t in triggers]
    answers = [_mark(entries, d) for d in done]
    askers = [entries[t].agency for t in triggers] if reminders_apply(proto) else None
    matches = match_instances(
        starts, answers, within=proto.within, before_trigger=proto.before_trigger, now=end, ended=True,
        askers=askers,
    )
    return [
        ProtocolInstance(
            proto.id, starts[m.trigger].at, None if proto.before_trigger else m.due_at, m.status,
            None if m.answer is None else answers[m.answer].at,
        )
        for m in matches
    ]
