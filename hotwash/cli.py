"""The ``hotwash`` command line: one Typer app; each area registers its commands here."""

from __future__ import annotations

import typer

from hotwash import commands_scenario

app = typer.Typer(
    name="hotwash",
    help="Run tabletop crisis exercises across agencies and produce the HSEEP after-action report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

commands_scenario.register(app)


def main() -> None:
    app()
