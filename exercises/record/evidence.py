"""Evidence that holds outside the database: signed checkpoints of each journal's head.

The hash chain shows any edit to anyone holding a copy of the head, but a database writer can
recompute every hash. So the service signs the head with an Ed25519 key kept in a file outside
the database (``HOTWASH_KEY_FILE``; by default beside the SQLite file, or ``var/`` for
PostgreSQL), created on first use with owner-only permissions: at creation (which also covers
the exercise's metadata, through the genesis), at the start and the end of play, after the end
for every post-exercise entry, and every ``CHECKPOINT_SECONDS`` or ``CHECKPOINT_ENTRIES`` while
entries are written. Each checkpoint names the one before it, so one removed from the middle
shows. ``verify`` then says exactly what the signatures prove and what they cannot; the threat
model is in docs/service.md ("What a database writer can and cannot hide").
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import URL, make_url
from sqlmodel import Session, col, select

from exercises.record import lineage
from exercises.record.entries import Entry, EntryKind
from exercises.record.journal import (
    SignatureStatus,
    Verification,
    canonical,
    genesis_for,
    sha256,
    stream_rows,
    verify_rows,
)
from exercises.storage.tables import Exercise, JournalCheckpoint, JournalEntry

log = logging.getLogger(__name__)

KEY_SETTING = "HOTWASH_KEY_FILE"
DEFAULT_KEY_PATH = Path("var") / "hotwash-signing.key"
CHECKPOINT_FORMAT = "hotwash-checkpoint/1"
CHECKPOINT_SECONDS = 30.0
"""While entries are written, the head is signed at least this often (wall seconds)..."""
CHECKPOINT_ENTRIES = 500
"""...and at least every this many entries."""


class KeyFileError(RuntimeError):
    """The signing key file cannot be used (unreadable, not a key, readable by others)."""


# --- keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    raw: bytes

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def key_id(self) -> str:
        """SHA-256 of the raw key: what checkpoints name and readers compare."""
        return sha256(self.raw)

    @property
    def fingerprint(self) -> str:
        """The key id in groups of four, as people read it aloud or compare it on paper."""
        return " ".join(self.key_id[i : i + 4] for i in range(0, 32, 4))

    def pem(self) -> str:
        key = Ed25519PublicKey.from_public_bytes(self.raw)
        return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def verifies(self, signature_hex: str, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def fingerprint(key_id: str) -> str:
    return " ".join(key_id[i : i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    path: Path

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return PublicKey(raw)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def default_key_path(url: str | URL | None) -> Path:
    """``HOTWASH_KEY_FILE``; else beside a SQLite database file; else ``var/hotwash-signing.key``."""
    configured = os.environ.get(KEY_SETTING)
    if configured:
        return Path(configured)
    if url is not None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
            return Path(f"{parsed.database}-signing.key")
    return DEFAULT_KEY_PATH


def _read_key(path: Path) -> SigningKey:
    if os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"{path}: the signing key is readable by other users (mode {stat.S_IMODE(mode):o}); "
                f"make it the owner's only: chmod 600 {path}"
            )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise KeyFileError(f"{path}: not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key")
    return SigningKey(key, path)


def _create_key(path: Path) -> None:
    """Write a new key with mode 0600, atomically: a process that loses the race keeps the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def load_signing_key(path: Path, *, create: bool) -> SigningKey | None:
    """The key at ``path``; created (0600) when missing and ``create``; else None when missing."""
    try:
        if not path.exists():
            if not create:
                return None
            _create_key(path)
            log.info("created the signing key %s", path)
        return _read_key(path)
    except OSError as exc:
        raise KeyFileError(
            f"{path}: cannot {'create' if create else 'read'} the signing key ({exc.strerror}); "
            f"set {KEY_SETTING} to a file this user may write"
        ) from None


