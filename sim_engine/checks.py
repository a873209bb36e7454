"""What the engine refuses before a run starts, with every reason at once.

The loader already refuses malformed files and impossible distribution parameters. A ``Scenario``
can also be built in Python without the loader, so the engine checks again what would make a run
crash half-way or never end: references to agencies and links that do not exist, numbers that are
not finite, developments the incident model does not have, and protocols that trigger each other in
a loop (each simulated response would trigger the next, forever).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import networkx as nx

from exercises.scenario.model import (
    CasualtyModel,
    CrowdModel,
    Distribution,
    FireModel,
    GeneralModel,
    Scenario,
    developments_of,
)
from sim_engine.playbook import Playbook, Task
from sim_engine.sampling import parameters


class EngineError(ValueError):
    """A scenario or journal the engine cannot run."""

    def __init__(
        self, problems: Sequence[str], headline: str = "the simulation cannot run this scenario"
    ) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{headline}:\n" + "\n".join(f"- {p}" for p in self.problems))


def check_runnable(scenario: Scenario) -> None:
    """Raise one ``EngineError`` listing everything that stops the engine running ``scenario``."""
    problems = [*_references(scenario), *_numbers(scenario), *_developments(scenario)]
    if not problems:
        problems.extend(_loops(scenario))
    if problems:
        raise EngineError(problems)


def _references(sc: Scenario) -> Iterable[str]:
    agencies = {a.id for a in sc.agencies}
    pairs = set()
    if sc.lead_agency not in agencies:
        yield f"lead agency {sc.lead_agency!r} is not an agency of the scenario"
    for link in sc.links:
        for end in link.between:
            if end not in agencies:
                yield f"link {'-'.join(link.between)}: unknown agency {end!r}"
        if link.key in pairs:
            yield f"link {'-'.join(link.between)} is given twice"
        pairs.add(link.key)
    for inject in sc.msel:
        for to in inject.to:
            if to not in agencies:
                yield f"inject {inject.id}: unknown recipient {to!r}"
        if inject.effect:
            for ends in (inject.effect.link_down, inject.effect.link_up):
                if ends and frozenset(ends) not in pairs:
                    yield f"inject {inject.id}: there is no link {'-'.join(ends)} to bring down or up"
    for proto in sc.protocols:
        for agency in (proto.agency, *proto.trigger.agencies):
            if agency not in agencies:
                yield f"protocol {proto.id}: unknown agency {agency!r}"


def _numbers(sc: Scenario) -> Iterable[str]:
    def finite(where: str, *values: float) -> Iterable[str]:
        if not all(math.isfinite(v) for v in values):
            yield f"{where}: times and durations must be finite numbers"

    def dist(where: str, d: Distribution) -> Iterable[str]:
        yield from finite(where, *parameters(d))

    yield from finite("duration", sc.duration)
    for link in sc.links:
        yield from finite(f"link {'-'.join(link.between)} latency", link.latency)
    for inject in sc.msel:
        yield from finite(f"inject {inject.id} time", inject.time)
    for agency in sc.agencies:
        yield from dist(f"agency {agency.id} response_delay", agency.response_delay)
    for name, sim in sc.simulation.actions.items():
        yield from dist(f"simulation.actions.{name}.duration", sim.duration)
    yield from dist("simulation.message_handling", sc.simulation.message_handling)
    inc = sc.simulation.incident
    if isinstance(inc, CrowdModel):
        yield from dist("simulation.incident.escalate_every", inc.escalate_every)
    elif isinstance(inc, CasualtyModel):
        yield from finite("simulation.incident.arrive_over", inc.arrive_over)
        yield from dist("simulation.incident.yellow_to_red", inc.yellow_to_red)
        yield from dist("simulation.incident.red_to_black", inc.red_to_black)
    elif isinstance(inc, FireModel):
        yield from dist("simulation.incident.spread_every", inc.spread_every)
        yield from finite("simulation.incident.seconds_per_person", inc.seconds_per_person)
    elif isinstance(inc, GeneralModel):
        for dev in inc.developments:
            yield from dist(f"development {dev.id} delay", dev.delay)
            for need in dev.demand:
                yield from dist(f"development {dev.id} demand for", need.for_)


def _developments(sc: Scenario) -> Iterable[str]:
    model, known = sc.simulation.incident.model, developments_of(sc.simulation.incident)
    events = set(sc.event_names)
    for name, raised in sc.simulation.development_raises.items():
        if name not in known:
            yield f"simulation.raises: {name!r} is not a development of the {model!r} model ({', '.join(known)})"
        for event in raised:
            if event not in events:
                yield f"simulation.raises.{name}: event {event!r} is not declared"
    if isinstance(sc.simulation.incident, GeneralModel):
        yield from _general(sc, sc.simulation.incident)


def _general(sc: Scenario, inc: GeneralModel) -> Iterable[str]:
    """A general model's references: what a development comes after, the links and units it takes."""
    known = set(inc.names)
    pairs = {link.key for link in sc.links}
    units = {(a.id, u) for a in sc.agencies for u in a.resources}
    for dev in inc.developments:
        if dev.after is not None and dev.after not in known:
            yield f"development {dev.id}: it comes after {dev.after!r}, which is not a development"
        for ends in (*dev.links_down, *dev.links_up):
            if frozenset(ends) not in pairs:
                yield f"development {dev.id}: there is no link {'-'.join(ends)} to bring down or up"
        for need in dev.demand:
            if (need.agency, need.unit) not in units:
                yield f"development {dev.id}: agency {need.agency!r} has no units of type {need.unit!r}"


def _loops(sc: Scenario) -> Iterable[str]:
    """Protocol chains that come back to where they started would make simulated agencies respond forever."""
    book = Playbook(sc)
    actions = {p.action for p in sc.protocols} | {str(p.trigger.name) for p in sc.protocols if p.trigger.name}
    chain = nx.DiGraph()
    for agency in sc.agencies:
        for action in sorted(actions):
            task: Task = (agency.id, action)
            for pre in book.prerequisites.get(task, ()):
                chain.add_edge(task, (agency.id, pre))
            for follow in book.reactions(agency.id, action):
                chain.add_edge(task, follow)
    try:
        cycle = nx.find_cycle(chain)
    except nx.NetworkXNoCycle:
        return
    steps = " -> ".join(f"{a} {act}" for (a, act), _ in cycle)
    yield (
        f"protocols trigger each other in a loop ({steps} -> {cycle[0][0][0]} {cycle[0][0][1]}): "
        "simulated agencies would keep responding to each other forever"
    )
