"""What a planner waits for with spreadsheets: MSEL export and import, and a big incident log.

Timed, each ``--repeat`` times (min / median / max), with a yardstick run in the same process so the
figures mean something on a busy machine:
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


def line(name: str, times: list[float], yard: float) -> str:
    mid = statistics.median(times)
    return (f"{name:<44} min {min(times) * 1000:8.1f} ms  median {mid * 1000:8.1f} ms  max {max(times) * 1000:8.1f} ms"
            f"  = {mid / yard:6.1f} x yardstick")


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
    yard_times = timed(lambda: load_scenario(SCENARIO), repeat)
    yard = statistics.median(yard_times)
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
    print(line("yardstick: load_scenario (mass casualty)", yard_times, yard))
    print(line(f"msel export ({len(scenario.msel)} injects, .xlsx)", timed(lambda: export_xlsx(scenario), repeat), yard))
    print(line(f"msel import ({len(scenario.msel)} injects, .xlsx, validated)",
               timed(lambda: import_msel(book, target), repeat), yard))
    print(line(f"{args.injects:,}-inject MSEL read and checked",
               timed(lambda: parse_msel(read_msel_table(big, "b.xlsx"), {}), repeat), yard))
    print(line(f"{max(args.refused_rows, MAX_INJECTS + 1):,}-row sheet refused", timed(refuse, repeat), yard))
    print(line(f"incident log, {args.messages:,} messages", timed(
        lambda: parse_incident_log(warehouse, {"workbook": ("log.xlsx", log)}), max(1, repeat // 2)), yard))
    print(f"load {' / '.join(f'{x:.1f}' for x in os.getloadavg()[:2])}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
