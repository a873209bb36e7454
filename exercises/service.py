"""The exercise service: the one API the console and the command line use to run an exercise.

Every call names its ``Caller`` (from ``sign_in`` or ``Caller.operator``), is checked in
``exercises.access`` and either appends to the journal or reads a view of it. A refused call
raises ``AccessDenied``; bad input raises ``ExerciseInputError``; either way nothing is written
(the transaction is rolled back).

Writes follow one protocol (``_write``), which is what keeps the journal gapless and the
simulation consistent when several processes serve one exercise:
1. take the exercise's write lock and read the journal's head inside it;
2. read the entries this process has not seen yet (append-only, so a per-process cache of
   earlier entries stays valid);
3. stamp the new entry at max(exercise clock now, last entry's time); while the exercise is
   live, first advance the simulation to that time and append what it produced;
4. append, commit, release the lock.
A lock conflict that the database reports (SQLite's busy timeout ran out) is retried; the
caller never sees one.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from exercises import csv_io, journal, views
from exercises.access import (
    CORRECTABLE,
    AccessDenied,
    Caller,
    ExerciseInputError,
    Permission,
    Role,
    may_correct,
    require,
)
from exercises.capabilities import CORE_CAPABILITIES
from exercises.db import Database, is_lock_error, open_database
from exercises.entries import (
    CAPABILITY_ELEMENTS,
    ENGINE_ACTOR,
    IMPROVEMENT_FIELDS,
    ActionLogged,
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Correction,
    Entry,
    ImprovementItemEdited,
    InjectAdded,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    InjectSkipped,
    MessageSent,
    NewEntry,
    ObservationRecorded,
    Payload,
    ResourceRequested,
)
from exercises.journal import JournalError, Verification
from exercises.loading import SENDERS_OTHER_THAN_AGENCIES
from exercises.scenario import Inject, PlayedBy, Rating, Scenario
from exercises.tables import (
    MAX_SEED,
    Exercise,
    ExercisePublic,
    JournalEntry,
    Participant,
    ParticipantPublic,
    wall_datetime,
)
from exercises.views import (
    CLOCK_KINDS,
    Clock,
    ClockStatus,
    InboxItem,
    MselRow,
    ProtocolInstance,
    TimelineItem,
    derive_clock,
    known_injects,
    visible_to_agency,
)

Advance = Callable[[Scenario, int, list[Entry], float], Sequence[NewEntry]]
"""``sim_engine.live.advance``'s contract: given the scenario, the seed, the whole journal and a
target exercise time, the simulated entries not yet in the journal with ``at <= until``."""

P = TypeVar("P", bound=Payload)
T = TypeVar("T")

LOCK_RETRIES = 8
EXPORT_FORMATS = ("jsonl", "csv")

CORRECTABLE_KINDS = frozenset().union(*CORRECTABLE.values())

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U, so a code read aloud or copied from paper survives."""
SELECTOR_LENGTH = 6
SECRET_LENGTH = 16
"""80 random bits: far beyond guessing, and hashed with argon2id besides."""


def live_advance(scenario: Scenario, seed: int, entries: list[Entry], until: float) -> Sequence[NewEntry]:
    """The simulation engine's live mode.

    Dependencies point sim_engine -> exercises; this is the one allowed exception: live mode must
    call the engine, so it is imported here, inside the call, never at module import time."""
    from sim_engine.live import advance

    return advance(scenario, seed, entries, until)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessCode:
    """An access code as issued: shown once, never stored in the clear."""

    role: Role
    agency: str | None
    code: str

    @property
    def label(self) -> str:
        return f"{self.role.value} ({self.agency})" if self.agency else self.role.value


@dataclass(frozen=True)
class CreatedExercise:
    exercise: ExercisePublic
    codes: tuple[AccessCode, ...]


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


# --- the per-process cache of what is committed ------------------------------------------


@dataclass
class _Seen:
    """An exercise's committed entries and their wall times, as far as this process has read."""

    entries: list[Entry] = field(default_factory=list)
    marks: list[tuple[Entry, float]] = field(default_factory=list)
    """The clock entries with their wall times: the clock is derived from these alone."""
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class _Loaded:
    scenario: Scenario
    seed: int
    name: str


