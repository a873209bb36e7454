"""``hotwash report`` from a real SQLite exercise and from a JSON Lines journal file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdf
import pytest
from typer.testing import CliRunner

from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from hotwash.cli import app
from tests.aar.builders import EXAMPLE, example_scenario, squash
from tests.aar.test_scoring import exercise_journal

runner = CliRunner()


def test_report_from_a_journal_file(tmp_path: Path) -> None:
    scenario = example_scenario(tmp_path)
    journal = tmp_path / "journal.jsonl"
    journal.write_text("".join(e.model_dump_json() + "\n" for e in exercise_journal().entries), encoding="utf-8")
    out, findings = tmp_path / "aar.pdf", tmp_path / "findings.json"
    scenario_file = tmp_path / "example" / "scenarios" / "warehouse_fire.yaml"
    result = runner.invoke(
        app,
        ["report", "--scenario", str(scenario_file), "--journal", str(journal), "--out", str(out),
         "--json", str(findings), "--dates", "2025-05-14", "--marking", "For Official Use Only"],
    )
    assert result.exit_code == 0, result.output
    assert "5 findings, 1 of 4 scored instances met" in result.output
    data = json.loads(findings.read_text(encoding="utf-8"))
    late = next(f for f in data["findings"] if f["protocol_id"] == "NOT-01")
    assert late["status"] == "late" and late["late_by_s"] == 240
    assert data["integrity"]["intact"] is False  # a plain entry file has no hashes to check
    assert any("could not be verified" in n for n in data["notes"])
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "For Official Use Only" in text and scenario.name in text


def test_the_word_copy_drawn_beside_the_pdf_is_written_or_refused_in_words(tmp_path: Path) -> None:
    """The Word copy is drawn in a second process while the PDF is drawn (on two cores): what it
    wrote reaches the user's terminal, and a copy it cannot write is refused in words."""
    import docx

    example_scenario(tmp_path)
    journal = tmp_path / "journal.jsonl"
    journal.write_text("".join(e.model_dump_json() + "\n" for e in exercise_journal().entries), encoding="utf-8")
    source = ["report", "--scenario", str(tmp_path / "example" / "scenarios" / "warehouse_fire.yaml"),
              "--journal", str(journal), "--out", str(tmp_path / "aar.pdf")]
    result = runner.invoke(app, [*source, "--docx", str(tmp_path / "aar.docx")])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'aar.docx'}" in result.output
    assert "Executive Summary" in [p.text for p in docx.Document(str(tmp_path / "aar.docx")).paragraphs]
    nowhere = tmp_path / "no such folder" / "aar.docx"
    refused = runner.invoke(app, [*source, "--docx", str(nowhere)])
    assert refused.exit_code == 1
    assert f"{nowhere}: cannot write: No such file or directory" in refused.output
    assert "Traceback" not in refused.output


def test_report_rejects_a_bad_journal_line(tmp_path: Path) -> None:
    example_scenario(tmp_path)
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"seq": 1, "at": 0, "actor": "x", "payload": {"kind": "nonsense"}}\n', encoding="utf-8")
    result = runner.invoke(
        app,
        ["report", "--scenario", str(tmp_path / "example" / "scenarios" / "warehouse_fire.yaml"),
         "--journal", str(journal), "--out", str(tmp_path / "x.pdf")],
    )
    assert result.exit_code == 1
    assert "line 1: not a journal entry" in result.output
    assert not (tmp_path / "x.pdf").exists()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hotwash.db'}"


