"""Expectation suites declared as data: ``suites/<name>.json``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = ("critical", "warning", "info")
# gate: validated between the layers below the marts and the marts; a critical failure keeps the
# dbt models it guards (``guards``, dbt selectors) at their last good version.
# marts: validated after the marts are built; a critical failure fails the run visibly.
STAGES = ("gate", "marts")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_SELECTOR = re.compile(r"^\+?[A-Za-z_][A-Za-z0-9_]*\+?$")
_ASSET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")


class SuiteError(ValueError):
    """The suite file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class ExpectationSpec:
    index: int
    type: str  # GX expectation class name, e.g. "ExpectColumnValuesToBeBetween"
    kwargs: dict[str, Any]
    severity: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        return str(self.meta.get("rule", ""))

    @property
    def column_name(self) -> str | None:
        """The column(s) the expectation is about, comma-joined for multi-column ones."""
        if "column" in self.kwargs:
            return str(self.kwargs["column"])
        if "column_list" in self.kwargs:
            return ",".join(str(c) for c in self.kwargs["column_list"])
        if "column_A" in self.kwargs and "column_B" in self.kwargs:
            return f"{self.kwargs['column_A']},{self.kwargs['column_B']}"
        return None


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    data_asset: str  # "schema.table"
    day_column: str | None  # None: the interval does not restrict the rows (no day column)
    description: str
    expectations: tuple[ExpectationSpec, ...]
    # the report's per-station coverage table (station_code, day, present/expected/valid hours)
    station_coverage_section: bool = True
    # the report's load sections: reconciliation per source, feed gaps, quarantined records
    load_audit_section: bool = False
    stage: str = "marts"
    guards: tuple[str, ...] = ()  # dbt selectors a critical failure excludes from the marts build
    # a table of loaded rows: a bounded run validates the rows of its new batches, not its days
    batch_column: str | None = None

    @property
    def schema(self) -> str:
        return self.data_asset.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.data_asset.split(".", 1)[1]


def load_suite(name: str, suites_dir: Path = SUITES_DIR) -> SuiteSpec:
    """Read and check ``<suites_dir>/<name>.json``."""
    if not _NAME.match(name):
        raise SuiteError(f"suite name {name!r}: only letters, digits and _ are allowed")
    path = suites_dir / f"{name}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SuiteError(f"suite {name!r}: no file {path}") from exc
    except json.JSONDecodeError as exc:
        raise SuiteError(f"suite {name!r}: {path} is not valid JSON: {exc}") from exc
    if doc.get("name") != name:
        raise SuiteError(f"{path}: 'name' is {doc.get('name')!r}, expected {name!r}")
    asset = doc.get("data_asset", "")
    if not _ASSET.match(asset):
        raise SuiteError(f"{path}: 'data_asset' must be 'schema.table', got {asset!r}")
    day_column = doc.get("day_column", "day")
    if day_column is not None and not _NAME.match(day_column):
        raise SuiteError(f"{path}: 'day_column' must be a plain column name, got {day_column!r}")
    batch_column = doc.get("batch_column")
    if batch_column is not None and not _NAME.match(batch_column):
        raise SuiteError(
            f"{path}: 'batch_column' must be a plain column name, got {batch_column!r}"
        )
    specs = []
    for i, item in enumerate(doc.get("expectations") or []):
        where = f"{path}: expectations[{i}]"
        if not isinstance(item.get("type"), str) or not isinstance(item.get("kwargs"), dict):
            raise SuiteError(f"{where}: needs a 'type' (string) and 'kwargs' (object)")
        if item.get("severity") not in SEVERITIES:
            raise SuiteError(f"{where}: 'severity' must be one of {SEVERITIES}")
        meta = item.get("meta") or {}
        if not meta.get("rule"):
            raise SuiteError(f"{where}: 'meta.rule' must name the rule")
        specs.append(ExpectationSpec(i, item["type"], item["kwargs"], item["severity"], meta))
    if not specs:
        raise SuiteError(f"{path}: no expectations")
    stage = doc.get("stage", "marts")
    if stage not in STAGES:
        raise SuiteError(f"{path}: 'stage' must be one of {STAGES}, got {stage!r}")
    guards = doc.get("guards") or ([f"{asset.split('.', 1)[1]}+"] if stage == "gate" else [])
    if not all(isinstance(g, str) and _SELECTOR.match(g) for g in guards):
        raise SuiteError(
            f"{path}: 'guards' must be dbt node selectors like 'stg_x+', got {guards!r}"
        )
    return SuiteSpec(
        name=name,
        data_asset=asset,
        day_column=day_column,
        description=doc.get("description", ""),
        expectations=tuple(specs),
        station_coverage_section=bool(doc.get("station_coverage_section", True)),
        load_audit_section=bool(doc.get("load_audit_section", False)),
        stage=stage,
        guards=tuple(guards),
        batch_column=batch_column,
    )


def suite_names(suites_dir: Path = SUITES_DIR) -> list[str]:
    """Every suite declared in ``suites_dir``, sorted: adding a JSON file adds a suite."""
    return sorted(p.stem for p in suites_dir.glob("*.json"))


def load_stage(stage: str, suites_dir: Path = SUITES_DIR) -> list[SuiteSpec]:
    """The suites of one stage (``gate`` or ``marts``), in name order."""
    if stage not in STAGES:
        raise SuiteError(f"unknown stage {stage!r}: one of {STAGES}")
    suites = [load_suite(name, suites_dir) for name in suite_names(suites_dir)]
    return [s for s in suites if s.stage == stage]
