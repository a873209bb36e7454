"""Participants as real console sessions: Streamlit's own websocket protocol against real servers.

    python -m bench.bench_sessions                       # 100 sessions per process, 1 then 2 processes
    python -m bench.bench_sessions --sessions 50,85,100 --seconds 90 --rounds 2

Each session is a websocket client of a real console process (``hotwash serve``, which runs
``streamlit run streamlit_app.py``) at ``/_stcore/stream``, speaking the browser's protocol
(``BackMsg`` / ``ForwardMsg`` protobuf): it opens the page, finds the sign-in form by its labels in
the page's elements and signs in with a player's access code from the service; it then keeps the
player page open as a browser does, rerunning each ``st.fragment(run_every=...)`` the server
announces (``AutoRerun``: the page's 2 s watch, which reruns the whole page when the agency's view of
the journal moved) with its widget states, and logs an action every 30 to 60 s (uniformly drawn; the
first within the first 60 s) through the page's "Log action" form, its fields found by their keys.
Sessions are spread over the scenario's played agencies (mass_casualty: five).

What is measured, per setting:
- acknowledgement: from sending the form to the "Logged" confirmation (the toast) arriving;
- time to see: from one player's acknowledged action to each other session of the same agency
  receiving the page delta that shows it (its text in the agency's log); an action some session
  never saw before the end is counted as missed, not timed; 0 ms when it was seen before its
  author's confirmation arrived;
- signing in, before the measured time: from opening the page to the player page drawn.
Targets: with ``--sessions`` per process, p95 time to see under 2 s and p95 acknowledgement under
500 ms; two processes over one PostgreSQL database hold at least 1.7x the sessions of one.

The exercise is created, started and its journal grown to ``--entries`` entries (20,000) by the
bench through the service, in a PostgreSQL server it starts (tests.pg_server). Every setting starts
its console processes fresh, signs its sessions in, then plays ``--seconds`` of measured time and
``--grace`` seconds more of watching; the settings run interleaved (1 then 2 processes in one round,
2 then 1 in the next), each console process's sessions on their own client process. ``--variant``
runs every setting once per environment of the console processes (for a paired comparison of a
setting, e.g. ``STREAMLIT_RUNNER_POST_SCRIPT_GC=true`` against ``=false``). Printed per setting: min / median / p95 / max of
both latencies, the actions and deltas counted, the CPU seconds of the console processes and of the
clients, and the load average. The clients share the machine's cores with the servers: their CPU is
printed so the reader sees it. What it leaves out: the browser's drawing of a delta (and its
JavaScript), the network (all on the loopback), and controllers' and evaluators' sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

SCENARIO = ROOT / "data" / "scenarios" / "mass_casualty.yaml"
SEE_TARGET_MS = 2000.0
ACK_TARGET_MS = 500.0
HOLD_TARGET = 1.7
TOKEN = re.compile(rb"benchs(\d+)a(\d+)x")
"""The text of each logged action carries its session and its count, so a delta shows which it holds."""
SIGNING_IN = 4
"""Sessions of a client process opening their page and signing in at once (before the measured time)."""
fork = multiprocessing.get_context("fork")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", default="100", help="sessions per console process, comma-separated")
    p.add_argument("--processes", default="1,2", help="console processes over PostgreSQL, comma-separated")
    p.add_argument("--seconds", type=float, default=90.0, help="measured play per setting")
    p.add_argument("--entries", type=int, default=20_000, help="entries in the journal before play starts")
    p.add_argument("--rounds", type=int, default=1, help="rounds of interleaved settings")
    p.add_argument("--every", default="30,60", help="seconds between a player's actions: low,high")
    p.add_argument("--grace", type=float, default=10.0, help="seconds to keep watching after the last action")
    p.add_argument("--variant", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]",
                   help="environment of the console processes, e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=true; "
                        "repeated: every setting runs once per variant, in turn (default: as configured)")
    p.add_argument("--database", default="",
                   help="an empty PostgreSQL database's URL to play in (default: a server started for the run)")
    return p


# --- the exercise ------------------------------------------------------------------------------


def prepare(url: str, entries: int) -> list[tuple[str, str]]:
    """Create and start the exercise and grow its journal; (agency, access code) per played agency."""
    from exercises.access import Role
    from exercises.scenario.loading import load_scenario
    from exercises.scenario.model import PlayedBy
    from exercises.service.exercise_service import ExerciseService
    from tests.service.conftest import CHEAP_HASHER

    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    scenario = load_scenario(SCENARIO)
    created = service.create_exercise(scenario, name="Sessions bench", seed=5)
    controller = service.sign_in(next(c.code for c in created.codes if c.role is Role.CONTROLLER))
    service.start(controller, speed=1)
    played = [a.id for a in scenario.agencies if a.played_by is PlayedBy.PLAYERS]
    codes = [(a, next(c.code for c in created.codes if c.role is Role.PLAYER and c.agency == a)) for a in played]
    players = [service.sign_in(code) for _, code in codes]
    vocabulary = sorted(scenario.vocabulary)
    began = time.perf_counter()
    k = 0
    while service.state(controller).entries < entries:
        for _ in range(50):
            service.log_action(players[k % len(players)], vocabulary[k % len(vocabulary)], text=f"history {k}")
            k += 1
    print(f"journal grown to {service.state(controller).entries} entries in {time.perf_counter() - began:.0f} s",
          flush=True)
    service.db.engine.dispose()
    return codes


# --- one session: the browser's side of the protocol ---------------------------------------------


@dataclass
class Seen:
    """What one client process brings back."""

    acks: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)
    """(session, action) -> (sent, acknowledged), monotonic seconds."""
    sightings: dict[tuple[int, int], dict[int, float]] = field(default_factory=dict)
    """(session, action) -> {other session: first delta showing it}."""
    agency_of: dict[int, str] = field(default_factory=dict)
    signing_in: list[float] = field(default_factory=list)
    """Per session, from opening the page to its player page drawn after signing in (ms)."""
    deltas: int = 0
    looks: int = 0
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0


class Session:
    """One browser tab on the console: a websocket, its widget states and its fragments' timers."""

    def __init__(self, n: int, agency: str, code: str, url: str, seen: Seen) -> None:
        self.n, self.agency, self.code, self.url, self.seen = n, agency, code, url, seen
        self.widgets: dict[str, Any] = {}
        """Widget id -> its element proto, from the deltas (the page's current widgets)."""
        self.states: dict[str, Any] = {}
        self.page_hash = ""
        self.fragments: dict[str, float] = {}
        self.timers: dict[str, asyncio.Task[None]] = {}
        self.finished = asyncio.Event()
        self.acked = asyncio.Event()
        self.measuring = False
        self.ws: Any = None

    def widget(self, kind: str, *, label: str | None = None, key: str | None = None) -> Any:
        for wid, proto in self.widgets.items():
            if proto[0] == kind and (label is None or proto[1].label == label) and (key is None or wid.endswith(f"-{key}")):
                return proto[1]
        return None

    async def send(self, fragment: str = "", triggers: Iterable[str] = (), auto: bool = False) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.page_script_hash = self.page_hash
        state.fragment_id = fragment
        state.is_auto_rerun = auto
        for wid, value in self.states.items():
            w = state.widget_states.widgets.add()
            w.id = wid
            w.string_value = value
        for wid in triggers:
            w = state.widget_states.widgets.add()
            w.id = wid
            w.trigger_value = True
        self.finished.clear()
        await self.ws.send(msg.SerializeToString())

    def receive(self, raw: bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg.FromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._delta(msg, raw)
        elif kind == "new_session" and not msg.metadata.run.fragment_ids:
            # A whole run of the page begins: as the browser does, forget the fragments' timers; the
            # run announces again the fragments it draws.
            self.fragments.clear()
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()
        elif kind == "navigation" and msg.navigation.page_script_hash:
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            self._auto(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.fragments.pop(fid, None)
        elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished.set()

    def _delta(self, msg: Any, raw: bytes) -> None:
        delta = msg.delta
        elements = [delta.new_element] if delta.WhichOneof("type") == "new_element" else (
            list(delta.new_transient.elements) if delta.WhichOneof("type") == "new_transient" else [])
        for element in elements:
            kind = element.WhichOneof("type")
            if kind in ("text_input", "text_area", "selectbox", "button"):
                proto = getattr(element, kind)
                self.widgets[proto.id] = (kind, proto)
            elif kind == "toast" and element.toast.body.startswith("Logged"):
                self.acked.set()
        if self.measuring:
            self.seen.deltas += 1
            now = time.monotonic()
            for match in TOKEN.finditer(raw):
                author = (int(match.group(1)), int(match.group(2)))
                if author[0] != self.n:
                    self.seen.sightings.setdefault(author, {}).setdefault(self.n, now)

    def _auto(self, fragment: str, interval: float) -> None:
        self.fragments[fragment] = interval
        if fragment not in self.timers:
            self.timers[fragment] = asyncio.create_task(self._every(fragment))

    async def _every(self, fragment: str) -> None:
        """The browser's interval for a fragment: a rerun of it every ``interval``, with the widget states."""
        while fragment in self.fragments:
            await asyncio.sleep(self.fragments[fragment])
            if fragment in self.fragments:
                if self.measuring:
                    self.seen.looks += 1
                await self.send(fragment=fragment, auto=True)

    async def listen(self) -> None:
        async for raw in self.ws:
            self.receive(raw)

    async def sign_in(self) -> None:
        """Open the page, find the sign-in form by its labels, sign in, wait for the player page."""
        await self.send()
        code, button = await self._until(
            lambda: self.finished.is_set() and self._form(self.widget("text_input", label="Access code"),
                                                         self.widget("button", label="Sign in")),
            "the sign-in form")
        self.states[code.id] = self.code
        await self.send(triggers=[button.id])
        await self._until(lambda: self.finished.is_set() and self.widget("selectbox", key="act_action"),
                          "the player page")
        self.states.clear()

    @staticmethod
    def _form(*widgets: Any) -> tuple[Any, ...] | None:
        return None if None in widgets else widgets

    async def _until(self, found: Any, what: str, ceiling: float = 300.0) -> Any:
        deadline = time.monotonic() + ceiling
        while not (value := found()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"session {self.n}: {what} did not come in {ceiling:.0f} s")
            await asyncio.sleep(0.05)
        return value

    async def log_action(self, k: int, rng: random.Random) -> None:
        """Fill in the "Log action" form (by its keys) and submit it; time the confirmation."""
        action = self.widget("selectbox", key="act_action")
        text = self.widget("text_area", key="act_text")
        submit = next(p for kind, p in self.widgets.values() if kind == "button" and p.label == "Log action")
        self.states[action.id] = rng.choice(list(action.options))
        self.states[text.id] = f"benchs{self.n}a{k}x from the sessions bench"
        self.acked.clear()
        sent = time.monotonic()
        await self.send(triggers=[submit.id])
        await asyncio.wait_for(self.acked.wait(), timeout=120)
        self.seen.acks[(self.n, k)] = (sent, time.monotonic())
        self.states[text.id] = ""


async def play(session: Session, start: float, stop: float, every: tuple[float, float]) -> None:
    rng = random.Random(session.n)
    at = start + rng.uniform(0, every[1])
    k = 0
    while at < stop:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        try:
            await session.log_action(k, rng)
        except (TimeoutError, StopIteration, AttributeError) as exc:
            session.seen.errors.append(f"session {session.n}, action {k}: {exc!r}")
        k += 1
        at += rng.uniform(*every)


async def clients(port: int, seats: list[tuple[int, str, str]], every: tuple[float, float], seconds: float,
                  grace: float, conn: Connection) -> Seen:
    """One client process: its sessions against one console process, started on the parent's word."""
    import websockets

    seen = Seen(agency_of={n: agency for n, agency, _ in seats})
    sessions = [Session(n, agency, code, f"ws://127.0.0.1:{port}/_stcore/stream", seen) for n, agency, code in seats]
    listeners = []
    gate = asyncio.Semaphore(SIGNING_IN)

    async def open_page(s: Session) -> None:
        async with gate:
            opened = time.monotonic()
            s.ws = await websockets.connect(s.url, max_size=None, open_timeout=300,
                                            additional_headers={"Cookie": f"hotwash_browser=bench{s.n}"})
            listeners.append(asyncio.create_task(s.listen()))
            await s.sign_in()
            seen.signing_in.append((time.monotonic() - opened) * 1000)

    await asyncio.gather(*(open_page(s) for s in sessions))
    conn.send("ready")
    start = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    for s in sessions:
        s.measuring = True
    stop = start + seconds
    await asyncio.gather(*(play(s, start, stop, every) for s in sessions))
    await asyncio.sleep(max(0.0, stop + grace - time.monotonic()))
    after = resource.getrusage(resource.RUSAGE_SELF)
    seen.cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    for s in sessions:
        s.fragments.clear()
        await s.ws.close()
    for task in listeners:
        task.cancel()
    return seen


def client_process(port: int, seats: list[tuple[int, str, str]], every: tuple[float, float], seconds: float,
                   grace: float, conn: Connection) -> None:
    try:
        conn.send(asyncio.run(clients(port, seats, every, seconds, grace, conn)))
    except Exception as exc:  # the parent prints it: a bench run that failed says why
        conn.send(f"client process failed: {exc!r}")


# --- a setting: P console processes, N sessions each ---------------------------------------------


def group_cpu(pgid: int) -> float:
    """CPU seconds used so far by the processes of a console's process group (Streamlit and any child)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    processes: int
    per_process: int
    acks: list[float]
    seen: list[float]
    missed: int
    deltas: int
    looks: int
    signing_in: list[float]
    errors: list[str]
    server_cpu: float
    client_cpu: float
    seconds: float
    variant: str = ""

    def held(self) -> bool:
        return (not self.errors and not self.missed and len(self.acks) >= 2 and len(self.seen) >= 2
                and pct(self.acks, 95) < ACK_TARGET_MS and pct(self.seen, 95) < SEE_TARGET_MS)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) >= 2 else float("nan")


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"n={len(values)} (too few to time)"
    return (f"n={len(values):>5}  min {min(values):6.0f}  median {statistics.median(values):6.0f}  "
            f"p95 {pct(values, 95):6.0f}  max {max(values):6.0f} ms")


def seat_code(codes: list[tuple[str, str]], n: int, total: int, processes: int) -> tuple[str, str]:
    """Session ``n``'s agency and code. Session ``n`` is on console process ``n % processes``; the
    agencies go round, at least two sessions to an agency (each has someone to see its actions), and
    over several processes each agency has sessions on every process (an action logged on one is seen
    on the others)."""
    return codes[(n // processes) % max(1, min(len(codes), total // 2))]


def variant_env(variant: str) -> dict[str, str]:
    pairs = [item.partition("=") for item in variant.split(",") if item]
    if any(not name or not sep for name, sep, _ in pairs):
        raise SystemExit(f"--variant: {variant!r} is not NAME=VALUE[,NAME=VALUE]")
    return {name: value for name, _, value in pairs}


def start_consoles(url: str, processes: int, variant: str, workdir: Path) -> list[Any]:
    """``processes`` console processes (``hotwash serve``) with the variant's environment."""
    from tests.console.harness import start_server

    saved = dict(os.environ)
    os.environ.update(variant_env(variant))
    try:
        return [start_server(url, workdir / f"console-{p}") for p in range(processes)]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_setting(url: str, codes: list[tuple[str, str]], processes: int, per_process: int, variant: str,
                args: argparse.Namespace, workdir: Path) -> Result:
    every = tuple(float(x) for x in args.every.split(","))
    servers = start_consoles(url, processes, variant, workdir)
    pipes: list[Connection] = []
    procs: list[multiprocessing.process.BaseProcess] = []
    try:
        for p, server in enumerate(servers):
            seats = [(n, *seat_code(codes, n, processes * per_process, processes))
                     for n in range(p, processes * per_process, processes)]
            ours, theirs = fork.Pipe()
            proc = fork.Process(target=client_process,
                                args=(server.port, seats, every, args.seconds, args.grace, theirs), daemon=True)
            proc.start()
            theirs.close()  # the client's end is the client's: its exit then ends our reading
            pipes.append(ours)
            procs.append(proc)
        for pipe in pipes:
            said = pipe.recv()
            if said != "ready":
                raise RuntimeError(str(said))
        start = time.monotonic() + 1.0
        cpu_before = sum(group_cpu(s.proc.pid) for s in servers)
        for pipe in pipes:
            pipe.send(start)
        found = [pipe.recv() for pipe in pipes]
        server_cpu = sum(group_cpu(s.proc.pid) for s in servers) - cpu_before
        for client in procs:
            client.join()
    finally:
        for client in procs:
            if client.is_alive():
                client.terminate()
        for server in servers:
            server.stop()
    logged = [line for server in servers for line in server.output().splitlines() if line.startswith("Traceback")]
    failed = [f for f in found if not isinstance(f, Seen)]
    if failed:
        raise RuntimeError("; ".join(map(str, failed)))
    result = tally(found, processes, per_process, server_cpu, args.seconds + args.grace)
    result.variant = variant
    result.errors += [f"a console process logged a traceback ({len(logged)} in all)"] if logged else []
    return result


def tally(found: list[Seen], processes: int, per_process: int, server_cpu: float, seconds: float) -> Result:
    """Acknowledgements and times to see (ms), over every client process's sessions."""
    agency_of: dict[int, str] = {}
    acks: dict[tuple[int, int], tuple[float, float]] = {}
    sightings: dict[tuple[int, int], dict[int, float]] = {}
    for seen in found:
        agency_of |= seen.agency_of
        acks |= seen.acks
        for author, by in seen.sightings.items():
            sightings.setdefault(author, {}).update(by)
    times, missed = [], 0
    for author, (_, acked) in acks.items():
        watchers = [n for n, a in agency_of.items() if a == agency_of[author[0]] and n != author[0]]
        for n in watchers:
            at = sightings.get(author, {}).get(n)
            if at is None:
                missed += 1
            else:
                times.append(max(0.0, at - acked) * 1000)
    return Result(processes, per_process, [(b - a) * 1000 for a, b in acks.values()], times, missed,
                  sum(s.deltas for s in found), sum(s.looks for s in found), [t for s in found for t in s.signing_in],
                  [e for s in found for e in s.errors],
                  server_cpu, sum(s.cpu for s in found), seconds)


def show(r: Result) -> None:
    one, five, _ = os.getloadavg()
    print(f"{r.processes} process(es) x {r.per_process} sessions ({r.processes * r.per_process} in all)"
          + (f", {r.variant}" if r.variant else "") + ":", flush=True)
    print(f"  acknowledgement {spread(r.acks)}   (target p95 < {ACK_TARGET_MS:.0f} ms)")
    print(f"  time to see     {spread(r.seen)}   (target p95 < {SEE_TARGET_MS:.0f} ms); missed {r.missed}")
    print(f"  signing in      {spread(r.signing_in)}   (page opened to player page drawn; {SIGNING_IN} at once"
          " per process, before the measured time)")
    print(f"  {r.looks} fragment reruns sent, {r.deltas} deltas received, {len(r.errors)} errors"
          + (f" (first: {r.errors[0]})" if r.errors else ""))
    print(f"  CPU over {r.seconds:.0f} s: console processes {r.server_cpu:.1f} s ({r.server_cpu / r.seconds:.2f} cores), "
          f"clients {r.client_cpu:.1f} s ({r.client_cpu / r.seconds:.2f} cores); load {one:.1f} / {five:.1f}")
    print(f"  targets met: {'yes' if r.held() else 'no'}", flush=True)


def verdict(results: list[Result], process_counts: list[int], variant: str) -> None:
    """The largest number of sessions that met both targets in every round, per number of processes."""
    results = [r for r in results if r.variant == variant]
    best: dict[int, int] = {}
    for p in process_counts:
        sizes = sorted({r.per_process for r in results if r.processes == p})
        ok = [n for n in sizes if all(r.held() for r in results if r.processes == p and r.per_process == n)]
        best[p] = max(ok) * p if ok else 0
        print((f"{variant}: " if variant else "") + f"{p} process(es): most sessions meeting both targets: "
              f"{best[p]} (tried {', '.join(map(str, sizes))} per process)")
    if 1 in best and 2 in best:
        if best[1]:
            print(f"two processes hold {best[2] / best[1]:.2f}x one (target at least {HOLD_TARGET}x)")
        else:
            print(f"two processes hold: no ratio, one process met the targets at none of the sizes tried "
                  f"(target at least {HOLD_TARGET}x)")


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    sizes = [int(x) for x in args.sessions.split(",")]
    process_counts = [int(x) for x in args.processes.split(",")]
    variants = args.variant or [""]
    for variant in variants:
        variant_env(variant)
    from tests.pg_server import PostgresServer

    print(f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}; {args.seconds:.0f} s measured per setting, "
          f"an action every {args.every.replace(',', '-')} s per player", flush=True)
    pg = None if args.database else PostgresServer(max_connections=400).start()
    try:
        url = pg.create_database("sessions") if pg is not None else args.database
        with tempfile.TemporaryDirectory() as tmp:
            # The checkpoints' signing key, for the bench and every console process it starts.
            from exercises.record.evidence import KEY_SETTING

            os.environ[KEY_SETTING] = str(Path(tmp) / "hotwash-signing.key")
            codes = prepare(url, args.entries)
            results = []
            for round_ in range(args.rounds):
                for n in sizes:
                    for p in process_counts if round_ % 2 == 0 else reversed(process_counts):
                        for variant in variants if round_ % 2 == 0 else reversed(variants):
                            result = run_setting(url, codes, p, n, variant, args, Path(tmp))
                            show(result)
                            results.append(result)
        for variant in variants:
            verdict(results, process_counts, variant)
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
