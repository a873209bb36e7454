"""The acknowledgement benchmark runs end to end at its smallest setting (the figures are the bench's
to give, not this test's): writers in app processes on a SQLite file, every entry acknowledged once."""

from __future__ import annotations

import re

import pytest

from bench import bench_service


def test_the_service_bench_runs_at_its_smallest_setting(capsys: pytest.CaptureFixture[str]) -> None:
    bench_service.main(["--database", "sqlite", "--writers", "2", "--processes", "1", "--calls", "2",
                        "--think", "0", "--bare-commits", "5"])
    out = capsys.readouterr().out
    row = re.search(r"^sqlite\s+0\.0\s+(\d+)(?:\s+[\d.]+){4}\s+[\d.]+\s+(\d+)\s+(\d+)\s+(\d+)$", out, re.M)
    assert row, out
    acks, errors, lost, doubled = map(int, row.groups())
    assert (acks, errors, lost, doubled) == (4, 0, 0, 0), out
    assert "bare SQLite loop, same durability" in out
