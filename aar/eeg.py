"""The Exercise Evaluation Guides (EEGs) of a scenario, as data: per objective and core capability,
its capability targets, their critical tasks with their source, what the journal already shows for
each, and the evaluators' observations, ratings and explanations per target.

Pure functions of (scenario, journal). Targets come from three places: each response plan with
protocols mapped to the capability (its protocols are the critical tasks, scored by the one rule of
``exercises.scoring`` through ``aar.scoring``), the MSEL's expected actions of the injects filed
under the capability, and the designer's ``capability_targets`` (tasks only an evaluator can judge).
``aar.eeg_document`` words the model once; the PDF and Word renderers draw those blocks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from aar.evaluation_panel import evaluator_name, reconciliations
from aar.model import STATUS_LABEL, Finding, Status
from aar.names import Names
from aar.record import Record, build_record
from aar.scoring import finding_sentence, protocol_findings
from exercises.record.entries import Entry, InjectDelivered, ObservationRecorded
from exercises.scenario.durations import format_duration, format_span
from exercises.scenario.model import Inject, Objective, Protocol, Rating, Scenario
from exercises.scoring import expected_action_done

TaskKind = Literal["protocol", "msel", "evaluator"]
MSEL_TARGET = "msel"
EVALUATOR_TO_JUDGE = "evaluator to judge"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EegTask(_Data):
    """One critical task of a capability target."""

    task: str
    source: str
    kind: TaskKind
    critical: bool = False
    shown: str
    """What the journal shows, in words: met, late, missed, not due yet, not triggered, done,
    not done, not delivered, or evaluator to judge."""
    evidence: tuple[str, ...] = ()
    """Sentences with times, names and the journal entries they rest on."""


class EegObservation(_Data):
    """An evaluator's observation recorded against a target."""

    seq: int
    at: float
    evaluator: str
    notes: str
    rating: Rating | None
    rationale: str


class EegTarget(_Data):
    key: str
    """``plan.<plan id>``, ``msel``, or the designer's target id (``ObservationRecorded.target``)."""
    target: str
    tasks: tuple[EegTask, ...]
    observations: tuple[EegObservation, ...] = ()


class EegCapability(_Data):
    """One EEG: a core capability under one objective (or none, for a capability only the plans name)."""

    objective: str | None
    objective_title: str
    objective_text: str
    capability: str
    targets: tuple[EegTarget, ...]
    final: str = ""
    """The lead evaluator's reconciled rating with its reason and entry, once recorded."""


class Eeg(_Data):
    scenario_name: str
    exercise_name: str | None = None
    played: bool = False
    """Whether the journal has play in it (else the EEG is printed blank, before the exercise)."""
    guides: tuple[EegCapability, ...]


def _trigger_words(protocol: Protocol, names: Names) -> str:
    t = protocol.trigger
    if t.kind == "exercise_start":
        return "the start of the exercise"
    if t.kind == "event":
        return f"\u201c{names.event(t.name or '')}\u201d"
    by = f" by {', '.join(names.agency(a) for a in t.agencies)}" if t.agencies else ""
    return f"\u201c{names.action(t.name or '')}\u201d{by}"


def protocol_task(protocol: Protocol, names: Names) -> str:
    """A protocol as a critical task, in names."""
    trigger = _trigger_words(protocol, names)
    deadline = (f"before {trigger}" if protocol.before_trigger
                else f"within {format_span(protocol.within or 0.0)} of {trigger}")
    return f"{protocol.title}: {names.agency(protocol.agency)} logs \u201c{names.action(protocol.action)}\u201d {deadline}."


def _shown(found: Sequence[Finding]) -> str:
    tally = Counter(f.status for f in found)
    if set(tally) == {Status.NOT_TRIGGERED}:
        return STATUS_LABEL[Status.NOT_TRIGGERED]
    return ", ".join(f"{STATUS_LABEL[s]} \u00d7{n}" if n > 1 else STATUS_LABEL[s] for s, n in tally.items())


def _finding_evidence(f: Finding, record: Record) -> str:
    entries = ", ".join(str(ev.seq) for ev in f.evidence)
    cited = f" (journal {'entries' if len(f.evidence) > 1 else 'entry'} {entries})" if entries else ""
    return f"{finding_sentence(f, record).rstrip('.')}{cited}."


def _protocol_task(protocol: Protocol, record: Record, played: bool) -> EegTask:
    found = protocol_findings(protocol, record) if played else []
    return EegTask(
        task=protocol_task(protocol, record.names), source=protocol.source,
        kind="protocol", critical=protocol.critical, shown=_shown(found) if found else "",
        evidence=tuple(_finding_evidence(f, record) for f in found if f.status is not Status.NOT_TRIGGERED),
    )


def _deliveries(record: Record) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for e in record.of(InjectDelivered):
        assert isinstance(e.payload, InjectDelivered)
        out.setdefault(e.payload.inject_id, e)
    return out


def _msel_task(inject: Inject, action: str, record: Record, delivered: Entry | None, played: bool) -> EegTask:
    names = record.names
    to = ", ".join(names.agency(a) for a in inject.to)
    end = "" if inject.synopsis.endswith((".", "?", "!")) else "."
    task = f"{to}: \u201c{names.action(action)}\u201d in answer to inject {inject.id}, \u201c{inject.synopsis}\u201d{end}"
    source = f"MSEL inject {inject.id} at {format_duration(inject.time)}"
    if not played:
        return EegTask(task=task, source=source, kind="msel", shown="")
    ended = record.ended_at is not None
    if delivered is None:
        return EegTask(task=task, source=source, kind="msel", shown="not delivered" if ended else "not delivered yet")
    pool = record.actions.get(action, [])
    done = expected_action_done(delivered, pool)
    if done is None:
        return EegTask(task=task, source=source, kind="msel", shown="not done" if ended else "not done yet",
                       evidence=(f"Delivered at {format_duration(delivered.at)} (journal entry {delivered.seq}); "
                                 "the action was not logged by an agency it reached.",))
    return EegTask(task=task, source=source, kind="msel", shown="done", evidence=(
        f"Delivered at {format_duration(delivered.at)} (journal entry {delivered.seq}); {names.agency(done.agency)} "
        f"logged it at {format_duration(done.at)}, {format_span(done.at - delivered.at)} later (journal entry {done.seq}).",))


