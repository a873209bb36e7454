"""From runs' records to the batch result: per-run summaries (pure functions of the record), then
the distributions over runs and the bottlenecks in plain sentences.

Definitions (per scenario, over all replications):
- protocol met share: met instances over scored ones (met, late, missed, out of order; an instance
  still open when the run ended is not scored); response median and p90 over answered ``within``
  instances;
- unit utilisation: busy unit-seconds (assigned until released, or the end of the run) over the
  agency's units times the run length; queue wait: each assignment's wait for free units;
- link load: hops over the link per run, lost or not; delay: mean time from sending to delivery of
  the messages that crossed it; lost share: messages lost on it over messages that tried it;
- cut off: time an agency had no working path to the lead agency (agencies isolated by design are
  not counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from exercises.durations import format_span
from exercises.scenario import Scenario
from sim_engine.media_stats import trust_baseline, trust_series
from sim_engine.network import AgencyNetwork
from sim_engine.playbook import Playbook
from sim_engine.record import (
    ActionLogged,
    Happening,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    ResourceAssigned,
    ResourceReleased,
)
from sim_engine.results import AgencyStats, BatchResult, LinkStats, ProtocolStats, UnitStats
from sim_engine.scoring import ProtocolInstance, score_protocols

MAX_BOTTLENECKS = 10


@dataclass
class RunSummary:
    instances: list[ProtocolInstance] = field(default_factory=list)
    busy: dict[tuple[str, str], float] = field(default_factory=dict)
    waits: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    hops: dict[int, int] = field(default_factory=dict)
    delays: dict[int, list[float]] = field(default_factory=dict)
    lost: dict[int, int] = field(default_factory=dict)
    cut_off: dict[str, float] = field(default_factory=dict)
    trust: list[float] = field(default_factory=list)
    """The media layer's trust index at each media step (``sim_engine.media_stats``)."""
    events: int = 0
    """SimPy events the run processed (for benchmarks; not part of the batch result)."""


def summarise(scenario: Scenario, record: Sequence[Happening], end: float) -> RunSummary:
    """What one run's record says, reduced to what the batch aggregates."""
    run = RunSummary(instances=score_protocols(scenario, record, end), trust=trust_series(scenario, record, end))
    links = {link.key: i for i, link in enumerate(scenario.links)}
    held: dict[tuple[str | None, str], tuple[float, int, str]] = {}
    links_changed = False
    for entry in record:
        p = entry.payload
        if isinstance(p, ActionLogged):
            if entry.agency:
                run.actions[entry.agency] = run.actions.get(entry.agency, 0) + 1
        elif isinstance(p, ResourceAssigned) and entry.agency:
            held[entry.agency, p.request_id] = (entry.at, p.count, p.unit_type)
            run.waits.setdefault((entry.agency, p.unit_type), []).append(p.queue_wait)
        elif isinstance(p, ResourceReleased) and (entry.agency, p.request_id) in held:
            start, count, unit = held.pop((entry.agency, p.request_id))
            key = (str(entry.agency), unit)
            run.busy[key] = run.busy.get(key, 0.0) + (min(entry.at, end) - start) * count
        elif isinstance(p, MessageDelivered):
            for a, b in zip(p.path, p.path[1:], strict=False):
                i = links[frozenset((a, b))]
                run.hops[i] = run.hops.get(i, 0) + 1
                run.delays.setdefault(i, []).append(entry.at - p.sent_at)
        elif isinstance(p, MessageLost):
            for a, b in zip(p.path, p.path[1:], strict=False):
                i = links[frozenset((a, b))]
                run.hops[i] = run.hops.get(i, 0) + 1
            if p.lost_on:
                i = links[frozenset(p.lost_on)]
                run.lost[i] = run.lost.get(i, 0) + 1
        elif isinstance(p, LinkDown | LinkUp):
            links_changed = True
    for (agency, _), (start, count, unit) in held.items():
        key = (str(agency), unit)
        run.busy[key] = run.busy.get(key, 0.0) + max(0.0, end - start) * count
    if links_changed:
        run.cut_off = _cut_off(scenario, record, end)
    return run


