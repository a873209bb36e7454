"""Seeds and draws: one seeded generator per run, and the scenario's delay distributions.

A run draws every random number from one ``random.Random``, seeded once. Batch replication ``i`` is
seeded from ``numpy.random.SeedSequence(seed).spawn(runs)[i]`` (the same as
``SeedSequence(seed, spawn_key=(i,))``), so a replication's numbers depend on ``(seed, i)`` only,
never on how many worker processes run the batch. ``random.Random`` rather than a numpy Generator:
the model draws scalars one at a time, and the standard library's are several times faster per call.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from functools import partial
from statistics import NormalDist
from typing import TypeVar

import numpy as np

from exercises.scenario.model import Distribution, Exponential, Fixed, Lognormal, Triangular, Uniform

Draw = Callable[[], float]
"""One draw from a distribution."""

Z90 = NormalDist().inv_cdf(0.9)
"""The standard normal's 90th percentile: a lognormal's sigma is ln(p90 / median) / Z90."""


def generator(seed: np.random.SeedSequence) -> random.Random:
    """The one generator of a run, seeded from 128 bits of the seed sequence."""
    return random.Random(int.from_bytes(seed.generate_state(4, np.uint32).tobytes(), "little"))


def live_generator(seed: int) -> random.Random:
    """The generator of a live exercise run with the exercise's seed."""
    return generator(np.random.SeedSequence(seed))


def replication_generator(seed: int, index: int) -> random.Random:
    """The generator of batch replication ``index``: ``SeedSequence(seed).spawn(...)[index]``."""
    return generator(np.random.SeedSequence(seed, spawn_key=(index,)))


K = TypeVar("K")


class Sampler:
    """Draws delays and durations from scenario distributions with one generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._draws: dict[int, tuple[Distribution, Draw]] = {}

    def compile(self, dist: Distribution) -> Draw:
        """A function that draws from ``dist`` with the run's generator (built once per distribution)."""
        # Distributions are immutable parts of the scenario: the cache holds each one with its draw.
        cached = self._draws.get(id(dist))
        if cached is None or cached[0] is not dist:
            cached = (dist, _maker(dist)(self.rng))
            self._draws[id(dist)] = cached
        return cached[1]

    def draw(self, dist: Distribution) -> float:
        return self.compile(dist)()

    def chance(self, probability: float) -> bool:
        """True with the given probability (one draw, even when the answer is certain)."""
        return self.rng.random() < probability


class Draws(dict[K, Draw]):
    """Draw functions by key (an agency, an action), each made from its distribution the first time it
    is asked for: a run draws from few of the scenario's distributions, and making one costs more than
    many draws."""

    def __init__(self, sampler: Sampler, distributions: Mapping[K, Distribution]) -> None:
        super().__init__()
        self._sampler, self._distributions = sampler, distributions

    def __missing__(self, key: K) -> Draw:
        draw = self[key] = self._sampler.compile(self._distributions[key])
        return draw


Maker = Callable[[random.Random], Draw]
"""Makes a distribution's draw function for a run's generator."""

_MAKERS_LIMIT = 4096
_makers: dict[int, tuple[Distribution, Maker]] = {}


def _maker(dist: Distribution) -> Maker:
    """What a distribution's draws need, worked out once for every run (distributions are immutable
    parts of a scenario; each is kept with its maker, so its id is not reused while cached)."""
    found = _makers.get(id(dist))
    if found is None or found[0] is not dist:
        if len(_makers) >= _MAKERS_LIMIT:
            _makers.clear()
        found = _makers[id(dist)] = (dist, _make(dist))
    return found[1]


def _make(dist: Distribution) -> Maker:
    # partial rather than lambda: a draw is then one call into the generator, with no frame of ours.
    if isinstance(dist, Fixed) or (isinstance(dist, Triangular) and dist.high == dist.low):
        # (random.triangular divides by high - low)
        value = float(dist.value if isinstance(dist, Fixed) else dist.low)
        return lambda rng: lambda: value
    if isinstance(dist, Exponential):
        rate = 1.0 / dist.mean
        return lambda rng: partial(rng.expovariate, rate)
    if isinstance(dist, Uniform):
        low, high = dist.low, dist.high
        return lambda rng: partial(rng.uniform, low, high)
    if isinstance(dist, Triangular):
        low, mode, high = dist.low, dist.mode, dist.high
        return lambda rng: partial(rng.triangular, low, high, mode)
    if isinstance(dist, Lognormal):
        # Drawn by inverting the normal distribution function at one uniform number: a third of the
        # cost of random.lognormvariate, whose rejection method takes two or more.
        quantile = NormalDist(math.log(dist.median), math.log(dist.p90 / dist.median) / Z90).inv_cdf
        return lambda rng: _lognormal(rng.random, quantile)
    raise TypeError(f"unknown distribution {dist!r}")


def _lognormal(uniform: Callable[[], float], quantile: Callable[[float], float]) -> Draw:
    exp = math.exp

    def draw() -> float:
        u = uniform()
        while u == 0.0:  # the quantile is defined on (0, 1); random() may return 0.0
            u = uniform()
        return exp(quantile(u))

    return draw


def parameters(dist: Distribution) -> tuple[float, ...]:
    """The numbers that define a distribution (for checks that they are finite)."""
    if isinstance(dist, Fixed):
        return (dist.value,)
    if isinstance(dist, Exponential):
        return (dist.mean,)
    if isinstance(dist, Uniform):
        return (dist.low, dist.high)
    if isinstance(dist, Triangular):
        return (dist.low, dist.mode, dist.high)
    return (dist.median, dist.p90)
