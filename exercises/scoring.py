"""The one scoring rule: which logged action answers which protocol trigger, and with what status.

The console's live protocol clock, the after-action report and the simulated baseline all call
``match_instances``; docs/scenario-format.md ("How a protocol is scored") says the same in words.

- Every trigger opens one **instance**: the first start of the clock, each entry that raises the
  trigger's event (an entry that raises it twice, once), each logging of the trigger's action by
  one of its agencies. Corrections are applied first (``exercises.record.corrections``): a voided
  entry neither triggers nor answers.
- The record's order is its time, then its sequence: an action "after" a trigger is later in that
  order (one logged in the same second but before the trigger does not answer it).
- A trigger by an event (an inject, a development, a rumour) counts against the agency only from
  when it reached the agency: an inject delivered to it, a rumour (public), any event when the
  simulation plays the agency (it knows at once), or else a message delivered to it (a notification
  the engine carries too) or a resource request made of it, from an agency that knew. One that
  never did is **not reached**: never the agency's miss.
- A ``within`` protocol: instances, earliest first, each take the earliest expected action after
  their trigger that no earlier instance took (one action answers one instance). A repeat of an
  action trigger by the same agency while its earlier instance is still unanswered is a **reminder**
  of that instance (the answer counts from the first ask), unless the protocol says
  ``repeats: new_request``; any other repeated trigger needs its own answer. Answered by the
  deadline: **met**; after it: **late**, by whole seconds.
- A ``before_trigger`` protocol: the expected action is a standing condition. Done before the
  trigger: **met** (one action stands for every later trigger); done only after it: **out of
  order**; never done: **overdue** while play runs, **missed** once it has ended.
- Unanswered ``within`` instances: **pending** while the deadline has not passed, **overdue** once it
  has (play still running), **missed** if play ended past the deadline, **open** if play ended
  before the deadline came.
- Times are compared at the record's resolution, whole seconds, as every page and report prints
  them: an action 0.4 s past its deadline is on time, so "late by 0 s" is never written.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import NamedTuple

from exercises.record.entries import (
    ActionLogged,
    ClockStarted,
    Development,
    Entry,
    InjectAdded,
    InjectDelivered,
    MessageDelivered,
    ResourceRequested,
    RumourStarted,
    StatementIssued,
)
from exercises.scenario.model import Inject, PlayedBy, Protocol, Repeats, Scenario


class Status(StrEnum):
    """Where one trigger instance of a protocol stands."""

    MET = "met"
    LATE = "late"
    MISSED = "missed"
    """Play ended past the deadline without the action (or, before-trigger, without it at all)."""
    OUT_OF_ORDER = "out_of_order"
    """A ``before_trigger`` protocol whose expected action came only after its trigger."""
    PENDING = "pending"
    """Triggered, not done, deadline not passed, play still running."""
    OVERDUE = "overdue"
    """Deadline passed, not done, play still running: it can still be done, late."""
    OPEN = "open"
    """Triggered, not done, and the deadline falls after the end of play."""
    NOT_REACHED = "not_reached"
    """Raised by an event that never reached the agency (an inject to others, a development its
    players never saw): not the agency's miss, an information finding."""
    NOT_TRIGGERED = "not_triggered"


SCORED = frozenset({Status.MET, Status.LATE, Status.MISSED, Status.OUT_OF_ORDER})
"""Instances settled for good: what ratings and compliance count."""
UNANSWERED = frozenset({Status.PENDING, Status.OVERDUE, Status.OPEN, Status.MISSED})
"""What an instance that reached its agency and that no action answered can be (``unanswered``): its
status moves with the time it is read at. The live clock and the report's fold both bring these,
and only these, to a later time."""


def record_second(at: float) -> int:
    """The record's resolution: the whole second a time is printed as."""
    return round(at)


class Mark(NamedTuple):
    """A place in the record: its time, then its sequence (or position) for entries of one time."""

    at: float
    seq: int