def _cut_off(scenario: Scenario, entries: Sequence[Happening], end: float) -> dict[str, float]:
    network = AgencyNetwork.from_scenario(scenario)
    lead = scenario.lead_agency
    by_design = network.cut_off(lead)
    totals: dict[str, float] = {}
    since, cut = 0.0, set[str]()
    for entry in entries:
        p = entry.payload
        if isinstance(p, LinkDown | LinkUp) and entry.at <= end:
            if network.set_up(*p.between, isinstance(p, LinkUp)):
                for agency in cut:
                    totals[agency] = totals.get(agency, 0.0) + entry.at - since
                since, cut = entry.at, network.cut_off(lead) - by_design
    for agency in cut:
        totals[agency] = totals.get(agency, 0.0) + max(0.0, end - since)
    return totals


def _mean(values: Sequence[float]) -> float:
    return round(float(np.mean(values)), 3) if len(values) else 0.0


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if len(values) else 0.0


def aggregate(scenario: Scenario, runs: Sequence[RunSummary], seed: int, end: float) -> BatchResult:
    """The batch result over runs given in replication order."""
    n = len(runs)
    by_protocol: dict[str, list[ProtocolInstance]] = {p.id: [] for p in scenario.protocols}
    triggered: dict[str, int] = dict.fromkeys(by_protocol, 0)
    for run in runs:
        seen: set[str] = set()
        for inst in run.instances:
            by_protocol[inst.protocol_id].append(inst)
            seen.add(inst.protocol_id)
        for pid in seen:
            triggered[pid] += 1
    protocols = []
    for proto in scenario.protocols:
        instances = by_protocol[proto.id]
        scored = [i for i in instances if i.outcome != "open"]
        met = sum(1 for i in scored if i.outcome == "met")
        answered = [] if proto.before_trigger else [i.response for i in instances if i.response is not None]
        protocols.append(
            ProtocolStats(
                protocol_id=proto.id,
                title=proto.title,
                agency=proto.agency,
                critical=proto.critical,
                triggered_share=round(triggered[proto.id] / n, 4) if n else 0.0,
                met_share=round(met / len(scored), 4) if scored else 0.0,
                response_median_s=_pct(answered, 50) if answered else None,
                response_p90_s=_pct(answered, 90) if answered else None,
                deadline_s=proto.within,
            )
        )
    agencies = []
    for agency in scenario.agencies:
        units = []
        for unit, count in agency.resources.items():
            key = (agency.id, unit)
            busy = sum(run.busy.get(key, 0.0) for run in runs)
            waits = [w for run in runs for w in run.waits.get(key, ())]
            available = count * end * n
            units.append(
                UnitStats(
                    unit_type=unit,
                    units=count,
                    utilisation=round(busy / available, 4) if available > 0 else 0.0,
                    queue_wait_mean_s=_mean(waits),
                    queue_wait_p90_s=_pct(waits, 90),
                )
            )
        actions = sum(run.actions.get(agency.id, 0) for run in runs)
        agencies.append(
            AgencyStats(
                agency=agency.id, units=tuple(units), actions_mean=round(actions / n, 3) if n else 0.0
            )
        )
    links = []
    for i, link in enumerate(scenario.links):
        hops = sum(run.hops.get(i, 0) for run in runs)
        lost = sum(run.lost.get(i, 0) for run in runs)
        delays = [d for run in runs for d in run.delays.get(i, ())]
        links.append(
            LinkStats(
                between=link.between,
                messages_mean=round(hops / n, 3) if n else 0.0,
                delay_mean_s=_mean(delays),
                lost_share=round(lost / hops, 4) if hops else 0.0,
            )
        )
    cut = {a.id: sum(run.cut_off.get(a.id, 0.0) for run in runs) / n if n else 0.0 for a in scenario.agencies}
    return BatchResult(
        scenario_id=scenario.id,
        runs=n,
        seed=seed,
        protocols=tuple(protocols),
        agencies=tuple(agencies),
        links=tuple(links),
        bottlenecks=bottlenecks(scenario, protocols, agencies, links, cut, end),
        trust=trust_baseline(scenario, [run.trust for run in runs], end),
    )