@dataclass(frozen=True)
class _Context:
    """What a write sees under the lock, after the simulation caught up with the stamp."""

    scenario: Scenario
    entries: list[Entry]
    clock: Clock
    at: float
    """The stamp for the new entry: max(clock now, last entry's time)."""
    next_seq: int

    def injects(self) -> dict[str, Inject]:
        return known_injects(self.scenario, self.entries)


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "input"
        if err["type"] == "string_too_long":
            limit = err.get("ctx", {}).get("max_length")
            parts.append(f"{where} is {len(err['input']):,} characters; the limit is {limit:,}")
        elif err["type"] == "string_pattern_mismatch":
            parts.append(f"{where}: {err['input']!r} is not a valid name")
        else:
            parts.append(f"{where}: {str(err['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


def _payload(model: type[P], **values: Any) -> P:
    try:
        return model(**values)
    except ValidationError as exc:
        raise ExerciseInputError(_explain(exc)) from None


def _hint(value: str, options: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def normalise_code(code: str) -> str:
    """Upper-case, without spaces and hyphens, with the letters people confuse mapped."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -\t\r\n")
    return cleaned.translate(str.maketrans("ILO", "110"))


# --- the service -------------------------------------------------------------------------


class ExerciseService:
    """One per process and database (the console keeps it in ``st.cache_resource``)."""

    def __init__(
        self,
        database: Database,
        *,
        advance: Advance = live_advance,
        hasher: PasswordHasher | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = database
        self._advance = advance
        self._hasher = hasher or PasswordHasher()
        self._wall = wall_clock
        self._seen: dict[int, _Seen] = {}
        self._loaded: dict[int, _Loaded] = {}
        self._warmed: set[int] = set()
        self._warming: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None, **options: Any) -> ExerciseService:
        """The service on ``url`` (default: ``HOTWASH_DATABASE_URL`` or the SQLite file), migrated."""
        return cls(open_database(url), **options)

    # --- exercises (whoever runs the app: the command line, the console's set-up page) ----

    def create_exercise(
        self, scenario: Scenario, *, name: str | None = None, seed: int | None = None
    ) -> CreatedExercise:
        """Open an exercise on a snapshot of ``scenario`` and issue its access codes (shown once):
        one each for controller, evaluator and observer, and one per agency played by players."""
        return self._create(scenario, name, seed, [])

    def import_exercise(
        self,
        scenario: Scenario,
        action_log: bytes | str,
        *,
        name: str | None = None,
        seed: int | None = None,
        source: str = "action log",
    ) -> CreatedExercise:
        """A finished exercise from an action log kept elsewhere (see ``csv_io`` for the columns)."""
        actions = csv_io.parse_action_log(action_log, scenario, source=source)
        return self._create(scenario, name or f"{scenario.name} (imported)", seed, csv_io.imported_journal(scenario, actions))

    def _create(
        self, scenario: Scenario, name: str | None, seed: int | None, entries: Sequence[NewEntry]
    ) -> CreatedExercise:
        name = scenario.name if name is None else name.strip()
        if not 0 < len(name) <= 200:
            raise ExerciseInputError("an exercise name must be 1 to 200 characters")
        if seed is None:
            seed = secrets.randbelow(MAX_SEED + 1)
        if not 0 <= seed <= MAX_SEED:
            raise ExerciseInputError(f"a seed must be between 0 and {MAX_SEED}")
        snapshot = scenario.model_dump_json(by_alias=True)
        if Scenario.model_validate_json(snapshot) != scenario:
            raise ExerciseInputError("this scenario does not survive being stored; it cannot be run")
        grants: list[tuple[Role, str | None]] = [(Role.CONTROLLER, None), (Role.EVALUATOR, None), (Role.OBSERVER, None)]
        grants += [(Role.PLAYER, a.id) for a in scenario.agencies if a.played_by is PlayedBy.PLAYERS]
        secrets_ = [self._new_secret() for _ in grants]
        with ThreadPoolExecutor(max_workers=4) as pool:
            hashes = list(pool.map(self._hasher.hash, [secret for _, secret in secrets_]))

        def create(session: Session) -> tuple[Exercise, list[Participant]]:
            now = self._wall()
            exercise = journal.new_exercise(
                session, name=name, seed=seed, scenario_id=scenario.id, scenario_json=snapshot, now=now
            )
            assert exercise.id is not None
            participants = [
                Participant(
                    exercise_id=exercise.id,
                    role=role.value,
                    agency=agency,
                    selector=selector,
                    secret_hash=digest,
                    created_at=now,
                )
                for (role, agency), (selector, _), digest in zip(grants, secrets_, hashes, strict=True)
            ]
            session.add_all(participants)
            head = journal.Head(0, 0.0, exercise.genesis_hash)
            journal.append(session, exercise.id, head, entries, now)
            return exercise, participants

        exercise, _ = self._transaction(create)
        assert exercise.id is not None
        codes = tuple(
            AccessCode(role, agency, self._format_code(selector, secret))
            for (role, agency), (selector, secret) in zip(grants, secrets_, strict=True)
        )
        clock = derive_clock((_as_entry(e, i + 1), exercise.created_at) for i, e in enumerate(entries))
        return CreatedExercise(self._public(exercise, scenario.name, clock.status, len(entries)), codes)

    def list_exercises(self) -> list[ExercisePublic]:
        with self.db.reading() as session:
            exercises = session.exec(select(Exercise).order_by(col(Exercise.id))).all()
            rows = session.exec(
                select(JournalEntry)
                .where(col(JournalEntry.kind).in_([k.value for k in CLOCK_KINDS]))
                .order_by(col(JournalEntry.exercise_id), col(JournalEntry.seq))
            ).all()
        marks: dict[int, list[tuple[Entry, float]]] = {}
        for row in rows:
            marks.setdefault(row.exercise_id, []).append((journal.to_entry(row), row.wall_time))
        out = []
        for ex in exercises:
            assert ex.id is not None
            scenario_name = self._load(ex.id).scenario.name
            out.append(self._public(ex, scenario_name, derive_clock(marks.get(ex.id, [])).status, ex.last_seq))
        return out

    def participants(self, caller: Caller) -> list[ParticipantPublic]:
        """The access grants of an exercise (never their secrets)."""
        self._load(caller.exercise_id)
        require(caller, Permission.SEE_ACCESS)
        with self.db.reading() as session:
            rows = session.exec(
                select(Participant).where(Participant.exercise_id == caller.exercise_id).order_by(col(Participant.id))
            ).all()
        return [ParticipantPublic(role=p.role, agency=p.agency, selector=p.selector) for p in rows]

    # --- access -------------------------------------------------------------------------

    def sign_in(self, code: str, *, name: str | None = None) -> Caller:
        """The caller an access code stands for; ``AccessDenied`` for any code that is not one."""
        cleaned = normalise_code(code)
        refused = AccessDenied("unknown or wrong access code")
        if len(cleaned) != SELECTOR_LENGTH + SECRET_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
            raise refused
        selector, secret = cleaned[:SELECTOR_LENGTH], cleaned[SELECTOR_LENGTH:]
        with self.db.reading() as session:
            grant = session.exec(select(Participant).where(Participant.selector == selector)).first()
        if grant is None:
            self._hasher.hash(secret)  # same work either way: timing does not reveal selectors
            raise refused
        try:
            self._hasher.verify(grant.secret_hash, secret)
        except (VerificationError, InvalidHashError):
            raise refused from None
        if self._hasher.check_needs_rehash(grant.secret_hash):
            fresh = self._hasher.hash(secret)

            def rehash(session: Session) -> None:
                row = session.get(Participant, grant.id)
                if row is not None:
                    row.secret_hash = fresh
                    session.add(row)

            self._transaction(rehash)
        return Caller(grant.exercise_id, Role(grant.role), grant.agency, name.strip() if name else None)

    def operator(self, exercise_id: int) -> Caller:
        """A controller caller for whoever holds the database (the command line)."""
        self._load(exercise_id)
        return Caller.operator(exercise_id)

    # --- the clock (controllers) ----------------------------------------------------------

    def start(self, caller: Caller, *, speed: float = 1.0) -> Entry:
        payload = _payload(ClockStarted, speed=speed)
        return self._control(caller, payload, lambda c: c.status is ClockStatus.NOT_STARTED, "has already started")

    def pause(self, caller: Caller) -> Entry:
        return self._control(caller, ClockPaused(), lambda c: c.status is ClockStatus.RUNNING, "is not running")

    def resume(self, caller: Caller) -> Entry:
        return self._control(caller, ClockResumed(), lambda c: c.status is ClockStatus.PAUSED, "is not paused")

    def change_speed(self, caller: Caller, speed: float) -> Entry:
        payload = _payload(ClockSpeedChanged, speed=speed)
        return self._control(caller, payload, lambda c: c.live, "is not running or paused")

    def end(self, caller: Caller) -> Entry:
        return self._control(caller, ClockEnded(), lambda c: c.live, "is not running or paused")

    def _control(self, caller: Caller, payload: Payload, ok: Callable[[Clock], bool], otherwise: str) -> Entry:
        self._load(caller.exercise_id)
        require(caller, Permission.RUN_CLOCK)

        def build(ctx: _Context) -> list[NewEntry]:
            if not ok(ctx.clock):
                raise ExerciseInputError(f"the exercise {otherwise} (it is {ctx.clock.status.value})")
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    # --- injects (controllers) ------------------------------------------------------------

    def release_inject(self, caller: Caller, inject_id: str) -> Entry:
        """Deliver an inject now: a held one, or one ahead of its MSEL time."""
        self._load(caller.exercise_id)
        require(caller, Permission.MANAGE_INJECTS)

        def build(ctx: _Context) -> list[NewEntry]:
            self._pending_inject(ctx, inject_id, "release")
            if not ctx.clock.live:
                raise ExerciseInputError(f"injects are released while the exercise runs (it is {ctx.clock.status.value})")
            released = {e.payload.inject_id for e in ctx.entries if isinstance(e.payload, InjectReleased)}
            held = self._held(ctx)
            if inject_id in released and inject_id not in held:
                raise ExerciseInputError(f"inject {inject_id} is already released")
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=InjectReleased(inject_id=inject_id))]

        return self._write(caller, build)[-1]

    def hold_inject(self, caller: Caller, inject_id: str, *, reason: str = "") -> Entry:
        self._load(caller.exercise_id)
        require(caller, Permission.MANAGE_INJECTS)
        payload = _payload(InjectHeld, inject_id=inject_id, reason=reason)

        def build(ctx: _Context) -> list[NewEntry]:
            self._pending_inject(ctx, inject_id, "hold")
            if inject_id in self._held(ctx):
                raise ExerciseInputError(f"inject {inject_id} is already held")
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def add_inject(self, caller: Caller, inject: Inject) -> Entry:
        """Add an inject that is not on the MSEL; one whose time has passed is delivered now."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.MANAGE_INJECTS)
        self._check_inject(loaded.scenario, inject)

        def build(ctx: _Context) -> list[NewEntry]:
            if ctx.clock.status is ClockStatus.ENDED:
                raise ExerciseInputError("the exercise has ended")
            if inject.id in ctx.injects():
                raise ExerciseInputError(f"there is already an inject {inject.id}")
            timed = inject.model_copy(update={"time": max(inject.time, ctx.at)})
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=InjectAdded(inject=timed))]

        return self._write(caller, build)[-1]

    def _pending_inject(self, ctx: _Context, inject_id: str, verb: str) -> None:
        injects = ctx.injects()
        if inject_id not in injects:
            raise ExerciseInputError(f"unknown inject {inject_id!r}{_hint(inject_id, list(injects))}")
        if ctx.clock.status is ClockStatus.ENDED:
            raise ExerciseInputError("the exercise has ended")
        for e in ctx.entries:
            p = e.payload
            if isinstance(p, InjectDelivered) and p.inject_id == inject_id:
                raise ExerciseInputError(f"cannot {verb} inject {inject_id}: it was delivered")
            if isinstance(p, InjectSkipped) and p.inject_id == inject_id:
                raise ExerciseInputError(f"cannot {verb} inject {inject_id}: it was skipped")

    @staticmethod
    def _held(ctx: _Context) -> set[str]:
        held: set[str] = set()
        for e in ctx.entries:
            if isinstance(e.payload, InjectHeld):
                held.add(e.payload.inject_id)
            elif isinstance(e.payload, InjectReleased):
                held.discard(e.payload.inject_id)
        return held

    def _check_inject(self, scenario: Scenario, inject: Inject) -> None:
        agencies = [a.id for a in scenario.agencies]
        problems = []
        if inject.from_ not in agencies and inject.from_ not in SENDERS_OTHER_THAN_AGENCIES:
            problems.append(f"from: unknown agency {inject.from_!r}{_hint(inject.from_, agencies)}")
        problems += [f"to: unknown agency {a!r}{_hint(a, agencies)}" for a in inject.to if a not in agencies]
        vocab = list(scenario.vocabulary)
        problems += [
            f"expected action {a!r} is not in the vocabulary{_hint(a, vocab)}"
            for a in inject.expected_actions
            if a not in vocab
        ]
        if inject.objective and inject.objective not in {o.id for o in scenario.objectives}:
            problems.append(f"unknown objective {inject.objective!r}")
        if inject.condition:
            if inject.condition.action not in vocab:
                problems.append(f"condition: action {inject.condition.action!r} is not in the vocabulary")
            if inject.condition.by_agency and inject.condition.by_agency not in agencies:
                problems.append(f"condition: unknown agency {inject.condition.by_agency!r}")
        events = scenario.event_names
        problems += [f"raises unknown event {e!r}{_hint(e, list(events))}" for e in inject.raises if e not in events]
        links = {link.key for link in scenario.links}
        if inject.effect:
            for pair in (inject.effect.link_down, inject.effect.link_up):
                if pair is not None and frozenset(pair) not in links:
                    problems.append(f"effect: there is no link between {pair[0]!r} and {pair[1]!r}")
        if problems:
            raise ExerciseInputError(f"inject {inject.id}: " + "; ".join(problems))

    # --- what agencies do (players for their agency; controllers for any) ------------------

    def _acting_agency(self, caller: Caller, scenario: Scenario, agency: str | None) -> str:
        agency = agency or caller.agency
        if agency is None:
            raise ExerciseInputError("name the agency to act for")
        require(caller, Permission.ACT_FOR_AGENCY, agency=agency)
        self._agency(scenario, agency)
        return agency

    @staticmethod
    def _agency(scenario: Scenario, agency: str) -> None:
        ids = [a.id for a in scenario.agencies]
        if agency not in ids:
            raise ExerciseInputError(f"unknown agency {agency!r}{_hint(agency, ids)}")

    @staticmethod
    def _require_live(ctx: _Context) -> None:
        if not ctx.clock.live:
            state = "has not started" if ctx.clock.status is ClockStatus.NOT_STARTED else "has ended"
            raise ExerciseInputError(f"the exercise {state}")

    def log_action(
        self,
        caller: Caller,
        action: str,
        *,
        agency: str | None = None,
        text: str = "",
        inject_id: str | None = None,
    ) -> Entry:
        """Log an action of the scenario's vocabulary, optionally in answer to an inject."""
        scenario = self._load(caller.exercise_id).scenario
        acting = self._acting_agency(caller, scenario, agency)
        vocab = scenario.vocabulary
        if action not in vocab:
            raise ExerciseInputError(f"action {action!r} is not in the scenario's vocabulary{_hint(action, list(vocab))}")
        payload = _payload(ActionLogged, action=action, text=text, inject_id=inject_id)

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_live(ctx)
            if inject_id is not None and inject_id not in ctx.injects():
                raise ExerciseInputError(f"unknown inject {inject_id!r}{_hint(inject_id, list(ctx.injects()))}")
            return [NewEntry(at=ctx.at, agency=acting, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def send_message(self, caller: Caller, to: str, text: str, *, agency: str | None = None) -> Entry:
        """Send a message along the agency network; the engine delivers it (or reports it lost)."""
        scenario = self._load(caller.exercise_id).scenario
        sender = self._acting_agency(caller, scenario, agency)
        self._agency(scenario, to)
        if to == sender:
            raise ExerciseInputError("a message goes to another agency")
        if not text.strip():
            raise ExerciseInputError("a message needs text")
        _payload(MessageSent, message_id="M1", to=to, text=text)

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_live(ctx)
            payload = MessageSent(message_id=f"M{ctx.next_seq}", to=to, text=text)
            return [NewEntry(at=ctx.at, agency=sender, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def request_resource(
        self,
        caller: Caller,
        to: str,
        unit_type: str,
        count: int,
        *,
        agency: str | None = None,
        text: str = "",
    ) -> Entry:
        scenario = self._load(caller.exercise_id).scenario
        requester = self._acting_agency(caller, scenario, agency)
        self._agency(scenario, to)
        if to == requester:
            raise ExerciseInputError("a resource request goes to another agency")
        units = sorted({u for a in scenario.agencies for u in a.resources})
        if unit_type not in units:
            raise ExerciseInputError(f"unknown unit type {unit_type!r}{_hint(unit_type, units)}")
        _payload(ResourceRequested, request_id="R1", to=to, unit_type=unit_type, count=count, text=text)

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_live(ctx)
            payload = ResourceRequested(request_id=f"R{ctx.next_seq}", to=to, unit_type=unit_type, count=count, text=text)
            return [NewEntry(at=ctx.at, agency=requester, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    # --- evaluation and the record ----------------------------------------------------------

    def record_observation(
        self,
        caller: Caller,
        capability: str,
        *,
        agency: str | None = None,
        objective: str | None = None,
        critical_task: str = "",
        rating: Rating | str | None = None,
        strengths: str = "",
        areas_for_improvement: str = "",
        text: str = "",
    ) -> Entry:
        """An evaluator's observation against a capability, optionally of one agency, rated P/S/M/U."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.RECORD_OBSERVATION)
        if agency is not None:
            self._agency(scenario, agency)
        if objective is not None and objective not in {o.id for o in scenario.objectives}:
            ids = [o.id for o in scenario.objectives]
            raise ExerciseInputError(f"unknown objective {objective!r}{_hint(objective, ids)}")
        payload = _payload(
            ObservationRecorded,
            capability=capability,
            objective=objective,
            critical_task=critical_task,
            rating=rating,
            strengths=strengths,
            areas_for_improvement=areas_for_improvement,
            text=text,
        )

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, agency=agency, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def edit_improvement_item(self, caller: Caller, item_key: str, fields: Mapping[str, str]) -> Entry:
        """A controller's edit of one Improvement Plan row (HSEEP AAR/IP Appendix A)."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.EDIT_IMPROVEMENT_PLAN)
        if not fields:
            raise ExerciseInputError("an improvement plan edit changes at least one field")
        for key, value in fields.items():
            if key not in IMPROVEMENT_FIELDS:
                raise ExerciseInputError(
                    f"unknown improvement plan field {key!r}{_hint(key, IMPROVEMENT_FIELDS)}; "
                    f"fields are {', '.join(IMPROVEMENT_FIELDS)}"
                )
            if key == "element" and value not in CAPABILITY_ELEMENTS:
                raise ExerciseInputError(f"element must be one of {', '.join(CAPABILITY_ELEMENTS)}")
            if key == "responsible_agency":
                self._agency(scenario, value)
            if key == "capability" and value not in CORE_CAPABILITIES:
                raise ExerciseInputError(f"{value!r} is not a core capability{_hint(value, list(CORE_CAPABILITIES))}")
            if key.endswith("_date") and value:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise ExerciseInputError(f"{key} must be a date like 2025-06-30, not {value!r}") from None
        payload = _payload(ImprovementItemEdited, item_key=item_key, fields=dict(fields))

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def correct(
        self,
        caller: Caller,
        seq: int,
        reason: str,
        *,
        replacement: ActionLogged | ObservationRecorded | None = None,
    ) -> Entry:
        """Void entry ``seq``, or replace it: a new Correction entry that points at it."""
        scenario = self._load(caller.exercise_id).scenario
        if caller.role not in {Role.CONTROLLER, Role.PLAYER, Role.EVALUATOR}:
            require(caller, Permission.CORRECT_ENTRY)
        if not reason.strip():
            raise ExerciseInputError("a correction needs a reason")
        payload = _payload(Correction, corrects=seq, reason=reason, replacement=replacement)
        if isinstance(replacement, ActionLogged) and replacement.action not in scenario.vocabulary:
            raise ExerciseInputError(f"action {replacement.action!r} is not in the scenario's vocabulary")
        objectives = {o.id for o in scenario.objectives}
        if isinstance(replacement, ObservationRecorded) and replacement.objective not in (None, *objectives):
            raise ExerciseInputError(f"unknown objective {replacement.objective!r}")

        def build(ctx: _Context) -> list[NewEntry]:
            if not 1 <= seq < ctx.next_seq:
                raise ExerciseInputError(f"there is no entry {seq}")
            target = ctx.entries[seq - 1]
            if isinstance(target.payload, Correction):
                raise ExerciseInputError(f"entry {seq} is itself a correction: correct entry {target.payload.corrects}")
            if target.actor == ENGINE_ACTOR or target.kind not in CORRECTABLE_KINDS:
                raise ExerciseInputError(
                    f"entry {seq} ({target.kind.value}) cannot be corrected: only logged actions and "
                    "observations can (what the clock and the simulation did stands)"
                )
            if not may_correct(caller, target.kind, target.agency, target.actor):
                who = f"a player for {caller.agency}" if caller.agency else f"the {caller.role.value} role"
                raise AccessDenied(f"{who} may not correct entry {seq} ({target.kind.value})")
            if replacement is not None and replacement.kind != target.kind:
                raise ExerciseInputError(f"entry {seq} is {target.kind.value}; its replacement must be one too")
            if (
                isinstance(replacement, ActionLogged)
                and replacement.inject_id is not None
                and replacement.inject_id not in ctx.injects()
            ):
                raise ExerciseInputError(f"unknown inject {replacement.inject_id!r}")
            return [NewEntry(at=ctx.at, agency=target.agency, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    # --- live mode ------------------------------------------------------------------------

    def tick(self, caller: Caller) -> list[Entry]:
        """Advance the simulation to the exercise clock (the console calls this every 2 s).

        Under the lock, like every write: an engine run outside it could reach past the time of
        an external entry another process is committing, and the engine would then have to
        replay the whole journal. A tick that produces nothing writes nothing."""
        self._load(caller.exercise_id)
        require(caller, Permission.ADVANCE)
        if not derive_clock(self._snapshot(caller.exercise_id)[1]).live:
            return []
        return self._write(caller, lambda ctx: [])

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
            agencies=tuple(AgencyBrief(id=a.id, name=a.name, kind=a.kind.value, played_by=a.played_by) for a in sc.agencies),
            links=tuple((link.between[0], link.between[1], link.channel.value) for link in sc.links),
            vocabulary=sc.vocabulary,
            objectives={o.id: o.text for o in sc.objectives},
            my_agency=caller.agency,
            my_resources=dict(mine),
            unit_types=tuple(sorted({u for a in sc.agencies for u in a.resources})),
        )

    def scenario(self, caller: Caller) -> Scenario:
        """The exercise's scenario snapshot (with the MSEL: not for players)."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        return loaded.scenario

    def journal(self, caller: Caller) -> list[Entry]:
        """Every entry, for the after-action report and the dashboard."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        return self._snapshot(caller.exercise_id)[0]

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
        return views.inbox(loaded.scenario, self._snapshot(caller.exercise_id)[0], agency)

    def agency_log(self, caller: Caller, agency: str | None = None) -> list[TimelineItem]:
        """What an agency did: its actions, messages, requests and their corrections."""
        loaded = self._load(caller.exercise_id)
        agency = self._reader_agency(caller, loaded.scenario, agency)
        return views.agency_log(loaded.scenario, self._snapshot(caller.exercise_id)[0], agency)

    def protocol_clock(self, caller: Caller, agency: str | None = None) -> list[ProtocolInstance]:
        """Every protocol instance (due at; pending, overdue, met, late, missed). A player sees
        only its own agency's; others see all, or one agency's when they name it."""
        loaded = self._load(caller.exercise_id)
        if agency is None and caller.agency is None:
            require(caller, Permission.READ_ALL)
        else:
            agency = self._reader_agency(caller, loaded.scenario, agency)
        entries, marks = self._snapshot(caller.exercise_id)
        clock = derive_clock(marks)
        last_at = entries[-1].at if entries else 0.0
        now = max(clock.now(self._wall()), last_at)
        instances = views.protocol_clock(
            loaded.scenario, entries, now, ended=clock.status is ClockStatus.ENDED
        )
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

    def verify(self, caller: Caller) -> Verification:
        """Walk the hash chain in the database (never the cache) and name the first broken entry."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        with self.db.reading() as session:
            return journal.verify(session, caller.exercise_id)

    def export(self, caller: Caller, fmt: str) -> str:
        """The journal as stored: JSON Lines (re-verifiable) or CSV (spreadsheet-safe)."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        if fmt not in EXPORT_FORMATS:
            raise ExerciseInputError(f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
        with self.db.reading() as session:
            rows = journal.read_rows(session, caller.exercise_id)
        return csv_io.export_jsonl(rows) if fmt == "jsonl" else csv_io.export_csv(rows, loaded.scenario)

    # --- the write protocol -----------------------------------------------------------------

    def _write(
        self,
        caller: Caller,
        build: Callable[[_Context], list[NewEntry]],
    ) -> list[Entry]:
        ex_id = caller.exercise_id
        loaded = self._load(ex_id)
        self._warm_engine(ex_id, loaded)

        def attempt(session: Session) -> tuple[list[Entry], float]:
            self.db.lock_exercise(session, ex_id)
            head = journal.read_head(session, ex_id)
            if head is None:
                raise ExerciseInputError(f"no exercise {ex_id}")
            entries, marks = self._read_through(session, ex_id, head.last_seq)
            wall = self._wall()
            clock = derive_clock(marks)
            at = max(clock.now(wall), head.last_at)
            simulated: Sequence[NewEntry] = ()
            if clock.live:
                simulated = self._checked_advance(loaded, entries, at, head.last_at)
            provisional = [_as_entry(n, head.last_seq + i + 1) for i, n in enumerate(simulated)]
            ctx = _Context(loaded.scenario, [*entries, *provisional], clock, at, head.last_seq + len(simulated) + 1)
            external = build(ctx)
            return journal.append(session, ex_id, head, [*simulated, *external], wall), wall

        appended, wall = self._transaction(attempt)
        self._remember(ex_id, appended, wall)
        return appended

    def _transaction(self, work: Callable[[Session], T]) -> T:
        for tries in range(LOCK_RETRIES):
            try:
                with self.db.writing() as session:
                    result = work(session)
                    session.commit()
                    return result
            except DBAPIError as exc:
                if not is_lock_error(exc) or tries == LOCK_RETRIES - 1:
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (tries + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _warm_engine(self, exercise_id: int, loaded: _Loaded) -> None:
        """The first engine call in a process replays the whole journal (measured: ~200 ms for a
        fresh exercise); make it here, outside the lock, so that the call under the lock only
        continues from it. Only up to the last entry's time: every later external entry is
        stamped at or after it, so the engine's run never gets ahead of the journal."""
        with self._guard:
            if exercise_id in self._warmed:
                return
            turn = self._warming.setdefault(exercise_id, threading.Lock())
        with turn:  # the process's other threads wait here, not under the database lock
            if exercise_id in self._warmed:
                return
            entries, marks = self._snapshot(exercise_id)
            if derive_clock(marks).live and entries:
                self._checked_advance(loaded, entries, entries[-1].at, entries[-1].at)
                with self._guard:
                    self._warmed.add(exercise_id)

    def _checked_advance(self, loaded: _Loaded, entries: list[Entry], until: float, last_at: float) -> list[NewEntry]:
        """The engine's entries up to ``until``, held to its contract before they reach the journal."""
        out = []
        previous = last_at
        for item in self._advance(loaded.scenario, loaded.seed, list(entries), until):
            entry = NewEntry(at=item.at, agency=item.agency, actor=item.actor, payload=item.payload)
            if entry.actor != ENGINE_ACTOR:
                raise JournalError(f"the engine returned an entry whose actor is {entry.actor!r}, not {ENGINE_ACTOR!r}")
            if not previous <= entry.at <= until:
                raise JournalError(
                    f"the engine returned an entry at {entry.at:.3f} s outside [{previous:.3f}, {until:.3f}] s"
                )
            previous = entry.at
            out.append(entry)
        return out

    # --- what this process has seen -----------------------------------------------------------

    def _seen_for(self, exercise_id: int) -> _Seen:
        with self._guard:
            return self._seen.setdefault(exercise_id, _Seen())

    def _read_through(
        self, session: Session, exercise_id: int, upto: int | None = None
    ) -> tuple[list[Entry], list[tuple[Entry, float]]]:
        """Committed entries (up to seq ``upto``) and the clock's marks among them, reading only
        the rows this process lacks."""
        seen = self._seen_for(exercise_id)
        with seen.lock:
            have = len(seen.entries)
            if upto is None or upto > have:
                for row in journal.read_rows(session, exercise_id, after_seq=have):
                    if row.seq != len(seen.entries) + 1:
                        raise JournalError(f"exercise {exercise_id}: entry {len(seen.entries) + 1} is missing; run verify")
                    self._add(seen, journal.to_entry(row), row.wall_time)
            n = len(seen.entries) if upto is None else upto
            return seen.entries[:n], [m for m in seen.marks if m[0].seq <= n]

    @staticmethod
    def _add(seen: _Seen, entry: Entry, wall: float) -> None:
        seen.entries.append(entry)
        if entry.kind in CLOCK_KINDS:
            seen.marks.append((entry, wall))

    def _snapshot(self, exercise_id: int) -> tuple[list[Entry], list[tuple[Entry, float]]]:
        with self.db.reading() as session:
            return self._read_through(session, exercise_id)

    def _remember(self, exercise_id: int, appended: list[Entry], wall: float) -> None:
        if not appended:
            return
        seen = self._seen_for(exercise_id)
        with seen.lock:
            if len(seen.entries) + 1 == appended[0].seq:
                for entry in appended:
                    self._add(seen, entry, wall)

    def _load(self, exercise_id: int) -> _Loaded:
        """The exercise's scenario snapshot and seed (immutable, so read once per process)."""
        with self._guard:
            loaded = self._loaded.get(exercise_id)
        if loaded is not None:
            return loaded
        with self.db.reading() as session:
            row = session.get(Exercise, exercise_id)
        if row is None:
            raise ExerciseInputError(f"no exercise {exercise_id}")
        loaded = _Loaded(Scenario.model_validate_json(row.scenario_json), row.seed, row.name)
        with self._guard:
            self._loaded[exercise_id] = loaded
        return loaded

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _new_secret() -> tuple[str, str]:
        pick = secrets.choice
        return (
            "".join(pick(CODE_ALPHABET) for _ in range(SELECTOR_LENGTH)),
            "".join(pick(CODE_ALPHABET) for _ in range(SECRET_LENGTH)),
        )

    @staticmethod
    def _format_code(selector: str, secret: str) -> str:
        groups = [secret[i : i + 4] for i in range(0, len(secret), 4)]
        return "-".join([selector, *groups])

    @staticmethod
    def _public(ex: Exercise, scenario_name: str, status: ClockStatus, entries: int) -> ExercisePublic:
        assert ex.id is not None
        return ExercisePublic(
            id=ex.id,
            name=ex.name,
            seed=ex.seed,
            scenario_id=ex.scenario_id,
            scenario_name=scenario_name,
            created_at=wall_datetime(ex.created_at),
            entries=entries,
            status=status.value,
        )


def _as_entry(item: NewEntry, seq: int) -> Entry:
    return Entry(seq=seq, at=item.at, agency=item.agency, actor=item.actor, payload=item.payload)

