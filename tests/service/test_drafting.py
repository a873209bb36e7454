"""Drafting that keeps the evaluator in charge: each capability's analysis drafted from the findings,
observations and evaluators' explanations, every sentence citing the journal entries it rests on;
the report prints only what the lead evaluator accepted (a journal entry), never a draft as final."""

from __future__ import annotations

import io
import re
from datetime import date

import docx
import pytest

from aar.drafting import draft
from aar.model import RecordIntegrity
from aar.record import build_record
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from aar.scoring import findings
from exercises.access import AccessDenied, ExerciseInputError
from exercises.record.entries import (
    AnalysisAccepted,
    CapabilityRated,
    Entry,
    ObservationRecorded,
    RatingReconciled,
)
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from tests.aar.builders import pdf_text, squash
from tests.service.conftest import WallClock, code_for

CAPABILITY = "Operational Communications"
CITATION = re.compile(r"\(journal (?:entry|entries) ([\d, ]+)(?:; (observation|rating|reconciliation) by ([^)]+))?\)")


def _report_texts(service: ExerciseService, scenario: Scenario, reader: object) -> tuple[str, str]:
    report = build_report(scenario, service.journal(reader), exercise_name="Warehouse TTX",  # type: ignore[arg-type]
                          exercise_dates=(date(2025, 5, 14),) * 2,
                          integrity=RecordIntegrity(entries=0, intact=True, head_hash="ab" * 32))
    word = docx.Document(io.BytesIO(render_docx(report)))
    return squash(pdf_text(render_pdf(report))), squash("\n".join(p.text for p in word.paragraphs))


def _cited(sentence: str, journal: dict[int, Entry]) -> None:
    """Every citation names real entries; an observation's is that evaluator's observation."""
    found = CITATION.findall(sentence)
    assert found, sentence
    for seqs, what, who in found:
        for seq in (int(s) for s in seqs.split(", ")):
            assert seq in journal, sentence
            if what:
                kind = {"observation": ObservationRecorded, "rating": CapabilityRated,
                        "reconciliation": RatingReconciled}[what]
                assert isinstance(journal[seq].payload, kind) and journal[seq].actor.endswith(f"({who})"), sentence


def test_the_draft_cites_every_sentence_and_only_the_lead_makes_it_the_report(
    service: ExerciseService, warehouse: Scenario, wall: WallClock
) -> None:
    created = service.create_exercise(warehouse, seed=3)
    controller = service.sign_in(code_for(created, "controller"))
    ana = service.sign_in(code_for(created, "evaluator"), name="Ana Silva")
    lee = service.sign_in(code_for(created, "evaluator"), name="Lee Park")
    fire = service.sign_in(code_for(created, "player", "fire"), name="Chief Rivera")
    service.assign_evaluator(controller, "Lee Park", lead=True)
    service.start(controller)
    wall.advance(60)
    service.log_action(fire, "establish_command")
    wall.advance(20 * 60)
    service.log_action(fire, "notify_eoc")  # late: the plan allows 15 minutes
    for elsewhere in ("rumour_control", "plan.no_such_plan"):
        with pytest.raises(ExerciseInputError, match="not a capability target of the EEG"):
            service.record_observation(ana, CAPABILITY, objective="obj_command", target=elsewhere, rating="M")
    service.record_observation(ana, CAPABILITY, objective="obj_command", target="plan.notification_basics",
                               rating="M", text="The EOC heard of the fire from the news desk first.",
                               rationale="The notification came 6 minutes past the plan's deadline.")
    service.rate_capability(ana, CAPABILITY, "M", "EOC notified late", objective="obj_command")
    service.reconcile_rating(lee, CAPABILITY, "M", "One rating; the late notification stands", objective="obj_command")

    journal = service.journal(lee)
    by_seq = {e.seq: e for e in journal}
    record = build_record(warehouse, journal)
    drafted = draft(record, findings(warehouse, record), CAPABILITY, "obj_command")
    assert len(drafted.sentences) >= 4
    for sentence in drafted.sentences:
        _cited(sentence.text, by_seq)
    assert "(journal entry" in drafted.text and "; observation by Ana Silva)" in drafted.text
    assert "EOC notified" in drafted.text and "late by" in drafted.text

    pdf, word = _report_texts(service, warehouse, lee)
    for text in (pdf, word):
        assert squash("Analysis: Operational Communications") in text
        assert squash("Not accepted by the lead evaluator") in text
        assert squash("observation by Ana Silva") not in text  # no draft printed as if final

    for not_lead in (ana, controller):
        with pytest.raises(AccessDenied):
            service.accept_analysis(not_lead, CAPABILITY, drafted.text, objective="obj_command")
    edited = drafted.text + " The lead evaluator adds: the news desk was faster than the plan."
    first = service.accept_analysis(lee, CAPABILITY, edited, objective="obj_command", edited=True)
    assert isinstance(first.payload, AnalysisAccepted) and first.payload.text == edited

    pdf, word = _report_texts(service, warehouse, lee)
    for text in (pdf, word):
        assert squash("the news desk was faster than the plan") in text
        assert squash("Edited and accepted by the lead evaluator, Lee Park") in text
        assert squash(f"(journal entry {first.seq})") in text

    later = service.accept_analysis(lee, CAPABILITY, "The EOC was told late; see the findings.", objective="obj_command")
    accepted = [e for e in service.journal(controller) if isinstance(e.payload, AnalysisAccepted)]
    assert [e.seq for e in accepted] == [first.seq, later.seq]  # append-only: the earlier text is still there
    pdf, _ = _report_texts(service, warehouse, lee)
    assert squash("The EOC was told late; see the findings.") in pdf
    assert squash("the news desk was faster than the plan") not in pdf
