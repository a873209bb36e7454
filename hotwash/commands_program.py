"""``hotwash program``: the preparedness program: priorities, the exercise schedule, the corrective
actions of finalised AAR/IPs tracked to closure, and each exercise's stored scored summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aar.program import finalise, store_summary
from aar.program_report import build_program_report, frontis, program_document, trends
from aar.render.pdf import render_blocks_pdf
from aar.render.word import render_blocks_docx
from exercises.access import AccessDenied, ExerciseInputError
from exercises.documents.workbook import SheetError
from exercises.program.ip_sheet import schedule_xlsx
from exercises.program.model import ActionStatus, CorrectiveAction, ExerciseType, template_text
from exercises.program.service import ProgramService
from exercises.service.exercise_service import ExerciseService
from exercises.storage.db import URL_SETTING
from exercises.storage.tables import wall_datetime

program_app = typer.Typer(
    help="The preparedness program: schedule, corrective actions tracked to closure, stored summaries.",
    no_args_is_help=True,
)

Database = Annotated[
    str | None,
    typer.Option("--database", envvar=URL_SETTING, help="Database URL (default: a SQLite file in var/)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(program_app, name="program")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{text!r} is not a date: write YYYY-MM-DD") from None


@program_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The program's name, e.g. 'Harbor County 2026-2028'.")],
    first_year: Annotated[int, typer.Option("--from", help="First year of the program.")],
    last_year: Annotated[int, typer.Option("--to", help="Last year of the program.")],
    database: Database = None,
) -> None:
    """Open a preparedness program."""
    try:
        made = ProgramService.open(database).create_program(name, first_year, last_year)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Program {made}: {name}")


@program_app.command("priority")
def priority(
    program: Annotated[int, typer.Argument(help="Program id.")],
    capability: Annotated[str, typer.Argument(help="A core capability, e.g. 'Operational Communications'.")],
    why: Annotated[str, typer.Option("--why", help="Why it is a priority (threats, past findings, ...).")],
    database: Database = None,
) -> None:
    """Add a priority (a core capability and why) to the program."""
    try:
        ProgramService.open(database).add_priority(program, capability, why)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{capability} is a priority of program {program}")


@program_app.command("plan")
def plan(
    program: Annotated[int, typer.Argument(help="Program id.")],
    title: Annotated[str, typer.Argument(help="The exercise's title.")],
    on: Annotated[str, typer.Option("--date", help="Planned date, YYYY-MM-DD.")],
    kind: Annotated[ExerciseType, typer.Option("--type", help="Exercise type.")],
    capability: Annotated[list[str], typer.Option("--capability", help="A core capability it tests (repeatable).")],
    template: Annotated[
        str | None, typer.Option("--template", help="Template it is to be created from: NAME@VERSION.")
    ] = None,
    database: Database = None,
) -> None:
    """Schedule an exercise in the program's Integrated Preparedness Plan."""
    named = None
    if template:
        name, _, version = template.rpartition("@")
        named = (name, version) if name else (template, "")
    try:
        made = ProgramService.open(database).plan_exercise(program, title, _day(on), kind, capability, named)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Planned exercise {made}: {title} on {on}")


@program_app.command("conducted")
def conducted(
    planned: Annotated[int, typer.Argument(help="Planned exercise id (see hotwash program show).")],
    exercise: Annotated[int, typer.Argument(help="The exercise that conducted it (see hotwash exercise list).")],
    database: Database = None,
) -> None:
    """Record that a planned exercise was conducted as EXERCISE."""
    try:
        ProgramService.open(database).record_conducted(planned, exercise)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Planned exercise {planned} was conducted as exercise {exercise}")


@program_app.command("open")
def open_planned(
    planned: Annotated[int, typer.Argument(help="Planned exercise id (see hotwash program show).")],
    start: Annotated[str | None, typer.Option("--start", help="Wall-clock time of exercise time 0:00: "
                                              "'YYYY-MM-DD HH:MM', in the template's time zone.")] = None,
    database: Database = None,
) -> None:
    """Open the planned exercise from its template, in one step: new access codes (printed once), and
    the schedule records it as conducted by the new exercise."""
    from exercises.scenario.loading import ScenarioError
    from exercises.service.details import parse_start
    from exercises.service.exercise_service import ExerciseService
    from hotwash.commands_exercise import _print_created

    programs, service = ProgramService.open(database), ExerciseService.open(database)
    try:
        row = programs.planned(planned)
        if row.exercise_id is not None:
            raise ExerciseInputError(f"{row.title!r} was already conducted as exercise {row.exercise_id}")
        if row.template is None:
            raise ExerciseInputError(f"{row.title!r} names no template: open an exercise and record it with "
                                     "hotwash program conducted")
        name, version = row.template[0], int(row.template[1]) if row.template[1].isdigit() else None
        zone = service.template(name, version).setup.timezone
        created = service.create_from_template(name, version, exercise_name=row.title,
                                               real_start=parse_start(start, zone) if start else None)
        programs.record_conducted(planned, created.exercise.id)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    _print_created(created)
    typer.echo(f"Planned exercise {planned} is conducted as exercise {created.exercise.id}")


