"""Load, then validate everything, then build: scenario and response-plan files.

Scenario files are untrusted input (designers upload them in the console). Loading is safe
(PyYAML's SafeLoader composer, no object construction from tags), bounded (``MAX_FILE_BYTES``),
refuses anchors and aliases (the "billion laughs" alias bomb) and duplicate keys, and every
problem names the file, the line and the field path. All problems found are reported at once,
as one ``ScenarioError``, before any simulation object exists.
"""

from __future__ import annotations

import copy
import difflib
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from exercises.scenario.media_templates import FACTS, unknown_placeholders
from exercises.scenario.model import (
    STRICT_UNITS,
    AgencyKind,
    CasualtyModel,
    CrowdModel,
    FireModel,
    GeneralModel,
    Inject,
    PartyKind,
    PlanBinding,
    Protocol,
    ResponsePlan,
    Scenario,
    ScenarioFile,
    Trigger,
    developments_of,
)

try:
    from yaml._yaml import CParser as _LibYaml
except ImportError:  # PyYAML built without libyaml
    _LibYaml = None  # type: ignore[assignment, misc]
CParser: type | None = _LibYaml

MAX_FILE_BYTES = 1_000_000
"""A scenario with hundreds of injects is ~100 kB; anything near a megabyte is not a scenario."""

MAX_DEPTH = 32
"""The formats nest at most ~6 deep; deeper input is refused before it is walked."""

SENDERS_OTHER_THAN_AGENCIES = ("simcell", "controller")
"""An inject may come from the simulation cell or a controller rather than from an agency."""

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str
    sheet: str | None = None
    """For a workbook: the sheet, and the ``cell`` (``D14``) the problem is in."""
    cell: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.sheet:
            where = f"{self.file}: {self.sheet}!{self.cell}" if self.cell else f"{self.file}: {self.sheet}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(Exception):
    """Every problem found in one or more scenario or plan files."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _field(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _did_you_mean(value: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- safe YAML with line numbers ---------------------------------------------------------


class _Lines:
    """Line numbers of every field path in one YAML document."""

    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor present in the file."""
        best: int | None = self.lines.get(())
        walked: Path_ = ()
        for part in path:
            candidate = (*walked, part)
            if candidate in self.lines:
                walked = candidate
                best = self.lines[candidate]
        return best


class _Guarded(Composer):
    """The composer both parsers feed: PyYAML's composer, with the depth limit and the record of
    explicit tags enforced node by node while the file is read.

    PyYAML's composer builds nodes recursively, so a file nested a few hundred levels deep ends in
    a RecursionError before any check on the finished tree could run. libyaml's own composer (what
    ``yaml.CSafeLoader`` uses) cannot be given these checks, so with the C parser only the events come
    from C and the nodes are still built here, under the same limits."""

    file: str
    depth: int

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # the parser's, mixed in beside
        line = event.start_mark.line + 1 if event.start_mark else None
        if self.depth >= MAX_DEPTH:
            raise ScenarioError([Problem(self.file, line, "", f"nested more than {MAX_DEPTH} levels deep")])
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        tag = getattr(event, "tag", None)
        if tag is not None and node is not None:
            node.explicit_tag = tag  # type: ignore[attr-defined]  # refused by _to_python, which knows the field's name
        return node


class _SafeComposer(_Guarded, yaml.SafeLoader):
    """The pure-Python parser; scalars are constructed by ``_to_python``, to keep times like
    ``00:05`` as text."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0


_Composer = type[_Guarded]
_PARSERS: list[_Composer] = [_SafeComposer]
if CParser is not None:

    class _CSafeComposer(_Guarded, _LibYaml, SafeConstructor, Resolver):
        """libyaml's scanner and parser (about seven times faster on a scenario) under the same composer."""

        def __init__(self, text: str, file: str) -> None:
            _LibYaml.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
            self.file = file
            self.depth = 0

    _PARSERS.insert(0, _CSafeComposer)

USE_LIBYAML = CParser is not None
"""Read with libyaml where it is installed; a file it refuses is read again by the pure-Python
parser, so a planner gets the same message, naming the same line, either way."""


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters no scenario needs and YAML or a database cannot take: C0 and C1 controls other than
TAB, LF and CR (NUL, ESC, ...), lone surrogates and the non-characters U+FFFE and U+FFFF."""
MAX_REPORTED = 20


def control_characters(text: str, file: str) -> list[Problem]:
    """One problem per line holding a character a scenario may not contain, anywhere (comments too)."""
    problems: list[Problem] = []
    seen_lines: set[int] = set()
    for match in _CONTROL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line in seen_lines:
            continue
        seen_lines.add(line)
        code = f"U+{ord(match.group()):04X}"
        problems.append(Problem(file, line, "", f"control character {code} is not allowed (anywhere in the file)"))
        if len(problems) == MAX_REPORTED:
            break
    return problems


def decode_upload(name: str, raw: bytes) -> str:
    """An uploaded file's text, or the loader's error naming where it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError([Problem(name, line, "", f"not UTF-8 text (byte {exc.start:,})")]) from None


_PLAIN_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
}


def _to_python(
    loader: Any, node: yaml.Node, path: Path_, lines: _Lines, seen: set[int], file: str
) -> Any:
    if id(node) in seen:
        line = lines.lines.get(path, node.start_mark.line + 1)
        raise ScenarioError([Problem(file, line, _field(path), "anchors and aliases (&, *) are not allowed")])
    tag = getattr(node, "explicit_tag", None) or (node.tag if node.tag not in _STANDARD_TAGS else None)
    if tag is not None:
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        raise ScenarioError(
            [Problem(file, node.start_mark.line + 1, _field(path), f"YAML tags ({shown}) are not allowed")]
        )
    if len(path) > MAX_DEPTH:
        raise ScenarioError([Problem(file, node.start_mark.line + 1, _field(path), "nested too deeply")])
    seen.add(id(node))
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ScenarioError(
                    [
                        Problem(
                            file,
                            key_node.start_mark.line + 1,
                            _field(path),
                            "merge keys (<<) are not allowed",
                        )
                    ]
                )
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str) or not key:
                raise ScenarioError(
                    [Problem(file, key_node.start_mark.line + 1, _field(path), "keys must be plain names")]
                )
            if key in out:
                raise ScenarioError(
                    [Problem(file, key_node.start_mark.line + 1, _field((*path, key)), "duplicate key")]
                )
            lines.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _to_python(loader, value_node, (*path, key), lines, seen, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(loader, item, (*path, i), lines, seen, file) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag in _PLAIN_TAGS and ":" in node.value:
        return node.value  # YAML 1.1 would read 00:05 as sexagesimal 5
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError):
        # The resolver takes "0b_" or "._" for numbers that int() and float() then refuse.
        problem = f"{node.value[:40]!r} is not a valid number"
        raise ScenarioError([Problem(file, node.start_mark.line + 1, _field(path), problem)]) from None


