"""A planned exercise of the program's schedule opened from the template it names, in one step."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from exercises.program.service import ProgramService
from hotwash.cli import app
from tests.service.conftest import WAREHOUSE


def test_a_planned_exercise_opens_from_its_template_and_is_recorded_as_conducted(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hotwash.db'}"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--database", database])
        assert result.exit_code == 0, result.output
        return result.output

    run("template", "save", "Warehouse TTX", str(WAREHOUSE), "--player", "Town Fire Department",
        "--timezone", "America/New_York")
    run("program", "create", "Riverside 2027-2029", "--from", "2027", "--to", "2029")
    run("program", "plan", "1", "Spring warehouse TTX", "--date", "2027-04-12", "--type", "tabletop",
        "--capability", "Operational Coordination", "--template", "Warehouse TTX@1")
    run("program", "plan", "1", "Autumn seminar", "--date", "2027-10-01", "--type", "seminar",
        "--capability", "Operational Coordination")
    opened = run("program", "open", "1", "--start", "2027-04-12 09:00")
    assert "Player for Town Fire Department" in opened and "Planned exercise 1 is conducted as exercise 1" in opened
    assert ProgramService.open(database).planned(1).exercise_id == 1
    again = runner.invoke(app, ["program", "open", "1", "--database", database])
    assert again.exit_code == 1 and "'Spring warehouse TTX' was already conducted as exercise 1" in again.output
    no_template = runner.invoke(app, ["program", "open", "2", "--database", database])
    assert no_template.exit_code == 1 and "'Autumn seminar' names no template" in no_template.output