def _plan_targets(scenario: Scenario, capability: str, record: Record, played: bool) -> list[EegTarget]:
    out = []
    for plan in scenario.plans:
        protocols = [p for p in scenario.protocols if p.plan == plan.id and p.capability == capability]
        if protocols:
            out.append(EegTarget(
                key=f"plan.{plan.id}",
                target=f"Meet the deadlines of the {plan.name} ({plan.authority}) for {capability}.",
                tasks=tuple(_protocol_task(p, record, played) for p in protocols),
            ))
    return out


def _msel_target(scenario: Scenario, objective: str | None, capability: str, record: Record,
                 played: bool) -> list[EegTarget]:
    injects = [i for i in scenario.msel if i.capability == capability and i.objective in (None, objective)
               and i.expected_actions]
    if not injects:
        return []
    delivered = _deliveries(record)
    tasks = tuple(_msel_task(i, a, record, delivered.get(i.id), played)
                  for i in injects for a in i.expected_actions)
    return [EegTarget(key=MSEL_TARGET, target=f"Take the actions the MSEL expects of the players for {capability}.",
                      tasks=tasks)]


def _designer_targets(scenario: Scenario, objective: str | None, capability: str, names: Names) -> list[EegTarget]:
    return [
        EegTarget(key=t.id, target=t.target, tasks=tuple(
            EegTask(task=f"{names.agency(k.agency)}: {k.task}" if k.agency else k.task,
                    source=k.source or "Exercise design", kind="evaluator", shown=EVALUATOR_TO_JUDGE)
            for k in t.critical_tasks))
        for t in scenario.capability_targets if t.objective == objective and t.capability == capability
    ]


def _observations(record: Record) -> dict[tuple[str | None, str, str], list[EegObservation]]:
    out: dict[tuple[str | None, str, str], list[EegObservation]] = {}
    for e in record.of(ObservationRecorded):
        p = e.payload
        if isinstance(p, ObservationRecorded) and p.target is not None:
            out.setdefault((p.objective, p.capability, p.target), []).append(EegObservation(
                seq=e.seq, at=e.at, evaluator=evaluator_name(e.actor), notes=p.text, rating=p.rating,
                rationale=p.rationale))
    return out


def _groups(scenario: Scenario) -> list[tuple[str | None, str]]:
    named = [(o.id, c) for o in scenario.objectives for c in o.capabilities]
    covered = {c for _, c in named}
    others = dict.fromkeys(p.capability for p in scenario.protocols if p.capability not in covered)
    return [*named, *((None, c) for c in others)]


def build_eeg(scenario: Scenario, journal: Sequence[Entry] = (), *, capabilities: Sequence[str] = (),
              exercise_name: str | None = None) -> Eeg:
    """Every EEG of the scenario (or those of ``capabilities``), with what ``journal`` shows."""
    return eeg_of_record(scenario, build_record(scenario, journal), capabilities=capabilities,
                         exercise_name=exercise_name)


Guide = tuple[str | None, str]
"""(objective, capability): one EEG; no objective for a capability only the response plans exercise."""


def guide_choices(scenario: Scenario, names: Names) -> list[tuple[Guide, str]]:
    """Every EEG of the scenario with its objective's title, in the guides' order, without building
    any: the console lists them and builds the one an evaluator opens."""
    objectives = {o.id: o for o in scenario.objectives}
    return [(g, _objective_title(objectives, names, g[0])) for g in _groups(scenario)]


def _objective_title(objectives: dict[str, Objective], names: Names, objective: str | None) -> str:
    obj = objectives.get(objective or "")
    return names.objective(obj.id) if obj else "Other capabilities"


def eeg_of_record(scenario: Scenario, record: Record, *, capabilities: Sequence[str] = (),
                  exercise_name: str | None = None, only: Guide | None = None) -> Eeg:
    """``build_eeg`` from a record already built (the console builds one per journal head); with
    ``only``, that one guide."""
    played = record.started_at is not None
    observed = _observations(record)
    finals = reconciliations(record)
    objectives = {o.id: o for o in scenario.objectives}
    guides = []
    for objective, capability in _groups(scenario):
        if (capabilities and capability not in capabilities) or (only is not None and only != (objective, capability)):
            continue
        targets = [*_plan_targets(scenario, capability, record, played),
                   *_msel_target(scenario, objective, capability, record, played),
                   *_designer_targets(scenario, objective, capability, record.names)]
        targets = [t.model_copy(update={"observations": tuple(observed.get((objective, capability, t.key), ()))})
                   for t in targets]
        obj = objectives.get(objective or "")
        final = finals.get((capability, objective))
        guides.append(EegCapability(
            final=f"{final.rating.value}: {final.reason} ({final.evaluator}, journal entry {final.seq})" if final else "",
            objective=objective, objective_title=_objective_title(objectives, record.names, objective),
            objective_text=obj.text if obj else "Capabilities the response plans exercise that no objective names.",
            capability=capability, targets=tuple(targets)))
    return Eeg(scenario_name=scenario.name, exercise_name=exercise_name, played=played, guides=tuple(guides))
