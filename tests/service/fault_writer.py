"""A writer that meets a full disk (``test_faults``): a process of its own, because the disk is
filled by a file-size limit (``RLIMIT_FSIZE``), which holds for the whole process.

``python -m tests.service.fault_writer SQLITE_URL`` opens an exercise, logs actions, lowers its own
file-size limit until writes fail, tries a few more, lifts the limit and logs once more, all in one
service (no restart). It prints one JSON object: every acknowledged entry (seq, text), the faults
met (kind and message), and the entry written after the fault cleared.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from pathlib import Path

from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from exercises.storage.faults import StorageFault
from tests.service.conftest import CHEAP_HASHER, WAREHOUSE


def largest_file(database: Path) -> int:
    names = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    return max(p.stat().st_size for p in names if p.exists())


def main(url: str) -> None:
    # Over the limit a write gets EFBIG instead of the signal that would end the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    svc = ExerciseService.open(url, hasher=CHEAP_HASHER)
    operator = svc.operator(svc.create_exercise(load_scenario(WAREHOUSE), seed=2).exercise.id)
    svc.start(operator, speed=60)
    acknowledged: list[tuple[int, str]] = []
    faults: list[tuple[str, str]] = []

    def log(text: str) -> None:
        entry = svc.log_action(operator, "establish_command", agency="fire", text=text)
        acknowledged.append((entry.seq, text))

    for n in range(5):
        log(f"before the disk filled {n}")
    limit = largest_file(Path(url.removeprefix("sqlite:///"))) + 8192
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    for n in range(400):
        try:
            log(f"while the disk fills {n} " + "x" * 1500)
        except StorageFault as fault:
            faults.append((fault.kind, str(fault)))
            if len(faults) == 3:
                break
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    log("after the disk had room again")
    json.dump({"exercise": operator.exercise_id, "acknowledged": acknowledged, "faults": faults,
               "pid": os.getpid()}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
