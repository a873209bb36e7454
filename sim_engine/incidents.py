"""Incident developments: one small set of SimPy processes per scenario kind.

- crowd (civil disturbance): the crowd grows; at intervals drawn from ``escalate_every`` it goes up a
  level, unless the response since the last interval calmed it: the pressure is 1 + inflaming actions
  - calming actions, and the level moves one step in its direction (one calming action holds the
  crowd where it is, two bring it down a level).
- casualties (mass casualty): patients arrive at the casualty collection point at uniform random times
  over ``arrive_over``; without care a yellow patient becomes red and a red one black after drawn
  times. The treat action cares for the most urgent waiting patient on scene; the transport action
  takes the most urgent one to the nearest hospital with a free bed, where, at the end of the
  transport, the patient occupies a bed for the rest of the exercise (hospitals fill up).
- fire (facility incident): the fire spreads a zone at a time until contained or fully involved;
  the contain action contains it at the end of the action's duration; the evacuate action moves the
  occupants at ``seconds_per_person`` each.
- general (any kind): the scenario's own named developments, each a process that waits for the one
  it comes after (if any), then for its drawn delay; an action among its ``responses`` stops it or
  multiplies the time it has left (each response once, the first time its action is done before the
  development happens: when a player logs it, at the end of a simulated agency's action); when it happens it records its casualties, raises its events, takes
  links down or brings them up, and commits the agencies' units it demands.

Every change is a ``Development`` entry; ``simulation.raises`` (and a general development's own
``raises``) names the events it raises.
"""

from __future__ import annotations

import bisect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, cast

import simpy

from exercises.record.entries import Scalar
from exercises.scenario.model import (
    AgencyKind,
    CasualtyModel,
    CrowdModel,
    DevelopmentDef,
    DevelopmentResponse,
    FireModel,
    GeneralModel,
    ResourceDemand,
)
from sim_engine import record as rec
from sim_engine.behaviour import Process

if TYPE_CHECKING:
    from sim_engine.model import World


class Incident(ABC):
    """What the incident does from the start, and how it reacts to actions."""

    model = ""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def on_action(self, agency: str | None, action: str, duration: float | None) -> None: ...

    def close(self) -> None:  # noqa: B027  (the built-in models leave nothing waiting: nothing to do)
        """The run is over: let go of what waits on events that will never come (``World.close``)."""


def make_incident(world: World) -> Incident:
    params = world.scenario.simulation.incident
    if isinstance(params, CrowdModel):
        return Crowd(world, params)
    if isinstance(params, CasualtyModel):
        return Casualties(world, params)
    if isinstance(params, GeneralModel):
        return General(world, params)
    return Fire(world, params)


# --- crowd -------------------------------------------------------------------------------


class Crowd(Incident):
    model = "crowd"

    def __init__(self, world: World, params: CrowdModel) -> None:
        self.world, self.params = world, params
        self.level = params.start_level
        self.calmed = self.inflamed = 0
        self.escalate_every = world.sampler.compile(params.escalate_every)
        self.calming, self.inflaming = frozenset(params.calming_actions), frozenset(params.inflaming_actions)

    def size(self, now: float) -> int:
        grown = self.params.initial_size + round(self.params.growth_per_hour * now / 3600)
        return min(self.params.max_size, grown)

    def start(self) -> None:
        self.world.env.process(crowd(self.world.env, self.world, self))

    def on_action(self, agency: str | None, action: str, duration: float | None) -> None:
        self.calmed += action in self.calming
        self.inflamed += action in self.inflaming


def crowd(env: simpy.Environment, world: World, state: Crowd) -> Process:
    """The crowd: at intervals it rises a level, or holds, or calms, by what the response did since."""
    levels = state.params.levels
    while True:
        yield env.timeout(state.escalate_every())
        pressure, state.calmed, state.inflamed = 1 + state.inflamed - state.calmed, 0, 0
        level = min(max(state.level + (pressure > 0) - (pressure < 0), 0), len(levels) - 1)
        if level != state.level:
            what = "crowd_escalated" if level > state.level else "crowd_calmed"
            state.level = level
            world.develop(what, level=level, level_name=levels[level], size=state.size(env.now))


