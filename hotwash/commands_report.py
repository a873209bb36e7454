"""``hotwash report``: the after-action report (PDF, and the findings as JSON).

Two sources: an exercise in the database (``hotwash report 3 --out aar.pdf``), whose hash chain
is verified first; or a scenario file plus a JSON Lines journal (``hotwash report --scenario
s.yaml --journal journal.jsonl --out aar.pdf``), which needs no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from aar.exercise_report import exercise_report
from aar.journal_file import JournalFile, JournalFileError, read_journal_lines
from aar.model import AfterActionReport
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report, report_options
from exercises.access import AccessDenied, ExerciseInputError
from exercises.record.evidence import KeyFileError, Keys, PublicKey, Trust, default_key_path, read_public_key
from exercises.record.journal import sha256
from exercises.record.witness import Witness, WitnessError
from exercises.record.witness import read as read_witness
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import Scenario
from exercises.scoring import SCORED
from exercises.service.details import ExerciseDetails, parse_start
from exercises.service.exercise_service import ExerciseService
from exercises.storage.db import URL_SETTING, database_url
from sim_engine.batch.results import BatchResult


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _dates(text: str | None, fallback: tuple[date, date] | None) -> tuple[date, date] | None:
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


def _exercise_service(
    database: str | None, trusted: list[PublicKey], witnesses: Sequence[Witness] = ()
) -> ExerciseService:
    """The service with the keys and witnesses given on the command line trusted too."""
    service = ExerciseService.open(database)
    service.keys = service.keys.trusting(trusted, witnesses)
    return service


def _from_database(
    exercise: int, service: ExerciseService, runs: int | None, jobs: int, cover: dict[str, Any],
) -> AfterActionReport:
    """The exercise's report as the console makes it (``aar.exercise_report``), with a baseline
    simulated for this report when ``runs`` is given (else the one saved with the exercise)."""
    try:
        caller = service.operator(exercise)
        given = cover.pop("baseline")
        batch = _run_baseline(service.scenario(caller), runs, jobs) if runs else given
        return exercise_report(service, caller, baseline=batch, **cover)
    except (ExerciseInputError, AccessDenied, LookupError, KeyFileError) as exc:
        raise _fail(str(exc)) from None


@dataclass(frozen=True)
class _JournalSource:
    """A scenario file and a JSON Lines journal, with the clock and kind given on the command line."""

    scenario: Path
    journal: Path
    start: str | None
    timezone: str | None
    real_incident: bool


def _from_file(
    source: _JournalSource, trust: Trust, runs: int | None, jobs: int, cover: dict[str, Any], dates: str | None,
) -> AfterActionReport:
    """The report of a journal file, checked against the keys pinned in this installation and given."""
    scenario, read = _from_journal_file(source.scenario, source.journal, trust)
    try:
        real_start = parse_start(source.start, source.timezone) if source.start else None
    except ExerciseInputError as exc:
        raise _fail(f"--start/--timezone: {exc}") from None
    details = ExerciseDetails("real_incident" if source.real_incident else "exercise", real_start, source.timezone)
    span = read.dates or ((real_start.date(),) * 2 if real_start is not None else (date.today(),) * 2)
    batch = _run_baseline(scenario, runs, jobs) if runs else cover["baseline"]
    return build_report(
        scenario, read.entries, exercise_name=cover["name"] or scenario.name,
        exercise_dates=_dates(dates, span) or span, integrity=read.integrity, baseline=batch,
        marking=cover["marking"], notes=[read.note], **report_options(details),
    )


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


def witnesses(paths: list[Path] | None) -> list[Witness]:
    """The witness files given (``--witness``): copies of a witness file, or JSON Lines exports."""
    out = []
    for path in paths or []:
        if not path.is_file():
            raise _fail(f"{path}: no such witness file")
        try:
            out.append(read_witness(path))
        except WitnessError as exc:
            raise _fail(str(exc)) from None
    return out


def file_trust(database: str | None, extra: list[PublicKey], given: list[Witness]) -> Trust:
    """What a journal file is checked against: the keys pinned in this installation's witness file
    and in those given, and the keys given (``--public-key``)."""
    return Keys(default_key_path(database or database_url()), extra, given).trust()


def _run_baseline(scenario: Scenario, runs: int, jobs: int) -> BatchResult:
    """The simulated baseline for the scenario, with a progress bar on the terminal."""
    # Imported here: the batch runner (numpy and its statistics) and the progress bar serve only
    # --baseline-runs, and a report without them starts sooner.
    from rich.console import Console
    from rich.progress import Progress

    from hotwash.commands_simulate import drawn_progress
    from sim_engine.batch.runs import run_batch
    from sim_engine.checks import EngineError

    # No refresh thread: with one, the batch would start its workers through a fork server.
    with Progress(transient=True, console=Console(stderr=True), auto_refresh=False) as bar:
        task = bar.add_task(f"simulating {runs} runs of the plan", total=runs)
        try:
            return run_batch(scenario, runs, seed=1, jobs=jobs, progress=drawn_progress(bar, task))
        except EngineError as exc:
            raise _fail(str(exc)) from None


def _from_journal_file(
    scenario_file: Path, journal_file: Path, trust: Trust
) -> tuple[Scenario, JournalFile]:
    """The scenario and a JSON Lines journal with what its hashes and signatures prove."""
    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None
    try:
        with journal_file.open(encoding="utf-8") as fh:
            return scenario, read_journal_lines(fh, trust, scenario_hash(scenario))
    except KeyFileError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{journal_file}: cannot read: {exc.strerror}") from None
    except JournalFileError as exc:
        raise _fail(f"{journal_file}: {exc}") from None


def scenario_hash(scenario: Scenario) -> str:
    """The SHA-256 a record's genesis names for ``scenario`` (that of its stored snapshot)."""
    return sha256(scenario.model_dump_json(by_alias=True))


