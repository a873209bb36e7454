"""The live views of one exercise folded entry by entry: an agency's inbox and log, the media feed and
the trust curve, beside the MSEL's and the protocol clock's folders.

The journal only grows, so a live page's views at a new head are the views at the previous head
with the new entries folded in: each fold costs what the new entries cost, whatever the journal's
length. Every folder gives exactly what its pure function (``inbox``, ``agency_log``,
``media_feed``, ``trust_curve``) gives on the same journal; a Hypothesis test holds them equal on
generated journals, folded in random steps.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from exercises.record.entries import (
    Correction,
    Entry,
    EntryKind,
    InjectAdded,
    InjectDelivered,
    MediaItemAdded,
    MediaItemPublished,
    MessageSent,
    ResourceRequested,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    StatementIssued,
    TrustChanged,
)
from exercises.scenario.model import Inject, Scenario
from exercises.views.media_feed import FeedItem, TrustPoint, feed_item, rumour_update
from exercises.views.timeline import (
    OWN_LOG_KINDS,
    InboxItem,
    TimelineItem,
    addressed_to,
    addressees,
    in_own_log,
    inbox_item,
    timeline_item,
)
from exercises.views.wording import Words, words


class JournalWords:
    """What describing an entry needs from the journal before it: the injects added, the messages
    sent, the requests made. Folded as the journal grows, shared by an exercise's agency folders."""

    def __init__(self, scenario: Scenario) -> None:
        self.injects: dict[str, Inject] = {i.id: i for i in scenario.msel}
        self.sent: dict[str, MessageSent] = {}
        base = words(scenario)
        self.requests: dict[str, tuple[str | None, str]] = {}
        self.words = Words(base.agencies, base.vocab, self.requests, base.unit_types)

    def add(self, e: Entry) -> None:
        p = e.payload
        if isinstance(p, InjectAdded):
            self.injects.setdefault(p.inject.id, p.inject)
        elif isinstance(p, MessageSent):
            self.sent[p.message_id] = p
        elif isinstance(p, ResourceRequested):
            self.requests[p.request_id] = (e.agency, p.to)


class AgencyFolder:
    """One agency's inbox and log (``views.inbox``, ``views.agency_log``) folded entry by entry.

    Folding keeps the entries and what changed; the items are described when the inbox or the log
    is read, and then only the entries not described yet: a process serving a controller's or an
    evaluator's page never describes an agency's entries it does not show, and a player's page only
    its own agency's (after a restart the whole journal is folded at once: describing every
    agency's entries there was most of the fold)."""

    def __init__(self, scenario: Scenario, agency: str, known: JournalWords) -> None:
        self.scenario, self.agency, self.known = scenario, agency, known
        self._inbox: list[InboxItem] = []
        self._inbox_waiting: list[Entry] = []
        """Entries that reached the agency, not described yet."""
        self._log: list[TimelineItem] = []
        """The log's first items, described."""
        self._log_entries: list[Entry] = []
        self._log_at: dict[int, int] = {}
        """Entry seq -> its place in the log (a correction marks the entry it corrects)."""
        self._fixes: dict[int, Entry] = {}
        """Entry seq -> its latest correction, for a log entry not described yet."""
        self._undelivered: dict[str, list[Entry]] = {}
        """Injects delivered before the journal added them: shown once the addition is folded."""
        self.changed = 0
        """The last entry that changed what this agency's pages show of these views."""

    @property
    def inbox(self) -> list[InboxItem]:
        """What reached the agency, by sequence (described as read: call under the owner's lock)."""
        for e in self._inbox_waiting:
            item = inbox_item(e, self.known.injects, self.known.sent, self.known.words)
            if item is not None:
                bisect.insort(self._inbox, item, key=lambda i: i.seq)
        self._inbox_waiting.clear()
        return self._inbox

    @property
    def log(self) -> list[TimelineItem]:
        """What the agency did, its corrections marked (described as read, under the owner's lock)."""
        for e in self._log_entries[len(self._log):]:
            self._log.append(timeline_item(e, self.known.words, self.known.injects, self._fixes.pop(e.seq, None)))
        return self._log

    def add(self, e: Entry) -> None:
        """Take in ``e`` (``known`` has taken in the entries before it, and ``e`` itself)."""
        p = e.payload
        if isinstance(p, InjectAdded):
            for waiting in self._undelivered.pop(p.inject.id, []):
                self._to_inbox(waiting)
        if addressed_to(e, self.agency):
            self._to_inbox(e)
        if in_own_log(e, self.agency):
            self._log_at[e.seq] = len(self._log_entries)
            self._log_entries.append(e)
            self.changed = e.seq
        if isinstance(p, Correction) and p.corrects in self._log_at:
            place = self._log_at[p.corrects]
            if place < len(self._log):
                self._log[place] = self._log[place].model_copy(
                    update={"corrected_by": e.seq, "voided": p.replacement is None})
            else:
                self._fixes[p.corrects] = e
            self.changed = e.seq

    def _to_inbox(self, e: Entry) -> None:
        if isinstance(e.payload, InjectDelivered) and e.payload.inject_id not in self.known.injects:
            self._undelivered.setdefault(e.payload.inject_id, []).append(e)
            return
        self._inbox_waiting.append(e)
        self.changed = max(self.changed, e.seq)


