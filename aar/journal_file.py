"""A journal kept as a JSON Lines file (``hotwash export --format jsonl``, or one Entry per line),
read for a report made without the database, with what its hashes say about its integrity.

A file cannot show that the chain starts at the exercise's genesis (that needs the database), so
the check here is that each line's hash matches its content and names the line before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from aar.model import RecordIntegrity
from exercises.entries import Entry
from exercises.journal import entry_hash

ENTRY_FIELDS = ("seq", "at", "agency", "actor", "payload")


class JournalFileError(ValueError):
    """A line that is not a journal entry; the message names the line."""


@dataclass(frozen=True)
class JournalFile:
    entries: list[Entry]
    integrity: RecordIntegrity
    dates: tuple[date, date] | None
    """First and last day of play, from the entries' wall times when the file has them."""
    note: str


def _verify(rows: list[dict[str, Any]]) -> tuple[bool, str | None, int | None, str]:
    """(intact, head hash, first broken seq, note) from the hashes the lines carry."""
    if not rows or any("hash" not in r or "prev_hash" not in r for r in rows):
        return False, None, None, "The journal file carries no hashes: the record could not be verified."
    prev: str | None = None
    for row in rows:
        try:
            digest = entry_hash(
                exercise_id=row["exercise"],
                seq=row["seq"],
                at=row["at"],
                wall_time=row["wall_time"],
                kind=row["kind"],
                actor=row["actor"],
                agency=row["agency"],
                payload=row["payload"],
                prev_hash=row["prev_hash"],
            )
        except (KeyError, TypeError, ValueError):
            return False, prev, row.get("seq"), f"Entry {row.get('seq')} lacks the fields its hash covers."
        if digest != row["hash"] or (prev is not None and row["prev_hash"] != prev):
            return False, prev, row["seq"], f"Entry {row['seq']} does not match its hash or its predecessor."
        prev = row["hash"]
    return (
        True,
        prev,
        None,
        "Chain checked within the file (each entry's hash and link to the one before); the link to the "
        "exercise's genesis needs the database (hotwash verify).",
    )


def read_journal_lines(lines: Iterable[str]) -> JournalFile:
    rows: list[dict[str, Any]] = []
    entries: list[Entry] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise JournalFileError(f"line {number}: expected a JSON object")
            entries.append(Entry.model_validate({k: row.get(k) for k in ENTRY_FIELDS if k in row}))
        except json.JSONDecodeError as exc:
            raise JournalFileError(f"line {number}: not JSON ({exc.msg})") from None
        except ValidationError as exc:
            problem = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise JournalFileError(f"line {number}: not a journal entry: {where}: {problem['msg']}") from None
        rows.append(row)
    intact, head, broken, note = _verify(rows)
    walls = [r["wall_time"] for r in rows if isinstance(r.get("wall_time"), int | float)]
    dates = None
    if walls:
        dates = (datetime.fromtimestamp(min(walls), UTC).date(), datetime.fromtimestamp(max(walls), UTC).date())
    return JournalFile(
        entries=entries,
        integrity=RecordIntegrity(entries=len(entries), intact=intact, head_hash=head, first_broken_seq=broken),
        dates=dates,
        note=note,
    )
