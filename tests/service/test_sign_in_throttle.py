"""The sign-in throttle holds its documented limits exactly (docs/service.md, "Browser sessions and
sign-in throttling"): concurrent tries, a clock moved by hand, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from exercises.access import AccessDenied
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from exercises.service.sessions import (
    BROWSER_LIMIT,
    CODE_LIMIT,
    EXERCISE_LIMIT,
    WINDOW,
    SessionStore,
    SignInThrottled,
    wait_words,
)
from hotwash.cli import app
from tests.service.conftest import CHEAP_HASHER, WallClock, code_for

HOUR = 3600.0
DAY = 86_400.0


def wrong_secret(code: str, n: int = 0) -> str:
    """The code's selector (so its exercise and grant are known) with a secret that is not its own."""
    letters = "ABCDEFGHJKMNPQRSTVWXYZ"
    tail = letters[n % len(letters)] + letters[(n // len(letters)) % len(letters)]
    return code[:-2] + (tail if tail != code[-2:] else "00")


def unknown_code(n: int) -> str:
    return f"ZZZ{n:03d}-0000-0000-0000-0000"


def outcome(store: SessionStore, code: str, client: str, browser: str = "") -> str:
    """"in", "wrong" (checked and refused) or "throttled" (refused without being checked)."""
    try:
        if browser:
            store.sign_in(code, client=client, browser=browser)
        else:
            store.sign_in(code, client=client)
    except SignInThrottled:
        return "throttled"
    except AccessDenied:
        return "wrong"
    return "in"


@pytest.fixture
def created(service: ExerciseService, warehouse: Scenario) -> CreatedExercise:
    return service.create_exercise(warehouse, seed=3)


@pytest.fixture
def store(service: ExerciseService, wall: WallClock) -> SessionStore:
    return SessionStore(service, wall_clock=wall)


def test_24_concurrent_wrong_codes_from_one_client_are_counted_before_any_is_checked(
    store: SessionStore, created: CreatedExercise
) -> None:
    bad = wrong_secret(code_for(created, "observer"))
    start = threading.Barrier(24)
    results: list[str] = []

    def attempt() -> None:
        start.wait()
        results.append(outcome(store, bad, "203.0.113.24"))

    threads = [threading.Thread(target=attempt) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["throttled"] * (24 - BROWSER_LIMIT) + ["wrong"] * BROWSER_LIMIT
    assert store.failures("203.0.113.24") == BROWSER_LIMIT


def tries_over(store: SessionStore, wall: WallClock, hours: float, attempt: Callable[[int], str]) -> list[float]:
    """A guesser who tries again the moment the throttle allows, for ``hours``: when each try was checked."""
    checked: list[float] = []
    end = wall.now + hours * HOUR
    n = 0
    while wall.now < end:
        try:
            result = attempt(n)
        except SignInThrottled as exc:
            # The wait it states is exact: a second earlier is still refused, at the moment it is not.
            wall.advance(exc.retry_after - 1)
            with pytest.raises(SignInThrottled):
                attempt(n)
            wall.advance(1)
            continue
        assert result == "wrong"
        checked.append(wall.now)
        n += 1
        wall.advance(7)
    return checked


def most_in_any_hour(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + WINDOW) for start in times)


def test_one_browser_gets_exactly_ten_wrong_codes_in_any_hour(
    store: SessionStore, wall: WallClock, created: CreatedExercise
) -> None:
    def attempt(n: int) -> str:
        try:
            store.sign_in(unknown_code(n), client="198.51.100.7")
        except SignInThrottled:
            raise
        except AccessDenied:
            return "wrong"
        return "in"

    first = wall.now
    checked = tries_over(store, wall, 3, attempt)
    assert most_in_any_hour(checked) == BROWSER_LIMIT == 10
    assert sum(1 for t in checked if t < first + HOUR) == BROWSER_LIMIT
    assert len(checked) == 3 * BROWSER_LIMIT


def test_many_clients_get_exactly_forty_wrong_codes_an_hour_then_the_exercise_locks(
    store: SessionStore, wall: WallClock, created: CreatedExercise
) -> None:
    codes = [c.code for c in created.codes]

    def attempt(n: int) -> str:
        try:
            store.sign_in(wrong_secret(codes[n % len(codes)], n), client=f"bot-{n}")
        except SignInThrottled:
            raise
        except AccessDenied:
            return "wrong"
        return "in"

    checked = tries_over(store, wall, 2, attempt)
    assert most_in_any_hour(checked) == EXERCISE_LIMIT == 40
    # The per-exercise lock-out: at 40, even a right code on a new browser is refused unchecked.
    assert len(codes) * CODE_LIMIT > EXERCISE_LIMIT  # no single code reached its own limit first
    n = len(checked)
    while outcome(store, wrong_secret(codes[n % len(codes)], n), f"bot-{n}") == "wrong":
        n += 1
    with pytest.raises(SignInThrottled, match="signing in to this exercise is locked") as refused:
        store.sign_in(code_for(created, "observer"), client="new", browser="n" * 22)
    assert refused.value.scope == "exercise"


def test_a_code_being_guessed_locks_only_that_code(
    store: SessionStore, wall: WallClock, created: CreatedExercise
) -> None:
    fire = code_for(created, "player", "fire")
    for n in range(CODE_LIMIT):
        wall.advance(1)
        assert outcome(store, wrong_secret(fire, n), f"10.9.0.{n}") == "wrong"
    with pytest.raises(SignInThrottled, match="this access code was typed with a wrong secret 20 times") as refused:
        store.sign_in(fire, client="10.0.0.1", browser="h" * 22)  # its holder: the code is under attack
    assert refused.value.scope == "code"
    assert refused.value.retry_after == pytest.approx(WINDOW - (CODE_LIMIT - 1))
    assert outcome(store, code_for(created, "observer"), "10.0.0.1", "h" * 22) == "in"


def test_a_valid_code_signs_in_from_another_browser_behind_the_same_address(
    store: SessionStore, created: CreatedExercise
) -> None:
    proxy = "192.0.2.80"
    typist, colleague = "t" * 22, "c" * 22
    for n in range(BROWSER_LIMIT):
        assert outcome(store, unknown_code(n), proxy, typist) == "wrong"
    assert outcome(store, code_for(created, "observer"), proxy, typist) == "throttled"  # the typist waits
    assert outcome(store, code_for(created, "player", "fire"), proxy, colleague) == "in"
    assert outcome(store, code_for(created, "evaluator"), proxy, "e" * 22) == "in"


def test_the_wait_stated_is_the_real_one(store: SessionStore, wall: WallClock, created: CreatedExercise) -> None:
    for n in range(BROWSER_LIMIT):
        outcome(store, unknown_code(n), "192.0.2.1")
        wall.advance(60)
    with pytest.raises(SignInThrottled) as refused:
        store.sign_in(unknown_code(99), client="192.0.2.1")
    # The first of the ten was typed 10 minutes ago: it stops counting in 50 minutes.
    assert refused.value.retry_after == pytest.approx(WINDOW - 10 * 60)
    assert "must wait 50 minutes" in str(refused.value)
    assert [wait_words(s) for s in (0.2, 59.1, 60, 61, 3000)] == ["1 s", "1 minute", "1 minute", "2 minutes", "50 minutes"]


def test_a_controller_clears_the_locks_and_the_clearance_is_recorded(
    service: ExerciseService, store: SessionStore, wall: WallClock, created: CreatedExercise
) -> None:
    wall.advance(24 * HOUR)  # past the wrong codes other tests of this module typed (one database)
    observer = code_for(created, "observer")
    for n in range(BROWSER_LIMIT):
        outcome(store, wrong_secret(observer, n), "192.0.2.9", "k" * 22)
    controller = store.sign_in(code_for(created, "controller"), client="192.0.2.10", name="J. Moss").caller
    seen = store.locks(controller)
    assert seen.wrong_last_hour == BROWSER_LIMIT
    assert [(lock.scope, lock.wrong) for lock in seen.locks] == [("browser", BROWSER_LIMIT)]
    player = store.sign_in(code_for(created, "player", "fire"), client="192.0.2.11").caller
    with pytest.raises(AccessDenied):
        store.clear_locks(player)
    wall.advance(120)
    assert store.clear_locks(controller) == BROWSER_LIMIT
    after = store.locks(controller)
    assert after.locks == [] and after.last_clearance == ("J. Moss (controller)", wall.now)
    assert outcome(store, observer, "192.0.2.9", "k" * 22) == "in"


def test_a_session_ends_with_the_access_window_though_used_every_day(
    service: ExerciseService, store: SessionStore, wall: WallClock, created: CreatedExercise
) -> None:
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller)
    wall.advance(HOUR)
    service.end(controller)
    ended = wall.now
    wall.advance(29 * DAY)
    reader = store.sign_in(code_for(created, "observer"), client="192.0.2.30")
    assert reader.caller.read_only
    last_good = wall.now
    while wall.now < ended + 45 * DAY:
        wall.advance(3 * HOUR)  # used every three hours: never idle
        if store.resume(reader.token) is None:
            break
        last_good = wall.now
    assert ended + service.access_after_end - 3 * HOUR <= last_good <= ended + service.access_after_end
    wall.now = ended + 45 * DAY
    assert store.resume(reader.token) is None


def test_an_expired_code_is_refused_but_not_counted_as_wrong(
    service: ExerciseService, store: SessionStore, wall: WallClock, created: CreatedExercise
) -> None:
    controller = service.sign_in(code_for(created, "controller"))
    service.start(controller)
    service.end(controller)
    wall.advance(service.access_after_end + DAY)
    with pytest.raises(AccessDenied, match="access codes expired"):
        store.sign_in(code_for(created, "observer"), client="192.0.2.40")
    assert store.failures("192.0.2.40") == 0


def test_the_operator_unlocks_a_locked_exercise_from_the_command_line(db_url: str, warehouse: Scenario) -> None:
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER)  # the real clock, as the command's
    created = service.create_exercise(warehouse, seed=6)
    store = SessionStore(service)
    codes = [c.code for c in created.codes]
    n = 0
    while outcome(store, wrong_secret(codes[n % len(codes)], n), f"bot-{n}") == "wrong":
        n += 1
    assert n == EXERCISE_LIMIT
    result = CliRunner().invoke(app, ["unlock", str(created.exercise.id), "--database", db_url])
    assert result.exit_code == 0, result.output
    assert f"sign-in locks cleared, {EXERCISE_LIMIT} wrong codes no longer count" in result.output
    assert outcome(store, code_for(created, "observer"), "192.0.2.50") == "in"
    assert store.locks(service.operator(created.exercise.id)).last_clearance[0] == "operator (controller)"
