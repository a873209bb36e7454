"""The journal entry kinds: the one definition of everything Hotwash ever records.

The engine, the exercise service, the after-action report and the console all read and write
these. An entry is immutable; its ``payload`` is a typed model whose ``kind`` field names it.
A correction is a new entry that points at the one it corrects (``Correction.corrects``).

``NewEntry`` is an entry before the journal gives it a sequence number; ``Entry`` is one as
stored. Storage (hashes, wall time) is the journal's concern, not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from exercises.record.compact import share_fields_set
from exercises.scenario.model import Capability, Id, Inject, InjectId, Rating

MAX_TEXT = 4000
"""Longest free text a user may type into one entry (characters)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Refuse what a database cannot store the same way on SQLite and PostgreSQL: NUL (PostgreSQL
    refuses it in text) and lone surrogates (not UTF-8 at all). Searched by ``re`` in C: every
    text of every entry read passes here, so a Python loop over characters cost most of reading
    a journal."""
    if "\x00" in text:
        raise ValueError("contains a NUL character, which cannot be stored")
    if not text.isascii() and _SURROGATE.search(text):
        raise ValueError("contains an unpaired surrogate, which is not valid Unicode text")
    return text


UserText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(storable)]
AfterEnd = Annotated[bool, Field(exclude_if=lambda v: not v)]
"""Marks an entry recorded after the exercise ended (a post-exercise observation, correction or
improvement-plan edit). Left out of the stored JSON when false, so entries recorded before the
mark existed hash as they always did."""
Scalar = str | int | float | bool


class EntryKind(StrEnum):
    CLOCK_STARTED = "clock_started"
    CLOCK_PAUSED = "clock_paused"
    CLOCK_RESUMED = "clock_resumed"
    CLOCK_SPEED_CHANGED = "clock_speed_changed"
    CLOCK_ENDED = "clock_ended"
    INJECT_DELIVERED = "inject_delivered"
    INJECT_HELD = "inject_held"
    INJECT_RELEASED = "inject_released"
    INJECT_ADDED = "inject_added"
    INJECT_SKIPPED = "inject_skipped"
    ACTION_LOGGED = "action_logged"
    MESSAGE_SENT = "message_sent"
    MESSAGE_DELIVERED = "message_delivered"
    MESSAGE_LOST = "message_lost"
    MESSAGE_NOT_SENT = "message_not_sent"
    RESOURCE_REQUESTED = "resource_requested"
    RESOURCE_ASSIGNED = "resource_assigned"
    RESOURCE_RELEASED = "resource_released"
    LINK_DOWN = "link_down"
    LINK_UP = "link_up"
    OBSERVATION_RECORDED = "observation_recorded"
    IMPROVEMENT_ITEM_EDITED = "improvement_item_edited"
    CORRECTION = "correction"
    DEVELOPMENT = "development"
    RUMOUR_STARTED = "rumour_started"
    RUMOUR_SPREAD = "rumour_spread"
    RUMOUR_ADDRESSED = "rumour_addressed"
    MEDIA_ITEM_PUBLISHED = "media_item_published"
    MEDIA_ITEM_ADDED = "media_item_added"
    TRUST_CHANGED = "trust_changed"
    STATEMENT_ISSUED = "statement_issued"
    EVALUATOR_ASSIGNED = "evaluator_assigned"
    CAPABILITY_RATED = "capability_rated"
    RATING_RECONCILED = "rating_reconciled"
    HOT_WASH_POINT = "hot_wash_point"
    FEEDBACK_SUBMITTED = "feedback_submitted"
    DETAILS_SET = "details_set"
    BASELINE_STORED = "baseline_stored"
    ANALYSIS_ACCEPTED = "analysis_accepted"


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        share_fields_set(self)  # a long journal is held whole by its readers (compact.py says why)


# --- the exercise clock (controllers) ---------------------------------------------------


class ClockStarted(Payload):
    kind: Literal[EntryKind.CLOCK_STARTED] = EntryKind.CLOCK_STARTED
    speed: Annotated[float, Field(gt=0, le=120)] = 1.0
    """Exercise seconds per wall-clock second."""
    engine_behaviour: Annotated[int | None, Field(ge=1, exclude_if=lambda v: v is None)] = None
    """The behaviour version of the simulation engine that started the exercise: only an engine of
    the same behaviour can continue it. None (left out of the stored JSON, so older entries hash as
    they always did): started before versions were recorded, which is behaviour ``FIRST_BEHAVIOUR``."""


FIRST_BEHAVIOUR = 1
"""The engine's behaviour before its version was recorded in the journal."""


