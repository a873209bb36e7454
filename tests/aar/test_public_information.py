"""The report's "Public information and community trust" section: a pure function of the scenario,
the journal and the baseline; rumour protocols scored from media events and statements; the PDF."""

from __future__ import annotations

from datetime import date

import pytest

from aar.model import AfterActionReport, RecordIntegrity, Status
from aar.render.pdf import render_pdf
from aar.report import build_report
from exercises.record.entries import ClockEnded, ClockStarted, Entry, NewEntry, RumourStarted, StatementIssued
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from sim_engine.batch.results import BatchResult
from sim_engine.batch.runs import run_batch
from sim_engine.live import replay
from tests.aar.builders import pdf_text, squash
from tests.engine.helpers import BUNDLED

END = 2 * 3600.0


@pytest.fixture(scope="module")
def civil() -> Scenario:
    """The civil disturbance with the city PIO played by people: only the test's statements answer."""
    data = load_scenario(BUNDLED / "civil_disturbance.yaml").model_dump(by_alias=True)
    for a in data["agencies"]:
        if a["id"] == "city_pio":
            a["played_by"] = "players"
    return Scenario.model_validate(data)


def journal(scenario: Scenario, statements: list[tuple[float, tuple[str, ...]]]) -> list[Entry]:
    externals = [NewEntry(at=0.0, actor="controller", payload=ClockStarted())]
    externals += [
        NewEntry(at=at, agency="city_pio", actor="player:city_pio", payload=StatementIssued(
            action="issue_public_statement", topics=topics, text="<b>What we know</b> & what we are checking"))
        for at, topics in statements
    ]
    produced = replay(scenario, 7, externals, END)
    # The journal's order: at the same instant engine entries come first (the ordering rule).
    merged = sorted([*produced, *externals], key=lambda e: e.at)
    merged.append(NewEntry(at=END, actor="controller", payload=ClockEnded()))
    return [Entry(seq=i + 1, **e.model_dump()) for i, e in enumerate(merged)]


def report(scenario: Scenario, entries: list[Entry], baseline: BatchResult | None = None) -> AfterActionReport:
    return build_report(
        scenario, entries, exercise_name="Riverton march TTX", exercise_dates=(date(2026, 12, 5), date(2026, 12, 5)),
        integrity=RecordIntegrity(entries=len(entries), intact=True, head_hash="00"), baseline=baseline,
    )


def test_the_section_gives_first_statement_and_each_rumour_with_who_answered_it(civil: Scenario) -> None:
    silent = journal(civil, [])
    started = {e.payload.rumour_id: e.at for e in silent if isinstance(e.payload, RumourStarted)}
    gas = started["gas_and_guard"]
    entries = journal(civil, [(gas + 600.0, ("crowd_control",))])
    section = report(civil, entries).public_information
    assert section is not None
    assert section.first_statement_at == gas + 600.0
    assert section.time_to_first_statement_s == gas + 600.0
    assert section.first_statement_by == "City of Riverton Public Information Office"
    rows = {r.rumour_id: r for r in section.rumours}
    assert set(rows) == set(started)
    answered = rows["gas_and_guard"]
    assert (answered.started_at, answered.addressed_at, answered.time_to_address_s) == (gas, gas + 600.0, 600.0)
    assert answered.addressed_by == "City of Riverton Public Information Office"
    assert answered.topic == "Crowd-control force (gas, batons, riot squads)"
    assert answered.peak_at <= gas + 600.0 and answered.reach_at_end < answered.peak_reach
    for other in ("riot_squads",):  # another topic: never answered, still at its peak at the end
        assert rows[other].addressed_at is None and rows[other].addressed_by == ""
        assert rows[other].reach_at_end == rows[other].peak_reach
    assert section.trust[0].trust == 55 and section.trust_end == section.trust[-1].trust


def test_a_force_rumour_protocol_is_met_or_missed_by_the_statement(civil: Scenario) -> None:
    silent = journal(civil, [])
    gas = next(e.at for e in silent if isinstance(e.payload, RumourStarted) and e.payload.rumour_id == "gas_and_guard")

    def rum02(entries: list[Entry]) -> Status:
        found = [f for f in report(civil, entries).findings if f.protocol_id == "RUM-02"]
        return found[0].status

    assert rum02(journal(civil, [(gas + 15 * 60.0, ("crowd_control",))])) is Status.MET
    assert rum02(journal(civil, [(gas + 25 * 60.0, ("crowd_control",))])) is Status.LATE
    assert rum02(silent) is Status.MISSED


def test_the_trust_curve_is_drawn_beside_the_baseline_and_the_page_reads_back(civil: Scenario) -> None:
    baseline = run_batch(load_scenario(BUNDLED / "civil_disturbance.yaml"), runs=8, seed=1, jobs=1)
    entries = journal(civil, [(3000.0, ("crowd_control", "mass_arrests"))])
    built = report(civil, entries, baseline)
    section = built.public_information
    assert section is not None and section.baseline_runs == 8
    assert baseline.trust is not None and [b.median for b in section.baseline] == list(baseline.trust.median)
    text = squash(pdf_text(render_pdf(built)))
    assert squash("Public Information and Community Trust") in text
    assert squash("Community trust over exercise time") in text
    assert squash("City of Riverton Public Information Office") in text
    assert squash("never") in text  # a rumour nobody answered says so


def test_no_media_section_no_report_section() -> None:
    plain = load_scenario(BUNDLED.parent.parent / "docs" / "example" / "scenarios" / "warehouse_fire.yaml")
    entries = [Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted())]
    assert report(plain, entries).public_information is None
