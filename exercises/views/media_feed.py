"""What the console shows of the media layer: the feed of posts, news and statements, and trust.

Pure functions of (scenario, journal). Everyone in an exercise sees the same feed: it is what the
public sees. Names, never ids: outlets, agencies and topics are shown by their labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from exercises.record.entries import (
    Entry,
    MediaItemAdded,
    MediaItemPublished,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    StatementIssued,
    TrustChanged,
)
from exercises.scenario.model import Scenario


class FeedItem(BaseModel):
    """One post, news item, rumour or official statement, as it stands now."""

    model_config = ConfigDict(frozen=True)

    seq: int
    at: float
    kind: Literal["rumour", "post", "statement"]
    source: str
    """The outlet's name, or for a statement the agency's."""
    text: str
    reach: int
    topics: tuple[str, ...] = ()
    """Topic labels."""
    rumour_id: str | None = None
    peak_reach: int = 0
    answered: bool = False
    answered_by: str = ""
    answered_at: float | None = None
    added_by_controller: bool = False


class MediaDesk(BaseModel):
    """What a console needs to offer the media forms to one caller: names, never ids, on screen."""

    model_config = ConfigDict(frozen=True)

    enabled: bool
    topics: dict[str, str]
    """Topic id -> label."""
    outlets: dict[str, str]
    """Outlet id -> name."""
    rumours: dict[str, str]
    """Rumour id -> its topic's label and first words (controllers only: players are not told what is
    coming)."""
    spokespeople: tuple[str, ...]
    """Names of the agencies that may publish statements."""
    may_publish: bool
    """Whether this caller may publish a statement from its console (a spokesperson agency's player;
    the service also lets a controller publish for a spokesperson agency, naming it)."""


class TrustPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: float
    trust: float


def _name(scenario: Scenario, agency: str | None) -> str:
    if agency is None:
        return ""
    found = next((a for a in scenario.agencies if a.id == agency), None)
    return found.name if found else agency


def media_feed(scenario: Scenario, entries: Sequence[Entry]) -> list[FeedItem]:
    """The feed, newest first: rumours with their current and peak reach and whether answered."""
    if scenario.media is None:
        return []
    items: dict[int, FeedItem] = {}
    rumours: dict[str, int] = {}
    for e in entries:
        p = e.payload
        if isinstance(p, RumourStarted):
            rumours[p.rumour_id] = e.seq
            items[e.seq] = feed_item(scenario, e)
        elif isinstance(p, RumourSpread | RumourAddressed) and p.rumour_id in rumours:
            seq = rumours[p.rumour_id]
            items[seq] = rumour_update(scenario, items[seq], e)
        elif isinstance(p, MediaItemPublished | MediaItemAdded | StatementIssued):
            items[e.seq] = feed_item(scenario, e)
    return sorted(items.values(), key=lambda i: (i.at, i.seq), reverse=True)


def feed_item(scenario: Scenario, e: Entry) -> FeedItem:
    """The feed's item for a rumour started, a post or news item, or an official statement."""
    assert scenario.media is not None
    outlets = {o.id: o for o in scenario.media.outlets}
    topics = scenario.media.topics
    p = e.payload
    if isinstance(p, RumourStarted):
        return FeedItem(
            seq=e.seq, at=e.at, kind="rumour", source=outlets[p.outlet].name if p.outlet in outlets else p.outlet,
            text=p.text, reach=p.reach, peak_reach=p.reach, topics=(topics.get(p.topic, p.topic),),
            rumour_id=p.rumour_id,
        )
    if isinstance(p, MediaItemPublished | MediaItemAdded):
        outlet = outlets.get(p.outlet)
        reach = p.reach or (outlet.reach if outlet else 0)
        return FeedItem(
            seq=e.seq, at=e.at, kind="post", source=outlet.name if outlet else p.outlet, text=p.text,
            reach=reach, peak_reach=reach, topics=(topics.get(p.topic, p.topic),) if p.topic else (),
            added_by_controller=isinstance(p, MediaItemAdded),
        )
    assert isinstance(p, StatementIssued)
    return FeedItem(
        seq=e.seq, at=e.at, kind="statement", source=_name(scenario, e.agency), text=p.text, reach=0,
        topics=tuple(topics.get(t, t) for t in p.topics),
    )


def rumour_update(scenario: Scenario, item: FeedItem, e: Entry) -> FeedItem:
    """A rumour's item after it spread or was addressed (``e``)."""
    p = e.payload
    assert isinstance(p, RumourSpread | RumourAddressed)
    update: dict[str, object] = {"reach": p.reach, "peak_reach": max(item.peak_reach, p.reach)}
    if isinstance(p, RumourAddressed):
        update |= {"answered": True, "answered_by": _name(scenario, e.agency), "answered_at": e.at}
    return item.model_copy(update=update)


def trust_curve(scenario: Scenario, entries: Sequence[Entry]) -> list[TrustPoint]:
    """The community-trust index over exercise time: its start, then every change."""
    if scenario.media is None:
        return []
    points = [TrustPoint(at=0.0, trust=scenario.media.trust.start)]
    points += [TrustPoint(at=e.at, trust=e.payload.trust) for e in entries if isinstance(e.payload, TrustChanged)]
    return points


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"


def media_desk(scenario: Scenario, *, agency: str | None, controller: bool) -> MediaDesk:
    media = scenario.media
    if media is None:
        return MediaDesk(enabled=False, topics={}, outlets={}, rumours={}, spokespeople=(), may_publish=False)
    spokespeople = scenario.spokespeople
    rumours = {r.id: f"{media.topics.get(r.topic, r.topic)}: {_clip(r.claim, 60)}" for r in media.rumours} if controller else {}
    return MediaDesk(
        enabled=True,
        topics=dict(media.topics),
        outlets={o.id: o.name for o in media.outlets},
        rumours=rumours,
        spokespeople=tuple(a.name for a in scenario.agencies if a.id in spokespeople),
        may_publish=agency is not None and agency in spokespeople,
    )
