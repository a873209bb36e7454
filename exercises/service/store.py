"""The exercise service's shared base: the database, the write protocol and what this process
has read (the per-process caches). The role classes (``setup``, ``control``, ``play``,
``evaluation``, ``reading``) build on it; ``exercises.service.exercise_service.ExerciseService`` combines them.

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

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from argon2 import PasswordHasher
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from exercises.access import (
    Caller,
    ExerciseInputError,
)
from exercises.record import evidence, journal
from exercises.record.entries import (
    ENGINE_ACTOR,
    Entry,
    EntryKind,
    NewEntry,
    Payload,
    started_behaviour,
)
from exercises.record.evidence import Keys, default_key_path
from exercises.record.journal import JournalError
from exercises.record.prefix import Joined, Prefix
from exercises.scenario.model import Inject, Scenario
from exercises.storage import faults
from exercises.storage.db import Database, is_lock_error, open_database
from exercises.storage.faults import StorageFault
from exercises.storage.tables import (
    Exercise,
)
from exercises.views import (
    CLOCK_KINDS,
    Clock,
    ClockStatus,
    derive_clock,
    known_injects,
)

Advance = Callable[[Scenario, int, Sequence[Entry], float], Sequence[NewEntry]]
"""``sim_engine.live.advance``'s contract: given the scenario, the seed, the whole journal and a
target exercise time, the simulated entries not yet in the journal with ``at <= until``."""

P = TypeVar("P", bound=Payload)
T = TypeVar("T")

LOCK_RETRIES = 8
ACCESS_AFTER_END_SETTING = "HOTWASH_ACCESS_DAYS_AFTER_END"
ACCESS_DAYS_AFTER_END = 30.0
"""How long after the end access codes still sign in (read-only for players and observers)."""
log = logging.getLogger(__name__)


def access_seconds_after_end() -> float:
    """``HOTWASH_ACCESS_DAYS_AFTER_END`` (days, may be fractional), else 30 days."""
    raw = os.environ.get(ACCESS_AFTER_END_SETTING)
    try:
        days = float(raw) if raw else ACCESS_DAYS_AFTER_END
    except ValueError:
        raise ValueError(f"{ACCESS_AFTER_END_SETTING}={raw!r}: give a number of days") from None
    return max(days, 0.0) * 86_400


def engine_behaviour() -> int:
    """The behaviour version of the engine this process runs (imported in the call, like ``live_advance``)."""
    from sim_engine.live import ENGINE_BEHAVIOUR

    return ENGINE_BEHAVIOUR


class ExerciseCannotContinue(ExerciseInputError):
    """The exercise was started by an engine of another behaviour version than this process's."""

    def __init__(self, started: int, running: int) -> None:
        super().__init__(
            f"this exercise was started on simulation engine behaviour {started}, and this server runs "
            f"behaviour {running}, which would simulate the rest of it differently: nothing more can be "
            "recorded here. Finish the exercise on a server of the version that started it, or start a new "
            "exercise from the scenario (see 'Upgrading between exercises' in the deployment guide); its "
            "timeline, record and report can still be read here."
        )
        self.started, self.running = started, running


def live_advance(scenario: Scenario, seed: int, entries: Sequence[Entry], until: float) -> Sequence[NewEntry]:
    """The simulation engine's live mode.

    Dependencies point sim_engine -> exercises; this is the one allowed exception: live mode must
    call the engine, so it is imported here, inside the call, never at module import time."""
    from sim_engine.live import advance

    return advance(scenario, seed, entries, until)


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
    genesis: str = ""
    """The genesis the exercise's metadata gives as first read: what its checkpoints sign."""


@dataclass(frozen=True)
class _Context:
    """What a write sees under the lock, after the simulation caught up with the stamp."""

    scenario: Scenario
    entries: Sequence[Entry]
    """The journal so far as the call sees it (a view, not a copy: read it, do not keep it)."""
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
        elif err["type"] == "string_too_short" and err.get("ctx", {}).get("min_length") == 1:
            # Said as a person would ("the reason is empty"), not as the validator does.
            parts.append(f"the {where.replace('_', ' ')} is empty")
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


