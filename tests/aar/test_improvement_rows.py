"""The Improvement Plan of a long exercise stays one row per corrective action, and keeps every source.

An area for improvement that evaluators wrote many times (the same words for the same capability,
element and agency) is one row naming every observation that noted it, in the PDF, the Word copy
and the console's plan alike, and a controller's edit of any of those observations' rows edits it.
An information row covering many messages counts them once and lists each by its words and time.
"""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest

from aar.improvement import issue_text
from aar.model import AfterActionReport, RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from console.summary import plan_frame
from exercises.record.entries import (
    ClockEnded,
    ClockStarted,
    ImprovementItemEdited,
    MessageDelivered,
    MessageLost,
    MessageSent,
    ObservationRecorded,
)
from exercises.scenario.model import Rating, Scenario
from tests.aar.builders import Journal, example_scenario, pdf_text, squash

DAY = date(2025, 5, 14)
SLOW = "Slow hand-over between shifts."


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return example_scenario(tmp_path_factory.mktemp("scenario"))


def _noted(j: Journal, minute: float, area: str, agency: str | None = None, element: str | None = None) -> int:
    return j.add(minute, agency, ObservationRecorded(capability="Operational Communications", rating=Rating.M,
                                                     areas_for_improvement=area, element=element), actor="evaluator-1")


def _message(j: Journal, minute: float, number: int, text: str) -> None:
    j.add(minute, "fire", MessageSent(message_id=f"m{number}", to="eoc", text=text))
    j.add(minute + 1, "eoc", MessageDelivered(message_id=f"m{number}", sender="fire", to="eoc", path=("fire", "eoc"),
                                              sent_at=minute * 60))


@pytest.fixture(scope="module")
def report(scenario: Scenario) -> AfterActionReport:
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller")
    slow = [_noted(j, 5, SLOW), _noted(j, 10, SLOW)]
    other = _noted(j, 12, "No scribe at the EOC.")
    own = _noted(j, 14, SLOW, agency="eoc")  # the same words about another agency: its own row
    slow.append(_noted(j, 20, SLOW))
    trained = _noted(j, 22, SLOW, element="training")  # the same words for another element
    for number, (minute, text) in enumerate(((30, "situation update"), (40, "situation update"), (50, "need a bus"))):
        _message(j, minute, number, text)  # the EOC answers none of them
    # A controller edits the row by the key of its second observation, as a row of its own once had.
    j.add(60, None, ImprovementItemEdited(item_key=f"observation:{slow[1]}", fields={"point_of_contact": "Lt. Ortiz"}),
          actor="controller")
    j.add(120, None, ClockEnded(), actor="controller")
    rows = build_report(scenario, j.entries, exercise_name="Riverside TTX", exercise_dates=(DAY, DAY),
                        integrity=RecordIntegrity(entries=len(j.entries), intact=True, head_hash="ab" * 32))
    assert {r.key for r in rows.improvement_plan} >= {f"observation:{s}" for s in (slow[0], other, own, trained)}
    return rows


def test_an_area_noted_many_times_is_one_row_with_every_observation(report: AfterActionReport) -> None:
    observed = [r for r in report.improvement_plan if r.key.startswith("observation:")]
    slow = next(r for r in observed if r.issue == SLOW and not r.responsible_agency and r.element is None)
    assert slow.noted == (2, 3, 6)  # in journal order; the key is the first one's
    assert slow.key == "observation:2"
    assert slow.point_of_contact == "Lt. Ortiz"  # the edit named observation:3, one of its sources
    assert issue_text(slow) == f"{SLOW}\nNoted in 3 evaluator observations (journal entries 2, 3 and 6)."
    # Rows that differ in agency, element or words stay rows of their own, each on its one observation.
    assert sorted(len(r.noted) for r in observed) == [1, 1, 1, 3]
    single = next(r for r in observed if r.issue == "No scribe at the EOC.")
    assert issue_text(single) == "No scribe at the EOC."


def test_pdf_word_and_console_show_the_same_sources(report: AfterActionReport) -> None:
    sentence = "Noted in 3 evaluator observations (journal entries 2, 3 and 6)."
    assert squash(sentence) in squash(pdf_text(render_pdf(report)))
    word = docx.Document(io.BytesIO(render_docx(report)))
    cells = {c.text for t in word.tables for row in t.rows for c in row.cells}
    assert f"{SLOW}\n{sentence}" in cells
    shown = plan_frame(report.improvement_plan)
    assert list(shown["key"]) == [r.key for r in report.improvement_plan]


def test_an_information_row_counts_its_messages_and_lists_each(report: AfterActionReport) -> None:
    row = next(r for r in report.improvement_plan if r.key == "information:unanswered:eoc:fire")
    assert row.issue == (
        "Never answered: Town EOC never answered 3 messages from Town Fire Department: "
        "\u201csituation update\u201d received at 0:31 and 0:41; \u201cneed a bus\u201d received at 0:51."
    )
    unanswered = [f for f in report.coordination.failures if f.kind == "unanswered"]
    assert len(unanswered) == 3  # the row covers every one the coordination section lists


def test_messages_lost_on_one_link_name_the_link_once(scenario: Scenario) -> None:
    """Many messages lost on the same link to the same agency: the link is said once, then each
    message by its words and time (a row repeating the link for every message is unreadable)."""
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller")
    for number, (minute, text) in enumerate(((30, "situation update"), (40, "need a bus"), (50, "situation update"))):
        j.add(minute, "fire", MessageSent(message_id=f"m{number}", to="eoc", text=text))
        j.add(minute, "fire", MessageLost(message_id=f"m{number}", sender="fire", to="eoc", reason="lost on link fire-eoc",
                                          path=("fire", "eoc"), lost_on=("fire", "eoc")))
    j.add(120, None, ClockEnded(), actor="controller")
    aar = build_report(scenario, j.entries, exercise_name="Riverside TTX", exercise_dates=(DAY, DAY),
                       integrity=RecordIntegrity(entries=len(j.entries), intact=True, head_hash="ab" * 32))
    row = next(r for r in aar.improvement_plan if r.key.startswith("information:lost:"))
    assert row.issue.count("lost on") == 1, row.issue
    assert row.issue.endswith(
        "3 messages from Town Fire Department never arrived: to Town EOC, lost on the phone link between "
        "Town Fire Department and Town EOC: \u201csituation update\u201d sent at 0:30 and 0:50; \u201cneed a bus\u201d sent at 0:40."), row.issue

