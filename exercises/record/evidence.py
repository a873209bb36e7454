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
import time
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

from exercises.record import lineage, witness
from exercises.record.entries import Entry, EntryKind
from exercises.record.journal import (
    SignatureStatus,
    Verification,
    canonical,
    exercise_metadata,
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
    """The key this process signs with and what its checks trust: the keys pinned per record in
    the witness file beside the key (``exercises.record.witness``), keys given explicitly
    (``--public-key``), and other witness files given (``--witness``). The installation's own
    key is never trusted for being in the key file: a replaced key file would vouch for itself."""

    def __init__(
        self, path: Path, trusted: Iterable[PublicKey] = (), witnesses: Iterable[witness.Witness] = ()
    ) -> None:
        self.path = path
        self.witness_file = witness.witness_path(path)
        self._extra = {k.key_id: k for k in trusted}
        self._witnesses = tuple(witnesses)
        self._signer: SigningKey | None = None
        self._lock = threading.Lock()

    def signer(self, *, may_create: bool = False) -> SigningKey:
        """The signing key. Made only for a fresh installation (``may_create``: the database has
        no signed checkpoint; the witness file records no key), and that first key is recorded:
        a lost key is never made again silently (``rotate`` makes a new one on purpose)."""
        with self._lock:
            if self._signer is None:
                key = load_signing_key(self.path, create=False)
                if key is None:
                    key = self._first_key(may_create)
                self._signer = key
            return self._signer

    def _first_key(self, may_create: bool) -> SigningKey:
        try:
            known = witness.read(self.witness_file).current_key()
        except witness.WitnessError as exc:
            raise KeyFileError(str(exc)) from None
        if known is not None or not may_create:
            was = f"key {fingerprint(known)}, recorded in {self.witness_file}" if known else (
                "a key (this database holds checkpoints it signed)"
            )
            raise KeyFileError(
                f"{self.path}: the signing key is missing, yet this installation signed with {was}. "
                "Restore the key file from a backup; if it is lost for good, make a new key on purpose: "
                "hotwash key rotate --reason '...' (the rotation is recorded in the witness file)"
            )
        key = load_signing_key(self.path, create=True)
        assert key is not None
        public = key.public
        self._record([witness.rotation_record((), public.key_id, public.hex, time.time(), "first key")])
        return key

    def _record(self, lines: Iterable[Mapping[str, Any]]) -> None:
        try:
            witness.append(self.witness_file, lines)
        except OSError as exc:
            raise KeyFileError(
                f"{self.witness_file}: cannot write the witness file ({exc.strerror}); it belongs beside the key, "
                "writable by this user"
            ) from None

    def rotate(self, reason: str, now: float) -> tuple[PublicKey | None, PublicKey]:
        """A new signing key, made on purpose and recorded in the witness file; the old key file
        (if any) is kept beside it, renamed. Records pinned to the old key trust the new one."""
        with self._lock:
            old = load_signing_key(self.path, create=False)
            if old is not None:
                old.path.rename(self.path.with_name(f"{self.path.name}.retired-{int(now)}"))
            try:
                known = witness.read(self.witness_file).current_key()
            except witness.WitnessError as exc:
                raise KeyFileError(str(exc)) from None
            replaced = {k for k in (known, old.public.key_id if old else None) if k}
            key = load_signing_key(self.path, create=True)
            assert key is not None
            self._record([witness.rotation_record(replaced, key.public.key_id, key.public.hex, now, reason)])
            self._signer = key
            return (old.public if old else None), key.public

    def pin(self, metadata: Mapping[str, Any], genesis: str, key: PublicKey, now: float, reason: str) -> None:
        """Pin ``key`` for the record whose genesis is ``genesis`` (in the witness file)."""
        self._record([witness.pin_record(metadata, genesis, key.key_id, key.hex, now, reason)])

    def keep_heads(self, signed: Iterable[Mapping[str, Any]]) -> None:
        """Keep committed checkpoints in the witness file; a failure is logged, never raised (the
        entries are committed; ``verify`` then finds the witness behind the record, which holds)."""
        try:
            witness.append(self.witness_file, [{"checkpoint": dict(s)} for s in signed])
        except OSError as exc:
            log.error("cannot write the witness file %s: %s", self.witness_file, exc)

    def trust(self) -> Trust:
        """What a check trusts, read now: call it before taking the database snapshot to check."""
        return Trust(self._extra, self.path, self._witnesses)

    def trusting(self, keys: Iterable[PublicKey], witnesses: Iterable[witness.Witness] = ()) -> Keys:
        """The same signer, trusting ``keys`` as well and holding records to ``witnesses``
        (``hotwash verify --public-key FILE --witness FILE``)."""
        other = Keys(self.path, [*self._extra.values(), *keys], [*self._witnesses, *witnesses])
        other._signer = self._signer
        return other


@dataclass(frozen=True)
class RecordTrust:
    """What one record is held to: the keys pinned for it and the signed heads witnesses hold."""

    keys: Mapping[str, PublicKey]
    heads: Sequence[witness.Witnessed]
    pinned_here: bool
    """Pinned in this installation's own witness file (so its key file must be at hand)."""
    key_path: Path
    unreadable: tuple[str, ...] = ()
    """Witness lines that could not be read (about this record or not: they name no genesis)."""


class Trust:
    """The keys and witnesses a check trusts, read per record (the witness file grows as
    exercises are signed, so it is read at each check)."""

    def __init__(self, given: Mapping[str, PublicKey], key_path: Path | None,
                 witnesses: Sequence[witness.Witness] = ()) -> None:
        self.given = dict(given)
        self.key_path = key_path
        self.witnesses = tuple(witnesses)
        # Read now, before the caller takes its database snapshot: a head is witnessed only once
        # its write is committed, so every head read here is in any snapshot taken after.
        self._path = witness.witness_path(key_path) if key_path is not None else None
        try:
            self._text = witness.read_text(self._path) if self._path is not None else ""
        except witness.WitnessError as exc:
            raise KeyFileError(str(exc)) from None

    def _own(self, genesis: str | None = None) -> witness.Witness:
        try:
            return witness.parse(self._text, str(self._path), genesis)
        except witness.WitnessError as exc:
            raise KeyFileError(str(exc)) from None

    def for_record(self, genesis: str) -> RecordTrust:
        own = self._own(genesis)
        every = (own, *self.witnesses)
        keys = dict(self.given)
        pins = [p for w in every for p in w.pins_for(genesis)]
        pinned = {p.key_id for p in pins}
        for rotation in (r for w in every for r in w.rotations):  # a rotated key replaces a pinned one
            if pinned.intersection(rotation.old_key_ids):
                pinned.add(rotation.key_id)
                keys[rotation.key_id] = PublicKey(bytes.fromhex(rotation.public_key))
        for pin in pins:
            keys[pin.key_id] = PublicKey(bytes.fromhex(pin.public_key))
        heads = [h for w in every for h in w.heads_for(genesis)]
        unreadable = tuple(f"{w.source}, line {n}" for w in every for n in w.unreadable)
        return RecordTrust(keys, heads, bool(own.pins_for(genesis)), self.key_path or Path(), unreadable)

    def pins_like(self, metadata: Mapping[str, Any]) -> list[witness.Pin]:
        """Pins of the same record under other metadata: the same record nonce, or (records from
        before nonces) the same exercise id and creation time."""
        out = []
        for w in (self._own(), *self.witnesses):
            for pin in w.pins:
                was = pin.metadata
                if (metadata.get("record") and was.get("record") == metadata.get("record")) or (
                    was.get("exercise") == metadata.get("exercise") and was.get("created_at") == metadata.get("created_at")
                ):
                    out.append(pin)
        return out


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


def verify(session: Session, exercise_id: int, trust: Trust) -> Verification:
    """Walk the chain and check every checkpoint, all read in the caller's session: take it from
    ``Database.reading()``, whose one snapshot makes a journal being written verify intact."""
    exercise = session.get(Exercise, exercise_id, populate_existing=True)
    if exercise is None:
        raise LookupError(f"no exercise {exercise_id}")
    parent = lineage.parent_hash(session, exercise)
    checkpoints = read_checkpoints(session, exercise_id)
    return check(exercise, stream_rows(session, exercise_id), checkpoints, trust, parent_head=parent)


def check(
    exercise: Exercise,
    rows: Iterable[JournalEntry],
    checkpoints: Sequence[JournalCheckpoint],
    trust: Trust,
    *,
    parent_head: str | None = None,
    keep: list[Entry] | None = None,
) -> Verification:
    """The chain, the checkpoints under the keys pinned for this record, every signed head a witness
    holds and a branch's link to its parent, in one pass over ``rows`` (an iterator of
    ``journal.stream_rows`` will do: no row is held after it went by, only its hash).

    ``parent_head``: for a branch, the hash its parent holds today at the branch point
    (``lineage.parent_hash``; None when the parent is not at hand). ``keep``: every entry is
    appended to it as read (``verify_rows``), so a report reads the journal only here."""
    hashes: dict[int, str] = {}  # every row's: a witness may hold a head no checkpoint in the database names
    ended: list[int] = []
    inherited = lineage.ParentChain.of(exercise)

    def seen(row: JournalEntry, payload: Mapping[str, Any]) -> None:
        hashes[row.seq] = row.hash
        if not ended and row.kind == EntryKind.CLOCK_ENDED.value:
            ended.append(row.seq)
        if inherited is not None:
            inherited.feed(row, payload)

    chain = verify_rows(exercise, rows, keep=keep, seen=seen)
    if not chain.ok:
        return replace(chain, signature=SignatureStatus.UNSIGNED)
    genesis = genesis_for(exercise)
    record = trust.for_record(genesis)
    if exercise.chain_format == 1 or not record.keys:
        return replace(chain, signature=SignatureStatus.UNSIGNED, problem=_unpinned(exercise, trust, record))
    signed = _Signatures(exercise, chain, hashes, record.keys, ended[0] if ended else None).walk(checkpoints)
    if signed.ok:
        signed = _witnessed(signed, record, genesis, hashes)
    if record.pinned_here and not record.key_path.exists():  # first: it explains unsigned entries
        besides = "" if signed.ok else f" Besides: {signed.problem}"
        signed = replace(signed, signature=SignatureStatus.UNSIGNED, problem=(
            f"the signing key file {record.key_path} is missing: this installation pinned the record's key, "
            "and without it nothing more of the record can be signed. Restore the key file from a backup; "
            f"if it is lost, make a new key on purpose: hotwash key rotate --reason '...'.{besides}"
        ))
    return lineage.check_inherited(exercise, inherited, signed, parent_head)


_FIELDS = {"chain_format": "chain format", "name": "name", "scenario": "scenario (its SHA-256)",
           "scenario_id": "scenario id", "seed": "seed", "created_at": "creation time", "exercise": "exercise number"}


def _unpinned(exercise: Exercise, trust: Trust, record: RecordTrust) -> str:
    """Why no pinned key vouches for the record, in words: what differs from the metadata pinned
    at its creation, when a pin of the same record is found."""
    metadata = exercise_metadata(exercise)
    if exercise.chain_format == 1:
        first = (
            "the record is in chain format 1, from before Hotwash signed checkpoints: nothing outside the "
            "database vouches for it (a database writer can set a record back to that format, delete its "
            "checkpoints and recompute every hash)"
        )
    else:
        first = (
            "no key is pinned for this record: nothing outside the database vouches for it (its genesis "
            f"{genesis_for(exercise)[:16]} is in no witness file given, and no --public-key was given)"
        )
    changes = []
    for pin in trust.pins_like(metadata):
        changes += [
            f"its {label} was {pin.metadata.get(field)!r} when its key was pinned, and is now {metadata.get(field)!r}"
            for field, label in _FIELDS.items() if pin.metadata.get(field) != metadata.get(field)
        ]
    if changes:
        return f"{first}; {'; '.join(dict.fromkeys(changes))}: the record was rewritten"
    return (
        f"{first}. A record made on another machine verifies with its key (--public-key FILE) or its witness "
        "file (--witness FILE); one made before keys were pinned, with hotwash key pin EXERCISE"
    )


def _witnessed(result: Verification, record: RecordTrust, genesis: str, hashes: Mapping[int, str]) -> Verification:
    """``result`` held to every signed head a witness keeps for this record."""
    entries, newest = result.entries, None
    for held in record.heads:
        problem, seq = witness_problem(held, record.keys, genesis, hashes, entries)
        if problem is not None:
            return replace(result, broken_seq=seq, problem=problem, signature=SignatureStatus.UNSIGNED)
        if newest is None or int(held.signed["seq"]) > int(newest.signed["seq"]):
            newest = held
    if newest is None:
        return replace(result, cannot_prove=(*result.cannot_prove, (
            "no witness outside the database holds this record's head: keep the witness file beside the "
            "key, or give a copy or an export with --witness FILE"
        )))
    line = (f"entries 1 to {newest.signed['seq']} are those whose head the witness outside the database holds "
            f"({newest.source}, signed {_when(float(newest.signed['signed_at']))})")
    cannot = tuple(f"{where} of a witness could not be read (cut short by a crash?): a head it held was not "
                   "compared" for where in record.unreadable)
    return replace(result, proves=(*result.proves, line), cannot_prove=(*result.cannot_prove, *cannot))


def witness_problem(
    held: witness.Witnessed, keys: Mapping[str, PublicKey], genesis: str, hashes: Mapping[int, str], entries: int
) -> tuple[str | None, int | None]:
    signed, where = held.signed, held.source
    try:
        body = canonical({k: signed[k] for k in _STATEMENT})
        seq, head, when = int(signed["seq"]), str(signed["head"]), _when(float(signed["signed_at"]))
        key = keys.get(str(signed["key_id"]))
        valid = key is not None and key.verifies(str(signed["signature"]), body)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return f"{where}: an incomplete signed head of this record", None
    if key is None:
        return (f"{where} holds a head of this record signed {when} with key {fingerprint(str(signed['key_id']))}, "
                "which is not pinned for it: a forged witness, or a key replaced"), None
    if not valid:
        return f"{where}: the head of this record signed {when} does not carry a valid signature", None
    if seq > entries:
        gone = f"entry {seq} was" if seq == entries + 1 else f"entries {entries + 1} to {seq} were"
        return (f"{where} holds this record's head signed {when} at entry {seq}, but the record ends at entry "
                f"{entries}: {gone} removed together with the checkpoints that signed them"), entries + 1
    if (genesis if seq == 0 else hashes.get(seq)) != head:
        return (f"entries up to {seq} are not those whose head {where} holds (signed {when}): the record was "
                "rewritten from an earlier checkpoint"), seq
    return None, None


_STATEMENT = ("format", "exercise", "genesis", "seq", "head", "signed_at", "reason", "prev")


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
            return self._none_found()
        prev = ""
        good: JournalCheckpoint | None = None
        count = 0
        for cp in checkpoints:
            problem = self._problem(cp, prev, entries, good.seq if good else 0)
            if problem is not None:
                seq, text = problem
                return self.broken(seq, text, cp, count)
            prev = digest_of(signed_object(cp))
            if cp.key_id not in self.trusted:
                pinned = ", ".join(fingerprint(k) for k in sorted(self.trusted))
                return self.broken(cp.seq, (
                    f"the checkpoint at entry {cp.seq} (signed {_when(cp.signed_at)}) is signed with key "
                    f"{fingerprint(cp.key_id)}, which is not pinned for this record (pinned: {pinned}): the key "
                    "file was replaced or the checkpoints re-signed; a database writer could have rewritten the "
                    "journal"
                ), cp, count)
            good, count = cp, count + 1
        assert good is not None
        return self._result(good, count)

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

    def _none_found(self) -> Verification:
        return self.broken(
            None,
            "the exercise has no signed checkpoint, yet one is signed when an exercise is created: its "
            "checkpoints were removed (the journal may have been wiped and rewritten)",
            None,
            0,
        )

    def _result(self, good: JournalCheckpoint, count: int) -> Verification:
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
            "that no entries were added and signed after the newest head a witness holds and then removed "
            "together with their checkpoints: compare the head with a signed export or a printed report"
        )
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
