"""Benchmark: the program report of 20 exercises of 20,000 entries each (target < 10 s) and the
console's program page as a controller waits for it (target: a whole rerun's p95 < 300 ms). Prints
figures; not a test.

    python bench/bench_program.py [--exercises 20] [--entries 20000] [--refreshes 40] [--database-dir DIR]

Each exercise is a synthetic journal (``bench_report.synthetic_journal``) appended to a SQLite file
through the journal's own append, conducted in one program and its AAR/IP finalised, which scores it
once and stores its summary (timed apart: that is paid once per exercise, when it ends). The report
is then built from the stored summaries and drawn as PDF and Word. The page is a whole Streamlit
rerun of the console's program page (``AppTest``, as ``bench_rerun.py`` times the other pages) as a
controller of the last exercise: the first page, then each rerun paired with a yardstick measured just
before it, the reads and derivations behind the page (``console.program.page_data``)"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from argon2 import PasswordHasher  # noqa: E402
from bench_console import percentile  # noqa: E402
from bench_report import synthetic_journal  # noqa: E402

from aar.program import finalise  # noqa: E402
from aar.program_report import build_program_report, frontis, program_document, trends  # noqa: E402
from aar.render.pdf import render_blocks_pdf  # noqa: E402
from aar.render.word import render_blocks_docx  # noqa: E402
from console.derived import ViewCache  # noqa: E402
from console.program import page_data  # noqa: E402
from exercises.access import Caller  # noqa: E402
from exercises.program.model import ExerciseType  # noqa: E402
from exercises.program.service import ProgramService  # noqa: E402
from exercises.record import journal  # noqa: E402
from exercises.record.entries import AnyPayload, NewEntry, ObservationRecorded  # noqa: E402
from exercises.scenario.loading import load_scenario  # noqa: E402
from exercises.service.exercise_service import ExerciseService  # noqa: E402


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


AREAS_FOR_IMPROVEMENT = 25
"""About this many evaluators' areas for improvement are kept per exercise (those in its first 625
entries, where one entry in 25 is an observation): the synthetic journal writes one in every
observation (hundreds), each of which would become a corrective action; a real exercise has dozens."""


def _fewer_notes(seq: int, payload: AnyPayload) -> AnyPayload:
    if isinstance(payload, ObservationRecorded) and seq > AREAS_FOR_IMPROVEMENT * 25:
        return payload.model_copy(update={"areas_for_improvement": ""})
    return payload


def fill(service: ExerciseService, exercise_id: int, entries: int, seed: int) -> None:
    """Append a synthetic journal through the journal's own append (hash chain and head included)."""
    scenario = service.scenario(service.operator(exercise_id))
    made = [NewEntry(at=e.at, agency=e.agency, actor=e.actor, payload=_fewer_notes(e.seq, e.payload))
            for e in synthetic_journal(scenario, entries, seed)]
    with service.db.writing() as session_:
        head = journal.read_head(session_, exercise_id)
        assert head is not None
        journal.append(session_, exercise_id, head, made, time.time())
        session_.commit()


def build(url: str, scenario_path: Path, exercises: int, entries: int) -> tuple[ExerciseService, int, list[int]]:
    # Access codes hashed cheaply: argon2's cost is the sign-in's, not what is measured here.
    service = ExerciseService.open(url, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    programs = ProgramService(service.db)
    scenario = load_scenario(scenario_path)
    program = programs.create_program("Benchmark program", 2026, 2030)
    programs.add_priority(program, scenario.protocols[0].capability, "the benchmark's first protocol")
    ids = []
    t0 = time.perf_counter()
    for n in range(exercises):
        created = service.create_exercise(scenario, name=f"Exercise {n + 1}", seed=n)
        fill(service, created.exercise.id, entries, n)
        planned = programs.plan_exercise(program, f"Exercise {n + 1}", date(2026, 1, 5) + timedelta(days=60 * n),
                                         ExerciseType.FUNCTIONAL, [scenario.protocols[0].capability])
        programs.record_conducted(planned, created.exercise.id)
        ids.append(created.exercise.id)
    t1 = time.perf_counter()
    for ex in ids:
        finalise(service, programs, service.operator(ex))
    t2 = time.perf_counter()
    print(f"journals written    {exercises} x {entries:,} entries in {t1 - t0:6.1f} s")
    print(f"finalised + scored  {exercises} AAR/IPs, summaries stored, in {t2 - t1:6.1f} s (once, at the end)")
    return service, program, ids


def report(service: ExerciseService, program: int) -> float:
    t0, c0 = time.perf_counter(), time.process_time()
    made = build_program_report(service, ProgramService(service.db), program, date(2030, 1, 1))
    blocks = program_document(made)
    pdf = render_blocks_pdf(blocks, frontis(made), trends(made))
    word = render_blocks_docx(blocks, frontis(made), trends(made))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"program report      {wall:6.2f} s wall, {cpu:6.2f} s CPU (PDF {len(pdf) / 1024:,.0f} KiB, "
          f"Word {len(word) / 1024:,.0f} KiB; target < 10 s: {'met' if wall < 10 else 'NOT met'}; {load()})")
    return wall


