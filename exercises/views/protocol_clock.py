"""The protocol clock: every protocol instance so far, what is due, overdue and done.

Which action answers which trigger, and each instance's status, is the one rule of
``exercises.scoring`` (the report and the simulated baseline call it too); this module keeps the
journal's index folded for a live page and turns the rule's instances into rows.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import NamedTuple

from exercises.record.corrections import effective
from exercises.record.entries import Correction, Entry
from exercises.scenario.model import Protocol, Scenario
from exercises.scoring import (
    UNANSWERED,
    ProtocolIndex,
    Scored,
    Status,
    rests_on_messages,
    score_protocol,
    unanswered,
)
from exercises.views.base import View


class ProtocolInstance(View):
    """One trigger occurrence of one protocol for its agency."""

    protocol_id: str
    title: str
    agency: str
    action: str
    critical: bool
    capability: str
    before_trigger: bool
    triggered_at: float
    trigger_seq: int
    due_at: float
    status: Status
    done_at: float | None = None
    done_seq: int | None = None
    late_by: float | None = None
    """Whole seconds past the deadline (late), or after the trigger (out of order)."""

    @property
    def moves(self) -> bool:
        """Whether its status can change with time: unanswered, and reached the agency."""
        return self.status in UNANSWERED

    def at(self, now: float, *, ended: bool) -> ProtocolInstance:
        """This instance as it stands at ``now``: an unanswered one becomes overdue as time passes."""
        if not self.moves:
            return self
        status = unanswered(self.due_at, before_trigger=self.before_trigger, now=now, ended=ended)
        return self if status is self.status else self.model_copy(update={"status": status})


def protocol_clock(
    scenario: Scenario, entries: Sequence[Entry], now: float, *, ended: bool
) -> list[ProtocolInstance]:
    """Every protocol instance so far, by due time (corrections applied first)."""
    folder = ProtocolClockFolder(scenario)
    folder.fold(entries)
    return folder.instances(now, ended=ended)


class _Scored(NamedTuple):
    """One protocol's rows as last scored, and what they were scored from."""

    inputs: tuple[object, ...]
    messages: int | None
    """How many messages were indexed then, when its triggers' reach depends on messages."""
    rows: list[ProtocolInstance]


class ProtocolClockFolder:
    """The protocol clock's index folded entry by entry, for a live page: each refresh takes in
    only the new entries (a correction re-indexes the corrected journal), then applies the rule:
    the same result as ``protocol_clock``.

    A protocol is scored again only when what its instances rest on has grown: its triggers, its
    agency's expected actions, whether play has ended, and (for a trigger that did not reach the
    agency itself) the messages that can pass it on. Otherwise its rows are the ones last scored,
    brought to ``now`` (``ProtocolInstance.at``: only an unanswered instance changes with time). So
    a refresh after a few new entries costs what they change, not what the journal holds."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.seen = 0
        self.index = ProtocolIndex(scenario)
        self._scored: dict[int, _Scored] = {}
        self._merged: list[ProtocolInstance] = []
        """Every protocol's rows as scored, in the clock's order (due, protocol, trigger), kept in it
        as a protocol's rows are scored again: not sorted again whole at each head."""
        self._keys: list[tuple[float, str, int, int, int]] = []
        """``_merged``'s places: the clock's order, then the protocol's and the row's place in the
        scenario (what a stable sort of every row would keep)."""
        self._moving: set[tuple[float, str, int, int, int]] = set()
        """The places of the rows whose status moves with time (``ProtocolInstance.moves``): only
        they are brought to a reader's time, not every instance so far."""

    def fold(self, entries: Sequence[Entry]) -> None:
        new = entries[self.seen:]
        if any(isinstance(e.payload, Correction) for e in new):
            self.index = ProtocolIndex(self.scenario, effective(entries))
            self._scored.clear()
            self._merged, self._keys, self._moving = [], [], set()
        else:
            for e in new:
                self.index.add(e)
        self.seen = len(entries)

    def instances(self, now: float, *, ended: bool) -> list[ProtocolInstance]:
        for n, protocol in enumerate(self.scenario.protocols):
            self._score(n, protocol, ended)
        out = list(self._merged)
        for key in self._moving:
            k = bisect_left(self._keys, key)
            out[k] = out[k].at(now, ended=ended)
        return out

    def _place(self, n: int, old: Sequence[ProtocolInstance], new: Sequence[ProtocolInstance]) -> None:
        """Protocol ``n``'s rows scored before taken out of the clock's order, its new ones put in."""
        for i, row in enumerate(old):
            key = _place(row, n, i)
            k = bisect_left(self._keys, key)
            del self._merged[k], self._keys[k]
            self._moving.discard(key)
        for i, row in enumerate(new):
            key = _place(row, n, i)
            k = bisect_left(self._keys, key)
            self._merged.insert(k, row)
            self._keys.insert(k, key)
            if row.moves:
                self._moving.add(key)

    def _score(self, n: int, protocol: Protocol, ended: bool) -> None:
        """Score ``protocol`` again if what its instances rest on grew."""
        inputs = (*self.index.extent(protocol), ended)
        messages = self.index.message_count()
        kept = self._scored.get(n)
        if kept is not None and kept.inputs == inputs and kept.messages in (None, messages):
            return
        # Scored at time 0: an unanswered instance's status is brought to each reader's time by
        # ``ProtocolInstance.at``, which is what the rule gives at that time.
        scored = score_protocol(protocol, self.index, now=0.0, ended=ended)
        rows = [_row(one) for one in scored]
        self._place(n, kept.rows if kept is not None else (), rows)
        self._scored[n] = _Scored(inputs, messages if rests_on_messages(scored) else None, rows)


def _place(row: ProtocolInstance, n: int, i: int) -> tuple[float, str, int, int, int]:
    return row.due_at, row.protocol_id, row.trigger_seq, n, i


def _row(one: Scored) -> ProtocolInstance:
    protocol, answer = one.protocol, one.answer
    return ProtocolInstance(
        protocol_id=protocol.id,
        title=protocol.title,
        agency=protocol.agency,
        action=protocol.action,
        critical=protocol.critical,
        capability=protocol.capability,
        before_trigger=protocol.before_trigger,
        triggered_at=one.trigger.at,
        trigger_seq=one.trigger.seq,
        due_at=one.due_at,
        status=one.status,
        done_at=answer.at if answer else None,
        done_seq=answer.seq if answer else None,
        late_by=one.late_by,
    )
