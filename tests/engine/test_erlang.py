"""Validity against queueing theory: one agency with c units, Poisson arrivals, exponential service
(an M/M/c queue), at three loads up to 0.9.

Two checks, each able to fail on its own:
- **Erlang C**: over replications, the mean and the 90th percentile of the queue waits fall within a
  99 % confidence interval of what the Erlang C formula says (P(wait > t) = C(c, a) e^-(c mu - lambda) t);
- **first come, first served, exactly**: every wait the engine reports equals the wait a c-server FIFO
  queue gives (the Kiefer-Wolfowitz recursion) for the same arrival times and the service times the
  run drew. Run against a copy of the engine whose waits were reported 5 % low, and against one whose
  queue served the last request first, this check failed on every replication, and the Erlang C
  check failed too (docs/engine.md, "Validity").
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from typing import NamedTuple

import pytest

from exercises.scenario.model import Scenario
from sim_engine.batch.runs import simulate
from sim_engine.record import ActionLogged, ResourceAssigned, ResourceReleased
from tests.engine.helpers import agency, inject, scenario

MEAN_SERVICE = 60.0
WARM_UP = 0.1
"""The queue starts empty: leave out the first tenth of each replication's waits."""
REPLICATIONS = 8
T_995_DF7 = 3.499
"""Student's t, 99.5th percentile, 7 degrees of freedom (a 99 % two-sided interval over 8 replications)."""


class Point(NamedTuple):
    servers: int
    load: float
    """Utilisation rho = lambda / (c mu)."""
    arrivals: int


POINTS = [Point(1, 0.5, 3000), Point(3, 0.7, 3000), Point(2, 0.9, 16000)]


def erlang_c(c: int, arrival_rate: float, mean_service: float) -> float:
    """The probability that an arrival waits, in an M/M/c queue (Erlang's C formula)."""
    a = arrival_rate * mean_service
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def erlang_c_wait(c: int, arrival_rate: float, mean_service: float) -> float:
    """Mean time in queue of an M/M/c queue."""
    return erlang_c(c, arrival_rate, mean_service) / (c / mean_service - arrival_rate)


def erlang_c_wait_quantile(c: int, arrival_rate: float, mean_service: float, q: float) -> float:
    """The q-quantile of the time in queue: 0 when at least q of the arrivals do not wait."""
    waits = erlang_c(c, arrival_rate, mean_service)
    if waits <= 1 - q:
        return 0.0
    return math.log(waits / (1 - q)) / (c / mean_service - arrival_rate)


def poisson_scenario(rng: random.Random, point: Point) -> tuple[Scenario, dict[str, float]]:
    rate = point.load * point.servers / MEAN_SERVICE
    times, t = {}, 0.0
    for k in range(point.arrivals):
        t += rng.expovariate(rate)
        times[f"R-{k}"] = t
    built = scenario(
        [agency("desk", clerk=point.servers)],
        msel=[inject(name, at, ["desk"], expected_actions=["serve"]) for name, at in times.items()],
        actions=["serve"],
        simulation={
            "actions": {"serve": {"uses": "clerk", "duration": {"dist": "exponential", "mean": MEAN_SERVICE}}}
        },
        duration=t + 1000 * MEAN_SERVICE,  # time for the queue to drain
    )
    return built, times


class Served(NamedTuple):
    arrived: float
    wait: float
    service: float


def served(sc: Scenario, arrivals: dict[str, float], index: int) -> list[Served]:
    """Each request, in order of arrival: when it came, the wait the engine reported, the service it got."""
    sim = simulate(sc, seed=11, index=index)
    assigned: dict[str, tuple[float, float]] = {}
    started: dict[str, tuple[float, float, str]] = {}
    service: dict[str, float] = {}
    last: str | None = None
    for h in sim.record:
        p = h.payload
        if type(p) is ResourceAssigned:
            assigned[p.request_id] = (h.at, p.queue_wait)
            last = p.request_id
        elif type(p) is ActionLogged and last is not None and p.inject_id is not None:
            started[p.inject_id] = (*assigned[last], last)  # the unit taken just before the action
            last = None
        elif type(p) is ResourceReleased:
            service[p.request_id] = h.at - assigned[p.request_id][0]
    sim.close()
    out = [Served(arrivals[name], wait, service[request]) for name, (_, wait, request) in started.items()]
    assert len(out) == len(arrivals)
    return sorted(out)


def fifo_waits(requests: list[Served], servers: int) -> list[float]:
    """The waits of a first-come-first-served queue with ``servers`` servers (Kiefer-Wolfowitz)."""
    free = [0.0] * servers
    waits = []
    for r in requests:
        start = max(r.arrived, heapq.heappop(free))
        waits.append(start - r.arrived)
        heapq.heappush(free, start + r.service)
    return waits


def test_erlang_c_formula() -> None:
    # Textbook values: c=2, a=1 erlang (lambda=1, mu=1): P(wait)=1/3, Wq=1/3; M/M/1 at rho 0.5: Wq = 1/mu.
    assert math.isclose(erlang_c_wait(2, 1.0, 1.0), 1 / 3)
    assert math.isclose(erlang_c_wait(1, 0.5, 1.0), 1.0)
    # M/M/1 at rho 0.9: P(wait > t) = 0.9 e^-0.1 t, so the p90 is ln 9 / 0.1.
    assert math.isclose(erlang_c_wait_quantile(1, 0.9, 1.0, 0.9), math.log(9) / 0.1)
    assert erlang_c_wait_quantile(3, 0.5, 1.0, 0.9) == 0.0


@pytest.mark.parametrize("point", POINTS, ids=lambda p: f"c{p.servers}-rho{p.load}")
def test_queue_waits_match_erlang_c_and_first_come_first_served(point: Point) -> None:
    rate = point.load * point.servers / MEAN_SERVICE
    arrivals = random.Random(20240601 + point.servers)
    means, p90s = [], []
    for replication in range(REPLICATIONS):
        sc, times = poisson_scenario(arrivals, point)
        requests = served(sc, times, replication)
        reported = [r.wait for r in requests]
        expected = fifo_waits(requests, point.servers)
        wrong = [
            k
            for k, (a, b) in enumerate(zip(reported, expected, strict=True))
            if not math.isclose(a, b, abs_tol=1e-6)
        ]
        assert not wrong, (
            f"request {wrong[0]}: the engine reports a wait of {reported[wrong[0]]:.3f} s, FIFO gives {expected[wrong[0]]:.3f} s"
        )
        steady = reported[int(WARM_UP * len(reported)) :]
        means.append(statistics.fmean(steady))
        p90s.append(statistics.quantiles(steady, n=10)[-1])
    for name, values, theory in (
        ("mean wait", means, erlang_c_wait(point.servers, rate, MEAN_SERVICE)),
        ("p90 wait", p90s, erlang_c_wait_quantile(point.servers, rate, MEAN_SERVICE, 0.9)),
    ):
        centre = statistics.fmean(values)
        half_width = T_995_DF7 * statistics.stdev(values) / math.sqrt(REPLICATIONS)
        assert abs(centre - theory) <= half_width, (
            f"{point}: {name} simulated {centre:.1f} +/- {half_width:.1f} s, Erlang C {theory:.1f} s"
        )
        # The interval means something: it excludes a queue that never waits.
        assert half_width < 0.75 * theory
