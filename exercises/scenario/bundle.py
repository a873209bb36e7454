"""A scenario as the files it was written in: the scenario file, the response plans it applies and
its MSEL workbook, each with its SHA-256, so a template gives them back byte for byte.

``gather`` reads them from a scenario's folder (validating the scenario first); ``load_bundle``
writes them to a private folder laid out as ``data/`` is (``scenarios/``, ``plans/``) and loads
them there, so the one loader checks them and every problem names the file as the bundle calls it.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from exercises.scenario.loading import Problem, ScenarioError, load_scenario, read_yaml
from exercises.scenario.model import Scenario

MAX_BUNDLE_BYTES = 20 * 1024 * 1024
"""What a template may hold in all (a bundled scenario with its plans is under 1 MB)."""


@dataclass(frozen=True)
class BundledFile:
    path: str
    """Where the file sits in the bundle: ``scenarios/<name>.yaml``, ``plans/<name>.yaml`` or
    ``scenarios/<MSEL workbook>``."""
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class ScenarioBundle:
    files: tuple[BundledFile, ...]
    """The scenario file first, then its plans and its MSEL workbook."""

    @property
    def scenario_file(self) -> BundledFile:
        return self.files[0]

    def hashes(self) -> dict[str, str]:
        return {f.path: f.sha256 for f in self.files}

    @property
    def size(self) -> int:
        return sum(len(f.content) for f in self.files)


def gather(scenario_path: Path | str) -> tuple[Scenario, ScenarioBundle]:
    """The scenario (loaded and validated: a scenario that does not load is refused with every
    problem) and its files: itself, the plans it applies and its MSEL workbook."""
    path = Path(scenario_path)
    scenario = load_scenario(path)
    files = [BundledFile(f"scenarios/{path.name}", path.read_bytes())]
    by_id = _plan_files(path.resolve().parent.parent / "plans")
    files += [BundledFile(f"plans/{by_id[p.id].name}", by_id[p.id].read_bytes()) for p in scenario.plans]
    data, _ = read_yaml(path)
    if isinstance(data.get("msel"), str):
        files.append(BundledFile(f"scenarios/{data['msel']}", (path.parent / data["msel"]).read_bytes()))
    bundle = ScenarioBundle(tuple(files))
    if bundle.size > MAX_BUNDLE_BYTES:
        raise ScenarioError([Problem(str(path), None, "", f"the scenario with its plans is {bundle.size:,} bytes; "
                                     f"a template holds at most {MAX_BUNDLE_BYTES:,}")])
    return scenario, bundle


def _plan_files(folder: Path) -> dict[str, Path]:
    """Plan id -> its file in ``folder`` (a scenario names plans by id, not by file name)."""
    found: dict[str, Path] = {}
    for candidate in sorted(folder.glob("*.yaml")):
        data, _ = read_yaml(candidate)
        found.setdefault(str(data.get("id")), candidate)
    return found


def load_bundle(bundle: ScenarioBundle, label: str) -> Scenario:
    """The scenario the bundle's files make, checked by the loader; problems name ``label`` and the
    file within the bundle (``template "Harbor TTX" v2: plans/notify.yaml:14: ...``)."""
    with tempfile.TemporaryDirectory(prefix="hotwash-bundle-") as folder:
        root = Path(folder).resolve()
        for f in bundle.files:
            target = root / _safe_path(f.path, label)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.content)
        (root / "plans").mkdir(exist_ok=True)
        try:
            return load_scenario(root / bundle.scenario_file.path)
        except ScenarioError as exc:
            raise ScenarioError(_relabel(exc.problems, str(root), label)) from None


def _safe_path(path: str, label: str) -> PurePosixPath:
    """A bundled file's place, refused when it would leave the bundle's folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or len(pure.parts) != 2 or pure.parts[0] not in ("scenarios", "plans") or ".." in pure.parts:
        raise ScenarioError([Problem(label, None, "files", f"{path!r} is not a file of a scenario bundle")])
    return pure


def _relabel(problems: Sequence[Problem], root: str, label: str) -> list[Problem]:
    """Problems naming the bundle's files as the bundle does, never the private folder they were read from."""
    return [replace(p, file=p.file.replace(root + "/", f"{label}: ").replace(root, label)) for p in problems]
