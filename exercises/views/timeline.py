"""The timeline, an agency's own log and an agency's inbox: who sees which entries, described."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from exercises.record.entries import (
    ENGINE_ACTOR,
    Correction,
    Development,
    Entry,
    EntryKind,
    InjectDelivered,
    MessageDelivered,
    MessageLost,
    MessageSent,
    ResourceAssigned,
    ResourceRequested,
)
from exercises.scenario.model import Inject, Scenario
from exercises.views.base import View
from exercises.views.wording import (
    Words,
    describe_in,
    development_words,
    known_injects,
    message_texts,
    why_lost,
    words,
)


class TimelineItem(View):
    seq: int
    at: float
    kind: EntryKind
    actor: str
    agency: str | None
    simulated: bool
    summary: str
    corrects: int | None = None
    corrected_by: int | None = None
    """The latest correction of this entry, if any."""
    voided: bool = False


def timeline(scenario: Scenario, entries: Sequence[Entry]) -> list[TimelineItem]:
    """Every entry in journal order, with its corrections marked."""
    return _timeline_items(scenario, entries, entries)


def _timeline_items(scenario: Scenario, entries: Sequence[Entry], shown: Iterable[Entry]) -> list[TimelineItem]:
    """The timeline items of ``shown`` (entries of the journal ``entries``), in their order."""
    injects = known_injects(scenario, entries)
    named = words(scenario, entries)
    corrected: dict[int, Entry] = {}
    for e in entries:
        if isinstance(e.payload, Correction):
            corrected[e.payload.corrects] = e
    return [timeline_item(e, named, injects, corrected.get(e.seq)) for e in shown]


def timeline_item(e: Entry, named: Words, injects: dict[str, Inject], fix: Entry | None = None) -> TimelineItem:
    """One entry of a timeline or log; ``fix`` is the latest correction of it, if any."""
    return TimelineItem(
        seq=e.seq,
        at=e.at,
        kind=e.kind,
        actor=e.actor,
        agency=e.agency,
        simulated=e.actor == ENGINE_ACTOR,
        summary=describe_in(e, named, injects),
        corrects=e.payload.corrects if isinstance(e.payload, Correction) else None,
        corrected_by=fix.seq if fix else None,
        voided=bool(fix and isinstance(fix.payload, Correction) and fix.payload.replacement is None),
    )


OWN_LOG_KINDS = frozenset({
    EntryKind.ACTION_LOGGED, EntryKind.MESSAGE_SENT, EntryKind.MESSAGE_NOT_SENT, EntryKind.RESOURCE_REQUESTED,
    EntryKind.STATEMENT_ISSUED, EntryKind.CORRECTION,
})


def in_own_log(entry: Entry, agency: str) -> bool:
    """What the agency did: its actions, messages, requests and public statements, and corrections of them."""
    return entry.agency == agency and entry.kind in OWN_LOG_KINDS


def addressees(entry: Entry) -> tuple[str, ...]:
    """Whom the entry reached: an inject's or a development's agencies, a message's or a request's
    recipient, an assignment's requester; a lost message's sender (it learns of the loss)."""
    p = entry.payload
    match p:
        case InjectDelivered():
            return tuple(p.to)
        case Development():
            return tuple(p.told)
        case MessageDelivered() | ResourceRequested():
            return (p.to,)
        case MessageLost():
            return (p.sender,)
        case ResourceAssigned():
            return (p.requester,)
    return ()


def addressed_to(entry: Entry, agency: str) -> bool:
    """What reached the agency: injects, messages, requests and assignments; its lost messages."""
    return agency in addressees(entry)


def visible_to_agency(entry: Entry, agency: str) -> bool:
    return in_own_log(entry, agency) or addressed_to(entry, agency)


def agency_log(scenario: Scenario, entries: Sequence[Entry], agency: str) -> list[TimelineItem]:
    return _timeline_items(scenario, entries, (e for e in entries if in_own_log(e, agency)))


# --- an agency's inbox -------------------------------------------------------------------


class InboxItem(View):
    seq: int
    at: float
    kind: Literal["inject", "development", "message", "message_lost", "resource_request", "resource_assigned"]
    sender: str
    subject: str
    text: str
    inject_id: str | None = None
    reference: str | None = None
    """The message or request id, to answer or link to."""


def inbox(scenario: Scenario, entries: Sequence[Entry], agency: str) -> list[InboxItem]:
    """What has reached ``agency``, oldest first (what its players may see of the others)."""
    injects = known_injects(scenario, entries)
    sent = message_texts(entries)
    w = words(scenario)
    items = (inbox_item(e, injects, sent, w) for e in entries if addressed_to(e, agency))
    return [item for item in items if item is not None]


def inbox_item(e: Entry, injects: Mapping[str, Inject], sent: Mapping[str, MessageSent], w: Words) -> InboxItem | None:
    """What ``e`` (addressed to the agency) puts in its inbox; nothing for an inject no one knows."""
    p = e.payload
    base = {"seq": e.seq, "at": e.at}
    match p:
        case InjectDelivered():
            inject = injects.get(p.inject_id)
            if inject is None:
                return None
            return InboxItem(**base, kind="inject", sender=inject.from_, subject=inject.synopsis, text=inject.text,
                             inject_id=inject.id)
        case Development():
            return InboxItem(**base, kind="development", sender="simcell",
                             subject=development_words(p, w.incident, "", w.action, w.agency),
                             text=w.incident.texts.get(p.what, ""))
        case MessageDelivered():
            original = sent.get(p.message_id)
            return InboxItem(**base, kind="message", sender=p.sender, subject=f"Message from {w.agency(p.sender)}",
                             text=original.text if original else "", reference=p.message_id)
        case MessageLost():
            return InboxItem(**base, kind="message_lost", sender=p.to,
                             subject=f"Message to {w.agency(p.to)} not delivered", text=why_lost(p, w),
                             reference=p.message_id)
        case ResourceRequested():
            return InboxItem(**base, kind="resource_request", sender=e.agency or "",
                             subject=f"Request for {w.units(p.count, p.unit_type)}", text=p.text,
                             reference=p.request_id)
        case ResourceAssigned():
            return InboxItem(**base, kind="resource_assigned", sender=e.agency or "",
                             subject=f"{w.units(p.count, p.unit_type)} assigned", text="", reference=p.request_id)
    return None