def _compose(parser: _Composer, text: str, name: str) -> tuple[Any, _Lines]:
    loader = parser(text, name)  # type: ignore[call-arg]
    try:
        root = loader.get_single_node()
        if root is None:
            raise ScenarioError([Problem(name, None, "", "the file is empty")])
        lines = _Lines()
        return _to_python(loader, root, (), lines, set(), name), lines
    finally:
        loader.dispose()  # type: ignore[attr-defined]


def read_yaml(path: Path | str, text: str | None = None) -> tuple[dict[str, Any], _Lines]:
    """Parse one YAML mapping safely; ``text`` overrides reading ``path`` (uploads)."""
    name = str(path)
    if text is None:
        try:
            size = Path(path).stat().st_size
        except OSError as exc:
            raise ScenarioError([Problem(name, None, "", f"cannot read: {exc.strerror}")]) from None
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                [Problem(name, None, "", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")]
            )
        text = decode_upload(name, Path(path).read_bytes())
    elif len(text.encode("utf-8", errors="surrogatepass")) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(name, None, "", f"file is over the limit of {MAX_FILE_BYTES:,} bytes")])
    controls = control_characters(text, name)
    if controls:
        raise ScenarioError(controls)
    parsers = _PARSERS if USE_LIBYAML else _PARSERS[-1:]
    for parser in parsers[:-1]:
        try:
            data, lines = _compose(parser, text, name)
            break
        except yaml.YAMLError:
            continue  # named by the pure-Python parser, whose messages the planner's table knows
    else:
        try:
            data, lines = _compose(parsers[-1], text, name)
        except yaml.MarkedYAMLError as exc:
            raise ScenarioError([_syntax_problem(name, exc)]) from None
        except yaml.YAMLError as exc:
            raise ScenarioError([Problem(name, None, "", f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, 1, "", "the file must be a mapping of fields (key: value)")])
    return data, lines


_SYNTAX: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed",
     "a colon and a space inside a value start a new field here: put the whole value in quotes "
     '("...") or write it on the next lines after \'>-\''),
    ("cannot start any token", "a character that cannot begin a value here ('@' and '`' are reserved, "
     "'%' begins a directive): put the value in quotes"),
    ("could not find expected ':'",
     "a line that is not 'field: value' where a field is expected (a missing colon, or text that "
     "runs on without being indented under its field)"),
    ("found unexpected end of stream", "a quotation mark is opened here and never closed"),
    ("found unknown escape character",
     "a backslash in double quotes starts an escape: use single quotes, or write \\\\ for a backslash"),
    ("expected ',' or ']'", "a list in [ ] is not closed, or one of its items holds a colon or a comma: "
     "close it with ']' and put such items in quotes"),
    ("expected ',' or '}'", "a mapping in { } is not closed, or one of its values holds a colon or a comma: "
     "close it with '}' and put such values in quotes"),
    ("did not find expected key", "this line does not line up with the fields above it: fields of the "
     "same item start in the same column"),
    ("expected <block end>", "this line does not line up with the lines above it: fields of the same "
     "item start in the same column, and the items of a list each start with '- ' in the same column"),
    ("did not find expected '-' indicator", "this line does not line up with the items of the list above "
     "it: each item starts with '- ' in the same column"),
    ("found undefined alias", "'*' begins an alias, which is not allowed: put the value in quotes"),
    ("found undefined tag handle", "'!' begins a YAML tag, which is not allowed: put the value in quotes"),
)
"""The YAML reader's commonest messages, said the way a planner can act on them."""


