"""The public-information environment: the press and the public, played by the engine.

Switched on by the scenario's ``media`` section (without one, ``make_media`` gives None and the model
runs exactly as before). Its actors are callbacks on the run's clock (``Clock.soon`` and
``Clock.alarm``), queued exactly where SimPy processes' starts and timeouts would be, so the run is
the same as with generator processes, without a process's event objects at every step:

- ``rumour``: a claim spreading by a logistic curve, reach(t) = peak / (1 + exp(-(t - midpoint) /
  steepness)) with t counted from its start, recorded every ``step``; once a statement addresses its
  topic it stops growing at once and its reach halves every ``half_life`` from the last one recorded,
  until it falls under 1 % of its peak;
- ``outlet``: an outlet or public voice publishing an item (a reaction from the scenario, its
  template filled with the happening's facts) after its drawn delay;
- ``public``: the community-trust index, moved every ``step`` by the rumours running unanswered;
- ``public_patience``: silence, each time ``silence_after`` passes without an official statement.

Trust also moves at once when a statement answers a rumour and when an action with a trust weight is
logged. The arithmetic is in docs/scenario-format.md: each driver adds its configured points, and the
index is kept within 0 to 100.

The media layer draws from its own generator, derived from the run's without drawing from it, so
switching it on leaves every other random number of the run as it was: the entries it adds are its
own and what they set off (events its rumours raise, the protocols those trigger).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import partial
from random import Random
from typing import TYPE_CHECKING

from exercises.scenario.durations import format_duration
from exercises.scenario.media_templates import fill
from exercises.scenario.model import Inject, MediaParams, MediaTrigger, Outlet, Reaction, Rumour, Scenario
from sim_engine import record as rec
from sim_engine.memo import per_scenario
from sim_engine.sampling import Sampler

if TYPE_CHECKING:
    from sim_engine.model import World

FADED = 0.01
"""An addressed rumour is followed until its reach falls under this share of its peak."""


def logistic_reach(rumour: Rumour, since_start: float) -> int:
    """The rumour's reach ``since_start`` seconds after it started, while nobody answers it."""
    exponent = -(since_start - rumour.midpoint) / rumour.steepness
    if exponent > 700:  # exp would overflow: the curve is at zero to the last person
        return 0
    return round(rumour.peak / (1.0 + math.exp(exponent)))


def decayed_reach(addressed_reach: int, since_addressed: float, half_life: float) -> int:
    """An addressed rumour's reach: halving every ``half_life`` from its reach when addressed."""
    return round(addressed_reach * 0.5 ** (since_addressed / half_life))


Stimulus = tuple[str, str]
"""What sets media off: ("inject", id), ("event", id), ("development", what), ("action", id), or
("statement", "") and ("silence", "")."""


def _stimulus(when: MediaTrigger) -> Stimulus:
    if when.inject is not None:
        return ("inject", when.inject)
    if when.event is not None:
        return ("event", when.event)
    if when.development is not None:
        return ("development", when.development)
    if when.action is not None:
        return ("action", when.action)
    return ("statement", "") if when.statement else ("silence", "")


@dataclass(frozen=True)
class Desk:
    """The media section indexed once per scenario: what each stimulus sets off."""

    params: MediaParams
    rumours: dict[Stimulus, list[Rumour]]
    reactions: dict[Stimulus, list[Reaction]]
    outlets: dict[str, Outlet]
    statement_actions: frozenset[str]
    watched_actions: frozenset[str]
    """Actions the media layer reacts to at all (the rest cost one set lookup)."""
    watched_developments: frozenset[str]
    """Developments of the incident that start a rumour or a reaction: a run records hundreds of
    developments (a casualty found, a patient moved), and the rest cost one set lookup."""

    @classmethod
    def of(cls, scenario: Scenario) -> Desk:
        params = scenario.media
        assert params is not None
        rumours: dict[Stimulus, list[Rumour]] = {}
        reactions: dict[Stimulus, list[Reaction]] = {}
        for rumour in params.rumours:
            rumours.setdefault(_stimulus(rumour.started_by), []).append(rumour)
        for reaction in params.reactions:
            reactions.setdefault(_stimulus(reaction.when), []).append(reaction)
        actions = {name for kind, name in (*rumours, *reactions) if kind == "action"}
        return cls(
            params=params,
            rumours=rumours,
            reactions=reactions,
            outlets={o.id: o for o in params.outlets},
            statement_actions=frozenset(params.statement_actions),
            watched_actions=frozenset(actions | set(params.statement_actions) | set(params.trust.actions)),
            watched_developments=frozenset(name for kind, name in (*rumours, *reactions) if kind == "development"),
        )


