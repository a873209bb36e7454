"""One scoring rule: the console's protocol clock, the report's findings and the simulated baseline
give the same instances with the same statuses on the same journal (exercises.scoring).

The journals are random (tests/journals.py): several triggers, repeated and late actions,
before-trigger protocols, corrections and voids, statements, fractions of a second. The
reproduction of issue 20 (two notifications, one activation) is a named test, scored since issue 21
as one request chased once."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from typer.testing import CliRunner

from aar.record import build_record
from aar.scoring import finding_sentence, findings
from exercises.record.corrections import effective
from exercises.record.entries import (
    ActionLogged,
    ClockEnded,
    Development,
    Entry,
    InjectDelivered,
    StatementIssued,
)
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import PlayedBy, Repeats, Scenario
from exercises.scoring import Mark, Status, match_instances
from exercises.service.exercise_service import ExerciseService
from exercises.views import protocol_clock
from hotwash.cli import app
from sim_engine.record import Happening, of_entry
from sim_engine.scoring import score_protocols
from tests.journals import ROOT, journals, scenario_with_variants

WAREHOUSE = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"
Row = tuple[str, int, Status, int, float, float]


def _ended(items: list[Entry], now: float, ended: bool) -> list[Entry]:
    """The journal as the report reads it at ``now``: ended there when play has ended."""
    if not ended:
        return items
    return [*items, Entry(seq=len(items) + 1, at=now, agency=None, actor="controller", payload=ClockEnded())]


def console_rows(scenario: Scenario, items: list[Entry], now: float, ended: bool) -> list[Row]:
    return sorted(
        (i.protocol_id, i.trigger_seq, i.status, i.done_seq or -1, i.due_at, i.late_by or -1.0)
        for i in protocol_clock(scenario, items, now, ended=ended)
    )


def report_rows(scenario: Scenario, items: list[Entry]) -> list[Row]:
    rows = []
    for f in findings(scenario, build_record(scenario, items)):
        if f.status is Status.NOT_TRIGGERED:
            continue
        trigger = next(ev for ev in f.evidence if ev.role == "trigger")
        done = next((ev.seq for ev in f.evidence if ev.role == "expected action"), -1)
        assert f.deadline_at is not None
        rows.append((f.protocol_id, trigger.seq, f.status, done, f.deadline_at, f.late_by_s or -1.0))
    return sorted(rows)


def _happening(entry: Entry) -> Happening:
    """What the engine would have recorded: a statement is its action in the run's record."""
    if isinstance(entry.payload, StatementIssued):
        entry = entry.model_copy(update={"payload": ActionLogged(action=entry.payload.action)})
    return of_entry(entry)


def baseline_rows(scenario: Scenario, items: list[Entry], end: float) -> list[tuple[str, float, str, float]]:
    """The engine scores its own record: the corrected journal in record order, without the clock's
    start (a run starts at 0:00 by itself) or entries the engine never makes."""
    record = [
        _happening(e)
        for e in sorted(effective(items), key=lambda e: (e.at, e.seq))
        if isinstance(e.payload, ActionLogged | StatementIssued | InjectDelivered | Development)
    ]
    return sorted((i.protocol_id, i.triggered_at, i.outcome, i.done_at if i.done_at is not None else -1.0)
                  for i in score_protocols(scenario, record, end))


def _as_baseline(rows: list[Row], items: list[Entry]) -> list[tuple[str, float, str, float]]:
    at = {e.seq: e.at for e in items}
    return sorted((r[0], at[r[1]], r[2], at.get(r[3], -1.0)) for r in rows)


@settings(max_examples=150, deadline=None)
@given(journal=journals())
def test_the_console_and_the_report_score_alike(journal: tuple[str, list[Entry], float, bool]) -> None:
    name, items, now, ended = journal
    scenario = scenario_with_variants(name)
    full = _ended(items, max([now, *(e.at for e in items)]), ended)
    record = build_record(scenario, full)
    assert console_rows(scenario, full, record.end, ended) == report_rows(scenario, full)


def simulated_throughout(scenario: Scenario) -> Scenario:
    """The scenario as a simulated run plays it: the simulation plays every agency, so every event
    reaches every agency as it is raised."""
    agencies = tuple(a.model_copy(update={"played_by": PlayedBy.SIMULATION}) for a in scenario.agencies)
    return scenario.model_copy(update={"agencies": agencies})


@settings(max_examples=150, deadline=None)
@given(journal=journals(started=True))
def test_the_console_the_report_and_the_baseline_score_alike(
    journal: tuple[str, list[Entry], float, bool],
) -> None:
    """A run's record and a played journal of the same happenings: the same instances, statuses,
    trigger and answer times (a run is always scored at its end)."""
    name, items, now, _ = journal
    scenario = simulated_throughout(scenario_with_variants(name))
    full = _ended(items, now, True)
    console = console_rows(scenario, full, now, True)
    assert console == report_rows(scenario, full)
    assert _as_baseline(console, full) == baseline_rows(scenario, items, now)


