"""Exercise templates: an exercise's set-up saved under a name, versioned, and opened again in one step.

A template version holds the scenario's files (``exercises.scenario.bundle``: the scenario file, its
plans and MSEL workbook, each with its SHA-256), which agencies people play (the others are played by
the simulation), the points of contact, the handling marking and the time zone. A version is never
changed: saving under a name already used makes the next version. A new exercise from a template
loads its files through the same loader as any scenario file: files that no longer validate (a newer
Hotwash may be stricter) are refused with every problem by file, line and field, and nothing is made.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from exercises.access import Caller, ExerciseInputError, Permission, require
from exercises.record.entries import storable
from exercises.scenario.bundle import BundledFile, ScenarioBundle, load_bundle
from exercises.scenario.loading import Problem, ScenarioError
from exercises.scenario.model import PlayedBy, Scenario
from exercises.service.details import ContactPerson, check_set_up
from exercises.service.setup import CreatedExercise, Setup
from exercises.storage.tables import ExerciseTemplate

MAX_TEMPLATE_NAME = 200


@dataclass(frozen=True)
class TemplateSetUp:
    """What a template keeps beside the scenario's files."""

    players: tuple[str, ...]
    """Agencies (ids) played by people; every other agency is played by the simulation."""
    contacts: tuple[ContactPerson, ...] = ()
    marking: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class TemplateFile:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class TemplateInfo:
    """One version of a template, as the library lists it."""

    name: str
    version: int
    created_at: datetime
    scenario_id: str
    scenario_name: str
    setup: TemplateSetUp
    files: tuple[TemplateFile, ...]
    retired: bool
    source_exercise_id: int | None

    @property
    def label(self) -> str:
        """'Harbor TTX, version 2': how pages and messages name the template."""
        return f"{self.name}, version {self.version}"


def played_as(scenario: Scenario, players: Sequence[str]) -> Scenario:
    """The scenario with exactly ``players`` played by people and every other agency by the simulation."""
    chosen = set(players)
    agencies = tuple(
        a.model_copy(update={"played_by": PlayedBy.PLAYERS if a.id in chosen else PlayedBy.SIMULATION})
        for a in scenario.agencies
    )
    return scenario.model_copy(update={"agencies": agencies})


def _checked_name(name: str) -> str:
    name = name.strip()
    if not 0 < len(name) <= MAX_TEMPLATE_NAME or not name.isprintable():
        raise ExerciseInputError(f"a template name must be 1 to {MAX_TEMPLATE_NAME} printable characters")
    try:
        return storable(name)
    except ValueError as exc:
        raise ExerciseInputError(f"a template name {exc}") from None


def _checked_players(scenario: Scenario, players: Sequence[str]) -> tuple[str, ...]:
    known = {a.id for a in scenario.agencies}
    unknown = [p for p in players if p not in known]
    if unknown:
        raise ExerciseInputError(
            f"no agency {', '.join(map(repr, unknown))} in {scenario.name}; its agencies: "
            + "; ".join(a.name for a in scenario.agencies)
        )
    return tuple(a.id for a in scenario.agencies if a.id in set(players))


def _files_json(bundle: ScenarioBundle) -> str:
    return json.dumps([{"path": f.path, "sha256": f.sha256, "content": base64.b64encode(f.content).decode("ascii")}
                       for f in bundle.files])


def _bundle(row: ExerciseTemplate, label: str) -> ScenarioBundle:
    """The files kept with the template, each checked against the SHA-256 it was saved with."""
    problems, files = [], []
    try:
        stored = json.loads(row.files_json)
        for item in stored:
            content = base64.b64decode(item["content"], validate=True)
            f = BundledFile(str(item["path"]), content)
            if f.sha256 != item["sha256"]:
                problems.append(Problem(label, None, f.path, "the file is not the one saved: its SHA-256 differs"))
            files.append(f)
    except (ValueError, KeyError, TypeError, binascii.Error):
        problems.append(Problem(label, None, "files", "the template's files cannot be read"))
    if problems or not files:
        raise ScenarioError(problems or [Problem(label, None, "files", "the template holds no scenario file")])
    return ScenarioBundle(tuple(files))


def _info(row: ExerciseTemplate) -> TemplateInfo:
    contacts = tuple(ContactPerson(**c) for c in json.loads(row.contacts_json or "[]"))
    files = tuple(TemplateFile(str(f["path"]), str(f["sha256"]), len(base64.b64decode(f["content"])))
                  for f in json.loads(row.files_json))
    return TemplateInfo(
        name=row.name, version=row.version, created_at=datetime.fromtimestamp(row.created_at, UTC),
        scenario_id=row.scenario_id, scenario_name=row.scenario_name,
        setup=TemplateSetUp(tuple(json.loads(row.players_json)), contacts, row.marking, row.timezone),
        files=files, retired=row.retired, source_exercise_id=row.source_exercise_id,
    )


