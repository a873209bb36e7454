"""Validity against queueing theory: one agency with c units, Poisson arrivals, exponential service
(an M/M/c queue) must wait, on average, what the Erlang C formula says."""

from __future__ import annotations

import math
import random
import statistics

from exercises.entries import ResourceAssigned
from exercises.scenario import Scenario
from sim_engine.batch import run_once
from tests.engine.helpers import agency, inject, scenario

SERVERS = 3
ARRIVAL_RATE = 1 / 60  # one request a minute
MEAN_SERVICE = 126.0  # seconds: offered load 2.1 erlangs, utilisation 0.7
ARRIVALS = 3000
WARM_UP = 300  # the queue starts empty: leave out the first requests' waits
REPLICATIONS = 10
T_975_DF9 = 2.262  # Student's t, 97.5th percentile, 9 degrees of freedom (95 % two-sided)


def erlang_c_wait(c: int, arrival_rate: float, mean_service: float) -> float:
    """Mean time in queue of an M/M/c queue (Erlang C)."""
    a = arrival_rate * mean_service
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c / mean_service - arrival_rate)


def poisson_scenario(rng: random.Random) -> Scenario:
    times, t = [], 0.0
    for _ in range(ARRIVALS):
        t += rng.expovariate(ARRIVAL_RATE)
        times.append(t)
    return scenario(
        [agency("desk", clerk=SERVERS)],
        msel=[inject(f"R-{k}", time, ["desk"], expected_actions=["serve"]) for k, time in enumerate(times)],
        actions=["serve"],
        simulation={
            "actions": {"serve": {"uses": "clerk", "duration": {"dist": "exponential", "mean": MEAN_SERVICE}}}
        },
        duration=times[-1] + 36_000,  # time for the queue to drain
    )


def test_erlang_c_formula() -> None:
    # Textbook value: c=2, a=1 erlang (lambda=1, mu=1): P(wait)=1/3, Wq=1/3.
    assert math.isclose(erlang_c_wait(2, 1.0, 1.0), 1 / 3)


def test_mean_queue_wait_matches_erlang_c() -> None:
    arrivals = random.Random(20240601)
    means = []
    for replication in range(REPLICATIONS):
        sc = poisson_scenario(arrivals)
        entries = run_once(sc, seed=11, index=replication)
        waits = [e.payload.queue_wait for e in entries if isinstance(e.payload, ResourceAssigned)]
        assert len(waits) == ARRIVALS
        means.append(statistics.fmean(waits[WARM_UP:]))
    centre = statistics.fmean(means)
    half_width = T_975_DF9 * statistics.stdev(means) / math.sqrt(REPLICATIONS)
    theory = erlang_c_wait(SERVERS, ARRIVAL_RATE, MEAN_SERVICE)
    assert abs(centre - theory) <= half_width, (
        f"simulated {centre:.1f} +/- {half_width:.1f} s, Erlang C {theory:.1f} s"
    )
    # The interval is tight enough to mean something: a fifth of the theoretical wait at most.
    assert half_width < theory / 5
