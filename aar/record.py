"""The journal as the report reads it: corrections applied, in time order, with a few indexes.

A ``Correction`` voids the entry it ``corrects`` or, with a ``replacement``, stands in its place
(keeping the original's sequence number, time and agency: the correction fixes *what* was logged,
not when or by whom). A correction may itself be corrected: voiding a correction restores the
entry it had voided. Corrections always point backwards, so walking them newest first settles
every chain in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aar.model import RealTime
from aar.names import Names
from exercises.entries import (
    ActionLogged,
    ClockEnded,
    ClockStarted,
    Correction,
    Development,
    Entry,
    InjectAdded,
    InjectDelivered,
    RumourStarted,
    StatementIssued,
)
from exercises.scenario import Inject, Scenario


@dataclass(frozen=True)
class Record:
    """The effective journal: what the report holds the protocols against."""

    entries: tuple[Entry, ...]
    """Effective entries (corrections applied, correction entries themselves left out), by time."""
    corrected_by: dict[int, int]
    """seq of a replaced entry -> seq of the correction that replaced it."""
    voided: frozenset[int]
    corrections: tuple[Entry, ...]
    journal_size: int
    actions: dict[str, list[Entry]] = field(default_factory=dict)
    """action id -> ActionLogged entries, by time."""
    injects: dict[str, Inject] = field(default_factory=dict)
    """Every inject known: the MSEL and those added during play."""
    events: dict[str, list[Entry]] = field(default_factory=dict)
    """event id -> entries that raised it (injects delivered that raise it, developments), by time."""
    started_at: float | None = None
    ended_at: float | None = None
    last_at: float = 0.0
    names: Names = field(default_factory=Names)
    """Names and labels for the scenario's ids, for every sentence the report writes."""
    real_time: RealTime | None = None
    """When exercise time 0:00 was on the wall clock, when known: sentences show both times."""
    real_incident: bool = False
    after_end: frozenset[int] = frozenset()
    """seqs of journal entries recorded after the exercise ended (post-exercise observations,
    corrections and improvement-plan edits by controllers and evaluators)."""

    def recorded_after_end(self, seq: int) -> bool:
        """Whether the entry, or the correction that replaced its content, came after the end."""
        return seq in self.after_end or self.corrected_by.get(seq) in self.after_end

    @property
    def end(self) -> float:
        """Where the record stops: the end of the exercise, or the last entry when it has not ended."""
        return self.ended_at if self.ended_at is not None else self.last_at


def _order(entry: Entry) -> tuple[float, int]:
    return (entry.at, entry.seq)


def effective(journal: Iterable[Entry]) -> tuple[list[Entry], dict[int, int], set[int], list[Entry]]:
    """Apply corrections: (effective entries by seq, replaced -> correction seq, voided seqs, corrections)."""
    by_seq: dict[int, Entry] = {}
    corrections: list[Entry] = []
    for entry in journal:
        by_seq[entry.seq] = entry
        if isinstance(entry.payload, Correction):
            corrections.append(entry)
    voided: set[int] = set()
    replaced: dict[int, Entry] = {}
    corrected_by: dict[int, int] = {}
    for corr in sorted(corrections, key=lambda e: e.seq, reverse=True):
        if corr.seq in voided:
            continue
        assert isinstance(corr.payload, Correction)
        target = corr.payload.corrects
        if target not in by_seq or target >= corr.seq or target in voided or target in replaced:
            continue  # a dangling or forward reference, or already settled by a later correction
        replacement = corr.payload.replacement
        if replacement is None or isinstance(by_seq[target].payload, Correction):
            voided.add(target)
        else:
            original = by_seq[target]
            replaced[target] = original.model_copy(update={"payload": replacement})
            corrected_by[target] = corr.seq
    out = [
        replaced.get(seq, entry)
        for seq, entry in sorted(by_seq.items())
        if seq not in voided and not isinstance(entry.payload, Correction)
    ]
    return out, corrected_by, voided, corrections


def build_record(scenario: Scenario, journal: Sequence[Entry]) -> Record:
    entries, corrected_by, voided, corrections = effective(journal)
    entries.sort(key=_order)
    actions: dict[str, list[Entry]] = defaultdict(list)
    injects: dict[str, Inject] = {i.id: i for i in scenario.msel}
    started_at: float | None = None
    ended_at: float | None = None
    for entry in entries:
        payload = entry.payload
        if isinstance(payload, ActionLogged | StatementIssued):
            actions[payload.action].append(entry)  # a published statement counts as its action
        elif isinstance(payload, InjectAdded):
            injects.setdefault(payload.inject.id, payload.inject)
        elif isinstance(payload, ClockStarted) and started_at is None:
            started_at = entry.at
        elif isinstance(payload, ClockEnded):
            ended_at = entry.at
    events: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        payload = entry.payload
        raised: tuple[str, ...] = ()
        if isinstance(payload, InjectDelivered) and payload.inject_id in injects:
            raised = injects[payload.inject_id].raises
        elif isinstance(payload, Development | RumourStarted):
            raised = payload.raises
        for event in dict.fromkeys(raised):
            events[event].append(entry)
    return Record(
        after_end=_after_end(journal),
        entries=tuple(entries),
        corrected_by=corrected_by,
        voided=frozenset(voided),
        corrections=tuple(corrections),
        journal_size=len(journal),
        actions=dict(actions),
        injects=injects,
        events=dict(events),
        started_at=started_at,
        ended_at=ended_at,
        last_at=max((e.at for e in journal), default=0.0),
        names=Names.of(scenario),
    )


def _after_end(journal: Sequence[Entry]) -> frozenset[int]:
    """Entries marked as recorded after the end, and any entry after the first end of the clock."""
    ended = next((e.seq for e in journal if isinstance(e.payload, ClockEnded)), None)
    return frozenset(
        e.seq
        for e in journal
        if getattr(e.payload, "after_end", False) or (ended is not None and e.seq > ended)
    )
