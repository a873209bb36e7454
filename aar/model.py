"""The after-action report as data: what scoring found, before any page is drawn.

Every model here is plain, frozen and JSON round-trippable, so ``findings.json`` carries exactly
what the PDF shows (and more: the PDF caps long lists, the JSON never does).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from aar.names import Names
from aar.public_information import PublicInformation
from exercises.record.compact import share_fields_set
from exercises.scenario.model import Rating
from exercises.scoring import SCORED, Status


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        share_fields_set(self)  # a long record's report holds its evidence and marks by the ten thousand


STATUS_LABEL: dict[Status, str] = {
    Status.MET: "met",
    Status.LATE: "late",
    Status.MISSED: "missed",
    Status.OUT_OF_ORDER: "out of order",
    Status.OPEN: "not due by end of play",
    Status.PENDING: "not due yet",
    Status.OVERDUE: "overdue",
    Status.NOT_TRIGGERED: "not triggered",
    Status.NOT_REACHED: "never reached the agency",
}

SHORTFALLS = frozenset({Status.LATE, Status.MISSED, Status.OUT_OF_ORDER})
"""Statuses that make a finding an area for improvement."""


class Element(StrEnum):
    """The POETE capability elements of an Improvement Plan row."""

    PLANNING = "planning"
    ORGANIZATION = "organization"
    EQUIPMENT = "equipment"
    TRAINING = "training"
    EXERCISE = "exercise"


class Evidence(_Data):
    """One journal entry a finding rests on."""

    role: str
    """What the entry is to the finding: 'trigger', 'expected action', 'correction'."""
    seq: int
    at: float
    """Exercise seconds."""
    kind: str
    agency: str | None
    summary: str
    corrected_by: int | None = None
    """Sequence number of the correction that replaced this entry's content, if any."""
    after_end: bool = False
    """Recorded (or its content corrected) after the exercise ended: show it as post-exercise."""


class Finding(_Data):
    protocol_id: str
    protocol_title: str
    plan: str
    agency: str
    agency_name: str = ""
    action: str
    action_label: str = ""
    capability: str
    critical: bool
    source: str
    instance: int
    """1 for the first time the protocol was triggered, 2 for the second, ...; 0 when never."""
    status: Status
    triggered_at: float | None
    deadline_at: float | None
    """Exercise time by which the action was due (for ``before_trigger``: the trigger's time)."""
    within_s: float | None
    before_trigger: bool
    done_at: float | None
    response_s: float | None
    """From the trigger to the expected action (negative when it came before, as it should)."""
    late_by_s: float | None
    """How far past the deadline (late), or after the trigger (out of order)."""
    evidence: tuple[Evidence, ...]
    told_at: float | None = None
    """When the event reached the agency by a message, when later than the trigger: the deadline
    and the response time run from then."""
    by_simulation: bool = False
    """The responsible agency was played by the simulation: the result is the simulation's, shown as
    such, never rated, credited as a strength or drafted as an area for improvement."""

    @property
    def key(self) -> tuple[str, int]:
        return (self.protocol_id, self.instance)


class TaskCount(_Data):
    """Counts of finding statuses for one protocol, agency or capability."""

    name: str
    label: str
    met: int = 0
    late: int = 0
    missed: int = 0
    out_of_order: int = 0
    open: int = 0
    pending: int = 0
    overdue: int = 0
    not_triggered: int = 0
    not_reached: int = 0
    """Instances whose trigger never reached the agency: not counted against it."""

    @property
    def scored(self) -> int:
        """Instances settled for good (``exercises.scoring.SCORED``)."""
        return sum(getattr(self, status.value) for status in SCORED)

    @property
    def compliance(self) -> float | None:
        """Share of scored instances that were met; None when nothing was scored."""
        return self.met / self.scored if self.scored else None


class EvaluatorRating(_Data):
    seq: int
    at: float
    actor: str
    capability: str
    objective: str | None
    critical_task: str
    rating: Rating
    after_end: bool = False
    """A post-exercise rating (recorded, or corrected, after the end): show it as such."""


class CapabilityRating(_Data):
    """One row of Table 1: an objective (or none) and a core capability, with its ratings."""

    objective: str | None
    objective_text: str | None
    capability: str
    computed: Rating | None
    """From the findings of the protocols mapped to the capability (None: nothing scored)."""
    computed_reason: str
    evaluator: tuple[EvaluatorRating, ...]
    of_record: Rating | None
    """The latest evaluator rating when one was given, else the computed rating."""
    tasks: TaskCount


