"""Information failures as findings: a message not sent, sent and lost, delivered late, never
answered, or not passed on to whom it should have reached.

Each kind is a different failure with a different remedy, so each is decided here once, with its
evidence, core capability and POETE element (docs/report.md, "Information failures"):

- **not sent**: nobody sent it (an incident log's row with *Sent* no). The sender's failure, never a
  link's: Training when a response plan requires the sender to perform what the message would have
  done (the plan said so, people did not), else Planning (no plan says who tells whom).
- **lost**: sent and never received. On a link that failed (named by the log, down on its Links
  sheet, or lost by the simulation on a link): Equipment. With no failed link known: Planning (no
  confirmation of receipt caught it).
- **late**: delivered after the time it was due: the log's *Due by*, else the deadline of the
  protocol whose action the message performed. Training.
- **never answered**: delivered, and the recipient never sent the sender a message afterwards
  (notifications the engine carries expect no answer, nor does a message that is itself an
  answer). Training.
- **not relayed**: delivered, to be passed on to someone (*Relay to*), and the recipient never sent
  that one a message afterwards. Organization.

A failure whose responsible agency (the sender; for never answered and not relayed, the recipient)
the simulation played is the simulation's, and is left out, as credit leaves out its findings: a
simulated agency's message dropped by a link's simulated reliability is no one's equipment failing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from aar.clock import evidence_text, when
from aar.model import (
    Element,
    ExecutiveSummary,
    Finding,
    ImprovementItem,
    InformationFailure,
    InformationKind,
    SummaryPoint,
    TimelineMark,
)
from aar.names import quantity
from aar.record import Record
from aar.scoring import evidence
from exercises.record.entries import Entry, MessageDelivered, MessageLost, MessageNotSent, MessageSent
from exercises.scenario.durations import format_span
from exercises.scenario.model import AgencyKind, PartyKind, Scenario
from exercises.scoring import record_second

ORDER: tuple[InformationKind, ...] = ("not_sent", "lost", "late", "unanswered", "not_relayed")
COMMUNICATIONS = "Operational Communications"
COORDINATION = "Operational Coordination"
PUBLIC = "Public Information and Warning"


class _Context:
    """What deciding a failure needs: names, clock, who the simulation played, the plans' duties."""

    def __init__(self, scenario: Scenario, record: Record, found: Sequence[Finding]) -> None:
        self.scenario, self.record, self.found = scenario, record, found
        self.names = record.names
        self.simulated = record.simulated
        self.duties = {(p.agency, p.action): p for p in scenario.protocols}
        self.public = {a.id for a in scenario.agencies if a.kind is AgencyKind.PUBLIC_INFORMATION}
        self.public |= {p.id for p in scenario.parties if p.kind is PartyKind.PUBLIC}
        self.channels = {link.key: link.channel.value.replace("_", " ") for link in scenario.links}

    def at(self, seconds: float | None) -> str:
        return when(seconds, self.record.real_time, real_incident=self.record.real_incident)

    def capability(self, sender: str, to: str, about: str | None) -> str:
        duty = self.duties.get((sender, about or ""))
        if duty is not None:
            return duty.capability
        return PUBLIC if to in self.public or sender in self.public else COORDINATION

    def link_name(self, link: tuple[str, str]) -> str:
        channel = self.channels.get(frozenset(link), "")
        a, b = (self.names.agency(x) for x in link)
        return f"the {channel} link between {a} and {b}".replace("the  link", "the link")


def _quote(text: str, limit: int = 200) -> str:
    cut = text[:limit] + ("\u2026" if len(text) > limit else "")
    return f"\u201c{cut}\u201d"


