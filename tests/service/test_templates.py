"""Exercise templates on SQLite and PostgreSQL: the files come back byte for byte, a new exercise is
one step with new codes, a template whose files no longer validate makes nothing and says why."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from exercises.access import AccessDenied, ExerciseInputError, Role
from exercises.record.entries import EntryKind
from exercises.scenario.bundle import gather
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import PlayedBy
from exercises.service.details import ContactPerson
from exercises.service.exercise_service import ExerciseService, TemplateSetUp
from exercises.service.templates import played_as
from exercises.storage.tables import ExerciseTemplate
from hotwash.cli import app
from tests.service.conftest import ROOT, WAREHOUSE, Opened

MASS_CASUALTY = ROOT / "data" / "scenarios" / "mass_casualty.yaml"


def unique(name: str) -> str:
    """The database is shared by the module's tests: each names its own templates."""
    return f"{name} {uuid.uuid4().hex[:6]}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_template_gives_back_the_scenario_and_its_plans_byte_for_byte(service: ExerciseService) -> None:
    scenario, bundle = gather(MASS_CASUALTY)
    players = ("city_fire", "police")
    contact = ContactPerson("Exercise director", "Dana Ruiz", "County OEM", "dana@example.org")
    name = unique("County MCI tabletop")
    info = service.save_template(name, scenario, bundle, TemplateSetUp(players, (contact,), "For Official Use Only",
                                                                      "America/Chicago"))
    assert info.version == 1 and info.setup.players == players
    on_disk = {"scenarios/mass_casualty.yaml": sha256(MASS_CASUALTY)}
    on_disk |= {f"plans/{p.name}": sha256(p) for p in (ROOT / "data" / "plans").glob("*.yaml")
                if f"plans/{p.name}" in service.template_bundle(name).hashes()}
    assert service.template_bundle(name).hashes() == on_disk == {f.path: f.sha256 for f in info.files}
    assert len(on_disk) == 1 + len(scenario.plans)

    created = service.create_from_template(name)
    opened = Opened(service, created)
    assert service.scenario(opened.controller) == played_as(scenario, players)
    assert sorted(c.agency for c in created.codes if c.role is Role.PLAYER) == sorted(players)
    assert service.exercise_details(opened.controller).timezone == "America/Chicago"
    assert service.exercise_details(opened.controller).contacts == (contact,)
    # Nothing of any earlier journal: only the entry that records the set-up's details.
    assert [e.kind for e in service.journal(opened.controller)] == [EntryKind.DETAILS_SET]


def test_versions_rename_and_retire(service: ExerciseService) -> None:
    scenario, bundle = gather(WAREHOUSE)
    name = unique("Warehouse TTX")
    service.save_template(name, scenario, bundle, TemplateSetUp(("fire",)))
    second = service.save_template(name, scenario, bundle, TemplateSetUp(("fire", "eoc")))
    assert second.version == 2 and service.template(name).version == 2
    service.retire_template(name, 2)
    assert service.template(name).version == 1  # the newest still offered
    assert [t.version for t in service.templates() if t.name == name] == [1]
    assert [t.version for t in service.templates(retired=True) if t.name == name] == [2, 1]
    renamed = unique("Warehouse TTX, day shift")
    service.rename_template(name, renamed)
    assert [t.version for t in service.templates(retired=True) if t.name == renamed] == [2, 1]
    service.retire_template(renamed)
    with pytest.raises(ExerciseInputError, match="no template"):
        service.create_from_template(renamed)


def test_bad_names_players_and_zones_are_refused(service: ExerciseService) -> None:
    scenario, bundle = gather(WAREHOUSE)
    with pytest.raises(ExerciseInputError, match="no agency 'harbour'"):
        service.save_template(unique("x"), scenario, bundle, TemplateSetUp(("harbour",)))
    with pytest.raises(ExerciseInputError, match="not an IANA time zone"):
        service.save_template(unique("x"), scenario, bundle, TemplateSetUp(("fire",), timezone="Mars/Olympus"))
    with pytest.raises(ExerciseInputError, match="printable"):
        service.save_template("bad\x07name", scenario, bundle, TemplateSetUp(("fire",)))


