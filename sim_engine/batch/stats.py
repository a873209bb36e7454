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

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exercises.scenario.durations import format_span
from exercises.scenario.model import Scenario
from sim_engine.batch import tally as tallies
from sim_engine.batch.media_stats import sampled_trust, trust_baseline, trust_series
from sim_engine.batch.results import AgencyStats, BatchResult, LinkStats, ProtocolStats, UnitStats
from sim_engine.batch.tally import ExactSum, Series, bin_all
from sim_engine.memo import per_scenario
from sim_engine.network import AgencyNetwork
from sim_engine.playbook import Playbook
from sim_engine.record import (
    ActionLogged,
    Development,
    Happening,
    InjectDelivered,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    ResourceAssigned,
    ResourceReleased,
)
from sim_engine.scoring import ProtocolInstance, RecordIndex, score_indexed, score_protocols

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
    """The media layer's trust index at each media step (``sim_engine.batch.media_stats``)."""
    events: int = 0
    """SimPy events the run processed (for benchmarks; not part of the batch result)."""


def summarise(scenario: Scenario, record: Sequence[Happening], end: float) -> RunSummary:
    """What one run's record says, reduced to what the batch aggregates."""
    run = RunSummary(
        instances=score_protocols(scenario, record, end), trust=trust_series(scenario, record, end)
    )
    links = {link.key: i for i, link in enumerate(scenario.links)}
    held: dict[tuple[str | None, str], tuple[float, int, str]] = {}
    links_changed = False
    # Payloads are the record's own named tuples, never subclassed: their exact type says what they
    # are, and the developments (most of a casualty run's record) are passed over first.
    for entry in record:
        p = entry.payload
        if type(p) is Development or type(p) is InjectDelivered:
            continue
        if type(p) is ActionLogged:
            if entry.agency:
                run.actions[entry.agency] = run.actions.get(entry.agency, 0) + 1
        elif type(p) is ResourceAssigned and entry.agency:
            held[entry.agency, p.request_id] = (entry.at, p.count, p.unit_type)
            run.waits.setdefault((entry.agency, p.unit_type), []).append(p.queue_wait)
        elif type(p) is ResourceReleased and (entry.agency, p.request_id) in held:
            start, count, unit = held.pop((entry.agency, p.request_id))
            key = (str(entry.agency), unit)
            run.busy[key] = run.busy.get(key, 0.0) + (min(entry.at, end) - start) * count
        elif type(p) is MessageDelivered:
            for a, b in zip(p.path, p.path[1:], strict=False):
                i = links[frozenset((a, b))]
                run.hops[i] = run.hops.get(i, 0) + 1
                run.delays.setdefault(i, []).append(entry.at - p.sent_at)
        elif type(p) is MessageLost:
            for a, b in zip(p.path, p.path[1:], strict=False):
                i = links[frozenset((a, b))]
                run.hops[i] = run.hops.get(i, 0) + 1
            if p.lost_on:
                i = links[frozenset(p.lost_on)]
                run.lost[i] = run.lost.get(i, 0) + 1
        elif type(p) is LinkDown or type(p) is LinkUp:
            links_changed = True
    for (agency, _), (start, count, unit) in held.items():
        key = (str(agency), unit)
        run.busy[key] = run.busy.get(key, 0.0) + max(0.0, end - start) * count
    if links_changed:
        run.cut_off = _cut_off(scenario, record, end)
    return run


