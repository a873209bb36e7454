"""One report wherever it is made: the console's report page and ``hotwash report EXERCISE`` give the
same AAR/IP (the baseline saved on the console included), and its summary says how play was run."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aar.model import AfterActionReport
from console.derived import ViewCache
from console.report import current_report
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from hotwash.cli import app
from sim_engine.batch.runs import run_batch
from tests.service.conftest import CHEAP_HASHER, WAREHOUSE, Opened, WallClock

runner = CliRunner()


def played_fast_and_ended_early(database: str) -> Opened:
    """The warehouse fire (planned 2:00:00) run at x60 and ended by the controller at 1:00:00."""
    wall = WallClock()
    svc = ExerciseService.open(database, hasher=CHEAP_HASHER, wall_clock=wall)
    opened = Opened(svc, svc.create_exercise(load_scenario(WAREHOUSE), name="Warehouse TTX", seed=3))
    svc.start(opened.controller, speed=60)
    wall.advance(30)  # 0:30:00 of play
    svc.log_action(opened.player("fire"), "establish_command", text="Command post at the gate")
    wall.advance(30)
    svc.end(opened.controller)
    return opened


def test_the_baseline_saved_on_the_console_is_in_the_command_lines_report(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hotwash.db'}"
    opened = played_fast_and_ended_early(database)
    svc = opened.service
    batch = run_batch(svc.scenario(opened.controller), 4, seed=1, jobs=1)
    svc.save_baseline(opened.controller, batch.model_dump_json())  # what the console's button does
    found = tmp_path / "findings.json"
    result = runner.invoke(app, ["report", str(opened.id), "--out", str(tmp_path / "aar.pdf"), "--json", str(found),
                                 "--database", database])
    assert result.exit_code == 0, result.output
    made_by_command = AfterActionReport.model_validate(json.loads(found.read_text(encoding="utf-8")))
    assert made_by_command.baseline is not None and made_by_command.baseline.runs == 4
    made_on_console = current_report(svc, ViewCache(), opened.controller)
    assert made_on_console == made_by_command


def test_the_summary_says_play_ended_early_and_how_fast_the_clock_ran(tmp_path: Path) -> None:
    opened = played_fast_and_ended_early(f"sqlite:///{tmp_path / 'hotwash.db'}")
    report = current_report(opened.service, ViewCache(), opened.controller)
    assert report.executive_summary is not None
    summary = report.executive_summary.overview
    assert ("Play was ended early, at 1:00 of the planned 2:00 (50%); what the scenario held after that was "
            "not played.") in summary
    assert "The clock ran at 60 times real time (one minute of play stood for 1 h 00 min of the scenario)." in summary
    assert report.overview.conduct in summary
