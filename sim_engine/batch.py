"""Batch mode: every agency simulated, the scenario run to its end many times over seeds.

Replication ``i`` draws from a generator seeded by ``SeedSequence(seed).spawn(runs)[i]``, runs in
whichever worker process, and is reduced to a summary of its record; the summaries are aggregated
in replication order. So the result, down to its JSON, is the same for any number of jobs.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from exercises.entries import NewEntry
from exercises.scenario import Scenario
from sim_engine.checks import EngineError, check_runnable
from sim_engine.collector import collector_paused
from sim_engine.model import Simulation
from sim_engine.results import BatchResult
from sim_engine.sampling import replication_generator
from sim_engine.stats import RunSummary, aggregate, summarise

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all)."""

CHUNKS_PER_JOB = 8
"""Work is handed out in chunks: small enough for a smooth progress bar, large enough to be cheap."""


def simulate(scenario: Scenario, seed: int, index: int = 0, until: float | None = None) -> Simulation:
    """Replication ``index`` with every agency simulated, run to ``until`` (the scenario's end)."""
    with collector_paused():
        sim = Simulation(scenario, replication_generator(seed, index), [a.id for a in scenario.agencies])
        sim.run_to(scenario.duration if until is None else until)
    return sim


def run_once(scenario: Scenario, seed: int, index: int = 0, until: float | None = None) -> list[NewEntry]:
    """The journal entries of replication ``index`` (see ``simulate``)."""
    return simulate(scenario, seed, index, until).entries


def replicate(scenario: Scenario, seed: int, index: int) -> RunSummary:
    """Replication ``index`` reduced to its summary, read from the run's record (no journal entries).

    The whole replication runs with the cyclic collector paused, and the run is closed once
    summarised: it is freed as soon as it is dropped, and the collector finds little left to do."""
    with collector_paused():
        sim = simulate(scenario, seed, index)
        summary = summarise(scenario, sim.record, scenario.duration)
        summary.events = sim.steps
        sim.close()
        return summary


def run_batch(
    scenario: Scenario, runs: int, seed: int, jobs: int, progress: Progress | None = None
) -> BatchResult:
    """``runs`` replications over ``jobs`` processes, aggregated into the simulated baseline."""
    problems = []
    if runs < 1:
        problems.append(f"runs must be at least 1, not {runs}")
    if jobs < 1:
        problems.append(f"jobs must be at least 1, not {jobs}")
    if seed < 0:
        problems.append(f"the seed must be a whole number >= 0, not {seed}")
    if problems:
        raise EngineError(problems, headline="cannot start the batch")
    check_runnable(scenario)
    summaries: list[RunSummary | None] = [None] * runs
    done = 0
    if jobs == 1:
        for index in range(runs):
            summaries[index] = replicate(scenario, seed, index)
            done += 1
            if progress:
                progress(done, runs)
    else:
        size = max(1, math.ceil(runs / (jobs * CHUNKS_PER_JOB)))
        chunks = [range(start, min(runs, start + size)) for start in range(0, runs, size)]
        # forkserver, not fork: callers such as the console run threads, and forking those can deadlock.
        # The server imports the engine once; workers fork from it with everything loaded.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim_engine.batch"])
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_adopt, initargs=(scenario,)
        ) as pool:
            futures = [pool.submit(_chunk, seed, chunk.start, chunk.stop) for chunk in chunks]
            for future in as_completed(futures):
                for index, summary in future.result():
                    summaries[index] = summary
                    done += 1
                if progress:
                    progress(done, runs)
    return aggregate(scenario, _all(summaries), seed, scenario.duration)


def _all(summaries: Sequence[RunSummary | None]) -> list[RunSummary]:
    out = [s for s in summaries if s is not None]
    if len(out) != len(summaries):
        raise RuntimeError("a replication returned no summary")
    return out


_scenario: Scenario | None = None


def _adopt(scenario: Scenario) -> None:
    """Worker start-up: receive the scenario once, not with every chunk."""
    global _scenario
    _scenario = scenario


def _chunk(seed: int, start: int, stop: int) -> list[tuple[int, RunSummary]]:
    if _scenario is None:
        raise RuntimeError("worker started without a scenario")
    return [(index, replicate(_scenario, seed, index)) for index in range(start, stop)]
