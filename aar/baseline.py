"""Actual timings held against the simulated baseline: teams following the plan, in batch runs.

Reads only ``sim_engine.batch.results`` (plain data), never the engine itself.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from aar.model import Baseline, BaselineComparison, Finding, Status
from aar.names import Names
from exercises.scenario.durations import format_span
from exercises.scenario.model import Scenario
from exercises.scoring import SCORED
from sim_engine.batch.results import BatchResult, ProtocolStats


def _minutes(seconds: float) -> str:
    return format_span(seconds)


def verdict(actual: float | None, stats: ProtocolStats) -> str:
    if actual is None:
        return "not done"
    if stats.response_median_s is None:
        return "no simulated timing"
    if stats.response_p90_s is not None and actual > stats.response_p90_s:
        return "slower than 9 in 10 simulated runs"
    if actual > stats.response_median_s:
        return "slower than the simulated median"
    return "at or faster than the simulated median"


def comparisons(scenario: Scenario, found: Sequence[Finding], batch: BatchResult) -> Baseline:
    out = []
    for protocol in scenario.protocols:
        stats = batch.protocol(protocol.id)
        if stats is None:
            continue
        mine = [f for f in found if f.protocol_id == protocol.id]
        scored = [f for f in mine if f.status in SCORED]
        actual = tuple(
            f.response_s for f in mine if f.response_s is not None and not f.before_trigger
        )
        median = statistics.median(actual) if actual else None
        met_share = sum(f.status is Status.MET for f in scored) / len(scored) if scored else None
        if not scored and not actual:
            said = "not triggered in the exercise"
        elif median is None:
            said = "not done"
        else:
            said = _minutes(median) + (f" (median of {len(actual)})" if len(actual) > 1 else "")
        if stats.response_median_s is not None:
            sim = f"median {_minutes(stats.response_median_s)}"
            if stats.response_p90_s is not None:
                sim += f", p90 {_minutes(stats.response_p90_s)}"
        else:
            sim = "not done in the simulated runs"
        out.append(
            BaselineComparison(
                protocol_id=protocol.id,
                title=protocol.title,
                agency=protocol.agency,
                actual_s=actual,
                actual_median_s=median,
                simulated_median_s=stats.response_median_s,
                simulated_p90_s=stats.response_p90_s,
                simulated_met_share=stats.met_share,
                actual_met_share=met_share,
                verdict=verdict(median, stats) if scored else "not triggered",
                sentence=f"{protocol.title}: {said}; simulated teams following the plan: {sim}.",
            )
        )
    names = Names.of(scenario)
    return Baseline(
        runs=batch.runs,
        seed=batch.seed,
        comparisons=tuple(out),
        bottlenecks=tuple(names.words(line) for line in batch.bottlenecks),
    )
