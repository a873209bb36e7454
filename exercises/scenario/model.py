"""The domain model of a scenario and its response plans: typed, immutable, validated.

Two layers:
- the *file* models (``ScenarioFile``, ``ResponsePlan``) mirror what designers write, with
  ``extra="forbid"`` so an unknown key is an error, never silently dropped;
- ``Scenario`` is what the rest of Hotwash uses: the file plus the plans' protocols resolved
  to concrete agencies (``Protocol``), built only by ``exercises.scenario.loading``.

Past the loader, code trusts these types.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from exercises.scenario.capabilities import CORE_CAPABILITIES, MissionArea
from exercises.scenario.durations import parse_duration

# Strictness for times: in YAML files a bare number is refused (is ``5`` seconds or minutes?);
# from JSON snapshots and Python, a number means seconds.
STRICT_UNITS = "strict_units"


def _duration(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool):
        raise ValueError("expected a time such as '5m', not a yes/no value")
    if isinstance(value, int | float) and info.context and info.context.get(STRICT_UNITS):
        raise ValueError(f"{value!r} has no unit: write '{value}s' or '{value}m' (or H:MM)")
    return value


def _non_negative(value: float) -> float:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _capability(value: str) -> str:
    if value not in CORE_CAPABILITIES:
        from difflib import get_close_matches

        close = get_close_matches(value, CORE_CAPABILITIES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{value!r} is not one of the 32 HSEEP core capabilities{hint}")
    return value


Seconds = Annotated[float, BeforeValidator(_duration), AfterValidator(_non_negative)]
"""A time or duration in seconds, written in files as ``00:05`` / ``5m`` / ``1h30m``."""

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
"""Machine name of an agency, action, event, role, objective: lowercase, digits, underscores."""

InjectId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
Capability = Annotated[str, AfterValidator(_capability)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# --- enumerations -----------------------------------------------------------------------


class IncidentKind(StrEnum):
    """What kind of incident a scenario exercises. The first three have an incident model of their own
    (crowd, casualties, fire); every kind may describe its incident with the general model."""

    CIVIL_DISTURBANCE = "civil_disturbance"
    MASS_CASUALTY = "mass_casualty"
    FACILITY_INCIDENT = "facility_incident"
    NATURAL_HAZARD = "natural_hazard"
    HAZARDOUS_MATERIALS = "hazardous_materials"
    INFRASTRUCTURE_FAILURE = "infrastructure_failure"
    CYBER_INCIDENT = "cyber_incident"
    PUBLIC_HEALTH_EMERGENCY = "public_health_emergency"
    ACTIVE_THREAT = "active_threat"
    OTHER = "other"


class AgencyKind(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    EMS = "ems"
    FIRE = "fire"
    DISPATCH = "dispatch"
    HOSPITAL = "hospital"
    PUBLIC_HEALTH = "public_health"
    PUBLIC_INFORMATION = "public_information"
    EMERGENCY_MANAGEMENT = "emergency_management"
    FEDERAL_PARTNER = "federal_partner"
    FACILITY_OPERATOR = "facility_operator"
    LEGAL_SERVICES = "legal_services"
    CONSULAR = "consular"
    HUMAN_SERVICES = "human_services"
    EVENT_ORGANIZER = "event_organizer"
    OTHER = "other"


class Channel(StrEnum):
    RADIO = "radio"
    PHONE = "phone"
    LIAISON = "liaison"
    DATA_SHARING = "data_sharing"


class DeliveryMode(StrEnum):
    PHONE = "phone"
    RADIO = "radio"
    EMAIL = "email"
    IN_PERSON = "in_person"
    SIMULATED_MEDIA = "simulated_media"
    DATA = "data"


class Repeats(StrEnum):
    """What a protocol's trigger action, repeated by the same agency while unanswered, is."""

    REMINDER = "reminder"
    """The same request chased: one instance, its answer counted from the first ask."""
    NEW_REQUEST = "new_request"
    """Each repeat a request of its own, owed its own answer."""


class PlayedBy(StrEnum):
    PLAYERS = "players"
    SIMULATION = "simulation"


class Rating(StrEnum):
    """HSEEP performance ratings."""

    P = "P"  # performed without challenges
    S = "S"  # performed with some challenges
    M = "M"  # performed with major challenges
    U = "U"  # unable to be performed


RATING_MEANING: dict[Rating, str] = {
    Rating.P: "Performed without challenges",
    Rating.S: "Performed with some challenges",
    Rating.M: "Performed with major challenges",
    Rating.U: "Unable to be performed",
}


# --- distributions ----------------------------------------------------------------------


