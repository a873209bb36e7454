"""Coordination between agencies: traffic per link and agency, requests, links that failed,
agencies cut off or overloaded, and how long each inject took to be acted on.

Centrality on the scenario's link graph explains the pattern: an agency that lies on many of the
shortest paths between others (high betweenness) relays their traffic and is where queues form;
an articulation point cuts others off when it or its links fail.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import networkx as nx

from aar.information import information_failures
from aar.model import (
    AgencyTraffic,
    Coordination,
    Finding,
    InformationFailure,
    InjectResponse,
    LinkTraffic,
    MessageOutcome,
    RequestOutcome,
)
from aar.names import quantity
from aar.record import Record
from exercises.record.entries import (
    ActionLogged,
    Entry,
    InjectDelivered,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    MessageSent,
    ResourceAssigned,
    ResourceRequested,
)
from exercises.scenario.durations import format_duration
from exercises.scenario.model import Scenario
from exercises.scoring import expected_action_done

OVERLOAD_MIN_ITEMS = 5
OVERLOAD_FACTOR = 2.0
"""An agency is overloaded when it received at least 5 items and at least twice the median load."""

Interval = tuple[float, float | None]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def link_graph(scenario: Scenario) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(a.id for a in scenario.agencies)
    for link in scenario.links:
        graph.add_edge(*link.between, channel=link.channel.value, latency=link.latency)
    return graph


def link_changes(scenario: Scenario, record: Record) -> list[tuple[float, frozenset[str], bool]]:
    """(time, link, is down) for every link failure and repair: journal entries and inject effects."""
    changes: list[tuple[float, frozenset[str], bool]] = []
    known = {link.key for link in scenario.links}
    for e in record.entries:
        p = e.payload
        if isinstance(p, LinkDown | LinkUp):
            changes.append((e.at, frozenset(p.between), isinstance(p, LinkDown)))
        elif isinstance(p, InjectDelivered) and p.inject_id in record.injects:
            effect = record.injects[p.inject_id].effect
            if effect and effect.link_down:
                changes.append((e.at, frozenset(effect.link_down), True))
            if effect and effect.link_up:
                changes.append((e.at, frozenset(effect.link_up), False))
    return [c for c in changes if c[1] in known]


def down_intervals(changes: Sequence[tuple[float, frozenset[str], bool]]) -> dict[frozenset[str], list[Interval]]:
    out: dict[frozenset[str], list[Interval]] = defaultdict(list)
    down_since: dict[frozenset[str], float] = {}
    for at, key, down in changes:
        if down and key not in down_since:
            down_since[key] = at
        elif not down and key in down_since:
            out[key].append((down_since.pop(key), at))
    for key, since in down_since.items():
        out[key].append((since, None))
    return out


def cut_off_intervals(
    scenario: Scenario, changes: Sequence[tuple[float, frozenset[str], bool]], start: float
) -> dict[str, list[Interval]]:
    """For each agency, when it had no working link path to the lead agency."""
    graph = link_graph(scenario)
    by_design = {a.id for a in scenario.agencies if a.isolated_reason}
    down: set[frozenset[str]] = set()
    cut_since: dict[str, float] = {}
    out: dict[str, list[Interval]] = defaultdict(list)

    def settle(at: float) -> None:
        working = nx.Graph()
        working.add_nodes_from(graph.nodes)
        working.add_edges_from(e for e in graph.edges if frozenset(e) not in down)
        reach = nx.node_connected_component(working, scenario.lead_agency)
        for agency in graph.nodes:
            if agency in by_design:
                continue
            if agency not in reach and agency not in cut_since:
                cut_since[agency] = at
            elif agency in reach and agency in cut_since:
                out[agency].append((cut_since.pop(agency), at))

    settle(start)
    for at, key, is_down in sorted(changes, key=lambda c: c[0]):
        (down.add if is_down else down.discard)(key)
        settle(at)
    for agency, since in cut_since.items():
        out[agency].append((since, None))
    return out


def _hops(path: Sequence[str]) -> list[frozenset[str]]:
    return [frozenset(pair) for pair in pairwise(path)]


def _fmt(interval: Interval) -> str:
    end = format_duration(interval[1]) if interval[1] is not None else "the end"
    return f"{format_duration(interval[0])} to {end}"


WINDOW_S = 900.0
"""Load is compared over time, in the busiest 15 minutes of each agency."""


def busiest_window(times: Sequence[float], span: float = WINDOW_S) -> tuple[int, float | None]:
    """(most items within any ``span`` seconds, when that window starts)."""
    ordered = sorted(times)
    best, start, first = 0, None, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= span:
            first += 1
        if last - first + 1 > best:
            best, start = last - first + 1, ordered[first]
    return best, start


def lost_outcomes(scenario: Scenario, record: Record) -> list[MessageOutcome]:
    """Every message that never reached its recipient, in record order, by names."""
    sent: dict[str, Entry] = {}
    for e in record.entries:
        if isinstance(e.payload, MessageSent) and e.agency:
            sent.setdefault(e.payload.message_id, e)
    names = {a.id: a.name for a in scenario.agencies} | scenario.party_names
    lost = []
    for e in record.entries:
        p = e.payload
        if not isinstance(p, MessageLost):
            continue
        origin = sent.get(p.message_id)
        text = origin.payload.text if origin is not None and isinstance(origin.payload, MessageSent) else ""
        lost.append(MessageOutcome(
            message_id=p.message_id, sender=p.sender, sender_name=names.get(p.sender, p.sender), to=p.to,
            to_name=names.get(p.to, p.to), sent_at=origin.at if origin else e.at, sent_seq=origin.seq if origin else e.seq,
            text=text, lost=True, reason=p.reason,
        ))
    return lost


def unanswered_outcomes(failures: Sequence[InformationFailure]) -> list[MessageOutcome]:
    """The messages never answered, as the information failures found them (one rule: the
    headline, the agencies' rows and the findings count the same messages)."""
    return [
        MessageOutcome(message_id=f.message_id, sender=f.sender, sender_name=f.sender_name, to=f.to,
                       to_name=f.to_name, sent_at=f.at, sent_seq=f.evidence[0].seq, text=f.text, lost=False)
        for f in failures if f.kind == "unanswered"
    ]


def _quote(text: str, limit: int = 60) -> str:
    if not text:
        return ""
    cut = text[:limit] + ("\u2026" if len(text) > limit else "")
    return f" \u201c{cut}\u201d"


def _message_notes(agency: str, lost: Sequence[MessageOutcome], unanswered: Sequence[MessageOutcome]) -> list[str]:
    """Sentences naming the messages lost on the way to an agency and the ones it never answered
    (by sender, time and text: a reader knows messages by who sent them when, not by an id)."""
    notes = []
    mine = [m for m in lost if m.to == agency]
    if mine:
        listed = "; ".join(f"from {m.sender_name} at {format_duration(m.sent_at)}{_quote(m.text)}" for m in mine[:5])
        more = f" and {len(mine) - 5} more" if len(mine) > 5 else ""
        notes.append(f"{quantity(len(mine), 'message')} to it never arrived: {listed}{more}")
    waiting = [m for m in unanswered if m.to == agency]
    if waiting:
        senders = ", ".join(sorted({m.sender_name for m in waiting}))
        notes.append(f"never answered {quantity(len(waiting), 'message')} from {senders}")
    return notes


@dataclass
class _Traffic:
    """What the record says passed between agencies, tallied in one pass over its entries."""

    link_hops: Counter[frozenset[str]] = field(default_factory=Counter)
    link_lost: Counter[frozenset[str]] = field(default_factory=Counter)
    link_delays: dict[frozenset[str], list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    received: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    delays: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: dict[str, Entry] = field(default_factory=dict)
    answers: dict[str, Entry] = field(default_factory=dict)
    deliveries: list[Entry] = field(default_factory=list)
    linked_actions: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    injects_received: Counter[str] = field(default_factory=Counter)
    arrivals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    """When each item of an agency's load (message, request, inject) reached it."""
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, e: Entry) -> None:
        p = e.payload
        if isinstance(p, MessageSent):
            self.counts["sent"] += 1
            if e.agency:
                self.sent[e.agency].add(p.message_id)
        elif isinstance(p, MessageDelivered):
            self.delivered(e, p)
        elif isinstance(p, MessageLost):
            self.counts["lost"] += 1
            self.sent[p.sender].add(p.message_id)
            self.lost[p.to] += 1
            if p.lost_on is not None:
                self.link_lost[frozenset(p.lost_on)] += 1
        elif isinstance(p, ResourceRequested):
            if p.request_id not in self.requests:
                self.arrivals[p.to].append(e.at)
            self.requests.setdefault(p.request_id, e)
        elif isinstance(p, ResourceAssigned):
            self.answers.setdefault(p.request_id, e)
        elif isinstance(p, InjectDelivered):
            self.deliveries.append(e)
            for to in p.to:
                self.injects_received[to] += 1
                self.arrivals[to].append(e.at)
        elif isinstance(p, ActionLogged) and p.inject_id:
            self.linked_actions[p.inject_id].append(e)

    def delivered(self, e: Entry, p: MessageDelivered) -> None:
        self.counts["delivered"] += 1
        self.sent[p.sender].add(p.message_id)
        self.received[p.to] += 1
        self.arrivals[p.to].append(e.at)
        delay = max(0.0, e.at - p.sent_at)
        self.delays[p.to].append(delay)
        hops = _hops(p.path)
        for hop in hops:
            self.link_hops[hop] += 1
            self.link_delays[hop].append(delay / len(hops))

    def request_outcomes(self) -> list[RequestOutcome]:
        out = []
        for rid, req in self.requests.items():
            rp = req.payload
            assert isinstance(rp, ResourceRequested)
            ans = self.answers.get(rid)
            out.append(RequestOutcome(
                request_id=rid, requester=req.agency, to=rp.to, unit_type=rp.unit_type, count=rp.count,
                requested_at=req.at, requested_seq=req.seq,
                answered_at=ans.at if ans else None, answered_seq=ans.seq if ans else None,
                delay_s=ans.at - req.at if ans else None,
            ))
        return out


@dataclass
class _Network:
    """The link graph and what explains an agency's place in it."""

    scenario: Scenario
    graph: nx.Graph
    betweenness: dict[str, float]
    articulation: set[str]
    cut: dict[str, list[Interval]]

    @classmethod
    def of(cls, scenario: Scenario, record: Record, changes: list[tuple[float, frozenset[str], bool]]) -> _Network:
        graph = link_graph(scenario)
        betweenness = nx.betweenness_centrality(graph) if graph.number_of_nodes() > 2 else {}
        start = record.started_at if record.started_at is not None else 0.0
        return cls(scenario, graph, betweenness, set(nx.articulation_points(graph)),
                   cut_off_intervals(scenario, changes, start))

    def behind(self, agency: str) -> list[str]:
        """The agencies that reach the lead agency only through ``agency``."""
        lead, graph = self.scenario.lead_agency, self.graph
        if agency == lead or agency not in self.articulation:
            return []
        rest = graph.subgraph(set(graph.nodes) - {agency})
        return [n for n in graph.nodes if n != agency and not nx.has_path(rest, n, lead)]


def coordination(scenario: Scenario, record: Record, found: Sequence[Finding] = ()) -> Coordination:
    """The coordination section: ``found`` (the protocol findings) dates a notification delivered
    after its protocol's deadline as late."""
    traffic = _Traffic()
    for e in record.entries:
        traffic.add(e)
    changes = link_changes(scenario, record)
    downs = down_intervals(changes)
    network = _Network.of(scenario, record, changes)
    outcomes = traffic.request_outcomes()
    failures = information_failures(scenario, record, found)
    lost_messages, unanswered_messages = lost_outcomes(scenario, record), unanswered_outcomes(failures)
    agencies = _agency_traffic(scenario, traffic, network, outcomes, (lost_messages, unanswered_messages))
    agencies = [_with_not_sent(a, failures) for a in agencies]
    links = [
        LinkTraffic(
            between=link.between,
            channel=link.channel.value,
            messages=traffic.link_hops[link.key],
            lost=traffic.link_lost[link.key],
            mean_delay_s=statistics.fmean(traffic.link_delays[link.key]) if traffic.link_delays[link.key] else None,
            down_intervals=tuple(downs.get(link.key, ())),
        )
        for link in scenario.links
    ]
    return Coordination(
        links=tuple(links),
        agencies=tuple(agencies),
        requests=tuple(outcomes),
        injects=tuple(inject_responses(record, traffic.deliveries, traffic.linked_actions)),
        messages_sent=max(traffic.counts["sent"], len({m for ids in traffic.sent.values() for m in ids})),
        messages_delivered=traffic.counts["delivered"],
        messages_lost=traffic.counts["lost"],
        lost_messages=tuple(lost_messages),
        unanswered_messages=tuple(unanswered_messages),
        failures=tuple(failures),
    )


def _agency_traffic(
    scenario: Scenario, traffic: _Traffic, network: _Network, outcomes: Sequence[RequestOutcome],
    messages: tuple[Sequence[MessageOutcome], Sequence[MessageOutcome]],
) -> list[AgencyTraffic]:
    made = Counter(o.requester for o in outcomes if o.requester)
    asked = Counter(o.to for o in outcomes)
    unanswered = Counter(o.to for o in outcomes if o.answered_at is None)
    peaks = {a.id: busiest_window(traffic.arrivals[a.id]) for a in scenario.agencies}
    out = []
    for a in scenario.agencies:
        peak, window = peaks[a.id]
        others = [peaks[o.id][0] for o in scenario.agencies if o.id != a.id]
        typical = statistics.median(others) if others else 0
        overloaded = peak >= OVERLOAD_MIN_ITEMS and peak >= OVERLOAD_FACTOR * max(typical, 1)
        why = _why(a.id, network, (peak, window, typical) if overloaded else None, unanswered[a.id], messages)
        delays = traffic.delays[a.id]
        out.append(AgencyTraffic(
            agency=a.id, name=a.name, sent=len(traffic.sent[a.id]), received=traffic.received[a.id],
            lost=traffic.lost[a.id], requests_made=made[a.id], requests_received=asked[a.id],
            requests_unanswered=unanswered[a.id], injects_received=traffic.injects_received[a.id],
            mean_delivery_delay_s=statistics.fmean(delays) if delays else None,
            betweenness=network.betweenness.get(a.id, 0.0), degree=network.graph.degree(a.id),
            load=traffic.received[a.id] + asked[a.id] + traffic.injects_received[a.id],
            overloaded=overloaded, cut_off=tuple(network.cut.get(a.id, ())),
            explanation=_sentence("; ".join(why)) + ("." if why else ""),
        ))
    return out


def _with_not_sent(traffic: AgencyTraffic, failures: Sequence[InformationFailure]) -> AgencyTraffic:
    """The agency's row with the messages it should have sent and did not, counted and named."""
    mine = [f for f in failures if f.kind == "not_sent" and f.sender == traffic.agency]
    if not mine:
        return traffic
    listed = "; ".join(f"to {f.to_name} at {format_duration(f.at)}{_quote(f.text)}" for f in mine[:5])
    more = f" and {len(mine) - 5} more" if len(mine) > 5 else ""
    note = f"Did not send {quantity(len(mine), 'message')} it should have: {listed}{more}."
    explanation = f"{traffic.explanation} {note}" if traffic.explanation else note
    return traffic.model_copy(update={"not_sent": len(mine), "explanation": explanation})


def _why(
    agency: str, network: _Network, overload: tuple[int, float | None, float] | None, unanswered: int,
    messages: tuple[Sequence[MessageOutcome], Sequence[MessageOutcome]],
) -> list[str]:
    """The sentences that explain an agency's traffic: load, position, cut-offs, what went unanswered."""
    scenario = network.scenario
    name, lead_name = scenario.agency(agency).name, scenario.agency(scenario.lead_agency).name
    why: list[str] = []
    peak, window, typical = overload if overload is not None else (0, None, 0.0)
    if window is not None:
        minutes = f"{WINDOW_S // 60:.0f} minutes"
        why.append(
            f"heaviest load: {name} received {peak} items in its busiest {minutes} "
            f"({format_duration(window)} to {format_duration(window + WINDOW_S)}), against a median of "
            f"{typical:g} for the other agencies in their busiest {minutes}"
        )
    b = network.betweenness.get(agency, 0.0)
    if b > 0:
        why.append(f"lies on {b:.0%} of the shortest paths between other agencies (betweenness {b:.2f})")
    behind = network.behind(agency)
    if behind:
        why.append(f"the only route to {lead_name} for {', '.join(sorted(scenario.agency(n).name for n in behind))}")
    if network.cut.get(agency):
        degree = network.graph.degree(agency)
        why.append(f"cut off from {lead_name} {', '.join(_fmt(i) for i in network.cut[agency])} "
                   f"({degree} link{'s' if degree != 1 else ''} in the plan)")
    if unanswered:
        why.append(f"left {quantity(unanswered, 'request')} unanswered")
    why.extend(_message_notes(agency, *messages))
    return why


def inject_responses(
    record: Record, deliveries: Sequence[Entry], linked: dict[str, list[Entry]]
) -> list[InjectResponse]:
    """Time from each delivery to the first action on it: linked by inject id, or an expected
    action of the inject logged by one of its recipients."""
    out = []
    for d in deliveries:
        p = d.payload
        assert isinstance(p, InjectDelivered)
        inject = record.injects.get(p.inject_id)
        candidates = [e for e in linked.get(p.inject_id, []) if e.at >= d.at]
        if inject is not None:
            for action in inject.expected_actions:
                hit = expected_action_done(d, record.actions.get(action, []))
                if hit is not None:
                    candidates.append(hit)
        first = min(candidates, key=lambda e: (e.at, e.seq), default=None)
        out.append(
            InjectResponse(
                inject_id=p.inject_id,
                synopsis=inject.synopsis if inject else "",
                delivered_at=d.at,
                delivered_seq=d.seq,
                to=p.to,
                acted_at=first.at if first else None,
                acted_seq=first.seq if first else None,
                acted_by=first.agency if first else None,
                delay_s=first.at - d.at if first else None,
            )
        )
    return out
