"""The report's "Public information and community trust" section: a pure function of the scenario, the
journal (as the report reads it) and, when given, the simulated baseline.

- Time to first statement: from the start of play to the first official statement (a published
  statement, or a logged action among the scenario's ``media.statement_actions``), and by whom.
- Each rumour: when it started, by which outlet, its peak reach (and when), when it was addressed and
  by whom, and how long that took; a rumour never addressed says so.
- The trust curve: the index at the start and after every change, over exercise time, beside the
  baseline's median and 10th to 90th percentile band when a baseline for the scenario is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from exercises.record.entries import (
    ActionLogged,
    MediaItemAdded,
    MediaItemPublished,
    RumourAddressed,
    RumourSpread,
    RumourStarted,
    StatementIssued,
    TrustChanged,
)
from exercises.scenario.model import Scenario
from sim_engine.batch.results import BatchResult

if TYPE_CHECKING:  # aar.record imports aar.model, which holds this section's models
    from aar.record import Record


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RumourRow(_Data):
    rumour_id: str
    topic: str
    """The topic's label."""
    source: str
    """The outlet's name."""
    claim: str
    started_at: float
    peak_reach: int
    peak_at: float
    addressed_at: float | None
    addressed_by: str
    """The addressing agency's name ('' when never addressed)."""
    time_to_address_s: float | None
    reach_at_end: int


class TrustSample(_Data):
    at: float
    trust: float


class TrustBand(_Data):
    at: float
    median: float
    p10: float
    p90: float


class PublicInformation(_Data):
    """Public information and community trust, as the report shows it."""

    first_statement_at: float | None
    first_statement_by: str
    time_to_first_statement_s: float | None
    statements: int
    items_published: int
    rumours: tuple[RumourRow, ...]
    trust_start: float
    trust_end: float
    trust_lowest: float
    trust: tuple[TrustSample, ...]
    baseline: tuple[TrustBand, ...] = ()
    baseline_runs: int = 0
    end: float


def public_information(scenario: Scenario, record: Record, baseline: BatchResult | None) -> PublicInformation | None:
    """The section, or None for a scenario without a media layer."""
    media = scenario.media
    if media is None:
        return None
    names = {a.id: a.name for a in scenario.agencies}
    statements = [
        e
        for e in record.entries
        if isinstance(e.payload, StatementIssued)
        or (isinstance(e.payload, ActionLogged) and e.payload.action in media.statement_actions)
    ]
    start = record.started_at or 0.0
    first = statements[0] if statements else None
    trust = [TrustSample(at=0.0, trust=media.trust.start)]
    trust += [TrustSample(at=e.at, trust=e.payload.trust) for e in record.entries if isinstance(e.payload, TrustChanged)]
    return PublicInformation(
        first_statement_at=first.at if first else None,
        first_statement_by=names.get(first.agency or "", first.agency or "") if first else "",
        time_to_first_statement_s=first.at - start if first else None,
        statements=len(statements),
        items_published=sum(isinstance(e.payload, MediaItemPublished | MediaItemAdded) for e in record.entries),
        rumours=tuple(_rumours(scenario, record, names)),
        trust_start=media.trust.start,
        trust_end=trust[-1].trust,
        trust_lowest=min(t.trust for t in trust),
        trust=tuple(trust),
        baseline=_band(baseline) if baseline is not None and baseline.scenario_id == scenario.id else (),
        baseline_runs=baseline.runs if baseline is not None and baseline.scenario_id == scenario.id else 0,
        end=record.end,
    )


def _rumours(scenario: Scenario, record: Record, names: dict[str, str]) -> list[RumourRow]:
    media = scenario.media
    assert media is not None
    outlets = {o.id: o.name for o in media.outlets}
    rows: dict[str, dict[str, object]] = {}
    for e in record.entries:
        p = e.payload
        if isinstance(p, RumourStarted):
            rows[p.rumour_id] = {
                "rumour_id": p.rumour_id,
                "topic": media.topics.get(p.topic, p.topic),
                "source": outlets.get(p.outlet, p.outlet),
                "claim": p.text,
                "started_at": e.at,
                "peak_reach": p.reach,
                "peak_at": e.at,
                "addressed_at": None,
                "addressed_by": "",
                "time_to_address_s": None,
                "reach_at_end": p.reach,
            }
        elif isinstance(p, RumourSpread | RumourAddressed) and p.rumour_id in rows:
            row = rows[p.rumour_id]
            row["reach_at_end"] = p.reach
            if p.reach > int(str(row["peak_reach"])):
                row["peak_reach"], row["peak_at"] = p.reach, e.at
            if isinstance(p, RumourAddressed) and row["addressed_at"] is None:
                row["addressed_at"] = e.at
                row["addressed_by"] = names.get(e.agency or "", e.agency or "")
                row["time_to_address_s"] = e.at - float(str(row["started_at"]))
    return [RumourRow.model_validate(row) for row in rows.values()]


def _band(baseline: BatchResult) -> tuple[TrustBand, ...]:
    t = baseline.trust
    if t is None:
        return ()
    return tuple(
        TrustBand(at=at, median=m, p10=lo, p90=hi) for at, m, lo, hi in zip(t.at, t.median, t.p10, t.p90, strict=True)
    )