class RunningSummary:
    """A batch run's summary built as the run goes: the world reports units assigned and released,
    actions, and messages delivered and lost as it records them, in record order, so the result is
    exactly ``summarise`` of the finished record (a test holds the two together) without a second pass
    over it. What needs the whole record (protocol scoring, time cut off) is done at the end."""

    __slots__ = ("by_design", "cut", "held", "index", "lead", "links", "run", "since", "trust")

    def __init__(self, scenario: Scenario) -> None:
        self.run = RunSummary()
        self.links = _link_index(scenario)
        self.held: dict[tuple[str | None, str], tuple[float, int, str]] = {}
        self.index = RecordIndex()
        """What protocol scoring needs of the record, kept as it is written."""
        self.lead = scenario.lead_agency
        self.by_design = _by_design(scenario)
        self.cut: set[str] = set()
        """Agencies cut off from the lead agency since ``since`` (not counting those cut off by design)."""
        self.since = 0.0
        self.trust: list[tuple[float, float]] = []
        """The media layer's trust index as it changed: (time, trust after), in record order."""

    def link_changed(self, network: AgencyNetwork, now: float) -> None:
        """A link went down or came up: the time cut off so far is counted (as ``_cut_off`` does)."""
        totals, since = self.run.cut_off, self.since
        for agency in self.cut:
            totals[agency] = totals.get(agency, 0.0) + now - since
        self.since, self.cut = now, network.cut_off(self.lead) - self.by_design

    def acted(self, agency: str | None, action: str, pos: int) -> None:
        """An action was logged at record position ``pos``."""
        self.index.logged(action, pos)
        if agency:
            actions = self.run.actions
            actions[agency] = actions.get(agency, 0) + 1

    def assigned(self, owner: str, request_id: str, unit: str, count: int, wait: float, now: float) -> None:
        self.held[owner, request_id] = (now, count, unit)
        self.run.waits.setdefault((owner, unit), []).append(wait)

    def released(self, owner: str, request_id: str, now: float) -> None:
        found = self.held.pop((owner, request_id), None)
        if found is not None:
            start, count, unit = found
            busy, key = self.run.busy, (owner, unit)
            busy[key] = busy.get(key, 0.0) + (now - start) * count

    def delivered(self, path: tuple[str, ...], delay: float) -> None:
        run, links = self.run, self.links
        for a, b in itertools.pairwise(path):
            i = links[frozenset((a, b))]
            run.hops[i] = run.hops.get(i, 0) + 1
            run.delays.setdefault(i, []).append(delay)

    def lost(self, path: tuple[str, ...], lost_on: tuple[str, str] | None) -> None:
        run, links = self.run, self.links
        for a, b in itertools.pairwise(path):
            i = links[frozenset((a, b))]
            run.hops[i] = run.hops.get(i, 0) + 1
        if lost_on:
            i = links[frozenset(lost_on)]
            run.lost[i] = run.lost.get(i, 0) + 1

    def finish(self, scenario: Scenario, record: Sequence[Happening], end: float) -> RunSummary:
        """The summary of the run, ended at ``end`` (no later than the last time it was advanced to)."""
        run = self.run
        run.instances = score_indexed(scenario, record, self.index, end)
        for (agency, _), (start, count, unit) in self.held.items():
            key = (str(agency), unit)
            run.busy[key] = run.busy.get(key, 0.0) + max(0.0, end - start) * count
        for agency in self.cut:
            run.cut_off[agency] = run.cut_off.get(agency, 0.0) + max(0.0, end - self.since)
        run.trust = sampled_trust(scenario, self.trust, end)
        return run


_link_index = per_scenario(lambda scenario: {link.key: i for i, link in enumerate(scenario.links)})
_by_design = per_scenario(lambda scenario: AgencyNetwork.from_scenario(scenario).cut_off(scenario.lead_agency))


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


class BatchTally:
    """Runs folded together: what the batch result is computed from, mergeable exactly in any grouping
    (``sim_engine.batch.tally``), and as small for 100,000 runs as for 1,000."""

    def __init__(self, scenario: Scenario) -> None:
        self.runs = 0
        self.events = 0
        """SimPy events the runs processed (for benchmarks; not part of the batch result)."""
        self.timed = frozenset(p.id for p in scenario.protocols if not p.before_trigger)
        self.triggered: dict[str, int] = {}
        self.scored: dict[str, int] = {}
        self.met: dict[str, int] = {}
        self.responses: dict[str, Series] = {}
        self.trust: dict[int, Series] = {}
        """The media layer's trust index per sample step (``sim_engine.batch.media_stats``)."""
        self.busy: dict[tuple[str, str], ExactSum] = {}
        self.waits: dict[tuple[str, str], Series] = {}
        self.actions: dict[str, int] = {}
        self.hops: dict[int, int] = {}
        self.lost: dict[int, int] = {}
        self.delays: dict[int, Series] = {}
        self.cut_off: dict[str, ExactSum] = {}
        self.values = 0
        """Values held in the series above, all told (``_bound``)."""

    def add(self, run: RunSummary) -> None:
        self.runs += 1
        self.events += run.events
        for pid in {i.protocol_id for i in run.instances}:
            _count(self.triggered, pid, 1)
        for inst in run.instances:
            if inst.outcome != "open":
                _count(self.scored, inst.protocol_id, 1)
                _count(self.met, inst.protocol_id, inst.outcome == "met")
            if inst.done_at is not None and inst.protocol_id in self.timed:
                _series(self.responses, inst.protocol_id).extend((inst.done_at - inst.triggered_at,))
        for step, value in enumerate(run.trust):
            _series(self.trust, step).extend((value,))
        for key, seconds in run.busy.items():
            _sum(self.busy, key).add(seconds)
        for key, waits in run.waits.items():
            _series(self.waits, key).extend(waits)
        for agency, n in run.actions.items():
            _count(self.actions, agency, n)
        for i, n in run.hops.items():
            _count(self.hops, i, n)
        for i, n in run.lost.items():
            _count(self.lost, i, n)
        for i, delays in run.delays.items():
            _series(self.delays, i).extend(delays)
        for agency, seconds in run.cut_off.items():
            _sum(self.cut_off, agency).add(seconds)
        self.values += _values(run, self.timed)
        if self.values > tallies.EXACT_VALUES:  # read here, so that a test can lower it
            self._bound()

    def merge(self, other: BatchTally) -> None:
        self.runs += other.runs
        self.events += other.events
        for mine, theirs in (
            (self.triggered, other.triggered),
            (self.scored, other.scored),
            (self.met, other.met),
            (self.actions, other.actions),
            (self.hops, other.hops),
            (self.lost, other.lost),
        ):
            for key, n in theirs.items():
                _count(mine, key, n)
        _merge_series(self.responses, other.responses)
        _merge_series(self.trust, other.trust)
        _merge_series(self.waits, other.waits)
        _merge_series(self.delays, other.delays)
        _merge_sums(self.busy, other.busy)
        _merge_sums(self.cut_off, other.cut_off)
        self._bound()

    def _bound(self) -> None:
        every = [*self.responses.values(), *self.waits.values(), *self.delays.values(), *self.trust.values()]
        self.values = sum(s.count for s in every)
        bin_all(every)


