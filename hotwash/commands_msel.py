"""``hotwash msel export|import``: the MSEL as a spreadsheet (.xlsx or CSV), for exercise planners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exercises.documents.msel_sheet import export_csv, export_xlsx, import_msel
from exercises.scenario.loading import ScenarioError, load_scenario

msel_app = typer.Typer(help="The MSEL as a spreadsheet: export it, edit it, import it back.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(msel_app, name="msel")


def _fail(problems: ScenarioError) -> typer.Exit:
    for problem in problems.problems:
        typer.echo(str(problem), err=True)
    typer.echo(f"{len(problems.problems)} problem(s); nothing was written", err=True)
    return typer.Exit(1)


@msel_app.command("export")
def export(
    scenario: Annotated[Path, typer.Argument(help="A scenario file.")],
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write the MSEL workbook here.")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the MSEL as CSV here.")] = None,
) -> None:
    """Write SCENARIO's MSEL in the HSEEP MSEL columns, with drop-down lists in the workbook."""
    if xlsx is None and csv is None:
        typer.echo("name a file: --xlsx msel.xlsx or --csv msel.csv", err=True)
        raise typer.Exit(2)
    try:
        loaded = load_scenario(scenario)
        outputs = [(xlsx, export_xlsx(loaded) if xlsx else b""), (csv, export_csv(loaded).encode() if csv else b"")]
    except ScenarioError as exc:
        raise _fail(exc) from None
    for path, data in outputs:
        if path is not None:
            path.write_bytes(data)
            typer.echo(f"wrote {path} ({len(loaded.msel)} injects)")


@msel_app.command("import")
def import_(
    sheet: Annotated[Path, typer.Argument(help="The MSEL workbook (.xlsx) or CSV file.")],
    into: Annotated[Path, typer.Option("--into", help="The scenario file whose MSEL it replaces.")],
    remove_injects: Annotated[bool, typer.Option(
        "--remove-injects", help="Write the sheet's MSEL even though it leaves out injects the file has.")] = False,
) -> None:
    """Read SHEET into the scenario file's MSEL; every problem is listed and nothing is written
    unless the whole scenario is valid with it, nor when the sheet would remove injects (unless
    --remove-injects)."""
    try:
        scenario, changed = import_msel(sheet, into, remove_injects=remove_injects)
    except ScenarioError as exc:
        raise _fail(exc) from None
    if changed:
        typer.echo(f"wrote {len(scenario.msel)} injects into {into}")
    else:
        typer.echo(f"{into}: the MSEL is already the same ({len(scenario.msel)} injects); nothing to write")