class Fixed(Frozen):
    dist: Literal["fixed"]
    value: Seconds


class Exponential(Frozen):
    dist: Literal["exponential"]
    mean: Seconds

    @model_validator(mode="after")
    def _positive(self) -> Exponential:
        if self.mean <= 0:
            raise ValueError("mean must be above zero")
        return self


class Uniform(Frozen):
    dist: Literal["uniform"]
    low: Seconds
    high: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must not be below low")
        return self


class Triangular(Frozen):
    dist: Literal["triangular"]
    low: Seconds
    mode: Seconds
    high: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("needs low <= mode <= high")
        return self


class Lognormal(Frozen):
    """Skewed delays as planners state them: a typical (median) time and a bad-day (p90) time."""

    dist: Literal["lognormal"]
    median: Seconds
    p90: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Lognormal:
        if self.median <= 0:
            raise ValueError("median must be above zero")
        if self.p90 <= self.median:
            raise ValueError("p90 must be above the median")
        return self


Distribution = Annotated[Fixed | Exponential | Uniform | Triangular | Lognormal, Field(discriminator="dist")]

DEFAULT_RESPONSE_DELAY = Lognormal(dist="lognormal", median=180.0, p90=480.0)


# --- agencies and links ------------------------------------------------------------------


class Agency(Frozen):
    id: Id
    name: Name
    kind: AgencyKind
    played_by: PlayedBy = PlayedBy.SIMULATION
    resources: dict[Id, Annotated[int, Field(ge=1, le=100_000)]] = Field(default_factory=dict)
    response_delay: Distribution = DEFAULT_RESPONSE_DELAY
    isolated_reason: Text | None = None
    """Why this agency has no link path to the lead agency, when that is intended."""


class PartyKind(StrEnum):
    PUBLIC = "public"
    """Members of the public: callers, bystanders, a crowd."""
    UNIT = "unit"
    """A named unit within an agency: 'Engine 7', 'the duty desk'."""
    PERSON = "person"
    """A named person within an agency: 'the fire chief'."""
    OFFICE = "office"
    """An office not played: 'the district office', 'the regional health authority'."""


class Party(Frozen):
    """Someone outside the agency list who sends or receives messages in the record, so that a
    message to or from them (and one not passed on to them) can be recorded and reported. Not part of
    the agency network: no links, no protocols, never simulated."""

    id: Id
    name: Name
    kind: PartyKind
    within: Id | None = None
    """The agency a unit or person belongs to (required for them; none for the public or an office)."""


class Link(Frozen):
    between: tuple[Id, Id]
    channel: Channel
    latency: Seconds
    reliability: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0

    @model_validator(mode="after")
    def _two_ends(self) -> Link:
        if self.between[0] == self.between[1]:
            raise ValueError("a link joins two different agencies")
        return self

    @property
    def key(self) -> frozenset[str]:
        return frozenset(self.between)


# --- vocabulary, injects, objectives -----------------------------------------------------


class ActionDef(Frozen):
    id: Id
    label: Name
    function: Annotated[Id | None, Field(exclude_if=lambda v: v is None)] = None
    """The legal function this action exercises (a plan's ``functions``): an agency that logs it
    without an authority of its plan for that function has overreached."""


class UnitTypeName(Frozen):
    """A unit type's name for people when its plural is not the English rule's (``EOC staff``)."""

    name: Name
    plural: Name


class EventDef(Frozen):
    id: Id
    label: Name


class Condition(Frozen):
    """A contingency inject fires only if ``action`` has (or has not) happened by its time."""

    action: Id
    happened: bool
    by_agency: Id | None = None


class Effect(Frozen):
    """What delivering an inject changes in the exercise world."""

    link_down: tuple[Id, Id] | None = None
    link_up: tuple[Id, Id] | None = None


class Inject(Frozen):
    id: InjectId
    time: Seconds
    from_: Id = Field(alias="from")
    to: tuple[Id, ...] = Field(min_length=1)
    mode: DeliveryMode
    synopsis: Name
    text: Text
    expected_actions: tuple[Id, ...] = ()
    capability: Capability
    objective: Id | None = None
    condition: Condition | None = None
    raises: tuple[Id, ...] = ()
    """Events this inject raises when delivered (protocol triggers)."""
    effect: Effect | None = None
    evaluator_notes: Text | None = None
    """For controllers and evaluators only (the MSEL's evaluator notes); never shown to players."""
    categories: Annotated[tuple[Id, ...], Field(exclude_if=lambda v: not v)] = ()
    """Information categories the inject's message carries (a plan's ``categories``): an inject from
    an agency is held to that agency's data-sharing agreements like any message."""

    @model_validator(mode="before")
    @classmethod
    def _single_to(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("to"), str):
            return {**data, "to": [data["to"]]}
        return data


