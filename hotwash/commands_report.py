"""``hotwash report``: the after-action report (PDF, and the findings as JSON).

Two sources: an exercise in the database (``hotwash report 3 --out aar.pdf``), whose hash chain
is verified first; or a scenario file plus a JSON Lines journal (``hotwash report --scenario
s.yaml --journal journal.jsonl --out aar.pdf``), which needs no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from aar.integrity import record_integrity
from aar.journal_file import JournalFile, JournalFileError, read_journal_lines
from aar.model import AfterActionReport, RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report, report_options
from exercises.access import AccessDenied, ExerciseInputError
from exercises.program.model import CorrectiveAction
from exercises.program.service import ProgramService
from exercises.record.entries import Entry
from exercises.record.evidence import KeyFileError, Keys, PublicKey, default_key_path, read_public_key
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import Scenario
from exercises.scoring import SCORED
from exercises.service.branching import Lineage
from exercises.service.details import ExerciseDetails, parse_start
from exercises.service.exercise_service import ExerciseService
from exercises.storage.db import URL_SETTING, database_url
from sim_engine.batch.results import BatchResult
from sim_engine.batch.runs import run_batch
from sim_engine.checks import EngineError


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _dates(text: str | None, fallback: tuple[date, date]) -> tuple[date, date]:
    if not text:
        return fallback
    try:
        first, _, last = text.partition(":")
        start = date.fromisoformat(first)
        return start, date.fromisoformat(last) if last else start
    except ValueError:
        raise _fail(f"--dates {text!r}: write YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD") from None


def _baseline(path: Path | None) -> BatchResult | None:
    if path is None:
        return None
    try:
        return BatchResult.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror}") from None
    except ValidationError:
        raise _fail(f"{path}: not a simulation result (write one with: hotwash simulate --json FILE)") from None


@dataclass(frozen=True)
class _Source:
    scenario: Scenario
    journal: list[Entry]
    integrity: RecordIntegrity
    name: str
    span: tuple[date, date]
    details: ExerciseDetails
    lineage: Lineage | None = None
    """For a branched exercise: where it came from, for the comparison with its parent."""
    earlier_actions: list[tuple[str, CorrectiveAction]] = field(default_factory=list)
    """Corrective actions of the program's earlier exercises, which this one may re-test."""