def _not_sent(c: _Context, e: Entry, p: MessageNotSent) -> InformationFailure | None:
    sender = e.agency or ""
    if sender in c.simulated:
        return None
    duty = c.duties.get((sender, p.about or ""))
    element, why = (
        (Element.TRAINING, f"the plan requires it ({duty.title}, {duty.source}); the message was not sent")
        if duty is not None else (Element.PLANNING, "no response-plan duty names who tells whom of this")
    )
    return InformationFailure(
        kind="not_sent", message_id=p.message_id, sender=sender, sender_name=c.names.agency(sender), to=p.to,
        to_name=c.names.agency(p.to), at=e.at, text=p.text, responsible=sender,
        responsible_name=c.names.agency(sender), capability=c.capability(sender, p.to, p.about),
        element=element, element_reason=why, evidence=(evidence("not sent", e, c.record),),
    )


def _lost(c: _Context, e: Entry, p: MessageLost, sent: Entry | None) -> InformationFailure | None:
    if p.sender in c.simulated:
        return None
    link = p.lost_on
    equipment = link is not None or "path" in p.reason
    trail = tuple(evidence(role, x, c.record) for role, x in (("sent", sent), ("lost", e)) if x is not None)
    return InformationFailure(
        kind="lost", message_id=p.message_id, sender=p.sender, sender_name=c.names.agency(p.sender), to=p.to,
        to_name=c.names.agency(p.to), at=sent.at if sent else e.at, text=_text(sent),
        link=link, link_name=c.link_name(link) if link else ("no working route" if equipment else ""),
        responsible=p.sender, responsible_name=c.names.agency(p.sender), capability=COMMUNICATIONS,
        element=Element.EQUIPMENT if equipment else Element.PLANNING,
        element_reason="a link failed (equipment)" if equipment
        else "no failed link is known: nothing confirmed that the message arrived",
        evidence=trail,
    )


def _text(sent: Entry | None) -> str:
    return sent.payload.text if sent is not None and isinstance(sent.payload, MessageSent) else ""


def _due(c: _Context, sent: Entry, p: MessageDelivered) -> tuple[float, str] | None:
    """When the message was due and by what: the log's stated time, else the deadline of the
    protocol its action answered."""
    given = sent.payload.due_at if isinstance(sent.payload, MessageSent) else None
    if given is not None:
        return given, "the time the log gives"
    if p.about is None:
        return None
    for f in c.found:
        if (f.agency == p.sender and f.action == p.about and f.done_at is not None and f.deadline_at is not None
                and record_second(f.done_at) == record_second(sent.at)):
            return f.deadline_at, f"the deadline of \u201c{f.protocol_title}\u201d ({f.source})"
    return None


def _delivered(c: _Context, e: Entry, p: MessageDelivered, sent: Entry,
               traffic: tuple[dict[tuple[str, str], list[float]], dict[tuple[str, str], list[float]]]
               ) -> list[InformationFailure]:
    """The failures of a delivered message: late, never answered (unless it is itself an answer: its
    recipient's message had reached its sender before it was sent), not relayed. ``traffic``: when
    each (sender, recipient) sent messages, and when theirs arrived."""
    replies, arrivals = traffic
    base = {"message_id": p.message_id, "sender": p.sender, "sender_name": c.names.agency(p.sender), "to": p.to,
            "to_name": c.names.agency(p.to), "at": sent.at, "text": _text(sent), "delivered_at": e.at}
    trail = (evidence("sent", sent, c.record), evidence("delivered", e, c.record))
    out = []
    due = _due(c, sent, p)
    if due is not None and record_second(e.at) > record_second(due[0]) and p.sender not in c.simulated:
        out.append(InformationFailure(
            kind="late", **base, due_at=due[0], due_source=due[1], responsible=p.sender,
            responsible_name=c.names.agency(p.sender), capability=c.capability(p.sender, p.to, p.about),
            element=Element.TRAINING, element_reason="sent in time to arrive, it would not have been late",
            evidence=trail))
    if p.to in c.simulated or p.to in c.scenario.party_names:
        return out
    answering = any(t <= sent.at for t in arrivals[(p.to, p.sender)])
    if not answering and not any(t >= e.at for t in replies[(p.to, p.sender)]):
        out.append(InformationFailure(
            kind="unanswered", **base, responsible=p.to, responsible_name=c.names.agency(p.to),
            capability=c.capability(p.sender, p.to, p.about), element=Element.TRAINING,
            element_reason="the message arrived; nobody answered it", evidence=trail))
    relay = sent.payload.relay_to if isinstance(sent.payload, MessageSent) else ()
    for onward in relay:
        if not any(t >= e.at for t in replies[(p.to, onward)]):
            out.append(InformationFailure(
                kind="not_relayed", **base, relay_to=onward, relay_to_name=c.names.agency(onward),
                responsible=p.to, responsible_name=c.names.agency(p.to), capability=c.capability(p.to, onward, None),
                element=Element.ORGANIZATION, element_reason="who passes what on is the organization's to settle",
                evidence=trail))
    return out


