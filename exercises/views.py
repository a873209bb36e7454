"""What the console shows, computed from the scenario and the journal: pure functions, no I/O.

The exercise clock, the effect of corrections, an agency's inbox and own log, the timeline, the
MSEL with each inject's status, and the protocol clock. Every view is a function of (scenario,
entries[, time]); the service only decides who may call which one.

Text in these results is what users and scenario authors typed: renderers must escape it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from exercises.durations import format_duration
from exercises.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Correction,
    Development,
    Entry,
    EntryKind,
    ImprovementItemEdited,
    InjectAdded,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    InjectSkipped,
    LinkDown,
    LinkUp,
    MediaItemAdded,
    MediaItemPublished,
    MessageDelivered,
    MessageLost,
    MessageSent,
    ObservationRecorded,
    ResourceAssigned,
    ResourceReleased,
    ResourceRequested,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    StatementIssued,
    TrustChanged,
)
from exercises.scenario import Inject, Protocol, Scenario


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- the exercise clock ------------------------------------------------------------------


class ClockStatus(StrEnum):
    NOT_STARTED = "not started"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


CLOCK_KINDS = frozenset(
    {
        EntryKind.CLOCK_STARTED,
        EntryKind.CLOCK_PAUSED,
        EntryKind.CLOCK_RESUMED,
        EntryKind.CLOCK_SPEED_CHANGED,
        EntryKind.CLOCK_ENDED,
    }
)


@dataclass(frozen=True)
class Clock:
    """The exercise clock: exercise time = anchor time + wall seconds since the anchor x speed
    while running; frozen at the anchor otherwise. The anchor is the last clock entry."""

    status: ClockStatus = ClockStatus.NOT_STARTED
    speed: float = 1.0
    anchor_at: float = 0.0
    anchor_wall: float = 0.0

    def now(self, wall: float) -> float:
        if self.status is ClockStatus.RUNNING:
            return self.anchor_at + max(0.0, wall - self.anchor_wall) * self.speed
        return self.anchor_at

    @property
    def live(self) -> bool:
        """Started and not ended: the simulation follows the clock."""
        return self.status in (ClockStatus.RUNNING, ClockStatus.PAUSED)


def derive_clock(marks: Iterable[tuple[Entry, float]]) -> Clock:
    """The clock after the given (entry, wall time) pairs in journal order; other kinds are ignored."""
    clock = Clock()
    for entry, wall in marks:
        p = entry.payload
        if isinstance(p, ClockStarted) and clock.status is ClockStatus.NOT_STARTED:
            clock = Clock(ClockStatus.RUNNING, p.speed, entry.at, wall)
        elif isinstance(p, ClockPaused) and clock.status is ClockStatus.RUNNING:
            clock = Clock(ClockStatus.PAUSED, clock.speed, entry.at, wall)
        elif isinstance(p, ClockResumed) and clock.status is ClockStatus.PAUSED:
            clock = Clock(ClockStatus.RUNNING, clock.speed, entry.at, wall)
        elif isinstance(p, ClockSpeedChanged) and clock.live:
            clock = Clock(clock.status, p.speed, entry.at, wall)
        elif isinstance(p, ClockEnded) and clock.live:
            clock = Clock(ClockStatus.ENDED, clock.speed, entry.at, wall)
    return clock


# --- corrections and injects -------------------------------------------------------------


def effective(entries: Iterable[Entry]) -> list[Entry]:
    """The journal as corrected: corrections dropped, voided entries dropped, replaced entries
    carrying their replacement (keeping their own seq, time and agency). The latest correction
    of an entry wins."""
    listed = list(entries)
    latest: dict[int, Correction] = {}
    for e in listed:
        if isinstance(e.payload, Correction):
            latest[e.payload.corrects] = e.payload
    out = []
    for e in listed:
        if isinstance(e.payload, Correction):
            continue
        fix = latest.get(e.seq)
        if fix is None:
            out.append(e)
        elif fix.replacement is not None:
            out.append(e.model_copy(update={"payload": fix.replacement}))
    return out


def known_injects(scenario: Scenario, entries: Iterable[Entry]) -> dict[str, Inject]:
    """The MSEL plus every inject a controller added, by id."""
    injects = {i.id: i for i in scenario.msel}
    for e in entries:
        if isinstance(e.payload, InjectAdded):
            injects.setdefault(e.payload.inject.id, e.payload.inject)
    return injects


def message_texts(entries: Iterable[Entry]) -> dict[str, MessageSent]:
    return {e.payload.message_id: e.payload for e in entries if isinstance(e.payload, MessageSent)}


# --- describing an entry -----------------------------------------------------------------

SENDER_NAMES = {"simcell": "Simulation cell", "controller": "Controller"}
"""Who else than an agency may send an inject (exercises.loading.SENDERS_OTHER_THAN_AGENCIES)."""


def agency_names(scenario: Scenario) -> dict[str, str]:
    """Agency id -> name, with the senders that are not agencies: what a person reads."""
    return {**SENDER_NAMES, **{a.id: a.name for a in scenario.agencies}}


def unit_label(unit_type: str) -> str:
    """A unit type as people write it: ``bike_team`` -> ``bike team``."""
    return unit_type.replace("_", " ")


def field_label(name: str) -> str:
    return name.replace("_", " ")


@dataclass(frozen=True)
class Words:
    """The names a description uses instead of ids: agencies, actions, and the requests seen."""

    agencies: Mapping[str, str]
    vocab: Mapping[str, str]
    requests: Mapping[str, tuple[str | None, str]]
    """Request id -> (requesting agency, asked agency)."""

    def agency(self, agency_id: str | None) -> str:
        return self.agencies.get(agency_id, agency_id) if agency_id else ""

    def many(self, ids: Iterable[str]) -> str:
        return ", ".join(self.agency(i) for i in ids)

    def action(self, action: str) -> str:
        return self.vocab.get(action, field_label(action))


def words(scenario: Scenario, entries: Iterable[Entry] = ()) -> Words:
    requests = {e.payload.request_id: (e.agency, e.payload.to) for e in entries
                if isinstance(e.payload, ResourceRequested)}
    return Words(agency_names(scenario), scenario.vocabulary, requests)


def describe(entry: Entry, scenario: Scenario, injects: dict[str, Inject],
             named: Words | None = None) -> str:
    """One line of plain text saying what the entry records, with names, never ids (but the
    inject numbers a controller acts on)."""
    return _describe(entry, named or words(scenario), injects)


def _inject_label(inject_id: str, injects: Mapping[str, Inject]) -> str:
    inject = injects.get(inject_id)
    return f"{inject_id} ({inject.synopsis})" if inject else inject_id


def _describe(entry: Entry, w: Words, injects: dict[str, Inject]) -> str:
    p = entry.payload
    match p:
        case ClockStarted():
            return f"Exercise clock started (speed x{p.speed:g})"
        case ClockPaused():
            return "Exercise clock paused"
        case ClockResumed():
            return "Exercise clock resumed"
        case ClockSpeedChanged():
            return f"Clock speed changed to x{p.speed:g}"
        case ClockEnded():
            return "Exercise ended"
        case InjectDelivered():
            inject = injects.get(p.inject_id)
            synopsis = f": {inject.synopsis}" if inject else ""
            return f"Inject {p.inject_id} delivered to {w.many(p.to)}{synopsis}"
        case InjectHeld():
            return f"Inject {_inject_label(p.inject_id, injects)} held" + (f": {p.reason}" if p.reason else "")
        case InjectReleased():
            override = " by controller override (its condition did not hold)" if p.override else ""
            return f"Inject {_inject_label(p.inject_id, injects)} released{override}"
        case InjectAdded():
            return f"Inject {p.inject.id} added for {format_duration(p.inject.time)}: {p.inject.synopsis}"
        case InjectSkipped():
            return f"Inject {_inject_label(p.inject_id, injects)} not delivered: {skip_reason(p, injects, w)}"
        case ActionLogged():
            label = w.action(p.action)
            linked = f" (re {p.inject_id})" if p.inject_id else ""
            return f"{label}{linked}" + (f": {p.text}" if p.text else "")
        case MessageSent():
            return f"Message to {w.agency(p.to)}: {p.text}"
        case MessageDelivered():
            via = f" via {', '.join(w.agency(a) for a in p.path[1:-1])}" if len(p.path) > 2 else ""
            return f"Message from {w.agency(p.sender)} delivered to {w.agency(p.to)}{via}"
        case MessageLost():
            return f"Message from {w.agency(p.sender)} to {w.agency(p.to)} lost: {p.reason}"
        case ResourceRequested():
            extra = f": {p.text}" if p.text else ""
            return f"Request to {w.agency(p.to)} for {p.count} {unit_label(p.unit_type)}{extra}"
        case ResourceAssigned():
            return f"{p.count} {unit_label(p.unit_type)} assigned to {w.agency(p.requester)}"
        case ResourceReleased():
            asked = w.requests.get(p.request_id)
            whose = f" (asked by {w.agency(asked[0])} of {w.agency(asked[1])})" if asked and asked[0] else ""
            return f"{p.count} {unit_label(p.unit_type)} released{whose}"
        case LinkDown():
            return f"Link {w.agency(p.between[0])} - {w.agency(p.between[1])} down" + (
                f": {p.reason}" if p.reason else "")
        case LinkUp():
            return f"Link {w.agency(p.between[0])} - {w.agency(p.between[1])} up"
        case ObservationRecorded():
            rating = f" [{p.rating.value}]" if p.rating else ""
            about = f" about {w.agency(entry.agency)}" if entry.agency else ""
            return f"Observation on {p.capability}{about}{rating}" + (f": {p.text}" if p.text else "")
        case ImprovementItemEdited():
            return f"Improvement plan edited: {', '.join(field_label(f) for f in sorted(p.fields))}"
        case Correction():
            what = "replaced" if p.replacement is not None else "voided"
            return f"Entry {p.corrects} {what}: {p.reason}"
        case Development():
            return f"{p.model.capitalize()}: {p.what.replace('_', ' ')}"
        # Media entries name no ids here (the media feed shows outlets and topics by name).
        case RumourStarted():
            return f"Rumour started: {p.text}"
        case RumourSpread():
            return f"A rumour {'reaches' if p.growing else 'fades to'} {p.reach:,} people"
        case RumourAddressed():
            return f"A rumour answered by an official statement (reach {p.reach:,})"
        case MediaItemPublished() | MediaItemAdded():
            return f"News or post: {p.text}"
        case TrustChanged():
            return f"Community trust {p.trust:.1f} ({p.change:+.1f}, {p.driver.replace('_', ' ')})"
        case StatementIssued():
            return f"Official statement: {p.text}"
    return entry.kind.value  # pragma: no cover  (every kind is matched above)


# --- contingency injects: does the condition hold? -------------------------------------------


def condition_text(inject: Inject, w: Words) -> str:
    """What a contingency inject waits for, in words: "only if X has not logged Y"."""
    c = inject.condition
    if c is None:
        return ""
    who = w.agency(c.by_agency) if c.by_agency else "any agency"
    return f"Sent only if {who} has{'' if c.happened else ' not'} logged \u201c{w.action(c.action)}\u201d."


def condition_reason(inject: Inject, entries: Iterable[Entry], w: Words) -> str | None:
    """Why a contingency inject's condition does not hold now (``None``: it holds, or there is none).

    Judged as the simulation judges it: on every logged action, the simulated agencies' too."""
    c = inject.condition
    if c is None:
        return None
    done = next((e for e in entries if isinstance(e.payload, ActionLogged) and e.payload.action == c.action
                 and (c.by_agency is None or e.agency == c.by_agency)), None)
    if (done is not None) == c.happened:
        return None
    label = f"\u201c{w.action(c.action)}\u201d"
    if done is not None:
        return f"{w.agency(done.agency) or 'an agency'} logged {label} at {format_duration(done.at)}"
    return f"{w.agency(c.by_agency) if c.by_agency else 'no agency'} has not logged {label}"


