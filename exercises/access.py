"""Who may do what in an exercise, and the two ways a service call is refused.

The console hides pages by role, but that is only convenience: every call of the exercise
service checks its ``Caller`` here. A caller comes from signing in with an access code
(``ExerciseService.sign_in``) or, for the command line run by whoever holds the database,
from ``Caller.operator``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from exercises.record.entries import ENGINE_ACTOR, EntryKind


class AccessDenied(Exception):
    """The caller's role or agency does not allow this call. Nothing was written."""


class ExerciseInputError(ValueError):
    """The call's input is wrong (unknown exercise, inject, agency, action; text too long; a
    malformed import file) or does not fit the exercise's state. Nothing was written."""


class Role(StrEnum):
    CONTROLLER = "controller"
    """Runs the exercise: clock, injects, improvement plan; may act for any agency; reads all."""
    PLAYER = "player"
    """Bound to one agency: acts only for it; reads only its inbox, its own log, its deadlines."""
    EVALUATOR = "evaluator"
    """Records observations; reads everything."""
    OBSERVER = "observer"
    """Commanders and visitors: read only."""


NAME_MAX = 60
"""Longest display name a participant may give at sign-in."""


@dataclass(frozen=True)
class Caller:
    """An identity the service checks: one exercise, one role, and for players one agency."""

    exercise_id: int
    role: Role
    agency: str | None = None
    name: str | None = None
    """The display name given at sign-in; shown in the journal's actor field."""
    read_only: bool = False
    """Signed in after the end with a player's or observer's code: the record is closed to it."""

    def __post_init__(self) -> None:
        if (self.role is Role.PLAYER) != (self.agency is not None):
            raise ValueError("a player is bound to exactly one agency; other roles to none")
        if self.name is not None and not (0 < len(self.name) <= NAME_MAX and self.name.isprintable()):
            raise ExerciseInputError(f"a name must be 1 to {NAME_MAX} printable characters")

    @classmethod
    def operator(cls, exercise_id: int) -> Caller:
        """Whoever runs the command line against the database: a controller of any exercise."""
        return cls(exercise_id, Role.CONTROLLER, name="operator")

    @property
    def actor(self) -> str:
        """The journal's actor: always starts with the role, so it can never read as the engine."""
        base = f"{self.role.value}:{self.agency}" if self.agency else self.role.value
        return f"{base} ({self.name})" if self.name else base


_PERSON = re.compile(r"^(?P<role>[a-z]+)(?::(?P<agency>[a-z][a-z0-9_]*))? \((?P<name>[^\n]+)\)$")


def person_of(actor: str) -> tuple[Role, str] | None:
    """The role and the name a journal actor was written with (``Caller.actor``), if a person signed
    in by name: ``"player:city_police (Dana Ruiz)"`` -> (player, "Dana Ruiz"). The command line's
    operator is nobody's name."""
    m = _PERSON.match(actor)
    if m is None or m["role"] not in {r.value for r in Role} or m["name"] == "operator":
        return None
    return Role(m["role"]), m["name"]


class Permission(StrEnum):
    RUN_CLOCK = "run the exercise clock"
    MANAGE_INJECTS = "release, hold or add injects"
    ACT_FOR_AGENCY = "act for an agency"
    RECORD_OBSERVATION = "record observations"
    EDIT_IMPROVEMENT_PLAN = "edit the improvement plan"
    CORRECT_ENTRY = "correct journal entries"
    READ_ALL = "read the whole exercise"
    READ_AGENCY = "read an agency's inbox, log and deadlines"
    ADVANCE = "advance the simulation"
    SEE_ACCESS = "see the exercise's access grants"
    OPEN_FROM = "open a new exercise from this one (run it again, branch from a moment)"
    ASSIGN_EVALUATORS = "assign evaluators and name the lead evaluator"
    RATE_CAPABILITY = "rate capabilities"
    RUN_HOT_WASH = "record the hot wash"
    SUBMIT_FEEDBACK = "fill the participant feedback form"


_GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.RUN_CLOCK: frozenset({Role.CONTROLLER}),
    Permission.MANAGE_INJECTS: frozenset({Role.CONTROLLER}),
    Permission.ACT_FOR_AGENCY: frozenset({Role.CONTROLLER, Role.PLAYER}),
    Permission.RECORD_OBSERVATION: frozenset({Role.CONTROLLER, Role.EVALUATOR}),
    Permission.EDIT_IMPROVEMENT_PLAN: frozenset({Role.CONTROLLER}),
    Permission.CORRECT_ENTRY: frozenset({Role.CONTROLLER, Role.PLAYER, Role.EVALUATOR}),
    Permission.READ_ALL: frozenset({Role.CONTROLLER, Role.EVALUATOR, Role.OBSERVER}),
    Permission.READ_AGENCY: frozenset(Role),
    # Advancing only appends what the deterministic engine produces; every console ticks.
    Permission.ADVANCE: frozenset(Role),
    Permission.SEE_ACCESS: frozenset({Role.CONTROLLER}),
    Permission.OPEN_FROM: frozenset({Role.CONTROLLER}),
    Permission.ASSIGN_EVALUATORS: frozenset({Role.CONTROLLER}),
    # Reconciling is also the lead evaluator's alone: the service checks who the lead is.
    Permission.RATE_CAPABILITY: frozenset({Role.EVALUATOR}),
    Permission.RUN_HOT_WASH: frozenset({Role.CONTROLLER}),
    # Every participant fills the form after play, players and observers signed in read-only too:
    # it is not a write to the record of play (and is not in WRITES).
    Permission.SUBMIT_FEEDBACK: frozenset(Role),
}

_AGENCY_BOUND = {Permission.ACT_FOR_AGENCY, Permission.READ_AGENCY, Permission.CORRECT_ENTRY}
"""Permissions that a player holds only for the agency they are bound to."""

CORRECTABLE: dict[Role, frozenset[EntryKind]] = {
    # The facilitator voids a hot-wash point recorded wrongly (and records it again).
    Role.CONTROLLER: frozenset({EntryKind.ACTION_LOGGED, EntryKind.OBSERVATION_RECORDED, EntryKind.HOT_WASH_POINT}),
    Role.PLAYER: frozenset({EntryKind.ACTION_LOGGED}),
    Role.EVALUATOR: frozenset({EntryKind.OBSERVATION_RECORDED}),
}
"""What each role may correct. Clock, inject and engine entries are never corrected: the clock
and the simulation are derived from them, so voiding one would rewrite what already happened."""


WRITES = frozenset(
    {
        Permission.RUN_CLOCK,
        Permission.MANAGE_INJECTS,
        Permission.ACT_FOR_AGENCY,
        Permission.RECORD_OBSERVATION,
        Permission.EDIT_IMPROVEMENT_PLAN,
        Permission.CORRECT_ENTRY,
        Permission.ASSIGN_EVALUATORS,
        Permission.RATE_CAPABILITY,
        Permission.RUN_HOT_WASH,
    }
)
"""What a read-only caller (signed in after the end) may not do."""


def allowed(caller: Caller, permission: Permission, *, agency: str | None = None) -> bool:
    if caller.role not in _GRANTS[permission]:
        return False
    if caller.read_only and permission in WRITES:
        return False
    if caller.role is Role.PLAYER and permission in _AGENCY_BOUND:
        return agency is not None and agency == caller.agency
    return True


def require(caller: Caller, permission: Permission, *, agency: str | None = None) -> None:
    """Raise ``AccessDenied`` unless ``caller`` holds ``permission`` (for ``agency``, if bound)."""
    if allowed(caller, permission, agency=agency):
        return
    who = f"a player for {caller.agency}" if caller.role is Role.PLAYER else f"the {caller.role.value} role"
    if caller.read_only and permission in WRITES and caller.role in _GRANTS[permission]:
        raise AccessDenied(f"the exercise has ended and its record is closed: {who} may only read it")
    target = f" for {agency}" if agency and caller.role is Role.PLAYER else ""
    raise AccessDenied(f"{who} may not {permission.value}{target}")


def may_correct(caller: Caller, kind: EntryKind, agency: str | None, actor: str) -> bool:
    """A controller corrects any action or observation; a player only its own agency's logged
    actions; an evaluator only observations. Entries the engine produced are never corrected."""
    if actor == ENGINE_ACTOR or kind not in CORRECTABLE.get(caller.role, frozenset()):
        return False
    if caller.role is Role.PLAYER:
        return agency == caller.agency
    return True
