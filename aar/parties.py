"""Messages with people outside the agency list: the public's calls, a unit or person within an
agency, an office not played (the scenario's ``parties``). They are not nodes of the agency network,
so the report lists what passed to and from them on its own, by name."""

from __future__ import annotations

from aar.model import PartyMessage
from aar.record import Record
from exercises.record.entries import MessageDelivered, MessageLost, MessageSent
from exercises.scenario.model import Scenario


def party_messages(scenario: Scenario, record: Record) -> list[PartyMessage]:
    """Every message sent by or to a party, in the order sent, with what became of it."""
    parties = scenario.party_names
    if not parties:
        return []
    delivered: dict[str, float] = {}
    lost: set[str] = set()
    for e in record.entries:
        if isinstance(e.payload, MessageDelivered):
            delivered.setdefault(e.payload.message_id, e.at)
        elif isinstance(e.payload, MessageLost):
            lost.add(e.payload.message_id)
    out = []
    for e in record.entries:
        p = e.payload
        if not isinstance(p, MessageSent) or (e.agency not in parties and p.to not in parties):
            continue
        outcome = ("delivered" if p.message_id in delivered
                   else "not delivered" if p.message_id in lost else "no delivery recorded")
        out.append(PartyMessage(
            message_id=p.message_id, seq=e.seq, at=e.at, sender_name=record.names.agency(e.agency),
            to_name=record.names.agency(p.to), text=p.text, outcome=outcome,
            delivered_at=delivered.get(p.message_id),
        ))
    return out
