"""The SimPy model of one run: the world the actors live in, and the driver that advances it.

``World`` holds the SimPy environment, the agency network, each agency's units (one SimPy
``Resource`` per agency and unit type), the incident, and the record: every simulated happening is
appended to ``World.record`` as a ``Happening`` (``sim_engine.record``), which becomes a journal
``NewEntry`` with ``actor=ENGINE_ACTOR`` where it leaves the engine.

``Simulation`` drives a world. The rule that makes live runs replay exactly: ``run_to(t)`` processes
every event at or before ``t`` (including chains of zero-delay events), and ``feed(entry)`` applies an
external entry stamped ``t`` only after that. So an external entry stamped exactly when engine events
happen comes after all of them, and after everything they set off at that same instant; whatever it
sets off comes after it. A run fed the same external entries in the same order produces the same
entries, however its advances were split.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Collection, Generator, Iterable, Mapping
from functools import partial
from heapq import heappop, heappush
from random import Random
from types import MethodType
from typing import Any, NamedTuple

import simpy
from simpy.core import NORMAL, URGENT, BoundClass
from simpy.resources.resource import Request

from exercises.record.entries import (
    ActionLogged,
    EntryKind,
    InjectAdded,
    InjectHeld,
    InjectReleased,
    LinkDown,
    LinkUp,
    MediaItemAdded,
    MessageSent,
    NewEntry,
    ResourceRequested,
    Scalar,
    StatementIssued,
)
from exercises.scenario.model import Distribution, Inject, Pitfall, Scenario
from sim_engine import behaviour
from sim_engine import record as rec
from sim_engine.batch.stats import RunningSummary
from sim_engine.checks import EngineError
from sim_engine.incidents import make_incident
from sim_engine.media import Media, make_media
from sim_engine.memo import per_scenario
from sim_engine.network import AgencyNetwork
from sim_engine.playbook import playbook_of
from sim_engine.sampling import Draws, Sampler

EXTERNAL_KINDS = frozenset(
    {
        EntryKind.ACTION_LOGGED,
        EntryKind.MESSAGE_SENT,
        EntryKind.RESOURCE_REQUESTED,
        EntryKind.INJECT_HELD,
        EntryKind.INJECT_RELEASED,
        EntryKind.INJECT_ADDED,
        EntryKind.LINK_DOWN,
        EntryKind.LINK_UP,
        EntryKind.STATEMENT_ISSUED,
        EntryKind.MEDIA_ITEM_ADDED,
    }
)
"""The kinds of players' and controllers' entries that change the simulated world. Clock and
observation entries do not; corrections do not either (the record of play stands for the simulation)."""


class Message(NamedTuple):
    """A message, notification or resource request on its way across the network."""

    id: str
    sender: str
    to: str
    sent_at: float
    about: str | None = None


class Grant(NamedTuple):
    """Units of one agency assigned to a request, until released."""

    owner: str
    unit: str
    request_id: str
    requests: tuple[Request, ...]


class Clock(simpy.Environment):
    """A SimPy environment whose clock can be set to an external entry's exact time.

    Scheduling a timeout of ``t - now`` would land on ``now + (t - now)``, which floating point does
    not always round back to ``t``; an external entry's consequences must carry its time exactly.
    """

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(initial_time)
        # SimPy binds its event classes (timeout, process, ...) to the environment once, for speed, but
        # only those found on the instance's own class: a subclass would otherwise make a bound method
        # at every ``env.timeout``.
        for name, attribute in vars(simpy.Environment).items():
            if isinstance(attribute, BoundClass):
                setattr(self, name, MethodType(attribute.cls, self))

    def jump(self, at: float) -> None:
        if self.peek() < at:
            raise RuntimeError("the clock can only jump over a stretch with no events")
        self._now = at

    def discard(self) -> None:
        """Forget every pending event, and who waits on it: the run is over."""
        # An alarm is held by the queue alone: clearing the queue frees it. A SimPy event may also be
        # held by the process waiting on it, which its callbacks hold in turn: that cycle is cut here.
        for *_, event in self._queue:
            if type(event) is not Alarm and event.callbacks:
                event.callbacks.clear()
        self._queue.clear()
        unbind(self)

    def run_through(self, until: float) -> int:
        """Process every event at or before ``until``, zero-delay chains included; returns how many.

        SimPy's ``step`` inlined (the run's innermost loop): the same order and the same failure
        semantics, without a method call and a ``try`` per event (``StopSimulation`` belongs to
        ``Environment.run``, which the model does not use)."""
        queue: list[Any] = self._queue
        steps = 0
        while queue and queue[0][0] <= until:
            self._now, _, _, event = heappop(queue)
            steps += 1
            if type(event) is Alarm:  # most of a run's events: one callback, nothing waits on it
                event.callback(event)
                continue
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
        return steps

    def soon(self, callback: Callable[[Any], None]) -> None:
        """``callback`` called where a SimPy process started now would first run: queued exactly as
        the process's start would be (now, urgent, in order)."""
        queue: list[Any] = self._queue
        heappush(queue, (self._now, URGENT, next(self._eid), Alarm(callback)))

    def alarm(self, delay: float, callback: Callable[[Any], None]) -> None:
        """A one-shot delay: ``callback`` is called when it is over. It is queued exactly as a SimPy
        ``Timeout`` of ``delay`` would be (same time, priority and order), without the event object's
        other parts, which nothing reads."""
        queue: list[Any] = self._queue
        heappush(queue, (self._now + delay, NORMAL, next(self._eid), Alarm(callback)))


