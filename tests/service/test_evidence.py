"""Tamper evidence anchored outside the database.

The attacker here can write to a copy of the database but does not hold the signing key: each
test rewrites the journal and recomputes every hash, the genesis and the exercise's head itself
(exactly what made ``verify`` say "intact" before checkpoints were signed), and ``verify`` must
fail and name what it found. Then the JSON Lines export: a file cut at its start, its end, or with
a line missing, fails its check.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, insert, select, text, update
from typer.testing import CliRunner

from aar.journal_file import read_journal_lines
from exercises.record import evidence, journal
from exercises.record.journal import SignatureStatus
from exercises.service.exercise_service import ExerciseService
from exercises.storage.db import open_database
from exercises.storage.tables import CHECKPOINT_TABLE, EXERCISE_TABLE, JOURNAL_TABLE
from hotwash.cli import app
from tests.service.conftest import CHEAP_HASHER, Opened, WallClock

runner = CliRunner()
Rows = list[dict[str, Any]]


def finished(opened: Opened, wall: WallClock) -> int:
    """An exercise played to its end: returns the number of entries."""
    svc = opened.service
    svc.start(opened.controller, speed=5)
    for n, action in enumerate(["establish_command", "notify_eoc", "contain_fire", "head_count"]):
        wall.advance(40)
        svc.log_action(opened.player("fire"), action, text=f"step {n}")
    svc.record_observation(opened.evaluator, "Operational Coordination", rating="S", text="IC slow")
    wall.advance(40)
    svc.end(opened.controller)
    return svc.verify(opened.controller).entries


def copy_of(db_url: str, opened: Opened, tmp_path: Path) -> str:
    """A copy of the database (what an attacker with a backup or write access works on)."""
    if db_url.startswith("sqlite"):
        target = tmp_path / "copy.db"
        source = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        source.execute("VACUUM INTO ?", (str(target),))
        source.close()
        return f"sqlite:///{target}"
    source = db_url.rsplit("/", 1)[1]
    name = f"{source}_copy_{secrets.token_hex(4)}"
    for database in {open_database(db_url)}:
        database.engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the source idle
    admin = create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    admin.dispose()
    return db_url.rsplit("/", 1)[0] + f"/{name}"


def rewrite(
    url: str,
    exercise_id: int,
    edit: Callable[[Rows], Rows] = lambda rows: rows,
    *,
    rename: str | None = None,
    drop_checkpoints: bool = False,
) -> None:
    """Rewrite the journal as a database writer without the key would: edit the rows, then
    recompute the genesis, every prev_hash and hash, and the exercise's head."""
    engine = create_engine(url)
    with engine.begin() as conn:
        ex = dict(conn.execute(select(EXERCISE_TABLE).where(EXERCISE_TABLE.c.id == exercise_id)).mappings().one())
        if rename is not None:
            ex["name"] = rename
        rows = [
            dict(r)
            for r in conn.execute(
                select(JOURNAL_TABLE).where(JOURNAL_TABLE.c.exercise_id == exercise_id).order_by(JOURNAL_TABLE.c.seq)
            ).mappings()
        ]
        rows = edit(rows)
        meta = {
            "chain_format": ex["chain_format"], "exercise": exercise_id, "name": ex["name"],
            "scenario_id": ex["scenario_id"], "scenario": journal.sha256(ex["scenario_json"]), "seed": ex["seed"],
            "created_at": ex["created_at"], "record": ex["record_nonce"],
        }
        genesis = prev = journal.genesis_of(meta)
        for seq, row in enumerate(rows, start=1):
            row.pop("id", None)
            row["seq"], row["prev_hash"] = seq, prev
            row["hash"] = prev = journal.entry_hash(
                exercise_id=exercise_id, seq=seq, at=row["at"], wall_time=row["wall_time"], kind=row["kind"],
                actor=row["actor"], agency=row["agency"], payload=json.loads(row["payload"]), prev_hash=prev,
            )
        conn.execute(delete(JOURNAL_TABLE).where(JOURNAL_TABLE.c.exercise_id == exercise_id))
        if rows:
            conn.execute(insert(JOURNAL_TABLE), rows)
        if drop_checkpoints:
            conn.execute(delete(CHECKPOINT_TABLE).where(CHECKPOINT_TABLE.c.exercise_id == exercise_id))
        conn.execute(
            update(EXERCISE_TABLE)
            .where(EXERCISE_TABLE.c.id == exercise_id)
            .values(
                name=ex["name"], genesis_hash=genesis, head_hash=prev, last_seq=len(rows),
                last_at=rows[-1]["at"] if rows else 0.0,
            )
        )
    engine.dispose()


def forged_action(template: dict[str, Any], text_: str) -> dict[str, Any]:
    payload = {"action": "head_count", "inject_id": None, "kind": "action_logged", "text": text_}
    return {**template, "kind": "action_logged", "actor": "player:fire", "agency": "fire",
            "payload": journal.canonical(payload).decode()}


