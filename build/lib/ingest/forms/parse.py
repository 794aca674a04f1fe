"""One bureau workbook -> records, cell-level rejects and its (period, scope) slices. No database.

The period of each sheet comes from the sources the schema lists (sheet name, title rows, file
name; a bare "3月" takes its year from the file name or title); the scope is 全市 or the county
named in the file name or title (one workbook per county). Each data row is converted cell by
cell (:func:`ingest.forms.cells.convert`); any bad cell rejects its row, and every bad cell of the
row is reported (sheet, row, column, value, reason), so the bureau can fix them all at once.
Exact repeats of a record are counted as duplicates; a different row with the same record key
in the same period and scope is rejected. Whole-workbook problems (unreadable file, missing
required column, unknown unit, no period, wrong form) raise :class:`WorkbookError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ingest.forms.cells import CellError, convert, display, parse_period, period_year
from ingest.forms.schema import CITY_SCOPE, Check, FormRegistry, FormSchema
from ingest.forms.xlsx import (
    DataRow,
    SheetTable,
    UnreadableWorkbook,
    WorkbookRead,
    header_score,
    read_workbook,
)

CITY_LEVEL = frozenset({CITY_SCOPE, "市直"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class WorkbookError(ValueError):
    """The workbook as a whole cannot be loaded; ``problems`` are Chinese, one per issue."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path.name}: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Reject:
    sheet: str
    row_number: int
    column: str | None  # the header as written in the sheet
    field: str | None  # the schema column
    cell: str | None  # e.g. C7
    value: str | None
    reason: str
    raw: str  # JSON of the row's cells as written


@dataclass(frozen=True)
class Record:
    sheet: str
    row_number: int
    period: str
    scope: str
    record_key: str
    record: dict[str, object]
    raw_cells: dict[str, object]


@dataclass
class SliceCount:
    records: int = 0
    rejected: int = 0
    duplicates: int = 0


@dataclass
class ParsedWorkbook:
    path: Path
    form_id: str
    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rejected_rows: int = 0
    duplicates: int = 0
    slices: dict[tuple[str, str], SliceCount] = field(default_factory=dict)
    sheets_read: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)  # what was skipped or converted, for feedback
    seen: dict[tuple[str, str, str], tuple[str, int, dict[str, object]]] = field(
        default_factory=dict, repr=False
    )  # (period, scope, record key) -> (sheet, row, record)

    @property
    def records_in(self) -> int:
        return len(self.records) + self.rejected_rows + self.duplicates


def _workbook_year(stem: str, titles: list[str]) -> int | None:
    for text in (stem, *titles):
        found = parse_period(text, "year")
        if found:
            return int(found)
    return None


def sheet_period(schema: FormSchema, table: SheetTable, stem: str, year: int | None) -> str | None:
    texts = {"sheet": table.sheet, "title": table.title_text, "filename": stem}
    for source in schema.period_sources:
        found = parse_period(texts[source], schema.granularity, year)
        if found:
            return found
    return None


def workbook_scope(
    schema: FormSchema, registry: FormRegistry, path: Path, titles: list[str]
) -> str:
    """全市, or the one county the file name (else a title row) names."""
    if schema.scope_by == "city":
        return CITY_SCOPE
    counties = registry.codes["county"]
    for text in (path.stem, *titles):
        found = [c for c in counties.find_in(text) if c not in CITY_LEVEL]
        if len(found) > 1:
            raise WorkbookError(
                path, [f"“{text}”中同时出现多个县区（{'、'.join(found)}），无法确定所属县区"]
            )
        if found:
            return found[0]
    raise WorkbookError(
        path,
        [
            "无法确定本工作簿所属县区：请在文件名或标题中写明县（市、区）名称，每个县区单独一个工作簿"
        ],
    )


def _comparable(value: object) -> Decimal | str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _check_fails(check: Check, record: dict[str, object]) -> bool:
    left, right = _comparable(record.get(check.left)), _comparable(record.get(check.right))
    if left is None or right is None or type(left) is not type(right):
        return False
    ok = {
        "<=": left <= right,  # type: ignore[operator]
        "<": left < right,  # type: ignore[operator]
        ">=": left >= right,  # type: ignore[operator]
        ">": left > right,  # type: ignore[operator]
        "==": left == right,
    }[check.op]
    return not ok


