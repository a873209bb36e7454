"""Live mode: what the engine appends never depends on how the advances were split, a replay of the
journal reproduces it exactly, and a journal that does not replay is refused."""

from __future__ import annotations

import gc
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.record.entries import (
    ActionLogged,
    ClockPaused,
    Correction,
    Entry,
    InjectAdded,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    MessageSent,
    NewEntry,
    ObservationRecorded,
    Payload,
    ResourceAssigned,
    ResourceReleased,
    ResourceRequested,
)
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Inject
from sim_engine.checks import EngineError
from sim_engine.live import JournalDivergedError, advance, clear_cache, replay
from tests.engine.helpers import EXAMPLE, Journal, agency, link, scenario

SCENARIO = load_scenario(EXAMPLE)
END = SCENARIO.duration
SEED = 42
INJECT_TIMES = [i.time for i in SCENARIO.msel]

EXTRA = Inject.model_validate(
    {
        "id": "X-1",
        "time": 2400.0,
        "from": "controller",
        "to": ["operator"],
        "mode": "phone",
        "synopsis": "Evacuate now",
        "text": "Evacuate the warehouse.",
        "expected_actions": ["evacuate_staff"],
        "capability": "Mass Search and Rescue Operations",
    }
)


def external_payload(choice: int, k: int) -> tuple[Payload, str | None, str]:
    """(payload, agency, actor) of the k-th external entry of a test exercise."""
    options: list[tuple[Payload, str | None, str]] = [
        (ActionLogged(action="notify_eoc"), "fire", "fire-player"),
        (ActionLogged(action="establish_command", inject_id="WF-01"), "fire", "fire-player"),
        (ActionLogged(action="contain_fire"), "fire", "fire-player"),
        (ActionLogged(action="head_count"), "fire", "fire-player"),
        (MessageSent(message_id=f"m{k}", to="operator", text="status?"), "fire", "fire-player"),
        (MessageSent(message_id=f"m{k}", to="eoc", text="sitrep"), "fire", "fire-player"),
        (
            ResourceRequested(request_id=f"r{k}", to="operator", unit_type="floor_warden", count=2),
            "fire",
            "fire-player",
        ),
        (InjectHeld(inject_id="WF-02", reason="hold"), None, "controller"),
        (InjectReleased(inject_id="WF-02"), None, "controller"),
        (InjectAdded(inject=EXTRA), None, "controller"),
        (LinkDown(between=("fire", "eoc"), reason="test"), None, "controller"),
        (LinkUp(between=("fire", "eoc")), None, "controller"),
        (ObservationRecorded(capability="Operational Coordination", text="noted"), None, "evaluator"),
        (ClockPaused(), None, "controller"),
        (Correction(corrects=1, reason="typo"), None, "controller"),
    ]
    return options[choice % len(options)]


times = st.one_of(
    st.sampled_from([0.0, *INJECT_TIMES]),
    st.floats(min_value=0, max_value=END, allow_nan=False).map(lambda t: round(t, 1)),
)
exercises = st.lists(st.tuples(times, st.integers(0, 14)), max_size=25)


def externals_of(plan: Sequence[tuple[float, int]]) -> list[NewEntry]:
    out = []
    for k, (at, choice) in enumerate(sorted(plan, key=lambda item: item[0])):
        payload, agency, actor = external_payload(choice, k)
        out.append(NewEntry(at=at, agency=agency, actor=actor, payload=payload))
    return out


def play(externals: Sequence[NewEntry], ticks: Sequence[float], *, cached: bool = True, views: bool = False) -> Journal:
    """An exercise as the service runs it: the engine advanced at each clock tick and before each
    external entry, which is stamped with the clock."""
    journal = Journal(SCENARIO, SEED, views=views)
    pending = sorted(ticks)
    for entry in externals:
        while pending and pending[0] < entry.at:
            if not cached:
                clear_cache()
            journal.advance(pending.pop(0))
        if not cached:
            clear_cache()
        journal.external(entry.at, entry.payload, entry.agency, entry.actor)
    if not cached:
        clear_cache()
    journal.advance(END)
    return journal


def key(entries: Sequence[NewEntry]) -> list[tuple[float, str | None, str, Payload]]:
    return [(e.at, e.agency, e.actor, e.payload) for e in entries]


