"""The tampering suite: a database writer without the organisers' key rewrites a record every way
issue 22 found to pass, and each time ``hotwash verify`` exits non-zero naming what it found, and
the AAR's cover (read back from the PDF) says the record does not verify. A genuine record still
verifies, on SQLite and on PostgreSQL, and its cover says so with its key and final head."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from exercises.record import evidence
from exercises.record.witness import witness_path
from exercises.scenario.loading import load_scenario
from exercises.service.details import ContactPerson, ExerciseDetails
from hotwash.cli import app
from tests.record.attacker import Rows, resign_export, rewrite
from tests.service.conftest import CHEAP_HASHER, WAREHOUSE, Opened, WallClock

runner = CliRunner()


def play(opened: Opened, wall: WallClock, *, after_end: bool = True) -> None:
    """An exercise with its details recorded, played to its end, with an observation after the end."""
    svc = opened.service
    director = ContactPerson("Exercise director", "Dana Reyes", "County OEM")
    svc.set_exercise_details(opened.controller, ExerciseDetails(contacts=(director,)))
    svc.start(opened.controller, speed=5)
    for action in ("establish_command", "notify_eoc", "contain_fire"):
        wall.advance(40)
        svc.log_action(opened.player("fire"), action, text=f"done: {action}")
    wall.advance(40)
    svc.end(opened.controller)
    if after_end:
        wall.advance(60)
        svc.record_observation(opened.evaluator, "Operational Coordination", rating="U", text="no head count")


def verify(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", *args])
    return result.exit_code, " ".join(result.output.split())


def cover(tmp_path: Path, *args: str) -> str:
    """The AAR's first page as text (``hotwash report ARGS``)."""
    out = tmp_path / "aar.pdf"
    result = runner.invoke(app, ["report", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return " ".join(PdfReader(out).pages[0].extract_text().split())


def words(text: str) -> str:
    """Text as the PDF's wrapped lines give it back: one space between words, no hyphen breaks."""
    return re.sub(r"\s+", " ", text)


def the_end(rows: Rows) -> int:
    return next(i for i, r in enumerate(rows) if r["kind"] == "clock_ended")


def _other_scenario() -> str:
    text = WAREHOUSE.read_text().replace("Riverside Warehouse Fire", "Riverside Warehouse Fire (revised)")
    return load_scenario(WAREHOUSE, text=text).model_dump_json(by_alias=True)


ATTACKS: dict[str, tuple[Callable[[Opened, str, Path], None], str]] = {
    "set back to the pre-signature format, checkpoints deleted, rehashed": (
        lambda opened, url, key: rewrite(url, opened.id, lambda rows: rows[: the_end(rows)],
                                     changes={"chain_format": 1}, keep_checkpoints_through=-1),
        "its chain format was 3 when its key was pinned, and is now 1",
    ),
    "key file replaced, every checkpoint re-signed": (
        lambda opened, url, key: _replace_key_and_resign(url, opened.id, key),
        "which is not pinned for this record",
    ),
    "newest checkpoints deleted, rewritten from the last one left": (
        lambda opened, url, key: rewrite(url, opened.id, lambda rows: rows[: the_end(rows) - 1],
                                     keep_checkpoints_through=2),
        "removed together with the checkpoints that signed them",
    ),
    "scenario replaced, genesis and chain recomputed": (
        lambda opened, url, key: rewrite(url, opened.id, changes={"scenario_json": _other_scenario()}),
        "its scenario (its SHA-256) was",
    ),
    "exercise details rewritten (another exercise director), rehashed": (
        lambda opened, url, key: rewrite(url, opened.id, lambda rows: [
            {**r, "payload": r["payload"].replace("Dana Reyes", "Mallory")} for r in rows
        ]),
        "an entry there was changed, inserted, removed or renumbered",
    ),
    "key file deleted": (
        lambda opened, url, key: _delete_key_and_go_on(opened, url, key),
        "the signing key file",
    ),
}


def _delete_key_and_go_on(opened: Opened, url: str, key: Path) -> None:
    """The key file deleted; the service, restarted, goes on writing (it used to make a new key
    silently, and verify then called the record signed)."""
    key.unlink()
    restarted = type(opened.service).open(url, hasher=CHEAP_HASHER)
    restarted.record_observation(opened.evaluator, "Operational Coordination", rating="S", text="after the key went")


def _replace_key_and_resign(url: str, exercise_id: int, key: Path) -> None:
    key.unlink()
    forger = evidence.load_signing_key(key, create=True)  # their own key, where the organisers' was
    assert forger is not None
    rewrite(url, exercise_id, lambda rows: rows[: the_end(rows)], resign_with=forger)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_every_rewrite_fails_verify_and_is_named_on_the_cover(
    attack: str, opened: Opened, wall: WallClock, db_url: str, key_file: Path, tmp_path: Path
) -> None:
    play(opened, wall)
    assert verify(str(opened.id), "--database", db_url)[0] == 0
    do, expected = ATTACKS[attack]
    do(opened, db_url, key_file)
    code, said = verify(str(opened.id), "--database", db_url)
    assert code == 1 and "BROKEN" in said and words(expected) in said, said
    if db_url.startswith("sqlite"):  # the cover is the same document on both databases
        page = cover(tmp_path, str(opened.id), "--database", db_url)
        assert "WARNING: THIS RECORD DOES NOT VERIFY" in page, page
        assert words(expected)[:30] in page, page


def test_a_lost_key_is_never_made_again_silently(
    opened: Opened, wall: WallClock, db_url: str, key_file: Path, warehouse: Any
) -> None:
    play(opened, wall, after_end=False)
    key_file.unlink()
    restarted = type(opened.service).open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)  # a new process
    with pytest.raises(evidence.KeyFileError, match="the signing key is missing"):
        restarted.create_exercise(warehouse, seed=3)
    shown = runner.invoke(app, ["key", "--database", db_url])
    assert shown.exit_code == 1 and "no signing key" in shown.output and not key_file.exists()
    rotated = runner.invoke(app, ["key", "rotate", "--reason", "laptop stolen", "--database", db_url])
    assert rotated.exit_code == 0 and key_file.exists(), rotated.output
    lines = witness_path(key_file).read_text().splitlines()
    assert '"reason":"laptop stolen"' in lines[-1] and '"rotation"' in lines[-1]
    # The rotated key is trusted where the lost one was: the record goes on, signed, and verifies.
    svc = type(opened.service).open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)
    wall.advance(30)
    svc.record_observation(opened.evaluator, "Operational Coordination", rating="S", text="after rotation")
    assert verify(str(opened.id), "--database", db_url)[0] == 0


