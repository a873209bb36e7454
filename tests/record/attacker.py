"""What a database writer without the organisers' key does to a record: rewrite rows, recompute the
genesis and every hash, delete or re-sign checkpoints; and the same to a JSON Lines export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, delete, insert, select, update

from exercises.record import evidence, journal
from exercises.record.evidence import SigningKey
from exercises.storage.tables import CHECKPOINT_TABLE, EXERCISE_TABLE, JOURNAL_TABLE, Exercise

Rows = list[dict[str, Any]]


def chain(rows: Rows, exercise_id: int, genesis: str) -> str:
    """Renumber ``rows`` and recompute every prev_hash and hash; returns the new head."""
    prev = genesis
    for seq, row in enumerate(rows, start=1):
        row.pop("id", None)
        row["seq"], row["prev_hash"] = seq, prev
        row["hash"] = prev = journal.entry_hash(
            exercise_id=exercise_id, seq=seq, at=row["at"], wall_time=row["wall_time"], kind=row["kind"],
            actor=row["actor"], agency=row["agency"], payload=json.loads(row["payload"]), prev_hash=prev,
        )
    return prev


def rewrite(
    url: str,
    exercise_id: int,
    edit: Callable[[Rows], Rows] = lambda rows: rows,
    *,
    changes: dict[str, Any] | None = None,
    keep_checkpoints_through: int | None = None,
    resign_with: SigningKey | None = None,
) -> None:
    """Edit the exercise row (``changes``) and its rows, recompute the genesis, the chain and the
    head; keep the checkpoints up to an entry (None: all; -1: none), or sign a fresh set with
    ``resign_with`` (the attacker's own key)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        ex = dict(conn.execute(select(EXERCISE_TABLE).where(EXERCISE_TABLE.c.id == exercise_id)).mappings().one())
        ex.update(changes or {})
        ex["scenario_sha256"] = journal.sha256(ex["scenario_json"])
        genesis = journal.genesis_for(Exercise(**ex))
        rows = edit([dict(r) for r in conn.execute(
            select(JOURNAL_TABLE).where(JOURNAL_TABLE.c.exercise_id == exercise_id).order_by(JOURNAL_TABLE.c.seq)
        ).mappings()])
        head = chain(rows, exercise_id, genesis)
        conn.execute(delete(JOURNAL_TABLE).where(JOURNAL_TABLE.c.exercise_id == exercise_id))
        if rows:
            conn.execute(insert(JOURNAL_TABLE), rows)
        checkpoints = delete(CHECKPOINT_TABLE).where(CHECKPOINT_TABLE.c.exercise_id == exercise_id)
        if resign_with is not None or keep_checkpoints_through is not None:
            if keep_checkpoints_through is not None:
                checkpoints = checkpoints.where(CHECKPOINT_TABLE.c.seq > keep_checkpoints_through)
            conn.execute(checkpoints)
        if resign_with is not None:
            signed = [(0, genesis, "created"), (len(rows), head, "ended")]
            prev = ""
            for seq, at_head, reason in signed:
                cp = evidence.make_checkpoint(resign_with, exercise_id=exercise_id, genesis=genesis, seq=seq,
                                              head=at_head, now=ex["created_at"] + seq, reason=reason, prev=prev)
                conn.execute(insert(CHECKPOINT_TABLE), [cp.model_dump(exclude={"id"})])
                prev = evidence.digest_of(evidence.signed_object(cp))
        values = {k: ex[k] for k in ("name", "chain_format", "scenario_json", "scenario_sha256", "record_nonce")}
        conn.execute(update(EXERCISE_TABLE).where(EXERCISE_TABLE.c.id == exercise_id).values(
            **values, genesis_hash=genesis, head_hash=head, last_seq=len(rows), last_at=rows[-1]["at"] if rows else 0.0,
        ))
    engine.dispose()


def resign_export(lines: list[str], key: SigningKey, edit: Callable[[Rows], Rows] = lambda rows: rows) -> list[str]:
    """An export's entries edited, rechained, and its checkpoints and seal signed anew with ``key``."""
    header = json.loads(lines[0])
    genesis, exercise_id = header["genesis"], header["metadata"]["exercise"]
    rows = edit([json.loads(line) for line in lines[1:] if '"prev_hash"' in line])
    for row in rows:
        row["payload"] = journal.canonical(row["payload"]).decode()
        row.setdefault("exercise", exercise_id)
    head = chain(rows, exercise_id, genesis)
    out = [lines[0]]
    for row in rows:
        row["payload"] = json.loads(row["payload"])
        out.append(json.dumps(row))
    prev = ""
    for seq, at_head, reason, kind in [(0, genesis, "created", "checkpoint"), (len(rows), head, "export", "seal")]:
        cp = evidence.make_checkpoint(key, exercise_id=exercise_id, genesis=genesis, seq=seq, head=at_head,
                                      now=1_750_000_000.0 + seq, reason=reason, prev=prev)
        signed = evidence.signed_object(cp)
        out.append(json.dumps({kind: signed}))
        prev = evidence.digest_of(signed)
    return out