@program_app.command("show")
def show(
    program: Annotated[int, typer.Argument(help="Program id.")],
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Also write the IPP schedule as a workbook.")] = None,
    database: Database = None,
) -> None:
    """The program's priorities and its schedule of exercises, planned and conducted."""
    try:
        found = ProgramService.open(database).plan(program)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    if xlsx is not None:
        xlsx.write_bytes(schedule_xlsx(found))
    console = Console(highlight=False)
    console.print(f"{escape(found.name)} ({found.first_year}-{found.last_year})")
    priorities = Table(title="Priorities", title_justify="left")
    for column in ("#", "core capability", "why"):
        priorities.add_column(column)
    for n, p in enumerate(found.priorities, 1):
        priorities.add_row(str(n), p.capability, escape(p.why))
    console.print(priorities)
    schedule = Table(title="Schedule", title_justify="left")
    for column in ("id", "date", "exercise", "type", "capabilities", "template", "conducted as"):
        schedule.add_column(column)
    for e in found.exercises:
        schedule.add_row(
            str(e.id), e.planned_date.isoformat(), escape(e.title), e.exercise_type.value, ", ".join(e.capabilities),
            escape(template_text(e.template)),
            f"exercise {e.exercise_id}" if e.exercise_id else "planned",
        )
    console.print(schedule)


@program_app.command("finalise")
def finalise_command(
    exercise: Annotated[int, typer.Argument(help="Exercise id (ended, after its after-action meeting).")],
    database: Database = None,
) -> None:
    """Finalise EXERCISE's AAR/IP: each improvement-plan row becomes a tracked corrective action."""
    service = ExerciseService.open(database)
    try:
        made = finalise(service, ProgramService(service.db), service.operator(exercise))
    except (ExerciseInputError, AccessDenied) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"AAR/IP of exercise {exercise} finalised: {len(made)} corrective actions, each open")
    _print_actions(made)


def _print_actions(actions: list[CorrectiveAction]) -> None:
    table = Table(title="Corrective actions", title_justify="left")
    for column in ("key", "capability", "corrective action", "agency", "point of contact", "start", "due", "status"):
        table.add_column(column)
    for a in actions:
        table.add_row(
            a.key, a.capability, escape(a.action), escape(a.agency_name), escape(a.point_of_contact),
            a.start_date.isoformat() if a.start_date else "", a.completion_date.isoformat() if a.completion_date else "",
            a.status.value,
        )
    Console(highlight=False).print(table)


@program_app.command("actions")
def actions(exercise: Annotated[int, typer.Argument(help="Exercise id.")], database: Database = None) -> None:
    """The corrective actions of EXERCISE's finalised AAR/IP, as they stand."""
    programs = ProgramService.open(database)
    if not programs.finalised(exercise):
        raise _fail(f"the AAR/IP of exercise {exercise} is not finalised: hotwash program finalise {exercise}")
    _print_actions(programs.actions(exercise))


@program_app.command("update")
def update(
    exercise: Annotated[int, typer.Argument(help="Exercise id.")],
    key: Annotated[str, typer.Argument(help="The action's key (see hotwash program actions).")],
    why: Annotated[str, typer.Option("--why", help="Why it changed: kept with the change.")],
    status: Annotated[ActionStatus | None, typer.Option("--status", help="New status.")] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Point of contact.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Start date, YYYY-MM-DD ('' clears it).")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Completion date, YYYY-MM-DD ('' clears it).")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes.")] = None,
    database: Database = None,
) -> None:
    """Change a corrective action (as the program's operator); who, when and why are kept."""
    fields = {
        name: value for name, value in (
            ("status", status.value if status else None), ("point_of_contact", contact), ("start_date", start),
            ("completion_date", due), ("notes", notes),
        ) if value is not None
    }
    service = ExerciseService.open(database)
    try:
        changed = ProgramService(service.db).update(service.operator(exercise), exercise, key, fields, why)
    except (ExerciseInputError, AccessDenied) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{changed.key}: {changed.status.value}")


