"""The console's browser tests, three times in a row, while two CPU-bound processes run beside them.

Not a test itself: run ``python -m tests.console.under_load`` from the repository root (extra
arguments go to pytest, e.g. ``-k trust``). The browser tests wait on conditions (a toast, a text,
the page's own "wait N s"), never on short fixed sleeps; this shows they hold on a busy machine.
Exits non-zero unless all three runs pass.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time

RUNS = 3
BUSY = 2


def burn() -> None:
    """Pure CPU, forever (until terminated)."""
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2**31


def main(argv: list[str]) -> int:
    burners = [multiprocessing.Process(target=burn, daemon=True) for _ in range(BUSY)]
    for proc in burners:
        proc.start()
    results = []
    try:
        for run in range(1, RUNS + 1):
            started = time.monotonic()
            code = subprocess.call([sys.executable, "-m", "pytest", "tests/console", "-m", "browser", "-q",
                                    "-p", "no:cacheprovider", *argv])
            results.append((run, code, time.monotonic() - started))
            print(f"run {run}: {'passed' if code == 0 else f'FAILED ({code})'} in {results[-1][2]:.0f} s",
                  flush=True)
    finally:
        for proc in burners:
            proc.terminate()
            proc.join(timeout=10)
    print(f"{sum(1 for _, code, _ in results if code == 0)} of {RUNS} runs passed beside {BUSY} CPU-bound processes")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