def unbind(obj: object) -> None:
    """Drop the methods SimPy bound to the object itself for speed (``BoundClass.bind_early``, and
    ``Clock.__init__``): each holds the object, a cycle only the collector would free."""
    for name, value in list(vars(obj).items()):
        if isinstance(value, MethodType) and value.__self__ is obj:
            del vars(obj)[name]


class Alarm:
    """A one-shot delay in the run's queue: the callback to call when it is over (``run_through``)."""

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[Any], object]) -> None:
        self.callback = callback


class TaskKind(enum.Enum):
    """How a simulated agency goes about a task (``World.answer``)."""

    AT_ONCE = "at once"
    """No action of it ties up units: all done when the agency answers."""
    OWN_UNITS = "own units"
    """It waits for its own units (``behaviour.AgencyTask``)."""
    MUTUAL_AID = "mutual aid"
    """It may ask a neighbour for a unit type it lacks (the process ``behaviour.simulated_agency``)."""


class Setting(NamedTuple):
    """What every run of a scenario starts from, read from the scenario once (``_setting``)."""

    agency_ids: frozenset[str]
    units: Mapping[tuple[str, str], int]
    """How many units of each type each agency has."""
    response_delay: Mapping[str, Distribution]
    durations: Mapping[str, Distribution]
    """Each simulated action's duration."""
    uses: Mapping[str, str | None]
    """The unit type each simulated action ties up (None: none)."""
    deployment: Mapping[str, str]
    """How long units sent on request stay out: as long as the first action that uses them lasts."""
    injects: Mapping[str, Inject]

    @classmethod
    def of(cls, scenario: Scenario) -> Setting:
        actions = scenario.simulation.actions
        deployment: dict[str, str] = {}
        for action, spec in actions.items():
            if spec.uses is not None:
                deployment.setdefault(spec.uses, action)
        return cls(
            agency_ids=frozenset(a.id for a in scenario.agencies),
            units={(a.id, unit): count for a in scenario.agencies for unit, count in a.resources.items()},
            response_delay={a.id: a.response_delay for a in scenario.agencies},
            durations={action: spec.duration for action, spec in actions.items()},
            uses={action: spec.uses for action, spec in actions.items()},
            deployment=deployment,
            injects={i.id: i for i in scenario.msel},
        )


_setting = per_scenario(Setting.of)


