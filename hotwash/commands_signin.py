"""``hotwash unlock``: clear an exercise's sign-in locks from the command line.

For when signing in to the exercise is itself locked (40 wrong codes for its codes in an hour) and
no controller is signed in to clear it on the Exercises page. Whoever runs the command line holds
the database, so acts as a controller; the clearance is recorded as the operator's, with the time.
"""

from __future__ import annotations

from typing import Annotated

import typer

from exercises.access import ExerciseInputError
from exercises.service.exercise_service import ExerciseService
from exercises.service.sessions import SessionStore
from exercises.storage.db import URL_SETTING


def register(app: typer.Typer) -> None:
    app.command("unlock")(unlock)


def unlock(
    exercise: Annotated[int, typer.Argument(help="The exercise's number (hotwash exercise list).")],
    database: Annotated[
        str | None,
        typer.Option("--database", envvar=URL_SETTING, help="Database URL (default: a SQLite file in var/)."),
    ] = None,
) -> None:
    """Clear EXERCISE's sign-in locks: its wrong access codes stop counting (recorded)."""
    service = ExerciseService.open(database)
    try:
        operator = service.operator(exercise)
    except ExerciseInputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    cleared = SessionStore(service).clear_locks(operator)
    typer.echo(f"exercise {exercise}: sign-in locks cleared, {cleared} wrong code{'s' if cleared != 1 else ''} "
               "no longer count (recorded as the operator's clearance)")
