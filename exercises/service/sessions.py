"""Browser sessions that survive a reload, read marks, and the sign-in throttle.

Signing in with an access code gives the browser a random session token (256 bits, in a cookie);
the database keeps only its SHA-256, so a copy of the database signs nobody in. A session ends
when its user signs out, when it has been idle for ``IDLE_TIMEOUT``, when its exercise is closed
(ended: everyone signed in before the end but the controllers signs in again with a code), and
when the exercise's access window after the end has passed (checked on every use, not only at
sign-in). The access code itself is never stored, in the browser or here. The threat model is
in docs/service.md.

The throttle counts wrong codes over the last hour (``WINDOW``) three ways: per browser (its
address and the random id in its ``hotwash_browser`` cookie), per code (its selector) and per
exercise. A try is counted in the database *before* its code is checked, in a transaction that
serialises every try on every process (SQLite's write lock, a PostgreSQL advisory lock), and
uncounted when the code proves right: concurrent tries cannot all slip under a limit. Other
browsers behind the same address are not held by one browser's mistakes. Every wrong code, every
refusal and every clearance is logged (never the code typed).
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, or_, update
from sqlmodel import Session, col, select

from exercises.access import AccessDenied, Caller, Permission, Role, require
from exercises.record.entries import EntryKind
from exercises.service.exercise_service import ExerciseService
from exercises.service.setup import SECRET_LENGTH, SELECTOR_LENGTH, WrongAccessCode, normalise_code
from exercises.storage.db import Database
from exercises.storage.tables import (
    ConsoleSession,
    JournalEntry,
    Participant,
    ReadMark,
    SignInClearance,
    SignInFailure,
)
from exercises.views import ClockStatus

log = logging.getLogger("hotwash.signin")

TOKEN_BYTES = 32
"""256 random bits: the session token the browser holds."""
IDLE_TIMEOUT = 4 * 3600.0
"""A session nobody used for this long (seconds) is over: an exercise day has long pauses."""
TOUCH_EVERY = 60.0
"""``last_seen`` is written at most this often per session (a refresh every 2 s must not write)."""

WINDOW = 3600.0
"""Wrong codes count for this long (seconds): every limit below is per rolling hour."""
BROWSER_LIMIT = 10
"""Wrong codes one browser may type in an hour; at this many it is refused without its code
being checked until the oldest of them is an hour old (or a controller clears the lock)."""
CODE_LIMIT = 20
"""Wrong secrets typed for one code (its selector right) in an hour, from every browser; at this
many the code is locked: someone may be guessing it. Players of one agency share a code."""
EXERCISE_LIMIT = 40
"""Wrong codes for one exercise's codes in an hour, from every browser (guessing spread over many
addresses); at this many signing in to the exercise is locked."""
BROWSER_ID_LENGTH = (16, 64)
"""A browser id from its cookie is used only when it is this long (it is random, made by the page)."""


class SignInThrottled(AccessDenied):
    """Refused without looking at the code: too many wrong codes; ``retry_after`` seconds to wait,
    exact: at that moment the count has fallen under the limit (unless a controller clears it sooner)."""

    def __init__(self, message: str, retry_after: float, scope: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.scope = scope


class CodeNotValid(WrongAccessCode):
    """A wrong code, counted: ``tries_left`` more wrong codes before ``scope`` (this browser, the
    code or the exercise, whichever is nearest its limit) is refused for a while."""

    def __init__(self, tries_left: int, scope: str) -> None:
        super().__init__("unknown or wrong access code")
        self.tries_left = tries_left
        self.scope = scope


@dataclass(frozen=True)
class SignedIn:
    """A browser's session: who it is, for which grant, and the token the browser holds."""

    caller: Caller
    participant_id: int
    session_id: int
    token: str = ""
    """Only when just signed in (to hand to the browser once); empty when resumed."""


