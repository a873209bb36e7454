"""The Exercise Evaluation Guides: drawn from a bundled scenario (protocols, MSEL, the designer's
tasks), with what the journal shows, printed as the HSEEP EEG form in PDF and Word."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from aar.eeg import EVALUATOR_TO_JUDGE, build_eeg, protocol_task
from aar.names import Names
from exercises.record.entries import ObservationRecorded, RatingReconciled
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Rating, Scenario
from hotwash.cli import app
from tests.aar.builders import ROOT, example_scenario, pdf_text, squash
from tests.aar.test_scoring import exercise_journal, report_for

CIVIL = ROOT / "data" / "scenarios" / "civil_disturbance.yaml"
PUBLIC_INFO = "Public Information and Warning"
COMMS = "Operational Communications"


@pytest.fixture(scope="module")
def civil() -> Scenario:
    return load_scenario(CIVIL)


def test_each_target_lists_its_plan_protocols_and_the_designer_task(civil: Scenario) -> None:
    eeg = build_eeg(civil)
    guide = next(g for g in eeg.guides if g.objective == "obj_public_info" and g.capability == PUBLIC_INFO)
    targets = {t.key: t for t in guide.targets}
    names = Names.of(civil)
    rumours = [p for p in civil.protocols if p.plan == "public_information_media" and p.capability == PUBLIC_INFO]
    assert [t.task for t in targets["plan.public_information_media"].tasks] == [protocol_task(p, names) for p in rumours]
    assert [t.critical for t in targets["plan.public_information_media"].tasks] == [p.critical for p in rumours]
    designer = targets["rumour_control"].tasks[0]
    assert designer.task == ("Riverton Police Department: The incident commander briefed the PIO on the rumour "
                             "before the statement went out.")
    assert (designer.kind, designer.shown) == ("evaluator", EVALUATOR_TO_JUDGE)
    # every protocol of the scenario is a critical task of some guide; the MSEL's expected actions too
    listed = {t.task for g in eeg.guides for target in g.targets for t in target.tasks}
    assert {protocol_task(p, names) for p in civil.protocols} <= listed
    assert any("in answer to inject CD-08" in t for t in listed)
    assert not any("_" in t.task for g in eeg.guides for target in g.targets for t in target.tasks)  # names, not ids


def test_what_the_journal_shows_comes_from_the_scoring_rule(tmp_path: Path) -> None:
    scenario = example_scenario(tmp_path)
    journal = exercise_journal()
    observed = journal.add(60, None, ObservationRecorded(
        capability=COMMS, objective="obj_command", target="plan.notification_basics", rating=Rating.M,
        text="The EOC heard of the fire from the news desk.", rationale="Notified 4 minutes late."),
        actor="evaluator (Ana Silva)")
    final = journal.add(61, None, RatingReconciled(capability=COMMS, objective="obj_command", rating=Rating.M,
                                                   reason="Late notification"), actor="evaluator (Lee Park)")
    eeg = build_eeg(scenario, journal.entries)
    assert eeg.played
    comms = next(g for g in eeg.guides if g.capability == COMMS)
    assert comms.final == f"M: Late notification (Lee Park, journal entry {final})"
    [plan] = [t for t in comms.targets if t.key == "plan.notification_basics"]
    assert [(o.seq, o.evaluator, o.rating, o.rationale) for o in plan.observations] == [
        (observed, "Ana Silva", Rating.M, "Notified 4 minutes late.")]
    tasks = {t.task.split(":")[0]: t for g in eeg.guides for target in g.targets for t in target.tasks
             if t.kind == "protocol"}
    notified = tasks["EOC notified"]
    assert notified.shown == "late"
    assert "late by 4 min" in notified.evidence[0] and "journal entries" in notified.evidence[0]
    assert tasks["EOC activated once notified"].shown in {"missed", "not triggered"}
    blank = build_eeg(scenario)
    assert not blank.played and all(t.shown == "" for g in blank.guides for tg in g.targets for t in tg.tasks
                                    if t.kind != "evaluator")


def test_the_eeg_prints_as_the_hseep_form_in_pdf_and_word(tmp_path: Path) -> None:
    runner = CliRunner()
    pdf, word = tmp_path / "eeg.pdf", tmp_path / "eeg.docx"
    for out in (pdf, word):
        result = runner.invoke(app, ["eeg", str(CIVIL), "--capability", PUBLIC_INFO, "--out", str(out)])
        assert result.exit_code == 0, result.output
    text = squash(pdf_text(pdf.read_bytes()))
    for expected in ("Exercise Evaluation Guide", f"EEG 1: {PUBLIC_INFO}", "Capability target 4", "Critical task",
                     "Source", "Observation notes and explanation of rating", "Target rating (P, S, M or U)",
                     "Final core capability rating", "The PIO checked the statement's facts",
                     "Riverton JIC SOP, section 3 (rumour control)"):
        assert squash(expected) in text, expected
    assert "Operational Coordination" not in text  # only the capability asked for
    document = docx.Document(io.BytesIO(word.read_bytes()))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert f"EEG 1: {PUBLIC_INFO}" in headings and "Capability target 4" in headings
    assert any("The incident commander briefed the PIO on the rumour" in c for c in cells)
    assert "Target rating (P, S, M or U)" in cells
    refused = runner.invoke(app, ["eeg", str(CIVIL), "--capability", "Mass Care Services", "--out", str(pdf)])
    assert refused.exit_code == 1 and "not a capability of this scenario" in refused.output


def test_a_target_rating_rates_the_target_not_the_capability(tmp_path: Path) -> None:
    scenario = example_scenario(tmp_path)
    journal = exercise_journal()
    target = journal.add(60, None, ObservationRecorded(
        capability=COMMS, objective="obj_command", target="plan.notification_basics", rating=Rating.P,
        rationale="This target was met."), actor="evaluator (Ana Silva)")
    report = report_for(scenario, journal)
    row = next(r for r in report.table1 if (r.objective, r.capability) == ("obj_command", COMMS))
    assert target not in {e.seq for e in row.evaluator}
    assert row.of_record is Rating.M  # the free observation's rating (entry 16), not the target's P
