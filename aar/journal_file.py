"""A journal kept as a JSON Lines file (``hotwash export --format jsonl``, or one Entry per line),
read for a report made without the database, with what its hashes and signatures say.

An export (``exercises.documents.csv_io.export_jsonl``) opens with the exercise's metadata and genesis,
carries the signed checkpoints after the entries they cover, and ends with a seal: the head,
signed at export. So a file cut at its start (entry 1 must follow the genesis), at its end (the
seal must be the last line and cover the last entry) or with a line missing (the sequence numbers
are gapless, each entry names the one before) fails the check, and names where. A file of plain
entries without that frame cannot show a cut at its end, and is reported as not verified.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from aar.integrity import file_integrity
from aar.model import RecordIntegrity
from exercises.record.entries import Entry
from exercises.record.evidence import PublicKey, Trust, digest_of, fingerprint, witness_problem
from exercises.record.journal import canonical, entry_hash, genesis_of

ENTRY_FIELDS = ("seq", "at", "agency", "actor", "payload")
STATEMENT_FIELDS = ("format", "exercise", "genesis", "seq", "head", "signed_at", "reason", "prev")


MAX_LINE_CHARS = 200_000
"""Longest line read: an entry's texts are at most a few times 4,000 characters."""
MAX_LINES = 500_000
"""Most lines read, so memory stays bounded whatever file is handed in."""
LATEST_WALL_TIME = 253_402_300_799
"""The last second of the year 9999: a later wall time is no date."""
LATEST_AT = 366 * 86_400.0
"""Latest exercise time (seconds from the start) of an entry in a file: a year, far beyond any
exercise or incident log, and short of the times that make no sense on a timeline."""


class JournalFileError(ValueError):
    """A line that is not a journal entry; the message names the line."""


@dataclass(frozen=True)
class JournalFile:
    entries: list[Entry]
    integrity: RecordIntegrity
    dates: tuple[date, date] | None
    """First and last day of play, from the entries' wall times when the file has them."""
    note: str


@dataclass
class _Parsed:
    header: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    seal: dict[str, Any] | None = None
    after_seal: int | None = None
    """The line number of anything after the seal (a file with lines appended)."""