def test_the_witness_given_catches_a_rewrite_when_the_witness_beside_the_key_is_gone(
    opened: Opened, wall: WallClock, db_url: str, key_file: Path, tmp_path: Path
) -> None:
    play(opened, wall)
    export = tmp_path / "export.jsonl"
    assert runner.invoke(app, ["export", str(opened.id), "--output", str(export), "--database", db_url]).exit_code == 0
    witness_copy = tmp_path / "witness-copy.jsonl"
    witness_copy.write_bytes(witness_path(key_file).read_bytes())
    witness_path(key_file).unlink()  # the attacker removes the one beside the key too
    rewrite(db_url, opened.id, lambda rows: rows[: the_end(rows) - 1], keep_checkpoints_through=2)
    for given in (export, witness_copy):
        code, said = verify(str(opened.id), "--database", db_url, "--public-key", _public(tmp_path, db_url),
                            "--witness", str(given))
        assert code == 1 and "removed together with the checkpoints that signed them" in said, said
    code, said = verify(str(opened.id), "--database", db_url, "--public-key", _public(tmp_path, db_url))
    assert code == 0 and "no witness outside the database holds this record's head" in said, said


def _public(tmp_path: Path, db_url: str) -> str:
    path = tmp_path / "organisers.pub"
    if not path.exists():
        assert runner.invoke(app, ["key", "--output", str(path), "--database", db_url]).exit_code == 0
    return str(path)


# --- exports -----------------------------------------------------------------------------------


@pytest.fixture
def exported(opened: Opened, wall: WallClock, tmp_path: Path, db_url: str) -> Path:
    if not db_url.startswith("sqlite"):
        pytest.skip("an export is a file: the same on both databases")
    play(opened, wall)
    path = tmp_path / "journal.jsonl"
    path.write_text(opened.service.export(opened.controller, "jsonl"), encoding="utf-8")
    return path


