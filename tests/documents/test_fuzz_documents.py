"""Fuzzing every untrusted file a user hands in besides scenarios and plans: incident logs (CSV and
workbook), MSEL sheets (CSV and workbook) and JSON Lines journals for ``report --journal``. Each
mutated file is accepted or refused in words (``ScenarioError`` naming the file, or
``JournalFileError`` naming the line), never another exception; a journal that is accepted draws
its timeline in bounded time.

Bounded for CI (``HOTWASH_FUZZ_DOCUMENTS``, default 150 text files per kind and a fifth as many
workbooks); run longer with e.g. ``HOTWASH_FUZZ_DOCUMENTS=3000 pytest tests/documents/test_fuzz_documents.py -s``,
which prints how many files were accepted and refused.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from aar.journal_file import JournalFileError, read_journal_lines
from aar.render.charts import timeline_chart
from aar.report import build_report
from exercises.documents.incident_log import RealClock, parse_incident_log
from exercises.documents.msel_sheet import export_csv, export_xlsx, parse_msel, read_msel_table
from exercises.scenario.loading import (
    ScenarioError,
    build_scenario,
    default_plans_folder,
    load_plans,
    read_yaml,
)
from tests.aar.test_scoring import exercise_journal
from tests.documents.helpers import workbook_bytes
from tests.documents.test_incident_log import START, WAREHOUSE, ZONE, incident_workbook
from tests.foundation.test_fuzz_files import SNIPPETS

EXAMPLES = int(os.environ.get("HOTWASH_FUZZ_DOCUMENTS", "150"))
WORKBOOKS = max(10, EXAMPLES // 5)
OUTCOMES: Counter[str] = Counter()
CELL_SNIPPETS = [
    *SNIPPETS, "", " ", "=1+1", "=cmd|' /C calc'!A0", "#REF!", "25:99", "18:42", "2026-03-14 18:42", "99:00",
    "1e308", "-1", "0", "10001", "yes", "no", "maybe", "Time", "From", "fire - eoc", "x" * 40_000,
    "9" * 5000, "NaN", "inf", "2026-02-30", "0:00:60",
]
JSON_SNIPPETS = [
    "[" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000, '"at": 1e12', '"at": 1e308', '"at": Infinity', "NaN",
    '"wall_time": 1e308', '"wall_time": -1e308', '"seq": ' + "9" * 5000, '"seq": 1e400', '{"export": 1}',
    '{"checkpoint": null}', '{"seal": {"seq": 1}}', '"payload": {"kind": "observation_recorded"}', "\x00", "\ud800",
]


def _sheet_csv(book: bytes, sheet: str) -> bytes:
    ws = openpyxl.load_workbook(io.BytesIO(book))[sheet]
    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)])
    return out.getvalue().encode()


SCENARIO_TEXT = WAREHOUSE.read_text(encoding="utf-8")
SCENARIO_DATA, SCENARIO_LINES = read_yaml(WAREHOUSE, SCENARIO_TEXT)
PLANS = load_plans(default_plans_folder(WAREHOUSE))
SCENARIO = build_scenario(str(WAREHOUSE), SCENARIO_DATA, SCENARIO_LINES, PLANS)
LOG_BOOK = incident_workbook()
LOG_CSVS = {kind: _sheet_csv(LOG_BOOK, kind.title()) for kind in ("actions", "messages", "links", "requests", "answers")}
MSEL_CSV = export_csv(SCENARIO)
MSEL_BOOK = export_xlsx(SCENARIO)
NOT_IN_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
BOOKS = {"incident log": LOG_BOOK, "msel": MSEL_BOOK}
JOURNAL = "".join(e.model_dump_json() + "\n" for e in exercise_journal().entries)


@st.composite
def mutated(draw: st.DrawFn, text: str, snippets: list[str]) -> str:
    """``text`` after one to four edits: snippets put in, spans cut or doubled, lines replaced,
    swapped or cut (a header line included)."""
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        op = draw(st.sampled_from(["insert", "insert", "delete", "duplicate", "line", "swap", "drop"]))
        if op == "insert":
            text = text[:at] + draw(st.sampled_from(snippets) | st.text(max_size=8)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=300)) :]
        elif op == "duplicate":
            end = min(len(text), at + draw(st.integers(min_value=1, max_value=300)))
            text = text[:at] + text[at:end] * draw(st.integers(1, 3)) + text[at:]
        else:
            lines = text.split("\n")
            i, j = (draw(st.integers(min_value=0, max_value=len(lines) - 1)) for _ in range(2))
            if op == "line":
                lines[i] = draw(st.sampled_from(snippets) | st.text(max_size=40))
            elif op == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                del lines[i]
            text = "\n".join(lines)
    return text


def _cell(text: str) -> str:
    """Text a workbook can hold (XML 1.0 has no control characters, lone surrogates or U+FFFE)."""
    return NOT_IN_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", text))


@st.composite
def mutated_book(draw: st.DrawFn, which: str) -> bytes:
    """The incident log or MSEL workbook with cells overwritten (characters a workbook cannot
    hold left out), rows inserted above the header or deleted, columns deleted, a sheet renamed."""
    wb = openpyxl.load_workbook(io.BytesIO(BOOKS[which]))
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        ws = wb.worksheets[draw(st.integers(0, len(wb.worksheets) - 1))]
        row, col = draw(st.integers(1, ws.max_row + 1)), draw(st.integers(1, ws.max_column + 1))
        op = draw(st.sampled_from(["cell", "cell", "cell", "insert_row", "delete_row", "delete_column", "rename"]))
        if op == "cell":
            value = draw(st.sampled_from(CELL_SNIPPETS) | st.integers() | st.floats() | st.text(max_size=12))
            ws.cell(row=row, column=col).value = _cell(value) if isinstance(value, str) else value
        elif op == "insert_row":
            ws.insert_rows(1, draw(st.integers(1, 12)))
        elif op == "delete_row":
            ws.delete_rows(row)
        elif op == "delete_column":
            ws.delete_cols(col)
        else:
            ws.title = draw(st.sampled_from(["Sheet", "msel ", "ACTIONS", "Lists", "x"]))[:31]
    return workbook_bytes(wb)


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    if OUTCOMES:
        print(f"\nfuzzed documents: {dict(sorted(OUTCOMES.items()))}")


def _outcome(kind: str, read: Callable[[], object]) -> None:
    try:
        read()
    except ScenarioError as exc:
        assert exc.problems and all(p.file and p.message for p in exc.problems)
        OUTCOMES[f"{kind} refused"] += 1
    except JournalFileError as exc:
        assert str(exc)
        OUTCOMES[f"{kind} refused"] += 1
    else:
        OUTCOMES[f"{kind} accepted"] += 1


def _msel(data: bytes, name: str) -> object:
    msel = parse_msel(read_msel_table(data, name), SCENARIO_DATA, PLANS)
    return build_scenario(str(WAREHOUSE), {**SCENARIO_DATA, "msel": msel}, SCENARIO_LINES, PLANS)


CLOCK = RealClock.parse(START, ZONE)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(LOG_CSVS)), st.data(), st.booleans())
def test_a_mutated_incident_log_csv_is_read_or_refused(kind: str, data: st.DataObject, with_clock: bool) -> None:
    text = data.draw(mutated(LOG_CSVS[kind].decode(), CELL_SNIPPETS))
    files = {kind: (f"{kind}.csv", text.encode("utf-8", "surrogatepass"))}
    _outcome("incident log csv", lambda: parse_incident_log(SCENARIO, files, CLOCK if with_clock else None))


@settings(max_examples=WORKBOOKS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_book("incident log"), st.booleans())
def test_a_mutated_incident_log_workbook_is_read_or_refused(book: bytes, with_clock: bool) -> None:
    files = {"workbook": ("log.xlsx", book)}
    _outcome("incident log workbook", lambda: parse_incident_log(SCENARIO, files, CLOCK if with_clock else None))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(MSEL_CSV, CELL_SNIPPETS))
def test_a_mutated_msel_csv_is_read_or_refused(text: str) -> None:
    _outcome("msel csv", lambda: _msel(text.encode("utf-8", "surrogatepass"), "msel.csv"))


@settings(max_examples=WORKBOOKS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_book("msel"))
def test_a_mutated_msel_workbook_is_read_or_refused(book: bytes) -> None:
    _outcome("msel workbook", lambda: _msel(book, "msel.xlsx"))


def _journal(text: str) -> None:
    read = read_journal_lines(io.StringIO(text, newline=""))
    report = build_report(SCENARIO, read.entries, exercise_name="Fuzz", exercise_dates=read.dates or (date(2026, 1, 1),) * 2,
                          integrity=read.integrity)
    timeline_chart(report, 480.0)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(JOURNAL, JSON_SNIPPETS))
def test_a_mutated_journal_file_is_read_or_refused(text: str) -> None:
    _outcome("journal", lambda: _journal(text))


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("deep", "[" * 100_000 + "]" * 100_000, "line 1: "),
        ("long integer", '{"seq": ' + "9" * 5000 + "}", "line 1: not a journal line"),
        ("infinity", '{"seq": 1, "at": Infinity, "actor": "x", "payload": {"kind": "clock_started"}}', "line 1: not a journal line"),
        ("far future", '{"seq": 1, "at": 1e12, "actor": "x", "payload": {"kind": "clock_started"}}',
         "line 1: at 1e+12 s is more than a year after the start"),
    ],
)
def test_the_journal_lines_once_crashing_are_refused_by_line(name: str, line: str, message: str) -> None:
    with pytest.raises(JournalFileError, match=re.escape(message)):
        read_journal_lines([line])


def test_a_wall_time_beyond_any_date_is_not_a_date() -> None:
    lines = [e.model_dump_json() for e in exercise_journal().entries]
    lines[0] = lines[0][:-1] + ', "wall_time": 1e308}'
    assert read_journal_lines(lines).dates is None


@pytest.mark.parametrize(
    ("kind", "header", "missing"),
    [("actions", "Agency,Action,Text", "Time"), ("messages", "Time,Message #,To,Channel,Text,Delivered", "From")],
)
def test_an_incident_log_without_a_required_column_names_it(kind: str, header: str, missing: str) -> None:
    body = LOG_CSVS[kind].decode().split("\r\n", 1)[1]
    files = {kind: (f"{kind}.csv", (header + "\r\n" + body).encode())}
    with pytest.raises(ScenarioError) as caught:
        parse_incident_log(SCENARIO, files, CLOCK)
    assert [p.message for p in caught.value.problems] == [f"the required column {missing!r} is missing"]


def test_a_msel_csv_whose_first_line_is_not_the_header_is_refused_in_words() -> None:
    with pytest.raises(ScenarioError) as caught:
        _msel(("Harbor exercise MSEL, printed 2026-03-14\n" + MSEL_CSV).encode(), "msel.csv")
    assert "the required column 'Inject #' is missing" in str(caught.value)


def test_an_incident_log_of_100_000_rows_is_refused_unread() -> None:
    """Counted in the sheet's XML before openpyxl reads (and sizes) the sheet row by row."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Actions")
    ws.append(["Time", "Agency", "Action", "Text"])
    for _ in range(100_000):
        ws.append(["0:05", "fire", "establish_command", "t"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ScenarioError) as caught:
        parse_incident_log(SCENARIO, {"workbook": ("big.xlsx", buf.getvalue())})
    assert str(caught.value) == "big.xlsx: a sheet holds 100,001 rows; the limit is 50,000: refused unread (split the sheet)"
