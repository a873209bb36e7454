"""The media layer in the engine: the feed is the seed's, rumours follow their curve until a statement
names their topic, trust moves by the documented amount per driver, and replay reproduces it all."""

from __future__ import annotations

import hashlib
import math
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.record.entries import (
    ActionLogged,
    MediaItemAdded,
    MediaItemPublished,
    NewEntry,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    StatementIssued,
    TrustChanged,
)
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from sim_engine import record as rec
from sim_engine.batch.runs import replicate, run_batch, simulate
from sim_engine.checks import EngineError
from sim_engine.live import replay
from sim_engine.media import decayed_reach, logistic_reach
from tests.engine.helpers import BUNDLED, Journal, agency, inject, link, scenario

MEDIA_KINDS = (RumourStarted, RumourSpread, RumourAddressed, MediaItemPublished, TrustChanged)
ENGINE_MEDIA_KINDS = (rec.RumourStarted, rec.RumourSpread, rec.RumourAddressed, rec.MediaItemPublished, rec.TrustChanged)
STEP = 300.0
TOPICS = ("force", "custody", "fire")


def rumour(rumour_id: str, topic: str, inject_id: str, **curve: Any) -> dict[str, Any]:
    return {
        "id": rumour_id,
        "topic": topic,
        "claim": f"{rumour_id} at {{location}}",
        "outlet": "scanner",
        "started_by": {"inject": inject_id},
        "peak": curve.get("peak", 10_000),
        "midpoint": curve.get("midpoint", 1200.0),
        "steepness": curve.get("steepness", 300.0),
        "half_life": curve.get("half_life", 600.0),
    }


def media_scenario(media: dict[str, Any], *, simulated_pio: bool = False, starts: tuple[float, ...] = (0.0, 600.0, 900.0)) -> Scenario:
    """Two agencies played by people (so nothing answers rumours but the test), a PIO, and rumours
    started by injects at ``starts``."""
    base = scenario(
        [agency("police", players=True), agency("pio", players=not simulated_pio)],
        links=[link("police", "pio", 60.0)],
        msel=[inject(f"T-{i}", at, ["police"]) for i, at in enumerate(starts)],
        actions=["statement", "use_force", "arrest"],
        duration=4 * 3600.0,
    )
    full = {
        "step": STEP,
        "topics": {t: t.title() for t in TOPICS},
        "statement_actions": ["statement"],
        "spokespeople": ["pio"],
        "outlets": [
            {"id": "scanner", "name": "Scanner", "kind": "anonymous_account", "reach": 5000},
            {"id": "tv", "name": "TV", "kind": "tv", "reach": 90000, "delay": {"dist": "uniform", "low": 60, "high": 600}},
        ],
        **media,
    }
    return Scenario.model_validate({**base.model_dump(by_alias=True), "media": full})


def three_rumours(**trust: Any) -> Scenario:
    return media_scenario(
        {
            "rumours": [
                rumour("r_force", "force", "T-0"),
                rumour("r_custody", "custody", "T-1", peak=3000, midpoint=600.0, steepness=120.0),
                rumour("r_fire", "fire", "T-2", peak=50_000, midpoint=1800.0, steepness=600.0),
            ],
            "trust": trust or {"start": 50},
        }
    )


def curve(peak: int, since: float, midpoint: float, steepness: float) -> int:
    """The documented curve, written out: peak / (1 + e^(-(t - midpoint) / steepness)), rounded."""
    exponent = -(since - midpoint) / steepness
    return 0 if exponent > 700 else round(peak / (1 + math.exp(exponent)))


def media_entries(entries: list[NewEntry]) -> list[NewEntry]:
    return [e for e in entries if isinstance(e.payload, MEDIA_KINDS)]


def spreads(entries: list[NewEntry], rumour_id: str) -> list[NewEntry]:
    return [e for e in entries if isinstance(e.payload, RumourSpread) and e.payload.rumour_id == rumour_id]


