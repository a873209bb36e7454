"""Information failures as findings (issue 21, item 2): a message not sent, sent and lost (on a
failed link or with none known), delivered late, never answered, not passed on; each with its
capability and element, in the executive summary and the improvement plan, and blamed on a link in
the ICS 205A only where equipment failed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from aar.ics import ics205a, ics214
from aar.model import AfterActionReport, Element, RealTime, RecordIntegrity, Status
from aar.report import build_report
from exercises.documents.incident_log import RealClock, parse_incident_log
from exercises.record.entries import Entry
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from tests.documents.helpers import EXAMPLE

DATA = Path(__file__).parent / "data"
WAREHOUSE = EXAMPLE / "scenarios" / "warehouse_fire.yaml"

ACTIONS = b"""time,agency,action,text
0:25,eoc,activate_eoc,EOC open
"""
# M1 notifies the EOC but reaches it after the plan's 15 minutes; M2 chases it; M3 answers both.
# M4 is lost on the radio link the log names; M5 while the Links file shows that link down; M6 is
# sent and never received with no failure known; M7 should have gone on to the operator; M8 arrives
# after the time the log says it was due; the operator never sent X1.
MESSAGES = b"""time,message #,from,to,channel,text,sent,delivered,delivered at,action,lost on,due by,relay to
0:05,M1,fire,eoc,phone,Working fire at warehouse 7,yes,yes,0:20,notify_eoc,,,
0:12,M2,fire,eoc,phone,Working fire: please confirm,yes,yes,0:12,notify_eoc,,,
0:25,M3,eoc,fire,phone,EOC activated,yes,yes,0:25,,,,
0:20,X1,operator,fire,radio,Two staff missing in the cold store,no,,,,,,
0:30,M4,fire,operator,radio,Confirm your head count,yes,no,,,fire - operator,,
0:35,M5,operator,fire,radio,38 of 40 staff are out,yes,no,,,,,
0:40,M6,fire,eoc,phone,Need shelter for 40 staff,yes,no,,,,,
0:45,M7,fire,eoc,phone,Evacuation complete,yes,yes,0:46,,,,operator
0:50,M8,fire,operator,radio,Stand the wardens down,yes,yes,1:10,,,0:52,
1:12,M9,operator,fire,radio,Wardens stood down,yes,yes,1:12,,,,
1:15,M10,eoc,fire,phone,Noted,yes,yes,1:15,,,,
"""
LINKS = b"""time,link,state,reason
0:33,fire - operator,down,Repeater lost power
1:00,fire - operator,up,
"""


def _journal(scenario: Scenario, files: dict[str, tuple[str, bytes]], clock: RealClock | None = None) -> list[Entry]:
    log = parse_incident_log(scenario, files, clock)
    return [Entry(seq=i, **e.model_dump()) for i, e in enumerate(log.entries, start=1)]


def _report(scenario: Scenario, journal: list[Entry], real: RealTime | None = None) -> AfterActionReport:
    return build_report(scenario, journal, exercise_name="Imported log", exercise_dates=(date(2026, 3, 14),) * 2,
                        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None),
                        record_kind="real_incident" if real else "exercise", real_time=real)


@pytest.fixture(scope="module")
def warehouse() -> tuple[Scenario, list[Entry], AfterActionReport]:
    scenario = load_scenario(WAREHOUSE)
    journal = _journal(scenario, {"actions": ("actions.csv", ACTIONS), "messages": ("messages.csv", MESSAGES),
                                  "links": ("links.csv", LINKS)})
    return scenario, journal, _report(scenario, journal)


def test_each_kind_of_information_failure_is_a_finding_with_its_element(warehouse) -> None:  # type: ignore[no-untyped-def]
    _, _, report = warehouse
    found = {(f.kind, f.message_id): f for f in report.coordination.failures}
    assert set(found) == {
        ("late", "M1"), ("not_sent", "X1"), ("lost", "M4"), ("lost", "M5"), ("lost", "M6"),
        ("not_relayed", "M7"), ("late", "M8"),
    }
    assert found[("not_sent", "X1")].element is Element.PLANNING  # no plan says the operator tells the fire
    assert found[("lost", "M4")].link == ("fire", "operator")  # named by the log
    assert found[("lost", "M5")].link == ("operator", "fire")  # the link was down
    assert {found[("lost", m)].element for m in ("M4", "M5")} == {Element.EQUIPMENT}
    assert found[("lost", "M6")].link is None and found[("lost", "M6")].element is Element.PLANNING
    assert found[("late", "M1")].due_at == 15 * 60 and "EOC notified" in found[("late", "M1")].due_source
    assert found[("late", "M8")].due_at == 52 * 60 and found[("late", "M8")].due_source == "the time the log gives"
    assert found[("not_relayed", "M7")].relay_to_name == "Warehouse Operator"
    assert found[("not_relayed", "M7")].element is Element.ORGANIZATION
    assert found[("lost", "M4")].capability == "Operational Communications"


def test_a_chased_notification_is_one_request_answered_from_the_first_ask(warehouse) -> None:  # type: ignore[no-untyped-def]
    _, _, report = warehouse
    eoc = [f for f in report.findings if f.protocol_id == "EOC-01"]
    assert [(f.status, f.triggered_at, f.done_at) for f in eoc] == [(Status.MET, 5 * 60, 25 * 60)]
    assert not [f for f in report.coordination.failures if f.kind == "unanswered"]  # M3 answered M1 and M2


def test_the_summary_and_the_improvement_plan_name_each_failure(warehouse) -> None:  # type: ignore[no-untyped-def]
    _, _, report = warehouse
    summary = report.executive_summary
    assert summary is not None
    assert "7 information failures: 1 message not sent, 3 sent and lost, 2 delivered late, 1 not passed on" in summary.overview
    points = " ".join(p.text for p in summary.areas_for_improvement)
    plan = " ".join(f"{i.issue} {i.corrective_action}" for i in report.improvement_plan)
    for words in ("Warehouse Operator did not send Town Fire Department", "Two staff missing in the cold store",
                  "lost on the radio link between Town Fire Department and Warehouse Operator",
                  "38 of 40 staff are out", "Need shelter for 40 staff\u201d sent but never received",
                  "Working fire at warehouse 7", "after it was due", "Stand the wardens down",
                  "did not pass the message from Town Fire Department"):
        assert words in points, words
        assert words in plan, words
    rows = {i.key.split(":")[1] + ":" + str(i.element) for i in report.improvement_plan if i.key.startswith("information:")}
    assert {"not_sent:planning", "lost:equipment", "lost:planning", "late:training", "not_relayed:organization"} <= {
        r.replace("Element.", "").lower() for r in rows}
    assert any("Repair and test the radio link" in i.corrective_action for i in report.improvement_plan)
    assert any("confirmation of receipt" in i.corrective_action for i in report.improvement_plan)


def test_ics_205a_blames_a_link_only_where_it_failed(warehouse) -> None:  # type: ignore[no-untyped-def]
    scenario, journal, _ = warehouse
    form = ics205a(scenario, journal, incident_name="Warehouse", day=date(2026, 3, 14))
    states = {(row.agency, row.channel): row.state for row in form.rows}
    assert "2 message(s) lost on it" in states[("Town Fire Department", "radio")]
    assert "lost" not in states[("Town Fire Department", "phone")]  # M6: nothing failed on the phone line
    fire = ics214(scenario, journal, "fire", incident_name="Warehouse", day=date(2026, 3, 14))
    operator = ics214(scenario, journal, "operator", incident_name="Warehouse", day=date(2026, 3, 14))
    texts = [a.text for a in fire.activities]
    assert any("M6" in t and "no failed link is known" in t for t in texts)
    assert any(t.startswith("Did not send message X1 to Town Fire Department") for t in (a.text for a in operator.activities))


def test_the_coordination_headline_agrees_with_the_rows(warehouse) -> None:  # type: ignore[no-untyped-def]
    from aar.document import Para, build_document

    _, _, report = warehouse
    texts = [" ".join(r.text for r in b.runs) for b in build_document(report) if isinstance(b, Para)]
    headline = next(t for t in texts if " messages sent, " in t)
    assert f"{len(report.coordination.unanswered_messages)} never answered" in headline
    assert "1 the record says should have been sent and were not" in headline


def test_a_public_inquirys_failures_are_named_in_the_summary_and_plan() -> None:
    """The arena fixture (our own, modelled on a public inquiry): the police declare a major incident
    without telling the fire or ambulance service; the fire service is told only by a resource
    request at 00:10."""
    scenario = load_scenario(DATA / "scenarios" / "arena_attack.yaml")
    files = {k: (f"{k}.csv", (DATA / "arena_log" / f"{k}.csv").read_bytes())
             for k in ("actions", "messages", "requests", "answers")}
    journal = _journal(scenario, files, RealClock.parse("2026-05-22 22:30", "Europe/London"))
    start = datetime(2026, 5, 22, 22, 30, tzinfo=ZoneInfo("Europe/London"))
    report = _report(scenario, journal, RealTime(start=start, timezone="Europe/London"))
    summary = report.executive_summary
    assert summary is not None
    points = " ".join(p.text for p in summary.areas_for_improvement)
    plan = " ".join(i.issue for i in report.improvement_plan)
    for told in ("City Police did not send City Fire and Rescue Service the message due at 22:47 BST",
                 "City Police did not send Regional Ambulance Service the message due at 22:47 BST"):
        assert told in points and told in plan
    assert "Major incident declared at the arena" in points
    not_sent = [i for i in report.improvement_plan if i.key.startswith("information:not_sent")]
    assert {i.element for i in not_sent} == {Element.TRAINING}  # the plan required it; nobody did it
    assert all(i.responsible_agency == "City Police" for i in not_sent)
    # a not-sent message is no link's failure
    assert not any(link.lost for link in report.coordination.links)
    form = ics205a(scenario, journal, incident_name="Arena", day=date(2026, 5, 22))
    assert not any("lost" in row.state for row in form.rows)
    # the fire service learnt of the explosion from the police's request for engines at 00:10
    deploy = next(f for f in report.findings if f.protocol_id == "FIRE-DEPLOY")
    assert deploy.status is Status.MET and deploy.told_at == 100 * 60
    assert any(ev.role == "told" and "asked City Fire and Rescue Service for 2" in ev.summary for ev in deploy.evidence)
    marks = {(m.kind, m.lane) for m in report.timeline}
    assert {("not_sent", "police"), ("message_lost", "fire")} <= marks
    assert next(a for a in report.coordination.agencies if a.agency == "police").not_sent == 2
    # the Word copy draws the same: the summary's point and the section's rows
    import io

    import docx

    from aar.render.word import render_docx

    document = docx.Document(io.BytesIO(render_docx(report)))
    words = "\n".join([p.text for p in document.paragraphs]
                      + [c.text for t in document.tables for row in t.rows for c in row.cells])
    assert words.count("City Police did not send City Fire and Rescue Service the message due at 22:47 BST") >= 3
    assert "Information failures" in words


def test_the_simulations_lost_messages_are_not_findings_a_players_are() -> None:
    """In a live exercise the EOC and the operator are the simulation's: a message of theirs dropped
    by a link's simulated reliability is no one's failure; the fire player's lost message is."""
    from exercises.record.entries import ENGINE_ACTOR, ClockStarted, MessageLost, MessageSent

    scenario = load_scenario(WAREHOUSE)

    def entry(seq: int, agency: str | None, actor: str, payload: object) -> Entry:
        return Entry.model_validate({"seq": seq, "at": seq * 60.0, "agency": agency, "actor": actor, "payload": payload})

    journal = [
        entry(1, None, "controller", ClockStarted()),
        entry(2, "eoc", ENGINE_ACTOR, MessageLost(message_id="sim-1", sender="eoc", to="fire", reason="lost on link eoc-fire",
                                                  lost_on=("eoc", "fire"))),
        entry(3, "fire", "player:fire (Ana)", MessageSent(message_id="p1", to="operator", text="Head count?")),
        entry(4, "fire", ENGINE_ACTOR, MessageLost(message_id="p1", sender="fire", to="operator",
                                                   reason="lost on link fire-operator", lost_on=("fire", "operator"))),
    ]
    failures = _report(scenario, journal).coordination.failures
    assert [(f.kind, f.message_id, f.element) for f in failures] == [("lost", "p1", Element.EQUIPMENT)]


def test_a_players_inbox_says_where_a_message_was_lost_in_names() -> None:
    """The sender's inbox names the link's agencies, never the ids the record keeps ('fire-operator')."""
    from exercises.record.entries import ClockStarted, MessageLost, MessageSent
    from exercises.views.timeline import inbox

    scenario = load_scenario(WAREHOUSE)
    journal = [
        Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted()),
        Entry(seq=2, at=60.0, agency="fire", actor="player:fire (Ana)",
              payload=MessageSent(message_id="p1", to="operator", text="Head count?")),
        Entry(seq=3, at=60.0, agency="fire", actor="engine",
              payload=MessageLost(message_id="p1", sender="fire", to="operator", reason="lost on link fire-operator",
                                  lost_on=("fire", "operator"))),
    ]
    (lost,) = [i for i in inbox(scenario, journal, "fire") if i.kind == "message_lost"]
    names = {a.id: a.name for a in scenario.agencies}
    assert lost.text == f"lost on the link between {names['fire']} and {names['operator']}"
