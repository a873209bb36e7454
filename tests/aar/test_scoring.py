"""A hand-built journal with known timings gives exactly the expected findings, ratings,
coordination figures, baseline sentences and improvement plan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from aar.model import AfterActionReport, Element, RecordIntegrity, Status
from aar.render.pdf import render_pdf
from aar.report import build_report
from aar.scoring import finding_sentence
from exercises.record.entries import (
    ActionLogged,
    ClockEnded,
    ClockStarted,
    Correction,
    Development,
    ImprovementItemEdited,
    InjectDelivered,
    MessageDelivered,
    MessageSent,
    ObservationRecorded,
    ResourceAssigned,
    ResourceRequested,
)
from exercises.scenario.model import PlayedBy, Rating, Scenario
from sim_engine.batch.results import BatchResult, ProtocolStats
from tests.aar.builders import Journal, example_scenario, pdf_text, squash

DAY = date(2025, 5, 14)
INTACT = RecordIntegrity(entries=0, intact=True, head_hash="ab" * 32)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return example_scenario(tmp_path_factory.mktemp("scenario"))


def exercise_journal() -> Journal:
    j = Journal()
    j.add(0, None, ClockStarted(), actor="controller")  # 1
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire", "operator")), actor="engine")  # 2
    wrong = j.add(5, "fire", ActionLogged(action="head_count", text="typo: meant command"))  # 3
    j.add(8, "fire", ActionLogged(action="enter_building"))  # 4: trigger of ORD-01
    j.add(9, "fire", ActionLogged(action="size_up"))  # 5: after the entry -> out of order
    j.add(19, "fire", ActionLogged(action="notify_eoc"))  # 6: 4 min past the 15-min deadline
    bogus = j.add(20, "eoc", ActionLogged(action="activate_eoc"))  # 7: voided below
    j.add(21, "fire", MessageSent(message_id="m1", to="eoc", text="Need a duty officer"))  # 8
    j.add(22, "eoc", MessageDelivered(message_id="m1", sender="fire", to="eoc", path=("fire", "eoc"), sent_at=21 * 60))
    j.add(23, "fire", ResourceRequested(request_id="r1", to="operator", unit_type="floor_warden", count=2))  # 10
    j.add(24, "fire", ResourceRequested(request_id="r2", to="eoc", unit_type="duty_officer", count=1))  # 11
    j.add(26, "eoc", ResourceAssigned(request_id="r2", requester="fire", unit_type="duty_officer", count=1))
    j.add(30, None, InjectDelivered(inject_id="WF-03", to=("fire",)), actor="engine")  # 13: link down
    j.add(31, None, Correction(corrects=wrong, reason="wrong action picked",
                               replacement=ActionLogged(action="establish_command", inject_id="WF-01")))  # 14
    j.add(32, None, Correction(corrects=bogus, reason="logged by mistake"))  # 15
    j.add(40, None, ObservationRecorded(capability="Operational Communications", rating=Rating.M,
                                         strengths="Clear radio discipline.",
                                         areas_for_improvement="EOC notification waited for the first size-up."),
          actor="evaluator-1")  # 16
    j.add(45, None, Development(model="fire", what="zone_spread", detail={"zone": 2}), actor="engine")  # 17
    j.add(50, None, ImprovementItemEdited(item_key="protocol:NOT-01",
                                          fields={"element": "equipment", "completion_date": "2025-09-30",
                                                  "point_of_contact": "Chief Rivera"}), actor="controller")
    j.add(51, None, ImprovementItemEdited(item_key="protocol:NOT-01", fields={"start_date": "not a date"}),
          actor="controller")  # 19: refused
    j.add(120, None, ClockEnded(), actor="controller")  # 20
    return j


def report_for(scenario: Scenario, journal: Journal, **kw: object) -> AfterActionReport:
    return build_report(
        scenario,
        journal.entries,
        exercise_name="Riverside TTX",
        exercise_dates=(DAY, DAY),
        integrity=INTACT,
        **kw,  # type: ignore[arg-type]
    )


def test_findings_are_exactly_the_expected_ones(scenario: Scenario) -> None:
    report = report_for(scenario, exercise_journal())
    got = {(f.protocol_id, f.instance): f for f in report.findings}
    assert set(got) == {("IC-01", 1), ("NOT-01", 1), ("EOC-01", 1), ("ORD-01", 1), ("RIT-01", 0)}

    ic = got[("IC-01", 1)]
    assert ic.status is Status.MET
    assert (ic.triggered_at, ic.deadline_at, ic.done_at) == (0.0, 600.0, 300.0)
    # The corrected entry is the evidence, and says it was corrected.
    assert [(e.role, e.seq, e.corrected_by) for e in ic.evidence] == [("trigger", 2, None), ("expected action", 3, 14)]

    late = got[("NOT-01", 1)]
    assert late.status is Status.LATE
    assert late.late_by_s == 4 * 60
    assert (late.deadline_at, late.done_at) == (15 * 60, 19 * 60)
    assert [e.seq for e in late.evidence] == [2, 6]

    missed = got[("EOC-01", 1)]
    assert missed.status is Status.MISSED  # the only activation was voided by a correction
    assert (missed.triggered_at, missed.deadline_at) == (19 * 60, 49 * 60)
    assert [e.seq for e in missed.evidence] == [6]

    order = got[("ORD-01", 1)]
    assert order.status is Status.OUT_OF_ORDER
    assert order.deadline_at == 8 * 60 and order.late_by_s == 60
    assert [e.seq for e in order.evidence] == [4, 5]

    assert got[("RIT-01", 0)].status is Status.NOT_TRIGGERED
    assert got[("RIT-01", 0)].evidence == ()


def test_ratings_follow_the_stated_rule_and_evaluators_win(scenario: Scenario) -> None:
    report = report_for(scenario, exercise_journal())
    rows = {(r.objective, r.capability): r for r in report.table1}
    coord = rows[("obj_command", "Operational Coordination")]
    assert coord.computed is Rating.M and "EOC activated once notified (Town EOC)" in coord.computed_reason  # non-critical missed
    assert coord.of_record is Rating.M
    comms = rows[("obj_command", "Operational Communications")]
    assert comms.computed is Rating.S  # critical, 4 min late on a 15 min allowance
    assert [e.rating for e in comms.evaluator] == [Rating.M]
    assert comms.of_record is Rating.M  # the evaluator's rating is the one of record
    rescue = rows[("obj_life_safety", "Mass Search and Rescue Operations")]
    assert rescue.computed is None and rescue.of_record is None
    fire = rows[(None, "Fire Management and Suppression")]
    assert fire.computed is Rating.M  # critical task out of order
    objectives = {o.objective: o for o in report.objectives}
    assert objectives["obj_command"].rating is Rating.M
    areas = [n.text for n in objectives["obj_command"].areas_for_improvement]
    assert any("EOC notified" in t and "late by 4 min" in t for t in areas)
    assert "EOC notification waited for the first size-up." in areas
    assert any("Incident command established" in n.text for n in objectives["obj_command"].strengths)


def test_critical_late_by_more_than_its_allowance_is_major(scenario: Scenario) -> None:
    j = Journal()
    j.add(0, None, ClockStarted())
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire",)))
    j.add(2, "fire", ActionLogged(action="establish_command"))
    j.add(31, "fire", ActionLogged(action="notify_eoc"))  # 16 min late on a 15 min allowance
    j.add(40, "eoc", ActionLogged(action="activate_eoc"))
    rows = {r.capability: r for r in report_for(scenario, j).table1}
    assert rows["Operational Communications"].computed is Rating.M
    assert rows["Operational Coordination"].computed is Rating.P


def test_each_trigger_instance_is_matched_once_in_time_order(scenario: Scenario) -> None:
    j = Journal()
    j.add(0, None, ClockStarted())
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire",)))
    j.add(3, "fire", ActionLogged(action="establish_command"))
    j.add(50, None, InjectDelivered(inject_id="WF-01", to=("fire",)))  # reported again
    j.add(70, "fire", ActionLogged(action="establish_command"))  # 10 min late for the second
    j.add(100, None, Development(model="fire", what="collapse", raises=("mayday",)))
    j.add(101, "fire", ActionLogged(action="deploy_rit"))
    j.add(115, None, Development(model="fire", what="collapse", raises=("mayday",)))  # due after the end
    j.add(116, None, ClockEnded())
    found = {(f.protocol_id, f.instance): f for f in report_for(scenario, j).findings}
    assert found[("IC-01", 1)].status is Status.MET and found[("IC-01", 1)].done_at == 180
    assert found[("IC-01", 2)].status is Status.LATE and found[("IC-01", 2)].late_by_s == 600
    # The collapses are the simulation's developments: no inject told the fire players of them.
    assert [found[("RIT-01", n)].status for n in (1, 2)] == [Status.NOT_REACHED] * 2


def test_an_event_that_never_reached_the_agency_is_not_its_miss(scenario: Scenario) -> None:
    """A collapse the simulation raised reached no player (no inject carried it): the finding says
    it never reached the fire department, and it counts neither as a miss nor in the rating. The same
    event carried by an inject to fire is fire's to answer, from the inject's delivery."""
    j = Journal()
    j.add(0, None, ClockStarted())
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire",)))
    j.add(2, "fire", ActionLogged(action="establish_command"))
    j.add(10, None, Development(model="fire", what="collapse", raises=("mayday",)))
    j.add(30, None, ClockEnded())
    report = report_for(scenario, j)
    (rit,) = [f for f in report.findings if f.protocol_id == "RIT-01"]
    assert rit.status is Status.NOT_REACHED
    sentence = finding_sentence(rit)
    assert "never reached Town Fire Department" in sentence and "not counted as its miss" in sentence
    counted = next(c for c in report.by_protocol if c.name == "RIT-01")
    assert (counted.missed, counted.not_reached, counted.scored) == (0, 1, 0)
    fire = next(c for c in report.by_agency if c.name == "fire")
    assert fire.not_reached == 1 and fire.missed == sum(
        f.status is Status.MISSED for f in report.findings if f.agency == "fire")
    assert all("RIT-01" not in item.issue for item in report.improvement_plan)
    text = squash(pdf_text(render_pdf(report)))
    assert squash("Never reached the agency responsible") in text
    assert squash("Rapid intervention after a mayday Town Fire Department") in text


def test_an_event_carried_to_another_agency_only_is_not_reached_for_this_one(scenario: Scenario) -> None:
    """A protocol of the EOC (played) on 'incident reported': the inject told only the fire
    department, so the EOC was never told by it; the fire department's protocol on the same inject
    runs. Played by the simulation, the EOC knows at once (the simulation reacts as events are raised)."""
    played = tuple(a.model_copy(update={"played_by": PlayedBy.PLAYERS}) if a.id == "eoc" else a
                   for a in scenario.agencies)
    bound = scenario.model_copy(update={"agencies": played, "protocols": (
        *scenario.protocols,
        next(p for p in scenario.protocols if p.id == "IC-01").model_copy(
            update={"id": "EOC-X", "agency": "eoc", "action": "activate_eoc"}),
    )})
    j = Journal()
    j.add(0, None, ClockStarted())
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire",)))
    j.add(30, None, ClockEnded())
    found = {f.protocol_id: f.status for f in report_for(bound, j).findings}
    assert found["EOC-X"] is Status.NOT_REACHED
    assert found["IC-01"] is Status.MISSED
    simulated = bound.model_copy(update={"agencies": scenario.agencies})
    assert {f.protocol_id: f.status for f in report_for(simulated, j).findings}["EOC-X"] is Status.MISSED


def _eoc_played(scenario: Scenario) -> Scenario:
    played = tuple(a.model_copy(update={"played_by": PlayedBy.PLAYERS}) for a in scenario.agencies)
    extra = next(p for p in scenario.protocols if p.id == "IC-01").model_copy(
        update={"id": "EOC-X", "agency": "eoc", "action": "activate_eoc"})
    return scenario.model_copy(update={"agencies": played, "protocols": (*scenario.protocols, extra)})


def test_an_event_passed_on_by_message_runs_from_the_message(scenario: Scenario) -> None:
    """The inject told the fire department at 0:00; fire's message reached the (played) EOC at 0:05:
    the EOC's 10-minute clock runs from 0:05, so activating at 0:12 is met, in 7 minutes. A message
    from an agency that did not know (the warehouse operator, whom no one told) tells no one."""
    j = Journal()
    j.add(0, None, ClockStarted())
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire",)))
    j.add(3, "eoc", MessageDelivered(message_id="x", sender="operator", to="eoc", path=("operator", "eoc"),
                                     sent_at=170))
    j.add(5, "eoc", MessageDelivered(message_id="m", sender="fire", to="eoc", path=("fire", "eoc"), sent_at=280))
    j.add(12, "eoc", ActionLogged(action="activate_eoc"))
    j.add(40, None, ClockEnded())
    (eoc,) = [f for f in report_for(_eoc_played(scenario), j).findings if f.protocol_id == "EOC-X"]
    assert (eoc.status, eoc.told_at, eoc.deadline_at, eoc.response_s) == (Status.MET, 300, 900, 420)
    assert "it reached Town EOC at 0:05" in finding_sentence(eoc)
    assert [ev.summary for ev in eoc.evidence if ev.role == "told"] == [
        "message from Town Fire Department delivered to Town EOC"]


def test_coordination_figures(scenario: Scenario) -> None:
    coord = report_for(scenario, exercise_journal()).coordination
    links = {frozenset(link.between): link for link in coord.links}
    assert links[frozenset({"fire", "eoc"})].messages == 1
    assert links[frozenset({"fire", "eoc"})].mean_delay_s == 60
    assert links[frozenset({"fire", "operator"})].down_intervals == ((30 * 60, None),)
    agencies = {a.agency: a for a in coord.agencies}
    assert agencies["operator"].cut_off == ((30 * 60, None),)
    assert "Cut off from Town Fire Department 0:30 to the end" in agencies["operator"].explanation
    assert agencies["fire"].betweenness == 1.0  # every path between the others runs through it
    assert "only route to fire" not in agencies["fire"].explanation
    assert agencies["operator"].requests_unanswered == 1
    requests = {r.request_id: r for r in coord.requests}
    assert requests["r1"].answered_at is None
    assert requests["r2"].delay_s == 120
    injects = {(i.inject_id, i.delivered_seq): i for i in coord.injects}
    assert injects[("WF-01", 2)].delay_s == 300 and injects[("WF-01", 2)].acted_seq == 3
    assert injects[("WF-03", 13)].acted_at is None


def test_improvement_plan_draft_and_edits(scenario: Scenario) -> None:
    report = report_for(scenario, exercise_journal())
    rows = {r.key: r for r in report.improvement_plan}
    # EOC-01 is not critical; the EOC never answered the fire's message m1: an information failure
    assert set(rows) == {"protocol:NOT-01", "protocol:ORD-01", "observation:16", "information:unanswered:eoc:fire"}
    unanswered = rows["information:unanswered:eoc:fire"]
    assert unanswered.element is Element.TRAINING and unanswered.responsible_agency == "Town EOC"
    assert "Need a duty officer" in unanswered.issue
    notify = rows["protocol:NOT-01"]
    assert notify.element is Element.EQUIPMENT and notify.element_reason == "set by a controller"
    assert notify.completion_date == date(2025, 9, 30)
    assert notify.point_of_contact == "Chief Rivera"
    assert notify.start_date is None  # empty until set; the bad edit was refused
    assert notify.edited_by == (18,)
    assert any("entry 19" in n and "start_date" in n for n in report.notes)
    order = rows["protocol:ORD-01"]
    assert order.corrective_action == "Drill the size-up checklist with every company officer."
    # Nothing declares its element: it is left to be set, never guessed from the word "Drill".
    assert order.element is None and "to be set" in order.element_reason
    assert order.responsible_agency == "Town Fire Department"
    assert order.start_date is None and order.completion_date is None
    observed = rows["observation:16"]
    assert observed.element is None and observed.responsible_agency == ""  # the observation names none


def test_baseline_sentences(scenario: Scenario) -> None:
    batch = BatchResult(
        scenario_id="warehouse_fire",
        runs=200,
        seed=1,
        protocols=(
            ProtocolStats(protocol_id="NOT-01", title="EOC notified", agency="fire", critical=True,
                          triggered_share=1.0, met_share=0.95, response_median_s=540.0, response_p90_s=840.0,
                          deadline_s=900.0),
        ),
        agencies=(),
        links=(),
        bottlenecks=("The single EOC duty officer limits activation.",),
    )
    report = report_for(scenario, exercise_journal(), baseline=batch)
    assert report.baseline is not None
    (cmp,) = report.baseline.comparisons
    assert cmp.sentence == "EOC notified: 19 min; simulated teams following the plan: median 9 min, p90 14 min."
    assert cmp.verdict == "slower than 9 in 10 simulated runs"
    other = batch.model_copy(update={"scenario_id": "elsewhere"})
    assert report_for(scenario, exercise_journal(), baseline=other).baseline is None


def test_json_carries_every_finding_with_evidence(scenario: Scenario, tmp_path: Path) -> None:
    report = report_for(scenario, exercise_journal())
    data = json.loads(report.model_dump_json())
    assert len(data["findings"]) == len(report.findings) == 5
    late = next(f for f in data["findings"] if f["protocol_id"] == "NOT-01")
    assert late["status"] == "late" and late["late_by_s"] == 240
    assert [e["seq"] for e in late["evidence"]] == [2, 6]
    assert AfterActionReport.model_validate_json(report.model_dump_json()) == report


def test_done_exactly_at_the_deadline_is_met_and_a_second_later_is_late(scenario: Scenario) -> None:
    j = Journal()
    j.add(0, None, ClockStarted())
    j.add(0, None, InjectDelivered(inject_id="WF-01", to=("fire",)))
    j.add(10, "fire", ActionLogged(action="establish_command"))  # "within 10m": 0:10:00 counts
    j.add(15 + 1 / 60, "fire", ActionLogged(action="notify_eoc"))  # one second past 0:15:00
    j.add(60, None, ClockEnded())
    found = {f.protocol_id: f for f in report_for(scenario, j).findings}
    assert found["IC-01"].status is Status.MET
    assert found["NOT-01"].status is Status.LATE
    assert found["NOT-01"].late_by_s == pytest.approx(1.0)