def skip_reason(skipped: InjectSkipped, injects: Mapping[str, Inject], w: Words) -> str:
    """Why the simulation skipped an inject, in names (its journal reason names ids)."""
    inject = injects.get(skipped.inject_id)
    c = inject.condition if inject else None
    if c is None:
        return skipped.reason
    who = w.agency(c.by_agency) if c.by_agency else "an agency"
    label = f"\u201c{w.action(c.action)}\u201d"
    if c.happened:
        return f"its condition did not hold: {who} had not logged {label}"
    return f"its condition did not hold: {who} had already logged {label}"


# --- timeline, agency log, feed ----------------------------------------------------------


class TimelineItem(_View):
    seq: int
    at: float
    kind: EntryKind
    actor: str
    agency: str | None
    simulated: bool
    summary: str
    corrects: int | None = None
    corrected_by: int | None = None
    """The latest correction of this entry, if any."""
    voided: bool = False


def timeline(scenario: Scenario, entries: Sequence[Entry]) -> list[TimelineItem]:
    """Every entry in journal order, with its corrections marked."""
    return _timeline_items(scenario, entries, entries)


def _timeline_items(scenario: Scenario, entries: Sequence[Entry], shown: Iterable[Entry]) -> list[TimelineItem]:
    """The timeline items of ``shown`` (entries of the journal ``entries``), in their order."""
    injects = known_injects(scenario, entries)
    named = words(scenario, entries)
    corrected: dict[int, Entry] = {}
    for e in entries:
        if isinstance(e.payload, Correction):
            corrected[e.payload.corrects] = e
    items = []
    for e in shown:
        fix = corrected.get(e.seq)
        items.append(
            TimelineItem(
                seq=e.seq,
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                agency=e.agency,
                simulated=e.actor == ENGINE_ACTOR,
                summary=_describe(e, named, injects),
                corrects=e.payload.corrects if isinstance(e.payload, Correction) else None,
                corrected_by=fix.seq if fix else None,
                voided=bool(fix and isinstance(fix.payload, Correction) and fix.payload.replacement is None),
            )
        )
    return items


