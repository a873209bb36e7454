"""What the engine derives from a scenario once, and reuses for every run of it.

Scenarios are immutable, so anything computed from one alone (its graph, its playbook) holds for as
long as the scenario does. They are told apart by identity, not by equality (hashing a whole scenario
costs more than most of what is derived from it); each is kept referenced while its result is cached,
so its id cannot be reused by another.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from exercises.scenario.model import Scenario

T = TypeVar("T")

LIMIT = 16
"""Scenarios remembered per function (a server runs a few at a time)."""


def per_scenario(derive: Callable[[Scenario], T]) -> Callable[[Scenario], T]:
    """``derive``, computed once per scenario object (the most recent ``LIMIT`` of them)."""
    results: OrderedDict[int, tuple[Scenario, T]] = OrderedDict()
    lock = threading.Lock()

    @wraps(derive)
    def cached(scenario: Scenario) -> T:
        with lock:
            found = results.get(id(scenario))
            if found is not None and found[0] is scenario:
                results.move_to_end(id(scenario))
                return found[1]
        value = derive(scenario)
        with lock:
            results[id(scenario)] = (scenario, value)
            while len(results) > LIMIT:
                results.popitem(last=False)
        return value

    return cached
