"""Pausing Python's cyclic garbage collector while the model runs.

A run allocates thousands of short-lived objects (SimPy events, processes, the record), and the
collector, counting allocations, would stop the run every few hundred of them; its fuller passes
rescan the whole heap (scenario, journal, loaded libraries), which costs more than the run itself
(about a third of a batch replication's time, measured with ``bench/bench_engine.py``). Everything a
run leaves behind is bounded by the run and is collected as soon as the collector runs again, in one
pass over just those young objects.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restores = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block. Calls from several threads, and nested calls,
    overlap safely: the collector resumes when the last one ends, and only if it was running before."""
    global _depth, _restores
    with _lock:
        if _depth == 0:
            _restores = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restores:
                gc.enable()