def test_report_from_the_database_verifies_the_chain(tmp_path: Path, database: str) -> None:
    service = ExerciseService.open(database)
    scenario_file = EXAMPLE / "scenarios" / "warehouse_fire.yaml"
    log = "time,agency,action\n00:04,fire,establish_command\n00:19,fire,notify_eoc\n"
    created = service.import_exercise(
        load_scenario(scenario_file),
        log,
        name="Imported TTX",
    )
    exercise = created.exercise.id
    out, findings = tmp_path / "aar.pdf", tmp_path / "findings.json"
    result = runner.invoke(
        app, ["report", str(exercise), "--out", str(out), "--json", str(findings), "--database", database]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(findings.read_text(encoding="utf-8"))
    verified = service.verify(service.operator(exercise))
    integrity = data["integrity"]
    assert {k: integrity[k] for k in ("entries", "intact", "head_hash", "first_broken_seq")} == {
        "entries": verified.entries,
        "intact": True,
        "head_hash": verified.head_hash,
        "first_broken_seq": None,
    }
    # Signed at import: the report names the key, so a reader can check it against the published one.
    assert integrity["signature"] == "signed" and integrity["signed_through_seq"] == verified.entries
    assert integrity["public_key"] == service.public_key().hex
    assert integrity["key_fingerprint"] == service.public_key().key_id
    assert any("exactly as signed" in s for s in integrity["proven"])
    assert data["exercise_name"] == "Imported TTX"
    status = {f["protocol_id"]: f["status"] for f in data["findings"]}
    assert status == {"IC-01": "met", "NOT-01": "late", "EOC-01": "missed"}
    export = tmp_path / "journal.jsonl"
    export.write_text(service.export(service.operator(exercise), "jsonl"), encoding="utf-8")
    # The exported journal scores the same, and its hashes check out within the file.
    again = runner.invoke(
        app,
        ["report", "--scenario", str(scenario_file), "--journal", str(export), "--out", str(tmp_path / "b.pdf"),
         "--json", str(tmp_path / "b.json")],
    )
    assert again.exit_code == 0, again.output
    other = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert other["findings"] == data["findings"]
    assert other["integrity"]["intact"] is True and other["integrity"]["head_hash"] == verified.head_hash
    assert other["integrity"]["signature"] == "signed" and not other["integrity"]["not_proven"]


def test_report_needs_a_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert "give an EXERCISE id" in result.output


def test_report_writes_word_and_runs_the_baseline(tmp_path: Path, database: str) -> None:
    """``--docx`` writes the Word copy; ``--baseline-runs N`` simulates the scenario N times and
    puts the baseline in the report; ``exercise create --start --timezone`` gives the clock."""
    import docx

    scenario_file = EXAMPLE / "scenarios" / "warehouse_fire.yaml"
    created = runner.invoke(app, ["exercise", "create", str(scenario_file), "--name", "Clocked TTX",
                                  "--start", "2025-05-14 09:30", "--timezone", "America/New_York",
                                  "--database", database])
    assert created.exit_code == 0, created.output
    bad = runner.invoke(app, ["exercise", "create", str(scenario_file), "--start", "2025-05-14 09:30",
                              "--timezone", "Mars/Olympus", "--database", database])
    assert bad.exit_code == 1 and "not an IANA time zone" in bad.output
    service = ExerciseService.open(database)
    exercise = service.list_exercises()[0].id
    service.start(service.operator(exercise))
    out, word, findings = tmp_path / "aar.pdf", tmp_path / "aar.docx", tmp_path / "f.json"
    result = runner.invoke(app, ["report", str(exercise), "--out", str(out), "--docx", str(word), "--json",
                                 str(findings), "--baseline-runs", "8", "--jobs", "1", "--database", database])
    assert result.exit_code == 0, result.output
    data = json.loads(findings.read_text(encoding="utf-8"))
    assert data["baseline"]["runs"] == 8
    assert data["real_time"]["timezone"] == "America/New_York"
    document = docx.Document(str(word))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert "Simulated Baseline" in headings and "Executive Summary" in headings
    text = "\n".join(p.text for p in document.paragraphs)
    assert "8 simulated runs" in text
    assert "America/New_York" in "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)


def test_a_journal_file_of_a_real_incident_with_its_clock(tmp_path: Path) -> None:
    scenario = example_scenario(tmp_path)
    journal = tmp_path / "journal.jsonl"
    journal.write_text("".join(e.model_dump_json() + "\n" for e in exercise_journal().entries), encoding="utf-8")
    findings = tmp_path / "f.json"
    result = runner.invoke(app, [
        "report", "--scenario", str(tmp_path / "example" / "scenarios" / "warehouse_fire.yaml"), "--journal",
        str(journal), "--out", str(tmp_path / "a.pdf"), "--json", str(findings), "--real-incident",
        "--start", "2025-05-14 22:15", "--timezone", "Europe/London",
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(findings.read_text(encoding="utf-8"))
    assert data["record_kind"] == "real_incident" and data["real_time"]["timezone"] == "Europe/London"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO((tmp_path / "a.pdf").read_bytes())).pages)
    assert "Incident Overview" in text, text[:2000]
    assert squash("due by 22:30 BST (+0:15)") in squash(text)  # 0:15 after 22:15 British Summer Time
    assert "14 May 2025" in text
    assert scenario.name in text
    bad = runner.invoke(app, ["report", "3", "--start", "2025-05-14 22:15", "--timezone", "Europe/London"])
    assert bad.exit_code == 1 and "go with --journal" in bad.output
