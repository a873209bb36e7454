"""``hotwash template save|list|show|rename|retire|new``: the library of exercise templates.

A template keeps a scenario's files (each with its SHA-256), who plays which agency, the points of
contact, the handling marking and the time zone, under a name and a version
(``exercises.service.templates``). ``new`` opens an exercise from one in one step, with new codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from exercises.access import AccessDenied, ExerciseInputError
from exercises.record.evidence import KeyFileError
from exercises.scenario.bundle import gather, load_bundle
from exercises.scenario.loading import ScenarioError
from exercises.scenario.model import Scenario
from exercises.service.details import parse_start
from exercises.service.exercise_service import ExerciseService, TemplateSetUp
from exercises.views.wording import agency_index
from hotwash.commands_exercise import Database, Start, _fail, _print_created

template_app = typer.Typer(help="Exercise templates: save a set-up, list, show, rename, retire, open an exercise from one.",
                           no_args_is_help=True)

Version = Annotated[int | None, typer.Option("--version", min=1, help="A version (default: the newest not retired).")]


def register(app: typer.Typer) -> None:
    app.add_typer(template_app, name="template")


def _problems(exc: ScenarioError) -> typer.Exit:
    for problem in exc.problems:
        typer.echo(str(problem), err=True)
    return typer.Exit(1)


def _players(scenario: Scenario, typed: list[str] | None) -> tuple[str, ...]:
    """The agencies people play: as typed (names or ids), else as the scenario says."""
    if not typed:
        return tuple(a.id for a in scenario.agencies if a.played_by.value == "players")
    index = agency_index(scenario)
    found = {t: index.find(t) for t in typed}
    unknown = [t for t, ident in found.items() if ident is None]
    if unknown:
        raise _fail(f"no agency {', '.join(map(repr, unknown))} in {scenario.name}; agencies: "
                    + "; ".join(a.name for a in scenario.agencies))
    return tuple(i for i in found.values() if i is not None)


@template_app.command("save")
def save(
    name: Annotated[str, typer.Argument(help="The template's name (saving under a name in use makes its next version).")],
    scenario: Annotated[Path, typer.Argument(help="The scenario file (its plans/ folder beside scenarios/).")],
    player: Annotated[list[str] | None, typer.Option("--player", help="An agency played by people, by name or id "
                                                       "(repeat; default: as the scenario says).")] = None,
    exercise: Annotated[int | None, typer.Option("--exercise", help="Take who plays, contacts and time zone from "
                                                 "this exercise (SCENARIO must be the file it ran).")] = None,
    marking: Annotated[str | None, typer.Option("--marking", help="Handling marking, e.g. 'For Official Use Only'.")] = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="IANA time zone of the exercises made from it.")] = None,
    database: Database = None,
) -> None:
    """Save SCENARIO's files and a set-up as the next version of template NAME."""
    try:
        loaded, bundle = gather(scenario)
    except ScenarioError as exc:
        raise _problems(exc) from None
    service = ExerciseService.open(database)
    try:
        if exercise is not None:
            info = service.save_exercise_as_template(service.operator(exercise), name, loaded, bundle, marking=marking)
        else:
            setup = TemplateSetUp(_players(loaded, player), marking=marking, timezone=timezone)
            info = service.save_template(name, loaded, bundle, setup)
    except (ExerciseInputError, AccessDenied, LookupError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"saved template {info.label}: {info.scenario_name}, {len(info.files)} files")


def _agencies(count: int) -> str:
    return f"{count} agency" if count == 1 else f"{count} agencies"


@template_app.command("list")
def list_templates(
    retired: Annotated[bool, typer.Option("--retired", help="Also list retired versions.")] = False,
    database: Database = None,
) -> None:
    """Every template version, newest first within a name."""
    templates = ExerciseService.open(database).templates(retired=retired)
    if not templates:
        typer.echo("no templates yet: hotwash template save NAME SCENARIO")
        return
    table = Table(title="Exercise templates", title_justify="left")
    for column in ("name", "version", "scenario", "played by people", "saved (UTC)", "state"):
        table.add_column(column)
    for t in templates:
        table.add_row(escape(t.name), str(t.version), escape(t.scenario_name), _agencies(len(t.setup.players)),
                      t.created_at.strftime("%Y-%m-%d %H:%M"), "retired" if t.retired else "offered")
    Console(highlight=False).print(table)


def _agency_names(service: ExerciseService, name: str, version: int, players: tuple[str, ...]) -> str:
    """The agencies people play, by name (by id, said so, when the files no longer load)."""
    try:
        scenario = load_bundle(service.template_bundle(name, version), name)
    except ScenarioError:
        return ", ".join(players) + " (ids: the template's files no longer load; see hotwash template new)"
    return ", ".join(scenario.agency(p).name for p in players) or "none"


@template_app.command("show")
def show(name: str, version: Version = None, database: Database = None) -> None:
    """A template version: its scenario, who plays, contacts, marking, time zone and files with their SHA-256."""
    service = ExerciseService.open(database)
    try:
        info = service.template(name, version)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    lines = [
        f"Template {info.label}" + (" (retired)" if info.retired else ""),
        f"  Scenario: {info.scenario_name}",
        f"  Played by people: {_agency_names(service, info.name, info.version, info.setup.players)}; "
        "every other agency by the simulation",
        f"  Handling marking: {info.setup.marking or 'none'}",
        f"  Time zone: {info.setup.timezone or 'none'}",
        *(f"  {c.role}: {c.name}" + (f", {c.organization}" if c.organization else "") for c in info.setup.contacts),
        *(f"  {f.path}  {f.size:,} bytes  sha256 {f.sha256}" for f in info.files),
    ]
    typer.echo("\n".join(lines))


@template_app.command("rename")
def rename(name: str, new_name: str, database: Database = None) -> None:
    """Every version of template NAME goes by NEW_NAME."""
    try:
        ExerciseService.open(database).rename_template(name, new_name)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"template {name!r} is now {new_name!r}")


@template_app.command("retire")
def retire(name: str, version: Version = None, database: Database = None) -> None:
    """Stop offering a version (or every version) of template NAME; it stays for the record."""
    try:
        ExerciseService.open(database).retire_template(name, version)
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"retired template {name!r}" + (f" version {version}" if version else " (every version)"))


@template_app.command("new")
def new(
    name: str, version: Version = None,
    exercise_name: Annotated[str | None, typer.Option("--name", help="Name of the new exercise.")] = None,
    start: Start = None, database: Database = None,
) -> None:
    """Open a new exercise from template NAME, with new access codes (printed once)."""
    service = ExerciseService.open(database)
    try:
        timezone = service.template(name, version).setup.timezone
        real_start = parse_start(start, timezone) if start else None
        created = service.create_from_template(name, version, exercise_name=exercise_name, real_start=real_start)
    except ScenarioError as exc:
        raise _problems(exc) from None
    except (ExerciseInputError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    _print_created(created)