def _syntax_problem(file: str, exc: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error at its line, in words; a quote or bracket never closed is named where it
    opens (the reader notices only lines later)."""
    said = str(exc.problem or exc)
    mark = exc.problem_mark or exc.context_mark
    if any(w in str(exc.context or "") for w in ("quoted scalar", "flow")) and exc.context_mark is not None:
        mark = exc.context_mark
    line = mark.line + 1 if mark else None
    if "'\\t'" in said:
        return Problem(file, line, "", "a tab character: indent with spaces only (YAML does not allow tabs)")
    words = next((w for key, w in _SYNTAX if key in said), None)
    return Problem(file, line, "", words or f"the file cannot be read as YAML here (the YAML reader says: {said})")


# --- model validation with line numbers --------------------------------------------------


class FieldErrors(ScenarioError):
    """Problems of the fields themselves, with the path of each in the data and whether it is an
    unknown field (which a second pass of the cross-checks can simply leave out)."""

    def __init__(self, problems: Sequence[Problem], paths: Sequence[tuple[Path_, bool]]) -> None:
        super().__init__(problems)
        self.paths = tuple(paths)


def _validate(model: type[M], data: dict[str, Any], lines: _Lines, file: str) -> M:
    try:
        return model.model_validate(data, context={STRICT_UNITS: True})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    found: list[tuple[Problem, Path_, bool]] = []
    misspelt: set[Path_] = set()
    """Required fields an unknown field beside them is a misspelling of: reported once, as that."""
    for err in errors:
        loc = tuple(err["loc"])
        # Drop the union tags pydantic inserts ('lognormal', 'function-after[...]').
        path = _data_path(data, loc, names_missing_field=err["type"] == "missing")
        message = _message(err)
        typed = loc[-1] if loc else None
        unknown = err["type"] == "extra_forbidden" and isinstance(typed, str)
        if isinstance(typed, str) and unknown:
            close = difflib.get_close_matches(typed, list(_fields_at(model, loc[:-1])), n=1)
            message += f" (did you mean {close[0]!r}?)" if close else ""
            misspelt |= {(*path[:-1], close[0])} if close else set()
        found.append((Problem(file, lines.line_of(path), _field(path), message), path, unknown))
    items_wrong = {path[:n] for _, path, _ in found for n in range(len(path))}
    """Lists with an item in error: that the list is then too short follows from it."""
    kept = [(problem, path, unknown) for problem, path, unknown in found
            if not (problem.message == "required field is missing" and path in misspelt)
            and not (problem.message.startswith("needs at least") and path in items_wrong)]
    # Every path goes to the second pass, the folded ones too: it stands in for them all.
    raise FieldErrors([k[0] for k in kept], [(path, unknown) for _, path, unknown in found]) from None


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> set[str]:
    """The field names (as written in a file) of the models ``loc`` can point into; pydantic's union
    tags and list indexes in ``loc`` keep the models reached so far."""
    models: set[type[BaseModel]] = {model}
    for part in loc:
        if not isinstance(part, str):
            continue
        reached = {inner for m in models for name, info in m.model_fields.items()
                   if part in (name, info.alias) for inner in _models_in(info.annotation)}
        models = reached or models
    return {info.alias or name for m in models for name, info in m.model_fields.items()}


def _models_in(annotation: Any) -> set[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation}
    return {m for arg in typing.get_args(annotation) for m in _models_in(arg)}


def _data_path(data: Any, loc: tuple[Any, ...], *, names_missing_field: bool) -> Path_:
    path: list[str | int] = []
    node = data
    for n, part in enumerate(loc):
        last = n == len(loc) - 1
        if isinstance(node, Mapping) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif (
            last
            and names_missing_field
            and isinstance(node, Mapping)
            and isinstance(part, str)
            and _is_field_like(part)
        ):
            path.append(part)  # a missing field: name it (pydantic's union tags are skipped)
    return tuple(path)


def _is_field_like(part: str) -> bool:
    return part.replace("_", "").isalnum() and not part.startswith("function")


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"needs a '{err.get('ctx', {}).get('discriminator', '').strip(chr(39))}' field"
    if kind == "enum":
        return f"{err['input']!r} is not one of {err.get('ctx', {}).get('expected')}"
    if kind == "too_short":
        least = err.get("ctx", {}).get("min_length", 1)
        return "needs at least one entry" if least == 1 else f"needs at least {least} entries"
    if kind == "string_pattern_mismatch":
        return f"{err['input']!r} is not a valid name (lowercase letters, digits and _; ids of injects and protocols have their own forms)"
    message = str(err["msg"])
    return message.removeprefix("Value error, ")


# --- response plans ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPlan:
    plan: ResponsePlan
    file: str
    lines: _Lines


def load_plan(path: Path | str) -> ResponsePlan:
    return _load_plan(path).plan


def _load_plan(path: Path | str) -> LoadedPlan:
    file = str(path)
    data, lines = read_yaml(path)
    plan = _validate(ResponsePlan, data, lines, file)
    problems = _check_plan(plan, lines, file)
    if Path(path).stem != plan.id:
        problems.append(
            Problem(
                file,
                lines.line_of(("id",)),
                "id",
                f"plan id {plan.id!r} must match the file name {Path(path).stem!r}",
            )
        )
    if problems:
        raise ScenarioError(problems)
    return LoadedPlan(plan, file, lines)


def _check_plan(plan: ResponsePlan, lines: _Lines, file: str) -> list[Problem]:
    problems: list[Problem] = []

    def bad(path: Path_, message: str) -> None:
        problems.append(Problem(file, lines.line_of(path), _field(path), message))

    actions = {a.id for a in plan.actions}
    events = {e.id for e in plan.events}
    _unique(plan.actions, "actions", "action", bad)
    _unique(plan.events, "events", "event", bad)
    seen: set[str] = set()
    for i, proto in enumerate(plan.protocols):
        at: Path_ = ("protocols", i)
        if proto.id in seen:
            bad((*at, "id"), f"duplicate protocol id {proto.id!r}")
        seen.add(proto.id)
        if proto.who not in plan.roles:
            bad((*at, "who"), f"unknown role {proto.who!r}{_did_you_mean(proto.who, plan.roles)}")
        if proto.must not in actions:
            bad(
                (*at, "must"),
                f"action {proto.must!r} is not in the plan's actions{_did_you_mean(proto.must, actions)}",
            )
        if proto.when.action and proto.when.action not in actions:
            bad(
                (*at, "when", "action"),
                f"action {proto.when.action!r} is not in the plan's actions{_did_you_mean(proto.when.action, actions)}",
            )
        if proto.when.by and proto.when.by not in plan.roles:
            bad(
                (*at, "when", "by"),
                f"unknown role {proto.when.by!r}{_did_you_mean(proto.when.by, plan.roles)}",
            )
        if proto.when.event and proto.when.event not in events:
            bad(
                (*at, "when", "event"),
                f"event {proto.when.event!r} is not in the plan's events{_did_you_mean(proto.when.event, events)}",
            )
    _check_plan_rules(plan, bad)
    return problems


def _check_plan_rules(plan: ResponsePlan, bad: Any) -> None:
    """Functions, authorities, categories and agreements name what the plan declares."""
    actions = {a.id for a in plan.actions}
    functions = {f.id for f in plan.functions}
    categories = {c.id for c in plan.categories}
    _unique(plan.functions, "functions", "function", bad)
    _unique(plan.categories, "categories", "category", bad)
    _unique(plan.agreements, "agreements", "agreement", bad)

    def named(path: Path_, value: str, known: Iterable[str], what: str) -> None:
        known = list(known)
        if value not in known:
            bad(path, f"{what} {value!r} is not declared in the plan{_did_you_mean(value, known)}")

    for i, action in enumerate(plan.actions):
        if action.function is not None:
            named(("actions", i, "function"), action.function, functions, "function")
    for i, auth in enumerate(plan.authorities):
        named(("authorities", i, "role"), auth.role, plan.roles, "role")
        for k, function in enumerate(auth.functions):
            named(("authorities", i, "functions", k), function, functions, "function")
        if auth.supervised_by is not None:
            named(("authorities", i, "supervised_by"), auth.supervised_by, plan.roles, "role")
    for i, agr in enumerate(plan.agreements):
        named(("agreements", i, "from"), agr.from_, plan.roles, "role")
        for k, role in enumerate(agr.to):
            named(("agreements", i, "to", k) if len(agr.to) > 1 else ("agreements", i, "to"), role, plan.roles, "role")
        for k, category in enumerate(agr.categories):
            named(("agreements", i, "categories", k), category, categories, "category")
        if agr.log_onward is not None:
            named(("agreements", i, "log_onward"), agr.log_onward, actions, "action")


def _unique(items: Sequence[Any], field: str, what: str, bad: Any) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            bad((field, i, "id"), f"duplicate {what} id {item.id!r}")
        seen.add(item.id)


class PlansFolderMissing(dict[str, LoadedPlan]):
    """No plans, because their folder is not there (a scenario copied without its ``plans/``): the
    scenario's check says so once, instead of once per action and event of every plan it applies."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder


def load_plans(folder: Path | str) -> dict[str, LoadedPlan]:
    """Every plan in ``folder`` (``*.yaml``), by id; all their problems together."""
    if not Path(folder).is_dir():
        return PlansFolderMissing(Path(folder))
    plans: dict[str, LoadedPlan] = {}
    problems: list[Problem] = []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            loaded = _load_plan(path)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        plans[loaded.plan.id] = loaded
    if problems:
        raise ScenarioError(problems)
    return plans


# --- scenarios ---------------------------------------------------------------------------


def default_plans_folder(scenario_path: Path | str) -> Path:
    """Plans live in ``plans/`` beside the ``scenarios/`` folder (``data/plans``)."""
    return Path(scenario_path).resolve().parent.parent / "plans"


def load_scenario(
    path: Path | str,
    plans: Mapping[str, LoadedPlan] | Path | str | None = None,
    *,
    text: str | None = None,
) -> Scenario:
    """Load, validate and build one scenario. ``text`` overrides reading ``path`` (an upload)."""
    file = str(path)
    if plans is None:
        plans = default_plans_folder(path)
    if not isinstance(plans, Mapping):
        plans = load_plans(plans)
    data, lines = read_yaml(path, text)
    if isinstance(data.get("msel"), str):
        from exercises.documents.msel_sheet import msel_beside

        data = {**data, "msel": msel_beside(path, data["msel"], lines.line_of(("msel",)), uploaded=text is not None, plans=plans)}
    return build_scenario(file, data, lines, plans)


def build_scenario(
    file: str, data: dict[str, Any], lines: _Lines, plans: Mapping[str, LoadedPlan]
) -> Scenario:
    """Validate parsed scenario data and build it; MSEL rows read from a sheet keep their cells."""
    try:
        parsed = _validate(ScenarioFile, data, lines, file)
        problems = _check_scenario(parsed, plans, lines, file)
    except FieldErrors as exc:
        problems = [*exc.problems, *_checks_of_the_rest(data, exc, plans, lines, file)]
        raise ScenarioError(_located(problems, data.get("msel"))) from None
    except ScenarioError as exc:
        raise ScenarioError(_located(exc.problems, data.get("msel"))) from None
    problems = _located(problems, data.get("msel"))
    if problems:
        raise ScenarioError(problems)
    applied = tuple(plans[b.plan].plan for b in parsed.response_plans)
    protocols = tuple(p for b in parsed.response_plans for p in _bind(plans[b.plan].plan, b))
    return Scenario.model_validate(
        {**parsed.model_dump(by_alias=True, round_trip=True), "plans": applied, "protocols": protocols}
    )


_PLAIN = frozenset({list, tuple, dict, str, int, float, bool, type(None)})
"""What YAML gives (an MSEL read from a sheet is a list of its own class, ``SheetMsel``)."""


def _located(problems: Sequence[Problem], msel: Any) -> list[Problem]:
    """Problems with MSEL fields read from a sheet moved to their cells (``sheet_locations``). An MSEL
    written in the file is plain data: the sheet's module (and the views it imports) is not imported
    for it, which every load of a scenario would otherwise pay (the command line's start included)."""
    if type(msel) in _PLAIN:
        return list(problems)
    from exercises.documents.msel_sheet import sheet_locations

    return sheet_locations(problems, msel)


ITEM_LISTS = ("agencies", "links", "actions", "events", "objectives", "response_plans", "msel", "capability_targets")
"""Lists whose items the cross-checks can do without: an item with a field error is left out of the
second pass, and references to its id are taken as known (the field error already names it)."""
DEVELOPMENTS_PATH: Path_ = ("simulation", "incident", "developments")
"""A general incident model's developments: a list whose items the cross-checks can also do without."""

STAND_INS: dict[str, Any] = {
    "id": "scenario", "name": "-", "summary": "-", "threat_or_hazard": "-", "location": "-", "sponsor": "-",
    "exercise_type": "tabletop", "mission_areas": ["response"], "points_of_contact": {},
    "duration": "10000h", "media": None,
}
"""Top-level fields no cross-check reads (or, for ``duration``, whose check is skipped when it is broken):
a field error there is stood in for in the second pass."""


@dataclass(frozen=True)
class Salvage:
    """The scenario without the parts that failed field validation, for a second pass of cross-checks:
    the problems of the rest are reported with the field errors, in the same run."""

    kept: Mapping[str, Sequence[int]]
    """For each list with items left out: the index in the file of each item kept."""
    left_out: Mapping[str, frozenset[str]]
    """For each list: the ids of the items left out."""
    stood_in: frozenset[str]

    def where(self, path: Path_) -> Path_:
        """The path in the file of a path in the salvaged scenario."""
        if len(path) > 1 and isinstance(path[0], str) and path[0] in self.kept and isinstance(path[1], int):
            return (path[0], self.kept[path[0]][path[1]], *path[2:])
        n = len(DEVELOPMENTS_PATH)
        item = path[n] if len(path) > n and path[:n] == DEVELOPMENTS_PATH else None
        if isinstance(item, int) and "developments" in self.kept:
            return (*DEVELOPMENTS_PATH, self.kept["developments"][item], *path[n + 1:])
        return path

    def known(self, items: str, value: str) -> bool:
        return value in self.left_out.get(items, frozenset())


def _checks_of_the_rest(
    data: dict[str, Any], errors: FieldErrors, plans: Mapping[str, LoadedPlan], lines: _Lines, file: str
) -> list[Problem]:
    """The cross-checks of everything the field errors did not touch; none that a field error already
    names. Nothing when the broken parts cannot be left out (the incident model, a required list)."""
    salvaged = _salvage(data, errors.paths)
    if salvaged is None:
        return []
    rest, salvage = salvaged
    try:
        parsed = ScenarioFile.model_validate(rest, context={STRICT_UNITS: True})
    except ValidationError:
        return []
    named = {p.field for p in errors.problems}
    return [p for p in _ScenarioCheck(parsed, plans, lines, file, salvage).run() if p.field not in named]


def _salvage(data: dict[str, Any], paths: Sequence[tuple[Path_, bool]]) -> tuple[dict[str, Any], Salvage] | None:
    rest = copy.deepcopy(data)
    dropped: dict[str, set[int]] = {}
    stood_in: set[str] = set()
    for path, unknown in sorted(paths, key=lambda p: not p[1]):
        top = path[0] if path else None
        if unknown and _leave_out_field(rest, path):
            continue
        if len(path) >= 2 and top in ITEM_LISTS and isinstance(path[1], int):
            dropped.setdefault(str(top), set()).add(path[1])
        elif len(path) > 4 and path[:3] == DEVELOPMENTS_PATH and isinstance(path[3], int):
            dropped.setdefault("developments", set()).add(path[3])
        elif isinstance(top, str) and top in STAND_INS:
            stood_in.add(top)
        elif not (len(path) >= 3 and path[:2] == ("simulation", "actions") and _leave_out_field(rest, path[:3])):
            return None  # the incident model, a required list: the other checks would only guess
    for top in stood_in:
        if STAND_INS[top] is None:
            rest.pop(top, None)
        else:
            rest[top] = STAND_INS[top]
    return rest, _left_out(rest, dropped, frozenset(stood_in))


def _left_out(rest: dict[str, Any], dropped: Mapping[str, set[int]], stood_in: frozenset[str]) -> Salvage:
    """Leave the items ``dropped`` out of ``rest``'s lists, remembering where the others were."""
    left_out: dict[str, frozenset[str]] = {}
    kept: dict[str, list[int]] = {}
    for top, gone in dropped.items():
        holder = rest["simulation"]["incident"] if top == "developments" else rest
        items = holder[top]
        left_out[top] = frozenset(str(items[i].get("id")) for i in gone if isinstance(items[i], dict))
        kept[top] = [i for i in range(len(items)) if i not in gone]
        holder[top] = [items[i] for i in kept[top]]
    return Salvage(kept, left_out, stood_in)


def _leave_out_field(data: Any, path: Path_) -> bool:
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(node, dict):
        return False
    node.pop(path[-1], None)
    return True


def _bind(plan: ResponsePlan, binding: PlanBinding) -> list[Protocol]:
    out = []
    for proto in plan.protocols:
        agencies = binding.roles[proto.who]
        if proto.when.action:
            trigger = Trigger(
                kind="action",
                name=proto.when.action,
                agencies=binding.roles[proto.when.by] if proto.when.by else (),
            )
        elif proto.when.event:
            trigger = Trigger(kind="event", name=proto.when.event)
        else:
            trigger = Trigger(kind="exercise_start")
        for agency in agencies:
            if proto.when.by is not None and proto.when.by == proto.who:
                # Same role triggers and answers: each agency answers for its own trigger
                # (the sheriff documents the sheriff's use of force, not the police's).
                trigger = trigger.model_copy(update={"agencies": (agency,)})
            out.append(
                Protocol(
                    id=proto.id if len(agencies) == 1 else f"{proto.id}/{agency}",
                    plan=plan.id,
                    plan_name=plan.name,
                    title=proto.title,
                    trigger=trigger,
                    agency=agency,
                    action=proto.must,
                    within=proto.within,
                    before_trigger=proto.before_trigger,
                    repeats=proto.repeats,
                    critical=proto.critical,
                    capability=proto.capability,
                    source=proto.source,
                    corrective_action=proto.corrective_action or plan.corrective_action,
                    elements=proto.elements or plan.elements,
                    rights_step=proto.rights_step,
                )
            )
    return out


def _check_scenario(
    sc: ScenarioFile, plans: Mapping[str, LoadedPlan], lines: _Lines, file: str
) -> list[Problem]:
    return _ScenarioCheck(sc, plans, lines, file).run()


class _ScenarioCheck:
    """The scenario's cross-checks, one named step each; every problem is collected, none stops the rest."""

    def __init__(
        self, sc: ScenarioFile, plans: Mapping[str, LoadedPlan], lines: _Lines, file: str,
        salvage: Salvage | None = None,
    ) -> None:
        self.sc, self.plans, self.lines, self.file = sc, plans, lines, file
        self.salvage = salvage or Salvage({}, {}, frozenset())
        self.plans_unread = False
        """An applied plan is missing: names that may be its actions and events are not checked."""
        self.problems: list[Problem] = []
        self.agencies = {a.id: a for a in sc.agencies}
        self.vocab = {a.id for a in sc.actions}
        self.events = {e.id for e in sc.events}
        self.pairs: set[frozenset[str]] = set()
        self.injects: set[str] = set()

    def run(self) -> list[Problem]:
        for step in (self.ids, self.parties, self.plan_bindings, self.plans_applied_once, self.links, self.msel,
                     self.simulation_actions, self.unit_type_names, self.incident_model, self.media,
                     self.reachability, self.action_functions, self.inject_categories, self.pitfalls,
                     self.capability_targets):
            step()
        return self.problems

    def bad(self, path: Path_, message: str) -> None:
        path = self.salvage.where(path)
        self.problems.append(Problem(self.file, self.lines.line_of(path), _field(path), message))

    def agency(self, path: Path_, value: str, extra: Iterable[str] = ()) -> None:
        if value not in self.agencies and value not in extra and not self.salvage.known("agencies", value):
            self.bad(path, f"unknown agency {value!r}{_did_you_mean(value, [*self.agencies, *extra])}")

    def action(self, path: Path_, value: str) -> None:
        if value not in self.vocab and not self.plans_unread and not self.salvage.known("actions", value):
            self.bad(path, f"action {value!r} is not in the vocabulary{_did_you_mean(value, self.vocab)}")

    def event(self, path: Path_, value: str) -> None:
        if value not in self.events and not self.plans_unread and not self.salvage.known("events", value):
            self.bad(path, f"event {value!r} is not declared{_did_you_mean(value, self.events)}")

    def ids(self) -> None:
        sc = self.sc
        _unique(sc.agencies, "agencies", "agency", self.bad)
        _unique(sc.actions, "actions", "action", self.bad)
        _unique(sc.events, "events", "event", self.bad)
        _unique(sc.objectives, "objectives", "objective", self.bad)
        self.agency(("lead_agency",), sc.lead_agency)

    def parties(self) -> None:
        """Senders and receivers outside the agency list: ids of their own, a unit or person within a
        listed agency."""
        _unique(self.sc.parties, "parties", "party", self.bad)
        for i, party in enumerate(self.sc.parties):
            if party.id in self.agencies:
                self.bad(("parties", i, "id"), f"{party.id!r} is already an agency's id: a party needs an id of its own")
            if party.within is not None:
                self.agency(("parties", i, "within"), party.within)
            elif party.kind in (PartyKind.UNIT, PartyKind.PERSON):
                self.bad(("parties", i), f"a {party.kind.value} belongs to an agency: say which ('within: fire')")

    def plan_bindings(self) -> None:
        """Each plan applied exists and has its roles bound to agencies; the vocabulary grows by its
        actions and events."""
        if isinstance(self.plans, PlansFolderMissing) and self.sc.response_plans:
            self.plans_unread = True
            applied = ", ".join(repr(b.plan) for b in self.sc.response_plans)
            self.bad(("response_plans",), f"the response plans it applies ({applied}) are read from a folder "
                     f"{self.plans.folder.name}/ beside the folder {Path(self.file).parent.name}/, and there is none: "
                     "copy the plans folder with the scenario (the plans' actions and events are checked once "
                     "it is there)")
            return
        for i, binding in enumerate(self.sc.response_plans):
            loaded = self.plans.get(binding.plan)
            if loaded is None:
                self.plans_unread = True
                self.bad(("response_plans", i, "plan"),
                         f"no response plan {binding.plan!r}{_did_you_mean(binding.plan, self.plans)}")
                continue
            self.vocab |= {a.id for a in loaded.plan.actions}
            self.events |= {e.id for e in loaded.plan.events}
            self.roles(i, binding, loaded.plan)

    def roles(self, i: int, binding: PlanBinding, plan: ResponsePlan) -> None:
        needed = {p.who for p in plan.protocols} | {p.when.by for p in plan.protocols if p.when.by}
        needed |= {a.role for a in plan.authorities} | {a.supervised_by for a in plan.authorities if a.supervised_by}
        needed |= {a.from_ for a in plan.agreements} | {role for a in plan.agreements for role in a.to}
        for role in sorted(needed - set(binding.roles)):
            self.bad(("response_plans", i, "roles"), f"plan {binding.plan!r} needs role {role!r} bound to an agency")
        for role, ids in binding.roles.items():
            if role not in plan.roles:
                self.bad(("response_plans", i, "roles", role),
                         f"plan {binding.plan!r} has no role {role!r}{_did_you_mean(role, plan.roles)}")
            for k, agency_id in enumerate(ids):
                path: Path_ = ("response_plans", i, "roles", role)
                self.agency((*path, k) if len(ids) > 1 else path, agency_id)

    def plans_applied_once(self) -> None:
        seen: set[str] = set()
        owner: dict[str, str] = {}
        for i, binding in enumerate(self.sc.response_plans):
            if binding.plan in seen:
                self.bad(("response_plans", i, "plan"), f"plan {binding.plan!r} is applied twice")
            seen.add(binding.plan)
            if binding.plan not in self.plans:
                continue
            for proto in self.plans[binding.plan].plan.protocols:
                other = owner.setdefault(proto.id, binding.plan)
                if other != binding.plan:
                    self.bad(("response_plans", i, "plan"),
                             f"protocol id {proto.id!r} is in both {other!r} and {binding.plan!r}: "
                             "findings would be ambiguous; rename one")

    def links(self) -> None:
        for i, link in enumerate(self.sc.links):
            for k, end in enumerate(link.between):
                self.agency(("links", i, "between", k), end)
            if link.key in self.pairs:
                self.bad(("links", i, "between"),
                         f"a second link between {link.between[0]!r} and {link.between[1]!r}")
            self.pairs.add(link.key)

    def msel(self) -> None:
        for i, inj in enumerate(self.sc.msel):
            at: Path_ = ("msel", i)
            if inj.id in self.injects:
                self.bad((*at, "id"), f"duplicate inject id {inj.id!r}")
            self.injects.add(inj.id)
            if inj.time > self.sc.duration and "duration" not in self.salvage.stood_in:
                self.bad((*at, "time"), f"{inj.time / 60:g} min is after the end of the scenario "
                                        f"({self.sc.duration / 60:g} min)")
            self.inject_references(at, inj)

    def inject_references(self, at: Path_, inj: Inject) -> None:
        self.agency((*at, "from"), inj.from_, SENDERS_OTHER_THAN_AGENCIES)
        for k, to in enumerate(inj.to):
            self.agency((*at, "to", k) if len(inj.to) > 1 else (*at, "to"), to)
        for k, act in enumerate(inj.expected_actions):
            self.action((*at, "expected_actions", k), act)
        for k, ev in enumerate(inj.raises):
            self.event((*at, "raises", k), ev)
        objectives = {o.id for o in self.sc.objectives} | self.salvage.left_out.get("objectives", frozenset())
        if inj.objective and inj.objective not in objectives:
            self.bad((*at, "objective"),
                     f"unknown objective {inj.objective!r}{_did_you_mean(inj.objective, objectives)}")
        if inj.condition:
            self.action((*at, "condition", "action"), inj.condition.action)
            if inj.condition.by_agency:
                self.agency((*at, "condition", "by_agency"), inj.condition.by_agency)
        if inj.effect:
            for name in ("link_down", "link_up"):
                ends = getattr(inj.effect, name)
                if ends and frozenset(ends) not in self.pairs and "links" not in self.salvage.kept:
                    self.bad((*at, "effect", name), f"no link between {ends[0]!r} and {ends[1]!r}")

    def capability_targets(self) -> None:
        """A designer's capability target belongs to one objective and one of that objective's
        capabilities; a task's agency is one of the scenario's."""
        _unique(self.sc.capability_targets, "capability_targets", "capability target", self.bad)
        objectives = {o.id: o for o in self.sc.objectives}
        for i, target in enumerate(self.sc.capability_targets):
            at: Path_ = ("capability_targets", i)
            if target.id == "msel":
                self.bad((*at, "id"), "'msel' names the EEG's target of MSEL expected actions: choose another id")
            objective = objectives.get(target.objective)
            if objective is None and not self.salvage.known("objectives", target.objective):
                self.bad((*at, "objective"),
                         f"unknown objective {target.objective!r}{_did_you_mean(target.objective, objectives)}")
            elif objective is not None and target.capability not in objective.capabilities:
                named = "; ".join(objective.capabilities)
                self.bad((*at, "capability"), f"{target.capability!r} is not a capability of objective "
                         f"{target.objective!r} (it names: {named})")
            for k, task in enumerate(target.critical_tasks):
                if task.agency is not None:
                    self.agency((*at, "critical_tasks", k, "agency"), task.agency)

    def simulation_actions(self) -> None:
        unit_types = {u for a in self.sc.agencies for u in a.resources}
        for name, sim in self.sc.simulation.actions.items():
            self.action(("simulation", "actions", name), name)
            if sim.uses and sim.uses not in unit_types and "agencies" not in self.salvage.kept:
                self.bad(("simulation", "actions", name, "uses"),
                         f"no agency has units of type {sim.uses!r}{_did_you_mean(sim.uses, unit_types)}")

    def unit_type_names(self) -> None:
        unit_types = {u for a in self.sc.agencies for u in a.resources}
        for name in self.sc.unit_types:
            if name not in unit_types:
                self.bad(("unit_types", name),
                         f"no agency has units of type {name!r}{_did_you_mean(name, unit_types)}")

    def incident_model(self) -> None:
        sc, inc = self.sc, self.sc.simulation.incident
        base: Path_ = ("simulation", "incident")
        model_class, model_name = _INCIDENT_MODELS.get(sc.kind, (GeneralModel, "general"))
        if not isinstance(inc, model_class | GeneralModel):
            self.bad((*base, "model"), f"a {sc.kind} scenario uses the {model_name!r} model (or the 'general' one)"
                     if model_class is not GeneralModel else f"a {sc.kind} scenario uses the 'general' model")
        if isinstance(inc, CrowdModel):
            for field in ("calming_actions", "inflaming_actions"):
                for k, act in enumerate(getattr(inc, field)):
                    self.action((*base, field, k), act)
        elif isinstance(inc, CasualtyModel):
            self.action((*base, "treat_action"), inc.treat_action)
            self.action((*base, "transport_action"), inc.transport_action)
            beds = {u for a in sc.agencies if a.kind == AgencyKind.HOSPITAL for u in a.resources}
            if inc.bed_unit not in beds and "agencies" not in self.salvage.kept:
                self.bad((*base, "bed_unit"),
                         f"no hospital has units of type {inc.bed_unit!r}{_did_you_mean(inc.bed_unit, beds)}")
        elif isinstance(inc, FireModel):
            self.action((*base, "contain_action"), inc.contain_action)
            self.action((*base, "evacuate_action"), inc.evacuate_action)
        elif isinstance(inc, GeneralModel):
            _GeneralCheck(self, inc).run()
        self.developments(inc.model, self.development_ids())

    def development_ids(self) -> list[str]:
        """The incident model's developments, with those left aside for field errors of their own."""
        return [*developments_of(self.sc.simulation.incident), *sorted(self.salvage.left_out.get("developments", ()))]

    def developments(self, model: str, developments: Sequence[str]) -> None:
        for name, raised in self.sc.simulation.raises.items():
            if name not in developments:
                self.bad(("simulation", "raises", name), f"{name!r} is not a development of the {model!r} model "
                         f"(one of: {', '.join(developments)}){_did_you_mean(name, developments)}")
            for k, ev in enumerate(raised):
                self.event(("simulation", "raises", name, k), ev)

    def media(self) -> None:
        if self.sc.media is not None:
            injects = self.injects | self.salvage.left_out.get("msel", frozenset())
            _check_media(self.sc, self.vocab, self.events, injects, self.bad, plans_unread=self.plans_unread,
                         developments=self.development_ids())

    def reachability(self) -> None:
        """Every agency can reach the lead agency over the links, or the file says why not."""
        sc = self.sc
        if sc.lead_agency not in self.agencies or {"agencies", "links"} & set(self.salvage.kept):
            return  # an agency or link left out for its own errors would make others look cut off
        graph = nx.Graph()
        graph.add_nodes_from(self.agencies)
        graph.add_edges_from(link.between for link in sc.links if all(e in self.agencies for e in link.between))
        reachable = nx.node_connected_component(graph, sc.lead_agency)
        for i, ag in enumerate(sc.agencies):
            if ag.id not in reachable and not ag.isolated_reason:
                self.bad(("agencies", i, "id"),
                         f"agency {ag.id!r} has no link path to the lead agency {sc.lead_agency!r} "
                         "(add a link, or say why in 'isolated_reason')")


    def action_functions(self) -> None:
        """A scenario's own action may exercise a function declared by a plan it applies."""
        functions = {f.id for b in self.sc.response_plans if b.plan in self.plans
                     for f in self.plans[b.plan].plan.functions}
        for i, action in enumerate(self.sc.actions):
            if action.function is not None and action.function not in functions:
                self.bad(("actions", i, "function"), f"function {action.function!r} is not declared by an "
                         f"applied response plan{_did_you_mean(action.function, functions)}")

    def inject_categories(self) -> None:
        """An inject carries information categories declared by a plan it applies."""
        categories = {c.id for b in self.sc.response_plans if b.plan in self.plans
                      for c in self.plans[b.plan].plan.categories}
        for i, inj in enumerate(self.sc.msel):
            for k, category in enumerate(inj.categories):
                if category not in categories:
                    self.bad(("msel", i, "categories", k), f"information category {category!r} is not declared "
                             f"by an applied response plan{_did_you_mean(category, categories)}")


    def pitfalls(self) -> None:
        """A pitfall names an agency, an inject, categories and a recipient the scenario declares."""
        categories = {c.id for b in self.sc.response_plans if b.plan in self.plans
                      for c in self.plans[b.plan].plan.categories}
        injects = {i.id for i in self.sc.msel}
        for i, pit in enumerate(self.sc.simulation.pitfalls):
            at: Path_ = ("simulation", "pitfalls", i)
            self.agency((*at, "agency"), pit.agency)
            self.agency((*at, "with"), pit.with_)
            if pit.after_inject not in injects:
                self.bad((*at, "after_inject"), f"inject {pit.after_inject!r} is not on the MSEL"
                         f"{_did_you_mean(pit.after_inject, injects)}")
            for k, category in enumerate(pit.shares):
                if category not in categories:
                    self.bad((*at, "shares", k), f"information category {category!r} is not declared by an "
                             f"applied response plan{_did_you_mean(category, categories)}")


class _GeneralCheck:
    """A general incident model's cross-checks: unique ids, what each development comes after (known,
    and no cycle), the actions and agencies of its responses, the units, links and events it names."""

    def __init__(self, check: _ScenarioCheck, inc: GeneralModel) -> None:
        self.check, self.inc = check, inc
        self.base: Path_ = DEVELOPMENTS_PATH
        self.ids = [d.id for d in inc.developments]
        self.left_out = check.salvage.left_out.get("developments", frozenset())
        """Developments with field errors of their own: named already, so what comes after them is not wrong."""

    def run(self) -> None:
        seen: set[str] = set()
        for i, dev in enumerate(self.inc.developments):
            if dev.id in seen:
                self.check.bad((*self.base, i, "id"), f"duplicate development id {dev.id!r}")
            seen.add(dev.id)
        for i, dev in enumerate(self.inc.developments):
            at: Path_ = (*self.base, i)
            if dev.after is not None and dev.after not in self.ids and dev.after not in self.left_out:
                self.check.bad((*at, "after"), f"comes after {dev.after!r}, which is not a development of the "
                               f"incident{_did_you_mean(dev.after, self.ids)}")
            if dev.after == dev.id:
                self.check.bad((*at, "after"), f"{dev.id!r} cannot come after itself")
            self.responses(at, dev.responses)
            self.effects(at, dev)
        self.cycles()

    def responses(self, at: Path_, responses: Sequence[Any]) -> None:
        for k, response in enumerate(responses):
            self.check.action((*at, "responses", k, "action"), response.action)
            if response.agency is not None:
                self.check.agency((*at, "responses", k, "agency"), response.agency)

    def effects(self, at: Path_, dev: Any) -> None:
        check = self.check
        for k, ev in enumerate(dev.raises):
            check.event((*at, "raises", k), ev)
        for field in ("links_down", "links_up"):
            for k, ends in enumerate(getattr(dev, field)):
                if frozenset(ends) not in check.pairs and "links" not in check.salvage.kept:
                    check.bad((*at, field, k), f"no link between {ends[0]!r} and {ends[1]!r}")
        for k, told in enumerate(dev.tells):
            check.agency((*at, "tells", k), told)
        for k, need in enumerate(dev.demand):
            check.agency((*at, "demand", k, "agency"), need.agency)
            agency = check.agencies.get(need.agency)
            if agency is not None and need.unit not in agency.resources:
                check.bad((*at, "demand", k, "unit"), f"{agency.name} has no units of type {need.unit!r}"
                          f"{_did_you_mean(need.unit, agency.resources)}")

    def cycles(self) -> None:
        """Developments that each wait for another in a ring can never happen: one problem per ring,
        at its first development in the file."""
        after = {d.id: d.after for d in self.inc.developments if d.after in self.ids and d.after != d.id}
        graph = nx.DiGraph(list(after.items()))
        firsts = sorted(min(ring, key=self.ids.index) for ring in nx.simple_cycles(graph))
        for first in sorted(firsts, key=self.ids.index):
            walk = [first]
            while (following := after[walk[-1]]) != first:
                walk.append(following)
            said = " -> ".join(repr(d) for d in [*walk, first])
            self.check.bad((*self.base, self.ids.index(first), "after"),
                           f"these developments each come after the next in a ring, so none of them can happen: "
                           f"{said} (one of them must come after another development, or count from the start)")


_INCIDENT_MODELS: dict[str, tuple[type, str]] = {
    "civil_disturbance": (CrowdModel, "crowd"),
    "mass_casualty": (CasualtyModel, "casualties"),
    "facility_incident": (FireModel, "fire"),
}
"""Which incident model each scenario kind uses, and its name in the file."""


def _check_media(
    sc: ScenarioFile, vocab: set[str], events: set[str], injects: set[str], bad: Any, *, plans_unread: bool = False,
    developments: Sequence[str] | None = None,
) -> None:
    """The media layer's cross-references: outlets, topics, triggers, agencies and templates; actions
    and events are not checked while an applied plan is missing (they may be its own)."""
    media = sc.media
    assert media is not None
    base: Path_ = ("media",)
    agencies = {a.id: a for a in sc.agencies}
    _unique(media.outlets, "outlets", "outlet", lambda path, msg: bad((*base, *path), msg))
    _unique(media.rumours, "rumours", "rumour", lambda path, msg: bad((*base, *path), msg))
    outlets = {o.id for o in media.outlets}
    developments = developments if developments is not None else developments_of(sc.simulation.incident)

    def named(path: Path_, value: str, known: Iterable[str], what: str) -> None:
        known = list(known)
        if plans_unread and what in ("action", "event"):
            return
        if value not in known:
            bad(path, f"{what} {value!r} is not declared{_did_you_mean(value, known)}")

    def template(path: Path_, text: str) -> None:
        for name in unknown_placeholders(text):
            bad(path, f"{{{name}}} is not a fact a template can name (one of: {', '.join(FACTS)})")

    def trigger(path: Path_, when: Any) -> None:
        if when.inject is not None:
            named((*path, "inject"), when.inject, injects, "inject")
        if when.event is not None:
            named((*path, "event"), when.event, events, "event")
        if when.development is not None:
            named((*path, "development"), when.development, developments, "development")
        if when.action is not None:
            named((*path, "action"), when.action, vocab, "action")
        if when.by is not None:
            named((*path, "by"), when.by, agencies, "agency")
        if when.silence and media.silence_after is None:
            bad((*path, "silence"), "a silence reaction needs 'silence_after' in the media section")

    for k, act in enumerate(media.statement_actions):
        named((*base, "statement_actions", k), act, vocab, "action")
    for k, who in enumerate(media.spokespeople):
        named((*base, "spokespeople", k), who, agencies, "agency")
    if not media.spokespeople and not any(a.kind is AgencyKind.PUBLIC_INFORMATION for a in sc.agencies):
        bad((*base,), "no agency of kind public_information can publish statements: name 'spokespeople'")
    for act in media.trust.actions:
        named((*base, "trust", "actions", act), act, vocab, "action")
    for i, rumour in enumerate(media.rumours):
        at: Path_ = (*base, "rumours", i)
        named((*at, "topic"), rumour.topic, media.topics, "topic")
        named((*at, "outlet"), rumour.outlet, outlets, "outlet")
        template((*at, "claim"), rumour.claim)
        trigger((*at, "started_by"), rumour.started_by)
        for k, ev in enumerate(rumour.raises):
            named((*at, "raises", k), ev, events, "event")
    for i, reaction in enumerate(media.reactions):
        at = (*base, "reactions", i)
        named((*at, "outlet"), reaction.outlet, outlets, "outlet")
        if reaction.topic is not None:
            named((*at, "topic"), reaction.topic, media.topics, "topic")
        template((*at, "text"), reaction.text)
        trigger((*at, "when"), reaction.when)


# --- whole folders -----------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    path: Path
    kind: str  # "scenario" or "plan"
    problems: tuple[Problem, ...]


def check_paths(paths: Iterable[Path | str]) -> list[Checked]:
    """Validate every scenario and plan file named, or found below a named folder.

    A file under a ``plans`` folder is a response plan; any other ``.yaml`` is a scenario,
    checked against the plans beside its ``scenarios`` folder.
    """
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.y*ml") if q.is_file()))
        else:
            files.append(p)
    results: list[Checked] = []
    plan_cache: dict[Path, Mapping[str, LoadedPlan] | ScenarioError] = {}
    for f in files:
        is_plan = f.parent.name == "plans"
        try:
            if is_plan:
                _load_plan(f)
            else:
                folder = default_plans_folder(f)
                if folder not in plan_cache:
                    try:
                        plan_cache[folder] = load_plans(folder)
                    except ScenarioError as exc:
                        plan_cache[folder] = exc
                cached = plan_cache[folder]
                if isinstance(cached, ScenarioError):
                    raise ScenarioError(
                        [Problem(str(f), None, "", f"its response plans in {folder.name}/ have errors")]
                    )
                load_scenario(f, cached)
            results.append(Checked(f, "plan" if is_plan else "scenario", ()))
        except ScenarioError as exc:
            results.append(Checked(f, "plan" if is_plan else "scenario", exc.problems))
    return results
