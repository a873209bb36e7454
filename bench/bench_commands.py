"""Whole commands, as a user waits for them (prints figures; not a test).

    python -m bench.bench_commands [--repeat 5] [--entries 20000 80000] [--compare CHECKOUT]

1. ``hotwash --help`` (target: under 0.3 s), beside ``python -c pass`` (the interpreter's own start) in
   the same run.
2. The whole ``hotwash report EXERCISE --out aar.pdf --docx aar.docx`` of an exercise of each
   ``--entries`` size in a SQLite file (targets: under 4 s wall at 20,000 entries; under 10 s and
   300 MiB at 80,000): the command's start, its imports, reading and verifying the hash chain and
   the signed checkpoints, scoring, the PDF and the Word copy. The exercise is written once, with a
   real hash chain (the synthetic journal of ``bench/bench_report.py``); every run is a fresh process.

Each figure is min / median / p95 / max over ``--repeat`` runs: wall clock, CPU (the command's own
and its children's, from the kernel), the peak resident memory of its largest process (from
``wait4``) and the peak proportional set size of all its processes together (sampled every 50 ms
from ``/proc``: the Word copy is drawn in a forked process beside the PDF, sharing its pages); the machine may be shared, so the load average is printed before and
after. ``--compare CHECKOUT`` runs that checkout's ``hotwash`` (from its ``.venv``) on the same
exercise too, alternating with this one run by run, and prints the ratio of the medians: a change
measured against main under the same load.

Left out: writing the exercise (done once, before the runs), the tagged PDF (``--accessible-pdf``
runs LibreOffice), a simulated baseline (``--baseline-runs``), and PostgreSQL (the report reads
the same rows through the same code).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

from bench.bench_report import synthetic_journal
from exercises.record import journal
from exercises.record.entries import NewEntry
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import CHEAP_HASHER

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "data" / "scenarios" / "mass_casualty.yaml"


class Run(NamedTuple):
    """One run of a command: wall and CPU seconds (its own and its children's, from the kernel), the
    peak resident memory of its largest process (from ``wait4``) and the peak proportional set size
    of all its processes together (sampled every 50 ms)."""

    wall: float
    cpu: float
    peak: float
    together: float


def _pss_mib(pid: int) -> float:
    """The process's proportional set size: its own pages, and its share of pages it shares (with a
    forked child, say), so that the sizes of two processes add up to what they hold together."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("Pss:")) / 1024
    except (OSError, ValueError, IndexError, StopIteration):  # gone meanwhile, or not Linux
        return 0.0


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _sample_together(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """The largest sum of the memory of ``pid`` and its children seen until ``stop``."""
    while not stop.wait(0.05):
        peak[0] = max(peak[0], _pss_mib(pid) + sum(_pss_mib(child) for child in _children(pid)))


def run_once(command: list[str]) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop, together = threading.Event(), [0.0]
    sampler = threading.Thread(target=_sample_together, args=(process.pid, stop, together), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    peak = usage.ru_maxrss / 1024
    return Run(wall, usage.ru_utime + usage.ru_stime, peak, together[0])


def timed(command: list[str], repeat: int) -> tuple[list[float], list[float], list[float]]:
    """Wall seconds, CPU seconds and peak resident MiB of each of ``repeat`` runs of ``command``."""
    runs = [run_once(command) for _ in range(repeat)]
    return [r.wall for r in runs], [r.cpu for r in runs], [r.peak for r in runs]


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """min/median/p95/max."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return "/".join(fmt.format(v) for v in (ordered[0], statistics.median(ordered), p95, ordered[-1]))


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


def _hotwash(root: Path | None) -> str:
    """The ``hotwash`` of this interpreter's environment, or of the checkout ``root`` (its ``.venv``)."""
    folder = Path(sys.executable).parent if root is None else root / ".venv" / "bin"
    found = shutil.which("hotwash", path=str(folder))
    if found is None:
        raise SystemExit(f"no hotwash command in {folder}")
    return found


def _line(label: str, runs: list[Run]) -> str:
    return (
        f"{label}: {spread([r.wall for r in runs])} s wall, {spread([r.cpu for r in runs])} s CPU, "
        f"{spread([r.peak for r in runs], '{:.0f}')} MiB peak, "
        f"{spread([r.together for r in runs], '{:.0f}')} MiB proportional set size of all its processes together"
    )


def report(url: str, exercise_id: int, entries: int, repeat: int, folder: Path, compare: Path | None) -> None:
    """The report of the exercise, ``repeat`` times; with ``compare``, that checkout's command too,
    the two alternating run by run (A, B, A, B ...) so both meet the same load."""
    out, word = folder / "aar.pdf", folder / "aar.docx"
    arguments = ["report", str(exercise_id), "--out", str(out), "--docx", str(word), "--database", url]
    sides = {"this": [_hotwash(None), *arguments]}
    if compare is not None:
        sides["compared"] = [_hotwash(compare), *arguments]
    before = os.getloadavg()[0]
    runs: dict[str, list[Run]] = {side: [] for side in sides}
    for k in range(repeat):
        for side in list(sides)[:: 1 if k % 2 == 0 else -1]:
            runs[side].append(run_once(sides[side]))
    seconds, mib = TARGETS.get(entries, (None, None))
    target = "; ".join(
        part for part in (f"target < {seconds:.0f} s" if seconds else "", f"< {mib:.0f} MiB" if mib else "") if part
    )
    print(
        _line(f"2. hotwash report --docx of a {entries:,}-entry exercise", runs["this"])
        + f" (min/median/p95/max; {target or 'no target at this size'}; {out.stat().st_size / 1024:,.0f} KiB PDF, "
        f"{word.stat().st_size / 1024:,.0f} KiB Word; load {before:.1f} before, {os.getloadavg()[0]:.1f} after)"
    )
    if compare is not None:
        print(_line(f"   the same with {compare}", runs["compared"]))
        for name, measure in (("wall", "wall"), ("CPU", "cpu"), ("peak", "peak"), ("together", "together")):
            this = statistics.median(getattr(r, measure) for r in runs["this"])
            other = statistics.median(getattr(r, measure) for r in runs["compared"])
            print(f"   {name}: this / compared, medians: {this / other:.2f}")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--entries", type=int, nargs="+", default=[20_000])
    parser.add_argument(
        "--compare", type=Path, metavar="CHECKOUT",
        help="another checkout of Hotwash with its own .venv (say, main's): its report runs too, interleaved",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    hotwash = _hotwash(None)
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    walls, cpus, _ = timed([sys.executable, "-c", "pass"], args.repeat)
    print(f"   python -c pass: {spread(walls)} s wall, {spread(cpus)} s CPU (min/median/p95/max)")
    walls, cpus, _ = timed([hotwash, "--help"], args.repeat)
    print(f"1. hotwash --help: {spread(walls)} s wall, {spread(cpus)} s CPU (target < 0.3 s; load {os.getloadavg()[0]:.1f})")
    for entries in args.entries:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'report.db'}"
            report(url, exercise_of(url, entries), entries, args.repeat, Path(tmp), args.compare)


if __name__ == "__main__":
    main()
