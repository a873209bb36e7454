"""The AAR/IP a commander signs, read back from both formats: the PDF (pypdf) and the Word copy
(python-docx, and LibreOffice's PDF of it), for each bundled scenario and an imported log."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pypdf
import pytest
from argon2 import PasswordHasher
from reportlab import rl_config

from aar.document import (
    FEEDBACK_TITLE,
    INDEX_TITLE,
    LEGAL_TITLE,
    PUBLIC_INFORMATION_TITLE,
    RETESTED_TITLE,
    SECTION_ORDER,
)
from aar.model import AfterActionReport, Element, RealTime, RecordIntegrity, Status
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from exercises.record.entries import Entry
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from exercises.storage.db import Database, create_db_engine, migrate
from sim_engine.batch.runs import run_once
from tests.aar.builders import squash

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True, scope="module")
def invariant() -> object:
    old = rl_config.invariant
    rl_config.invariant = 1
    yield
    rl_config.invariant = old


def simulated_report(scenario: Scenario, **options: object) -> AfterActionReport:
    """The report on a run the real SimPy model produced for ``scenario``, its actions logged as
    players would, with the expected actions of three critical protocols taken out (so they fall
    short) and an evaluator's note."""
    from exercises.record.entries import ActionLogged, ObservationRecorded

    dropped = {(p.agency, p.action) for p in [p for p in scenario.protocols if p.critical][:6:2]}
    produced = [
        e for e in run_once(scenario, seed=3)
        if not (isinstance(e.payload, ActionLogged) and (e.agency, e.payload.action) in dropped)
    ]
    # Played as the run did it: the actions are people's (the simulation's own results are never
    # credited to an agency, issue 21), the rest the engine's.
    journal = [Entry(seq=i, **{**e.model_dump(), "actor": "player" if isinstance(e.payload, ActionLogged) else e.actor})
               for i, e in enumerate(produced, start=1)]
    last = journal[-1].at if journal else 0.0
    journal.append(Entry(seq=len(journal) + 1, at=last, actor="evaluator", payload=ObservationRecorded(
        capability=scenario.protocols[0].capability, areas_for_improvement="Radio traffic stepped on itself.",
        element="equipment")))
    return build_report(
        scenario, journal, exercise_name=scenario.name, exercise_dates=(date(2025, 6, 12),) * 2,
        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash="ab" * 32),
        marking="For Official Use Only", **options,  # type: ignore[arg-type]
    )


# --- reading the two formats back -------------------------------------------------------------