@settings(max_examples=40, deadline=None)
@given(exercises, st.lists(st.floats(min_value=1, max_value=900, allow_nan=False), max_size=30))
def test_many_small_advances_equal_one_single_advance(
    plan: list[tuple[float, int]], steps: list[float]
) -> None:
    externals = externals_of(plan)
    ticks, t = [], 0.0
    for step in steps:
        t += step
        ticks.append(t)
    stepped = play(externals, ticks)
    fresh = replay(SCENARIO, SEED, externals, END)
    assert key(stepped.simulated) == key(fresh)
    # One single advance over a journal holding only the external entries gives the same.
    single = Journal(SCENARIO, SEED)
    for entry in externals:
        single.append(entry)
    clear_cache()
    assert key(single.advance(END)) == key(fresh)
    # Journal times never go backwards, so the service can append in clock order.
    assert [e.at for e in stepped.entries] == sorted(e.at for e in stepped.entries)


@settings(max_examples=15, deadline=None)
@given(exercises, st.lists(st.floats(min_value=1, max_value=900, allow_nan=False), max_size=20))
def test_the_cache_changes_nothing(plan: list[tuple[float, int]], steps: list[float]) -> None:
    externals = externals_of(plan)
    ticks = [sum(steps[: k + 1]) for k in range(len(steps))]
    with_cache = play(externals, ticks, cached=True)
    without = play(externals, ticks, cached=False)
    assert key(with_cache.entries) == key(without.entries)


@settings(max_examples=15, deadline=None)
@given(exercises, st.lists(st.floats(min_value=1, max_value=900, allow_nan=False), max_size=20))
def test_a_cached_run_handed_views_of_one_growing_list_is_a_fresh_run(
    plan: list[tuple[float, int]], steps: list[float]
) -> None:
    """The service hands the engine views of its one journal list (``Prefix``), and the cached run
    then skips comparing what it matched before: the journal it builds is the fresh run's."""
    externals = externals_of(plan)
    ticks = [sum(steps[: k + 1]) for k in range(len(steps))]
    on_views = play(externals, ticks, cached=True, views=True)
    without = play(externals, ticks, cached=False)
    assert key(on_views.entries) == key(without.entries)
    assert key(on_views.simulated) == key(replay(SCENARIO, SEED, externals, END))


def test_only_simulated_agencies_act_and_players_act_through_their_entries() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.advance(END)
    actors = {e.agency for e in journal.simulated if isinstance(e.payload, ActionLogged)}
    assert "fire" not in actors  # fire is played by players
    # The EOC (simulated) activates only once the players have notified it.
    assert not any(
        isinstance(e.payload, ActionLogged) and e.payload.action == "activate_eoc" for e in journal.simulated
    )
    journal = Journal(SCENARIO, SEED)
    journal.external(300.0, ActionLogged(action="notify_eoc"), agency="fire", actor="fire-player")
    journal.advance(END)
    activated = next(e for e in journal.simulated if isinstance(e.payload, ActionLogged))
    assert (activated.agency, activated.payload.action) == ("eoc", "activate_eoc")
    assert activated.at > 300.0
    # Nothing is sent in a played agency's name: the players' notification is their own entry, and
    # the simulation plays the EOC as knowing it (issue 21).
    assert not [e for e in journal.simulated if isinstance(e.payload, MessageSent | MessageDelivered | MessageLost)
                and (e.agency == "fire" or getattr(e.payload, "sender", None) == "fire")]


def test_external_entry_at_an_engine_instant_comes_after_the_engines_events() -> None:
    # WF-02 (head count short) is a contingency inject due at 20:00 unless head_count was logged.
    journal = Journal(SCENARIO, SEED)
    journal.external(1200.0, ActionLogged(action="head_count"), agency="fire", actor="fire-player")
    journal.advance(END)
    delivered = [e for e in journal.simulated if isinstance(e.payload, InjectDelivered)]
    assert "WF-02" in [e.payload.inject_id for e in delivered]
    head_count = next(e for e in journal.entries if not e.simulated)
    wf02 = next(e for e in delivered if e.payload.inject_id == "WF-02")
    assert wf02.seq < head_count.seq and wf02.at == head_count.at == 1200.0


