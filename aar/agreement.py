"""How far evaluators agree: percent agreement, Cohen's kappa (two evaluators) and Fleiss' kappa
(three or more), computed exactly in fractions.

Kappa is agreement beyond what chance would give with the raters' own habits: 1 is full
agreement, 0 no better than chance, below 0 worse. It is undefined (None) when chance alone
predicts full agreement (every rating in one category), since there is nothing beyond chance
left to measure. Landis and Koch's words for its ranges are the ones in common use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from fractions import Fraction


def pair_agreement(ratings: Sequence[Hashable]) -> Fraction | None:
    """The share of pairs of raters of one item who gave the same rating (None: fewer than two)."""
    n = len(ratings)
    if n < 2:
        return None
    same = sum(c * (c - 1) for c in Counter(ratings).values())
    return Fraction(same, n * (n - 1))


def percent_agreement(items: Sequence[Sequence[Hashable]]) -> Fraction | None:
    """Mean pair agreement over the items with two or more ratings."""
    shares = [s for s in (pair_agreement(r) for r in items) if s is not None]
    return sum(shares, Fraction(0)) / len(shares) if shares else None


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> Fraction | None:
    """Cohen's kappa of two raters' ratings of the same items, in the same order."""
    if len(first) != len(second):
        raise ValueError("both raters must rate the same items")
    n = len(first)
    if n == 0:
        return None
    observed = Fraction(sum(a == b for a, b in zip(first, second, strict=True)), n)
    a, b = Counter(first), Counter(second)
    chance = sum((Fraction(a[k], n) * Fraction(b[k], n) for k in a), Fraction(0))
    return None if chance == 1 else (observed - chance) / (1 - chance)


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> Fraction | None:
    """Fleiss' kappa of items each rated by the same number (two or more) of raters."""
    if not items:
        return None
    n = len(items[0])
    if n < 2 or any(len(r) != n for r in items):
        raise ValueError("Fleiss' kappa needs every item rated by the same number (two or more) of raters")
    total = Counter(k for r in items for k in r)
    count = len(items) * n
    chance = sum((Fraction(c, count) ** 2 for c in total.values()), Fraction(0))
    observed = sum((pair_agreement(r) or Fraction(0) for r in items), Fraction(0)) / len(items)
    return None if chance == 1 else (observed - chance) / (1 - chance)


def kappa_words(kappa: float) -> str:
    """Landis and Koch's (1977) words for a kappa."""
    if kappa < 0:
        return "poor (worse than chance)"
    for bound, words in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if kappa <= bound:
            return words
    return "almost perfect"
