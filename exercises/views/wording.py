"""Entries described in words a person reads: names for ids, one line per entry, contingency conditions.

Text in these results is what users and scenario authors typed: renderers must escape it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from exercises.record.entries import (
    ActionLogged,
    AnalysisAccepted,
    BaselineStored,
    CapabilityRated,
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Correction,
    DetailsSet,
    Development,
    Entry,
    EvaluatorAssigned,
    FeedbackSubmitted,
    HotWashPoint,
    ImprovementItemEdited,
    InjectAdded,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    InjectSkipped,
    LinkDown,
    LinkUp,
    MediaItemAdded,
    MediaItemPublished,
    MessageDelivered,
    MessageLost,
    MessageNotSent,
    MessageSent,
    ObservationRecorded,
    RatingReconciled,
    ResourceAssigned,
    ResourceReleased,
    ResourceRequested,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    StatementIssued,
    TrustChanged,
)
from exercises.scenario.durations import format_duration
from exercises.scenario.model import GeneralModel, Inject, Scenario, UnitTypeName


def known_injects(scenario: Scenario, entries: Iterable[Entry]) -> dict[str, Inject]:
    """The MSEL plus every inject a controller added, by id."""
    injects = {i.id: i for i in scenario.msel}
    for e in entries:
        if isinstance(e.payload, InjectAdded):
            injects.setdefault(e.payload.inject.id, e.payload.inject)
    return injects


def message_texts(entries: Iterable[Entry]) -> dict[str, MessageSent]:
    return {e.payload.message_id: e.payload for e in entries if isinstance(e.payload, MessageSent)}



# --- describing an entry -----------------------------------------------------------------

SENDER_NAMES = {"simcell": "Simulation cell", "controller": "Controller"}
"""Who else than an agency may send an inject (exercises.scenario.loading.SENDERS_OTHER_THAN_AGENCIES)."""


def agency_names(scenario: Scenario) -> dict[str, str]:
    """Agency id -> name, with the senders that are not agencies: what a person reads."""
    return {**SENDER_NAMES, **{a.id: a.name for a in scenario.agencies}}


# --- names of unit types and agency kinds: the one rule the console, the report and the forms use --

UnitForms = tuple[str, str]
"""A unit type's name for one unit and for several: ("LRAD team", "LRAD teams")."""

ABBREVIATIONS = frozenset({
    "als", "bls", "ems", "mci", "ed", "icu", "eoc", "ecc", "pio", "jic", "swat", "hazmat", "usar", "ct",
    "lrad", "fps", "cert", "hq", "ic", "iap", "k9", "uav", "ppe", "rn", "emt",
})
"""Words of an id written in capitals when the scenario does not name the unit type."""

MASS_NOUNS = frozenset({"staff", "personnel", "equipment", "police", "security", "aircraft"})
"""Last words that do not change in the plural: "8 EOC staff", never "8 EOC staffs"."""

_ES = re.compile(r"(s|x|z|ch|sh)$")
_CONSONANT_Y = re.compile(r"[^aeiou]y$")


def plural(noun: str, count: int) -> str:
    """English plural of the last word of ``noun`` when ``count`` is not 1 (mass nouns unchanged)."""
    last = noun.rsplit(" ", 1)[-1].lower()
    if count == 1 or not noun or last in MASS_NOUNS:
        return noun
    if _CONSONANT_Y.search(noun):
        return noun[:-1] + "ies"
    if _ES.search(noun):
        return noun + "es"
    return noun + "s"


def unit_forms(unit_type: str, named: str | UnitTypeName | None = None) -> UnitForms:
    """A unit type as people write it, from the scenario's ``unit_types`` name or else from its id:
    ``lrad_team`` -> ("LRAD team", "LRAD teams"), ``eoc_staff`` -> ("EOC staff", "EOC staff")."""
    if isinstance(named, UnitTypeName):
        return named.name, named.plural
    one = named or " ".join(w.upper() if w in ABBREVIATIONS else w for w in unit_type.split("_") if w)
    return one, plural(one, 2)


