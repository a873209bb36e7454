"""Opening exercises and handing out access: whoever runs the app (the command line, the
console's set-up page) creates or imports an exercise; access codes sign callers in."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from exercises.access import (
    AccessDenied,
    Caller,
    ExerciseInputError,
    Permission,
    Role,
    require,
)
from exercises.documents import csv_io
from exercises.documents.incident_log import IncidentLog, RealClock, parse_incident_log
from exercises.record import evidence, journal
from exercises.record.entries import (
    Entry,
    EntryKind,
    NewEntry,
    storable,
)
from exercises.record.lineage import BranchPoint
from exercises.scenario.loading import ScenarioError
from exercises.scenario.model import PlayedBy, Scenario
from exercises.service.details import ContactPerson, ExerciseDetails, RecordKind, details_entry, zone
from exercises.service.store import ExerciseStore, _as_entry
from exercises.storage.tables import (
    MAX_SEED,
    Exercise,
    ExercisePublic,
    JournalCheckpoint,
    JournalEntry,
    Participant,
    ParticipantPublic,
    wall_datetime,
)
from exercises.views import (
    CLOCK_KINDS,
    ClockStatus,
    derive_clock,
)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U, so a code read aloud or copied from paper survives."""
SELECTOR_LENGTH = 6
SECRET_LENGTH = 16
"""80 random bits: far beyond guessing, and hashed with argon2id besides."""


# --- results ---------------------------------------------------------------------------


class WrongAccessCode(AccessDenied):
    """The code is not one: no grant has its selector, or its secret is wrong. The sign-in throttle
    counts these and nothing else (an expired code of a closed exercise is refused, not wrong)."""


@dataclass(frozen=True)
class AccessCode:
    """An access code as issued: shown once, never stored in the clear."""

    role: Role
    agency: str | None
    code: str
    agency_name: str | None = None
    """The agency's name in the scenario: what the printed codes say."""

    @property
    def label(self) -> str:
        """Who the code is for, by name: "Player for Riverton Police Department", "Evaluator"."""
        role = self.role.value.capitalize()
        return f"{role} for {self.agency_name or self.agency}" if self.agency else role


@dataclass(frozen=True)
class CreatedExercise:
    exercise: ExercisePublic
    codes: tuple[AccessCode, ...]
    key_fingerprint: str = ""
    """The fingerprint of the key pinned for the record at its creation: printed on the access-code
    sheet and in the AAR, so anyone can compare it with the one ``hotwash verify`` names."""


