"""Agreement between evaluators, against values worked by hand (and one published table)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aar.agreement import cohen_kappa, fleiss_kappa, kappa_words, pair_agreement, percent_agreement


def test_cohen_kappa_of_two_evaluators_worked_by_hand() -> None:
    # Ten capabilities. Ana: P P S S S M M U U S; Ben: P S S S M M U U S S.
    # Agree on 6 of 10: p_o = 6/10. Ana's shares P 2, S 4, M 2, U 2; Ben's P 1, S 5, M 2, U 2 (tenths).
    # p_e = (2*1 + 4*5 + 2*2 + 2*2) / 100 = 30/100. kappa = (60 - 30) / (100 - 30) = 3/7.
    ana = list("PPSSSMMUUS")
    ben = list("PSSSMMUUSS")
    assert cohen_kappa(ana, ben) == Fraction(3, 7)
    assert percent_agreement([list(pair) for pair in zip(ana, ben, strict=True)]) == Fraction(6, 10)


def test_two_evaluators_who_disagree_on_the_one_capability() -> None:
    # One capability, rated S and U: observed 0, chance 0, kappa 0; pairs agreeing 0 of 1.
    assert cohen_kappa(["S"], ["U"]) == 0
    assert pair_agreement(["S", "U"]) == 0


def test_kappa_is_undefined_when_every_rating_is_the_same() -> None:
    assert cohen_kappa(["P", "P"], ["P", "P"]) is None
    assert fleiss_kappa([["S", "S", "S"], ["S", "S", "S"]]) is None


def test_fleiss_kappa_of_fleiss_1971_worked_example_subset() -> None:
    # Three raters, four items, categories A/B. Counts per item (A, B): (3,0) (0,3) (2,1) (1,2).
    # P_i: 1, 1, 1/3, 1/3 -> mean 2/3. p_A = p_B = 6/12 -> P_e = 1/2. kappa = (2/3 - 1/2)/(1/2) = 1/3.
    items = [["A", "A", "A"], ["B", "B", "B"], ["A", "A", "B"], ["A", "B", "B"]]
    assert fleiss_kappa(items) == Fraction(1, 3)


def test_fleiss_kappa_of_wikipedia_table() -> None:
    # The 14 raters x 10 subjects x 5 categories example (Fleiss 1971 as in Wikipedia): kappa 0.210.
    counts = [
        (0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
        (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7),
    ]
    items = [[k for k, n in enumerate(row) for _ in range(n)] for row in counts]
    kappa = fleiss_kappa(items)
    assert kappa is not None and round(float(kappa), 3) == 0.210


@given(st.lists(st.tuples(st.sampled_from("PSMU"), st.sampled_from("PSMU")), min_size=1, max_size=30))
def test_fleiss_of_two_raters_is_scotts_pi_and_never_above_one(pairs: list[tuple[str, str]]) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    kappa = cohen_kappa(a, b)
    assert kappa is None or kappa <= 1
    if a == b and kappa is not None:
        assert kappa == 1


def test_fleiss_refuses_items_rated_by_different_numbers_of_raters() -> None:
    with pytest.raises(ValueError):
        fleiss_kappa([["P", "S"], ["P", "S", "S"]])


def test_landis_and_koch_words() -> None:
    assert kappa_words(0.30) == "fair"
    assert kappa_words(-0.1) == "poor (worse than chance)"
    assert kappa_words(0.9) == "almost perfect"
