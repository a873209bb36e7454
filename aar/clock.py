"""Exercise time, and the wall-clock time beside it when the exercise's real start is known."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from aar.model import Evidence, RealTime
from exercises.scenario.durations import format_duration


def wall(at: float, real: RealTime) -> str:
    """Local clock time of exercise second ``at``: '14:05 EDT' (seconds shown when not zero)."""
    moment = real.start + timedelta(seconds=round(at))
    stamp = moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
    zone = moment.tzname() or real.timezone
    return f"{stamp} {zone}"


def when(at: float | None, real: RealTime | None, *, real_incident: bool = False) -> str:
    """'0:14 (14:05 EDT)'; for a real incident the clock time leads: '14:05 EDT (+0:14)'."""
    if at is None:
        return "--"
    if real is None:
        return format_duration(at)
    if real_incident:
        return f"{wall(at, real)} (+{format_duration(at)})"
    return f"{format_duration(at)} ({wall(at, real)})"


def evidence_text(trail: Sequence[Evidence], real: RealTime | None, real_incident: bool = False) -> str:
    """'entry 13 at 0:14; entry 15 at 0:20': where a statement rests, in words."""
    return "; ".join(f"entry {ev.seq} at {when(ev.at, real, real_incident=real_incident)}" for ev in trail[:4])