def information_failures(scenario: Scenario, record: Record, found: Sequence[Finding]) -> list[InformationFailure]:
    """Every information failure in the record, in time order, then by kind."""
    c = _Context(scenario, record, found)
    sent: dict[str, Entry] = {}
    replies: dict[tuple[str, str], list[float]] = defaultdict(list)
    arrivals: dict[tuple[str, str], list[float]] = defaultdict(list)
    for e in record.entries:
        if isinstance(e.payload, MessageSent) and e.agency:
            sent.setdefault(e.payload.message_id, e)
            replies[(e.agency, e.payload.to)].append(e.at)
        elif isinstance(e.payload, MessageDelivered):
            arrivals[(e.payload.sender, e.payload.to)].append(e.at)
    out: list[InformationFailure | None] = []
    for e in record.entries:
        p = e.payload
        if isinstance(p, MessageNotSent):
            out.append(_not_sent(c, e, p))
        elif isinstance(p, MessageLost):
            out.append(_lost(c, e, p, sent.get(p.message_id)))
        elif isinstance(p, MessageDelivered) and p.message_id in sent:
            out += _delivered(c, e, p, sent[p.message_id], (replies, arrivals))
    kept = [f for f in out if f is not None]
    return sorted(kept, key=lambda f: (f.at, ORDER.index(f.kind)))


# --- the sentences the summary and the improvement plan use ---------------------------------


def what_happened(f: InformationFailure, record: Record) -> str:
    """One failure in a sentence, by names and times: what a reader of the summary needs."""
    return what_happened_words(f, lambda at: when(at, record.real_time, real_incident=record.real_incident))


def what_happened_words(f: InformationFailure, at: Callable[[float | None], str]) -> str:
    """The sentence, with times as ``at`` writes them (the one wording of the summary, the
    improvement plan and the coordination section)."""
    said = f" {_quote(f.text)}" if f.text else ""
    if f.kind == "not_sent":
        return f"{f.sender_name} did not send {f.to_name} the message due at {at(f.at)}{said}"
    if f.kind == "lost":
        where = f"lost on {f.link_name}" if f.link else (
            "lost: no working route" if f.link_name else "sent but never received (no failed link is known)")
        return f"message from {f.sender_name} to {f.to_name} at {at(f.at)}{said} {where}"
    arrived = at(f.delivered_at)
    if f.kind == "late":
        late = format_span((f.delivered_at or 0) - (f.due_at or 0))
        return (f"message from {f.sender_name} to {f.to_name}{said} reached it at {arrived}, {late} after it was "
                f"due at {at(f.due_at)} ({f.due_source})")
    if f.kind == "unanswered":
        return f"{f.to_name} never answered the message from {f.sender_name} received at {arrived}{said}"
    return f"{f.to_name} did not pass the message from {f.sender_name} received at {arrived}{said} on to {f.relay_to_name}"


KIND_TITLE: dict[InformationKind, str] = {
    "not_sent": "Not sent", "lost": "Sent and lost", "late": "Delivered late", "unanswered": "Never answered",
    "not_relayed": "Not passed on",
}


