"""The scenario files that ship with Hotwash: the bundled ones and the documentation's example.

They sit beside the installed packages (``data/scenarios``, ``docs/example/scenarios``), so they are
found from the package's location, never from the working directory.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "scenarios"
EXAMPLE = ROOT / "docs" / "example" / "scenarios"
DEMO_SCENARIO = "civil_disturbance"
"""The bundled scenario a demo exercise runs (any bundled one when it is missing)."""


def scenario_files() -> dict[str, Path]:
    """Label -> path of every scenario shipped: bundled first, then the example."""
    files = {f"{p.stem.replace('_', ' ')} (bundled)": p for p in sorted(BUNDLED.glob("*.yaml"))}
    files.update({f"{p.stem.replace('_', ' ')} (example)": p for p in sorted(EXAMPLE.glob("*.yaml"))})
    return files


def demo_scenario() -> Path:
    bundled = sorted(BUNDLED.glob("*.yaml"))
    preferred = [p for p in bundled if p.stem == DEMO_SCENARIO]
    if preferred or bundled:
        return (preferred or bundled)[0]
    return EXAMPLE / "warehouse_fire.yaml"
