"""Media-layer benchmark: prints its figures (not a test; the target is from the media-layer issue).

    python bench/bench_media.py [--runs 200]

The media layer must add at most 25 % to the time per replication of the largest bundled scenario.
Measured in the same run, replication by replication and interleaved (so a busy neighbour on a shared
machine slows both sides alike), as CPU time (``time.process_time``) of ``sim_engine.batch.runs.replicate``
(the whole replication: the run, its summary, the trust series) of:

- on: the bundled scenario as it is (its rumours raise events, and the PIO's simulated answers to
  them are part of what the layer costs);
- off: the same scenario without its media section (the yardstick);
- media only: the media section with no events raised by rumours (the layer's own cost).

Prints, per variant, the median time per replication and the ratio to "off" (min / median / max of
the ratios of blocks of 5 replications), and the events and entries a replication makes, with the
load average before and after.

Left out: the batch around the replications (the tallies, the merge, the worker pool: see
``bench_batch`` and ``bench_engine``), and the other bundled scenarios' media sections.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario
from sim_engine.batch.runs import replicate, simulate

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
TARGET = 1.25


def largest() -> Scenario:
    """The bundled scenario whose replication (without its media layer) makes the most SimPy events."""
    scored = []
    for path in BUNDLED:
        scenario = load_scenario(path)
        scored.append((simulate(without_media(scenario), 1).steps, scenario))
    return max(scored, key=lambda s: s[0])[1]


def without_media(scenario: Scenario) -> Scenario:
    return Scenario.model_validate({**scenario.model_dump(by_alias=True), "media": None})


def media_only(scenario: Scenario) -> Scenario:
    data = scenario.model_dump(by_alias=True)
    for rumour in data["media"]["rumours"]:
        rumour["raises"] = []
    return Scenario.model_validate(data)


BLOCK = 5
"""Replications timed together per sample: a replication takes a few milliseconds, near the
resolution at which a busy machine's interruptions show."""


def cpu(scenario: Scenario, first: int) -> float:
    """CPU seconds per replication over a block of replications starting at ``first``."""
    start = time.process_time()
    for index in range(first, first + BLOCK):
        replicate(scenario, 1, index)
    return (time.process_time() - start) / BLOCK


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    on = largest()
    variants = {"on": on, "off": without_media(on), "media only": media_only(on)}
    print(f"{on.id}: {args.runs} replications per variant, interleaved; Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (a shared machine)")
    for name, scenario in variants.items():
        cpu(scenario, 10_000)  # warm the per-scenario memo and the imports
        sim = simulate(scenario, 1)
        print(f"  {name:<11} {sim.steps:6d} SimPy events, {len(sim.record):5d} entries in replication 0")
    times: dict[str, list[float]] = {name: [] for name in variants}
    for first in range(0, args.runs, BLOCK):
        for name, scenario in variants.items():
            times[name].append(cpu(scenario, first))
    off = times["off"]
    print(f"  {'variant':<11} {'CPU per replication (median)':>30}   ratio to off, min / median / max")
    for name, values in times.items():
        ratios = [v / o for v, o in zip(values, off, strict=True)]
        print(f"  {name:<11} {statistics.median(values) * 1000:27.2f} ms   {spread(ratios)}")
    overall = statistics.median([v / o for v, o in zip(times["on"], off, strict=True)])
    verdict = "met" if overall <= TARGET else "NOT met"
    print(f"target: the layer adds at most 25 % (ratio <= {TARGET}); median ratio {overall:.3f}: {verdict} "
          f"(load average {os.getloadavg()[0]:.1f} after)")


if __name__ == "__main__":
    main()