def _values(run: RunSummary, timed: frozenset[str]) -> int:
    """How many values ``BatchTally.add`` puts in its series for the run."""
    responses = sum(1 for i in run.instances if i.done_at is not None and i.protocol_id in timed)
    waits = sum(len(w) for w in run.waits.values())
    return responses + len(run.trust) + waits + sum(len(d) for d in run.delays.values())


def _count(counts: dict[Any, int], key: Any, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _merge_series(mine: dict[Any, Series], theirs: dict[Any, Series]) -> None:
    for key, values in theirs.items():
        _series(mine, key).merge(values)


def _merge_sums(mine: dict[Any, ExactSum], theirs: dict[Any, ExactSum]) -> None:
    for key, total in theirs.items():
        _sum(mine, key).merge(total)


def _series(series: dict[Any, Series], key: Any) -> Series:
    found = series.get(key)
    if found is None:
        found = series[key] = Series()
    return found


def _sum(sums: dict[Any, ExactSum], key: Any) -> ExactSum:
    found = sums.get(key)
    if found is None:
        found = sums[key] = ExactSum()
    return found


def _mean(values: Series | None) -> float:
    return round(values.mean(), 3) if values is not None and values.count else 0.0


def _pct(values: Series | None, q: float) -> float:
    return round(values.percentile(q), 3) if values is not None and values.count else 0.0


def aggregate(scenario: Scenario, tally: BatchTally, seed: int, end: float) -> BatchResult:
    """The batch result of the runs folded into ``tally``."""
    n = tally.runs
    protocols = []
    for proto in scenario.protocols:
        scored = tally.scored.get(proto.id, 0)
        answered = tally.responses.get(proto.id) if proto.id in tally.timed else None
        has_answers = answered is not None and answered.count > 0
        protocols.append(
            ProtocolStats(
                protocol_id=proto.id,
                title=proto.title,
                agency=proto.agency,
                critical=proto.critical,
                triggered_share=round(tally.triggered.get(proto.id, 0) / n, 4) if n else 0.0,
                met_share=round(tally.met.get(proto.id, 0) / scored, 4) if scored else 0.0,
                response_median_s=_pct(answered, 50) if has_answers else None,
                response_p90_s=_pct(answered, 90) if has_answers else None,
                deadline_s=proto.within,
            )
        )
    agencies = []
    for agency in scenario.agencies:
        units = []
        for unit, count in agency.resources.items():
            key = (agency.id, unit)
            busy = tally.busy[key].value if key in tally.busy else 0.0
            waits = tally.waits.get(key)
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
        actions = tally.actions.get(agency.id, 0)
        agencies.append(
            AgencyStats(
                agency=agency.id, units=tuple(units), actions_mean=round(actions / n, 3) if n else 0.0
            )
        )
    links = []
    for i, link in enumerate(scenario.links):
        hops = tally.hops.get(i, 0)
        lost = tally.lost.get(i, 0)
        links.append(
            LinkStats(
                between=link.between,
                messages_mean=round(hops / n, 3) if n else 0.0,
                delay_mean_s=_mean(tally.delays.get(i)),
                lost_share=round(lost / hops, 4) if hops else 0.0,
            )
        )
    cut = {
        a.id: (tally.cut_off[a.id].value if a.id in tally.cut_off else 0.0) / n if n else 0.0
        for a in scenario.agencies
    }
    return BatchResult(
        scenario_id=scenario.id,
        runs=n,
        seed=seed,
        protocols=tuple(protocols),
        agencies=tuple(agencies),
        links=tuple(links),
        bottlenecks=bottlenecks(scenario, protocols, agencies, links, cut, end),
        trust=trust_baseline(scenario, tally.trust, end),
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