def test_holds_releases_and_additions() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.external(600.0, InjectHeld(inject_id="WF-03", reason="later"), agency=None, actor="controller")
    journal.external(2000.0, InjectAdded(inject=EXTRA), agency=None, actor="controller")
    journal.external(3000.0, InjectReleased(inject_id="WF-03"), agency=None, actor="controller")
    journal.advance(END)
    delivered = {
        e.payload.inject_id: e.at for e in journal.simulated if isinstance(e.payload, InjectDelivered)
    }
    assert delivered["WF-03"] == 3000.0  # held past its 30:00, delivered on release
    assert delivered["X-1"] == 2400.0
    link_down = next(e for e in journal.simulated if isinstance(e.payload, LinkDown))
    assert link_down.at == 3000.0
    evacuated = [
        e for e in journal.simulated if isinstance(e.payload, ActionLogged) and e.payload.inject_id == "X-1"
    ]
    assert [e.agency for e in evacuated] == ["operator"]


def test_a_players_resource_request_is_carried_assigned_and_recalled() -> None:
    sc = scenario(
        [agency("hq", players=True), agency("depot", truck=3)],
        links=[link("hq", "depot", 20)],
        actions=["haul"],
        simulation={
            "actions": {"haul": {"uses": "truck", "duration": {"dist": "fixed", "value": 600}}},
            "message_handling": {"dist": "fixed", "value": 30},
        },
    )
    journal = Journal(sc, SEED)
    request = ResourceRequested(request_id="r1", to="depot", unit_type="truck", count=5)
    journal.external(100.0, request, agency="hq", actor="hq-player")
    journal.advance(sc.duration)
    arrived, assigned, released = journal.simulated[1:]
    assert (
        isinstance(arrived.payload, MessageDelivered)
        and arrived.payload.message_id == "r1"
        and arrived.at == 120.0
    )
    assert (
        isinstance(assigned.payload, ResourceAssigned) and assigned.agency == "depot" and assigned.at == 150.0
    )
    assert assigned.payload.requester == "hq" and assigned.payload.count == 3  # all the depot has
    assert isinstance(released.payload, ResourceReleased) and released.at == 750.0  # one haul's duration


def test_a_tampered_journal_is_refused() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.external(300.0, ActionLogged(action="notify_eoc"), agency="fire", actor="fire-player")
    journal.advance(3000.0)
    index = next(i for i, e in enumerate(journal.entries) if e.simulated and e.agency == "eoc")
    journal.entries[index] = journal.entries[index].model_copy(update={"at": journal.entries[index].at + 1})
    for clear in (True, False):
        if clear:
            clear_cache()
        with pytest.raises(JournalDivergedError, match="differ from a replay"):
            advance(SCENARIO, SEED, journal.entries, END)


def test_an_entry_rewritten_behind_the_cached_run_is_refused() -> None:
    """The cached run compares the journal it already matched by identity: an entry replaced there
    by another object (a rewritten entry) is compared field by field again, and refused."""
    clear_cache()
    journal = Journal(SCENARIO, SEED)
    journal.external(300.0, ActionLogged(action="notify_eoc"), agency="fire", actor="fire-player")
    journal.advance(3000.0)
    journal.advance(3100.0)  # the run is cached, its journal matched once
    index = next(i for i, e in enumerate(journal.entries) if e.simulated and e.agency == "eoc")
    journal.entries[index] = journal.entries[index].model_copy(update={"at": journal.entries[index].at + 1})
    with pytest.raises(JournalDivergedError, match="differ from a replay"):
        advance(SCENARIO, SEED, journal.entries, END)


def test_a_changed_seed_is_refused() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.advance(3000.0)
    with pytest.raises(JournalDivergedError):
        advance(SCENARIO, SEED + 1, journal.entries, END)


def test_an_external_entry_stamped_before_an_earlier_advance_is_refused() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.advance(3000.0)
    journal.append(
        NewEntry(at=300.0, agency="fire", actor="fire-player", payload=ActionLogged(action="notify_eoc"))
    )
    for clear in (True, False):
        if clear:
            clear_cache()
        with pytest.raises(EngineError):
            advance(SCENARIO, SEED, journal.entries, END)