def _word_copies(aar: AfterActionReport, docx: Path | None, accessible: Path | None) -> list[str]:
    """Write the Word copy and the tagged PDF made from it (one Word rendering serves both); what
    was written, in words. ``_Refused`` when the tagged PDF cannot be made."""
    from aar.render.tagged_pdf import TaggedPdfError, tagged_pdf

    word = render_docx(aar)
    wrote = []
    if docx is not None:
        try:
            docx.write_bytes(word)
        except OSError as exc:
            raise _Refused(f"{docx}: cannot write: {exc.strerror}") from None
        wrote.append(f"wrote {docx}")
    if accessible is not None:
        try:
            accessible.write_bytes(tagged_pdf(word))
        except TaggedPdfError as exc:
            raise _Refused(f"--accessible-pdf: {exc}") from None
        wrote.append(f"wrote {accessible} (tagged)")
    return wrote


class _Refused(Exception):
    """A copy that could not be written, in words for the user."""


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
    witness: Annotated[
        list[Path] | None,
        typer.Option("--witness", help="Also hold the record to this witness file or export (repeatable)."),
    ] = None,
) -> None:
    """Score the exercise against its response plans and write the HSEEP AAR/IP as a PDF."""
    if baseline is not None and baseline_runs is not None:
        raise _fail("give --baseline FILE or --baseline-runs N, not both")
    cover: dict[str, Any] = {"name": name, "marking": marking, "baseline": _baseline(baseline)}
    trust = (database, _trusted(public_key), witnesses(witness))
    if exercise is not None:
        aar = _report_of_exercise(exercise, trust, baseline_runs, jobs, cover, dates,
                                  given=(scenario_file, journal_file, start, timezone, real_incident))
    elif scenario_file is not None and journal_file is not None:
        journal = _JournalSource(scenario_file, journal_file, start, timezone, real_incident)
        aar = _from_file(journal, file_trust(*trust), baseline_runs, jobs, cover, dates)
    else:
        raise _fail("give an EXERCISE id, or --scenario FILE with --journal FILE")
    _write_report(aar, out, json_file, docx, accessible_pdf)


def _report_of_exercise(
    exercise: int, trust: tuple[str | None, list[PublicKey], list[Witness]], baseline_runs: int | None, jobs: int,
    cover: dict[str, Any], dates: str | None, *, given: tuple[object, ...],
) -> AfterActionReport:
    """The report of an exercise in the database; the options that go with a journal file refused."""
    scenario_file, journal_file, start, timezone, real_incident = given
    if scenario_file or journal_file:
        raise _fail("give an EXERCISE id, or --scenario with --journal, not both")
    if start or timezone or real_incident:
        raise _fail("an exercise keeps its own clock and kind: set them when it is created or imported, "
                    "or on the console's report page; --start, --timezone and --real-incident go with --journal")
    cover["dates"] = _dates(dates, None)
    return _from_database(exercise, _exercise_service(*trust), baseline_runs, jobs, cover)


def _write_report(aar: AfterActionReport, out: Path, json_file: Path | None, docx: Path | None,
                  accessible_pdf: Path | None) -> None:
    """The PDF, the copies asked for after it, the JSON, and what was written.

    The Word copy is drawn after the PDF, in this process: drawn beside it in a forked process it
    saved about 0.3 s at 20,000 entries and 0.6 s at 80,000, and cost some 40 MiB more in all (the
    two drawings' memory added up, with the pages the child copied), which took the command over
    its 300 MiB at 80,000 entries."""
    out.write_bytes(render_pdf(aar))
    try:
        for line in _word_copies(aar, docx, accessible_pdf):
            typer.echo(line)
    except _Refused as exc:
        raise _fail(str(exc)) from None
    scored = [f for f in aar.findings if f.status in SCORED]
    met = sum(f.status.value == "met" for f in scored)
    typer.echo(f"wrote {out}: {len(aar.findings)} findings, {met} of {len(scored)} scored instances met")
    if json_file is not None:
        json_file.write_text(aar.model_dump_json(indent=2) + "\n", encoding="utf-8")
        typer.echo(f"wrote {json_file}")
    if not aar.integrity.intact:
        typer.echo(f"warning: the record does not verify: {aar.integrity.problem}", err=True)
