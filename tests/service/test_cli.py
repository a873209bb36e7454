"""The command line as an operator uses it: create, list, verify, export, import."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from typer.testing import CliRunner

from exercises.documents.cells import FORMULA_STARTS
from exercises.record import journal
from exercises.scoring import Status
from exercises.service.exercise_service import ExerciseService
from exercises.views import InjectStatus
from hotwash.cli import app
from tests.service.conftest import CHEAP_HASHER, WAREHOUSE, Opened

runner = CliRunner()
CODE = re.compile(r"^\s+(Controller|Evaluator|Observer|Player for [^\n]+?)\s+([0-9A-Z]{6}(?:-[0-9A-Z]{4}){4})$", re.M)


def hotwash(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--database", db_url], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_create_prints_codes_once_and_they_sign_in(db_url: str) -> None:
    code, out = hotwash(db_url, "exercise", "create", str(WAREHOUSE), "--name", "Tuesday drill", "--seed", "42")
    assert code == 0, out
    exercise_id = int(re.search(r"Exercise (\d+): Tuesday drill", out).group(1))  # type: ignore[union-attr]
    assert "seed 42" in out and "shown this once" in out
    codes = dict(CODE.findall(out))
    # Printed codes name the agency, never its id.
    assert set(codes) == {"Controller", "Evaluator", "Observer", "Player for Town Fire Department"}
    service = ExerciseService.open(db_url)
    caller = service.sign_in(codes["Player for Town Fire Department"])
    assert (caller.exercise_id, caller.agency) == (exercise_id, "fire")
    code, listed = hotwash(db_url, "exercise", "list")
    assert code == 0
    assert re.search(rf"{exercise_id}\s+│ Tuesday drill\s+│ warehouse_fire\s+│ not started", listed), listed
    for secret in codes.values():
        assert secret not in listed


def test_create_with_a_broken_scenario_names_the_problem(db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "scenarios" / "broken.yaml"
    broken.parent.mkdir()
    broken.write_text(WAREHOUSE.read_text().replace("lead_agency: fire", "lead_agency: fir"))
    code, out = hotwash(db_url, "exercise", "create", str(broken))
    assert code == 1
    assert "lead_agency: unknown agency 'fir'" in out


def test_verify_and_export_unknown_exercise(db_url: str) -> None:
    for command in (["verify", "9999"], ["export", "9999"]):
        code, out = hotwash(db_url, *command)
        assert code == 1 and "no exercise 9999" in out


def test_jsonl_export_can_be_verified_by_anyone(opened: Opened, db_url: str) -> None:
    """Everything a reader needs to check the file without Hotwash: SHA-256, RFC 8785 and Ed25519."""
    svc = opened.service
    svc.start(opened.controller)
    svc.log_action(opened.player("fire"), "establish_command", text="Ünïcode ✓")
    svc.tick(opened.controller)
    code, out = hotwash(db_url, "export", str(opened.id), "--format", "jsonl")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    header, seal = lines[0], lines[-1]["seal"]
    meta = header["metadata"]
    covered = {k: meta[k] for k in ("exercise", "name", "scenario_id", "scenario", "seed", "created_at", "record")}
    assert meta["name"] == opened.created.exercise.name and meta["chain_format"] == 3
    genesis = journal.sha256(journal.canonical({"format": "hotwash-journal/3", **covered}))
    assert header["genesis"] == genesis
    entries = [line for line in lines if "seq" in line]
    checkpoints = [line["checkpoint"] for line in lines if "checkpoint" in line]
    assert [line["seq"] for line in entries] == list(range(1, len(entries) + 1))
    previous = genesis
    for line in entries:
        claimed = line.pop("hash")
        assert line["prev_hash"] == previous
        assert journal.sha256(journal.canonical(line)) == claimed
        previous = claimed
    assert previous == svc.verify(opened.controller).head_hash
    assert any(line["payload"].get("text") == "Ünïcode ✓" for line in entries)
    assert [c["reason"] for c in checkpoints][:2] == ["created", "started"]
    assert (seal["seq"], seal["head"], seal["reason"]) == (len(entries), previous, "export")
    for signed in [*checkpoints, seal]:
        body = {k: signed[k] for k in ("format", "exercise", "genesis", "seq", "head", "signed_at", "reason", "prev")}
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(signed["public_key"]))
        key.verify(bytes.fromhex(signed["signature"]), journal.canonical(body))  # raises if forged
    assert seal["key_id"] == svc.public_key().key_id


def test_csv_export_neutralises_formulas(opened: Opened, db_url: str, tmp_path: Path) -> None:
    svc, fire = opened.service, opened.player("fire")
    svc.start(opened.controller)
    nasty = [
        '=HYPERLINK("http://evil.example","click")', "+1+1", "-2", "@SUM(A1:A9)", "\tTAB", "\rCR",
        " =1+1", "\n=1+1", "plain",
    ]
    for text in nasty:
        svc.log_action(fire, "head_count", text=text)
    target = tmp_path / "journal.csv"
    code, _ = hotwash(db_url, "export", str(opened.id), "--format", "csv", "--output", str(target))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8"), newline="")))
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    texts = [r["text"] for r in rows if r["kind"] == "action_logged"]
    assert texts == ["'" + t for t in nasty[:-1]] + ["plain"]
    svc.log_action(fire, "head_count", text="a;=1+1, @SUM(A1)")  # split by a locale's separator
    _, out = hotwash(db_url, "export", str(opened.id), "--format", "csv")
    assert "a;'=1+1, '@SUM(A1)" in out




ACTION_LOG = """time,agency,action,text,inject,logged_by
00:05,fire,establish_command,IC at the gate,WF-01,Capt. Ruiz
0:12,fire,notify_eoc,"Phoned the EOC, duty officer answered",,Capt. Ruiz
00:18,fire,head_count,40 of 40,,
00:25,eoc,activate_eoc,,,EOC desk
"""


def test_import_an_action_log_as_a_finished_exercise(db_url: str, tmp_path: Path) -> None:
    log = tmp_path / "actions.csv"
    log.write_text(ACTION_LOG)
    code, out = hotwash(db_url, "import", str(WAREHOUSE), str(log), "--name", "Paper log")
    assert code == 0, out
    exercise_id = int(re.search(r"Exercise (\d+): Paper log", out).group(1))  # type: ignore[union-attr]
    assert len(CODE.findall(out)) == 4
    code, verified = hotwash(db_url, "verify", str(exercise_id))
    assert code == 0 and "journal intact" in verified

    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER)
    operator = service.operator(exercise_id)
    state = service.state(operator)
    assert state.status.value == "ended" and state.clock == 7200.0
    outcome = {p.protocol_id: p.status for p in service.protocol_clock(operator)}
    assert outcome == {"IC-01": Status.MET, "NOT-01": Status.MET, "EOC-01": Status.MET}
    msel = {r.inject_id: r.status for r in service.msel(operator)}
    assert msel == {"WF-01": InjectStatus.ACTED_ON, "WF-02": InjectStatus.SKIPPED, "WF-03": InjectStatus.DELIVERED}
    logged = [e for e in service.journal(operator) if e.kind.value == "action_logged"]
    assert (logged[0].at, logged[0].agency, logged[0].actor) == (300.0, "fire", "import (Capt. Ruiz)")


def test_import_of_a_malformed_log_writes_nothing(db_url: str, tmp_path: Path) -> None:
    log = tmp_path / "actions.csv"
    log.write_text(ACTION_LOG + "00:30,fire,call_the_mayor,,,\n")
    _, before = hotwash(db_url, "exercise", "list")
    code, out = hotwash(db_url, "import", str(WAREHOUSE), str(log))
    assert code == 1
    assert f"{log}: line 6: action 'call_the_mayor' is not in the scenario's vocabulary" in out
    assert "Traceback" not in out
    _, after = hotwash(db_url, "exercise", "list")
    assert after == before
