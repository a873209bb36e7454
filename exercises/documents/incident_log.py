"""A real incident's log, whole: actions, messages, link failures, resource requests and answers.

After a real incident the record is a log with clock times and the messages that did or did not get
through. This reads it, from one workbook (one sheet per kind: ``Actions``, ``Messages``, ``Links``,
``Requests``, ``Answers``; any may be left out) or from CSV files (one per kind), checks every row
against the scenario (agencies, actions, links, channels) and builds the journal of a finished
exercise that the after-action report scores like any other. Columns: docs/service.md.

Times: with the incident's real start (a date and clock time in an IANA time zone) the log's times
are clock times (``18:42``, an Excel time, or a full date and time); a clock time more than 12 hours
before the start's is on the next day (a log that ran past midnight). Without a start, times are
elapsed times from the start (``0:12``). Elapsed seconds are computed in UTC, so a log that crosses
a daylight-saving change stays right.

Each kind becomes the journal entries the live console would have written: ``ActionLogged``;
``MessageSent`` then ``MessageDelivered`` or ``MessageLost``; ``LinkDown`` / ``LinkUp``;
``ResourceRequested`` and ``ResourceAssigned``. A message may name the action it performs (a
notification: ``notify_eoc``): delivered, it also logs that action for its sender, so a protocol's
finding rests on the message; lost, it does not.

A message the log says was not sent (*Sent* no) is a ``MessageNotSent``: the sender's failure,
never a link's. A message sent and not delivered is lost on a link only when the log names the
link (*Lost on*) or its Links sheet shows the direct link down then; otherwise no link is blamed.
*Due by* and *Relay to* say when it should have arrived and who it should have been passed on to
(``MessageSent.due_at``, ``relay_to``): the report's information failures hold the record to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exercises.documents.csv_io import IMPORT_ACTOR, ImportedAction, imported_journal
from exercises.documents.workbook import (
    Cell,
    Row,
    SheetError,
    Table,
    cell_text,
    excel_duration,
    is_calendar_date,
    open_workbook,
    read_csv,
    read_sheet,
)
from exercises.record.entries import (
    MAX_TEXT,
    ActionLogged,
    LinkDown,
    LinkUp,
    MessageDelivered,
    MessageLost,
    MessageNotSent,
    MessageSent,
    NewEntry,
    ResourceAssigned,
    ResourceRequested,
)
from exercises.scenario.durations import DurationSyntaxError, parse_duration
from exercises.scenario.loading import Problem, ScenarioError
from exercises.scenario.model import Channel, Scenario

MAX_ROWS = 50_000
KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "actions": {
        "time": ("Time",), "agency": ("Agency",), "action": ("Action",), "text": ("Text", "Notes"),
        "inject": ("Inject", "Inject #"), "logged_by": ("Logged by",),
    },
    "messages": {
        "time": ("Time", "Sent"), "id": ("Message #", "Message", "Message ID"), "from": ("From",), "to": ("To",),
        "channel": ("Channel",), "text": ("Text", "Message text"), "delivered": ("Delivered",),
        "delivered_time": ("Delivered at", "Received at"), "action": ("Action", "Counts as action"),
        "categories": ("Categories", "Information categories"), "sent": ("Sent",),
        "lost_on": ("Lost on", "Failed link"), "due": ("Due by", "Expected by"),
        "relay_to": ("Relay to", "Pass on to"),
    },
    "links": {
        "time": ("Time",), "link": ("Link", "Between"), "state": ("State", "Status"), "reason": ("Reason", "Notes"),
    },
    "requests": {
        "time": ("Time",), "id": ("Request #", "Request", "Request ID"), "from": ("From",), "to": ("To",),
        "unit_type": ("Unit type", "Resource"), "count": ("Count", "Quantity"), "text": ("Text", "Notes"),
    },
    "answers": {
        "time": ("Time",), "request": ("Request #", "Request"), "count": ("Assigned", "Count"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "actions": ("time", "agency", "action"),
    "messages": ("time", "from", "to", "text", "delivered"),
    "links": ("time", "link", "state"),
    "requests": ("time", "id", "from", "to", "unit_type", "count"),
    "answers": ("time", "request", "count"),
}
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$")
_YES = {"yes", "y", "true", "1", "delivered", "received", "x"}
_NO = {"no", "n", "false", "0", "lost", "not delivered", "failed"}


@dataclass(frozen=True)
class RealClock:
    """The incident's real start and time zone; converts log times to elapsed seconds."""

    start: datetime
    zone: ZoneInfo

    @classmethod
    def parse(cls, start: str | datetime, timezone: str) -> RealClock:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time zone {timezone!r} is not an IANA time zone (like 'America/Chicago')") from None
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start.strip().replace("T", " "))
            except ValueError:
                raise ValueError(f"start {start!r}: write the date and clock time, like 2026-03-14 18:30") from None
        start = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
        return cls(start, zone)

    def elapsed(self, moment: datetime) -> float:
        moment = moment.replace(tzinfo=self.zone) if moment.tzinfo is None else moment
        return (moment.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds()

    def clock(self, of_day: time) -> float:
        moment = datetime.combine(self.start.date(), of_day, tzinfo=self.zone)
        if self.elapsed(moment) < -12 * 3600:
            moment = datetime.combine(self.start.date() + timedelta(days=1), of_day, tzinfo=self.zone)
        return self.elapsed(moment)


@dataclass
class IncidentLog:
    """A checked log: the journal entries of the finished exercise, and where it came from."""

    entries: list[NewEntry]
    counts: dict[str, int]
    clock: RealClock | None = None


@dataclass
class _Reader:
    scenario: Scenario
    clock: RealClock | None
    problems: list[Problem] = field(default_factory=list)

    def bad(self, where: Cell, message: str) -> None:
        self.problems.append(where.problem(message))

    def moment(self, row: Row, key: str = "time", *, required: bool = True) -> float | None:
        value = row.values.get(key)
        where = row.cells[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(where, "required: the time")
            return None
        at = self._seconds(value, where)
        if at is not None and at < 0:
            self.bad(where, "before the incident's start" if self.clock else "a time before the start")
            return None
        return at

    def _seconds(self, value: Any, where: Cell) -> float | None:
        if self.clock is None:
            if is_calendar_date(value):
                self.bad(where, f"a date ({value}): give the incident's real start and time zone to use clock times")
                return None
            seconds = excel_duration(value)
            if seconds is not None:
                return seconds
            try:
                return parse_duration(cell_text(value))
            except DurationSyntaxError as exc:
                self.bad(where, str(exc))
                return None
        if isinstance(value, datetime) and is_calendar_date(value):
            return self.clock.elapsed(value)
        if isinstance(value, time):
            return self.clock.clock(value)
        seconds = excel_duration(value)
        if seconds is not None and seconds < 86_400:
            return self.clock.clock((datetime.min + timedelta(seconds=seconds)).time())
        text = cell_text(value).strip()
        m = _CLOCK.match(text)
        if m and int(m[1]) < 24:
            return self.clock.clock(time(int(m[1]), int(m[2]), int(m[3] or 0)))
        try:
            return self.clock.elapsed(datetime.fromisoformat(text.replace("T", " ")))
        except ValueError:
            self.bad(where, f"{text!r} is not a clock time: write 18:42, 18:42:05 or 2026-03-14 18:42")
            return None

    def name(self, row: Row, key: str, options: Mapping[str, str], what: str, extra: tuple[str, ...] = ()) -> str | None:
        """An id by id or by its exact name (``options``: id -> name)."""
        text = cell_text(row.values.get(key)).strip()
        by_name = {n: i for i, n in options.items()}
        if not text:
            self.bad(row.cells[key], f"required: the {what}")
            return None
        found = text if (text in options or text in extra) else by_name.get(text)
        if found is None:
            from exercises.scenario.loading import _did_you_mean

            self.bad(row.cells[key], f"{what} {text!r} is not in the scenario{_did_you_mean(text, [*options, *extra])}")
        return found

    def agency(self, row: Row, key: str) -> str | None:
        return self.name(row, key, {a.id: a.name for a in self.scenario.agencies}, "agency")

    def categories(self, row: Row) -> tuple[str, ...]:
        """The information categories a message carried: ids or labels, separated by commas or
        semicolons (the plans' ``categories``)."""
        text = cell_text(row.values.get("categories")).strip()
        if not text:
            return ()
        options = self.scenario.categories
        by_label = {label.casefold(): i for i, label in options.items()}
        found = []
        for part in (p.strip() for p in re.split(r"[;,]", text)):
            category = part if part in options else by_label.get(part.casefold())
            if category is None:
                from exercises.scenario.loading import _did_you_mean

                self.bad(row.cells["categories"], f"information category {part[:60]!r} is not declared by the "
                         f"scenario's plans{_did_you_mean(part, [*options, *options.values()])}")
            elif category not in found:
                found.append(category)
        return tuple(found[:32])

    def correspondent(self, row: Row, key: str) -> str | None:
        """A message's sender or receiver: an agency, or one of the scenario's parties outside the
        agency list (by id, its name, or its name with its agency's)."""
        parties = self.scenario.parties
        if not parties:
            return self.agency(row, key)
        text = cell_text(row.values.get(key)).strip()
        by_name = {p.name: p.id for p in parties} | {v: k for k, v in self.scenario.party_names.items()}
        if text in by_name:
            return by_name[text]
        options = {a.id: a.name for a in self.scenario.agencies} | self.scenario.party_names
        return self.name(row, key, options, "agency or party")

    def text(self, row: Row, key: str) -> str:
        raw = cell_text(row.values.get(key))
        if len(raw) > MAX_TEXT:
            self.bad(row.cells[key], f"{len(raw):,} characters; the limit is {MAX_TEXT:,}")
            return raw[:MAX_TEXT]
        return raw

    def yes_no(self, row: Row, key: str, hint: str = "write yes (it got through) or no (it was lost)") -> bool | None:
        value = row.values.get(key)
        if isinstance(value, bool):
            return value
        text = cell_text(value).strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        self.bad(row.cells[key], f"{text!r}: {hint}")
        return None

    def count(self, row: Row, key: str) -> int | None:
        text = cell_text(row.values.get(key)).strip()
        if text.isdigit() and 1 <= int(text) <= 10_000:
            return int(text)
        self.bad(row.cells[key], f"{text!r}: a whole number from 1 to 10,000")
        return None


# --- one reader per kind --------------------------------------------------------------------


def _actions(r: _Reader, table: Table) -> list[ImportedAction]:
    out = []
    injects = [i.id for i in r.scenario.msel]
    for row in table.rows:
        at, agency = r.moment(row), r.agency(row, "agency")
        action = r.name(row, "action", r.scenario.vocabulary, "action")
        inject = cell_text(row.values.get("inject")).strip() or None
        if inject is not None and inject not in injects:
            r.bad(row.cells["inject"], f"inject {inject!r} is not on the MSEL")
        logged_by = cell_text(row.values.get("logged_by")).strip()[:60] or None
        if at is not None and agency and action:
            out.append(ImportedAction(row.number, at, agency, action, r.text(row, "text"), inject, logged_by))
    return out


def _messages(r: _Reader, table: Table) -> list[NewEntry]:
    out: list[NewEntry] = []
    seen: set[str] = set()
    for row in table.rows:
        given = cell_text(row.values.get("id")).strip()[:64]
        message_id = given or f"row {row.number}"
        if message_id in seen:
            r.bad(row.cells.get("id") or row.cells["time"], f"message {message_id!r} appears twice")
        seen.add(message_id)
        out += _message(r, row, message_id, given)
    return out


def _filled(row: Row, key: str) -> bool:
    return key in row.cells and bool(cell_text(row.values.get(key)).strip())


def _message(r: _Reader, row: Row, message_id: str, given: str) -> list[NewEntry]:
    """One row of the Messages sheet: not sent; sent and delivered (on time or late, relayed or
    not); or sent and lost, on the link the log names or that the Links sheet shows down."""
    at, sender, to = r.moment(row), r.correspondent(row, "from"), r.correspondent(row, "to")
    text = r.text(row, "text")
    sent = r.yes_no(row, "sent", "write yes (it was sent) or no (nobody sent it)") if _filled(row, "sent") else True
    delivered = r.yes_no(row, "delivered") if sent is not False or _filled(row, "delivered") else False
    action = r.name(row, "action", r.scenario.vocabulary, "action") if _filled(row, "action") else None
    if action and sender in r.scenario.party_names:
        r.bad(row.cells["action"], "a party outside the agency list performs no action of the plans: leave Action empty")
        action = None
    _check_channel(r, row, sender, to)
    failed = _failed_link(r, row) if _filled(row, "lost_on") else None
    due = r.moment(row, "due", required=False) if _filled(row, "due") else None
    relay = r.correspondent(row, "relay_to") if _filled(row, "relay_to") else None
    if sent is False and delivered:
        r.bad(row.cells["delivered"], "a message nobody sent cannot be delivered: write no in Delivered, or yes in Sent")
    if failed is not None and (delivered or sent is False):
        r.bad(row.cells["lost_on"], "a failed link is named only for a message sent and not delivered")
    if at is not None and due is not None and due < at:
        r.bad(row.cells["due"], "due before the message was sent")
    if not text.strip():
        r.bad(row.cells["text"], "required: what the message said")
    if at is None or not sender or not to or sent is None or delivered is None or not text.strip():
        return []
    if sent is False:
        return [NewEntry(at=at, agency=sender, actor=IMPORT_ACTOR, payload=MessageNotSent(
            message_id=message_id, to=to, text=text, about=action))]
    carried = r.categories(row) if "categories" in row.cells else ()
    out = [NewEntry(at=at, agency=sender, actor=IMPORT_ACTOR, payload=MessageSent(
        message_id=message_id, to=to, text=text, categories=carried, due_at=due, relay_to=(relay,) if relay else ()))]
    if not delivered:
        reason = f"lost on link {failed[0]}-{failed[1]}" if failed else NOT_RECEIVED
        return [*out, NewEntry(at=at, agency=to, actor=IMPORT_ACTOR, payload=MessageLost(
            message_id=message_id, sender=sender, to=to, reason=reason, path=(sender,), lost_on=failed, about=action))]
    arrived = r.moment(row, "delivered_time", required=False) if "delivered_time" in row.cells else None
    when = max(at, arrived if arrived is not None else at)
    out.append(NewEntry(at=when, agency=to, actor=IMPORT_ACTOR, payload=MessageDelivered(
        message_id=message_id, sender=sender, to=to, path=(sender, to), sent_at=at, about=action)))
    if action:
        names = {a.id: a.name for a in r.scenario.agencies} | r.scenario.party_names
        which = f"message {given}" if given else f"the message in log row {row.number}"
        note = f"by {which} to {names.get(to, to)}: {text}"[:MAX_TEXT]
        out.append(NewEntry(at=at, agency=sender, actor=IMPORT_ACTOR, payload=ActionLogged(action=action, text=note)))
    return out


NOT_RECEIVED = "sent, not received (the log names no failed link)"
"""A lost message's reason when no link is known to have failed: no equipment is blamed."""


CHANNELS = frozenset(c.value for c in Channel)


def _check_channel(r: _Reader, row: Row, sender: str | None, to: str | None) -> None:
    channel = cell_text(row.values.get("channel")).strip().lower().replace(" ", "_")
    if not (channel and sender and to):
        return
    link = next((k for k in r.scenario.links if k.key == frozenset((sender, to))), None)
    if channel not in CHANNELS:
        r.bad(row.cells["channel"], f"{channel!r} is not a channel (radio, phone, liaison, data_sharing)")
    elif link is None or link.channel.value != channel:
        names = {a.id: a.name for a in r.scenario.agencies} | r.scenario.party_names
        r.bad(row.cells["channel"], f"the scenario has no {channel.replace('_', ' ')} link between "
                                    f"{names.get(sender, sender)} and {names.get(to, to)}: add it to its links")


def _link_ends(r: _Reader, row: Row, key: str) -> tuple[str, str] | None:
    """A link of the scenario named as ``fire - operator`` (ids or names); None, with the problem
    recorded, when it is not one."""
    written = cell_text(row.values.get(key))
    names = {a.name: a.id for a in r.scenario.agencies}
    ends = [names.get(e, e) for e in (e.strip() for e in re.split(r"\s+-\s+|\s*\u2013\s*|,|/", written)) if e]
    if len(ends) != 2 or frozenset(ends) not in {link.key for link in r.scenario.links}:
        known = ", ".join(" - ".join(k.between) for k in r.scenario.links)
        r.bad(row.cells[key], f"{written!r} is not a link of the scenario (one of: {known})")
        return None
    return (ends[0], ends[1])


def _failed_link(r: _Reader, row: Row) -> tuple[str, str] | None:
    return _link_ends(r, row, "lost_on")


def blame_down_links(entries: list[NewEntry]) -> list[NewEntry]:
    """A message lost while the Links sheet shows the direct link between its sender and recipient
    down was lost on that link (equipment failed); any other loss the log does not explain blames
    no link. ``entries`` in time order."""
    down: set[frozenset[str]] = set()
    out = []
    for e in entries:
        p = e.payload
        if isinstance(p, LinkDown | LinkUp):
            (down.add if isinstance(p, LinkDown) else down.discard)(frozenset(p.between))
        elif isinstance(p, MessageLost) and p.lost_on is None and frozenset((p.sender, p.to)) in down:
            e = e.model_copy(update={"payload": p.model_copy(update={
                "lost_on": (p.sender, p.to), "reason": f"link {p.sender}-{p.to} was down"})})
        out.append(e)
    return out


def _links(r: _Reader, table: Table) -> list[NewEntry]:
    out: list[NewEntry] = []
    for row in table.rows:
        at = r.moment(row)
        between = _link_ends(r, row, "link")
        if between is None:
            continue
        state = cell_text(row.values.get("state")).strip().lower()
        if state not in ("down", "up", "failed", "restored"):
            r.bad(row.cells["state"], f"{state!r}: write down or up")
            continue
        if at is None:
            continue
        payload = LinkDown(between=between, reason=r.text(row, "reason")) if state in ("down", "failed") else LinkUp(between=between)
        out.append(NewEntry(at=at, actor=IMPORT_ACTOR, payload=payload))
    return out


def _requests(r: _Reader, table: Table, answers: Table | None) -> list[NewEntry]:
    out: list[NewEntry] = []
    asked: dict[str, tuple[str, str, float]] = {}
    units = {u for a in r.scenario.agencies for u in a.resources}
    for row in table.rows:
        at, sender, to, count = r.moment(row), r.agency(row, "from"), r.agency(row, "to"), r.count(row, "count")
        rid = cell_text(row.values.get("id")).strip()[:64]
        unit = cell_text(row.values.get("unit_type")).strip().lower().replace(" ", "_")
        if unit not in units:
            from exercises.scenario.loading import _did_you_mean

            r.bad(row.cells["unit_type"], f"no agency has units of type {unit!r}{_did_you_mean(unit, units)}")
        if rid in asked:
            r.bad(row.cells["id"], f"request {rid!r} appears twice")
        if at is None or not sender or not to or count is None or not rid or unit not in units:
            continue
        asked[rid] = (sender, unit, at)
        out.append(NewEntry(at=at, agency=sender, actor=IMPORT_ACTOR, payload=ResourceRequested(
            request_id=rid, to=to, unit_type=unit, count=count, text=r.text(row, "text"))))
    for row in answers.rows if answers else []:
        at, count = r.moment(row), r.count(row, "count")
        rid = cell_text(row.values.get("request")).strip()
        if rid not in asked:
            r.bad(row.cells["request"], f"no request {rid!r} on the Requests sheet")
            continue
        sender, unit, requested = asked[rid]
        if at is not None and at < requested:
            r.bad(row.cells["time"], f"answered before request {rid!r} was made")
            continue
        if at is not None and count is not None:
            to = next(e.payload.to for e in out if isinstance(e.payload, ResourceRequested) and e.payload.request_id == rid)
            out.append(NewEntry(at=at, agency=to, actor=IMPORT_ACTOR, payload=ResourceAssigned(
                request_id=rid, requester=sender, unit_type=unit, count=count, queue_wait=0.0)))
    return out


# --- the whole log ----------------------------------------------------------------------------


def read_tables(files: Mapping[str, tuple[str, bytes]]) -> dict[str, Table]:
    """Tables by kind from ``{kind: (file name, bytes)}``; a workbook under the key ``workbook``
    gives one table per sheet present."""
    tables: dict[str, Table] = {}
    try:
        if "workbook" in files:
            name, data = files["workbook"]
            wb = open_workbook(data, name, MAX_ROWS)
            try:
                present = {s.strip().lower() for s in wb.sheetnames}
                for kind in KINDS:
                    if kind in present:
                        tables[kind] = read_sheet(wb, kind, name, KINDS[kind], REQUIRED[kind], MAX_ROWS)
                if not tables:
                    raise SheetError([Problem(name, None, "", f"no sheet named any of {', '.join(k.title() for k in KINDS)}; the workbook has: {', '.join(wb.sheetnames)}")])
            finally:
                wb.close()
        for kind, (name, data) in files.items():
            if kind in KINDS:
                tables[kind] = read_csv(data, name, KINDS[kind], REQUIRED[kind], MAX_ROWS)
    except SheetError as exc:
        raise ScenarioError(exc.problems) from None
    return tables


def parse_incident_log(
    scenario: Scenario, files: Mapping[str, tuple[str, bytes]], clock: RealClock | None = None
) -> IncidentLog:
    """Check every row of every kind against the scenario, then build the journal; all problems at once."""
    tables = read_tables(files)
    reader = _Reader(scenario, clock)
    for table in tables.values():
        reader.problems.extend(table.problems)
    readers: dict[str, Callable[[_Reader, Table], list[NewEntry]]] = {"messages": _messages, "links": _links}
    actions = _actions(reader, tables["actions"]) if "actions" in tables else []
    extra: list[NewEntry] = []
    for kind, read in readers.items():
        if kind in tables:
            extra += read(reader, tables[kind])
    if "requests" in tables:
        extra += _requests(reader, tables["requests"], tables.get("answers"))
    elif "answers" in tables:
        reader.problems.append(Problem(tables["answers"].file, None, "", "answers without a Requests sheet or file", sheet=tables["answers"].sheet))
    if reader.problems:
        raise ScenarioError(reader.problems)
    if not actions and not extra:
        raise ScenarioError([Problem(next(iter(files.values()))[0], None, "", "the log has no rows")])
    counts = {kind: len(tables[kind].rows) for kind in KINDS if kind in tables}
    return IncidentLog(blame_down_links(_merge(imported_journal(scenario, actions), extra)), counts, clock)


def _merge(base: list[NewEntry], extra: list[NewEntry]) -> list[NewEntry]:
    """The import's entries and the log's other kinds in one time order, clock start and end kept."""
    middle = sorted([*base[1:-1], *extra], key=lambda e: e.at)
    end = max(base[-1].at, middle[-1].at if middle else 0.0)
    return [base[0], *middle, base[-1].model_copy(update={"at": end})]
