"""How the simulated actors behave: small SimPy generator functions, one per actor.

Each takes the SimPy environment and the ``World`` of the run (``sim_engine.model``), waits on
SimPy events, and records what happens through the world, which writes journal entries.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from exercises.entries import ResourceRequested
from exercises.scenario import Inject
from sim_engine import record as rec

if TYPE_CHECKING:
    from sim_engine.model import Grant, Message, World

Process = Generator[simpy.Event, Any, Any]


def simulation_cell(env: simpy.Environment, world: World, inject: Inject) -> Process:
    """The simulation cell delivers an inject at its scenario time, unless it was held or released."""
    yield env.timeout(max(0.0, inject.time - env.now))
    if world.inject_state.get(inject.id) is None:
        world.deliver(inject)


def simulated_agency(
    env: simpy.Environment, world: World, agency: str, action: str, inject_id: str | None, reading: float
) -> Process:
    """A simulated agency answers a trigger: it reads it, responds after its own delay and acts,
    first doing what its protocols say must come before that action."""
    yield env.timeout(reading + world.response_delay[agency]())
    for prerequisite in world.playbook.prerequisites.get((agency, action), ()):
        yield from perform(env, world, agency, prerequisite, inject_id)
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


def messenger(env: simpy.Environment, world: World, message: Message) -> Process:
    """Carries a message hop by hop along the fastest working path; returns whether it arrived.
    The route is planned once and followed, and planned again from where the message is if a link
    has changed since."""
    network = world.network
    here, path = message.sender, [message.sender]
    route, planned = None, -1
    while here != message.to:
        if planned != network.version:
            route, planned = network.route(here, message.to), network.version
        if route is None:
            return world.lost(message, path, None)
        there = route[1]
        yield env.timeout(network.latency(here, there))
        path.append(there)
        reliability = network.reliability(here, there)
        if not network.is_up(here, there) or (reliability < 1.0 and not world.sampler.chance(reliability)):
            return world.lost(message, path, (here, there))
        here, route = there, route[1:]
    world.delivered(message, path)
    return True


def notification(env: simpy.Environment, world: World, message: Message, actions: list[str]) -> Process:
    """News of an action travels to an agency whose protocols it triggers; a simulated one responds."""
    delivered = yield from messenger(env, world, message)
    if delivered and message.to in world.simulated:
        reading = world.message_handling()
        for action in actions:
            world.respond(message.to, action, None, reading)


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