class MediaFolder:
    """The media feed and the community-trust curve (``media_feed``, ``trust_curve``) folded."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.items: dict[int, FeedItem] = {}
        self.rumours: dict[str, int] = {}
        self.trust: list[TrustPoint] = [TrustPoint(at=0.0, trust=scenario.media.trust.start)] if scenario.media else []
        self.changed = 0
        self._feed: list[FeedItem] | None = None
        """The feed sorted, kept until an item changes: every page of every role reads it on each run."""

    def add(self, e: Entry) -> None:
        if self.scenario.media is None:
            return
        if isinstance(e.payload, RumourSpread | RumourAddressed | RumourStarted | MediaItemPublished
                      | MediaItemAdded | StatementIssued):
            self._feed = None
        p = e.payload
        if isinstance(p, TrustChanged):
            self.trust.append(TrustPoint(at=e.at, trust=p.trust))
            self.changed = e.seq
        elif isinstance(p, RumourSpread | RumourAddressed):
            if p.rumour_id in self.rumours:
                seq = self.rumours[p.rumour_id]
                self.items[seq] = rumour_update(self.scenario, self.items[seq], e)
                self.changed = e.seq
        elif isinstance(p, RumourStarted | MediaItemPublished | MediaItemAdded | StatementIssued):
            if isinstance(p, RumourStarted):
                self.rumours[p.rumour_id] = e.seq
            self.items[e.seq] = feed_item(self.scenario, e)
            self.changed = e.seq

    def feed(self) -> list[FeedItem]:
        if self._feed is None:
            self._feed = sorted(self.items.values(), key=lambda i: (i.at, i.seq), reverse=True)
        return list(self._feed)


EVALUATION_KINDS = frozenset(
    {EntryKind.OBSERVATION_RECORDED, EntryKind.IMPROVEMENT_ITEM_EDITED, EntryKind.EVALUATOR_ASSIGNED,
     EntryKind.CAPABILITY_RATED, EntryKind.RATING_RECONCILED, EntryKind.HOT_WASH_POINT,
     EntryKind.FEEDBACK_SUBMITTED, EntryKind.ANALYSIS_ACCEPTED}
)
"""Entries by evaluators (and controllers for the improvement plan and assignments)."""


class LiveFolds:
    """An exercise's agency and media views, folded to the journal's head as it grows.

    Not thread-safe on its own: its owner folds and reads it under one lock."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.seen = 0
        self.known = JournalWords(scenario)
        self.media = MediaFolder(scenario)
        self.agencies = {a.id: AgencyFolder(scenario, a.id, self.known) for a in scenario.agencies}
        self.evaluation: list[Entry] = []
        """The evaluation entries and every correction: corrections applied to these give the
        evaluation entries of the corrected journal (a correction of another entry changes none)."""

    def fold(self, entries: Sequence[Entry]) -> None:
        """Take in the entries after the last one folded (``entries`` is the whole journal so far)."""
        for e in entries[self.seen:]:
            self.known.add(e)
            self.media.add(e)
            if e.kind in EVALUATION_KINDS or e.kind is EntryKind.CORRECTION:
                self.evaluation.append(e)
            for folder in self._concerned(e):
                folder.add(e)
        self.seen = max(self.seen, len(entries))

    def _concerned(self, e: Entry) -> list[AgencyFolder]:
        """The agency folders ``e`` can change: those it reached or whose log it is in; every one for
        an added inject (a delivery waiting for it) or a correction (of an entry in some log)."""
        if e.kind is EntryKind.INJECT_ADDED or e.kind is EntryKind.CORRECTION:
            return list(self.agencies.values())
        named = {*addressees(e), *((e.agency,) if e.agency and e.kind in OWN_LOG_KINDS else ())}
        return [self.agencies[a] for a in named if a in self.agencies]