class Objective(Frozen):
    id: Id
    text: Text
    capabilities: tuple[Capability, ...] = Field(min_length=1)
    short_title: Name | None = None
    """How the report names the objective in headings and tables (else its text)."""


class EvaluatorTask(Frozen):
    """A critical task only an evaluator can judge, because nothing in the journal shows it ("the
    incident commander briefed the PIO on the rumour")."""

    task: Annotated[str, Field(min_length=1, max_length=500)]
    agency: Id | None = None
    """The agency expected to perform it, when it is one agency's."""
    source: Name | None = None
    """Where the task comes from (a plan section, an SOP, a lesson of an earlier exercise)."""


class CapabilityTarget(Frozen):
    """A capability target the designer adds to an objective's Exercise Evaluation Guide: a
    performance threshold and the critical tasks only an evaluator can judge. The targets drawn
    from the response plans and the MSEL come with the scenario; these are the rest."""

    id: Id
    objective: Id
    capability: Capability
    target: Text
    critical_tasks: tuple[EvaluatorTask, ...] = Field(min_length=1)


CapabilityElement = Literal["planning", "organization", "equipment", "training", "exercise"]
"""The HSEEP capability elements (POETE) an improvement item is filed under."""


class PointOfContact(Frozen):
    """A person the AAR/IP names as a point of contact (HSEEP: exercise director, evaluation lead,
    sponsor)."""

    name: Name
    organization: Name | None = None
    contact: Name | None = None
    """Telephone or e-mail, as the person wants it printed."""


class PointsOfContact(Frozen):
    exercise_director: PointOfContact | None = None
    evaluation_lead: PointOfContact | None = None
    sponsor: PointOfContact | None = None


# --- response plans ----------------------------------------------------------------------


class PlanTrigger(Frozen):
    """When a protocol's clock starts: an action (optionally by a role), an event, or start."""

    action: Id | None = None
    by: Id | None = None
    event: Id | None = None
    exercise_start: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> PlanTrigger:
        chosen = [self.action is not None, self.event is not None, self.exercise_start]
        if sum(chosen) != 1:
            raise ValueError("name exactly one of: action, event, exercise_start")
        if self.by is not None and self.action is None:
            raise ValueError("'by' goes with an action trigger")
        return self


class PlanProtocol(Frozen):
    id: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")]
    title: Name
    when: PlanTrigger
    who: Id
    """The role responsible; each scenario binds roles to its agencies. When ``when.by`` names the
    same role and it is bound to several agencies, each agency answers for its own trigger."""
    must: Id
    within: Seconds | None = None
    before_trigger: bool = False
    """The expected action must come *before* the trigger (e.g. authority verified before detention)."""
    repeats: Repeats = Repeats.REMINDER
    """A repeat of the trigger action by the same agency while it is unanswered: a reminder of the
    first (default) or a new request. Only for an action trigger."""
    critical: bool = False
    capability: Capability
    source: Name
    """Where the deadline comes from (a standard, an agency SOP, a plan section)."""
    corrective_action: Text | None = None
    elements: tuple[CapabilityElement, ...] = ()
    """The capability element(s) a shortfall of this protocol is filed under (POETE); when empty,
    the plan's own ``elements``, else the improvement plan says the element is to be set."""
    rights_step: Annotated[bool, Field(exclude_if=lambda v: not v)] = False
    """A step that protects a person's rights (interpreter, consular notification, medical
    screening, camera on): its shortfalls are also reported under legal authority and civil rights."""

    @model_validator(mode="after")
    def _timing(self) -> PlanProtocol:
        if self.before_trigger and self.within is not None:
            raise ValueError("use either 'within' (after the trigger) or 'before_trigger', not both")
        if not self.before_trigger and self.within is None:
            raise ValueError("a protocol needs a deadline: 'within: 10m' or 'before_trigger: true'")
        if self.when.action == self.must and not self.before_trigger:
            raise ValueError("'must' cannot be the action that triggers it")
        if self.repeats is Repeats.NEW_REQUEST and self.when.action is None:
            raise ValueError("'repeats' goes with an action trigger ('when: {action: ...}')")
        return self


# --- legal authority, information categories and agreements -----------------------------


class FunctionDef(Frozen):
    """A function an agency may only perform under an authority (arrest, warrant service, ...)."""

    id: Id
    label: Name


class CategoryDef(Frozen):
    """A category of information whose sharing an agreement governs (immigration status, CHRI, ...)."""

    id: Id
    label: Name


