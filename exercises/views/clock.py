"""The exercise clock, derived from the clock entries of the journal and the wall time of each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from exercises.record.entries import (
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Entry,
    EntryKind,
)


class ClockStatus(StrEnum):
    NOT_STARTED = "not started"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


CLOCK_KINDS = frozenset(
    {
        EntryKind.CLOCK_STARTED,
        EntryKind.CLOCK_PAUSED,
        EntryKind.CLOCK_RESUMED,
        EntryKind.CLOCK_SPEED_CHANGED,
        EntryKind.CLOCK_ENDED,
    }
)


@dataclass(frozen=True)
class Clock:
    """The exercise clock: exercise time = anchor time + wall seconds since the anchor x speed
    while running; frozen at the anchor otherwise. The anchor is the last clock entry."""

    status: ClockStatus = ClockStatus.NOT_STARTED
    speed: float = 1.0
    anchor_at: float = 0.0
    anchor_wall: float = 0.0

    def now(self, wall: float) -> float:
        if self.status is ClockStatus.RUNNING:
            return self.anchor_at + max(0.0, wall - self.anchor_wall) * self.speed
        return self.anchor_at

    @property
    def live(self) -> bool:
        """Started and not ended: the simulation follows the clock."""
        return self.status in (ClockStatus.RUNNING, ClockStatus.PAUSED)


def derive_clock(marks: Iterable[tuple[Entry, float]]) -> Clock:
    """The clock after the given (entry, wall time) pairs in journal order; other kinds are ignored."""
    clock = Clock()
    for entry, wall in marks:
        p = entry.payload
        if isinstance(p, ClockStarted) and clock.status is ClockStatus.NOT_STARTED:
            clock = Clock(ClockStatus.RUNNING, p.speed, entry.at, wall)
        elif isinstance(p, ClockPaused) and clock.status is ClockStatus.RUNNING:
            clock = Clock(ClockStatus.PAUSED, clock.speed, entry.at, wall)
        elif isinstance(p, ClockResumed) and clock.status is ClockStatus.PAUSED:
            clock = Clock(ClockStatus.RUNNING, clock.speed, entry.at, wall)
        elif isinstance(p, ClockSpeedChanged) and clock.live:
            clock = Clock(clock.status, p.speed, entry.at, wall)
        elif isinstance(p, ClockEnded) and clock.live:
            clock = Clock(ClockStatus.ENDED, clock.speed, entry.at, wall)
    return clock