class Note(_Data):
    """A strength or area for improvement, with its evidence when it comes from a finding."""

    capability: str
    text: str
    source: str
    """'finding' or 'evaluator'."""
    protocol_id: str | None = None
    finding_status: Status | None = None
    evidence: tuple[Evidence, ...] = ()
    seq: int | None = None
    after_end: bool = False
    """An evaluator's post-exercise note (recorded, or corrected, after the end): show it as such."""


class ObjectiveAnalysis(_Data):
    objective: str | None
    text: str
    capabilities: tuple[str, ...]
    rating: Rating | None
    """The worst rating of record among its capabilities."""
    strengths: tuple[Note, ...]
    areas_for_improvement: tuple[Note, ...]


class LinkTraffic(_Data):
    between: tuple[str, str]
    channel: str
    messages: int
    """Message hops carried."""
    lost: int
    mean_delay_s: float | None
    down_intervals: tuple[tuple[float, float | None], ...]
    """(down at, back up at or None when still down at the end of the record)."""


class AgencyTraffic(_Data):
    agency: str
    name: str
    sent: int
    received: int
    lost: int
    requests_made: int
    requests_received: int
    requests_unanswered: int
    injects_received: int
    mean_delivery_delay_s: float | None
    betweenness: float
    degree: int
    load: int
    overloaded: bool
    cut_off: tuple[tuple[float, float | None], ...]
    """Intervals during which the agency had no working link path to the lead agency."""
    explanation: str
    not_sent: int = 0
    """Messages the record says this agency should have sent and did not."""


class RequestOutcome(_Data):
    request_id: str
    requester: str | None
    to: str
    unit_type: str
    count: int
    requested_at: float
    requested_seq: int
    answered_at: float | None
    answered_seq: int | None
    delay_s: float | None


class InjectResponse(_Data):
    inject_id: str
    synopsis: str
    delivered_at: float
    delivered_seq: int
    to: tuple[str, ...]
    acted_at: float | None
    acted_seq: int | None
    acted_by: str | None
    delay_s: float | None


class MessageOutcome(_Data):
    """A message that was lost, or delivered and never answered (names for the page, ids for links)."""

    message_id: str
    sender: str
    sender_name: str
    to: str
    to_name: str
    sent_at: float
    sent_seq: int
    text: str
    lost: bool
    reason: str = ""


InformationKind = Literal["not_sent", "lost", "late", "unanswered", "not_relayed"]


class InformationFailure(_Data):
    """Information that did not pass as it should (``aar.information``): a finding in its own right,
    with the agency responsible, its core capability and POETE element, and its evidence."""

    kind: InformationKind
    message_id: str
    sender: str
    sender_name: str
    to: str
    to_name: str
    at: float
    """When the message was sent, or (not sent) when it was due to be sent."""
    text: str
    link: tuple[str, str] | None = None
    """The link that failed (a message lost on it): the only kind that blames equipment."""
    link_name: str = ""
    """'the radio link between A and B'; 'no working route' when every route was down."""
    due_at: float | None = None
    due_source: str = ""
    """What set the time it was due: the log's stated time, or a protocol's deadline."""
    delivered_at: float | None = None
    relay_to: str | None = None
    """Who the recipient should have passed it on to (not relayed)."""
    relay_to_name: str = ""
    responsible: str
    responsible_name: str
    capability: str
    element: Element
    element_reason: str
    evidence: tuple[Evidence, ...]


class PartyMessage(_Data):
    """A message sent by or to someone outside the agency list (a scenario party), by name."""

    message_id: str
    seq: int
    at: float
    sender_name: str
    to_name: str
    text: str
    outcome: Literal["delivered", "not delivered", "no delivery recorded"]
    delivered_at: float | None = None


class Coordination(_Data):
    links: tuple[LinkTraffic, ...]
    agencies: tuple[AgencyTraffic, ...]
    requests: tuple[RequestOutcome, ...]
    injects: tuple[InjectResponse, ...]
    messages_sent: int
    messages_delivered: int
    messages_lost: int
    lost_messages: tuple[MessageOutcome, ...] = ()
    """Every message that never reached its recipient, in time order."""
    unanswered_messages: tuple[MessageOutcome, ...] = ()
    """Messages delivered whose recipient never sent a message back to the sender afterwards."""
    failures: tuple[InformationFailure, ...] = ()
    """Information failures (not sent, lost, late, never answered, not relayed), in time order."""


class BaselineComparison(_Data):
    protocol_id: str
    title: str
    agency: str
    actual_s: tuple[float, ...]
    """Actual times from trigger to expected action, one per instance where it was done."""
    actual_median_s: float | None
    simulated_median_s: float | None
    simulated_p90_s: float | None
    simulated_met_share: float
    actual_met_share: float | None
    verdict: str
    sentence: str