class Authority(Frozen):
    """Which functions a role may perform, under which conditions, and where that comes from."""

    role: Id
    functions: tuple[Id, ...] = Field(min_length=1)
    only_by: Name | None = None
    """Who within the agency may perform them ('officers designated and trained under the MOA')."""
    supervised_by: Id | None = None
    """A role whose supervision the functions are performed under (the federal partner)."""
    only_at: Name | None = None
    """Where they may be performed ('the county jail')."""
    source: Name
    capability: Capability
    """The core capability a finding against this rule is filed under."""
    elements: tuple[CapabilityElement, ...] = ()
    """The capability element(s) (POETE) of such a finding; when empty, the plan's ``elements``."""
    corrective_action: Text | None = None


class Agreement(Frozen):
    """A data-sharing agreement: what one role may pass to others, for what, and on what terms."""

    id: Id
    from_: Id = Field(alias="from")
    to: tuple[Id, ...] = Field(min_length=1)
    categories: tuple[Id, ...] = Field(min_length=1)
    purpose: Text
    log_onward: Id | None = None
    """The action that logs secondary dissemination: a receiving agency that passes these
    categories on must log it (FBI CJIS Security Policy)."""
    log_within: Seconds = 600.0
    """How soon after passing information on the log entry must be made."""
    source: Name
    capability: Capability
    """The core capability a finding against this rule is filed under."""
    elements: tuple[CapabilityElement, ...] = ()
    """The capability element(s) (POETE) of such a finding; when empty, the plan's ``elements``."""
    corrective_action: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _single_to(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("to"), str):
            return {**data, "to": [data["to"]]}
        return data


def _empty(value: tuple[Any, ...]) -> bool:
    return not value


class ResponsePlan(Frozen):
    """A response-plan file: a named plan, its vocabulary and its protocols, shared by scenarios."""

    id: Id
    name: Name
    authority: Name
    """Who issues the plan (e.g. 'County EOP, ESF-8 annex')."""
    roles: dict[Id, Name] = Field(min_length=1)
    elements: tuple[CapabilityElement, ...] = ()
    """Capability element(s) for every protocol of the plan that declares none of its own."""
    corrective_action: Text | None = None
    """Corrective action for every protocol of the plan that declares none of its own."""
    actions: tuple[ActionDef, ...] = ()
    events: tuple[EventDef, ...] = ()
    protocols: tuple[PlanProtocol, ...] = Field(min_length=1)
    functions: Annotated[tuple[FunctionDef, ...], Field(exclude_if=_empty)] = ()
    authorities: Annotated[tuple[Authority, ...], Field(exclude_if=_empty)] = ()
    categories: Annotated[tuple[CategoryDef, ...], Field(exclude_if=_empty)] = ()
    agreements: Annotated[tuple[Agreement, ...], Field(exclude_if=_empty)] = ()


class PlanBinding(Frozen):
    """A scenario applies a plan and says which of its agencies fills each role."""

    plan: Id
    roles: dict[Id, tuple[Id, ...]]

    @model_validator(mode="before")
    @classmethod
    def _single_agency(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("roles"), dict):
            roles = {k: [v] if isinstance(v, str) else v for k, v in data["roles"].items()}
            return {**data, "roles": roles}
        return data


# --- simulation parameters ---------------------------------------------------------------


class ActionSim(Frozen):
    """How a simulated agency performs an action: the unit it ties up and for how long."""

    uses: Id | None = None
    duration: Distribution = Fixed(dist="fixed", value=0.0)


class CrowdModel(Frozen):
    """A crowd whose size grows and whose escalation level rises or falls with the response."""

    model: Literal["crowd"]
    initial_size: Annotated[int, Field(ge=1, le=1_000_000)]
    growth_per_hour: Annotated[int, Field(ge=0, le=1_000_000)]
    max_size: Annotated[int, Field(ge=1, le=1_000_000)]
    levels: tuple[Name, ...] = Field(min_length=2, max_length=10)
    start_level: Annotated[int, Field(ge=0)] = 0
    escalate_every: Distribution
    calming_actions: tuple[Id, ...] = ()
    inflaming_actions: tuple[Id, ...] = ()

    @model_validator(mode="after")
    def _levels(self) -> CrowdModel:
        if self.start_level >= len(self.levels):
            raise ValueError(f"start_level must be below {len(self.levels)} (the number of levels)")
        if self.max_size < self.initial_size:
            raise ValueError("max_size must not be below initial_size")
        return self


