"""The run's own record: what the simulation produced, as light immutable tuples.

A run appends one ``Happening`` per simulated happening: when, which agency, and a payload. The
payloads are named tuples with exactly the fields of the journal's payload models of the same names
in ``exercises.record.entries`` (a test holds the two together). Inside the engine nothing else is needed,
and a tuple costs a tenth of a validated pydantic model: the batch summaries read the record as it
is. Where the record leaves the engine for the journal (live advance, ``run_once``, transcripts), each
happening becomes a ``NewEntry`` through ``to_entry``, which validates it like any other entry.
"""

from __future__ import annotations

from typing import NamedTuple

from exercises.record import entries as journal
from exercises.record.entries import ENGINE_ACTOR, NewEntry, Scalar


class InjectDelivered(NamedTuple):
    inject_id: str
    to: tuple[str, ...]


class InjectSkipped(NamedTuple):
    inject_id: str
    reason: str


class ActionLogged(NamedTuple):
    action: str
    text: str = ""
    inject_id: str | None = None


class MessageSent(NamedTuple):
    message_id: str
    to: str
    text: str
    categories: tuple[str, ...] = ()
    due_at: float | None = None
    relay_to: tuple[str, ...] = ()


class MessageDelivered(NamedTuple):
    message_id: str
    sender: str
    to: str
    path: tuple[str, ...]
    sent_at: float
    about: str | None = None


class MessageLost(NamedTuple):
    message_id: str
    sender: str
    to: str
    reason: str
    path: tuple[str, ...] = ()
    lost_on: tuple[str, str] | None = None
    about: str | None = None


class ResourceRequested(NamedTuple):
    request_id: str
    to: str
    unit_type: str
    count: int  # type: ignore[assignment]  # shadows tuple.count, as the journal field is named
    text: str = ""


class ResourceAssigned(NamedTuple):
    request_id: str
    requester: str
    unit_type: str
    count: int  # type: ignore[assignment]  # shadows tuple.count, as the journal field is named
    queue_wait: float = 0.0


class ResourceReleased(NamedTuple):
    request_id: str
    unit_type: str
    count: int  # type: ignore[assignment]  # shadows tuple.count, as the journal field is named


class LinkDown(NamedTuple):
    between: tuple[str, str]
    reason: str = ""


class LinkUp(NamedTuple):
    between: tuple[str, str]


class Development(NamedTuple):
    model: str
    what: str
    detail: dict[str, Scalar]
    raises: tuple[str, ...] = ()
    told: tuple[str, ...] = ()


class RumourStarted(NamedTuple):
    rumour_id: str
    topic: str
    outlet: str
    text: str
    reach: int
    raises: tuple[str, ...] = ()


class RumourSpread(NamedTuple):
    rumour_id: str
    reach: int
    growing: bool


class RumourAddressed(NamedTuple):
    rumour_id: str
    topic: str
    reach: int


class MediaItemPublished(NamedTuple):
    item_id: str
    outlet: str
    text: str
    reach: int
    topic: str | None = None
    cause: str = ""


class TrustChanged(NamedTuple):
    trust: float
    change: float
    driver: str
    about: str = ""


Payload = (
    InjectDelivered
    | InjectSkipped
    | ActionLogged
    | MessageSent
    | MessageDelivered
    | MessageLost
    | ResourceRequested
    | ResourceAssigned
    | ResourceReleased
    | LinkDown
    | LinkUp
    | Development
    | RumourStarted
    | RumourSpread
    | RumourAddressed
    | MediaItemPublished
    | TrustChanged
)

JOURNAL_PAYLOADS: dict[type[Payload], type[journal.Payload]] = {
    InjectDelivered: journal.InjectDelivered,
    InjectSkipped: journal.InjectSkipped,
    ActionLogged: journal.ActionLogged,
    MessageSent: journal.MessageSent,
    MessageDelivered: journal.MessageDelivered,
    MessageLost: journal.MessageLost,
    ResourceRequested: journal.ResourceRequested,
    ResourceAssigned: journal.ResourceAssigned,
    ResourceReleased: journal.ResourceReleased,
    LinkDown: journal.LinkDown,
    LinkUp: journal.LinkUp,
    Development: journal.Development,
    RumourStarted: journal.RumourStarted,
    RumourSpread: journal.RumourSpread,
    RumourAddressed: journal.RumourAddressed,
    MediaItemPublished: journal.MediaItemPublished,
    TrustChanged: journal.TrustChanged,
}
"""Each record payload and the journal payload model it becomes."""


class Happening(NamedTuple):
    """One simulated happening: the exercise second it happened at, the agency, what."""

    at: float
    agency: str | None
    payload: Payload


def to_entry(happening: Happening) -> NewEntry:
    """The journal entry of a happening, validated like every entry the journal takes."""
    payload = JOURNAL_PAYLOADS[type(happening.payload)](**happening.payload._asdict())
    return NewEntry(at=happening.at, agency=happening.agency, actor=ENGINE_ACTOR, payload=payload)


_RECORD_PAYLOADS: dict[type[journal.Payload], type[Payload]] = {j: r for r, j in JOURNAL_PAYLOADS.items()}


def of_entry(entry: NewEntry) -> Happening:
    """The happening a simulated journal entry records (the inverse of ``to_entry``)."""
    record_type = _RECORD_PAYLOADS.get(type(entry.payload))
    if record_type is None:
        raise ValueError(f"a {entry.kind.value} entry is not one the simulation makes")
    return Happening(entry.at, entry.agency, record_type(**entry.payload.model_dump(exclude={"kind"})))


def records(entry: NewEntry, happening: Happening) -> bool:
    """Whether a journal entry is the engine's entry for this happening: what ``to_entry`` makes of it
    (compared without building that entry)."""
    if entry.actor != ENGINE_ACTOR or entry.at != happening.at or entry.agency != happening.agency:
        return False
    try:
        return of_entry(entry).payload == happening.payload
    except ValueError:
        return False
