"""ICS forms from the record: the ICS 214 Activity Log per agency and an ICS 205A-style
communications list from the agency network.

One model per form, built once from (scenario, journal) with corrections applied; two thin
renderers draw it: a PDF laid out like the FEMA form (numbered blocks 1 to 8) and an .xlsx workbook
with the same blocks in cells. Names, never ids: agencies by name, actions by label, unit types in
words. Times are the incident's real clock times when the record has a real start (an imported
incident), else the day of the exercise and the exercise time.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from aar.coordination import down_intervals, link_changes
from aar.record import Record, build_record
from exercises.access import person_of
from exercises.documents.incident_log import RealClock
from exercises.record.entries import (
    ActionLogged,
    Entry,
    InjectDelivered,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    MessageNotSent,
    MessageSent,
    ResourceAssigned,
    ResourceRequested,
)
from exercises.scenario.durations import format_duration
from exercises.scenario.model import AgencyKind, Scenario
from exercises.views.wording import unit_names, units


class _Form(BaseModel):
    model_config = ConfigDict(frozen=True)


class Activity(_Form):
    at: float
    seq: int
    when: str
    text: str


class Resource(_Form):
    name: str
    position: str
    home_agency: str


class Ics214(_Form):
    """The fields of FEMA's ICS 214 Activity Log, block by block."""

    incident_name: str
    period_from: str
    period_to: str
    name: str
    position: str
    home_agency: str
    resources: tuple[Resource, ...]
    activities: tuple[Activity, ...]
    prepared_by: str
    prepared_position: str
    prepared_at: str


class CommsRow(_Form):
    agency: str
    channel: str
    linked: str
    state: str


class Ics205a(_Form):
    incident_name: str
    period_from: str
    period_to: str
    rows: tuple[CommsRow, ...]
    prepared_by: str
    prepared_at: str


# --- times --------------------------------------------------------------------------------


class Stamp:
    """Form times: the real local clock for an incident, else the exercise day and time."""

    def __init__(self, day: date, clock: RealClock | None) -> None:
        self.day, self.clock = day, clock

    def __call__(self, at: float) -> str:
        if self.clock is not None:
            local = (self.clock.start.astimezone(self.clock.zone) + timedelta(seconds=at)).astimezone(self.clock.zone)
            return f"{local:%Y-%m-%d %H:%M}"
        return f"{self.day.isoformat()} T+{format_duration(at)}"

    def zone(self) -> str:
        return f" ({self.clock.zone.key})" if self.clock else " (T+ is exercise time from the start)"


def _person(actor: str) -> str | None:
    found = person_of(actor)
    return found[1] if found else None


# --- the ICS 214 ----------------------------------------------------------------------------


class _Names:
    def __init__(self, scenario: Scenario) -> None:
        self.agency = {a.id: a.name for a in scenario.agencies}
        self.action = scenario.vocabulary
        self.injects = {i.id: i for i in scenario.msel}
        self.channel = {link.key: link.channel.value.replace("_", " ") for link in scenario.links}
        self.unit_types = unit_names(scenario)

    def units(self, unit_type: str, count: int) -> str:
        return units(count, unit_type, self.unit_types)

    def of(self, agency: str | None) -> str:
        return self.agency.get(agency or "", agency or "Exercise control")

    def reason(self, lost: MessageLost) -> str:
        if lost.lost_on is not None:
            a, b = lost.lost_on
            channel = self.channel.get(frozenset(lost.lost_on), "")
            return f"lost on the {channel} link between {self.of(a)} and {self.of(b)}".replace("the  link", "the link")
        return "no working path" if "path" in lost.reason else "sent, not received; no failed link is known"

    def words(self, text: str) -> str:
        """Text the simulation wrote, with action ids in it given their labels."""
        return re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", lambda m: self.action.get(m[0], m[0]).lower(), text)

    def sender(self, sender: str) -> str:
        return {"simcell": "the simulation cell", "controller": "exercise control"}.get(sender, self.of(sender))