def _replace_stored_scenario(service: ExerciseService, name: str, text: bytes, *, rehash: bool) -> None:
    """What a newer, stricter Hotwash (or a careless hand in the database) meets: other files."""
    with Session(service.db.engine) as session:
        row = session.exec(select(ExerciseTemplate).where(ExerciseTemplate.name == name)).one()
        files = json.loads(row.files_json)
        files[0]["content"] = base64.b64encode(text).decode()
        if rehash:
            files[0]["sha256"] = hashlib.sha256(text).hexdigest()
        row.files_json = json.dumps(files)
        session.add(row)
        session.commit()


def test_a_template_whose_files_no_longer_validate_says_why_and_makes_nothing(service: ExerciseService) -> None:
    scenario, bundle = gather(WAREHOUSE)
    name = unique("Warehouse TTX")
    service.save_template(name, scenario, bundle, TemplateSetUp(("fire",)))
    broken = WAREHOUSE.read_bytes().replace(b"\nduration:", b"\nduraton:", 1)
    _replace_stored_scenario(service, name, broken, rehash=True)
    before = len(service.list_exercises())
    with pytest.raises(ScenarioError) as caught:
        service.create_from_template(name)
    problems = caught.value.problems
    assert problems and all(p.file == f"template {name!r} version 1: scenarios/warehouse_fire.yaml" for p in problems)
    assert any(p.field == "duraton" and p.line for p in problems)
    assert len(service.list_exercises()) == before


def test_files_changed_behind_the_templates_back_are_refused(service: ExerciseService) -> None:
    scenario, bundle = gather(WAREHOUSE)
    name = unique("Warehouse TTX")
    service.save_template(name, scenario, bundle, TemplateSetUp(("fire",)))
    _replace_stored_scenario(service, name, WAREHOUSE.read_bytes() + b"\n# changed\n", rehash=False)
    with pytest.raises(ScenarioError, match="SHA-256 differs"):
        service.create_from_template(name)


def test_an_exercises_set_up_saved_as_a_template(opened: Opened) -> None:
    service = opened.service
    scenario, bundle = gather(WAREHOUSE)
    info = service.save_exercise_as_template(opened.controller, unique("From the exercise"), scenario, bundle,
                                             marking="For Official Use Only")
    ran = service.scenario(opened.controller)
    assert info.setup.players == tuple(a.id for a in ran.agencies if a.played_by is PlayedBy.PLAYERS)
    assert info.source_exercise_id == opened.id and info.setup.marking == "For Official Use Only"
    for other in (opened.player("fire"), opened.evaluator, opened.observer):
        with pytest.raises(AccessDenied):
            service.save_exercise_as_template(other, unique("not theirs"), scenario, bundle)
    changed = scenario.model_copy(update={"name": "Another scenario"})
    with pytest.raises(ExerciseInputError, match="do not make the scenario"):
        service.save_exercise_as_template(opened.controller, unique("x"), changed, bundle)


def test_the_command_line_saves_lists_and_opens_from_a_template(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hotwash.db'}"
    runner = CliRunner()
    saved = runner.invoke(app, ["template", "save", "Harbor TTX", str(WAREHOUSE), "--player", "Town Fire Department",
                                "--timezone", "America/New_York", "--database", database])
    assert saved.exit_code == 0, saved.output
    assert "saved template Harbor TTX, version 1" in saved.output
    listed = runner.invoke(app, ["template", "list", "--database", database])
    assert "Harbor TTX" in listed.output
    shown = runner.invoke(app, ["template", "show", "Harbor TTX", "--database", database])
    assert f"sha256 {sha256(WAREHOUSE)}" in shown.output
    assert "Played by people: Town Fire Department;" in shown.output
    made = runner.invoke(app, ["template", "new", "Harbor TTX", "--start", "2026-06-12 09:30", "--database", database])
    assert made.exit_code == 0, made.output
    assert "Player for Town Fire Department" in made.output and "Access codes" in made.output
    unknown = runner.invoke(app, ["template", "new", "Harbour TTX", "--database", database])
    assert unknown.exit_code == 1 and "no template 'Harbour TTX'; templates: Harbor TTX" in unknown.output
    assert load_scenario(WAREHOUSE).agency("fire").name == "Town Fire Department"