# --- determinism -------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_feed_and_another_seed_another() -> None:
    sc = load_scenario(BUNDLED / "civil_disturbance.yaml")
    first = media_entries(simulate(sc, seed=5).entries)
    again = media_entries(simulate(sc, seed=5).entries)
    other = media_entries(simulate(sc, seed=6).entries)
    assert first and any(isinstance(e.payload, MediaItemPublished) for e in first)
    assert first == again
    assert first != other


def test_a_scenario_without_a_media_section_makes_no_media_entries() -> None:
    sc = load_scenario(BUNDLED / "civil_disturbance.yaml")
    bare = Scenario.model_validate({**sc.model_dump(by_alias=True), "media": None})
    assert not media_entries(simulate(bare, seed=5).entries)


@pytest.mark.parametrize("name", ["civil_disturbance", "mass_casualty", "facility_fire"])
def test_the_media_layer_draws_no_number_the_rest_of_the_model_would(name: str) -> None:
    """With rumours that raise no events (nothing for agencies to answer), switching the media layer on
    adds its own entries and changes nothing else: it has its own generator. (So the bundled
    transcripts' other changes are the agencies' answers to the rumours' events.)"""
    sc = load_scenario(BUNDLED / f"{name}.yaml")
    assert sc.media is not None
    media = sc.media.model_dump(by_alias=True)
    for r in media["rumours"]:
        r["raises"] = []
    quiet = Scenario.model_validate({**sc.model_dump(by_alias=True), "media": media})
    bare = Scenario.model_validate({**sc.model_dump(by_alias=True), "media": None})
    with_media = simulate(quiet, seed=3).entries
    others = [e for e in with_media if not isinstance(e.payload, MEDIA_KINDS)]
    assert len(others) < len(with_media)
    assert others == simulate(bare, seed=3).entries


# --- rumours -----------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    peak=st.integers(min_value=1, max_value=5_000_000),
    midpoint=st.floats(min_value=0, max_value=7200),
    steepness=st.floats(min_value=1, max_value=3600),
    start=st.sampled_from([0.0, 450.0, 1234.5]),
)
def test_unanswered_a_rumours_reach_follows_its_configured_curve_exactly(
    peak: int, midpoint: float, steepness: float, start: float
) -> None:
    sc = media_scenario(
        {"rumours": [rumour("r", "force", "T-0", peak=peak, midpoint=midpoint, steepness=steepness)]},
        starts=(start,),
    )
    entries = replay(sc, 1, [], sc.duration)
    started = next(e for e in entries if isinstance(e.payload, RumourStarted))
    assert started.at == start
    assert started.payload.reach == curve(peak, 0.0, midpoint, steepness)
    expected, last = [], started.payload.reach
    k = 1
    while start + k * STEP <= sc.duration:
        reach = curve(peak, k * STEP, midpoint, steepness)
        if reach != last:  # a step that changes nothing records nothing
            expected.append((start + k * STEP, reach))
            last = reach
        k += 1
    assert [(e.at, e.payload.reach) for e in spreads(entries, "r")] == expected
    assert all(e.payload.growing for e in spreads(entries, "r"))
    assert not any(isinstance(e.payload, RumourAddressed) for e in entries)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    at=st.floats(min_value=0, max_value=3 * 3600.0).map(lambda t: round(t, 1)),
    topics=st.lists(st.sampled_from(TOPICS), unique=True, max_size=3),
)
def test_a_statement_naming_a_topic_stops_its_rumours_growth_from_the_next_step(
    at: float, topics: list[str]
) -> None:
    sc = three_rumours()
    statement = NewEntry(
        at=at, agency="pio", actor="player:pio", payload=StatementIssued(action="statement", topics=tuple(topics), text="Facts.")
    )
    entries = replay(sc, 1, [statement], sc.duration)
    alone = replay(sc, 1, [], sc.duration)
    assert sc.media is not None
    for r in sc.media.rumours:
        started = next(e for e in entries if isinstance(e.payload, RumourStarted) and e.payload.rumour_id == r.id)
        addressed = [e for e in entries if isinstance(e.payload, RumourAddressed) and e.payload.rumour_id == r.id]
        if r.topic not in topics or started.at > at:
            # Not named, or not yet started: it follows its curve as if nobody had spoken.
            assert not addressed
            assert spreads(entries, r.id) == spreads(alone, r.id)
            continue
        assert [(e.at, e.agency) for e in addressed] == [(at, "pio")]
        before = [e for e in spreads(entries, r.id) if e.at <= at]
        after = [e for e in spreads(entries, r.id) if e.at > at]
        assert before == [e for e in spreads(alone, r.id) if e.at <= at]
        last = before[-1].payload.reach if before else started.payload.reach
        assert addressed[0].payload.reach == last
        assert after, "an addressed rumour is followed until it fades"
        assert after[0].at == started.at + STEP * math.floor((at - started.at) / STEP + 1)
        reaches = [last, *(e.payload.reach for e in after)]
        assert all(b <= a for a, b in pairwise(reaches)), reaches
        assert not any(e.payload.growing for e in after)
        for e in after:
            assert e.payload.reach == decayed_reach(last, e.at - at, r.half_life)
        # Followed until it fades under 1 % of its peak, or the exercise ends first.
        assert after[-1].payload.reach < max(1, r.peak * 0.01) or after[-1].at + STEP > sc.duration


