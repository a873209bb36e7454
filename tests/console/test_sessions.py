"""Sessions that survive a reload, read marks and sign-in throttling, on a real SQLite file."""

from __future__ import annotations

from exercises.access import Role
from exercises.service.sessions import (
    IDLE_TIMEOUT,
    SessionStore,
    guess_time_years,
    token_hash,
)
from exercises.storage.tables import ConsoleSession
from tests.console.conftest import Exercise


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def wrong(code: str) -> str:
    """The same selector (so the exercise is known) with a wrong secret."""
    last = code[-1]
    return code[:-1] + ("A" if last != "A" else "B")


def test_a_token_resumes_the_session_and_only_its_hash_is_stored(exercise: Exercise) -> None:
    store = SessionStore(exercise.svc)
    signed = store.sign_in(exercise.code(Role.PLAYER, "fire"), client="10.0.0.1", name="Capt. Ruiz")
    assert len(signed.token) >= 40
    back = store.resume(signed.token)
    assert back is not None and back.caller == signed.caller and back.caller.agency == "fire"
    with exercise.svc.db.reading() as session:
        rows = session.exec(__import__("sqlmodel").select(ConsoleSession)).all()
    assert [r.token_hash for r in rows] == [token_hash(signed.token)]
    assert signed.token not in repr([r.model_dump() for r in rows])
    assert store.resume("not-a-token") is None


def test_sign_out_idle_and_closing_the_exercise_end_a_session(exercise: Exercise) -> None:
    clock = Clock()
    store = SessionStore(exercise.svc, wall_clock=clock)
    a = store.sign_in(exercise.code(Role.CONTROLLER), client="c")
    b = store.sign_in(exercise.code(Role.OBSERVER), client="c")
    c = store.sign_in(exercise.code(Role.EVALUATOR), client="c")
    store.sign_out(a.token)
    assert store.resume(a.token) is None
    clock.now += IDLE_TIMEOUT - 10
    assert store.resume(b.token) is not None  # used: the idle time starts again
    clock.now += IDLE_TIMEOUT - 10
    assert store.resume(b.token) is not None
    clock.now += IDLE_TIMEOUT + 1
    assert store.resume(b.token) is None
    assert store.close_exercise(exercise.id) == 1  # only c was still open
    assert store.resume(c.token) is None


def test_read_marks_are_kept_per_participant(exercise: Exercise) -> None:
    store = SessionStore(exercise.svc)
    one = store.sign_in(exercise.code(Role.PLAYER, "fire"), client="x")
    two = store.sign_in(exercise.code(Role.PLAYER, "fire"), client="y")
    other = store.sign_in(exercise.code(Role.PLAYER, "police"), client="y")
    store.mark_read(one.participant_id, 12)
    store.mark_read(one.participant_id, 7)  # never goes back
    assert store.read_mark(two.participant_id) == 12
    assert store.read_mark(other.participant_id) == 0


def test_policy_figures() -> None:
    assert guess_time_years() > 1e15


def test_the_end_closes_the_players_sessions_but_not_the_controllers(exercise: Exercise) -> None:
    store = SessionStore(exercise.svc)
    controller = store.sign_in(exercise.code(Role.CONTROLLER), client="c", name="J. Moss")
    player = store.sign_in(exercise.code(Role.PLAYER, "fire"), client="p")
    exercise.svc.start(controller.caller)
    exercise.svc.end(controller.caller)
    assert store.close_exercise(exercise.id) == 1
    assert store.resume(player.token) is None  # the player signs in again, read-only
    back = store.resume(controller.token)
    assert back is not None and back.caller.role is Role.CONTROLLER  # the controller goes on to the report
