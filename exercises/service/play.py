"""What agencies do: actions, messages and resource requests (players for their own agency,
controllers for any), and corrections of logged entries."""

from __future__ import annotations

from collections.abc import Sequence

from exercises.access import (
    CORRECTABLE,
    AccessDenied,
    Caller,
    ExerciseInputError,
    Permission,
    Role,
    may_correct,
    require,
)
from exercises.record.entries import (
    ENGINE_ACTOR,
    ActionLogged,
    Correction,
    Entry,
    MessageSent,
    NewEntry,
    ObservationRecorded,
    ResourceRequested,
    StatementIssued,
)
from exercises.scenario.model import Scenario
from exercises.service.store import ExerciseStore, _Context, _hint, _payload, after_end
from exercises.views import (
    ClockStatus,
)

CORRECTABLE_KINDS = frozenset().union(*CORRECTABLE.values())
POST_EXERCISE_ROLES = frozenset({Role.CONTROLLER, Role.EVALUATOR})
"""Who may still add to the record after the end: observations, corrections with a reason."""


class Play(ExerciseStore):
    """The players' side of the journal."""

    # --- what agencies do (players for their agency; controllers for any) ------------------

    def _acting_agency(self, caller: Caller, scenario: Scenario, agency: str | None) -> str:
        agency = agency or caller.agency
        if agency is None:
            raise ExerciseInputError("name the agency to act for")
        require(caller, Permission.ACT_FOR_AGENCY, agency=agency)
        self._agency(scenario, agency)
        return agency

    @staticmethod
    def _require_live(ctx: _Context) -> None:
        if not ctx.clock.live:
            state = "has not started" if ctx.clock.status is ClockStatus.NOT_STARTED else "has ended"
            raise ExerciseInputError(f"the exercise {state}")

    def log_action(
        self,
        caller: Caller,
        action: str,
        *,
        agency: str | None = None,
        text: str = "",
        inject_id: str | None = None,
    ) -> Entry:
        """Log an action of the scenario's vocabulary, optionally in answer to an inject."""
        scenario = self._load(caller.exercise_id).scenario
        acting = self._acting_agency(caller, scenario, agency)
        vocab = scenario.vocabulary
        if action not in vocab:
            raise ExerciseInputError(
                f"action {action!r} is not in the scenario's vocabulary{_hint(action, list(vocab))}"
            )
        payload = _payload(ActionLogged, action=action, text=text, inject_id=inject_id)

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_live(ctx)
            if inject_id is not None and inject_id not in ctx.injects():
                raise ExerciseInputError(
                    f"unknown inject {inject_id!r}{_hint(inject_id, list(ctx.injects()))}"
                )
            return [NewEntry(at=ctx.at, agency=acting, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def send_message(
        self, caller: Caller, to: str, text: str, *, agency: str | None = None, categories: Sequence[str] = ()
    ) -> Entry:
        """Send a message along the agency network; the engine delivers it (or reports it lost).
        ``categories`` are the information categories it carries: one outside every agreement is
        still sent (it is an exercise) and the report finds it."""
        scenario = self._load(caller.exercise_id).scenario
        sender = self._acting_agency(caller, scenario, agency)
        self._agency(scenario, to)
        if to == sender:
            raise ExerciseInputError("a message goes to another agency")
        if not text.strip():
            raise ExerciseInputError("a message needs text")
        carried = tuple(dict.fromkeys(categories))
        unknown = [c for c in carried if c not in scenario.categories]
        if unknown:
            raise ExerciseInputError(f"unknown information category {unknown[0]!r}")
        _payload(MessageSent, message_id="M1", to=to, text=text, categories=carried)

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_live(ctx)
            payload = MessageSent(message_id=f"M{ctx.next_seq}", to=to, text=text, categories=carried)
            return [NewEntry(at=ctx.at, agency=sender, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def request_resource(
        self,
        caller: Caller,
        to: str,
        unit_type: str,
        count: int,
        *,
        agency: str | None = None,
        text: str = "",
    ) -> Entry:
        scenario = self._load(caller.exercise_id).scenario
        requester = self._acting_agency(caller, scenario, agency)
        self._agency(scenario, to)
        if to == requester:
            raise ExerciseInputError("a resource request goes to another agency")
        units = sorted({u for a in scenario.agencies for u in a.resources})
        if unit_type not in units:
            raise ExerciseInputError(f"unknown unit type {unit_type!r}{_hint(unit_type, units)}")
        _payload(ResourceRequested, request_id="R1", to=to, unit_type=unit_type, count=count, text=text)

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_live(ctx)
            payload = ResourceRequested(
                request_id=f"R{ctx.next_seq}", to=to, unit_type=unit_type, count=count, text=text
            )
            return [NewEntry(at=ctx.at, agency=requester, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def publish_statement(
        self,
        caller: Caller,
        topics: list[str] | tuple[str, ...],
        text: str,
        *,
        agency: str | None = None,
        action: str | None = None,
    ) -> Entry:
        """Publish an official statement on named topics of the media layer: their rumours stop growing.

        Only a spokesperson agency may (the scenario's ``media.spokespeople``, else its agencies of kind
        public_information); a player for its own agency, a controller for any of them."""
        scenario = self._load(caller.exercise_id).scenario
        acting = self._acting_agency(caller, scenario, agency)
        media = scenario.media
        if media is None:
            raise ExerciseInputError("this scenario has no media layer: there is nobody to publish to")
        if acting not in scenario.spokespeople:
            raise AccessDenied(f"{scenario.agency(acting).name} does not speak for the response to the public")
        unknown = [t for t in topics if t not in media.topics]
        if unknown:
            raise ExerciseInputError(f"unknown topic {unknown[0]!r}{_hint(unknown[0], list(media.topics))}")
        action = action or media.statement_actions[0]
        if action not in media.statement_actions:
            raise ExerciseInputError(f"{action!r} is not one of the scenario's statement actions")
        if not text.strip():
            raise ExerciseInputError("a statement needs text")
        payload = _payload(StatementIssued, action=action, topics=tuple(dict.fromkeys(topics)), text=text)

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_live(ctx)
            return [NewEntry(at=ctx.at, agency=acting, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def correct(
        self,
        caller: Caller,
        seq: int,
        reason: str,
        *,
        replacement: ActionLogged | ObservationRecorded | None = None,
    ) -> Entry:
        """Void entry ``seq``, or replace it: a new Correction entry that points at it."""
        scenario = self._load(caller.exercise_id).scenario
        if caller.role not in {Role.CONTROLLER, Role.PLAYER, Role.EVALUATOR}:
            require(caller, Permission.CORRECT_ENTRY)
        if not reason.strip():
            raise ExerciseInputError("a correction needs a reason")
        payload = _payload(Correction, corrects=seq, reason=reason, replacement=replacement)
        if isinstance(replacement, ActionLogged) and replacement.action not in scenario.vocabulary:
            raise ExerciseInputError(f"action {replacement.action!r} is not in the scenario's vocabulary")
        objectives = {o.id for o in scenario.objectives}
        if isinstance(replacement, ObservationRecorded) and replacement.objective not in (None, *objectives):
            raise ExerciseInputError(f"unknown objective {replacement.objective!r}")

        def build(ctx: _Context) -> list[NewEntry]:
            self._require_open_record(caller, ctx)
            if not 1 <= seq < ctx.next_seq:
                raise ExerciseInputError(f"there is no entry {seq}")
            target = ctx.entries[seq - 1]
            if isinstance(target.payload, Correction):
                raise ExerciseInputError(
                    f"entry {seq} is itself a correction: correct entry {target.payload.corrects}"
                )
            if target.actor == ENGINE_ACTOR or target.kind not in CORRECTABLE_KINDS:
                raise ExerciseInputError(
                    f"entry {seq} ({target.kind.value}) cannot be corrected: only logged actions and "
                    "observations (and hot-wash points) can (what the clock and the simulation did stands)"
                )
            if not may_correct(caller, target.kind, target.agency, target.actor):
                who = f"a player for {caller.agency}" if caller.agency else f"the {caller.role.value} role"
                raise AccessDenied(f"{who} may not correct entry {seq} ({target.kind.value})")
            if replacement is not None and replacement.kind != target.kind:
                raise ExerciseInputError(
                    f"entry {seq} is {target.kind.value}; its replacement must be one too"
                )
            if (
                isinstance(replacement, ActionLogged)
                and replacement.inject_id is not None
                and replacement.inject_id not in ctx.injects()
            ):
                raise ExerciseInputError(f"unknown inject {replacement.inject_id!r}")
            return [NewEntry(at=ctx.at, agency=target.agency, actor=caller.actor, payload=after_end(ctx, payload))]

        return self._write(caller, build)[-1]

    @staticmethod
    def _require_open_record(caller: Caller, ctx: _Context) -> None:
        """After the end the record is closed: only controllers and evaluators add to it."""
        if ctx.clock.status is ClockStatus.ENDED and caller.role not in POST_EXERCISE_ROLES:
            raise AccessDenied(
                f"the exercise has ended and its record is closed: the {caller.role.value} role can no "
                "longer change it (a controller or an evaluator may add a post-exercise correction)"
            )