OWN_LOG_KINDS = frozenset(
    {EntryKind.ACTION_LOGGED, EntryKind.MESSAGE_SENT, EntryKind.RESOURCE_REQUESTED, EntryKind.CORRECTION}
)


def in_own_log(entry: Entry, agency: str) -> bool:
    """What the agency did: its actions, messages and requests, and corrections of them."""
    return entry.agency == agency and entry.kind in OWN_LOG_KINDS


def addressed_to(entry: Entry, agency: str) -> bool:
    """What reached the agency: injects, messages, requests and assignments; its lost messages."""
    p = entry.payload
    match p:
        case InjectDelivered():
            return agency in p.to
        case MessageDelivered() | ResourceRequested():
            return p.to == agency
        case MessageLost():
            return p.sender == agency
        case ResourceAssigned():
            return p.requester == agency
    return False


def visible_to_agency(entry: Entry, agency: str) -> bool:
    return in_own_log(entry, agency) or addressed_to(entry, agency)


def agency_log(scenario: Scenario, entries: Sequence[Entry], agency: str) -> list[TimelineItem]:
    return _timeline_items(scenario, entries, (e for e in entries if in_own_log(e, agency)))


# --- an agency's inbox -------------------------------------------------------------------


class InboxItem(_View):
    seq: int
    at: float
    kind: Literal["inject", "message", "message_lost", "resource_request", "resource_assigned"]
    sender: str
    subject: str
    text: str
    inject_id: str | None = None
    reference: str | None = None
    """The message or request id, to answer or link to."""


