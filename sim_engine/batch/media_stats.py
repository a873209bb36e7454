"""The media layer in the simulated baseline: the community-trust index over time across runs.

Each run's trust is sampled every media step from the start to the end of the scenario (the index
holds its value between changes); the batch gives, per sample time, the median and the 10th and
90th percentiles over runs, so the report can draw an exercise's trust curve beside what teams
following the plan get.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exercises.scenario.model import Scenario
from sim_engine.batch.results import TrustBaseline
from sim_engine.batch.tally import Series
from sim_engine.record import Happening, TrustChanged


def sample_times(scenario: Scenario, end: float) -> list[float]:
    """Every media step from 0 to ``end`` (and ``end`` itself)."""
    if scenario.media is None:
        return []
    step = scenario.media.step
    times = [i * step for i in range(int(end // step) + 1)]
    if times[-1] < end:
        times.append(end)
    return times


def trust_series(scenario: Scenario, record: Sequence[Happening], end: float) -> list[float]:
    """The run's trust index at each sample time (empty without a media layer)."""
    if scenario.media is None:
        return []
    return sampled_trust(scenario, [(h.at, h.payload.trust) for h in record if isinstance(h.payload, TrustChanged)], end)


def sampled_trust(scenario: Scenario, changes: Sequence[tuple[float, float]], end: float) -> list[float]:
    """The trust index at each sample time, from its changes in record order ((time, trust after));
    what ``trust_series`` gives for the record that holds them."""
    if scenario.media is None:
        return []
    out, trust, i = [], scenario.media.trust.start, 0
    for t in sample_times(scenario, end):
        while i < len(changes) and changes[i][0] <= t:
            trust = changes[i][1]
            i += 1
        out.append(trust)
    return out


def trust_baseline(scenario: Scenario, steps: Mapping[int, Series], end: float) -> TrustBaseline | None:
    """Median and 10th/90th percentiles of the runs' trust at each sample time (``steps``: the
    batch's tally of trust values per sample step, ``sim_engine.batch.tally``)."""
    times = sample_times(scenario, end)
    if not times or not steps:
        return None
    per_step = [steps[i] for i in range(len(times))]
    return TrustBaseline(
        at=tuple(times),
        median=tuple(round(s.percentile(50), 4) for s in per_step),
        p10=tuple(round(s.percentile(10), 4) for s in per_step),
        p90=tuple(round(s.percentile(90), 4) for s in per_step),
    )