class ClockPaused(Payload):
    kind: Literal[EntryKind.CLOCK_PAUSED] = EntryKind.CLOCK_PAUSED


class ClockResumed(Payload):
    kind: Literal[EntryKind.CLOCK_RESUMED] = EntryKind.CLOCK_RESUMED


class ClockSpeedChanged(Payload):
    kind: Literal[EntryKind.CLOCK_SPEED_CHANGED] = EntryKind.CLOCK_SPEED_CHANGED
    speed: Annotated[float, Field(gt=0, le=120)]


class ClockEnded(Payload):
    kind: Literal[EntryKind.CLOCK_ENDED] = EntryKind.CLOCK_ENDED


# --- injects ----------------------------------------------------------------------------


class InjectDelivered(Payload):
    """An inject reached its recipients (by the MSEL schedule, a release, or an addition)."""

    kind: Literal[EntryKind.INJECT_DELIVERED] = EntryKind.INJECT_DELIVERED
    inject_id: InjectId
    to: tuple[Id, ...]


class InjectHeld(Payload):
    kind: Literal[EntryKind.INJECT_HELD] = EntryKind.INJECT_HELD
    inject_id: InjectId
    reason: UserText = ""


class InjectReleased(Payload):
    """A controller releases an inject now: a held one, or one ahead of its MSEL time."""

    kind: Literal[EntryKind.INJECT_RELEASED] = EntryKind.INJECT_RELEASED
    inject_id: InjectId
    override: bool = False
    """A contingency inject released although its condition did not hold: delivered anyway."""

    @model_serializer(mode="wrap")
    def _without_default_override(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # An ordinary release is recorded exactly as before the override existed (same hash).
        data: dict[str, Any] = handler(self)
        if not data.get("override"):
            data.pop("override", None)
        return data


class InjectAdded(Payload):
    """A controller adds an inject that is not on the MSEL; it is delivered at ``inject.time``."""

    kind: Literal[EntryKind.INJECT_ADDED] = EntryKind.INJECT_ADDED
    inject: Inject


class InjectSkipped(Payload):
    """A contingency inject whose condition was not met at its time."""

    kind: Literal[EntryKind.INJECT_SKIPPED] = EntryKind.INJECT_SKIPPED
    inject_id: InjectId
    reason: str


# --- what agencies do and say -----------------------------------------------------------


class ActionLogged(Payload):
    kind: Literal[EntryKind.ACTION_LOGGED] = EntryKind.ACTION_LOGGED
    action: Id
    text: UserText = ""
    inject_id: InjectId | None = None


class MessageSent(Payload):
    kind: Literal[EntryKind.MESSAGE_SENT] = EntryKind.MESSAGE_SENT
    message_id: Annotated[str, Field(min_length=1, max_length=64)]
    to: Id
    text: UserText
    categories: Annotated[tuple[Id, ...], Field(max_length=32, exclude_if=lambda v: not v)] = ()
    """Information categories the message carries (the response plans' ``categories``). Left out of
    the stored JSON when empty, so messages recorded before categories existed hash as they did."""
    due_at: Annotated[float | None, Field(ge=0, exclude_if=lambda v: v is None)] = None
    """When the record says the message was expected to reach its recipient (an incident log's
    *Due by*): delivered later is an information failure. Left out of the stored JSON when None."""
    relay_to: Annotated[tuple[Id, ...], Field(max_length=32, exclude_if=lambda v: not v)] = ()
    """Who the recipient should pass the message on to (an incident log's *Relay to*): not passed
    on is an information failure. Left out of the stored JSON when empty."""


class MessageDelivered(Payload):
    kind: Literal[EntryKind.MESSAGE_DELIVERED] = EntryKind.MESSAGE_DELIVERED
    message_id: Annotated[str, Field(min_length=1, max_length=64)]
    sender: Id
    to: Id
    path: tuple[Id, ...]
    sent_at: float
    about: Id | None = None
    """For a notification the engine carries: the action it reports (a protocol trigger)."""


class MessageLost(Payload):
    kind: Literal[EntryKind.MESSAGE_LOST] = EntryKind.MESSAGE_LOST
    message_id: Annotated[str, Field(min_length=1, max_length=64)]
    sender: Id
    to: Id
    reason: str
    """'no working path' or 'lost on link a-b'."""
    path: tuple[Id, ...] = ()
    """The agencies the message reached, from the sender; on a lost link, ending with its far end."""
    lost_on: tuple[Id, Id] | None = None
    """The link the message was lost on (None when there was no working path)."""
    about: Id | None = None
    """For a notification the engine carries: the action it reports (a protocol trigger)."""


class MessageNotSent(Payload):
    """A message the record says should have been sent and was not (an incident log's row with
    *Sent* no): nobody called. An information failure of the sender, never of a link. The entry's
    time is when the message was due to be sent; its agency is the sender."""

    kind: Literal[EntryKind.MESSAGE_NOT_SENT] = EntryKind.MESSAGE_NOT_SENT
    message_id: Annotated[str, Field(min_length=1, max_length=64)]
    to: Id
    text: UserText
    about: Id | None = None
    """The action the message would have performed (a notification the plans require)."""


class ResourceRequested(Payload):
    kind: Literal[EntryKind.RESOURCE_REQUESTED] = EntryKind.RESOURCE_REQUESTED
    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    to: Id
    unit_type: Id
    count: Annotated[int, Field(ge=1, le=10_000)]
    text: UserText = ""


class ResourceAssigned(Payload):
    kind: Literal[EntryKind.RESOURCE_ASSIGNED] = EntryKind.RESOURCE_ASSIGNED
    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    requester: Id
    unit_type: Id
    count: Annotated[int, Field(ge=1, le=10_000)]
    queue_wait: Annotated[float, Field(ge=0)] = 0.0
    """Seconds the request waited for free units (0 when units were free)."""


class ResourceReleased(Payload):
    kind: Literal[EntryKind.RESOURCE_RELEASED] = EntryKind.RESOURCE_RELEASED
    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    unit_type: Id
    count: Annotated[int, Field(ge=1, le=10_000)]


class LinkDown(Payload):
    kind: Literal[EntryKind.LINK_DOWN] = EntryKind.LINK_DOWN
    between: tuple[Id, Id]
    reason: str = ""


class LinkUp(Payload):
    kind: Literal[EntryKind.LINK_UP] = EntryKind.LINK_UP
    between: tuple[Id, Id]


# --- evaluation and the record ----------------------------------------------------------


TargetKey = Annotated[str, Field(pattern=r"^(msel|plan\.[a-z][a-z0-9_]{0,47}|[a-z][a-z0-9_]{0,47})$")]
"""A capability target of an EEG: ``msel``, ``plan.<plan id>``, or a designer's target id."""


class ObservationRecorded(Payload):
    kind: Literal[EntryKind.OBSERVATION_RECORDED] = EntryKind.OBSERVATION_RECORDED
    capability: Capability
    objective: Id | None = None
    critical_task: UserText = ""
    rating: Rating | None = None
    strengths: UserText = ""
    areas_for_improvement: UserText = ""
    text: UserText = ""
    after_end: AfterEnd = False
    element: Literal["planning", "organization", "equipment", "training", "exercise"] | None = None
    """The capability element (POETE) the evaluator files the area for improvement under."""
    target: Annotated[TargetKey | None, Field(exclude_if=lambda v: v is None)] = None
    """The capability target of the EEG the observation is recorded against (``aar.eeg``: a
    designer's target id, ``plan.<plan id>`` or ``msel``), with ``objective`` and ``capability``."""
    rationale: Annotated[UserText, Field(exclude_if=lambda v: not v)] = ""
    """Why the rating: the EEG's explanation of the target rating."""


IMPROVEMENT_FIELDS = (
    "capability",
    "issue",
    "corrective_action",
    "element",
    "responsible_agency",
    "point_of_contact",
    "start_date",
    "completion_date",
)
"""The HSEEP Improvement Plan's columns (Appendix A): what an edit may change."""
CAPABILITY_ELEMENTS = (  # POETE
    "planning",
    "organization",
    "equipment",
    "training",
    "exercise",
)


class ImprovementItemEdited(Payload):
    """A controller's edit of one Improvement Plan row (keyed by the draft row's key)."""

    kind: Literal[EntryKind.IMPROVEMENT_ITEM_EDITED] = EntryKind.IMPROVEMENT_ITEM_EDITED
    item_key: Annotated[str, Field(min_length=1, max_length=128)]
    fields: dict[Id, UserText]
    after_end: AfterEnd = False


class Correction(Payload):
    """Points at an earlier entry and voids it, or replaces it with ``replacement``."""

    kind: Literal[EntryKind.CORRECTION] = EntryKind.CORRECTION
    corrects: Annotated[int, Field(ge=1)]
    reason: UserText
    replacement: ActionLogged | ObservationRecorded | None = None
    after_end: AfterEnd = False


# --- several evaluators: assignments, ratings kept apart, the lead's reconciliation -----------

EvaluatorName = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(storable)]
"""An evaluator as named at sign-in (``Caller.name``): who the assignment and the ratings are of."""


