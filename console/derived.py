"""What the live pages show, from service reads: no Streamlit here, so the benchmark times it too.

The journal is append-only, so a view computed at one journal head stays right until the head
moves: ``ViewCache`` keeps the last result of each view per exercise and scope, and every session
of the process that asks at the same head gets it without recomputing. Only the passing of time
changes a cached protocol clock (pending becomes overdue), and ``restamp`` applies that.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import pandas as pd

from aar.eeg import Eeg, Guide, eeg_of_record, guide_choices
from aar.record import Record, RecordFolder
from console.network import LinkKey, link_key
from exercises import views
from exercises.access import Caller
from exercises.record.entries import (
    ENGINE_ACTOR,
    Entry,
    EntryKind,
    InjectAdded,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    ResourceRequested,
)
from exercises.scenario.durations import format_duration
from exercises.scenario.model import Inject, Scenario
from exercises.service.exercise_service import ExerciseService, ExerciseState
from exercises.views import ClockStatus, MselRow, ProtocolInstance
from exercises.views.evaluation import withheld_from
from exercises.views.live import EVALUATION_KINDS

SIMULATION = "Simulation"
"""Who the feed names for what the simulation records itself (not for an agency it plays)."""

T = TypeVar("T")

FEED_LIMIT = 30
TIMELINE_WINDOW_S = 3600.0
"""The live timeline shows the last hour of exercise time ..."""
TIMELINE_MAX_POINTS = 1500
"""... and at most this many entries, so a refresh stays small for the browser too."""


class ViewCache:
    """The last result of each view, per key, valid while the journal head is the same."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._items: dict[Hashable, tuple[int, object]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, head: int, compute: Callable[[], T]) -> T:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        # One computation per key at a time: sessions refreshing together wait for one result.
        with lock:
            with self._guard:
                hit = self._items.get(key)
            if hit is not None and hit[0] == head:
                return hit[1]  # type: ignore[return-value]
            value = compute()
            with self._guard:
                self._items[key] = (head, value)
            return value

    def peek(self, key: Hashable, head: int) -> Any:
        """The value kept for ``key`` if it was computed at ``head``, else None (nothing computed)."""
        with self._guard:
            hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] == head else None


def scope(caller: Caller) -> str:
    """Whose view a cached result is: a player's agency, or everything (the roles that read all)."""
    return f"agency:{caller.agency}" if caller.agency else "all"


def restamp(instances: Sequence[ProtocolInstance], now: float, *, ended: bool) -> list[ProtocolInstance]:
    """A protocol clock computed earlier, with open instances' status brought to ``now``."""
    return [inst.at(now, ended=ended) for inst in instances]


# --- what the dashboard folds from the journal ---------------------------------------------


@dataclass(frozen=True)
class LinkState:
    down: frozenset[LinkKey] = frozenset()
    load: dict[LinkKey, int] = field(default_factory=dict)
    """Messages carried per link, every hop counted (lost ones up to where they were lost)."""


@dataclass(frozen=True)
class Row:
    """One journal entry as the feed and the timeline show it."""

    seq: int
    at: float
    who: str
    lane: str
    category: str
    simulated: bool
    what: str

    @cached_property
    def point(self) -> tuple[int, float, str, str, str, str, str]:
        """The row of the timeline chart's data, made once per entry (not on every refresh)."""
        return (self.seq, self.at / 60.0, format_duration(self.at), self.lane, self.category,
                "simulated" if self.simulated else "people", self.what)


CATEGORY: dict[EntryKind, str] = {
    EntryKind.INJECT_DELIVERED: "inject",
    EntryKind.INJECT_HELD: "inject",
    EntryKind.INJECT_RELEASED: "inject",
    EntryKind.INJECT_ADDED: "inject",
    EntryKind.INJECT_SKIPPED: "inject",
    EntryKind.ACTION_LOGGED: "action",
    EntryKind.MESSAGE_SENT: "message",
    EntryKind.MESSAGE_DELIVERED: "message",
    EntryKind.MESSAGE_LOST: "message lost",
    EntryKind.RESOURCE_REQUESTED: "resource",
    EntryKind.RESOURCE_ASSIGNED: "resource",
    EntryKind.RESOURCE_RELEASED: "resource",
    EntryKind.LINK_DOWN: "link down/up",
    EntryKind.LINK_UP: "link down/up",
    EntryKind.OBSERVATION_RECORDED: "evaluation",
    EntryKind.IMPROVEMENT_ITEM_EDITED: "evaluation",
    EntryKind.EVALUATOR_ASSIGNED: "evaluation",
    EntryKind.CAPABILITY_RATED: "evaluation",
    EntryKind.RATING_RECONCILED: "evaluation",
    EntryKind.HOT_WASH_POINT: "evaluation",
    EntryKind.FEEDBACK_SUBMITTED: "evaluation",
    EntryKind.DETAILS_SET: "exercise details",
    EntryKind.BASELINE_STORED: "exercise details",
    EntryKind.CORRECTION: "correction",
    EntryKind.DEVELOPMENT: "incident",
}
"""How the timeline colours entries; clock entries ("clock") are drawn as rules, not points."""

