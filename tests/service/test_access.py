"""The access matrix: every role x action x agency, allowed or refused as the roles say.

The expected outcome is written out here, independently of exercises.access: controllers run
everything and act for any agency; a player acts and reads only for its own agency; evaluators
record observations and read everything; observers (commanders) only read. A refused call raises
AccessDenied and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from exercises.access import AccessDenied, Caller
from exercises.record.entries import ActionLogged, ObservationRecorded
from exercises.scenario.model import Inject, Scenario
from exercises.service.details import ExerciseDetails
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import Opened

OTHER = {"fire": "operator", "operator": "fire"}
CALLERS = ("controller", "player_own", "player_other", "evaluator", "observer")
EVERYONE = frozenset(CALLERS)
CONTROLLER = frozenset({"controller"})
ACTORS = frozenset({"controller", "player_own"})
READERS_OF_ALL = frozenset({"controller", "evaluator", "observer"})
READERS_OF_AGENCY = READERS_OF_ALL | {"player_own"}


@dataclass
class Fixture:
    ex: Opened
    action_seq: dict[str, int] = field(default_factory=dict)
    observation_seq: int = 0


Call = Callable[[ExerciseService, Caller, Fixture, str], object]


@dataclass(frozen=True)
class Case:
    call: Call
    allowed: frozenset[str]
    writes: bool
    setup: str = "running"
    bound: bool = False
    """Whether the action names an agency (then it runs for each player agency)."""
    media: bool = False
    """Whether it needs the scenario with a media layer (the fire agency speaks for the response)."""


def _added_inject() -> Inject:
    return Inject.model_validate(
        {
            "id": "ADD-1", "time": 600.0, "from": "simcell", "to": ["fire"], "mode": "phone",
            "synopsis": "A reporter calls", "text": "A reporter asks about casualties.",
            "capability": "Public Information and Warning",
        }
    )


CASES: dict[str, Case] = {
    "start": Case(lambda s, c, f, a: s.start(c), CONTROLLER, True, setup="fresh"),
    "pause": Case(lambda s, c, f, a: s.pause(c), CONTROLLER, True),
    "resume": Case(lambda s, c, f, a: s.resume(c), CONTROLLER, True, setup="paused"),
    "change speed": Case(lambda s, c, f, a: s.change_speed(c, 4.0), CONTROLLER, True),
    "end": Case(lambda s, c, f, a: s.end(c), CONTROLLER, True),
    "release inject": Case(lambda s, c, f, a: s.release_inject(c, "WF-02", override=True), CONTROLLER, True),
    "hold inject": Case(lambda s, c, f, a: s.hold_inject(c, "WF-03", reason="later"), CONTROLLER, True),
    "add inject": Case(lambda s, c, f, a: s.add_inject(c, _added_inject()), CONTROLLER, True),
    "log action": Case(
        lambda s, c, f, a: s.log_action(c, "evacuate_staff", agency=a, text="go"), ACTORS, True, bound=True
    ),
    "send message": Case(
        lambda s, c, f, a: s.send_message(c, "eoc", "status report", agency=a), ACTORS, True, bound=True
    ),
    "request resource": Case(
        lambda s, c, f, a: s.request_resource(c, "eoc", "duty_officer", 1, agency=a), ACTORS, True, bound=True
    ),
    "record observation": Case(
        lambda s, c, f, a: s.record_observation(c, "Operational Coordination", agency=a, rating="P"),
        frozenset({"controller", "evaluator"}), True, bound=True,
    ),
    "edit improvement item": Case(
        lambda s, c, f, a: s.edit_improvement_item(c, "IP-1", {"corrective_action": "Drill the radio plan"}),
        CONTROLLER, True,
    ),
    "correct an agency's action": Case(
        lambda s, c, f, a: s.correct(
            c, f.action_seq[a], "wrong action", replacement=ActionLogged(action="head_count")
        ),
        ACTORS, True, bound=True,
    ),
    "void an observation": Case(
        lambda s, c, f, a: s.correct(c, f.observation_seq, "duplicate"),
        frozenset({"controller", "evaluator"}), True,
    ),
    "replace an observation": Case(
        lambda s, c, f, a: s.correct(
            c, f.observation_seq, "rating", replacement=ObservationRecorded(capability="Planning", rating="M")
        ),
        frozenset({"controller", "evaluator"}), True,
    ),
    "tick": Case(lambda s, c, f, a: s.tick(c), EVERYONE, False),
    "state": Case(lambda s, c, f, a: s.state(c), EVERYONE, False),
    "exercise name": Case(lambda s, c, f, a: s.exercise_name(c), EVERYONE, False),
    "briefing": Case(lambda s, c, f, a: s.briefing(c), EVERYONE, False),
    "feed": Case(lambda s, c, f, a: s.feed(c), EVERYONE, False),
    "view version": Case(lambda s, c, f, a: s.view_version(c), EVERYONE, False),
    "evaluation record": Case(lambda s, c, f, a: s.evaluation_record(c), READERS_OF_ALL, False),
    "inbox": Case(lambda s, c, f, a: s.inbox(c, a), READERS_OF_AGENCY, False, bound=True),
    "agency log": Case(lambda s, c, f, a: s.agency_log(c, a), READERS_OF_AGENCY, False, bound=True),
    "message notice": Case(
        lambda s, c, f, a: s.message_notice(c, "eoc", (), agency=a), READERS_OF_AGENCY, False, bound=True
    ),
    "protocol clock of an agency": Case(
        lambda s, c, f, a: s.protocol_clock(c, a), READERS_OF_AGENCY, False, bound=True
    ),
    "protocol clock of a simulated agency": Case(
        lambda s, c, f, a: s.protocol_clock(c, "eoc"), READERS_OF_ALL, False
    ),
    "timeline": Case(lambda s, c, f, a: s.timeline(c), READERS_OF_ALL, False),
    "msel": Case(lambda s, c, f, a: s.msel(c), READERS_OF_ALL, False),
    "scenario with msel": Case(lambda s, c, f, a: s.scenario(c), READERS_OF_ALL, False),
    "journal": Case(lambda s, c, f, a: s.journal(c), READERS_OF_ALL, False),
    "verify": Case(lambda s, c, f, a: s.verify(c), READERS_OF_ALL, False),
    "record": Case(lambda s, c, f, a: s.record(c), READERS_OF_ALL, False),
    "export": Case(lambda s, c, f, a: s.export(c, "csv"), READERS_OF_ALL, False),
    "participants": Case(lambda s, c, f, a: s.participants(c), CONTROLLER, False),
    # Both open another exercise: this one's journal is left as it was.
    "run again": Case(lambda s, c, f, a: s.run_again(c), CONTROLLER, False),
    "branch": Case(lambda s, c, f, a: s.branch(c, seq=f.ex.count()), CONTROLLER, False, setup="paused"),
    "lineage": Case(lambda s, c, f, a: (s.lineage(c),), READERS_OF_ALL, False),
    # The exercise's details and the stored baseline's hash are journal entries.
    "exercise details": Case(lambda s, c, f, a: s.exercise_details(c), READERS_OF_ALL, False),
    "set exercise details": Case(
        lambda s, c, f, a: s.set_exercise_details(c, ExerciseDetails(timezone="Europe/Paris")), CONTROLLER, True
    ),
    "saved baseline": Case(lambda s, c, f, a: (s.saved_baseline(c),), READERS_OF_ALL, False),
    "save baseline": Case(lambda s, c, f, a: s.save_baseline(c, '{"runs": 1}'), CONTROLLER, True),
    # The keys pinned for the record, outside the database: named to every reader of the whole
    # record; pinning one for a record from before pins is the operator's (a controller's) act.
    "pinned keys": Case(lambda s, c, f, a: s.pinned_keys(c), READERS_OF_ALL, False),
    "pin key": Case(lambda s, c, f, a: s.pin_key(c), CONTROLLER, False),
    "publish statement": Case(
        lambda s, c, f, a: s.publish_statement(c, ["smoke"], "The smoke is not toxic.", agency="fire"),
        ACTORS, True, media=True,
    ),
    "add media item": Case(
        lambda s, c, f, a: s.add_media_item(c, "local_tv", "Crews at the warehouse", starts_rumour="trapped"),
        CONTROLLER, True, media=True,
    ),
    "assign an evaluator": Case(
        lambda s, c, f, a: s.assign_evaluator(c, "Ana Silva", capability="Planning"), CONTROLLER, True
    ),
    # Evaluators are told apart by name: every caller here gives one; only evaluators rate.
    "rate a capability": Case(
        lambda s, c, f, a: s.rate_capability(replace(c, name="Ana Silva"), "Planning", "S", "seen"),
        frozenset({"evaluator"}), True,
    ),
    # The lead named in _prepare is "Lee Park": only an evaluator signed in under that name reconciles.
    "reconcile a rating": Case(
        lambda s, c, f, a: s.reconcile_rating(replace(c, name="Lee Park"), "Planning", "M", "weighed"),
        frozenset({"evaluator"}), True,
    ),
    "accept a capability's analysis": Case(
        lambda s, c, f, a: s.accept_analysis(replace(c, name="Lee Park"), "Planning", "Drafted and read."),
        frozenset({"evaluator"}), True,
    ),
    "record the hot wash": Case(
        lambda s, c, f, a: s.record_hot_wash(c, "fire", "strength", "Clear command", "Chief Diaz"),
        CONTROLLER, True, setup="ended",
    ),
    "fill the feedback form": Case(
        lambda s, c, f, a: s.submit_feedback(c, {"structured": 4}), EVERYONE, True, setup="ended"
    ),
    "may read the whole record": Case(lambda s, c, f, a: s.may_read_whole_record(c), READERS_OF_ALL, False),
    "require the whole record": Case(lambda s, c, f, a: (s.require_whole_record(c),), READERS_OF_ALL, False),
    "media feed": Case(lambda s, c, f, a: s.media_feed(c), EVERYONE, False, media=True),
    "media desk": Case(lambda s, c, f, a: s.media_desk(c), EVERYONE, False, media=True),
    "trust curve": Case(lambda s, c, f, a: s.trust_curve(c), EVERYONE, False, media=True),
}


def _prepare(service: ExerciseService, scenario: Scenario, setup: str) -> Fixture:
    ex = Opened(service, service.create_exercise(scenario, seed=5))
    fixture = Fixture(ex)
    if setup == "fresh":
        return fixture
    service.start(ex.controller)
    service.hold_inject(ex.controller, "WF-02")
    for agency in OTHER:
        fixture.action_seq[agency] = service.log_action(ex.player(agency), "head_count").seq
    fixture.observation_seq = service.record_observation(ex.evaluator, "Planning", rating="S").seq
    service.assign_evaluator(ex.controller, "Lee Park", lead=True)
    if setup == "paused":
        service.pause(ex.controller)
    if setup == "ended":
        service.end(ex.controller)
    return fixture


def _caller(fixture: Fixture, who: str, agency: str) -> Caller:
    ex = fixture.ex
    return {
        "controller": ex.controller,
        "player_own": ex.player(agency),
        "player_other": ex.player(OTHER[agency]),
        "evaluator": ex.evaluator,
        "observer": ex.observer,
    }[who]


MATRIX = [
    pytest.param(name, agency, id=f"{name}-{agency}" if case.bound else name)
    for name, case in CASES.items()
    for agency in (("fire", "operator") if case.bound else ("fire",))
]


@pytest.mark.parametrize(("name", "agency"), MATRIX)
def test_access_matrix(
    name: str, agency: str, service: ExerciseService, two_players: Scenario, with_media: Scenario
) -> None:
    case = CASES[name]
    two_players = with_media if case.media else two_players
    shared = _prepare(service, two_players, case.setup)
    for who in CALLERS:
        # A refused call must leave the journal as it was; an allowed write gets a fresh exercise
        # in the same state, so each caller meets the state the action needs.
        fixture = _prepare(service, two_players, case.setup) if (who in case.allowed and case.writes) else shared
        before = fixture.ex.count()
        caller = _caller(fixture, who, agency)
        if who in case.allowed:
            result = case.call(service, caller, fixture, agency)
            assert result is not None
            if case.writes:
                assert fixture.ex.count() > before, (name, who)
        else:
            with pytest.raises(AccessDenied):
                case.call(service, caller, fixture, agency)
            assert fixture.ex.count() == before, (name, who)


def test_every_service_call_is_in_the_matrix() -> None:
    public = {
        n for n in dir(ExerciseService)  # the role classes' methods too
        if not n.startswith("_") and callable(getattr(ExerciseService, n))
    }
    operator_level = {
        "open", "create_exercise", "import_exercise", "list_exercises", "sign_in", "operator", "public_key",
        # the template library belongs to the installation, as opening exercises does
        "save_template", "templates", "template", "template_bundle", "rename_template", "retire_template",
        "create_from_template",
    }
    covered = {
        "start", "pause", "resume", "change_speed", "end", "release_inject", "hold_inject", "add_inject",
        "log_action", "send_message", "request_resource", "record_observation", "edit_improvement_item",
        "correct", "tick", "state", "exercise_name", "briefing", "feed", "inbox", "agency_log", "protocol_clock", "timeline",
        "msel", "scenario", "journal", "verify", "export", "participants", "record",
        "exercise_details", "set_exercise_details", "saved_baseline", "save_baseline", "pinned_keys", "pin_key",
        "publish_statement", "add_media_item", "media_feed", "media_desk", "trust_curve", "message_notice",
        "run_again", "branch", "lineage",
        "save_exercise_as_template",  # tests/service/test_templates.py: the controller's alone
        "assign_evaluator", "rate_capability", "reconcile_rating", "accept_analysis", "record_hot_wash",
        "submit_feedback",
        "may_read_whole_record", "require_whole_record", "view_version", "evaluation_record",
    }
    assert public - operator_level == covered


def test_a_players_feed_and_deadlines_show_only_its_agency(service: ExerciseService, two_players: Scenario) -> None:
    fixture = _prepare(service, two_players, "running")
    ex = fixture.ex
    service.send_message(ex.player("operator"), "eoc", "operator only")
    service.record_observation(ex.evaluator, "Planning", text="evaluators only")
    feed = service.feed(ex.player("fire"))
    assert feed, "the fire player sees its own action"
    assert all(item.agency in ("fire", None) for item in feed)
    assert not any("operator only" in i.summary or "evaluators only" in i.summary for i in feed)
    assert {p.agency for p in service.protocol_clock(ex.player("fire"))} <= {"fire"}
    everything = service.feed(ex.controller)
    assert any("operator only" in i.summary for i in everything)