def inbox(scenario: Scenario, entries: Sequence[Entry], agency: str) -> list[InboxItem]:
    """What has reached ``agency``, oldest first (what its players may see of the others)."""
    injects = known_injects(scenario, entries)
    sent = message_texts(entries)
    w = words(scenario)
    items = []
    for e in entries:
        if not addressed_to(e, agency):
            continue
        p = e.payload
        base = {"seq": e.seq, "at": e.at}
        match p:
            case InjectDelivered():
                inject = injects.get(p.inject_id)
                if inject is None:
                    continue
                items.append(
                    InboxItem(
                        **base, kind="inject", sender=inject.from_, subject=inject.synopsis,
                        text=inject.text, inject_id=inject.id,
                    )
                )
            case MessageDelivered():
                original = sent.get(p.message_id)
                items.append(
                    InboxItem(
                        **base, kind="message", sender=p.sender, subject=f"Message from {w.agency(p.sender)}",
                        text=original.text if original else "", reference=p.message_id,
                    )
                )
            case MessageLost():
                items.append(
                    InboxItem(
                        **base, kind="message_lost", sender=p.to, subject=f"Message to {w.agency(p.to)} not delivered",
                        text=p.reason, reference=p.message_id,
                    )
                )
            case ResourceRequested():
                items.append(
                    InboxItem(
                        **base, kind="resource_request", sender=e.agency or "",
                        subject=f"Request for {p.count} {unit_label(p.unit_type)}", text=p.text, reference=p.request_id,
                    )
                )
            case ResourceAssigned():
                items.append(
                    InboxItem(
                        **base, kind="resource_assigned", sender=e.agency or "",
                        subject=f"{p.count} {unit_label(p.unit_type)} assigned", text="", reference=p.request_id,
                    )
                )
    return items


