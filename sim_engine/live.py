"""Live mode: advance the simulation of a running exercise to the exercise clock.

The exercise service calls ``advance`` with the whole journal so far and appends what it returns.
Only agencies with ``played_by: simulation`` are simulated; players' agencies act only through their
own (external) entries. The result is defined by a single fresh run: the model is fed the journal's
external entries in journal order (``Simulation.feed``: an external entry stamped ``t`` is applied
after every engine event at or before ``t``), run to ``until``, and the engine entries already in the
journal must be exactly the first ones that run produces; the rest are returned. A journal whose
engine entries differ is a bug (a changed scenario or seed, a rewritten entry, an external entry
stamped before an earlier advance), and raises ``JournalDivergedError`` rather than being patched over.

A per-process cache keeps the run of the latest call, keyed by (scenario id, seed, number of journal
entries consumed). It is used only when the journal begins with exactly the entries that run consumed
and produced, so the result is the fresh run's, entry for entry (tests hold the two against each other).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from exercises.record.entries import (
    ENGINE_ACTOR,
    Entry,
    InjectAdded,
    InjectHeld,
    InjectReleased,
    LinkDown,
    LinkUp,
    MediaItemAdded,
    MessageSent,
    NewEntry,
    ResourceRequested,
    StatementIssued,
)
from exercises.record.prefix import Prefix
from exercises.scenario.durations import format_duration
from exercises.scenario.model import PlayedBy, Scenario
from sim_engine import record as rec
from sim_engine.checks import EngineError, check_runnable
from sim_engine.collector import collector_paused
from sim_engine.memo import per_scenario
from sim_engine.model import EXTERNAL_KINDS, Simulation
from sim_engine.sampling import live_generator

CACHE_SIZE = 8

ENGINE_BEHAVIOUR = 1
"""The engine's behaviour version, recorded in each exercise's first clock entry. Raise it with any
change that makes the same scenario, seed and external entries simulate differently (a changed
transcript in tests/engine/transcripts is the sign): an exercise started on one behaviour can only
be continued by an engine of the same one (docs/deployment.md, "Upgrading between exercises")."""


class JournalDivergedError(EngineError):
    """The journal's engine entries are not what the simulation produces from it."""


def advance(scenario: Scenario, seed: int, journal: Sequence[Entry], until: float) -> list[NewEntry]:
    """The simulated entries stamped at or before ``until`` that are not yet in ``journal``."""
    if not math.isfinite(until) or until < 0:
        raise EngineError([f"cannot advance to {until!r}: the time must be a finite number of seconds >= 0"])
    if seed < 0:
        raise EngineError([f"the seed must be a whole number >= 0, not {seed}"])
    with collector_paused():
        run = _CACHE.take(scenario, seed, journal, until)
        if run is None:
            _check_scenario(scenario)
            run = _Run(scenario, seed, _simulation(scenario, seed), [], [], 0)
        returned = run.advance(journal, until)
    if run.complete:
        _CACHE.put(run)
    return returned


def replay(scenario: Scenario, seed: int, externals: Sequence[NewEntry], until: float) -> list[NewEntry]:
    """One fresh live run: the engine entries at or before ``until`` given these external entries."""
    check_runnable(scenario)
    with collector_paused():
        sim = _simulation(scenario, seed)
        for entry in externals:
            if entry.at <= until:
                sim.feed(entry)
        sim.run_to(until)
        return list(sim.entries)


def clear_cache() -> None:
    _CACHE.clear()


def _simulation(scenario: Scenario, seed: int) -> Simulation:
    simulated = [a.id for a in scenario.agencies if a.played_by is PlayedBy.SIMULATION]
    return Simulation(scenario, live_generator(seed), simulated)


_check_scenario = per_scenario(check_runnable)
"""A scenario is checked once, not at every advance (scenarios are immutable)."""


def _same(a: NewEntry, b: NewEntry) -> bool:
    return a is b or (a.at == b.at and a.actor == b.actor and a.agency == b.agency and a.payload == b.payload)


