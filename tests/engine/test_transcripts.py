"""Expected transcripts, in the manner of SimPy's example ``.out`` files: a readable line per simulated
entry of one run (every agency simulated, a fixed seed, up to a fixed time) for the example and each
bundled scenario. A change to the model or to a scenario shows up here line by line.

Regenerate, after checking that a difference is intended, with:
    HOTWASH_REGENERATE_TRANSCRIPTS=1 pytest tests/engine/test_transcripts.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exercises.record.entries import NewEntry
from exercises.scenario.loading import load_scenario
from sim_engine.batch.runs import run_once
from sim_engine.transcript import clock, transcript
from tests.engine.helpers import BUNDLED, EXAMPLE

TRANSCRIPTS = Path(__file__).parent / "transcripts"
REGENERATE = os.environ.get("HOTWASH_REGENERATE_TRANSCRIPTS") == "1"
SEED = 1
UNTIL = 2 * 3600.0
SCENARIOS = {
    "warehouse_fire": EXAMPLE,
    "civil_disturbance": BUNDLED / "civil_disturbance.yaml",
    "mass_casualty": BUNDLED / "mass_casualty.yaml",
    "facility_fire": BUNDLED / "facility_fire.yaml",
    "river_flood": BUNDLED / "river_flood.yaml",
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_transcript(name: str) -> None:
    scenario = load_scenario(SCENARIOS[name])
    entries = run_once(scenario, SEED, 0, UNTIL)
    header = f"# {scenario.id}: every agency simulated, seed {SEED}, replication 0, until {clock(UNTIL)}\n"
    text = header + transcript(entries)
    expected = TRANSCRIPTS / f"{name}.out"
    if REGENERATE:
        expected.write_text(text, encoding="utf-8")
    assert expected.exists(), f"no {expected.name}: set HOTWASH_REGENERATE_TRANSCRIPTS=1 to write it"
    assert text == expected.read_text(encoding="utf-8"), (
        f"{name}: the simulated transcript changed (if intended, regenerate with HOTWASH_REGENERATE_TRANSCRIPTS=1)"
    )
    # What the journal stores and reads back is exactly what the engine produced.
    for entry in entries:
        assert NewEntry.model_validate_json(entry.model_dump_json()) == entry
