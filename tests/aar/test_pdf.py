"""The PDF renders what users typed literally (markup, scripts, long words) and reads back."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pypdf
import pytest
from reportlab import rl_config

from aar.model import AfterActionReport, RecordIntegrity
from aar.render.pdf import render_pdf
from aar.report import build_report
from exercises.record.entries import ActionLogged, ImprovementItemEdited, ObservationRecorded
from exercises.scenario.model import Rating, Scenario
from tests.aar.builders import example_scenario, pdf_text, squash
from tests.aar.test_scoring import exercise_journal

HOSTILE = [
    "<b>unclosed bold",
    "<font name='Courier' size=40>big</font>",
    "Fish & chips &amp; more",
    '<img src="/etc/passwd"/>',
    "<para><a href='x'>link",
    "Supercalifragilisticexpialidocious" * 4,
    "Привет, мир: связь потеряна",
    "你好世界 通讯中断",
]
ARABIC = "مرحبا بالعالم"
HEBREW = "שלום עולם"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return example_scenario(tmp_path_factory.mktemp("scenario"))


@pytest.fixture(autouse=True, scope="module")
def invariant() -> object:
    old = rl_config.invariant
    rl_config.invariant = 1
    yield
    rl_config.invariant = old


def hostile_report(scenario: Scenario) -> AfterActionReport:
    j = exercise_journal()
    j.add(60, "fire", ActionLogged(action="contain_fire", text=" ".join(HOSTILE)))
    for i, text in enumerate([*HOSTILE, ARABIC, HEBREW]):
        j.add(61 + i, None, ObservationRecorded(capability="Operational Coordination", rating=Rating.S,
                                                 areas_for_improvement=text), actor=f"evaluator-{i}")
    j.add(80, None, ImprovementItemEdited(item_key="protocol:NOT-01", fields={"issue": "<b>edited & <i>"}))
    return build_report(
        scenario,
        j.entries,
        exercise_name="Ex <b>Orion</b> & \u0639\u0645\u0644\u064a\u0629",
        exercise_dates=(date(2025, 5, 14), date(2025, 5, 15)),
        integrity=RecordIntegrity(entries=len(j.entries), intact=False, head_hash="c0ffee" * 10, first_broken_seq=7),
        marking="For Official Use Only <FOUO>",
    )


@pytest.fixture(scope="module")
def rendered(scenario: Scenario) -> tuple[AfterActionReport, bytes, str]:
    report = hostile_report(scenario)
    pdf = render_pdf(report)
    return report, pdf, pdf_text(pdf)


def test_user_markup_appears_literally(rendered: tuple[AfterActionReport, bytes, str]) -> None:
    _, _, text = rendered
    flat = squash(text)
    for value in HOSTILE[:6]:
        assert squash(value) in flat, value
    assert squash("<b>edited & <i>") in flat
    assert squash("For Official Use Only <FOUO>") in flat


def test_no_server_file_is_embedded(rendered: tuple[AfterActionReport, bytes, str]) -> None:
    _, pdf, _ = rendered
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1  # the agency network (Graphviz), nothing a user named


def test_non_latin_scripts_render(rendered: tuple[AfterActionReport, bytes, str]) -> None:
    _, _, text = rendered
    flat = squash(text)
    assert squash("Привет, мир: связь потеряна") in flat
    assert squash("你好世界 通讯中断") in flat


@pytest.mark.parametrize("phrase", [ARABIC, HEBREW])
def test_right_to_left_words_render(rendered: tuple[AfterActionReport, bytes, str], phrase: str) -> None:
    # A PDF stores right-to-left text in visual order; extraction may give either order.
    flat = squash(rendered[2])
    for word in phrase.split():
        assert word in flat or word[::-1] in flat, word


def test_sections_integrity_and_page_numbers(rendered: tuple[AfterActionReport, bytes, str]) -> None:
    _, pdf, text = rendered
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    for heading in (
        "Contents",
        "Exercise Overview",
        "Analysis of Core Capabilities",
        "Table 1",
        "Protocol Compliance",
        "Timeline",
        "Coordination and the Agency Network",
        "Executive Summary",
        "Conclusion",
        "Appendix C: Points of Contact",
        "Simulated Baseline",
        "Record Integrity",
        "Appendix A: Improvement Plan",
        "Appendix B: Exercise Participants",
    ):
        assert heading in text, heading
    assert f"Page2of{pages}" in squash(reader.pages[1].extract_text())
    assert "Firstbrokenentry7" in squash(text)
    assert "c0ffee" * 10 in squash(text)
    assert "HashchainverifiedNO" in squash(text)  # the chain did not verify
    # The outline and the table of contents send the reader to the page each section starts on.
    outline = {item["/Title"]: reader.get_destination_page_number(item) for item in reader.outline if isinstance(item, dict)}
    appendix = outline["Appendix A: Improvement Plan"]
    assert "Appendix A: Improvement Plan" in reader.pages[appendix].extract_text()
    assert outline["Exercise Overview"] == 2  # cover, contents, then the overview
    toc = squash(reader.pages[1].extract_text())
    assert f"AppendixA:ImprovementPlan{'.' * 3}" in toc or "AppendixA:ImprovementPlan" in toc
    assert re.search(r"AppendixA:ImprovementPlan\.*" + str(appendix + 1) + "AppendixB", toc)
    # The marking is on every page.
    assert all("For Official Use Only" in (p.extract_text() or "") for p in reader.pages)


def test_rendering_is_reproducible(scenario: Scenario) -> None:
    report = hostile_report(scenario)
    assert render_pdf(report) == render_pdf(report)


def test_long_tables_split_with_repeated_headers(scenario: Scenario, tmp_path: Path) -> None:
    j = exercise_journal()
    for i in range(60):
        j.add(60 + i * 0.1, None, ObservationRecorded(capability="Operational Coordination",
                                                      areas_for_improvement=f"Area number {i} " + "x" * 200))
    report = build_report(
        scenario, j.entries, exercise_name="Long", exercise_dates=(date(2025, 1, 1),) * 2,
        integrity=RecordIntegrity(entries=len(j.entries), intact=True, head_hash="a" * 64),
    )
    assert len(report.improvement_plan) >= 60
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(report)))
    plan_pages = [p.extract_text() for p in reader.pages if "Area number" in (p.extract_text() or "")]
    plan_pages = [t for t in plan_pages if "Corrective action" in t]
    assert len(plan_pages) >= 2  # the table continued on another page, with its header repeated
