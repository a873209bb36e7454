"""The database tables (SQLModel), split by role as SQLModel's docs do: a table model, what a
caller supplies to create one, and what the service hands back (never a secret, never a row).

Kept in an imported module: a console page script that defined a table would fail in its second
browser session ("Table ... is already defined").

Times are stored as float seconds: exercise time (``at``) and wall time as Unix seconds. Floats
survive both SQLite and PostgreSQL exactly, and the journal hashes them in canonical JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

HASH_LENGTH = 64
"""SHA-256 in hex."""
MAX_SEED = 2**31 - 1
"""Seeds are stored as a 32-bit integer, the one integer type both databases share."""


def wall_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# --- exercises ---------------------------------------------------------------------------


class ExerciseBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    seed: int = Field(ge=0, le=MAX_SEED)


class Exercise(ExerciseBase, table=True):
    """One run of a scenario. The scenario is snapshotted here so that later edits to its file do
    not change a past exercise; ``genesis_hash`` binds the journal's chain to that snapshot."""

    __tablename__ = "exercise"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: str = Field(max_length=48)
    scenario_json: str = Field(sa_type=Text)
    scenario_sha256: str = Field(max_length=HASH_LENGTH)
    created_at: float
    genesis_hash: str = Field(max_length=HASH_LENGTH)
    # The journal's head, moved in the same transaction as each append: it is how a deleted last
    # entry is detected (a hash chain alone cannot show a missing tail).
    last_seq: int = Field(default=0, ge=0)
    last_at: float = Field(default=0.0, ge=0)
    head_hash: str = Field(max_length=HASH_LENGTH)
    chain_format: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """1: the genesis covers scenario and seed (exercises recorded before signed checkpoints);
    2: it covers the exercise's metadata too, and the journal has signed checkpoints;
    3: it also covers a random record nonce, and the key is pinned outside the database."""
    # What the record is, and when exercise time 0:00 was on the wall (exercises.service.details).
    record_kind: str = Field(default="exercise", max_length=16)
    real_start: float | None = Field(default=None)
    """Unix seconds of exercise time 0:00, when known."""
    timezone: str | None = Field(default=None, max_length=64)
    """IANA time zone the report shows clock times in."""
    contacts_json: str | None = Field(default=None, sa_type=Text)
    """Points of contact set for the exercise (JSON list), over the scenario's."""
    baseline_json: str | None = Field(default=None, sa_type=Text)
    """The simulated baseline last run for the exercise's scenario (derived data, reproducible
    from the scenario, the number of runs and the seed; kept so the report need not rerun it)."""
    branch_of_json: str | None = Field(default=None, sa_type=Text)
    """For an exercise branched from a moment of another: the parent exercise, the entry, the
    parent's chain hash there and the parent's genesis (canonical JSON; the genesis covers it,
    ``exercises.record.lineage``). None for every other exercise."""
    record_nonce: str | None = Field(default=None, max_length=HASH_LENGTH)
    """Chain format 3: random hex the genesis covers, so no two records share a genesis (the pins
    and the witness file outside the database find a record by it, ``exercises.record.witness``)."""


class ExerciseCreate(ExerciseBase):
    """What a caller chooses when opening an exercise (the scenario is passed alongside)."""


class ExercisePublic(ExerciseBase):
    id: int
    scenario_id: str
    scenario_name: str
    created_at: datetime
    entries: int
    status: str
    """not started, running, paused or ended (from the journal's clock entries)."""
    branched_from: int | None = None
    """For a branch: the exercise it was branched from (``exercises.record.lineage``)."""
    branched_at: float | None = None
    """For a branch: the exercise time it went on from."""


# --- the journal -------------------------------------------------------------------------