def pdf_sections(pdf: bytes) -> tuple[list[str], str]:
    """(top-level outline titles in order, the text of every page before the marked index)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    top = [item for item in reader.outline if isinstance(item, dict)]
    titles = [str(item["/Title"]) for item in top]
    index_page = next(reader.get_destination_page_number(i) for i in top if i["/Title"] == INDEX_TITLE)
    body = "\n".join(reader.pages[n].extract_text() or "" for n in range(index_page))
    return titles, body


def docx_sections(data: bytes) -> tuple[list[str], str]:
    """(Heading 1 texts in order, paragraph and table text before the marked index)."""
    document = docx.Document(io.BytesIO(data))
    titles: list[str] = []
    body: list[str] = []
    reached_index = False
    for item in document.iter_inner_content():
        if isinstance(item, docx.text.paragraph.Paragraph):
            if item.style is not None and item.style.name == "Heading 1":
                titles.append(item.text)
                reached_index = reached_index or item.text == INDEX_TITLE
            if not reached_index:
                body.append(item.text)
        elif not reached_index:
            body += [cell.text for row in item.rows for cell in row.cells]
    return titles, "\n".join(body)


def scenario_ids(scenario: Scenario) -> set[str]:
    """Ids that are not words (they hold '_' or '-'): agencies, objectives, actions, events, unit
    types and protocol keys. An id that is a plain word ('fire') cannot be told from prose."""
    ids = {a.id for a in scenario.agencies} | {o.id for o in scenario.objectives}
    ids |= set(scenario.vocabulary) | set(scenario.event_names) | {p.id for p in scenario.protocols}
    ids |= {u for a in scenario.agencies for u in a.resources}
    return {i for i in ids if "_" in i or "-" in i}


def ids_in(text: str, ids: set[str]) -> list[str]:
    return sorted(i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))


def expected_order(report: AfterActionReport) -> list[str]:
    absent = {PUBLIC_INFORMATION_TITLE: report.public_information is None, LEGAL_TITLE: report.legal is None,
              RETESTED_TITLE: not report.retests, FEEDBACK_TITLE: report.feedback is None}
    return [s for s in SECTION_ORDER if not absent.get(s, False)]


# --- each bundled scenario, both formats --------------------------------------------------------


@pytest.fixture(scope="module", params=BUNDLED, ids=lambda p: p.stem)
def bundled(request: pytest.FixtureRequest) -> tuple[Scenario, AfterActionReport, bytes, bytes]:
    scenario = load_scenario(request.param)
    report = simulated_report(scenario)
    return scenario, report, render_pdf(report), render_docx(report)


def test_every_section_in_hseep_order_in_both_formats(bundled: tuple[Scenario, AfterActionReport, bytes, bytes]) -> None:
    _, report, pdf, word = bundled
    assert pdf_sections(pdf)[0] == expected_order(report)
    assert docx_sections(word)[0] == expected_order(report)
    document = docx.Document(io.BytesIO(word))
    # Table 1 is a real Word table, one row per objective and capability; figures are pictures.
    table1 = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["Objective", "Core capability"])
    assert len(table1.rows) == 1 + len(report.table1)
    assert table1.rows[0]._tr.trPr is not None  # the header row repeats on each page
    assert len(document.inline_shapes) >= 4  # timeline, compliance by agency and by protocol, network


def test_no_scenario_id_outside_the_marked_index(bundled: tuple[Scenario, AfterActionReport, bytes, bytes]) -> None:
    scenario, _, pdf, word = bundled
    ids = scenario_ids(scenario)
    for body in (pdf_sections(pdf)[1], docx_sections(word)[1]):
        # PDF extraction joins a word split over two lines without a space; squash both sides.
        assert ids_in(body, ids) == []
        assert "late by 0 s" not in body
    # ... and the index itself holds them, so a reader can look one up.
    index_text = docx.Document(io.BytesIO(word)).tables[-1]
    listed = {row.cells[1].text for row in index_text.rows}
    assert {p.id for p in scenario.protocols} <= listed


def test_executive_summary_names_what_the_findings_hold(bundled: tuple[Scenario, AfterActionReport, bytes, bytes]) -> None:
    _, report, pdf, word = bundled
    summary = report.executive_summary
    assert summary is not None
    shortfalls = {f.protocol_title for f in report.findings if f.critical and f.status.value in ("late", "missed", "out_of_order")}
    if shortfalls:
        named = " ".join(p.text for p in summary.areas_for_improvement)
        assert any(title in named for title in shortfalls)
        assert all(p.evidence.startswith(("entry ", "evaluator")) for p in summary.areas_for_improvement)
    met = {f.protocol_title for f in report.findings if f.status is Status.MET}
    if met:
        assert any(any(t in p.text for t in met) for p in summary.strengths)
    # The conclusion adds the ratings up and names the objectives that need attention first.
    rated = [o for o in report.objectives if o.rating is not None]
    assert report.conclusion[0].startswith(f"The exercise assessed {len(report.objectives)} objective")
    for rating in {o.rating for o in rated if o.rating is not None}:
        assert f"{sum(o.rating is rating for o in rated)} rated {rating.value}" in report.conclusion[0]
    worst = [o for o in rated if o.rating is not None and o.rating.value in "UM" and o.objective]
    for objective in worst:
        assert report.names.objective(objective.objective or "").rstrip(".") in report.conclusion[1]
    pdf_body, word_body = squash(pdf_sections(pdf)[1]), squash(docx_sections(word)[1])
    for point in (*summary.strengths, *summary.areas_for_improvement):
        assert squash(point.text)[:60] in pdf_body and squash(point.text)[:60] in word_body


def test_improvement_plan_elements_only_where_declared(bundled: tuple[Scenario, AfterActionReport, bytes, bytes]) -> None:
    scenario, report, _, word = bundled
    declared = {p.id: p.elements for p in scenario.protocols}
    assert report.improvement_plan, "a simulated run of a bundled scenario leaves something to improve"
    for item in report.improvement_plan:
        assert item.start_date is None and item.completion_date is None
        protocol = item.key.removeprefix("protocol:").split("|")[0] if item.key.startswith("protocol:") else None
        if protocol is not None:
            elements = declared[protocol]
            assert (item.element is None) == (not elements)
            if item.element is not None:
                assert item.element.value in elements
    # Appendix A is a real Word table: a header row, then one row per item, dates empty.
    tables = docx.Document(io.BytesIO(word)).tables
    plan = next(t for t in tables if t.rows[0].cells[0].text == "Core capability" and len(t.columns) == 7)
    assert len(plan.rows) == 1 + len(report.improvement_plan)
    assert all(row.cells[5].text == "" and row.cells[6].text == "" for row in plan.rows[1:])


@pytest.mark.slow
def test_word_copy_converts_in_libreoffice_with_the_same_sections(
    bundled: tuple[Scenario, AfterActionReport, bytes, bytes], tmp_path: Path
) -> None:
    _, report, _, word = bundled
    converted = libreoffice_pdf(word, tmp_path)
    text = squash("\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(converted)).pages))
    positions = [text.find(squash(title)) for title in expected_order(report)]
    assert all(p >= 0 for p in positions), dict(zip(expected_order(report), positions, strict=True))
    # Headings in order: each after the one before it (the contents list comes first, so search
    # from the second occurrence of the first heading onwards).
    order = expected_order(report)
    start = text.find(squash(order[0]), positions[0] + 1)
    last = start
    for title in order[1:]:
        found = text.find(squash(title), last + 1)
        assert found > last, title
        last = found
    # The contents list gives each chapter's page, and the chapter starts on that page.
    pages = [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(converted)).pages]
    listed = dict(re.findall(r"^\d+\. (.+?)\.{3,}\s*(\d+)$", next(p for p in pages if "Contents" in p), re.M))
    chapters = [t for t in order if t in listed]
    assert len(chapters) >= 8, listed
    for title in chapters:
        page = int(listed[title])
        assert squash(title) in squash(pages[page - 1]), (title, page)


def libreoffice_pdf(word: bytes, folder: Path) -> bytes:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is not installed (.ci/run installs libreoffice-writer-nogui)")
    source = folder / "aar.docx"
    source.write_bytes(word)
    profile = folder / "lo-profile"  # its own profile: parallel runs must not share one
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=240,
    )
    return (folder / "aar.pdf").read_bytes()


# --- an imported log of a real incident, from the database ------------------------------------

ACTION_LOG = """time,agency,action,text
14:04,city_police,establish_command,First unit on scene takes command
14:25,city_police,notify_eoc,EOC duty officer called
"""


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, AfterActionReport]:
    from aar.report import report_options

    scenario = load_scenario(ROOT / "data" / "scenarios" / "civil_disturbance.yaml")
    folder = tmp_path_factory.mktemp("db")
    database = Database(create_db_engine(f"sqlite:///{folder / 'h.db'}"))
    migrate(database)
    service = ExerciseService(database, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    log = ACTION_LOG
    for agency, action in (("city_police", "establish_command"), ("city_police", "notify_eoc")):
        assert action in scenario.vocabulary and agency in {a.id for a in scenario.agencies}
    created = service.import_exercise(
        scenario, log, name="Liberty Park disturbance, 12 June", real_start=datetime(2025, 6, 12, 14, 0, tzinfo=CHICAGO),
        timezone="America/Chicago", record_kind="real_incident",
    )
    caller = service.operator(created.exercise.id)
    journal = service.journal(caller)
    details = service.exercise_details(caller)
    report = build_report(
        scenario, journal, exercise_name=created.exercise.name, exercise_dates=(date(2025, 6, 12),) * 2,
        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None), **report_options(details),
    )
    return scenario, report


def test_an_imported_real_incident_reads_as_one(imported: tuple[Scenario, AfterActionReport]) -> None:
    scenario, report = imported
    assert report.record_kind == "real_incident" and report.real_time is not None
    # What went wrong is told in clock time, the record's own time beside it.
    areas = [n.text for o in report.objectives for n in o.areas_for_improvement if n.source == "finding"]
    assert areas and all("CDT (+" in text for text in areas)
    pdf, word = render_pdf(report), render_docx(report)
    for titles, body in (pdf_sections(pdf), docx_sections(word)):
        assert "Incident Overview" in titles and "Exercise Overview" not in titles
        assert "Appendix B: Responding Organizations" in titles
        flat = squash(body)
        assert squash("real-world incident") in flat
        assert squash("Tabletop exercise") not in flat and squash("tabletop exercise") not in flat
        # Local clock time beside the record's own time: 0:04 after 14:00 Chicago (CDT in June).
        assert squash("14:04 CDT (+0:04)") in flat
        assert ids_in(body, scenario_ids(scenario)) == []


# --- bad input renders literally in both formats -----------------------------------------------

HOSTILE = "<b>unclosed & <img src='/etc/passwd'/> \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd \u4f60\u597d\u4e16\u754c"


def _both(report: AfterActionReport) -> tuple[str, str]:
    pdf = render_pdf(report)
    word = render_docx(report)
    pdf_text = "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    document = docx.Document(io.BytesIO(word))
    word_text = "\n".join([p.text for p in document.paragraphs]
                          + [c.text for t in document.tables for r in t.rows for c in r.cells])
    return pdf_text, word_text


def _report(scenario: Scenario, journal: list[Entry], name: str = "Bad input") -> AfterActionReport:
    return build_report(scenario, journal, exercise_name=name, exercise_dates=(date(2025, 1, 1),) * 2,
                        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None))


@pytest.fixture(scope="module")
def warehouse() -> Scenario:
    return load_scenario(ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml")


def test_an_empty_journal_renders(warehouse: Scenario) -> None:
    pdf_text, word_text = _both(_report(warehouse, []))
    for text in (pdf_text, word_text):
        assert "Executive Summary" in text and squash("the clock was not started") in squash(text)


def test_only_corrections_render(warehouse: Scenario) -> None:
    from exercises.record.entries import Correction

    journal = [Entry(seq=i, at=60.0 * i, actor="controller", payload=Correction(corrects=max(1, i - 1), reason="oops"))
               for i in range(1, 6)]
    pdf_text, word_text = _both(_report(warehouse, journal))
    assert "Conclusion" in pdf_text and "Conclusion" in word_text


def test_markup_rtl_cjk_render_literally(warehouse: Scenario) -> None:
    from exercises.record.entries import ActionLogged, ObservationRecorded
    from exercises.scenario.model import Rating

    journal = [
        Entry(seq=1, at=60, agency="fire", actor="p", payload=ActionLogged(action="establish_command", text=HOSTILE)),
        Entry(seq=2, at=120, actor="e", payload=ObservationRecorded(
            capability="Operational Coordination", rating=Rating.S, areas_for_improvement=HOSTILE, element="training")),
    ]
    report = _report(warehouse, journal, name=HOSTILE)
    row = next(i for i in report.improvement_plan if i.key == "observation:2")
    assert row.element is Element.TRAINING and row.element_reason == "chosen by the evaluator"
    pdf_text, word_text = _both(report)
    assert HOSTILE in word_text
    flat = squash(pdf_text)
    for part in ("<b>unclosed&<imgsrc='/etc/passwd'/>", "你好世界"):
        assert squash(part) in flat
    for word in ("\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd"):
        assert squash(word) in flat or squash(word[::-1]) in flat


@pytest.mark.slow
def test_any_text_renders(warehouse: Scenario) -> None:
    """Issue 13, point 1: an area for improvement of 4,000 characters, a 4,000-character action
    text and a 1 MB scenario text field all produce a report, in both formats."""
    from exercises.record.entries import ActionLogged, ObservationRecorded

    afi = ("The EOC notification waited for the first size-up report. " * 80)[:4000]
    action = ("Crews committed to the east stairwell after the size-up; " * 80)[:4000]
    megabyte = "\u00c9vacuation du quartier nord; " * (1_000_000 // 29)
    scenario = warehouse.model_copy(update={"summary": megabyte})
    journal = [
        Entry(seq=1, at=60, agency="fire", actor="p", payload=ActionLogged(action="establish_command", text=action)),
        Entry(seq=2, at=120, actor="e", payload=ObservationRecorded(
            capability="Operational Coordination", areas_for_improvement=afi)),
    ]
    report = _report(scenario, journal)
    pdf = render_pdf(report)
    word = render_docx(report)
    pdf_text = squash("\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    # Every sentence, in the analysis and in Appendix A, across as many rows and pages as it needs
    # (a page break or a continued table row may cut one sentence in each place).
    sentence = "The EOC notification waited for the first size-up report."
    assert pdf_text.count(squash(sentence)) >= 2 * afi.count(sentence) - 4
    assert pdf_text.count(squash("\u00c9vacuation du quartier nord;")) >= 1_000_000 // 29
    document = docx.Document(io.BytesIO(word))
    cells = {c.text for t in document.tables for r in t.rows for c in r.cells}
    assert afi in cells and any(megabyte in c for c in cells)


# --- time and lateness ---------------------------------------------------------------------------


def test_lateness_is_whole_seconds(warehouse: Scenario) -> None:
    from exercises.record.entries import ActionLogged, ClockEnded, ClockStarted, InjectDelivered

    protocol = next(p for p in warehouse.protocols if p.within and p.trigger.kind == "event")
    inject = next(i for i in warehouse.msel if protocol.trigger.name in i.raises)
    due = inject.time + (protocol.within or 0)
    for past, status, late in ((0.4, Status.MET, None), (0.6, Status.LATE, 1.0), (61.2, Status.LATE, 61.0)):
        journal = [
            Entry(seq=1, at=0, actor="c", payload=ClockStarted()),
            Entry(seq=2, at=inject.time, actor="engine", payload=InjectDelivered(inject_id=inject.id, to=inject.to)),
            Entry(seq=3, at=due + past, agency=protocol.agency, actor="p", payload=ActionLogged(action=protocol.action)),
            Entry(seq=4, at=due + 600, actor="c", payload=ClockEnded()),
        ]
        found = next(f for f in _report(warehouse, journal).findings if f.protocol_id == protocol.id)
        assert (found.status, found.late_by_s) == (status, late), past


def test_clock_time_beside_exercise_time(warehouse: Scenario) -> None:
    from exercises.record.entries import ClockStarted

    start = datetime(2025, 11, 3, 9, 30, tzinfo=CHICAGO)
    journal = [Entry(seq=1, at=0, actor="c", payload=ClockStarted())]
    report = build_report(warehouse, journal, exercise_name="Clock", exercise_dates=(start.date(),) * 2,
                          integrity=RecordIntegrity(entries=1, intact=True, head_hash=None),
                          real_time=RealTime(start=start, timezone="America/Chicago"))
    pdf_text, word_text = _both(report)
    for text in (pdf_text, word_text):
        assert squash("0:00 (09:30 CST)") in squash(text) and "America/Chicago" in text


def test_load_statements_rest_on_workload_over_time(warehouse: Scenario) -> None:
    """Ten messages to the EOC within five minutes is a peak; the same ten spread over five hours is
    not. The statement names the agency and the window; it never touches the improvement plan."""
    from exercises.record.entries import MessageDelivered

    def messages(spacing: float) -> list[Entry]:
        return [Entry(seq=i + 1, at=600 + i * spacing, agency="eoc", actor="engine", payload=MessageDelivered(
            message_id=f"m{i}", sender="fire", to="eoc", path=("fire", "eoc"), sent_at=600 + i * spacing))
            for i in range(10)]

    burst = {a.agency: a for a in _report(warehouse, messages(30)).coordination.agencies}["eoc"]
    assert burst.overloaded
    assert "Town EOC received 10 items in its busiest 15 minutes (0:10 to 0:25)" in burst.explanation
    spread = {a.agency: a for a in _report(warehouse, messages(1800)).coordination.agencies}["eoc"]
    assert spread.load == 10 and not spread.overloaded


@pytest.mark.slow
def test_any_typed_text_renders_in_both_formats(warehouse: Scenario) -> None:
    """Whatever an evaluator types (any Unicode, markup, control characters) gives a report in both
    formats, and the Word copy holds it literally (less what XML 1.0 cannot hold)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from aar.render.word import _clean
    from exercises.record.entries import ObservationRecorded

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    # NUL is refused where text is typed (it cannot be stored); every other character is accepted.
    @given(st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=300).filter(str.strip))
    def check(typed: str) -> None:
        journal = [Entry(seq=1, at=60, actor=typed[:50], payload=ObservationRecorded(
            capability="Operational Coordination", areas_for_improvement=typed, text=typed))]
        report = _report(warehouse, journal, name=typed[:200])
        assert render_pdf(report).startswith(b"%PDF")
        document = docx.Document(io.BytesIO(render_docx(report)))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        assert any(_clean(typed).replace("\r\n", "\n").replace("\r", "\n") in c.replace("\r", "\n") or
                   _clean(typed).strip() in c for c in cells)

    check()