def unit_names(scenario: Scenario) -> dict[str, UnitForms]:
    """Every unit type of the scenario (its agencies' resources and its named types) -> its forms."""
    types = {u for a in scenario.agencies for u in a.resources} | set(scenario.unit_types)
    return {u: unit_forms(u, scenario.unit_types.get(u)) for u in sorted(types)}


def units(count: int, unit_type: str, names: Mapping[str, UnitForms]) -> str:
    """``8 EOC staff``, ``1 LRAD team``, ``2 LRAD teams``: a count of units in words."""
    one, many = names.get(unit_type) or unit_forms(unit_type)
    return f"{count} {one if count == 1 else many}"


def unit_label(unit_type: str, names: Mapping[str, UnitForms] | None = None) -> str:
    """One unit type's name, as a select or a table heading shows it."""
    return ((names or {}).get(unit_type) or unit_forms(unit_type))[0]


AGENCY_KINDS = {
    "law_enforcement": "Law enforcement", "ems": "EMS", "fire": "Fire", "dispatch": "Dispatch (911)",
    "hospital": "Hospital", "public_health": "Public health", "public_information": "Public information",
    "emergency_management": "Emergency management", "federal_partner": "Federal partner",
    "facility_operator": "Facility operator", "legal_services": "Legal services", "consular": "Consular",
    "human_services": "Human services", "event_organizer": "Event organizer", "other": "Other",
}


def agency_kind(kind: str) -> str:
    """An agency's kind as people write it: ``ems`` -> ``EMS``."""
    return AGENCY_KINDS.get(kind, kind.replace("_", " ").capitalize())


def field_label(name: str) -> str:
    return name.replace("_", " ")


class NameIndex:
    """What a person may type for an agency or an action: its id or its name, in any case; the id back.

    The MSEL workbook and the command line read names with it, so "Harlan County EMS", "harlan county
    ems" and ``county_ems`` are the same agency. A name two ids share finds neither (it is ambiguous)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        pairs = list(pairs)
        self.ids = {i for i, _ in pairs}
        self.names = [name for _, name in pairs]
        """The names as written, for a did-you-mean."""
        found: dict[str, set[str]] = {}
        for ident, name in pairs:
            found.setdefault(_key(name), set()).add(ident)
        self._by_name = {k: next(iter(v)) for k, v in found.items() if len(v) == 1}

    def find(self, text: str) -> str | None:
        """The id ``text`` spells (an id exactly, or a name in any case), or None."""
        text = text.strip()
        return text if text in self.ids else self._by_name.get(_key(text))

    def unique(self, ident: str, name: str) -> bool:
        """Whether ``name`` reads back as ``ident`` (so it may be written instead of the id)."""
        return (self._by_name.get(_key(name)) == ident and name.strip() == name and bool(name)
                and (name not in self.ids or name == ident))

    def split(self, text: str) -> list[str]:
        """Several ids or names in one cell, separated by commas, semicolons or lines; a name that
        itself holds a comma is kept whole. Pieces that spell nothing known are returned as typed."""
        pieces = _SEPARATORS.split(text)
        out: list[str] = []
        i = 0
        while i < len(pieces):
            for j in range(len(pieces) - 1, i - 1, -2):
                found = self.find("".join(pieces[i:j + 1]))
                if found is not None:
                    out.append(found)
                    i = j + 2
                    break
            else:
                if pieces[i].strip():
                    out.append(pieces[i].strip())
                i += 2
        return out


_SEPARATORS = re.compile(r"([,;\n])")


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def agency_index(scenario: Scenario) -> NameIndex:
    """Agencies by id or name."""
    return NameIndex((a.id, a.name) for a in scenario.agencies)


# --- the incident's developments, in the scenario's words ------------------------------------


@dataclass(frozen=True)
class IncidentNames:
    """What a general incident model calls the incident and each of its developments (the scenario's
    own words); empty for the built-in models, whose developments are worded from what they record."""

    incident: str = ""
    developments: Mapping[str, str] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    """Development id -> what it tells the agencies it reaches (their inbox's text)."""


def incident_names(scenario: Scenario) -> IncidentNames:
    inc = scenario.simulation.incident
    if not isinstance(inc, GeneralModel):
        return IncidentNames()
    return IncidentNames(inc.name or scenario.threat_or_hazard, inc.names,
                         {d.id: d.text or "" for d in inc.developments})


CHANGES = {"stopped": "stopped before it happened", "slowed": "slowed", "sped": "sped up"}
"""What a response did to a development before it happened (``Development.detail['change']``)."""


TRIAGE = {"red": "red (immediate)", "yellow": "yellow (delayed)", "green": "green (minor)", "black": "black (dead)"}
"""START triage categories as a responder reads them."""


def _number(value: object) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) else str(value)