class Baseline(_Data):
    runs: int
    seed: int
    comparisons: tuple[BaselineComparison, ...]
    bottlenecks: tuple[str, ...]


class ImprovementItem(_Data):
    key: str
    """Stable across report runs: 'protocol:<id>', 'legal:<kind>:<seq>', 'information:...' or
    'observation:<seq>' (the first observation of those ``noted``)."""
    capability: str
    issue: str
    corrective_action: str
    element: Element | None = None
    """None until declared (by the protocol or its plan), chosen by the evaluator or set by a
    controller: never guessed. The first of ``elements`` when the plan declares several."""
    elements: tuple[Element, ...] = ()
    """Every capability element the row's corrective action concerns, as declared (one row for the
    action, not one per element); empty when only ``element`` is known."""
    element_reason: str
    responsible_agency: str
    """The name of the agency the finding or observation is about ('' when it names none)."""
    point_of_contact: str = ""
    start_date: date | None = None
    completion_date: date | None = None
    edited_by: tuple[int, ...] = ()
    """Sequence numbers of the ImprovementItemEdited entries applied to the draft."""
    noted: tuple[int, ...] = ()
    """For an evaluators' area for improvement: the sequence numbers of every observation that
    wrote it, the same text for the same capability, element and agency (one row for the one
    corrective action, however many evaluators or times it was noted); empty for other rows."""

    @field_validator("start_date", "completion_date", "element", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class Retest(_Data):
    """A corrective action of an earlier exercise of the program that this exercise tested again:
    what was found then, what this exercise's record shows now, and the verdict it suggests. The
    verdict of record is only ever the one a controller or an evaluator confirmed (``status``)."""

    source_exercise: str
    """The earlier exercise's title in the program's schedule."""
    source_exercise_id: int
    action_key: str
    capability: str
    agency_name: str
    corrective_action: str
    earlier_finding: str
    new_outcome: str
    evidence: tuple[Evidence, ...]
    suggested: Literal["validated", "not validated"]
    status: str
    """The action's status as it stands (open, in progress, completed, validated, not validated)."""


class Participant(_Data):
    id: str
    name: str
    kind: str
    played_by: str
    resources: dict[str, int]
    entries: int
    """Journal entries recorded for this agency."""


class TimelineMark(_Data):
    at: float
    lane: str
    """An agency id, or 'msel' for injects."""
    kind: str
    """'inject', 'action', 'message', 'late', 'missed', 'out_of_order', 'link_down', or an
    information failure: 'not_sent' (sender's lane), 'message_lost' (sender's lane),
    'delivered_late', 'unanswered', 'not_relayed' (recipient's lane)."""
    label: str
    seq: int | None = None


class RecordIntegrity(_Data):
    """What the journal's hash chain says about the record the report was made from."""

    entries: int
    intact: bool
    head_hash: str | None
    first_broken_seq: int | None = None
    problem: str | None = None
    """What the check found, in words, when the record is not intact."""
    signature: str = "not_checked"
    """'signed' (every entry under a signed checkpoint), 'partly_signed' (the last entries are not
    yet), 'unsigned' (nothing could be checked against a trusted key), 'not_checked'."""
    signed_through_seq: int | None = None
    """The last entry a signed checkpoint covers."""
    signed_at: datetime | None = None
    key_fingerprint: str | None = None
    """SHA-256 of the signing key's public key (hex); show its first 32 digits in groups of four."""
    public_key: str | None = None
    """The Ed25519 public key (hex) the signatures check against: print it so readers can verify."""
    proven: tuple[str, ...] = ()
    """What the check establishes, as sentences to print."""
    not_proven: tuple[str, ...] = ()
    """What it cannot establish (e.g. entries after the last checkpoint are unsigned)."""
    cover: str = "The record this report was made from was not checked."
    """The cover's statement about the record, worded once (``aar.integrity``)."""
    alarm: bool = False
    """The record does not verify: the cover says so loudly, before anything else."""


class Contact(_Data):
    """A point of contact as the report prints it."""

    role: str
    """'Exercise director', 'Evaluation lead', 'Sponsor'."""
    name: str
    organization: str = ""
    contact: str = ""


class SummaryPoint(_Data):
    """A major strength or primary area for improvement of the Executive Summary."""

    capability: str
    text: str
    evidence: str
    """Where it rests, in words: 'entry 13 at 0:14 (14:05 EDT); entry 15 at 0:20'."""


class ExecutiveSummary(_Data):
    overview: str
    strengths: tuple[SummaryPoint, ...]
    areas_for_improvement: tuple[SummaryPoint, ...]


class RealTime(_Data):
    """When exercise time 0:00 was on the clock on the wall, and where."""

    start: datetime
    """Timezone-aware."""
    timezone: str
    """IANA name, e.g. 'America/New_York'."""


class Overview(_Data):
    scenario_id: str
    scenario_name: str
    kind: str
    exercise_type: str
    duration_s: float
    location: str
    sponsor: str
    lead_agency: str
    mission_areas: tuple[str, ...]
    capabilities: tuple[str, ...]
    objectives: tuple[tuple[str, str], ...]
    """(id, text) of each objective."""
    threat_or_hazard: str
    summary: str
    plans: tuple[tuple[str, str, str], ...]
    """(id, name, authority) of each response plan applied."""
    injects: int
    played_from: float | None
    played_to: float | None
    conduct: str = ""
    """How play was conducted (ended early, the clock's speed), in words; empty for a real incident."""
    developments: tuple[tuple[float, str], ...] = ()
    """How the incident developed, in the scenario's words (a general incident model's developments and
    the responses that changed them), each with its time."""


LegalKind = Literal["overreach", "disclosure", "missing_log"]


class LegalFinding(_Data):
    """An action beyond delegated authority, information shared outside every agreement, or onward
    dissemination without the log its agreement requires (``aar.legal``)."""

    kind: LegalKind
    agency: str
    agency_name: str
    at: float
    what: str
    """What happened, in words."""
    rule: str
    """The rule it breaks and where that rule comes from."""
    source: str
    capability: str
    elements: tuple[Element, ...] = ()
    corrective_action: str
    evidence: tuple[Evidence, ...]


class LegalReview(_Data):
    """Legal authority, civil rights and privacy: the rules a joint operation is held to, and what
    broke them (scenarios whose plans declare authorities, agreements or rights steps)."""

    authorities: int
    agreements: int
    findings: tuple[LegalFinding, ...]
    rights_steps: tuple[Finding, ...]
    """Every instance of a rights-step protocol, whatever its status."""
    messages_with_categories: int

    @property
    def shortfalls(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.rights_steps if f.status in SHORTFALLS)


class BranchComparisonRow(_Data):
    """One protocol instance not settled by the branch point: the branch's outcome beside the parent's.
    A side is None when that exercise had no such instance (its trigger came in one only)."""

    protocol_id: str
    protocol_title: str
    agency: str
    agency_name: str
    here: Finding | None
    there: Finding | None

    @property
    def differs(self) -> bool:
        if self.here is None or self.there is None:
            return True
        return (self.here.status, self.here.response_s) != (self.there.status, self.there.response_s)


class BranchOrigin(_Data):
    """Where a branched exercise came from (aar.branch), and how it went on beside its parent."""

    parent_id: int
    parent_name: str | None
    """None when the parent exercise was not at hand: then there is no comparison."""
    seq: int
    """Entries 1 to ``seq`` are the parent's."""
    at: float
    """The exercise time the branch went on from."""
    head: str
    """The parent's chain hash at entry ``seq``."""
    rows: tuple[BranchComparisonRow, ...] = ()


class PanelRating(_Data):
    """One evaluator's latest rating of a capability (kept apart from the others' until reconciled)."""

    seq: int
    at: float
    evaluator: str
    """The evaluator's name as signed in."""
    rating: Rating
    reason: str
    after_end: bool = False


class Reconciliation(_Data):
    """The lead evaluator's final rating of a capability, with the reason (aar.evaluation_panel)."""

    seq: int
    at: float
    evaluator: str
    rating: Rating
    reason: str
    weighed: tuple[int, ...]
    """The seqs of the evaluators' ratings weighed."""
    after_end: bool = False


class CapabilityPanel(_Data):
    """Every evaluator's rating of one capability (and objective, or none named), their agreement
    and the final rating: the reconciled one, else the one rating all evaluators gave, else none."""

    capability: str
    objective: str | None
    ratings: tuple[PanelRating, ...]
    agreement: float | None
    """The share of pairs of evaluators who gave the same rating (None: fewer than two rated)."""
    reconciled: Reconciliation | None
    final: Rating | None


class RaterFlag(_Data):
    """A rater error HSEEP evaluator training names, as the ratings show it."""

    evaluator: str
    error: Literal["leniency", "severity", "central tendency"]
    detail: str


class Agreement(_Data):
    """Agreement between evaluators over the capabilities every one of them rated."""

    measure: Literal["Cohen's kappa", "Fleiss' kappa"]
    kappa: float | None
    """None when chance alone predicts full agreement (every rating the same)."""
    percent: float | None
    items: int
    """Capabilities rated by every evaluator: the ones the figures count."""
    raters: int
    left_out: int = 0
    """Capabilities rated by some evaluators only."""


class EvaluationPanel(_Data):
    """The evaluation team and its ratings: who rated what, how far they agree, what the lead
    evaluator reconciled (HSEEP: several evaluators per capability, one final rating)."""

    evaluators: tuple[str, ...]
    lead: str | None
    assignments: tuple[tuple[str, str], ...]
    """(evaluator, what they evaluate) in words."""
    capabilities: tuple[CapabilityPanel, ...]
    agreement: Agreement | None
    flags: tuple[RaterFlag, ...] = ()


class HotWashView(_Data):
    """One point an agency's participants made at the hot wash (aar.hot_wash): their view, as the
    facilitator recorded it, not an evaluator's finding."""

    seq: int
    agency: str
    point: Literal["strength", "area_for_improvement"]
    text: str
    said_by: str


class StatementSummary(_Data):
    """How participants rated one statement of the feedback form (1 strongly disagree to 5 strongly agree)."""

    statement: str
    answers: int
    median: float | None
    counts: tuple[int, int, int, int, int]
    """How many answered 1, 2, 3, 4 and 5."""


class FeedbackQuote(_Data):
    question: str
    text: str
    who: str
    """The participant's role and agency in words (their name is not printed)."""
    seq: int


class FeedbackSummary(_Data):
    """The Participant Feedback Forms (aar.feedback): counts, medians, and the participants' words."""

    forms: int
    by_role: tuple[tuple[str, int], ...]
    statements: tuple[StatementSummary, ...]
    quotes: tuple[FeedbackQuote, ...]


class CapabilityAnalysis(_Data):
    """A capability's analysis as the lead evaluator accepted it (``aar.drafting``): what the
    report prints under the objective."""

    capability: str
    objective: str | None
    text: str
    accepted_by: str
    seq: int
    at: float
    edited: bool = False
    after_end: bool = False


class AfterActionReport(_Data):
    exercise_name: str
    exercise_dates: tuple[date, date]
    marking: str | None
    overview: Overview
    findings: tuple[Finding, ...]
    by_protocol: tuple[TaskCount, ...]
    by_agency: tuple[TaskCount, ...]
    table1: tuple[CapabilityRating, ...]
    objectives: tuple[ObjectiveAnalysis, ...]
    coordination: Coordination
    baseline: Baseline | None
    improvement_plan: tuple[ImprovementItem, ...]
    participants: tuple[Participant, ...]
    timeline: tuple[TimelineMark, ...]
    integrity: RecordIntegrity
    post_exercise: tuple[int, ...] = ()
    """seqs of the journal entries recorded after the end of play (marked ``after_end`` where the
    report shows them)."""
    notes: tuple[str, ...] = ()
    """Things the reader should know about how the report was made (ignored edits, ...)."""
    names: Names = Names()
    record_kind: Literal["exercise", "real_incident"] = "exercise"
    """A real incident's log is reported as a real-world incident, without exercise wording."""
    real_time: RealTime | None = None
    executive_summary: ExecutiveSummary | None = None
    conclusion: tuple[str, ...] = ()
    party_messages: tuple[PartyMessage, ...] = ()
    """Messages to and from people outside the agency list (``aar.parties``)."""
    points_of_contact: tuple[Contact, ...] = ()
    public_information: PublicInformation | None = None
    """Public information and community trust (scenarios with a media layer; aar.public_information)."""
    legal: LegalReview | None = None
    """Legal authority, civil rights and privacy (scenarios whose plans declare rules; aar.legal)."""
    branch: BranchOrigin | None = None
    """For an exercise branched from a moment of another: where from, and the comparison with it."""
    retests: tuple[Retest, ...] = ()
    """Corrective actions of the program's earlier exercises that this exercise tested again (aar.retest)."""
    feedback: FeedbackSummary | None = None
    """The Participant Feedback Forms' summary (None: no form was filled)."""
    hot_wash: tuple[HotWashView, ...] = ()
    """What participants said at the hot wash, agency by agency, in the order said."""
    evaluation: EvaluationPanel | None = None
    """The evaluators' capability ratings, their agreement and the lead's reconciliation (None: no
    evaluator rated a capability on its own)."""
    analyses: tuple[CapabilityAnalysis, ...] = ()
    """Capability analyses the lead evaluator accepted (the latest per capability and objective);
    a capability without one is printed as not accepted."""
