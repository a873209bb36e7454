"""A writer process for the concurrency and crash tests (and the benchmark).

``python -m tests.service.writer URL CODE COUNT TAG`` signs in with CODE and logs COUNT actions
with texts ``TAG-0``, ``TAG-1``, ...; after each call returns it prints ``ack SEQ TEXT`` and
flushes, so whoever reads its output knows exactly which entries were acknowledged.
"""

from __future__ import annotations

import sys

from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import CHEAP_HASHER


def log_actions(url: str, code: str, count: int, tag: str, action: str = "establish_command") -> list[int]:
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    caller = service.sign_in(code)
    return [service.log_action(caller, action, text=f"{tag}-{i}").seq for i in range(count)]


def main(argv: list[str]) -> int:
    url, code, count, tag = argv[0], argv[1], int(argv[2]), argv[3]
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    caller = service.sign_in(code)
    print("ready", flush=True)
    for i in range(count):
        entry = service.log_action(caller, "establish_command", text=f"{tag}-{i}")
        print(f"ack {entry.seq} {tag}-{i}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