def test_a_simulated_spokesperson_answers_every_rumour_running() -> None:
    sc = media_scenario(
        {"rumours": [rumour("r_force", "force", "T-0"), rumour("r_fire", "fire", "T-1")]}, simulated_pio=True
    )
    entries = replay(sc, 1, [], sc.duration)
    assert not [e for e in entries if isinstance(e.payload, RumourAddressed)]
    # The simulated PIO speaks when the plan makes it: here, an inject asking for a statement.
    asks = Scenario.model_validate(
        {**sc.model_dump(by_alias=True), "msel": [*sc.model_dump(by_alias=True)["msel"], inject("T-9", 1500.0, ["pio"], expected_actions=["statement"])]}
    )
    entries = replay(asks, 1, [], asks.duration)
    addressed = {e.payload.rumour_id: e for e in entries if isinstance(e.payload, RumourAddressed)}
    assert set(addressed) == {"r_force", "r_fire"}
    assert {e.agency for e in addressed.values()} == {"pio"}
    # An agency that does not speak for the response answers no rumour by logging a statement.
    data = asks.model_dump(by_alias=True)
    data["media"]["spokespeople"] = ["police"]
    muted = Scenario.model_validate(data)
    assert not [e for e in replay(muted, 1, [], muted.duration) if isinstance(e.payload, RumourAddressed)]


def test_the_logistic_curve_at_its_midpoint_is_half_the_peak() -> None:
    sc = three_rumours()
    assert sc.media is not None
    r = sc.media.rumours[0]
    assert logistic_reach(r, r.midpoint) == r.peak // 2
    assert logistic_reach(r, 1e9) == r.peak
    assert logistic_reach(r.model_copy(update={"midpoint": 1e9}), 0.0) == 0


# --- trust ---------------------------------------------------------------------------------------------


def trust_changes(entries: list[NewEntry], driver: str) -> list[NewEntry]:
    return [e for e in entries if isinstance(e.payload, TrustChanged) and e.payload.driver == driver]


def test_unanswered_rumours_move_trust_each_step_by_their_number_times_the_weight() -> None:
    sc = three_rumours(start=50, unanswered_rumour=-0.5)
    entries = replay(sc, 1, [], 3600.0)
    changes = trust_changes(entries, "unanswered_rumour")
    assert [e.at for e in changes] == [STEP * k for k in range(1, 13)]
    started = {e.payload.rumour_id: e.at for e in entries if isinstance(e.payload, RumourStarted)}
    trust = 50.0
    for e in changes:
        running = sum(1 for at in started.values() if at <= e.at)  # one starting at that instant counts
        assert e.payload.change == -0.5 * running
        trust += e.payload.change
        assert e.payload.trust == trust


