"""A readable line per simulated entry, like the ``.out`` files of SimPy's examples.

Used for the expected transcripts the tests compare and by ``hotwash simulate --transcript``.
Times are exercise time, ``H:MM:SS.s``.
"""

from __future__ import annotations

from collections.abc import Iterable

from exercises.record.entries import (
    ActionLogged,
    Development,
    InjectDelivered,
    InjectSkipped,
    LinkDown,
    LinkUp,
    MediaItemPublished,
    MessageDelivered,
    MessageLost,
    NewEntry,
    ResourceAssigned,
    ResourceReleased,
    ResourceRequested,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    TrustChanged,
)


def clock(seconds: float) -> str:
    tenths = round(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    return f"{hours}:{minutes:02d}:{rest // 10:02d}.{rest % 10}"


def what(entry: NewEntry) -> str:
    p = entry.payload
    if isinstance(p, InjectDelivered):
        return f"{p.inject_id} to {', '.join(p.to)}"
    if isinstance(p, InjectSkipped):
        return f"{p.inject_id}: {p.reason}"
    if isinstance(p, ActionLogged):
        return p.action + (f" (inject {p.inject_id})" if p.inject_id else "")
    if isinstance(p, MessageDelivered):
        about = f" about {p.about}" if p.about else ""
        return f"{p.message_id} from {p.sender} via {'>'.join(p.path)}, sent {clock(p.sent_at)}{about}"
    if isinstance(p, MessageLost):
        about = f" about {p.about}" if p.about else ""
        return f"{p.message_id} {p.sender} to {p.to}: {p.reason}{about}"
    if isinstance(p, ResourceRequested):
        return f"{p.request_id}: {p.count} {p.unit_type} from {p.to}"
    if isinstance(p, ResourceAssigned):
        return f"{p.request_id}: {p.count} {p.unit_type} to {p.requester}, waited {p.queue_wait:.1f} s"
    if isinstance(p, ResourceReleased):
        return f"{p.request_id}: {p.count} {p.unit_type} free"
    if isinstance(p, LinkDown):
        return "-".join(p.between) + (f" ({p.reason})" if p.reason else "")
    if isinstance(p, LinkUp):
        return "-".join(p.between)
    if isinstance(p, Development):
        detail = " ".join(f"{k}={v}" for k, v in p.detail.items())
        raised = f" raises {', '.join(p.raises)}" if p.raises else ""
        return f"{p.what} {detail}{raised}".rstrip()
    return _media(entry) or repr(p)


def _media(entry: NewEntry) -> str:
    p = entry.payload
    if isinstance(p, RumourStarted):
        raised = f" raises {', '.join(p.raises)}" if p.raises else ""
        return f"{p.rumour_id} ({p.topic}) by {p.outlet}, reach {p.reach}{raised}"
    if isinstance(p, RumourSpread):
        return f"{p.rumour_id} reach {p.reach} {'growing' if p.growing else 'fading'}"
    if isinstance(p, RumourAddressed):
        return f"{p.rumour_id} ({p.topic}) at reach {p.reach}"
    if isinstance(p, MediaItemPublished):
        return f"{p.item_id} {p.outlet} ({p.cause}), reach {p.reach}"
    if isinstance(p, TrustChanged):
        about = f" ({p.about})" if p.about else ""
        return f"{p.trust:.2f} ({p.change:+.2f}, {p.driver}{about})"
    return ""


def line(entry: NewEntry) -> str:
    return f"{clock(entry.at):>11}  {entry.agency or '-':<26} {entry.kind.value:<18} {what(entry)}"


def transcript(entries: Iterable[NewEntry]) -> str:
    return "".join(line(e) + "\n" for e in entries)
