"""Random journals over the example scenarios, for property tests of everything derived from a journal:
in time order or not, with corrections and voids, added injects, developments, messages delivered, statements,
self-triggering and exercise-start protocol variants, and times with fractions of a second."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from exercises.record.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    ClockStarted,
    Correction,
    Development,
    Entry,
    InjectAdded,
    InjectDelivered,
    MessageDelivered,
    MessageSent,
    Payload,
    StatementIssued,
)
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Protocol, Scenario, Trigger

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "warehouse": ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml",
    "civil": ROOT / "data" / "scenarios" / "civil_disturbance.yaml",
}


# --- scenarios, with protocol variants the example files do not have ----------------------


@cache
def scenario_with_variants(name: str) -> Scenario:
    """The example scenario with, added, each protocol's variants: triggered at exercise start,
    before/within flipped, and triggered by its own action (the trigger must not count as done)."""
    scenario = load_scenario(SCENARIOS[name])
    extra: list[Protocol] = []
    for p in scenario.protocols:
        flipped_within = None if not p.before_trigger else 600.0
        extra += [
            p.model_copy(update={"id": f"{p.id}~start", "trigger": Trigger(kind="exercise_start")}),
            p.model_copy(update={"id": f"{p.id}~flip", "before_trigger": not p.before_trigger,
                                 "within": flipped_within}),
            p.model_copy(update={"id": f"{p.id}~self",
                                 "trigger": Trigger(kind="action", name=p.action, agencies=(p.agency,))}),
            p.model_copy(update={"id": f"{p.id}~selfbefore", "before_trigger": True, "within": None,
                                 "trigger": Trigger(kind="action", name=p.action)}),
        ]
    return scenario.model_copy(update={"protocols": scenario.protocols + tuple(extra)})


def _actions(scenario: Scenario) -> list[str]:
    names = set(scenario.vocabulary)
    for p in scenario.protocols:
        names.add(p.action)
        if p.trigger.kind == "action" and p.trigger.name:
            names.add(p.trigger.name)
    return sorted(names)


def _events(scenario: Scenario) -> list[str]:
    names = set(scenario.event_names)
    names.update(p.trigger.name for p in scenario.protocols if p.trigger.kind == "event" and p.trigger.name)
    return sorted(names)


STEPS = [0.0, 0.0, 0.4, 0.5, 0.6, 30.0, 120.0, 299.6, 300.4, 300.5, 599.5, 600.5, 900.0]
"""Gaps between entries: whole seconds, and fractions that land just before, on and after the
half second, so deadlines are met or missed by less than a second."""


@st.composite
def journals(draw: st.DrawFn, *, started: bool = False) -> tuple[str, list[Entry], float, bool]:
    """(scenario name, journal, now, ended): the scenario is ``scenario_with_variants(name)`` (a name
    keeps a failing example short). ``started``: as a simulated run records it, the clock starts
    first at 0:00 and nothing restarts it, entries come in time order and no inject is added."""
    name = draw(st.sampled_from(sorted(SCENARIOS)))
    scenario = scenario_with_variants(name)
    recipients = [a.id for a in scenario.agencies]
    agencies: list[str | None] = [*recipients, None]
    actions, events = _actions(scenario), _events(scenario)
    msel = list(scenario.msel)
    added = msel[0].model_copy(update={"id": "ADDED-1", "raises": tuple(events[:2])})
    ordered = started or draw(st.integers(0, 4)) > 0  # the journal stamps in time order; mostly test that
    kinds = ["action"] * 6 + ["inject", "development", "correction", "message", "statement", "delivered"]
    if not started:
        kinds += ["start", "added"]
    count = draw(st.integers(min_value=0, max_value=60))
    at = 0.0
    items: list[Entry] = []
    if started:
        items.append(Entry(seq=1, at=0.0, agency=None, actor="controller", payload=ClockStarted()))
    for seq in range(len(items) + 1, count + 1):
        step = draw(st.sampled_from(STEPS))
        at = at + step if ordered else draw(st.sampled_from([0.0, 60.0, 300.0, 600.0, 1200.0, 3600.0]))
        agency = draw(st.sampled_from(agencies))
        kind = draw(st.sampled_from(kinds))
        payload: Payload
        if kind == "action" or (kind in ("correction", "message") and seq <= 1 + started):
            payload = ActionLogged(action=draw(st.sampled_from(actions)))
        elif kind == "statement":
            payload = StatementIssued(action=draw(st.sampled_from(actions)), text="Statement")
        elif kind == "start":
            payload, agency = ClockStarted(), None
        elif kind == "inject":
            inject = draw(st.sampled_from(msel if started else [*msel, added]))
            payload, agency = InjectDelivered(inject_id=inject.id, to=inject.to), None
        elif kind == "development":
            raises = tuple(draw(st.lists(st.sampled_from(events), max_size=3)))
            payload, agency = Development(model="crowd", what="escalates", raises=raises), None
        elif kind == "added":
            payload, agency = InjectAdded(inject=added), None
        elif kind == "correction":
            replacement = draw(st.none() | st.builds(ActionLogged, action=st.sampled_from(actions)))
            # The service corrects what people logged, never the clock's start.
            payload = Correction(corrects=draw(st.integers(1 + started, seq - 1)), reason="typo",
                                 replacement=replacement)
        elif kind == "delivered":  # a message passing an event on (scoring: when an agency was told)
            sender, to = draw(st.sampled_from(recipients)), draw(st.sampled_from(recipients))
            sent_at = max(0.0, at - draw(st.sampled_from([0.0, 0.4, 60.0, 600.0])))
            payload, agency = MessageDelivered(message_id=f"m{seq}", sender=sender, to=to, path=(sender, to),
                                               sent_at=sent_at), to
        else:
            payload = MessageSent(message_id=f"m{seq}", to=draw(st.sampled_from(recipients)), text="hi")
        actor = ENGINE_ACTOR if isinstance(payload, InjectDelivered | Development | MessageDelivered) else "player:x"
        items.append(Entry(seq=seq, at=at, agency=agency, actor=actor, payload=payload))
    now = draw(st.sampled_from([0.0, 600.0, 1800.0, 7200.0, 20_000.0]) | st.just(at))
    return name, items, max(now, at) if started else now, draw(st.booleans())