def cut(rows: Rows, index: int) -> Rows:
    return rows[:index] + rows[index + 1 :]


TAMPERS: dict[str, tuple[dict[str, Any], str]] = {
    "forged append": (
        {"edit": lambda rows: [*rows, forged_action(rows[-1], "evacuated everyone")]},
        "were added after the end without a signature",
    ),
    "forged insert": (
        {"edit": lambda rows: [*rows[:4], forged_action(rows[3], "done early"), *rows[4:]]},
        "an entry there was changed, inserted, removed or renumbered",
    ),
    "edited entry": (
        {"edit": lambda rows: [
            {**r, "payload": r["payload"].replace("step 1", "step one")} for r in rows
        ]},
        "an entry there was changed, inserted, removed or renumbered",
    ),
    "deleted and renumbered": (
        {"edit": lambda rows: cut(rows, 3)},
        "an entry there was changed, inserted, removed or renumbered",
    ),
    "truncated tail": (
        {"edit": lambda rows: rows[:-2]},
        "were removed (the journal was cut or wiped)",
    ),
    "wiped journal": (
        {"edit": lambda rows: []},
        "entries 1 to",
    ),
    "wiped journal and checkpoints": (
        {"edit": lambda rows: rows[:2], "drop_checkpoints": True},
        "the exercise has no signed checkpoint",
    ),
    "renamed exercise": (
        {"rename": "Quiet Tuesday drill"},
        "its name was 'Riverside Warehouse Fire (example)' when its key was pinned, and is now 'Quiet Tuesday drill'",
    ),
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_a_rewrite_without_the_key_is_found_and_named(
    tamper: str, opened: Opened, wall: WallClock, db_url: str, tmp_path: Path
) -> None:
    finished(opened, wall)
    assert opened.service.verify(opened.controller).signature is SignatureStatus.SIGNED
    url = copy_of(db_url, opened, tmp_path)
    options, expected = TAMPERS[tamper]
    rewrite(url, opened.id, **options)
    # The hash chain alone now holds (what fooled verify before checkpoints were signed)...
    copy = ExerciseService.open(url, hasher=CHEAP_HASHER)
    with copy.db.reading() as session:
        exercise = session.get(journal.Exercise, opened.id)
        assert exercise is not None
        assert journal.verify_rows(exercise, journal.read_rows(session, opened.id)).ok
    # ...the signed checkpoints do not.
    result = runner.invoke(app, ["verify", str(opened.id), "--database", url])
    assert result.exit_code == 1, result.output
    assert "BROKEN" in result.output and expected in result.output, result.output


def test_entries_after_the_last_checkpoint_are_reported_unsigned(
    opened: Opened, wall: WallClock, db_url: str, tmp_path: Path
) -> None:
    """During play, a forged append after the last checkpoint cannot be told from a real one:
    verify says so rather than calling the record signed."""
    svc = opened.service
    svc.start(opened.controller)
    svc.log_action(opened.player("fire"), "establish_command")
    url = copy_of(db_url, opened, tmp_path)
    rewrite(url, opened.id, lambda rows: [*rows, forged_action(rows[-1], "forged")])
    checked = ExerciseService.open(url, hasher=CHEAP_HASHER).verify(opened.controller)
    assert checked.ok and checked.signature is SignatureStatus.PARTLY_SIGNED
    last = checked.entries
    assert checked.signed_through is not None and checked.signed_through < last
    assert any(f"to {last} come after the last checkpoint and are unsigned" in s for s in checked.cannot_prove)


def test_a_checkpoint_signed_with_another_key_is_not_trusted(
    opened: Opened, wall: WallClock, db_url: str, tmp_path: Path
) -> None:
    finished(opened, wall)
    url = copy_of(db_url, opened, tmp_path)
    rewrite(url, opened.id, lambda rows: cut(rows, 3), drop_checkpoints=True)
    # The attacker signs the rewrite with a key of their own.
    forger = evidence.load_signing_key(tmp_path / "forger.key", create=True)
    assert forger is not None
    engine = create_engine(url)
    with engine.begin() as conn:
        ex = conn.execute(select(EXERCISE_TABLE).where(EXERCISE_TABLE.c.id == opened.id)).mappings().one()
        cp = evidence.make_checkpoint(
            forger, exercise_id=opened.id, genesis=ex["genesis_hash"], seq=ex["last_seq"], head=ex["head_hash"],
            now=wall.now, reason="ended", prev="",
        )
        conn.execute(insert(CHECKPOINT_TABLE), [cp.model_dump(exclude={"id"})])
    engine.dispose()
    result = runner.invoke(app, ["verify", str(opened.id), "--database", url])
    assert result.exit_code == 1
    assert "which is not pinned for this record" in result.output
    assert forger.public.fingerprint in result.output


def test_verify_names_the_key_and_what_is_proven(opened: Opened, wall: WallClock, db_url: str) -> None:
    count = finished(opened, wall)
    result = runner.invoke(app, ["verify", str(opened.id), "--database", db_url])
    assert result.exit_code == 0, result.output
    public = opened.service.public_key()
    assert public.key_id in result.output
    assert f"proven: entries 1 to {count} are exactly as signed" in result.output
    assert "not proven: that no entries were added and signed after the newest head a witness holds" in result.output
    assert "witness outside the database holds" in result.output


# --- the JSON Lines export --------------------------------------------------------------------


def exported(opened: Opened, wall: WallClock) -> list[str]:
    finished(opened, wall)
    return opened.service.export(opened.controller, "jsonl").splitlines()


def entry_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if '"seq"' in line and '"prev_hash"' in line]


