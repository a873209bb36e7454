"""What a program holds: priorities, planned and conducted exercises, corrective actions and their
changes; the current state of a corrective action is its changes folded oldest first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class ExerciseType(StrEnum):
    """The HSEEP exercise types a program schedules (discussion- and operations-based)."""

    SEMINAR = "seminar"
    WORKSHOP = "workshop"
    TABLETOP = "tabletop"
    GAME = "game"
    DRILL = "drill"
    FUNCTIONAL = "functional"
    FULL_SCALE = "full-scale"


class ActionStatus(StrEnum):
    """Where a corrective action stands. Validated and not validated are verdicts of a re-test."""

    OPEN = "open"
    IN_PROGRESS = "in progress"
    COMPLETED = "completed"
    VALIDATED = "validated"
    NOT_VALIDATED = "not validated"


VERDICTS = frozenset({ActionStatus.VALIDATED, ActionStatus.NOT_VALIDATED})
"""Statuses only a controller or an evaluator sets (after a re-test), never an agency's contact."""

CLOSED = frozenset({ActionStatus.VALIDATED})
"""A validated action is closed: it no longer counts as overdue."""

ACTION_FIELDS = (
    "capability", "element", "issue", "action", "agency", "agency_name", "point_of_contact",
    "start_date", "completion_date", "status", "notes",
)
"""What a change may set. ``agency`` is the owning agency's id (empty when the row names none),
``agency_name`` the name a person reads."""

UPDATABLE = frozenset({"point_of_contact", "start_date", "completion_date", "status", "notes"})
"""What an update after finalising may change (the finding and the owner stay as finalised)."""

TEXT_MAX = 4000
"""Longest text a field or a reason may hold."""


@dataclass(frozen=True)
class Change:
    """One change of one corrective action, as the history records it."""

    seq: int
    action_key: str
    wall_time: float
    actor: str
    why: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class CorrectiveAction:
    """A corrective action as it stands after its changes."""

    exercise_id: int
    key: str
    capability: str
    element: str
    issue: str
    action: str
    agency: str
    agency_name: str
    point_of_contact: str = ""
    start_date: date | None = None
    completion_date: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    notes: str = ""
    changes: tuple[int, ...] = ()
    """Sequence numbers of the changes that made it."""

    def overdue(self, today: date) -> bool:
        """Past its completion date and not yet completed or validated."""
        return (
            self.completion_date is not None
            and self.completion_date < today
            and self.status not in {ActionStatus.COMPLETED, *CLOSED}
        )


def _value(name: str, value: Any) -> Any:
    if name in {"start_date", "completion_date"}:
        return date.fromisoformat(value) if value else None
    if name == "status":
        return ActionStatus(value)
    return value


def fold(exercise_id: int, changes: Iterable[Change]) -> list[CorrectiveAction]:
    """The corrective actions as their changes leave them, in the order they were finalised."""
    state: dict[str, dict[str, Any]] = {}
    for change in changes:
        row = state.setdefault(change.action_key, {"exercise_id": exercise_id, "key": change.action_key, "changes": ()})
        for name, value in change.fields.items():
            row[name] = _value(name, value)
        row["changes"] = (*row["changes"], change.seq)
    return [CorrectiveAction(**row) for row in state.values()]


@dataclass(frozen=True)
class Priority:
    capability: str
    why: str


@dataclass(frozen=True)
class PlannedExercise:
    """A row of the IPP schedule: planned, and conducted once ``exercise_id`` is set."""

    id: int
    title: str
    planned_date: date
    exercise_type: ExerciseType
    capabilities: tuple[str, ...]
    template: tuple[str, str] | None
    """(name, version) of the template the exercise is to be created from, when there is one."""
    exercise_id: int | None


@dataclass(frozen=True)
class ProgramPlan:
    """A program as the console and the report read it."""

    id: int
    name: str
    first_year: int
    last_year: int
    priorities: tuple[Priority, ...]
    exercises: tuple[PlannedExercise, ...] = field(default=())

    def priorities_tested(self, planned: PlannedExercise) -> tuple[str, ...]:
        """The program's priorities among the capabilities the exercise tests."""
        mine = {p.capability for p in self.priorities}
        return tuple(c for c in planned.capabilities if c in mine)


PRIORITY_COLUMNS = ("Priority", "Core capability", "Why")
"""The program's priorities, numbered, as the console, the program report and the workbook give them."""

SCHEDULE_COLUMNS = ("Date", "Exercise", "Type", "Core capabilities", "Priorities tested", "Template", "Status")
"""The IPP schedule's columns, as the console, the program report and the workbook all give them."""


def schedule_rows(plan: ProgramPlan) -> list[tuple[date, str, str, str, str, str, str]]:
    """The IPP schedule, one row per planned exercise by date: the one wording of it that the console,
    the program report and the .xlsx schedule draw (the date left as a date for the workbook)."""
    return [
        (e.planned_date, e.title, e.exercise_type.value.capitalize(), ", ".join(e.capabilities),
         ", ".join(plan.priorities_tested(e)) or "none", template_text(e.template),
         "conducted" if e.exercise_id else "planned")
        for e in plan.exercises
    ]


def template_text(template: tuple[str, str] | None) -> str:
    """A planned exercise's template as a planner reads it ("" when it has none)."""
    if template is None:
        return ""
    name, version = template
    return f"{name}, version {version}" if version else name
