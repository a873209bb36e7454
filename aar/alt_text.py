"""Text alternatives of the report's figures: what each figure shows, in words, from the report model.

A reader who cannot see a figure (a screen reader, a text-only copy) gets the same facts: the Word
copy stores them as each picture's description and the tagged PDF made from it carries them as the
figures' alternate text. Worded here once, from the same model the figures are drawn from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from aar.model import AfterActionReport, TaskCount
from aar.names import quantity
from exercises.scenario.durations import format_duration

MAX_LISTED = 8
"""Items a text alternative names before it says how many more there are (the tables list them all)."""

_STATUS_WORDS = (("met", "met"), ("late", "late"), ("out_of_order", "out of order"), ("overdue", "overdue"),
                 ("missed", "missed"), ("open", "not due by end of play"), ("pending", "not due yet"))


def _listed(items: Sequence[str]) -> str:
    shown = "; ".join(items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return shown + (f"; and {more} more" if more > 0 else "")


def _counts(count: TaskCount) -> str:
    parts = [f"{getattr(count, key)} {word}" for key, word in _STATUS_WORDS if getattr(count, key)]
    return f"{count.label}: {', '.join(parts)}"


def compliance(counts: Sequence[TaskCount], by: str) -> str:
    rows = [_counts(c) for c in counts if any(getattr(c, key) for key, _ in _STATUS_WORDS)]
    return f"Bar chart of protocol instances by {by}, as in the table that follows. {_listed(rows)}."


def timeline(report: AfterActionReport) -> str:
    kinds = Counter(mark.kind for mark in report.timeline)
    end = max((mark.at for mark in report.timeline), default=0.0)
    shown = [f"{quantity(kinds[k], noun)}{after}" for k, noun, after in (
        ("inject", "inject", ""), ("action", "action", " logged"), ("message", "message", ""),
        ("late", "late deadline", ""), ("out_of_order", "action", " out of order"),
        ("missed", "missed deadline", ""), ("link_down", "link failure", ""),
        ("not_sent", "message", " not sent"), ("message_lost", "message", " lost"),
        ("delivered_late", "message", " delivered late"), ("unanswered", "message", " never answered"),
        ("not_relayed", "message", " not passed on")) if kinds[k]]
    if not shown:
        return "Timeline of play: nothing was recorded."
    return f"Timeline of play from 0:00 to {format_duration(end)}: {', '.join(shown)}, by agency."


def network(report: AfterActionReport) -> str:
    c, name = report.coordination, report.names.agency
    busiest = sorted((link for link in c.links if link.messages), key=lambda link: -link.messages)
    carried = [f"{name(link.between[0])} to {name(link.between[1])}: {quantity(link.messages, 'message')}"
               for link in busiest]
    failed = [f"{name(link.between[0])} to {name(link.between[1])}" + (f" ({link.lost} lost)" if link.lost else "")
              for link in c.links if link.down_intervals or link.lost]
    silent = [f"{a.name} ({a.not_sent})" for a in c.agencies if a.not_sent]
    cut = [a.name for a in c.agencies if a.cut_off]
    loaded = [a.name for a in c.agencies if a.overloaded]
    parts = [f"The agency network: {quantity(len(c.agencies), 'agency')} and "
             f"{quantity(len(c.links), 'link')}."]
    parts.append(f"Messages carried: {_listed(carried)}." if carried else "No message was carried.")
    parts += [f"{label}: {_listed(items)}." for label, items in (
        ("Links that failed", failed), ("Cut off from the lead agency", cut), ("Under heavy load", loaded),
        ("Messages not sent", silent)) if items]
    return " ".join(parts)


def baseline(report: AfterActionReport) -> str:
    b = report.baseline
    if b is None:
        return ""
    verdicts = Counter(c.verdict for c in b.comparisons if c.verdict != "not triggered")
    told = [f"{n} {verdict}" for verdict, n in verdicts.most_common()]
    return (f"Each protocol's actual response time against {b.runs} simulated runs (median and 90th "
            f"percentile): {_listed(told) if told else 'no protocol was triggered'}.")


def trust(report: AfterActionReport) -> str:
    pi = report.public_information
    if pi is None:
        return ""
    low = min(pi.trust, key=lambda s: s.trust, default=None)
    lowest = f", lowest {pi.trust_lowest:.0f} at {format_duration(low.at)}" if low is not None else ""
    return (f"Community trust index over time: {pi.trust_start:.0f} at the start, {pi.trust_end:.0f} at the "
            f"end{lowest}" + (f"; beside {pi.baseline_runs} simulated runs." if pi.baseline else "."))


FIGURES: dict[str, Callable[[AfterActionReport], str]] = {
    "timeline": timeline,
    "network": network,
    "compliance_agency": lambda r: compliance(r.by_agency, "responsible agency"),
    "compliance_protocol": lambda r: compliance(r.by_protocol, "protocol"),
    "baseline": baseline,
    "trust": trust,
}


def of(figure: str, report: AfterActionReport) -> str:
    """A figure's text alternative (empty for a figure this module does not describe)."""
    describe = FIGURES.get(figure)
    return describe(report) if describe is not None else ""
