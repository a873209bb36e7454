"""``hotwash validate`` and ``hotwash scenario show``: for exercise designers, offline."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from exercises.scenario.durations import format_duration, format_span
from exercises.scenario.loading import ScenarioError, check_paths, load_scenario
from exercises.scenario.model import Scenario

scenario_app = typer.Typer(help="Look at scenario files.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.add_typer(scenario_app, name="scenario")


def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Scenario or plan files, or folders to check all files in.")
    ],
) -> None:
    """Check scenario and response-plan files; exit 0 only when every one is valid."""
    # Plain lines, never wrapped: editors and CI parse "file:line: field: message".
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        typer.echo(f"{p}: no such file or folder", err=True)
    results = check_paths([p for p in paths if p.exists()])
    bad = 0
    for result in results:
        if result.problems:
            bad += 1
            for problem in result.problems:
                typer.echo(str(problem), err=True)
        else:
            typer.echo(f"ok   {result.kind:<8} {result.path}")
    if not results and not missing:
        typer.echo("no scenario or plan files found", err=True)
        raise typer.Exit(1)
    typer.echo(f"{len(results) - bad} of {len(results)} files valid", err=bool(bad or missing))
    if bad or missing:
        raise typer.Exit(1)


@scenario_app.command("show")
def show(file: Annotated[Path, typer.Argument(help="A scenario file.")]) -> None:
    """A readable summary: agencies and resources, the MSEL, protocols per agency."""
    try:
        scenario = load_scenario(file)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    render_summary(scenario, Console(highlight=False))


def render_summary(sc: Scenario, out: Console) -> None:
    out.print(
        f"[bold]{escape(sc.name)}[/bold]  ({sc.kind.value.replace('_', ' ')}, {format_span(sc.duration)})"
    )
    out.print(escape(sc.summary))
    out.print(f"Location: {escape(sc.location)}   Lead agency: {escape(sc.agency(sc.lead_agency).name)}")
    out.print(f"Mission areas: {', '.join(m.value for m in sc.mission_areas)}")

    agencies = Table(title="Agencies", title_justify="left")
    for col in ("id", "name", "kind", "played by", "resources", "links"):
        agencies.add_column(col)
    degree: dict[str, int] = defaultdict(int)
    for link in sc.links:
        for end in link.between:
            degree[end] += 1
    for ag in sc.agencies:
        resources = ", ".join(f"{n} {unit.replace('_', ' ')}" for unit, n in ag.resources.items()) or "-"
        agencies.add_row(
            ag.id, escape(ag.name), ag.kind.value, ag.played_by.value, resources, str(degree[ag.id])
        )
    out.print(agencies)

    msel = Table(title="MSEL", title_justify="left")
    for col in ("#", "time", "from", "to", "mode", "synopsis", "expected actions", "condition"):
        msel.add_column(col)
    for inj in sorted(sc.msel, key=lambda i: (i.time, i.id)):
        cond = ""
        if inj.condition:
            cond = ("if " if inj.condition.happened else "if no ") + inj.condition.action
        if inj.effect and inj.effect.link_down:
            cond = (cond + " " if cond else "") + f"link down {'-'.join(inj.effect.link_down)}"
        if inj.effect and inj.effect.link_up:
            cond = (cond + " " if cond else "") + f"link up {'-'.join(inj.effect.link_up)}"
        msel.add_row(
            inj.id,
            format_duration(inj.time),
            inj.from_,
            ", ".join(inj.to),
            inj.mode.value,
            escape(inj.synopsis),
            ", ".join(inj.expected_actions),
            cond,
        )
    out.print(msel)

    protocols = Table(title="Protocols by agency", title_justify="left")
    for col in ("agency", "protocol", "when", "must", "deadline", "critical", "capability"):
        protocols.add_column(col)
    for proto in sorted(sc.protocols, key=lambda p: (p.agency, p.id)):
        when = proto.trigger.name or "exercise start"
        deadline = "before trigger" if proto.before_trigger else f"within {format_span(proto.within or 0)}"
        protocols.add_row(
            proto.agency,
            f"{proto.id} {escape(proto.title)}",
            when,
            proto.action,
            deadline,
            "yes" if proto.critical else "",
            proto.capability,
        )
    out.print(protocols)
    out.print(
        f"{len(sc.agencies)} agencies, {len(sc.links)} links, {len(sc.msel)} injects "
        f"({sum(1 for i in sc.msel if i.condition)} conditional), {len(sc.protocols)} protocols "
        f"from {len(sc.plans)} plans, {len(sc.objectives)} objectives"
    )
