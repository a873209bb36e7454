"""Every benchmark runs at its smallest setting, and every bench command the docs give parses as
written (their figures are for bench/, not for a test)."""

from __future__ import annotations

import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED = re.compile(r"python (?:bench/(\w+)\.py|-m bench\.(\w+))([^`|\n#]*)")


def documented_commands() -> list[tuple[str, list[str]]]:
    """(bench, arguments) of each bench command in the README and docs/, as a reader would copy it."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for match in DOCUMENTED.finditer(page.read_text(encoding="utf-8")):
            found.append((match.group(1) or match.group(2), shlex.split(match.group(3).replace("[", "").replace("]", ""))))
    return found


def test_every_documented_bench_command_parses_as_written() -> None:
    benches = {path.stem for path in (ROOT / "bench").glob("bench_*.py")}
    commands = documented_commands()
    assert {bench for bench, _ in commands} == benches, "every bench has its command in the docs, as run"
    for bench, arguments in commands:
        # Each bench declares its options apart from its run (``parser()``), so a reader's copy of
        # the command is checked here without running it.
        importlib.import_module(f"bench.{bench}").parser().parse_args(arguments)


def test_the_program_benchmark_runs_at_its_smallest_setting() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_program.py"), "--exercises", "2", "--entries", "300",
         "--refreshes", "2"],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for line in ("finalised + scored", "program report", "program page"):
        assert line in done.stdout, done.stdout


def test_the_command_benchmark_runs_at_its_smallest_setting(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import bench_commands

    bench_commands.main(["--entries", "40", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "1. hotwash --help:" in out
    assert re.search(
        r"2\. hotwash report --docx of a 40-entry exercise: [\d./]+ s wall, [\d./]+ s CPU, [\d/]+ MiB peak, "
        r"[\d/]+ MiB proportional set size of all its processes together \(min/median/p95/max", out
    ), out


def test_the_batch_benchmark_pairs_its_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import bench_batch

    bench_batch.main(["--runs", "3", "--repeat", "2", "--skip-memory", "--phases", "1"])
    out = capsys.readouterr().out
    assert "pair 1 (1 then 2)" in out and "pair 2 (2 then 1)" in out
    assert re.search(r"this #1: --jobs 1 [\d.]+ s CPU; --jobs 2 \((fork|forkserver)\): parent [\d.]+ s before", out), out
    assert re.search(r"4\. this: efficiency from CPU phases [\d.]+/[\d.]+/[\d.]+", out), out
    assert re.search(r"efficiency [\d.]+/[\d.]+/[\d.]+ \(min/median/max", out), out
    assert "identical JSON for 1 and 2 jobs in every pair: True" in out


def test_the_engine_and_media_benchmarks_run_at_their_smallest_settings(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import bench_engine, bench_media

    bench_engine.main(["--skip-base", "--per-event-runs", "1", "--runs", "2", "--journal", "30"])
    bench_media.main(["--runs", "5"])
    out = capsys.readouterr().out
    assert "2. 2 replications of" in out and "3. journal of" in out and "cold advance" in out, out
    assert "median ratio" in out and "ratio to off, min / median / max" in out, out


def test_the_report_benchmark_runs_at_its_smallest_setting(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import bench_report

    bench_report.main(["--entries", "40"])
    out = capsys.readouterr().out
    assert re.search(r"journal entries\s+4\d", out) and "Word copy" in out, out