def _activity(e: Entry, agency: str, n: _Names, texts: dict[str, str]) -> str | None:
    """The notable activity an entry records for ``agency``, in words; None if not its business."""
    p = e.payload
    if isinstance(p, InjectDelivered) and agency in p.to:
        inject = n.injects.get(p.inject_id)
        what = f": {inject.synopsis}" if inject else ""
        source = f" from {n.sender(inject.from_)}" if inject else ""
        return f"Received inject {p.inject_id}{source}{what}"
    if isinstance(p, ActionLogged) and e.agency == agency:
        who = _person(e.actor)
        by = f" (logged by {who})" if who else ""
        return f"{n.action.get(p.action, p.action)}{by}" + (f": {p.text}" if p.text else "")
    if isinstance(p, MessageSent) and e.agency == agency:
        return f"Sent message {p.message_id} to {n.of(p.to)}: {p.text}"
    if isinstance(p, MessageDelivered) and p.to == agency:
        text = texts.get(p.message_id, "")
        return f"Received message {p.message_id} from {n.of(p.sender)}" + (f": {text}" if text else "")
    if isinstance(p, MessageNotSent) and e.agency == agency:
        return f"Did not send message {p.message_id} to {n.of(p.to)} (the log records it was not sent): {p.text}"
    if isinstance(p, MessageLost) and agency in (p.sender, p.to):
        if p.sender == agency:
            return f"Message {p.message_id} to {n.of(p.to)} did not arrive ({n.reason(p)})"
        text = texts.get(p.message_id, "")
        return f"Message {p.message_id} from {n.of(p.sender)} never arrived ({n.reason(p)})" + (f": {text}" if text else "")
    if isinstance(p, ResourceRequested):
        note = n.words(p.text) if e.simulated else p.text
        what = f"{n.units(p.unit_type, p.count)} (request {p.request_id})"
        if e.agency == agency:
            return f"Requested {what} from {n.of(p.to)}" + (f": {note}" if note else "")
        if p.to == agency:
            return f"Request from {n.of(e.agency)} for {what}" + (f": {note}" if note else "")
    if isinstance(p, ResourceAssigned):
        if e.agency == agency:
            return f"Assigned {n.units(p.unit_type, p.count)} to {n.of(p.requester)} (request {p.request_id})"
        if p.requester == agency:
            return f"{n.of(e.agency)} assigned {n.units(p.unit_type, p.count)} (request {p.request_id})"
    if isinstance(p, LinkDown | LinkUp) and agency in p.between:
        other = n.of(next(x for x in p.between if x != agency))
        channel = n.channel.get(frozenset(p.between), "")
        if isinstance(p, LinkDown):
            return f"{channel.capitalize()} link with {other} down" + (f": {p.reason}" if p.reason else "")
        return f"{channel.capitalize()} link with {other} restored"
    return None


def ics_position(scenario: Scenario, agency: str) -> str:
    """The ICS position of whoever keeps an agency's log in play: the lead agency holds incident
    command, a public information agency (or a named spokesperson) its PIO, every other agency sends
    an agency representative."""
    if agency == scenario.lead_agency:
        return "Incident Commander"
    if scenario.agency(agency).kind is AgencyKind.PUBLIC_INFORMATION or agency in scenario.spokespeople:
        return "Public Information Officer"
    return "Agency Representative"


def _players(record: Record, agency: str) -> Counter[str]:
    """The people who acted for ``agency`` as its players (not evaluators writing about it), by entries."""
    return Counter(p for e in record.entries if e.agency == agency
                   and e.actor.startswith(f"player:{agency} (") and (p := _person(e.actor)))


def _resources(record: Record, scenario: Scenario, agency: str, names: _Names, position: str) -> list[Resource]:
    """Block 6: the people who played the agency, its units, and the units others assigned to it."""
    ag = scenario.agency(agency)
    people = _players(record, agency)
    resources = [Resource(name=person, position=position, home_agency=ag.name) for person, _ in people.most_common()]
    resources += [Resource(name=names.units(u, c), position="Units on hand", home_agency=ag.name)
                  for u, c in ag.resources.items()]
    assigned: dict[tuple[str, str], list[ResourceAssigned]] = {}
    for e in record.entries:
        given_now = e.payload
        if isinstance(given_now, ResourceAssigned) and given_now.requester == agency and e.agency != agency:
            assigned.setdefault((given_now.unit_type, names.of(e.agency)), []).append(given_now)
    for (unit, lender), given in assigned.items():
        ids = ", ".join(g.request_id for g in given[:6]) + (", ..." if len(given) > 6 else "")
        resources.append(Resource(name=names.units(unit, sum(g.count for g in given)),
                                  position=f"Assigned on request ({ids})", home_agency=lender))
    return resources


