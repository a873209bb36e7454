"""The program benchmark runs, at its smallest setting (its figures are for bench/, not for a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_program_benchmark_runs_at_its_smallest_setting() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_program.py"), "--exercises", "2", "--entries", "300",
         "--refreshes", "2"],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for line in ("finalised + scored", "program report", "program page"):
        assert line in done.stdout, done.stdout
