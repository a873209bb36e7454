from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exercises.scenario.durations import DurationSyntaxError, format_duration, format_span, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:05", 300),  # H:MM as on a MSEL: five minutes, not five seconds
        ("01:30", 5400),
        ("1:30:15", 5415),
        ("5m", 300),
        ("1h30m", 5400),
        ("1h 5m 30s", 3930),
        ("90s", 90),
        ("2h", 7200),
        ("1.5h", 5400),
        (" 15M ", 900),
    ],
)
def test_controller_times(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "-1m", "00:60", "1:2", "5 minutes", "m", "1h-5m", "1d"])
def test_not_times(text: str) -> None:
    with pytest.raises(DurationSyntaxError, match="is not a time"):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=99 * 3600 + 59 * 60 + 59))
def test_format_then_parse_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_spans_read_naturally() -> None:
    assert format_span(45) == "45 s"
    assert format_span(240) == "4 min"
    assert format_span(3900) == "1 h 05 min"
    assert format_duration(-90) == "-0:01:30"
