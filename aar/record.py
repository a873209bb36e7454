"""The journal as the report reads it: corrections applied (``exercises.record.corrections``), in
time order, with a few indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aar.model import RealTime
from aar.names import Names
from exercises.record.corrections import apply_corrections
from exercises.record.entries import (
    ENGINE_ACTOR,
    ClockEnded,
    ClockStarted,
    Entry,
)
from exercises.scenario.model import Inject, PlayedBy, Scenario
from exercises.scoring import ProtocolIndex


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
    index: ProtocolIndex
    """What scoring reads of the record (``exercises.scoring``)."""
    actions: dict[str, list[Entry]] = field(default_factory=dict)
    """action id -> ActionLogged (and StatementIssued) entries, by time."""
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
    played_by_simulation: frozenset[str] = frozenset()
    """Agencies whose every entry is the simulation's (``simulated_agencies``)."""

    @property
    def simulated(self) -> frozenset[str]:
        """Agencies the simulation played in this record: their results are the simulation's, never
        a played agency's performance. None in a real incident: everyone there was real."""
        return frozenset() if self.real_incident else self.played_by_simulation

    def recorded_after_end(self, seq: int) -> bool:
        """Whether the entry, or the correction that replaced its content, came after the end."""
        return seq in self.after_end or self.corrected_by.get(seq) in self.after_end

    @property
    def end(self) -> float:
        """Where the record stops: the end of the exercise, or the last entry when it has not ended."""
        return self.ended_at if self.ended_at is not None else self.last_at


def _order(entry: Entry) -> tuple[float, int]:
    return (entry.at, entry.seq)


def build_record(scenario: Scenario, journal: Sequence[Entry]) -> Record:
    corrected = apply_corrections(journal)
    entries = sorted(corrected.entries, key=_order)
    index = ProtocolIndex(scenario, entries)
    started = next((e.at for e in entries if isinstance(e.payload, ClockStarted)), None)
    ends = [e.at for e in entries if isinstance(e.payload, ClockEnded)]
    return Record(
        after_end=_after_end(journal),
        entries=tuple(entries),
        corrected_by=corrected.corrected_by,
        voided=frozenset(corrected.voided),
        corrections=tuple(corrected.corrections),
        journal_size=len(journal),
        index=index,
        actions=index.actions,
        injects=index.injects,
        events=index.events,
        started_at=started,
        ended_at=ends[-1] if ends else None,
        last_at=max((e.at for e in journal), default=0.0),
        names=Names.of(scenario),
        played_by_simulation=simulated_agencies(scenario, entries),
    )


def simulated_agencies(scenario: Scenario, entries: Sequence[Entry]) -> frozenset[str]:
    """The agencies the simulation played: ``played_by: simulation`` in a record the engine took
    part in, and with no entry of people in its name (an imported log of people's actions, or a
    controller acting for the agency, makes it people's)."""
    if not any(e.actor == ENGINE_ACTOR for e in entries):
        return frozenset()
    people = {e.agency for e in entries if e.agency and e.actor != ENGINE_ACTOR}
    return frozenset(a.id for a in scenario.agencies
                     if a.played_by is PlayedBy.SIMULATION and a.id not in people)


def _after_end(journal: Sequence[Entry]) -> frozenset[int]:
    """Entries marked as recorded after the end, and any entry after the first end of the clock."""
    ended = next((e.seq for e in journal if isinstance(e.payload, ClockEnded)), None)
    return frozenset(
        e.seq
        for e in journal
        if getattr(e.payload, "after_end", False) or (ended is not None and e.seq > ended)
    )
