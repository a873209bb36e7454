"""The rules of a joint operation, in one place: which authority lets an agency perform a function,
which data-sharing agreement lets it pass a category of information to another, and when passing
it on must be logged.

The console (the notice before a message is sent), the simulation (agencies keep to the rules
unless a pitfall says otherwise) and the report (overreach, disclosure and missing-log findings)
all ask these functions; none of them decides the rule for itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exercises.scenario.model import BoundAgreement, BoundAuthority, Scenario


def authorities_for(scenario: Scenario, agency: str, function: str) -> tuple[BoundAuthority, ...]:
    """The authorities that let ``agency`` perform ``function`` (empty: it may not)."""
    return tuple(a for a in scenario.authorities if a.agency == agency and function in a.functions)


def overreach(scenario: Scenario, agency: str | None, action: str) -> str | None:
    """The function ``action`` exercises when ``agency`` has no authority for it, else None."""
    function = scenario.action_functions.get(action)
    if function is None or agency is None or agency not in {a.id for a in scenario.agencies}:
        return None
    return None if authorities_for(scenario, agency, function) else function


def covering(scenario: Scenario, sender: str, to: str, category: str) -> tuple[BoundAgreement, ...]:
    """The agreements under which ``sender`` may pass ``category`` to ``to``."""
    return tuple(
        a for a in scenario.agreements if a.sender == sender and to in a.recipients and category in a.categories
    )


def uncovered(scenario: Scenario, sender: str, to: str, categories: Iterable[str]) -> tuple[str, ...]:
    """The categories of a message from ``sender`` to ``to`` that no agreement covers: a disclosure."""
    return tuple(c for c in dict.fromkeys(categories) if not covering(scenario, sender, to, c))


@dataclass(frozen=True)
class OnwardLog:
    """A message passes on information received under an agreement that requires a log of it."""

    agreement: BoundAgreement
    categories: tuple[str, ...]


def onward_logs(scenario: Scenario, sender: str, to: str, categories: Iterable[str]) -> tuple[OnwardLog, ...]:
    """The dissemination logs a message from ``sender`` to ``to`` requires: one per agreement under
    which ``sender`` received any of ``categories`` with ``log_onward`` set, when ``to`` is neither
    the agency that shared them nor a party to that agreement (CJIS: a release to an agency outside
    the original exchange agreement is logged)."""
    wanted = set(categories)
    out = []
    for agr in scenario.agreements:
        shared = tuple(c for c in agr.categories if c in wanted)
        if agr.log_onward and shared and sender in agr.recipients and to != agr.sender and to not in agr.recipients:
            out.append(OnwardLog(agr, shared))
    return tuple(out)


def message_notice(scenario: Scenario, sender: str, to: str, categories: Iterable[str]) -> tuple[str, ...]:
    """What the sender is told before sending: each rule the message would break or require."""
    categories = tuple(categories)
    label, agency = scenario.categories, scenario.agency
    out = []
    missing = uncovered(scenario, sender, to, categories)
    if missing:
        what = ", ".join(label.get(c, c) for c in missing)
        out.append(f"No data-sharing agreement lets {agency(sender).name} share {what} with {agency(to).name}: "
                   "sending it is a disclosure outside agreement and will be a finding in the report.")
    for need in onward_logs(scenario, sender, to, categories):
        what = ", ".join(label.get(c, c) for c in need.categories)
        action = scenario.vocabulary.get(need.agreement.log_onward or "", need.agreement.log_onward)
        out.append(f"{what} came under an agreement that requires a log of onward dissemination "
                   f"({need.agreement.source}): log \u201c{action}\u201d after sending.")
    return tuple(out)
