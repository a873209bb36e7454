"""``hotwash exercise create|list|again|branch``, ``hotwash verify``, ``hotwash export``, ``hotwash import``.

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
from exercises.program.service import ProgramService
from exercises.record.evidence import KeyFileError, PublicKey
from exercises.record.witness import Witness
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import Scenario
from exercises.service.details import RecordKind, parse_start
from exercises.service.exercise_service import CreatedExercise, ExerciseService
from exercises.storage.db import URL_SETTING

exercise_app = typer.Typer(help="Open, list, run again and branch exercises.", no_args_is_help=True)

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
    typer.echo(f"Record signed under key {created.key_fingerprint} (pinned for this exercise: keep it with the codes; "
               "hotwash verify names the key it finds)")
    typer.echo("Access codes. They are shown this once and stored only hashed: hand them out now.")
    width = max(len(c.label) for c in created.codes)
    for code in created.codes:
        typer.echo(f"  {code.label:<{width}}  {code.code}")


Start = Annotated[
    str | None, typer.Option("--start", help="Wall-clock time of exercise time 0:00: 'YYYY-MM-DD HH:MM'.")
]
TimeZone = Annotated[
    str | None, typer.Option("--timezone", help="IANA time zone of --start, e.g. America/Chicago.")
]


@exercise_app.command("create")
def create(
    scenario: Annotated[Path, typer.Argument(help="A scenario file.")],
    name: Annotated[str | None, typer.Option(help="Exercise name (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(help="Simulation seed (default: random).")] = None,
    start: Start = None,
    timezone: TimeZone = None,
    database: Database = None,
) -> None:
    """Open an exercise on a snapshot of SCENARIO and print its access codes (once)."""
    loaded = _scenario(scenario)
    try:
        real_start = parse_start(start, timezone) if start else None
        created = ExerciseService.open(database).create_exercise(
            loaded, name=name, seed=seed, real_start=real_start, timezone=timezone
        )
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


@exercise_app.command("again")
def run_again(
    exercise: Annotated[int, typer.Argument(help="The exercise to run again (see hotwash exercise list).")],
    name: Annotated[str | None, typer.Option(help="Name of the new exercise (default: '<name> (again)').")] = None,
    scenario: Annotated[
        Path | None, typer.Option(help="The scenario file the exercise ran, to take a changed MSEL from --msel.")
    ] = None,
    msel: Annotated[Path | None, typer.Option(help="A MSEL workbook (.xlsx) or CSV replacing the exercise's MSEL.")] = None,
    database: Database = None,
) -> None:
    """A new exercise with EXERCISE's set-up (scenario, seed, time zone, points of contact), new
    access codes and nothing of its journal; optionally with a changed MSEL from a workbook."""
    if (scenario is None) != (msel is None):
        raise _fail("give both --scenario and --msel (the scenario file and the workbook with its new MSEL), or neither")
    changed = _with_msel(scenario, msel) if scenario is not None and msel is not None else None
    service = ExerciseService.open(database)
    try:
        created = service.run_again(service.operator(exercise), scenario=changed, name=name)
    except (ExerciseInputError, AccessDenied, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    _print_created(created)


def _with_msel(scenario: Path, msel: Path) -> Scenario:
    from exercises.documents.msel_sheet import load_with_msel
    from exercises.scenario.loading import default_plans_folder, load_plans

    try:
        text, sheet = scenario.read_text(encoding="utf-8"), msel.read_bytes()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {scenario} or {msel}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return load_with_msel(str(scenario), text, load_plans(default_plans_folder(scenario)), str(msel), sheet)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise _fail(f"{len(exc.problems)} problem(s); no exercise was opened") from None


@exercise_app.command("branch")
def branch(
    exercise: Annotated[int, typer.Argument(help="A finished or paused exercise (see hotwash exercise list).")],
    entry: Annotated[int | None, typer.Option(help="Branch after this journal entry (its number).")] = None,
    at: Annotated[str | None, typer.Option(help="Or branch at this exercise time, e.g. 0:20 or 20m.")] = None,
    name: Annotated[str | None, typer.Option(help="Name of the new exercise.")] = None,
    database: Database = None,
) -> None:
    """A new exercise going on from a moment of EXERCISE: its journal starts with EXERCISE's entries
    up to that moment, linked to EXERCISE's hash chain (hotwash verify proves it), and new codes."""
    from exercises.scenario.durations import parse_duration

    try:
        seconds = None if at is None else parse_duration(at)
    except ValueError as exc:
        raise _fail(f"--at {at!r}: {exc}") from None
    service = ExerciseService.open(database)
    try:
        created = service.branch(service.operator(exercise), seq=entry, at=seconds, name=name)
    except (ExerciseInputError, AccessDenied, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    _print_created(created)


def verify(
    exercise: Annotated[int | None, typer.Argument(help="Exercise id (see hotwash exercise list).")] = None,
    database: Database = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option("--public-key", help="Also trust signatures by this public key (PEM or hex; repeatable)."),
    ] = None,
    witness: Annotated[
        list[Path] | None,
        typer.Option("--witness", help="Also hold the record to this witness file or JSON Lines export (repeatable)."),
    ] = None,
    journal_file: Annotated[
        Path | None, typer.Option("--journal", help="Check a JSON Lines export instead of an exercise in the database."),
    ] = None,
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="With --journal: the scenario it is to be scored against."),
    ] = None,
) -> None:
    """Walk EXERCISE's hash chain, check its signed checkpoints under its pinned key, hold it to every witness.

    The witnesses: the witness file beside the key, and each --witness (a copy of it, or an export).
    Exits non-zero and names what was found if the record does not hold; says what it cannot prove.
    A finalised AAR/IP's corrective actions have their own history, walked too. With --journal,
    checks an export instead (and, with --scenario, that the scenario is the one it ran)."""
    from hotwash.commands_report import _trusted, witnesses

    trusted, given = _trusted(public_key), witnesses(witness)
    if journal_file is not None:
        if exercise is not None:
            raise _fail("give an EXERCISE id, or --journal FILE, not both")
        _verify_file(journal_file, scenario, database, trusted, given)
        return
    if exercise is None:
        raise _fail("give an EXERCISE id, or --journal FILE")
    service = ExerciseService.open(database)
    service.keys = service.keys.trusting(trusted, given)
    try:
        result = service.verify(service.operator(exercise))
    except (ExerciseInputError, AccessDenied, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    actions = ProgramService(service.db).verify_history(exercise)
    if not result.ok:
        raise _fail(str(result) if actions is None else f"{result}\n{actions}")
    if actions is not None and not actions.ok:
        typer.echo(str(result))
        raise _fail(str(actions))
    typer.echo(str(result) if actions is None else f"{result}\n{actions}")


def _verify_file(
    path: Path, scenario: Path | None, database: str | None, trusted: list[PublicKey], given: list[Witness]
) -> None:
    """``hotwash verify --journal FILE``: the export's own check, under the pinned keys."""
    from aar.journal_file import JournalFileError, read_journal_lines
    from hotwash.commands_report import file_trust, scenario_hash

    expected = scenario_hash(_scenario(scenario)) if scenario is not None else None
    try:
        with path.open(encoding="utf-8") as fh:
            read = read_journal_lines(fh, file_trust(database, trusted, given), expected)
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror}") from None
    except (JournalFileError, KeyFileError, UnicodeError) as exc:
        raise _fail(f"{path}: {exc}") from None
    integrity = read.integrity
    if not integrity.intact:
        raise _fail(f"{path}: journal BROKEN: {integrity.problem}")
    typer.echo(f"{path}: journal intact, {integrity.entries} entries, head {integrity.head_hash}")
    for line in integrity.proven:
        typer.echo(f"  proven: {line}")


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
    actions: Annotated[
        Path | None,
        typer.Argument(help="CSV action log (time, agency, action[, text, inject, logged_by]), or an incident workbook (.xlsx)."),
    ] = None,
    messages: Annotated[Path | None, typer.Option(help="CSV of messages (time, from, to, channel, text, delivered).")] = None,
    links: Annotated[Path | None, typer.Option(help="CSV of link failures and restorations (time, link, state).")] = None,
    requests: Annotated[Path | None, typer.Option(help="CSV of resource requests.")] = None,
    answers: Annotated[Path | None, typer.Option(help="CSV of answers to resource requests.")] = None,
    start: Annotated[str | None, typer.Option(help="The incident's real start, e.g. '2026-03-14 18:30': times are then clock times.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone of the clock times, e.g. America/Chicago.")] = None,
    name: Annotated[str | None, typer.Option(help="Exercise name.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed recorded with the exercise.")] = None,
    real_incident: Annotated[
        bool, typer.Option("--real-incident", help="The log is of a real incident, not an exercise.")
    ] = False,
    database: Database = None,
) -> None:
    """Bring in a log kept elsewhere as a finished exercise the report can score.

    An exercise's action log, or a real incident's actions, messages, link failures and resource
    requests (a workbook, or one CSV file per kind)."""

    from exercises.documents.incident_log import RealClock, parse_incident_log

    loaded = _scenario(scenario)
    files: dict[str, tuple[str, bytes]] = {}
    named = {"messages": messages, "links": links, "requests": requests, "answers": answers}
    if actions is not None:
        named["workbook" if actions.suffix.lower() in (".xlsx", ".xlsm", ".xls") else "actions"] = actions
    for kind, path in named.items():
        if path is not None:
            try:
                files[kind] = (str(path), path.read_bytes())
            except OSError as exc:
                raise _fail(f"{path}: cannot read: {exc.strerror}") from None
    if not files:
        raise _fail("name the log: an action log CSV or an incident workbook, and/or --messages, --links, --requests")
    if (start is None) != (timezone is None):
        raise _fail("give both --start and --timezone (the incident's real start and its time zone), or neither")
    record_kind: RecordKind = "real_incident" if real_incident else "exercise"
    if set(files) == {"actions"} and start is None:  # the action log of an exercise, as before
        _import(loaded, files["actions"][1], name, seed, files["actions"][0], database, record_kind)
        return
    try:
        clock = RealClock.parse(start, timezone) if start and timezone else None
        log = parse_incident_log(loaded, files, clock)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise _fail(f"{len(exc.problems)} problem(s); nothing was imported") from None
    try:
        created = ExerciseService.open(database).import_exercise(
            loaded, log, name=name, seed=seed, source=str(actions),
            real_start=clock.start if clock else None, timezone=timezone, record_kind=record_kind,
        )
    except ExerciseInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(", ".join(f"{n} {kind}" for kind, n in log.counts.items()) + " imported")
    _print_created(created)


def _import(
    scenario: Scenario, data: bytes, name: str | None, seed: int | None, source: str, database: str | None,
    kind: RecordKind,
) -> None:
    try:
        created = ExerciseService.open(database).import_exercise(
            scenario, data, name=name, seed=seed, source=source, record_kind=kind
        )
    except (ExerciseInputError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    _print_created(created)