class EvaluatorAssigned(Payload):
    """A controller assigns a named evaluator to a capability and/or an agency, or names the lead
    evaluator (who sees every rating and reconciles them). The latest lead named is the lead."""

    kind: Literal[EntryKind.EVALUATOR_ASSIGNED] = EntryKind.EVALUATOR_ASSIGNED
    evaluator: EvaluatorName
    capability: Capability | None = None
    agency: Id | None = None
    lead: bool = False
    after_end: AfterEnd = False


class CapabilityRated(Payload):
    """One evaluator's P/S/M/U rating of a capability (for an objective, or none named) with its
    reason, kept apart from the other evaluators' until the lead evaluator reconciles them. An
    evaluator revises a rating by rating again: their latest one counts."""

    kind: Literal[EntryKind.CAPABILITY_RATED] = EntryKind.CAPABILITY_RATED
    capability: Capability
    objective: Id | None = None
    rating: Rating | None
    """Always given when recorded; None only in the copy another evaluator reads before the lead
    evaluator reconciles (the rating and its reason withheld)."""
    reason: UserText = ""
    after_end: AfterEnd = False


class RatingReconciled(Payload):
    """The lead evaluator's final rating of a capability, with the reason, after weighing the
    evaluators' ratings (``ratings``: the seqs of the ones weighed)."""

    kind: Literal[EntryKind.RATING_RECONCILED] = EntryKind.RATING_RECONCILED
    capability: Capability
    objective: Id | None = None
    rating: Rating
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(storable)]
    ratings: tuple[Annotated[int, Field(ge=1)], ...] = ()
    after_end: AfterEnd = False