# --- the MSEL with status ----------------------------------------------------------------


class InjectStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    DELIVERED = "delivered"
    ACTED_ON = "acted on"
    SKIPPED = "skipped"


class MselRow(_View):
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


# --- the protocol clock ------------------------------------------------------------------


class ProtocolStatus(StrEnum):
    PENDING = "pending"
    """Triggered, not done, deadline not passed (or the exercise ended before it)."""
    OVERDUE = "overdue"
    """Deadline passed, not done, exercise still running: it can still be done, late."""
    MET = "met"
    LATE = "late"
    MISSED = "missed"
    """The exercise ended past the deadline without the action."""


class ProtocolInstance(_View):
    """One trigger occurrence of one protocol for its agency."""

    protocol_id: str
    title: str
    agency: str
    action: str
    critical: bool
    capability: str
    triggered_at: float
    trigger_seq: int
    due_at: float
    status: ProtocolStatus
    done_at: float | None = None
    done_seq: int | None = None
    late_by: float | None = None


class _Done:
    """One agency's entries of one action, in journal order, answering "the first one at or
    after / at or before / after a time". The journal stamps entries in nondecreasing time, so
    that is a bisection; a list out of time order falls back to scanning, with the same answer."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._times: list[float] | None = None
        self._ordered = True

    def add(self, entry: Entry) -> None:
        if self.entries and entry.at < self.entries[-1].at:
            self._ordered = False
        self.entries.append(entry)
        if self._times is not None:
            self._times.append(entry.at)

    @property
    def times(self) -> list[float]:
        if self._times is None:
            self._times = [e.at for e in self.entries]
        return self._times

    def first_from(self, at: float, *, not_seq: int) -> Entry | None:
        """The first entry at or after ``at`` that is not entry ``not_seq``."""
        if not self._ordered:
            return next((e for e in self.entries if e.at >= at and e.seq != not_seq), None)
        i = bisect_left(self.times, at)
        # Times from i on are all >= at: the entry after the excluded one qualifies too.
        while i < len(self.entries) and self.entries[i].seq == not_seq:
            i += 1
        return self.entries[i] if i < len(self.entries) else None

    def first_until(self, at: float, *, not_seq: int) -> Entry | None:
        """The first entry at or before ``at`` that is not entry ``not_seq``."""
        if not self._ordered:
            return next((e for e in self.entries if e.at <= at and e.seq != not_seq), None)
        # In time order the first entry qualifies if any does; past an excluded first, the next.
        for e in self.entries:
            if e.at > at:
                return None
            if e.seq != not_seq:
                return e
        return None

    def first_after(self, at: float) -> Entry | None:
        """The first entry strictly after ``at``."""
        if not self._ordered:
            return next((e for e in self.entries if e.at > at), None)
        i = bisect_right(self.times, at)
        return self.entries[i] if i < len(self.entries) else None


class _JournalIndex:
    """The corrected journal indexed once for every protocol: the exercise start, each event's
    raising entries, each action's entries, and each (action, agency)'s entries, in journal order."""

    def __init__(self, current: Sequence[Entry], injects: dict[str, Inject]) -> None:
        self.start: Entry | None = None
        self.events: dict[str, list[Entry]] = {}
        self.actions: dict[str, list[Entry]] = {}
        self.done: dict[tuple[str, str | None], _Done] = {}
        self.injects = injects
        for e in current:
            self.add(e)

    def add(self, e: Entry) -> None:
        """Take in the next entry of the corrected journal."""
        p = e.payload
        if isinstance(p, ClockStarted):
            if self.start is None:
                self.start = e
        elif isinstance(p, ActionLogged | StatementIssued):
            self.actions.setdefault(p.action, []).append(e)
            self.done.setdefault((p.action, e.agency), _Done()).add(e)
        else:
            raised: tuple[str, ...] = ()
            if isinstance(p, InjectAdded):
                self.injects.setdefault(p.inject.id, p.inject)
            elif isinstance(p, InjectDelivered) and p.inject_id in self.injects:
                raised = self.injects[p.inject_id].raises
            elif isinstance(p, Development | RumourStarted):
                raised = p.raises
            # An entry raising an event twice still triggers it once.
            for name in dict.fromkeys(raised):
                self.events.setdefault(name, []).append(e)

    def triggers(self, protocol: Protocol) -> list[Entry]:
        trigger = protocol.trigger
        if trigger.kind == "exercise_start":
            return [self.start] if self.start is not None else []
        if trigger.name is None:
            return []
        if trigger.kind == "event":
            return self.events.get(trigger.name, [])
        found = self.actions.get(trigger.name, [])
        if not trigger.agencies:
            return found
        return [e for e in found if e.agency in trigger.agencies]


def protocol_clock(
    scenario: Scenario, entries: Sequence[Entry], now: float, *, ended: bool
) -> list[ProtocolInstance]:
    """Every protocol instance so far, by due time: due at, and pending/overdue/met/late/missed.

    A trigger occurrence opens an instance. A ``within`` protocol is done by the agency's first
    expected action at or after the trigger; a ``before_trigger`` protocol by one at or before
    it (one done only afterwards counts as late). Corrections are applied first."""
    current = effective(entries)
    return _instances(scenario, _JournalIndex(current, known_injects(scenario, current)), now, ended)


class ProtocolClockFolder:
    """The protocol clock's index folded entry by entry, for a live page: each refresh takes in
    only the new entries (a correction re-indexes the corrected journal), then evaluates the
    protocols against the index: the same result as ``protocol_clock``."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.seen = 0
        self.index = _JournalIndex((), {i.id: i for i in scenario.msel})

    def fold(self, entries: Sequence[Entry]) -> None:
        new = entries[self.seen:]
        if any(isinstance(e.payload, Correction) for e in new):
            current = effective(entries)
            self.index = _JournalIndex(current, known_injects(self.scenario, current))
        else:
            for e in new:
                self.index.add(e)
        self.seen = len(entries)

    def instances(self, now: float, *, ended: bool) -> list[ProtocolInstance]:
        return _instances(self.scenario, self.index, now, ended)


