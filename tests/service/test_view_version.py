"""What a live page shows, in a word (``view_version``): a page is redrawn when it changes, so it must
move with the news of the caller's view and only with it: a player's page stays as it is while other
agencies' entries come in, and is redrawn when its own agency's inbox or log changes, or a deadline
on it passes."""

from __future__ import annotations

from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import Opened, WallClock


def test_a_players_page_moves_with_its_agencys_news_and_the_controllers_with_every_entry(
    service: ExerciseService, two_players: Scenario, wall: WallClock,
) -> None:
    ex = Opened(service, service.create_exercise(two_players, seed=3))
    service.start(ex.controller)
    service.tick(ex.controller)  # what the simulation delivers at the start, in (the clock stays put)
    fire, operator = ex.player("fire"), ex.player("operator")
    before_fire, before_ctl = service.view_version(fire), service.view_version(ex.controller)

    service.send_message(operator, "eoc", "headcount done")  # the operator's own log, not the fire department's
    assert service.view_version(fire).version == before_fire.version
    assert service.view_version(ex.controller).version != before_ctl.version

    service.request_resource(operator, "fire", "engine", 1, text="second engine")  # reaches the fire inbox
    after = service.view_version(fire)
    assert after.version != before_fire.version
    assert service.inbox(fire)[-1].subject.startswith("Request for")


def test_a_page_is_redrawn_when_a_deadline_on_it_passes(
    service: ExerciseService, two_players: Scenario, wall: WallClock,
) -> None:
    ex = Opened(service, service.create_exercise(two_players, seed=3))
    service.start(ex.controller)
    fire = ex.player("fire")
    service.log_action(fire, "establish_command", text="command post at the gate")
    due = service.view_version(fire).next_due
    pending = [p.due_at for p in service.protocol_clock(fire) if p.status.value == "pending"]
    assert due == (min(pending) if pending else None)
    if due is not None:
        wall.now += due + 1  # the exercise clock runs at x1 from the start
        assert service.view_version(fire).clock >= due