def counts_sentence(failures: Sequence[InformationFailure]) -> str:
    """'2 messages not sent, 1 lost on a failed link, ...': the failures counted by kind."""
    words = {"not_sent": "not sent", "lost": "sent and lost", "late": "delivered late",
             "unanswered": "never answered", "not_relayed": "not passed on"}
    parts: list[str] = []
    for kind in ORDER:
        n = sum(f.kind == kind for f in failures)
        if n:
            parts.append(f"{n} {'message' if n == 1 else 'messages'} {words[kind]}" if not parts else f"{n} {words[kind]}")
    return ", ".join(parts)


def _corrective(f: InformationFailure) -> str:
    if f.kind == "not_sent":
        if f.element is Element.TRAINING:
            return (f"Train {f.sender_name}'s staff to tell {f.to_name} as the plan requires, and check it in the "
                    "next exercise.")
        return (f"Write into the response plan who tells {f.to_name} of such information, by what means and "
                f"within what time; train {f.sender_name}'s staff on it.")
    if f.kind == "lost":
        if f.link:
            return (f"Repair and test {f.link_name}; give {f.sender_name} a second means of reaching {f.to_name} "
                    "and a routine check of the line.")
        if f.link_name:
            return f"Give {f.sender_name} a back-up route to {f.to_name} for when links fail."
        return (f"Adopt confirmation of receipt (read-back or acknowledgement) for messages from {f.sender_name} "
                f"to {f.to_name}, so a message that does not arrive is sent again.")
    if f.kind == "late":
        return (f"Train {f.sender_name}'s staff to send such messages to {f.to_name} at once and to confirm "
                "they arrived in time.")
    if f.kind == "unanswered":
        return (f"Train {f.to_name}'s staff to acknowledge and answer messages from {f.sender_name}, and to log "
                "the answer.")
    return (f"Set out in {f.to_name}'s procedures who passes information from {f.sender_name} on to "
            f"{f.relay_to_name}, and check that it is passed on.")


def _group(f: InformationFailure) -> str:
    other = f.relay_to or ("|".join(sorted(f.link)) if f.link else f.to if f.responsible == f.sender else f.sender)
    return f"information:{f.kind}:{f.responsible}:{other}"


def improvement_rows(failures: Sequence[InformationFailure], record: Record) -> list[ImprovementItem]:
    """One improvement-plan row per kind of failure, responsible agency and counterpart (or link),
    naming every message it covers (``row_issue``)."""
    groups: dict[str, list[InformationFailure]] = {}
    for f in failures:
        groups.setdefault(_group(f), []).append(f)
    rows = []
    for key, same in groups.items():
        first = same[0]
        rows.append(ImprovementItem(
            key=key, capability=first.capability, issue=row_issue(same, record),
            corrective_action=_corrective(first), element=first.element,
            element_reason=f"information failure: {first.element_reason}", responsible_agency=first.responsible_name,
        ))
    return rows


def row_issue(same: Sequence[InformationFailure], record: Record) -> str:
    """The issue of one row: a single failure in its sentence; several (one kind, one responsible
    agency, one counterpart) counted once, then every message by what tells it apart (its text, and
    for a lost or late one where or how late), each with its time: 'Never answered: Town EOC never
    answered 3 messages from Town Fire Department: “situation update” received at 0:10:00,
    0:40:00 and 1:10:00; “need a duty officer” received at 0:20:00.'"""
    first = same[0]
    if len(same) == 1:
        return f"{KIND_TITLE[first.kind]}: {_sentence(what_happened(first, record))}."
    def at(seconds: float | None) -> str:
        return when(seconds, record.real_time, real_incident=record.real_incident)
    # Lost messages are grouped by where they were lost first: the link is said once for all of them.
    heads: dict[str, dict[str, list[str]]] = {}
    for f in same:
        head, apart, time = _apart(f, at)
        heads.setdefault(head, {}).setdefault(apart, []).append(time)
    listed = "; ".join(
        (f"{head}: " if head else "") + "; ".join(f"{apart} {_and(moments)}".strip() for apart, moments in texts.items())
        for head, texts in heads.items())
    return f"{KIND_TITLE[first.kind]}: {_counted(first, len(same))}: {listed}."