def built_in_development(p: Development, agency: Callable[[str], str]) -> str:
    """A development of a built-in incident model (crowd, casualties, fire) in words, from what it
    records: "Crowd escalated to Agitated (about 1,200 people)", "Patient 12 deteriorated to red
    (immediate)", "Mercy General Hospital full (40 beds)". ``agency`` names an agency from its id."""
    d, what = p.detail, p.what
    if what in ("crowd_escalated", "crowd_calmed"):
        size = f" (about {_number(d['size'])} people)" if "size" in d else ""
        return f"Crowd {'escalated' if what == 'crowd_escalated' else 'calmed'} to {d.get('level_name', '')}{size}"
    category = TRIAGE.get(str(d.get("category", "")), str(d.get("category", "")))
    worded = {
        "patient_arrived": lambda: f"Patient {d.get('patient')} found, triaged {category}",
        "patient_deteriorated": lambda: f"Patient {d.get('patient')} deteriorated to {category}",
        "patient_died": lambda: f"Patient {d.get('patient')} died without care",
        "hospital_full": lambda: f"{agency(str(d.get('hospital', '')))} full ({_number(d.get('beds'))} beds taken)",
        "fire_spread": lambda: f"Fire spread: {_number(d.get('zones_burning'))} of {_number(d.get('zones'))} zones burning",
        "fire_contained": lambda: (f"Fire contained with {_number(d.get('zones_burning'))} of "
                                   f"{_number(d.get('zones'))} zones burning"),
        "evacuation_complete": lambda: f"Evacuation complete ({_number(d.get('occupants'))} occupants out)",
    }.get(what)
    return worded() if worded else field_label(what)


def trust_driver(p: TrustChanged, action: Callable[[str], str]) -> str:
    """What moved the community's trust, in words ("after “Issue dispersal order”", "2 rumours
    unanswered"); ``about`` holds ids for an action or rumours, words for silence."""
    if p.driver == "action":
        return f"after “{action(p.about)}”"
    if p.driver == "rumour_answered":
        return "a rumour answered"
    if p.driver == "unanswered_rumour":
        count = len([r for r in p.about.split(", ") if r]) or 1
        return f"{count} rumour{'' if count == 1 else 's'} unanswered"
    return p.about or "no official statement"


