"""Reading the record: the exercise's state, the briefing every participant may see, and the
views of the journal each role may read (checked here, in the service layer)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from exercises import views
from exercises.access import (
    AccessDenied,
    Caller,
    ExerciseInputError,
    Permission,
    Role,
    require,
)
from exercises.documents import csv_io
from exercises.record import evidence, journal, lineage
from exercises.record.entries import (
    Entry,
)
from exercises.record.journal import Verification
from exercises.scenario.legal import message_notice
from exercises.scenario.model import PlayedBy, Scenario
from exercises.scoring import Status
from exercises.service.store import ExerciseStore
from exercises.storage.faults import StorageFault
from exercises.storage.tables import Exercise, JournalCheckpoint, JournalEntry, wall_datetime
from exercises.views import (
    ClockStatus,
    InboxItem,
    MselRow,
    ProtocolClockFolder,
    ProtocolInstance,
    TimelineItem,
    UnitForms,
    derive_clock,
    unit_names,
    visible_to_agency,
)
from exercises.views.evaluation import as_read_by, withheld_from
from exercises.views.live import LiveFolds
from exercises.views.media_feed import FeedItem, MediaDesk, TrustPoint, media_desk

EXPORT_FORMATS = ("jsonl", "csv")


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class ExerciseState(_Result):
    """Where an exercise stands: what every console shows in its header."""

    id: int
    name: str
    scenario_id: str
    scenario_name: str
    status: ClockStatus
    clock: float
    """Exercise seconds now."""
    speed: float
    duration: float
    """The scenario's planned duration."""
    entries: int


class AgencyBrief(_Result):
    id: str
    name: str
    kind: str
    played_by: PlayedBy


class Briefing(_Result):
    """What every participant may know before and during play: no MSEL, no protocols."""

    name: str
    summary: str
    location: str
    threat_or_hazard: str
    lead_agency: str
    duration: float
    agencies: tuple[AgencyBrief, ...]
    links: tuple[tuple[str, str, str], ...]
    """(agency, agency, channel)."""
    vocabulary: dict[str, str]
    objectives: dict[str, str]
    my_agency: str | None
    my_resources: dict[str, int]
    unit_types: tuple[str, ...] = ()
    """Every unit type in the scenario: what a resource request may ask for."""
    unit_names: dict[str, UnitForms] = {}
    """Unit type -> its name for one and for several (``exercises.views.wording.unit_names``)."""
    categories: dict[str, str] = {}
    """Information categories a message may carry (the plans' data-sharing rules): id -> label."""


class ViewVersion(_Result):
    """What a live page shows of the journal, in a word: a page reruns when this changes."""

    version: tuple[int, ...]
    """The journal's head for the roles that read it all; for a player, the last entries that changed
    their agency's inbox, log, media feed or deadlines."""
    next_due: float | None
    """The earliest deadline still pending on the page (exercise seconds): it turns overdue then."""
    clock: float


@dataclass
class _Live:
    """An exercise's live views in this process, folded to ``head`` and shared by every session."""

    folds: LiveFolds
    clock: ProtocolClockFolder
    lock: threading.Lock = field(default_factory=threading.Lock)
    head: int = 0
    versions: dict[str | None, ViewVersion] = field(default_factory=dict)


