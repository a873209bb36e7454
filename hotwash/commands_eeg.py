"""``hotwash eeg``: a scenario's Exercise Evaluation Guides as the HSEEP EEG form (PDF or Word),
printed before the exercise."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aar.eeg import build_eeg
from aar.eeg_document import eeg_blocks, eeg_frontis
from aar.names import quantity
from aar.render.pdf import render_blocks_pdf
from aar.render.word import render_blocks_docx
from exercises.scenario.loading import ScenarioError, load_scenario


def register(app: typer.Typer) -> None:
    app.command("eeg")(eeg)


def eeg(
    scenario: Annotated[Path, typer.Argument(help="A scenario file.")],
    out: Annotated[Path, typer.Option("--out", help="Write the EEGs here: a .pdf or a .docx file.")],
    capability: Annotated[
        list[str] | None, typer.Option("--capability", help="Only this core capability's EEGs (repeatable).")
    ] = None,
) -> None:
    """Print a scenario's Exercise Evaluation Guides (HSEEP EEG form) as PDF or Word."""
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".docx"):
        typer.echo(f"{out}: name a .pdf or a .docx file", err=True)
        raise typer.Exit(1)
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    chosen = capability or []
    known = {c for o in loaded.objectives for c in o.capabilities} | {p.capability for p in loaded.protocols}
    unknown = [c for c in chosen if c not in known]
    if unknown:
        typer.echo(f"not a capability of this scenario: {', '.join(unknown)}; it has: {'; '.join(sorted(known))}",
                   err=True)
        raise typer.Exit(1)
    model = build_eeg(loaded, capabilities=chosen)
    render = render_blocks_pdf if suffix == ".pdf" else render_blocks_docx
    out.write_bytes(render(eeg_blocks(model), eeg_frontis(model)))
    typer.echo(f"wrote {out} ({quantity(len(model.guides), 'EEG')})")
