"""An exercise's details beyond its scenario: when exercise time 0:00 was on the wall clock (with
its IANA time zone), whether the record is an exercise or a real incident, and the points of
contact the AAR/IP names (exercise director, evaluation lead, sponsor).

Set when the exercise is created or imported, and editable by the controller afterwards. They
describe the record; the journal stays the record itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from exercises.access import Caller, ExerciseInputError, Permission, require
from exercises.service.store import ExerciseStore
from exercises.storage.tables import Exercise

RecordKind = Literal["exercise", "real_incident"]
RECORD_KINDS: tuple[RecordKind, ...] = ("exercise", "real_incident")
CONTACT_ROLES = ("Exercise director", "Evaluation lead", "Sponsor")
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


def store_details(row: Exercise, details: ExerciseDetails) -> None:
    """Write ``details`` onto an exercise row (validated first)."""
    _checked(details.real_start, details.timezone, details.record_kind, details.contacts)
    row.record_kind = details.record_kind
    row.real_start = details.real_start.astimezone(UTC).timestamp() if details.real_start else None
    row.timezone = details.timezone.strip() if details.timezone else None
    row.contacts_json = json.dumps([asdict(c) for c in details.contacts]) if details.contacts else None


def read_details(row: Exercise) -> ExerciseDetails:
    tz = zone(row.timezone) if row.timezone else None
    start = datetime.fromtimestamp(row.real_start, tz) if row.real_start is not None and tz else None
    contacts = tuple(ContactPerson(**c) for c in json.loads(row.contacts_json)) if row.contacts_json else ()
    kind: RecordKind = "real_incident" if row.record_kind == "real_incident" else "exercise"
    return ExerciseDetails(record_kind=kind, real_start=start, timezone=row.timezone, contacts=contacts)


class Details(ExerciseStore):
    """Reading and editing an exercise's details."""

    def exercise_details(self, caller: Caller) -> ExerciseDetails:
        require(caller, Permission.READ_ALL)
        with self.db.reading() as session:
            row = session.get(Exercise, caller.exercise_id)
        if row is None:
            raise ExerciseInputError(f"no exercise {caller.exercise_id}")
        return read_details(row)

    def set_exercise_details(self, caller: Caller, details: ExerciseDetails) -> ExerciseDetails:
        """The controller sets the real start, its time zone, the record kind and the contacts."""
        require(caller, Permission.RUN_CLOCK)

        def update(session: Session) -> ExerciseDetails:
            row = session.get(Exercise, caller.exercise_id)
            if row is None:
                raise ExerciseInputError(f"no exercise {caller.exercise_id}")
            store_details(row, details)
            session.add(row)
            return read_details(row)

        return self._transaction(update)

    def saved_baseline(self, caller: Caller) -> str | None:
        """The simulated baseline stored for the exercise (JSON of ``sim_engine.batch.results.BatchResult``)."""
        require(caller, Permission.READ_ALL)
        with self.db.reading() as session:
            row = session.get(Exercise, caller.exercise_id)
        return row.baseline_json if row is not None else None

    def save_baseline(self, caller: Caller, batch_json: str) -> int:
        """Keep a simulated baseline with the exercise (the controller runs it from the console);
        returns its size in characters."""
        require(caller, Permission.RUN_CLOCK)
        if len(batch_json.encode("utf-8")) > MAX_BASELINE_BYTES:
            raise ExerciseInputError("the simulated baseline is too large to keep")
        try:
            json.loads(batch_json)
        except ValueError:
            raise ExerciseInputError("the simulated baseline is not JSON") from None

        def update(session: Session) -> None:
            row = session.get(Exercise, caller.exercise_id)
            if row is None:
                raise ExerciseInputError(f"no exercise {caller.exercise_id}")
            row.baseline_json = batch_json
            session.add(row)

        self._transaction(update)
        return len(batch_json)


def check_set_up(timezone: str | None, contacts: tuple[ContactPerson, ...]) -> None:
    """The checks a template's time zone and points of contact pass before they are kept: the same
    as an exercise's details (``exercises.service.templates``)."""
    _checked(None, timezone, "exercise", contacts)
