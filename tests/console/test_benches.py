"""The console's benches run as documented, at their smallest setting (their figures are for bench/,
not for a test): the whole-rerun bench of the three roles' pages, and the dashboard bench, which
builds an exercise and times it in a second process through ``--reuse``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=900, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_whole_rerun_bench_runs_at_its_smallest_setting(tmp_path: Path) -> None:
    out = _run("bench/bench_rerun.py", "--entries", "60", "--reruns", "2", "--database-dir", str(tmp_path))
    for role in ("controller", "player", "evaluator"):
        assert f"{role}: 60: p95" in out, out
    assert "first page after the start" in out and "load" in out, out


def test_the_dashboard_bench_times_the_exercise_it_built_in_a_new_process(tmp_path: Path) -> None:
    out = _run("bench/bench_console.py", "--entries", "60", "--database", f"sqlite:///{tmp_path / 'bench.db'}")
    assert "reusing exercise" in out and "target p95 < 150 ms" in out, out


def test_the_restart_bench_runs_at_its_smallest_setting(tmp_path: Path) -> None:
    out = _run("bench/bench_restart.py", "--entries", "40", "80", "--restarts", "1", "--ticks", "2",
               "--roles", "controller", "--database-dir", str(tmp_path))
    assert "controller first page p50" in out and "ms CPU" in out, out
    assert "warm tick (quiet) p50" in out and "load" in out, out
