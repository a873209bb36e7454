"""Participant Feedback Forms: every participant fills one after the end, players and observers
signed in read-only too; before the end, refused; out-of-range ratings and unknown statements refused."""

from __future__ import annotations

import pytest

from exercises.access import ExerciseInputError
from exercises.record.entries import FeedbackSubmitted
from tests.service.conftest import Opened, code_for


def test_every_participant_fills_the_form_after_the_end(opened: Opened) -> None:
    svc = opened.service
    svc.start(opened.controller)
    with pytest.raises(ExerciseInputError, match="once the exercise ends"):
        svc.submit_feedback(opened.player("fire"), {"structured": 4})
    svc.end(opened.controller)
    late_player = svc.sign_in(code_for(opened.created, "player", "fire"), name="Dana")
    assert late_player.read_only
    for caller in (opened.player("fire"), late_player, opened.observer, opened.evaluator, opened.controller):
        svc.submit_feedback(caller, {"structured": 4, "realistic": 2}, {"changes": "More injects for EMS"})
    forms = [e for e in svc.journal(opened.controller) if isinstance(e.payload, FeedbackSubmitted)]
    assert len(forms) == 5 and forms[0].agency == "fire" and forms[0].payload.after_end
    assert forms[1].actor == "player:fire (Dana)"


@pytest.mark.parametrize("ratings", [{"structured": 0}, {"structured": 6}, {"no_such_statement": 3}])
def test_a_bad_rating_is_refused(opened: Opened, ratings: dict[str, int]) -> None:
    opened.service.start(opened.controller)
    opened.service.end(opened.controller)
    with pytest.raises(ExerciseInputError):
        opened.service.submit_feedback(opened.observer, ratings)


def test_an_empty_form_is_refused(opened: Opened) -> None:
    opened.service.start(opened.controller)
    opened.service.end(opened.controller)
    with pytest.raises(ExerciseInputError, match="empty"):
        opened.service.submit_feedback(opened.observer, {}, {"changes": "   "})
