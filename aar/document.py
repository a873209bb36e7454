"""The AAR/IP as a sequence of blocks (headings, paragraphs, tables, figures): every word the
reader sees is chosen here, once. ``aar.render.pdf`` and ``aar.render.word`` only draw these blocks, so the PDF
and the Word copy hold the same sections in the same order with the same text.

Text in a block is plain (never markup): each renderer escapes it for its own format. Ids appear
only in the last section, the marked index of identifiers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from aar.agreement import kappa_words
from aar.clock import when
from aar.model import AfterActionReport, Agreement, EvaluatorRating, Evidence, Note, Status
from aar.names import Names, humanise, quantity
from exercises.scenario.durations import format_span
from exercises.scenario.model import Rating
from exercises.scoring import SCORED

MAX_EVIDENCE_NOTES = 5
"""Areas for improvement shown per protocol and objective; Appendix A and the JSON have them all."""
MAX_EVALUATOR_NOTES = 10
MAX_TABLE_ROWS = 80
RATING_MEANING = {
    Rating.P: "performed without challenges",
    Rating.S: "performed with some challenges",
    Rating.M: "performed with major challenges",
    Rating.U: "unable to be performed",
}
RATING_COLOURS = {Rating.P: "2e7d32", Rating.S: "9e9d24", Rating.M: "ef6c00", Rating.U: "c62828"}
INDEX_TITLE = "Index of Scenario Identifiers"

ParaStyle = Literal["body", "small", "bullet", "evidence", "title", "subtitle", "marking", "h3"]
FigureName = Literal["timeline", "network", "compliance_agency", "compliance_protocol", "baseline", "trust"]


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    colour: str | None = None
    """Hex RGB without '#'."""


Cell = tuple[Run, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    """0: a section (HSEEP chapter or appendix), 1: a subsection."""
    text: str


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]
    style: ParaStyle = "body"


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...]
    """Shares of the text width."""
    caption: str | None = None
    key_value: bool = False
    """Two columns, the first a label: no header row."""
    dense: bool = False


@dataclass(frozen=True)
class Figure:
    name: FigureName
    caption: str


@dataclass(frozen=True)
class Contents:
    """Where the table of contents goes."""


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Para | Table | Figure | Contents | PageBreak


def text(value: str, **kw: object) -> Para:
    return Para((Run(value),), **kw)  # type: ignore[arg-type]


def cell(value: str, *, bold: bool = False) -> Cell:
    return (Run(value, bold=bold),)


def dates_text(dates: tuple[date, date]) -> str:
    a, b = dates
    return a.strftime("%d %B %Y") if a == b else f"{a.strftime('%d %B %Y')} to {b.strftime('%d %B %Y')}"


def rating_runs(rating: Rating | None) -> tuple[Run, ...]:
    if rating is None:
        return (Run("not rated"),)
    return (Run(rating.value, bold=True, colour=RATING_COLOURS[rating]), Run(f" {RATING_MEANING[rating]}"))


POST_EXERCISE = " (recorded after the end of play)"
PUBLIC_INFORMATION_TITLE = "Public Information and Community Trust"
EVALUATION_TITLE = "Evaluators' Ratings and Agreement"
HOT_WASH_TITLE = "Hot Wash: Participants' Views"
FEEDBACK_TITLE = "Appendix D: Participant Feedback Summary"

SIGNATURE_WORDS = {
    "signed": "every entry is covered by a signed checkpoint",
    "partly_signed": "signed, except the newest entries (after the last checkpoint)",
    "unsigned": "no checkpoint could be checked against a trusted key",
    "not_checked": "not checked",
}


def _grouped(digits: str) -> str:
    """A fingerprint as people compare it aloud: groups of four."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def agreement_text(a: Agreement | None) -> str:
    """The evaluators' agreement in a sentence (the report's and the console summary's words)."""
    if a is None:
        return "Agreement between evaluators: not measured (fewer than two evaluators rated capabilities)."
    if not a.items:
        return f"Agreement between evaluators: not measured (no capability was rated by all {a.raters} evaluators)."
    kappa = (
        "undefined (every rating the same, so chance alone predicts the agreement)"
        if a.kappa is None
        else f"{a.kappa:.2f} ({kappa_words(a.kappa)})"
    )
    left = f"; {quantity(a.left_out, 'capability')} rated by some evaluators only left out" if a.left_out else ""
    return (
        f"Agreement between the {a.raters} evaluators over {quantity(a.items, 'capability')} all of them "
        f"rated{left}: {a.measure} {kappa}; percent agreement {a.percent or 0:.0%}. Kappa is agreement "
        "beyond chance: 1 is full agreement, 0 no better than chance."
    )


