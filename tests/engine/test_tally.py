"""Batch tallies merge exactly: any chunking of the runs gives the same result, in bounded memory."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.scenario.loading import load_scenario
from sim_engine.batch import tally as tally_module
from sim_engine.batch.runs import chunks, fold
from sim_engine.batch.stats import BatchTally, aggregate
from sim_engine.batch.tally import ExactSum, Series
from tests.engine.helpers import EXAMPLE

SCENARIO = load_scenario(EXAMPLE)
values = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200)


def split(xs: list[float], cuts: list[int]) -> list[list[float]]:
    points = sorted({c % (len(xs) + 1) for c in cuts})
    edges = [0, *points, len(xs)]
    return [xs[a:b] for a, b in itertools.pairwise(edges)]


@given(values, st.lists(st.integers(min_value=0), max_size=6))
def test_exact_sums_merge_to_the_correctly_rounded_sum(xs: list[float], cuts: list[int]) -> None:
    total = ExactSum()
    for part in split(xs, cuts):
        piece = ExactSum()
        for x in part:
            piece.add(x)
        total.merge(piece)
    assert total.value == math.fsum(xs)


@given(values, st.lists(st.integers(min_value=0), max_size=6), st.booleans())
@settings(max_examples=60)
def test_series_give_the_same_figures_however_the_values_are_split(
    xs: list[float], cuts: list[int], binned: bool
) -> None:
    whole = Series()
    whole.extend(xs)
    merged = Series()
    for part in split(xs, cuts):
        piece = Series()
        piece.extend(part)
        if binned:
            piece.binned()
        merged.merge(piece)
    if binned:
        whole.binned()
    for q in (50, 90):
        assert merged.percentile(q) == whole.percentile(q)
    assert merged.mean() == whole.mean() == math.fsum(xs) / len(xs)
    if not binned:
        assert whole.percentile(90) == float(np.percentile(xs, 90))


def test_binned_percentiles_are_within_a_fifth_of_a_percent() -> None:
    rng = np.random.default_rng(3)
    xs = rng.lognormal(5, 1, 50_000).tolist()
    series = Series()
    series.extend(xs)
    series.binned()
    for q in (10, 50, 90, 99):
        exact = float(np.percentile(xs, q))
        assert abs(series.percentile(q) - exact) <= 0.002 * exact


@pytest.mark.parametrize("budget", [tally_module.EXACT_VALUES, 50])
def test_a_batch_is_the_same_whatever_its_chunks(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    """Folded in one piece, or in the chunks two or three workers would get, merged in any order:
    the same JSON, exact or (with a tiny budget of exact values) binned."""
    monkeypatch.setattr(tally_module, "EXACT_VALUES", budget)
    runs, seed = 23, 4
    results = set()
    for jobs in (1, 2, 3):
        parts = [fold(SCENARIO, seed, c) for c in chunks(runs, jobs)]
        total = BatchTally(SCENARIO)
        for part in reversed(parts):
            total.merge(part)
        results.add(aggregate(SCENARIO, total, seed, SCENARIO.duration).model_dump_json())
    assert len(results) == 1
