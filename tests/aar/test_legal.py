"""Legal authority, civil rights and privacy: overreach and disclosure outside agreement found and
attributed, the same actions within authority and agreement not flagged, a missing dissemination log
found, the section read back from the PDF and the Word copy, and simulated agencies keeping to their
authority (the joint task-force warrant operation, the fourth bundled scenario)."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest

from aar.legal import LEGAL_TITLE
from aar.model import AfterActionReport, RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from exercises.record.entries import ActionLogged, ClockEnded, ClockStarted, Entry, MessageSent, NewEntry
from exercises.scenario.legal import message_notice
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from sim_engine.live import replay
from tests.aar.builders import Journal, pdf_text, squash
from tests.engine.helpers import BUNDLED

END_MIN = 240.0


@pytest.fixture(scope="module")
def jtf() -> Scenario:
    return load_scenario(BUNDLED / "joint_warrant_operation.yaml")


def report(scenario: Scenario, entries: list[Entry]) -> AfterActionReport:
    return build_report(
        scenario, entries, exercise_name="Alder Street TTX", exercise_dates=(date(2026, 12, 6), date(2026, 12, 6)),
        integrity=RecordIntegrity(entries=len(entries), intact=True, head_hash="00"),
    )


def message(to: str, categories: tuple[str, ...], text: str = "update") -> MessageSent:
    return MessageSent(message_id=f"M-{to}-{len(categories)}", to=to, text=text, categories=categories)


def played(*steps: tuple[float, str, object]) -> list[Entry]:
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller")
    for minute, agency, payload in steps:
        j.add(minute, agency, payload)  # type: ignore[arg-type]
    j.add(END_MIN, None, ClockEnded(), actor="controller")
    return j.entries


def test_an_overreach_is_found_and_attributed_with_its_evidence(jtf: Scenario) -> None:
    entries = played((25, "marlow_police", ActionLogged(action="question_immigration_status", text="asked for papers")))
    legal = report(jtf, entries).legal
    assert legal is not None
    [finding] = legal.findings
    assert finding.kind == "overreach"
    assert finding.agency == "marlow_police"
    assert finding.agency_name == "Marlow Police Department (task force)"
    assert finding.evidence[0].seq == 2
    assert "Interrogate a person about their right to be in the United States" in finding.what
    assert "County Jail (only by officers designated and trained" in finding.rule
    assert "under the supervision of ICE Enforcement and Removal Operations" in finding.rule


def test_the_same_functions_within_authority_are_not_flagged(jtf: Scenario) -> None:
    entries = played(
        (15, "marlow_police", ActionLogged(action="arrest_on_warrant")),
        (50, "ice_ero", ActionLogged(action="immigration_arrest_made")),
        (95, "county_jail", ActionLogged(action="question_immigration_status")),
        (160, "county_jail", ActionLogged(action="lodge_detainer")),
    )
    legal = report(jtf, entries).legal
    assert legal is not None
    assert legal.findings == ()


def test_a_disclosure_outside_agreement_is_found_and_a_covered_message_is_not(jtf: Scenario) -> None:
    entries = played(
        (36, "marlow_police", message("eastside_school", ("immigration_status",), "the father's status is pending")),
        (45, "marlow_police", message("st_brigid", ("pii", "medical"))),
        (70, "ice_ero", message("county_jail", ("pii", "immigration_status"))),
    )
    r = report(jtf, entries)
    assert r.legal is not None
    [finding] = r.legal.findings
    assert (finding.kind, finding.agency, finding.evidence[0].seq) == ("disclosure", "marlow_police", 2)
    assert "Immigration status with Eastside Elementary School" in finding.what
    assert finding.capability == "Intelligence and Information Sharing"
    # Named in the executive summary and drafted into the improvement plan.
    assert r.executive_summary is not None
    assert "disclosure outside any data-sharing agreement (1)" in r.executive_summary.areas_for_improvement[0].text
    assert any(i.key == "legal:disclosure:2" for i in r.improvement_plan)


def test_the_inject_the_ice_officer_hands_over_is_within_agreement(jtf: Scenario) -> None:
    """JW-02 passes criminal history and immigration status from ICE to the task force: allowed."""
    from exercises.record.entries import InjectDelivered

    entries = played((5, None, InjectDelivered(inject_id="JW-02", to=("marlow_police",))))
    legal = report(jtf, entries).legal
    assert legal is not None and legal.findings == ()


def test_onward_dissemination_of_criminal_history_without_the_log_is_found(jtf: Scenario) -> None:
    unlogged = played((60, "marlow_police", message("county_jail", ("chri",))))
    legal = report(jtf, unlogged).legal
    assert legal is not None
    [finding] = legal.findings
    assert (finding.kind, finding.agency) == ("missing_log", "marlow_police")
    assert "Log the secondary dissemination of criminal history" in finding.what
    logged = played(
        (60, "marlow_police", message("county_jail", ("chri",))),
        (75, "marlow_police", ActionLogged(action="log_secondary_dissemination")),
    )
    assert report(jtf, logged).legal.findings == ()  # type: ignore[union-attr]
    too_late = played(
        (60, "marlow_police", message("county_jail", ("chri",))),
        (95, "marlow_police", ActionLogged(action="log_secondary_dissemination")),
    )
    assert [f.kind for f in report(jtf, too_late).legal.findings] == ["missing_log"]  # type: ignore[union-attr]


def test_the_sender_is_told_before_sending_which_rule_the_message_breaks(jtf: Scenario) -> None:
    notice = message_notice(jtf, "marlow_police", "eastside_school", ("immigration_status",))
    assert len(notice) == 1 and "No data-sharing agreement" in notice[0] and "Immigration status" in notice[0]
    assert message_notice(jtf, "marlow_police", "st_brigid", ("medical",)) == ()
    [log] = message_notice(jtf, "marlow_police", "county_jail", ("chri",))
    assert "Log the secondary dissemination of criminal history" in log


def test_the_section_is_in_the_pdf_and_the_word_copy(jtf: Scenario) -> None:
    entries = played(
        (25, "marlow_police", ActionLogged(action="question_immigration_status")),
        (36, "marlow_police", message("eastside_school", ("immigration_status",))),
    )
    r = report(jtf, entries)
    pdf = squash(pdf_text(render_pdf(r)))
    word = docx.Document(io.BytesIO(render_docx(r)))
    word_text = squash("\n".join(p.text for p in word.paragraphs))
    for text in (pdf, word_text):
        assert squash(LEGAL_TITLE) in text
        assert squash("Overreach of delegated authority (1)") in text
        assert squash("Disclosure outside any data-sharing agreement (1)") in text
        assert squash("Marlow Police Department (task force) shared Immigration status with Eastside") in text


def test_simulated_agencies_keep_to_their_authority(jtf: Scenario) -> None:
    """Every agency simulated: the immigration arrest of JW-11 (sent to ICE and the task force) is
    made by ICE, and no simulated agency exercises a function it holds no authority for."""
    data = jtf.model_dump(by_alias=True)
    for agency in data["agencies"]:
        agency["played_by"] = "simulation"
    simulated = Scenario.model_validate(data)
    externals = [NewEntry(at=0.0, actor="controller", payload=ClockStarted())]
    for seed in (1, 2, 3):
        produced = replay(simulated, seed, externals, END_MIN * 60)
        merged = sorted([*produced, *externals], key=lambda e: e.at)
        merged.append(NewEntry(at=END_MIN * 60, actor="controller", payload=ClockEnded()))
        entries = [Entry(seq=i + 1, **e.model_dump()) for i, e in enumerate(merged)]
        arrests = [e.agency for e in entries if isinstance(e.payload, ActionLogged)
                   and e.payload.action == "immigration_arrest_made"]
        assert arrests == ["ice_ero"]
        legal = report(simulated, entries).legal
        assert legal is not None
        assert [f for f in legal.findings if f.kind == "overreach"] == []


def test_an_imported_log_declares_the_categories_its_messages_carried(jtf: Scenario) -> None:
    """A real incident's message log names categories by id or label; the report finds the disclosure,
    and an unknown category is named with its cell."""
    from exercises.documents.incident_log import parse_incident_log
    from exercises.scenario.loading import ScenarioError

    data = (b"time,message #,from,to,text,delivered,categories\n"
            b"0:36,M1,marlow_police,eastside_school,The father's case is pending,yes,Immigration status\n"
            b"0:45,M2,marlow_police,st_brigid,Name and date of birth for registration,yes,pii; medical\n")
    log = parse_incident_log(jtf, {"messages": ("messages.csv", data)})
    sent = [e.payload for e in log.entries if isinstance(e.payload, MessageSent)]
    assert [m.categories for m in sent] == [("immigration_status",), ("pii", "medical")]
    entries = [Entry(seq=i + 1, **e.model_dump()) for i, e in enumerate(log.entries)]
    legal = report(jtf, entries).legal
    assert legal is not None
    assert [(f.kind, f.evidence[0].summary.startswith("Marlow Police")) for f in legal.findings] == [("disclosure", True)]
    with pytest.raises(ScenarioError, match=r"messages.csv:2: .*information category 'immigration'"):
        parse_incident_log(jtf, {"messages": ("messages.csv", data.replace(b"Immigration status", b"immigration"))})


def _all_simulated(scenario: Scenario, probability: float | None = None) -> Scenario:
    data = scenario.model_dump(by_alias=True)
    for agency in data["agencies"]:
        agency["played_by"] = "simulation"
    if probability is not None:
        for pit in data["simulation"]["pitfalls"]:
            pit["probability"] = probability
    return Scenario.model_validate(data)


def _simulated_report(scenario: Scenario, seed: int) -> AfterActionReport:
    externals = [NewEntry(at=0.0, actor="controller", payload=ClockStarted())]
    produced = replay(scenario, seed, externals, END_MIN * 60)
    merged = sorted([*produced, *externals], key=lambda e: e.at)
    merged.append(NewEntry(at=END_MIN * 60, actor="controller", payload=ClockEnded()))
    return report(scenario, [Entry(seq=i + 1, **e.model_dump()) for i, e in enumerate(merged)])


def test_a_simulated_pitfall_is_caught_as_a_disclosure(jtf: Scenario) -> None:
    """The scenario's documented pitfall (the task force tells the school the family's status) is
    found by the report when it happens, and never when its probability is nil."""
    legal = _simulated_report(_all_simulated(jtf, probability=1.0), seed=4).legal
    assert legal is not None
    [finding] = [f for f in legal.findings if f.kind == "disclosure"]
    assert finding.agency == "marlow_police"
    assert "Personal identifying information, Immigration status with Eastside Elementary School" in finding.what
    assert finding.evidence[0].kind == "message_sent"
    never = _simulated_report(_all_simulated(jtf, probability=0.0), seed=4).legal
    assert never is not None and never.findings == ()