class Match(NamedTuple):
    """One instance: which trigger, which expected action answered it (indexes into the lists given
    to ``match_instances``), its status, when it was due, how late it was (whole seconds), and the
    later triggers that were reminders of it (indexes, in record order)."""

    trigger: int
    answer: int | None
    status: Status
    due_at: float
    late_by: float | None
    reminders: tuple[int, ...] = ()


def match_instances(
    triggers: Sequence[Mark], done: Sequence[Mark], *, within: float | None, before_trigger: bool,
    now: float, ended: bool, askers: Sequence[str | None] | None = None,
) -> list[Match]:
    """Every instance of one protocol for one agency: ``triggers`` and ``done`` (the agency's expected
    actions) each in record order; ``now`` the time the record has reached, ``ended`` whether play is
    over. ``askers``: for an action trigger whose repeats are reminders, the agency of each trigger
    (None: every trigger opens its own instance)."""
    if before_trigger:
        return [_standing(i, t, done, now, ended) for i, t in enumerate(triggers)]
    out: list[Match] = []
    asked: dict[str, int] = {}
    """Each asker's latest instance (its place in ``out``): a repeat while it is open is a reminder."""
    chased: dict[int, list[int]] = {}
    cursor = 0
    for i, trig in enumerate(triggers):
        asker = askers[i] if askers is not None else None
        first = asked.get(asker) if asker is not None else None
        if first is not None and _still_open(out[first], trig, done):
            chased.setdefault(first, []).append(i)
            continue
        cursor = max(cursor, bisect_right(done, trig))
        due = trig.at + (within or 0.0)
        if cursor < len(done):
            out.append(_answered(i, cursor, done[cursor].at, due))
            cursor += 1
        else:
            out.append(Match(i, None, unanswered(due, before_trigger=False, now=now, ended=ended), due, None))
        if asker is not None:
            asked[asker] = len(out) - 1
    return [m._replace(reminders=tuple(chased[n])) if n in chased else m for n, m in enumerate(out)]


def _still_open(instance: Match, at: Mark, done: Sequence[Mark]) -> bool:
    """Whether ``instance`` had no answer yet at ``at``."""
    return instance.answer is None or at < done[instance.answer]


def _answered(trigger: int, answer: int, at: float, due: float) -> Match:
    late = record_second(at) - record_second(due)
    if late <= 0:
        return Match(trigger, answer, Status.MET, due, None)
    return Match(trigger, answer, Status.LATE, due, float(late))


def unanswered(due_at: float, *, before_trigger: bool, now: float, ended: bool) -> Status:
    """The status of an instance no action has answered, at ``now``. A before-trigger instance is
    past due from its trigger on; a within instance once ``now`` is a whole second past its deadline."""
    passed = before_trigger or record_second(now) > record_second(due_at)
    if ended:
        return Status.MISSED if passed else Status.OPEN
    return Status.OVERDUE if passed else Status.PENDING


def _standing(i: int, trig: Mark, done: Sequence[Mark], now: float, ended: bool) -> Match:
    """A before-trigger instance: the latest action before the trigger stands; else the first after."""
    before = bisect_left(done, trig)
    if before:
        return Match(i, before - 1, Status.MET, trig.at, None)
    after = bisect_right(done, trig)
    if after < len(done):
        late = record_second(done[after].at) - record_second(trig.at)
        return Match(i, after, Status.OUT_OF_ORDER, trig.at, float(late))
    return Match(i, None, unanswered(trig.at, before_trigger=True, now=now, ended=ended), trig.at, None)


# --- which journal entries trigger and answer --------------------------------------------------


def mark(entry: Entry) -> Mark:
    return Mark(entry.at, entry.seq)


