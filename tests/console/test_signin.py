"""Signing in and out: the access code alone decides the role, the agency and the pages."""

from __future__ import annotations

import pytest

from console import session
from exercises.access import Role
from tests.console.conftest import Exercise, button, console, toasts


def sign_in(code: str, name: str = "") -> object:
    at = console()
    at.text_input(key="signin_code").input(code)
    at.text_input(key="signin_name").input(name)
    button(at, "Sign in").click()
    return at.run()


def test_nobody_signed_in_sees_only_the_sign_in_page(database_url: str) -> None:
    at = console()
    assert at.text_input(key="signin_code").label == "Access code"
    assert session.CALLER_KEY not in at.session_state
    # Pages of the roles are not even registered for an anonymous tab.
    with pytest.raises(ValueError):
        at.switch_page("console/controller.py")


def test_a_wrong_code_is_refused_and_nothing_is_kept(exercise: Exercise) -> None:
    good = exercise.code(Role.CONTROLLER)
    # Right selector, wrong secret: the hash check must fail.
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    at = sign_in(wrong)
    assert "not valid" in at.error[0].value
    assert session.CALLER_KEY not in at.session_state


@pytest.mark.parametrize(
    ("role", "agency"),
    [(Role.CONTROLLER, None), (Role.PLAYER, "fire"), (Role.EVALUATOR, None), (Role.OBSERVER, None)],
)
def test_the_code_decides_role_agency_and_landing_page(exercise: Exercise, role: Role, agency: str | None) -> None:
    at = sign_in(exercise.code(role, agency), name="Dana Reyes")
    caller = at.session_state[session.CALLER_KEY]
    assert (caller.role, caller.agency, caller.exercise_id) == (role, agency, exercise.id)
    assert caller.name == "Dana Reyes"
    assert any(t.startswith("Signed in as") for t in toasts(at))
    sidebar = [c.value for c in at.sidebar.caption]
    assert "Mill fire drill" in sidebar and not [c for c in sidebar if c.startswith("Exercise ")], sidebar
    if role is Role.CONTROLLER:
        assert at.button(key="ctl_start").label == "Start exercise"
    elif role is Role.PLAYER:
        assert [b.label for b in at.button if b.label == "Log action"]
    elif role is Role.EVALUATOR:
        assert [b.label for b in at.button if b.label == "Record observation"]
    else:
        assert [b.label for b in at.get("download_button")]


def test_a_player_has_no_controller_pages(exercise: Exercise) -> None:
    at = console(exercise.caller(Role.PLAYER, "police"))
    for page in ("controller.py", "msel.py", "evaluator.py", "summary.py", "new_exercise.py", "designer.py"):
        with pytest.raises(ValueError):
            at.switch_page(f"console/{page}")


def test_an_observer_reads_the_summary_but_has_no_controls(exercise: Exercise) -> None:
    at = console(exercise.caller(Role.OBSERVER))
    with pytest.raises(ValueError):
        at.switch_page("console/controller.py")
    assert not [b for b in at.button if b.key == "plan_save"]


def test_sign_out_forgets_the_caller(exercise: Exercise) -> None:
    at = console(exercise.controller)
    at.button(key="sign_out").click().run()
    assert session.CALLER_KEY not in at.session_state
    assert at.text_input(key="signin_code").label == "Access code"


def test_when_the_exercise_ends_a_player_reads_that_it_has_ended(exercise: Exercise) -> None:
    player = sign_in(exercise.code(Role.PLAYER, "fire"), name="Capt. Ruiz")
    exercise.svc.start(exercise.controller)
    exercise.svc.end(exercise.controller)
    player.run()
    assert session.CALLER_KEY not in player.session_state
    notices = [n.value for n in [*player.info, *player.warning, *player.success]]
    assert any(n.startswith("The exercise has ended") for n in notices), notices
