"""Exporting a journal (JSON Lines, CSV) and importing an action log kept elsewhere (CSV).

Export: every CSV cell goes through ``safe_cell`` (the one place that decides what a spreadsheet
could run as a formula; the spreadsheet exports use it too): formula starts get a ``'`` (OWASP's
advice; pandas and defusedcsv miss cases), also after leading whitespace and after the ``;`` or
``,`` a spreadsheet's locale may split on, and NUL characters are removed. Each JSON line
is exactly the object the entry's hash covers plus the hash, so anyone can re-check the chain.

Import: the columns are documented in docs/service.md (``time, agency, action`` required;
``text, inject, logged_by`` optional). Every problem names its line; the whole file is checked
before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exercises.access import NAME_MAX, ExerciseInputError
from exercises.documents.cells import safe_cell
from exercises.record.entries import (
    MAX_TEXT,
    ActionLogged,
    ClockEnded,
    ClockStarted,
    Entry,
    InjectDelivered,
    InjectSkipped,
    LinkDown,
    LinkUp,
    NewEntry,
    storable,
)
from exercises.record.journal import genesis_of, to_entry
from exercises.scenario.durations import DurationSyntaxError, format_duration, parse_duration
from exercises.scenario.model import Scenario
from exercises.storage.tables import JournalEntry, wall_datetime
from exercises.views import describe, known_injects

# --- export ------------------------------------------------------------------------------


def hashed_object(row: JournalEntry) -> dict[str, object]:
    """The object an entry's hash covers (see exercises.record.journal.entry_hash)."""
    return {
        "exercise": row.exercise_id,
        "seq": row.seq,
        "at": row.at,
        "wall_time": row.wall_time,
        "kind": row.kind,
        "actor": row.actor,
        "agency": row.agency,
        "payload": json.loads(row.payload),
        "prev_hash": row.prev_hash,
    }


EXPORT_FORMAT = "hotwash-journal-export/2"


def export_jsonl(
    rows: Sequence[JournalEntry],
    *,
    metadata: Mapping[str, Any] | None = None,
    checkpoints: Sequence[Mapping[str, Any]] = (),
    seal: Mapping[str, Any] | None = None,
) -> str:
    """One JSON object per line. With ``metadata``: a first line naming the exercise and its
    genesis, each signed checkpoint (``{"checkpoint": ...}``) after the entry it covers, and a last
    line sealing the head (``{"seal": ...}``, signed at export), so a file cut at either end, or
    with a line missing, no longer checks (``aar.journal_file``)."""
    lines: list[dict[str, Any]] = []
    if metadata is not None:
        lines.append({"export": EXPORT_FORMAT, "metadata": dict(metadata), "genesis": genesis_of(metadata)})
    by_seq: dict[int, list[Mapping[str, Any]]] = {}
    for cp in checkpoints:
        by_seq.setdefault(cp["seq"], []).append(cp)
    lines += [{"checkpoint": dict(cp)} for cp in by_seq.get(0, [])]
    for row in rows:
        lines.append({**hashed_object(row), "hash": row.hash})
        lines += [{"checkpoint": dict(cp)} for cp in by_seq.get(row.seq, [])]
    if seal is not None:
        lines.append({"seal": dict(seal)})
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


EXPORT_COLUMNS = (
    "seq", "time", "at_seconds", "wall_time", "kind", "agency", "actor", "summary", "text", "payload",
    "prev_hash", "hash",
)


def typed_text(entry: Entry) -> str:
    """The free text a user typed into the entry, if any (the column spreadsheets filter on)."""
    p = entry.payload
    for name in ("text", "reason"):
        value = getattr(p, name, None)
        if isinstance(value, str):
            return value
    return ""


def export_csv(rows: Sequence[JournalEntry], scenario: Scenario) -> str:
    entries = [to_entry(row) for row in rows]
    injects = known_injects(scenario, entries)
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180 line ends; a CR or LF inside a cell gets it quoted
    writer.writerow(EXPORT_COLUMNS)
    for row, entry in zip(rows, entries, strict=True):
        cells = [
            str(row.seq),
            format_duration(row.at),
            repr(row.at),
            wall_datetime(row.wall_time).isoformat(),
            row.kind,
            row.agency or "",
            row.actor,
            describe(entry, scenario, injects),
            typed_text(entry),
            row.payload,
            row.prev_hash,
            row.hash,
        ]
        writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()


# --- import ------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("time", "agency", "action")
OPTIONAL_COLUMNS = ("text", "inject", "logged_by")
MAX_IMPORT_BYTES = 5_000_000
MAX_IMPORT_ROWS = 50_000
IMPORT_ACTOR = "import"


@dataclass(frozen=True)
class ImportedAction:
    line: int
    at: float
    agency: str
    action: str
    text: str
    inject_id: str | None
    logged_by: str | None