class Patients(Frozen):
    """START triage categories at the outset."""

    red: Annotated[int, Field(ge=0, le=100_000)] = 0
    yellow: Annotated[int, Field(ge=0, le=100_000)] = 0
    green: Annotated[int, Field(ge=0, le=100_000)] = 0
    black: Annotated[int, Field(ge=0, le=100_000)] = 0


class CasualtyModel(Frozen):
    """Patients in START categories who deteriorate without care; hospitals that fill up."""

    model: Literal["casualties"]
    patients: Patients
    arrive_over: Seconds
    yellow_to_red: Distribution
    red_to_black: Distribution
    treat_action: Id
    transport_action: Id
    bed_unit: Id
    """The hospitals' resource unit type that a transported patient occupies."""


class FireModel(Frozen):
    """A fire that spreads zone by zone until contained; an evacuation that takes time per person."""

    model: Literal["fire"]
    zones: Annotated[int, Field(ge=1, le=1000)]
    spread_every: Distribution
    contain_action: Id
    occupants: Annotated[int, Field(ge=0, le=100_000)]
    seconds_per_person: Seconds
    evacuate_action: Id
    injured_per_zone: Annotated[int, Field(ge=0, le=1000)] = 0


class DevelopmentResponse(Frozen):
    """An action that changes a development before it happens: it stops it (it never happens, nor
    anything that comes after it), slows it (the time left is multiplied by ``slows``) or speeds it
    (the time left is divided by ``speeds``)."""

    action: Id
    agency: Id | None = None
    """Only when this agency logs the action (default: any agency)."""
    stops: bool = False
    slows: Annotated[float, Field(gt=1.0, le=100.0)] | None = None
    speeds: Annotated[float, Field(gt=1.0, le=100.0)] | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> DevelopmentResponse:
        if sum((self.stops, self.slows is not None, self.speeds is not None)) != 1:
            raise ValueError("say exactly one of: stops: true, slows: <factor>, speeds: <factor>")
        return self


class ResourceDemand(Frozen):
    """Units an agency must commit when a development happens (boats for water rescues, beds)."""

    agency: Id
    unit: Id
    count: Annotated[int, Field(ge=1, le=100_000)] = 1
    for_: Distribution = Field(alias="for")
    """How long the units stay committed."""


class DevelopmentDef(Frozen):
    """A named development of the incident ("Levee overtopped"): when it happens, what changes it
    before it does, and what it causes when it does."""

    id: Id
    name: Name
    """What the report and the console call it, in the scenario's words."""
    after: Id | None = None
    """Another development this one follows; without it, ``delay`` counts from the start."""
    delay: Distribution = Fixed(dist="fixed", value=0.0)
    responses: tuple[DevelopmentResponse, ...] = ()
    casualties: Annotated[int, Field(ge=0, le=100_000)] = 0
    """People injured or needing rescue when it happens (recorded with the development)."""
    demand: tuple[ResourceDemand, ...] = ()
    raises: tuple[Id, ...] = ()
    """Events it raises (protocol triggers), as an inject's ``raises``."""
    links_down: tuple[tuple[Id, Id], ...] = ()
    links_up: tuple[tuple[Id, Id], ...] = ()
    tells: tuple[Id, ...] = ()
    """Agencies the simulation cell tells when it happens, as an inject delivered to them: it is in
    their inbox, and the events it raises reach them at once."""
    text: Text | None = None
    """What they are told (default: its name)."""


class GeneralModel(Frozen):
    """Any incident, as the scenario describes it: named developments, each at a drawn time from the
    start or after another, changed by the players' actions, with the effects it has."""

    model: Literal["general"]
    name: Name | None = None
    """What the report calls the incident ("River flood"); default: the scenario's threat or hazard."""
    developments: tuple[DevelopmentDef, ...] = Field(min_length=1, max_length=500)

    @cached_property
    def names(self) -> dict[str, str]:
        """Each development's id -> its name."""
        return {d.id: d.name for d in self.developments}


IncidentModel = Annotated[CrowdModel | CasualtyModel | FireModel | GeneralModel, Field(discriminator="model")]

DEVELOPMENTS: dict[str, tuple[str, ...]] = {
    "crowd": ("crowd_escalated", "crowd_calmed"),
    "casualties": ("patient_arrived", "patient_deteriorated", "patient_died", "hospital_full"),
    "fire": ("fire_spread", "fire_contained", "evacuation_complete"),
}
"""The developments each built-in incident model produces (``Development.what``), by model; the
general model's are the scenario's own (``developments_of``)."""


def developments_of(incident: CrowdModel | CasualtyModel | FireModel | GeneralModel) -> tuple[str, ...]:
    """The developments (``Development.what``) an incident model can produce."""
    if isinstance(incident, GeneralModel):
        return tuple(d.id for d in incident.developments)
    return DEVELOPMENTS[incident.model]


