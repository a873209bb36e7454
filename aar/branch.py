"""A branched exercise beside its parent: from the branch point on, each protocol instance's outcome
here and there (met here, missed there; response times side by side)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest

from aar.model import BranchComparisonRow, BranchOrigin, Finding
from aar.scoring import findings
from exercises.scenario.model import Scenario
from exercises.service.branching import Lineage


def open_after(found: Sequence[Finding], at: float) -> dict[tuple[str, str], list[Finding]]:
    """The findings not settled by exercise time ``at``, by protocol and agency, in instance order.
    An instance whose expected action came at or before ``at`` is the same in both exercises (the
    branch inherited that part of the record); every other one could go either way."""
    out: dict[tuple[str, str], list[Finding]] = {}
    for f in found:
        if f.done_at is None or f.done_at > at:
            out.setdefault((f.protocol_id, f.agency), []).append(f)
    return out


def branch_origin(scenario: Scenario, lineage: Lineage, found_here: Sequence[Finding]) -> BranchOrigin:
    """The report's account of where the exercise came from, with the comparison when the parent's
    record is at hand."""
    origin = BranchOrigin(
        parent_id=lineage.parent, parent_name=lineage.parent_name, seq=lineage.seq, at=lineage.at,
        head=lineage.head,
    )
    if lineage.parent_entries is None:
        return origin
    here = open_after(found_here, lineage.at)
    there = open_after(findings(scenario, lineage.parent_entries), lineage.at)
    rows = []
    for key in [*here, *(k for k in there if k not in here)]:
        for mine, theirs in zip_longest(here.get(key, []), there.get(key, [])):
            some = mine or theirs
            assert some is not None
            rows.append(BranchComparisonRow(
                protocol_id=some.protocol_id, protocol_title=some.protocol_title, agency=some.agency,
                agency_name=some.agency_name, here=mine, there=theirs,
            ))
    return origin.model_copy(update={"rows": tuple(rows)})