MAX_ANALYSIS = 20_000
"""Longest capability analysis (characters): a draft cites many findings and observations."""


class AnalysisAccepted(Payload):
    """The lead evaluator's accepted analysis of a capability (for an objective, or none named): the
    draft Hotwash wrote from the findings, observations and evaluators' explanations, as accepted or
    edited. What the report prints; the latest accepted for a capability counts (a later edit is a
    new entry)."""

    kind: Literal[EntryKind.ANALYSIS_ACCEPTED] = EntryKind.ANALYSIS_ACCEPTED
    capability: Capability
    objective: Id | None = None
    text: Annotated[str, Field(min_length=1, max_length=MAX_ANALYSIS), AfterValidator(storable)]
    edited: bool = False
    """Whether the lead evaluator changed the draft before accepting it."""
    after_end: AfterEnd = False


class HotWashPoint(Payload):
    """What an agency's participants said at the hot wash right after play, as the facilitator
    records it (the entry's ``agency``): a strength or an area for improvement, attributed to who
    said it. Participants' views, kept distinct from evaluators' findings."""

    kind: Literal[EntryKind.HOT_WASH_POINT] = EntryKind.HOT_WASH_POINT
    point: Literal["strength", "area_for_improvement"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(storable)]
    said_by: Annotated[str, Field(min_length=1, max_length=120), AfterValidator(storable)]
    """The participant (name, position) who said it, as they gave it."""
    after_end: AfterEnd = False


FEEDBACK_STATEMENTS: dict[str, str] = {
    "structured": "The exercise was well structured and organized.",
    "realistic": "The exercise scenario was plausible and realistic.",
    "facilitation": "The facilitators and controllers knew the area of play and kept the exercise on target.",
    "documentation": "The exercise documentation was a valuable tool throughout the exercise.",
    "appropriate": "Participation in the exercise was appropriate for someone in my position.",
    "right_people": "The participants included the right people in level and mix of disciplines.",
}
"""Part II of the HSEEP Participant Feedback Form: exercise design and conduct, each rated from 1
(strongly disagree) to 5 (strongly agree)."""
FEEDBACK_QUESTIONS: dict[str, str] = {
    "strengths_and_improvements": "The three most important strengths and areas for improvement you saw.",
    "unobserved": "Anything you saw that the evaluators may not have been able to observe and record.",
    "action_steps": "Action steps to address the issues, each with its priority (high, medium, low).",
    "plans_to_review": "Policies, plans or procedures to review, revise or develop.",
    "changes": "What you would change to improve this exercise.",
}
"""Parts I and III of the form: free text."""

