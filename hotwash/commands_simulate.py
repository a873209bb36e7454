"""``hotwash simulate``: run a scenario many times with every agency simulated (the baseline)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from exercises.scenario.durations import format_span
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import Scenario
from sim_engine.batch.results import BatchResult
from sim_engine.batch.runs import run_batch, run_once
from sim_engine.checks import EngineError, check_runnable
from sim_engine.transcript import transcript

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def simulate(
    scenario: Annotated[Path, typer.Argument(help="A scenario file.")],
    runs: Annotated[int, typer.Option("--runs", min=1, max=1_000_000, help="Replications.")] = 100,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the whole batch.")] = 0,
    jobs: Annotated[int, typer.Option("--jobs", min=1, max=256, help="Worker processes.")] = 1,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the result as JSON to this file ('-': stdout only)."),
    ] = None,
    show_transcript: Annotated[
        bool, typer.Option("--transcript", help="Print the entries of replication 0 instead of a batch.")
    ] = False,
) -> None:
    """Simulate SCENARIO with every agency simulated: protocols met, units, links, bottlenecks.

    The same seed gives the same result, whatever the number of jobs.
    """
    try:
        loaded = load_scenario(scenario)
        check_runnable(loaded)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    except EngineError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if show_transcript:
        typer.echo(transcript(run_once(loaded, seed)), nl=False)
        return
    # What the command has built so far (its modules, the scenario) lives until the process ends, which
    # follows the batch: frozen, the collector passes over it no more, in this process nor in the
    # workers forked from it (whose pages it would otherwise copy), nor at the interpreter's exit
    # (about 40 ms of the command's serial part). A caller running this in-process (a test) keeps
    # those objects out of its collections too: they are not freed by the collector, which changes
    # no result.
    gc.freeze()
    bar = BatchBar(runs)
    try:
        result = run_batch(loaded, runs, seed, jobs, progress=bar)
    finally:
        bar.close()
    text = result.model_dump_json(indent=2) + "\n"
    if json_file is not None and str(json_file) == "-":
        typer.echo(text, nl=False)
        return
    # Imported here: rich is set up by the progress bar, during the batch (see ``BatchBar``).
    from rich.console import Console
    from rich.markup import escape

    render(loaded, result, Console(highlight=False))
    if json_file is not None:
        json_file.write_text(text, encoding="utf-8")
        Console(stderr=True, highlight=False).print(f"JSON written to {escape(str(json_file))}")


class BatchBar:
    """The batch's progress bar on standard error, set up at the batch's first progress call.

    Then, not before the batch: with 2 jobs or more the workers have started by then and this process
    runs replications beside them, so importing rich costs the user's wait half of what it would before
    the workers start. Drawn from the batch's own progress calls, in
    this thread: a refresh thread would make the batch start its workers through a fork server
    (``sim_engine.batch.runs._context``), a fresh interpreter importing the engine again."""

    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.bar: Progress | None = None
        self.drawn: Callable[[int, int], None] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.drawn is None:
            self.drawn = self._open()
        self.drawn(done, total)

    def _open(self) -> Callable[[int, int], None]:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("Simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True, highlight=False), auto_refresh=False,
        )
        self.bar.start()
        return drawn_progress(self.bar, self.bar.add_task("runs", total=self.runs))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def drawn_progress(bar: Progress, task: TaskID) -> Callable[[int, int], None]:
    """The batch's progress, drawn on a terminal at most five times a second (and at the end). Each
    drawing lays the bar out anew, in the parent, while the workers want both cores; elsewhere (a pipe,
    a file) nothing is drawn until the end, so it is not laid out either."""
    drawn = 0.0
    terminal = bar.console.is_terminal

    def progress(done: int, total: int) -> None:
        nonlocal drawn
        bar.update(task, completed=done)
        if done == total or (terminal and time.monotonic() - drawn >= 0.2):
            bar.refresh()
            drawn = time.monotonic()

    return progress


def _span(seconds: float | None) -> str:
    return "-" if seconds is None else format_span(seconds)


def render(scenario: Scenario, result: BatchResult, out: Console) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    out.print(
        f"[bold]{escape(scenario.name)}[/bold]: {result.runs} runs with every agency simulated, seed {result.seed}"
    )
    protocols = Table(title="Protocols", title_justify="left", box=box.SIMPLE_HEAD)
    protocols.add_column("protocol", no_wrap=True)
    for col in ("agency", "critical", "deadline", "triggered", "met", "median", "p90"):
        protocols.add_column(col, justify="right" if col in ("triggered", "met", "median", "p90") else "left")
    protocols.add_column("title")
    for p in result.protocols:
        proto = next(x for x in scenario.protocols if x.id == p.protocol_id)
        protocols.add_row(
            p.protocol_id,
            p.agency,
            "yes" if p.critical else "",
            "before trigger" if proto.before_trigger else _span(p.deadline_s),
            f"{p.triggered_share:.0%}",
            f"{p.met_share:.0%}" if p.triggered_share else "-",
            _span(p.response_median_s),
            _span(p.response_p90_s),
            escape(p.title),
        )
    out.print(protocols)
    units = Table(title="Agencies and units", title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("agency", "actions/run", "unit", "units", "busy", "wait mean", "wait p90"):
        units.add_column(col, justify="left" if col in ("agency", "unit") else "right")
    for a in result.agencies:
        if not a.units:
            units.add_row(a.agency, f"{a.actions_mean:.1f}", "-", "", "", "", "")
        for k, u in enumerate(a.units):
            units.add_row(
                a.agency if k == 0 else "",
                f"{a.actions_mean:.1f}" if k == 0 else "",
                u.unit_type,
                str(u.units),
                f"{u.utilisation:.0%}",
                _span(u.queue_wait_mean_s),
                _span(u.queue_wait_p90_s),
            )
    out.print(units)
    links = Table(title="Links", title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("link", "messages/run", "delivery time", "lost"):
        links.add_column(col, justify="left" if col == "link" else "right")
    for link in result.links:
        links.add_row(
            "-".join(link.between),
            f"{link.messages_mean:.1f}",
            _span(link.delay_mean_s),
            f"{link.lost_share:.0%}",
        )
    out.print(links)
    out.print("[bold]Bottlenecks[/bold]")
    for sentence in result.bottlenecks or ("None found: every protocol met in at least 80% of instances.",):
        out.print(f"- {escape(sentence)}")