class ProtocolIndex:
    """The corrected journal indexed for scoring, folded entry by entry: the first start of the clock,
    each event's raising entries, each action's entries (a published statement counts as its action),
    each kept in record order."""

    def __init__(self, scenario: Scenario, entries: Iterable[Entry] = ()) -> None:
        self.start: Entry | None = None
        self.events: dict[str, list[Entry]] = {}
        self.actions: dict[str, list[Entry]] = {}
        self.messages: dict[str, list[Entry]] = {}
        """Messages delivered and resource requests made (one key, ''), in record order: how an event
        is passed on (a notification the engine carries is a message delivered too)."""
        self.answers: dict[str, list[Entry]] = {}
        """Each agency's entries of each action (key ``"agency action"``), in record order: what can
        answer a protocol, without going through every agency's entries of the action."""
        self.injects: dict[str, Inject] = {i.id: i for i in scenario.msel}
        self.simulated = frozenset(a.id for a in scenario.agencies if a.played_by is PlayedBy.SIMULATION)
        self._unsorted: set[tuple[str, str]] = set()
        self._unknown: dict[str, list[Entry]] = {}
        """Deliveries of an inject not (yet) added: an index folded in any order ends the same."""
        self._answer_marks: dict[str, list[Mark]] = {}
        """``answers``' places in the record, made as each entry comes: a live page scores every
        protocol at each new head, and making them there would walk every action logged so far."""
        for e in entries:
            self.add(e)

    def copy(self) -> ProtocolIndex:
        """An index of the same entries that folds on apart from this one: a record kept at one
        journal head holds its copy while the live page's index takes in the next entries. Only the
        lists are copied (no entry is), so it costs little beside folding one entry."""
        out = ProtocolIndex.__new__(ProtocolIndex)
        out.start, out.injects, out.simulated = self.start, dict(self.injects), self.simulated
        out.events, out.actions, out.messages, out.answers = (
            {k: list(v) for k, v in table.items()} for table in (self.events, self.actions, self.messages, self.answers))
        out._unsorted, out._unknown = set(self._unsorted), {k: list(v) for k, v in self._unknown.items()}
        out._answer_marks = {k: list(v) for k, v in self._answer_marks.items()}
        return out

    def add(self, e: Entry) -> None:
        """Take in the next entry of the corrected journal."""
        p = e.payload
        if isinstance(p, ClockStarted):
            if self.start is None or mark(e) < mark(self.start):
                self.start = e
        elif isinstance(p, (MessageDelivered, ResourceRequested)):  # a tuple: cheaper than a union, per entry
            self._append("message", self.messages, "", e)
        elif isinstance(p, (ActionLogged, StatementIssued)):
            self._append("action", self.actions, p.action, e)
            self._append("answer", self.answers, f"{e.agency} {p.action}", e)
            self._answer_marks.setdefault(f"{e.agency} {p.action}", []).append(mark(e))
        else:
            if isinstance(p, InjectAdded) and p.inject.id not in self.injects:
                self.injects[p.inject.id] = p.inject
                for delivery in self._unknown.pop(p.inject.id, ()):
                    self._raise(p.inject.raises, delivery)
            elif isinstance(p, InjectDelivered):
                if p.inject_id in self.injects:
                    self._raise(self.injects[p.inject_id].raises, e)
                else:
                    self._unknown.setdefault(p.inject_id, []).append(e)
            elif isinstance(p, (Development, RumourStarted)):
                self._raise(p.raises, e)

    def _raise(self, raised: tuple[str, ...], e: Entry) -> None:
        for name in dict.fromkeys(raised):  # an entry raising an event twice triggers it once
            self._append("event", self.events, name, e)

    def _append(self, kind: str, table: dict[str, list[Entry]], key: str, e: Entry) -> None:
        found = table.setdefault(key, [])
        # ``mark``'s order, compared as plain tuples: this runs for most entries of a journal folded.
        if found and (e.at, e.seq) < (found[-1].at, found[-1].seq):
            self._unsorted.add((kind, key))
        found.append(e)

    def _ordered(self, kind: str, table: dict[str, list[Entry]], key: str) -> list[Entry]:
        found = table.get(key, [])
        if (kind, key) in self._unsorted:
            found.sort(key=mark)
            self._unsorted.discard((kind, key))
            if kind == "answer":
                self._answer_marks[key] = [mark(e) for e in found]
        return found

    def action_entries(self, action: str) -> list[Entry]:
        return self._ordered("action", self.actions, action)

    def event_entries(self, event: str) -> list[Entry]:
        return self._ordered("event", self.events, event)

    def triggers(self, protocol: Protocol) -> list[Entry]:
        """Every entry that started this protocol's clock, in record order."""
        trigger = protocol.trigger
        if trigger.kind == "exercise_start":
            return [self.start] if self.start is not None else []
        if trigger.name is None:
            return []
        if trigger.kind == "event":
            return self.event_entries(trigger.name)
        if len(trigger.agencies) == 1:  # that agency's entries of the action, without filtering them all
            return self._ordered("answer", self.answers, f"{trigger.agencies[0]} {trigger.name}")
        found = self.action_entries(trigger.name)
        return [e for e in found if e.agency in trigger.agencies] if trigger.agencies else found

    def reached(self, protocol: Protocol, trigger: Entry) -> bool:
        """Whether the trigger reached the protocol's agency: always for the start of play and an
        action (its notification is the acting agency's to make); for an event, an inject delivered
        to the agency, a rumour (the public's media, which every desk reads), or any event when the
        simulation plays the agency (it reacts as it is raised), or a development the simulation cell
        told the agency of (a general model's ``tells``). Any other development reached no player."""
        if protocol.trigger.kind != "event" or protocol.agency in self.simulated:
            return True
        p = trigger.payload
        if isinstance(p, InjectDelivered):
            return protocol.agency in p.to
        if isinstance(p, Development):
            return protocol.agency in p.told
        return isinstance(p, RumourStarted)

    def told(self, protocol: Protocol, trigger: Entry) -> Entry | None:
        """The entry that told the protocol's agency of the trigger: the trigger itself when it
        reached the agency (``reached``); else the first message delivered to the agency (or resource
        request made of it), after the trigger, from an agency that knew of it by the time it sent
        it (the inject's recipients and the agencies the simulation plays know at once; an agency a
        message told knows from its delivery on, so a relay of relays counts); None when nothing
        told it."""
        if self.reached(protocol, trigger):
            return trigger
        p = trigger.payload
        knew = dict.fromkeys(self.simulated, trigger.at)
        if isinstance(p, InjectDelivered | Development):
            knew.update(dict.fromkeys(p.to if isinstance(p, InjectDelivered) else p.told, trigger.at))
        messages = self._ordered("message", self.messages, "")
        for m in messages[bisect_right(messages, mark(trigger), key=mark):]:
            sender, to, sent_at = _passed_on(m)
            if to in knew or sender not in knew or knew[sender] > sent_at:
                continue
            if to == protocol.agency:
                return m
            knew[to] = m.at
        return None

    def expected(self, protocol: Protocol) -> list[Entry]:
        """The responsible agency's actions that can answer the protocol, in record order."""
        return self._ordered("answer", self.answers, f"{protocol.agency} {protocol.action}")

    def extent(self, protocol: Protocol) -> tuple[object, int]:
        """How much there is of what ``protocol``'s instances rest on, the messages that pass an event
        on aside (``message_count``): its triggers and its agency's expected actions. Each list only
        grows as the index folds, so an instance scored at one extent is the same at a later head of
        the same fold unless this, the messages it rests on (``rests_on_messages``) or the end of
        play moved."""
        trigger = protocol.trigger
        if trigger.kind == "exercise_start":
            triggers: object = None if self.start is None else mark(self.start)
        elif trigger.name is None:
            triggers = 0
        elif trigger.kind == "event":
            triggers = len(self.event_entries(trigger.name))
        else:
            triggers = len(self.action_entries(trigger.name))
        return triggers, len(self.expected(protocol))

    def message_count(self) -> int:
        return len(self.messages.get("", ()))

    def expected_marks(self, protocol: Protocol) -> list[Mark]:
        """``expected``'s places in the record (``mark`` of each), in the same order."""
        self.expected(protocol)
        return self._answer_marks.get(f"{protocol.agency} {protocol.action}", [])