_desk = per_scenario(Desk.of)


@dataclass
class Spreading:
    """A rumour under way in this run."""

    rumour: Rumour
    started: float
    reach: int
    """The last reach recorded."""
    addressed_at: float | None = None
    addressed_reach: int = 0
    waiting: bool = False
    """Set while the rumour, at its peak, waits for an answer (nothing to record until then)."""


def media_generator(rng: Random) -> Random:
    """A generator for the media layer, derived from the run's without drawing from it."""
    state = rng.getstate()[1]
    digest = hashlib.sha256(repr(state[:16]).encode("ascii")).digest()
    return Random(int.from_bytes(digest[:16], "little"))


class Media:
    """The press and the public of one run."""

    def __init__(self, world: World, rng: Random) -> None:
        self.world = world
        self.desk = _desk(world.scenario)
        self.params = self.desk.params
        self.sampler = Sampler(media_generator(rng))
        self.trust = self.params.trust.start
        self.spreading: dict[str, Spreading] = {}
        self.quiet_since = 0.0
        """The last statement (or silence reaction): silence is counted from here."""
        self._items = 0
        self._issuing = False

    def start(self) -> None:
        env = self.world.env
        env.soon(lambda _: public(self))
        if self.params.silence_after is not None:
            env.soon(lambda _: public_patience(self))

    # --- hooks: what happens in the world ------------------------------------------------

    def on_inject(self, inject: Inject) -> None:
        self._stimulate(("inject", inject.id), {})
        if inject.raises:
            self.on_events(inject.raises)

    def on_events(self, events: tuple[str, ...]) -> None:
        for event in events:
            self._stimulate(("event", event), {})

    def on_development(self, what: str, raises: tuple[str, ...]) -> None:
        """A development of the incident (the world calls this only for those the desk watches, or that
        raise events: a run records hundreds of developments)."""
        if what in self.desk.watched_developments:
            self._stimulate(("development", what), {})
        if raises:
            self.on_events(raises)

    def on_action(self, agency: str | None, action: str) -> None:
        """An action was logged (by a simulated agency or a player); the world calls this only for the
        actions the desk watches."""
        desk = self.desk
        facts = {
            "agency": self._agency_name(agency),
            "action": self.world.scenario.vocabulary.get(action, action),
        }
        self._stimulate(("action", action), facts, by=agency)
        weight = self.params.trust.actions.get(action)
        if weight:
            self.move_trust(weight, "action", action)
        if action in desk.statement_actions and agency is not None and not self._issuing:
            # A simulated spokesperson answers every rumour out there; a player's plain logged
            # statement names no topic (the console's statement form does), nor does another agency's.
            speaks = agency in self.world.simulated and agency in self.world.scenario.spokespeople
            topics = None if speaks else ()
            self.statement(agency, topics, "")

    def issue(self, agency: str, action: str, topics: tuple[str, ...], text: str) -> None:
        """A player's statement on named topics: it answers their rumours, and counts as the action."""
        self.statement(agency, topics, text)
        self._issuing = True
        try:
            self.world.action_logged(agency, action, None)
        finally:
            self._issuing = False

    def add_item(self, starts_rumour: str | None) -> None:
        """A controller's item is in the journal already; it may start a rumour of the scenario."""
        if starts_rumour is not None:
            found = next((r for r in self.params.rumours if r.id == starts_rumour), None)
            if found is not None:
                self.start_rumour(found, {})

    # --- what the media layer does -------------------------------------------------------

    def statement(self, agency: str, topics: tuple[str, ...] | None, text: str) -> None:
        """An official statement: rumours on its topics (all running ones when None) stop growing."""
        world = self.world
        self.quiet_since = world.env.now
        for spreading in self.spreading.values():
            claim = spreading.rumour
            if spreading.addressed_at is not None or (topics is not None and claim.topic not in topics):
                continue
            spreading.addressed_at, spreading.addressed_reach = world.env.now, spreading.reach
            if spreading.waiting:
                spreading.waiting = False
                world.env.alarm(0.0, partial(answered, self, spreading))  # where an event succeeding now was
            world.emit(agency, rec.RumourAddressed(claim.id, claim.topic, spreading.reach))
            if self.params.trust.rumour_answered:
                self.move_trust(self.params.trust.rumour_answered, "rumour_answered", claim.id)
        self._stimulate(("statement", ""), {"agency": self._agency_name(agency), "statement": text})

    def start_rumour(self, claim: Rumour, facts: dict[str, str]) -> None:
        if claim.id in self.spreading:
            return  # a rumour starts once
        world = self.world
        reach = logistic_reach(claim, 0.0)
        spreading = self.spreading[claim.id] = Spreading(claim, world.env.now, reach)
        text = fill(claim.claim, self._facts(claim.outlet, claim.topic, facts))
        world.emit(None, rec.RumourStarted(claim.id, claim.topic, claim.outlet, text, reach, claim.raises))
        world.env.soon(lambda _: next_step(self, spreading))
        if claim.raises:
            world.raised(claim.raises)
            self.on_events(claim.raises)

    def publish(self, reaction: Reaction, facts: dict[str, str], cause: str) -> None:
        outlet_ = self.desk.outlets[reaction.outlet]
        text = fill(reaction.text, self._facts(outlet_.id, reaction.topic, facts))
        self.world.env.soon(lambda _: outlet(self, outlet_, text, reaction.topic, cause))

    def item_id(self) -> str:
        self._items += 1
        return f"media-{self._items}"

    def move_trust(self, change: float, driver: str, about: str) -> None:
        """Trust moves by ``change`` points, kept within 0 to 100 (the entry records the actual move)."""
        before = self.trust
        self.trust = min(100.0, max(0.0, before + change))
        if self.trust != before:
            world = self.world
            world.emit(None, rec.TrustChanged(self.trust, self.trust - before, driver, about))
            if world.summary is not None:
                world.summary.trust.append((world.env.now, self.trust))

    # --- helpers -------------------------------------------------------------------------

    def _stimulate(self, stimulus: Stimulus, facts: dict[str, str], by: str | None = None) -> None:
        for claim in self.desk.rumours.get(stimulus, ()):
            if claim.started_by.by is None or claim.started_by.by == by:
                self.start_rumour(claim, facts)
        for reaction in self.desk.reactions.get(stimulus, ()):
            if reaction.when.by is None or reaction.when.by == by:
                kind, name = stimulus
                self.publish(reaction, facts, f"{kind} {name}".strip())

    def _facts(self, outlet_id: str, topic: str | None, extra: dict[str, str]) -> dict[str, str]:
        scenario = self.world.scenario
        facts = {
            "incident": scenario.name,
            "location": scenario.location,
            "outlet": self.desk.outlets[outlet_id].name,
            "topic": self.params.topics.get(topic, "") if topic else "",
            "agency": "",
            "action": "",
            "statement": "",
            "time": format_duration(self.world.env.now),
            "minutes": "",
        }
        facts.update(extra)
        return facts

    def _agency_name(self, agency: str | None) -> str:
        if agency is None or agency not in self.world.agency_ids:
            return ""
        return self.world.scenario.agency(agency).name


