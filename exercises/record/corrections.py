"""Corrections applied: the journal as it stands once every correction has taken effect.

A ``Correction`` voids the entry it ``corrects`` or, with a ``replacement``, stands in its place
(keeping the original's sequence number, time and agency: the correction fixes *what* was logged,
not when or by whom). A correction may itself be corrected: voiding a correction restores the
entry it had voided. Corrections always point backwards, so walking them newest first settles
every chain in one pass; of two corrections of one entry, the later one wins. The console, the
report and the scoring all read the journal through this one function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exercises.record.entries import Correction, Entry


@dataclass(frozen=True)
class Corrected:
    """The journal with its corrections applied."""

    entries: list[Entry]
    """Effective entries in sequence order: correction entries and voided entries left out,
    replaced entries carrying their replacement."""
    corrected_by: dict[int, int]
    """seq of a replaced entry -> seq of the correction that replaced it."""
    voided: set[int]
    corrections: list[Entry]
    """Every correction entry of the journal, in sequence order."""


def apply_corrections(journal: Iterable[Entry]) -> Corrected:
    """Apply every correction of ``journal`` (entries in any order)."""
    by_seq: dict[int, Entry] = {}
    corrections: list[Entry] = []
    for entry in journal:
        by_seq[entry.seq] = entry
        if isinstance(entry.payload, Correction):
            corrections.append(entry)
    corrections.sort(key=lambda e: e.seq)
    voided: set[int] = set()
    replaced: dict[int, Entry] = {}
    corrected_by: dict[int, int] = {}
    for corr in reversed(corrections):
        if corr.seq in voided:
            continue
        assert isinstance(corr.payload, Correction)
        target = corr.payload.corrects
        if target not in by_seq or target >= corr.seq or target in voided or target in replaced:
            continue  # a dangling or forward reference, or already settled by a later correction
        replacement = corr.payload.replacement
        if replacement is None or isinstance(by_seq[target].payload, Correction):
            voided.add(target)
        else:
            replaced[target] = by_seq[target].model_copy(update={"payload": replacement})
            corrected_by[target] = corr.seq
    out = [
        replaced.get(seq, entry)
        for seq, entry in sorted(by_seq.items())
        if seq not in voided and not isinstance(entry.payload, Correction)
    ]
    return Corrected(out, corrected_by, voided, corrections)


def effective(journal: Iterable[Entry]) -> list[Entry]:
    """The effective entries of ``journal``, in sequence order."""
    return apply_corrections(journal).entries