def _passed_on(entry: Entry) -> tuple[str | None, str, float]:
    """(from, to, when sent) of a message delivered or a resource request: a request tells the
    agency asked of what the asking agency knew when it asked."""
    p = entry.payload
    if isinstance(p, MessageDelivered):
        return p.sender, p.to, p.sent_at
    assert isinstance(p, ResourceRequested)
    return entry.agency, p.to, entry.at


class Scored(NamedTuple):
    """One instance of a protocol held against the journal, with its entries."""

    protocol: Protocol
    trigger: Entry
    answer: Entry | None
    status: Status
    due_at: float
    late_by: float | None
    reminders: tuple[Entry, ...] = ()
    """Later triggers by the same agency that chased this one while it was unanswered."""
    told: Entry | None = None
    """The message that told the agency of the trigger, when it was not the trigger itself: the
    instance runs from it."""


def rests_on_messages(scored: Iterable[Scored]) -> bool:
    """Whether a protocol's instances rest on the messages that pass an event on: one of its
    triggers reached the agency by a message, or by none (a later message could still tell it)."""
    return any(one.told is not None or one.status is Status.NOT_REACHED for one in scored)


def reminders_apply(protocol: Protocol) -> bool:
    """Whether a repeat of this protocol's trigger by the same agency can be a reminder: action
    triggers (requests, notifications), unless the plan makes each repeat a new request."""
    return protocol.trigger.kind == "action" and protocol.repeats is Repeats.REMINDER