def ics214(
    scenario: Scenario,
    journal: Sequence[Entry] | Record,
    agency: str,
    *,
    incident_name: str,
    day: date,
    clock: RealClock | None = None,
    prepared_at: datetime | None = None,
) -> Ics214:
    """The ICS 214 of one agency, filled from the record as the field fills it: block 3 the person who
    kept the log (the player who logged most for the agency), 4 that person's ICS position, 5 the
    agency, 6 its people and units, 7 its notable activities, 8 who prepared the form."""
    record = journal if isinstance(journal, Record) else build_record(scenario, journal)
    names, stamp = _Names(scenario), Stamp(day, clock)
    ag = scenario.agency(agency)
    texts = {e.payload.message_id: e.payload.text for e in record.entries if isinstance(e.payload, MessageSent)}
    activities = []
    for e in record.entries:
        text = _activity(e, agency, names, texts)
        if text is not None:
            activities.append(Activity(at=e.at, seq=e.seq, when=stamp(e.at), text=text))
    position = ics_position(scenario, agency)
    people = _players(record, agency)
    lead = people.most_common(1)[0][0] if people else None
    start = record.started_at if record.started_at is not None else 0.0
    made = prepared_at or datetime.now()
    simulated = ag.played_by.value == "simulation"
    return Ics214(
        incident_name=incident_name,
        period_from=stamp(start) + stamp.zone(),
        period_to=stamp(record.end) + stamp.zone(),
        name=lead or ("Played by the simulation cell" if simulated else "Not recorded"),
        position=position,
        home_agency=ag.name,
        resources=tuple(_resources(record, scenario, agency, names, position)),
        activities=tuple(activities),
        prepared_by=lead or "Exercise control",
        prepared_position=position if lead else "Controller, from the exercise journal",
        prepared_at=f"{made:%Y-%m-%d %H:%M}",
    )


# --- the ICS 205A-style communications list ----------------------------------------------------


def ics205a(
    scenario: Scenario,
    journal: Sequence[Entry] | Record,
    *,
    incident_name: str,
    day: date,
    clock: RealClock | None = None,
    prepared_at: datetime | None = None,
) -> Ics205a:
    """Agency, channel, linked agencies and how the links held up during the exercise."""
    record = journal if isinstance(journal, Record) else build_record(scenario, journal)
    names, stamp = _Names(scenario), Stamp(day, clock)
    downs = down_intervals(link_changes(scenario, record))
    lost = Counter(
        frozenset(p.lost_on) for e in record.entries if isinstance(p := e.payload, MessageLost) and p.lost_on
    )
    rows = []
    for ag in scenario.agencies:
        by_channel: dict[str, list[str]] = {}
        states: dict[str, list[str]] = {}
        for link in scenario.links:
            if ag.id not in link.between:
                continue
            other = next(x for x in link.between if x != ag.id)
            channel = link.channel.value.replace("_", " ")
            by_channel.setdefault(channel, []).append(names.of(other))
            notes = [f"down {stamp(a)} to {stamp(b) if b is not None else 'the end'}" for a, b in downs.get(link.key, [])]
            if lost[link.key]:
                notes.append(f"{lost[link.key]} message(s) lost on it")
            if notes:
                states.setdefault(channel, []).append(f"with {names.of(other)}: {'; '.join(notes)}")
        if not by_channel:
            rows.append(CommsRow(agency=ag.name, channel="none", linked="No links in the plan", state=ag.isolated_reason or "Cut off"))
        for channel, linked in sorted(by_channel.items()):
            rows.append(CommsRow(agency=ag.name, channel=channel, linked=", ".join(linked),
                                 state="; ".join(states.get(channel, [])) or "Up throughout"))
    start = record.started_at if record.started_at is not None else 0.0
    made = prepared_at or datetime.now()
    return Ics205a(
        incident_name=incident_name,
        period_from=stamp(start) + stamp.zone(),
        period_to=stamp(record.end) + stamp.zone(),
        rows=tuple(rows),
        prepared_by="Hotwash, from the scenario's agency network and the exercise journal",
        prepared_at=f"{made:%Y-%m-%d %H:%M}",
    )


# --- PDF ------------------------------------------------------------------------------------


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    from aar.render.fonts import fonts

    fs = fonts()
    return {
        "title": ParagraphStyle("t", fontName=fs.bold, fontSize=13, leading=16),
        "label": ParagraphStyle("l", fontName=fs.bold, fontSize=7.5, leading=9),
        "value": ParagraphStyle("v", fontName=fs.body, fontSize=9, leading=11),
        "cell": ParagraphStyle("c", fontName=fs.body, fontSize=8.5, leading=10.5),
        "head": ParagraphStyle("h", fontName=fs.bold, fontSize=8, leading=10),
    }


