"""Benchmark: scoring plus PDF (and the Word copy) for a 20,000-entry journal on a bundled scenario (target < 5 s).

    python bench/bench_report.py [--entries 20000] [--scenario data/scenarios/mass_casualty.yaml]

The journal is synthetic but shaped like a long exercise: injects delivered on the MSEL and
again as re-deliveries, actions from the scenario's vocabulary by its agencies (so protocols are
triggered and met, late or missed many times), messages along the links, resource requests,
link failures, observations and corrections. Prints the time for each stage, pages and pages/s.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from datetime import date
from pathlib import Path

import pypdf
from reportlab import rl_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aar.model import RecordIntegrity  # noqa: E402
from aar.render.pdf import render_pdf  # noqa: E402
from aar.render.word import render_docx  # noqa: E402
from aar.report import build_report  # noqa: E402
from exercises.record.entries import (  # noqa: E402
    ActionLogged,
    AnyPayload,
    ClockEnded,
    ClockStarted,
    Correction,
    Entry,
    InjectDelivered,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageSent,
    ObservationRecorded,
    ResourceAssigned,
    ResourceRequested,
)
from exercises.scenario.loading import load_scenario  # noqa: E402
from exercises.scenario.model import Rating, Scenario  # noqa: E402


def synthetic_journal(scenario: Scenario, size: int, seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    agencies = [a.id for a in scenario.agencies]
    vocab = sorted(scenario.vocabulary)
    expected = sorted({p.action for p in scenario.protocols})
    links = [link.between for link in scenario.links]
    capabilities = sorted({p.capability for p in scenario.protocols})
    horizon = scenario.duration * 4  # a long exercise, several operational periods
    entries: list[Entry] = []
    at = 0.0

    def add(agency: str | None, payload: AnyPayload, actor: str = "player") -> int:
        entries.append(Entry(seq=len(entries) + 1, at=at, agency=agency, actor=actor, payload=payload))
        return len(entries)

    add(None, ClockStarted(), "controller")
    msel = sorted(scenario.msel, key=lambda i: i.time)
    step = horizon / size
    n = 0
    while len(entries) < size - 1:
        at += rng.expovariate(1 / step)
        roll = rng.random()
        if roll < 0.04:
            inject = msel[n % len(msel)]
            n += 1
            add(None, InjectDelivered(inject_id=inject.id, to=inject.to), "engine")
        elif roll < 0.55:
            action = rng.choice(expected) if rng.random() < 0.6 else rng.choice(vocab)
            add(rng.choice(agencies), ActionLogged(action=action, text="logged during play"))
        elif roll < 0.80 and links:
            a, b = rng.choice(links)
            mid = f"m{len(entries)}"
            add(a, MessageSent(message_id=mid, to=b, text="situation update"))
            add(b, MessageDelivered(message_id=mid, sender=a, to=b, path=(a, b), sent_at=at - 30), "engine")
        elif roll < 0.90:
            rid = f"r{len(entries)}"
            a, b = rng.sample(agencies, 2)
            unit = next(iter(scenario.agency(b).resources), "unit")
            add(a, ResourceRequested(request_id=rid, to=b, unit_type=unit, count=1))
            if rng.random() < 0.8:
                add(b, ResourceAssigned(request_id=rid, requester=a, unit_type=unit, count=1))
        elif roll < 0.93 and links:
            pair = rng.choice(links)
            add(None, LinkDown(between=pair, reason="repeater failure") if rng.random() < 0.5 else LinkUp(between=pair))
        elif roll < 0.97:
            add(None, ObservationRecorded(capability=rng.choice(capabilities), rating=rng.choice(list(Rating)),
                                          areas_for_improvement="Slow hand-over between shifts."), "evaluator")
        else:
            add(None, Correction(corrects=rng.randrange(1, len(entries)), reason="entered in error"), "controller")
    at += 60
    add(None, ClockEnded(), "controller")
    return entries


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--scenario", type=Path, default=ROOT / "data" / "scenarios" / "mass_casualty.yaml")
    parser.add_argument("--out", type=Path, default=None, help="Keep the PDF here.")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    rl_config.invariant = 1
    scenario = load_scenario(args.scenario)
    journal = synthetic_journal(scenario, args.entries)
    render_pdf(build_report(  # warm-up: font registration and imports are paid once per process
        scenario, journal[:50], exercise_name="warm-up", exercise_dates=(date(2025, 1, 1),) * 2,
        integrity=RecordIntegrity(entries=50, intact=True, head_hash=None),
    ))
    t0, c0 = time.perf_counter(), time.process_time()
    report = build_report(
        scenario, journal, exercise_name="Benchmark exercise", exercise_dates=(date(2025, 5, 14), date(2025, 5, 16)),
        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash="0" * 64), marking="For Official Use Only",
    )
    t1, c1 = time.perf_counter(), time.process_time()
    pdf = render_pdf(report)
    t2, c2 = time.perf_counter(), time.process_time()
    word = render_docx(report)
    t3, c3 = time.perf_counter(), time.process_time()
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    if args.out:
        args.out.write_bytes(pdf)
    scoring, drawing, total = t1 - t0, t2 - t1, t2 - t0
    print(f"scenario            {scenario.id} ({len(scenario.protocols)} protocols, {len(scenario.agencies)} agencies)")
    print(f"journal entries     {len(journal):,}")
    print(f"findings            {len(report.findings):,}")
    # CPU time beside wall time: on a shared machine the wall clock also measures the neighbours.
    print(f"scoring             {scoring:6.2f} s wall, {c1 - c0:6.2f} s CPU")
    print(f"PDF                 {drawing:6.2f} s wall, {c2 - c1:6.2f} s CPU  ({pages} pages, {len(pdf) / 1024:,.0f} KiB)")
    print(f"pages per second    {pages / drawing:6.1f} (wall), {pages / (c2 - c1):6.1f} (CPU)")
    print(f"scoring + PDF       {total:6.2f} s wall, {c2 - c0:6.2f} s CPU  (target < 5 s: {'met' if total < 5 else 'NOT met'})")
    print(f"Word copy           {t3 - t2:6.2f} s wall, {c3 - c2:6.2f} s CPU  ({len(word) / 1024:,.0f} KiB)")


if __name__ == "__main__":
    main()
