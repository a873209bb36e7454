"""``hotwash ics 214|205a``: ICS forms filled from an exercise's record (PDF and .xlsx)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from aar.exercise_report import exercise_day
from aar.ics import Ics205a, Ics214, ics205a, ics214, render_pdf, render_xlsx
from exercises.access import AccessDenied, ExerciseInputError
from exercises.documents.incident_log import RealClock
from exercises.record.entries import Entry
from exercises.record.evidence import KeyFileError
from exercises.scenario.model import Scenario
from exercises.service.details import ExerciseDetails
from exercises.service.exercise_service import ExerciseService
from exercises.storage.db import URL_SETTING
from exercises.views.wording import agency_index

ics_app = typer.Typer(help="ICS forms from the record: 214 activity logs, 205A communications list.", no_args_is_help=True)

Database = Annotated[
    str | None,
    typer.Option("--database", envvar=URL_SETTING, help="Database URL (default: a SQLite file in var/)."),
]
Start = Annotated[str | None, typer.Option(help="The incident's real start ('2026-03-14 18:30'): real clock times.")]
Zone = Annotated[str | None, typer.Option(help="IANA time zone of --start, e.g. America/Chicago.")]
Pdf = Annotated[Path | None, typer.Option("--pdf", help="Write the form(s) as PDF here.")]
Xlsx = Annotated[Path | None, typer.Option("--xlsx", help="Write the form(s) as an .xlsx workbook here.")]


def register(app: typer.Typer) -> None:
    app.add_typer(ics_app, name="ics")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _clock(start: str | None, zone: str | None, details: ExerciseDetails) -> RealClock | None:
    """The clock the form's times are shown in: the one given, else the exercise's own."""
    if (start is None) != (zone is None):
        raise _fail("give both --start and --timezone, or neither")
    try:
        if start and zone:
            return RealClock.parse(start, zone)
        if details.real_start is not None and details.timezone:
            return RealClock.parse(details.real_start, details.timezone)
        return None
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _write(forms: list[tuple[str, Ics214 | Ics205a]], pdf: Path | None, xlsx: Path | None) -> None:
    if pdf is None and xlsx is None:
        raise _fail("name a file: --pdf FILE and/or --xlsx FILE")
    if pdf is not None:
        pdf.write_bytes(render_pdf([f for _, f in forms]))
        typer.echo(f"wrote {pdf}")
    if xlsx is not None:
        xlsx.write_bytes(render_xlsx(forms))
        typer.echo(f"wrote {xlsx}")


@dataclass(frozen=True)
class _Source:
    """What the forms are filled from: the exercise's scenario, journal, name, day and details."""

    scenario: Scenario
    journal: list[Entry]
    name: str
    day: date
    details: ExerciseDetails


def _record(
    exercise: int, database: str | None, start: str | None, timezone: str | None
) -> tuple[_Source, RealClock | None]:
    """The exercise's record, and the clock its forms show times in."""
    service = ExerciseService.open(database)
    try:
        caller = service.operator(exercise)
        record, details = service.record(caller), service.exercise_details(caller)
        source = _Source(service.scenario(caller), record.entries, record.name,
                         exercise_day(details, record.created_at), details)
    except (ExerciseInputError, AccessDenied, LookupError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    return source, _clock(start, timezone, source.details)


@ics_app.command("214")
def activity_log(
    exercise: Annotated[int, typer.Argument(help="Exercise id (see hotwash exercise list).")],
    agency: Annotated[list[str] | None, typer.Option("--agency", help="Agency name or id (repeat for several; default: all).")] = None,
    pdf: Pdf = None,
    xlsx: Xlsx = None,
    start: Start = None,
    timezone: Zone = None,
    database: Database = None,
) -> None:
    """An ICS 214 Activity Log per agency, filled from EXERCISE's journal."""
    source, clock = _record(exercise, database, start, timezone)
    scenario, journal, name, day = source.scenario, source.journal, source.name, source.day
    index = agency_index(scenario)
    found = {typed: index.find(typed) for typed in agency or ()}
    unknown = [typed for typed, ident in found.items() if ident is None]
    if unknown:
        raise _fail(f"no agency {', '.join(map(repr, unknown))} in this exercise; agencies: "
                    f"{'; '.join(a.name for a in scenario.agencies)}")
    wanted = list(dict.fromkeys(i for i in found.values() if i is not None)) or [a.id for a in scenario.agencies]
    forms: list[tuple[str, Ics214 | Ics205a]] = [
        (scenario.agency(a).name, ics214(scenario, journal, a, incident_name=name, day=day, clock=clock)) for a in wanted
    ]
    _write(forms, pdf, xlsx)


@ics_app.command("205a")
def communications_list(
    exercise: Annotated[int, typer.Argument(help="Exercise id (see hotwash exercise list).")],
    pdf: Pdf = None,
    xlsx: Xlsx = None,
    start: Start = None,
    timezone: Zone = None,
    database: Database = None,
) -> None:
    """An ICS 205A-style communications list: agency, channel, linked agencies, state during play."""
    source, clock = _record(exercise, database, start, timezone)
    scenario, journal, name, day = source.scenario, source.journal, source.name, source.day
    _write([("ICS 205A", ics205a(scenario, journal, incident_name=name, day=day, clock=clock))], pdf, xlsx)
