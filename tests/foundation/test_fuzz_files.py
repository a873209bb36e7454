"""Fuzzing the loader with mutated bundled files: every input is accepted or refused with
``ScenarioError`` (naming the file), never another exception.

The mutations are what a careless editor or an attacker produces: control characters (NUL, ESC,
C1) anywhere, comments included; YAML tags (``!!int word``, ``!!python/object``); deep nesting;
anchors and aliases; numbers the resolver misreads; cut, doubled and shuffled lines.

Bounded for CI (``HOTWASH_FUZZ_EXAMPLES``, default 1500 per file kind, under a minute on 2 busy
cores); run longer with e.g. ``HOTWASH_FUZZ_EXAMPLES=5000 pytest tests/foundation/test_fuzz_files.py -s``,
which prints how many files were accepted and refused.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.scenario.loading import MAX_DEPTH, ScenarioError, load_plans, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
PLAN_FILES = sorted((ROOT / "data" / "plans").glob("*.yaml"))
PLANS = load_plans(ROOT / "data" / "plans")
EXAMPLES = int(os.environ.get("HOTWASH_FUZZ_EXAMPLES", "1500"))

OUTCOMES: Counter[str] = Counter()

SNIPPETS = [
    "\x00", "\x1b", "\x1b[31m", "\x07", "\x7f", "\x85", "\x9b", "\ufffe", "\uffff", "\ud800", "\t", "\r", "\r\n",
    "!!int word", "!!float word", "!!int", "!!binary aGVsbG8=", "!!python/object/apply:os.system ['id']",
    "!!set {a, b}", "!!timestamp x", "!local x", "! x", "%TAG ! tag:x,2000:\n---\n", "&a x", "*a", "<<: *a",
    "0b_", "0x_", "._", "1e999", "-.inf", ".nan", "9" * 5000, "0o8", "1_0:6_0",
    "? [a, b]\n: c", "{", "}", "[", "]", ": ", "- ", "'", '"', "#", "|", ">", "---", "...", "\u202e", "\ud83d\ude92",
    "[" * (MAX_DEPTH + 5), "[" * 400 + "]" * 400, "{a: " * 300 + "}" * 300,
    "".join(" " * i + "- \n" for i in range(MAX_DEPTH + 3)), "".join(" " * (2 * i) + "k:\n" for i in range(120)),
]


@st.composite
def mutated_text(draw: st.DrawFn, sources: list[Path]) -> tuple[Path, str]:
    path = draw(st.sampled_from(sources))
    text = path.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        op = draw(st.sampled_from(["insert", "insert", "delete", "duplicate", "line", "swap"]))
        if op == "insert":
            piece = draw(st.sampled_from(SNIPPETS) | st.text(max_size=8))
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=400)) :]
        elif op == "duplicate":
            end = min(len(text), at + draw(st.integers(min_value=1, max_value=400)))
            where = draw(st.integers(min_value=0, max_value=len(text)))
            text = text[:where] + text[at:end] + text[where:]
        else:
            lines = text.split("\n")
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if op == "line":
                lines[i] = draw(st.sampled_from(SNIPPETS) | st.text(max_size=40))
            else:
                j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return path, text


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    if OUTCOMES:
        print(f"\nfuzzed loader: {dict(sorted(OUTCOMES.items()))}")


def _outcome(kind: str, load: object) -> None:
    try:
        load()  # type: ignore[operator]
    except ScenarioError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
        OUTCOMES[f"{kind} refused"] += 1
    else:
        OUTCOMES[f"{kind} accepted"] += 1


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_text(SCENARIOS))
def test_a_mutated_scenario_is_accepted_or_refused(case: tuple[Path, str]) -> None:
    path, text = case
    _outcome("scenario", lambda: load_scenario(path.name, PLANS, text=text))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_text(PLAN_FILES))
def test_a_mutated_plan_is_accepted_or_refused(case: tuple[Path, str]) -> None:
    path, text = case
    with tempfile.TemporaryDirectory(prefix="hotwash-fuzz-") as folder:
        target = Path(folder) / path.name
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        _outcome("plan", lambda: load_plans(folder))


@pytest.mark.parametrize(
    ("piece", "message"),
    [
        ("# note \x00\n", "control character U+0000"),
        ("# \x1b[31m red\n", "control character U+001B"),
        ("extra: !!int word\n", "YAML tags (!!int)"),
        ("extra: !!float word\n", "YAML tags (!!float)"),
        ("extra: " + "[" * 5000 + "]" * 5000 + "\n", f"nested more than {MAX_DEPTH} levels"),
        ("extra: 0b_\n", "not a valid number"),
    ],
)
@pytest.mark.usefixtures("yaml_parser")
def test_the_crashes_once_found_name_file_and_line(piece: str, message: str) -> None:
    path = SCENARIOS[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join([*lines[:3], piece.rstrip("\n"), *lines[3:]])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path.name, PLANS, text=text)
    problem = caught.value.problems[0]
    assert message in problem.message
    assert (problem.file, problem.line) == (path.name, 4)
