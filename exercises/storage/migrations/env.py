"""Alembic's environment for Hotwash: the tables are SQLModel's metadata.

``exercises.storage.db.migrate`` passes its engine in ``config.attributes["engine"]``, so migrations run
with the same connection set-up as the app (SQLite: BEGIN IMMEDIATE, which also serialises
processes migrating at once). Run from the ``alembic`` command line, the URL is
``HOTWASH_DATABASE_URL`` (or the default SQLite file).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import exercises.storage.tables  # noqa: F401  (registers the tables)
from exercises.storage.db import LOCK_NAMESPACE, MIGRATION_LOCK, create_db_engine, database_url

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("engine")
    engine: Engine = given if given is not None else create_db_engine(database_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Several app processes may start at once; one migrates, the others then see head.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                    {"ns": LOCK_NAMESPACE, "key": MIGRATION_LOCK},
                )
            context.run_migrations()
    if given is None:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
