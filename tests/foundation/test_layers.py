"""Imports point one way: console and command line -> aar -> sim_engine -> exercises, and inside
exercises from the scenario format up to the service (docs/architecture.md). Read from the source
with ast, so an import inside a function counts too; the two that reach up on purpose are listed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAYERS = {
    "exercises.scenario": 0, "exercises.storage": 0, "exercises.record": 1, "exercises.access": 2,
    "exercises.scoring": 2, "exercises.views": 3, "exercises.documents": 4, "exercises.service": 5, "exercises.program": 5,
    "sim_engine": 6, "aar": 7, "console": 8, "hotwash": 8,
}
"""A module may import its own layer and those below it, never one above."""

REACHING_UP = {
    ("exercises.scenario.loading", "exercises.documents.msel_sheet"):
        "a scenario whose MSEL lives in a workbook beside it: problems are named by sheet and cell",
    ("exercises.service.store", "sim_engine.live"):
        "the service advances the simulation to the clock before an external entry (lazy import)",
}


def layer(module: str) -> tuple[str, int] | None:
    for name, rank in sorted(LAYERS.items(), key=lambda kv: -len(kv[0])):
        if module == name or module.startswith(name + "."):
            return name, rank
    return None


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_imports_point_one_way() -> None:
    wrong = []
    for package in ("exercises", "sim_engine", "aar", "console", "hotwash"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            if module == "exercises":
                continue  # the package's docstring only
            own = layer(module)
            assert own is not None, f"{module} belongs to no layer: add it to LAYERS"
            for target in imports(path):
                theirs = layer(target)
                if theirs is None or theirs[1] <= own[1] or theirs[0] == own[0]:
                    continue
                if not any(module == a and target.startswith(b) for a, b in REACHING_UP):
                    wrong.append(f"{module} imports {target} ({own[0]} is below {theirs[0]})")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_only_the_console_imports_streamlit() -> None:
    for package in ("exercises", "sim_engine", "aar", "hotwash"):
        for path in (ROOT / package).rglob("*.py"):
            assert not any(i == "streamlit" or i.startswith("streamlit.") for i in imports(path)), path
