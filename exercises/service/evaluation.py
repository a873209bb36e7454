"""Evaluation (evaluators, and controllers for the Improvement Plan): observations rated
P/S/M/U against capabilities, the evaluation team (assignments, the lead evaluator), each
evaluator's capability ratings kept apart and the lead's reconciliation, and edits of the AAR/IP's
Appendix A rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from exercises.access import (
    AccessDenied,
    Caller,
    ExerciseInputError,
    Permission,
    Role,
    require,
)
from exercises.record.entries import (
    CAPABILITY_ELEMENTS,
    IMPROVEMENT_FIELDS,
    AnalysisAccepted,
    CapabilityRated,
    Entry,
    EvaluatorAssigned,
    FeedbackSubmitted,
    HotWashPoint,
    ImprovementItemEdited,
    NewEntry,
    ObservationRecorded,
    RatingReconciled,
)
from exercises.scenario.capabilities import CORE_CAPABILITIES
from exercises.scenario.model import Rating, Scenario
from exercises.service.store import ExerciseStore, _Context, _hint, _payload, after_end
from exercises.views import ClockStatus
from exercises.views.evaluation import is_lead, unreconciled


class Evaluation(ExerciseStore):
    """Observations and improvement-plan edits."""

    def record_observation(
        self,
        caller: Caller,
        capability: str,
        *,
        agency: str | None = None,
        objective: str | None = None,
        critical_task: str = "",
        rating: Rating | str | None = None,
        strengths: str = "",
        areas_for_improvement: str = "",
        text: str = "",
        element: str | None = None,
        target: str | None = None,
        rationale: str = "",
    ) -> Entry:
        """An evaluator's observation against a capability, optionally of one agency, rated P/S/M/U;
        ``element`` is the capability element (POETE) its area for improvement is filed under;
        ``target`` the EEG's capability target it rates, ``rationale`` the explanation of the rating."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.RECORD_OBSERVATION)
        if agency is not None:
            self._agency(scenario, agency)
        self._objective(scenario, objective)
        if target is not None:
            self._target(scenario, target, objective, capability)
        payload = _payload(
            ObservationRecorded,
            capability=capability,
            objective=objective,
            critical_task=critical_task,
            rating=rating,
            strengths=strengths,
            areas_for_improvement=areas_for_improvement,
            text=text,
            element=element or None,
            target=target,
            rationale=rationale,
        )
        if rating is None and not any(t.strip() for t in (critical_task, strengths, areas_for_improvement, text, rationale)):
            raise ExerciseInputError(
                "an observation needs a rating or something written (critical task, strengths, areas for "
                "improvement or notes)"
            )

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, agency=agency, actor=caller.actor, payload=after_end(ctx, payload))]

        return self._write(caller, build)[-1]

    def edit_improvement_item(self, caller: Caller, item_key: str, fields: Mapping[str, str]) -> Entry:
        """A controller's edit of one Improvement Plan row (HSEEP AAR/IP Appendix A)."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.EDIT_IMPROVEMENT_PLAN)
        if not fields:
            raise ExerciseInputError("an improvement plan edit changes at least one field")
        for key, value in fields.items():
            if key not in IMPROVEMENT_FIELDS:
                raise ExerciseInputError(
                    f"unknown improvement plan field {key!r}{_hint(key, IMPROVEMENT_FIELDS)}; "
                    f"fields are {', '.join(IMPROVEMENT_FIELDS)}"
                )
            if key == "element" and value not in CAPABILITY_ELEMENTS:
                raise ExerciseInputError(f"element must be one of {', '.join(CAPABILITY_ELEMENTS)}")
            if key == "responsible_agency":
                self._agency(scenario, value)
            if key == "capability" and value not in CORE_CAPABILITIES:
                raise ExerciseInputError(
                    f"{value!r} is not a core capability{_hint(value, list(CORE_CAPABILITIES))}"
                )
            if key.endswith("_date") and value:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise ExerciseInputError(f"{key} must be a date like 2025-06-30, not {value!r}") from None
        payload = _payload(ImprovementItemEdited, item_key=item_key, fields=dict(fields))

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=after_end(ctx, payload))]

        return self._write(caller, build)[-1]

    # --- several evaluators ---------------------------------------------------------------

    def assign_evaluator(
        self,
        caller: Caller,
        evaluator: str,
        *,
        capability: str | None = None,
        agency: str | None = None,
        lead: bool = False,
    ) -> Entry:
        """A controller assigns the evaluator signed in as ``evaluator`` to a capability and/or an
        agency, or names them the lead evaluator (``lead``)."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.ASSIGN_EVALUATORS)
        if agency is not None:
            self._agency(scenario, agency)
        if not lead and capability is None and agency is None:
            raise ExerciseInputError("an assignment names a capability, an agency, or the lead evaluator")
        payload = _payload(
            EvaluatorAssigned, evaluator=evaluator.strip(), capability=capability, agency=agency, lead=lead
        )

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=after_end(ctx, payload))]

        return self._write(caller, build)[-1]

    def rate_capability(
        self, caller: Caller, capability: str, rating: Rating | str, reason: str, *, objective: str | None = None
    ) -> Entry:
        """An evaluator's own rating of a capability with its reason, kept apart from the other
        evaluators' until the lead evaluator reconciles them."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.RATE_CAPABILITY)
        if caller.role is not Role.EVALUATOR or not caller.name:
            raise AccessDenied("capability ratings are an evaluator's, signed in under their own name")
        self._objective(scenario, objective)
        if not reason.strip():
            raise ExerciseInputError("a rating needs its reason: what was seen that earns it")
        payload = _payload(CapabilityRated, capability=capability, objective=objective, rating=rating, reason=reason)

        def build(ctx: _Context) -> list[NewEntry]:
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=after_end(ctx, payload))]

        return self._write(caller, build)[-1]

    def reconcile_rating(
        self, caller: Caller, capability: str, rating: Rating | str, reason: str, *, objective: str | None = None
    ) -> Entry:
        """The lead evaluator's final rating of a capability, with the reason, weighing every
        evaluator's unreconciled rating of it (recorded with their entry numbers)."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.RATE_CAPABILITY)
        self._objective(scenario, objective)
        payload = _payload(RatingReconciled, capability=capability, objective=objective, rating=rating,
                           reason=reason.strip())

        def build(ctx: _Context) -> list[NewEntry]:
            # Checked on the journal the write is appended to: a lead named meanwhile counts.
            if not is_lead(caller, ctx.entries):
                raise AccessDenied("only the lead evaluator reconciles ratings (a controller names the lead)")
            pending = unreconciled(ctx.entries)
            weighed = tuple(
                e.seq for e in ctx.entries
                if e.seq in pending and isinstance(e.payload, CapabilityRated)
                and (e.payload.capability, e.payload.objective) == (payload.capability, payload.objective)
            )
            final = payload.model_copy(update={"ratings": weighed})
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=after_end(ctx, final))]

        return self._write(caller, build)[-1]

    def accept_analysis(
        self, caller: Caller, capability: str, text: str, *, objective: str | None = None, edited: bool = False
    ) -> Entry:
        """The lead evaluator accepts (``edited``: after changing it) the analysis of a capability the
        report prints; until then the report says it is not accepted."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.RATE_CAPABILITY)
        self._objective(scenario, objective)
        if not text.strip():
            raise ExerciseInputError("the analysis is empty: accept the draft or write the analysis")
        payload = _payload(AnalysisAccepted, capability=capability, objective=objective, text=text.strip(),
                           edited=edited)

        def build(ctx: _Context) -> list[NewEntry]:
            if not is_lead(caller, ctx.entries):
                raise AccessDenied("only the lead evaluator accepts the analysis (a controller names the lead)")
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=after_end(ctx, payload))]

        return self._write(caller, build)[-1]

    def record_hot_wash(self, caller: Caller, agency: str, point: str, text: str, said_by: str) -> Entry:
        """The facilitator (a controller) records, after the end of play, what one of an agency's
        participants said at the hot wash: a strength or an area for improvement (``point``)."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.RUN_HOT_WASH)
        self._agency(scenario, agency)
        if not text.strip() or not said_by.strip():
            raise ExerciseInputError("a hot-wash point needs what was said and who said it")
        payload = _payload(HotWashPoint, point=point, text=text, said_by=said_by.strip(), after_end=True)

        def build(ctx: _Context) -> list[NewEntry]:
            if ctx.clock.status is not ClockStatus.ENDED:
                raise ExerciseInputError("the hot wash is held right after play: end the exercise first")
            return [NewEntry(at=ctx.at, agency=agency, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def submit_feedback(
        self, caller: Caller, ratings: Mapping[str, int], answers: Mapping[str, str] | None = None
    ) -> Entry:
        """A participant's Participant Feedback Form, after the end of play: Part II's statements
        rated 1 to 5 (``ratings``) and the free-text questions (``answers``), any of them left out."""
        self._load(caller.exercise_id)
        require(caller, Permission.SUBMIT_FEEDBACK)
        given = {k: v for k, v in (answers or {}).items() if v.strip()}
        if not ratings and not given:
            raise ExerciseInputError("the feedback form is empty: rate a statement or answer a question")
        payload = _payload(FeedbackSubmitted, ratings=dict(ratings), answers=given, after_end=True)

        def build(ctx: _Context) -> list[NewEntry]:
            if ctx.clock.status is not ClockStatus.ENDED:
                raise ExerciseInputError("the feedback form is filled after play: it opens once the exercise ends")
            return [NewEntry(at=ctx.at, agency=caller.agency, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    @staticmethod
    def _objective(scenario: Scenario, objective: str | None) -> None:
        if objective is not None and objective not in {o.id for o in scenario.objectives}:
            ids = [o.id for o in scenario.objectives]
            raise ExerciseInputError(f"unknown objective {objective!r}{_hint(objective, ids)}")

    @staticmethod
    def _target(scenario: Scenario, target: str, objective: str | None, capability: str) -> None:
        """A capability target of the EEG of (objective, capability): the MSEL's, a plan's with a
        protocol for the capability, or the designer's for that objective and capability."""
        plans = {f"plan.{p.plan}" for p in scenario.protocols if p.capability == capability}
        designer = {t.id for t in scenario.capability_targets if (t.objective, t.capability) == (objective, capability)}
        if target == "msel" or target in plans or target in designer:
            return
        raise ExerciseInputError(f"{target!r} is not a capability target of the EEG for {capability}")
