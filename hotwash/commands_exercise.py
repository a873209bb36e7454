"""``hotwash exercise create|list``, ``hotwash verify``, ``hotwash export``, ``hotwash import``.

Whoever runs these holds the database, so they act as the exercise's operator (a controller).
The database is ``--database`` or ``HOTWASH_DATABASE_URL`` (default: ``var/hotwash.db``).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from exercises.access import AccessDenied, ExerciseInputError
from exercises.db import URL_SETTING
from exercises.evidence import KeyFileError, read_public_key
from exercises.loading import ScenarioError, load_scenario
from exercises.scenario import Scenario
from exercises.service import CreatedExercise, ExerciseService

exercise_app = typer.Typer(help="Open and list exercises.", no_args_is_help=True)

Database = Annotated[
    str | None,
    typer.Option("--database", envvar=URL_SETTING, help="Database URL (default: a SQLite file in var/)."),
]


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def register(app: typer.Typer) -> None:
    app.add_typer(exercise_app, name="exercise")
    app.command("verify")(verify)
    app.command("export")(export)
    app.command("import")(import_log)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _scenario(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None


def _print_created(created: CreatedExercise) -> None:
    ex = created.exercise
    typer.echo(f"Exercise {ex.id}: {ex.name} (scenario {ex.scenario_id}, seed {ex.seed}, {ex.entries} entries)")
    typer.echo("Access codes. They are shown this once and stored only hashed: hand them out now.")
    width = max(len(c.label) for c in created.codes)
    for code in created.codes:
        typer.echo(f"  {code.label:<{width}}  {code.code}")


@exercise_app.command("create")
def create(
    scenario: Annotated[Path, typer.Argument(help="A scenario file.")],
    name: Annotated[str | None, typer.Option(help="Exercise name (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(help="Simulation seed (default: random).")] = None,
    database: Database = None,
) -> None:
    """Open an exercise on a snapshot of SCENARIO and print its access codes (once)."""
    loaded = _scenario(scenario)
    try:
        created = ExerciseService.open(database).create_exercise(loaded, name=name, seed=seed)
    except (ExerciseInputError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    _print_created(created)


@exercise_app.command("list")
def list_exercises(database: Database = None) -> None:
    """Every exercise in the database, with its clock status and journal length."""
    exercises = ExerciseService.open(database).list_exercises()
    if not exercises:
        typer.echo("no exercises yet: hotwash exercise create SCENARIO")
        return
    table = Table(title="Exercises", title_justify="left")
    for column in ("id", "name", "scenario", "status", "entries", "created (UTC)"):
        table.add_column(column)
    for ex in exercises:
        table.add_row(
            str(ex.id), escape(ex.name), ex.scenario_id, ex.status, str(ex.entries),
            ex.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console(highlight=False).print(table)


def verify(
    exercise: Annotated[int, typer.Argument(help="Exercise id (see hotwash exercise list).")],
    database: Database = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option("--public-key", help="Also trust signatures by this public key (PEM or hex; repeatable)."),
    ] = None,
) -> None:
    """Walk EXERCISE's hash chain and check its signed checkpoints; say what that proves and what
    it cannot; exit non-zero and name what was found if the record does not hold."""
    service = ExerciseService.open(database)
    trusted = []
    for path in public_key or []:
        try:
            trusted.append(read_public_key(path.read_bytes()))
        except (OSError, KeyFileError) as exc:
            raise _fail(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    service.keys = service.keys.trusting(trusted)
    try:
        result = service.verify(service.operator(exercise))
    except (ExerciseInputError, AccessDenied, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    if not result.ok:
        raise _fail(str(result))
    typer.echo(str(result))


def export(
    exercise: Annotated[int, typer.Argument(help="Exercise id.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="jsonl or csv.")] = ExportFormat.JSONL,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    database: Database = None,
) -> None:
    """Write EXERCISE's journal as JSON Lines (re-verifiable) or CSV (safe to open in a spreadsheet)."""
    service = ExerciseService.open(database)
    try:
        text = service.export(service.operator(exercise), fmt.value)
    except (ExerciseInputError, AccessDenied, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_bytes(text.encode("utf-8"))
        typer.echo(f"wrote {output}", err=True)


def import_log(
    scenario: Annotated[Path, typer.Argument(help="The scenario the log belongs to.")],
    actions: Annotated[Path, typer.Argument(help="CSV action log: time, agency, action[, text, inject, logged_by].")],
    name: Annotated[str | None, typer.Option(help="Exercise name.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed recorded with the exercise.")] = None,
    database: Database = None,
) -> None:
    """Bring in an action log kept elsewhere as a finished exercise the report can score."""
    loaded = _scenario(scenario)
    try:
        data = actions.read_bytes()
    except OSError as exc:
        raise _fail(f"{actions}: cannot read: {exc.strerror}") from None
    try:
        created = ExerciseService.open(database).import_exercise(
            loaded, data, name=name, seed=seed, source=str(actions)
        )
    except (ExerciseInputError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    _print_created(created)