@dataclass
class _Writer:
    r: AfterActionReport
    blocks: list[Block] = field(default_factory=list)

    @property
    def names(self) -> Names:
        return self.r.names

    @property
    def real(self) -> bool:
        return self.r.record_kind == "real_incident"

    @property
    def event_word(self) -> str:
        return "incident" if self.real else "exercise"

    def at(self, seconds: float | None) -> str:
        return when(seconds, self.r.real_time, real_incident=self.real)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def h1(self, title: str) -> None:
        self.add(Heading(0, title))

    def h2(self, title: str) -> None:
        self.add(Heading(1, title))

    def para(self, value: str, style: ParaStyle = "body") -> None:
        self.add(Para((Run(value),), style))

    def evidence(self, trail: Sequence[Evidence]) -> None:
        for ev in trail:
            corrected = f" (as corrected by entry {ev.corrected_by})" if ev.corrected_by else ""
            late = POST_EXERCISE if ev.after_end else ""
            self.para(f"Entry {ev.seq} at {self.at(ev.at)}, {ev.role}: {ev.summary}{corrected}{late}", "evidence")

    # --- front matter ---------------------------------------------------------------------

    def cover(self) -> None:
        r = self.r
        if r.marking:
            self.para(r.marking, "marking")
        self.para(r.exercise_name, "title")
        self.para("After-Action Report / Improvement Plan", "subtitle")
        self.para(dates_text(r.exercise_dates), "subtitle")
        ov = r.overview
        kind = "Real-world incident" if self.real else f"{humanise(ov.exercise_type).capitalize()} exercise"
        rows = [("Scenario" if not self.real else "Incident", ov.scenario_name), ("Type", kind),
                ("Location", ov.location), ("Sponsor", ov.sponsor)]
        if r.real_time is not None:
            rows.append(("Started", r.real_time.start.strftime("%d %B %Y, %H:%M ") + r.real_time.timezone))
        self.key_values(rows)
        self.para(
            "Generated by Hotwash from the journal and the response plans. Computed findings and ratings "
            "are a draft for the after-action meeting; an evaluator's rating, where given, is the rating "
            "of record.",
            "small",
        )
        self.add(PageBreak())

    def handling(self) -> None:
        r = self.r
        self.h1("Handling Instructions")
        title = f"The title of this document is {r.exercise_name} After-Action Report / Improvement Plan."
        self.para(title)
        if r.marking:
            self.para(
                f"This document is marked \u201c{r.marking}\u201d. Handle, safeguard and release it in "
                "accordance with that marking and the policies of the sponsoring organization."
            )
        else:
            self.para(
                "This document carries no handling marking. Before releasing it outside the participating "
                "organizations, the sponsor decides whether it needs one."
            )
        self.para(
            "Send questions about this report to the points of contact listed in Appendix C."
        )
        self.add(Contents())

    def key_values(self, rows: Sequence[tuple[str, str]]) -> None:
        self.add(
            Table(("", ""), tuple((cell(k, bold=True), cell(v)) for k, v in rows), (0.26, 0.74), key_value=True)
        )

    # --- HSEEP chapters -------------------------------------------------------------------

    def overview(self) -> None:
        r, ov = self.r, self.r.overview
        self.h1("Incident Overview" if self.real else "Exercise Overview")
        played = (
            f"{self.at(ov.played_from)} to {self.at(ov.played_to)}"
            if ov.played_from is not None
            else "the clock was not started"
        )
        if self.real:
            scope = f"Real-world {humanise(ov.kind)} incident at {ov.location}; record from {played}."
        else:
            scope = (
                f"{humanise(ov.exercise_type).capitalize()} exercise of a {humanise(ov.kind)} scenario, "
                f"{format_span(ov.duration_s)} of scenario time (played {played}), at {ov.location}; "
                f"{ov.injects} injects."
            )
        objectives = "\n".join(f"{i}. {text}" for i, (_, text) in enumerate(ov.objectives, start=1))
        plans = "\n".join(f"{name} ({authority})" for _, name, authority in ov.plans) or "none"
        rows = [
            ("Name", r.exercise_name),
            ("Dates", dates_text(r.exercise_dates)),
            ("Scope", scope),
            ("Mission area(s)", ", ".join(m.capitalize() for m in ov.mission_areas)),
            ("Core capabilities", ", ".join(ov.capabilities)),
            ("Objectives", objectives),
            ("Threat or hazard", ov.threat_or_hazard),
            ("Scenario" if not self.real else "Incident", ov.summary),
            ("Sponsor", ov.sponsor),
            ("Response plans", plans),
            ("Participating organizations", ", ".join(p.name for p in r.participants)),
            ("Lead agency", self.names.agency(ov.lead_agency)),
        ]
        if r.real_time is not None:
            rows.insert(2, ("Clock", f"{self.event_word.capitalize()} time 0:00 was "
                            f"{r.real_time.start.strftime('%d %B %Y, %H:%M:%S')} ({r.real_time.timezone}); "
                            "times in this report show both."))
        self.key_values(rows)

    def executive_summary(self) -> None:
        s = self.r.executive_summary
        self.h1("Executive Summary")
        if s is None:
            self.para("No summary: the report model carries none.")
            return
        self.para(s.overview)
        for title, points, empty in (
            ("Major Strengths", s.strengths, "No strength was recorded: no protocol was met every time it was "
             "triggered and evaluators noted none."),
            ("Primary Areas for Improvement", s.areas_for_improvement, "None: every critical protocol that was "
             "triggered was met and evaluators noted no area for improvement."),
        ):
            self.h2(title)
            if not points:
                self.para(empty, "small")
            for p in points:
                self.add(Para((Run(f"{p.capability}: ", italic=True), Run(p.text)), "bullet"))
                self.para(f"Evidence: {p.evidence}", "evidence")

    def analysis(self) -> None:
        r = self.r
        self.h1("Analysis of Core Capabilities")
        self.para(
            "Table 1 lists each objective with its core capabilities and ratings: P performed without "
            "challenges, S with some challenges, M with major challenges, U unable to be performed. "
            "Computed ratings come from the response-plan protocols mapped to the capability (its critical "
            "tasks): U if a critical task was missed; M if a critical task was out of order or took over "
            "twice its allowed time, or a non-critical task was missed; S if any task was late or out of "
            "order; P if every triggered task was met. The evaluator's rating, when given, is the rating of "
            "record."
        )
        rows = []
        previous: object = ()
        for row in r.table1:
            objective = self.names.objective(row.objective) if row.objective else "(no objective)"
            if row.objective == previous:
                objective = ""  # one objective, several capabilities: name it once
            previous = row.objective
            computed = (*rating_runs(row.computed), Run("\n" + row.computed_reason))
            rows.append((cell(objective), cell(row.capability), computed,
                         cell(self._evaluators(row.evaluator) + self._team_final(row.capability, row.objective)),
                         rating_runs(row.of_record)))
        self.add(Table(("Objective", "Core capability", "Computed from protocols", "Evaluator", "Rating of record"),
                       tuple(rows), (0.25, 0.17, 0.28, 0.14, 0.16),
                       caption="Table 1. Summary of core capability performance"))
        for number, obj in enumerate(r.objectives, start=1):
            title = self.names.objective(obj.objective) if obj.objective else "Other capabilities"
            self.h2(f"Objective {number}: {title}" if obj.objective else title)
            if obj.objective and title != obj.text:
                self.para(obj.text)
            self.add(Para((Run("Core capabilities: ", bold=True), Run(", ".join(obj.capabilities) + ". "),
                           Run("Rating of record: ", bold=True), *rating_runs(obj.rating))))
            self.para("Strengths", "h3")
            if not obj.strengths:
                self.para("None recorded.", "small")
            for note in obj.strengths:
                self.note(note)
            self.para("Areas for Improvement", "h3")
            if not obj.areas_for_improvement:
                self.para("None: every triggered protocol was met and evaluators noted none.", "small")
            self.areas(obj.areas_for_improvement)

    def _evaluators(self, ratings: Sequence[EvaluatorRating]) -> str:
        if not ratings:
            return "--"
        if len(ratings) <= 4:
            return "\n".join(
                f"{e.rating.value} ({e.actor}, entry {e.seq}{', after the end' if e.after_end else ''})" for e in ratings
            )
        tally = Counter(e.rating.value for e in ratings)
        latest = max(ratings, key=lambda e: (e.at, e.seq))
        counts = ", ".join(f"{k} \u00d7{tally[k]}" for k in "PSMU" if tally[k])
        return f"{counts}\nlatest: {latest.rating.value} ({latest.actor}, entry {latest.seq})"

    def hot_wash(self) -> None:
        """Participants' views from the hot wash, per agency: distinct from the evaluators' findings."""
        views = self.r.hot_wash
        if not views:
            return
        self.h2(HOT_WASH_TITLE)
        self.para(
            "What each agency's participants said at the hot wash right after play, as the facilitator "
            "recorded it. These are the participants' own views, not evaluators' findings: they inform "
            "the after-action meeting and do not change a rating."
        )
        for agency in dict.fromkeys(v.agency for v in views):
            self.para(self.names.agency(agency), "h3")
            for point, label in (("strength", "Strength"), ("area_for_improvement", "Area for improvement")):
                for v in (v for v in views if v.agency == agency and v.point == point):
                    self.add(Para((Run(f"{label}: ", italic=True), Run(v.text),
                                   Run(f" (said by {v.said_by}; participant view, entry {v.seq})")), "bullet"))

    def _team_final(self, capability: str, objective: str | None) -> str:
        """The evaluation team's final rating of a Table 1 row, when it is the rating of record."""
        panel = self.r.evaluation
        finals = {(c.capability, c.objective): c for c in panel.capabilities if c.final} if panel else {}
        team = finals.get((capability, objective)) or finals.get((capability, None))
        if team is None or team.final is None:
            return ""
        how = "reconciled by the lead evaluator" if team.reconciled else "all evaluators agreed"
        return f"\nteam: {team.final.value} ({how}; Table 2)"

    def evaluation(self) -> None:
        """The evaluation team's ratings of each capability, kept apart, their agreement, the
        rater errors their pattern shows, and the lead evaluator's reconciled rating."""
        panel = self.r.evaluation
        if panel is None:
            return
        self.h2(EVALUATION_TITLE)
        self.para(
            f"Evaluators who rated capabilities: {', '.join(panel.evaluators) or 'none'}. "
            f"Lead evaluator: {panel.lead or 'not named'}. Each evaluator rated on their own, without seeing "
            "the others' ratings; the lead evaluator reconciled them into the final rating, which is the "
            "rating of record in Table 1. Where every evaluator gave the same rating and none was "
            "reconciled, that rating is the final one."
        )
        if panel.assignments:
            self.para("Assignments: " + "; ".join(f"{who}: {what}" for who, what in panel.assignments) + ".")
        self.para(agreement_text(panel.agreement))
        rows = []
        for c in panel.capabilities:
            what = c.capability + (f"\n{self.names.objective(c.objective)}" if c.objective else "")
            given = "\n".join(
                f"{r.rating.value} ({r.evaluator}, entry {r.seq}{', after the end' if r.after_end else ''}): {r.reason}"
                for r in c.ratings
            ) or "--"
            share = "--" if c.agreement is None else f"{c.agreement:.0%} of pairs"
            final: tuple[Run, ...] = rating_runs(c.final)
            if c.reconciled is not None:
                late = POST_EXERCISE if c.reconciled.after_end else ""
                final += (Run(f"\nreconciled by {c.reconciled.evaluator}, entry {c.reconciled.seq}{late}: "
                              f"{c.reconciled.reason}"),)
            elif c.final is None:
                final = (Run("awaiting the lead evaluator's reconciliation"),)
            rows.append((cell(what), (Run(given),), cell(share), final))
        self.add(Table(("Core capability", "Evaluators' ratings and reasons", "Agreement", "Final rating"),
                       tuple(rows), (0.22, 0.40, 0.12, 0.26),
                       caption="Table 2. Evaluators' ratings, agreement and reconciliation"))
        for flag in panel.flags:
            self.para(f"Possible {flag.error} ({flag.evaluator}): {flag.detail}.", "bullet")

    def note(self, note: Note, evidence: bool = False) -> None:
        who = f" (evaluator, entry {note.seq})" if note.source == "evaluator" else ""
        who += POST_EXERCISE if note.after_end else ""
        self.add(Para((Run(f"{note.capability}: ", italic=True), Run(note.text + who)), "bullet"))
        if evidence:
            self.evidence(note.evidence)

    def areas(self, notes: Sequence[Note]) -> None:
        shown: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        for note in notes:
            key = self.names.protocol(note.protocol_id) if note.protocol_id else f"evaluator notes on {note.capability}"
            cap = MAX_EVIDENCE_NOTES if note.protocol_id else MAX_EVALUATOR_NOTES
            if shown[key] >= cap:
                hidden[key] += 1
                continue
            shown[key] += 1
            self.note(note, evidence=True)
        for key, n in hidden.items():
            self.para(f"{key}: {n} more, in Appendix A and the JSON export.", "evidence")

    def conclusion(self) -> None:
        self.h1("Conclusion")
        for paragraph in self.r.conclusion:
            self.para(paragraph)

    def improvement_plan(self) -> None:
        self.h1("Appendix A: Improvement Plan")
        self.para(
            "Drafted from the critical protocols that were missed, late or out of order and from the "
            "evaluators' areas for improvement; controllers' edits are applied. The capability element "
            "(planning, organization, equipment, training or exercise) is the one the response plan "
            "declares or the evaluator chose; where neither did, it is to be set. Dates stay empty until "
            "the after-action meeting sets them."
        )
        rows = tuple(
            (
                cell(item.capability),
                cell(item.issue),
                cell(item.corrective_action),
                cell(item.element.value.capitalize() if item.element else "To be set"),
                cell((item.responsible_agency or "To be set")
                     + (f"\n{item.point_of_contact}" if item.point_of_contact else "")),
                cell(item.start_date.isoformat() if item.start_date else ""),
                cell(item.completion_date.isoformat() if item.completion_date else ""),
            )
            for item in self.r.improvement_plan
        )
        if not rows:
            self.para("No improvement items: no critical protocol fell short and evaluators noted none.")
            return
        self.add(Table(("Core capability", "Issue / area for improvement", "Corrective action", "Capability element",
                        "Primary responsible organization and point of contact", "Start date", "Completion date"),
                       rows, (0.12, 0.19, 0.21, 0.12, 0.14, 0.1, 0.12), dense=True,
                       caption="Table A-1. Improvement Plan"))

    def participants(self) -> None:
        self.h1("Appendix B: " + ("Responding Organizations" if self.real else "Exercise Participants"))
        rows = tuple(
            (
                cell(p.name),
                cell(humanise(p.kind)),
                cell("players" if p.played_by == "players" else "simulated"),
                cell(", ".join(Names.units(u, n) for u, n in p.resources.items()) or "--"),
                cell(str(p.entries)),
            )
            for p in self.r.participants
        )
        self.add(Table(("Organization", "Kind", "Played by", "Resources", "Journal entries"), rows,
                       (0.3, 0.18, 0.12, 0.28, 0.12)))

    def contacts(self) -> None:
        self.h1("Appendix C: Points of Contact")
        if not self.r.points_of_contact:
            self.para("No point of contact was set in the scenario or for this "
                      f"{self.event_word}; the controller sets them on the exercise.")
            return
        rows = tuple((cell(c.role, bold=True), cell(c.name), cell(c.organization), cell(c.contact))
                     for c in self.r.points_of_contact)
        self.add(Table(("Role", "Name", "Organization", "Contact"), rows, (0.2, 0.25, 0.3, 0.25)))

    def feedback(self) -> None:
        """The Participant Feedback Forms: counts, each statement's median, the participants' words."""
        f = self.r.feedback
        if f is None:
            return
        self.h1(FEEDBACK_TITLE)
        roles = ", ".join(f"{n} {role}{'s' if n != 1 else ''}" for role, n in f.by_role)
        self.para(f"{quantity(f.forms, 'participant feedback form')} filled after play ({roles}). Statements "
                  "were rated from 1 (strongly disagree) to 5 (strongly agree).")
        rows = tuple(
            (cell(s.statement), cell(str(s.answers)), cell("--" if s.median is None else f"{s.median:g}"),
             cell("  ".join(f"{k}: {n}" for k, n in enumerate(s.counts, start=1))))
            for s in f.statements
        )
        self.add(Table(("Statement", "Answers", "Median", "Answers by rating"), rows, (0.5, 0.1, 0.1, 0.3),
                       caption="Exercise design and conduct"))
        for question in dict.fromkeys(q.question for q in f.quotes):
            self.para(question, "h3")
            for q in (q for q in f.quotes if q.question == question):
                self.add(Para((Run(f"\u201c{q.text}\u201d", italic=True),
                               Run(f" (participant's words: {q.who}; entry {q.seq})")), "bullet"))

    # --- what a tool adds -----------------------------------------------------------------

    def timeline(self) -> None:
        self.h1("Timeline")
        self.add(Figure("timeline", "Figure 1. Timeline. Time axis: " + (
            "local clock time" if self.r.real_time is not None else f"{self.event_word} time (H:MM)")
            + ". Triangles: injects; bars: actions logged (darker = more); diamonds: late (amber), "
            "out of order (purple), missed deadline (red); dashed lines: a link went down."))

    def compliance(self) -> None:
        r = self.r
        self.h1("Protocol Compliance")
        scored = [f for f in r.findings if f.status in SCORED]
        met = sum(f.status is Status.MET for f in scored)
        share = f"{met / len(scored):.0%}" if scored else "--"
        self.para(
            f"{len(r.findings)} findings from {len(r.by_protocol)} protocols: {met} of {len(scored)} scored "
            f"protocol instances met ({share}). A protocol is scored once per time it was triggered; "
            "expected actions are matched to triggers one-to-one in time order. Times are compared in whole "
            "seconds, the resolution of the record."
        )
        if any(c.scored or c.open or c.pending or c.overdue for c in r.by_agency):
            self.add(Figure("compliance_agency", "Figure 2. Protocol instances by responsible agency."))
            self.add(Figure("compliance_protocol", "Figure 3. Protocol instances by protocol."))
        rows = []
        for c in r.by_protocol:
            first = next(f for f in r.findings if f.protocol_id == c.name)
            deadline = "before trigger" if first.before_trigger else f"within {format_span(first.within_s or 0)}"
            rows.append(tuple(cell(v) for v in (
                c.label + (" *" if first.critical else ""), first.agency_name or self.names.agency(first.agency),
                deadline, str(c.met), str(c.late), str(c.out_of_order), str(c.missed + c.overdue),
                str(c.open + c.pending), "yes" if c.not_triggered else "")))
        missed = "Missed or overdue" if any(c.overdue for c in r.by_protocol) else "Missed"
        self.add(Table(("Protocol", "Agency", "Deadline", "Met", "Late", "Out of order", missed, "Not due",
                        "Not triggered"), tuple(rows), (0.25, 0.18, 0.11, 0.06, 0.06, 0.075, 0.085, 0.07, 0.11)))
        self.para("* critical protocol. Not due: triggered, and the deadline fell after the end of play"
                  " (or has not come yet while play goes on). Overdue: past its deadline, play still going on.",
                  "small")

    def coordination(self) -> None:
        c = self.r.coordination
        self.h1("Coordination and the Agency Network")
        self.para(
            f"{c.messages_sent} messages sent, {c.messages_delivered} delivered, {c.messages_lost} lost; "
            f"{len(c.requests)} resource requests, {sum(q.answered_at is None for q in c.requests)} never answered."
        )
        self.add(Figure("network", "Figure 4. The agency network. Line width: messages carried; red dashed: "
                        "the link failed; orange: an agency under heavy load; red outline: cut off from the lead "
                        "agency; bold outline: the lead agency."))
        self.h2("Traffic by agency")
        self.add(Table(
            ("Agency", "Sent", "Received", "Lost to it", "Requests in / unanswered", "Load", "Relay share",
             "Why it matters"),
            tuple(tuple(cell(v) for v in (a.name, str(a.sent), str(a.received), str(a.lost),
                                          f"{a.requests_received} / {a.requests_unanswered}", str(a.load),
                                          f"{a.betweenness:.2f}", a.explanation or "--")) for a in c.agencies),
            (0.17, 0.06, 0.09, 0.07, 0.13, 0.06, 0.08, 0.34)))
        self.h2("Links")
        rows = []
        for link in c.links:
            down = "; ".join(f"{self.at(a)} to {self.at(b) if b is not None else 'end'}"
                             for a, b in link.down_intervals) or "--"
            rows.append(tuple(cell(v) for v in (self.names.link(link.between, link.channel), str(link.messages),
                                                str(link.lost), format_span(link.mean_delay_s)
                                                if link.mean_delay_s is not None else "--", down)))
        self.add(Table(("Link", "Message hops", "Lost", "Mean delay per hop", "Down"), tuple(rows),
                       (0.4, 0.12, 0.08, 0.14, 0.26)))
        self.requests()
        self.injects()

    def public_information(self) -> None:
        """Public information and community trust (scenarios with a media layer)."""
        pi = self.r.public_information
        if pi is None:
            return
        self.h1(PUBLIC_INFORMATION_TITLE)
        first = (
            f"The first official statement came at {self.at(pi.first_statement_at)}, "
            f"{format_span(pi.time_to_first_statement_s or 0.0)} after the start of play, from {pi.first_statement_by}."
            if pi.first_statement_at is not None
            else "No official statement was made during play."
        )
        self.para(
            f"{first} {quantity(pi.statements, 'statement')} in all; {pi.items_published} posts and news items "
            f"published. Community trust went from {pi.trust_start:.0f} to {pi.trust_end:.0f} (lowest "
            f"{pi.trust_lowest:.0f}) on a scale of 0 to 100."
        )
        if pi.rumours:
            rows = tuple(tuple(cell(v) for v in (
                f"{r.topic}: \u201c{r.claim}\u201d", r.source, self.at(r.started_at),
                f"{r.peak_reach:,} at {self.at(r.peak_at)}",
                self.at(r.addressed_at) if r.addressed_at is not None else "never",
                format_span(r.time_to_address_s) if r.time_to_address_s is not None else "--",
                r.addressed_by or "--")) for r in pi.rumours)
            self.add(Table(("Rumour", "Started by", "Started", "Peak reach", "Addressed", "Took", "Addressed by"),
                           rows, (0.3, 0.14, 0.1, 0.13, 0.11, 0.08, 0.14)))
        else:
            self.para("No rumour started during play.")
        baseline = ("beside the simulated baseline's median (dashed) and its 10th to 90th percentile band"
                    if pi.baseline else "shown without a simulated baseline (none was run)")
        self.add(Figure("trust", f"Figure 6. Community trust over {self.event_word} time, {baseline}."))

    def requests(self) -> None:
        c = self.r.coordination
        if not c.requests:
            return
        self.h2("Resource requests")
        ordered = sorted(c.requests, key=lambda q: (q.answered_at is not None, q.requested_at))
        rows = tuple(tuple(cell(v) for v in (
            self.names.agency(q.requester) if q.requester else "--", self.names.agency(q.to),
            Names.units(q.unit_type, q.count), f"{self.at(q.requested_at)} (entry {q.requested_seq})",
            f"{self.at(q.answered_at)} (entry {q.answered_seq})" if q.answered_at is not None else "never answered",
            format_span(q.delay_s) if q.delay_s is not None else "--")) for q in ordered[:MAX_TABLE_ROWS])
        self.add(Table(("From", "To", "Asked for", "Requested", "Answered", "Delay"), rows,
                       (0.17, 0.17, 0.18, 0.17, 0.19, 0.12)))
        self.more(len(ordered), "requests")

    def injects(self) -> None:
        c = self.r.coordination
        if not c.injects:
            return
        self.h2("Time to act on each inject")
        rows = tuple(tuple(cell(v) for v in (
            f"{i.inject_id}: {i.synopsis}", f"{self.at(i.delivered_at)} (entry {i.delivered_seq})",
            ", ".join(self.names.agency(a) for a in i.to),
            f"{self.at(i.acted_at)} by {self.names.agency(i.acted_by)} (entry {i.acted_seq})"
            if i.acted_at is not None else "not acted on",
            format_span(i.delay_s) if i.delay_s is not None else "--")) for i in c.injects[:MAX_TABLE_ROWS])
        self.add(Table(("Inject", "Delivered", "To", "First action", "Took"), rows, (0.32, 0.15, 0.2, 0.23, 0.1)))
        self.more(len(c.injects), "inject deliveries")

    def more(self, total: int, what: str) -> None:
        if total > MAX_TABLE_ROWS:
            self.para(f"{total - MAX_TABLE_ROWS} more {what} not shown here; the JSON export lists them all.", "small")

    def baseline(self) -> None:
        b = self.r.baseline
        self.h1("Simulated Baseline")
        if b is None:
            self.para(
                "No simulated baseline is part of this report. The baseline runs the scenario many times with "
                "every agency following the plan, and sets each actual timing against those runs; it is made "
                "from the report page of the console or with the report command's baseline option."
            )
            return
        self.para(f"{b.runs} simulated runs (seed {b.seed}) of the scenario with every agency following the plan. "
                  "Each actual timing is held against the simulated median and 90th percentile.")
        shown = [c for c in b.comparisons if c.actual_s or c.verdict != "not triggered"]
        if any(c.simulated_median_s is not None or c.actual_median_s is not None for c in b.comparisons):
            self.add(Figure("baseline", "Figure 5. Grey band: simulated median (tick) to 90th percentile; dot: "
                            "actual time (green at or under the median, amber above it, red above the 90th "
                            "percentile)."))
        rows = tuple(tuple(cell(v) for v in (
            c.title, self.names.agency(c.agency),
            (format_span(c.actual_median_s) if c.actual_median_s is not None else "--")
            + (f" ({len(c.actual_s)})" if len(c.actual_s) > 1 else ""),
            format_span(c.simulated_median_s) if c.simulated_median_s is not None else "--",
            format_span(c.simulated_p90_s) if c.simulated_p90_s is not None else "--",
            f"{c.simulated_met_share:.0%}", f"{c.actual_met_share:.0%}" if c.actual_met_share is not None else "--",
            c.verdict)) for c in shown)
        if rows:
            self.add(Table(("Protocol", "Agency", "Actual", "Simulated median", "Simulated 90th percentile",
                            "Met (simulated)", "Met (actual)", "Compared with the plan"), rows,
                           (0.22, 0.15, 0.09, 0.1, 0.1, 0.09, 0.08, 0.17)))
        if b.bottlenecks:
            self.para("Bottlenecks the simulation found", "h3")
            for line in b.bottlenecks:
                self.para(line, "bullet")

    def integrity(self) -> None:
        i = self.r.integrity
        self.h1("Record Integrity")
        self.key_values([
            ("Journal entries", str(i.entries)),
            ("Hash chain verified", "yes" if i.intact else "NO"),
            ("Head hash", i.head_hash or "--"),
            ("First broken entry", str(i.first_broken_seq) if i.first_broken_seq is not None else "none"),
            ("Signed checkpoints", SIGNATURE_WORDS.get(i.signature, i.signature)),
            ("Signed through", f"entry {i.signed_through_seq}" if i.signed_through_seq is not None else "--"),
            ("Signing key fingerprint", _grouped(i.key_fingerprint[:32]) if i.key_fingerprint else "--"),
            ("Public key (Ed25519)", i.public_key or "--"),
        ])
        for line in i.proven:
            self.para(f"Proven: {line}", "bullet")
        for line in i.not_proven:
            self.para(f"Not proven: {line}", "bullet")
        self.para(
            "Every journal entry carries the hash of the one before it. The chain was verified when this "
            "report was made; compare the head hash and entry count with the database to confirm that no "
            "entry was removed from the end."
            if i.intact
            else "The hash chain is broken: the record was altered after it was written. Findings from "
            "entries at or after the first broken entry should not be relied on."
        )

    def notes(self, extra: Sequence[str]) -> None:
        notes = [*self.r.notes, *extra]
        if notes:
            self.h2("Notes on this report")
            for line in notes:
                self.para(line, "bullet")

    def index(self) -> None:
        """The one place ids appear: they are what the JSON export and the journal use."""
        n = self.names
        self.h1(INDEX_TITLE)
        self.para("Identifiers used in the JSON export (findings.json) and the journal, with the names this "
                  "report uses for them.", "small")
        rows: list[tuple[Cell, ...]] = []
        for what, table in (("agency", n.agencies), ("objective", n.objectives), ("protocol", n.protocols),
                            ("action", n.actions), ("event", n.events), ("response plan", n.plans)):
            rows += [(cell(what), cell(key), cell(name)) for key, name in table.items()]
        self.add(Table(("Kind", "Identifier", "Name in this report"), tuple(rows), (0.16, 0.3, 0.54), dense=True))


