"""The journal as the report reads it: corrections applied (``exercises.record.corrections``), in
time order, with a few indexes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from aar.model import RealTime
from aar.names import Names
from exercises.record.corrections import apply_corrections
from exercises.record.entries import (
    ENGINE_ACTOR,
    ClockEnded,
    ClockStarted,
    Correction,
    Entry,
)
from exercises.scenario.model import Inject, PlayedBy, Scenario
from exercises.scoring import ProtocolIndex, mark


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
    by_payload: dict[type, list[Entry]] = field(default_factory=dict)
    """Effective entries per payload type, by time: ``of``."""

    kept: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    """What readers derived from this record, kept for the records of later heads of the same fold
    (``RecordFolder`` hands them this same dict; ``build_record`` starts an empty one, so a
    correction starts afresh): ``aar.scoring.protocol_findings`` keeps each protocol's findings
    with what they rest on, to score again only the protocols the new entries touched."""

    def of(self, kind: type) -> list[Entry]:
        """The effective entries whose payload is of type ``kind``, by time: what a finding or a
        page reads of one kind without walking the whole record. Read it, never change it."""
        return self.by_payload.get(kind, [])

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
        by_payload=_by_payload(entries),
    )


def _by_payload(entries: Sequence[Entry]) -> dict[type, list[Entry]]:
    out: dict[type, list[Entry]] = {}
    for e in entries:
        out.setdefault(type(e.payload), []).append(e)
    return out


def simulated_agencies(scenario: Scenario, entries: Sequence[Entry]) -> frozenset[str]:
    """The agencies the simulation played: ``played_by: simulation`` in a record the engine took
    part in, and with no entry of people in its name (an imported log of people's actions, or a
    controller acting for the agency, makes it people's)."""
    engine = any(e.actor == ENGINE_ACTOR for e in entries)
    return _played_by_simulation(scenario, engine, {e.agency for e in entries if e.agency and e.actor != ENGINE_ACTOR})


def _played_by_simulation(scenario: Scenario, engine: bool, people: set[str | None]) -> frozenset[str]:
    """``simulated_agencies`` from what it reads of the entries: whether the engine wrote any, and the
    agencies people acted for."""
    if not engine:
        return frozenset()
    return frozenset(a.id for a in scenario.agencies if a.played_by is PlayedBy.SIMULATION and a.id not in people)


def _after_end(journal: Sequence[Entry]) -> frozenset[int]:
    """Entries marked as recorded after the end, and any entry after the first end of the clock."""
    ended = _first_end(journal)
    return frozenset(e.seq for e in journal if _marked_after_end(e) or (ended is not None and e.seq > ended))


def _first_end(journal: Sequence[Entry]) -> int | None:
    return next((e.seq for e in journal if isinstance(e.payload, ClockEnded)), None)


def _marked_after_end(entry: Entry) -> bool:
    # The kinds that carry the mark declare it: asking the others would go through the model's
    # missing-attribute path, the slowest read of an entry.
    return "after_end" in type(entry.payload).model_fields and bool(getattr(entry.payload, "after_end"))  # noqa: B009


class RecordFolder:
    """The record of one journal as it grows, folded entry by entry: a new head costs what its new
    entries cost (and copying the lists of the protocol index, no entry copied), not a walk of the
    whole journal, and gives what ``build_record`` gives for the whole journal at that head. A
    correction changes entries already taken in, so a journal that brings one, or that is not the
    last one extended, is built whole again (``build_record``) and folded on from there."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._lock = threading.Lock()
        self._fold: _Fold | None = None

    def record(self, journal: Sequence[Entry]) -> Record:
        """The record of ``journal`` (the whole journal so far, in sequence order)."""
        with self._lock:
            fold = self._fold
            if fold is None or not fold.extended_by(journal):
                fold = _Fold(self.scenario, journal, build_record(self.scenario, journal))
            else:
                for entry in journal[fold.journal_size:]:
                    fold.take(entry)
            self._fold = fold
            return fold.record()


class _Fold:
    """What ``RecordFolder`` keeps between heads: the record's parts, open to the next entries."""

    def __init__(self, scenario: Scenario, journal: Sequence[Entry], built: Record) -> None:
        self.scenario, self.built = scenario, built
        self.entries = list(built.entries)
        self.index = built.index.copy()
        self.journal_size = len(journal)
        self.seq = journal[-1].seq if journal else 0
        self.first_end = _first_end(journal)
        self.after_end = built.after_end
        self.started_at, self.ended_at, self.last_at = built.started_at, built.ended_at, built.last_at
        self.engine = any(e.actor == ENGINE_ACTOR for e in built.entries)
        self.people: set[str | None] = {e.agency for e in built.entries if e.agency and e.actor != ENGINE_ACTOR}
        self.by_payload = {k: list(v) for k, v in built.by_payload.items()}

    def extended_by(self, journal: Sequence[Entry]) -> bool:
        """Whether ``journal`` is the one folded so far with entries appended that need no rebuild:
        no correction among them, each later in the record's order than the one before."""
        if len(journal) < self.journal_size or (self.journal_size and journal[self.journal_size - 1].seq != self.seq):
            return False
        last = mark(self.entries[-1]) if self.entries else None
        seq = self.seq
        for entry in journal[self.journal_size:]:
            if isinstance(entry.payload, Correction) or entry.seq <= seq or (last is not None and mark(entry) < last):
                return False
            last, seq = mark(entry), entry.seq
        return True

    def take(self, entry: Entry) -> None:
        """The next entry of the journal (no correction: ``extended_by`` said so)."""
        p = entry.payload
        if _marked_after_end(entry) or (self.first_end is not None and entry.seq > self.first_end):
            self.after_end = self.after_end | {entry.seq}
        if isinstance(p, ClockEnded):
            self.first_end = entry.seq if self.first_end is None else self.first_end
            self.ended_at = entry.at
        elif isinstance(p, ClockStarted) and self.started_at is None:
            self.started_at = entry.at
        if entry.actor == ENGINE_ACTOR:
            self.engine = True
        elif entry.agency:
            self.people.add(entry.agency)
        self.entries.append(entry)
        self.by_payload.setdefault(type(p), []).append(entry)
        self.index.add(entry)
        self.last_at = max(self.last_at, entry.at)
        self.journal_size += 1
        self.seq = entry.seq

    def record(self) -> Record:
        index = self.index.copy()  # the record keeps this head's index; the fold's takes in the next entries
        simulated = _played_by_simulation(self.scenario, self.engine, self.people)
        return replace(
            self.built, entries=tuple(self.entries), journal_size=self.journal_size, index=index,
            actions=index.actions, injects=index.injects, events=index.events, started_at=self.started_at,
            ended_at=self.ended_at, last_at=self.last_at, after_end=self.after_end, played_by_simulation=simulated,
            by_payload={k: list(v) for k, v in self.by_payload.items()})
