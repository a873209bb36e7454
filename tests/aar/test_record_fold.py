"""The evaluator's page folds the record head by head (``aar.record.RecordFolder``): at every head it
must be the record the report builds whole from the same journal, with the same findings, and a record
handed out at one head must not change when the journal moves on."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aar.record
import aar.scoring
from aar.record import Record, RecordFolder, build_record
from aar.scoring import findings
from exercises.record.entries import ActionLogged, ClockEnded, Correction, Entry, ObservationRecorded
from exercises.scenario.model import Scenario
from exercises.scoring import score_protocol
from tests.journals import journals, scenario_with_variants


def _with_end(items: list[Entry], end: int | None) -> list[Entry]:
    """``items`` with the clock's end put in after ``end`` entries (later seqs, and what corrections
    point at, moved up by one) and an observation recorded after the end at the close."""
    if end is None:
        return items
    end = min(end, len(items))

    def moved(seq: int) -> int:
        return seq + 1 if seq > end else seq

    out = []
    for e in items:
        p = e.payload
        if isinstance(p, Correction):
            p = p.model_copy(update={"corrects": moved(p.corrects)})
        out.append(e.model_copy(update={"seq": moved(e.seq), "payload": p}))
    at = out[end - 1].at if end else 0.0
    out.insert(end, Entry(seq=end + 1, at=at, agency=None, actor="controller", payload=ClockEnded()))
    last = max((e.at for e in out), default=0.0)
    out.append(Entry(seq=len(out) + 1, at=last, agency=None, actor="evaluator (Dana Reyes)",
                     payload=ObservationRecorded(capability="Operational Coordination", text="late", after_end=True)))
    return out


def essence(scenario: Scenario, record: Record) -> tuple[object, ...]:
    """Everything a reader takes from a record, the protocol index's instances included."""
    index = record.index
    scored = [score_protocol(p, index, now=record.end, ended=record.ended_at is not None) for p in scenario.protocols]
    return (record.entries, record.corrected_by, record.voided, record.corrections, record.journal_size,
            record.started_at, record.ended_at, record.last_at, record.names, record.after_end,
            record.played_by_simulation, record.by_payload, record.injects, record.actions, record.events,
            index.start, index.messages, index.answers, scored)


@settings(max_examples=60, deadline=None)
@given(journal=journals(), cuts=st.lists(st.integers(0, 70), max_size=4), end=st.none() | st.integers(0, 60))
def test_a_record_folded_head_by_head_is_the_record_built_whole(
    journal: tuple[str, list[Entry], float, bool], cuts: list[int], end: int | None
) -> None:
    name, items, _, _ = journal
    scenario = scenario_with_variants(name)
    items = _with_end(items, end)
    folder = RecordFolder(scenario)
    kept: list[tuple[Record, tuple[object, ...]]] = []
    for cut in [*sorted({min(c, len(items)) for c in cuts}), len(items)]:
        head = items[:cut]
        folded, whole = folder.record(head), build_record(scenario, head)
        assert essence(scenario, folded) == essence(scenario, whole)
        assert findings(scenario, folded) == findings(scenario, whole)
        kept.append((folded, essence(scenario, folded)))
    # A session still drawing an earlier head reads that head's record, untouched by the folds after it.
    for record, then in kept:
        assert essence(scenario, record) == then


def test_a_new_head_without_a_correction_is_folded_not_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = scenario_with_variants("warehouse")
    action = scenario.protocols[0].action
    items = [Entry(seq=n, at=60.0 * n, agency=scenario.protocols[0].agency, actor="player:x",
                   payload=ActionLogged(action=action)) for n in range(1, 21)]
    builds: list[int] = []
    whole = aar.record.build_record
    monkeypatch.setattr(aar.record, "build_record", lambda s, j: builds.append(len(j)) or whole(s, j))
    folder = RecordFolder(scenario)
    for head in (5, 6, 12, 20):
        assert folder.record(items[:head]).journal_size == head
    assert builds == [5]  # the first head is built whole, the later ones folded on
    corrected = [*items, Entry(seq=21, at=1200.0, agency=None, actor="controller",
                               payload=Correction(corrects=3, reason="typo"))]
    assert 3 not in {e.seq for e in folder.record(corrected).entries}
    assert builds == [5, 21]  # a correction changes entries already taken in: built whole again


@settings(max_examples=60, deadline=None)
@given(journal=journals(), cuts=st.lists(st.integers(0, 70), max_size=5), end=st.none() | st.integers(0, 60),
       order=st.randoms(use_true_random=False))
def test_findings_kept_from_head_to_head_are_the_findings_made_afresh(
    journal: tuple[str, list[Entry], float, bool], cuts: list[int], end: int | None, order: random.Random
) -> None:
    """The findings a fold keeps (``Record.kept``), asked of its heads in any order: each head's
    are those of the record built whole, unanswered instances brought to that head's time."""
    name, items, _, _ = journal
    scenario = scenario_with_variants(name)
    items = _with_end(items, end)
    folder = RecordFolder(scenario)
    heads = [folder.record(items[:cut]) for cut in [*sorted({min(c, len(items)) for c in cuts}), len(items)]]
    for record in [*heads, *order.sample(heads, len(heads))]:
        assert findings(scenario, record) == findings(scenario, build_record(scenario, items[:record.journal_size]))


def test_a_new_head_scores_again_only_the_protocols_its_entries_touch(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = scenario_with_variants("warehouse")
    touched = scenario.protocols[0]
    items = [Entry(seq=n, at=60.0 * n, agency=touched.agency, actor="player:x",
                   payload=ActionLogged(action=touched.action)) for n in range(1, 21)]
    scored: list[str] = []
    score = aar.scoring.score_protocol
    monkeypatch.setattr(aar.scoring, "score_protocol", lambda p, *a, **k: scored.append(p.id) or score(p, *a, **k))
    folder = RecordFolder(scenario)
    findings(scenario, folder.record(items[:10]))
    assert len(scored) == len(scenario.protocols)
    scored.clear()
    findings(scenario, folder.record(items))
    resting = {p.id for p in scenario.protocols if (p.agency, p.action) == (touched.agency, touched.action)
               or (p.trigger.kind == "action" and p.trigger.name == touched.action)}
    assert set(scored) == resting and touched.id in resting
