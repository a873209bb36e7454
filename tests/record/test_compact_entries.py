"""Entries read from the journal share what they can (their given-fields sets, short texts) and
still behave as entries each of their own: a copy with a change never changes another entry."""

from __future__ import annotations

from exercises.record.entries import ActionLogged, Entry
from exercises.record.journal import to_entry
from exercises.storage.tables import JournalEntry


def _row(seq: int, text: str) -> JournalEntry:
    payload = ActionLogged(action="size_up", text=text).model_dump_json()
    return JournalEntry(exercise_id=1, seq=seq, at=60.0 * seq, wall_time=0.0, kind="action_logged", actor="player",
                        agency="fire", payload=payload, hash="", prev_hash="")


def test_entries_share_their_given_fields_and_stay_their_own() -> None:
    first, second = to_entry(_row(1, "logged during play")), to_entry(_row(2, "logged during play"))
    assert first.model_fields_set is second.model_fields_set  # one set for entries given the same fields
    assert first.payload.model_fields_set is second.payload.model_fields_set
    assert first.payload.text is second.payload.text  # a short text held once
    changed = first.model_copy(update={"agency": "eoc"})
    assert changed.agency == "eoc" and first.agency == second.agency == "fire"
    assert second.model_fields_set == {"seq", "at", "agency", "actor", "payload"}
    assert first.model_dump(exclude_unset=True) == Entry.model_validate(first.model_dump()).model_dump(exclude_unset=True)
    assert first == Entry.model_validate(first.model_dump())