class _Broken(Exception):
    def __init__(self, seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.seq = seq
        self.problem = problem


def _entry_line(row: dict[str, Any], number: int) -> Entry:
    try:
        return Entry.model_validate({k: row.get(k) for k in ENTRY_FIELDS if k in row})
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise JournalFileError(f"line {number}: not a journal entry: {where}: {problem['msg']}") from None


def _not_a_number(word: str) -> None:
    raise ValueError(f"{word} is not a number a journal holds")


def _json_line(line: str, number: int) -> dict[str, Any]:
    """One line as a JSON object, refused in words when it is too long, too deep, not JSON, or
    holds what no journal holds (Infinity, NaN, an integer of thousands of digits)."""
    if len(line) > MAX_LINE_CHARS:
        raise JournalFileError(f"line {number}: {len(line):,} characters; a journal line has at most {MAX_LINE_CHARS:,}")
    try:
        row = json.loads(line, parse_constant=_not_a_number)
    except json.JSONDecodeError as exc:
        raise JournalFileError(f"line {number}: not JSON ({exc.msg})") from None
    except RecursionError:
        raise JournalFileError(f"line {number}: nested too deeply to be a journal entry") from None
    except ValueError as exc:  # Python's limit on integer digits, and the constants refused above
        raise JournalFileError(f"line {number}: not a journal line ({exc})") from None
    if not isinstance(row, dict):
        raise JournalFileError(f"line {number}: expected a JSON object")
    return row


def _parse(lines: Iterable[str]) -> tuple[_Parsed, list[Entry]]:
    parsed = _Parsed()
    entries: list[Entry] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if number > MAX_LINES:
            raise JournalFileError(f"more than {MAX_LINES:,} lines: no exercise journal is that long")
        row = _json_line(line, number)
        if parsed.seal is not None and parsed.after_seal is None:
            parsed.after_seal = number
        if "export" in row:
            if parsed.header is not None or parsed.rows or parsed.checkpoints:
                raise JournalFileError(f"line {number}: the export's header belongs on the first line")
            parsed.header = row
        elif "checkpoint" in row:
            parsed.checkpoints.append(row["checkpoint"])
        elif "seal" in row:
            parsed.seal = row["seal"]
        else:
            entry = _entry_line(row, number)
            if entry.at > LATEST_AT:
                raise JournalFileError(f"line {number}: at {entry.at:g} s is more than a year after the start")
            entries.append(entry)
            parsed.rows.append(row)
    return parsed, entries


def _row_hash(row: dict[str, Any]) -> str:
    return entry_hash(
        exercise_id=row["exercise"], seq=row["seq"], at=row["at"], wall_time=row["wall_time"], kind=row["kind"],
        actor=row["actor"], agency=row["agency"], payload=row["payload"], prev_hash=row["prev_hash"],
    )


def _check_chain(rows: list[dict[str, Any]], genesis: str | None) -> None:
    """Gapless from entry 1, each hash matching its content and naming the entry before."""
    prev = genesis
    for expected, row in enumerate(rows, start=1):
        seq = row.get("seq")
        if seq != expected:
            if expected == 1:
                raise _Broken(1, f"the file starts at entry {seq}: its first lines were cut off")
            raise _Broken(expected, f"entry {expected} is missing: the file goes from entry {expected - 1} to {seq}")
        try:
            digest = _row_hash(row)
        except (KeyError, TypeError, ValueError):
            raise _Broken(seq, f"entry {seq} lacks the fields its hash covers") from None
        if digest != row["hash"]:
            raise _Broken(seq, f"entry {seq} was changed: its content does not match its hash")
        if prev is not None and row["prev_hash"] != prev:
            what = "the exercise's genesis" if expected == 1 else f"entry {expected - 1}"
            raise _Broken(seq, f"entry {seq} does not follow {what}: lines were removed, inserted or reordered")
        prev = row["hash"]


def _check_signed(signed: Mapping[str, Any], prev: str, genesis: str, hashes: Mapping[int, str], what: str) -> str:
    """One checkpoint or the seal: its signature, its place among the others, the head it covers."""
    try:
        body = canonical({k: signed[k] for k in STATEMENT_FIELDS})
        key = PublicKey(bytes.fromhex(signed["public_key"]))
        valid = key.key_id == signed["key_id"] and key.verifies(signed["signature"], body)
        seq, head = int(signed["seq"]), signed["head"]
        if not 0 <= float(signed["signed_at"]) <= LATEST_WALL_TIME:
            raise ValueError("no date")
    except (KeyError, TypeError, ValueError):
        raise _Broken(None, f"the {what} is incomplete") from None
    if not valid:
        raise _Broken(seq, f"the {what} at entry {seq} does not carry a valid signature: forged or altered")
    if signed["prev"] != prev:
        raise _Broken(seq, f"the {what} at entry {seq} does not follow the checkpoint before it: one was removed")
    if signed["genesis"] != genesis:
        raise _Broken(None, f"the {what} was signed for another exercise, or for other metadata")
    if seq > len(hashes):
        raise _Broken(len(hashes) + 1, (
            f"the {what} covers {seq} entries but the file holds {len(hashes)}: its last lines were cut off"
        ))
    if (genesis if seq == 0 else hashes[seq]) != head:
        raise _Broken(seq, f"the entries up to {seq} are not those the {what} signed")
    return digest_of(signed)


def _check(parsed: _Parsed) -> tuple[str, str]:
    """Raise ``_Broken`` for the first thing that does not hold; else (key id, statement of what holds)."""
    rows = parsed.rows
    if not rows or any("hash" not in r or "prev_hash" not in r for r in rows):
        raise _Broken(None, "the journal file carries no hashes: the record could not be verified")
    header = parsed.header
    if header is None:
        _check_chain(rows, None)
        raise _Broken(None, (
            "the file has no export header and no seal: whether lines were cut from its start or end "
            "cannot be checked (make the file with: hotwash export EXERCISE --format jsonl)"
        ))
    try:
        genesis = genesis_of(header["metadata"])
    except (KeyError, TypeError):
        raise _Broken(None, "the export header lacks the exercise's metadata") from None
    if genesis != header.get("genesis"):
        raise _Broken(None, "the exercise's metadata in the header does not give its genesis: it was changed")
    _check_chain(rows, genesis)
    hashes = {r["seq"]: r["hash"] for r in rows}
    prev = ""
    for cp in parsed.checkpoints:
        prev = _check_signed(cp, prev, genesis, hashes, "checkpoint")
    if parsed.seal is None:
        raise _Broken(len(rows) + 1, "the file does not end with its seal (the head signed at export): its last lines were cut off")
    if parsed.after_seal is not None:
        raise _Broken(None, f"line {parsed.after_seal}: lines were added after the seal")
    _check_signed(parsed.seal, prev, genesis, hashes, "seal")
    if parsed.seal["seq"] != len(rows):
        raise _Broken(len(rows), f"the seal covers {parsed.seal['seq']} entries; the file holds {len(rows)}")
    return parsed.seal["key_id"], (
        f"all {len(rows)} entries are exactly as sealed at export, from the exercise's genesis to its head"
    )


def _pinned(parsed: _Parsed, trust: Trust | None, scenario_sha256: str | None) -> str:
    """Raise ``_Broken`` unless every signature in the (consistent) file is by a key pinned for its
    record, every witness's head of it holds, and the scenario is the one its genesis names;
    returns what the witnesses prove."""
    assert parsed.header is not None and parsed.seal is not None
    metadata, genesis = parsed.header["metadata"], parsed.header["genesis"]
    if scenario_sha256 is not None and metadata.get("scenario") != scenario_sha256:
        raise _Broken(None, (
            f"the scenario file given is not the one this exercise ran: its SHA-256 is {scenario_sha256[:16]}, "
            f"the record's genesis names {str(metadata.get('scenario'))[:16]}; findings scored against it "
            "would be wrong"
        ))
    record = trust.for_record(genesis) if trust is not None else None
    signers = {str(s["key_id"]) for s in [*parsed.checkpoints, parsed.seal]}
    if record is None or not record.keys:
        raise _Broken(None, (
            f"the file is signed with key {', '.join(fingerprint(k) for k in sorted(signers))}, which is not "
            "pinned for this record on this machine: compare that fingerprint with the one on the exercise's "
            "paperwork and in its AAR, then give its public key (--public-key FILE) or its witness (--witness FILE)"
        ))
    foreign = sorted(signers - set(record.keys))
    if foreign:
        pinned = ", ".join(fingerprint(k) for k in sorted(record.keys))
        raise _Broken(None, (
            f"the file is signed with key {', '.join(fingerprint(k) for k in foreign)}, but the key pinned for "
            f"this exercise is {pinned}: the export was re-signed by someone else"
        ))
    hashes = {r["seq"]: r["hash"] for r in parsed.rows}
    newest = ""
    for held in record.heads:
        problem, seq = witness_problem(held, record.keys, genesis, hashes, len(parsed.rows))
        if problem is not None:
            raise _Broken(seq, problem)
        newest = f"; the head a witness holds ({held.source}) is in it"
    return newest


def read_journal_lines(
    lines: Iterable[str], trust: Trust | None = None, scenario_sha256: str | None = None
) -> JournalFile:
    """The entries of a journal file and what its hashes and signatures say. ``trust``: the keys
    pinned per record and the witnesses (without it, nothing in the file is trusted);
    ``scenario_sha256``: the scenario the report scores against, held to the one in the genesis."""
    parsed, entries = _parse(lines)
    rows = parsed.rows
    walls = [w for r in rows if isinstance(w := r.get("wall_time"), int | float) and 0 <= w <= LATEST_WALL_TIME]
    dates = None
    if walls:
        dates = (datetime.fromtimestamp(min(walls), UTC).date(), datetime.fromtimestamp(max(walls), UTC).date())
    head = rows[-1].get("hash") if rows else None
    try:
        key_id, holds = _check(parsed)
        holds += _pinned(parsed, trust, scenario_sha256)
    except _Broken as broken:
        integrity = file_integrity(
            entries=len(entries), head_hash=head if isinstance(head, str) else None, broken_seq=broken.seq,
            problem=broken.problem,
        )
        return JournalFile(entries, integrity, dates, f"The journal file does not check: {broken.problem}.")
    seal = parsed.seal or {}
    integrity = file_integrity(
        entries=len(entries), head_hash=head, signed_at=datetime.fromtimestamp(seal["signed_at"], UTC),
        key_fingerprint=key_id, public_key=seal.get("public_key"), proven=(holds,),
    )
    return JournalFile(entries, integrity, dates, f"Journal file checked: {holds}.")