class Reading(ExerciseStore):
    """Every read of an exercise, checked against the caller's role.

    The live views (inbox, agency log, protocol clock, media feed, trust curve) are folded entry by
    entry, once per exercise and process (``views.live``): a read at a new head costs what the new
    entries cost, and every session at the same head shares the result."""

    def _live_for(self, exercise_id: int) -> tuple[_Live, float, bool]:
        """The exercise's live views folded to the head this process has read; the clock now, and
        whether the exercise has ended. The caller holds ``_Live.lock`` while it reads them."""
        loaded = self._load(exercise_id)
        entries, marks = self._snapshot(exercise_id)
        with self._guard:
            live = self._lives.get(exercise_id)
            if live is None:
                live = self._lives[exercise_id] = _Live(LiveFolds(loaded.scenario), ProtocolClockFolder(loaded.scenario))
        clock = derive_clock(marks)
        last_at = entries[-1].at if entries else 0.0
        now = max(clock.now(self._wall()), last_at)
        with live.lock:
            if len(entries) > live.head:
                live.folds.fold(entries)
                live.clock.fold(entries)
                live.head = len(entries)
                live.versions.clear()
        return live, now, clock.status is ClockStatus.ENDED

    @staticmethod
    def _instances(live: _Live, now: float, ended: bool) -> list[ProtocolInstance]:
        """The protocol clock at the live head, brought to ``now`` (under ``live.lock``): the folder
        keeps its rows and brings only those whose status moves with time, so a read costs what
        changed since the last one, not every instance so far."""
        return live.clock.instances(now, ended=ended)

    def view_version(self, caller: Caller) -> ViewVersion:
        """What the caller's live page shows, in a word (``ViewVersion``): checked every 2 s by every
        open page, so computed once per head and role view, and only compared after that."""
        loaded = self._load(caller.exercise_id)
        agency = self._reader_agency(caller, loaded.scenario, None) if caller.role is Role.PLAYER else None
        if agency is None:
            require(caller, Permission.READ_ALL)
        live, now, ended = self._live_for(caller.exercise_id)
        with live.lock:
            found = live.versions.get(agency)
            if found is None or found.clock > now or (found.next_due is not None and now >= found.next_due):
                found = live.versions[agency] = self._version(live, agency, now, ended)
        return found.model_copy(update={"clock": now})

    def _version(self, live: _Live, agency: str | None, now: float, ended: bool) -> ViewVersion:
        instances = [i for i in self._instances(live, now, ended) if agency is None or i.agency == agency]
        pending = [i.due_at for i in instances if i.status is Status.PENDING]
        if agency is None:
            version: tuple[int, ...] = (live.head,)
        else:
            mine = live.folds.agencies[agency]
            answered = tuple(i.done_seq or 0 for i in instances)
            version = (mine.changed, live.folds.media.changed, len(instances), *answered)
        return ViewVersion(version=version, next_due=min(pending) if pending else None, clock=now)

    # --- reads ----------------------------------------------------------------------------

    def state(self, caller: Caller) -> ExerciseState:
        loaded = self._load(caller.exercise_id)
        entries, marks = self._snapshot(caller.exercise_id)
        clock = derive_clock(marks)
        last_at = entries[-1].at if entries else 0.0
        now = max(clock.now(self._wall()), last_at) if clock.status is ClockStatus.RUNNING else clock.now(0.0)
        return ExerciseState(
            id=caller.exercise_id,
            name=loaded.name,
            scenario_id=loaded.scenario.id,
            scenario_name=loaded.scenario.name,
            status=clock.status,
            clock=now,
            speed=clock.speed,
            duration=loaded.scenario.duration,
            entries=len(entries),
        )

    def briefing(self, caller: Caller) -> Briefing:
        sc = self._load(caller.exercise_id).scenario
        mine = sc.agency(caller.agency).resources if caller.agency else {}
        return Briefing(
            name=sc.name,
            summary=sc.summary,
            location=sc.location,
            threat_or_hazard=sc.threat_or_hazard,
            lead_agency=sc.lead_agency,
            duration=sc.duration,
            agencies=tuple(
                AgencyBrief(id=a.id, name=a.name, kind=a.kind.value, played_by=a.played_by)
                for a in sc.agencies
            ),
            links=tuple((link.between[0], link.between[1], link.channel.value) for link in sc.links),
            vocabulary=sc.vocabulary,
            objectives={o.id: o.text for o in sc.objectives},
            my_agency=caller.agency,
            my_resources=dict(mine),
            unit_types=tuple(sorted({u for a in sc.agencies for u in a.resources})),
            unit_names=unit_names(sc),
            categories=sc.categories,
        )

    def message_notice(self, caller: Caller, to: str, categories: Sequence[str], *, agency: str | None = None) -> tuple[str, ...]:
        """What the sender of a message is told before sending it: each data-sharing rule it would
        break or require (a player: for its own agency)."""
        sc = self._load(caller.exercise_id).scenario
        sender = self._reader_agency(caller, sc, agency)
        self._agency(sc, to)
        return message_notice(sc, sender, to, [c for c in categories if c in sc.categories])

    def scenario(self, caller: Caller) -> Scenario:
        """The exercise's scenario snapshot (with the MSEL: not for players)."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        return loaded.scenario

    def journal(self, caller: Caller) -> Sequence[Entry]:
        """Every entry, for the after-action report and the dashboard; for an evaluator who is not
        the lead, other evaluators' unreconciled ratings are there without their rating and reason.
        Read it, never change it: it is a view of the process's journal at this head, not a copy
        (a page reads it at every rerun, and copying it touched every entry)."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        entries = self._snapshot(caller.exercise_id)[0]
        if caller.role is not Role.EVALUATOR:
            return entries
        # Who may read which rating depends on the evaluation entries alone: looked for among them.
        return as_read_by(caller, entries) if withheld_from(caller, self._evaluation(caller.exercise_id)) else entries

    def evaluation_record(self, caller: Caller) -> list[Entry]:
        """The evaluation entries (observations, ratings, assignments, hot wash, feedback, improvement
        plan edits) and every correction, in journal order, as ``caller`` may read them: what the
        evaluation pages need, without walking the journal."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        return as_read_by(caller, self._evaluation(caller.exercise_id))

    def _evaluation(self, exercise_id: int) -> list[Entry]:
        """The evaluation entries and corrections folded so far: who may read which rating
        depends on these alone (``views.evaluation.withheld_from``)."""
        live, _, _ = self._live_for(exercise_id)
        with live.lock:
            return list(live.folds.evaluation)

    def timeline(self, caller: Caller) -> list[TimelineItem]:
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        return views.timeline(loaded.scenario, self._snapshot(caller.exercise_id)[0])

    def msel(self, caller: Caller) -> list[MselRow]:
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        return views.msel_status(loaded.scenario, self._snapshot(caller.exercise_id)[0])

    def _reader_agency(self, caller: Caller, scenario: Scenario, agency: str | None) -> str:
        agency = agency or caller.agency
        if agency is None:
            raise ExerciseInputError("name the agency")
        require(caller, Permission.READ_AGENCY, agency=agency)
        self._agency(scenario, agency)
        return agency

    def inbox(self, caller: Caller, agency: str | None = None) -> list[InboxItem]:
        """What reached an agency: injects, messages, requests, assignments (a player: its own)."""
        loaded = self._load(caller.exercise_id)
        agency = self._reader_agency(caller, loaded.scenario, agency)
        live, _, _ = self._live_for(caller.exercise_id)
        with live.lock:
            return list(live.folds.agencies[agency].inbox)

    def agency_log(self, caller: Caller, agency: str | None = None) -> list[TimelineItem]:
        """What an agency did: its actions, messages, requests and their corrections."""
        loaded = self._load(caller.exercise_id)
        agency = self._reader_agency(caller, loaded.scenario, agency)
        live, _, _ = self._live_for(caller.exercise_id)
        with live.lock:
            return list(live.folds.agencies[agency].log)

    def protocol_clock(self, caller: Caller, agency: str | None = None) -> list[ProtocolInstance]:
        """Every protocol instance (due at; pending, overdue, met, late, missed). A player sees
        only its own agency's; others see all, or one agency's when they name it."""
        loaded = self._load(caller.exercise_id)
        if agency is None and caller.agency is None:
            require(caller, Permission.READ_ALL)
        else:
            agency = self._reader_agency(caller, loaded.scenario, agency)
        live, now, ended = self._live_for(caller.exercise_id)
        with live.lock:
            instances = self._instances(live, now, ended)
        return [i for i in instances if agency is None or i.agency == agency]

    def feed(self, caller: Caller, *, after_seq: int = 0, limit: int = 50) -> list[TimelineItem]:
        """The newest entries after ``after_seq`` the caller may see (a player: its agency's)."""
        loaded = self._load(caller.exercise_id)
        if caller.role is Role.PLAYER:
            assert caller.agency is not None
            require(caller, Permission.READ_AGENCY, agency=caller.agency)
        else:
            require(caller, Permission.READ_ALL)
        entries = self._snapshot(caller.exercise_id)[0]
        items = views.timeline(loaded.scenario, entries)
        if caller.agency is not None:
            items = [i for i, e in zip(items, entries, strict=True) if visible_to_agency(e, caller.agency)]
        return [i for i in items if i.seq > after_seq][-limit:] if limit > 0 else []

    def media_feed(self, caller: Caller) -> list[FeedItem]:
        """The media layer's feed, newest first: what the public sees, so every role reads it."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_AGENCY, agency=caller.agency)
        if loaded.scenario.media is None:
            return []
        live, _, _ = self._live_for(caller.exercise_id)
        with live.lock:
            return live.folds.media.feed()

    def media_desk(self, caller: Caller) -> MediaDesk:
        """The media layer's topics, outlets and who may publish, as this caller may see them."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_AGENCY, agency=caller.agency)
        return media_desk(loaded.scenario, agency=caller.agency, controller=caller.role is Role.CONTROLLER)

    def trust_curve(self, caller: Caller) -> list[TrustPoint]:
        """The community-trust index so far (start, then each change)."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_AGENCY, agency=caller.agency)
        if loaded.scenario.media is None:
            return []
        live, _, _ = self._live_for(caller.exercise_id)
        with live.lock:
            return list(live.folds.media.trust)

    def verify(self, caller: Caller) -> Verification:
        """Walk the hash chain in the database (never the cache), check the signed checkpoints,
        and name the first thing that does not hold; all in one snapshot of the database."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        trust = self._trust()  # the witnesses before the snapshot (``evidence.Trust``)
        with self.db.reading() as session:
            return evidence.verify(session, caller.exercise_id, trust)

    def record(self, caller: Caller) -> RecordCopy:
        """The journal and its verification from one snapshot, with the exercise's name and
        creation time: what a report is made of (separate reads would let entries appended in
        between make the integrity section disagree with the pages)."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        trust = self._trust()  # the witnesses before the snapshot (``evidence.Trust``)
        entries: list[Entry] = []
        with self.db.reading() as session:
            exercise = session.get(Exercise, caller.exercise_id, populate_existing=True)
            if exercise is None:
                raise ExerciseInputError(f"no exercise {caller.exercise_id}")
            parent = lineage.parent_hash(session, exercise)
            checkpoints = evidence.read_checkpoints(session, caller.exercise_id)
            rows = journal.stream_rows(session, caller.exercise_id)
            # One pass reads the entries and checks the chain and the signatures over them: no row
            # is held after it went by, and each payload is parsed once.
            checked = evidence.check(exercise, rows, checkpoints, trust, parent_head=parent, keep=entries)
        self._whole_record(caller, entries)
        return RecordCopy(
            name=exercise.name,
            created_at=wall_datetime(exercise.created_at),
            entries=entries,
            verification=checked,
        )

    def may_read_whole_record(self, caller: Caller) -> bool:
        """Whether the report and the exports (every rating) are open to ``caller`` now."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        return not withheld_from(caller, self._evaluation(caller.exercise_id))

    def require_whole_record(self, caller: Caller) -> None:
        """``AccessDenied`` unless the report and the exports are open to ``caller`` now."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        self._whole_record(caller, self._evaluation(caller.exercise_id))

    @staticmethod
    def _whole_record(caller: Caller, entries: Sequence[Entry]) -> None:
        """The report and the exports carry every rating: refused to an evaluator while another
        evaluator's ratings are kept apart from them."""
        if withheld_from(caller, entries):
            raise AccessDenied(
                "other evaluators' ratings are kept apart until the lead evaluator reconciles them; "
                "the report and the journal export show every rating, so they open to you once the "
                "lead evaluator has reconciled (the lead evaluator, controllers and observers can open them now)"
            )

    def _read_record(
        self, exercise_id: int
    ) -> tuple[Exercise, Sequence[JournalEntry], Sequence[JournalCheckpoint]]:
        with self.db.reading() as session:
            exercise = session.get(Exercise, exercise_id, populate_existing=True)
            if exercise is None:
                raise ExerciseInputError(f"no exercise {exercise_id}")
            rows = journal.read_rows(session, exercise_id)
            return exercise, rows, evidence.read_checkpoints(session, exercise_id)

    def pinned_keys(self, caller: Caller) -> list[str]:
        """The fingerprints of the keys pinned for this exercise's record (outside the database,
        ``exercises.record.witness``): what its paperwork names."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        trust = self._trust()
        with self.db.reading() as session:
            exercise = session.get(Exercise, caller.exercise_id)
        if exercise is None:
            raise ExerciseInputError(f"no exercise {caller.exercise_id}")
        return [evidence.fingerprint(k) for k in trust.for_record(exercise.genesis_hash).keys]

    def public_key(self) -> evidence.PublicKey:
        """This installation's signing key's public half (created on first use): what readers of
        reports and exports check signatures with."""
        return self._signer().public

    def export(self, caller: Caller, fmt: str) -> str:
        """The journal as stored: JSON Lines (re-verifiable, with its metadata, its signed
        checkpoints and a seal over the head signed now) or CSV (spreadsheet-safe)."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        if fmt not in EXPORT_FORMATS:
            raise ExerciseInputError(f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
        trust = self._trust()  # the witnesses before the snapshot (``evidence.Trust``)
        exercise, rows, checkpoints = self._read_record(caller.exercise_id)
        self._whole_record(caller, [journal.to_entry(row) for row in rows])
        if fmt == "csv":
            return csv_io.export_csv(rows, loaded.scenario)
        return csv_io.export_jsonl(
            rows,
            metadata=journal.exercise_metadata(exercise),
            checkpoints=[evidence.signed_object(cp) for cp in checkpoints],
            seal=self._seal(exercise, rows, checkpoints, trust),
        )

    def _seal(
        self, exercise: Exercise, rows: Sequence[JournalEntry], checkpoints: Sequence[JournalCheckpoint],
        trust: evidence.Trust,
    ) -> dict[str, Any] | None:
        """A signature over the exported head, only for a record that verifies: the service
        never vouches for a journal that contradicts its own checkpoints."""
        if not evidence.check(exercise, rows, checkpoints, trust).ok:
            return None
        assert exercise.id is not None
        try:
            key = self._signer()
        except (evidence.KeyFileError, OSError, StorageFault):
            return None
        prev = evidence.digest_of(evidence.signed_object(checkpoints[-1])) if checkpoints else ""
        seal = evidence.make_checkpoint(
            key,
            exercise_id=exercise.id,
            genesis=journal.genesis_for(exercise),
            seq=rows[-1].seq if rows else 0,
            head=rows[-1].hash if rows else journal.genesis_for(exercise),
            now=self._wall(),
            reason="export",
            prev=prev,
        )
        return evidence.signed_object(seal)


@dataclass(frozen=True)
class RecordCopy:
    """A report's inputs read in one snapshot (``Reading.record``)."""

    name: str
    created_at: dt.datetime
    entries: list[Entry]
    verification: Verification