def score_protocol(protocol: Protocol, index: ProtocolIndex, *, now: float, ended: bool) -> list[Scored]:
    """Every instance of ``protocol`` in the indexed journal, in trigger order. An instance runs from
    the moment its trigger reached the agency (``ProtocolIndex.told``); one that never did is ``not
    reached``, outside the matching."""
    triggers, done = index.triggers(protocol), index.expected(protocol)
    told = [(t, index.told(protocol, t)) for t in triggers]
    reached = sorted(((t, k) for t, k in told if k is not None), key=lambda pair: mark(pair[1]))
    matches = match_instances(
        [mark(k) for _, k in reached], index.expected_marks(protocol),
        within=protocol.within, before_trigger=protocol.before_trigger, now=now, ended=ended,
        askers=[t.agency for t, _ in reached] if reminders_apply(protocol) else None,
    )
    found = [
        Scored(protocol, reached[m.trigger][0], None if m.answer is None else done[m.answer],
               m.status, m.due_at, m.late_by, tuple(reached[r][0] for r in m.reminders),
               None if reached[m.trigger][1] is reached[m.trigger][0] else reached[m.trigger][1])
        for m in matches
    ]
    found += [Scored(protocol, t, None, Status.NOT_REACHED, t.at + (protocol.within or 0.0), None)
              for t, k in told if k is None]
    found.sort(key=lambda one: mark(one.trigger))
    return found


def expected_action_done(delivery: Entry, pool: Sequence[Entry]) -> Entry | None:
    """An MSEL inject's expected action, done: its first logging (``pool``, that action's entries in
    record order) by an agency the inject was delivered to, at or after the delivery. An expected
    action has no deadline: done, or not (yet)."""
    payload = delivery.payload
    assert isinstance(payload, InjectDelivered)
    # Found by halving the pool, not by a list of its times: a live page asks at every head.
    start = bisect_left(pool, delivery.at, key=_at)
    return next((e for e in pool[start:] if e.agency in payload.to), None)


def _at(entry: Entry) -> float:
    return entry.at