def _counted(f: InformationFailure, n: int) -> str:
    """The failures of a row counted, by the names they share."""
    if f.kind == "not_sent":
        return f"{f.sender_name} did not send {f.to_name} {n} messages"
    if f.kind == "lost":
        return f"{n} messages from {f.sender_name} never arrived"
    if f.kind == "late":
        return f"{n} messages from {f.sender_name} to {f.to_name} arrived after they were due"
    if f.kind == "unanswered":
        return f"{f.to_name} never answered {n} messages from {f.sender_name}"
    return f"{f.to_name} did not pass {n} messages from {f.sender_name} on to {f.relay_to_name}"


def _apart(f: InformationFailure, at: Callable[[float | None], str]) -> tuple[str, str, str]:
    """Where a failure was (a lost message's recipient and link; empty for the other kinds), what
    tells it apart from the others there, and its time."""
    said = f"{_quote(f.text)} " if f.text else ""
    if f.kind == "not_sent":
        return "", f"{said}due at", at(f.at)
    if f.kind == "lost":
        where = f"lost on {f.link_name}" if f.link else (
            "lost: no working route" if f.link_name else "sent but never received (no failed link is known)")
        return f"to {f.to_name}, {where}", f"{said}sent at", at(f.at)
    if f.kind == "late":
        late = format_span((f.delivered_at or 0) - (f.due_at or 0))
        return "", f"{said}due at {at(f.due_at)} ({f.due_source}), {late} late: reached it at", at(f.delivered_at)
    return "", f"{said}received at", at(f.delivered_at)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- the executive summary and the timeline --------------------------------------------------

MAX_NAMED = 6
"""Failures named in one summary point; the coordination section and Appendix A name them all."""


def with_information(summary: ExecutiveSummary, failures: Sequence[InformationFailure], record: Record) -> ExecutiveSummary:
    """The summary counting the information failures in its overview and naming them, a point per
    kind, first among the primary areas for improvement."""
    if not failures:
        return summary
    points = []
    for kind in ORDER:
        same = [f for f in failures if f.kind == kind]
        if not same:
            continue
        named = "; ".join(what_happened(f, record) for f in same[:MAX_NAMED])
        more = f"; and {len(same) - MAX_NAMED} more (Appendix A)" if len(same) > MAX_NAMED else ""
        trail = [ev for f in same for ev in f.evidence]
        points.append(SummaryPoint(
            capability=same[0].capability,
            text=f"Information failure, {KIND_TITLE[kind].lower()} ({len(same)}): {named}{more}.",
            evidence=evidence_text(trail, record.real_time, record.real_incident) or "--",
        ))
    what = "incident" if record.real_incident else "exercise"
    counted = (f" The {what} record shows {quantity(len(failures), 'information failure')}: "
               f"{counts_sentence(failures)}.")
    return summary.model_copy(update={
        "overview": summary.overview + counted,
        "areas_for_improvement": (*points, *summary.areas_for_improvement),
    })


MARK_KIND: dict[InformationKind, str] = {
    "not_sent": "not_sent", "lost": "message_lost", "late": "delivered_late", "unanswered": "unanswered",
    "not_relayed": "not_relayed",
}


def information_marks(failures: Sequence[InformationFailure]) -> list[TimelineMark]:
    """Each failure on the timeline: not sent and lost on the sender's lane when it was (to be)
    sent; late, never answered and not passed on on the recipient's lane when it arrived."""
    marks = []
    for f in failures:
        on_sender = f.kind in ("not_sent", "lost")
        lane = f.sender if on_sender else f.to
        at = f.at if on_sender or f.delivered_at is None else f.delivered_at
        label = f"{KIND_TITLE[f.kind]}: {f.sender_name} to {f.to_name}"
        marks.append(TimelineMark(at=at, lane=lane, kind=MARK_KIND[f.kind], label=label,
                                  seq=f.evidence[-1].seq if f.evidence else None))
    return marks
