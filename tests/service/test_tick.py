"""Ticks from many open pages: one soon after this process's last tick writes nothing, the next one
catches the simulation up with the clock; after an entry of a player the next tick always writes."""

from __future__ import annotations

from exercises.entries import InjectDelivered
from tests.service.conftest import Opened, WallClock


def delivered(opened: Opened) -> list[str]:
    journal = opened.service.journal(opened.controller)
    return [e.payload.inject_id for e in journal if isinstance(e.payload, InjectDelivered)]


def test_a_tick_soon_after_a_commit_waits_for_the_next(opened: Opened, wall: WallClock) -> None:
    svc, ctl, fire = opened.service, opened.controller, opened.player("fire")
    svc.start(ctl, speed=60)
    wall.advance(29.95)  # 0:29:57 of exercise time
    svc.log_action(fire, "establish_command")
    svc.tick(ctl)  # after a player's entry a tick always writes: it brings the simulation up to 0:29:57
    assert "WF-03" not in delivered(opened)
    wall.advance(0.1)  # 0:30:03: WF-03 (0:30) is due, but this process ticked 0.1 s ago
    assert svc.tick(ctl) == []
    assert "WF-03" not in delivered(opened)
    wall.advance(0.5)
    appended = svc.tick(ctl)
    assert "WF-03" in delivered(opened) and appended



def test_a_release_is_delivered_by_the_very_next_tick(opened: Opened, wall: WallClock) -> None:
    svc, ctl = opened.service, opened.controller
    svc.start(ctl, speed=60)
    svc.hold_inject(ctl, "WF-03", reason="later")
    wall.advance(35)
    svc.tick(ctl)
    svc.release_inject(ctl, "WF-03")
    svc.tick(ctl)  # no wall time has passed: what the release set off is appended now
    assert "WF-03" in delivered(opened)