@dataclass(frozen=True)
class Lock:
    """One throttle count that has reached its limit: whose, how many, and for how long still."""

    scope: str
    """"browser", "code" or "exercise"."""
    label: str
    """Whose: a browser's address and the start of its id; empty for a code or the exercise."""
    wrong: int
    seconds_left: float
    role: Role | None = None
    agency: str | None = None
    """For a code: the role (and agency) it grants."""


@dataclass(frozen=True)
class SignInLocks:
    """What a controller sees of the throttle for their exercise."""

    wrong_last_hour: int
    locks: list[Lock]
    last_clearance: tuple[str, float] | None
    """Who cleared the locks last, and when (wall time)."""


@dataclass(frozen=True)
class _Count:
    scope: str
    where: ColumnElement[bool]
    limit: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def browser_id(value: object) -> str:
    """The browser id a cookie holds, if it looks like one the page made; else "" (counted by address)."""
    if not isinstance(value, str) or not BROWSER_ID_LENGTH[0] <= len(value) <= BROWSER_ID_LENGTH[1]:
        return ""
    return value if all(ch.isalnum() or ch in "-_" for ch in value) else ""


def guess_time_years(per_hour: int = CODE_LIMIT) -> float:
    """Expected years for an online guess of one code's 80-bit secret at the code's limit."""
    return (2 ** (5 * SECRET_LENGTH - 1)) / (per_hour / WINDOW) / (365.25 * 86400)