def _describe(entry: NewEntry) -> str:
    seq = f"#{entry.seq} " if isinstance(entry, Entry) else ""
    return f"{seq}{entry.kind.value} at {format_duration(entry.at)} ({entry.at:g} s): {entry.payload!r}"


@dataclass
class _Run:
    scenario: Scenario
    seed: int
    sim: Simulation
    matched: Sequence[NewEntry]
    """The first entries this run consumed, as the very objects of the journal last matched: a
    view of the service's journal list (``Prefix``, no copy) or a list. Compared by identity, so
    matching a journal that only grew costs what its new entries cost."""
    rest: list[NewEntry]
    """What the run consumed and returned after ``matched``: what the journal should go on with."""
    verified: int
    """How many of the run's entries the journal holds (all found equal)."""
    complete: bool = False
    """Whether the run consumed the whole journal (only then is it worth caching)."""

    @property
    def consumed(self) -> int:
        """How many entries the journal must begin with: the journal consumed, then what was returned."""
        return len(self.matched) + len(self.rest)

    def begins(self, journal: Sequence[Entry]) -> bool:
        """Whether ``journal`` begins with exactly what this run consumed and returned. The part
        matched before is the same objects when ``journal`` is a view of the same append-only list
        (nothing to compare), else compared as a list (``list ==`` compares in C and takes ``is``
        first; equal entries that are other objects still match); the rest field by field
        (``_same``). The matched entries then stand for the run's, so the next check of a journal
        that grew only compares its new entries."""
        count, known = self.consumed, len(self.matched)
        if len(journal) < count:
            return False
        theirs: Sequence[NewEntry] = self.rest
        if not self._same_objects(journal, known):
            known, theirs = 0, [*self.matched, *self.rest]  # other objects: every entry field by field
        if not all(_same(a, b) for a, b in zip(journal[known:count], theirs, strict=True)):
            return False
        self.matched = _kept(journal, count)
        self.rest = []
        return True

    def _same_objects(self, journal: Sequence[Entry], known: int) -> bool:
        mine = self.matched
        if isinstance(journal, Prefix) and isinstance(mine, Prefix) and journal.base is mine.base:
            return True  # one list, only appended to: its first ``known`` entries have not changed
        return list(journal[:known]) == list(mine)

    def advance(self, journal: Sequence[Entry], until: float) -> list[NewEntry]:
        sim = self.sim
        recorded: list[Entry] = []
        checked = 0
        self.complete = True
        for entry in journal[self.consumed :]:
            if entry.actor == ENGINE_ACTOR:
                recorded.append(entry)
                continue
            if entry.at > until:
                self.complete = False  # the journal is ahead of ``until``: nothing before it is missing
                break
            if entry.kind in EXTERNAL_KINDS:
                _check_external(sim, entry)
                sim.run_to(entry.at)
                # The journal cannot hold, before this entry, engine entries the run makes only after it.
                checked = self._verify(recorded, checked, entry)
                sim.take(entry)
        sim.run_to(max(until, *(e.at for e in recorded)) if recorded else until)
        self._verify(recorded, checked, None)
        self.verified += len(recorded)
        returned = [rec.to_entry(h) for h in sim.record[self.verified :] if h.at <= until]
        if self.complete:
            self.matched, self.rest = _kept(journal, len(journal)), list(returned)
            self.verified += len(returned)
        return returned

    def _verify(self, recorded: list[Entry], checked: int, before: Entry | None) -> int:
        """The journal's engine entries ``recorded`` (those after the ``verified`` first) must be the
        run's next ones (by the time ``before`` is applied); the first ``checked`` of them already were.
        Returns how many are now."""
        if checked == len(recorded):
            return checked
        produced = self.sim.record
        for offset in range(checked, len(recorded)):
            entry, index = recorded[offset], self.verified + offset
            if index >= len(produced):
                self._diverged(entry, "nothing more", before)
            if not rec.records(entry, produced[index]):
                self._diverged(entry, _describe(rec.to_entry(produced[index])), None)
        return len(recorded)

    def _diverged(self, found: Entry, expected: str, before: Entry | None) -> NoReturn:
        where = f" before external entry {_describe(before)}" if before else ""
        raise JournalDivergedError(
            [
                f"journal entry {_describe(found)}{where}",
                f"a replay of the journal produces at that point: {expected}",
                "the scenario or the seed was changed, an entry was rewritten, or an external entry was "
                "stamped before an earlier advance",
            ],
            headline="the journal's simulated entries differ from a replay of the journal",
        )


