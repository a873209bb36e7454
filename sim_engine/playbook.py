"""What the response plans and the MSEL ask of each agency, indexed for the engine.

A *task* is ``(agency, action)``. The rules, in the terms of the scenario:
- a protocol triggered by an event gives its agency a task whenever that event is raised;
- a protocol triggered by an action gives its agency a task whenever an agency it names (any, when it
  names none) performs that action;
- a ``before_trigger`` protocol is a prerequisite: an agency about to perform the trigger action itself
  first performs the protocol's action; when the trigger is another agency's action, the protocol's agency
  cannot see it coming, so it performs the action at the start of the exercise (a standing order, e.g.
  cameras on before any arrest);
- an inject's expected action is performed by the recipients that hold a protocol for it, else by the
  recipients that have the unit type the action uses, else by the first recipient; an action that
  exercises a delegated function (a plan's ``functions``) only by recipients that hold the authority
  for it, and by none when no recipient does (simulated agencies keep to their authority).
"""

from __future__ import annotations

from collections.abc import Iterable

from exercises.scenario.legal import overreach
from exercises.scenario.model import Inject, Scenario
from sim_engine.memo import per_scenario

Task = tuple[str, str]
"""(agency, action)."""


def unique(tasks: Iterable[Task]) -> list[Task]:
    """Tasks without repeats, first occurrence kept (one stimulus, one response per task)."""
    return list(dict.fromkeys(tasks))


class Playbook:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        everyone = frozenset(a.id for a in scenario.agencies)
        self.on_event: dict[str, list[Task]] = {}
        self.prerequisites: dict[Task, list[str]] = {}
        self._on_action: dict[str, list[tuple[frozenset[str], Task]]] = {}
        self._reactions: dict[tuple[str | None, str], list[Task]] = {}
        self._raised: dict[tuple[str, ...], list[Task]] = {}
        self._performers: dict[str, tuple[Inject, list[Task]]] = {}
        self._stimuli: dict[str, tuple[Inject, list[Task]]] = {}
        at_start: list[Task] = []
        for proto in scenario.protocols:
            task = (proto.agency, proto.action)
            trigger = proto.trigger
            if trigger.kind == "exercise_start":
                at_start.append(task)
            elif trigger.kind == "event":
                self.on_event.setdefault(str(trigger.name), []).append(task)
            elif proto.before_trigger:
                by = frozenset(trigger.agencies) or everyone
                if proto.agency in by:
                    self.prerequisites.setdefault((proto.agency, str(trigger.name)), []).append(proto.action)
                if by - {proto.agency}:
                    at_start.append(task)
            else:
                self._on_action.setdefault(str(trigger.name), []).append((frozenset(trigger.agencies), task))
        self.at_start = unique(at_start)
        self.holders = {(p.agency, p.action) for p in scenario.protocols}
        self._notified: dict[Task, list[tuple[str, list[str]]]] = {}
        self._steps: dict[Task, tuple[str, ...]] = {}

    def reactions(self, actor: str | None, action: str) -> list[Task]:
        """The tasks an action by ``actor`` triggers."""
        key = (actor, action)
        found = self._reactions.get(key)
        if found is None:
            found = unique(
                task
                for by, task in self._on_action.get(action, ())
                if not by or (actor is not None and actor in by)
            )
            self._reactions[key] = found
        return found

    def notified(self, actor: str, action: str) -> list[tuple[str, list[str]]]:
        """The tasks an action by ``actor`` triggers, grouped by the agency that gets them, in order."""
        key = (actor, action)
        found = self._notified.get(key)
        if found is None:
            targets: dict[str, list[str]] = {}
            for target, follow in self.reactions(actor, action):
                targets.setdefault(target, []).append(follow)
            found = self._notified[key] = list(targets.items())
        return found

    def steps(self, agency: str, action: str) -> tuple[str, ...]:
        """What an agency does for a task: the action's prerequisites, then the action."""
        key = (agency, action)
        found = self._steps.get(key)
        if found is None:
            found = self._steps[key] = (*self.prerequisites.get(key, ()), action)
        return found

    def raised(self, events: tuple[str, ...]) -> list[Task]:
        """The tasks raising these events gives."""
        found = self._raised.get(events)
        if found is None:
            found = unique(task for event in events for task in self.on_event.get(event, ()))
            self._raised[events] = found
        return found

    def performers(self, inject: Inject) -> list[Task]:
        """Who performs each of the inject's expected actions (see the module's rules)."""
        cached = self._performers.get(inject.id)
        if cached is not None and cached[0] is inject:
            return cached[1]
        found = [
            (agency, action)
            for action in inject.expected_actions
            for agency in self._performer_agencies(inject, action)
        ]
        self._performers[inject.id] = (inject, found)
        return found

    def stimulus(self, inject: Inject) -> list[Task]:
        """Everything an inject's delivery sets in motion: expected actions and raised events' protocols
        (an action that is another task's prerequisite is done once, as the prerequisite)."""
        cached = self._stimuli.get(inject.id)
        if cached is not None and cached[0] is inject:
            return cached[1]
        tasks = unique([*self.performers(inject), *self.raised(inject.raises)])
        first = {
            (agency, pre) for agency, action in tasks for pre in self.prerequisites.get((agency, action), ())
        }
        found = [task for task in tasks if task not in first]
        self._stimuli[inject.id] = (inject, found)
        return found

    def _performer_agencies(self, inject: Inject, action: str) -> list[str]:
        recipients = list(inject.to)
        if action in self.scenario.action_functions:
            recipients = [to for to in recipients if overreach(self.scenario, to, action) is None]
            if not recipients:
                return []
        holders = [to for to in recipients if (to, action) in self.holders]
        if holders:
            return holders
        sim = self.scenario.simulation.actions.get(action)
        if sim is not None and sim.uses is not None:
            equipped = [to for to in recipients if sim.uses in self.scenario.agency(to).resources]
            if equipped:
                return equipped
        return [recipients[0]]


playbook_of = per_scenario(Playbook)
"""The scenario's playbook, shared by its runs (it only grows its caches, which hold for the scenario)."""