@program_app.command("history")
def history(
    exercise: Annotated[int, typer.Argument(help="Exercise id.")],
    key: Annotated[str | None, typer.Argument(help="One action's key (default: every action).")] = None,
    database: Database = None,
) -> None:
    """Every change of EXERCISE's corrective actions: who, when (UTC), why and what."""
    table = Table(title="Changes", title_justify="left")
    for column in ("#", "when (UTC)", "who", "action", "why", "set"):
        table.add_column(column)
    for c in ProgramService.open(database).history(exercise, key):
        shown = "; ".join(  # the owner by name: its id is for the permission check only
            f"{name.replace('_', ' ')}: {value}" for name, value in c.fields.items() if value and name != "agency"
        )
        table.add_row(
            str(c.seq), wall_datetime(c.wall_time).strftime("%Y-%m-%d %H:%M"), escape(c.actor), c.action_key,
            escape(c.why), escape(shown),
        )
    Console(highlight=False).print(table)


@program_app.command("rescore")
def rescore(exercise: Annotated[int, typer.Argument(help="Exercise id.")], database: Database = None) -> None:
    """Score EXERCISE again and store its summary (after a post-exercise correction, say)."""
    service = ExerciseService.open(database)
    try:
        made = store_summary(service, ProgramService(service.db), service.operator(exercise))
    except (ExerciseInputError, AccessDenied) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"exercise {exercise} scored: {len(made['findings'])} protocol instances, summary stored")


@program_app.command("report")
def report(
    program: Annotated[int, typer.Argument(help="Program id.")],
    out: Annotated[Path, typer.Option("--out", help="The program report as a PDF.")],
    docx: Annotated[Path | None, typer.Option("--docx", help="Also write it as an editable Word document.")] = None,
    today: Annotated[str | None, typer.Option("--today", help="Date overdue actions are counted at (YYYY-MM-DD).")] = None,
    database: Database = None,
) -> None:
    """The program report: priorities, the IPP schedule, capability and agency trends, corrective actions."""
    service = ExerciseService.open(database)
    try:
        made = build_program_report(service, ProgramService(service.db), program, _day(today) if today else date.today())
    except (ExerciseInputError, AccessDenied) as exc:
        raise _fail(str(exc)) from None
    blocks, charts = program_document(made), trends(made)
    out.write_bytes(render_blocks_pdf(blocks, frontis(made), charts))
    if docx is not None:
        docx.write_bytes(render_blocks_docx(blocks, frontis(made), charts))
    typer.echo(f"wrote {out}" + (f" and {docx}" if docx else ""))


@program_app.command("matrix")
def matrix(
    exercise: Annotated[int, typer.Argument(help="An exercise of the program (its program's actions are exported).")],
    out: Annotated[Path, typer.Option("--out", help="The improvement-plan matrix (.xlsx) to write.")],
    database: Database = None,
) -> None:
    """Write the improvement-plan matrix (.xlsx, HSEEP IP columns) to update and import back."""
    service = ExerciseService.open(database)
    try:
        out.write_bytes(ProgramService(service.db).export_matrix(service.operator(exercise)))
    except (ExerciseInputError, AccessDenied) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"wrote {out}: fill 'Changed by' on every row you change, then hotwash program matrix-import")


@program_app.command("matrix-import")
def matrix_import(
    exercise: Annotated[int, typer.Argument(help="An exercise of the program the matrix was exported for.")],
    workbook: Annotated[Path, typer.Argument(help="The updated improvement-plan matrix (.xlsx).")],
    database: Database = None,
) -> None:
    """Read an updated improvement-plan matrix back: every problem listed by cell, nothing written on one."""
    service = ExerciseService.open(database)
    try:
        data = workbook.read_bytes()
    except OSError as exc:
        raise _fail(f"{workbook}: cannot read: {exc.strerror}") from None
    try:
        changed = ProgramService(service.db).import_matrix(service.operator(exercise), data, workbook.name)
    except SheetError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise _fail(f"{len(exc.problems)} problems: nothing was changed") from None
    except (ExerciseInputError, AccessDenied) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{changed} corrective actions changed" if changed else "nothing changed")