Agreement5 = Annotated[int, Field(ge=1, le=5)]


class FeedbackSubmitted(Payload):
    """A participant's HSEEP Participant Feedback Form (the entry's actor and agency: who filled it)."""

    kind: Literal[EntryKind.FEEDBACK_SUBMITTED] = EntryKind.FEEDBACK_SUBMITTED
    ratings: dict[Literal["structured", "realistic", "facilitation", "documentation", "appropriate",
                          "right_people"], Agreement5] = Field(default_factory=dict)
    answers: dict[Literal["strengths_and_improvements", "unobserved", "action_steps", "plans_to_review",
                          "changes"], UserText] = Field(default_factory=dict)
    after_end: AfterEnd = False


# --- the exercise's details (controllers) ----------------------------------------------------

CONTACT_ROLES = ("Exercise director", "Evaluation lead", "Sponsor")
"""The points of contact an AAR/IP names (HSEEP, Appendix C)."""
RECORD_KINDS = ("exercise", "real_incident")
LATEST_WALL_TIME = 253_402_300_799.0
"""The last second of the year 9999."""
ContactText = Annotated[str, Field(max_length=200), AfterValidator(storable)]


class PointOfContact(BaseModel):
    """One point of contact as recorded. A key it does not know is ignored, never fatal: whatever
    a stored contact carries, the report still prints (verify names a payload that was changed)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    role: Literal["Exercise director", "Evaluation lead", "Sponsor"]
    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(storable)]
    organization: ContactText = ""
    contact: ContactText = ""


class DetailsSet(Payload):
    """The exercise's details as its controller set them, at creation or import or later: when
    exercise time 0:00 was on the wall (Unix seconds, shown in ``timezone``), whether the record
    is an exercise or a real incident, and its points of contact. The latest such entry is what
    holds; an earlier one is corrected by recording the details again."""

    kind: Literal[EntryKind.DETAILS_SET] = EntryKind.DETAILS_SET
    record_kind: Literal["exercise", "real_incident"] = "exercise"
    real_start: Annotated[float | None, Field(ge=0, le=LATEST_WALL_TIME)] = None
    timezone: Annotated[str | None, Field(min_length=1, max_length=64), AfterValidator(lambda v: v and storable(v))] = None
    contacts: Annotated[tuple[PointOfContact, ...], Field(max_length=12)] = ()
    after_end: AfterEnd = False


class BaselineStored(Payload):
    """A simulated baseline kept with the exercise: its JSON beside the record (it is large and
    derived), its SHA-256 here, so the baseline the report prints is the one recorded."""

    kind: Literal[EntryKind.BASELINE_STORED] = EntryKind.BASELINE_STORED
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    after_end: AfterEnd = False


class Development(Payload):
    """A simulated incident development: a patient deteriorates, a crowd escalates, fire spreads."""

    kind: Literal[EntryKind.DEVELOPMENT] = EntryKind.DEVELOPMENT
    model: Literal["crowd", "casualties", "fire", "general"]
    what: Id
    detail: dict[Id, Scalar] = Field(default_factory=dict)
    raises: tuple[Id, ...] = ()
    """Events this development raises (protocol triggers), like an inject's ``raises``."""
    told: Annotated[tuple[Id, ...], Field(exclude_if=lambda v: not v)] = ()
    """Agencies the simulation cell told of it, as of an inject delivered to them (a general model's
    ``tells``); left out of the stored JSON when none, so entries without it hash as before."""


# --- the public-information environment (media layer) --------------------------------------

Reach = Annotated[int, Field(ge=0, le=100_000_000)]


class RumourStarted(Payload):
    """A rumour from the scenario's media section starts spreading (its first post is ``text``)."""

    kind: Literal[EntryKind.RUMOUR_STARTED] = EntryKind.RUMOUR_STARTED
    rumour_id: Id
    topic: Id
    outlet: Id
    text: str
    reach: Reach
    raises: tuple[Id, ...] = ()
    """Events the rumour raises (protocol triggers)."""


