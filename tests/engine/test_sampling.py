"""Draws from the scenario's distributions: the lognormal a planner states as a median and a p90."""

from __future__ import annotations

import random
import statistics

import pytest

from exercises.scenario.model import Lognormal
from sim_engine.sampling import Sampler


class Fed(random.Random):
    """A generator whose uniform numbers are given."""

    def __init__(self, uniforms: list[float]) -> None:
        super().__init__(0)
        self.uniforms = uniforms

    def random(self) -> float:
        return self.uniforms.pop(0)


def lognormal(median: float, p90: float) -> Lognormal:
    return Lognormal(dist="lognormal", median=median, p90=p90)


def test_the_median_and_p90_are_where_the_planner_put_them() -> None:
    draw = Sampler(Fed([0.5, 0.9, 0.1])).compile(lognormal(120.0, 360.0))
    assert draw() == pytest.approx(120.0, rel=1e-12)
    assert draw() == pytest.approx(360.0, rel=1e-12)
    assert draw() == pytest.approx(120.0 * 120.0 / 360.0, rel=1e-12)  # p10, mirror of p90 on a log scale


def test_a_uniform_number_of_zero_is_drawn_again() -> None:
    fed = Fed([0.0, 0.0, 0.5])
    assert Sampler(fed).compile(lognormal(60.0, 180.0))() == pytest.approx(60.0)
    assert fed.uniforms == []


@pytest.mark.parametrize(("median", "p90"), [(8.0, 15.0), (90.0, 240.0), (600.0, 1800.0)])
def test_many_draws_have_the_stated_median_and_p90(median: float, p90: float) -> None:
    draw = Sampler(random.Random(7)).compile(lognormal(median, p90))
    draws = sorted(draw() for _ in range(40_000))
    assert min(draws) > 0
    assert statistics.median(draws) == pytest.approx(median, rel=0.03)
    assert draws[int(0.9 * len(draws))] == pytest.approx(p90, rel=0.03)