class Templates(Setup):
    """The template library: save, list, show, rename, retire, and a new exercise from a template."""

    def save_template(
        self, name: str, scenario: Scenario, bundle: ScenarioBundle, setup: TemplateSetUp,
        *, source_exercise_id: int | None = None,
    ) -> TemplateInfo:
        """Save ``bundle`` (the files ``scenario`` was loaded from) with ``setup`` as the next
        version of the template ``name``."""
        name = _checked_name(name)
        players = _checked_players(scenario, setup.players)
        if setup.marking is not None and len(setup.marking) > 200:
            raise ExerciseInputError("a handling marking must be at most 200 characters")
        check_set_up(setup.timezone, setup.contacts)

        def save(session: Session) -> ExerciseTemplate:
            latest = session.exec(select(ExerciseTemplate.version).where(ExerciseTemplate.name == name)
                                  .order_by(col(ExerciseTemplate.version).desc())).first()
            row = ExerciseTemplate(
                name=name, version=(latest or 0) + 1, created_at=self._wall(), scenario_id=scenario.id,
                scenario_name=scenario.name[:200], files_json=_files_json(bundle), players_json=json.dumps(players),
                contacts_json=json.dumps([asdict(c) for c in setup.contacts]), marking=setup.marking or None,
                timezone=setup.timezone or None, source_exercise_id=source_exercise_id,
            )
            session.add(row)
            return row

        return _info(self._transaction(save))

    def save_exercise_as_template(
        self, caller: Caller, name: str, scenario: Scenario, bundle: ScenarioBundle, *, marking: str | None = None,
    ) -> TemplateInfo:
        """The set-up of the caller's exercise (who plays which agency, contacts, time zone) with
        the files of its scenario; refused when the files no longer make the scenario it ran."""
        require(caller, Permission.OPEN_FROM)
        loaded = self._load(caller.exercise_id)
        ran = loaded.scenario
        if played_as(scenario, ()) != played_as(ran, ()):
            raise ExerciseInputError(
                f"these files do not make the scenario exercise {caller.exercise_id} ran (it was changed since): "
                "save a template from the scenario file as it is now instead"
            )
        details = self.exercise_details(caller)  # type: ignore[attr-defined]  # Details, combined in ExerciseService
        players = tuple(a.id for a in ran.agencies if a.played_by is PlayedBy.PLAYERS)
        setup = TemplateSetUp(players, details.contacts, marking, details.timezone)
        return self.save_template(name, ran, bundle, setup, source_exercise_id=caller.exercise_id)

    def templates(self, *, retired: bool = False) -> list[TemplateInfo]:
        """Every template version, newest first within a name; retired ones only when asked."""
        with self.db.reading() as session:
            query = select(ExerciseTemplate).order_by(ExerciseTemplate.name, col(ExerciseTemplate.version).desc())
            rows = list(session.exec(query))
        return [_info(r) for r in rows if retired or not r.retired]

    def _template_row(self, session: Session, name: str, version: int | None) -> ExerciseTemplate:
        query = select(ExerciseTemplate).where(ExerciseTemplate.name == name)
        if version is not None:
            query = query.where(ExerciseTemplate.version == version)
        rows = sorted(session.exec(query), key=lambda r: r.version, reverse=True)
        live = [r for r in rows if not r.retired or version is not None]
        if not live:
            known = sorted({t.name for t in self.templates()})
            which = f"{name!r}" + (f" version {version}" if version is not None else "")
            raise ExerciseInputError(f"no template {which}" + (f"; templates: {'; '.join(known)}" if known else ""))
        return live[0]

    def template(self, name: str, version: int | None = None) -> TemplateInfo:
        """One version (the newest not retired when ``version`` is None)."""
        with self.db.reading() as session:
            return _info(self._template_row(session, name, version))

    def template_bundle(self, name: str, version: int | None = None) -> ScenarioBundle:
        """The template's files as saved (each checked against its SHA-256)."""
        with self.db.reading() as session:
            row = self._template_row(session, name, version)
            return _bundle(row, f"template {row.name!r} version {row.version}")

    def rename_template(self, name: str, new_name: str) -> None:
        """Every version of ``name`` goes by ``new_name`` (refused when that name is taken)."""
        new_name = _checked_name(new_name)

        def rename(session: Session) -> None:
            rows = list(session.exec(select(ExerciseTemplate).where(ExerciseTemplate.name == name)))
            if not rows:
                raise ExerciseInputError(f"no template {name!r}")
            if new_name != name and session.exec(select(ExerciseTemplate).where(ExerciseTemplate.name == new_name)).first():
                raise ExerciseInputError(f"a template is already named {new_name!r}")
            for row in rows:
                row.name = new_name
                session.add(row)

        self._transaction(rename)

    def retire_template(self, name: str, version: int | None = None) -> None:
        """Retire one version, or every version: kept for the record, no longer offered."""

        def retire(session: Session) -> None:
            query = select(ExerciseTemplate).where(ExerciseTemplate.name == name)
            if version is not None:
                query = query.where(ExerciseTemplate.version == version)
            rows = list(session.exec(query))
            if not rows:
                raise ExerciseInputError(f"no template {name!r}" + (f" version {version}" if version else ""))
            for row in rows:
                row.retired = True
                session.add(row)

        self._transaction(retire)

    def create_from_template(
        self, name: str, version: int | None = None, *, exercise_name: str | None = None,
        real_start: datetime | None = None, seed: int | None = None,
    ) -> CreatedExercise:
        """A new exercise with the template's set-up and new access codes, in one step. Files that
        no longer validate raise ``ScenarioError`` naming the template, the file, line and field."""
        info = self.template(name, version)
        label = f"template {info.name!r} version {info.version}"
        scenario = played_as(load_bundle(self.template_bundle(name, info.version), label), info.setup.players)
        return self.create_exercise(
            scenario, name=exercise_name or f"{scenario.name} ({info.label})", seed=seed, real_start=real_start,
            timezone=info.setup.timezone, contacts=info.setup.contacts,
        )
