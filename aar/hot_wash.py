"""The hot wash as the report carries it: what each agency's participants said right after play,
strengths and areas for improvement, each attributed; participants' views, never merged with the
evaluators' findings."""

from __future__ import annotations

from aar.model import HotWashView
from aar.record import Record
from exercises.record.entries import HotWashPoint


def hot_wash(record: Record) -> tuple[HotWashView, ...]:
    """Every hot-wash point as recorded (corrections already applied by the record), in order."""
    return tuple(
        HotWashView(seq=e.seq, agency=e.agency or "", point=e.payload.point, text=e.payload.text,
                    said_by=e.payload.said_by)
        for e in record.entries
        if isinstance(e.payload, HotWashPoint)
    )