def make_media(world: World, rng: Random) -> Media | None:
    return None if world.scenario.media is None else Media(world, rng)


# --- the actors ------------------------------------------------------------------------------
# Each was a SimPy generator; each wake-up is now a callback queued where the generator's start,
# timeout or awaited event was, so the run's order (and every entry) is as it was.


def next_step(media: Media, spreading: Spreading) -> None:
    """A rumour spreads by its curve until addressed, then fades; its reach is recorded each step.
    At its peak (the curve only rises) it stays there: it waits for the answer rather than wake every
    step (``Media.statement`` calls ``answered``)."""
    if spreading.addressed_at is None and spreading.reach >= spreading.rumour.peak:
        spreading.waiting = True
    else:
        media.world.env.alarm(media.params.step, lambda _: stepped(media, spreading))


def answered(media: Media, spreading: Spreading, _: object = None) -> None:
    """Answered at its peak: it goes on from the next step as if it had been stepping all along."""
    env, step = media.world.env, media.params.step
    after = spreading.started + (math.floor((env.now - spreading.started) / step) + 1) * step
    env.alarm(after - env.now if after > env.now else after + step - env.now, lambda _: stepped(media, spreading))


def stepped(media: Media, spreading: Spreading) -> None:
    """One step of a rumour: its reach recorded if it changed (or while it fades); faded, it ends."""
    claim, world = spreading.rumour, media.world
    if spreading.addressed_at is None:
        reach = logistic_reach(claim, world.env.now - spreading.started)
        growing = True
    else:
        reach = decayed_reach(spreading.addressed_reach, world.env.now - spreading.addressed_at, claim.half_life)
        growing = False
    if reach != spreading.reach or not growing:
        spreading.reach = reach
        world.emit(None, rec.RumourSpread(claim.id, reach, growing))
    if not growing and reach < max(1, claim.peak * FADED):
        return
    next_step(media, spreading)


