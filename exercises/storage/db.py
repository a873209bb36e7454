"""The database: one setting (a URL), SQLite by default, PostgreSQL for several app processes.

``open_database()`` returns a ``Database`` with the schema migrated to the newest revision.
Without ``HOTWASH_DATABASE_URL`` it is a SQLite file, ``var/hotwash.db`` under the current
directory, created on first use.

How appends stay gapless under concurrency (see STACK-NOTES.md, "SQLite and PostgreSQL"):
- SQLite: the sqlite3 driver's own transaction handling is switched off (``isolation_level =
  None``) and every write transaction opens with ``BEGIN IMMEDIATE``, which takes the database's
  write lock before the journal's head is read. Read sessions open with a plain ``BEGIN`` so
  they never wait for writers (WAL gives them a snapshot).
- PostgreSQL: each write transaction takes ``pg_advisory_xact_lock`` for its exercise; the lock
  is released on commit or rollback, also when the client process dies.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

import exercises.storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from exercises.storage import faults

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: SQLite's busy timeout alone
    fcntl = None

log = logging.getLogger(__name__)
URL_SETTING = "HOTWASH_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("var") / "hotwash.db"
BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the write lock before the driver reports it locked."""

LOCK_NAMESPACE = 0x4857
"""First key of every advisory lock Hotwash takes on PostgreSQL ("HW")."""
MIGRATION_LOCK = 0
"""Second key while migrating; exercise ids start at 1, so they never collide with it."""
SIGN_IN_LOCK = -1
"""Second key while the sign-in throttle counts and reserves a try (below every exercise id)."""

_READ_ONLY = "hotwash_read_only"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    """The configured URL: ``HOTWASH_DATABASE_URL``, else the default SQLite file."""
    return os.environ.get(URL_SETTING) or f"sqlite:///{DEFAULT_SQLITE_PATH.as_posix()}"


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _create_owner_only(path: Path) -> None:
    """A new SQLite file readable and writable by its owner only, like the signing key: it holds the
    journal and the hashes of access codes. SQLite gives its -wal and -shm files the same mode.
    An existing file keeps the mode its owner gave it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def create_db_engine(url: str | URL) -> Engine:
    """An engine with Hotwash's connection set-up; see the module docstring for why."""
    parsed = make_url(url)
    if not _is_sqlite(parsed):
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        _create_owner_only(Path(parsed.database))
    engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # NORMAL in WAL mode can lose committed transactions on power loss; the journal cannot.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def is_lock_error(exc: BaseException) -> bool:
    """A transient lock conflict that a retry of the whole transaction resolves."""
    if isinstance(exc, OperationalError) and exc.orig is not None:
        message = str(exc.orig).lower()
        if "database is locked" in message or "database is busy" in message:
            return True
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        # PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
        return getattr(exc.orig, "sqlstate", None) in {"40001", "40P01", "55P03"}
    return False


