"""The console's benches run as documented, at their smallest setting (their figures are for bench/,
not for a test): the whole-rerun bench of the three roles' pages, and the dashboard bench, which
builds an exercise and times it in a second process through ``--reuse``, and the sessions bench
(real websocket sessions of real console processes, one and two over PostgreSQL)."""

from __future__ import annotations

import re
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


def _figure(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, text
    return int(found.group(1))


def test_the_sessions_bench_plays_real_sessions_on_one_and_two_console_processes(postgres_url: str) -> None:
    """Two signed-in websocket sessions of one agency per setting: each logs actions through the player
    page's form, and the other session's page shows them, on one process and across two."""
    out = _run("-m", "bench.bench_sessions", "--sessions", "2", "--processes", "1,2", "--entries", "30",
               "--seconds", "3", "--every", "1,2", "--grace", "10", "--database", postgres_url)
    settings = re.split(r"\n\d process\(es\) x 2 sessions", out)[1:]
    assert len(settings) == 2, out
    for setting in settings:
        acks, seen, missed, errors = (_figure(pattern, setting) for pattern in (
            r"acknowledgement n=\s*(\d+)", r"time to see\s+n=\s*(\d+)", r"missed (\d+)", r"(\d+) errors"))
        # Every action seen by the other session: the last ones (none follow them) only through the
        # page's watch, which reruns the page when the journal moved.
        assert acks >= 2 and seen == acks and missed == 0 and errors == 0, out
    assert "clients" in out and "load" in out and "two processes hold" in out, out
