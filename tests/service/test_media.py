"""The media layer through the exercise service: who may publish, what the feed shows, replay."""

from __future__ import annotations

import pytest

from exercises.access import AccessDenied, ExerciseInputError
from exercises.record.entries import RumourAddressed, StatementIssued
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from sim_engine.live import clear_cache
from tests.service.conftest import Opened, WallClock


@pytest.fixture
def running(service: ExerciseService, with_media: Scenario, wall: WallClock) -> Opened:
    ex = Opened(service, service.create_exercise(with_media, seed=3))
    service.start(ex.controller, speed=10.0)
    wall.advance(60)  # ten exercise minutes: the smoke rumour (started at 0:00) is spreading
    service.tick(ex.controller)
    return ex


def test_the_spokesperson_answers_a_rumour_and_everyone_sees_it_answered_by_name(
    service: ExerciseService, running: Opened
) -> None:
    feed = service.media_feed(running.player("operator"))
    rumour = next(i for i in feed if i.rumour_id == "toxic_smoke")
    assert rumour.kind == "rumour" and not rumour.answered and rumour.source == "Neighbourhood group"
    entry = service.publish_statement(running.player("fire"), ["smoke"], "Tests show the smoke is not toxic.")
    assert isinstance(entry.payload, StatementIssued) and entry.agency == "fire"
    service.tick(running.controller)
    for reader in (running.player("operator"), running.controller, running.observer):
        feed = service.media_feed(reader)
        rumour = next(i for i in feed if i.rumour_id == "toxic_smoke")
        assert rumour.answered and rumour.answered_by == "Town Fire Department"
        statement = next(i for i in feed if i.kind == "statement")
        assert statement.source == "Town Fire Department" and statement.topics == ("Toxic smoke over the neighbourhood",)
        assert statement.text == "Tests show the smoke is not toxic."
    addressed = [e for e in service.journal(running.controller) if isinstance(e.payload, RumourAddressed)]
    assert [(e.agency, e.at, e.actor) for e in addressed] == [("fire", entry.at, "engine")]
    curve = service.trust_curve(running.observer)
    assert curve[0].trust == 60 and curve[-1].trust > curve[-2].trust  # answered (+2), statement (+3)


def test_only_a_spokesperson_agency_may_publish_and_a_refusal_writes_nothing(
    service: ExerciseService, running: Opened
) -> None:
    before = running.count()
    with pytest.raises(AccessDenied, match="Warehouse Operator does not speak"):
        service.publish_statement(running.player("operator"), ["smoke"], "All clear")
    with pytest.raises(AccessDenied, match="does not speak"):
        service.publish_statement(running.controller, ["smoke"], "All clear", agency="operator")
    with pytest.raises(AccessDenied):
        service.publish_statement(running.player("operator"), ["smoke"], "All clear", agency="fire")
    with pytest.raises(AccessDenied):
        service.publish_statement(running.observer, ["smoke"], "All clear", agency="fire")
    with pytest.raises(ExerciseInputError, match="unknown topic 'smok'"):
        service.publish_statement(running.player("fire"), ["smok"], "All clear")
    with pytest.raises(ExerciseInputError, match="needs text"):
        service.publish_statement(running.player("fire"), ["smoke"], "  ")
    with pytest.raises(ExerciseInputError, match="unknown outlet"):
        service.add_media_item(running.controller, "cnn", "Breaking")
    with pytest.raises(ExerciseInputError, match="unknown rumour"):
        service.add_media_item(running.controller, "local_tv", "Breaking", starts_rumour="aliens")
    assert running.count() == before


def test_a_scenario_without_a_media_layer_has_no_feed_and_takes_no_statement(
    service: ExerciseService, opened: Opened
) -> None:
    service.start(opened.controller)
    assert service.media_feed(opened.controller) == []
    assert not service.media_desk(opened.controller).enabled
    with pytest.raises(ExerciseInputError, match="no media layer"):
        service.add_media_item(opened.controller, "local_tv", "Breaking")


def test_the_desk_offers_players_no_preview_of_rumours(service: ExerciseService, running: Opened) -> None:
    assert service.media_desk(running.player("fire")).may_publish
    assert not service.media_desk(running.player("operator")).may_publish
    assert service.media_desk(running.player("fire")).rumours == {}
    assert set(service.media_desk(running.controller).rumours) == {"toxic_smoke", "trapped"}


def test_a_controllers_item_and_a_statement_survive_a_restart_and_replay(
    service: ExerciseService, running: Opened, wall: WallClock, db_url: str
) -> None:
    service.add_media_item(running.controller, "local_tv", "Crews inside the warehouse", starts_rumour="trapped")
    wall.advance(30)
    service.publish_statement(running.player("fire"), ["staff"], "All staff are accounted for.")
    wall.advance(120)
    service.tick(running.controller)
    journal = service.journal(running.controller)
    clear_cache()
    fresh = ExerciseService.open(db_url, wall_clock=wall)
    fresh.tick(running.controller)  # a cold replay of the whole journal: nothing diverges, nothing new
    assert fresh.journal(running.controller)[: len(journal)] == journal
    assert any(isinstance(e.payload, RumourAddressed) and e.agency == "fire" for e in journal)