# --- casualties --------------------------------------------------------------------------

URGENCY = {"red": 0, "yellow": 1, "green": 2}


@dataclass(slots=True)
class Patient:
    number: int
    category: str
    arrives: float
    on_scene: bool = False
    cared: bool = False
    transported: bool = False
    rank: int = 0
    """Place in the order of arrival (by time, then number)."""


_arrival = attrgetter("rank")


class Casualties(Incident):
    model = "casualties"

    def __init__(self, world: World, params: CasualtyModel) -> None:
        self.world, self.params = world, params
        self.patients: list[Patient] = []
        self.triage: dict[str, list[Patient]] = {category: [] for category in URGENCY}
        """Patients at the casualty collection point now, by START category, in order of arrival."""
        self.full: set[str] = set()
        draw = world.sampler.compile
        self.worsens = {
            "yellow": ("red", draw(params.yellow_to_red)),
            "red": ("black", draw(params.red_to_black)),
        }
        """Without care: what a category becomes, and after how long."""
        self.hospitals = [
            a.id
            for a in world.scenario.agencies
            if a.kind is AgencyKind.HOSPITAL and params.bed_unit in a.resources
        ]

    def start(self) -> None:
        counts, over, random = self.params.patients, self.params.arrive_over, self.world.sampler.rng.random
        for category in ("red", "yellow", "green", "black"):
            for _ in range(getattr(counts, category)):
                # Uniform over the arrival window: random.uniform(0, over), without its two calls.
                self.patients.append(Patient(len(self.patients) + 1, category, over * random()))
        arrivals = sorted(self.patients, key=attrgetter("arrives", "number"))
        for rank, p in enumerate(arrivals):
            p.rank = rank
        CollectionPoint(self.world, self, arrivals)

    def waiting(self, *, untreated: bool) -> Patient | None:
        """The most urgent patient on scene (untreated ones only, when asked), earliest arrival first."""
        for line in self.triage.values():
            for p in line:
                if not (untreated and p.cared):
                    return p
        return None

    def arrived(self, p: Patient) -> None:
        p.on_scene = True
        line = self.triage.get(p.category)
        if line is None:
            return
        if not line or line[-1].rank < p.rank:
            line.append(p)  # patients reach the scene in order of arrival
        else:
            bisect.insort(line, p, key=_arrival)

    def worsened(self, p: Patient, category: str) -> None:
        self._leave(p)
        p.category = category
        if category in self.triage:
            bisect.insort(self.triage[category], p, key=_arrival)

    def _leave(self, p: Patient) -> None:
        line = self.triage.get(p.category)
        if line is not None:
            del line[bisect.bisect_left(line, p.rank, key=_arrival)]

    def on_action(self, agency: str | None, action: str, duration: float | None) -> None:
        if action == self.params.treat_action:
            treated = self.waiting(untreated=True)
            if treated is not None:
                treated.cared = True
        if action == self.params.transport_action:
            moved = self.waiting(untreated=False)
            if moved is not None:
                self._leave(moved)
                moved.on_scene, moved.cared, moved.transported = False, True, True
                travel = self.world.duration_of(action, duration)
                self.world.after(travel, lambda: hospital(self.world, self, moved, agency))

    def choose_hospital(self, transporter: str | None) -> str | None:
        """The nearest hospital with a free bed, else the nearest, else the first one listed."""
        if not self.hospitals:
            return None
        pool, bed = self.world.pool, self.params.bed_unit
        free = [h for h in self.hospitals if pool(h, bed).count < pool(h, bed).capacity]
        if transporter is not None:
            chosen = self.world.network.nearest(transporter, free) or self.world.network.nearest(
                transporter, self.hospitals
            )
            if chosen is not None:
                return chosen
        return free[0] if free else self.hospitals[0]


