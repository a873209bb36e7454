"""The ``hotwash`` command line: one Typer app; each area registers its commands here.

A command imports only what it uses: the modules behind the commands (the engine, SQLAlchemy, the
report's renderers) are imported when one of their commands runs, not to print ``hotwash --help``
nor to run another command. ``COMMANDS`` names each command, the module that registers it and its
one-line help, shown in ``--help`` without importing the module (a test holds the two together).
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "hotwash.commands_scenario",
        "Check scenario and response-plan files; exit 0 only when every one is valid.",
    ),
    "simulate": (
        "hotwash.commands_simulate",
        "Simulate SCENARIO with every agency simulated: protocols met, units, links, bottlenecks.",
    ),
    "verify": (
        "hotwash.commands_exercise",
        "Walk EXERCISE's hash chain, check its signed checkpoints under its pinned key, hold it to every witness.",
    ),
    "export": (
        "hotwash.commands_exercise",
        "Write EXERCISE's journal as JSON Lines (re-verifiable) or CSV (safe to open in a spreadsheet).",
    ),
    "import": (
        "hotwash.commands_exercise",
        "Bring in a log kept elsewhere as a finished exercise the report can score.",
    ),
    "serve": (
        "hotwash.commands_serve",
        "Run the console (Streamlit) on the database in HOTWASH_DATABASE_URL, or var/hotwash.db.",
    ),
    "report": (
        "hotwash.commands_report",
        "Score the exercise against its response plans and write the HSEEP AAR/IP as a PDF.",
    ),
    "key": ("hotwash.commands_key", "Show the signing key's fingerprint and public key (PEM), or write the public key to a file."),
    "msel": ("hotwash.commands_msel", "The MSEL as a spreadsheet: export it, edit it, import it back."),
    "eeg": ("hotwash.commands_eeg", "Print a scenario's Exercise Evaluation Guides (HSEEP EEG form) as PDF or Word."),
    "ics": ("hotwash.commands_ics", "ICS forms from the record: 214 activity logs, 205A communications list."),
    "scenario": ("hotwash.commands_scenario", "Look at scenario files."),
    "exercise": ("hotwash.commands_exercise", "Open, list, run again and branch exercises."),
    "template": (
        "hotwash.commands_template",
        "Exercise templates: save a set-up, list, show, rename, retire, open an exercise from one.",
    ),
    "unlock": ("hotwash.commands_signin", "Clear EXERCISE's sign-in locks: its wrong access codes stop counting (recorded)."),
    "program": (
        "hotwash.commands_program",
        "The preparedness program: schedule, corrective actions tracked to closure, stored summaries.",
    ),
}
"""Command name -> (module whose ``register(app)`` adds it, its one-line help)."""


class LazyCommands(TyperGroup):
    """The top-level group: a command's module is imported when the command is looked up to run.

    Listing the commands for help needs only their names and one-line help, so while help is being
    written a command not yet loaded is listed from ``COMMANDS``."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        loaded = super().list_commands(ctx)
        return [*loaded, *(name for name in COMMANDS if name not in loaded)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        module, summary = COMMANDS[cmd_name]
        if self._listing:
            return TyperCommand(name=cmd_name, help=summary)
        self._load(module)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a fault of the database or the key file is said in words, exit status 1."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Imported here, like the commands' modules: ``hotwash --help`` imports no database code.
            from exercises.storage.faults import StorageFault

            if not isinstance(exc, StorageFault):
                raise
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def _load(self, module: str) -> None:
        """Import ``module`` and add every command it registers.

        The cyclic collector is paused meanwhile: what a command's modules build at import lives as
        long as the process, and the collector, counting those allocations, would otherwise pass over
        the growing heap again and again (about 30 ms of the 0.25 s ``hotwash simulate`` spends
        importing and loading its scenario). Paused here, not with the engine's ``collector_paused``:
        a command that does not simulate imports none of the engine."""
        staging = typer.Typer()
        running = gc.isenabled()
        gc.disable()
        try:
            importlib.import_module(module).register(staging)
        finally:
            if running:
                gc.enable()
        for name, command in typer.main.get_group(staging).commands.items():
            self.commands.setdefault(name, command)


app = typer.Typer(
    name="hotwash",
    help="Run tabletop crisis exercises across agencies and produce the HSEEP after-action report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyCommands,
)


@app.callback()
def _commands() -> None:
    # A Typer app needs a command or a callback to become a group; its commands are all lazy.
    pass


def main() -> None:
    app()