class World:
    """Everything one run knows, and the one place that writes its entries."""

    def __init__(self, scenario: Scenario, rng: Random, simulated: Collection[str]) -> None:
        self.scenario = scenario
        self.env = Clock(initial_time=0.0)
        self.sampler = Sampler(rng)
        self.network = AgencyNetwork.from_scenario(scenario)
        self.playbook = playbook_of(scenario)
        self.simulated = frozenset(simulated)
        setting = _setting(scenario)
        self.agency_ids = setting.agency_ids
        self.units = setting.units
        """How many units of each type each agency has."""
        sampler = self.sampler
        self.response_delay = Draws(sampler, setting.response_delay)
        self.message_handling = sampler.compile(scenario.simulation.message_handling)
        self._durations = Draws(sampler, setting.durations)
        self._uses = setting.uses
        self._deployment = setting.deployment
        self._raises = scenario.simulation.development_raises
        self._mutual_aid = scenario.simulation.mutual_aid
        self._tasks: dict[tuple[str, str], tuple[TaskKind, tuple[str, ...]]] = {}
        """How each simulated agency goes about each task, and the task's actions (``answer``),
        worked out once per run."""
        self._pools: dict[tuple[str, str], simpy.Resource] = {}
        self.record: list[rec.Happening] = []
        self.injects = dict(setting.injects)
        self._scenario_injects = setting.injects
        self.inject_state: dict[str, str] = {}
        """``held``, ``delivered`` or ``skipped``; absent while an inject waits for its time."""
        self.logged: dict[str, set[str | None]] = {}
        self.incident = make_incident(self)
        self._serial = itertools.count(1)
        self.summary: RunningSummary | None = None
        """Set by batch runs: the run's summary, built as the run goes."""
        self.media: Media | None = make_media(self, rng)
        """The press and the public (``sim_engine.media``); None when the scenario has no media section."""
        self._rng = rng
        self._pitfalls: dict[str, list[Pitfall]] = {}
        """The scenario's pitfalls by the inject that sets them off (none: no draw is ever made)."""
        for pit in scenario.simulation.pitfalls:
            self._pitfalls.setdefault(pit.after_inject, []).append(pit)

    def start(self) -> None:
        for inject in self.scenario.msel:
            behaviour.simulation_cell(self, inject)
        self.incident.start()
        for agency, action in self.playbook.at_start:
            self.respond(agency, action, None, 0.0)
        if self.media is not None:
            self.media.start()

    def close(self) -> None:
        """The run is over: break the reference cycles that would keep it in memory.

        Waiting processes hold the world (and the pending events that hold them are the world's), and
        the incident and the media layer hold the world that holds them. Only the cyclic collector
        frees such a run, after a pass over every object of it (about a tenth of a batch replication's
        time); without the cycles, reference counting frees it as soon as it is dropped. A closed world
        cannot go on.
        """
        self.env.discard()
        for pool in self._pools.values():
            # Waiting and granted requests hold their pool, which holds them.
            for request in (*pool.put_queue, *pool.users):
                if request.callbacks:
                    request.callbacks.clear()
            pool.put_queue.clear()
            pool.users.clear()
            unbind(pool)
        self.incident.close()
        del self.incident
        self.media = None

    # --- the record ----------------------------------------------------------------------

    def emit(self, agency: str | None, payload: rec.Payload) -> None:
        # tuple.__new__ makes the named tuple without the Python-level __new__ of its class: this is
        # the run's most frequent call.
        # (and the clock read from its field: ``now`` is a property, read at every entry)
        self.record.append(tuple.__new__(rec.Happening, (self.env._now, agency, payload)))

    def after(self, delay: float, then: Callable[[], None]) -> None:
        """A one-shot delay: ``then()`` runs when it is over (``Clock.alarm``)."""
        self.env.alarm(delay, lambda _event: then())

    def serial(self) -> str:
        return f"sim-{next(self._serial)}"

    def message(
        self, sender: str, to: str, message_id: str | None = None, about: str | None = None
    ) -> Message:
        return Message(message_id or self.serial(), sender, to, self.env.now, about)

    def delivered(self, message: Message, path: list[str]) -> None:
        payload = rec.MessageDelivered(
            message.id, message.sender, message.to, tuple(path), message.sent_at, message.about
        )
        self.emit(message.to, payload)
        if self.summary is not None:
            self.summary.delivered(payload.path, self.env.now - message.sent_at)

    def lost(self, message: Message, path: list[str], link: tuple[str, str] | None) -> bool:
        if link is None:
            reason = "no working path"
        elif self.network.is_up(*link):
            reason = f"lost on link {link[0]}-{link[1]}"
        else:
            reason = f"link {link[0]}-{link[1]} went down"
        payload = rec.MessageLost(
            message_id=message.id,
            sender=message.sender,
            to=message.to,
            reason=reason,
            path=tuple(path),
            lost_on=link,
            about=message.about,
        )
        self.emit(message.sender, payload)
        if self.summary is not None:
            self.summary.lost(payload.path, link)
        return False

    def develop(self, what: str, told: tuple[str, ...] = (), /, **detail: Scalar) -> None:
        """The incident develops: recorded, raising its events (``told``: the agencies told of it)."""
        raises = self._raises.get(what, ())
        # tuple.__new__: the named tuple without its class's Python-level __new__ (see ``emit``).
        development = tuple.__new__(rec.Development, (self.incident.model, what, detail, raises, told))
        self.record.append(tuple.__new__(rec.Happening, (self.env._now, None, development)))  # emit, inlined
        if raises:
            self.raised(raises)
        media = self.media
        # Checked here, not in the call: the media layer watches few of a run's many developments.
        if media is not None and (raises or what in media.desk.watched_developments):
            media.on_development(what, raises)

    def raised(self, events: tuple[str, ...]) -> None:
        """The entry just recorded raised ``events``."""
        if self.summary is not None:
            self.summary.index.raised(events, len(self.record) - 1)
        self.raise_events(events)

    def raise_events(self, events: tuple[str, ...]) -> None:
        """Events were raised: every protocol they trigger gives its agency the task at once."""
        for agency, action in self.playbook.raised(events):
            self.respond(agency, action, None, 0.0)

    # --- draws ---------------------------------------------------------------------------

    def needs(self, action: str) -> tuple[str | None, float]:
        """The unit type an action ties up (if any) and, drawn now, for how long."""
        if action not in self._uses:
            return None, 0.0
        return self._uses[action], self._durations[action]()

    def duration_of(self, action: str, known: float | None) -> float:
        """The action's duration: the one already drawn for it, else a draw now."""
        return known if known is not None else self.needs(action)[1]

    def deployment(self, unit: str) -> float | None:
        """How long units sent on request stay out, drawn now, or None (for the rest of the exercise)
        when no action uses them."""
        action = self._deployment.get(unit)
        return None if action is None else self._durations[action]()

    # --- units ---------------------------------------------------------------------------

    def pool(self, owner: str, unit: str) -> simpy.Resource:
        """The agency's units of a type, as a SimPy resource (made when first asked for: most are not)."""
        pool = self._pools.get((owner, unit))
        if pool is None:
            pool = self._pools[owner, unit] = simpy.Resource(self.env, self.units[owner, unit])
        return pool

    def seize(
        self, owner: str, unit: str, requester: str, request_id: str | None = None, count: int = 1
    ) -> Generator[simpy.Event, Any, Grant]:
        """Wait for ``count`` free units (first come, first served; at most what the agency has)."""
        pool = self.pool(owner, unit)
        asked = self.env.now
        requests: tuple[Request, ...]
        if count == 1:
            requests = (pool.request(),)
            yield requests[0]
        else:
            requests = tuple(pool.request() for _ in range(min(count, int(pool.capacity))))
            yield self.env.all_of(requests)
        grant = Grant(owner, unit, request_id or self.serial(), requests)
        self.assigned(grant, requester, self.env.now - asked)
        return grant

    def assigned(self, grant: Grant, requester: str, wait: float) -> None:
        count, now = len(grant.requests), self.env.now
        self.emit(grant.owner, rec.ResourceAssigned(grant.request_id, requester, grant.unit, count, wait))
        if self.summary is not None:
            self.summary.assigned(grant.owner, grant.request_id, grant.unit, count, wait, now)

    def take(self, owner: str, unit: str, requester: str, then: Callable[[Grant], object]) -> None:
        """``seize`` one unit without a process: ``then(grant)`` runs when it is assigned."""
        request = self.pool(owner, unit).request()
        # partial, not a closure: a closure over seven names makes seven cells at every call.
        request.callbacks.append(partial(self._granted, owner, unit, requester, self.env._now, then))

    def _granted(
        self,
        owner: str,
        unit: str,
        requester: str,
        asked: float,
        then: Callable[[Grant], object],
        request: Request,
    ) -> None:
        grant = Grant(owner, unit, self.serial(), (request,))
        self.assigned(grant, requester, self.env._now - asked)
        then(grant)

    def release(self, grant: Grant) -> None:
        pool = self.pool(grant.owner, grant.unit)
        for request in grant.requests:
            pool.release(request)
        self.emit(grant.owner, rec.ResourceReleased(grant.request_id, grant.unit, len(grant.requests)))
        if self.summary is not None:
            self.summary.released(grant.owner, grant.request_id, self.env.now)

    def aid_provider(self, requester: str, unit: str) -> str | None:
        """A simulated agency with units of the type: a linked neighbour (over a working link) if one has
        them, else the nearest reachable one, else the first listed (the request will then be lost)."""
        candidates = [
            a.id
            for a in self.scenario.agencies
            if a.id != requester and a.id in self.simulated and (a.id, unit) in self.units
        ]
        network = self.network
        neighbours = [c for c in candidates if network.has_link(requester, c) and network.is_up(requester, c)]
        found = self.network.nearest(requester, neighbours) or self.network.nearest(requester, candidates)
        return found or (candidates[0] if candidates else None)

    # --- what happens --------------------------------------------------------------------

    def respond(self, agency: str, action: str, inject_id: str | None, reading: float) -> None:
        """A task reached an agency: a simulated one reads it, takes its response delay and acts on it
        (players act through the console)."""
        if agency in self.simulated:
            delay = reading + self.response_delay[agency]()
            # partial, not a lambda: a closure over four names makes four cells at every call.
            self.env.alarm(delay, partial(self.answer, agency, action, inject_id))

    def answer(self, agency: str, action: str, inject_id: str | None, _event: object = None) -> None:
        """A simulated agency acts on a task, doing first what its protocols say must come before
        (``behaviour.AgencyTask``; a process, ``behaviour.simulated_agency``, when the task needs a
        unit type the agency lacks and may ask a neighbour for it)."""
        task = self._tasks.get((agency, action))
        if task is None:
            steps = self.playbook.steps(agency, action)
            task = self._tasks[agency, action] = (self._task_kind(agency, steps), steps)
        kind, actions = task
        if kind is TaskKind.AT_ONCE:
            for step in actions:
                self.act(agency, step, inject_id, self.needs(step)[1])
        elif kind is TaskKind.OWN_UNITS:
            behaviour.AgencyTask(self, agency, actions, inject_id)
        else:
            self.env.process(behaviour.simulated_agency(self.env, self, agency, actions, inject_id))

    def _task_kind(self, agency: str, actions: tuple[str, ...]) -> TaskKind:
        units = [self._uses.get(a) for a in actions]
        if all(unit is None for unit in units):
            return TaskKind.AT_ONCE
        if self._mutual_aid and any(u is not None and (agency, u) not in self.units for u in units):
            return TaskKind.MUTUAL_AID
        return TaskKind.OWN_UNITS

    def act(self, agency: str, action: str, inject_id: str | None, duration: float) -> None:
        self.emit(agency, tuple.__new__(rec.ActionLogged, (action, "", inject_id)))
        if self.summary is not None:
            self.summary.acted(agency, action, len(self.record) - 1)
        self.action_logged(agency, action, duration)

    def action_logged(self, agency: str | None, action: str, duration: float | None) -> None:
        """An action was performed, by a simulated agency or a player: it counts for contingency
        injects, the incident reacts, and it sets off the protocols it triggers."""
        done = self.logged.get(action)
        if done is None:
            self.logged[action] = done = set()
        done.add(agency)
        self.incident.on_action(agency, action, duration)
        media = self.media
        if media is not None and action in media.desk.watched_actions:
            media.on_action(agency, action)
        if agency is None:
            return
        for target, follows in self.playbook.notified(agency, action):
            if target == agency:
                for follow in follows:
                    self.respond(agency, follow, None, 0.0)
            elif agency in self.simulated:
                behaviour.notification(self, self.message(agency, target, about=action), follows)
            elif target in self.simulated:
                # A player's action: telling others is the player's to do (their own messages), so
                # nothing is sent in their agency's name; the simulation cell plays the simulated
                # agency as knowing it, after its reading time.
                reading = self.message_handling()
                for follow in follows:
                    self.respond(target, follow, None, reading)

    def happened(self, action: str, by: str | None) -> bool:
        done = self.logged.get(action, ())
        return bool(done) if by is None else by in done

    def deliver(self, inject: Inject, *, override: bool = False) -> None:
        """Deliver an inject now, or skip a contingency inject whose condition does not hold
        (unless a controller released it with an override)."""
        if self.inject_state.get(inject.id) in ("delivered", "skipped"):
            return
        condition = inject.condition
        if (
            condition
            and not override
            and self.happened(condition.action, condition.by_agency) != condition.happened
        ):
            self.inject_state[inject.id] = "skipped"
            by = f" by {condition.by_agency}" if condition.by_agency else ""
            state = "had already been" if condition.happened is False else "had not been"
            self.emit(
                None, rec.InjectSkipped(inject_id=inject.id, reason=f"{condition.action} {state} logged{by}")
            )
            return
        self.inject_state[inject.id] = "delivered"
        self.emit(None, rec.InjectDelivered(inject_id=inject.id, to=inject.to))
        summary = self.summary
        if summary is not None and inject.raises and inject.id in self._scenario_injects:
            summary.index.raised(inject.raises, len(self.record) - 1)
        if inject.effect:
            self.inject_effect(inject)
        for agency, action in self.playbook.stimulus(inject):
            self.respond(agency, action, inject.id, 0.0)
        if self.media is not None:
            self.media.on_inject(inject)
        for pit in self._pitfalls.get(inject.id, ()):
            self.pitfall(pit)

    def pitfall(self, pit: Pitfall) -> None:
        """A simulated agency falls into a documented pitfall (with its probability): after reading the
        inject it passes the categories on to a recipient no agreement allows."""
        if pit.agency not in self.simulated or self._rng.random() >= pit.probability:
            return

        def send() -> None:
            message = self.message(pit.agency, pit.with_)
            self.emit(pit.agency, rec.MessageSent(message.id, pit.with_, pit.text, pit.shares))
            behaviour.Messenger(self, message)

        self.after(self.response_delay[pit.agency](), send)

    def inject_effect(self, inject: Inject) -> None:
        """An inject that takes a link down or brings one up."""
        effect = inject.effect
        if effect and effect.link_down:
            self.set_link(effect.link_down, False, f"inject {inject.id}")
        if effect and effect.link_up:
            self.set_link(effect.link_up, True)

    def set_link(self, between: tuple[str, str], up: bool, reason: str | None = None) -> None:
        """A link goes down or comes back (an inject's effect, an incident development), if it changes."""
        if not self.network.set_up(*between, up):
            return
        self.emit(None, rec.LinkUp(between=between) if up else rec.LinkDown(between=between, reason=reason or ""))
        if self.summary is not None:
            self.summary.link_changed(self.network, self.env._now)

    def apply(self, entry: NewEntry) -> None:
        """A player's or controller's entry takes effect in the simulated world (at the current time)."""
        payload, agency, env = entry.payload, entry.agency, self.env
        if isinstance(payload, ActionLogged):
            self.action_logged(agency, payload.action, None)
        elif isinstance(payload, MessageSent) and agency is not None:
            behaviour.Messenger(self, self.message(agency, payload.to, payload.message_id))
        elif isinstance(payload, ResourceRequested) and agency is not None:
            env.process(behaviour.resource_desk(env, self, agency, payload))
        elif isinstance(payload, InjectHeld):
            self.inject_state.setdefault(payload.inject_id, "held")
        elif isinstance(payload, InjectReleased):
            self.deliver(self.injects[payload.inject_id], override=payload.override)
        elif isinstance(payload, InjectAdded):
            self.injects[payload.inject.id] = payload.inject
            behaviour.simulation_cell(self, payload.inject)
        elif isinstance(payload, LinkDown | LinkUp):
            self.network.set_up(*payload.between, isinstance(payload, LinkUp))
        elif isinstance(payload, StatementIssued | MediaItemAdded):
            self.media_entry(agency, payload)

    def media_entry(self, agency: str | None, payload: StatementIssued | MediaItemAdded) -> None:
        """A statement or a controller's media item reaches the press and the public."""
        media = self.media
        if isinstance(payload, StatementIssued) and agency is not None:
            if media is None:
                self.action_logged(agency, payload.action, None)
            else:
                media.issue(agency, payload.action, payload.topics, payload.text)
        elif isinstance(payload, MediaItemAdded) and media is not None:
            media.add_item(payload.starts_rumour)