def outlet(media: Media, source: Outlet, text: str, topic: str | None, cause: str) -> None:
    """An outlet or public voice publishes an item after its delay."""
    world = media.world
    delay = media.sampler.draw(source.delay)

    def published(_: object = None) -> None:
        world.emit(None, rec.MediaItemPublished(media.item_id(), source.id, text, source.reach, topic, cause))

    if delay > 0:
        world.env.alarm(delay, published)
    else:
        published()


def public(media: Media) -> None:
    """The public: each step, every rumour running unanswered wears trust down."""
    weight, step = media.params.trust.unanswered_rumour, media.params.step
    if not weight:
        return
    media.world.env.alarm(step, partial(_wear, media, weight, step))


def _wear(media: Media, weight: float, step: float, _: object) -> None:
    # A partial, not a closure calling itself: that closure would hold itself in a cycle, and with it
    # the whole run until the cyclic collector's next pass (a closed run leaves nothing for it).
    open_ = [s.rumour.id for s in media.spreading.values() if s.addressed_at is None]
    if open_:
        media.move_trust(weight * len(open_), "unanswered_rumour", ", ".join(open_))
    media.world.env.alarm(step, partial(_wear, media, weight, step))


def public_patience(media: Media) -> None:
    """Silence: each time ``silence_after`` passes without an official statement, the public notices."""
    after = media.params.silence_after
    assert after is not None
    env = media.world.env
    due = media.quiet_since + after
    if due - env.now > 1e-9:
        env.alarm(due - env.now, lambda _: public_patience(media))
        return
    media.quiet_since = env.now
    if media.params.trust.silence:
        media.move_trust(media.params.trust.silence, "silence", f"{after / 60:g} min without a statement")
    minutes = {"minutes": f"{after / 60:g}"}
    for reaction in media.desk.reactions.get(("silence", ""), ()):
        media.publish(reaction, minutes, "silence")
    public_patience(media)
