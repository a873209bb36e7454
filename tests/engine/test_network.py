"""Messages cross the agency network exactly as the graph says: fastest working path, link latencies
added hop by hop, re-routed or cut off when a link goes down."""

from __future__ import annotations

from typing import Any

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.record.entries import Entry, LinkDown, LinkUp, MessageDelivered, MessageLost, MessageSent
from exercises.scenario.model import Scenario
from sim_engine.network import AgencyNetwork, build_graph
from tests.engine.helpers import Journal, agency, inject, link, scenario

NAMES = [f"ag{i}" for i in range(7)]
Network = tuple[list[str], list[tuple[str, str, int]]]


@st.composite
def networks(draw: st.DrawFn) -> Network:
    """A connected agency network: a random spanning tree plus extra links, integer latencies."""
    n = draw(st.integers(2, 7))
    names = NAMES[:n]
    edges: dict[frozenset[str], tuple[str, str, int]] = {}
    for i in range(1, n):
        parent = names[draw(st.integers(0, i - 1))]
        edges[frozenset((parent, names[i]))] = (parent, names[i], draw(st.integers(0, 300)))
    for a, b in draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=8)):
        if a != b and frozenset((a, b)) not in edges:
            edges[frozenset((a, b))] = (a, b, draw(st.integers(0, 300)))
    return names, list(edges.values())


def _scenario(
    names: list[str], edges: list[tuple[str, str, int]], msel: list[dict[str, Any]] | None = None
) -> Scenario:
    return scenario(
        [agency(n, players=True) for n in names],
        links=[link(a, b, latency) for a, b, latency in edges],
        msel=msel or [],
    )


def _messages(journal: Journal) -> list[Entry]:
    return [e for e in journal.simulated if isinstance(e.payload, MessageDelivered | MessageLost)]


def _send(sc: Scenario, sender: str, to: str, at: float) -> list[Entry]:
    journal = Journal(sc, seed=1)
    journal.external(at, MessageSent(message_id="m1", to=to, text="hello"), agency=sender)
    journal.advance(sc.duration)
    return _messages(journal)


@settings(max_examples=40, deadline=None)
@given(networks(), st.data())
def test_delivery_time_is_the_shortest_path_latency_sum(net: Network, data: st.DataObject) -> None:
    names, edges = net
    sender = data.draw(st.sampled_from(names))
    to = data.draw(st.sampled_from(names))
    sc = _scenario(names, edges)
    graph = build_graph(sc)
    [delivered] = _send(sc, sender, to, at=100.0)
    assert isinstance(delivered.payload, MessageDelivered)
    assert delivered.at == 100.0 + nx.dijkstra_path_length(graph, sender, to, weight="latency")
    assert list(delivered.payload.path) == nx.dijkstra_path(graph, sender, to, weight="latency")
    assert delivered.payload.sent_at == 100.0


@settings(max_examples=40, deadline=None)
@given(networks(), st.data())
def test_a_downed_link_reroutes_or_cuts_off_as_networkx_says(net: Network, data: st.DataObject) -> None:
    names, edges = net
    a, b, _ = data.draw(st.sampled_from(edges))
    sender = data.draw(st.sampled_from(names))
    to = data.draw(st.sampled_from(names))
    sc = _scenario(names, edges, [inject("CUT", 60.0, [names[0]], effect={"link_down": [a, b]})])
    without = build_graph(sc)
    without.remove_edge(a, b)
    [outcome] = _send(sc, sender, to, at=100.0)
    if nx.has_path(without, sender, to):
        assert isinstance(outcome.payload, MessageDelivered)
        assert list(outcome.payload.path) == nx.dijkstra_path(without, sender, to, weight="latency")
        assert outcome.at == 100.0 + nx.dijkstra_path_length(without, sender, to, weight="latency")
    else:
        assert isinstance(outcome.payload, MessageLost)
        assert outcome.payload.reason == "no working path"
        assert outcome.at == 100.0
        assert to in AgencyNetwork(without).cut_off(sender)


def test_cut_off_until_the_link_comes_back() -> None:
    sc = _scenario(["hq", "field"], [("hq", "field", 30)])
    journal = Journal(sc, seed=1)
    journal.external(10.0, LinkDown(between=("hq", "field")), agency=None, actor="controller")
    journal.external(20.0, MessageSent(message_id="m1", to="field", text="are you there?"), agency="hq")
    journal.external(40.0, LinkUp(between=("hq", "field")), agency=None, actor="controller")
    journal.external(50.0, MessageSent(message_id="m2", to="field", text="now?"), agency="hq")
    journal.advance(600.0)
    lost, delivered = _messages(journal)
    assert isinstance(lost.payload, MessageLost) and lost.payload.message_id == "m1"
    assert lost.payload.reason == "no working path" and lost.at == 20.0
    assert isinstance(delivered.payload, MessageDelivered) and delivered.payload.message_id == "m2"
    assert delivered.at == 80.0


def test_a_message_in_flight_replans_where_it_is_when_a_link_ahead_goes_down() -> None:
    # a-b-c is fastest; when b-c fails while the message crosses a-b, it goes back by a-d-c.
    sc = _scenario(["a", "b", "c", "d"], [("a", "b", 10), ("b", "c", 10), ("a", "d", 50), ("d", "c", 50)])
    journal = Journal(sc, seed=1)
    journal.external(0.0, MessageSent(message_id="m1", to="c", text="x"), agency="a")
    journal.external(5.0, LinkDown(between=("b", "c")), agency=None, actor="controller")
    journal.advance(600.0)
    [delivered] = _messages(journal)
    assert isinstance(delivered.payload, MessageDelivered)
    assert delivered.payload.path == ("a", "b", "a", "d", "c")
    assert delivered.at == 10 + 10 + 50 + 50


def test_unreliable_links_lose_about_their_share_and_say_where() -> None:
    sc = scenario(
        [agency("a", players=True), agency("b", players=True)], links=[link("a", "b", 5, reliability=0.7)]
    )
    journal = Journal(sc, seed=3)
    for k in range(400):
        journal.external(float(k), MessageSent(message_id=f"m{k}", to="b", text="x"), agency="a")
    journal.advance(1000.0)
    lost = [e.payload for e in _messages(journal) if isinstance(e.payload, MessageLost)]
    assert len(_messages(journal)) == 400
    assert 0.22 < len(lost) / 400 < 0.38
    assert all(
        p.lost_on == ("a", "b") and p.reason == "lost on link a-b" and p.path == ("a", "b") for p in lost
    )
