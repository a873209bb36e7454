"""Whole commands, as a user waits for them (prints figures; not a test).

    python -m bench.bench_commands [--repeat 5] [--entries 20000 80000]

1. ``hotwash --help`` (target: under 0.3 s), beside ``python -c pass`` (the interpreter's own start) in
   the same run.
2. The whole ``hotwash report EXERCISE --out aar.pdf --docx aar.docx`` of an exercise of each
   ``--entries`` size in a SQLite file (targets: under 4 s wall at 20,000 entries; under 10 s and
   300 MiB at 80,000): the command's start, its imports, reading and verifying the hash chain and
   the signed checkpoints, scoring, the PDF and the Word copy. The exercise is written once, with a
   real hash chain (the synthetic journal of ``bench/bench_report.py``); every run is a fresh process.

Each figure is min / median / max over ``--repeat`` runs: wall clock, CPU (the command's own, from
the kernel) and peak resident memory (the command's own process, from ``wait4``); the machine may be
shared, so the load average is printed before and after.

Left out: writing the exercise (done once, before the runs), the tagged PDF (``--accessible-pdf``
runs LibreOffice), a simulated baseline (``--baseline-runs``), and PostgreSQL (the report reads
the same rows through the same code).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_report import synthetic_journal
from exercises.record import journal
from exercises.record.entries import NewEntry
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import CHEAP_HASHER

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenarios" / "mass_casualty.yaml"


def timed(
    command: list[str], repeat: int, env: dict[str, str] | None = None
) -> tuple[list[float], list[float], list[float]]:
    """Wall seconds, CPU seconds and peak resident MiB of each of ``repeat`` runs of ``command``."""
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - start)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode() if process.stderr else ''}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)
    return walls, cpus, peaks


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def exercise_of(url: str, entries: int) -> int:
    """An exercise whose journal holds ``entries`` synthetic entries, appended through the journal."""
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    scenario = load_scenario(SCENARIO)
    created = service.create_exercise(scenario, name="Report bench", seed=1)
    new = [NewEntry(at=e.at, agency=e.agency, actor=e.actor, payload=e.payload) for e in synthetic_journal(scenario, entries)]
    exercise_id = created.exercise.id
    with service.db.writing() as session:
        service.db.lock_exercise(session, exercise_id)
        head = journal.read_head(session, exercise_id)
        assert head is not None
        journal.append(session, exercise_id, head, new, time.time())
        session.commit()
    return exercise_id


TARGETS = {20_000: (4.0, None), 80_000: (10.0, 300.0)}
"""Entries: (seconds wall, MiB peak) the report with its Word copy must stay under."""


def report(url: str, exercise_id: int, entries: int, repeat: int, folder: Path) -> None:
    hotwash = shutil.which("hotwash", path=str(Path(sys.executable).parent)) or "hotwash"
    out, word = folder / "aar.pdf", folder / "aar.docx"
    command = [hotwash, "report", str(exercise_id), "--out", str(out), "--docx", str(word), "--database", url]
    before = os.getloadavg()[0]
    walls, cpus, peaks = timed(command, repeat)
    seconds, mib = TARGETS.get(entries, (None, None))
    target = "; ".join(
        part for part in (f"target < {seconds:.0f} s" if seconds else "", f"< {mib:.0f} MiB" if mib else "") if part
    )
    print(
        f"2. hotwash report --docx of a {entries:,}-entry exercise: {spread(walls)} s wall, {spread(cpus)} s CPU, "
        f"{spread(peaks, '{:.0f}')} MiB peak ({target or 'no target at this size'}; "
        f"{out.stat().st_size / 1024:,.0f} KiB PDF, {word.stat().st_size / 1024:,.0f} KiB Word; "
        f"load {before:.1f} before, {os.getloadavg()[0]:.1f} after)"
    )


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--entries", type=int, nargs="+", default=[20_000])
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    hotwash = shutil.which("hotwash", path=str(Path(sys.executable).parent)) or "hotwash"
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    walls, cpus, _ = timed([sys.executable, "-c", "pass"], args.repeat)
    print(f"   python -c pass: {spread(walls)} s wall, {spread(cpus)} s CPU (min/median/max)")
    walls, cpus, _ = timed([hotwash, "--help"], args.repeat)
    print(f"1. hotwash --help: {spread(walls)} s wall, {spread(cpus)} s CPU (target < 0.3 s; load {os.getloadavg()[0]:.1f})")
    for entries in args.entries:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'report.db'}"
            report(url, exercise_of(url, entries), entries, args.repeat, Path(tmp))


if __name__ == "__main__":
    main()