INJECT_KINDS = frozenset(
    {EntryKind.INJECT_DELIVERED, EntryKind.INJECT_HELD, EntryKind.INJECT_RELEASED, EntryKind.INJECT_ADDED,
     EntryKind.INJECT_SKIPPED}
)


ROLE_WORDS = {"controller": "Controller", "evaluator": "Evaluator", "observer": "Observer", "import": "Import"}


def person(actor: str) -> str:
    """Who a person's entry is by, from its actor: "Evaluator (Dana Reyes)"."""
    role, _, name = actor.partition(" (")
    base = ROLE_WORDS.get(role.split(":", 1)[0], role.split(":", 1)[0].capitalize())
    return f"{base} ({name}" if name else base


def who(entry: Entry, scenario: Scenario) -> str:
    if entry.kind in EVALUATION_KINDS:
        # An evaluator's note is by the evaluator, about the agency (the description names it).
        return person(entry.actor)
    if entry.agency:
        try:
            return scenario.agency(entry.agency).name
        except KeyError:
            return entry.agency
    if entry.actor == ENGINE_ACTOR:
        return SIMULATION
    return person(entry.actor)


def lane(entry: Entry, scenario: Scenario) -> str:
    if entry.kind in INJECT_KINDS:
        return "MSEL"
    if entry.kind is EntryKind.DEVELOPMENT:
        return "Incident"
    if entry.kind in EVALUATION_KINDS:
        return "Evaluators"
    if entry.agency:
        return who(entry, scenario)
    return "Network" if entry.kind in (EntryKind.LINK_DOWN, EntryKind.LINK_UP) else "Control"


class Digest:
    """What the dashboard needs from one exercise's journal, folded entry by entry.

    The journal only grows, so each refresh reads only the entries after ``seq``: the link states
    and loads, the injects known so far (the MSEL plus those added), and the entries described for
    the feed and the timeline. Corrections are entries too: the feed shows them as they come."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.seq = 0
        self.down: set[LinkKey] = set()
        self.load: Counter[LinkKey] = Counter()
        self.injects: dict[str, Inject] = {i.id: i for i in scenario.msel}
        self.requests: dict[str, tuple[str | None, str]] = {}
        self.words = views.Words(views.agency_names(scenario), scenario.vocabulary, self.requests,
                                 incident=views.incident_names(scenario))
        self.rows: list[Row] = []
        self.msel = views.MselFolder(scenario)
        self.clock = views.ProtocolClockFolder(scenario)
        self.lock = threading.Lock()

    def fold(self, entries: Sequence[Entry]) -> None:
        """Take in the entries this digest has not seen (``entries`` is the whole journal so far)."""
        with self.lock:
            if len(entries) <= self.seq:
                return
            self.msel.fold(entries)
            self.clock.fold(entries)
            for e in entries[self.seq:]:
                p = e.payload
                if isinstance(p, LinkDown):
                    self.down.add(link_key(*p.between))
                elif isinstance(p, LinkUp):
                    self.down.discard(link_key(*p.between))
                elif isinstance(p, MessageDelivered | MessageLost):
                    for a, b in zip(p.path, p.path[1:], strict=False):
                        self.load[link_key(a, b)] += 1
                elif isinstance(p, InjectAdded):
                    self.injects.setdefault(p.inject.id, p.inject)
                elif isinstance(p, ResourceRequested):
                    self.requests[p.request_id] = (e.agency, p.to)
                self.rows.append(
                    Row(
                        seq=e.seq,
                        at=e.at,
                        who=who(e, self.scenario),
                        lane=lane(e, self.scenario),
                        category=CATEGORY.get(e.kind, "clock"),
                        simulated=e.actor == ENGINE_ACTOR,
                        what=views.describe(e, self.scenario, self.injects, self.words),
                    )
                )
                self.seq = e.seq

    def msel_rows(self) -> list[MselRow]:
        with self.lock:
            return self.msel.rows()

    def protocol_clock(self, now: float, *, ended: bool) -> list[ProtocolInstance]:
        with self.lock:
            return self.clock.instances(now, ended=ended)

    def links(self) -> LinkState:
        with self.lock:
            return LinkState(frozenset(self.down), dict(self.load))

    def feed(self, limit: int = FEED_LIMIT) -> list[Row]:
        """The newest ``limit`` entries, newest first."""
        with self.lock:
            return list(reversed(self.rows[-limit:]))

    def window(self, now: float, window: float | None = TIMELINE_WINDOW_S,
               max_points: int = TIMELINE_MAX_POINTS) -> list[Row]:
        """The entries of the last ``window`` seconds of exercise time (at most ``max_points``)."""
        start = max(0.0, now - window) if window is not None else 0.0
        with self.lock:
            recent: list[Row] = []
            for row in reversed(self.rows):
                if row.at < start or len(recent) >= max_points:
                    break
                recent.append(row)
        recent.reverse()
        return recent


def digest(cache: ViewCache, exercise_id: int, scenario: Scenario, entries: Sequence[Entry]) -> Digest:
    """The exercise's digest, brought up to ``entries`` (one per exercise and process)."""
    found = cache.get((exercise_id, "all", "digest"), 0, lambda: Digest(scenario))
    found.fold(entries)
    return found