class Simulation:
    """One run of the model, fed external entries in journal order and advanced in time."""

    def __init__(self, scenario: Scenario, rng: Random, simulated: Iterable[str]) -> None:
        self.world = World(scenario, rng, frozenset(simulated))
        self.world.start()
        self.reached = 0.0
        """The latest time the run was advanced to: no external entry may come before it."""
        self.steps = 0
        """SimPy events processed so far."""
        self._entries: list[NewEntry] = []

    @property
    def record(self) -> list[rec.Happening]:
        """What the run has produced so far (append-only)."""
        return self.world.record

    @property
    def entries(self) -> list[NewEntry]:
        """The record as journal entries, each validated once: built as far as the record reaches."""
        record, entries = self.world.record, self._entries
        entries.extend(rec.to_entry(h) for h in record[len(entries) :])
        return entries

    def run_to(self, until: float) -> None:
        """Process every event at or before ``until``.

        Drivers that run the model for long (``batch.simulate``, ``live.advance``, ``live.replay``) pause
        the cyclic collector around it (``sim_engine.collector``)."""
        self.steps += self.world.env.run_through(until)
        self.reached = max(self.reached, until)

    def close(self) -> None:
        """Let go of the run once nothing more is wanted from it but its record (see ``World.close``)."""
        self.world.close()

    def feed(self, entry: NewEntry) -> None:
        """Apply an external entry at its time, after every engine event at or before that time."""
        if entry.kind not in EXTERNAL_KINDS:
            return
        self.run_to(entry.at)
        self.take(entry)

    def take(self, entry: NewEntry) -> None:
        """Apply an external entry now; the run must already be advanced to its time."""
        if entry.at < self.reached:
            raise EngineError(
                [
                    f"an external {entry.kind.value} entry is stamped {entry.at:g} s, before the time the "
                    f"simulation had already reached ({self.reached:g} s)"
                ],
                headline="the journal cannot be replayed",
            )
        self.reached = entry.at
        self.world.env.jump(entry.at)
        self.world.apply(entry)