def _raw_cells(row: DataRow) -> dict[str, object]:
    cells: dict[str, object] = {name: display(cell.value) for name, cell in row.cells.items()}
    if row.extras:
        cells["_extra"] = {label: display(value) for label, value in row.extras.items()}
    return cells


def _convert_row(
    schema: FormSchema,
    registry: FormRegistry,
    table: SheetTable,
    row: DataRow,
    year: int,
    scope: str,
) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """(record, [(field, reason)])."""
    record: dict[str, object] = {}
    errors: list[tuple[str, str]] = []
    for spec in schema.columns:
        cell = row.cells.get(spec.name)
        if cell is None:
            record[spec.name] = None
            continue
        factor = table.column_of(spec.name).factor
        try:
            value = convert(spec, cell.value, cell.number_format, registry.codes, year, factor)
        except CellError as exc:
            errors.append((spec.name, exc.reason))
            continue
        if value is None and spec.required:
            errors.append((spec.name, f"必填项“{spec.label}”为空"))
        record[spec.name] = value
    column = schema.scope_row_column
    if column and scope not in CITY_LEVEL and record.get(column) not in (None, scope):
        errors.append((column, f"“{record[column]}”与本工作簿所属县区“{scope}”不一致"))
    for check in schema.checks:
        if _check_fails(check, record):
            errors.append((check.left, check.message or f"{check.left} {check.op} {check.right}"))
    return record, errors


def _problems_of(read: WorkbookRead, schema: FormSchema) -> list[str]:
    problems = []
    for table in read.tables:
        if table.missing_required:
            labels = "、".join(f"“{s.label}”" for s in table.missing_required)
            problems.append(
                f"工作表“{table.sheet}”第{table.header_first}行表头缺少必填列{labels}"
                f"（可用的列名：{'；'.join('、'.join((s.label, *s.aliases[:2])) for s in table.missing_required)}）"
            )
        problems += [f"工作表“{table.sheet}”：{p}" for p in table.problems]
    return problems


def _wrong_form_hint(path: Path, data: bytes, schema: FormSchema, registry: FormRegistry) -> str:
    """Which other form the workbook looks like, if it fits one better."""
    best: tuple[tuple[int, int], FormSchema] | None = None
    for other in registry.forms.values():
        if other.form_id == schema.form_id:
            continue
        required, score = header_score(path, data, other)
        if required == len(other.required) and (best is None or (required, score) > best[0]):
            best = ((required, score), other)
    if best is None:
        return ""
    return f"；该工作簿看起来是《{best[1].title}》（{best[1].form_id}），请确认报送的表格种类"


def parse_workbook(
    path: Path, data: bytes, schema: FormSchema, registry: FormRegistry
) -> ParsedWorkbook:
    """Parse one workbook of a form. Raises WorkbookError naming the file, sheet and problem."""
    try:
        read = read_workbook(path, data, schema)
    except UnreadableWorkbook as exc:
        raise WorkbookError(path, [str(exc).split(": ", 1)[-1]]) from exc
    if not read.tables:
        visible = [s for s in read.sheet_names if s not in read.hidden_sheets]
        hint = _wrong_form_hint(path, data, schema, registry)
        raise WorkbookError(
            path,
            [
                f"没有找到《{schema.title}》的表头：可见工作表（{'、'.join(visible) or '无'}）的前"
                f"{schema.header_scan_rows}行中没有“{'”“'.join(s.label for s in schema.required)}”等列{hint}"
            ],
        )
    problems = _problems_of(read, schema)
    if problems:
        hint = _wrong_form_hint(path, data, schema, registry)
        raise WorkbookError(path, [p + hint for p in problems])
    titles = [t.title_text for t in read.tables]
    year = _workbook_year(path.stem, titles)
    scope = workbook_scope(schema, registry, path, titles)
    parsed = ParsedWorkbook(path, schema.form_id)
    parsed.info += [f"隐藏工作表“{s}”未读取" for s in read.hidden_sheets]
    parsed.info += [f"工作表“{s}”不是本表格式，未读取" for s in read.ignored_sheets]
    tables = [t for t in read.tables if t.rows]
    for table in read.tables:
        if not table.rows:  # e.g. next month's sheet, prepared in advance: reports nothing yet
            parsed.info.append(f"工作表“{table.sheet}”没有数据行，不作为一期报送")
    if not tables:
        sheets = "、".join(t.sheet for t in read.tables)
        raise WorkbookError(path, [f"工作簿中没有数据行（工作表：{sheets}），请填写后重新报送"])
    periods: dict[str, str] = {}
    for table in tables:
        period = sheet_period(schema, table, path.stem, year)
        if period is None:
            sources = "、".join(
                {"sheet": "工作表名", "title": "标题", "filename": "文件名"}[s]
                for s in schema.period_sources
            )
            wanted = _GRANULARITY_CN[schema.granularity]
            raise WorkbookError(
                path, [f"工作表“{table.sheet}”：无法确定报送期（{sources}中未写明{wanted}）"]
            )
        periods[table.sheet] = period
    for table in tables:
        _parse_table(parsed, schema, registry, table, periods[table.sheet], scope)
    return parsed


