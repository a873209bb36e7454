"""``hotwash serve``: the console in the browser, on the configured database.

On first start with an empty database it opens a demo exercise on a bundled scenario and prints
its access codes (also written to ``var/demo-codes.txt``), so a newcomer can sign in at once.
Then the process becomes Streamlit's server (``exec``): stopping or killing it stops the console.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

DEMO_CODES = Path("var") / "demo-codes.txt"
"""Relative to the directory the server is started in, like the default database (var/hotwash.db)."""


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def entry_script() -> Path:
    """``streamlit_app.py``, found beside the installed packages, whatever the working directory."""
    from console.library import ROOT

    script = ROOT / "streamlit_app.py"
    if not script.is_file():
        raise FileNotFoundError(f"the console's entry script is missing: {script}")
    return script


def ensure_demo(out: Console) -> Path | None:
    """Open the demo exercise when the database holds no exercise; return where its codes went."""
    from console.library import demo_scenario
    from exercises.scenario.loading import load_scenario
    from exercises.service.exercise_service import ExerciseService

    service = ExerciseService.open()
    if service.list_exercises():
        return None
    scenario = load_scenario(demo_scenario())
    created = service.create_exercise(scenario, name=f"Demo: {scenario.name}")
    lines = [
        f"Hotwash demo exercise {created.exercise.id}: {created.exercise.name}",
        "Access codes (each is shown only here; keep this file private):",
        *(f"  {code.label:<40} {code.code}" for code in created.codes),
    ]
    DEMO_CODES.parent.mkdir(parents=True, exist_ok=True)
    DEMO_CODES.write_text("\n".join(lines) + "\n", encoding="utf-8")
    DEMO_CODES.chmod(0o600)

    table = Table(title=f"Demo exercise {created.exercise.id}: {escape(created.exercise.name)}",
                  title_justify="left")
    table.add_column("role")
    table.add_column("access code")
    for code in created.codes:
        table.add_row(escape(code.label), code.code)
    out.print(table)
    out.print(f"These codes are also in {DEMO_CODES}. Sign in with the controller code to start.")
    return DEMO_CODES


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8501,
    address: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 lets other machines on the network in.")
    ] = "127.0.0.1",
    demo: Annotated[bool, typer.Option(help="Open a demo exercise when the database is empty.")] = True,
) -> None:
    """Run the console (Streamlit) on the database in HOTWASH_DATABASE_URL, or var/hotwash.db."""
    out = Console(highlight=False)
    script = entry_script()
    if demo:
        ensure_demo(out)
    out.print(f"Hotwash console on http://{'localhost' if address in ('127.0.0.1', '0.0.0.0') else address}:{port}")
    sys.stdout.flush()
    sys.stderr.flush()
    # The settings that matter are in .streamlit/config.toml beside the script; headless is repeated
    # here because without it Streamlit's first run stops to ask for an e-mail address.
    os.execv(
        sys.executable,
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", address, "--server.headless", "true"],
    )
