"""Setting up: opening a new exercise (codes shown once) and the scenario designer."""

from __future__ import annotations

import pytest

from console import session
from console.library import scenario_files
from exercises.access import Role
from tests.console.conftest import MILL_FIRE, Exercise, button, console, table, toasts


def test_new_exercise_shows_working_codes_once(exercise: Exercise) -> None:
    at = console(exercise.controller, "new_exercise.py")
    label = next(k for k in scenario_files() if "warehouse fire" in k)
    at.selectbox(key="new_scenario").set_value(label)
    at.text_input(key="new_name").input("Night shift drill")
    button(at, "Create exercise").click().run()
    assert "Exercise created: Night shift drill" in toasts(at)
    codes = table(at, "Role", "Access code")
    assert set(codes["Role"]) >= {"Controller", "Evaluator", "Observer", "Player for Town Fire Department"}
    # A code shown here signs in to the new exercise, in its role.
    player = exercise.svc.sign_in(codes.set_index("Role").loc["Player for Town Fire Department", "Access code"])
    assert player.role is Role.PLAYER and player.agency == "fire" and player.exercise_id != exercise.id
    listed = table(at, "Exercise", "Scenario")
    assert "Night shift drill" in set(listed["Exercise"])

    # Dismissed, the codes are gone from the page for good.
    at.button(key="new_dismiss").click().run()
    assert not [f for f in at.dataframe if "Access code" in f.value.columns]


def test_switching_to_the_new_exercise_signs_in_as_its_controller(exercise: Exercise) -> None:
    at = console(exercise.controller, "new_exercise.py")
    button(at, "Create exercise").click().run()
    at.button(key="new_switch").click().run()
    caller = at.session_state[session.CALLER_KEY]
    assert caller.role is Role.CONTROLLER and caller.exercise_id != exercise.id


def test_designer_shows_problems_of_an_upload_with_their_lines(exercise: Exercise) -> None:
    at = console(exercise.controller, "designer.py")
    at.radio(key="designer_source").set_value("Upload a scenario file")
    at.run()
    broken = MILL_FIRE.read_text().replace("lead_agency: fire", "lead_agency: fir")
    at.file_uploader(key="designer_upload").set_value(("mill.yaml", broken.encode(), "application/yaml"))
    at.run()
    assert not at.exception
    problems = table(at, "Line", "Field", "Problem")
    lead = problems[problems["Field"] == "lead_agency"].iloc[0]
    assert "unknown agency 'fir'" in lead["Problem"]
    assert broken.splitlines()[int(lead["Line"]) - 1].startswith("lead_agency: fir")
    assert at.code[0].value == broken.rstrip("\n"), "the file is shown beside its problems"


def test_designer_refuses_a_yaml_bomb(exercise: Exercise) -> None:
    at = console(exercise.controller, "designer.py")
    at.radio(key="designer_source").set_value("Upload a scenario file").run()
    bomb = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nid: *c\n'
    at.file_uploader(key="designer_upload").set_value(("bomb.yaml", bomb.encode(), "application/yaml")).run()
    assert not at.exception
    assert table(at, "Line", "Field", "Problem").shape[0] >= 1


@pytest.mark.parametrize(
    ("inserted", "problem"),
    [
        ("# note \x00\n", "control character U+0000"),
        ("# \x1b[31m\n", "control character U+001B"),
        ("extra: !!int word\n", "YAML tags (!!int)"),
        ("extra: " + "[" * 3000 + "]" * 3000 + "\n", "nested more than 32 levels deep"),
    ],
)
def test_designer_shows_the_loaders_message_for_files_that_once_crashed_it(
    exercise: Exercise, inserted: str, problem: str
) -> None:
    at = console(exercise.controller, "designer.py")
    at.radio(key="designer_source").set_value("Upload a scenario file").run()
    text = inserted + MILL_FIRE.read_text()
    at.file_uploader(key="designer_upload").set_value(("mill.yaml", text.encode(), "application/yaml")).run()
    assert not at.exception
    problems = table(at, "Line", "Field", "Problem")
    assert problem in problems.iloc[0]["Problem"] and problems.iloc[0]["Line"] == 1


def test_designer_names_the_line_of_a_file_that_is_not_utf8(exercise: Exercise) -> None:
    at = console(exercise.controller, "designer.py")
    at.radio(key="designer_source").set_value("Upload a scenario file").run()
    raw = MILL_FIRE.read_bytes().replace(b"\n", b"\n\xff", 1)
    at.file_uploader(key="designer_upload").set_value(("mill.yaml", raw, "application/yaml")).run()
    assert not at.exception
    problems = table(at, "Line", "Field", "Problem")
    assert "not UTF-8 text" in problems.iloc[0]["Problem"] and problems.iloc[0]["Line"] == 2


def test_designer_simulates_a_valid_scenario(exercise: Exercise) -> None:
    at = console(exercise.controller, "designer.py")
    at.radio(key="designer_source").set_value("Upload a scenario file").run()
    at.file_uploader(key="designer_upload").set_value(
        ("mill.yaml", MILL_FIRE.read_bytes(), "application/yaml")
    ).run()
    # Its plan is not bundled: without it the scenario names an unknown plan.
    assert "town_notification" in " ".join(table(at, "Problem")["Problem"])
    plan = MILL_FIRE.parent.parent / "plans" / "town_notification.yaml"
    at.file_uploader(key="designer_plans").set_value([(plan.name, plan.read_bytes(), "application/yaml")]).run()
    assert at.success[0].value.startswith("Old Mill Fire")
    at.slider(key="designer_runs").set_value(10)
    at.button(key="designer_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Simulated 10 runs of Old Mill Fire (console test)" in toasts(at)
    assert len(at.get("vega_lite_chart")) == 4, "the distributions are drawn"


def test_new_exercise_takes_its_clock_and_points_of_contact(exercise: Exercise) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    at = console(exercise.controller, "new_exercise.py")
    at.text_input(key="new_name").input("Clocked drill")
    at.date_input(key="new_start_date").set_value(dt.date(2025, 10, 4))
    at.time_input(key="new_start_time").set_value(dt.time(8, 30))
    at.text_input(key="new_timezone").input("America/Denver")
    at.text_input(key="new_poc_Exercise director").input("Lee <Park>")
    button(at, "Create exercise").click().run()
    assert "Exercise created: Clocked drill" in toasts(at)
    created = max(exercise.svc.list_exercises(), key=lambda e: e.id)
    details = exercise.svc.exercise_details(exercise.svc.operator(created.id))
    assert details.real_start == dt.datetime(2025, 10, 4, 8, 30, tzinfo=ZoneInfo("America/Denver"))
    assert [(c.role, c.name) for c in details.contacts] == [("Exercise director", "Lee <Park>")]


def test_a_start_without_its_time_zone_is_refused_on_the_page(exercise: Exercise) -> None:
    import datetime as dt

    at = console(exercise.controller, "new_exercise.py")
    before = len(exercise.svc.list_exercises())
    at.date_input(key="new_start_date").set_value(dt.date(2025, 10, 4))
    button(at, "Create exercise").click().run()
    assert any("a start needs its date, its time and its time zone" in c.value for c in at.code)
    assert len(exercise.svc.list_exercises()) == before