class CollectionPoint:
    """The casualty collection point: patients reach it in the order they arrive, one arrival at a time,
    each a timeout whose callback expects the next (an actor without a process)."""

    __slots__ = ("casualties", "coming", "upcoming", "world")

    def __init__(self, world: World, casualties: Casualties, arrivals: list[Patient]) -> None:
        self.world, self.casualties, self.upcoming = world, casualties, iter(arrivals)
        self.coming: Patient | None = None
        self.expect()

    def expect(self) -> None:
        p = self.coming = next(self.upcoming, None)
        if p is not None:
            env = self.world.env
            env.alarm(p.arrives - env._now, self.arrive)

    def arrive(self, _event: object) -> None:
        casualties, world, p = self.casualties, self.world, cast(Patient, self.coming)
        casualties.arrived(p)
        world.develop("patient_arrived", patient=p.number, category=p.category)
        if p.category in casualties.worsens:
            patient(world, casualties, p)
        self.expect()


def patient(world: World, casualties: Casualties, p: Patient) -> None:
    """A patient on scene who, without care, goes yellow to red to black: each worsening is a timeout
    with a callback, and care before it comes stops the patient there."""
    worse, after = casualties.worsens[p.category]
    # partial, not a closure: no cells to make for every patient.
    world.env.alarm(after(), partial(_worsen, world, casualties, p, worse))


def _worsen(world: World, casualties: Casualties, p: Patient, worse: str, _event: object) -> None:
    if p.cared:
        return
    casualties.worsened(p, worse)
    world.develop(
        "patient_died" if worse == "black" else "patient_deteriorated", patient=p.number, category=worse
    )
    if p.category in casualties.worsens:
        patient(world, casualties, p)


def hospital(world: World, casualties: Casualties, p: Patient, transporter: str | None) -> None:
    """At the end of the transport, the nearest hospital with a free bed admits the patient into a bed
    (or a queue for one); a hospital that fills up says so."""
    chosen = casualties.choose_hospital(transporter)
    if chosen is None:
        return
    beds = world.pool(chosen, casualties.params.bed_unit)

    def admitted(_grant: object) -> None:
        if beds.count == beds.capacity and chosen not in casualties.full:
            casualties.full.add(chosen)
            world.develop("hospital_full", hospital=chosen, beds=beds.capacity, patient=p.number)

    world.take(chosen, casualties.params.bed_unit, transporter or chosen, admitted)


# --- fire --------------------------------------------------------------------------------


class Fire(Incident):
    model = "fire"

    def __init__(self, world: World, params: FireModel) -> None:
        self.world, self.params = world, params
        self.burning = 1
        self.contained = self.evacuating = False
        self.spread_every = world.sampler.compile(params.spread_every)

    def start(self) -> None:
        self.world.env.process(fire_spread(self.world.env, self.world, self))

    def on_action(self, agency: str | None, action: str, duration: float | None) -> None:
        if action == self.params.contain_action and not self.contained:
            self.world.after(self.world.duration_of(action, duration), lambda: firefighting(self.world, self))
        if action == self.params.evacuate_action and not self.evacuating:
            self.evacuating = True
            self.world.after(
                self.params.occupants * self.params.seconds_per_person, lambda: evacuation(self.world, self)
            )


def fire_spread(env: simpy.Environment, world: World, fire: Fire) -> Process:
    """The fire takes one more zone at intervals until it is contained or every zone burns."""
    zones = fire.params.zones
    while fire.burning < zones:
        yield env.timeout(fire.spread_every())
        if fire.contained:
            return
        fire.burning += 1
        world.develop(
            "fire_spread", zones_burning=fire.burning, zones=zones, injured=fire.params.injured_per_zone
        )


def firefighting(world: World, fire: Fire) -> None:
    """Firefighters working on the fire contain it when their action is done (called then)."""
    if not fire.contained:
        fire.contained = True
        world.develop("fire_contained", zones_burning=fire.burning, zones=fire.params.zones)


def evacuation(world: World, fire: Fire) -> None:
    """The occupants have left the building, ``seconds_per_person`` each (called when they have)."""
    world.develop("evacuation_complete", occupants=fire.params.occupants)


# --- general: the scenario's own developments ----------------------------------------------


