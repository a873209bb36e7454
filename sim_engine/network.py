"""The agency network: agencies are nodes, links are edges that can go down.

Edges carry ``channel``, ``latency`` (seconds), ``reliability`` (chance a message gets across) and
``up`` (whether the link starts up). Messages take the fastest working path (least total latency: networkx's Dijkstra over the
links that are up); when a link goes down, traffic re-routes, and an agency left with no working
path to another is cut off from it until a link comes back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import NamedTuple

import networkx as nx

from exercises.scenario.model import Scenario
from sim_engine.memo import per_scenario

Routes = tuple[dict[str, float], dict[str, list[str]]]
"""Dijkstra from one source: total latency and path to every agency it reaches."""

_SHARED_LIMIT = 4096
_shared: dict[tuple[tuple[object, ...], frozenset[tuple[str, str]], str], Routes] = {}
_shared_lock = threading.Lock()


def build_graph(scenario: Scenario) -> nx.Graph:
    """The scenario's agency network with every link up."""
    graph = nx.Graph()
    for agency in scenario.agencies:
        graph.add_node(agency.id, kind=agency.kind.value, played_by=agency.played_by.value)
    for link in scenario.links:
        a, b = link.between
        graph.add_edge(
            a, b, channel=link.channel.value, latency=link.latency, reliability=link.reliability, up=True
        )
    return graph


class Layout(NamedTuple):
    """What a network reads from its graph, read once per graph."""

    graph: nx.Graph
    links: dict[tuple[str, str], tuple[float, float, tuple[str, str]]]
    """Both ways round: latency, reliability, and the link as the graph lists it."""
    shape: tuple[object, ...]
    """Nodes and weighted edges: networks of equal shape have equal routes."""
    down: frozenset[tuple[str, str]]
    """The links that start down."""

    @classmethod
    def of(cls, graph: nx.Graph) -> Layout:
        links: dict[tuple[str, str], tuple[float, float, tuple[str, str]]] = {}
        for a, b, data in graph.edges(data=True):
            links[a, b] = links[b, a] = (float(data["latency"]), float(data["reliability"]), (a, b))
        shape = (tuple(graph.nodes), tuple((a, b, d["latency"]) for a, b, d in graph.edges(data=True)))
        down = frozenset((a, b) for a, b, up in graph.edges(data="up", default=True) if not up)
        return cls(graph, links, shape, down)


_layout = per_scenario(lambda scenario: Layout.of(build_graph(scenario)))
"""One graph per scenario, for every network of it: no network changes its graph."""


class AgencyNetwork:
    """The graph plus its working part (the links that are up), with routes cached.

    The graph itself is never changed: which links are down is this network's own state, so one graph
    serves every run of a scenario (``from_scenario`` builds it once). Routes depend only on the graph
    and which links are down, so they are shared by every network of the same shape in the process
    (batch runs of one scenario compute each route once). The working graph is a view of the full
    graph without the links that are down, so networkx's choice between equally fast paths is the one
    it makes on the full graph minus those links.
    """

    def __init__(self, graph: nx.Graph, layout: Layout | None = None) -> None:
        layout = layout or Layout.of(graph)
        self.graph = graph
        self._links = layout.links
        self._shape = layout.shape
        self.version = 0
        """Counts link changes: a route planned at one version holds until it changes."""
        self._down: frozenset[tuple[str, str]] = frozenset()
        self._hidden: frozenset[tuple[str, str]] = frozenset()
        self._routes: dict[str, Routes] = {}
        self._working: nx.Graph | None = None
        self._rebuild(layout.down)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> AgencyNetwork:
        layout = _layout(scenario)
        return cls(layout.graph, layout)

    def _rebuild(self, down: frozenset[tuple[str, str]]) -> None:
        # Links are named as the graph lists them, so that equal states share routes.
        self._down = down
        self._hidden = down | {(b, a) for a, b in down}
        self._working = None
        self._routes = {}

    @property
    def working(self) -> nx.Graph:
        """The graph without the links that are down (a view, made when a route must be computed)."""
        if self._working is None:
            hidden = self._hidden
            self._working = nx.subgraph_view(self.graph, filter_edge=lambda a, b: (a, b) not in hidden)
        return self._working

    def is_up(self, a: str, b: str) -> bool:
        return (a, b) not in self._hidden

    def latency(self, a: str, b: str) -> float:
        return self._links[a, b][0]

    def reliability(self, a: str, b: str) -> float:
        return self._links[a, b][1]

    def has_link(self, a: str, b: str) -> bool:
        return (a, b) in self._links

    def set_up(self, a: str, b: str, up: bool) -> bool:
        """Bring a link up or down; True if that changed anything."""
        edge = self._links[a, b][2]
        if self.is_up(a, b) == up:
            return False
        self.version += 1
        self._rebuild(self._down - {edge} if up else self._down | {edge})
        return True

    def _from(self, source: str) -> Routes:
        found = self._routes.get(source)
        if found is None:
            key = (self._shape, self._down, source)
            found = _shared.get(key)
            if found is None:
                found = nx.single_source_dijkstra(self.working, source, weight="latency")
                with _shared_lock:
                    if len(_shared) >= _SHARED_LIMIT:
                        _shared.clear()
                    _shared[key] = found
            self._routes[source] = found
        return found

    def route(self, source: str, target: str) -> list[str] | None:
        """The fastest working path from ``source`` to ``target`` (both ends included), or None.
        The list is shared: do not change it."""
        return self._from(source)[1].get(target)

    def distance(self, source: str, target: str) -> float | None:
        """Total latency of the fastest working path, or None when there is none."""
        return self._from(source)[0].get(target)

    def cut_off(self, hub: str) -> set[str]:
        """Agencies with no working path to ``hub``."""
        return set(self.graph) - set(self._from(hub)[0])

    def nearest(self, source: str, candidates: Iterable[str]) -> str | None:
        """The candidate that ``source`` reaches fastest (first listed on a tie), or None."""
        distances = self._from(source)[0]
        best: tuple[float, int, str] | None = None
        for order, candidate in enumerate(candidates):
            d = distances.get(candidate)
            if d is not None and (best is None or (d, order) < best[:2]):
                best = (d, order, candidate)
        return best[2] if best else None
