"""A scenario the engine cannot run fails before the run starts, with one clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import Scenario
from hotwash.cli import app
from sim_engine.batch.runs import run_batch
from sim_engine.checks import EngineError, check_runnable
from sim_engine.live import advance
from tests.engine.helpers import EXAMPLE, agency, inject, link, protocol, scenario


def ping_pong() -> Scenario:
    return scenario(
        [agency("a"), agency("b")],
        links=[link("a", "b", 10)],
        actions=["ping", "pong"],
        protocols=[
            protocol("P-1", "b", "pong", {"kind": "action", "name": "ping", "agencies": ["a"]}),
            protocol("P-2", "a", "ping", {"kind": "action", "name": "pong", "agencies": ["b"]}),
        ],
    )


def test_protocols_that_trigger_each_other_forever_are_refused() -> None:
    with pytest.raises(EngineError, match=r"loop \(.*ping.*pong.*\)"):
        check_runnable(ping_pong())


def test_the_refusal_comes_before_any_run() -> None:
    progress: list[tuple[int, int]] = []
    with pytest.raises(EngineError):
        run_batch(
            ping_pong(), runs=5, seed=1, jobs=1, progress=lambda done, total: progress.append((done, total))
        )
    assert progress == []
    with pytest.raises(EngineError):
        advance(ping_pong(), 1, [], 60.0)


def test_every_problem_is_listed_at_once() -> None:
    sc = scenario([agency("a"), agency("b")], links=[link("a", "b", 10)])
    data: dict[str, Any] = sc.model_dump(by_alias=True)
    data["msel"] = [*data["msel"], inject("BAD", 10, ["ghost"])]
    data["links"] = [{**data["links"][0], "latency": float("nan")}]
    data["simulation"]["raises"] = {"fire_exploded": []}
    with pytest.raises(EngineError) as caught:
        check_runnable(Scenario.model_validate(data))
    text = str(caught.value)
    assert text.startswith("the simulation cannot run this scenario:")
    assert "inject BAD: unknown recipient 'ghost'" in text
    assert "link a-b latency: times and durations must be finite numbers" in text
    assert "'fire_exploded' is not a development of the 'fire' model" in text
    assert len(caught.value.problems) == 3


def test_batch_arguments_are_checked() -> None:
    with pytest.raises(EngineError, match="runs must be at least 1"):
        run_batch(load_scenario(EXAMPLE), runs=0, seed=1, jobs=1)


def test_the_loader_names_a_development_raise_with_its_line(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "    evacuate_action: evacuate_staff\n",
        "    evacuate_action: evacuate_staff\n  raises: {fire_spreading: [incident_reported], fire_spread: [nope]}\n",
    )
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "notification_basics.yaml").write_text(
        (EXAMPLE.parents[1] / "plans" / "notification_basics.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    path = scenarios / "warehouse_fire.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    messages = [str(p) for p in caught.value.problems]
    assert any(
        "simulation.raises.fire_spreading" in m and "not a development of the 'fire' model" in m
        for m in messages
    )
    assert any(
        "simulation.raises.fire_spread[0]" in m and "event 'nope' is not declared" in m for m in messages
    )


def test_the_command_line_reports_an_unrunnable_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert "cannot read" in result.output
