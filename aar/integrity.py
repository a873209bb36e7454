"""The report's integrity section and its cover statement, from the service's verification
(``exercises.record.evidence``) or a journal file's check (``aar.journal_file``): the one place
the report's words about the record's trustworthiness are decided."""

from __future__ import annotations

from datetime import UTC, datetime

from aar.model import RecordIntegrity
from exercises.record.evidence import fingerprint
from exercises.record.journal import Verification


def record_integrity(checked: Verification) -> RecordIntegrity:
    """Everything the check proved and could not prove, with the key a reader verifies against."""
    integrity = RecordIntegrity(
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
    return with_cover(integrity)


def file_integrity(
    *, entries: int, head_hash: str | None, broken_seq: int | None = None, problem: str | None = None,
    signed_at: datetime | None = None, key_fingerprint: str | None = None, public_key: str | None = None,
    proven: tuple[str, ...] = (),
) -> RecordIntegrity:
    """A journal file's check: sealed at export under a pinned key, or what does not hold."""
    integrity = RecordIntegrity(
        entries=entries, intact=problem is None, head_hash=head_hash, first_broken_seq=broken_seq, problem=problem,
        signature="unsigned" if problem else "signed", signed_through_seq=None if problem else entries,
        signed_at=signed_at, key_fingerprint=key_fingerprint, public_key=public_key, proven=proven,
    )
    return with_cover(integrity)


def with_cover(i: RecordIntegrity) -> RecordIntegrity:
    """``i`` with the cover's statement: a record that does not verify is named so first, loudly."""
    if not i.intact:
        where = f" (from entry {i.first_broken_seq})" if i.first_broken_seq is not None else ""
        return i.model_copy(update={"alarm": True, "cover": (
            f"WARNING: THIS RECORD DOES NOT VERIFY{where}. {i.problem or 'The record could not be checked'}. "
            "The findings below rest on a record that may have been rewritten: do not rely on them until the "
            "record is checked (hotwash verify)."
        )})
    key = f" under the pinned key {fingerprint(i.key_fingerprint)}" if i.key_fingerprint else ""
    head = f" Final head: entry {i.entries}, {i.head_hash}." if i.head_hash else ""
    if i.signature == "signed":
        cover = f"Record verified: all {i.entries} journal entries are signed{key}.{head}"
    elif i.signature == "partly_signed":
        cover = (f"Record verified through entry {i.signed_through_seq}{key}; entries after it are not yet "
                 f"signed.{head}")
    else:
        cover = f"The record was not checked against a signed checkpoint.{head}"
    return i.model_copy(update={"cover": cover})