def test_an_intact_export_checks(opened: Opened, wall: WallClock) -> None:
    lines = exported(opened, wall)
    read = read_journal_lines(lines, opened.service.keys.trust())
    assert read.integrity.intact and read.integrity.signature == "signed"
    assert not read.integrity.not_proven
    # Without a pinned key nothing vouches for the file: it does not verify, and the reader is
    # asked to compare the key it names with the exercise's paperwork.
    alone = read_journal_lines(lines)
    assert not alone.integrity.intact
    assert opened.service.public_key().fingerprint in (alone.integrity.problem or "")


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("first entry", "its first lines were cut off"),
        ("header and first entry", "its first lines were cut off"),
        ("header", "no export header"),
        ("last entries", "its last lines were cut off"),
        ("last entries and seal", "its last lines were cut off"),
        ("seal", "its last lines were cut off"),
        ("a middle entry", "entry 4 is missing"),
        ("a checkpoint", "one was removed"),
    ],
)
def test_a_cut_export_fails(how: str, expected: str, opened: Opened, wall: WallClock) -> None:
    lines = exported(opened, wall)
    entries = entry_lines(lines)
    drop = {
        "first entry": [entries[0]],
        "header and first entry": [0, entries[0]],
        "header": [0],
        "seal": [len(lines) - 1],
        "last entries": entries[-2:],
        "last entries and seal": [*entries[-2:], len(lines) - 1],
        "a middle entry": [entries[3]],
        "a checkpoint": [next(i for i, line in enumerate(lines) if '"checkpoint"' in line and i > entries[2])],
    }[how]
    kept = [line for i, line in enumerate(lines) if i not in drop]
    read = read_journal_lines(kept, opened.service.keys.trust())
    assert not read.integrity.intact
    assert expected in (read.integrity.problem or ""), read.integrity.problem


# --- the key file ---------------------------------------------------------------------------


def test_the_key_is_created_on_first_use_owner_only_beside_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warehouse: Any
) -> None:
    monkeypatch.delenv(evidence.KEY_SETTING)
    url = f"sqlite:///{tmp_path / 'hotwash.db'}"
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    key_file = tmp_path / "hotwash.db-signing.key"
    assert not key_file.exists()
    created = service.create_exercise(warehouse, seed=1)
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key_file.read_bytes()
    with service.db.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(CHECKPOINT_TABLE)) for v in row)
    assert key_file.read_text() not in stored  # only the public key is in the database
    result = runner.invoke(app, ["key", "--database", url])
    assert result.exit_code == 0 and "BEGIN PUBLIC KEY" in result.output
    assert service.public_key().fingerprint in result.output
    assert service.verify(service.operator(created.exercise.id)).key_fingerprint == service.public_key().key_id


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    evidence.load_signing_key(path, create=True)
    path.chmod(0o644)
    with pytest.raises(evidence.KeyFileError, match="chmod 600"):
        evidence.load_signing_key(path, create=False)


def test_verify_trusts_a_public_key_given_on_the_command_line(
    opened: Opened, wall: WallClock, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reviewer's machine holds only the exported public key, not the private one."""
    finished(opened, wall)
    public = tmp_path / "hotwash.pub"
    assert runner.invoke(app, ["key", "--output", str(public), "--database", db_url]).exit_code == 0
    monkeypatch.setenv(evidence.KEY_SETTING, str(tmp_path / "elsewhere" / "none.key"))
    without = runner.invoke(app, ["verify", str(opened.id), "--database", db_url])
    assert without.exit_code == 1 and "no key is pinned for this record" in without.output
    given = runner.invoke(app, ["verify", str(opened.id), "--database", db_url, "--public-key", str(public)])
    assert given.exit_code == 0, given.output
    assert not (tmp_path / "elsewhere").exists(), "verify never creates a key"


def test_a_key_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the key's folder should be")
    with pytest.raises(evidence.KeyFileError, match="cannot create the signing key"):
        evidence.load_signing_key(blocked / "signing.key", create=True)
