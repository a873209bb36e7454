"""The evaluator's Exercise Evaluation Guide: per objective and core capability, the capability
targets with their critical tasks and what the journal already shows for each, and per target a
place to write observation notes, rate P / S / M / U and explain the rating. The guide prints as the
HSEEP EEG form (PDF, Word) from here, before or during the exercise."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from aar.eeg import EegCapability, EegTarget, Guide, eeg_of_record
from aar.eeg_document import eeg_blocks, eeg_frontis
from aar.record import Record
from console import session
from console.derived import EvaluationView
from console.text import md
from console.widgets import counted_text, text_table, too_long
from exercises.access import Caller
from exercises.scenario.durations import format_duration
from exercises.scenario.model import RATING_MEANING, Rating, Scenario

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _label(rating: Rating | None) -> str:
    return "not rated" if rating is None else f"{rating.value}: {RATING_MEANING[rating]}"


def guide_name(choice: tuple[Guide, str]) -> str:
    """An EEG as the list names it: its objective's title, then the core capability."""
    (_, capability), title = choice
    return f"{title}: {capability}"


def _renderer(suffix: str) -> Callable[..., bytes]:
    """The document's renderer, imported when a download is clicked: reportlab and python-docx
    (about 0.12 s) are not imported by the evaluator's first page, for downloads most never click."""
    if suffix == "pdf":
        from aar.render.pdf import render_blocks_pdf

        return render_blocks_pdf
    from aar.render.word import render_blocks_docx

    return render_blocks_docx


def _printed(scenario: Scenario, record: Record, name: str, capabilities: list[str],
             suffix: str) -> Callable[[], bytes]:
    """The EEG drawn when the download is clicked (off the page's run): from what was read now."""
    def draw() -> bytes:
        model = eeg_of_record(scenario, record, capabilities=capabilities, exercise_name=name)
        return _renderer(suffix)(eeg_blocks(model), eeg_frontis(model))
    return draw


def downloads(scenario: Scenario, record: Record, name: str, guide: EegCapability) -> None:
    row = st.container(horizontal=True)
    for label, suffix, mime, chosen in (
        ("This capability's EEG (PDF)", "pdf", "application/pdf", [guide.capability]),
        ("This capability's EEG (Word)", "docx", WORD, [guide.capability]),
        ("Every EEG (PDF)", "pdf", "application/pdf", []),
        ("Every EEG (Word)", "docx", WORD, []),
    ):
        file = f"eeg-{'all' if not chosen else guide.capability.lower().replace(' ', '-').replace(',', '')}.{suffix}"
        row.download_button(label, _printed(scenario, record, name, chosen, suffix), file_name=file, mime=mime,
                            icon=":material/download:", on_click="ignore",
                            key=f"eeg_dl_{suffix}_{'all' if not chosen else 'one'}")


def shown(status: str, evidence: tuple[str, ...]) -> str:
    """A task's status, then its evidence: one paragraph (a table cell shows no line breaks)."""
    return " ".join([f"{(status or '--').capitalize()}.", *evidence])


def tasks_table(target: EegTarget, played: bool) -> None:
    rows = [{"Critical task": ("Critical. " if t.critical else "") + t.task, "Source": t.source,
             "What the journal shows": shown(t.shown, t.evidence) if played else "play not started"}
            for t in target.tasks]
    text_table(pd.DataFrame(rows))


def _record(caller: Caller, guide: EegCapability, target: EegTarget, key: str) -> None:
    refused = too_long({"Observation notes": f"{key}_notes", "Explanation of the rating": f"{key}_why"})
    if refused:
        st.toast(md(f"Not recorded: {refused}"), icon=":material/error:")
        return
    rating: Rating | None = st.session_state.get(f"{key}_rating")
    done = session.perform(
        f"Observation recorded: {guide.capability}, capability target" + (f" rated {rating.value}" if rating else ""),
        lambda: session.service().record_observation(
            caller, guide.capability, objective=guide.objective, target=target.key, rating=rating,
            text=str(st.session_state.get(f"{key}_notes", "")), rationale=str(st.session_state.get(f"{key}_why", ""))))
    if done is not None:
        st.session_state[f"{key}_notes"] = ""
        st.session_state[f"{key}_why"] = ""
        st.session_state[f"{key}_rating"] = None


def target_form(caller: Caller, guide: EegCapability, target: EegTarget, key: str, number: int) -> None:
    # Each field named with its target: a screen reader (and a search by label) tells them apart.
    with st.container(border=True):
        for o in target.observations:
            st.caption(md(f"{o.evaluator} at {format_duration(o.at)} (journal entry {o.seq}): {_label(o.rating)}."
                          + (f" {o.notes}" if o.notes else "") + (f" Explanation: {o.rationale}" if o.rationale else "")))
        counted_text(f"Target {number}: observation notes (what was seen, when, by whom)", f"{key}_notes")
        st.radio(f"Target {number}: rating", [*Rating], key=f"{key}_rating", index=None, horizontal=True,
                 format_func=_label)
        counted_text(f"Target {number}: explanation of the rating", f"{key}_why")
        st.button("Record for this target", key=f"{key}_record", icon=":material/fact_check:",
                  on_click=_record, args=(caller, guide, target, key))


def eeg_section(caller: Caller, scenario: Scenario, view: EvaluationView, exercise_name: str) -> None:
    """The guide of the objective and capability chosen: its targets' task tables and forms. The
    others are one choice away, so the page builds and draws one guide, not every one."""
    st.header("Exercise Evaluation Guide")
    choices = view.choices()
    if not choices:
        st.caption("The scenario names no capability to evaluate.")
        return
    chosen = st.selectbox("Objective and core capability", range(len(choices)), key="eeg_guide",
                          format_func=lambda i: guide_name(choices[i]))
    eeg = view.guide(choices[chosen or 0][0])
    guide = eeg.guides[0]
    st.caption(md(guide.objective_text))
    downloads(scenario, view.record, exercise_name, guide)
    for number, target in enumerate(guide.targets, start=1):
        st.subheader(f"Capability target {number}")
        st.markdown(md(target.target))
        tasks_table(target, eeg.played)
        target_form(caller, guide, target, f"eeg_{chosen}_{number}", number)