def _box(label: str, value: str, st: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import Paragraph

    from aar.render.fonts import markup

    return [Paragraph(markup(label), st["label"]), Paragraph(markup(value) or "&nbsp;", st["value"])]


def _grid(rows: list[list[Any]], widths: list[float], head: int = 0) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    from aar.render.cells import continued_rows

    # A row taller than a page stops reportlab: a long entry continues in the rows below.
    body = [piece for row in rows[head:] for piece in continued_rows([[c] for c in row], widths, padding=6)]
    table = Table([*rows[:head], *body], colWidths=widths, repeatRows=head)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if head:
        style.append(("BACKGROUND", (0, 0), (-1, head - 1), colors.HexColor("#D9D9D9")))
    if head == 2:
        style.append(("SPAN", (0, 0), (-1, 0)))  # the block's numbered label spans the form
    table.setStyle(TableStyle(style))
    return table


def _pdf_214(form: Ics214, st: dict[str, Any], width: float) -> list[Any]:
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    from aar.render.fonts import markup

    w = width
    flow: list[Any] = [Paragraph("ACTIVITY LOG (ICS 214)", st["title"]), Spacer(1, 4)]
    flow.append(_grid([[_box("1. Incident Name:", form.incident_name, st),
                        _box("2. Operational Period:", f"From: {form.period_from}<br/>To: {form.period_to}".replace("<br/>", "\n"), st)]],
                      [w * 0.45, w * 0.55]))
    flow.append(_grid([[_box("3. Name:", form.name, st), _box("4. ICS Position:", form.position, st),
                        _box("5. Home Agency (and Unit):", form.home_agency, st)]], [w * 0.3, w * 0.35, w * 0.35]))
    head = [Paragraph(h, st["head"]) for h in ("Name:", "ICS Position:", "Home Agency (and Unit):")]
    res = [[Paragraph(markup(r.name), st["cell"]), Paragraph(markup(r.position), st["cell"]),
            Paragraph(markup(r.home_agency), st["cell"])] for r in form.resources] or [[Paragraph("None recorded", st["cell"]), "", ""]]
    flow.append(_grid([[Paragraph("6. Resources Assigned:", st["label"]), "", ""], head, *res], [w * 0.34, w * 0.33, w * 0.33], head=2))
    acts = [[Paragraph(markup(a.when), st["cell"]), Paragraph(markup(a.text), st["cell"])] for a in form.activities]
    acts = acts or [[Paragraph("--", st["cell"]), Paragraph("No activity recorded for this agency", st["cell"])]]
    flow.append(_grid([[Paragraph("7. Activity Log:", st["label"]), ""],
                       [Paragraph("Date/Time:", st["head"]), Paragraph("Notable Activities:", st["head"])], *acts],
                      [w * 0.2, w * 0.8], head=2))
    flow.append(_grid([[_box("8. Prepared by: Name:", form.prepared_by, st), _box("Position/Title:", form.prepared_position, st),
                        _box("Signature:", "", st), _box("Date/Time:", form.prepared_at, st)]],
                      [w * 0.3, w * 0.3, w * 0.2, w * 0.2]))
    flow.append(PageBreak())
    return flow


def _pdf_205a(form: Ics205a, st: dict[str, Any], width: float) -> list[Any]:
    from reportlab.platypus import Paragraph, Spacer

    from aar.render.fonts import markup

    w = width
    flow: list[Any] = [Paragraph("COMMUNICATIONS LIST (ICS 205A-style)", st["title"]), Spacer(1, 4)]
    flow.append(_grid([[_box("1. Incident Name:", form.incident_name, st),
                        _box("2. Operational Period:", f"From: {form.period_from}\nTo: {form.period_to}", st)]],
                      [w * 0.45, w * 0.55]))
    head = [Paragraph(h, st["head"]) for h in ("Agency:", "Channel:", "Linked agencies:", "State during the exercise:")]
    rows = [[Paragraph(markup(x), st["cell"]) for x in (r.agency, r.channel, r.linked, r.state)] for r in form.rows]
    flow.append(_grid([[Paragraph("3. Basic Local Communications Information:", st["label"]), "", "", ""], head, *rows],
                      [w * 0.22, w * 0.12, w * 0.33, w * 0.33], head=2))
    flow.append(_grid([[_box("4. Prepared by:", form.prepared_by, st), _box("Signature:", "", st),
                        _box("Date/Time:", form.prepared_at, st)]], [w * 0.5, w * 0.25, w * 0.25]))
    return flow


def render_pdf(forms: Sequence[Ics214 | Ics205a]) -> bytes:
    """The forms as one PDF: each ICS 214 starts on a new page; pages numbered per document."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.units import inch
    from reportlab.platypus import SimpleDocTemplate

    from aar.render.fonts import fonts

    st = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=letter, leftMargin=0.6 * inch, rightMargin=0.6 * inch,
                            topMargin=0.6 * inch, bottomMargin=0.7 * inch, title="ICS forms", author="Hotwash")

    def footer(canvas: Any, d: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts().body, 8)
        canvas.drawString(d.leftMargin, 0.45 * inch, f"ICS forms from the Hotwash record, page {d.page}")
        canvas.restoreState()

    flow: list[Any] = []
    for form in forms:
        flow += _pdf_214(form, st, doc.width) if isinstance(form, Ics214) else _pdf_205a(form, st, doc.width)
    if flow and type(flow[-1]).__name__ == "PageBreak":
        flow.pop()
    doc.build(flow, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


# --- .xlsx ------------------------------------------------------------------------------------


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:28].strip() or "Form"
    title, n = base, 2
    while title.lower() in used:
        title, n = f"{base[:25]} {n}", n + 1
    used.add(title.lower())
    return title


def _xlsx_214(ws: Any, form: Ics214) -> None:
    from openpyxl.styles import Font

    from exercises.documents.msel_sheet import write_text

    bold = Font(bold=True)
    ws["A1"] = "ACTIVITY LOG (ICS 214)"
    ws["A1"].font = Font(bold=True, size=14)
    rows: list[tuple[str, str]] = [
        ("1. Incident Name", form.incident_name), ("2. Operational Period from", form.period_from),
        ("2. Operational Period to", form.period_to), ("3. Name", form.name), ("4. ICS Position", form.position),
        ("5. Home Agency (and Unit)", form.home_agency),
    ]
    r = 3
    for label, value in rows:
        ws.cell(row=r, column=1, value=label).font = bold
        write_text(ws.cell(row=r, column=2), value)
        r += 1
    r += 1
    ws.cell(row=r, column=1, value="6. Resources Assigned").font = bold
    r += 1
    for c, h in enumerate(("Name", "ICS Position", "Home Agency (and Unit)"), start=1):
        ws.cell(row=r, column=c, value=h).font = bold
    for res in form.resources:
        r += 1
        for c, v in enumerate((res.name, res.position, res.home_agency), start=1):
            write_text(ws.cell(row=r, column=c), v)
    r += 2
    ws.cell(row=r, column=1, value="7. Activity Log").font = bold
    r += 1
    ws.cell(row=r, column=1, value="Date/Time").font = bold
    ws.cell(row=r, column=2, value="Notable Activities").font = bold
    for act in form.activities:
        r += 1
        write_text(ws.cell(row=r, column=1), act.when)
        write_text(ws.cell(row=r, column=2), act.text)
    r += 2
    for label, value in (("8. Prepared by", form.prepared_by), ("Position/Title", form.prepared_position),
                         ("Signature", ""), ("Date/Time", form.prepared_at)):
        ws.cell(row=r, column=1, value=label).font = bold
        write_text(ws.cell(row=r, column=2), value)
        r += 1
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 30


def _xlsx_205a(ws: Any, form: Ics205a) -> None:
    from openpyxl.styles import Font

    from exercises.documents.msel_sheet import write_text

    bold = Font(bold=True)
    ws["A1"] = "COMMUNICATIONS LIST (ICS 205A-style)"
    ws["A1"].font = Font(bold=True, size=14)
    for r, (label, value) in enumerate((("1. Incident Name", form.incident_name), ("2. Operational Period from", form.period_from),
                                        ("2. Operational Period to", form.period_to)), start=3):
        ws.cell(row=r, column=1, value=label).font = bold
        write_text(ws.cell(row=r, column=2), value)
    for c, h in enumerate(("Agency", "Channel", "Linked agencies", "State during the exercise"), start=1):
        ws.cell(row=7, column=c, value=h).font = bold
    for r, row in enumerate(form.rows, start=8):
        for c, v in enumerate((row.agency, row.channel, row.linked, row.state), start=1):
            write_text(ws.cell(row=r, column=c), v)
    r = 9 + len(form.rows)
    ws.cell(row=r, column=1, value="4. Prepared by").font = bold
    write_text(ws.cell(row=r, column=2), form.prepared_by)
    ws.cell(row=r + 1, column=1, value="Date/Time").font = bold
    write_text(ws.cell(row=r + 1, column=2), form.prepared_at)
    for letter, width in zip("ABCD", (30, 14, 50, 60), strict=True):
        ws.column_dimensions[letter].width = width


def render_xlsx(forms: Sequence[tuple[str, Ics214 | Ics205a]]) -> bytes:
    """The forms as one workbook, a sheet each (``(sheet name, form)``); every value a text cell."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for title, form in forms:
        ws = wb.create_sheet(_sheet_title(title, used))
        if isinstance(form, Ics214):
            _xlsx_214(ws, form)
        else:
            _xlsx_205a(ws, form)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