def test_answering_a_rumour_and_logged_actions_move_trust_by_their_weights() -> None:
    sc = three_rumours(start=50, rumour_answered=2, actions={"use_force": -6, "arrest": -1, "statement": 3})
    externals = [
        NewEntry(at=100.0, agency="police", actor="player:police", payload=ActionLogged(action="use_force")),
        NewEntry(at=200.0, agency="police", actor="player:police", payload=ActionLogged(action="arrest")),
        NewEntry(at=1000.0, agency="pio", actor="player:pio", payload=StatementIssued(action="statement", topics=("force", "custody"), text="x")),
    ]
    entries = replay(sc, 1, externals, 1200.0)
    moves = [(e.at, e.payload.driver, e.payload.about, e.payload.change) for e in entries if isinstance(e.payload, TrustChanged)]
    assert moves == [
        (100.0, "action", "use_force", -6),
        (200.0, "action", "arrest", -1),
        (1000.0, "rumour_answered", "r_force", 2),
        (1000.0, "rumour_answered", "r_custody", 2),
        (1000.0, "action", "statement", 3),
    ]
    assert [e.payload.trust for e in entries if isinstance(e.payload, TrustChanged)] == [44, 43, 45, 47, 50]


def test_silence_moves_trust_each_time_it_passes_and_a_statement_restarts_it() -> None:
    sc = media_scenario(
        {
            "silence_after": 1800.0,
            "trust": {"start": 50, "silence": -3},
            "reactions": [{"when": {"silence": True}, "outlet": "scanner", "text": "{minutes} min of silence"}],
        }
    )
    statement = NewEntry(at=4000.0, agency="pio", actor="player:pio", payload=StatementIssued(action="statement", text="x"))
    entries = replay(sc, 1, [statement], 3 * 3600.0)
    assert [(e.at, e.payload.change) for e in trust_changes(entries, "silence")] == [
        (1800.0, -3),
        (3600.0, -3),
        (5800.0, -3),
        (7600.0, -3),
        (9400.0, -3),
    ]
    posts = [e for e in entries if isinstance(e.payload, MediaItemPublished) and e.payload.cause == "silence"]
    assert [p.payload.text for p in posts][:1] == ["30 min of silence"]


def test_trust_is_kept_within_0_and_100_and_the_entry_records_the_actual_move() -> None:
    sc = three_rumours(start=3, actions={"use_force": -5, "statement": 99})
    externals = [
        NewEntry(at=10.0, agency="police", actor="p", payload=ActionLogged(action="use_force")),
        NewEntry(at=20.0, agency="police", actor="p", payload=ActionLogged(action="use_force")),
        NewEntry(at=30.0, agency="pio", actor="p", payload=ActionLogged(action="statement")),
    ]
    moves = [(e.payload.change, e.payload.trust) for e in replay(sc, 1, externals, 60.0) if isinstance(e.payload, TrustChanged)]
    assert moves == [(-3, 0), (99, 99)]  # the second use of force finds trust at 0 and records nothing


# --- reactions and controllers' items -------------------------------------------------------------------


def test_reactions_fill_templates_with_the_facts_and_never_read_them_as_format_strings() -> None:
    sc = media_scenario(
        {
            "reactions": [
                {"when": {"action": "use_force", "by": "police"}, "outlet": "tv", "topic": "force",
                 "text": "{agency} used force at {location} ({time}); {incident.__class__} {nope} {{x}}"}
            ]
        }
    )
    externals = [NewEntry(at=100.0, agency="police", actor="p", payload=ActionLogged(action="use_force", text="{agency}"))]
    posts = [e for e in replay(sc, 1, externals, 2000.0) if isinstance(e.payload, MediaItemPublished)]
    assert len(posts) == 1
    assert 160.0 <= posts[0].at <= 700.0  # the TV outlet's delay: 1 to 10 minutes after
    assert posts[0].payload.text == "Police used force at Test (0:01:40); {incident.__class__} {nope} {{x}}"
    assert posts[0].payload.cause == "action use_force" and posts[0].payload.reach == 90000