class General(Incident):
    """The developments a scenario names, and the actions that change them before they happen."""

    model = "general"

    def __init__(self, world: World, params: GeneralModel) -> None:
        self.world, self.params = world, params
        self.delays = {d.id: world.sampler.compile(d.delay) for d in params.developments}
        self.factor = dict.fromkeys(self.delays, 1.0)
        """What the responses so far have made of each development's time left (0: stopped)."""
        self.state: dict[str, str] = {}
        """``due`` while its delay runs, then ``happened``; ``stopped`` whenever a response stopped it."""
        self.happened: dict[str, simpy.Event] = {}
        self.processes: dict[str, simpy.Process] = {}
        self.responses: dict[str, list[tuple[DevelopmentDef, DevelopmentResponse]]] = {}
        for dev in params.developments:
            for response in dev.responses:
                self.responses.setdefault(response.action, []).append((dev, response))
        self.applied: set[int] = set()
        """The responses that have taken effect (by identity): each does once, however often its action
        is logged (sandbagging the same section twice does not slow the water twice)."""

    def start(self) -> None:
        env = self.world.env
        self.happened = {d.id: env.event() for d in self.params.developments}
        for dev in self.params.developments:
            self.processes[dev.id] = env.process(development(env, self.world, self, dev))

    def on_action(self, agency: str | None, action: str, duration: float | None) -> None:
        """A response takes effect when the action is done: a player logs what was done (at once); a
        simulated agency logs an action as it starts it, and it is done at the end of its duration."""
        for dev, response in self.responses.get(action, ()):
            if response.agency is None or response.agency == agency:
                if duration:
                    self.world.after(duration, partial(self.respond, dev, response, agency, action))
                else:
                    self.respond(dev, response, agency, action)

    def respond(self, dev: DevelopmentDef, response: DevelopmentResponse, agency: str | None, action: str) -> None:
        """An action changes a development that has not happened: it stops it, or scales its time left."""
        state = self.state.get(dev.id)
        if state in ("happened", "stopped") or id(response) in self.applied:
            return
        self.applied.add(id(response))
        factor = 0.0 if response.stops else response.slows or 1.0 / (response.speeds or 1.0)
        self.factor[dev.id] *= factor
        change = "stopped" if response.stops else "slowed" if response.slows else "sped"
        detail: dict[str, Scalar] = {"change": change, "action": action, "factor": factor}
        self.world.emit(agency, rec.Development(self.model, dev.id, detail, ()))
        if response.stops:
            self.state[dev.id] = "stopped"
        if state == "due":
            self.processes[dev.id].interrupt(None if response.stops else factor)

    def happen(self, dev: DevelopmentDef) -> None:
        """The development happens: recorded (raising its events), then its effects, then what follows it."""
        world = self.world
        self.state[dev.id] = "happened"
        world.develop(dev.id, dev.tells, **({"casualties": dev.casualties} if dev.casualties else {}))
        for between in dev.links_down:
            world.set_link(between, False, dev.name)
        for between in dev.links_up:
            world.set_link(between, True, dev.name)
        for need in dev.demand:
            world.env.process(demand(world.env, world, need, dev.name))
        self.happened[dev.id].succeed()

    def close(self) -> None:
        for event in self.happened.values():
            if event.callbacks:
                event.callbacks.clear()
        self.processes.clear()


def development(env: simpy.Environment, world: World, incident: General, dev: DevelopmentDef) -> Process:
    """A development of the incident: it waits for the one it comes after, then for its delay (drawn
    then, scaled by the responses so far), which a response may scale again or cut short; then it
    happens, unless a response stopped it."""
    if dev.after is not None:
        yield incident.happened[dev.after]
    if incident.state.get(dev.id) == "stopped":
        return
    left = incident.delays[dev.id]() * incident.factor[dev.id]
    incident.state[dev.id] = "due"
    while True:
        since = env.now
        try:
            yield env.timeout(left)
            break
        except simpy.Interrupt as change:
            if change.cause is None:
                return
            left = (left - (env.now - since)) * change.cause
    incident.happen(dev)


def demand(env: simpy.Environment, world: World, need: ResourceDemand, cause: str) -> Process:
    """The incident's demand on an agency's units: it asks for them (first come, first served with
    the agency's other tasks), holds them for a drawn time, then frees them."""
    request = world.serial()
    world.emit(need.agency, rec.ResourceRequested(request, need.agency, need.unit, need.count, cause))
    grant = yield from world.seize(need.agency, need.unit, need.agency, request, need.count)
    yield env.timeout(world.sampler.compile(need.for_)())
    world.release(grant)
