"""The program report: the preparedness program's priorities, its Integrated Preparedness Plan
schedule (planned and conducted), capability and agency trends across its exercises, and its
corrective actions by status with those overdue named. A model built from the stored summaries
(never rescoring a journal already scored), worded once here as blocks the AAR/IP's renderers draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aar import alt_text
from aar.document import Block, Figure, Frontis, Heading, Para, Run, Table, cell
from aar.model import TaskCount
from aar.program import SUMMARY_FORMAT, stored_or_scored
from exercises.program.model import (
    PRIORITY_COLUMNS,
    SCHEDULE_COLUMNS,
    ActionStatus,
    CorrectiveAction,
    ProgramPlan,
    schedule_rows,
)
from exercises.program.service import ProgramService
from exercises.scenario.durations import format_span
from exercises.service.exercise_service import ExerciseService

FRONTIS_KIND = "Program Report / Integrated Preparedness Plan"
ACTIONS_SHOWN = 100
"""Rows per status table, and overdue actions named; the improvement-plan matrix has every one."""


@dataclass(frozen=True)
class Conducted:
    title: str
    exercise_id: int
    summary: dict[str, Any]


@dataclass(frozen=True)
class ProgramReport:
    plan: ProgramPlan
    conducted: tuple[Conducted, ...]
    actions: tuple[tuple[str, CorrectiveAction], ...]
    today: date

    def capabilities(self) -> list[str]:
        """The priorities first, then every other capability an exercise scored or rated."""
        first = [p.capability for p in self.plan.priorities]
        seen = {c for run in self.conducted for c in run.summary["capabilities"]}
        return [*first, *sorted(seen - set(first))]

    def agencies(self) -> dict[str, str]:
        return {a: v["name"] for run in self.conducted for a, v in run.summary["agencies"].items()}

    def overdue(self) -> list[tuple[str, CorrectiveAction]]:
        return [(t, a) for t, a in self.actions if a.overdue(self.today)]


def build_program_report(
    service: ExerciseService, programs: ProgramService, program_id: int, today: date,
) -> ProgramReport:
    plan = programs.plan(program_id)
    runs = [(e.title, e.exercise_id) for e in plan.exercises if e.exercise_id is not None]
    kept = {ex: v for ex, v in programs.current_summaries([ex for _, ex in runs]).items()
            if v.get("format") == SUMMARY_FORMAT}
    conducted = tuple(Conducted(t, ex, kept.get(ex) or stored_or_scored(service, programs, ex)) for t, ex in runs)
    found = programs.actions_of([ex for _, ex in runs])
    actions = tuple((t, a) for t, ex in runs for a in found[ex])
    return ProgramReport(plan, conducted, actions, today)


def trend_counts(report: ProgramReport, capability: str) -> list[TaskCount]:
    """A capability's critical tasks in each conducted exercise (the figure's bars)."""
    out = []
    for run in report.conducted:
        found = run.summary["capabilities"].get(capability)
        if found and found["critical_scored"]:
            out.append(TaskCount(name=run.title, label=run.title, **found["critical_statuses"]))
    return out


def _span(value: float | None) -> str:
    return format_span(value) if value is not None else "--"


def _share(met: int, scored: int) -> str:
    return f"{met} of {scored} ({met / scored:.0%})" if scored else "none scored"


def _p(value: str, style: str = "body") -> Para:
    return Para((Run(value),), style)  # type: ignore[arg-type]


def _schedule(report: ProgramReport) -> list[Block]:
    rows = tuple(tuple(cell(v) for v in (day.isoformat(), *texts)) for day, *texts in schedule_rows(report.plan))
    return [
        Heading(0, "Integrated Preparedness Plan Schedule"),
        _p("Exercises of the program by planned date, the core capabilities each tests and the program "
           "priorities among them."),
        Table(SCHEDULE_COLUMNS, rows, (0.12, 0.17, 0.11, 0.18, 0.17, 0.13, 0.12), dense=True, caption="Schedule of exercises"),
    ]


CAPABILITY_COLUMNS = ("Exercise", "Rating", "Critical tasks met", "Median response", "Median deadline")


def capability_trend(report: ProgramReport, capability: str) -> list[tuple[str, ...]]:
    """A capability's row per exercise that rated or scored it (the report's and the console's table)."""
    rows: list[tuple[str, ...]] = []
    for run in report.conducted:
        found = run.summary["capabilities"].get(capability)
        if found is None or (found["rating"] is None and not found["scored"]):
            continue
        rows.append((
            run.title, found["rating"] or "not rated", _share(found["critical_met"], found["critical_scored"]),
            _span(found["median_response_s"]), _span(found["median_deadline_s"]),
        ))
    return rows


def _capability_rows(report: ProgramReport, capability: str) -> list[tuple[tuple[Run, ...], ...]]:
    return [tuple(cell(v) for v in row) for row in capability_trend(report, capability)]


