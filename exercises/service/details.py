"""An exercise's details beyond its scenario: when exercise time 0:00 was on the wall clock (with
its IANA time zone), whether the record is an exercise or a real incident, the points of contact
the AAR/IP names (exercise director, evaluation lead, sponsor), and the simulated baseline kept
with it.

They are journal entries (``DetailsSet``, ``BaselineStored``), so the hash chain and the signed
checkpoints cover them like everything else the report prints: set when the exercise is created
or imported, changed by the controller with a new entry (the latest holds). Exercises recorded
before that keep them in columns of the exercise row, read only when the journal has none, and
read leniently (a stored contact with an unexpected key is ignored, never fatal).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from exercises.access import Caller, ExerciseInputError, Permission, require
from exercises.record.entries import (
    CONTACT_ROLES,
    BaselineStored,
    DetailsSet,
    Entry,
    NewEntry,
    PointOfContact,
)
from exercises.record.journal import sha256
from exercises.service.store import ExerciseStore, _Context, after_end
from exercises.storage.tables import Exercise

RecordKind = Literal["exercise", "real_incident"]
RECORD_KINDS: tuple[RecordKind, ...] = ("exercise", "real_incident")
__all__ = ["CONTACT_ROLES", "RECORD_KINDS", "ContactPerson", "Details", "ExerciseDetails", "RecordKind"]
MAX_FIELD = 200
MAX_BASELINE_BYTES = 5_000_000


@dataclass(frozen=True)
class ContactPerson:
    role: str
    """One of ``CONTACT_ROLES``."""
    name: str
    organization: str = ""
    contact: str = ""


@dataclass(frozen=True)
class ExerciseDetails:
    record_kind: RecordKind = "exercise"
    real_start: datetime | None = None
    """Timezone-aware, in ``timezone``."""
    timezone: str | None = None
    contacts: tuple[ContactPerson, ...] = ()


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` ('America/Chicago'), or a clear error."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ExerciseInputError(
            f"{name!r} is not an IANA time zone (write e.g. 'America/New_York' or 'Europe/Berlin')"
        ) from None


def local_start(day: date, clock: time, timezone: str) -> datetime:
    """The moment exercise time 0:00 was on the wall, from a date, a clock time and a zone."""
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone(timezone))


def parse_start(text: str, timezone: str | None) -> datetime:
    """'2025-06-12 09:30' (or with 'T', seconds optional) in ``timezone``: a clear error otherwise."""
    if not timezone:
        raise ExerciseInputError("a start time needs its time zone (an IANA name, e.g. 'America/Chicago')")
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExerciseInputError(f"{text!r} is not a start time: write YYYY-MM-DD HH:MM") from None
    return naive.replace(tzinfo=zone(timezone)) if naive.tzinfo is None else naive.astimezone(zone(timezone))


def _checked(real_start: datetime | None, timezone: str | None, kind: str,
             contacts: tuple[ContactPerson, ...]) -> None:
    if kind not in RECORD_KINDS:
        raise ExerciseInputError(f"record kind must be one of {', '.join(RECORD_KINDS)}")
    if real_start is not None and (real_start.tzinfo is None or not timezone):
        raise ExerciseInputError("a real start time needs its time zone")
    if timezone:
        zone(timezone)
    for c in contacts:
        if c.role not in CONTACT_ROLES:
            raise ExerciseInputError(f"a point of contact's role must be one of {', '.join(CONTACT_ROLES)}")
        for value in (c.name, c.organization, c.contact):
            if len(value) > MAX_FIELD or "\x00" in value:
                raise ExerciseInputError(f"points of contact: at most {MAX_FIELD} characters, no NUL")
        if not c.name.strip():
            raise ExerciseInputError(f"the {c.role.lower()} needs a name")


def checked(details: ExerciseDetails) -> ExerciseDetails:
    """``details`` validated (a clear error otherwise), the time zone's name stripped."""
    _checked(details.real_start, details.timezone, details.record_kind, details.contacts)
    zone_name = details.timezone.strip() if details.timezone else None
    return ExerciseDetails(details.record_kind, details.real_start, zone_name, details.contacts)


def details_payload(details: ExerciseDetails) -> DetailsSet:
    """The journal entry's payload for ``details`` (validated first)."""
    d = checked(details)
    try:
        return DetailsSet(
            record_kind=d.record_kind,
            real_start=d.real_start.astimezone(UTC).timestamp() if d.real_start else None,
            timezone=d.timezone,
            contacts=tuple(PointOfContact(role=c.role, name=c.name, organization=c.organization, contact=c.contact)
                           for c in d.contacts),
        )
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise ExerciseInputError(f"exercise details: {where}: {problem['msg']}") from None


def details_entry(details: ExerciseDetails, at: float, actor: str) -> NewEntry | None:
    """The entry recording ``details`` when an exercise is created, or None when they say nothing."""
    if checked(details) == ExerciseDetails():
        return None
    return NewEntry(at=at, actor=actor, payload=details_payload(details))


