"""Batch mode: every agency simulated, the scenario run to its end many times over seeds.

Replication ``i`` draws from a generator seeded by ``SeedSequence(seed).spawn(runs)[i]``, runs in
whichever worker process, and is reduced to a summary of its record; each worker folds its chunk of
summaries into one small tally, which the parent merges. Tallies merge exactly in any grouping and
order (``sim_engine.batch.tally``), so the result, down to its JSON, is the same for any number of jobs, and
the memory a batch needs does not grow with the number of runs.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.context
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import cast

from exercises.record.entries import NewEntry
from exercises.scenario.model import Scenario
from sim_engine.batch.results import BatchResult
from sim_engine.batch.stats import BatchTally, RunningSummary, RunSummary, aggregate
from sim_engine.checks import EngineError, check_runnable
from sim_engine.collector import collector_paused
from sim_engine.model import Simulation
from sim_engine.sampling import replication_generator

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all)."""

SHARE = 4
"""Work is handed out in chunks, each at most a quarter of a job's share of the replications not yet
handed out: large at first (each chunk costs a tally sent and merged), smaller and smaller towards the
end, so that the workers finish within about one replication of each other."""

PAUSED_RUNS = 100
"""Replications run between two passes of the cyclic collector (see ``fold``)."""

MAX_CHUNK = 100
"""At most this many replications per chunk (about 0.3 s of the largest bundled scenario): a worker's
memory grows with its chunk's tally (5 MiB more for 500 replications of ``mass_casualty`` than for 16),
and so does what waits in the parent to be merged."""


def simulate(
    scenario: Scenario, seed: int, index: int = 0, until: float | None = None, summarised: bool = False
) -> Simulation:
    """Replication ``index`` with every agency simulated, run to ``until`` (the scenario's end); with
    ``summarised``, its summary is built as it goes (``world.summary``)."""
    with collector_paused():
        sim = Simulation(scenario, replication_generator(seed, index), [a.id for a in scenario.agencies])
        if summarised:
            sim.world.summary = RunningSummary(scenario)
        sim.run_to(scenario.duration if until is None else until)
    return sim


def run_once(scenario: Scenario, seed: int, index: int = 0, until: float | None = None) -> list[NewEntry]:
    """The journal entries of replication ``index`` (see ``simulate``)."""
    return simulate(scenario, seed, index, until).entries


def replicate(scenario: Scenario, seed: int, index: int) -> RunSummary:
    """Replication ``index`` reduced to its summary, built as it runs (no journal entries).

    The whole replication runs with the cyclic collector paused, and the run is closed once
    summarised: it is freed as soon as it is dropped, and the collector finds little left to do."""
    with collector_paused():
        sim = simulate(scenario, seed, index, summarised=True)
        summary = cast(RunningSummary, sim.world.summary).finish(scenario, sim.record, scenario.duration)
        summary.events = sim.steps
        sim.close()
        # Freed here, while the collector is still paused: resumed with the run alive, it would make its
        # next pass over every object of the run.
        del sim
        return summary


def fold(scenario: Scenario, seed: int, indices: range, progress: Progress | None = None) -> BatchTally:
    """Replications ``indices`` folded into one tally (what a worker returns for a chunk).

    The cyclic collector stays paused over ``PAUSED_RUNS`` replications at a time, not resumed after
    each: a closed run is freed by reference counting, and what little it leaves in cycles (its clock
    and unit pools) is collected in one pass per block, instead of a pass over the young objects (and
    now and then the whole heap) after every replication."""
    tally = BatchTally(scenario)
    for start in range(indices.start, indices.stop, PAUSED_RUNS):
        with collector_paused():
            for index in range(start, min(indices.stop, start + PAUSED_RUNS)):
                tally.add(replicate(scenario, seed, index))
                if progress:
                    progress(index + 1 - indices.start, len(indices))
    return tally


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
    if jobs == 1 or runs == 1:
        tally = fold(scenario, seed, range(runs), progress)
    else:
        tally = _in_parallel(scenario, runs, seed, jobs, progress)
    return aggregate(scenario, tally, seed, scenario.duration)


def chunks(runs: int, jobs: int) -> list[range]:
    """The batch cut into chunks of decreasing size (``SHARE``, at most ``MAX_CHUNK``): a worker idle
    while another finishes a long last chunk would cost parallel speed."""
    cut, start = [], 0
    while start < runs:
        size = max(1, min(MAX_CHUNK, math.ceil((runs - start) / (jobs * SHARE))))
        cut.append(range(start, min(runs, start + size)))
        start += size
    return cut


def _in_parallel(
    scenario: Scenario, runs: int, seed: int, jobs: int, progress: Progress | None
) -> BatchTally:
    """Chunks over a pool of worker processes; each returns one tally, merged here as it comes.

    Every tally merges exactly in any order (``sim_engine.batch.tally``), so neither the chunking nor the
    order chunks finish in changes the result; the parent holds one tally, whatever ``runs`` is."""
    tally = BatchTally(scenario)
    done = 0
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=_context(), initializer=_adopt, initargs=(scenario,)
    ) as pool:
        futures = {pool.submit(_chunk, seed, c.start, c.stop): len(c) for c in chunks(runs, jobs)}
        for future in as_completed(futures):
            tally.merge(future.result())
            done += futures.pop(future)
            if progress:
                progress(done, runs)
    return tally


def _context() -> multiprocessing.context.BaseContext:
    """How workers start. A caller with one thread (the command line) forks: the workers start at once
    with everything loaded. A caller running threads (the console) must not fork (a lock held by
    another thread at that moment stays held forever in the child): it uses a fork server, which
    imports the engine once per process and forks workers from that."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim_engine.batch.runs"])
    return context


_scenario: Scenario | None = None


def _adopt(scenario: Scenario) -> None:
    """Worker start-up: receive the scenario once, not with every chunk."""
    global _scenario
    _scenario = scenario


def _chunk(seed: int, start: int, stop: int) -> BatchTally:
    if _scenario is None:
        raise RuntimeError("worker started without a scenario")
    return fold(_scenario, seed, range(start, stop))