def _from_database(exercise: int, database: str | None, trusted: list[PublicKey]) -> _Source:
    service = ExerciseService.open(database)
    if trusted:
        service.keys = service.keys.trusting(trusted)
    try:
        caller = service.operator(exercise)
        scenario = service.scenario(caller)
        record = service.record(caller)  # the journal and its check from one snapshot
        details = service.exercise_details(caller)
        lineage = service.lineage(caller)
    except (ExerciseInputError, AccessDenied, LookupError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    day = details.real_start.date() if details.real_start else record.created_at.date()
    integrity = record_integrity(record.verification)
    earlier = ProgramService(service.db).earlier_actions(exercise)
    return _Source(scenario, record.entries, integrity, record.name, (day, day), details, lineage, earlier)


def _trusted(paths: list[Path] | None) -> list[PublicKey]:
    out = []
    for path in paths or []:
        try:
            out.append(read_public_key(path.read_bytes()))
        except OSError as exc:
            raise _fail(f"{path}: cannot read: {exc.strerror}") from None
        except KeyFileError as exc:
            raise _fail(f"{path}: {exc}") from None
    return out


def _own_keys(database: str | None, extra: list[PublicKey]) -> dict[str, PublicKey]:
    """The keys a journal file's seal is checked against: this installation's and any given."""
    keys = Keys(default_key_path(database or database_url()), extra)
    try:
        return keys.trusted()
    except KeyFileError as exc:  # the file's seal is still checked; its key is then only named
        typer.echo(f"warning: {exc}", err=True)
        return {k.key_id: k for k in extra}


def _run_baseline(scenario: Scenario, runs: int, jobs: int) -> BatchResult:
    """The simulated baseline for the scenario, with a progress bar on the terminal."""
    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(f"simulating {runs} runs of the plan", total=runs)
        try:
            return run_batch(scenario, runs, seed=1, jobs=jobs,
                             progress=lambda done, total: bar.update(task, completed=done))
        except EngineError as exc:
            raise _fail(str(exc)) from None


def _from_journal_file(
    scenario_file: Path, journal_file: Path, keys: dict[str, PublicKey]
) -> tuple[Scenario, JournalFile]:
    """The scenario and a JSON Lines journal with what its hashes and signatures prove."""
    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None
    try:
        with journal_file.open(encoding="utf-8") as fh:
            return scenario, read_journal_lines(fh, keys)
    except OSError as exc:
        raise _fail(f"{journal_file}: cannot read: {exc.strerror}") from None
    except JournalFileError as exc:
        raise _fail(f"{journal_file}: {exc}") from None


def _write_word_copies(aar: AfterActionReport, docx: Path | None, accessible: Path | None) -> None:
    """The Word copy and the tagged PDF made from it (one Word rendering serves both)."""
    if docx is None and accessible is None:
        return
    word = render_docx(aar)
    if docx is not None:
        docx.write_bytes(word)
        typer.echo(f"wrote {docx}")
    if accessible is not None:
        from aar.render.tagged_pdf import TaggedPdfError, tagged_pdf

        try:
            accessible.write_bytes(tagged_pdf(word))
        except TaggedPdfError as exc:
            raise _fail(f"--accessible-pdf: {exc}") from None
        typer.echo(f"wrote {accessible} (tagged)")


def report(
    exercise: Annotated[int | None, typer.Argument(help="Exercise id (see hotwash exercise list).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the PDF.")] = Path("aar.pdf"),
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write every finding with its evidence as JSON.")
    ] = None,
    scenario_file: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario file, for a report from a journal file.")
    ] = None,
    journal_file: Annotated[
        Path | None, typer.Option("--journal", help="JSON Lines journal (hotwash export, or one entry per line).")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Simulated baseline (JSON from hotwash simulate --json).")
    ] = None,
    baseline_runs: Annotated[
        int | None,
        typer.Option("--baseline-runs", min=1, max=10_000,
                     help="Simulate the scenario N times with every agency following the plan, for the baseline."),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Processes for --baseline-runs.")] = 2,
    docx: Annotated[
        Path | None, typer.Option("--docx", help="Also write the report as an editable Word document.")
    ] = None,
    accessible_pdf: Annotated[
        Path | None,
        typer.Option("--accessible-pdf", help="Also write a tagged PDF for screen readers (needs LibreOffice)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="With --journal: wall-clock time of 0:00, 'YYYY-MM-DD HH:MM' (needs --timezone)."),
    ] = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="With --journal: IANA time zone of --start.")] = None,
    real_incident: Annotated[
        bool, typer.Option("--real-incident", help="With --journal: the log is of a real incident, not an exercise.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="Exercise name on the cover.")] = None,
    dates: Annotated[
        str | None, typer.Option("--dates", help="Exercise dates: YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD.")
    ] = None,
    marking: Annotated[
        str | None, typer.Option("--marking", help="Handling marking, e.g. 'For Official Use Only'.")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option("--database", envvar=URL_SETTING, help="Database URL (default: a SQLite file in var/)."),
    ] = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option("--public-key", help="Also trust signatures by this public key (PEM or hex; repeatable)."),
    ] = None,
) -> None:
    """Score the exercise against its response plans and write the HSEEP AAR/IP as a PDF."""
    notes: list[str] = []
    if baseline is not None and baseline_runs is not None:
        raise _fail("give --baseline FILE or --baseline-runs N, not both")
    details = ExerciseDetails()
    lineage: Lineage | None = None
    earlier: list[tuple[str, CorrectiveAction]] = []
    if exercise is not None:
        if scenario_file or journal_file:
            raise _fail("give an EXERCISE id, or --scenario with --journal, not both")
        if start or timezone or real_incident:
            raise _fail("an exercise keeps its own clock and kind: set them when it is created or imported, "
                        "or on the console's report page; --start, --timezone and --real-incident go with --journal")
        source = _from_database(exercise, database, _trusted(public_key))
        scenario, journal, integrity, default_name = (
            source.scenario, source.journal, source.integrity, source.name
        )
        span, details, lineage, earlier = source.span, source.details, source.lineage, source.earlier_actions
    elif scenario_file is not None and journal_file is not None:
        scenario, read = _from_journal_file(scenario_file, journal_file, _own_keys(database, _trusted(public_key)))
        journal, integrity, default_name = read.entries, read.integrity, scenario.name
        span = read.dates or (date.today(), date.today())
        notes.append(read.note)
        try:
            real_start = parse_start(start, timezone) if start else None
        except ExerciseInputError as exc:
            raise _fail(f"--start/--timezone: {exc}") from None
        details = ExerciseDetails("real_incident" if real_incident else "exercise", real_start, timezone)
        if real_start is not None and read.dates is None:
            span = (real_start.date(), real_start.date())
    else:
        raise _fail("give an EXERCISE id, or --scenario FILE with --journal FILE")
    batch = _run_baseline(scenario, baseline_runs, jobs) if baseline_runs else _baseline(baseline)
    aar: AfterActionReport = build_report(
        scenario,
        journal,
        exercise_name=name or default_name,
        exercise_dates=_dates(dates, span),
        integrity=integrity,
        baseline=batch,
        marking=marking,
        notes=notes,
        lineage=lineage,
        earlier_actions=earlier,
        **report_options(details),
    )
    # The model holds what the report prints; the entries go before the drawing, which then reuses
    # their memory (at 80,000 entries they are about 180 MiB).
    journal.clear()
    out.write_bytes(render_pdf(aar))
    _write_word_copies(aar, docx, accessible_pdf)
    scored = [f for f in aar.findings if f.status in SCORED]
    met = sum(f.status.value == "met" for f in scored)
    typer.echo(f"wrote {out}: {len(aar.findings)} findings, {met} of {len(scored)} scored instances met")
    if json_file is not None:
        json_file.write_text(aar.model_dump_json(indent=2) + "\n", encoding="utf-8")
        typer.echo(f"wrote {json_file}")
    if not integrity.intact:
        typer.echo(f"warning: the record does not verify: {integrity.problem}", err=True)