def page(url: str, caller: Caller, refreshes: int) -> float:
    """What a controller waits for when the program page redraws: a whole Streamlit rerun of the
    console's program page (``AppTest``: the script run, every element built and handed to Streamlit),
    in a console process with its one service. The first (cold) page, then ``refreshes`` reruns, each
    paired with the yardstick measured just before it in the same run: ``console.program.page_data``,
    every read the page makes and what it derives, without drawing. Left out: the websocket, the
    browser's drawing and the network."""
    from bench_rerun import one_script_cache
    from streamlit.testing.v1 import AppTest

    from console import session

    # The yardstick runs outside a script run; Streamlit's warning about that says nothing here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    service = ExerciseService.open(url)
    session.service = lambda: service  # type: ignore[assignment]  # the console's one service
    one_script_cache()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.session_state[session.CALLER_KEY] = caller
    t0 = time.perf_counter()
    at.run()  # the controller lands on the dashboard, then opens the program page
    landing = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    at.switch_page("console/program.py").run()
    first = (time.perf_counter() - t0) * 1000
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    reruns, data = [], []
    cache, today = ViewCache(), date(2030, 1, 1)
    for _ in range(refreshes):
        t0 = time.perf_counter()
        page_data(service, cache, caller, today)
        t1 = time.perf_counter()
        at.run()
        reruns.append((time.perf_counter() - t1) * 1000)
        data.append((t1 - t0) * 1000)
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
    p95 = percentile(reruns, 0.95)
    ratios = [r / d for r, d in zip(reruns, data, strict=True)]
    print(f"program page        after the dashboard ({landing:,.0f} ms, the first page of a new console process), "
          f"the program page's first: {first:,.0f} ms")
    print(f"                    whole rerun x{refreshes}: min {min(reruns):5.0f}, "
          f"median {statistics.median(reruns):5.0f}, p95 {p95:5.0f}, max {max(reruns):5.0f} ms "
          f"(target p95 < 300 ms: {'met' if p95 < 300 else 'NOT met'}; {load()})")
    print(f"  yardstick         what it reads and derives (page_data), paired: median "
          f"{statistics.median(data):5.0f} ms; the rerun costs x{statistics.median(ratios):.2f} of it "
          f"(min x{min(ratios):.2f}, max x{max(ratios):.2f})")
    return p95


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--exercises", type=int, default=20)
    made.add_argument("--entries", type=int, default=20_000)
    made.add_argument("--refreshes", type=int, default=40)
    made.add_argument("--database-dir", type=Path,
                      help="where the built program is kept (default: a temporary folder); a second run reuses it")
    made.add_argument("--scenario", type=Path, default=ROOT / "data" / "scenarios" / "mass_casualty.yaml")
    return made


def reused(url: str, exercises: int) -> tuple[ExerciseService, int, list[int]] | None:
    """The program a previous run built in ``--database-dir``, when it has as many exercises."""
    service = ExerciseService.open(url, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    programs = ProgramService(service.db)
    for program, name in programs.programs():
        ids = [e.exercise_id for e in programs.plan(program).exercises if e.exercise_id is not None]
        if name == "Benchmark program" and len(ids) == exercises:
            print(f"reused              {exercises} exercises built by an earlier run")
            return service, program, ids
    return None


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    folder = args.database_dir or Path(tempfile.mkdtemp(prefix="hotwash-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"program-{args.exercises}x{args.entries}.db"
    url = f"sqlite:///{db.as_posix()}"
    built = reused(url, args.exercises) if db.exists() else None
    service, program, ids = built or build(url, args.scenario, args.exercises, args.entries)
    report(service, program)
    page(url, service.operator(ids[-1]), args.refreshes)


if __name__ == "__main__":
    main()
