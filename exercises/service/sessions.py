"""Browser sessions that survive a reload, read marks, and sign-in throttling.

Signing in with an access code gives the browser a random session token (256 bits, in a cookie);
the database keeps only its SHA-256, so a copy of the database signs nobody in. A session ends
when its user signs out, when it has been idle for ``IDLE_TIMEOUT``, and when its exercise is
closed (ended): everyone signed in before the end must sign in again with a code. The access code
itself is never stored, in the browser or here. The threat model is in docs/service.md.

Wrong codes are throttled per client (the connection's address) and per exercise (the exercise
whose code selector was typed): after a few, each further try must wait twice as long as the
last, then the client, or the exercise, is locked out for ``LOCKOUT`` seconds. Every wrong code
and every refusal is logged (never the code typed).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select

from exercises.access import AccessDenied, Caller, Role
from exercises.record.entries import EntryKind
from exercises.service.exercise_service import ExerciseService
from exercises.service.setup import SECRET_LENGTH, SELECTOR_LENGTH, normalise_code
from exercises.storage.db import Database
from exercises.storage.tables import ConsoleSession, JournalEntry, Participant, ReadMark, SignInFailure
from exercises.views import ClockStatus

log = logging.getLogger("hotwash.signin")

TOKEN_BYTES = 32
"""256 random bits: the session token the browser holds."""
IDLE_TIMEOUT = 4 * 3600.0
"""A session nobody used for this long (seconds) is over: an exercise day has long pauses."""
TOUCH_EVERY = 60.0
"""``last_seen`` is written at most this often per session (a refresh every 2 s must not write)."""

WINDOW = 900.0
"""Wrong codes count for this long (seconds)."""
LOCKOUT = 900.0
"""How long a client or an exercise stays locked after too many wrong codes (seconds)."""
CLIENT_FREE = 2
"""Wrong codes a client may type back to back; from then on it waits, doubling each time ..."""
CLIENT_LOCK = 5
"""... and after this many it is locked out: the next try is refused whatever the code."""
EXERCISE_FREE = 10
EXERCISE_LOCK = 20
"""The same per exercise, from all clients together (guessing spread over many addresses)."""
BACKOFF_BASE = 1.0
"""The first wait (seconds) after the free tries."""


class SignInThrottled(AccessDenied):
    """Refused without looking at the code: too many wrong codes; ``retry_after`` seconds to wait."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    """A browser's session: who it is, for which grant, and the token the browser holds."""

    caller: Caller
    participant_id: int
    session_id: int
    token: str = ""
    """Only when just signed in (to hand to the browser once); empty when resumed."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def wait_after(failures: int, free: int, lock: int) -> float | None:
    """Seconds to wait after the last of ``failures`` wrong codes; ``None``: locked out."""
    if failures >= lock:
        return None
    if failures < free:
        return 0.0
    return BACKOFF_BASE * 2 ** (failures - free)


def guess_time_years(per_window: int = EXERCISE_LOCK, window: float = LOCKOUT + WINDOW) -> float:
    """Expected years for an online guess of one code's 80-bit secret at the exercise's limit."""
    tries_per_second = per_window / window
    return (2 ** (5 * SECRET_LENGTH - 1)) / tries_per_second / (365.25 * 86400)


class SessionStore:
    """Sessions, read marks and the throttle, in the exercise database (shared by every process)."""

    def __init__(self, service: ExerciseService, *, wall_clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.db: Database = service.db
        self._wall = wall_clock
        self._ended_at: dict[int, float] = {}
        self._guard = threading.Lock()

    # --- signing in -------------------------------------------------------------------------

    def sign_in(self, code: str, *, client: str, name: str | None = None) -> SignedIn:
        """Check the throttle, then the code; a new session for the browser on success."""
        now = self._wall()
        exercise_id, participant_id = self._grant_of(code)
        self._check_throttle(client, exercise_id, now)
        try:
            caller = self.service.sign_in(code, name=name)
        except AccessDenied:
            self._failed(client, exercise_id, now)
            raise
        assert participant_id is not None  # the code was valid, so its selector named a grant
        token = secrets.token_urlsafe(TOKEN_BYTES)
        row = ConsoleSession(token_hash=token_hash(token), exercise_id=caller.exercise_id,
                             participant_id=participant_id, name=caller.name, created_at=now, last_seen=now)
        with self.db.writing() as session:
            session.add(row)
            session.exec(delete(SignInFailure).where(col(SignInFailure.client) == client))
            session.commit()
            assert row.id is not None
        log.info("sign-in: exercise %s, %s, client %s", caller.exercise_id, caller.role.value, client)
        return SignedIn(caller, participant_id, row.id, token)

    def _grant_of(self, code: str) -> tuple[int | None, int | None]:
        """The exercise and grant the code's selector names (the secret is not checked here)."""
        cleaned = normalise_code(code)
        if len(cleaned) != SELECTOR_LENGTH + SECRET_LENGTH:
            return None, None
        with self.db.reading() as session:
            grant = session.exec(select(Participant).where(Participant.selector == cleaned[:SELECTOR_LENGTH])).first()
        return (grant.exercise_id, grant.id) if grant else (None, None)

    def _failures(self, column: object, value: object, now: float) -> tuple[int, float]:
        with self.db.reading() as session:
            count, last = session.exec(
                select(func.count(), func.max(SignInFailure.at)).where(
                    column == value, col(SignInFailure.at) > now - WINDOW
                )
            ).one()
        return int(count), float(last or 0.0)

    def failures(self, client: str) -> int:
        """Wrong codes from ``client`` that still count."""
        return self._failures(col(SignInFailure.client), client, self._wall())[0]

    def _check_throttle(self, client: str, exercise_id: int | None, now: float) -> None:
        checks: list[tuple[str, Any, object, int, int]] = [
            ("this browser", col(SignInFailure.client), client, CLIENT_FREE, CLIENT_LOCK)]
        if exercise_id is not None:
            checks.append(("this exercise", SignInFailure.exercise_id, exercise_id, EXERCISE_FREE, EXERCISE_LOCK))
        for who, column, value, free, lock in checks:
            count, last = self._failures(column, value, now)
            wait = wait_after(count, free, lock)
            if wait is None:
                left = max(1.0, last + LOCKOUT - now)
                log.warning("sign-in locked out: %s (client %s, exercise %s), %d wrong codes", who, client,
                            exercise_id, count)
                raise SignInThrottled(
                    f"too many wrong access codes from {who}: signing in is locked for "
                    f"{_minutes(left)}. Check the code with your exercise controller.", left)
            if now < last + wait:
                left = last + wait - now
                log.warning("sign-in slowed: %s (client %s, exercise %s), %d wrong codes", who, client,
                            exercise_id, count)
                raise SignInThrottled(
                    f"too many wrong access codes from {who}: wait {left:.0f} s before trying again.", left)

    def _failed(self, client: str, exercise_id: int | None, now: float) -> None:
        with self.db.writing() as session:
            session.add(SignInFailure(client=client, exercise_id=exercise_id, at=now))
            # Rows that no longer count are dropped as new ones come in.
            session.exec(delete(SignInFailure).where(col(SignInFailure.at) < now - WINDOW - LOCKOUT))
            session.commit()
        log.warning("wrong access code: client %s, exercise %s", client, exercise_id or "unknown")

    # --- the session a browser holds -----------------------------------------------------------

    def resume(self, token: str) -> SignedIn | None:
        """The session the browser's token stands for, if it is still open; marks it used."""
        if not token or len(token) > 100:
            return None
        now = self._wall()
        with self.db.reading() as session:
            row = session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token))).first()
            grant = session.get(Participant, row.participant_id) if row else None
        if row is None or grant is None or row.revoked_at is not None:
            return None
        assert row.id is not None
        if now - row.last_seen > IDLE_TIMEOUT:
            self._revoke(row.id, now, "idle")
            return None
        caller = Caller(grant.exercise_id, Role(grant.role), grant.agency, row.name)
        ended = self.ended_at(caller)
        # The end closes every session opened during play but a controller's, who goes on to the report.
        if ended is not None and row.created_at < ended and caller.role is not Role.CONTROLLER:
            self._revoke(row.id, now, "exercise closed")
            return None
        if now - row.last_seen > TOUCH_EVERY:
            self._touch(row.id, now)
        return SignedIn(caller, row.participant_id, row.id)

    def sign_out(self, token: str) -> None:
        with self.db.writing() as session:
            row = session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token))).first()
            if row is not None and row.revoked_at is None:
                row.revoked_at, row.revoked_why = self._wall(), "signed out"
                session.add(row)
                session.commit()

    def close_exercise(self, exercise_id: int) -> int:
        """Revoke every open session of an exercise (it was ended) but the controllers': a controller
        goes on to the report; how many were revoked."""
        now = self._wall()
        with self.db.writing() as session:
            rows = session.exec(select(ConsoleSession).join(
                Participant, col(Participant.id) == col(ConsoleSession.participant_id)
            ).where(
                ConsoleSession.exercise_id == exercise_id, col(ConsoleSession.revoked_at).is_(None),
                Participant.role != Role.CONTROLLER.value,
            )).all()
            for row in rows:
                row.revoked_at, row.revoked_why = now, "exercise closed"
                session.add(row)
            session.commit()
        return len(rows)

    def ended_at(self, caller: Caller) -> float | None:
        """When (wall time) the exercise was ended, if it was: read once, it never changes."""
        with self._guard:
            if caller.exercise_id in self._ended_at:
                return self._ended_at[caller.exercise_id]
        if self.service.state(caller).status is not ClockStatus.ENDED:
            return None
        with self.db.reading() as session:
            wall = session.exec(select(func.min(JournalEntry.wall_time)).where(
                JournalEntry.exercise_id == caller.exercise_id, JournalEntry.kind == EntryKind.CLOCK_ENDED.value
            )).one()
        if wall is None:
            return None
        with self._guard:
            self._ended_at[caller.exercise_id] = float(wall)
        return float(wall)

    def _revoke(self, session_id: int, now: float, why: str) -> None:
        with self.db.writing() as session:
            row = session.get(ConsoleSession, session_id)
            if row is not None and row.revoked_at is None:
                row.revoked_at, row.revoked_why = now, why
                session.add(row)
                session.commit()

    def _touch(self, session_id: int, now: float) -> None:
        with self.db.writing() as session:
            row = session.get(ConsoleSession, session_id)
            if row is not None:
                row.last_seen = now
                session.add(row)
                session.commit()

    # --- read marks ---------------------------------------------------------------------------

    def read_mark(self, participant_id: int) -> int:
        with self.db.reading() as session:
            row = session.get(ReadMark, participant_id)
        return row.seq if row else 0

    def mark_read(self, participant_id: int, seq: int) -> None:
        """Everything up to journal entry ``seq`` has been read by this grant's users."""
        with self.db.writing() as session:
            row = session.get(ReadMark, participant_id) or ReadMark(participant_id=participant_id)
            row.seq = max(row.seq, seq)
            session.add(row)
            session.commit()


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
