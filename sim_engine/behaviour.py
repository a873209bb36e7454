"""How the simulated actors behave: small SimPy generator functions, one per actor.

Each takes the ``World`` of the run (``sim_engine.model``) and records what happens through it, which
writes journal entries. An actor that waits on a chain of other actors (mutual aid, a player's
resource request) is a SimPy process; one that only waits out delays or for a unit of its own (the
simulation cell, a message on its way, a notification, a simulated agency at work) is a chain of
callbacks, which costs SimPy less than a process's start and end (about 3.5 µs against 8.5 µs per
delay).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import simpy

from exercises.record.entries import ResourceRequested
from exercises.scenario.model import Inject
from sim_engine import record as rec

if TYPE_CHECKING:
    from sim_engine.model import Grant, Message, World

Process = Generator[simpy.Event, Any, Any]


def simulation_cell(world: World, inject: Inject) -> None:
    """The simulation cell delivers an inject at its scenario time, unless it was held or released
    meanwhile (a one-shot delay: a timeout with a callback, not a process)."""

    world.env.alarm(max(0.0, inject.time - world.env.now), partial(_due, world, inject))


def _due(world: World, inject: Inject, _event: object) -> None:
    if world.inject_state.get(inject.id) is None:
        world.deliver(inject)


class AgencyTask:
    """A simulated agency at work on one task, once it has read the trigger and taken its response
    delay (``World.respond``): it performs the task's actions in order (prerequisites first); for one
    that ties up a unit it waits for a free one of its own, acts, and holds the unit for the action's
    duration. Each wait is a callback (a unit assigned, a duration over), not a process: the task runs
    as a process (``simulated_agency``) only when it must ask a neighbour for units (mutual aid).

    Same draws and same order as the process: each action's duration is drawn when the action comes
    up; an action whose unit type the agency lacks (without mutual aid) is not performed."""

    __slots__ = ("actions", "agency", "inject_id", "next", "world")

    def __init__(self, world: World, agency: str, actions: tuple[str, ...], inject_id: str | None) -> None:
        self.world, self.agency, self.actions, self.inject_id = world, agency, actions, inject_id
        self.next = 0
        self.carry_on()

    def carry_on(self) -> None:
        world, agency, actions = self.world, self.agency, self.actions
        while self.next < len(actions):
            action = actions[self.next]
            self.next += 1
            unit, duration = world.needs(action)
            if unit is None:
                world.act(agency, action, self.inject_id, duration)
            elif (agency, unit) in world.units:
                world.take(agency, unit, agency, partial(self.acting, action, duration))
                return

    def acting(self, action: str, duration: float, grant: Grant) -> None:
        self.world.act(self.agency, action, self.inject_id, duration)
        self.world.env.alarm(duration, lambda _event: self.done(grant))

    def done(self, grant: Grant) -> None:
        self.world.release(grant)
        self.carry_on()


def simulated_agency(
    env: simpy.Environment, world: World, agency: str, actions: tuple[str, ...], inject_id: str | None
) -> Process:
    """A simulated agency at work on a task that may need mutual aid (see ``AgencyTask``): a process,
    as it waits on a message's way and then on the neighbour's units."""
    for action in actions:
        yield from perform(env, world, agency, action, inject_id)


def perform(env: simpy.Environment, world: World, agency: str, action: str, inject_id: str | None) -> Process:
    """One action: take a unit of the type it uses (its own, else by mutual aid), act, hold the unit."""
    unit, duration = world.needs(action)
    grant: Grant | None = None
    if unit is not None:
        if (agency, unit) in world.units:
            grant = yield from world.seize(agency, unit, agency)
        elif world.scenario.simulation.mutual_aid:
            grant = yield from mutual_aid(env, world, agency, unit, action)
        if grant is None:
            return
    world.act(agency, action, inject_id, duration)
    if grant is not None:
        yield env.timeout(duration)
        world.release(grant)


class Messenger:
    """Carries a message hop by hop along the fastest working path, then calls ``then(arrived)``.

    The route is planned when the message leaves and followed, and planned again from where the message
    is if a link has changed since. Each hop is a timeout with a callback (a message only waits out
    latencies, so it needs no process of its own)."""

    __slots__ = ("here", "message", "path", "planned", "route", "then", "world")

    def __init__(self, world: World, message: Message, then: Callable[[bool], object] | None = None) -> None:
        self.world, self.message, self.then = world, message, then
        self.here, self.path = message.sender, [message.sender]
        self.route: list[str] | None = None
        self.planned = -1
        self.walk()

    def walk(self) -> None:
        world, network, here = self.world, self.world.network, self.here
        if here == self.message.to:
            world.delivered(self.message, self.path)
            self.done(True)
            return
        if self.planned != network.version:
            self.route, self.planned = network.route(here, self.message.to), network.version
        if self.route is None:
            world.lost(self.message, self.path, None)
            self.done(False)
            return
        world.env.alarm(network.latency(here, self.route[1]), self.hop)

    def hop(self, _event: object) -> None:
        world, network, here = self.world, self.world.network, self.here
        route = cast(list[str], self.route)
        there = route[1]
        self.path.append(there)
        reliability = network.reliability(here, there)
        if not network.is_up(here, there) or (reliability < 1.0 and not world.sampler.chance(reliability)):
            world.lost(self.message, self.path, (here, there))
            self.done(False)
            return
        self.here, self.route = there, route[1:]
        self.walk()

    def done(self, arrived: bool) -> None:
        if self.then is not None:
            self.then(arrived)


def messenger(env: simpy.Environment, world: World, message: Message) -> Generator[simpy.Event, Any, bool]:
    """For a process: send the message and wait until it arrives or is lost; returns whether it arrived."""
    outcome = env.event()
    Messenger(world, message, outcome.succeed)
    arrived: bool = yield outcome
    return arrived


def notification(world: World, message: Message, actions: list[str]) -> None:
    """News of an action travels to an agency whose protocols it triggers; a simulated one responds."""

    def arrived(delivered: bool) -> None:
        if delivered and message.to in world.simulated:
            reading = world.message_handling()
            for action in actions:
                world.respond(message.to, action, None, reading)

    Messenger(world, message, arrived)


def mutual_aid(env: simpy.Environment, world: World, requester: str, unit: str, action: str) -> Process:
    """A simulated agency without a unit type asks a neighbour that has one; returns the grant or None."""
    provider = world.aid_provider(requester, unit)
    if provider is None:
        return None
    request = world.message(requester, provider)
    text = f"Mutual aid: one {unit} for {action}"
    world.emit(
        requester,
        rec.ResourceRequested(request_id=request.id, to=provider, unit_type=unit, count=1, text=text),
    )
    if not (yield from messenger(env, world, request)):
        return None
    yield env.timeout(world.message_handling())
    return (yield from world.seize(provider, unit, requester, request.id))


def resource_desk(
    env: simpy.Environment, world: World, requester: str, request: ResourceRequested
) -> Process:
    """A player's resource request travels to the agency asked; a simulated one that has the unit type
    assigns units when they are free and recalls them after a deployment."""
    message = world.message(requester, request.to, request.request_id)
    if not (yield from messenger(env, world, message)):
        return
    if request.to not in world.simulated or (request.to, request.unit_type) not in world.units:
        return
    yield env.timeout(world.message_handling())
    grant = yield from world.seize(
        request.to, request.unit_type, requester, request.request_id, request.count
    )
    deployment = world.deployment(request.unit_type)
    if deployment is not None:
        yield env.timeout(deployment)
        world.release(grant)
