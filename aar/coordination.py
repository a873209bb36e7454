"""Coordination between agencies: traffic per link and agency, requests, links that failed,
agencies cut off or overloaded, and how long each inject took to be acted on.

Centrality on the scenario's link graph explains the pattern: an agency that lies on many of the
shortest paths between others (high betweenness) relays their traffic and is where queues form;
an articulation point cuts others off when it or its links fail.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import islice, pairwise

import networkx as nx

from aar.model import AgencyTraffic, Coordination, InjectResponse, LinkTraffic, MessageOutcome, RequestOutcome
from aar.names import quantity
from aar.record import Record
from exercises.durations import format_duration
from exercises.entries import (
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
from exercises.scenario import Scenario

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


def _lost_link(reason: str) -> frozenset[str] | None:
    if reason.startswith("lost on link "):
        ends = reason.removeprefix("lost on link ").split("-")
        if len(ends) == 2:
            return frozenset(ends)
    return None


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


def message_outcomes(scenario: Scenario, record: Record) -> tuple[list[MessageOutcome], list[MessageOutcome]]:
    """(lost messages, delivered messages never answered): a message is answered when its recipient
    later sends the sender a message. Notifications the engine carries (``about`` an action) expect
    no answer."""
    sent: dict[str, Entry] = {}
    replies: dict[tuple[str, str], list[float]] = defaultdict(list)
    for e in record.entries:
        if isinstance(e.payload, MessageSent) and e.agency:
            sent.setdefault(e.payload.message_id, e)
            replies[(e.agency, e.payload.to)].append(e.at)
    names = {a.id: a.name for a in scenario.agencies}
    lost, unanswered = [], []
    for e in record.entries:
        p = e.payload
        if not isinstance(p, MessageDelivered | MessageLost):
            continue
        origin = sent.get(p.message_id)
        text = origin.payload.text if origin is not None and isinstance(origin.payload, MessageSent) else ""
        outcome = MessageOutcome(
            message_id=p.message_id, sender=p.sender, sender_name=names.get(p.sender, p.sender), to=p.to,
            to_name=names.get(p.to, p.to), sent_at=origin.at if origin else e.at, sent_seq=origin.seq if origin else e.seq,
            text=text, lost=isinstance(p, MessageLost), reason=p.reason if isinstance(p, MessageLost) else "",
        )
        if outcome.lost:
            lost.append(outcome)
        elif p.about is None and origin is not None and not any(t >= e.at for t in replies[(p.to, p.sender)]):
            unanswered.append(outcome)
    return lost, unanswered


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


def coordination(scenario: Scenario, record: Record) -> Coordination:
    graph = link_graph(scenario)
    betweenness = nx.betweenness_centrality(graph) if graph.number_of_nodes() > 2 else {}
    articulation = set(nx.articulation_points(graph))
    link_hops: Counter[frozenset[str]] = Counter()
    link_lost: Counter[frozenset[str]] = Counter()
    link_delays: dict[frozenset[str], list[float]] = defaultdict(list)
    sent: dict[str, set[str]] = defaultdict(set)
    received: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    delays: dict[str, list[float]] = defaultdict(list)
    requests: dict[str, Entry] = {}
    answers: dict[str, Entry] = {}
    deliveries: list[Entry] = []
    linked_actions: dict[str, list[Entry]] = defaultdict(list)
    injects_received: Counter[str] = Counter()
    arrivals: dict[str, list[float]] = defaultdict(list)
    """When each item of an agency's load (message, request, inject) reached it."""
    counts = {"sent": 0, "delivered": 0, "lost": 0}
    for e in record.entries:
        p = e.payload
        if isinstance(p, MessageSent):
            counts["sent"] += 1
            if e.agency:
                sent[e.agency].add(p.message_id)
        elif isinstance(p, MessageDelivered):
            counts["delivered"] += 1
            sent[p.sender].add(p.message_id)
            received[p.to] += 1
            arrivals[p.to].append(e.at)
            delay = max(0.0, e.at - p.sent_at)
            delays[p.to].append(delay)
            hops = _hops(p.path)
            for hop in hops:
                link_hops[hop] += 1
                link_delays[hop].append(delay / len(hops))
        elif isinstance(p, MessageLost):
            counts["lost"] += 1
            sent[p.sender].add(p.message_id)
            lost[p.to] += 1
            where = _lost_link(p.reason)
            if where is not None:
                link_lost[where] += 1
        elif isinstance(p, ResourceRequested):
            if p.request_id not in requests:
                arrivals[p.to].append(e.at)
            requests.setdefault(p.request_id, e)
        elif isinstance(p, ResourceAssigned):
            answers.setdefault(p.request_id, e)
        elif isinstance(p, InjectDelivered):
            deliveries.append(e)
            for to in p.to:
                injects_received[to] += 1
                arrivals[to].append(e.at)
        elif isinstance(p, ActionLogged) and p.inject_id:
            linked_actions[p.inject_id].append(e)

    changes = link_changes(scenario, record)
    downs = down_intervals(changes)
    start = record.started_at if record.started_at is not None else 0.0
    cut = cut_off_intervals(scenario, changes, start)

    outcomes = []
    for rid, req in requests.items():
        rp = req.payload
        assert isinstance(rp, ResourceRequested)
        ans = answers.get(rid)
        outcomes.append(
            RequestOutcome(
                request_id=rid,
                requester=req.agency,
                to=rp.to,
                unit_type=rp.unit_type,
                count=rp.count,
                requested_at=req.at,
                requested_seq=req.seq,
                answered_at=ans.at if ans else None,
                answered_seq=ans.seq if ans else None,
                delay_s=ans.at - req.at if ans else None,
            )
        )
    made = Counter(o.requester for o in outcomes if o.requester)
    asked = Counter(o.to for o in outcomes)
    unanswered = Counter(o.to for o in outcomes if o.answered_at is None)

    loads = {
        a.id: received[a.id] + asked[a.id] + injects_received[a.id] for a in scenario.agencies
    }
    peaks = {a.id: busiest_window(arrivals[a.id]) for a in scenario.agencies}
    lead = scenario.lead_agency
    lead_name = scenario.agency(lead).name
    lost_messages, unanswered_messages = message_outcomes(scenario, record)
    agencies = []
    for a in scenario.agencies:
        load = loads[a.id]
        peak, window = peaks[a.id]
        others = [peaks[o.id][0] for o in scenario.agencies if o.id != a.id]
        typical = statistics.median(others) if others else 0
        overloaded = peak >= OVERLOAD_MIN_ITEMS and peak >= OVERLOAD_FACTOR * max(typical, 1)
        why: list[str] = []
        b = betweenness.get(a.id, 0.0)
        if overloaded and window is not None:
            why.append(
                f"heaviest load: {a.name} received {peak} items in its busiest {WINDOW_S // 60:.0f} minutes "
                f"({format_duration(window)} to {format_duration(window + WINDOW_S)}), against a median of "
                f"{typical:g} for the other agencies in their busiest {WINDOW_S // 60:.0f} minutes"
            )
        if b > 0:
            why.append(f"lies on {b:.0%} of the shortest paths between other agencies (betweenness {b:.2f})")
        if a.id in articulation:
            behind = [
                n
                for n in graph.nodes
                if n != a.id and not nx.has_path(graph.subgraph(set(graph.nodes) - {a.id}), n, lead)
            ] if a.id != lead else []
            if behind:
                why.append(
                    f"the only route to {lead_name} for "
                    f"{', '.join(sorted(scenario.agency(n).name for n in behind))}"
                )
        if cut.get(a.id):
            degree = graph.degree(a.id)
            why.append(
                f"cut off from {lead_name} {', '.join(_fmt(i) for i in cut[a.id])} "
                f"({degree} link{'s' if degree != 1 else ''} in the plan)"
            )
        if unanswered[a.id]:
            why.append(f"left {quantity(unanswered[a.id], 'request')} unanswered")
        why.extend(_message_notes(a.id, lost_messages, unanswered_messages))
        agencies.append(
            AgencyTraffic(
                agency=a.id,
                name=a.name,
                sent=len(sent[a.id]),
                received=received[a.id],
                lost=lost[a.id],
                requests_made=made[a.id],
                requests_received=asked[a.id],
                requests_unanswered=unanswered[a.id],
                injects_received=injects_received[a.id],
                mean_delivery_delay_s=statistics.fmean(delays[a.id]) if delays[a.id] else None,
                betweenness=b,
                degree=graph.degree(a.id),
                load=load,
                overloaded=overloaded,
                cut_off=tuple(cut.get(a.id, ())),
                explanation=_sentence("; ".join(why)) + ("." if why else ""),
            )
        )
    links = [
        LinkTraffic(
            between=link.between,
            channel=link.channel.value,
            messages=link_hops[link.key],
            lost=link_lost[link.key],
            mean_delay_s=statistics.fmean(link_delays[link.key]) if link_delays[link.key] else None,
            down_intervals=tuple(downs.get(link.key, ())),
        )
        for link in scenario.links
    ]
    return Coordination(
        links=tuple(links),
        agencies=tuple(agencies),
        requests=tuple(outcomes),
        injects=tuple(inject_responses(record, deliveries, linked_actions)),
        messages_sent=max(counts["sent"], len({m for ids in sent.values() for m in ids})),
        messages_delivered=counts["delivered"],
        messages_lost=counts["lost"],
        lost_messages=tuple(lost_messages),
        unanswered_messages=tuple(unanswered_messages),
    )


def inject_responses(
    record: Record, deliveries: Sequence[Entry], linked: dict[str, list[Entry]]
) -> list[InjectResponse]:
    """Time from each delivery to the first action on it: linked by inject id, or an expected
    action of the inject logged by one of its recipients."""
    times = {action: [e.at for e in pool] for action, pool in record.actions.items()}
    out = []
    for d in deliveries:
        p = d.payload
        assert isinstance(p, InjectDelivered)
        inject = record.injects.get(p.inject_id)
        candidates = [e for e in linked.get(p.inject_id, []) if e.at >= d.at]
        if inject is not None:
            for action in inject.expected_actions:
                pool = record.actions.get(action, [])
                i = bisect_left(times.get(action, []), d.at)
                hit = next((e for e in islice(pool, i, None) if e.agency in p.to), None)
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
