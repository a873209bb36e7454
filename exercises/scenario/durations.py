"""Scenario times and durations, written the way controllers write them.

Accepted: ``00:05`` and ``01:30`` (H:MM, as on a MSEL), ``01:30:15`` (H:MM:SS), and unit
strings such as ``45s``, ``5m``, ``1h30m``, ``2h``, ``1h 5m 30s``.

Not pytimeparse: it reads ``00:05`` as five *seconds* (M:SS), while every MSEL the users
write means five *minutes*. The grammar here is small and deliberately strict.
"""

from __future__ import annotations

import math
import re

_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_UNITS = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?$")


class DurationSyntaxError(ValueError):
    """A string that is not a duration in any of the accepted forms."""


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises DurationSyntaxError with a hint on anything else."""
    raw = text.strip().lower()
    clock = _CLOCK.match(raw)
    if clock:
        hours, minutes, seconds = clock.groups()
        return int(hours) * 3600.0 + int(minutes) * 60.0 + int(seconds or 0)
    units = _UNITS.match(raw)
    if raw and units and any(units.groups()):
        hours, minutes, seconds = (float(g) if g else 0.0 for g in units.groups())
        return hours * 3600.0 + minutes * 60.0 + seconds
    raise DurationSyntaxError(
        f"{text!r} is not a time: write H:MM ('00:05'), or units ('90s', '5m', '1h30m')"
    )


def format_duration(seconds: float) -> str:
    """``H:MM:SS`` (or ``H:MM`` on whole minutes), the way the MSEL and the report show times."""
    if not math.isfinite(seconds):
        return "--"
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if secs:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{hours}:{minutes:02d}"


def format_span(seconds: float) -> str:
    """A human span for prose: ``45 s``, ``4 min``, ``1 h 05 min``."""
    whole = round(abs(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min" if not secs else f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
