"""The report's integrity section from the service's verification (``exercises.record.evidence``)."""

from __future__ import annotations

from datetime import UTC, datetime

from aar.model import RecordIntegrity
from exercises.record.journal import Verification


def record_integrity(checked: Verification) -> RecordIntegrity:
    """Everything the check proved and could not prove, with the key a reader verifies against."""
    return RecordIntegrity(
        entries=checked.entries,
        intact=checked.ok,
        head_hash=checked.head_hash,
        first_broken_seq=checked.broken_seq,
        problem=checked.problem,
        signature=checked.signature.value,
        signed_through_seq=checked.signed_through,
        signed_at=datetime.fromtimestamp(checked.signed_at, UTC) if checked.signed_at is not None else None,
        key_fingerprint=checked.key_fingerprint,
        public_key=checked.public_key,
        proven=checked.proves,
        not_proven=checked.cannot_prove,
    )
