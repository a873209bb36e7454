"""Mergeable tallies: what a batch keeps of its runs, in memory that does not grow with their number.

A batch worker folds its chunk of replications into one small partial result; the parent merges the
partials. For the result to be the same for any number of jobs (any chunking), every tally here
merges exactly, whatever the order:

- counts are integers;
- sums of floats are kept exactly (Shewchuk's non-overlapping partials, the algorithm behind
  ``math.fsum``) and rounded once, when read;
- values whose percentiles are wanted are kept as they are while the whole batch holds at most
  ``EXACT_VALUES`` of them (percentiles then are numpy's, exactly as over a plain list); beyond that
  every series of the batch switches to a histogram of the values' binary exponent and first
  ``HISTOGRAM_BITS`` bits of mantissa (bins 2^-8 wide relative to their value: a percentile read from
  it is within 0.2 % of the exact one). A bin is a function of the value alone, so the histogram, too,
  is the same however the values were split.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable

import numpy as np

EXACT_VALUES = 1 << 20
"""Values kept exactly over a whole batch (8 MiB): about 5,000 runs of the largest bundled scenario."""

HISTOGRAM_BITS = 8
_SHIFT = 52 - HISTOGRAM_BITS
_PENDING = 1 << 14
"""Values held back in histogram mode before they are binned together (numpy is fast in bulk)."""


class ExactSum:
    """A sum of floats kept exactly; ``value`` is it correctly rounded (as ``math.fsum`` would give)."""

    __slots__ = ("partials",)

    def __init__(self) -> None:
        self.partials: list[float] = []

    def add(self, x: float) -> None:
        partials, i = self.partials, 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]

    def merge(self, other: ExactSum) -> None:
        for x in other.partials:
            self.add(x)

    @property
    def value(self) -> float:
        return math.fsum(self.partials)


class Series:
    """Values of one measure over a batch: exact, or binned once the batch holds too many.

    ``total`` is the exact sum of the binned values only; exact and pending ones are summed when read
    or binned, so a batch that stays exact pays one ``array.append`` per value."""

    __slots__ = ("bins", "count", "exact", "pending", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = ExactSum()
        self.exact: array[float] | None = array("d")
        self.bins: dict[int, int] = {}
        self.pending = array("d")

    def extend(self, values: Iterable[float]) -> None:
        held = self.pending if self.exact is None else self.exact
        before = len(held)
        held.extend(values)
        self.count += len(held) - before
        if len(self.pending) >= _PENDING:
            self._flush()

    def merge(self, other: Series) -> None:
        self.count += other.count
        if self.exact is not None and other.exact is not None:
            self.exact.extend(other.exact)
            return
        self.binned()
        self.total.merge(other.total)
        self.pending.extend(other.exact if other.exact is not None else other.pending)
        for key, n in other.bins.items():
            self.bins[key] = self.bins.get(key, 0) + n
        self._flush()

    def binned(self) -> None:
        """Switch to the histogram (for good). The exact values are binned a slice at a time: at the
        switch they fill the budget, and a copy of them all (and numpy's work on it) would double it."""
        if self.exact is not None:
            exact, self.exact = self.exact, None
            for start in range(0, len(exact), _PENDING):
                self.pending.extend(exact[start : start + _PENDING])
                self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        add = self.total.add
        for v in self.pending:
            add(v)
        keys, counts = np.unique(_bin_keys(np.frombuffer(self.pending, dtype=np.float64)), return_counts=True)
        bins = self.bins
        for key, n in zip(keys.tolist(), counts.tolist(), strict=True):
            bins[key] = bins.get(key, 0) + n
        self.pending = array("d")

    def mean(self) -> float:
        if not self.count:
            return 0.0
        if self.exact is not None:
            return math.fsum(self.exact) / self.count
        self._flush()
        return self.total.value / self.count

    def percentile(self, q: float) -> float:
        """numpy's default (linear) percentile over the values, or over their bins' middles."""
        if self.exact is not None:
            return float(np.percentile(np.frombuffer(self.exact, dtype=np.float64), q))
        self._flush()
        keys = sorted(self.bins)
        ends = np.cumsum([self.bins[k] for k in keys])
        h = (self.count - 1) * q / 100
        lo = math.floor(h)
        below = _bin_middle(keys[int(np.searchsorted(ends, lo, side="right"))])
        above = _bin_middle(keys[int(np.searchsorted(ends, min(lo + 1, self.count - 1), side="right"))])
        return below + (above - below) * (h - lo)


def _bin_keys(values: np.ndarray) -> np.ndarray:
    """Each value's bin: its bits with the low mantissa bits dropped (ordered like the values)."""
    magnitude = np.abs(values).view(np.int64) >> _SHIFT
    return np.where(values < 0, -magnitude - 1, magnitude)


def _bin_middle(key: int) -> float:
    if key < 0:
        return -_bin_middle(-key - 1)
    low = np.array([key << _SHIFT, (key + 1) << _SHIFT], dtype=np.int64).view(np.float64)
    return float(low[0] + (low[1] - low[0]) / 2)


def bin_all(series: Iterable[Series]) -> None:
    """Switch every series of a batch to histograms when together they hold too many values."""
    every = list(series)
    if sum(s.count for s in every) > EXACT_VALUES:
        for s in every:
            s.binned()