def bottlenecks(
    scenario: Scenario,
    protocols: Sequence[ProtocolStats],
    agencies: Sequence[AgencyStats],
    links: Sequence[LinkStats],
    cut_off: dict[str, float],
    end: float,
) -> tuple[str, ...]:
    """Plain sentences about what limits the response, worst first."""
    found: list[tuple[float, str]] = []
    for stats in agencies:
        for u in stats.units:
            if u.utilisation >= 0.5 or u.queue_wait_mean_s >= 60:
                severity = max(u.utilisation, min(1.0, u.queue_wait_mean_s / 1800))
                found.append(
                    (
                        severity,
                        f"{stats.agency}: its {u.units} {u.unit_type} unit(s) were busy {u.utilisation:.0%} of "
                        f"the time; requests waited {format_span(u.queue_wait_mean_s)} on average "
                        f"(p90 {format_span(u.queue_wait_p90_s)}).",
                    )
                )
    for link, stats_link in zip(scenario.links, links, strict=True):
        if stats_link.lost_share >= 0.05 and stats_link.messages_mean > 0:
            found.append(
                (
                    stats_link.lost_share,
                    f"Link {link.between[0]}-{link.between[1]} ({link.channel.value}) lost "
                    f"{stats_link.lost_share:.0%} of the messages that tried it "
                    f"({stats_link.messages_mean:.1f} per run).",
                )
            )
    for agency, seconds in cut_off.items():
        if seconds > 0 and end > 0:
            found.append(
                (
                    min(1.0, seconds / end),
                    f"{agency} was cut off from the lead agency {scenario.lead_agency} for "
                    f"{format_span(seconds)} per run on average (links down).",
                )
            )
    for p in protocols:
        if p.triggered_share > 0 and p.met_share < 0.8:
            proto = next(x for x in scenario.protocols if x.id == p.protocol_id)
            due = "before its trigger" if proto.before_trigger else f"within {format_span(proto.within or 0)}"
            typical = (
                f"; median response {format_span(p.response_median_s)}"
                if p.response_median_s is not None
                else ""
            )
            found.append(
                (
                    (1.0 - p.met_share) * (1.0 if p.critical else 0.5),
                    f"{'Critical protocol' if p.critical else 'Protocol'} {p.protocol_id}: {p.agency} must "
                    f"{proto.action} {due}; met in {p.met_share:.0%} of instances{typical}.",
                )
            )
    found.extend((1.0, s) for s in _unequipped(scenario))
    found.sort(key=lambda item: (-item[0], item[1]))
    return tuple(sentence for _, sentence in found[:MAX_BOTTLENECKS])


def _unequipped(scenario: Scenario) -> list[str]:
    """Tasks an agency cannot simulate at all: it lacks the unit type and no mutual aid can supply it."""
    book = Playbook(scenario)
    tasks = list(book.holders) + [t for inject in scenario.msel for t in book.performers(inject)]
    out = set()
    for agency, action in tasks:
        sim = scenario.simulation.actions.get(action)
        if sim is None or sim.uses is None or sim.uses in scenario.agency(agency).resources:
            continue
        others = [a.id for a in scenario.agencies if a.id != agency and sim.uses in a.resources]
        if not scenario.simulation.mutual_aid or not others:
            out.add(
                f"{agency} has no {sim.uses} units for {action} and no mutual aid can supply one: it never does it."
            )
    return sorted(out)
