"""The journal: append-only, hash-chained entries per exercise, and its verification.

Each row's ``hash`` is SHA-256 over the canonical JSON (RFC 8785) of everything in the row:
exercise, seq, exercise time, wall time, kind, actor, agency, payload and ``prev_hash``. The first
entry's ``prev_hash`` is the exercise's genesis hash, which covers the scenario snapshot and the
seed, so the chain also proves which scenario it ran. The exercise row keeps the head (last
seq, last time, head hash), moved in the same transaction as each append, so a deleted tail is
detected too.

This module has ``append`` and reads; it has no function that updates or deletes an entry.
``append`` expects the caller to hold the exercise's write lock (``Database.lock_exercise``); it
also refuses to move a head that is no longer where the caller read it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from typing import Any, cast

import rfc8785
from pydantic import ValidationError
from sqlalchemy import insert, update
from sqlalchemy import select as select_table
from sqlmodel import Session, col, select

from exercises.record.compact import interned
from exercises.record.entries import Entry, NewEntry
from exercises.storage.tables import EXERCISE_TABLE, JOURNAL_TABLE, Exercise, JournalEntry

CHAIN_FORMAT = "hotwash-journal/1"


class JournalError(RuntimeError):
    """An append that would break the journal's invariants (a bug, never user input)."""


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``, byte for byte (hashes depend on it).

    The ``rfc8785`` package is pure Python, and it was the largest single cost of hashing an entry
    (appending, verifying a journal). What journal payloads hold (ASCII keys; strings; whole numbers;
    floats written in plain decimal notation by both Python and ECMAScript) is written by the
    standard library's C encoder instead, once whole floats are made ints (RFC 8785 writes 5.0 as
    5). Anything else (non-ASCII keys, floats below 1e-4 or from 1e16 up, whole numbers beyond
    2^53, other types) goes to ``rfc8785``, which also raises what it raises. A test holds the two
    together on generated values."""
    try:
        plain = _plain(value)
    except _NotPlain:
        return rfc8785.dumps(value)
    try:
        return _CANONICAL.encode(plain).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: rfc8785 says what is wrong with it
        return rfc8785.dumps(value)


_CANONICAL = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"))
_SAFE_INT = 2**53 - 1


class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    """``value`` with whole floats as ints, or ``_NotPlain`` where the C encoder would differ."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_SAFE_INT <= value <= _SAFE_INT:
            return value
        raise _NotPlain
    if kind is float:
        if value.is_integer():
            if abs(value) <= _SAFE_INT:
                return int(value)
            raise _NotPlain
        if 1e-4 <= abs(value) < 1e16:  # where Python's repr and ECMAScript both write plain decimals
            return value
        raise _NotPlain
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():  # RFC 8785 sorts keys by UTF-16 units
                raise _NotPlain
            out[key] = _plain(item)
        return out
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    raise _NotPlain


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


CHAIN_FORMAT_SIGNED = "hotwash-journal/2"
"""Chain format 2: the genesis covers the exercise's metadata (name, scenario, seed, creation
time), and the head is signed at checkpoints (``exercises.record.evidence``)."""


CHAIN_FORMAT_PINNED = "hotwash-journal/3"
"""Chain format 3: format 2, and the genesis also covers a random record nonce, so that no two
records share a genesis: the key pinned for a record and the witness file, both outside the
database, name it by its genesis (``exercises.record.witness``)."""
CURRENT_FORMAT = 3


def genesis_hash(exercise_id: int, scenario_sha256: str, seed: int) -> str:
    """Chain format 1 (exercises recorded before signed checkpoints): scenario and seed only."""
    return sha256(
        canonical({"format": CHAIN_FORMAT, "exercise": exercise_id, "scenario": scenario_sha256, "seed": seed})
    )


