"""``hotwash key``: the key that signs the journals' checkpoints, and the acts that change what is
trusted, each recorded in the witness file beside the key.

``hotwash key`` prints the public half (and its fingerprint) for the exercise's paperwork, or writes
it to a file for whoever checks an export or a database copy elsewhere (``hotwash verify
--public-key FILE``). The private key stays in its file (``HOTWASH_KEY_FILE``, by default beside the
SQLite database or in var/), made with the first exercise and never again silently:
``hotwash key rotate`` makes a new one on purpose, ``hotwash key pin`` pins the key for a record
made before keys were pinned.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from exercises.record.evidence import KeyFileError, Keys, default_key_path, fingerprint, load_signing_key
from exercises.storage.db import URL_SETTING, database_url
from exercises.storage.faults import key_fault

key_app = typer.Typer(
    help="Show the signing key's fingerprint and public key (PEM), or write the public key to a file.",
    invoke_without_command=True,
)

Database = Annotated[
    str | None,
    typer.Option("--database", envvar=URL_SETTING, help="Database URL (default: a SQLite file in var/)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(key_app, name="key")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@key_app.callback(invoke_without_command=True)
def key(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the public key (PEM) to this file.")
    ] = None,
    database: Database = None,
) -> None:
    """Show the signing key's fingerprint and public key (PEM), or write the public key to a file."""
    if ctx.invoked_subcommand is not None:
        return
    path = default_key_path(database or database_url())
    fault = key_fault(path)
    if fault is not None:
        typer.echo(str(fault), err=True)
        raise typer.Exit(1)
    try:
        signing = load_signing_key(path, create=False)
    except (KeyFileError, OSError) as exc:
        raise _fail(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    if signing is None:
        raise _fail(f"{path}: no signing key. One is made with the first exercise; if it was lost, restore it "
                    "from a backup or make a new one on purpose: hotwash key rotate --reason '...'")
    public = signing.public
    typer.echo(f"signing key: {path}", err=True)
    typer.echo(f"fingerprint: {public.fingerprint}", err=True)
    typer.echo(f"key id (SHA-256 of the public key): {public.key_id}", err=True)
    if output is None:
        typer.echo(public.pem(), nl=False)
    else:
        output.write_text(public.pem(), encoding="ascii")
        typer.echo(f"wrote {output}", err=True)


@key_app.command("rotate")
def rotate(
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded in the witness file with the new key.")],
    database: Database = None,
) -> None:
    """Make a new signing key on purpose (the old one lost or retired), recorded in the witness file;
    records pinned to the old key trust the new one from now on."""
    if not reason.strip() or len(reason) > 500 or not reason.isprintable():
        raise _fail("--reason: say why in a line of at most 500 printable characters")
    keys = Keys(default_key_path(database or database_url()))
    try:
        old, new = keys.rotate(reason.strip(), time.time())
    except (KeyFileError, OSError) as exc:
        raise _fail(f"{keys.path}: {getattr(exc, 'strerror', None) or exc}") from None
    if old is not None:
        typer.echo(f"retired key {old.fingerprint} (kept beside the new one, renamed)")
    typer.echo(f"new signing key {new.fingerprint}, recorded in {keys.witness_file}")
    typer.echo("Give the new fingerprint to whoever checks this installation's records and reports.")


@key_app.command("pin")
def pin(
    exercise: Annotated[int, typer.Argument(help="An exercise recorded before keys were pinned.")],
    database: Database = None,
) -> None:
    """Pin this installation's key for EXERCISE, recorded before keys were pinned: only when every
    checkpoint of it is signed with that key and it verifies under it."""
    from exercises.access import ExerciseInputError
    from exercises.service.exercise_service import ExerciseService

    service = ExerciseService.open(database)
    try:
        pinned = service.pin_key(service.operator(exercise))
    except (ExerciseInputError, KeyFileError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"exercise {exercise}: key {fingerprint(pinned)} pinned, recorded in {service.keys.witness_file}")
