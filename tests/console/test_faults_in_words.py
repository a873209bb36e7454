"""The console's pages when the database cannot be used: the fault in words, never a traceback, and
the next run works once the fault is cleared (the service is not kept while it cannot open)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from console import session
from exercises.access import Role
from exercises.storage.faults import database_fault
from tests.console.conftest import Exercise, button, console, plain, toasts


def test_a_folder_at_the_database_path_is_said_and_the_next_run_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hotwash.db"
    path.mkdir()
    monkeypatch.setenv("HOTWASH_DATABASE_URL", f"sqlite:///{path.as_posix()}")
    session.service.clear()
    try:
        at = console()
        at.text_input(key="signin_code").input("ZZZ000-0000-0000-0000-0000")
        button(at, "Sign in").click().run()
        assert not at.exception, [e.value for e in at.exception]
        said = " ".join(plain(e.value) for e in at.error)
        assert f"Not signed in: The database path {path} is a folder, not a database file." in said
        assert "Nothing recorded before is lost" in said and "HOTWASH_DATABASE_URL" in said
        path.rmdir()
        button(at, "Sign in").click().run()  # the same process, nothing restarted: the service opens now
        assert not at.exception
        assert next(plain(e.value) for e in at.error).startswith("That access code is not valid.")
    finally:
        session.service.clear()


def test_an_action_that_meets_a_fault_says_it_was_not_recorded(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = console(exercise.controller)
    full = database_fault(OperationalError("INSERT", {}, Exception("database or disk is full")),
                          exercise.svc.db.engine.url)
    assert full is not None

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise full

    monkeypatch.setattr(session.service(), "start", refuse)
    button(at, "Start exercise").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(t.startswith("Not recorded: Hotwash could not write to the database file") for t in toasts(at))
    assert any("the disk holding it is full" in plain(e.value) for e in at.error)
    assert exercise.svc.state(exercise.caller(Role.OBSERVER)).status.value == "not started"


def test_a_page_that_meets_a_fault_says_it_and_tries_again_by_itself(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = database_fault(OperationalError("SELECT", {}, Exception("connection refused")),
                          "postgresql://hotwash@db.example:5432/hotwash")
    assert down is not None
    svc = session.service()
    working = svc.state

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise down

    monkeypatch.setattr(svc, "state", refuse)
    at = console(exercise.controller)
    assert not at.exception, [e.value for e in at.exception]
    assert any("The PostgreSQL database server at db.example:5432 is not answering" in plain(e.value)
               for e in at.error)
    assert any("tries again every 3 seconds" in plain(c.value) for c in at.caption)
    monkeypatch.setattr(svc, "state", working)
    at.run()
    assert not at.error and at.button(key="ctl_start").label == "Start exercise"
