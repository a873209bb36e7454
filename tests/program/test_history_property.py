"""The corrective actions' history on generated changes: any text a person may write hashes and
verifies, and any edit of any change's who, why or fields is detected."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.program import history
from exercises.program.history import NewChange
from exercises.storage.tables import CorrectiveActionChange, Exercise, ImprovementRecord

EXERCISE = Exercise(id=3, name="Harbor TTX", seed=1, scenario_id="harbor", scenario_json="{}", scenario_sha256="0" * 64,
                    created_at=1_750_000_000.0, genesis_hash="", head_hash="", chain_format=2)


class _Bag:
    """Stands in for the session: ``history.append`` only adds rows."""

    def __init__(self) -> None:
        self.rows: list[Any] = []

    def add(self, row: Any) -> None:
        self.rows.append(row)


text = st.text(max_size=200)
changes = st.lists(
    st.builds(NewChange, action_key=st.sampled_from(["protocol:NOT-01", "observation:7"]), actor=text.filter(bool),
              why=text.filter(str.strip), fields=st.dictionaries(st.sampled_from(["notes", "status"]), text, min_size=1)),
    min_size=1, max_size=8,
)


def _written(new: list[NewChange]) -> tuple[ImprovementRecord, list[CorrectiveActionChange]]:
    start = history.genesis(EXERCISE)
    head = ImprovementRecord(exercise_id=3, finalised_at=0.0, finalised_by="controller", genesis_hash=start,
                             head_hash=start)
    bag = _Bag()
    for one in new:  # one append per change, as updates arrive
        history.append(bag, head, [one], 1_750_000_100.5)  # type: ignore[arg-type]
    return head, [r for r in bag.rows if isinstance(r, CorrectiveActionChange)]


@settings(max_examples=60, deadline=None)
@given(changes, st.data())
def test_any_history_verifies_and_any_edit_shows(new: list[NewChange], data: st.DataObject) -> None:
    head, rows = _written(new)
    assert history.verify(EXERCISE, head, rows).ok
    victim = data.draw(st.integers(0, len(rows) - 1))
    what = data.draw(st.sampled_from(["actor", "why", "fields"]))
    row = rows[victim]
    original = getattr(row, what)
    setattr(row, what, original + " " if what != "fields" else original.replace("}", ',"x":"y"}', 1))
    found = history.verify(EXERCISE, head, rows)
    assert not found.ok and f"change {victim + 1}" in str(found)
    setattr(row, what, original)
    assert history.verify(EXERCISE, head, rows[:-1]).problem is not None  # a removed last change
