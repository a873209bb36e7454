"""Quick commands: ``hotwash --help`` imports none of the heavy parts; each command loads its own."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from hotwash.cli import COMMANDS, app

HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "numpy",
    "simpy",
    "networkx",
    "reportlab",
    "pydantic",
    "exercises",
    "sim_engine",
    "aar",
)

PROBE = """
import json, sys
from hotwash.cli import app
sys.argv = ["hotwash", *sys.argv[1:]]
try:
    app()
except SystemExit:
    pass
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""


def imported_by(*args: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_imports_nothing_heavy() -> None:
    assert not imported_by("--help") & set(HEAVY)


def test_a_command_imports_what_it_uses_and_not_the_rest() -> None:
    loaded = imported_by("validate", "docs/example/scenarios/warehouse_fire.yaml")
    assert "exercises" in loaded
    assert not loaded & {"sqlalchemy", "reportlab", "simpy", "sim_engine", "aar"}


def test_every_command_is_listed_with_its_own_help() -> None:
    for module in {m for m, _ in COMMANDS.values()}:
        staging = typer.Typer()
        importlib.import_module(module).register(staging)
        for name, command in typer.main.get_group(staging).commands.items():
            assert name in COMMANDS, f"{module} registers {name!r}: add it to hotwash.cli.COMMANDS"
            assert COMMANDS[name] == (module, (command.help or "").split("\n\n")[0]), name


def test_help_lists_every_command_and_a_command_still_runs() -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["--help"]).stdout
    assert all(name in listing for name in COMMANDS)
    result = runner.invoke(app, ["validate", "docs/example/scenarios/warehouse_fire.yaml"])
    assert result.exit_code == 0, result.output
