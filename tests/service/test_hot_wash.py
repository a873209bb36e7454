"""The hot wash: after the end, the facilitator (a controller) records per agency what participants
said, each attributed; before the end and for any other role, refused; a wrong point is voided."""

from __future__ import annotations

import pytest

from exercises.access import AccessDenied, ExerciseInputError
from exercises.record.corrections import effective
from exercises.record.entries import HotWashPoint
from tests.service.conftest import Opened


def test_the_facilitator_records_attributed_points_after_the_end(opened: Opened) -> None:
    svc = opened.service
    svc.start(opened.controller)
    with pytest.raises(ExerciseInputError, match="end the exercise first"):
        svc.record_hot_wash(opened.controller, "fire", "strength", "Command was clear", "Chief Diaz, IC")
    svc.end(opened.controller)
    entry = svc.record_hot_wash(opened.controller, "fire", "strength", "Command was clear", "Chief Diaz, IC")
    svc.record_hot_wash(opened.controller, "operator", "area_for_improvement", "Radio lost at 0:20", "Site lead")
    assert entry.agency == "fire" and isinstance(entry.payload, HotWashPoint)
    assert entry.payload.said_by == "Chief Diaz, IC" and entry.payload.after_end

    for caller in (opened.evaluator, opened.observer, opened.player("fire")):
        with pytest.raises(AccessDenied):
            svc.record_hot_wash(caller, "fire", "strength", "We did well", "Someone")
    with pytest.raises(ExerciseInputError, match="who said it"):
        svc.record_hot_wash(opened.controller, "fire", "strength", "We did well", "  ")

    svc.correct(opened.controller, entry.seq, "recorded under the wrong agency")
    kept = [e for e in effective(svc.journal(opened.controller)) if isinstance(e.payload, HotWashPoint)]
    assert [e.agency for e in kept] == ["operator"]
