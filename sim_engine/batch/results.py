"""What a batch of simulated replications says about a scenario: the simulated baseline.

Produced by ``sim_engine.batch.runs``; read by the after-action report to hold actual timings against
"teams following the plan" and by the console's designer page. Plain data, JSON round-trippable.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProtocolStats(_Data):
    protocol_id: str
    title: str
    agency: str
    critical: bool
    triggered_share: float
    """Share of runs in which the protocol was triggered at least once."""
    met_share: float
    """Share of triggered instances whose expected action came within the deadline (or in order)."""
    response_median_s: float | None
    """Seconds from trigger to the expected action, over instances where it happened."""
    response_p90_s: float | None
    deadline_s: float | None


class UnitStats(_Data):
    unit_type: str
    units: int
    utilisation: float
    """Busy unit-seconds over available unit-seconds, 0..1."""
    queue_wait_mean_s: float
    queue_wait_p90_s: float


class AgencyStats(_Data):
    agency: str
    units: tuple[UnitStats, ...]
    actions_mean: float
    """Actions performed per run, on average."""


class LinkStats(_Data):
    between: tuple[str, str]
    messages_mean: float
    """Messages carried per run (every hop counts), on average."""
    delay_mean_s: float
    lost_share: float


class TrustBaseline(_Data):
    """The media layer's community-trust index over the runs, sampled every media step."""

    at: tuple[float, ...]
    median: tuple[float, ...]
    p10: tuple[float, ...]
    p90: tuple[float, ...]


class BatchResult(_Data):
    scenario_id: str
    runs: int
    seed: int
    protocols: tuple[ProtocolStats, ...]
    agencies: tuple[AgencyStats, ...]
    links: tuple[LinkStats, ...]
    bottlenecks: tuple[str, ...]
    """Plain sentences naming the agencies, units and links that limit the response, worst first."""
    trust: TrustBaseline | None = None
    """The community-trust index over time (scenarios with a media layer)."""

    def protocol(self, protocol_id: str) -> ProtocolStats | None:
        return next((p for p in self.protocols if p.protocol_id == protocol_id), None)
