"""Faults of the database and the files beside it, in words: what happened and what to do.

One translation for the service, the command line and the console: a full disk, a read-only
database file, a PostgreSQL server that is down, a folder where the signing key should be. The
driver's own error stays on the exception's ``__cause__`` (and in the log), never in what a person
reads. A write that meets a fault is rolled back and not acknowledged, so what was acknowledged
before is safe; the fault's text says so, and what to do, and Hotwash works again by itself once
the fault is cleared (``Database`` drops its pooled connections after a fault).
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError

resource: ModuleType | None
try:
    import resource
except ImportError:  # Windows: no file-size limit to name
    resource = None

SAFE = "Nothing recorded before is lost; what was being done when this happened was not recorded."
UNSURE = ("The last action may not have been recorded: look at the timeline before doing it again. "
          "Everything recorded before it is safe in the database.")
LOW_SPACE = 1 << 20
"""Free space (bytes) under which a failed write is put down to a full disk."""


class StorageFault(RuntimeError):
    """The database (or a file beside it) cannot be used just now; ``str()`` is the whole message."""

    def __init__(self, kind: str, what: str, todo: str, safe: str = SAFE) -> None:
        super().__init__(f"{what} {safe} {todo}".strip())
        self.kind = kind
        """"disk full", "read-only", "database down", "no database file", "key path" or "database"."""
        self.what, self.todo, self.safe = what, todo, safe


@dataclass(frozen=True)
class _Place:
    """Where the database lives, as a person would name it."""

    url: URL

    @property
    def file(self) -> Path | None:
        if self.url.get_backend_name() == "sqlite" and self.url.database and self.url.database != ":memory:":
            return Path(self.url.database)
        return None

    @property
    def server(self) -> str:
        return f"{self.url.host or 'localhost'}:{self.url.port or 5432}"


def database_fault(exc: BaseException, url: str | URL) -> StorageFault | None:
    """The fault ``exc`` (a database driver's error or an OS error) stands for; None when it is
    not a fault of the storage (a bug, a lock conflict the caller retries)."""
    place = _Place(make_url(url))
    message = str(getattr(exc, "orig", None) or exc).lower()
    if place.file is not None:
        return _sqlite_fault(exc, message, place.file)
    if isinstance(exc, (DBAPIError, InterfaceError)) and _connection_lost(exc, message):
        return _server_down(place, message)
    return None


def _connection_lost(exc: BaseException, message: str) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return any(words in message for words in (
        "connection refused", "could not connect", "server closed the connection", "terminating connection",
        "connection is closed", "connection timed out", "no such file or directory", "the database system is",
        "connection to server", "consuming input failed", "server conn crashed", "ssl syscall error",
    ))


def _server_down(place: _Place, message: str) -> StorageFault:
    mid = any(words in message for words in ("server closed", "terminating connection", "consuming input"))
    what = (f"The PostgreSQL database server at {place.server} {'closed the connection' if mid else 'is not answering'}"
            f" (it is stopped, restarting or out of reach).")
    todo = ("Start the server, or check the network to it; Hotwash connects again by itself as soon as it "
            "answers: do the action again then.")
    return StorageFault("database down", what, todo, UNSURE if mid else SAFE)


def _sqlite_fault(exc: BaseException, message: str, file: Path) -> StorageFault | None:
    if file.is_dir():
        return StorageFault("no database file", f"The database path {file} is a folder, not a database file.",
                            "Move the folder away, or set HOTWASH_DATABASE_URL to the database file.")
    if "disk is full" in message or "disk i/o error" in message or _errno(exc) in (errno.ENOSPC, errno.EFBIG):
        return _no_room(file, message)
    if "readonly" in message or "read-only" in message or _errno(exc) in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _read_only(file)
    if "unable to open database file" in message:
        return _read_only(file) if _not_writable(file) else StorageFault(
            "no database file", f"The database file {file} cannot be opened (its folder is missing or not "
            "reachable).", "Check that the folder exists and that the user running Hotwash may use it.")
    return None


def _errno(exc: BaseException) -> int | None:
    found = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(found, "errno", None)


def _no_room(file: Path, message: str) -> StorageFault | None:
    folder = _existing(file.parent)
    free = shutil.disk_usage(folder).free
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0] if resource else -1
    if free < LOW_SPACE or "disk is full" in message:
        why = f"the disk holding it is full ({free // 1024} KB free)"
        todo = f"Free space on the disk that holds {folder} (or move the database to a larger disk)"
    elif resource and limit != resource.RLIM_INFINITY:
        why = f"the file has reached the largest file this process may write ({limit // 1024} KB)"
        todo = "Raise the file-size limit of the user running Hotwash (ulimit -f), or free space"
    else:
        why = "the disk refused the write (it may be full, or failing)"
        todo = f"Check the disk that holds {folder}: free space, or replace a failing disk"
    return StorageFault("disk full", f"Hotwash could not write to the database file {file}: {why}.",
                        f"{todo}; the next action is recorded as soon as there is room, without a restart.")


def _read_only(file: Path) -> StorageFault:
    folder = _existing(file.parent)
    if _read_only_file_system(folder):
        why = f"the file system holding {folder} is mounted read-only"
        todo = "Mount it read-write again (or move the database to a writable disk)"
    else:
        why = "the file (or its folder) is read-only for the user running Hotwash"
        todo = (f"Give that user write permission on the file and its folder, e.g. chmod u+w {file} "
                f"and chmod u+w {folder}")
    return StorageFault("read-only", f"Hotwash cannot write to the database file {file}: {why}.",
                        f"{todo}; the next action is recorded then, without a restart.")


def _not_writable(file: Path) -> bool:
    folder = _existing(file.parent)
    if _read_only_file_system(folder):
        return True
    return (file.exists() and not os.access(file, os.W_OK)) or not os.access(folder, os.W_OK)


def _read_only_file_system(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


def _existing(folder: Path) -> Path:
    """The nearest folder that exists, for asking about its disk."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def key_fault(path: Path) -> StorageFault | None:
    """A fault of the signing key's path that its own error would misname (a folder read as a file
    "readable by other users"); None when the key file's own message says it right."""
    if path.is_dir():
        return StorageFault(
            "key path", f"The signing key's path {path} is a folder, not a key file, so the record cannot "
            "be signed or its signatures checked.",
            "Move the folder away and put the signing key file back at that path, or set HOTWASH_KEY_FILE to "
            "where the key file is.", safe="The record itself is untouched.")
    folder = _existing(path.parent)
    if folder != path.parent and folder.is_file():
        return StorageFault(
            "key path", f"The signing key's folder cannot be made: {folder} is a file.",
            "Move that file away, or set HOTWASH_KEY_FILE to a file in a folder this user may write.",
            safe="The record itself is untouched.")
    return None
