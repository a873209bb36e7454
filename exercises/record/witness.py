"""The witness file: what this installation pinned and signed, kept beside the signing key, outside
the database.

A database writer can rewrite a journal, its checkpoints and its genesis together; what they cannot
reach from the database is this file. It is append-only JSON Lines, one line a fact:

- ``{"pin": ...}``: the key a record (named by its genesis) is trusted under, written when the
  exercise is created (or by ``hotwash key pin`` for a record made before pins existed);
- ``{"checkpoint": ...}``: every signed checkpoint, as exports carry it, appended once its write
  is committed, so the newest signed head of every record is kept outside the database too;
- ``{"rotation": ...}``: a new signing key made on purpose (``hotwash key rotate``), trusted
  wherever the key it replaces was.

``hotwash verify`` trusts a record only under the keys pinned for it here (or given with
``--public-key``), and holds the record to every signed head a witness holds: this file, and
any ``--witness FILE`` (a copy of it, or a JSON Lines export, whose checkpoints and seal witness
the head it was made at).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WITNESS_SUFFIX = "-witness.jsonl"
MAX_WITNESS_BYTES = 200_000_000
"""A witness file larger than this is refused unread (a line per checkpoint stays far below)."""
MAX_LINE_CHARS = 200_000


class WitnessError(ValueError):
    """A witness file that cannot be read; the message names the file and the line."""


def witness_path(key_path: Path) -> Path:
    """The witness file beside the key: ``hotwash-signing.key-witness.jsonl``."""
    return key_path.with_name(key_path.name + WITNESS_SUFFIX)


@dataclass(frozen=True)
class Pin:
    genesis: str
    key_id: str
    public_key: str
    pinned_at: float
    reason: str
    metadata: Mapping[str, Any]
    """The record's metadata when pinned: what a changed genesis is compared with."""


@dataclass(frozen=True)
class Rotation:
    old_key_ids: tuple[str, ...]
    key_id: str
    public_key: str
    at: float
    reason: str


@dataclass(frozen=True)
class Witnessed:
    """A signed head one witness holds, and where it was read."""

    signed: Mapping[str, Any]
    source: str


@dataclass
class Witness:
    """What one witness file says (all of it, or only about one genesis)."""

    source: str
    pins: list[Pin] = field(default_factory=list)
    rotations: list[Rotation] = field(default_factory=list)
    heads: list[Witnessed] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)
    """Lines that are not JSON (one cut short by a crash while it was written): named, not fatal."""

    def pins_for(self, genesis: str) -> list[Pin]:
        return [p for p in self.pins if p.genesis == genesis]

    def heads_for(self, genesis: str) -> list[Witnessed]:
        return [h for h in self.heads if h.signed.get("genesis") == genesis]

    def current_key(self) -> str | None:
        """The key this installation signs with, as the file last recorded it."""
        latest: tuple[float, str] | None = None
        for pin in self.pins:
            if latest is None or pin.pinned_at >= latest[0]:
                latest = (pin.pinned_at, pin.key_id)
        for rotation in self.rotations:
            if latest is None or rotation.at >= latest[0]:
                latest = (rotation.at, rotation.key_id)
        return None if latest is None else latest[1]


def _line(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n").encode()


def append(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Append lines (owner-only file; one ``write`` each, so processes appending at once never
    interleave within a line), then flush them to disk."""
    data = b"".join(_line(r) for r in records)
    if not data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a line cut short by a crash stays its own line
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def pin_record(metadata: Mapping[str, Any], genesis: str, key_id: str, public_key: str, at: float,
               reason: str) -> dict[str, Any]:
    return {"pin": {"genesis": genesis, "key_id": key_id, "public_key": public_key, "pinned_at": at,
                    "reason": reason, "metadata": dict(metadata)}}


def rotation_record(old: Iterable[str], key_id: str, public_key: str, at: float, reason: str) -> dict[str, Any]:
    return {"rotation": {"old_key_ids": sorted(old), "key_id": key_id, "public_key": public_key, "at": at,
                         "reason": reason}}


def read_text(path: Path) -> str:
    """The witness file's text ('' when it does not exist), refused in words when unreadable."""
    try:
        if path.stat().st_size > MAX_WITNESS_BYTES:
            raise WitnessError(f"{path}: larger than {MAX_WITNESS_BYTES:,} bytes; not a witness file")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeError:
        raise WitnessError(f"{path}: not a text file") from None
    except OSError as exc:
        raise WitnessError(f"{path}: cannot read the witness file ({exc.strerror})") from None


def read(path: Path, genesis: str | None = None) -> Witness:
    """The witness file at ``path`` (an empty witness when it does not exist); with ``genesis``,
    only the lines about that record (and every rotation). A line that is not a witness line is
    refused in words (``WitnessError``)."""
    return parse(read_text(path), str(path), genesis)


def parse(text: str, source: str, genesis: str | None = None) -> Witness:
    """A witness file's text (see ``read``)."""
    witness = Witness(source)
    for number, line in enumerate(text.splitlines(), start=1):
        if genesis is not None and genesis not in line and '"rotation"' not in line:
            continue  # a record's lines all name its genesis: skip the rest unparsed
        _take(witness, line, number, source)
    return witness


def _take(witness: Witness, line: str, number: int, path: str) -> None:
    if not line.strip():
        return
    if len(line) > MAX_LINE_CHARS:
        raise WitnessError(f"{path}, line {number}: too long for a witness line")
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        witness.unreadable.append(number)
        return
    if not isinstance(row, dict):
        raise WitnessError(f"{path}, line {number}: not a witness line")
    try:
        if "pin" in row:
            p = row["pin"]
            witness.pins.append(Pin(str(p["genesis"]), str(p["key_id"]), str(p["public_key"]),
                                    float(p["pinned_at"]), str(p["reason"]), dict(p["metadata"])))
        elif "rotation" in row:
            r = row["rotation"]
            witness.rotations.append(Rotation(tuple(str(k) for k in r["old_key_ids"]), str(r["key_id"]),
                                              str(r["public_key"]), float(r["at"]), str(r["reason"])))
        elif "checkpoint" in row or "seal" in row:
            signed = row.get("checkpoint") or row.get("seal")
            if not isinstance(signed, dict):
                raise TypeError
            witness.heads.append(Witnessed(signed, f"{path}, line {number}"))
    except (KeyError, TypeError, ValueError):
        raise WitnessError(f"{path}, line {number}: an incomplete witness line") from None
