"""The spreadsheet benchmark runs end to end at its smallest setting (the figures are the bench's to
give): MSEL export and import, a big MSEL checked, an oversized sheet refused, an incident log read."""

from __future__ import annotations

import pytest

from bench import bench_sheets


def test_the_sheets_bench_runs_at_its_smallest_setting(capsys: pytest.CaptureFixture[str]) -> None:
    bench_sheets.main(["--repeat", "1", "--injects", "20", "--refused-rows", "10", "--messages", "20"])
    out = capsys.readouterr().out
    for line in ("yardstick: load_scenario", "msel export (42 injects", "20-inject MSEL read and checked",
                 "5,001-row sheet refused", "incident log, 20 messages"):
        assert line in out, out
