"""One scoring rule: the console's protocol clock, the report's findings and the simulated baseline
give the same instances with the same statuses on the same journal (exercises.scoring).

The journals are random (tests/journals.py): several triggers, repeated and late actions,
before-trigger protocols, corrections and voids, statements, fractions of a second. The
reproduction of issue 20 (two notifications, one activation) is a named test."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from typer.testing import CliRunner

from aar.record import build_record
from aar.scoring import findings
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
from exercises.scenario.model import Scenario
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


@settings(max_examples=150, deadline=None)
@given(journal=journals(started=True))
def test_the_console_the_report_and_the_baseline_score_alike(
    journal: tuple[str, list[Entry], float, bool],
) -> None:
    """A run's record and a played journal of the same happenings: the same instances, statuses,
    trigger and answer times (a run is always scored at its end)."""
    name, items, now, _ = journal
    scenario = scenario_with_variants(name)
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
                           ended=False)[0][2:] == (Status.LATE, 720.0, 1.0)
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


def test_issue_20_two_notifications_one_activation(tmp_path: Path) -> None:
    """The reproduction: fire notifies the EOC twice, the EOC activates once. The console's clock, the
    report and the baseline agree: the first notification answered, the second never."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    result = CliRunner().invoke(app, ["import", str(WAREHOUSE), str(log)], env={"HOTWASH_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    exercise = int(re.search(r"Exercise (\d+)", result.output).group(1))  # type: ignore[union-attr]
    service = ExerciseService.open(url)
    operator = service.operator(exercise)
    scenario = load_scenario(WAREHOUSE)
    journal = list(service.journal(operator))
    clock = [(p.status, p.done_at) for p in service.protocol_clock(operator) if p.protocol_id == "EOC-01"]
    assert clock == [(Status.MET, 720.0), (Status.MISSED, None)]
    report = [(f.status, f.done_at) for f in findings(scenario, build_record(scenario, journal))
              if f.protocol_id == "EOC-01"]
    assert report == clock
    end = build_record(scenario, journal).end
    run = [_happening(e) for e in effective(journal) if isinstance(e.payload, ActionLogged | InjectDelivered)]
    baseline = [(i.outcome, i.done_at) for i in score_protocols(scenario, run, end) if i.protocol_id == "EOC-01"]
    assert baseline == clock
