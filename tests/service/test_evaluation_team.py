"""Several evaluators: ratings kept apart until the lead evaluator reconciles them, on SQLite and
PostgreSQL. An evaluator cannot see or change another evaluator's unreconciled rating unless
they are the lead; the reconciliation is in the journal and ends the keeping apart."""

from __future__ import annotations

import pytest

from exercises.access import AccessDenied, Caller, ExerciseInputError
from exercises.record.entries import CapabilityRated, Correction, RatingReconciled
from exercises.scenario.model import Rating, Scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import code_for

CAPABILITY = "Operational Coordination"


class Team:
    def __init__(self, service: ExerciseService, scenario: Scenario) -> None:
        created = service.create_exercise(scenario, seed=3)
        code = code_for(created, "evaluator")
        self.service = service
        self.controller = service.sign_in(code_for(created, "controller"))
        self.observer = service.sign_in(code_for(created, "observer"))
        self.ana = service.sign_in(code, name="Ana Silva")
        self.ben = service.sign_in(code, name="Ben Okafor")
        self.lead = service.sign_in(code, name="Lee Park")
        service.assign_evaluator(self.controller, "Lee Park", lead=True)
        service.assign_evaluator(self.controller, "Ana Silva", capability=CAPABILITY)
        service.assign_evaluator(self.controller, "Ben Okafor", capability=CAPABILITY, agency="fire")
        service.start(self.controller)

    def ratings_seen_by(self, caller: Caller) -> dict[str, tuple[Rating | None, str]]:
        return {e.actor: (e.payload.rating, e.payload.reason) for e in self.service.journal(caller)
                if isinstance(e.payload, CapabilityRated)}


@pytest.fixture
def team(service: ExerciseService, warehouse: Scenario) -> Team:
    return Team(service, warehouse)


def test_each_evaluator_sees_only_their_own_rating_until_the_lead_reconciles(team: Team) -> None:
    svc = team.service
    svc.rate_capability(team.ana, CAPABILITY, "S", "Command was set up but the EOC heard late.")
    svc.rate_capability(team.ben, CAPABILITY, "U", "No unified command with the operator.")
    ana, ben = team.ana.actor, team.ben.actor

    assert team.ratings_seen_by(team.ana) == {ana: (Rating.S, "Command was set up but the EOC heard late."),
                                              ben: (None, "")}
    assert team.ratings_seen_by(team.ben)[ana] == (None, "")
    # The whole record (report, export) carries every rating: not for them yet.
    for read in (lambda c: svc.record(c), lambda c: svc.export(c, "jsonl"), lambda c: svc.export(c, "csv")):
        with pytest.raises(AccessDenied, match="lead evaluator reconciles"):
            read(team.ana)
    # The lead, controllers and observers see every rating.
    for reader in (team.lead, team.controller, team.observer):
        assert team.ratings_seen_by(reader)[ben] == (Rating.U, "No unified command with the operator.")
        svc.record(reader)

    entry = svc.reconcile_rating(team.lead, CAPABILITY, "M", "Command stood up; the operator was never joined.")
    assert isinstance(entry.payload, RatingReconciled)
    assert entry.payload.ratings == tuple(
        e.seq for e in svc.journal(team.lead) if isinstance(e.payload, CapabilityRated))
    assert team.ratings_seen_by(team.ana)[ben] == (Rating.U, "No unified command with the operator.")
    assert any(isinstance(e.payload, RatingReconciled) for e in svc.record(team.ana).entries)


def test_a_new_rating_after_reconciliation_is_kept_apart_again(team: Team) -> None:
    svc = team.service
    svc.rate_capability(team.ana, CAPABILITY, "S", "first look")
    svc.reconcile_rating(team.lead, CAPABILITY, "S", "one rating, agreed")
    svc.rate_capability(team.ana, CAPABILITY, "M", "after the hot wash")
    assert team.ratings_seen_by(team.ben)[team.ana.actor] == (None, "")


def test_no_one_but_the_lead_reconciles_and_no_one_corrects_a_rating(team: Team) -> None:
    svc = team.service
    rated = svc.rate_capability(team.ana, CAPABILITY, "S", "late EOC notification")
    before = len(svc.journal(team.controller))
    for caller in (team.ben, team.ana):
        with pytest.raises(AccessDenied, match="only the lead evaluator"):
            svc.reconcile_rating(caller, CAPABILITY, "P", "overruled")
    with pytest.raises(AccessDenied):
        svc.reconcile_rating(team.controller, CAPABILITY, "P", "overruled")
    for caller in (team.ben, team.lead, team.controller, team.ana):
        with pytest.raises((AccessDenied, ExerciseInputError)):  # ratings are revised by rating again
            svc.correct(caller, rated.seq, "changed")
    with pytest.raises(AccessDenied):
        svc.rate_capability(team.controller, CAPABILITY, "P", "a controller is not an evaluator")
    with pytest.raises(AccessDenied):
        svc.assign_evaluator(team.ana, "Ana Silva", lead=True)
    assert len(svc.journal(team.controller)) == before
    assert not any(isinstance(e.payload, Correction) for e in svc.journal(team.controller))


def test_a_rating_needs_its_reason_and_a_known_objective(team: Team) -> None:
    with pytest.raises(ExerciseInputError, match="reason"):
        team.service.rate_capability(team.ana, CAPABILITY, "S", "  ")
    with pytest.raises(ExerciseInputError, match="unknown objective"):
        team.service.rate_capability(team.ana, CAPABILITY, "S", "seen", objective="obj_nope")
    # In the evaluator's words, not the validator's ("String should have at least 1 character").
    with pytest.raises(ExerciseInputError, match=r"^the reason is empty$"):
        team.service.reconcile_rating(team.lead, CAPABILITY, "M", "")


def test_an_evaluator_named_lead_later_sees_every_rating(team: Team) -> None:
    svc = team.service
    svc.rate_capability(team.ana, CAPABILITY, "P", "smooth")
    assert team.ratings_seen_by(team.ben)[team.ana.actor] == (None, "")
    svc.assign_evaluator(team.controller, "Ben Okafor", lead=True)
    assert team.ratings_seen_by(team.ben)[team.ana.actor] == (Rating.P, "smooth")
    with pytest.raises(AccessDenied):
        svc.reconcile_rating(team.lead, CAPABILITY, "P", "no longer the lead")