def normalise_code(code: str) -> str:
    """Upper-case, without spaces and hyphens, with the letters people confuse mapped."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -\t\r\n")
    return cleaned.translate(str.maketrans("ILO", "110"))


class Setup(ExerciseStore):
    """Exercises and their access codes."""

    def create_exercise(
        self,
        scenario: Scenario,
        *,
        name: str | None = None,
        seed: int | None = None,
        real_start: datetime | None = None,
        timezone: str | None = None,
        contacts: Sequence[ContactPerson] = (),
    ) -> CreatedExercise:
        """Open an exercise on a snapshot of ``scenario`` and issue its access codes (shown once):
        one each for controller, evaluator and observer, and one per agency played by players.
        ``real_start`` (timezone-aware) is when exercise time 0:00 is on the wall clock."""
        details = ExerciseDetails("exercise", real_start, timezone, tuple(contacts))
        return self._create(scenario, name, seed, [], details)

    def import_exercise(
        self,
        scenario: Scenario,
        action_log: bytes | str | IncidentLog,
        *,
        name: str | None = None,
        seed: int | None = None,
        source: str = "action log",
        real_start: datetime | None = None,
        timezone: str | None = None,
        record_kind: RecordKind = "exercise",
    ) -> CreatedExercise:
        """A finished exercise from a log kept elsewhere: a CSV action log (``csv_io``), or a whole
        incident log already read (``incident_log.IncidentLog``: actions, messages, links, requests).
        With ``real_start`` and ``timezone`` a CSV log's times are the incident's clock times; a real
        incident's log is imported with ``record_kind="real_incident"``."""
        if real_start is not None and real_start.tzinfo is None and timezone:
            real_start = real_start.replace(tzinfo=zone(timezone))
        if isinstance(action_log, IncidentLog):
            entries = action_log.entries
        elif real_start is not None or timezone is not None:
            entries = self._clock_log(scenario, action_log, source, real_start, timezone)
        else:
            actions = csv_io.parse_action_log(action_log, scenario, source=source)
            entries = csv_io.imported_journal(scenario, actions)
        details = ExerciseDetails(record_kind, real_start, timezone)
        return self._create(scenario, name or f"{scenario.name} (imported)", seed, entries, details)

    @staticmethod
    def _clock_log(
        scenario: Scenario, log: bytes | str, source: str, real_start: datetime | None, timezone: str | None
    ) -> list[NewEntry]:
        if real_start is None or timezone is None:
            raise ExerciseInputError("a real start needs both the date and clock time and the time zone")
        try:
            clock = RealClock.parse(real_start, timezone)
            raw = log.encode() if isinstance(log, str) else log
            return parse_incident_log(scenario, {"actions": (source, raw)}, clock).entries
        except ValueError as exc:
            raise ExerciseInputError(str(exc)) from None
        except ScenarioError as exc:
            raise ExerciseInputError(str(exc)) from None

    def _create(
        self, scenario: Scenario, name: str | None, seed: int | None, entries: Sequence[NewEntry],
        details: ExerciseDetails | None = None, *, branch_of: BranchPoint | None = None,
        walls: Sequence[float] | None = None,
    ) -> CreatedExercise:
        """``branch_of``: the parent moment a branch's genesis names, its ``entries`` the inherited
        ones (with their parent's wall times ``walls``) then its own (``exercises.service.branching``)."""
        name = _exercise_name(scenario.name if name is None else name.strip())
        # Before anything is written: a key that cannot be used stops here. A key is made only for a
        # fresh installation, never again silently once this database holds signed checkpoints.
        signer = self._signer(may_create=not self._any_checkpoint())
        entries, walls = self._with_details(entries, walls, details, branch_of is not None)
        seed = _seed(seed)
        snapshot = scenario.model_dump_json(by_alias=True)
        if Scenario.model_validate_json(snapshot) != scenario:
            raise ExerciseInputError("this scenario does not survive being stored; it cannot be run")
        grants = _grants(scenario)
        secrets_ = [self._new_secret() for _ in grants]
        with ThreadPoolExecutor(max_workers=4) as pool:
            hashes = list(pool.map(self._hasher.hash, [secret for _, secret in secrets_]))

        def create(session: Session) -> tuple[Exercise, dict[str, Any], dict[str, Any] | None]:
            now = self._wall()
            exercise = journal.new_exercise(
                session, name=name, seed=seed, scenario_id=scenario.id, scenario_json=snapshot, now=now,
                branch_of=None if branch_of is None else branch_of.covered(),
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
            journal.append(session, exercise.id, head, entries, now, walls)
            signed = journal.read_head(session, exercise.id)
            assert signed is not None
            cp = evidence.sign_head(
                session, signer, exercise_id=exercise.id, genesis=exercise.genesis_hash, seq=signed.last_seq,
                head=signed.hash, now=now, reason="created",
            )
            return exercise, journal.exercise_metadata(exercise), None if cp is None else evidence.signed_object(cp)

        exercise, metadata, first = self._transaction(create)
        assert exercise.id is not None
        # Pinned once committed (a pin of a record that was never written would vouch for nothing).
        self.keys.pin(metadata, exercise.genesis_hash, signer.public, exercise.created_at, "created")
        self.keys.keep_heads([first] if first else [])
        self._signed[exercise.id] = (len(entries), exercise.created_at)
        codes = tuple(
            AccessCode(role, agency, self._format_code(selector, secret),
                       scenario.agency(agency).name if agency else None)
            for (role, agency), (selector, secret) in zip(grants, secrets_, strict=True)
        )
        clock = derive_clock(
            (_as_entry(e, i + 1), exercise.created_at) for i, e in enumerate(entries) if e.kind in CLOCK_KINDS
        )
        return CreatedExercise(
            self._public(exercise, scenario.name, clock.status, len(entries)), codes, signer.public.fingerprint
        )

    def _with_details(
        self, entries: Sequence[NewEntry], walls: Sequence[float] | None, details: ExerciseDetails | None,
        branch: bool,
    ) -> tuple[list[NewEntry], list[float] | None]:
        """The entries with the one recording the details: first (at 0:00) in a new or imported
        exercise; in a branch, after the inherited entries (which keep any their parent recorded)."""
        made = details_entry(details or ExerciseDetails(), 0.0, Role.CONTROLLER.value)
        if made is None:
            return list(entries), None if walls is None else list(walls)
        if not branch:
            return [made, *entries], None if walls is None else [self._wall(), *walls]
        at = max((e.at for e in entries), default=0.0)
        made = made.model_copy(update={"at": at})
        return [*entries, made], None if walls is None else [*walls, self._wall()]

    def pin_key(self, caller: Caller) -> str:
        """Pin this installation's key for a record made before keys were pinned (chain format 2),
        when every checkpoint of it is signed with that key and it verifies under it; returns the
        key id. Recorded in the witness file, as the pins made at creation are."""
        require(caller, Permission.RUN_CLOCK)
        key = self._signer().public
        with self.db.reading() as session:
            row = session.get(Exercise, caller.exercise_id, populate_existing=True)
            if row is None:
                raise ExerciseInputError(f"no exercise {caller.exercise_id}")
            rows = journal.read_rows(session, caller.exercise_id)
            checkpoints = evidence.read_checkpoints(session, caller.exercise_id)
        if row.chain_format < 2:
            raise ExerciseInputError("this record is from before signed checkpoints: no key can vouch for it")
        result = evidence.check(row, rows, checkpoints, evidence.Trust({key.key_id: key}, None))
        if not result.ok:
            raise ExerciseInputError(f"the record does not verify under this installation's key: {result.problem}")
        self.keys.pin(journal.exercise_metadata(row), row.genesis_hash, key, self._wall(), "pinned later")
        return key.key_id

    def _any_checkpoint(self) -> bool:
        with self.db.reading() as session:
            return session.exec(select(JournalCheckpoint.id).limit(1)).first() is not None

    def exercise_name(self, caller: Caller) -> str:
        """The name the caller's exercise was given (what a person reads, never its number)."""
        with self.db.reading() as session:
            found = session.get(Exercise, caller.exercise_id)
            return found.name if found is not None else ""

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
            out.append(
                self._public(ex, scenario_name, derive_clock(marks.get(ex.id, [])).status, ex.last_seq)
            )
        return out

    def participants(self, caller: Caller) -> list[ParticipantPublic]:
        """The access grants of an exercise (never their secrets)."""
        self._load(caller.exercise_id)
        require(caller, Permission.SEE_ACCESS)
        with self.db.reading() as session:
            rows = session.exec(
                select(Participant)
                .where(Participant.exercise_id == caller.exercise_id)
                .order_by(col(Participant.id))
            ).all()
        return [ParticipantPublic(role=p.role, agency=p.agency, selector=p.selector) for p in rows]

    # --- access -------------------------------------------------------------------------

    def sign_in(self, code: str, *, name: str | None = None) -> Caller:
        """The caller an access code stands for; ``AccessDenied`` for any code that is not one."""
        cleaned = normalise_code(code)
        refused = WrongAccessCode("unknown or wrong access code")
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
        role = Role(grant.role)
        ended = self._ended_at(grant.exercise_id)
        if ended is not None and self._wall() > ended + self.access_after_end:
            until = wall_datetime(ended + self.access_after_end).strftime("%Y-%m-%d %H:%M UTC")
            raise AccessDenied(f"this exercise has ended and its access codes expired on {until}")
        read_only = ended is not None and role in (Role.PLAYER, Role.OBSERVER)
        return Caller(grant.exercise_id, role, grant.agency, name.strip() if name else None, read_only=read_only)

    def _ended_at(self, exercise_id: int) -> float | None:
        """Wall time of the exercise's end, or None while it has not ended."""
        self._load(exercise_id)
        marks = self._snapshot(exercise_id)[1]
        if derive_clock(marks).status is not ClockStatus.ENDED:
            return None
        return next(wall for entry, wall in reversed(marks) if entry.kind is EntryKind.CLOCK_ENDED)

    def operator(self, exercise_id: int) -> Caller:
        """A controller caller for whoever holds the database (the command line)."""
        self._load(exercise_id)
        return Caller.operator(exercise_id)

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
        point = BranchPoint.of(ex)
        return ExercisePublic(
            id=ex.id,
            name=ex.name,
            seed=ex.seed,
            scenario_id=ex.scenario_id,
            scenario_name=scenario_name,
            created_at=wall_datetime(ex.created_at),
            entries=entries,
            status=status.value,
            branched_from=point.parent if point else None,
            branched_at=point.at if point else None,
        )


def _exercise_name(name: str) -> str:
    """The exercise's name as given, or why it cannot be one."""
    if not 0 < len(name) <= 200:
        raise ExerciseInputError("an exercise name must be 1 to 200 characters")
    if not name.isprintable():
        # NUL and other control characters: PostgreSQL refuses NUL, SQLite would keep it.
        raise ExerciseInputError("an exercise name must be printable characters (no control characters)")
    try:
        storable(name)
    except ValueError as exc:
        raise ExerciseInputError(f"an exercise name {exc}") from None
    return name


def _seed(seed: int | None) -> int:
    """The seed given (checked), or a fresh one."""
    if seed is None:
        return secrets.randbelow(MAX_SEED + 1)
    if not 0 <= seed <= MAX_SEED:
        raise ExerciseInputError(f"a seed must be between 0 and {MAX_SEED}")
    return seed


def _grants(scenario: Scenario) -> list[tuple[Role, str | None]]:
    """The access codes an exercise gets: a controller, an evaluator, an observer, and a player for each
    agency played by people."""
    grants: list[tuple[Role, str | None]] = [(Role.CONTROLLER, None), (Role.EVALUATOR, None), (Role.OBSERVER, None)]
    return grants + [(Role.PLAYER, a.id) for a in scenario.agencies if a.played_by is PlayedBy.PLAYERS]