def development_words(p: Development, names: IncidentNames, agency: str, action: Callable[[str], str],
                      agency_name: Callable[[str], str], *, incident: bool = True) -> str:
    """A development as a person reads it: a built-in model's from what it records
    (``built_in_development``); a general model's in the scenario's words: "River flood: Levee overtopped", or the
    response that changed it: "River flood: Levee overtopped: slowed (time left x2) by “Sandbag the
    levee” (County Public Works)". ``agency`` is the acting agency's name (empty: none); without
    ``incident``, the incident's name is left out (where a heading already says it)."""
    if p.model != "general":
        return built_in_development(p, agency_name)
    name = names.developments.get(p.what, field_label(p.what))
    said = f"{names.incident}: {name}" if incident else name
    change = str(p.detail.get("change", ""))
    if change not in CHANGES:
        hurt = p.detail.get("casualties")
        return said + (f" ({hurt} people hurt or needing rescue)" if hurt else "")
    factor = p.detail.get("factor")
    scaled = f" (time left x{factor:.2g})" if change != "stopped" and isinstance(factor, int | float) else ""
    by = f" ({agency})" if agency else ""
    return f"{said}: {CHANGES[change]}{scaled} by \u201c{action(str(p.detail.get('action', '')))}\u201d{by}"


@dataclass(frozen=True)
class Words:
    """The names a description uses instead of ids: agencies, actions, and the requests seen."""

    agencies: Mapping[str, str]
    vocab: Mapping[str, str]
    requests: Mapping[str, tuple[str | None, str]]
    """Request id -> (requesting agency, asked agency)."""
    unit_types: Mapping[str, UnitForms] = field(default_factory=dict)
    incident: IncidentNames = IncidentNames()

    def agency(self, agency_id: str | None) -> str:
        return self.agencies.get(agency_id, agency_id) if agency_id else ""

    def many(self, ids: Iterable[str]) -> str:
        return ", ".join(self.agency(i) for i in ids)

    def action(self, action: str) -> str:
        return self.vocab.get(action, field_label(action))

    def units(self, count: int, unit_type: str) -> str:
        return units(count, unit_type, self.unit_types)


def words(scenario: Scenario, entries: Iterable[Entry] = ()) -> Words:
    requests = {e.payload.request_id: (e.agency, e.payload.to) for e in entries
                if isinstance(e.payload, ResourceRequested)}
    return Words(agency_names(scenario), scenario.vocabulary, requests, unit_names(scenario), incident_names(scenario))


def describe(entry: Entry, scenario: Scenario, injects: dict[str, Inject],
             named: Words | None = None) -> str:
    """One line of plain text saying what the entry records, with names, never ids (but the
    inject numbers a controller acts on)."""
    return describe_in(entry, named or words(scenario), injects)


def _inject_label(inject_id: str, injects: Mapping[str, Inject]) -> str:
    inject = injects.get(inject_id)
    return f"{inject_id} ({inject.synopsis})" if inject else inject_id


def _clock_and_injects(entry: Entry, w: Words, injects: dict[str, Inject]) -> str | None:
    """The exercise clock and the MSEL: starts, pauses, injects delivered, held, added."""
    p = entry.payload
    match p:
        case ClockStarted():
            return f"Exercise clock started (speed x{p.speed:g})"
        case ClockPaused():
            return "Exercise clock paused"
        case ClockResumed():
            return "Exercise clock resumed"
        case ClockSpeedChanged():
            return f"Clock speed changed to x{p.speed:g}"
        case ClockEnded():
            return "Exercise ended"
        case InjectDelivered():
            inject = injects.get(p.inject_id)
            synopsis = f": {inject.synopsis}" if inject else ""
            return f"Inject {p.inject_id} delivered to {w.many(p.to)}{synopsis}"
        case InjectHeld():
            return f"Inject {_inject_label(p.inject_id, injects)} held" + (f": {p.reason}" if p.reason else "")
        case InjectReleased():
            override = " by controller override (its condition did not hold)" if p.override else ""
            return f"Inject {_inject_label(p.inject_id, injects)} released{override}"
        case InjectAdded():
            return f"Inject {p.inject.id} added for {format_duration(p.inject.time)}: {p.inject.synopsis}"
        case InjectSkipped():
            return f"Inject {_inject_label(p.inject_id, injects)} not delivered: {skip_reason(p, injects, w)}"
    return None