def build_document(report: AfterActionReport, extra_notes: Sequence[str] = ()) -> list[Block]:
    """The AAR/IP in HSEEP order, then the sections a tool adds, then the marked index."""
    w = _Writer(report)
    for step in (w.cover, w.handling, w.overview, w.executive_summary, w.analysis, w.evaluation, w.hot_wash,
                 w.conclusion, w.improvement_plan, w.participants, w.contacts, w.feedback, w.timeline,
                 w.compliance, w.coordination, w.baseline, w.public_information, w.integrity):
        step()
    w.notes(extra_notes)
    w.index()
    return w.blocks


def headings(blocks: Sequence[Block]) -> Iterator[Heading]:
    return (b for b in blocks if isinstance(b, Heading))


SECTION_ORDER = (
    "Handling Instructions",
    "Exercise Overview",
    "Executive Summary",
    "Analysis of Core Capabilities",
    "Conclusion",
    "Appendix A: Improvement Plan",
    "Appendix B: Exercise Participants",
    "Appendix C: Points of Contact",
    FEEDBACK_TITLE,
    "Timeline",
    "Protocol Compliance",
    "Coordination and the Agency Network",
    "Simulated Baseline",
    PUBLIC_INFORMATION_TITLE,
    "Record Integrity",
    INDEX_TITLE,
)
"""The level-0 headings of an exercise's report, in order (tests read both formats against it); the
public-information section is there when the scenario has a media layer, the participant feedback
summary when a participant filled a form."""