class JournalEntry(SQLModel, table=True):
    """One append-only journal row. The code has no path that updates or deletes one."""

    __tablename__ = "journal_entry"
    __table_args__ = (UniqueConstraint("exercise_id", "seq", name="uq_journal_entry_exercise_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: int = Field(foreign_key="exercise.id")
    seq: int = Field(ge=1)
    at: float = Field(ge=0)
    """Exercise time, seconds since the exercise clock started."""
    wall_time: float
    """When the service appended it (Unix seconds)."""
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=200)
    agency: str | None = Field(default=None, max_length=48)
    payload: str = Field(sa_type=Text)
    """The payload as canonical JSON (RFC 8785)."""
    prev_hash: str = Field(max_length=HASH_LENGTH)
    hash: str = Field(max_length=HASH_LENGTH)


class JournalCheckpoint(SQLModel, table=True):
    """A signed statement of a journal's head: "exercise E, genesis G, had N entries ending in
    hash H at time T", signed with a key kept outside the database (``exercises.record.evidence``).
    Each names the one before it (``prev_digest``), so a checkpoint removed from the middle shows."""

    __tablename__ = "journal_checkpoint"
    __table_args__ = (UniqueConstraint("exercise_id", "seq", name="uq_journal_checkpoint_exercise_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: int = Field(foreign_key="exercise.id", index=True)
    seq: int = Field(ge=0)
    """Entries covered: the head's sequence number (0: the empty journal at creation)."""
    head_hash: str = Field(max_length=HASH_LENGTH)
    genesis_hash: str = Field(max_length=HASH_LENGTH)
    signed_at: float
    reason: str = Field(max_length=16)
    prev_digest: str = Field(max_length=HASH_LENGTH)
    key_id: str = Field(max_length=HASH_LENGTH)
    """SHA-256 of the raw public key."""
    public_key: str = Field(max_length=HASH_LENGTH)
    """The raw Ed25519 public key in hex (32 bytes)."""
    signature: str = Field(max_length=128)


# --- participants and access -------------------------------------------------------------


class ParticipantBase(SQLModel):
    role: str = Field(max_length=16)
    agency: str | None = Field(default=None, max_length=48)


class Participant(ParticipantBase, table=True):
    """An access grant: whoever holds the code signs in with this role (and agency).

    The code is ``selector`` + a secret; only the secret's argon2 hash is stored, and the
    selector finds the row without trying every hash."""

    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: int = Field(foreign_key="exercise.id", index=True)
    selector: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=255)
    created_at: float


class ParticipantCreate(ParticipantBase):
    """A grant to issue: a role, and the agency for a player."""


class ParticipantPublic(ParticipantBase):
    selector: str
    """The public first part of the code: names the grant without revealing it."""


# The same tables for SQLAlchemy Core, which the journal's append path uses (it runs under the
# exercise's lock on every append, where the ORM's overhead is measurable).
EXERCISE_TABLE: Table = SQLModel.metadata.tables["exercise"]
JOURNAL_TABLE: Table = SQLModel.metadata.tables["journal_entry"]
CHECKPOINT_TABLE: Table = SQLModel.metadata.tables["journal_checkpoint"]


# --- console sessions, read marks and sign-in throttling (issue 12) ----------------------


class ConsoleSession(SQLModel, table=True):
    """A browser signed in with an access code: the browser holds a random token, this row only
    its SHA-256 (the token has 256 random bits, so a fast hash is enough; the code is never kept)."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=HASH_LENGTH, unique=True)
    exercise_id: int = Field(foreign_key="exercise.id", index=True)
    participant_id: int = Field(foreign_key="participant.id")
    name: str | None = Field(default=None, max_length=60)
    created_at: float
    last_seen: float
    revoked_at: float | None = None
    revoked_why: str | None = Field(default=None, max_length=60)


class ReadMark(SQLModel, table=True):
    """How far a participant (an access grant) has read its inbox: the last journal seq read."""

    __tablename__ = "read_mark"

    participant_id: int = Field(foreign_key="participant.id", primary_key=True)
    seq: int = Field(default=0, ge=0)


class SignInFailure(SQLModel, table=True):
    """One try of an access code, counted as wrong before the code is checked (so concurrent tries
    are counted before any is let through) and deleted again when the code proves right. From which
    address and browser, against which code (its selector, when it named one) and exercise, when.
    A row stops counting after the throttle's window or when it is cleared (``cleared_at``, with
    why: the same browser then typed a right code, or a controller cleared the locks)."""

    __tablename__ = "sign_in_failure"

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    browser: str = Field(default="", max_length=64, index=True)
    selector: str | None = Field(default=None, max_length=16, index=True)
    exercise_id: int | None = Field(default=None, index=True)
    at: float = Field(index=True)
    cleared_at: float | None = Field(default=None)
    cleared_why: str | None = Field(default=None, max_length=120)


class SignInClearance(SQLModel, table=True):
    """A controller cleared an exercise's sign-in locks: who, when, and how many wrong codes
    stopped counting. Kept for good, so the after-the-fact question "who let them in" has an answer."""

    __tablename__ = "sign_in_clearance"

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: int = Field(foreign_key="exercise.id", index=True)
    cleared_by: str = Field(max_length=120)
    at: float
    cleared: int = Field(default=0, ge=0)


# --- the preparedness program and its corrective actions (issue 26) ----------------------


class Program(SQLModel, table=True):
    """A named preparedness program (the Integrated Preparedness Plan's multi-year cycle)."""

    __tablename__ = "program"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    first_year: int
    last_year: int
    created_at: float


class ProgramPriority(SQLModel, table=True):
    """One of a program's priorities: a core capability and why it matters."""

    __tablename__ = "program_priority"
    __table_args__ = (UniqueConstraint("program_id", "capability", name="uq_program_priority_capability"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    position: int
    capability: str = Field(max_length=64)
    why: str = Field(sa_type=Text)


class ProgramExercise(SQLModel, table=True):
    """An exercise of the program's schedule: planned (a date and a type), and once conducted the
    exercise in the database that ran it."""

    __tablename__ = "program_exercise"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    title: str = Field(max_length=200)
    planned_date: str = Field(max_length=10)
    """ISO date (YYYY-MM-DD)."""
    exercise_type: str = Field(max_length=16)
    capabilities_json: str = Field(sa_type=Text)
    """JSON list of the core capabilities (ids) the exercise tests."""
    template_name: str | None = Field(default=None, max_length=200)
    template_version: str | None = Field(default=None, max_length=40)
    exercise_id: int | None = Field(default=None, foreign_key="exercise.id", unique=True)


class ImprovementRecord(SQLModel, table=True):
    """An exercise's finalised improvement plan: the head of its corrective actions' history.

    Like the exercise's own head, it moves in the same transaction as each append, so a deleted
    last change is detected."""

    __tablename__ = "improvement_record"

    exercise_id: int = Field(foreign_key="exercise.id", primary_key=True)
    finalised_at: float
    finalised_by: str = Field(max_length=200)
    genesis_hash: str = Field(max_length=HASH_LENGTH)
    last_seq: int = Field(default=0, ge=0)
    head_hash: str = Field(max_length=HASH_LENGTH)


class CorrectiveActionChange(SQLModel, table=True):
    """One append-only change of a corrective action: who, when, why and the fields it set,
    hash-chained per exercise. The code has no path that updates or deletes one."""

    __tablename__ = "corrective_action_change"
    __table_args__ = (UniqueConstraint("exercise_id", "seq", name="uq_corrective_action_change_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    exercise_id: int = Field(foreign_key="exercise.id", index=True)
    seq: int = Field(ge=1)
    action_key: str = Field(max_length=200)
    wall_time: float
    actor: str = Field(max_length=200)
    why: str = Field(sa_type=Text)
    fields: str = Field(sa_type=Text)
    """The fields set, as canonical JSON (RFC 8785)."""
    prev_hash: str = Field(max_length=HASH_LENGTH)
    hash: str = Field(max_length=HASH_LENGTH)


class ExerciseSummary(SQLModel, table=True):
    """An exercise's scored summary, stored once (derived from scenario + journal, recomputed on
    demand): what program pages and reports trend, without rescoring every journal."""

    __tablename__ = "exercise_summary"

    exercise_id: int = Field(foreign_key="exercise.id", primary_key=True)
    journal_seq: int
    """The journal's head the summary was scored at."""
    journal_head: str = Field(max_length=HASH_LENGTH)
    computed_at: float
    summary_json: str = Field(sa_type=Text)


class ExerciseTemplate(SQLModel, table=True):
    """One version of a named exercise template: a scenario's files (each with its SHA-256), which
    agencies people play, the points of contact, the handling marking and the time zone
    (``exercises.service.templates``). A version is never changed; a new one is saved instead."""

    __tablename__ = "exercise_template"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_exercise_template_name_version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    version: int = Field(ge=1)
    created_at: float
    scenario_id: str = Field(max_length=48)
    scenario_name: str = Field(max_length=200)
    files_json: str = Field(sa_type=Text)
    """JSON list of {path, sha256, content (base64)}: the scenario file first, then its plans and
    its MSEL workbook."""
    players_json: str = Field(sa_type=Text)
    """JSON list of the agencies played by people (every other agency is played by the simulation)."""
    contacts_json: str = Field(default="[]", sa_type=Text)
    marking: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    retired: bool = Field(default=False)
    source_exercise_id: int | None = Field(default=None)
    """The exercise whose set-up was saved, when the template was saved from one."""
