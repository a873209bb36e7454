"""The linear timeline gives exactly what the straightforward per-entry version gave (kept below as
a reference), and the protocol clock folded entry by entry what it gives at once, on random
journals (tests/journals.py). That the clock, the report and the baseline score alike is
tests/foundation/test_scoring_rule.py."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hypothesis import given, settings

from exercises.record.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    Correction,
    Entry,
)
from exercises.scenario.model import Scenario
from exercises.views import (
    ProtocolClockFolder,
    TimelineItem,
    agency_log,
    describe,
    in_own_log,
    known_injects,
    protocol_clock,
    timeline,
)
from tests.journals import journals, scenario_with_variants

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "warehouse": ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml",
    "civil": ROOT / "data" / "scenarios" / "civil_disturbance.yaml",
}


# --- the reference implementations (the unindexed versions, verbatim) ---------------------


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


@settings(max_examples=60, deadline=None)
@given(journal=journals())
def test_the_protocol_clock_folded_entry_by_entry_is_the_one_computed_at_once(
    journal: tuple[str, list[Entry], float, bool],
) -> None:
    """A live page folds the journal as it grows (a correction refolds): the same instances as the
    clock computed from the whole journal at once."""
    name, items, now, ended = journal
    scenario = scenario_with_variants(name)
    folder = ProtocolClockFolder(scenario)
    for n in range(1, len(items) + 1):
        folder.fold(items[:n])
    assert folder.instances(now, ended=ended) == protocol_clock(scenario, items, now, ended=ended)


@settings(max_examples=40, deadline=None)
@given(journal=journals())
def test_timeline_and_agency_log_are_exactly_the_per_entry_ones(
    journal: tuple[str, list[Entry], float, bool],
) -> None:
    name, items, _, _ = journal
    scenario = scenario_with_variants(name)
    assert timeline(scenario, items) == _ref_timeline(scenario, items)
    for agency in scenario.agencies:
        assert agency_log(scenario, items, agency.id) == _ref_agency_log(scenario, items, agency.id)


def test_a_protocol_triggered_by_its_own_action_is_done_by_the_next_one_not_the_trigger() -> None:
    """Out of time order and in it, the triggering entry never counts as the response."""
    scenario = scenario_with_variants("warehouse")
    base = next(p for p in scenario.protocols if p.id.endswith("~self") and not p.before_trigger)
    only = scenario.model_copy(update={"protocols": (base,)})
    who = base.agency
    for times in ([0.0, 100.0, 100.0], [500.0, 100.0, 700.0]):
        items = [
            Entry(seq=n, at=t, agency=who, actor="player:x", payload=ActionLogged(action=base.action))
            for n, t in enumerate(times, start=1)
        ]
        got = protocol_clock(only, items, now=10_000.0, ended=True)
        first = next(i for i in got if i.trigger_seq == 1)
        assert first.done_seq == (2 if times[1] >= times[0] else 3)
