"""What a planner waits for with spreadsheets: MSEL export and import, and a big incident log.

Timed, each ``--repeat`` times (min / median / max), each time paired with a yardstick run just before
it in the same process (the median of the pairs' ratios is printed), so the figures mean something on
a busy machine. What it leaves out: the command's or the console's start and the upload itself; it
times the functions behind ``hotwash msel import`` and the console's upload, in one process:
- yardstick: loading the bundled mass-casualty scenario from its YAML file (``load_scenario``);
- ``msel export``: the workbook of that scenario (42 injects, drop-downs, Lists sheet);
- ``msel import``: reading that workbook back into a copy of the scenario file (validation included);
- a 5,000-inject MSEL (the limit) exported and read back;
- a 100,000-row sheet refused (read only up to the limit);
- an incident log of 20,000 messages (workbook) checked and turned into journal entries.

Run: ``python bench/bench_sheets.py`` (``--repeat N``; smaller sheets with ``--injects``,
``--refused-rows`` and ``--messages``).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exercises.documents.incident_log import parse_incident_log  # noqa: E402
from exercises.documents.msel_sheet import MAX_INJECTS, export_xlsx, import_msel, parse_msel, read_msel_table  # noqa: E402
from exercises.scenario.loading import ScenarioError, load_scenario  # noqa: E402

SCENARIO = ROOT / "data" / "scenarios" / "mass_casualty.yaml"
WAREHOUSE = ROOT / "docs" / "example" / "scenarios" / "warehouse_fire.yaml"


def timed(work: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        out.append(time.perf_counter() - started)
    return out


def paired(work: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """``work``'s times, each with its ratio to the yardstick run just before it (interleaved, so a
    busy moment of the machine weighs on both sides of the same pair)."""
    times, ratios = [], []
    for _ in range(repeat):
        yard = timed(lambda: load_scenario(SCENARIO), 1)[0]
        times.append(timed(work, 1)[0])
        ratios.append(times[-1] / yard)
    return times, ratios


def line(name: str, measured: tuple[list[float], list[float]]) -> str:
    times, ratios = measured
    return (f"{name:<44} min {min(times) * 1000:8.1f} ms  median {statistics.median(times) * 1000:8.1f} ms  "
            f"max {max(times) * 1000:8.1f} ms  = {statistics.median(ratios):6.1f} x yardstick (paired median)")


def big_msel(n: int) -> bytes:
    scenario = load_scenario(WAREHOUSE)
    first = scenario.msel[0]
    many = tuple(first.model_copy(update={"id": f"B-{i:05d}", "time": float(i % 7200)}) for i in range(n))
    return export_xlsx(scenario.model_copy(update={"msel": many}))


def huge_sheet(rows: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("MSEL")
    ws.append(["Inject #", "Scenario Time", "Event Synopsis", "From", "To", "Delivery Method", "Inject Text", "Core Capability"])
    for n in range(rows):
        ws.append([f"X-{n}", "0:05", "s", "fire", "fire", "radio", "t", "Operational Coordination"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def message_log(rows: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Messages")
    ws.append(["Time", "Message #", "From", "To", "Channel", "Text", "Delivered"])
    for n in range(rows):
        ws.append([f"0:{n % 60:02d}:{n % 60:02d}", f"M{n}", "fire", "eoc", "phone", f"Status report {n}", "yes" if n % 7 else "no"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    made.add_argument("--repeat", type=int, default=5)
    made.add_argument("--injects", type=int, default=MAX_INJECTS, help="rows of the big MSEL (the limit)")
    made.add_argument("--refused-rows", type=int, default=100_000, help="rows of the sheet that is refused")
    made.add_argument("--messages", type=int, default=20_000, help="messages of the incident log")
    return made


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    repeat = args.repeat
    work = Path(tempfile.mkdtemp(prefix="hotwash-bench-sheets-"))
    shutil.copytree(ROOT / "data", work / "data")
    target = work / "data" / "scenarios" / SCENARIO.name
    scenario = load_scenario(SCENARIO)
    book = work / "msel.xlsx"
    book.write_bytes(export_xlsx(scenario))
    warehouse = load_scenario(WAREHOUSE)
    big, log = big_msel(args.injects), message_log(args.messages)
    huge = huge_sheet(max(args.refused_rows, MAX_INJECTS + 1))

    def refuse() -> None:
        try:
            read_msel_table(huge, "huge.xlsx")
        except ScenarioError:
            pass

    print(f"{repeat} runs each; load {' / '.join(f'{x:.1f}' for x in os.getloadavg()[:2])}")
    yard = timed(lambda: load_scenario(SCENARIO), repeat)
    print(f"{'yardstick: load_scenario (mass casualty)':<44} min {min(yard) * 1000:8.1f} ms  "
          f"median {statistics.median(yard) * 1000:8.1f} ms  max {max(yard) * 1000:8.1f} ms")
    print(line(f"msel export ({len(scenario.msel)} injects, .xlsx)", paired(lambda: export_xlsx(scenario), repeat)))
    print(line(f"msel import ({len(scenario.msel)} injects, .xlsx, validated)",
               paired(lambda: import_msel(book, target), repeat)))
    print(line(f"{args.injects:,}-inject MSEL read and checked",
               paired(lambda: parse_msel(read_msel_table(big, "b.xlsx"), {}), repeat)))
    print(line(f"{max(args.refused_rows, MAX_INJECTS + 1):,}-row sheet refused", paired(refuse, repeat)))
    print(line(f"incident log, {args.messages:,} messages", paired(
        lambda: parse_incident_log(warehouse, {"workbook": ("log.xlsx", log)}), max(1, repeat // 2))))
    print(f"load {' / '.join(f'{x:.1f}' for x in os.getloadavg()[:2])}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
