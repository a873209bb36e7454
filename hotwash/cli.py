"""The ``hotwash`` command line: one Typer app; each area registers its commands here."""

from __future__ import annotations

import typer

import hotwash.commands_key
from hotwash import commands_exercise, commands_report, commands_scenario, commands_serve, commands_simulate

app = typer.Typer(
    name="hotwash",
    help="Run tabletop crisis exercises across agencies and produce the HSEEP after-action report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

commands_scenario.register(app)
commands_simulate.register(app)
commands_exercise.register(app)
commands_serve.register(app)
commands_report.register(app)
hotwash.commands_key.register(app)


def main() -> None:
    app()