def _kept(journal: Sequence[Entry], count: int) -> Sequence[NewEntry]:
    """The journal's first ``count`` entries as a run keeps them: a view of the same list when the
    journal is one (no copy), else a copy."""
    if isinstance(journal, Prefix):
        return Prefix(journal.base, count)
    return list(journal[:count])


def _check_external(sim: Simulation, entry: Entry) -> None:
    """An external entry the engine cannot apply is refused, naming the entry."""
    world, payload = sim.world, entry.payload
    agencies = world.agency_ids
    named: tuple[str | None, ...] = (entry.agency,)
    problem = ""
    if isinstance(payload, MessageSent | ResourceRequested):
        named = (entry.agency, payload.to)
    elif isinstance(payload, InjectHeld | InjectReleased):
        if payload.inject_id not in world.injects:
            problem = f"there is no inject {payload.inject_id!r}"
    elif isinstance(payload, InjectAdded):
        named = (entry.agency, *payload.inject.to)
        effect = payload.inject.effect
        for ends in (effect.link_down, effect.link_up) if effect else ():
            if ends and not world.network.has_link(*ends):
                problem = f"the added inject names a link {'-'.join(ends)} that does not exist"
    elif isinstance(payload, LinkDown | LinkUp) and not world.network.has_link(*payload.between):
        problem = f"there is no link {'-'.join(payload.between)}"
    elif isinstance(payload, StatementIssued | MediaItemAdded):
        problem = _media_problem(sim, payload)
    for agency in named:
        if agency is not None and agency not in agencies:
            problem = f"unknown agency {agency!r}"
    if problem:
        raise EngineError(
            [f"journal entry {_describe(entry)}: {problem}"],
            headline="the simulation cannot apply a journal entry",
        )


def _media_problem(sim: Simulation, payload: StatementIssued | MediaItemAdded) -> str:
    """What the media layer cannot apply: names its scenario's media section does not have."""
    media = sim.world.scenario.media
    if media is None:
        return "" if isinstance(payload, StatementIssued) else "the scenario has no media layer"
    if isinstance(payload, StatementIssued):
        unknown = [t for t in payload.topics if t not in media.topics]
        return f"unknown topic {unknown[0]!r}" if unknown else ""
    if payload.outlet not in {o.id for o in media.outlets}:
        return f"unknown outlet {payload.outlet!r}"
    if payload.starts_rumour is not None and payload.starts_rumour not in {r.id for r in media.rumours}:
        return f"unknown rumour {payload.starts_rumour!r}"
    return ""


class _Cache:
    def __init__(self) -> None:
        self._runs: OrderedDict[tuple[str, int, int], _Run] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._runs.clear()

    def take(self, scenario: Scenario, seed: int, journal: Sequence[Entry], until: float) -> _Run | None:
        with self._lock:
            keys = sorted(
                (k for k in self._runs if k[0] == scenario.id and k[1] == seed and k[2] <= len(journal)),
                key=lambda k: -k[2],
            )
            for key in keys:
                run = self._runs[key]
                if until < run.sim.reached:
                    continue
                if run.scenario is not scenario and run.scenario != scenario:
                    continue
                # An external entry stamped before the run's time is the fresh run's to judge.
                if any(e.at < run.sim.reached for e in journal[key[2] :] if e.actor != ENGINE_ACTOR):
                    continue
                if run.begins(journal):
                    del self._runs[key]
                    return run
        return None

    def put(self, run: _Run) -> None:
        with self._lock:
            self._runs[run.scenario.id, run.seed, run.consumed] = run
            while len(self._runs) > CACHE_SIZE:
                self._runs.popitem(last=False)


_CACHE = _Cache()