def exercise_metadata(exercise: Exercise) -> dict[str, Any]:
    """The exercise's metadata as its chain's genesis covers it (exports carry it as well).

    Format 2 covers name, scenario, seed and creation time: renaming the exercise, or changing
    any of them, breaks the chain from its first entry. Format 1 covered scenario and seed only.
    A branched exercise's metadata also names where it branched from (``branch_of``,
    ``exercises.record.lineage``); no other exercise's metadata has that key."""
    metadata = {
        "chain_format": exercise.chain_format,
        "exercise": exercise.id,
        "name": exercise.name,
        "scenario_id": exercise.scenario_id,
        "scenario": sha256(exercise.scenario_json),
        "seed": exercise.seed,
        "created_at": exercise.created_at,
    }
    if exercise.branch_of_json is not None:
        metadata["branch_of"] = json.loads(exercise.branch_of_json)
    if exercise.chain_format >= 3:
        metadata["record"] = exercise.record_nonce
    return metadata


def genesis_of(metadata: Mapping[str, Any]) -> str:
    """The genesis hash ``exercise_metadata`` gives, in its chain format."""
    if metadata["chain_format"] == 1:
        return genesis_hash(metadata["exercise"], metadata["scenario"], metadata["seed"])
    covered = {k: metadata[k] for k in ("exercise", "name", "scenario_id", "scenario", "seed", "created_at")}
    if metadata.get("branch_of") is not None:  # only a branch's genesis names its parent
        covered["branch_of"] = metadata["branch_of"]
    if metadata["chain_format"] == 2:
        return sha256(canonical({"format": CHAIN_FORMAT_SIGNED, **covered}))
    return sha256(canonical({"format": CHAIN_FORMAT_PINNED, **covered, "record": metadata["record"]}))


def genesis_for(exercise: Exercise) -> str:
    """The genesis hash the exercise's metadata gives, in its chain format."""
    assert exercise.id is not None
    return genesis_of(exercise_metadata(exercise))


