"""Credit where it is due: which findings rest on what people did, and the simulation's own.

An agency the simulation plays (``Record.simulated``) acts by the engine's draws: its results are
the simulation's, shown as such beside the baseline, never a rating, strength or area for
improvement of a played agency (docs/report.md, "Credit where it is due")."""

from __future__ import annotations

from collections.abc import Sequence

from aar.model import SHORTFALLS, Finding, Status
from aar.names import Names, quantity
from exercises.scoring import SCORED


def of_people(found: Sequence[Finding]) -> list[Finding]:
    """The findings of agencies people played: what ratings, strengths and areas rest on."""
    return [f for f in found if not f.by_simulation]


def simulation_sentence(found: Sequence[Finding], names: Names) -> str:
    """One sentence on the simulation's own instances, or '' when it played no responsible agency."""
    simulated = [f for f in found if f.by_simulation and f.status in SCORED]
    if not simulated:
        return ""
    agencies = ", ".join(dict.fromkeys(f.agency_name or names.agency(f.agency) for f in simulated))
    met = sum(f.status is Status.MET for f in simulated)
    short = sum(f.status in SHORTFALLS for f in simulated)
    return (
        f"A further {quantity(len(simulated), 'protocol instance')} belonged to agencies the simulation "
        f"played ({agencies}): {met} met, {short} late, out of order or missed by the simulation. They are "
        "the simulation's results, not rated and not counted as any agency's performance."
    )
