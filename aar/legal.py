"""Legal authority, civil rights and privacy: the findings of overreach, disclosure outside
agreement and missing dissemination logs, drawn from the record with the rules of
``exercises.scenario.legal``, and the improvement-plan rows they draft."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from aar.improvement import declared_row
from aar.model import Element, Finding, ImprovementItem, LegalFinding, LegalKind, LegalReview
from aar.record import Record
from aar.scoring import evidence
from exercises.record.entries import ActionLogged, Entry, InjectDelivered, MessageSent
from exercises.scenario.legal import OnwardLog, onward_logs, overreach, uncovered
from exercises.scenario.model import BoundAgreement, BoundAuthority, Scenario

LEGAL_TITLE = "Legal Authority, Civil Rights and Privacy"
"""The report section's title (the executive summary names it)."""
KIND_TITLE: dict[LegalKind, str] = {
    "overreach": "Overreach of delegated authority",
    "disclosure": "Disclosure outside any data-sharing agreement",
    "missing_log": "Onward dissemination not logged",
}
NO_ELEMENT = "to be set: the rule declares no capability element"


def legal_review(scenario: Scenario, record: Record, found: Sequence[Finding]) -> LegalReview | None:
    """The section's content, or None when the scenario's plans declare no such rule."""
    rights = {p.id for p in scenario.protocols if p.rights_step}
    if not (scenario.authorities or scenario.agreements or rights):
        return None
    findings = sorted([*overreaches(scenario, record), *disclosures(scenario, record), *missing_logs(scenario, record)],
                      key=lambda f: (f.at, f.evidence[0].seq if f.evidence else 0))
    carried = sum(isinstance(e.payload, MessageSent) and bool(e.payload.categories) for e in record.entries)
    return LegalReview(
        authorities=len(scenario.authorities),
        agreements=len(scenario.agreements),
        findings=tuple(findings),
        rights_steps=tuple(f for f in found if f.protocol_id in rights),
        messages_with_categories=carried,
    )


def _granted(scenario: Scenario, function: str) -> str:
    """Who the plans let perform ``function``, with the conditions, in words."""
    holders = [a for a in scenario.authorities if function in a.functions]
    if not holders:
        return "no plan delegates it to any agency"
    return "the plans delegate it only to " + "; ".join(_authority_words(scenario, a) for a in holders)


def _authority_words(scenario: Scenario, auth: BoundAuthority) -> str:
    conditions = [f"only by {auth.only_by}"] if auth.only_by else []
    if auth.supervised_by:
        conditions.append("under the supervision of " + " or ".join(scenario.agency(a).name for a in auth.supervised_by))
    if auth.only_at:
        conditions.append(f"only at {auth.only_at}")
    extra = f" ({', '.join(conditions)})" if conditions else ""
    return f"{scenario.agency(auth.agency).name}{extra}, under {auth.source}"


def overreaches(scenario: Scenario, record: Record) -> Iterator[LegalFinding]:
    """Each action that exercises a function its agency holds no authority for."""
    for e in record.entries:
        p = e.payload
        if not isinstance(p, ActionLogged):
            continue
        function = overreach(scenario, e.agency, p.action)
        if function is None or e.agency is None:
            continue
        holders = [a for a in scenario.authorities if function in a.functions]
        rule = holders[0] if holders else None
        label = scenario.functions.get(function, function)
        agency = record.names.agency(e.agency)
        yield _finding(
            "overreach", e, record, rule,
            what=f"{agency} logged \u201c{record.names.action(p.action)}\u201d, which exercises the function "
                 f"\u201c{label}\u201d, without an authority for it.",
            rule_text=f"\u201c{label}\u201d: {_granted(scenario, function)}.",
            capability=rule.capability if rule else "On-scene Security, Protection, and Law Enforcement",
            corrective=f"Brief every {agency} officer on the functions the agreements delegate and to whom, and "
                       f"review this action with {agency}'s legal adviser before the next operation.",
        )


def _messages(scenario: Scenario, record: Record) -> Iterator[tuple[Entry, str, str, tuple[str, ...]]]:
    """(entry, sender, recipient, categories) of every message and inject from an agency that
    carries information categories."""
    agencies = {a.id for a in scenario.agencies}
    for e in record.entries:
        p = e.payload
        if isinstance(p, MessageSent) and p.categories and e.agency in agencies:
            yield e, e.agency, p.to, p.categories
        elif isinstance(p, InjectDelivered) and p.inject_id in record.injects:
            inject = record.injects[p.inject_id]
            if inject.categories and inject.from_ in agencies:
                for to in p.to:
                    if to != inject.from_:
                        yield e, inject.from_, to, inject.categories


