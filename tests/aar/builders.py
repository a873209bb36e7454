"""Test scenarios and journals for the after-action report, built by hand with known timings."""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
from pathlib import Path

import pypdf

from exercises.record.entries import AnyPayload, Entry
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example"

# A second plan for the example scenario: one protocol whose order matters (size-up before entry)
# and one whose trigger never happens in the test journals (a mayday).
FIRE_ORDERS = """\
id: fire_orders
name: Fire Ground Orders
authority: Town Fire Department SOP
roles:
  command: Agency in command on scene
actions:
  - {id: size_up, label: Complete a 360-degree size-up}
  - {id: enter_building, label: Commit crews to an interior attack}
  - {id: deploy_rit, label: Deploy the rapid intervention team}
events:
  - {id: mayday, label: Firefighter mayday}
protocols:
  - id: ORD-01
    title: Size-up before interior attack
    when: {action: enter_building, by: command}
    who: command
    must: size_up
    before_trigger: true
    critical: true
    capability: Fire Management and Suppression
    source: SOP 3.2
    corrective_action: Drill the size-up checklist with every company officer.
  - id: RIT-01
    title: Rapid intervention after a mayday
    when: {event: mayday}
    who: command
    must: deploy_rit
    within: 2m
    critical: true
    capability: Fire Management and Suppression
    source: SOP 9.1
"""


def example_scenario(tmp: Path) -> Scenario:
    """The warehouse-fire example with the fire-ground orders plan applied as well."""
    folder = tmp / "example"
    if not folder.exists():
        shutil.copytree(EXAMPLE, folder)
        (folder / "plans" / "fire_orders.yaml").write_text(FIRE_ORDERS)
        path = folder / "scenarios" / "warehouse_fire.yaml"
        text = path.read_text()
        binding = "    roles: {command: fire, eoc: eoc}\n"
        assert binding in text
        path.write_text(
            text.replace(binding, binding + "  - plan: fire_orders\n    roles: {command: fire}\n")
        )
    return load_scenario(folder / "scenarios" / "warehouse_fire.yaml")


class Journal:
    """Appends entries with gapless sequence numbers, times in minutes."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, minute: float, agency: str | None, payload: AnyPayload, actor: str = "player") -> int:
        seq = len(self.entries) + 1
        self.entries.append(Entry(seq=seq, at=minute * 60.0, agency=agency, actor=actor, payload=payload))
        return seq


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squash(text: str) -> str:
    """Text without whitespace, in compatibility form: table cells and line wraps split words,
    and extracted Arabic may come back as presentation forms."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
