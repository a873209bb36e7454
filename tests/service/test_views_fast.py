"""The indexed protocol clock and the linear timeline give exactly what the straightforward
per-protocol / per-entry versions gave (kept below as references), on random journals built
from the example scenarios, in time order or not, with corrections, self-triggering and
exercise-start protocols."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    ClockStarted,
    Correction,
    Development,
    Entry,
    InjectAdded,
    InjectDelivered,
    MessageSent,
    Payload,
)
from exercises.loading import load_scenario
from exercises.scenario import Inject, Protocol, Scenario, Trigger
from exercises.views import (
    ProtocolInstance,
    ProtocolStatus,
    TimelineItem,
    agency_log,
    describe,
    effective,
    in_own_log,
    known_injects,
    protocol_clock,
    timeline,
)

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "warehouse": ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml",
    "civil": ROOT / "data" / "scenarios" / "civil_disturbance.yaml",
}


# --- the reference implementations (the unindexed versions, verbatim) ---------------------


def _ref_triggers(protocol: Protocol, entries: Sequence[Entry], injects: dict[str, Inject]) -> list[Entry]:
    trigger = protocol.trigger
    out: list[Entry] = []
    for e in entries:
        p = e.payload
        if trigger.kind == "exercise_start":
            if isinstance(p, ClockStarted):
                return [e]
        elif trigger.kind == "event":
            raised: tuple[str, ...] = ()
            if isinstance(p, InjectDelivered) and p.inject_id in injects:
                raised = injects[p.inject_id].raises
            elif isinstance(p, Development):
                raised = p.raises
            if trigger.name in raised:
                out.append(e)
        elif (
            isinstance(p, ActionLogged)
            and p.action == trigger.name
            and (not trigger.agencies or e.agency in trigger.agencies)
        ):
            out.append(e)
    return out


def _ref_protocol_clock(
    scenario: Scenario, entries: Sequence[Entry], now: float, *, ended: bool
) -> list[ProtocolInstance]:
    current = effective(entries)
    injects = known_injects(scenario, current)
    out = []
    for protocol in scenario.protocols:
        done = [
            e
            for e in current
            if isinstance(e.payload, ActionLogged) and e.payload.action == protocol.action and e.agency == protocol.agency
        ]
        for trig in _ref_triggers(protocol, current, injects):
            if protocol.before_trigger:
                due = trig.at
                before = [e for e in done if e.at <= trig.at and e.seq != trig.seq]
                after = [e for e in done if e.at > trig.at]
                hit = before[0] if before else (after[0] if after else None)
            else:
                due = trig.at + (protocol.within or 0.0)
                hit = next((e for e in done if e.at >= trig.at and e.seq != trig.seq), None)
            if hit is not None:
                late = hit.at - due
                status = ProtocolStatus.MET if late <= 0 else ProtocolStatus.LATE
                late_by = late if late > 0 else None
            else:
                late_by = None
                if now <= due:
                    status = ProtocolStatus.PENDING
                else:
                    status = ProtocolStatus.MISSED if ended else ProtocolStatus.OVERDUE
            out.append(
                ProtocolInstance(
                    protocol_id=protocol.id,
                    title=protocol.title,
                    agency=protocol.agency,
                    action=protocol.action,
                    critical=protocol.critical,
                    capability=protocol.capability,
                    triggered_at=trig.at,
                    trigger_seq=trig.seq,
                    due_at=due,
                    status=status,
                    done_at=hit.at if hit else None,
                    done_seq=hit.seq if hit else None,
                    late_by=late_by,
                )
            )
    return sorted(out, key=lambda i: (i.due_at, i.protocol_id, i.trigger_seq))


def _ref_timeline(scenario: Scenario, entries: Sequence[Entry]) -> list[TimelineItem]:
    injects = known_injects(scenario, entries)
    corrected: dict[int, Entry] = {}
    for e in entries:
        if isinstance(e.payload, Correction):
            corrected[e.payload.corrects] = e
    items = []
    for e in entries:
        fix = corrected.get(e.seq)
        items.append(
            TimelineItem(
                seq=e.seq,
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                agency=e.agency,
                simulated=e.actor == ENGINE_ACTOR,
                summary=describe(e, scenario, injects),
                corrects=e.payload.corrects if isinstance(e.payload, Correction) else None,
                corrected_by=fix.seq if fix else None,
                voided=bool(fix and isinstance(fix.payload, Correction) and fix.payload.replacement is None),
            )
        )
    return items


def _ref_agency_log(scenario: Scenario, entries: Sequence[Entry], agency: str) -> list[TimelineItem]:
    return [item for item, e in zip(_ref_timeline(scenario, entries), entries, strict=True) if in_own_log(e, agency)]


# --- scenarios, with protocol variants the example files do not have ----------------------


@cache
def _scenario(name: str) -> Scenario:
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


@st.composite
def journals(draw: st.DrawFn) -> tuple[Scenario, list[Entry], float, bool]:
    scenario = _scenario(draw(st.sampled_from(sorted(SCENARIOS))))
    recipients = [a.id for a in scenario.agencies]
    agencies: list[str | None] = [*recipients, None]
    actions, events = _actions(scenario), _events(scenario)
    msel = list(scenario.msel)
    added = msel[0].model_copy(update={"id": "ADDED-1", "raises": tuple(events[:2])})
    ordered = draw(st.integers(0, 4)) > 0  # the journal stamps in time order; mostly test that
    count = draw(st.integers(min_value=0, max_value=60))
    at = 0.0
    items: list[Entry] = []
    for seq in range(1, count + 1):
        step = draw(st.sampled_from([0.0, 0.0, 30.0, 120.0, 300.0, 900.0]))
        at = at + step if ordered else draw(st.sampled_from([0.0, 60.0, 300.0, 600.0, 1200.0, 3600.0]))
        agency = draw(st.sampled_from(agencies))
        kind = draw(st.sampled_from(["action"] * 6 + ["start", "inject", "development", "added",
                                                      "correction", "message"]))
        payload: Payload
        if kind == "action" or (kind in ("correction", "message") and seq == 1):
            payload = ActionLogged(action=draw(st.sampled_from(actions)))
        elif kind == "start":
            payload, agency = ClockStarted(), None
        elif kind == "inject":
            inject = draw(st.sampled_from([*msel, added]))
            payload, agency = InjectDelivered(inject_id=inject.id, to=inject.to), None
        elif kind == "development":
            raises = tuple(draw(st.lists(st.sampled_from(events), max_size=3)))
            payload, agency = Development(model="crowd", what="escalates", raises=raises), None
        elif kind == "added":
            payload, agency = InjectAdded(inject=added), None
        elif kind == "correction":
            replacement = draw(st.none() | st.builds(ActionLogged, action=st.sampled_from(actions)))
            payload = Correction(corrects=draw(st.integers(1, seq - 1)), reason="typo", replacement=replacement)
        else:
            payload = MessageSent(message_id=f"m{seq}", to=draw(st.sampled_from(recipients)), text="hi")
        actor = ENGINE_ACTOR if isinstance(payload, InjectDelivered | Development) else "player:x"
        items.append(Entry(seq=seq, at=at, agency=agency, actor=actor, payload=payload))
    now = draw(st.sampled_from([0.0, 600.0, 1800.0, 7200.0, 20_000.0]) | st.just(at))
    return scenario, items, now, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(journal=journals())
def test_protocol_clock_is_exactly_the_unindexed_one(journal: tuple[Scenario, list[Entry], float, bool]) -> None:
    """Same instances, same order, same statuses, due and done times, whatever the journal."""
    scenario, items, now, ended = journal
    assert protocol_clock(scenario, items, now, ended=ended) == _ref_protocol_clock(
        scenario, items, now, ended=ended
    )


@settings(max_examples=40, deadline=None)
@given(journal=journals())
def test_timeline_and_agency_log_are_exactly_the_per_entry_ones(
    journal: tuple[Scenario, list[Entry], float, bool],
) -> None:
    scenario, items, _, _ = journal
    assert timeline(scenario, items) == _ref_timeline(scenario, items)
    for agency in scenario.agencies:
        assert agency_log(scenario, items, agency.id) == _ref_agency_log(scenario, items, agency.id)


def test_a_protocol_triggered_by_its_own_action_is_done_by_the_next_one_not_the_trigger() -> None:
    """Out of time order and in it, the triggering entry never counts as the response."""
    scenario = _scenario("warehouse")
    base = next(p for p in scenario.protocols if p.id.endswith("~self") and not p.before_trigger)
    only = scenario.model_copy(update={"protocols": (base,)})
    who = base.agency
    for times in ([0.0, 100.0, 100.0], [500.0, 100.0, 700.0]):
        items = [
            Entry(seq=n, at=t, agency=who, actor="player:x", payload=ActionLogged(action=base.action))
            for n, t in enumerate(times, start=1)
        ]
        got = protocol_clock(only, items, now=10_000.0, ended=True)
        assert got == _ref_protocol_clock(only, items, now=10_000.0, ended=True)
        first = next(i for i in got if i.trigger_seq == 1)
        assert first.done_seq == (2 if times[1] >= times[0] else 3)
