"""Ticks from many open pages: one soon after this process's last commit writes nothing; the next
one catches the simulation up with the clock."""

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
    svc.log_action(fire, "establish_command")  # brings the simulation up to the clock and commits
    assert "WF-03" not in delivered(opened)
    wall.advance(0.1)  # 0:30:03: WF-03 (0:30) is due, but this process committed 0.1 s ago
    assert svc.tick(ctl) == []
    assert "WF-03" not in delivered(opened)
    wall.advance(0.5)
    appended = svc.tick(ctl)
    assert "WF-03" in delivered(opened) and appended

