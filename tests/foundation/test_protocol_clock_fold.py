"""The live protocol clock rescores at a new head only the protocols its entries touch
(``ProtocolClockFolder``): asked at any heads and times, it must give what
scoring the whole journal afresh gives (the one rule, ``exercises.scoring``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.record.entries import ENGINE_ACTOR, ClockStarted, Development, Entry, MessageDelivered
from exercises.scoring import Status
from exercises.views import protocol_clock
from exercises.views.protocol_clock import ProtocolClockFolder
from tests.journals import journals, scenario_with_variants

NOWS = [0.0, 300.0, 900.0, 3600.0, 20_000.0]


@settings(max_examples=80, deadline=None)
@given(journal=journals(), cuts=st.lists(st.tuples(st.integers(0, 70), st.sampled_from(NOWS), st.booleans()),
                                         max_size=5))
def test_the_protocol_clock_folded_head_by_head_is_the_clock_scored_afresh(
    journal: tuple[str, list[Entry], float, bool], cuts: list[tuple[int, float, bool]]
) -> None:
    name, items, now, ended = journal
    scenario = scenario_with_variants(name)
    folder = ProtocolClockFolder(scenario)
    for cut, then, over in [*sorted(cuts), (len(items), now, ended)]:
        head = items[:min(cut, len(items))]
        folder.fold(head)
        at = max(then, head[-1].at) if head else then
        assert folder.instances(at, ended=over) == protocol_clock(scenario, head, at, ended=over)
        # Asked again later at the same head: the kept instances, brought to the time.
        assert folder.instances(at + 700.0, ended=over) == protocol_clock(scenario, head, at + 700.0, ended=over)


def test_a_message_that_tells_an_agency_of_an_event_rescores_its_protocols() -> None:
    scenario = scenario_with_variants("warehouse")
    items = [
        Entry(seq=1, at=0.0, agency=None, actor="controller", payload=ClockStarted()),
        Entry(seq=2, at=10.0, agency=None, actor=ENGINE_ACTOR,
              payload=Development(model="fire", what="spreads", raises=("incident_reported",))),
        # The simulated EOC knew at once and tells the fire service: from here the fire service's
        # protocols on the report run.
        Entry(seq=3, at=20.0, agency="fire", actor=ENGINE_ACTOR,
              payload=MessageDelivered(message_id="m3", sender="eoc", to="fire", path=("eoc", "fire"), sent_at=20.0)),
    ]
    folder = ProtocolClockFolder(scenario)
    statuses = []
    for head in (items[:2], items):
        folder.fold(head)
        found = folder.instances(30.0, ended=False)
        assert found == protocol_clock(scenario, head, 30.0, ended=False)
        statuses.append({i.status for i in found if i.protocol_id == "IC-01"})
    assert statuses == [{Status.NOT_REACHED}, {Status.PENDING}]