class Pitfall(Frozen):
    """A documented way a simulated agency breaks a data-sharing rule, for the players to catch and
    correct: after an inject reaches it, with probability ``probability``, it passes ``shares`` to
    ``with`` although no agreement allows it."""

    agency: Id
    after_inject: InjectId
    shares: tuple[Id, ...] = Field(min_length=1)
    """Information categories (the plans' ``categories``)."""
    with_: Id = Field(alias="with")
    probability: Annotated[float, Field(ge=0.0, le=1.0)]
    text: Text
    """What the message says."""
    why: Text
    """The pitfall it exercises and where it is documented (a training gap, an after-action report)."""


class SimulationParams(Frozen):
    actions: dict[Id, ActionSim] = Field(default_factory=dict)
    incident: IncidentModel
    raises: dict[Id, tuple[Id, ...]] = Field(default_factory=dict)
    """Events an incident development raises (protocol triggers): ``{fire_spread: [fire_spreads]}``."""

    @cached_property
    def development_raises(self) -> dict[str, tuple[str, ...]]:
        """Every development's events: ``raises`` here, with a general model's developments' own."""
        out = dict(self.raises)
        if isinstance(self.incident, GeneralModel):
            for dev in self.incident.developments:
                if dev.raises:
                    out[dev.id] = tuple(dict.fromkeys((*dev.raises, *out.get(dev.id, ()))))
        return out
    mutual_aid: bool = True
    message_handling: Distribution = Fixed(dist="fixed", value=30.0)
    """Time an agency takes to read and route a message it receives."""
    pitfalls: Annotated[tuple[Pitfall, ...], Field(exclude_if=lambda v: not v)] = ()
    """Simulated agencies keep to their authority and agreements, except where a pitfall says."""


# --- the public-information environment (media layer) ------------------------------------


class OutletKind(StrEnum):
    TV = "tv"
    RADIO = "radio"
    NEWSPAPER = "newspaper"
    ONLINE_NEWS = "online_news"
    COMMUNITY_GROUP = "community_group"
    PUBLIC_VOICE = "public_voice"
    ANONYMOUS_ACCOUNT = "anonymous_account"


class Outlet(Frozen):
    """A news outlet or public voice: who publishes, to how many people, and how soon after a happening."""

    id: Id
    name: Name
    kind: OutletKind
    reach: Annotated[int, Field(ge=1, le=100_000_000)]
    """People who see one of its items."""
    delay: Distribution = Fixed(dist="fixed", value=0.0)
    """How long it takes to publish about something that happened (drawn per item)."""


class MediaTrigger(Frozen):
    """What starts a rumour or sets off a post: exactly one of an inject delivered, an event raised, an
    incident development, an action logged (optionally by one agency), a statement, or silence."""

    inject: InjectId | None = None
    event: Id | None = None
    development: Id | None = None
    action: Id | None = None
    by: Id | None = None
    statement: bool = False
    silence: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> MediaTrigger:
        chosen = [
            self.inject is not None,
            self.event is not None,
            self.development is not None,
            self.action is not None,
            self.statement,
            self.silence,
        ]
        if sum(chosen) != 1:
            raise ValueError("name exactly one of: inject, event, development, action, statement, silence")
        if self.by is not None and self.action is None:
            raise ValueError("'by' goes with an action")
        return self


class Rumour(Frozen):
    """A claim that spreads by a logistic curve until an official statement addresses its topic, then
    decays: reach(t) = peak / (1 + exp(-(t - midpoint) / steepness)), t counted from its start."""

    id: Id
    topic: Id
    claim: Text
    """The first post's text (a template: see docs/scenario-format.md)."""
    outlet: Id
    """Who starts it (usually an anonymous account or a community voice)."""
    started_by: MediaTrigger
    peak: Annotated[int, Field(ge=1, le=100_000_000)]
    midpoint: Seconds
    steepness: Seconds
    half_life: Seconds = 900.0
    """Once addressed, its reach halves every ``half_life``."""
    raises: tuple[Id, ...] = ()
    """Events raised when it starts (protocol triggers: 'a rumour must be answered within 20 minutes')."""

    @model_validator(mode="after")
    def _positive(self) -> Rumour:
        if self.steepness <= 0 or self.half_life <= 0:
            raise ValueError("steepness and half_life must be above zero")
        if self.started_by.statement or self.started_by.silence:
            raise ValueError("a rumour is started by an inject, event, development or action")
        return self


