"""What a live page derives from the journal, folded entry by entry as the journal grows (in random
steps, a correction among them), is exactly what its pure function computes from the whole journal:
an agency's inbox and log, the media feed and trust curve, the protocol clock brought to a later time.
On generated journals (tests/journals.py) with media entries and resource requests mixed in."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.record.corrections import effective
from exercises.record.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    ClockStarted,
    Entry,
    InjectDelivered,
    MessageDelivered,
    MessageLost,
    ObservationRecorded,
    Payload,
    ResourceAssigned,
    ResourceRequested,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    TrustChanged,
)
from exercises.scenario.model import PlayedBy, Rating, Scenario
from exercises.scoring import Status
from exercises.views import ProtocolClockFolder, agency_log, inbox, protocol_clock
from exercises.views.live import EVALUATION_KINDS, LiveFolds
from exercises.views.media_feed import media_feed, trust_curve
from tests.aar.builders import Journal, example_scenario
from tests.journals import journals, scenario_with_variants


def _extra(scenario: Scenario, seq: int, draw: st.DrawFn) -> tuple[Payload, str | None, str]:
    """A media entry or a resource request/assignment/lost message, as the engine or a player records it."""
    agencies = [a.id for a in scenario.agencies]
    a, b = draw(st.sampled_from(agencies)), draw(st.sampled_from(agencies))
    rumour = f"r{draw(st.integers(1, 3))}"
    topic = next(iter(scenario.media.topics)) if scenario.media else "topic"
    outlet = scenario.media.outlets[0].id if scenario.media else "outlet"
    made: list[tuple[Payload, str | None, str]] = [
        (ResourceRequested(request_id=f"q{seq}", to=b, unit_type="engine", count=2, text="send"), a, "player:x"),
        (ResourceAssigned(request_id=f"q{seq - 1}", requester=b, unit_type="engine", count=1), a, ENGINE_ACTOR),
        (MessageLost(message_id=f"m{seq}", sender=a, to=b, reason="link down"), None, ENGINE_ACTOR),
        (ObservationRecorded(capability="Planning", rating=Rating.P), a, "evaluator (Dana Reyes)"),
    ]
    if scenario.media is not None:
        made += [
            (RumourStarted(rumour_id=rumour, topic=topic, outlet=outlet, text="they say", reach=100), None, ENGINE_ACTOR),
            (RumourSpread(rumour_id=rumour, reach=draw(st.integers(0, 500)), growing=True), None, ENGINE_ACTOR),
            (RumourAddressed(rumour_id=rumour, topic=topic, reach=10), a, ENGINE_ACTOR),
            (TrustChanged(trust=draw(st.floats(0, 100)), change=-1.0, driver="silence"), None, ENGINE_ACTOR),
        ]
    return draw(st.sampled_from(made))


@st.composite
def grown(draw: st.DrawFn) -> tuple[str, list[Entry], list[int], float, bool]:
    """A generated journal with extra entries mixed in, and the heads a live page folds it at."""
    name, items, now, ended = draw(journals())
    scenario = scenario_with_variants(name)
    out: list[Entry] = []
    for e in items:
        if draw(st.integers(0, 3)) == 0:
            payload, agency, actor = _extra(scenario, len(out) + 1, draw)
            out.append(Entry(seq=len(out) + 1, at=e.at, agency=agency, actor=actor, payload=payload))
        out.append(e.model_copy(update={"seq": len(out) + 1}) if e.seq != len(out) + 1 else e)
    heads = sorted(draw(st.lists(st.integers(0, len(out)), max_size=6)))
    return name, out, [*heads, len(out)], now, ended


def _same_seqs(entries: list[Entry]) -> bool:
    return all(e.seq == n for n, e in enumerate(entries, start=1))


@settings(max_examples=40, deadline=None)
@given(case=grown())
def test_views_folded_at_every_head_are_the_views_computed_from_scratch(
    case: tuple[str, list[Entry], list[int], float, bool],
) -> None:
    name, entries, heads, _, _ = case
    assert _same_seqs(entries)
    scenario = scenario_with_variants(name)
    folds = LiveFolds(scenario)
    for head in heads:
        part = entries[:head]
        folds.fold(part)
        for agency in scenario.agencies:
            assert folds.agencies[agency.id].inbox == inbox(scenario, part, agency.id)
            assert folds.agencies[agency.id].log == agency_log(scenario, part, agency.id)
        assert folds.media.feed() == media_feed(scenario, part)
        assert folds.media.trust == trust_curve(scenario, part)
        assert [e for e in effective(folds.evaluation) if e.kind in EVALUATION_KINDS] == [
            e for e in effective(part) if e.kind in EVALUATION_KINDS]


@settings(max_examples=30, deadline=None)
@given(case=grown(), later=st.sampled_from([0.0, 30.0, 600.0, 7200.0]))
def test_a_protocol_clock_kept_from_its_head_and_brought_to_now_is_the_one_computed_now(
    case: tuple[str, list[Entry], list[int], float, bool], later: float,
) -> None:
    """What a page shows between two heads: the instances computed at the head, restamped to the clock."""
    name, entries, heads, now, ended = case
    scenario = scenario_with_variants(name)
    folder = ProtocolClockFolder(scenario)
    for head in heads:
        folder.fold(entries[:head])
    kept = folder.instances(now, ended=ended)
    assert [i.at(now + later, ended=ended) for i in kept] == protocol_clock(scenario, entries, now + later, ended=ended)


@settings(max_examples=40, deadline=None)
@given(case=grown(), steps=st.lists(st.tuples(st.sampled_from([0.0, 1.0, 30.0, 600.0, 7200.0]), st.booleans()),
                                    min_size=1, max_size=7))
def test_a_protocol_clock_asked_at_every_head_is_the_one_computed_from_scratch(
    case: tuple[str, list[Entry], list[int], float, bool], steps: list[tuple[float, bool]],
) -> None:
    """A live page asks at each new head, at its own time: the protocols whose triggers, answers
    and messages did not change keep their rows from the last head (only brought to the new time);
    what it shows must be the rule applied to the whole journal then, a correction included."""
    name, entries, heads, now, _ = case
    scenario = scenario_with_variants(name)
    folder = ProtocolClockFolder(scenario)
    for n, head in enumerate(heads):
        later, ended = steps[n % len(steps)]
        folder.fold(entries[:head])
        at = now + later
        assert folder.instances(at, ended=ended) == protocol_clock(scenario, entries[:head], at, ended=ended)
        assert folder.instances(at + 3600.0, ended=ended) == protocol_clock(scenario, entries[:head], at + 3600.0,
                                                                            ended=ended)


@settings(max_examples=40, deadline=None)
@given(case=grown(), read=st.lists(st.booleans(), min_size=1, max_size=7))
def test_an_agencys_views_read_only_now_and_then_are_the_views_computed_from_scratch(
    case: tuple[str, list[Entry], list[int], float, bool], read: list[bool],
) -> None:
    """A process folds every agency's entries but describes them only when a page reads that
    agency's inbox or log: entries folded over several heads unread (corrections of them among
    them) are described as the pure functions describe them."""
    name, entries, heads, _, _ = case
    scenario = scenario_with_variants(name)
    folds = LiveFolds(scenario)
    for n, head in enumerate(heads):
        part = entries[:head]
        folds.fold(part)
        for k, agency in enumerate(scenario.agencies):
            if read[(n + k) % len(read)] or n == len(heads) - 1:
                assert folds.agencies[agency.id].log == agency_log(scenario, part, agency.id)
                assert folds.agencies[agency.id].inbox == inbox(scenario, part, agency.id)


def test_a_protocol_kept_from_an_earlier_head_is_scored_again_when_a_message_passes_its_trigger_on(
    tmp_path: Path,
) -> None:
    """The inject reaches the fire department only; the EOC's protocol on it is not reached until
    fire's message arrives, and then runs from the message: no trigger and no answer of the EOC's
    changed, so only the messages tell the live page to score it again."""
    base = example_scenario(tmp_path)
    played = tuple(a.model_copy(update={"played_by": PlayedBy.PLAYERS}) for a in base.agencies)
    extra = next(p for p in base.protocols if p.id == "IC-01").model_copy(
        update={"id": "EOC-X", "agency": "eoc", "action": "activate_eoc"})
    scenario = base.model_copy(update={"agencies": played, "protocols": (*base.protocols, extra)})
    j = Journal()
    j.add(0, None, ClockStarted())
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire",)))
    j.add(5, "eoc", MessageDelivered(message_id="m", sender="fire", to="eoc", path=("fire", "eoc"), sent_at=280))
    j.add(12, "eoc", ActionLogged(action="activate_eoc"))
    folder = ProtocolClockFolder(scenario)
    statuses = []
    for head in range(1, len(j.entries) + 1):
        part = j.entries[:head]
        folder.fold(part)
        shown = folder.instances(part[-1].at + 60.0, ended=False)
        assert shown == protocol_clock(scenario, part, part[-1].at + 60.0, ended=False)
        statuses.append([i.status for i in shown if i.protocol_id == "EOC-X"])
    assert statuses[1:] == [[Status.NOT_REACHED], [Status.PENDING], [Status.MET]]
