"""Entries described in words a person reads: names for ids, one line per entry, contingency conditions.

Text in these results is what users and scenario authors typed: renderers must escape it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from exercises.record.entries import (
    ActionLogged,
    CapabilityRated,
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Correction,
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
from exercises.scenario.model import Inject, Scenario


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


def unit_label(unit_type: str) -> str:
    """A unit type as people write it: ``bike_team`` -> ``bike team``."""
    return unit_type.replace("_", " ")


def field_label(name: str) -> str:
    return name.replace("_", " ")


@dataclass(frozen=True)
class Words:
    """The names a description uses instead of ids: agencies, actions, and the requests seen."""

    agencies: Mapping[str, str]
    vocab: Mapping[str, str]
    requests: Mapping[str, tuple[str | None, str]]
    """Request id -> (requesting agency, asked agency)."""

    def agency(self, agency_id: str | None) -> str:
        return self.agencies.get(agency_id, agency_id) if agency_id else ""

    def many(self, ids: Iterable[str]) -> str:
        return ", ".join(self.agency(i) for i in ids)

    def action(self, action: str) -> str:
        return self.vocab.get(action, field_label(action))


def words(scenario: Scenario, entries: Iterable[Entry] = ()) -> Words:
    requests = {e.payload.request_id: (e.agency, e.payload.to) for e in entries
                if isinstance(e.payload, ResourceRequested)}
    return Words(agency_names(scenario), scenario.vocabulary, requests)


def describe(entry: Entry, scenario: Scenario, injects: dict[str, Inject],
             named: Words | None = None) -> str:
    """One line of plain text saying what the entry records, with names, never ids (but the
    inject numbers a controller acts on)."""
    return describe_in(entry, named or words(scenario), injects)


def _inject_label(inject_id: str, injects: Mapping[str, Inject]) -> str:
    inject = injects.get(inject_id)
    return f"{inject_id} ({inject.synopsis})" if inject else inject_id


def describe_in(entry: Entry, w: Words, injects: dict[str, Inject]) -> str:
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
            return f"Message from {w.agency(p.sender)} to {w.agency(p.to)} lost: {p.reason}"
        case ResourceRequested():
            extra = f": {p.text}" if p.text else ""
            return f"Request to {w.agency(p.to)} for {p.count} {unit_label(p.unit_type)}{extra}"
        case ResourceAssigned():
            return f"{p.count} {unit_label(p.unit_type)} assigned to {w.agency(p.requester)}"
        case ResourceReleased():
            asked = w.requests.get(p.request_id)
            whose = f" (asked by {w.agency(asked[0])} of {w.agency(asked[1])})" if asked and asked[0] else ""
            return f"{p.count} {unit_label(p.unit_type)} released{whose}"
        case LinkDown():
            return f"Link {w.agency(p.between[0])} - {w.agency(p.between[1])} down" + (
                f": {p.reason}" if p.reason else "")
        case LinkUp():
            return f"Link {w.agency(p.between[0])} - {w.agency(p.between[1])} up"
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
        case ImprovementItemEdited():
            return f"Improvement plan edited: {', '.join(field_label(f) for f in sorted(p.fields))}"
        case Correction():
            what = "replaced" if p.replacement is not None else "voided"
            return f"Entry {p.corrects} {what}: {p.reason}"
        case Development():
            return f"{p.model.capitalize()}: {p.what.replace('_', ' ')}"
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
            return f"Community trust {p.trust:.1f} ({p.change:+.1f}, {p.driver.replace('_', ' ')})"
        case StatementIssued():
            return f"Official statement: {p.text}"
    return entry.kind.value  # pragma: no cover  (every kind is matched above)


# --- contingency injects: does the condition hold? -------------------------------------------


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