def test_a_controllers_media_item_can_start_a_rumour_once() -> None:
    sc = three_rumours()
    add = MediaItemAdded(outlet="tv", text="Breaking", starts_rumour="r_fire")
    externals = [NewEntry(at=50.0, actor="controller", payload=add), NewEntry(at=60.0, actor="controller", payload=add)]
    entries = replay(sc, 1, externals, 1200.0)
    started = [e for e in entries if isinstance(e.payload, RumourStarted) and e.payload.rumour_id == "r_fire"]
    assert [e.at for e in started] == [50.0]  # its inject at 900 s finds it started


# --- replay --------------------------------------------------------------------------------------------


def test_a_journal_with_media_entries_replays_to_the_same_entries_however_it_was_advanced() -> None:
    sc = load_scenario(BUNDLED / "civil_disturbance.yaml")
    live = Scenario.model_validate(
        {**sc.model_dump(by_alias=True), "agencies": [
            {**a, "played_by": "players"} if a["id"] == "city_pio" else a for a in sc.model_dump(by_alias=True)["agencies"]
        ]}
    )
    journal = Journal(live, seed=4)
    for t in (600.0, 1800.0, 3000.0):
        journal.advance(t)
    journal.external(3400.0, StatementIssued(action="issue_public_statement", topics=("crowd_control",), text="No gas was used."), "city_pio")
    journal.external(3500.0, MediaItemAdded(outlet="channel7", text="Live: calm on Main", starts_rumour="death_in_custody"), None, "controller")
    journal.advance(2 * 3600.0)
    produced = [e for e in journal.entries if e.simulated]
    assert any(isinstance(e.payload, RumourAddressed) and e.agency == "city_pio" for e in produced)
    assert any(isinstance(e.payload, RumourStarted) and e.payload.rumour_id == "death_in_custody" and e.at == 3500.0 for e in produced)
    externals = [e for e in journal.entries if not e.simulated]
    replayed = replay(live, 4, externals, 2 * 3600.0)
    assert [NewEntry(**e.model_dump(exclude={"seq"})) for e in produced] == replayed
    assert journal.advance(2 * 3600.0) == []


def test_a_media_entry_the_engine_cannot_apply_is_refused_naming_it() -> None:
    sc = three_rumours()
    journal = Journal(sc, seed=1)
    journal.external(60.0, MediaItemAdded(outlet="tv", text="x", starts_rumour="r_nothing"), None, "controller")
    with pytest.raises(EngineError, match="unknown rumour 'r_nothing'"):
        journal.advance(120.0)


def test_the_media_figures_of_fixed_seeds_are_pinned() -> None:
    """The press and the public of three replications and of a small batch of the bundled mass-casualty
    scenario, pinned: a change here is a change of what the media layer does (say why in the change,
    then update the pin), not of how fast it does it."""
    bundled = load_scenario(BUNDLED / "mass_casualty.yaml")
    digest = hashlib.sha256()
    figures = []
    for index in range(3):
        media = [h for h in simulate(bundled, 11, index).record if isinstance(h.payload, ENGINE_MEDIA_KINDS)]
        digest.update(repr(media).encode())
        trust = replicate(bundled, 11, index).trust
        figures.append((len(media), len(trust), min(trust), trust[-1], sum(trust)))
    assert figures == [(79, 49, 60.0, 67.0, 3417.0), (68, 49, 60.0, 74.0, 3562.0), (70, 49, 60.0, 64.0, 3267.0)]
    assert digest.hexdigest() == "7e1698a35fb51a6bb4fda6b33257cdaf26187e14fa8b3b1c1a132e0287465970"
    baseline = run_batch(bundled, 8, seed=11, jobs=1).trust
    assert baseline is not None and len(baseline.at) == 49
    assert (baseline.median[::10], baseline.p10[-1], baseline.p90[-1]) == ((60.0, 67.5, 75.0, 75.5, 69.5), 66.1, 74.6)