def wait_words(seconds: float) -> str:
    """A wait in words, never shorter than the real one: "45 s", "1 minute", "47 minutes"."""
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes = math.ceil(whole / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _refusal(scope: str, wrong: int, left: float) -> str:
    wait = wait_words(left)
    if scope == "browser":
        return (f"this browser has typed {wrong} wrong access codes in the last hour, so it must wait "
                f"{wait} before trying again; an exercise controller can clear the lock now.")
    if scope == "code":
        return (f"this access code was typed with a wrong secret {wrong} times in the last hour, so it is "
                f"locked (someone may be guessing it). It opens again in {wait}; an exercise controller "
                "can clear the lock now.")
    return (f"signing in to this exercise is locked: {wrong} wrong access codes for it in the last hour. "
            f"It opens again in {wait}; a controller already signed in can clear the lock now, and "
            "everyone signed in stays signed in.")


class SessionStore:
    """Sessions, read marks and the throttle, in the exercise database (shared by every process)."""

    def __init__(self, service: ExerciseService, *, wall_clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.db: Database = service.db
        self._wall = wall_clock
        self._ended_at: dict[int, float] = {}
        self._guard = threading.Lock()

    # --- signing in -------------------------------------------------------------------------

    def sign_in(self, code: str, *, client: str, browser: str = "", name: str | None = None) -> SignedIn:
        """Count the try (refused if a limit is reached), check the code, uncount it if right.

        ``client`` is the connection's address, ``browser`` the id in the browser's cookie ("" when
        it has none: then every such try from the address counts as one browser)."""
        now = self._wall()
        selector, exercise_id, participant_id = self._grant_of(code)
        counts = self._counts(client[:64], browser_id(browser), selector, exercise_id)
        reserved = self._reserve(counts, client[:64], browser_id(browser), selector, exercise_id, now)
        try:
            caller = self.service.sign_in(code, name=name)
        except WrongAccessCode:
            log.warning("wrong access code: client %s, browser %s, exercise %s", client, browser[:8] or "-",
                        exercise_id or "unknown")
            raise CodeNotValid(*self._tries_left(counts, now)) from None
        except BaseException:
            self._unreserve(reserved)  # refused for another reason (an expired exercise): not a wrong code
            raise
        assert participant_id is not None  # the code was valid, so its selector named a grant
        token = secrets.token_urlsafe(TOKEN_BYTES)
        row = ConsoleSession(token_hash=token_hash(token), exercise_id=caller.exercise_id,
                             participant_id=participant_id, name=caller.name, created_at=now, last_seen=now)
        with self.db.writing() as session:
            session.exec(delete(SignInFailure).where(col(SignInFailure.id) == reserved))
            # The browser that typed it right is forgiven its typos; the code's and exercise's counts stay.
            self._clear(session, counts[0].where, now, "the same browser then typed a right code")
            session.add(row)
            session.commit()
            assert row.id is not None
        log.info("sign-in: exercise %s, %s, client %s", caller.exercise_id, caller.role.value, client)
        return SignedIn(caller, participant_id, row.id, token)

    def _grant_of(self, code: str) -> tuple[str | None, int | None, int | None]:
        """The selector, exercise and grant the code names (the secret is not checked here)."""
        cleaned = normalise_code(code)
        if len(cleaned) != SELECTOR_LENGTH + SECRET_LENGTH:
            return None, None, None
        with self.db.reading() as session:
            grant = session.exec(select(Participant).where(Participant.selector == cleaned[:SELECTOR_LENGTH])).first()
        return (grant.selector, grant.exercise_id, grant.id) if grant else (None, None, None)

    @staticmethod
    def _counts(client: str, browser: str, selector: str | None, exercise_id: int | None) -> list[_Count]:
        """The counts a try from this browser with this code falls under, the browser's first."""
        counts = [_Count("browser", and_(col(SignInFailure.client) == client, col(SignInFailure.browser) == browser),
                         BROWSER_LIMIT)]
        if selector is not None:
            counts.append(_Count("code", col(SignInFailure.selector) == selector, CODE_LIMIT))
        if exercise_id is not None:
            counts.append(_Count("exercise", col(SignInFailure.exercise_id) == exercise_id, EXERCISE_LIMIT))
        return counts

    @staticmethod
    def _times(session: Session, where: ColumnElement[bool], now: float) -> list[float]:
        """When each wrong code that still counts was typed, oldest first."""
        return [float(at) for at in session.exec(select(SignInFailure.at).where(
            where, col(SignInFailure.at) > now - WINDOW, col(SignInFailure.cleared_at).is_(None),
        ).order_by(col(SignInFailure.at))).all()]

    def _reserve(self, counts: list[_Count], client: str, browser: str, selector: str | None,
                 exercise_id: int | None, now: float) -> int:
        """Under the throttle's lock: refuse if any count is at its limit, else count this try as wrong."""
        with self.db.writing() as session:
            self.db.lock_sign_in(session)
            for count in counts:
                times = self._times(session, count.where, now)
                if len(times) >= count.limit:
                    # At the moment this one is an hour old, the count is under the limit again.
                    left = times[len(times) - count.limit] + WINDOW - now
                    session.rollback()
                    log.warning("sign-in refused: %s at its limit (client %s, browser %s, exercise %s), %d "
                                "wrong codes", count.scope, client, browser[:8] or "-", exercise_id, len(times))
                    raise SignInThrottled(_refusal(count.scope, len(times), left), left, count.scope)
            row = SignInFailure(client=client, browser=browser, selector=selector, exercise_id=exercise_id, at=now)
            session.add(row)
            session.commit()
            assert row.id is not None
            return row.id

    def _unreserve(self, reserved: int) -> None:
        with self.db.writing() as session:
            session.exec(delete(SignInFailure).where(col(SignInFailure.id) == reserved))
            session.commit()

    def _tries_left(self, counts: list[_Count], now: float) -> tuple[int, str]:
        """How many more wrong codes the nearest limit allows, and whose limit it is."""
        with self.db.reading() as session:
            return min((count.limit - len(self._times(session, count.where, now)), count.scope) for count in counts)

    @staticmethod
    def _clear(session: Session, where: ColumnElement[bool], now: float, why: str) -> int:
        result = session.exec(update(SignInFailure).where(
            where, col(SignInFailure.at) > now - WINDOW, col(SignInFailure.cleared_at).is_(None),
        ).values(cleared_at=now, cleared_why=why[:120]))
        return int(result.rowcount or 0)

    def failures(self, client: str, browser: str = "") -> int:
        """Wrong codes from this browser that still count."""
        with self.db.reading() as session:
            return len(self._times(session, self._counts(client[:64], browser_id(browser), None, None)[0].where,
                                   self._wall()))

    # --- the controller's view and clearing --------------------------------------------------

    def _exercise_rows(self, exercise_id: int) -> ColumnElement[bool]:
        """The wrong codes a controller of this exercise sees and clears: those for its codes, and
        those naming no exercise at all (a mistyped selector), which lock browsers all the same."""
        return or_(col(SignInFailure.exercise_id) == exercise_id, col(SignInFailure.exercise_id).is_(None))

    def locks(self, caller: Caller) -> SignInLocks:
        """The exercise's wrong codes in the last hour and every lock they make (controllers)."""
        require(caller, Permission.SEE_ACCESS)
        now = self._wall()
        with self.db.reading() as session:
            rows = session.exec(select(SignInFailure).where(
                self._exercise_rows(caller.exercise_id), col(SignInFailure.at) > now - WINDOW,
                col(SignInFailure.cleared_at).is_(None)).order_by(col(SignInFailure.at))).all()
            grants = {g.selector: g for g in session.exec(
                select(Participant).where(Participant.exercise_id == caller.exercise_id)).all()}
            last = session.exec(select(SignInClearance).where(
                SignInClearance.exercise_id == caller.exercise_id).order_by(col(SignInClearance.at).desc())).first()
        return SignInLocks(
            wrong_last_hour=sum(1 for r in rows if r.exercise_id == caller.exercise_id),
            locks=_locks_of(list(rows), grants, caller.exercise_id, now),
            last_clearance=(last.cleared_by, last.at) if last else None,
        )

    def clear_locks(self, caller: Caller) -> int:
        """A controller clears every sign-in lock of the exercise (and of browsers that mistyped a
        selector): the wrong codes stop counting, marked with who cleared them; recorded."""
        require(caller, Permission.SEE_ACCESS)
        now = self._wall()
        by = f"{caller.name or 'a controller'} (controller)"
        with self.db.writing() as session:
            self.db.lock_sign_in(session)
            cleared = self._clear(session, self._exercise_rows(caller.exercise_id), now, f"cleared by {by}")
            session.add(SignInClearance(exercise_id=caller.exercise_id, cleared_by=by, at=now, cleared=cleared))
            session.commit()
        log.warning("sign-in locks cleared: exercise %s, by %s, %d wrong codes", caller.exercise_id, by, cleared)
        return cleared

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
        # The access window after the end holds for sessions as for codes, on every use.
        if ended is not None and now > ended + self.service.access_after_end:
            self._revoke(row.id, now, "access window over")
            return None
        if ended is not None and caller.role in (Role.PLAYER, Role.OBSERVER):
            caller = Caller(caller.exercise_id, caller.role, caller.agency, caller.name, read_only=True)
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


def _locks_of(rows: list[SignInFailure], grants: dict[str, Participant], exercise_id: int, now: float) -> list[Lock]:
    """Every count among ``rows`` (oldest first) that has reached its limit, with its exact wait."""
    groups: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        groups.setdefault(("browser", f"{row.client} {row.browser[:8]}".strip()), []).append(row.at)
        if row.selector in grants:
            groups.setdefault(("code", row.selector or ""), []).append(row.at)
        if row.exercise_id == exercise_id:
            groups.setdefault(("exercise", ""), []).append(row.at)
    limits = {"browser": BROWSER_LIMIT, "code": CODE_LIMIT, "exercise": EXERCISE_LIMIT}
    found = []
    for (scope, key), times in groups.items():
        if len(times) < limits[scope]:
            continue
        grant = grants.get(key) if scope == "code" else None
        found.append(Lock(scope, key if scope == "browser" else "", len(times),
                          times[len(times) - limits[scope]] + WINDOW - now,
                          Role(grant.role) if grant else None, grant.agency if grant else None))
    return found