def _capabilities(report: ProgramReport) -> list[Block]:
    out: list[Block] = [
        Heading(0, "Capability Trends"),
        _p("For each core capability, in the order the exercises were conducted: the rating of record "
           "(P, S, M or U), the share of critical tasks met, and the median response against the median "
           "deadline of the tasks scored."),
    ]
    for capability in report.capabilities():
        rows = _capability_rows(report, capability)
        out.append(Heading(1, capability))
        if not rows:
            out.append(_p("Not rated or scored in an exercise of the program yet."))
            continue
        counts = trend_counts(report, capability)
        if counts:
            out.append(Figure("trend", f"{capability}: critical tasks by outcome in each exercise",
                              alt=alt_text.compliance(counts, "exercise")))
        out.append(Table(CAPABILITY_COLUMNS, tuple(rows), (0.32, 0.12, 0.22, 0.17, 0.17), dense=True))
    return out


AGENCY_COLUMNS = ("Agency", "Exercise", "Tasks met", "Median response", "Messages lost", "Messages unanswered",
                  "Requests unanswered")


def agency_trend(report: ProgramReport) -> list[tuple[str, ...]]:
    """Each agency's row per exercise it took part in (the report's and the console's table)."""
    rows: list[tuple[str, ...]] = []
    for agency, name in sorted(report.agencies().items(), key=lambda kv: kv[1]):
        for run in report.conducted:
            found = run.summary["agencies"].get(agency)
            if found is not None:
                rows.append((
                    name, run.title, _share(found["met"], found["scored"]), _span(found["median_response_s"]),
                    str(found["messages_lost"]), str(found["messages_unanswered"]), str(found["requests_unanswered"]),
                ))
    return rows


def _agencies(report: ProgramReport) -> list[Block]:
    rows = [tuple(cell(v) for v in row) for row in agency_trend(report)]
    return [
        Heading(0, "Agency Trends"),
        _p("For each agency, exercise by exercise: tasks met, median response, and information failures "
           "(messages lost, messages never answered, resource requests never answered)."),
        Table(AGENCY_COLUMNS, tuple(rows), (0.18, 0.2, 0.16, 0.12, 0.1, 0.12, 0.12), dense=True),
    ]


def _actions(report: ProgramReport) -> list[Block]:
    counts = {s: sum(a.status is s for _, a in report.actions) for s in ActionStatus}
    out: list[Block] = [
        Heading(0, "Corrective Actions"),
        _p(f"{len(report.actions)} corrective actions tracked from finalised AAR/IPs: "
           + ", ".join(f"{n} {s.value}" for s, n in counts.items()) + "."),
    ]
    overdue = report.overdue()
    out.append(_p(f"Overdue on {report.today.isoformat()}: " + ("none." if not overdue else f"{len(overdue)}.")))
    out += [_p(f"{a.action} ({a.agency_name or 'no agency named'}; due {a.completion_date}; {a.status.value}; "
               f"from {t})", "bullet") for t, a in overdue[:ACTIONS_SHOWN]]
    if len(overdue) > ACTIONS_SHOWN:
        out.append(_p(f"{len(overdue) - ACTIONS_SHOWN} more overdue: every action is in the improvement-plan "
                      "matrix (hotwash program matrix).", "small"))
    for status in ActionStatus:
        rows = tuple(
            tuple(cell(v) for v in (
                t, a.capability, a.action, a.agency_name, a.point_of_contact,
                a.completion_date.isoformat() if a.completion_date else "",
                "overdue" if a.overdue(report.today) else "",
            ))
            for t, a in report.actions if a.status is status
        )
        if rows:
            out.append(Table(("From exercise", "Core capability", "Corrective action", "Agency", "Point of contact",
                              "Completion date", "Overdue"), rows[:ACTIONS_SHOWN], (0.14, 0.14, 0.3, 0.14, 0.1, 0.1, 0.08),
                             dense=True, caption=status.value.capitalize()))
        if len(rows) > ACTIONS_SHOWN:
            out.append(_p(f"{len(rows) - ACTIONS_SHOWN} more {status.value}: every action is in the improvement-plan "
                          "matrix (hotwash program matrix).", "small"))
    return out


def program_document(report: ProgramReport) -> list[Block]:
    """The program report in order: cover, priorities, schedule, trends, corrective actions."""
    plan = report.plan
    blocks: list[Block] = [
        _p(plan.name, "title"), _p("Program Report and Integrated Preparedness Plan", "subtitle"),
        _p(f"{plan.first_year}-{plan.last_year}; as of {report.today.isoformat()}", "subtitle"),
        Heading(0, "Program Priorities"),
        Table(PRIORITY_COLUMNS, tuple(
            (cell(str(n)), cell(p.capability), cell(p.why)) for n, p in enumerate(plan.priorities, 1)
        ), (0.1, 0.3, 0.6)),
    ]
    if not plan.priorities:
        blocks.append(_p("No priorities set yet."))
    return [*blocks, *_schedule(report), *_capabilities(report), *_agencies(report), *_actions(report)]


def frontis(report: ProgramReport) -> Frontis:
    return Frontis(report.plan.name, FRONTIS_KIND, footer="Generated by Hotwash from the program's exercises")


def trends(report: ProgramReport) -> dict[str, list[TaskCount]]:
    """Each trend figure's bars, by the figure's caption."""
    return {f"{c}: critical tasks by outcome in each exercise": trend_counts(report, c) for c in report.capabilities()}
