"""Property tests: whatever a designer (or an attacker) writes, the loader raises only its own error."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.scenario.loading import LoadedPlan, ScenarioError, load_plans, load_scenario
from exercises.scenario.model import Scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"
PLANS: dict[str, LoadedPlan] = load_plans(ROOT / "docs" / "example" / "plans")
SOURCE = EXAMPLE.read_text()
BASE: dict[str, Any] = yaml.safe_load(SOURCE)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["fire", "eoc", "5m", "00:05", "-1m", "1h30m", "", "lognormal", "P", "radio"]),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


ALL_PATHS = [p for p in _paths(BASE) if p]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            op = draw(st.sampled_from(["replace", "delete", "add_key"]))
            if op == "replace":
                parent[last] = draw(junk)
            elif op == "delete":
                del parent[last]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=10))] = draw(junk)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scenarios_raise_only_scenario_error(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        sc = load_scenario(EXAMPLE, PLANS, text=text)
    except ScenarioError as exc:
        assert exc.problems, "an error always says what is wrong"
        for problem in exc.problems:
            assert problem.file == str(EXAMPLE)
            assert problem.message
    else:
        assert isinstance(sc, Scenario)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=0, max_value=len(SOURCE)),
    st.integers(min_value=0, max_value=40),
    st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#%@`\n\t ,?abc019")), max_size=12),
)
def test_corrupted_text_raises_only_scenario_error(at: int, cut: int, insert: str) -> None:
    text = SOURCE[:at] + insert + SOURCE[at + cut :]
    try:
        load_scenario(EXAMPLE, PLANS, text=text)
    except ScenarioError as exc:
        assert exc.problems
