"""Access codes: issued once per role and player agency, stored only as argon2 hashes, and
signing in with one gives exactly that role (and agency)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from exercises.access import AccessDenied, Role
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from exercises.storage.tables import Participant
from tests.service.conftest import CHEAP_HASHER, WallClock


def test_codes_per_role_and_player_agency(service: ExerciseService, two_players: Scenario) -> None:
    created = service.create_exercise(two_players, seed=1)
    issued = {(c.role, c.agency) for c in created.codes}
    assert issued == {
        (Role.CONTROLLER, None), (Role.EVALUATOR, None), (Role.OBSERVER, None),
        (Role.PLAYER, "fire"), (Role.PLAYER, "operator"),
    }
    assert len({c.code for c in created.codes}) == len(created.codes)
    for code in created.codes:
        caller = service.sign_in(code.code)
        assert (caller.exercise_id, caller.role, caller.agency) == (created.exercise.id, code.role, code.agency)


def test_codes_are_stored_only_hashed(service: ExerciseService, warehouse: Scenario) -> None:
    created = service.create_exercise(warehouse, seed=1)
    with service.db.reading() as session:
        rows = session.exec(select(Participant).where(Participant.exercise_id == created.exercise.id)).all()
    stored = " ".join(f"{r.selector} {r.secret_hash}" for r in rows)
    for code in created.codes:
        secret = code.code.replace("-", "")[6:]
        assert secret not in stored
    assert all(r.secret_hash.startswith("$argon2id$") for r in rows)


def test_codes_survive_how_people_type_them(service: ExerciseService, warehouse: Scenario) -> None:
    created = service.create_exercise(warehouse, seed=1)
    code = created.codes[0].code
    typed = " ".join(code.lower().split("-")).replace("0", "o").replace("1", "l")
    assert service.sign_in(typed).role is Role.CONTROLLER


@pytest.mark.parametrize("wrong", ["", "nonsense", "AAAAAA-AAAA-AAAA-AAAA-AAAA", "x" * 500])
def test_wrong_codes_are_refused(service: ExerciseService, warehouse: Scenario, wrong: str) -> None:
    service.create_exercise(warehouse, seed=1)
    with pytest.raises(AccessDenied, match="unknown or wrong access code"):
        service.sign_in(wrong)


def test_a_right_selector_with_a_wrong_secret_is_refused(service: ExerciseService, warehouse: Scenario) -> None:
    created = service.create_exercise(warehouse, seed=1)
    code = created.codes[0].code
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(AccessDenied):
        service.sign_in(tampered)


def test_sign_in_upgrades_weak_hashes(db_url: str, warehouse: Scenario, wall: WallClock) -> None:
    weak = ExerciseService.open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)
    created = weak.create_exercise(warehouse, seed=1)
    default = ExerciseService.open(db_url, wall_clock=wall)  # argon2-cffi's default parameters
    code = created.codes[1]
    assert default.sign_in(code.code).role is code.role
    with default.db.reading() as session:
        row = session.exec(select(Participant).where(Participant.selector == code.code[:6])).one()
    assert not PasswordHasher().check_needs_rehash(row.secret_hash)
    assert default.sign_in(code.code).role is code.role


def test_a_name_given_at_sign_in_shows_as_the_actor(service: ExerciseService, warehouse: Scenario) -> None:
    created = service.create_exercise(warehouse, seed=1)
    player = next(c for c in created.codes if c.role is Role.PLAYER)
    caller = service.sign_in(player.code, name="Capt. Ruiz")
    assert caller.actor == "player:fire (Capt. Ruiz)"
    ctl = service.sign_in(created.codes[0].code)
    service.start(ctl)
    assert service.log_action(caller, "establish_command").actor == "player:fire (Capt. Ruiz)"
