"""The run's record and the journal: the same fields, and a record that becomes the same entries."""

from __future__ import annotations

import pytest

from exercises.record.entries import Entry, MessageSent
from exercises.scenario.loading import load_scenario
from sim_engine.batch.runs import simulate
from sim_engine.record import JOURNAL_PAYLOADS, of_entry, records, to_entry
from tests.engine.helpers import BUNDLED


@pytest.mark.parametrize("record_type", list(JOURNAL_PAYLOADS), ids=lambda t: t.__name__)
def test_each_record_payload_has_exactly_its_journal_payloads_fields(record_type: type) -> None:
    journal_type = JOURNAL_PAYLOADS[record_type]
    assert record_type.__name__ == journal_type.__name__
    fields = {name: info for name, info in journal_type.model_fields.items() if name != "kind"}
    assert record_type._fields == tuple(fields)
    for name, info in fields.items():
        if info.is_required():
            assert name not in record_type._field_defaults, f"{record_type.__name__}.{name} has a default"
        elif name in record_type._field_defaults:
            assert record_type._field_defaults[name] == info.get_default(call_default_factory=True)


def test_a_runs_record_becomes_valid_journal_entries_and_back() -> None:
    sim = simulate(load_scenario(BUNDLED / "facility_fire.yaml"), seed=2, until=3 * 3600.0)
    kinds = {type(h.payload) for h in sim.record}
    assert len(kinds) >= 8, kinds  # the run exercises most of the record's payload kinds
    entries = sim.entries
    assert len(entries) == len(sim.record)
    for happening, entry in zip(sim.record, entries, strict=True):
        assert entry == to_entry(happening)
        assert entry.simulated and entry.at == happening.at and entry.agency == happening.agency
        assert of_entry(entry) == happening


def test_a_journal_entry_records_its_happening_and_nothing_else() -> None:
    """Live mode checks a journal's simulated entries against the run's record with ``records``: an
    entry read back from storage matches its happening; a change to any part of it does not."""
    sim = simulate(load_scenario(BUNDLED / "facility_fire.yaml"), seed=2, until=3 * 3600.0)
    for seq, happening in enumerate(sim.record, start=1):
        stored = Entry.model_validate_json(Entry(seq=seq, **to_entry(happening).model_dump()).model_dump_json())
        assert records(stored, happening)
    happening = next(h for h in sim.record if h.agency is not None)
    entry = to_entry(happening)
    assert not records(entry.model_copy(update={"at": happening.at + 0.5}), happening)
    assert not records(entry.model_copy(update={"agency": None}), happening)
    assert not records(entry.model_copy(update={"actor": "player-ems"}), happening)
    other = next(h for h in sim.record if h.payload != happening.payload)
    assert not records(entry.model_copy(update={"payload": to_entry(other).payload}), happening)
    # A player's kind of entry, stamped as the engine's, records nothing (and raises nothing).
    forged = entry.model_copy(update={"payload": MessageSent(message_id="m1", to="fire", text="x")})
    assert not records(forged, happening)
