"""``hotwash report``: the after-action report (PDF, and the findings as JSON).

Two sources: an exercise in the database (``hotwash report 3 --out aar.pdf``), whose hash chain
is verified first; or a scenario file plus a JSON Lines journal (``hotwash report --scenario
s.yaml --journal journal.jsonl --out aar.pdf``), which needs no database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from aar.integrity import record_integrity
from aar.journal_file import JournalFileError, read_journal_lines
from aar.model import AfterActionReport, RecordIntegrity
from aar.pdf import render_pdf
from aar.report import build_report
from exercises.access import AccessDenied, ExerciseInputError
from exercises.db import URL_SETTING, database_url
from exercises.entries import Entry
from exercises.evidence import KeyFileError, Keys, PublicKey, default_key_path, read_public_key
from exercises.loading import ScenarioError, load_scenario
from exercises.scenario import Scenario
from exercises.service import ExerciseService
from sim_engine.results import BatchResult


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


def _from_database(
    exercise: int, database: str | None, trusted: list[PublicKey]
) -> tuple[Scenario, list[Entry], RecordIntegrity, str, date]:
    service = ExerciseService.open(database)
    if trusted:
        service.keys = service.keys.trusting(trusted)
    try:
        caller = service.operator(exercise)
        scenario = service.scenario(caller)
        record = service.record(caller)  # the journal and its check from one snapshot
    except (ExerciseInputError, AccessDenied, LookupError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    integrity = record_integrity(record.verification)
    return scenario, record.entries, integrity, record.name, record.created_at.date()


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
    if exercise is not None:
        if scenario_file or journal_file:
            raise _fail("give an EXERCISE id, or --scenario with --journal, not both")
        scenario, journal, integrity, default_name, day = _from_database(exercise, database, _trusted(public_key))
        span = (day, day)
    elif scenario_file is not None and journal_file is not None:
        try:
            scenario = load_scenario(scenario_file)
        except ScenarioError as exc:
            raise _fail(str(exc)) from None
        try:
            with journal_file.open(encoding="utf-8") as fh:
                read = read_journal_lines(fh, _own_keys(database, _trusted(public_key)))
        except OSError as exc:
            raise _fail(f"{journal_file}: cannot read: {exc.strerror}") from None
        except JournalFileError as exc:
            raise _fail(f"{journal_file}: {exc}") from None
        journal, integrity, default_name = read.entries, read.integrity, scenario.name
        span = read.dates or (date.today(), date.today())
        notes.append(read.note)
    else:
        raise _fail("give an EXERCISE id, or --scenario FILE with --journal FILE")
    aar: AfterActionReport = build_report(
        scenario,
        journal,
        exercise_name=name or default_name,
        exercise_dates=_dates(dates, span),
        integrity=integrity,
        baseline=_baseline(baseline),
        marking=marking,
        notes=notes,
    )
    out.write_bytes(render_pdf(aar))
    scored = [f for f in aar.findings if f.status.value in ("met", "late", "missed", "out_of_order")]
    met = sum(f.status.value == "met" for f in scored)
    typer.echo(f"wrote {out}: {len(aar.findings)} findings, {met} of {len(scored)} scored instances met")
    if json_file is not None:
        json_file.write_text(aar.model_dump_json(indent=2) + "\n", encoding="utf-8")
        typer.echo(f"wrote {json_file}")
    if not integrity.intact:
        typer.echo(f"warning: the record does not verify: {integrity.problem}", err=True)
