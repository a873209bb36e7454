"""The MSEL with each inject's status (scheduled, held, delivered, acted on, skipped), folded entry by entry."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from exercises.record.corrections import effective
from exercises.record.entries import (
    ActionLogged,
    Correction,
    Entry,
    InjectAdded,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    InjectSkipped,
)
from exercises.scenario.model import Inject, Scenario
from exercises.views.base import View
from exercises.views.wording import skip_reason, words


class InjectStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    DELIVERED = "delivered"
    ACTED_ON = "acted on"
    SKIPPED = "skipped"


class MselRow(View):
    inject_id: str
    time: float
    synopsis: str
    sender: str
    to: tuple[str, ...]
    capability: str
    expected_actions: tuple[str, ...]
    conditional: bool
    added: bool
    status: InjectStatus
    delivered_at: float | None = None
    released_at: float | None = None
    acted_on_by: tuple[str, ...] = ()
    skipped_reason: str | None = None
    override: bool = False
    """Released by a controller although its condition did not hold."""


def msel_status(scenario: Scenario, entries: Sequence[Entry]) -> list[MselRow]:
    """Every inject (the MSEL and those added) in time order, with what became of it."""
    folded = MselFolder(scenario)
    folded.fold(entries)
    return folded.rows()


class MselFolder:
    """The MSEL's status folded entry by entry: a live page takes in only the new entries.

    ``fold`` takes the whole journal so far and reads the entries after the last it saw; a
    correction (which can change what an earlier action answered) refolds the corrected journal."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.words = words(scenario)
        self.msel_ids = {i.id for i in scenario.msel}
        self._reset()

    def _reset(self) -> None:
        self.seen = 0
        self.injects: dict[str, Inject] = {i.id: i for i in self.scenario.msel}
        self.delivered: dict[str, float] = {}
        self.released: dict[str, float] = {}
        self.held: dict[str, bool] = {}
        self.skipped: dict[str, str] = {}
        self.acted: dict[str, list[str]] = {}
        self.overridden: set[str] = set()

    def fold(self, entries: Sequence[Entry]) -> None:
        new = entries[self.seen:]
        if any(isinstance(e.payload, Correction) for e in new):
            self._reset()
            for e in effective(entries):
                self._add(e)
        else:
            for e in new:
                self._add(e)
        self.seen = len(entries)

    def _add(self, e: Entry) -> None:
        p = e.payload
        match p:
            case InjectAdded():
                self.injects.setdefault(p.inject.id, p.inject)
            case InjectDelivered():
                self.delivered.setdefault(p.inject_id, e.at)
            case InjectHeld():
                self.held[p.inject_id] = True
            case InjectReleased():
                self.held[p.inject_id] = False
                self.released.setdefault(p.inject_id, e.at)
                if p.override:
                    self.overridden.add(p.inject_id)
            case InjectSkipped():
                self.skipped.setdefault(p.inject_id, skip_reason(p, self.injects, self.words))
            case ActionLogged() if p.inject_id and e.agency:
                by = self.acted.setdefault(p.inject_id, [])
                if e.agency not in by:
                    by.append(e.agency)

    def status(self, i: str) -> InjectStatus:
        if i in self.skipped:
            return InjectStatus.SKIPPED
        if i in self.delivered:
            return InjectStatus.ACTED_ON if self.acted.get(i) else InjectStatus.DELIVERED
        return InjectStatus.HELD if self.held.get(i) else InjectStatus.SCHEDULED

    def rows(self) -> list[MselRow]:
        rows = [
            MselRow(
                inject_id=i,
                time=inject.time,
                synopsis=inject.synopsis,
                sender=inject.from_,
                to=inject.to,
                capability=inject.capability,
                expected_actions=inject.expected_actions,
                conditional=inject.condition is not None,
                added=i not in self.msel_ids,
                status=self.status(i),
                delivered_at=self.delivered.get(i),
                released_at=self.released.get(i),
                acted_on_by=tuple(self.acted.get(i, ())),
                skipped_reason=self.skipped.get(i),
                override=i in self.overridden,
            )
            for i, inject in self.injects.items()
        ]
        return sorted(rows, key=lambda r: (r.time, r.inject_id))

