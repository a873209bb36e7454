"""Running the exercise (controllers): the clock, the MSEL's injects, and the live tick that
advances the simulation to the exercise clock."""

from __future__ import annotations

from collections.abc import Callable

from exercises.access import (
    Caller,
    ExerciseInputError,
    Permission,
    require,
)
from exercises.record.entries import (
    ClockEnded,
    ClockPaused,
    ClockResumed,
    ClockSpeedChanged,
    ClockStarted,
    Entry,
    InjectAdded,
    InjectDelivered,
    InjectHeld,
    InjectReleased,
    InjectSkipped,
    MediaItemAdded,
    NewEntry,
    Payload,
)
from exercises.scenario.loading import SENDERS_OTHER_THAN_AGENCIES
from exercises.scenario.model import Inject, Scenario
from exercises.service.store import ExerciseStore, _Context, _hint, _payload, engine_behaviour
from exercises.views import (
    Clock,
    ClockStatus,
    condition_reason,
    derive_clock,
    words,
)


class Control(ExerciseStore):
    """The clock and the injects: what controllers do while the exercise runs."""

    # --- the clock (controllers) ----------------------------------------------------------

    def start(self, caller: Caller, *, speed: float = 1.0) -> Entry:
        payload = _payload(ClockStarted, speed=speed, engine_behaviour=engine_behaviour())
        return self._control(
            caller, payload, lambda c: c.status is ClockStatus.NOT_STARTED, "has already started"
        )

    def pause(self, caller: Caller) -> Entry:
        return self._control(
            caller, ClockPaused(), lambda c: c.status is ClockStatus.RUNNING, "is not running"
        )

    def resume(self, caller: Caller, *, speed: float | None = None) -> Entry:
        """Resume a paused clock; with ``speed``, at that speed (the speed change is journalled first,
        in the same write, so the clock never runs a moment at the old speed)."""
        self._load(caller.exercise_id)
        require(caller, Permission.RUN_CLOCK)
        change = None if speed is None else _payload(ClockSpeedChanged, speed=speed)

        def build(ctx: _Context) -> list[NewEntry]:
            if ctx.clock.status is not ClockStatus.PAUSED:
                raise ExerciseInputError(f"the exercise is not paused (it is {ctx.clock.status.value})")
            first = [NewEntry(at=ctx.at, actor=caller.actor, payload=change)] \
                if change is not None and change.speed != ctx.clock.speed else []
            return [*first, NewEntry(at=ctx.at, actor=caller.actor, payload=ClockResumed())]

        return self._write(caller, build)[-1]

    def change_speed(self, caller: Caller, speed: float) -> Entry:
        payload = _payload(ClockSpeedChanged, speed=speed)
        return self._control(caller, payload, lambda c: c.live, "is not running or paused")

    def end(self, caller: Caller) -> Entry:
        return self._control(caller, ClockEnded(), lambda c: c.live, "is not running or paused")

    def _control(
        self, caller: Caller, payload: Payload, ok: Callable[[Clock], bool], otherwise: str
    ) -> Entry:
        self._load(caller.exercise_id)
        require(caller, Permission.RUN_CLOCK)

        def build(ctx: _Context) -> list[NewEntry]:
            if not ok(ctx.clock):
                raise ExerciseInputError(f"the exercise {otherwise} (it is {ctx.clock.status.value})")
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    # --- injects (controllers) ------------------------------------------------------------

    def release_inject(self, caller: Caller, inject_id: str, *, override: bool = False) -> Entry:
        """Deliver an inject now: a held one, or one ahead of its MSEL time.

        A contingency inject whose condition does not hold now is refused, saying why, unless
        ``override``: then it is recorded as a controller override and delivered anyway."""
        self._load(caller.exercise_id)
        require(caller, Permission.MANAGE_INJECTS)

        def build(ctx: _Context) -> list[NewEntry]:
            self._pending_inject(ctx, inject_id, "release")
            if not ctx.clock.live:
                raise ExerciseInputError(
                    f"injects are released while the exercise runs (it is {ctx.clock.status.value})"
                )
            released = {e.payload.inject_id for e in ctx.entries if isinstance(e.payload, InjectReleased)}
            held = self._held(ctx)
            if inject_id in released and inject_id not in held:
                raise ExerciseInputError(f"inject {inject_id} is already released")
            why_not = condition_reason(ctx.injects()[inject_id], ctx.entries, words(ctx.scenario))
            if why_not and not override:
                raise ExerciseInputError(
                    f"inject {inject_id}'s condition does not hold ({why_not}); release it as a controller "
                    "override to send it anyway"
                )
            payload = InjectReleased(inject_id=inject_id, override=bool(why_not))
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def hold_inject(self, caller: Caller, inject_id: str, *, reason: str = "") -> Entry:
        self._load(caller.exercise_id)
        require(caller, Permission.MANAGE_INJECTS)
        payload = _payload(InjectHeld, inject_id=inject_id, reason=reason)

        def build(ctx: _Context) -> list[NewEntry]:
            self._pending_inject(ctx, inject_id, "hold")
            if inject_id in self._held(ctx):
                raise ExerciseInputError(f"inject {inject_id} is already held")
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def add_inject(self, caller: Caller, inject: Inject) -> Entry:
        """Add an inject that is not on the MSEL; one whose time has passed is delivered now."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.MANAGE_INJECTS)
        self._check_inject(loaded.scenario, inject)

        def build(ctx: _Context) -> list[NewEntry]:
            if ctx.clock.status is ClockStatus.ENDED:
                raise ExerciseInputError("the exercise has ended")
            if inject.id in ctx.injects():
                raise ExerciseInputError(f"there is already an inject {inject.id}")
            timed = inject.model_copy(update={"time": max(inject.time, ctx.at)})
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=InjectAdded(inject=timed))]

        return self._write(caller, build)[-1]

    def add_media_item(
        self,
        caller: Caller,
        outlet: str,
        text: str,
        *,
        reach: int = 0,
        topic: str | None = None,
        starts_rumour: str | None = None,
    ) -> Entry:
        """A controller adds a post or news item to the media feed now (reach 0: the outlet's); it may
        start one of the scenario's rumours that has not started yet."""
        scenario = self._load(caller.exercise_id).scenario
        require(caller, Permission.MANAGE_INJECTS)
        media = scenario.media
        if media is None:
            raise ExerciseInputError("this scenario has no media layer")
        outlets = [o.id for o in media.outlets]
        rumours = [r.id for r in media.rumours]
        if outlet not in outlets:
            raise ExerciseInputError(f"unknown outlet {outlet!r}{_hint(outlet, outlets)}")
        if topic is not None and topic not in media.topics:
            raise ExerciseInputError(f"unknown topic {topic!r}{_hint(topic, list(media.topics))}")
        if starts_rumour is not None and starts_rumour not in rumours:
            raise ExerciseInputError(f"unknown rumour {starts_rumour!r}{_hint(starts_rumour, rumours)}")
        if not text.strip():
            raise ExerciseInputError("a media item needs text")
        payload = _payload(
            MediaItemAdded, outlet=outlet, text=text, reach=reach, topic=topic, starts_rumour=starts_rumour
        )

        def build(ctx: _Context) -> list[NewEntry]:
            if not ctx.clock.live:
                raise ExerciseInputError(f"media items are added while the exercise runs (it is {ctx.clock.status.value})")
            return [NewEntry(at=ctx.at, actor=caller.actor, payload=payload)]

        return self._write(caller, build)[-1]

    def _pending_inject(self, ctx: _Context, inject_id: str, verb: str) -> None:
        injects = ctx.injects()
        if inject_id not in injects:
            raise ExerciseInputError(f"unknown inject {inject_id!r}{_hint(inject_id, list(injects))}")
        if ctx.clock.status is ClockStatus.ENDED:
            raise ExerciseInputError("the exercise has ended")
        for e in ctx.entries:
            p = e.payload
            if isinstance(p, InjectDelivered) and p.inject_id == inject_id:
                raise ExerciseInputError(f"cannot {verb} inject {inject_id}: it was delivered")
            if isinstance(p, InjectSkipped) and p.inject_id == inject_id:
                raise ExerciseInputError(f"cannot {verb} inject {inject_id}: it was skipped")

    @staticmethod
    def _held(ctx: _Context) -> set[str]:
        held: set[str] = set()
        for e in ctx.entries:
            if isinstance(e.payload, InjectHeld):
                held.add(e.payload.inject_id)
            elif isinstance(e.payload, InjectReleased):
                held.discard(e.payload.inject_id)
        return held

    def _check_inject(self, scenario: Scenario, inject: Inject) -> None:
        agencies = [a.id for a in scenario.agencies]
        problems = []
        if inject.from_ not in agencies and inject.from_ not in SENDERS_OTHER_THAN_AGENCIES:
            problems.append(f"from: unknown agency {inject.from_!r}{_hint(inject.from_, agencies)}")
        problems += [f"to: unknown agency {a!r}{_hint(a, agencies)}" for a in inject.to if a not in agencies]
        vocab = list(scenario.vocabulary)
        problems += [
            f"expected action {a!r} is not in the vocabulary{_hint(a, vocab)}"
            for a in inject.expected_actions
            if a not in vocab
        ]
        if inject.objective and inject.objective not in {o.id for o in scenario.objectives}:
            problems.append(f"unknown objective {inject.objective!r}")
        if inject.condition:
            if inject.condition.action not in vocab:
                problems.append(f"condition: action {inject.condition.action!r} is not in the vocabulary")
            if inject.condition.by_agency and inject.condition.by_agency not in agencies:
                problems.append(f"condition: unknown agency {inject.condition.by_agency!r}")
        events = scenario.event_names
        problems += [
            f"raises unknown event {e!r}{_hint(e, list(events))}" for e in inject.raises if e not in events
        ]
        links = {link.key for link in scenario.links}
        if inject.effect:
            for pair in (inject.effect.link_down, inject.effect.link_up):
                if pair is not None and frozenset(pair) not in links:
                    problems.append(f"effect: there is no link between {pair[0]!r} and {pair[1]!r}")
        if problems:
            raise ExerciseInputError(f"inject {inject.id}: " + "; ".join(problems))

    # --- live mode ------------------------------------------------------------------------

    def tick(self, caller: Caller) -> list[Entry]:
        """Advance the simulation to the exercise clock (the console calls this every 2 s).

        Under the lock, like every write: an engine run outside it could reach past the time of
        an external entry another process is committing, and the engine would then have to
        replay the whole journal. A tick that produces nothing writes nothing."""
        self._load(caller.exercise_id)
        require(caller, Permission.ADVANCE)
        if not derive_clock(self._snapshot(caller.exercise_id)[1]).live:
            return []
        return self._write(caller, lambda ctx: [])
