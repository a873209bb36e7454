"""The evaluator's page as the EEG (AppTest): targets with their tasks and what the journal shows,
an observation rated and explained per target; the lead evaluator accepts the drafted analysis."""

from __future__ import annotations

from exercises.access import Role
from exercises.record.entries import AnalysisAccepted, ObservationRecorded
from exercises.scenario.model import Rating
from tests.console.conftest import Exercise, console, table, toasts


def test_an_evaluator_rates_a_target_and_the_lead_accepts_the_analysis(exercise: Exercise) -> None:
    svc, ctl = exercise.svc, exercise.controller
    svc.assign_evaluator(ctl, "Lee Park", lead=True)
    svc.start(ctl)
    svc.log_action(exercise.caller(Role.PLAYER, "fire"), "establish_command")
    at = console(exercise.caller(Role.EVALUATOR, name="R. Chen"))
    assert "Exercise Evaluation Guide" in [h.value for h in at.header]
    tasks = table(at, "Critical task", "Source", "What the journal shows")
    first = tasks.iloc[0]
    assert first["Critical task"].startswith("Command established") or "Establish incident command" in first["Critical task"]
    assert first["What the journal shows"].startswith("Met.") and "journal entr" in first["What the journal shows"]
    at.text_area(key="eeg_0_1_notes").input("IC named on the first radio call")
    at.radio(key="eeg_0_1_rating").set_value(Rating.P)
    at.text_area(key="eeg_0_1_why").input("Command within two minutes, announced to all")
    at.button(key="eeg_0_1_record").click().run()
    assert any(t.startswith("Observation recorded: Operational Coordination") for t in toasts(at))
    [obs] = [e.payload for e in svc.journal(ctl) if isinstance(e.payload, ObservationRecorded)]
    assert (obs.target, obs.objective, obs.rating) == ("plan.town_notification", "obj_command", Rating.P)
    assert obs.rationale == "Command within two minutes, announced to all"
    assert not [b for b in at.button if b.label == "Accept the analysis"]  # not the lead

    lead = console(exercise.caller(Role.EVALUATOR, name="Lee Park"))
    drafted = str(lead.text_area(key="ana_text_0").value)
    assert "(journal entry" in drafted and "observation by R. Chen)" in drafted
    [accept] = [b for b in lead.button if b.label == "Accept the analysis"]
    accept.click().run()
    assert "Analysis of Operational Coordination accepted for the report" in toasts(lead)
    [accepted] = [e for e in svc.journal(ctl) if isinstance(e.payload, AnalysisAccepted)]
    assert accepted.payload.text == drafted.strip() and not accepted.payload.edited


def test_the_guide_follows_the_journal_and_every_guide_is_one_choice_away(exercise: Exercise) -> None:
    svc, ctl = exercise.svc, exercise.controller
    svc.start(ctl)
    at = console(exercise.caller(Role.EVALUATOR, name="R. Chen"))
    before = table(at, "Critical task", "Source", "What the journal shows")["What the journal shows"].iloc[0]
    assert not before.startswith("Met.")
    # The record is built once per journal head and shared: a new entry is shown on the next run.
    svc.log_action(exercise.caller(Role.PLAYER, "fire"), "establish_command")
    at.run()
    after = table(at, "Critical task", "Source", "What the journal shows")["What the journal shows"].iloc[0]
    assert after.startswith("Met."), after
    guides = at.selectbox(key="eeg_guide")
    assert len(guides.options) > 1
    titles = set()
    for i in range(len(guides.options)):
        at.selectbox(key="eeg_guide").set_value(i).run()
        titles.add(at.selectbox(key="eeg_guide").value)
        assert [h.value for h in at.subheader if h.value.startswith("Capability target")], i
    assert len(titles) == len(guides.options)


def test_the_eeg_downloads_are_drawn_when_clicked_as_pdf_and_word(exercise: Exercise) -> None:
    """The download buttons' files, drawn by the renderers the page imports only when one is clicked."""
    import io
    import zipfile

    from aar.record import build_record
    from console.eeg import _printed

    svc, ctl = exercise.svc, exercise.controller
    svc.start(ctl)
    svc.log_action(exercise.caller(Role.PLAYER, "fire"), "establish_command")
    scenario = svc.scenario(ctl)
    record = build_record(scenario, svc.journal(ctl))
    pdf = _printed(scenario, record, "Mill drill", ["Operational Coordination"], "pdf")()
    assert pdf.startswith(b"%PDF")
    word = _printed(scenario, record, "Mill drill", [], "docx")()
    with zipfile.ZipFile(io.BytesIO(word)) as docx:
        assert "Operational Coordination" in docx.read("word/document.xml").decode("utf-8")
