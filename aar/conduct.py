"""How play was conducted, said once: when the clock stopped against the plan and how fast it ran.

The executive summary and the overview both print ``conduct_sentence``; a reader must not have to
work out from two times in a table that play ended early or that an hour passed in a minute.
"""

from __future__ import annotations

from collections.abc import Sequence

from aar.record import Record
from exercises.record.entries import ClockSpeedChanged, ClockStarted, Entry
from exercises.scenario.durations import format_duration, format_span

ON_TIME_S = 60.0
"""Play that stops within a minute of the planned end ran its whole length."""


def clock_speeds(entries: Sequence[Entry]) -> tuple[float, ...]:
    """Each speed the clock ran at, in the order first set (exercise seconds per wall second)."""
    speeds = [e.payload.speed for e in entries if isinstance(e.payload, ClockStarted | ClockSpeedChanged)]
    return tuple(dict.fromkeys(speeds))


def _times(speed: float) -> str:
    return f"{speed:g}"


def speed_sentence(speeds: Sequence[float]) -> str:
    """'The clock ran at 60 times real time (an hour of the scenario in a minute).'"""
    if not speeds:
        return ""
    if tuple(speeds) == (1.0,):
        return "The clock ran in real time."
    if len(speeds) == 1:
        (speed,) = speeds
        if speed < 1:
            return f"The clock ran at {_times(speed)} times real time (slower than real time)."
        return (f"The clock ran at {_times(speed)} times real time (one minute of play stood for "
                f"{format_span(60 * speed)} of the scenario).")
    listed = ", ".join(_times(s) for s in speeds[:-1]) + f" and {_times(speeds[-1])}"
    return f"The clock ran at {listed} times real time at different points of play."


def end_sentence(record: Record, planned_s: float) -> str:
    """Whether play ran its planned length, stopped early, or has not been ended."""
    planned = format_duration(planned_s)
    if record.ended_at is None:
        return f"Play has not been ended: the record stops at {format_duration(record.last_at)} of the planned {planned}."
    if record.ended_at < planned_s - ON_TIME_S:
        share = record.ended_at / planned_s if planned_s else 0.0
        return (f"Play was ended early, at {format_duration(record.ended_at)} of the planned {planned} "
                f"({share:.0%}); what the scenario held after that was not played.")
    return f"Play ran its planned {planned}."


def conduct_sentence(record: Record, planned_s: float) -> str:
    """Both sentences for an exercise whose clock was started; none for a real incident."""
    if record.real_incident or record.started_at is None:
        return ""
    return " ".join(s for s in (end_sentence(record, planned_s), speed_sentence(clock_speeds(record.entries))) if s)
