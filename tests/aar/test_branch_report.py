"""The report of a branched exercise says where it came from and sets its findings from the branch
point on beside its parent's, in the PDF and the Word copy (both read back)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pypdf
from typer.testing import CliRunner

from aar.document import BRANCH_TITLE
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from hotwash.cli import app
from tests.service.conftest import CHEAP_HASHER, WAREHOUSE, Opened, WallClock
from tests.service.test_branching import BRANCH_AT, play_parent

runner = CliRunner()


def branched(database: str) -> tuple[int, int]:
    """The warehouse fire played to its end (EOC told late), and a branch from 0:10 where the EOC
    is told at once; returns (parent, branch)."""
    wall = WallClock()
    svc = ExerciseService.open(database, hasher=CHEAP_HASHER, wall_clock=wall)
    parent = Opened(svc, svc.create_exercise(load_scenario(WAREHOUSE), name="Warehouse TTX", seed=11))
    play_parent(parent, wall)
    child = Opened(svc, svc.branch(parent.controller, at=BRANCH_AT, name="Warehouse TTX, EOC told at once"))
    svc.resume(child.controller)
    wall.advance(12)
    svc.log_action(child.player("fire"), "notify_eoc", text="EOC told at once")
    wall.advance(100)
    svc.end(child.controller)
    return parent.id, child.id


def test_the_branch_report_compares_with_the_parent_in_pdf_and_word(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hotwash.db'}"
    parent, child = branched(database)
    out, word, found = tmp_path / "aar.pdf", tmp_path / "aar.docx", tmp_path / "findings.json"
    result = runner.invoke(app, ["report", str(child), "--out", str(out), "--docx", str(word), "--json", str(found),
                                 "--database", database])
    assert result.exit_code == 0, result.output

    origin = json.loads(found.read_text())["branch"]
    assert origin["parent_id"] == parent and origin["parent_name"] == "Warehouse TTX"
    notified = [r for r in origin["rows"] if r["protocol_id"] == "NOT-01"]
    assert [(r["here"]["status"], r["there"]["status"]) for r in notified] == [("met", "late")]
    assert notified[0]["here"]["response_s"] < notified[0]["there"]["response_s"]
    # Command was established before the branch point: settled, the same in both, not compared.
    assert not [r for r in origin["rows"] if r["protocol_id"] == "IC-01"]

    pdf = " ".join((p.extract_text() or "") for p in pypdf.PdfReader(io.BytesIO(out.read_bytes())).pages)
    pdf = " ".join(pdf.split())
    assert BRANCH_TITLE in pdf and "Warehouse TTX" in pdf
    assert "Met here but late, missed or not done there: 1." in pdf
    document = docx.Document(str(word))
    paragraphs = [p.text for p in document.paragraphs]
    assert BRANCH_TITLE in paragraphs
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    row = next(r for r in cells if r[0] == "EOC notified")
    assert row[1] == "Town Fire Department" and row[2] == "met" and row[4] == "late" and row[6] == "differs"


def test_a_report_that_is_not_of_a_branch_has_no_comparison(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hotwash.db'}"
    parent, _ = branched(database)
    found = tmp_path / "findings.json"
    result = runner.invoke(app, ["report", str(parent), "--out", str(tmp_path / "aar.pdf"), "--json", str(found),
                                 "--database", database])
    assert result.exit_code == 0, result.output
    assert json.loads(found.read_text())["branch"] is None