_GRANULARITY_CN = {
    "year": "年份",
    "quarter": "季度",
    "month": "年月，如 2026年3月",
    "week": "周次，如 2026年第11周",
    "day": "日期",
}


def _parse_table(
    parsed: ParsedWorkbook,
    schema: FormSchema,
    registry: FormRegistry,
    table: SheetTable,
    period: str,
    scope: str,
) -> None:
    parsed.sheets_read.append(table.sheet)
    counts = parsed.slices.setdefault((period, scope), SliceCount())
    where = f"工作表“{table.sheet}”"
    parsed.info += [f"{where}第{r}行：{why}，未作为数据" for r, why in table.skipped]
    if table.notes:
        parsed.info.append(
            f"{where}第{table.notes[0][0]}行起为表下注释（{len(table.notes)}行），未作为数据"
        )
    for col in table.columns:
        if col.factor is not None and col.factor != 1:
            parsed.info.append(f"{where}列“{col.label}”按单位“{col.unit}”换算（×{col.factor}）")
    for col in table.unknown_columns:
        parsed.info.append(f"{where}列“{col.label}”不在表格规范中，原值已保留但未使用")
    for row in table.rows:
        raw_cells = _raw_cells(row)
        record, errors = _convert_row(schema, registry, table, row, period_year(period), scope)
        if errors:
            _reject(parsed, table, row, raw_cells, errors)
            counts.rejected += 1
            continue
        key = "|".join(str(record[k]) for k in schema.record_key)
        earlier = parsed.seen.get((period, scope, key))
        if earlier is not None:
            first_sheet, first_row, first_record = earlier
            if first_record == record:
                parsed.duplicates += 1
                counts.duplicates += 1
                continue
            where_first = "" if first_sheet == table.sheet else f"工作表“{first_sheet}”"
            labels = "、".join(schema.column(k).label for k in schema.record_key)
            reason = f"与{where_first}第{first_row}行的记录键（{labels}）相同但内容不同"
            _reject(parsed, table, row, raw_cells, [(schema.record_key[0], reason)])
            counts.rejected += 1
            continue
        parsed.seen[(period, scope, key)] = (table.sheet, row.row_number, record)
        parsed.records.append(
            Record(table.sheet, row.row_number, period, scope, key, record, raw_cells)
        )
        counts.records += 1


def _reject(
    parsed: ParsedWorkbook,
    table: SheetTable,
    row: DataRow,
    raw_cells: dict[str, object],
    errors: list[tuple[str, str]],
) -> None:
    raw = json.dumps(raw_cells, ensure_ascii=False)
    parsed.rejected_rows += 1
    for name, reason in errors:
        column = table.column_of(name)
        cell = row.cells.get(name)
        parsed.rejects.append(
            Reject(
                sheet=table.sheet,
                row_number=row.row_number,
                column=column.label,
                field=name,
                cell=cell.coordinate if cell else f"{column.letter}{row.row_number}",
                value=display(cell.value) if cell else None,
                reason=reason,
                raw=raw,
            )
        )