def _instances(scenario: Scenario, index: _JournalIndex, now: float, ended: bool) -> list[ProtocolInstance]:
    out = []
    for protocol in scenario.protocols:
        done = index.done.get((protocol.action, protocol.agency), _Done())
        for trig in index.triggers(protocol):
            hit: Entry | None
            if protocol.before_trigger:
                due = trig.at
                hit = done.first_until(trig.at, not_seq=trig.seq)
                if hit is None:
                    hit = done.first_after(trig.at)
            else:
                due = trig.at + (protocol.within or 0.0)
                hit = done.first_from(trig.at, not_seq=trig.seq)
            if hit is not None:
                late = hit.at - due
                status = ProtocolStatus.MET if late <= 0 else ProtocolStatus.LATE
                late_by = late if late > 0 else None
            else:
                late_by = None
                if now <= due:
                    status = ProtocolStatus.PENDING
                else:
                    status = ProtocolStatus.MISSED if ended else ProtocolStatus.OVERDUE
            out.append(
                ProtocolInstance(
                    protocol_id=protocol.id,
                    title=protocol.title,
                    agency=protocol.agency,
                    action=protocol.action,
                    critical=protocol.critical,
                    capability=protocol.capability,
                    triggered_at=trig.at,
                    trigger_seq=trig.seq,
                    due_at=due,
                    status=status,
                    done_at=hit.at if hit else None,
                    done_seq=hit.seq if hit else None,
                    late_by=late_by,
                )
            )
    return sorted(out, key=lambda i: (i.due_at, i.protocol_id, i.trigger_seq))