@pytest.mark.parametrize(
    ("payload", "agency", "message"),
    [
        (ActionLogged(action="notify_eoc"), "nobody", "unknown agency 'nobody'"),
        (MessageSent(message_id="m", to="nowhere", text="x"), "fire", "unknown agency 'nowhere'"),
        (InjectReleased(inject_id="ZZ-9"), None, "there is no inject 'ZZ-9'"),
        (LinkDown(between=("operator", "eoc")), None, "there is no link operator-eoc"),
    ],
)
def test_an_entry_the_engine_cannot_apply_is_named(
    payload: Payload, agency: str | None, message: str
) -> None:
    journal = Journal(SCENARIO, SEED)
    journal.append(NewEntry(at=0.0, agency=agency, actor="someone", payload=payload))
    with pytest.raises(EngineError, match=message):
        advance(SCENARIO, SEED, journal.entries, END)


@pytest.mark.parametrize("until", [-1.0, float("nan"), float("inf")])
def test_impossible_times_are_refused(until: float) -> None:
    with pytest.raises(EngineError, match="finite number"):
        advance(SCENARIO, SEED, [], until)


def test_a_journal_ahead_of_until_gets_nothing_more() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.advance(3000.0)
    assert advance(SCENARIO, SEED, journal.entries, 1000.0) == []


def test_every_simulated_entry_survives_storage_unchanged() -> None:
    entries = replay(SCENARIO, SEED, [], END)
    for entry in entries:
        assert NewEntry.model_validate_json(entry.model_dump_json()) == entry


def test_corrections_do_not_rewrite_what_the_simulation_saw() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.external(300.0, ActionLogged(action="notify_eoc"), agency="fire", actor="fire-player")
    logged = journal.entries[-1].seq
    journal.external(
        310.0, Correction(corrects=logged, reason="logged by mistake"), agency=None, actor="controller"
    )
    journal.advance(END)
    activated = [e for e in journal.simulated if isinstance(e.payload, ActionLogged)]
    assert [(e.agency, e.payload.action) for e in activated] == [("eoc", "activate_eoc")]


def test_a_late_addition_is_delivered_at_once_and_a_hold_after_delivery_changes_nothing() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.external(3000.0, InjectAdded(inject=EXTRA), agency=None, actor="controller")  # due at 40:00
    journal.external(
        3100.0, InjectHeld(inject_id="WF-01", reason="too late"), agency=None, actor="controller"
    )
    journal.external(3200.0, InjectReleased(inject_id="WF-01"), agency=None, actor="controller")
    journal.advance(END)
    delivered = [
        (e.payload.inject_id, e.at) for e in journal.simulated if isinstance(e.payload, InjectDelivered)
    ]
    assert ("X-1", 3000.0) in delivered
    assert [at for inject_id, at in delivered if inject_id == "WF-01"] == [0.0]


def test_the_garbage_collector_is_left_as_it_was() -> None:
    assert gc.isenabled()
    advance(SCENARIO, SEED, [], 600.0)
    assert gc.isenabled()
    gc.disable()
    try:
        clear_cache()
        advance(SCENARIO, SEED, [], 600.0)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(EngineError):
        advance(
            SCENARIO,
            SEED,
            [Entry(seq=1, at=0.0, agency="nobody", actor="x", payload=ActionLogged(action="x"))],
            60.0,
        )
    assert gc.isenabled()


def test_an_engine_entry_recorded_before_the_entry_that_caused_it_is_refused() -> None:
    journal = Journal(SCENARIO, SEED)
    journal.external(300.0, ActionLogged(action="notify_eoc"), agency="fire", actor="fire-player")
    journal.advance(END)
    entries = journal.entries
    action = next(i for i, e in enumerate(entries) if not e.simulated)
    note = next(i for i, e in enumerate(entries) if e.simulated and e.agency == "eoc")
    swapped = [
        *entries[:action],
        entries[note],
        entries[action],
        *entries[action + 1 : note],
        *entries[note + 1 :],
    ]
    clear_cache()
    with pytest.raises(JournalDivergedError, match="before external entry #"):
        advance(SCENARIO, SEED, swapped, END)