def test_an_export_re_signed_with_a_fresh_key_fails(exported: Path, tmp_path: Path) -> None:
    forger = evidence.load_signing_key(tmp_path / "forger.key", create=True)
    assert forger is not None

    def quieter(rows: Rows) -> Rows:
        return [r for r in rows if r["kind"] != "observation_recorded"]

    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(resign_export(exported.read_text().splitlines(), forger, quieter)) + "\n")
    expected = "the export was re-signed by someone else"
    code, said = verify("--journal", str(forged))
    assert code == 1 and expected in said, said
    page = cover(tmp_path, "--scenario", str(WAREHOUSE), "--journal", str(forged))
    assert "WARNING: THIS RECORD DOES NOT VERIFY" in page and expected in page, page


def test_a_genuine_export_against_another_scenario_fails(exported: Path, tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    other = tmp_path / "scenarios" / "other.yaml"
    other.write_text(WAREHOUSE.read_text().replace("Riverside Warehouse Fire", "Harbour Warehouse Fire"))
    (tmp_path / "plans").symlink_to(WAREHOUSE.parent.parent / "plans")
    expected = "the scenario file given is not the one this exercise ran"
    code, said = verify("--journal", str(exported), "--scenario", str(other))
    assert code == 1 and expected in said, said
    page = cover(tmp_path, "--scenario", str(other), "--journal", str(exported))
    assert "WARNING: THIS RECORD DOES NOT VERIFY" in page and expected in page, page


def test_a_genuine_record_and_its_export_verify_and_the_cover_says_so(
    opened: Opened, wall: WallClock, db_url: str, tmp_path: Path
) -> None:
    play(opened, wall)
    code, said = verify(str(opened.id), "--database", db_url)
    assert code == 0 and "journal intact" in said and "witness outside the database holds" in said, said
    fingerprint = opened.created.key_fingerprint
    assert fingerprint == opened.service.public_key().fingerprint
    export = tmp_path / "journal.jsonl"
    export.write_text(opened.service.export(opened.controller, "jsonl"), encoding="utf-8")
    code, said = verify("--journal", str(export), "--scenario", str(WAREHOUSE))
    assert code == 0 and "journal intact" in said, said
    if db_url.startswith("sqlite"):
        page = cover(tmp_path, str(opened.id), "--database", db_url)
        assert "WARNING" not in page and "Record verified" in page and fingerprint in page, page
        head = json.loads(export.read_text().splitlines()[-1])["seal"]["head"]
        assert head[:40] in page.replace(" ", "")


def test_a_record_from_before_pins_is_pinned_on_purpose_and_only_if_it_verifies(
    opened: Opened, wall: WallClock, db_url: str, key_file: Path
) -> None:
    """An installation upgraded from before pins has records its witness file does not name."""
    play(opened, wall)
    witness_path(key_file).unlink()
    code, said = verify(str(opened.id), "--database", db_url)
    assert code == 1 and "no key is pinned for this record" in said and "hotwash key pin" in said, said
    pinned = runner.invoke(app, ["key", "pin", str(opened.id), "--database", db_url])
    assert pinned.exit_code == 0 and opened.created.key_fingerprint in pinned.output, pinned.output
    assert verify(str(opened.id), "--database", db_url)[0] == 0
    other = type(opened.service).open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)
    second = Opened(other, other.create_exercise(load_scenario(WAREHOUSE), seed=2))
    witness_path(key_file).unlink()
    rewrite(db_url, second.id, lambda rows: rows, keep_checkpoints_through=-1)
    refused = runner.invoke(app, ["key", "pin", str(second.id), "--database", db_url])
    assert refused.exit_code == 1 and "does not verify under this installation's key" in refused.output


def test_a_witness_line_cut_short_by_a_crash_is_named_not_fatal(
    opened: Opened, wall: WallClock, db_url: str, key_file: Path
) -> None:
    play(opened, wall, after_end=False)
    witness = witness_path(key_file)
    whole = witness.read_text().splitlines()[-1]
    with witness.open("a") as cut:  # the process died while writing this line
        cut.write(whole[: len(whole) // 2])
    wall.advance(30)
    opened.service.record_observation(opened.evaluator, "Operational Coordination", rating="S", text="later")
    code, said = verify(str(opened.id), "--database", db_url)
    assert code == 0 and "could not be read (cut short by a crash?)" in said, said
    assert witness.read_text().splitlines()[-1].startswith('{"checkpoint"')  # the next line whole
