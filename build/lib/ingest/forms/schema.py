"""Declarative schemas of the bureau spreadsheets (委办局报表): one YAML file per form.

``ingest/forms/<form_id>.yaml`` describes a form: title, owner bureau, cadence, how the period
and scope of a workbook are found, the record key, and its columns (header aliases, type, unit,
required, code list, range, pattern); ``ingest/forms/_codes.yaml`` holds the shared code lists
(industries, grades, statuses...); the county list comes from the city profile. Adding a form is
adding a YAML file: no code. Loading checks every key, so a typo in a schema fails loudly with
the file and the key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

FORMS_DIR = Path(__file__).resolve().parent  # the form YAMLs live beside this code
CODES_FILE = "_codes.yaml"

TYPES = frozenset(
    {"text", "serial", "code", "integer", "number", "percent", "date", "bool", "credit_code", "mn"}
)
GRANULARITIES = ("year", "quarter", "month", "week", "day")
PERIOD_SOURCES = frozenset({"filename", "title", "sheet"})
SCOPES = frozenset({"city", "county"})
CADENCES = frozenset({"daily", "weekly", "monthly", "quarterly", "annual", "ad_hoc"})
CHECK_OPS = frozenset({"<=", "<", ">=", ">", "=="})
CITY_SCOPE = "全市"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

FORM_KEYS = frozenset(
    {
        "form_id",
        "title",
        "title_en",
        "owner",
        "owner_code",
        "cadence",
        "schema_version",
        "description",
        "period",
        "scope",
        "record_key",
        "header",
        "columns",
        "checks",
    }
)
COLUMN_KEYS = frozenset(
    {
        "name",
        "label",
        "aliases",
        "type",
        "required",
        "codes",
        "units",
        "unit",
        "min",
        "max",
        "pattern",
        "pattern_hint",
        "multiple",
        "text_values",
        "true_words",
        "false_words",
        "description",
    }
)
DEFAULT_TRUE = ("是", "√", "✓", "Y", "YES", "有", "已公开", "公开")
DEFAULT_FALSE = ("否", "×", "✗", "X", "N", "NO", "未公开", "不公开")


class SchemaError(ValueError):
    """A schema file is not valid; the message names the file and the key."""


def norm_label(text: object) -> str:
    """Header/alias comparison form: NFKC (full-width to half-width), no whitespace, casefolded."""
    value = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", value).casefold()


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    label: str
    aliases: tuple[str, ...]
    type: str
    required: bool = False
    codes: str | None = None
    unit: str | None = None  # canonical unit of the stored value (display only)
    units: tuple[tuple[str, Decimal], ...] = ()  # header/value unit -> factor to the canonical unit
    min: Decimal | None = None
    max: Decimal | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    multiple: bool = False
    text_values: tuple[str, ...] = ()  # accepted non-date texts of a date column (e.g. 长期坚持)
    true_words: tuple[str, ...] = DEFAULT_TRUE
    false_words: tuple[str, ...] = DEFAULT_FALSE
    description: str = ""

    @cached_property
    def match_labels(self) -> frozenset[str]:
        return frozenset(norm_label(a) for a in (self.label, *self.aliases))

    def unit_factor(self, unit: str) -> Decimal | None:
        wanted = norm_label(unit)
        for name, factor in self.units:
            if norm_label(name) == wanted:
                return factor
        return None


@dataclass(frozen=True)
class Check:
    left: str
    op: str
    right: str
    message: str


@dataclass(frozen=True)
class FormSchema:
    form_id: str
    title: str
    title_en: str
    owner: str
    owner_code: str
    cadence: str
    schema_version: int
    granularity: str
    period_sources: tuple[str, ...]
    scope_by: str
    scope_row_column: str | None
    record_key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    checks: tuple[Check, ...] = ()
    header_scan_rows: int = 15
    min_header_matches: int = 3
    description: str = ""
    path: Path | None = None

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.required)

    @cached_property
    def by_label(self) -> dict[str, ColumnSpec]:
        """norm_label(header or alias) -> column (aliases are unique within a form)."""
        return {label: col for col in self.columns for label in col.match_labels}


@dataclass
class CodeList:
    """Canonical values and the spellings bureaus use for them."""

    name: str
    label: str
    canonical: tuple[str, ...]
    lookup: dict[str, str] = field(default_factory=dict)  # norm_label(spelling) -> canonical
    strip_prefixes: tuple[str, ...] = ()

    def resolve(self, text: str) -> str | None:
        key = norm_label(text)
        if key in self.lookup:
            return self.lookup[key]
        for prefix in self.strip_prefixes:
            p = norm_label(prefix)
            if key.startswith(p) and key[len(p) :] in self.lookup:
                return self.lookup[key[len(p) :]]
        return None

    def find_in(self, text: str) -> list[str]:
        """Canonical values whose spelling occurs in a free text (file name, title row)."""
        hay = norm_label(text)
        found = [c for s, c in self.lookup.items() if len(s) >= 2 and s in hay]
        return sorted(set(found), key=found.index)


@dataclass(frozen=True)
class FormRegistry:
    forms: dict[str, FormSchema]
    codes: dict[str, CodeList]
    city: str

    def get(self, form_id: str) -> FormSchema:
        return self.forms[form_id]


def _fail(path: Path, message: str) -> SchemaError:
    return SchemaError(f"{path.name}: {message}")


def _decimal(path: Path, where: str, value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise _fail(path, f"{where}: not a number: {value!r}") from exc


def _strings(path: Path, where: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise _fail(path, f"{where}: expected a string or a list of strings")


def _column(path: Path, raw: dict[str, Any], codes: dict[str, CodeList]) -> ColumnSpec:
    if not isinstance(raw, dict):
        raise _fail(path, f"column entry is not a mapping: {raw!r}")
    name = raw.get("name")
    where = f"column {name!r}"
    unknown = set(raw) - COLUMN_KEYS
    if unknown:
        raise _fail(path, f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(path, f"{where}: name must be snake_case")
    kind = raw.get("type", "text")
    if kind not in TYPES:
        raise _fail(path, f"{where}: type {kind!r} not one of {', '.join(sorted(TYPES))}")
    if "label" not in raw:
        raise _fail(path, f"{where}: label (the canonical Chinese header) is required")
    code_list = raw.get("codes")
    if kind == "code" and code_list not in codes:
        raise _fail(path, f"{where}: codes {code_list!r} is not a code list in {CODES_FILE}")
    units = raw.get("units") or {}
    if not isinstance(units, dict):
        raise _fail(path, f"{where}: units must map unit -> factor")
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _fail(path, f"{where}: bad pattern: {exc}") from exc
    return ColumnSpec(
        name=name,
        label=str(raw["label"]),
        aliases=_strings(path, f"{where}.aliases", raw.get("aliases")),
        type=kind,
        required=bool(raw.get("required", False)),
        codes=code_list,
        unit=raw.get("unit"),
        units=tuple((str(u), _decimal(path, f"{where}.units", f)) for u, f in units.items()),
        min=None if raw.get("min") is None else _decimal(path, f"{where}.min", raw["min"]),
        max=None if raw.get("max") is None else _decimal(path, f"{where}.max", raw["max"]),
        pattern=pattern,
        pattern_hint=raw.get("pattern_hint"),
        multiple=bool(raw.get("multiple", False)),
        text_values=_strings(path, f"{where}.text_values", raw.get("text_values")),
        true_words=_strings(path, f"{where}.true_words", raw.get("true_words")) or DEFAULT_TRUE,
        false_words=_strings(path, f"{where}.false_words", raw.get("false_words")) or DEFAULT_FALSE,
        description=str(raw.get("description", "")),
    )


def parse_schema(path: Path, raw: object, codes: dict[str, CodeList]) -> FormSchema:
    """One form schema from its parsed YAML; raises SchemaError naming the file and key."""
    if not isinstance(raw, dict):
        raise _fail(path, "top level must be a mapping")
    unknown = set(raw) - FORM_KEYS
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("form_id", "title", "owner", "owner_code", "cadence", "columns", "record_key"):
        if key not in raw:
            raise _fail(path, f"missing key {key!r}")
    form_id = raw["form_id"]
    if form_id != path.stem:
        raise _fail(path, f"form_id {form_id!r} must equal the file name {path.stem!r}")
    if raw["cadence"] not in CADENCES:
        raise _fail(path, f"cadence {raw['cadence']!r} not one of {', '.join(sorted(CADENCES))}")
    period = raw.get("period") or {}
    granularity = period.get("granularity")
    if granularity not in GRANULARITIES:
        raise _fail(path, f"period.granularity must be one of {', '.join(GRANULARITIES)}")
    sources = _strings(path, "period.sources", period.get("sources", ["filename", "title"]))
    if not sources or set(sources) - PERIOD_SOURCES:
        raise _fail(path, f"period.sources must be among {', '.join(sorted(PERIOD_SOURCES))}")
    scope = raw.get("scope") or {"by": "city"}
    if scope.get("by") not in SCOPES:
        raise _fail(path, f"scope.by must be one of {', '.join(sorted(SCOPES))}")
    columns = tuple(_column(path, c, codes) for c in raw["columns"])
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise _fail(path, "duplicate column names")
    seen: dict[str, str] = {}
    for col in columns:
        for label in col.match_labels:
            if label in seen and seen[label] != col.name:
                raise _fail(path, f"header alias {label!r} used by {seen[label]} and {col.name}")
            seen[label] = col.name
    key = _strings(path, "record_key", raw["record_key"])
    for name in key:
        if name not in names:
            raise _fail(path, f"record_key column {name!r} is not a column")
        if not next(c for c in columns if c.name == name).required:
            raise _fail(path, f"record_key column {name!r} must be required")
    row_column = scope.get("row_column")
    if row_column is not None and row_column not in names:
        raise _fail(path, f"scope.row_column {row_column!r} is not a column")
    checks = []
    for item in raw.get("checks") or []:
        if item.get("op") not in CHECK_OPS or item.get("left") not in names:
            raise _fail(path, f"bad check {item!r}")
        if item.get("right") not in names:
            raise _fail(path, f"check right side {item.get('right')!r} is not a column")
        checks.append(Check(item["left"], item["op"], item["right"], str(item.get("message", ""))))
    header = raw.get("header") or {}
    return FormSchema(
        form_id=form_id,
        title=str(raw["title"]),
        title_en=str(raw.get("title_en", "")),
        owner=str(raw["owner"]),
        owner_code=str(raw["owner_code"]),
        cadence=raw["cadence"],
        schema_version=int(raw.get("schema_version", 1)),
        granularity=granularity,
        period_sources=sources,
        scope_by=scope["by"],
        scope_row_column=row_column,
        record_key=key,
        columns=columns,
        checks=tuple(checks),
        header_scan_rows=int(header.get("scan_rows", 15)),
        min_header_matches=int(header.get("min_matches", 3)),
        description=str(raw.get("description", "")),
        path=path,
    )


def _profile_values(profile: dict[str, Any], dotted: str) -> list[str]:
    node: Any = profile
    for part in dotted.split("."):
        node = node[part]
    return [str(v) for v in node]


def _county_spellings(name: str) -> list[str]:
    """尧都区 -> 尧都; single-character stems (古县 -> 古) are too ambiguous to accept."""
    stem = re.sub(r"(区|县|市)$", "", name)
    return [stem] if len(stem) >= 2 and stem != name else []


def load_code_lists(folder: Path, profile: dict[str, Any]) -> tuple[dict[str, CodeList], str]:
    path = folder / CODES_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}") from exc
    city = str(profile["city"]["name"])
    lists: dict[str, CodeList] = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or set(spec) - {"label", "values", "from_profile"}:
            raise _fail(path, f"code list {name!r}: keys are label, values, from_profile")
        values: dict[str, list[str]] = {}
        prefixes: tuple[str, ...] = ()
        if "from_profile" in spec:
            try:
                for value in _profile_values(profile, spec["from_profile"]):
                    values[value] = _county_spellings(value)
            except (KeyError, TypeError) as exc:
                raise _fail(
                    path, f"code list {name!r}: profile has no {spec['from_profile']}"
                ) from exc
            prefixes = (city, re.sub(r"市$", "", city))
        for canonical, spellings in (spec.get("values") or {}).items():
            values[str(canonical)] = [str(s) for s in (spellings or [])]
        lookup: dict[str, str] = {}
        for canonical, spellings in values.items():
            for spelling in (canonical, *spellings):
                key = norm_label(spelling)
                if lookup.get(key, canonical) != canonical:
                    raise _fail(path, f"code list {name!r}: {spelling!r} means two values")
                lookup[key] = canonical
        lists[name] = CodeList(name, str(spec.get("label", name)), tuple(values), lookup, prefixes)
    return lists, city


def load_registry(profile_path: Path, folder: Path = FORMS_DIR) -> FormRegistry:
    """Every form schema of ``folder`` with the code lists resolved against the city profile."""
    profile = yaml.safe_load(profile_path.read_text(encoding="utf-8"))
    codes, city = load_code_lists(folder, profile)
    forms: dict[str, FormSchema] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise _fail(path, f"not valid YAML: {exc}") from exc
        schema = parse_schema(path, raw, codes)
        forms[schema.form_id] = schema
    return FormRegistry(forms, codes, city)