def _actions_and_messages(entry: Entry, w: Words, injects: dict[str, Inject]) -> str | None:
    """What agencies did and said: actions, messages, resources, links."""
    p = entry.payload
    match p:
        case ActionLogged():
            label = w.action(p.action)
            linked = f" (re {p.inject_id})" if p.inject_id else ""
            return f"{label}{linked}" + (f": {p.text}" if p.text else "")
        case MessageSent():
            return f"Message to {w.agency(p.to)}: {p.text}"
        case MessageDelivered():
            via = f" via {', '.join(w.agency(a) for a in p.path[1:-1])}" if len(p.path) > 2 else ""
            return f"Message from {w.agency(p.sender)} delivered to {w.agency(p.to)}{via}"
        case MessageLost():
            return f"Message from {w.agency(p.sender)} to {w.agency(p.to)} lost: {why_lost(p, w)}"
        case MessageNotSent():
            return f"Message to {w.agency(p.to)} not sent: {p.text}"
        case ResourceRequested():
            extra = f": {p.text}" if p.text else ""
            return f"Request to {w.agency(p.to)} for {w.units(p.count, p.unit_type)}{extra}"
        case ResourceAssigned():
            return f"{w.units(p.count, p.unit_type)} assigned to {w.agency(p.requester)}"
        case ResourceReleased():
            asked = w.requests.get(p.request_id)
            whose = f" (asked by {w.agency(asked[0])} of {w.agency(asked[1])})" if asked and asked[0] else ""
            return f"{w.units(p.count, p.unit_type)} released{whose}"
        case LinkDown():
            return f"Link {w.agency(p.between[0])} - {w.agency(p.between[1])} down" + (
                f": {p.reason}" if p.reason else "")
        case LinkUp():
            return f"Link {w.agency(p.between[0])} - {w.agency(p.between[1])} up"
    return None


def _evaluation(entry: Entry, w: Words, injects: dict[str, Inject]) -> str | None:
    """What evaluators and the hot wash recorded."""
    p = entry.payload
    match p:
        case ObservationRecorded():
            rating = f" [{p.rating.value}]" if p.rating else ""
            about = f" about {w.agency(entry.agency)}" if entry.agency else ""
            return f"Observation on {p.capability}{about}{rating}" + (f": {p.text}" if p.text else "")
        case EvaluatorAssigned():
            return f"{p.evaluator} named lead evaluator" if p.lead else (
                f"{p.evaluator} assigned to evaluate "
                + " for ".join(x for x in (p.capability, w.agency(p.agency) if p.agency else None) if x))
        case CapabilityRated():
            # The rating itself is kept apart until the lead evaluator reconciles it.
            return f"Capability rating recorded: {p.capability}"
        case RatingReconciled():
            return f"Lead evaluator's reconciled rating of {p.capability}: {p.rating.value}. {p.reason}"
        case HotWashPoint():
            what = "strength" if p.point == "strength" else "area for improvement"
            return f"Hot wash, {w.agency(entry.agency)} ({p.said_by}), {what}: {p.text}"
        case FeedbackSubmitted():
            return "Participant feedback form filled"
    return None


def _record_keeping(entry: Entry, w: Words, injects: dict[str, Inject]) -> str | None:
    """The record's own keeping: details, baseline, analyses, edits, corrections, developments."""
    p = entry.payload
    match p:
        case DetailsSet():
            kind = "a real incident" if p.record_kind == "real_incident" else "an exercise"
            zone = f", times in {p.timezone}" if p.timezone else ""
            return (f"Exercise details recorded: {kind}{zone}, "
                    f"{len(p.contacts)} point{'' if len(p.contacts) == 1 else 's'} of contact")
        case BaselineStored():
            return "Simulated baseline kept with the exercise"
        case AnalysisAccepted():
            return f"Lead evaluator {'edited and accepted' if p.edited else 'accepted'} the analysis of {p.capability}"
        case ImprovementItemEdited():
            return f"Improvement plan edited: {', '.join(field_label(f) for f in sorted(p.fields))}"
        case Correction():
            what = "replaced" if p.replacement is not None else "voided"
            return f"Entry {p.corrects} {what}: {p.reason}"
        case Development():
            return development_words(p, w.incident, w.agency(entry.agency), w.action, w.agency)
    return None