class RumourSpread(Payload):
    """A rumour's reach at a media step (growing until addressed, then decaying)."""

    kind: Literal[EntryKind.RUMOUR_SPREAD] = EntryKind.RUMOUR_SPREAD
    rumour_id: Id
    reach: Reach
    growing: bool


class RumourAddressed(Payload):
    """An official statement addressed the rumour's topic (``agency`` of the entry: who); its growth stops."""

    kind: Literal[EntryKind.RUMOUR_ADDRESSED] = EntryKind.RUMOUR_ADDRESSED
    rumour_id: Id
    topic: Id
    reach: Reach
    """Its reach when addressed (the last one recorded)."""


class MediaItemPublished(Payload):
    """A post or news item the simulated public and press publish."""

    kind: Literal[EntryKind.MEDIA_ITEM_PUBLISHED] = EntryKind.MEDIA_ITEM_PUBLISHED
    item_id: Annotated[str, Field(min_length=1, max_length=64)]
    outlet: Id
    text: str
    reach: Reach
    topic: Id | None = None
    cause: str = ""
    """What the item reacts to: 'action use_force', 'statement', 'silence', 'inject CD-04', ..."""


class MediaItemAdded(Payload):
    """A controller adds a post or news item live; it may start one of the scenario's rumours."""

    kind: Literal[EntryKind.MEDIA_ITEM_ADDED] = EntryKind.MEDIA_ITEM_ADDED
    outlet: Id
    text: UserText
    reach: Reach = 0
    """0: the outlet's own reach."""
    topic: Id | None = None
    starts_rumour: Id | None = None


class TrustChanged(Payload):
    """The community-trust index (0 to 100) moved, by one driver."""

    kind: Literal[EntryKind.TRUST_CHANGED] = EntryKind.TRUST_CHANGED
    trust: Annotated[float, Field(ge=0, le=100)]
    change: float
    driver: Literal["unanswered_rumour", "rumour_answered", "silence", "action"]
    about: str = ""
    """The rumours unanswered, the rumour answered, or the action."""


class StatementIssued(Payload):
    """The public information officer's agency publishes an official statement on named topics."""

    kind: Literal[EntryKind.STATEMENT_ISSUED] = EntryKind.STATEMENT_ISSUED
    action: Id
    """The statement action of the scenario's vocabulary it counts as (scoring, protocols)."""
    topics: tuple[Id, ...] = ()
    text: UserText


AnyPayload = Annotated[
    ClockStarted
    | ClockPaused
    | ClockResumed
    | ClockSpeedChanged
    | ClockEnded
    | InjectDelivered
    | InjectHeld
    | InjectReleased
    | InjectAdded
    | InjectSkipped
    | ActionLogged
    | MessageSent
    | MessageDelivered
    | MessageLost
    | MessageNotSent
    | ResourceRequested
    | ResourceAssigned
    | ResourceReleased
    | LinkDown
    | LinkUp
    | ObservationRecorded
    | ImprovementItemEdited
    | Correction
    | Development
    | RumourStarted
    | RumourSpread
    | RumourAddressed
    | MediaItemPublished
    | MediaItemAdded
    | TrustChanged
    | StatementIssued
    | EvaluatorAssigned
    | CapabilityRated
    | RatingReconciled
    | HotWashPoint
    | FeedbackSubmitted
    | DetailsSet
    | BaselineStored
    | AnalysisAccepted,
    Field(discriminator="kind"),
]

ENGINE_ACTOR = "engine"
"""The actor of every entry the simulation produced."""


class NewEntry(BaseModel):
    """An entry not yet in the journal: the time it happened (exercise seconds), who, what."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: Annotated[float, Field(ge=0)]
    agency: Id | None = None
    actor: Annotated[str, Field(min_length=1, max_length=128)]
    payload: AnyPayload

    def model_post_init(self, context: Any, /) -> None:
        share_fields_set(self)

    @property
    def kind(self) -> EntryKind:
        return self.payload.kind

    @property
    def simulated(self) -> bool:
        return self.actor == ENGINE_ACTOR


class Entry(NewEntry):
    """A journal entry: ``seq`` counts from 1 within one exercise, gapless."""

    seq: Annotated[int, Field(ge=1)]


def started_behaviour(entries: Sequence[Entry]) -> int | None:
    """The engine behaviour an exercise was started with; None before its clock started."""
    for entry in entries:
        if isinstance(entry.payload, ClockStarted):
            return entry.payload.engine_behaviour or FIRST_BEHAVIOUR
    return None
