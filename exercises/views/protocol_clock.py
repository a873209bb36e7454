"""The protocol clock: every protocol instance so far, what is due, overdue and done.

Which action answers which trigger, and each instance's status, is the one rule of
``exercises.scoring`` (the report and the simulated baseline call it too); this module keeps the
journal's index folded for a live page and turns the rule's instances into rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from exercises.record.corrections import effective
from exercises.record.entries import Correction, Entry
from exercises.scenario.model import Scenario
from exercises.scoring import ProtocolIndex, Scored, Status, score_protocol, unanswered
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

    def at(self, now: float, *, ended: bool) -> ProtocolInstance:
        """This instance as it stands at ``now``: an unanswered one becomes overdue as time passes."""
        if self.done_at is not None or self.status is Status.NOT_REACHED:
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


class ProtocolClockFolder:
    """The protocol clock's index folded entry by entry, for a live page: each refresh takes in
    only the new entries (a correction re-indexes the corrected journal), then applies the rule:
    the same result as ``protocol_clock``."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.seen = 0
        self.index = ProtocolIndex(scenario)
        self._scored: dict[int, tuple[tuple[int, ...], list[ProtocolInstance]]] = {}
        """Each protocol's instances at the last head it was scored at, with what it read of the index
        then: a new head rescores only the protocols its entries touch (``ProtocolIndex.read_for``)."""

    def fold(self, entries: Sequence[Entry]) -> None:
        new = entries[self.seen:]
        if any(isinstance(e.payload, Correction) for e in new):
            self.index = ProtocolIndex(self.scenario, effective(entries))
            self._scored.clear()
        else:
            for e in new:
                self.index.add(e)
        self.seen = len(entries)

    def instances(self, now: float, *, ended: bool) -> list[ProtocolInstance]:
        found: list[ProtocolInstance] = []
        for n, protocol in enumerate(self.scenario.protocols):
            read = self.index.read_for(protocol)
            kept = self._scored.get(n)
            if kept is not None and kept[0] == read:
                found += (one.at(now, ended=ended) for one in kept[1])
                continue
            rows = [_row(one) for one in score_protocol(protocol, self.index, now=now, ended=ended)]
            self._scored[n] = (read, rows)
            found += rows
        return sorted(found, key=lambda i: (i.due_at, i.protocol_id, i.trigger_seq))


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
