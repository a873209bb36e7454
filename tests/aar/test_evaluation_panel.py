"""The evaluation team in the AAR/IP: each evaluator's rating, their agreement, the lead
evaluator's reconciled rating as the rating of record; read back from the PDF and the Word copy."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pypdf
import pytest

from aar.document import EVALUATION_TITLE, FEEDBACK_TITLE, HOT_WASH_TITLE
from aar.evaluation_panel import rater_flags
from aar.model import AfterActionReport, PanelRating, RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from exercises.record.entries import (
    CapabilityRated,
    ClockEnded,
    ClockStarted,
    EvaluatorAssigned,
    FeedbackSubmitted,
    HotWashPoint,
    ObservationRecorded,
    RatingReconciled,
)
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Rating, Scenario
from tests.aar.builders import Journal, squash

ROOT = Path(__file__).resolve().parents[2]
COORDINATION = "Operational Coordination"
COMMUNICATIONS = "Operational Communications"


@pytest.fixture(scope="module")
def warehouse() -> Scenario:
    return load_scenario(ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml")


def journal_of_two_evaluators(reconcile: bool) -> Journal:
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller")
    j.add(0, None, EvaluatorAssigned(evaluator="Lee Park", lead=True), actor="controller")
    j.add(1, None, EvaluatorAssigned(evaluator="Ana Silva", capability=COORDINATION, agency="fire"),
          actor="controller")
    # Two capabilities: they agree on communications (S), differ on coordination (S vs U).
    j.add(20, None, CapabilityRated(capability=COORDINATION, rating=Rating.S, reason="EOC heard late"),
          actor="evaluator (Ana Silva)")
    j.add(21, None, CapabilityRated(capability=COORDINATION, rating=Rating.U, reason="No unified command"),
          actor="evaluator (Ben Okafor)")
    j.add(22, None, CapabilityRated(capability=COMMUNICATIONS, rating=Rating.S, reason="Repeater lost"),
          actor="evaluator (Ana Silva)")
    j.add(23, None, CapabilityRated(capability=COMMUNICATIONS, rating=Rating.S, reason="Radio fallback slow"),
          actor="evaluator (Ben Okafor)")
    j.add(40, None, ClockEnded(), actor="controller")
    if reconcile:
        j.add(45, None, RatingReconciled(capability=COORDINATION, rating=Rating.M, ratings=(4, 5),
                                         reason="Command stood up; the operator never joined it.",
                                         after_end=True), actor="evaluator (Lee Park)")
    return j


def report_of(scenario: Scenario, j: Journal) -> AfterActionReport:
    return build_report(scenario, j.entries, exercise_name="Two evaluators", exercise_dates=(date(2025, 5, 1),) * 2,
                        integrity=RecordIntegrity(entries=len(j.entries), intact=True, head_hash=None))


def both_texts(report: AfterActionReport) -> tuple[str, str]:
    pdf = pypdf.PdfReader(io.BytesIO(render_pdf(report)))
    pdf_text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    document = docx.Document(io.BytesIO(render_docx(report)))
    word_text = "\n".join([p.text for p in document.paragraphs]
                          + [c.text for t in document.tables for r in t.rows for c in r.cells])
    return pdf_text, word_text


def test_the_reconciled_rating_is_the_rating_of_record_with_the_agreement(warehouse: Scenario) -> None:
    report = report_of(warehouse, journal_of_two_evaluators(reconcile=True))
    panel = report.evaluation
    assert panel is not None and panel.lead == "Lee Park"
    assert panel.evaluators == ("Ana Silva", "Ben Okafor")
    coordination = next(c for c in panel.capabilities if c.capability == COORDINATION)
    assert coordination.final is Rating.M and coordination.agreement == 0.0
    assert coordination.reconciled is not None and coordination.reconciled.weighed == (4, 5)
    # Agreed on 1 of 2: p_o = 1/2; Ana S,S and Ben U,S: p_e = (2/2 * 1/2) = 1/2 for S -> kappa 0.
    assert panel.agreement is not None and panel.agreement.measure == "Cohen's kappa"
    assert panel.agreement.kappa == 0.0 and panel.agreement.percent == 0.5 and panel.agreement.items == 2
    rows = [r for r in report.table1 if r.capability == COORDINATION]
    assert rows and all(r.of_record is Rating.M for r in rows)
    communications = [r for r in report.table1 if r.capability == COMMUNICATIONS]
    assert all(r.of_record is Rating.S for r in communications)  # both gave S: final without reconciling

    for text in both_texts(report):
        flat = squash(text)
        assert squash(EVALUATION_TITLE) in flat
        assert squash("Cohen's kappa 0.00 (slight); percent agreement 50%") in flat
        assert squash("reconciled by Lee Park, entry 9 (recorded after the end of play): Command stood up; the operator never joined it.") in flat
        assert squash("U (Ben Okafor, entry 5): No unified command") in flat
        assert squash("Ana Silva: Operational Coordination, Town Fire Department") in flat


def test_unreconciled_disagreement_leaves_table_1_as_it_was(warehouse: Scenario) -> None:
    without = report_of(warehouse, journal_of_two_evaluators(reconcile=False))
    panel = without.evaluation
    assert panel is not None
    coordination = next(c for c in panel.capabilities if c.capability == COORDINATION)
    assert coordination.final is None
    computed = {(r.objective, r.capability): r.computed for r in without.table1}
    assert all(r.of_record == computed[(r.objective, r.capability)] for r in without.table1
               if r.capability == COORDINATION)
    for text in both_texts(without):
        assert squash("awaiting the lead evaluator's reconciliation") in squash(text)


def test_no_panel_when_no_evaluator_rated_a_capability(warehouse: Scenario) -> None:
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller")
    report = report_of(warehouse, j)
    assert report.evaluation is None
    for text in both_texts(report):
        assert squash(EVALUATION_TITLE) not in squash(text)


def _rating(who: str, rating: str) -> PanelRating:
    return PanelRating(seq=1, at=0.0, evaluator=who, rating=Rating(rating), reason="seen")


def test_leniency_and_central_tendency_are_named_from_a_pattern() -> None:
    table = {
        (f"cap {i}", None): {"Kim": _rating("Kim", "P"), "Ola": _rating("Ola", "M"), "Raj": _rating("Raj", "S")}
        for i in range(3)
    }
    table[("cap 3", None)] = {"Kim": _rating("Kim", "P"), "Ola": _rating("Ola", "U"), "Raj": _rating("Raj", "M")}
    flags = {(f.evaluator, f.error) for f in rater_flags(table)}
    assert ("Kim", "leniency") in flags
    assert ("Raj", "central tendency") in flags
    assert not any(who == "Ola" and error == "leniency" for who, error in flags)


def test_hot_wash_points_reach_the_report_as_participants_views(warehouse: Scenario) -> None:
    j = journal_of_two_evaluators(reconcile=False)
    j.add(41, "fire", HotWashPoint(point="strength", text="Command was set up <fast> & clear",
                                   said_by="Chief Diaz, IC", after_end=True), actor="controller")
    j.add(42, "operator", HotWashPoint(point="area_for_improvement", text="We never heard about the repeater",
                                       said_by="Site lead", after_end=True), actor="controller")
    j.add(43, None, ObservationRecorded(capability=COORDINATION, strengths="Evaluator's own strength"),
          actor="evaluator (Ana Silva)")
    report = report_of(warehouse, j)
    assert [(v.agency, v.point) for v in report.hot_wash] == [("fire", "strength"),
                                                              ("operator", "area_for_improvement")]
    # Participants' views are not evaluators' findings: none of them is a strength of an objective.
    notes = [n.text for a in report.objectives for n in (*a.strengths, *a.areas_for_improvement)]
    assert "Evaluator's own strength" in notes and not any("Chief Diaz" in n or "repeater" in n for n in notes)
    for text in both_texts(report):
        flat = squash(text)
        assert squash(HOT_WASH_TITLE) in flat
        assert squash("Strength: Command was set up <fast> & clear (said by Chief Diaz, IC; participant view, "
                      "entry 9)") in flat
        assert squash("Area for improvement: We never heard about the repeater (said by Site lead") in flat
        assert flat.index(squash("Town Fire Department")) < flat.index(squash("Chief Diaz"))


def test_feedback_forms_are_summarised_in_their_appendix(warehouse: Scenario) -> None:
    j = journal_of_two_evaluators(reconcile=False)
    for agency, actor, structured, changes in (
        ("fire", "player:fire (Dana)", 5, "More injects for EMS"),
        ("fire", "player:fire", 4, ""),
        (None, "observer (Chief)", 2, "Shorter briefing"),
    ):
        j.add(50, agency, FeedbackSubmitted(ratings={"structured": structured}, after_end=True,
                                            answers={"changes": changes} if changes else {}), actor=actor)
    report = report_of(warehouse, j)
    f = report.feedback
    assert f is not None and f.forms == 3 and dict(f.by_role) == {"observer": 1, "player": 2}
    structured = f.statements[0]
    assert structured.answers == 3 and structured.median == 4 and structured.counts == (0, 1, 0, 1, 1)
    assert all(s.answers == 0 and s.median is None for s in f.statements[1:])
    for text in both_texts(report):
        flat = squash(text)
        assert squash(FEEDBACK_TITLE) in flat
        assert squash("3 participant feedback forms filled after play (1 observer, 2 players)") in flat
        assert squash("The exercise was well structured and organized.34") in flat  # 3 answers, median 4
        assert squash("\u201cMore injects for EMS\u201d (participant's words: player, Town Fire Department; entry 9)") in flat
        assert squash("\u201cShorter briefing\u201d (participant's words: observer; entry 11)") in flat
        assert "Dana" not in text