TIMELINE_COLUMNS = ["seq", "minute", "time", "lane", "category", "source", "what"]


def timeline_frame(rows: Sequence[Row]) -> pd.DataFrame:
    """The timeline chart's data: one row per entry (minutes, lane, category, who, what)."""
    return pd.DataFrame([r.point for r in rows], columns=TIMELINE_COLUMNS)


# --- the controller's dashboard ------------------------------------------------------------


@dataclass(frozen=True)
class ControllerDashboard:
    state: ExerciseState
    scenario: Scenario
    msel: list[MselRow]
    protocols: list[ProtocolInstance]
    feed: list[Row]
    links: LinkState
    timeline: pd.DataFrame


def controller_dashboard(svc: ExerciseService, cache: ViewCache, caller: Caller) -> ControllerDashboard:
    """Every service read one refresh of the controller's dashboard makes, and what it derives."""
    state = svc.state(caller)
    scenario = svc.scenario(caller)
    entries = svc.journal(caller)
    head = entries[-1].seq if entries else 0
    ex = caller.exercise_id
    # Folded entry by entry: a refresh takes in only what was appended since the last one.
    folded = digest(cache, ex, scenario, entries)
    ended = state.status is ClockStatus.ENDED
    msel = cache.get((ex, "all", "msel"), head, folded.msel_rows)
    clock = cache.get((ex, "all", "protocol_clock"), head, lambda: folded.protocol_clock(state.clock, ended=ended))
    return ControllerDashboard(
        state=state,
        scenario=scenario,
        msel=msel,
        protocols=restamp(clock, state.clock, ended=ended),
        feed=folded.feed(),
        links=folded.links(),
        timeline=timeline_frame(folded.window(state.clock)),
    )


# --- the evaluator's page ------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationView:
    """The journal as one evaluator may read it and the record built from it, once per journal head
    and reading (evaluators who may read the same ratings share one; the record folded on from the
    last head's, ``aar.record.RecordFolder``): the EEG, the analyses and the downloads all read it. Each EEG is built when an
    evaluator first opens it at this head: a page shows one guide at a time."""

    scenario: Scenario
    entries: Sequence[Entry]
    record: Record
    name: str
    _guides: dict[Guide, Eeg] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def choices(self) -> list[tuple[Guide, str]]:
        return guide_choices(self.scenario, self.record.names)

    def guide(self, chosen: Guide) -> Eeg:
        """The EEG of ``chosen`` (its one guide), built once per head."""
        with self._lock:
            if chosen not in self._guides:
                self._guides[chosen] = eeg_of_record(self.scenario, self.record, exercise_name=self.name,
                                                     only=chosen)
            return self._guides[chosen]


def evaluation_view(svc: ExerciseService, cache: ViewCache, caller: Caller) -> EvaluationView:
    """The caller's ``EvaluationView`` at the journal's head (built at most once per head)."""
    entries = svc.journal(caller)
    head = entries[-1].seq if entries else 0
    # Who may read which rating depends on the evaluation entries alone; the same withheld ratings
    # give the same journal, so the key is the set of them (empty for the lead and controllers).
    hidden = frozenset(withheld_from(caller, svc.evaluation_record(caller)))
    scenario = svc.scenario(caller)
    name = svc.state(caller).name

    # The record folded on from the last head this reading was built at: the new entries only.
    folder = cache.get((caller.exercise_id, "evaluation-record", hidden), 0, lambda: RecordFolder(scenario))

    def build() -> EvaluationView:
        return EvaluationView(scenario, entries, folder.record(entries), name)

    return cache.get((caller.exercise_id, "evaluation", hidden), head, build)
