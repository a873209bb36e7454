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
import multiprocessing.process
import pickle
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any, cast

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


def fold(
    scenario: Scenario,
    seed: int,
    indices: range,
    progress: Progress | None = None,
    tally: BatchTally | None = None,
) -> BatchTally:
    """Replications ``indices`` folded into one tally (what a worker returns for a chunk).

    The cyclic collector stays paused over ``PAUSED_RUNS`` replications at a time, not resumed after
    each: a closed run is freed by reference counting, and what little it leaves in cycles (its clock
    and unit pools) is collected in one pass per block, instead of a pass over the young objects (and
    now and then the whole heap) after every replication. With ``tally``, the replications are added to
    it (and it is returned)."""
    tally = BatchTally(scenario) if tally is None else tally
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
        return aggregate(scenario, fold(scenario, seed, range(runs), progress), seed, scenario.duration)
    tally, shared = _in_parallel(scenario, runs, seed, jobs, progress)
    try:
        return aggregate(scenario, tally, seed, scenario.duration)
    finally:
        shared.end()  # the workers' exit (their memory given back) goes on while the result is aggregated


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
) -> tuple[BatchTally, _Shared]:
    """The chunks shared between ``jobs - 1`` worker processes and this one, each taking the next chunk
    not yet taken as it becomes free; a worker sends back one tally per chunk, merged here.

    A caller with one thread (the command line) works too, rather than wait for the workers: on 2
    cores, 2 jobs are this process and one worker. What it does besides its chunks (merging the
    workers' tallies, the progress it reports, whatever its caller does at the first progress call)
    only makes the worker take more chunks. A caller running threads (the console) leaves every chunk
    to ``jobs`` workers: replications run here would hold the interpreter its other threads (other
    people's pages) need. Every tally merges exactly in any order (``sim_engine.batch.tally``), so
    neither who ran a chunk nor when changes the result; this process holds one tally, whatever
    ``runs`` is. Returned with the workers, which have sent their last tally and are ending."""
    plan = chunks(runs, jobs)
    context = _context()
    works_here = context.get_start_method() == "fork"
    shared = _Shared(context, plan)
    shared.start(scenario, seed, min(jobs, len(plan)) - works_here)
    tally = BatchTally(scenario)
    counted = _Counted(runs, progress)
    try:
        while works_here and (chunk := shared.claim()) is not None:
            fold(scenario, seed, chunk, counted.own, tally)
            shared.receive(tally, counted, wait=False)
        shared.receive(tally, counted, wait=True)
    except BaseException:
        shared.end()
        raise
    return tally, shared


class _Counted:
    """Progress over the whole batch: this process's replications one by one, a worker's by chunk."""

    def __init__(self, runs: int, progress: Progress | None) -> None:
        self.runs, self.progress, self.elsewhere, self.here, self.chunk_done = runs, progress, 0, 0, 0

    def own(self, done: int, total: int) -> None:
        self.chunk_done = done
        if done == total:
            self.here, self.chunk_done = self.here + done, 0
        self.report()

    def theirs(self, runs: int) -> None:
        self.elsewhere += runs
        self.report()

    def report(self) -> None:
        if self.progress:
            self.progress(self.here + self.chunk_done + self.elsewhere, self.runs)


class _Shared:
    """What this process and its workers share: the next chunk to take, and the queue of tallies."""

    def __init__(self, context: multiprocessing.context.BaseContext, plan: list[range]) -> None:
        self.context, self.plan = context, plan
        self.next = context.Value("i", 0)
        self.tallies: multiprocessing.Queue[_Sent] = context.Queue()
        self.workers: list[multiprocessing.process.BaseProcess] = []
        self.finished = 0

    def start(self, scenario: Scenario, seed: int, count: int) -> None:
        for _ in range(count):
            worker = self.context.Process(  # type: ignore[attr-defined]
                target=_work, args=(scenario, seed, self.plan, self.next, self.tallies), daemon=True
            )
            worker.start()
            self.workers.append(worker)

    def claim(self) -> range | None:
        return _claim(self.plan, self.next)

    def end(self) -> None:
        """The workers gone: after their last tally, or, if the batch failed, stopped (no chunk left to
        take, and ended if they do not stop within ``WAIT`` seconds of their chunk)."""
        if self.finished < len(self.workers):
            with self.next.get_lock():
                self.next.value = len(self.plan)
        for worker in self.workers:
            worker.join(timeout=None if self.finished == len(self.workers) else WAIT)
            if worker.is_alive():
                worker.kill()
                worker.join()

    def receive(self, tally: BatchTally, counted: _Counted, wait: bool) -> None:
        """Merge the tallies the workers have sent; with ``wait``, until every worker has finished."""
        while self.finished < len(self.workers):
            try:
                sent = self.tallies.get(timeout=WAIT) if wait else self.tallies.get_nowait()
            except queue.Empty:
                if not wait:
                    return
                self._check_alive()
                continue
            if isinstance(sent, _Failed):
                raise sent.error from _RemoteTraceback(sent.where)
            if sent is None:
                self.finished += 1
            else:
                tally.merge(sent)
                counted.theirs(sent.runs)

    def _check_alive(self) -> None:
        """A worker ended without saying it finished (killed, out of memory): the batch cannot be whole."""
        ended = [w for w in self.workers if w.exitcode is not None]
        if len(ended) > self.finished and self.tallies.empty():
            codes = ", ".join(str(w.exitcode) for w in ended)
            raise RuntimeError(f"a batch worker process ended before finishing its runs (exit codes {codes})")


WAIT = 1.0
"""Seconds between two checks that the workers are still alive, while waiting for their tallies."""


class _Failed:
    """What a worker sends when a replication raises: the exception, and where (its traceback)."""

    def __init__(self, error: BaseException, where: str) -> None:
        self.error, self.where = error, where


class _RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process, shown as the cause in this one."""

    def __str__(self) -> str:
        return str(self.args[0])


_Sent = BatchTally | _Failed | None
"""From a worker: a chunk's tally, a failure, or ``None`` when it has no chunk left to take."""


def _claim(plan: list[range], next_chunk: Any) -> range | None:
    """The next chunk nobody has taken, taken (or ``None``: all are)."""
    with next_chunk.get_lock():
        index = next_chunk.value
        if index >= len(plan):
            return None
        next_chunk.value = index + 1
    return plan[index]


def _work(scenario: Scenario, seed: int, plan: list[range], next_chunk: Any, tallies: Any) -> None:
    """A worker process: chunks taken one after another until none is left, a tally sent for each."""
    try:
        while (chunk := _claim(plan, next_chunk)) is not None:
            tallies.put(fold(scenario, seed, chunk))
    except BaseException as exc:  # sent whole to the batch's process, which raises it there
        where = traceback.format_exc()
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        tallies.put(_Failed(exc, where))
        return
    tallies.put(None)


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