def after_end(ctx: _Context, payload: P) -> P:
    """The payload marked as recorded after the end, when the exercise has ended (the record is
    closed: only controllers' and evaluators' post-exercise entries get this far)."""
    if ctx.clock.status is ClockStatus.ENDED:
        return payload.model_copy(update={"after_end": True})
    return payload


def _hint(value: str, options: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class _Request:
    """A call waiting to be committed with its group."""

    build: Callable[[_Context], list[NewEntry]]
    turn: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    finished: bool = False
    positions: list[int] = field(default_factory=list)
    """Where its entries are among the group's new entries."""
    appended: list[Entry] = field(default_factory=list)
    error: BaseException | None = None


@dataclass
class _Line:
    """The calls of this process waiting to write one exercise, and whether a group is committing."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[_Request] = field(default_factory=list)
    busy: bool = False


@dataclass
class _Group:
    """A group's journal as it is built: the committed entries, then each call's new ones."""

    committed: Sequence[Entry]
    marks: list[tuple[Entry, float]]
    last_at: float
    last_seq: int
    new: list[NewEntry] = field(default_factory=list)
    added: list[Entry] = field(default_factory=list)
    """``new`` as entries, numbered."""

    @property
    def entries(self) -> Sequence[Entry]:
        """The journal as the group has built it so far: a view (copying it would cost what the
        journal's length costs at every write and tick)."""
        return Joined(self.committed, self.added) if self.added else self.committed

    def mark(self) -> tuple[int, int, float, int]:
        return len(self.new), len(self.marks), self.last_at, self.last_seq

    def undo(self, mark: tuple[int, int, float, int]) -> None:
        """Back to ``mark``: a call that failed leaves nothing behind."""
        new, marks, self.last_at, self.last_seq = mark
        del self.added[new:]
        del self.new[new:]
        del self.marks[marks:]

    def add(self, items: Sequence[NewEntry], wall: float, request: _Request) -> None:
        for item in items:
            self.last_seq += 1
            entry = _as_entry(item, self.last_seq)
            request.positions.append(len(self.new))
            self.new.append(item)
            self.added.append(entry)
            if entry.kind in CLOCK_KINDS:
                self.marks.append((entry, wall))
            self.last_at = max(self.last_at, item.at)


class ExerciseStore:
    """The database and this process's caches of it: one per process and database."""

    def __init__(
        self,
        database: Database,
        *,
        advance: Advance = live_advance,
        hasher: PasswordHasher | None = None,
        wall_clock: Callable[[], float] = time.time,
        keys: Keys | None = None,
        access_after_end: float | None = None,
    ) -> None:
        self.db = database
        self._advance = advance
        self._hasher = hasher or PasswordHasher()
        self._wall = wall_clock
        self.keys = keys or Keys(default_key_path(database.engine.url))
        """The key checkpoints are signed with (created on first use) and the keys verify trusts."""
        self.access_after_end = access_after_end if access_after_end is not None else access_seconds_after_end()
        """Seconds after the end during which access codes still sign in (read-only for players)."""
        self._signed: dict[int, tuple[int, float]] = {}
        """Per exercise: (entry, wall time) of the latest checkpoint this process signed or saw."""
        self._seen: dict[int, _Seen] = {}
        self._loaded: dict[int, _Loaded] = {}
        self._warmed: set[int] = set()
        self._warming: dict[int, threading.Lock] = {}
        self._lines: dict[int, _Line] = {}
        self._lives: dict[int, Any] = {}
        """Per exercise: its live views folded entry by entry (``reading._Live``)."""
        self._guard = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None, **options: Any) -> Self:
        """The service on ``url`` (default: ``HOTWASH_DATABASE_URL`` or the SQLite file), migrated."""
        return cls(open_database(url), **options)

    # --- the write protocol -----------------------------------------------------------------

    def _write(
        self,
        caller: Caller,
        build: Callable[[_Context], list[NewEntry]],
    ) -> list[Entry]:
        """Append what ``build`` makes under the exercise's lock, after the simulation caught up with
        the clock; returns the entries appended for this call once they are committed.

        Group commit: calls that arrive while another is committing wait for it, then go together
        in one transaction (each built in turn, seeing the entries before it, exactly as if it had
        come alone), so one commit (one fsync on SQLite) acknowledges them all. Nothing is
        acknowledged before the commit that holds it."""
        ex_id = caller.exercise_id
        loaded = self._load(ex_id)
        self._warm_engine(ex_id, loaded)
        line = self._line_for(ex_id)
        request = _Request(build)
        with line.lock:
            line.waiting.append(request)
            request.leads = not line.busy
            line.busy = True
        if not request.leads:
            request.turn.wait()  # woken when committed, or to lead the next group
        if request.leads and not request.finished:
            self._lead(ex_id, loaded, line)
        if request.error is not None:
            raise request.error
        return request.appended

    def _line_for(self, exercise_id: int) -> _Line:
        with self._guard:
            return self._lines.setdefault(exercise_id, _Line())

    def _lead(self, exercise_id: int, loaded: _Loaded, line: _Line) -> None:
        """Commit every waiting call as one group, then hand the lead to the next waiting one."""
        with line.lock:
            group, line.waiting = line.waiting, []
        try:
            self._commit_group(exercise_id, loaded, group)
        except BaseException as exc:
            for request in group:
                request.error = request.error or exc
        finally:
            for request in group:
                request.finished = True
                request.turn.set()
            with line.lock:
                if line.waiting:
                    line.waiting[0].leads = True
                    line.waiting[0].turn.set()
                else:
                    line.busy = False

    def _commit_group(self, exercise_id: int, loaded: _Loaded, group: list[_Request]) -> None:
        def attempt(session: Session) -> tuple[float, dict[str, Any] | None, list[Entry]]:
            self.db.lock_exercise(session, exercise_id)
            head = journal.read_head(session, exercise_id)
            if head is None:
                raise ExerciseInputError(f"no exercise {exercise_id}")
            entries, marks = self._read_through(session, exercise_id, head.last_seq)
            wall = self._wall()
            made = _Group(entries, list(marks), head.last_at, head.last_seq)
            for request in group:
                self._build_one(loaded, made, request, wall)
            appended = journal.append(session, exercise_id, head, made.new, wall)
            for request in group:
                request.appended = [appended[k] for k in request.positions]
            signed = self._checkpoint(session, exercise_id, loaded, derive_clock(made.marks), appended, wall)
            return wall, signed, appended

        wall, signed, appended = self._transaction(attempt)
        self._remember(exercise_id, appended, wall)
        if signed:
            self._signed[exercise_id] = (appended[-1].seq, wall)
            self.keys.keep_heads([signed])  # the signed head outside the database, once committed

    def _build_one(self, loaded: _Loaded, made: _Group, request: _Request, wall: float) -> None:
        """One call of a group: the simulation caught up with its stamp, then its own entries."""
        request.error, request.positions = None, []
        before = made.mark()
        clock = derive_clock(made.marks)
        at = max(clock.now(wall), made.last_at)
        if clock.live:
            made.add(self._checked_advance(loaded, made.entries, at, made.last_at), wall, request)
        ctx = _Context(loaded.scenario, made.entries, clock, at, made.last_seq + 1)
        try:
            external = request.build(ctx)
        except Exception as exc:  # this call fails alone and writes nothing; the others go on
            request.error, request.positions = exc, []
            made.undo(before)
            return
        made.add(external, wall, request)

    def _checkpoint(
        self, session: Session, ex_id: int, loaded: _Loaded, clock: Clock, appended: list[Entry], wall: float
    ) -> dict[str, Any] | None:
        """Sign the new head when it is due (in the write's transaction, under the lock); returns
        the checkpoint as the witness file keeps it."""
        reason = self._checkpoint_reason(ex_id, clock, appended, wall)
        if reason is None:
            return None
        head = journal.read_head(session, ex_id)
        assert head is not None
        try:
            key = self._signer()
        except (evidence.KeyFileError, OSError, StorageFault) as exc:
            # The exercise goes on; verify reports the entries as unsigned.
            log.error("exercise %s: cannot sign checkpoints: %s", ex_id, exc)
            return None
        cp = evidence.sign_head(
            session, key, exercise_id=ex_id, genesis=loaded.genesis, seq=head.last_seq, head=head.hash,
            now=wall, reason=reason,
        )
        return None if cp is None else evidence.signed_object(cp)

    def _checkpoint_reason(self, ex_id: int, clock: Clock, appended: list[Entry], wall: float) -> str | None:
        if not appended:
            return None
        kinds = {e.kind for e in appended}
        if EntryKind.CLOCK_ENDED in kinds:
            return "ended"
        if EntryKind.CLOCK_STARTED in kinds:
            return "started"
        if clock.status is ClockStatus.ENDED:
            return "after end"
        last = self._signed.get(ex_id)
        if (
            last is None
            or wall - last[1] >= evidence.CHECKPOINT_SECONDS
            or appended[-1].seq - last[0] >= evidence.CHECKPOINT_ENTRIES
        ):
            return "interval"
        return None

    def _signer(self, *, may_create: bool = False) -> evidence.SigningKey:
        """The signing key; a fault of its path said in words (``faults.key_fault``)."""
        with self._key_faults():
            return self.keys.signer(may_create=may_create)

    def _trust(self) -> evidence.Trust:
        """What signatures are checked against (pinned keys, witnesses); a fault of the key's path
        said in words. Read before a record's snapshot, so a head is witnessed only once committed."""
        with self._key_faults():
            return self.keys.trust()

    @contextmanager
    def _key_faults(self) -> Iterator[None]:
        try:
            yield
        except (evidence.KeyFileError, OSError) as exc:
            fault = faults.key_fault(self.keys.path)
            if fault is None:
                raise
            raise fault from exc

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

    def _checked_advance(
        self, loaded: _Loaded, entries: Sequence[Entry], until: float, last_at: float
    ) -> list[NewEntry]:
        """The engine's entries up to ``until``, held to its contract before they reach the journal;
        first, that this process's engine is the one the exercise was started on."""
        started, running = started_behaviour(entries), engine_behaviour()
        if started is not None and started != running:
            raise ExerciseCannotContinue(started, running)
        out = []
        previous = last_at
        for item in self._advance(loaded.scenario, loaded.seed, entries, until):
            entry = NewEntry(at=item.at, agency=item.agency, actor=item.actor, payload=item.payload)
            if entry.actor != ENGINE_ACTOR:
                raise JournalError(
                    f"the engine returned an entry whose actor is {entry.actor!r}, not {ENGINE_ACTOR!r}"
                )
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
    ) -> tuple[Prefix[Entry], list[tuple[Entry, float]]]:
        """Committed entries (up to seq ``upto``) and the clock's marks among them, reading only
        the rows this process lacks. The entries are a view of this process's list (``Prefix``):
        a read at a new head costs what the new entries cost, not the journal's length."""
        seen = self._seen_for(exercise_id)
        with seen.lock:
            have = len(seen.entries)
            if upto is None or upto > have:
                for row in journal.read_entry_rows(session, exercise_id, after_seq=have):
                    if row.seq != len(seen.entries) + 1:
                        raise JournalError(
                            f"exercise {exercise_id}: entry {len(seen.entries) + 1} is missing; run verify"
                        )
                    self._add(seen, journal.to_entry(row), row.wall_time)
            n = len(seen.entries) if upto is None else upto
            return Prefix(seen.entries, n), [m for m in seen.marks if m[0].seq <= n]

    @staticmethod
    def _add(seen: _Seen, entry: Entry, wall: float) -> None:
        seen.entries.append(entry)
        if entry.kind in CLOCK_KINDS:
            seen.marks.append((entry, wall))

    def _snapshot(self, exercise_id: int) -> tuple[Prefix[Entry], list[tuple[Entry, float]]]:
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
        loaded = _Loaded(Scenario.model_validate_json(row.scenario_json), row.seed, row.name, journal.genesis_for(row))
        with self._guard:
            self._loaded[exercise_id] = loaded
        return loaded

    @staticmethod
    def _agency(scenario: Scenario, agency: str) -> None:
        ids = [a.id for a in scenario.agencies]
        if agency not in ids:
            raise ExerciseInputError(f"unknown agency {agency!r}{_hint(agency, ids)}")


def _as_entry(item: NewEntry, seq: int) -> Entry:
    return Entry(seq=seq, at=item.at, agency=item.agency, actor=item.actor, payload=item.payload)