def disclosures(scenario: Scenario, record: Record) -> Iterator[LegalFinding]:
    """Each message that passes a category of information outside every agreement."""
    names = record.names
    for e, sender, to, categories in _messages(scenario, record):
        missing = uncovered(scenario, sender, to, categories)
        if not missing:
            continue
        what = ", ".join(scenario.categories.get(c, c) for c in missing)
        held = [a for a in scenario.agreements if any(c in a.categories for c in missing)]
        rule = held[0] if held else None
        allowed = "; ".join(_agreement_words(scenario, a) for a in held) or "no agreement covers it at all"
        yield _finding(
            "disclosure", e, record, rule, agency=sender,
            what=f"{names.agency(sender)} shared {what} with {names.agency(to)}, which no data-sharing "
                 "agreement allows.",
            rule_text=f"{what}: {allowed}.",
            capability=rule.capability if rule else "Intelligence and Information Sharing",
            corrective=f"Give {names.agency(sender)} a one-page list of who may receive {what} under which "
                       "agreement, and check it before any message that carries them.",
        )


def _agreement_words(scenario: Scenario, agr: BoundAgreement) -> str:
    to = ", ".join(scenario.agency(a).name for a in agr.recipients)
    return f"{scenario.agency(agr.sender).name} may share it with {to} for {agr.purpose.rstrip('.')} ({agr.source})"


def missing_logs(scenario: Scenario, record: Record) -> Iterator[LegalFinding]:
    """Each onward dissemination whose agreement requires a log, without that log in time."""
    names = record.names
    for e, sender, to, categories in _messages(scenario, record):
        for need in onward_logs(scenario, sender, to, categories):
            if _logged(record, sender, need, e.at):
                continue
            agr = need.agreement
            what = ", ".join(scenario.categories.get(c, c) for c in need.categories)
            log = names.action(agr.log_onward or "")
            yield _finding(
                "missing_log", e, record, agr, agency=sender,
                what=f"{names.agency(sender)} passed {what} on to {names.agency(to)} and did not log "
                     f"\u201c{log}\u201d within {round(agr.log_within / 60):g} min.",
                rule_text=f"{what} received from {names.agency(agr.sender)} under {agr.source}: onward "
                          "dissemination must be logged.",
                capability=agr.capability,
                corrective=f"Make the secondary-dissemination log part of {names.agency(sender)}'s message "
                           "routine for the categories its agreements name.",
            )


def _logged(record: Record, sender: str, need: OnwardLog, sent_at: float) -> bool:
    """Whether the log was made in time, or its time has not yet come when the record stops."""
    deadline = sent_at + need.agreement.log_within
    for e in record.actions.get(need.agreement.log_onward or "", ()):
        if e.agency == sender and sent_at <= e.at <= deadline:
            return True
    return record.ended_at is None and record.last_at < deadline


def _finding(
    kind: LegalKind, entry: Entry, record: Record, rule: BoundAuthority | BoundAgreement | None, *,
    what: str, rule_text: str, capability: str, corrective: str, agency: str | None = None,
) -> LegalFinding:
    who = agency or entry.agency or ""
    return LegalFinding(
        kind=kind, agency=who, agency_name=record.names.agency(who), at=entry.at, what=what, rule=rule_text,
        source=rule.source if rule else "the response plans applied",
        capability=capability,
        elements=tuple(Element(x) for x in rule.elements) if rule else (),
        corrective_action=(rule.corrective_action if rule and rule.corrective_action else corrective),
        evidence=(evidence(KIND_TITLE[kind].lower(), entry, record),),
    )


def improvement_rows(review: LegalReview | None) -> list[ImprovementItem]:
    """One improvement-plan row per legal finding, naming every element declared (none: to be set)."""
    if review is None:
        return []
    rows = []
    for f in review.findings:
        seq = f.evidence[0].seq if f.evidence else 0
        base = {"capability": f.capability, "issue": f"{KIND_TITLE[f.kind]}. {f.what}",
                "corrective_action": f.corrective_action, "responsible_agency": f.agency_name}
        key = f"legal:{f.kind}:{seq}"
        rows.append(declared_row(key, f.elements, **base) if f.elements
                    else ImprovementItem(key=key, element=None, element_reason=NO_ELEMENT, **base))
    return rows