def test_one_action_answers_one_trigger_and_a_standing_one_every_later_trigger() -> None:
    """The rule in its smallest cases: within (one-to-one, whole seconds) and before-trigger
    (standing, then out of order, then overdue or missed)."""
    triggers = [Mark(300.0, 2), Mark(480.0, 3)]
    answer = [Mark(720.4, 4)]
    first, second = match_instances(triggers, answer, within=420.0, before_trigger=False, now=901.0, ended=True)
    assert (first.status, first.answer, second.status) == (Status.MET, 0, Status.MISSED)
    assert match_instances(triggers, [Mark(720.6, 4)], within=420.0, before_trigger=False, now=900.0,
                           ended=False)[0][2:5] == (Status.LATE, 720.0, 1.0)
    assert [m.status for m in match_instances(triggers, [], within=420.0, before_trigger=False,
                                              now=720.4, ended=False)] == [Status.PENDING, Status.PENDING]
    standing = match_instances(triggers, [Mark(60.0, 1)], within=None, before_trigger=True, now=900.0, ended=True)
    assert [m.status for m in standing] == [Status.MET, Status.MET]
    after = match_instances(triggers, [Mark(400.0, 5)], within=None, before_trigger=True, now=900.0, ended=True)
    assert [(m.status, m.late_by) for m in after] == [(Status.OUT_OF_ORDER, 100.0), (Status.MET, None)]
    never = match_instances(triggers, [], within=None, before_trigger=True, now=900.0, ended=False)
    assert [m.status for m in never] == [Status.OVERDUE, Status.OVERDUE]


LOG = """time,agency,action,text
00:01,fire,establish_command,IC at the gate
00:05,fire,notify_eoc,first call
00:08,fire,notify_eoc,second call
00:12,eoc,activate_eoc,
"""


def _import(tmp_path: Path, scenario: Path, log: str) -> tuple[ExerciseService, int]:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    path = tmp_path / "log.csv"
    path.write_text(log)
    result = CliRunner().invoke(app, ["import", str(scenario), str(path)], env={"HOTWASH_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return ExerciseService.open(url), int(re.search(r"Exercise (\d+)", result.output).group(1))  # type: ignore[union-attr]


def _three_ways(service: ExerciseService, exercise: int, scenario: Scenario, protocol: str) -> list[list[object]]:
    """The protocol's instances as (status, done at) by the console's clock, the report and the
    baseline's scoring of the same happenings."""
    journal = list(service.journal(service.operator(exercise)))
    record = build_record(scenario, journal)
    clock = [(p.status, p.done_at) for p in protocol_clock(scenario, journal, record.end, ended=True)
             if p.protocol_id == protocol]
    report = [(f.status, f.done_at) for f in findings(scenario, record) if f.protocol_id == protocol]
    run = [_happening(e) for e in effective(journal) if isinstance(e.payload, ActionLogged | InjectDelivered)]
    baseline = [(i.outcome, i.done_at) for i in score_protocols(scenario, run, record.end)
                if i.protocol_id == protocol]
    return [clock, report, baseline]


def test_a_notification_chased_while_unanswered_is_a_reminder_of_the_first(tmp_path: Path) -> None:
    """Issue 20's journal, scored by issue 21's rule: fire notifies the EOC at 0:05 and, unanswered,
    again at 0:08; the EOC activates at 0:12. One request chased, answered in 7 minutes from the first
    ask (issue 20 scored the second call as a request of its own, missed). The console's clock (as
    the service serves it), the report and the baseline agree, and the report names the reminder."""
    service, exercise = _import(tmp_path, WAREHOUSE, LOG)
    scenario = load_scenario(WAREHOUSE)
    served = [(p.status, p.done_at) for p in service.protocol_clock(service.operator(exercise))
              if p.protocol_id == "EOC-01"]
    assert served == [(Status.MET, 720.0)]
    for found in _three_ways(service, exercise, scenario, "EOC-01"):
        assert found == served
    journal = list(service.journal(service.operator(exercise)))
    record = build_record(scenario, journal)
    (finding,) = [f for f in findings(scenario, record) if f.protocol_id == "EOC-01"]
    assert [ev.at for ev in finding.evidence if ev.role == "reminder"] == [480.0]
    assert finding.response_s == 420.0
    assert "chased 1 time (at 0:08), counted from the first ask" in finding_sentence(finding, record)


AFTER_ANSWER = LOG + "00:20,fire,notify_eoc,third call after activation\n"


def test_a_repeat_after_the_answer_or_under_new_request_is_its_own_instance(tmp_path: Path) -> None:
    """A notification after the EOC answered is a new request; a plan that says ``repeats:
    new_request`` makes every repeat one (issue 20's reading, on purpose)."""
    service, exercise = _import(tmp_path, WAREHOUSE, AFTER_ANSWER)
    scenario = load_scenario(WAREHOUSE)
    for found in _three_ways(service, exercise, scenario, "EOC-01"):
        assert found == [(Status.MET, 720.0), (Status.MISSED, None)]
    each = scenario.model_copy(update={"protocols": tuple(
        p.model_copy(update={"repeats": Repeats.NEW_REQUEST}) for p in scenario.protocols)})
    for found in _three_ways(service, exercise, each, "EOC-01"):
        assert found == [(Status.MET, 720.0), (Status.MISSED, None), (Status.MISSED, None)]
