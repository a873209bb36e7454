"""Drafts of each capability's analysis, and the analyses the lead evaluator accepted.

A draft is written from what the record holds for the capability (under one objective, or none):
the protocol findings people earned, the evaluators' observations with their explanations, their
capability ratings with reasons, and the lead evaluator's reconciliation. Every sentence names the
journal entries it rests on, and an evaluator's words are marked as theirs. Nothing of a draft is
final: the report prints only what the lead evaluator accepted (``AnalysisAccepted``), else it says
the analysis is not accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from aar.credit import of_people
from aar.evaluation_panel import evaluator_name, latest_ratings, reconciliations
from aar.model import SHORTFALLS, CapabilityAnalysis, Finding
from aar.record import Record
from aar.scoring import finding_sentence, severity
from exercises.record.entries import AnalysisAccepted, ObservationRecorded
from exercises.scoring import SCORED

MAX_FINDING_SENTENCES = 8
"""Findings a draft names, the worst first; the report's evidence lists hold every one."""


class DraftSentence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    """The sentence with its citation, as printed."""
    entries: tuple[int, ...]
    """The journal entries it rests on."""


class Draft(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    capability: str
    objective: str | None
    sentences: tuple[DraftSentence, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


def _cite(seqs: Sequence[int], who: str | None = None, what: str = "observation") -> str:
    entries = f"journal {'entries' if len(seqs) > 1 else 'entry'} {', '.join(str(s) for s in seqs)}"
    return f"({entries}; {what} by {who})" if who else f"({entries})"


def _sentence(body: str, seqs: Sequence[int], who: str | None = None, what: str = "observation") -> DraftSentence:
    body = body.strip()
    end = "" if body.endswith((".", "!", "?")) else "."
    return DraftSentence(text=f"{body} {_cite(seqs, who, what)}{end}", entries=tuple(seqs))


def _finding_sentences(found: Sequence[Finding], record: Record) -> list[DraftSentence]:
    settled = sorted((f for f in found if f.status in SCORED and f.evidence), key=severity, reverse=True)
    out = []
    for f in settled[:MAX_FINDING_SENTENCES]:
        verdict = "a shortfall" if f.status in SHORTFALLS else "met"
        body = f"{f.protocol_title} ({f.agency_name}), {verdict}: {finding_sentence(f, record).rstrip('.')}"
        out.append(_sentence(body, [ev.seq for ev in f.evidence]))
    return out


def _observation_sentences(record: Record, capability: str, objective: str | None) -> list[DraftSentence]:
    out = []
    for e in record.of(ObservationRecorded):
        p = e.payload
        if not isinstance(p, ObservationRecorded) or p.capability != capability or p.objective != objective:
            continue
        who = evaluator_name(e.actor)
        parts = [x for x in (p.text, p.strengths and f"Strength: {p.strengths}",
                             p.areas_for_improvement and f"Area for improvement: {p.areas_for_improvement}",
                             p.rating and f"rated {p.rating.value}" + (f", explaining: {p.rationale}" if p.rationale else ""))
                 if x]
        if parts:
            out.append(_sentence(f"{who} observed: " + "; ".join(s.strip().rstrip(".") for s in parts), [e.seq], who))
    return out


def _rating_sentences(record: Record, capability: str, objective: str | None) -> list[DraftSentence]:
    out = [_sentence(f"{r.evaluator} rated the capability {r.rating.value}: {r.reason}".rstrip(". "), [r.seq],
                     r.evaluator, "rating")
           for r in latest_ratings(record).get((capability, objective), {}).values()]
    final = reconciliations(record).get((capability, objective))
    if final is not None:
        out.append(_sentence(f"The lead evaluator reconciled the ratings to {final.rating.value}: {final.reason}"
                             .rstrip(". "), [final.seq], final.evaluator, "reconciliation"))
    return out


def draft(record: Record, found: Sequence[Finding], capability: str, objective: str | None) -> Draft:
    """The draft analysis of ``capability`` (under ``objective``): findings, observations, ratings."""
    mine = [f for f in of_people(found) if f.capability == capability]
    sentences = [*_finding_sentences(mine, record), *_observation_sentences(record, capability, objective),
                 *_rating_sentences(record, capability, objective)]
    if not sentences:
        sentences = [DraftSentence(text="Nothing in the record bears on this capability yet.", entries=())]
    return Draft(capability=capability, objective=objective, sentences=tuple(sentences))


def accepted(record: Record) -> dict[tuple[str, str | None], CapabilityAnalysis]:
    """The latest analysis the lead evaluator accepted, per capability and objective."""
    out: dict[tuple[str, str | None], CapabilityAnalysis] = {}
    for e in record.of(AnalysisAccepted):
        p = e.payload
        if isinstance(p, AnalysisAccepted):
            out[(p.capability, p.objective)] = CapabilityAnalysis(
                capability=p.capability, objective=p.objective, text=p.text, accepted_by=evaluator_name(e.actor),
                seq=e.seq, at=e.at, edited=p.edited, after_end=record.recorded_after_end(e.seq))
    return out

