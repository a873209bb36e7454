"""The Participant Feedback Forms summarised for the AAR/IP's appendix: how many were filled and by
whom, each design-and-conduct statement's answers and median, and the free-text answers quoted as
the participants' words (attributed by role and agency, not by name)."""

from __future__ import annotations

from collections import Counter
from statistics import median

from aar.model import FeedbackQuote, FeedbackSummary, StatementSummary
from aar.names import Names
from aar.record import Record
from exercises.record.entries import FEEDBACK_QUESTIONS, FEEDBACK_STATEMENTS, Entry, FeedbackSubmitted

ROLE_WORDS = {"controller": "controller", "player": "player", "evaluator": "evaluator", "observer": "observer"}


def who(entry: Entry, names: Names) -> str:
    """'player, Town Fire Department'; 'observer'."""
    role = ROLE_WORDS.get(entry.actor.split(" (", 1)[0].split(":", 1)[0], "participant")
    return f"{role}, {names.agency(entry.agency)}" if entry.agency else role


def statement(key: str, forms: list[FeedbackSubmitted]) -> StatementSummary:
    given = [f.ratings[key] for f in forms if key in f.ratings]
    tally = Counter(given)
    return StatementSummary(
        statement=FEEDBACK_STATEMENTS[key], answers=len(given), median=float(median(given)) if given else None,
        counts=(tally[1], tally[2], tally[3], tally[4], tally[5]),
    )


def feedback(record: Record) -> FeedbackSummary | None:
    filled = [e for e in record.entries if isinstance(e.payload, FeedbackSubmitted)]
    if not filled:
        return None
    forms = [e.payload for e in filled if isinstance(e.payload, FeedbackSubmitted)]
    roles = Counter(who(e, record.names).split(",", 1)[0] for e in filled)
    quotes = [
        FeedbackQuote(question=FEEDBACK_QUESTIONS[key], text=text, who=who(e, record.names), seq=e.seq)
        for key in FEEDBACK_QUESTIONS
        for e in filled
        if isinstance(e.payload, FeedbackSubmitted) and (text := e.payload.answers.get(key, ""))  # type: ignore[call-overload]
    ]
    return FeedbackSummary(
        forms=len(filled), by_role=tuple(sorted(roles.items())),
        statements=tuple(statement(key, forms) for key in FEEDBACK_STATEMENTS), quotes=tuple(quotes),
    )
