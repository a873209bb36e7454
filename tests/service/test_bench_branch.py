"""The branch benchmark runs end to end at its smallest setting (the figure is the bench's to give,
not this test's): a parent built, ended and branched in a fresh process."""

from __future__ import annotations

import re

import pytest

from bench import bench_branch


def test_the_branch_bench_runs_at_its_smallest_setting(capsys: pytest.CaptureFixture[str]) -> None:
    times = bench_branch.main(["--entries", "60", "--repeat", "1"])
    assert len(times) == 1
    out = capsys.readouterr().out
    assert re.search(r"branch of \d+ inherited entries \(\d+ in the branch\): [\d.]+ s", out), out
    assert "branch from a 60-entry exercise: min" in out