def read_public_key(data: bytes | str) -> PublicKey:
    """A public key from PEM (public or private key) or the raw key in hex."""
    text = data.decode() if isinstance(data, bytes) else data
    stripped = text.strip()
    try:
        if "PRIVATE KEY" in stripped:
            private = serialization.load_pem_private_key(stripped.encode(), password=None)
            if isinstance(private, Ed25519PrivateKey):
                return SigningKey(private, Path()).public
        elif "PUBLIC KEY" in stripped:
            public = serialization.load_pem_public_key(stripped.encode())
            if isinstance(public, Ed25519PublicKey):
                return PublicKey(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        else:
            raw = bytes.fromhex(stripped)
            Ed25519PublicKey.from_public_bytes(raw)
            return PublicKey(raw)
    except ValueError:
        pass
    raise KeyFileError("not an Ed25519 public key (PEM, or 64 hex digits)")


class Keys:
    """The key this process signs with (created on first use) and the public keys it trusts."""

    def __init__(self, path: Path, trusted: Iterable[PublicKey] = ()) -> None:
        self.path = path
        self._extra = {k.key_id: k for k in trusted}
        self._signer: SigningKey | None = None
        self._lock = threading.Lock()

    def signer(self) -> SigningKey:
        with self._lock:
            if self._signer is None:
                key = load_signing_key(self.path, create=True)
                assert key is not None
                self._signer = key
            return self._signer

    def trusted(self) -> dict[str, PublicKey]:
        """The extra trusted keys plus this installation's own key, if it has one (never created here)."""
        out = dict(self._extra)
        with self._lock:
            own = self._signer or load_signing_key(self.path, create=False)
        if own is not None:
            out[own.public.key_id] = own.public
        return out

    def trusting(self, keys: Iterable[PublicKey]) -> Keys:
        """The same signer, trusting ``keys`` as well (``hotwash verify --public-key``)."""
        other = Keys(self.path, [*self._extra.values(), *keys])
        other._signer = self._signer
        return other


# --- checkpoints ----------------------------------------------------------------------------


def statement(
    *, exercise_id: int, genesis: str, seq: int, head: str, signed_at: float, reason: str, prev: str
) -> dict[str, Any]:
    """What a checkpoint's signature covers."""
    return {
        "format": CHECKPOINT_FORMAT,
        "exercise": exercise_id,
        "genesis": genesis,
        "seq": seq,
        "head": head,
        "signed_at": signed_at,
        "reason": reason,
        "prev": prev,
    }


def statement_of(cp: JournalCheckpoint) -> dict[str, Any]:
    return statement(
        exercise_id=cp.exercise_id, genesis=cp.genesis_hash, seq=cp.seq, head=cp.head_hash,
        signed_at=cp.signed_at, reason=cp.reason, prev=cp.prev_digest,
    )


def signed_object(cp: JournalCheckpoint) -> dict[str, Any]:
    """A checkpoint as exports carry it: the statement, the key and the signature."""
    return {**statement_of(cp), "key_id": cp.key_id, "public_key": cp.public_key, "signature": cp.signature}


_DIGESTED = ("format", "exercise", "genesis", "seq", "head", "signed_at", "reason", "prev", "signature")


def digest_of(signed: Mapping[str, Any]) -> str:
    """What the next checkpoint's ``prev`` names: the hash of this one, signature included."""
    return sha256(canonical({k: signed[k] for k in _DIGESTED}))


def make_checkpoint(
    key: SigningKey, *, exercise_id: int, genesis: str, seq: int, head: str, now: float, reason: str, prev: str
) -> JournalCheckpoint:
    body = statement(exercise_id=exercise_id, genesis=genesis, seq=seq, head=head, signed_at=now, reason=reason, prev=prev)
    public = key.public
    return JournalCheckpoint(
        exercise_id=exercise_id, seq=seq, head_hash=head, genesis_hash=genesis, signed_at=now, reason=reason,
        prev_digest=prev, key_id=public.key_id, public_key=public.hex, signature=key.sign(canonical(body)),
    )


def latest_checkpoint(session: Session, exercise_id: int) -> JournalCheckpoint | None:
    query = (
        select(JournalCheckpoint)
        .where(JournalCheckpoint.exercise_id == exercise_id)
        .order_by(col(JournalCheckpoint.seq).desc())
        .limit(1)
    )
    return session.exec(query).first()


def read_checkpoints(session: Session, exercise_id: int) -> Sequence[JournalCheckpoint]:
    query = (
        select(JournalCheckpoint)
        .where(JournalCheckpoint.exercise_id == exercise_id)
        .order_by(col(JournalCheckpoint.seq))
    )
    return session.exec(query).all()


def _hash_at(session: Session, exercise_id: int, seq: int) -> str | None:
    query = select(JournalEntry.hash).where(JournalEntry.exercise_id == exercise_id, JournalEntry.seq == seq)
    return session.exec(query).first()


def sign_head(
    session: Session,
    key: SigningKey,
    *,
    exercise_id: int,
    genesis: str,
    seq: int,
    head: str,
    now: float,
    reason: str,
) -> JournalCheckpoint | None:
    """Sign the head (in the caller's write transaction, under the exercise's lock).

    Refuses to sign a journal that no longer holds what the latest checkpoint signed (the entry it
    covers has another hash, or the exercise's metadata changed): signing it would vouch for a
    rewrite. The refusal is logged; the write itself goes on, and ``verify`` names the break."""
    latest = latest_checkpoint(session, exercise_id)
    if latest is not None and latest.seq >= seq:
        return None
    prev = ""
    if latest is not None:
        covered = genesis if latest.seq == 0 else _hash_at(session, exercise_id, latest.seq)
        if latest.genesis_hash != genesis or covered != latest.head_hash:
            log.warning(
                "exercise %s: not signing the head at entry %s: the journal no longer matches the "
                "checkpoint signed at entry %s; run hotwash verify", exercise_id, seq, latest.seq,
            )
            return None
        prev = digest_of(signed_object(latest))
    cp = make_checkpoint(
        key, exercise_id=exercise_id, genesis=genesis, seq=seq, head=head, now=now, reason=reason, prev=prev
    )
    session.add(cp)
    session.flush()
    return cp


# --- verification ---------------------------------------------------------------------------


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def verify(session: Session, exercise_id: int, trusted: Mapping[str, PublicKey]) -> Verification:
    """Walk the chain and check every checkpoint, all read in the caller's session: take it from
    ``Database.reading()``, whose one snapshot makes a journal being written verify intact."""
    exercise = session.get(Exercise, exercise_id, populate_existing=True)
    if exercise is None:
        raise LookupError(f"no exercise {exercise_id}")
    parent = lineage.parent_hash(session, exercise)
    checkpoints = read_checkpoints(session, exercise_id)
    return check(exercise, stream_rows(session, exercise_id), checkpoints, trusted, parent_head=parent)


def check(
    exercise: Exercise,
    rows: Iterable[JournalEntry],
    checkpoints: Sequence[JournalCheckpoint],
    trusted: Mapping[str, PublicKey],
    *,
    parent_head: str | None = None,
    keep: list[Entry] | None = None,
) -> Verification:
    """The chain, the signed checkpoints and a branch's link to its parent, in one pass over
    ``rows`` (an iterator of ``journal.stream_rows`` will do: no row is held after it went by).

    ``parent_head``: for a branch, the hash its parent holds today at the branch point
    (``lineage.parent_hash``; None when the parent is not at hand). ``keep``: every entry is
    appended to it as read (``verify_rows``), so a report reads the journal only here."""
    wanted = {cp.seq for cp in checkpoints}
    hashes: dict[int, str] = {}
    ended: list[int] = []
    inherited = lineage.ParentChain.of(exercise)

    def seen(row: JournalEntry, payload: Mapping[str, Any]) -> None:
        if row.seq in wanted:
            hashes[row.seq] = row.hash
        if not ended and row.kind == EntryKind.CLOCK_ENDED.value:
            ended.append(row.seq)
        if inherited is not None:
            inherited.feed(row, payload)

    chain = verify_rows(exercise, rows, keep=keep, seen=seen)
    if not chain.ok:
        return replace(chain, signature=SignatureStatus.UNSIGNED)
    signed = _Signatures(exercise, chain, hashes, trusted, ended[0] if ended else None).walk(checkpoints)
    return lineage.check_inherited(exercise, inherited, signed, parent_head)


class _Signatures:
    """Holds the checkpoints against the (already consistent) chain, oldest first."""

    def __init__(
        self,
        exercise: Exercise,
        chain: Verification,
        hashes: Mapping[int, str],
        trusted: Mapping[str, PublicKey],
        ended: int | None,
    ) -> None:
        self.ended = ended
        """The entry that ended the exercise: every entry after it is signed as it is written."""
        self.exercise = exercise
        self.chain = chain
        self.hashes = hashes
        self.trusted = trusted
        self.genesis = genesis_for(exercise)

    def broken(self, seq: int | None, problem: str, last: JournalCheckpoint | None, count: int) -> Verification:
        return replace(
            self.chain, broken_seq=seq, problem=problem, signature=SignatureStatus.UNSIGNED, checkpoints=count,
            **self._key(last),
        )

    def _key(self, cp: JournalCheckpoint | None) -> dict[str, Any]:
        if cp is None:
            return {}
        return {"key_fingerprint": cp.key_id, "public_key": cp.public_key}

    def walk(self, checkpoints: Sequence[JournalCheckpoint]) -> Verification:
        entries = self.chain.entries
        if not checkpoints:
            return self._none_found(entries)
        prev = ""
        good: JournalCheckpoint | None = None
        count = 0
        untrusted: set[str] = set()
        for cp in checkpoints:
            problem = self._problem(cp, prev, entries, good.seq if good else 0)
            if problem is not None:
                seq, text = problem
                return self.broken(seq, text, cp, count)
            prev = digest_of(signed_object(cp))
            if cp.key_id in self.trusted:
                good, count = cp, count + 1
            else:
                untrusted.add(cp.key_id)
        if good is None:
            keys = ", ".join(fingerprint(k) for k in sorted(untrusted))
            return self.broken(
                None,
                f"no checkpoint is signed with a key this check trusts (they name key {keys}); a database "
                "writer could have rewritten the journal and signed it with a key of their own: verify "
                "with the exercise's public key (hotwash verify --public-key FILE)",
                None,
                0,
            )
        return self._result(good, count, untrusted)

    def _problem(
        self, cp: JournalCheckpoint, prev: str, entries: int, held: int
    ) -> tuple[int | None, str] | None:
        """What is wrong with one checkpoint, if anything: (entry, problem)."""
        when = _when(cp.signed_at)
        if cp.prev_digest != prev:
            return cp.seq, (
                f"the checkpoint at entry {cp.seq} (signed {when}) does not follow the one before it: "
                "a signed checkpoint was removed, replaced or inserted"
            )
        key = self.trusted.get(cp.key_id)
        if key is None:  # still checked against the key it carries: garbage is named as such
            key = PublicKey(bytes.fromhex(cp.public_key)) if _is_hex(cp.public_key) else None
        if key is None or key.key_id != cp.key_id or key.hex != cp.public_key:
            return cp.seq, f"the checkpoint at entry {cp.seq} names a key it does not carry: it was forged"
        if not key.verifies(cp.signature, canonical(statement_of(cp))):
            return cp.seq, (
                f"the checkpoint at entry {cp.seq} does not carry a valid signature: it was forged or altered"
            )
        if cp.genesis_hash != self.genesis:
            return None, (
                f"the exercise's name, scenario, seed or creation time differ from what was signed {when}: "
                "the exercise was renamed or its metadata changed"
            )
        if cp.seq > entries:
            return entries + 1, (
                f"the journal ends at entry {entries}, but {cp.seq} entries were signed {when}: "
                f"entries {entries + 1} to {cp.seq} were removed (the journal was cut or wiped)"
            )
        signed = self.genesis if cp.seq == 0 else self.hashes.get(cp.seq)
        if signed != cp.head_hash:
            where = f"entry {cp.seq} is" if held + 1 == cp.seq else f"entries {held + 1} to {cp.seq} are"
            still = f" (entries 1 to {held} still are)" if held else ""
            return held + 1, (
                f"{where} not what was signed {when}{still}: an entry there was changed, inserted, "
                "removed or renumbered, and the hashes recomputed"
            )
        return None

    def _none_found(self, entries: int) -> Verification:
        if self.exercise.chain_format == 1:
            return replace(
                self.chain,
                signature=SignatureStatus.UNSIGNED,
                proves=(f"the {entries} entries form an unbroken hash chain ending in the recorded head",),
                cannot_prove=(
                    "this exercise was recorded before Hotwash signed checkpoints: anyone able to write "
                    "to the database could have rewritten it and recomputed the hashes; compare the "
                    "head hash with a copy kept elsewhere",
                ),
            )
        return self.broken(
            None,
            "the exercise has no signed checkpoint, yet one is signed when an exercise is created: its "
            "checkpoints were removed (the journal may have been wiped and rewritten)",
            None,
            0,
        )

    def _result(self, good: JournalCheckpoint, count: int, untrusted: set[str]) -> Verification:
        entries = self.chain.entries
        when = _when(good.signed_at)
        if self.ended is not None and self.ended <= good.seq < entries:
            return self.broken(
                good.seq + 1,
                f"entries {good.seq + 1} to {entries} were added after the end without a signature, "
                "yet Hotwash signs every entry after the end as it writes it: they were added outside Hotwash",
                good,
                count,
            )
        proves = [
            "the record's name, scenario, seed and creation time are as signed at its creation",
            f"entries 1 to {good.seq} are exactly as signed {when} (key {fingerprint(good.key_id)})"
            if good.seq else f"the record is as signed {when} (key {fingerprint(good.key_id)})",
        ]
        cannot = []
        if entries > good.seq:
            cannot.append(
                f"entries {good.seq + 1} to {entries} come after the last checkpoint and are unsigned: a "
                "database writer could have added or changed them"
            )
        cannot.append(
            "that no entries were added and signed after the last checkpoint and then removed together "
            "with their checkpoints: compare the head with a signed export or a printed report"
        )
        if untrusted:
            cannot.append(f"{len(untrusted)} other key(s) signed checkpoints this check does not trust")
        status = SignatureStatus.SIGNED if entries == good.seq else SignatureStatus.PARTLY_SIGNED
        return replace(
            self.chain,
            signature=status,
            signed_through=good.seq,
            signed_at=good.signed_at,
            checkpoints=count,
            proves=tuple(proves),
            cannot_prove=tuple(cannot),
            **self._key(good),
        )


def _is_hex(text: str) -> bool:
    try:
        return len(bytes.fromhex(text)) == 32
    except ValueError:
        return False