def entry_hash(
    *,
    exercise_id: int,
    seq: int,
    at: float,
    wall_time: float,
    kind: str,
    actor: str,
    agency: str | None,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    return sha256(
        canonical(
            {
                "exercise": exercise_id,
                "seq": seq,
                "at": at,
                "wall_time": wall_time,
                "kind": kind,
                "actor": actor,
                "agency": agency,
                "payload": dict(payload),
                "prev_hash": prev_hash,
            }
        )
    )


def row_hash(row: JournalEntry) -> str:
    return _row_hash(row, json.loads(row.payload))


def _row_hash(row: JournalEntry, payload: Mapping[str, Any]) -> str:
    return entry_hash(
        exercise_id=row.exercise_id,
        seq=row.seq,
        at=row.at,
        wall_time=row.wall_time,
        kind=row.kind,
        actor=row.actor,
        agency=row.agency,
        payload=payload,
        prev_hash=row.prev_hash,
    )


def new_exercise(
    session: Session, *, name: str, seed: int, scenario_id: str, scenario_json: str, now: float,
    branch_of: Mapping[str, Any] | None = None,
) -> Exercise:
    """Insert an exercise row (in the caller's transaction) with its genesis hash as the head;
    ``branch_of`` (a branch's link to its parent, ``lineage.BranchPoint.covered``) joins the genesis."""
    digest = sha256(scenario_json)
    exercise = Exercise(
        name=name,
        seed=seed,
        scenario_id=scenario_id,
        scenario_json=scenario_json,
        scenario_sha256=digest,
        created_at=now,
        genesis_hash="",
        head_hash="",
        chain_format=CURRENT_FORMAT,
        record_nonce=secrets.token_hex(16),
        branch_of_json=None if branch_of is None else canonical(dict(branch_of)).decode(),
    )
    session.add(exercise)
    session.flush()  # assigns the id the genesis hash covers
    assert exercise.id is not None
    exercise.genesis_hash = exercise.head_hash = genesis_for(exercise)
    session.add(exercise)
    session.flush()
    return exercise


@dataclass(frozen=True)
class Head:
    """Where an exercise's journal ends: its last seq, last exercise time and last hash."""

    last_seq: int
    last_at: float
    hash: str


def read_head(session: Session, exercise_id: int) -> Head | None:
    """The journal's head as of now; call after taking the lock, so it is current."""
    table = EXERCISE_TABLE
    row = session.connection().execute(
        select(table.c.last_seq, table.c.last_at, table.c.head_hash).where(table.c.id == exercise_id)
    ).one_or_none()
    return None if row is None else Head(row[0], row[1], row[2])


def append(
    session: Session, exercise_id: int, head: Head, new: Sequence[NewEntry], wall_time: float,
    walls: Sequence[float] | None = None,
) -> list[Entry]:
    """Append ``new`` after ``head`` (read under the exercise's lock, in this transaction).
    ``walls``: a wall time per entry instead of ``wall_time`` (a branch's inherited entries keep
    the wall times they had in the parent, ``exercises.record.lineage``)."""
    seq, prev, last_at = head.last_seq, head.hash, head.last_at
    out: list[Entry] = []
    rows: list[dict[str, Any]] = []
    for index, item in enumerate(new):
        if walls is not None:
            wall_time = walls[index]
        if item.at < last_at:
            raise JournalError(
                f"an entry at {item.at:.3f} s would follow one at {last_at:.3f} s: the journal's time "
                "never goes back"
            )
        seq += 1
        payload = item.payload.model_dump(mode="json")
        digest = entry_hash(
            exercise_id=exercise_id,
            seq=seq,
            at=item.at,
            wall_time=wall_time,
            kind=item.kind.value,
            actor=item.actor,
            agency=item.agency,
            payload=payload,
            prev_hash=prev,
        )
        rows.append(
            {
                "exercise_id": exercise_id,
                "seq": seq,
                "at": item.at,
                "wall_time": wall_time,
                "kind": item.kind.value,
                "actor": item.actor,
                "agency": item.agency,
                "payload": canonical(payload).decode(),
                "prev_hash": prev,
                "hash": digest,
            }
        )
        out.append(Entry(seq=seq, at=item.at, agency=item.agency, actor=item.actor, payload=item.payload))
        prev, last_at = digest, item.at
    if not rows:
        return out
    connection = session.connection()
    connection.execute(insert(JOURNAL_TABLE), rows)
    table = EXERCISE_TABLE
    moved = connection.execute(
        update(table)
        .where(table.c.id == exercise_id, table.c.last_seq == head.last_seq)
        .values(last_seq=seq, last_at=last_at, head_hash=prev)
    )
    if moved.rowcount != 1:
        raise JournalError(f"exercise {exercise_id}: the journal's head moved while appending (lock not held?)")
    return out


def read_rows(session: Session, exercise_id: int, after_seq: int = 0) -> Sequence[JournalEntry]:
    query = (
        select(JournalEntry)
        .where(JournalEntry.exercise_id == exercise_id, col(JournalEntry.seq) > after_seq)
        .order_by(col(JournalEntry.seq))
    )
    return session.exec(query).all()


def read_entry_rows(session: Session, exercise_id: int, after_seq: int = 0) -> Sequence[JournalEntry]:
    """The rows after ``after_seq`` with what an entry and its wall time are made of: rows of the
    table itself, not mapped objects (under half the cost on a long journal, and no identity map
    to fill), for readers that turn them into entries (``to_entry``) without walking the chain."""
    table = JOURNAL_TABLE
    query = (
        select_table(table.c.seq, table.c.at, table.c.agency, table.c.actor, table.c.payload, table.c.wall_time)
        .where(table.c.exercise_id == exercise_id, table.c.seq > after_seq)
        .order_by(table.c.seq)
    )
    return cast(Sequence[JournalEntry], session.connection().execute(query).all())


def to_entry(row: JournalEntry) -> Entry:
    return _entry_of(row, json.loads(row.payload))


def _entry_of(row: JournalEntry, payload: Mapping[str, Any]) -> Entry:
    # Short texts held once: a long journal's entries repeat their agencies, actions and words.
    agency = sys.intern(row.agency) if row.agency is not None else None
    return Entry.model_validate({"seq": row.seq, "at": row.at, "agency": agency, "actor": sys.intern(row.actor),
                                 "payload": interned(payload)})


def stream_rows(session: Session, exercise_id: int) -> Iterator[JournalEntry]:
    """The journal's rows, oldest first, fetched a batch at a time and never all held: for one pass
    over a long journal (``verify_rows`` with ``keep``), in the caller's snapshot."""
    query = (
        select_table(JOURNAL_TABLE)
        .where(JOURNAL_TABLE.c.exercise_id == exercise_id)
        .order_by(JOURNAL_TABLE.c.seq)
        .execution_options(yield_per=STREAM_BATCH)
    )
    # Rows of the table itself, not mapped objects (a third of the cost, and no identity map to
    # fill): they carry the same fields under the same names, which is all the walk reads.
    yield from cast(Iterator[JournalEntry], session.connection().execute(query))


STREAM_BATCH = 2_000


def read_entries(session: Session, exercise_id: int, after_seq: int = 0) -> list[Entry]:
    return [to_entry(row) for row in read_rows(session, exercise_id, after_seq)]


# --- verification ------------------------------------------------------------------------


class SignatureStatus(StrEnum):
    SIGNED = "signed"
    """Every entry is covered by a checkpoint signed with a trusted key."""
    PARTLY_SIGNED = "partly_signed"
    """The entries after the last signed checkpoint are not covered yet."""
    UNSIGNED = "unsigned"
    """No checkpoint could be checked (recorded before signatures, or no trusted key)."""
    NOT_CHECKED = "not_checked"
    """Only the hash chain was walked (``journal.verify``)."""


@dataclass(frozen=True)
class Verification:
    """The result of walking one exercise's chain: intact, or the first broken entry; and what
    the signed checkpoints prove (``exercises.record.evidence.verify``)."""

    exercise_id: int
    entries: int
    """Entries walked (up to the first break)."""
    head_hash: str
    """The last good hash: print it, so a reader can compare it with a copy kept elsewhere."""
    broken_seq: int | None = None
    problem: str | None = None
    signature: SignatureStatus = SignatureStatus.NOT_CHECKED
    signed_through: int | None = None
    """The last entry a trusted signed checkpoint covers (0: only the exercise's creation)."""
    signed_at: float | None = None
    """Wall time (Unix seconds) of that checkpoint."""
    checkpoints: int = 0
    """Checkpoints checked against a trusted key."""
    key_fingerprint: str | None = None
    """SHA-256 of the signing key's public key, hex: compare it with the one the organisers published."""
    public_key: str | None = None
    """The signing key's raw Ed25519 public key, hex."""
    proves: tuple[str, ...] = ()
    """What the check establishes, in sentences a reader can repeat."""
    cannot_prove: tuple[str, ...] = ()
    """What it cannot establish (e.g. entries after the last checkpoint are unsigned)."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def unsigned_entries(self) -> int:
        return self.entries - (self.signed_through or 0) if self.signed_through is not None else self.entries

    def __str__(self) -> str:
        if self.ok:
            first = f"exercise {self.exercise_id}: journal intact, {self.entries} entries, head {self.head_hash}"
        else:
            first = f"exercise {self.exercise_id}: journal BROKEN: {self.problem}"
        lines = [first]
        if self.key_fingerprint:
            lines.append(f"  signing key fingerprint: {self.key_fingerprint}")
        lines += [f"  proven: {s}" for s in self.proves]
        lines += [f"  not proven: {s}" for s in self.cannot_prove]
        return "\n".join(lines)


def verify(session: Session, exercise_id: int) -> Verification:
    """Walk the chain from the genesis hash and name the first entry that does not hold."""
    exercise = session.get(Exercise, exercise_id, populate_existing=True)
    if exercise is None:
        raise LookupError(f"no exercise {exercise_id}")
    return verify_rows(exercise, read_rows(session, exercise_id))


Seen = Callable[[JournalEntry, Mapping[str, Any]], None]
"""Told of each row the chain holds, with its payload as read once (``verify_rows``'s ``seen``)."""


def verify_rows(
    exercise: Exercise, rows: Iterable[JournalEntry], *, keep: list[Entry] | None = None, seen: Seen | None = None,
) -> Verification:
    """Walk the chain over ``rows`` (oldest first, read once: an iterator of a streamed query will do).

    ``keep``: every row's entry is appended to it, the rows after a break too (a report of a broken
    record still shows all of it), so one pass both checks and reads the journal. ``seen``: called
    with each row that holds and its payload, for checks that ride on the same pass."""
    walk = _Walk(exercise)
    changed = walk.metadata_changed()
    if changed is not None:
        if keep is not None:
            keep += [to_entry(row) for row in rows]
        return changed
    remaining = iter(rows)
    for row in remaining:
        step = walk.step(row)
        if isinstance(step, Verification):
            if keep is not None:
                keep += [to_entry(r) for r in chain([row], remaining)]
            return step
        entry, payload = step
        if keep is not None:
            keep.append(entry)
        if seen is not None:
            seen(row, payload)
    return walk.end()


class _Walk:
    """The chain as walked so far: the next entry expected, the last good hash and time."""

    def __init__(self, exercise: Exercise) -> None:
        assert exercise.id is not None
        self.exercise = exercise
        self.ex_id = exercise.id
        self.genesis = genesis_for(exercise)
        self.expected, self.prev, self.last_at = 1, self.genesis, 0.0

    def broken(self, seq: int | None, problem: str, walked: int | None = None) -> Verification:
        return Verification(self.ex_id, self.expected - 1 if walked is None else walked, self.prev, seq, problem)

    def metadata_changed(self) -> Verification | None:
        exercise = self.exercise
        if sha256(exercise.scenario_json) != exercise.scenario_sha256 or self.genesis != exercise.genesis_hash:
            covered = "scenario snapshot or seed" if exercise.chain_format == 1 else (
                "name, scenario snapshot, seed or creation time"
            )
            return self.broken(None, f"the exercise's {covered} was changed after it was created", 0)
        return None

    def step(self, row: JournalEntry) -> tuple[Entry, Mapping[str, Any]] | Verification:
        """The row's entry and payload when it holds; else what is broken."""
        expected = self.expected
        if row.seq > expected:
            return self.broken(expected, f"entry {expected} is missing (the journal goes from {expected - 1} to {row.seq})")
        try:
            payload = json.loads(row.payload)
            digest = _row_hash(row, payload)
        except (ValueError, TypeError):
            return self.broken(row.seq, f"entry {row.seq} was changed: its payload is not JSON")
        if digest != row.hash:
            return self.broken(row.seq, f"entry {row.seq} was changed or moved: its content does not match its hash")
        if row.prev_hash != self.prev:
            return self.broken(
                row.seq,
                f"entry {row.seq} does not follow entry {row.seq - 1}: entries were reordered, inserted or removed",
            )
        try:
            entry = _entry_of(row, payload)
        except ValidationError:
            return self.broken(row.seq, f"entry {row.seq} is not a valid journal entry")
        if entry.kind.value != row.kind:
            return self.broken(row.seq, f"entry {row.seq}: its kind does not match its payload")
        if row.at < self.last_at:
            return self.broken(row.seq, f"entry {row.seq} goes back in time")
        self.expected, self.prev, self.last_at = expected + 1, row.hash, row.at
        return entry, payload

    def end(self) -> Verification:
        """The walk's verdict once every row went by: the count and the head against the exercise's."""
        count, last_seq = self.expected - 1, self.exercise.last_seq
        if count < last_seq:
            return self.broken(
                count + 1,
                f"entry {count + 1} is missing: the exercise recorded {last_seq} entries, the journal ends at {count}",
            )
        if count > last_seq:
            return self.broken(
                last_seq + 1,
                f"entry {last_seq + 1} was added outside Hotwash: the exercise recorded {last_seq} entries",
                last_seq,
            )
        if self.prev != self.exercise.head_hash:
            return self.broken(count, f"entry {count}: the exercise's recorded head hash does not match")
        return Verification(self.ex_id, count, self.prev)
