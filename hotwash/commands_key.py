"""``hotwash key``: the public half of the key that signs the journals' checkpoints.

Print it (and its fingerprint) into the exercise's paperwork, or write it to a file for whoever
checks an export or a database copy elsewhere (``hotwash verify --public-key FILE``). The private
key stays in its file (``HOTWASH_KEY_FILE``, by default beside the SQLite database or in var/),
created on first use with owner-only permissions; this command creates it if it does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exercises.record.evidence import KeyFileError, default_key_path, load_signing_key
from exercises.storage.db import URL_SETTING, database_url
from exercises.storage.faults import key_fault


def register(app: typer.Typer) -> None:
    app.command("key")(key)


def key(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the public key (PEM) to this file.")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option("--database", envvar=URL_SETTING, help="Database URL (default: a SQLite file in var/)."),
    ] = None,
) -> None:
    """Show the signing key's fingerprint and public key (PEM), or write the public key to a file."""
    path = default_key_path(database or database_url())
    fault = key_fault(path)
    if fault is not None:
        typer.echo(str(fault), err=True)
        raise typer.Exit(1)
    try:
        signing = load_signing_key(path, create=True)
    except (KeyFileError, OSError) as exc:
        typer.echo(f"{path}: {getattr(exc, 'strerror', None) or exc}", err=True)
        raise typer.Exit(1) from None
    assert signing is not None
    public = signing.public
    typer.echo(f"signing key: {path}", err=True)
    typer.echo(f"fingerprint: {public.fingerprint}", err=True)
    typer.echo(f"key id (SHA-256 of the public key): {public.key_id}", err=True)
    if output is None:
        typer.echo(public.pem(), nl=False)
    else:
        output.write_text(public.pem(), encoding="ascii")
        typer.echo(f"wrote {output}", err=True)