def _hint(value: str, options: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_action_log(data: bytes | str, scenario: Scenario, *, source: str = "action log") -> list[ImportedAction]:
    """Every row of an action-log CSV, checked against the scenario; all problems at once."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_IMPORT_BYTES:
        raise ExerciseInputError(f"{source}: {len(raw):,} bytes; the limit is {MAX_IMPORT_BYTES:,}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExerciseInputError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ExerciseInputError(f"{source}: the file is empty; the first line must name the columns")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[str] = []
    actions: list[ImportedAction] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
        known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
        for name in header:
            if name not in known:
                problems.append(f"line 1: unknown column {name!r}{_hint(name, known)}; columns are {', '.join(known)}")
        for name in {h for h in header if header.count(h) > 1}:
            problems.append(f"line 1: column {name!r} appears twice")
        for name in REQUIRED_COLUMNS:
            if name not in header:
                problems.append(f"line 1: the required column {name!r} is missing")
        if problems:
            raise ExerciseInputError("\n".join(f"{source}: {p}" for p in problems))
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(actions) >= MAX_IMPORT_ROWS:
                problems.append(f"line {line}: more than {MAX_IMPORT_ROWS:,} rows")
                break
            if len(cells) != len(header):
                problems.append(f"line {line}: {len(cells)} cells, but the header names {len(header)} columns")
                continue
            parsed = _parse_row(dict(zip(header, cells, strict=True)), line, scenario, problems)
            if parsed is not None:
                actions.append(parsed)
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not valid CSV: {exc}")
    if problems:
        raise ExerciseInputError("\n".join(f"{source}: {p}" for p in problems))
    if not actions:
        raise ExerciseInputError(f"{source}: no actions after the header line")
    return actions


def _parse_row(row: dict[str, str], line: int, scenario: Scenario, problems: list[str]) -> ImportedAction | None:
    before = len(problems)
    at = 0.0
    raw_time = row["time"].strip()
    try:
        at = parse_duration(raw_time)
    except DurationSyntaxError as exc:
        problems.append(f"line {line}: time: {exc}")
    agencies = [a.id for a in scenario.agencies]
    agency = row["agency"].strip()
    if agency not in agencies:
        problems.append(f"line {line}: agency {agency!r} is not in the scenario{_hint(agency, agencies)}")
    vocab = list(scenario.vocabulary)
    action = row["action"].strip()
    if action not in vocab:
        problems.append(f"line {line}: action {action!r} is not in the scenario's vocabulary{_hint(action, vocab)}")
    text = row.get("text", "")
    if len(text) > MAX_TEXT:
        problems.append(f"line {line}: text is {len(text):,} characters; the limit is {MAX_TEXT:,}")
    try:
        storable(text)
    except ValueError as exc:
        problems.append(f"line {line}: text {exc}")
    inject = row.get("inject", "").strip() or None
    injects = [i.id for i in scenario.msel]
    if inject is not None and inject not in injects:
        problems.append(f"line {line}: inject {inject!r} is not on the MSEL{_hint(inject, injects)}")
    logged_by = row.get("logged_by", "").strip() or None
    if logged_by is not None and not (len(logged_by) <= NAME_MAX and logged_by.isprintable()):
        problems.append(f"line {line}: logged_by must be up to {NAME_MAX} printable characters")
    if len(problems) > before:
        return None
    return ImportedAction(line, at, agency, action, text, inject, logged_by)


def imported_journal(scenario: Scenario, actions: Sequence[ImportedAction]) -> list[NewEntry]:
    """A finished exercise from an action log: the clock started at 0, every MSEL inject delivered
    at its time (a contingency inject only if its condition held by then, else skipped, judged on
    the imported actions), the actions, and the end at the scenario's duration or the last action,
    whichever is later. Nothing was simulated: every entry's actor is the import."""
    ordered = sorted(actions, key=lambda a: (a.at, a.line))
    out: list[NewEntry] = [NewEntry(at=0.0, actor=IMPORT_ACTOR, payload=ClockStarted())]
    pending = list(ordered)

    def flush(until: float, inclusive: bool) -> None:
        while pending and (pending[0].at < until or (inclusive and pending[0].at <= until)):
            a = pending.pop(0)
            actor = f"{IMPORT_ACTOR} ({a.logged_by})" if a.logged_by else IMPORT_ACTOR
            out.append(
                NewEntry(
                    at=a.at,
                    agency=a.agency,
                    actor=actor,
                    payload=ActionLogged(action=a.action, text=a.text, inject_id=a.inject_id),
                )
            )

    for inject in sorted(scenario.msel, key=lambda i: (i.time, i.id)):
        flush(inject.time, inclusive=False)
        if inject.condition is not None:
            cond = inject.condition
            happened = any(
                a.action == cond.action and a.at <= inject.time and (cond.by_agency in (None, a.agency))
                for a in ordered
            )
            if happened != cond.happened:
                state = "happened" if happened else "not happened"
                out.append(
                    NewEntry(
                        at=inject.time,
                        actor=IMPORT_ACTOR,
                        payload=InjectSkipped(inject_id=inject.id, reason=f"{cond.action} had {state} by then"),
                    )
                )
                continue
        out.append(
            NewEntry(at=inject.time, actor=IMPORT_ACTOR, payload=InjectDelivered(inject_id=inject.id, to=inject.to))
        )
        if inject.effect and inject.effect.link_down:
            out.append(NewEntry(at=inject.time, actor=IMPORT_ACTOR, payload=LinkDown(between=inject.effect.link_down)))
        if inject.effect and inject.effect.link_up:
            out.append(NewEntry(at=inject.time, actor=IMPORT_ACTOR, payload=LinkUp(between=inject.effect.link_up)))
    flush(float("inf"), inclusive=True)
    end = max(scenario.duration, out[-1].at)
    out.append(NewEntry(at=end, actor=IMPORT_ACTOR, payload=ClockEnded()))
    return out