def _media(entry: Entry, w: Words, injects: dict[str, Inject]) -> str | None:
    """The public-information environment: rumours, posts, trust, statements."""
    p = entry.payload
    match p:
        # Media entries name no ids here (the media feed shows outlets and topics by name).
        case RumourStarted():
            return f"Rumour started: {p.text}"
        case RumourSpread():
            return f"A rumour {'reaches' if p.growing else 'fades to'} {p.reach:,} people"
        case RumourAddressed():
            return f"A rumour answered by an official statement (reach {p.reach:,})"
        case MediaItemPublished() | MediaItemAdded():
            return f"News or post: {p.text}"
        case TrustChanged():
            return f"Community trust {p.trust:.1f} ({p.change:+.1f}, {trust_driver(p, w.action)})"
        case StatementIssued():
            return f"Official statement: {p.text}"
    return None


_DESCRIBERS = (_clock_and_injects, _actions_and_messages, _evaluation, _record_keeping, _media)


def describe_in(entry: Entry, w: Words, injects: dict[str, Inject]) -> str:
    """One journal entry as a line a person reads, with names for ids (``Words``)."""
    for part in _DESCRIBERS:
        said = part(entry, w, injects)
        if said is not None:
            return said
    return entry.kind.value  # pragma: no cover  (every kind is matched above)


# --- contingency injects: does the condition hold? -------------------------------------------


def why_lost(lost: MessageLost, w: Words) -> str:
    """Why a message did not arrive, naming the link's agencies ('lost on the link between Town Fire
    Department and the EOC'), never the link's ids the record keeps."""
    if lost.lost_on:
        return f"lost on the link between {w.agency(lost.lost_on[0])} and {w.agency(lost.lost_on[1])}"
    return lost.reason


def condition_text(inject: Inject, w: Words) -> str:
    """What a contingency inject waits for, in words: "only if X has not logged Y"."""
    c = inject.condition
    if c is None:
        return ""
    who = w.agency(c.by_agency) if c.by_agency else "any agency"
    return f"Sent only if {who} has{'' if c.happened else ' not'} logged \u201c{w.action(c.action)}\u201d."


def condition_reason(inject: Inject, entries: Iterable[Entry], w: Words) -> str | None:
    """Why a contingency inject's condition does not hold now (``None``: it holds, or there is none).

    Judged as the simulation judges it: on every logged action, the simulated agencies' too."""
    c = inject.condition
    if c is None:
        return None
    done = next((e for e in entries if isinstance(e.payload, ActionLogged) and e.payload.action == c.action
                 and (c.by_agency is None or e.agency == c.by_agency)), None)
    if (done is not None) == c.happened:
        return None
    label = f"\u201c{w.action(c.action)}\u201d"
    if done is not None:
        return f"{w.agency(done.agency) or 'an agency'} logged {label} at {format_duration(done.at)}"
    return f"{w.agency(c.by_agency) if c.by_agency else 'no agency'} has not logged {label}"


def skip_reason(skipped: InjectSkipped, injects: Mapping[str, Inject], w: Words) -> str:
    """Why the simulation skipped an inject, in names (its journal reason names ids)."""
    inject = injects.get(skipped.inject_id)
    c = inject.condition if inject else None
    if c is None:
        return skipped.reason
    who = w.agency(c.by_agency) if c.by_agency else "an agency"
    label = f"\u201c{w.action(c.action)}\u201d"
    if c.happened:
        return f"its condition did not hold: {who} had not logged {label}"
    return f"its condition did not hold: {who} had already logged {label}"

