"""What the live pages derive from service reads: the same answers as computing afresh, whatever the
order in which refreshes saw the journal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from console.derived import Digest, ViewCache, restamp, timeline_frame
from console.network import link_key, network_graph
from exercises import views
from exercises.record.entries import (
    ActionLogged,
    ClockStarted,
    Correction,
    Entry,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    InjectSkipped,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    Payload,
)
from exercises.scenario.loading import load_scenario
from tests.console.conftest import MILL_FIRE, ROOT

SCENARIO = load_scenario(MILL_FIRE)
AGENCIES = ("fire", "police", "eoc")
PAIRS = (("fire", "police"), ("fire", "eoc"), ("police", "eoc"))
PROTOCOL_ACTIONS = sorted({p.action for p in SCENARIO.protocols})

payloads = st.one_of(
    # The protocols' own actions weigh more: what the protocol clock turns on.
    st.builds(ActionLogged, action=st.sampled_from([*PROTOCOL_ACTIONS * 3, *sorted(SCENARIO.vocabulary)]),
              text=st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=20), inject_id=st.sampled_from([None, "MF-01", "MF-03"])),
    st.builds(InjectHeld, inject_id=st.sampled_from(["MF-03", "MF-04"])),
    st.builds(InjectReleased, inject_id=st.sampled_from(["MF-03", "MF-04"]), override=st.booleans()),
    st.builds(InjectSkipped, inject_id=st.just("MF-04"), reason=st.just("condition")),
    st.just(Correction(corrects=1, reason="placeholder: aimed at an earlier action below")),
    st.builds(InjectDelivered, inject_id=st.sampled_from(["MF-01", "MF-02", "MF-03"]),
              to=st.just(("fire",))),
    st.builds(LinkDown, between=st.sampled_from(PAIRS)),
    st.builds(LinkUp, between=st.sampled_from(PAIRS)),
    st.builds(MessageDelivered, message_id=st.just("M1"), sender=st.just("fire"), to=st.just("eoc"),
              path=st.sampled_from([("fire", "eoc"), ("fire", "police", "eoc")]), sent_at=st.just(0.0)),
    st.builds(MessageLost, message_id=st.just("M2"), sender=st.just("police"), to=st.just("eoc"),
              reason=st.just("lost on link police-eoc"), path=st.just(("police", "eoc"))),
)


@st.composite
def journals(draw: st.DrawFn) -> list[Entry]:
    items: list[tuple[float, Payload, str]] = draw(
        st.lists(st.tuples(st.floats(0, 600), payloads, st.sampled_from(AGENCIES)), max_size=40)
    )
    entries = [Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted())]
    at = 0.0
    for step, payload, agency in items:
        at += step
        if draw(st.integers(0, 3)) == 0:  # corrections are rare in a drawn mix: make them common
            payload = Correction(corrects=1, reason="aimed below")
        if isinstance(payload, Correction):
            actions = [e.seq for e in entries if isinstance(e.payload, ActionLogged)]
            if not actions:
                continue
            replace = draw(st.booleans())
            payload = Correction(corrects=draw(st.sampled_from(actions)), reason="typo",
                                 replacement=ActionLogged(action="contain_fire", inject_id="MF-01") if replace else None)
        entries.append(Entry(seq=len(entries) + 1, at=at, actor="player", payload=payload,
                             agency=agency if isinstance(payload, ActionLogged) else None))
    return entries


@settings(max_examples=40, deadline=None)
@given(journals(), st.floats(0, 30_000), st.floats(0, 30_000), st.booleans())
def test_a_restamped_protocol_clock_is_the_one_computed_now(
    entries: list[Entry], then: float, now: float, ended: bool
) -> None:
    cached = views.protocol_clock(SCENARIO, entries, then, ended=ended)
    assert restamp(cached, now, ended=ended) == views.protocol_clock(SCENARIO, entries, now, ended=ended)


@settings(max_examples=150, deadline=None)
@given(journals(), st.lists(st.integers(0, 45), max_size=6))
def test_folding_in_any_steps_gives_the_same_digest(entries: list[Entry], cuts: list[int]) -> None:
    stepwise = Digest(SCENARIO)
    for cut in sorted(cuts):
        stepwise.fold(entries[:cut])
    stepwise.fold(entries)
    at_once = Digest(SCENARIO)
    at_once.fold(entries)
    assert stepwise.rows == at_once.rows
    assert stepwise.links() == at_once.links()
    # The MSEL and the protocol clock, folded step by step, are what computing afresh gives.
    assert stepwise.msel_rows() == views.msel_status(SCENARIO, entries)
    for now, ended in ((entries[-1].at, False), (entries[-1].at + 5000.0, True)):
        assert stepwise.protocol_clock(now, ended=ended) == views.protocol_clock(SCENARIO, entries, now, ended=ended)
    # The feed says what the service's own timeline says of each entry.
    summaries = {item.seq: item.summary for item in views.timeline(SCENARIO, entries)}
    assert all(row.what == summaries[row.seq] for row in stepwise.feed(limit=1000))
    # A link is down exactly when its last change was a LinkDown.
    last: dict[frozenset[str], bool] = {}
    for e in entries:
        if isinstance(e.payload, LinkDown | LinkUp):
            last[link_key(*e.payload.between)] = isinstance(e.payload, LinkDown)
    assert stepwise.links().down == {k for k, down in last.items() if down}


def test_message_load_counts_every_hop_and_is_drawn() -> None:
    entries = [
        Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted()),
        Entry(seq=2, at=5.0, actor="engine", payload=MessageDelivered(
            message_id="M1", sender="fire", to="eoc", path=("fire", "police", "eoc"), sent_at=1.0)),
        Entry(seq=3, at=9.0, actor="engine", payload=LinkDown(between=("fire", "eoc"))),
    ]
    folded = Digest(SCENARIO)
    folded.fold(entries)
    links = folded.links()
    assert links.load == {link_key("fire", "police"): 1, link_key("police", "eoc"): 1}
    assert links.down == {link_key("fire", "eoc")}
    source = network_graph(SCENARIO, links_down=links.down, load=links.load).source
    assert "DOWN" in source and 'label=1' in source.replace('"', "")


def test_the_timeline_window_keeps_the_last_hour() -> None:
    entries = [Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted())] + [
        Entry(seq=i + 2, at=600.0 * (i + 1), actor="player", agency="fire",
              payload=ActionLogged(action="contain_fire")) for i in range(12)
    ]
    folded = Digest(SCENARIO)
    folded.fold(entries)
    frame = timeline_frame(folded.window(now=7200.0))
    assert frame["minute"].min() >= 60.0 and frame["minute"].max() == 120.0
    assert set(frame["lane"]) == {"Town Fire Department"}


def test_view_cache_recomputes_only_when_the_head_moves() -> None:
    cache = ViewCache()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get(("x",), 5, compute) == 1
    assert cache.get(("x",), 5, compute) == 1
    assert cache.get(("x",), 6, compute) == 2
    assert cache.get(("y",), 6, compute) == 3


def test_agency_names_cannot_become_html_labels() -> None:
    hostile = SCENARIO.model_copy(update={"agencies": tuple(
        a.model_copy(update={"name": '<b>Fire</b> <img src="x">'}) if a.id == "fire" else a
        for a in SCENARIO.agencies
    )})
    source = network_graph(hostile).source
    # Quoted DOT strings (drawn as text), never <...> HTML-like labels.
    assert 'tooltip="<b>Fire</b> <img src=\\"x\\"> (fire)"' in source
    assert "label=<" not in source and "tooltip=<" not in source


def test_a_correction_arriving_later_refolds_the_msel_and_the_protocol_clock() -> None:
    entries = [
        Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted()),
        Entry(seq=2, at=1.0, actor="engine", payload=InjectDelivered(inject_id="MF-01", to=("fire",))),
        Entry(seq=3, at=2.0, actor="player", agency="fire",
              payload=ActionLogged(action="establish_command", inject_id="MF-01")),
        Entry(seq=4, at=3.0, actor="player", agency="fire", payload=Correction(corrects=3, reason="wrong button")),
    ]
    folded = Digest(SCENARIO)
    folded.fold(entries[:3])
    assert "met" in {i.status.value for i in folded.protocol_clock(10.0, ended=False)}
    folded.fold(entries)  # the voided action no longer meets IC-01 nor answers MF-01
    assert folded.protocol_clock(10.0, ended=False) == views.protocol_clock(SCENARIO, entries, 10.0, ended=False)
    # (MF-01 was delivered to fire alone here: a played agency's protocol on it never reached it.)
    assert {i.status.value for i in folded.protocol_clock(10.0, ended=False)} - {"not_reached"} == {"pending"}
    assert folded.msel_rows() == views.msel_status(SCENARIO, entries)
    assert next(r for r in folded.msel_rows() if r.inject_id == "MF-01").status.value == "delivered"


def test_contingency_injects_say_in_names_why_they_hold_or_not() -> None:
    scenario = load_scenario(ROOT / "data" / "scenarios" / "civil_disturbance.yaml")
    named = views.words(scenario)
    cd07 = scenario.inject("CD-07")  # only if the police have NOT deployed dialogue officers
    start = Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted())
    assert views.condition_reason(cd07, [start], named) is None
    done = Entry(seq=2, at=1860.0, actor="player:city_police", agency="city_police",
                 payload=ActionLogged(action="deploy_dialogue_officers"))
    reason = views.condition_reason(cd07, [start, done], named)
    assert reason is not None and reason.startswith("Riverton Police Department logged") and "0:31" in reason
    assert "city_police" not in views.condition_text(cd07, named)
    skipped = Entry(seq=3, at=2700.0, actor="engine", payload=InjectSkipped(
        inject_id="CD-07", reason="deploy_dialogue_officers had already been logged by city_police"))
    row = next(r for r in views.msel_status(scenario, [start, done, skipped]) if r.inject_id == "CD-07")
    assert row.status is views.InjectStatus.SKIPPED
    assert row.skipped_reason is not None and "Riverton Police Department had already logged" in row.skipped_reason
    assert "city_police" not in row.skipped_reason and "deploy_dialogue_officers" not in row.skipped_reason