class FairLock:
    """A lock handed to waiters in arrival order.

    ``threading.Lock`` lets the thread that releases it take it straight back while the waiters
    are still waking, so under load one console session can starve the others."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def __enter__(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder, which hands the lock over without freeing it

    def __exit__(self, *exc: object) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


@dataclass(frozen=True)
class Database:
    """An engine plus the two kinds of session the service uses."""

    engine: Engine
    _turn: FairLock = field(default_factory=FairLock, compare=False, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return _is_sqlite(self.engine.url)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose transaction is a writer (SQLite: BEGIN IMMEDIATE); rolled back on error.
        A fault of the storage (full disk, read-only file, server down) leaves as a ``StorageFault``."""
        with self._faults_in_words():
            with self._writer_turn(), Session(self.engine, expire_on_commit=False) as session:
                try:
                    yield session
                except BaseException:
                    _roll_back(session)
                    raise

    @contextmanager
    def _faults_in_words(self) -> Iterator[None]:
        """Translate a fault of the storage (``faults.database_fault``) and drop the pooled
        connections, so the next call after the fault is cleared opens fresh ones (a SQLite
        connection opened on a read-only file stays read-only; a server's old connections are dead)."""
        try:
            yield
        except (DBAPIError, OSError) as exc:
            if isinstance(exc, DBAPIError) and is_lock_error(exc):
                raise
            fault = faults.database_fault(exc, self.engine.url)
            if fault is None:
                raise
            self.engine.dispose()
            log.warning("database fault (%s): %s", fault.kind, exc)
            raise fault from exc

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """SQLite writers queue here before BEGIN IMMEDIATE.

        SQLite's busy handler makes a waiting writer sleep and retry (up to 100 ms a time), so
        under load the writer that just committed takes the lock again while the others sleep:
        measured with 50 writers, p50 2 ms but p95 730 ms. Waiting in the kernel on a lock file
        beside the database (and, within the process, in arrival order) wakes a waiter the moment
        the lock is free. The kernel drops the file lock when a process dies, also by SIGKILL."""
        path = self.engine.url.database
        if not self.is_sqlite or not path or path == ":memory:" or fcntl is None:
            yield
            return
        with self._turn:
            fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing the descriptor releases the lock

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only, all of whose statements see one snapshot of the database.

        Never takes the write lock. SQLite: a deferred ``BEGIN``, whose WAL snapshot is fixed at the
        first read and held to the end. PostgreSQL: ``REPEATABLE READ, READ ONLY``; under its default
        READ COMMITTED every statement saw the commits made since the one before, so a journal
        read after the exercise's head could hold entries the head did not yet count (measured:
        48 false "added outside Hotwash" alarms in 263 verifications while others wrote)."""
        with self._faults_in_words(), Session(self._reader, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        """Read from the database once: a ``StorageFault`` in words when it cannot be reached."""
        with self.reading() as session:
            session.connection().exec_driver_sql("SELECT 1")

    @cached_property
    def _reader(self) -> Engine:
        if self.is_sqlite:
            return self.engine.execution_options(**{_READ_ONLY: True})
        return self.engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)

    def lock_exercise(self, session: Session, exercise_id: int) -> None:
        """Serialise writers of one exercise until the session's transaction ends."""
        if self.is_sqlite:
            session.connection()  # begins the transaction: BEGIN IMMEDIATE holds the write lock
        else:
            session.connection().execute(
                text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": LOCK_NAMESPACE, "key": exercise_id}
            )


    def lock_sign_in(self, session: Session) -> None:
        """Serialise the sign-in throttle's count-and-reserve across threads and processes until the
        session's transaction ends: two tries never both see the count below a limit."""
        if self.is_sqlite:
            session.connection()
        else:
            session.connection().execute(
                text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": LOCK_NAMESPACE, "key": SIGN_IN_LOCK}
            )


def alembic_config(database: Database | None = None) -> Any:
    """An Alembic config for Hotwash's migrations; with ``database``, env.py uses its engine."""
    from alembic.config import Config

    # Alembic's default stdout is whatever sys.stdout was when alembic was imported.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS))
    if database is not None:
        config.attributes["engine"] = database.engine
    return config


def migrate(database: Database) -> None:
    """Upgrade the schema to the newest revision (safe to run from several processes at once)."""
    from alembic import command

    command.upgrade(alembic_config(database), "head")


_opened: dict[str, Database] = {}
_opened_lock = threading.Lock()
_inherited: list[Database] = []


def _forget_after_fork() -> None:
    # A forked child must not share its parent's pooled connections. They are kept referenced
    # (never garbage-collected, so never closed from the child, which would break the parent's)
    # and the child opens its own.
    _inherited.extend(_opened.values())
    _opened.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def open_database(url: str | URL | None = None, *, run_migrations: bool = True) -> Database:
    """The database at ``url`` (default: ``database_url()``), migrated, one per URL and process."""
    key = make_url(url or database_url()).render_as_string(hide_password=False)
    with _opened_lock:
        database = _opened.get(key)
        if database is None:
            try:
                database = Database(create_db_engine(key))
                if run_migrations:
                    migrate(database)
            except (DBAPIError, OSError) as exc:
                fault = faults.database_fault(exc, key)
                if fault is None:
                    raise
                raise fault from exc  # nothing is kept: the next call opens it again
            _opened[key] = database
        return database


def _roll_back(session: Session) -> None:
    """Roll back after an error; a connection the fault already broke cannot, and need not."""
    try:
        session.rollback()
    except DBAPIError:
        pass