class Reaction(Frozen):
    """An item an outlet publishes when something happens (or when nothing does: silence)."""

    when: MediaTrigger
    outlet: Id
    text: Text
    """A template: see docs/scenario-format.md."""
    topic: Id | None = None


class Trust(Frozen):
    """The community-trust index (0 to 100) and what moves it (points, positive or negative)."""

    start: Annotated[float, Field(ge=0, le=100)] = 60.0
    unanswered_rumour: Annotated[float, Field(ge=-100, le=100)] = 0.0
    """Each media step, for each rumour running unanswered."""
    rumour_answered: Annotated[float, Field(ge=-100, le=100)] = 0.0
    """When a statement addresses a rumour."""
    silence: Annotated[float, Field(ge=-100, le=100)] = 0.0
    """Each time ``silence_after`` passes without a statement."""
    actions: dict[Id, Annotated[float, Field(ge=-100, le=100)]] = Field(default_factory=dict)
    """Per action logged (by any agency): use of force and arrests down, transparency up."""


class MediaParams(Frozen):
    """The public-information environment: outlets, rumours, reactions and community trust."""

    step: Seconds = 300.0
    """How often rumours' reach and the trust index are updated."""
    topics: dict[Id, Name] = Field(min_length=1)
    statement_actions: tuple[Id, ...] = Field(min_length=1)
    """Actions that count as an official statement (the first is what the console's statement logs)."""
    spokespeople: tuple[Id, ...] = ()
    """Agencies that may publish statements; empty: those of kind public_information."""
    silence_after: Seconds | None = None
    outlets: tuple[Outlet, ...] = Field(min_length=1)
    rumours: tuple[Rumour, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    trust: Trust = Trust()

    @model_validator(mode="after")
    def _step(self) -> MediaParams:
        if self.step <= 0:
            raise ValueError("step must be above zero")
        if self.silence_after is not None and self.silence_after <= 0:
            raise ValueError("silence_after must be above zero")
        return self


# --- scenario ----------------------------------------------------------------------------


class ScenarioFile(Frozen):
    """What a scenario YAML file holds."""

    id: Id
    name: Name
    kind: IncidentKind
    summary: Text
    threat_or_hazard: Name
    location: Name
    sponsor: Name
    exercise_type: Literal["tabletop", "functional", "full_scale", "drill", "game"] = "tabletop"
    mission_areas: tuple[MissionArea, ...] = Field(min_length=1)
    duration: Seconds
    lead_agency: Id
    agencies: tuple[Agency, ...] = Field(min_length=1)
    links: tuple[Link, ...] = ()
    parties: tuple[Party, ...] = ()
    """Senders and receivers outside the agency list (the public, a unit or person within an agency,
    an office not played)."""
    actions: tuple[ActionDef, ...] = ()
    events: tuple[EventDef, ...] = ()
    objectives: tuple[Objective, ...] = Field(min_length=1)
    response_plans: tuple[PlanBinding, ...] = ()
    msel: tuple[Inject, ...] = Field(min_length=1)
    simulation: SimulationParams
    points_of_contact: PointsOfContact = PointsOfContact()
    unit_types: dict[Id, Name | UnitTypeName] = Field(default_factory=dict)
    """Unit type id -> its name for people (``lrad_team: LRAD team``); unnamed types are worded from the id."""
    media: MediaParams | None = None
    """The public-information environment; none: no media layer."""
    capability_targets: Annotated[tuple[CapabilityTarget, ...], Field(exclude_if=lambda v: not v)] = ()
    """Capability targets with critical tasks only an evaluator can judge, added to the EEGs."""


class Trigger(Frozen):
    """A resolved protocol trigger: an action by one of ``agencies`` (any when empty), an event,
    or the start of the exercise."""

    kind: Literal["action", "event", "exercise_start"]
    name: Id | None = None
    agencies: tuple[Id, ...] = ()


class Protocol(Frozen):
    """A requirement of a response plan, bound to one agency of one scenario."""

    id: str
    plan: Id
    plan_name: Name
    title: Name
    trigger: Trigger
    agency: Id
    action: Id
    within: Seconds | None
    before_trigger: bool
    critical: bool
    capability: Capability
    source: Name
    repeats: Repeats = Repeats.REMINDER
    corrective_action: Text | None = None
    elements: tuple[CapabilityElement, ...] = ()
    rights_step: Annotated[bool, Field(exclude_if=lambda v: not v)] = False


class BoundAuthority(Frozen):
    """A plan's authority bound to one agency of one scenario."""

    plan: Id
    agency: Id
    functions: tuple[Id, ...]
    only_by: Name | None = None
    supervised_by: tuple[Id, ...] = ()
    """The agencies bound to the supervising role."""
    only_at: Name | None = None
    source: Name
    capability: Capability
    elements: tuple[CapabilityElement, ...] = ()
    corrective_action: Text | None = None


class BoundAgreement(Frozen):
    """A plan's data-sharing agreement bound to one sending agency and its recipient agencies."""

    id: Id
    plan: Id
    sender: Id
    recipients: tuple[Id, ...]
    categories: tuple[Id, ...]
    purpose: Text
    log_onward: Id | None = None
    log_within: Seconds = 600.0
    source: Name
    capability: Capability
    elements: tuple[CapabilityElement, ...] = ()
    corrective_action: Text | None = None


class Scenario(ScenarioFile):
    """A loaded, cross-checked scenario with its plans' protocols resolved to agencies."""

    plans: tuple[ResponsePlan, ...] = ()
    protocols: tuple[Protocol, ...] = ()

    def agency(self, agency_id: str) -> Agency:
        return self._agencies[agency_id]

    @cached_property
    def party_names(self) -> dict[str, str]:
        """Each party's name as a person reads it: a unit or person with its agency's."""
        return {p.id: f"{p.name} ({self.agency(p.within).name})" if p.within else p.name for p in self.parties}

    def inject(self, inject_id: str) -> Inject:
        return self._injects[inject_id]

    @cached_property
    def vocabulary(self) -> dict[str, str]:
        """Every action a player or agency may log: id -> label."""
        vocab = {a.id: a.label for plan in self.plans for a in plan.actions}
        vocab.update({a.id: a.label for a in self.actions})
        return vocab

    @cached_property
    def event_names(self) -> dict[str, str]:
        names = {e.id: e.label for plan in self.plans for e in plan.events}
        names.update({e.id: e.label for e in self.events})
        return names

    @cached_property
    def functions(self) -> dict[str, str]:
        """Every function an authority may grant: id -> label."""
        return {f.id: f.label for plan in self.plans for f in plan.functions}

    @cached_property
    def categories(self) -> dict[str, str]:
        """Every information category an agreement may govern: id -> label."""
        return {c.id: c.label for plan in self.plans for c in plan.categories}

    @cached_property
    def action_functions(self) -> dict[str, str]:
        """The function each action exercises, for the actions that exercise one."""
        out = {a.id: a.function for plan in self.plans for a in plan.actions if a.function}
        out.update({a.id: a.function for a in self.actions if a.function})
        return out

    @cached_property
    def authorities(self) -> tuple[BoundAuthority, ...]:
        """Every plan's authorities, one per agency bound to the role."""
        out = []
        for plan, roles in self._bindings:
            for auth in plan.authorities:
                supervisors = roles.get(auth.supervised_by, ()) if auth.supervised_by else ()
                out += [BoundAuthority(plan=plan.id, agency=agency, functions=auth.functions, only_by=auth.only_by,
                                       supervised_by=supervisors, only_at=auth.only_at, source=auth.source,
                                       capability=auth.capability, elements=auth.elements or plan.elements,
                                       corrective_action=auth.corrective_action)
                        for agency in roles.get(auth.role, ())]
        return tuple(out)

    @cached_property
    def agreements(self) -> tuple[BoundAgreement, ...]:
        """Every plan's agreements, one per agency bound to the sending role."""
        out = []
        for plan, roles in self._bindings:
            for agr in plan.agreements:
                recipients = tuple(dict.fromkeys(a for role in agr.to for a in roles.get(role, ())))
                out += [BoundAgreement(id=agr.id, plan=plan.id, sender=agency, recipients=recipients,
                                       categories=agr.categories, purpose=agr.purpose, log_onward=agr.log_onward,
                                       log_within=agr.log_within, source=agr.source,
                                       capability=agr.capability, elements=agr.elements or plan.elements,
                                       corrective_action=agr.corrective_action)
                        for agency in roles.get(agr.from_, ())]
        return tuple(out)

    @cached_property
    def _bindings(self) -> list[tuple[ResponsePlan, dict[str, tuple[str, ...]]]]:
        plans = {p.id: p for p in self.plans}
        return [(plans[b.plan], b.roles) for b in self.response_plans if b.plan in plans]

    @cached_property
    def spokespeople(self) -> frozenset[str]:
        """Agencies that may publish statements in the media layer."""
        if self.media is None:
            return frozenset()
        named = self.media.spokespeople
        return frozenset(named) if named else frozenset(
            a.id for a in self.agencies if a.kind is AgencyKind.PUBLIC_INFORMATION
        )

    @cached_property
    def _agencies(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    @cached_property
    def _injects(self) -> dict[str, Inject]:
        return {i.id: i for i in self.msel}
