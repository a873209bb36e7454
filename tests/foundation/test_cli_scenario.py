"""``hotwash validate`` and ``hotwash scenario show`` as a designer runs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hotwash.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_validate_bundled_data_exits_zero() -> None:
    result = runner.invoke(app, ["validate", str(ROOT / "data")])
    assert result.exit_code == 0, result.output
    assert "files valid" in result.output
    assert result.output.count("ok   scenario") >= 3


def test_validate_broken_file_prints_errors_without_traceback(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs" / "example", tmp_path / "example")
    scenario = tmp_path / "example" / "scenarios" / "warehouse_fire.yaml"
    scenario.write_text(scenario.read_text().replace("lead_agency: fire", "lead_agency: fir"))
    # A real process, as a designer runs it: the exit code and stderr are what they see.
    proc = subprocess.run(
        [sys.executable, "-m", "hotwash", "validate", str(tmp_path / "example")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert f"{scenario}:" in proc.stderr
    assert "lead_agency: unknown agency 'fir' (did you mean 'fire'?)" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "1 of 2 files valid" in proc.stderr


def test_validate_missing_path(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nothing.yaml")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


def test_scenario_show_summarises(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["scenario", "show", str(ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Riverside Warehouse Fire" in out
    assert "Town Fire Department" in out and "3 engine" in out
    assert "WF-02" in out and "if no head_count" in out
    assert "link down fire-operator" in out
    assert "3 agencies, 2 links, 3 injects (1 conditional), 3 protocols from 1 plans" in out


def test_format_doc_embeds_the_real_example_files() -> None:
    """The designer's guide shows the example files verbatim, so it cannot drift from what loads."""
    doc = (ROOT / "docs" / "scenario-format.md").read_text()
    for path in ("docs/example/plans/notification_basics.yaml", "docs/example/scenarios/warehouse_fire.yaml"):
        assert "```yaml\n" + (ROOT / path).read_text() + "```" in doc, path