def details_of(entries: Sequence[Entry]) -> ExerciseDetails | None:
    """The details the journal holds (its latest ``DetailsSet``), or None when it holds none."""
    latest = next((e.payload for e in reversed(entries) if isinstance(e.payload, DetailsSet)), None)
    if latest is None:
        return None
    tz = _zone_or_none(latest.timezone)
    start = datetime.fromtimestamp(latest.real_start, tz) if latest.real_start is not None and tz else None
    contacts = tuple(ContactPerson(c.role, c.name, c.organization, c.contact) for c in latest.contacts)
    return ExerciseDetails(latest.record_kind, start, latest.timezone if tz else None, contacts)


def baseline_sha256(entries: Sequence[Entry]) -> str | None:
    """The SHA-256 of the simulated baseline the journal last recorded, if any."""
    return next((e.payload.sha256 for e in reversed(entries) if isinstance(e.payload, BaselineStored)), None)


def _zone_or_none(name: str | None) -> ZoneInfo | None:
    try:
        return zone(name) if name else None
    except ExerciseInputError:  # a zone this machine's tz database does not know: times in UTC
        return None


def read_details(row: Exercise) -> ExerciseDetails:
    """The details of an exercise recorded before they were journal entries (its row's columns),
    read leniently: what cannot be read is left out, never fatal."""
    tz = _zone_or_none(row.timezone)
    start = datetime.fromtimestamp(row.real_start, tz) if row.real_start is not None and tz else None
    kind: RecordKind = "real_incident" if row.record_kind == "real_incident" else "exercise"
    return ExerciseDetails(record_kind=kind, real_start=start, timezone=row.timezone if tz else None,
                           contacts=_legacy_contacts(row.contacts_json))


def _legacy_contacts(text: str | None) -> tuple[ContactPerson, ...]:
    try:
        stored = json.loads(text) if text else []
    except ValueError:
        return ()
    out = []
    for item in stored if isinstance(stored, list) else []:
        try:
            c = PointOfContact.model_validate(item)  # unknown keys ignored, a bad contact left out
        except ValidationError:
            continue
        out.append(ContactPerson(c.role, c.name, c.organization, c.contact))
    return tuple(out)


class Details(ExerciseStore):
    """Reading and recording an exercise's details."""

    def exercise_details(self, caller: Caller, entries: Sequence[Entry] | None = None) -> ExerciseDetails:
        """``entries``: the journal as already read (a report's record), so it is not read again."""
        require(caller, Permission.READ_ALL)
        return self._details_for(caller.exercise_id, entries)

    def _details_for(self, exercise_id: int, entries: Sequence[Entry] | None = None) -> ExerciseDetails:
        """The details the journal holds; for an exercise recorded before they were entries, its
        row's columns."""
        self._load(exercise_id)
        found = details_of(self._snapshot(exercise_id)[0] if entries is None else entries)
        if found is not None:
            return found
        with self.db.reading() as session:
            row = session.get(Exercise, exercise_id)
        if row is None:
            raise ExerciseInputError(f"no exercise {exercise_id}")
        return read_details(row)

    def set_exercise_details(self, caller: Caller, details: ExerciseDetails) -> ExerciseDetails:
        """The controller records the real start, its time zone, the record kind and the contacts:
        a new journal entry, which replaces what the exercise's details said before."""
        require(caller, Permission.RUN_CLOCK)
        payload = details_payload(details)

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=after_end(ctx, payload))]

        self._write(caller, build)
        return self._details_for(caller.exercise_id)

    def saved_baseline(self, caller: Caller, entries: Sequence[Entry] | None = None) -> str | None:
        """The simulated baseline kept with the exercise (JSON of ``sim_engine.batch.results.BatchResult``):
        only the one whose SHA-256 the journal recorded (another in its place is not used).
        ``entries``: the journal as already read (a report's record), so it is not read again."""
        require(caller, Permission.READ_ALL)
        recorded = baseline_sha256(self._snapshot(caller.exercise_id)[0] if entries is None else entries)
        with self.db.reading() as session:
            row = session.get(Exercise, caller.exercise_id)
        stored = row.baseline_json if row is not None else None
        if stored is None or recorded is None or sha256(stored) != recorded:
            return None
        return stored

    def save_baseline(self, caller: Caller, batch_json: str) -> int:
        """Keep a simulated baseline with the exercise (the controller runs it from the console):
        its JSON beside the record, its SHA-256 a journal entry; returns its size in characters."""
        require(caller, Permission.RUN_CLOCK)
        if len(batch_json.encode("utf-8")) > MAX_BASELINE_BYTES:
            raise ExerciseInputError("the simulated baseline is too large to keep")
        try:
            json.loads(batch_json)
        except ValueError:
            raise ExerciseInputError("the simulated baseline is not JSON") from None
        payload = BaselineStored(sha256=sha256(batch_json))

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=after_end(ctx, payload))]

        self._store_baseline_json(caller.exercise_id, batch_json)
        self._write(caller, build)
        return len(batch_json)

    def _store_baseline_json(self, exercise_id: int, batch_json: str) -> None:
        def update(session: Any) -> None:
            row = session.get(Exercise, exercise_id)
            if row is None:
                raise ExerciseInputError(f"no exercise {exercise_id}")
            row.baseline_json = batch_json
            session.add(row)

        self._transaction(update)


def check_set_up(timezone: str | None, contacts: tuple[ContactPerson, ...]) -> None:
    """The checks a template's time zone and points of contact pass before they are kept: the same
    as an exercise's details (``exercises.service.templates``)."""
    _checked(None, timezone, "exercise", contacts)
