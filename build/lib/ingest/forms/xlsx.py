"""Read bureau workbooks (xlsx) as bureaus really fill them in: find each sheet's table of a form.

No database, no value conversion (that is :mod:`ingest.forms.cells`). Per visible sheet: merged
cells are filled from their top-left cell (so a two-row merged header reads "预警减排措施/黄色预警"
and an enterprise merged down over its production lines repeats on each line); the header row(s)
are found among the first rows by matching the schema's aliases (title rows above it, a column
number row "甲 乙 1 2 3" below it are skipped); data rows follow until the notes ("注：", "填报人",
...). Skipped and reported: hidden sheets, sheets without the form's header, blank rows (also
pre-numbered blank template rows), total rows (合计), banner rows merged across the table
(section headings), repeated header rows. Units in headers ("耗煤量（万吨）") give a factor.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from ingest.forms.cells import clean_text, is_empty, nfkc
from ingest.forms.schema import ColumnSpec, FormSchema, norm_label

MAX_HEADER_DEPTH = 3
NOTE_PREFIX = re.compile(
    r"^(注|备注|说明|填表说明|填报说明|附注|填报人|填表人|审核人|审核|制表人|制表|负责人|单位负责人|"
    r"联系人|联系电话|填报单位|填报日期|报送日期|数据来源)\s*[:：、.]|^(注|说明)\s*\d|^\*"
)
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "全市合计", "累计", "总合计"})
COLUMN_NUMBER_WORDS = frozenset("甲乙丙丁戊己庚辛壬癸")
_UNIT = re.compile(r"^(.*?)\(([^()]*)\)$")


class UnreadableWorkbook(ValueError):
    """The file is not a readable xlsx workbook (corrupt, encrypted, legacy .xls...)."""


@dataclass(frozen=True)
class Cell:
    value: object
    number_format: str
    coordinate: str


@dataclass(frozen=True)
class HeaderColumn:
    index: int  # 1-based sheet column
    label: str  # as written, levels joined with "/"
    field: str | None  # schema column, None if unknown
    unit: str | None = None
    factor: Decimal | None = None

    @property
    def letter(self) -> str:
        return get_column_letter(self.index)


@dataclass
class DataRow:
    row_number: int
    cells: dict[str, Cell]
    extras: dict[str, object] = field(default_factory=dict)  # unknown columns: label -> value


@dataclass
class SheetTable:
    sheet: str
    header_first: int
    header_last: int
    columns: list[HeaderColumn]
    title_text: str
    rows: list[DataRow] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why): totals, banners...
    missing_required: list[ColumnSpec] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def column_of(self, name: str) -> HeaderColumn:
        return next(c for c in self.columns if c.field == name)

    @property
    def unknown_columns(self) -> list[HeaderColumn]:
        return [c for c in self.columns if c.field is None and c.label]


@dataclass
class WorkbookRead:
    path: Path
    sheet_names: list[str]
    tables: list[SheetTable] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)
    ignored_sheets: list[str] = field(default_factory=list)  # visible, no header of the form
    best_ignored_score: int = 0


@dataclass(frozen=True)
class _Header:
    first: int
    depth: int
    columns: list[HeaderColumn]
    score: int
    unit_problems: list[str]


class _Grid:
    """A sheet's values with merged ranges filled from their top-left cell."""

    def __init__(self, ws: Worksheet) -> None:
        self.title = ws.title
        self.max_row = ws.max_row
        self.max_col = ws.max_column
        self.values: dict[tuple[int, int], Cell] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    self.values[(cell.row, cell.column)] = Cell(
                        cell.value, cell.number_format or "General", cell.coordinate
                    )
        self.banner_rows: dict[int, int] = {}  # row -> width of its widest horizontal merge
        self.merged_down: set[int] = set()  # rows with a cell merged into the next row
        for merged in ws.merged_cells.ranges:
            self.merged_down.update(range(merged.min_row, merged.max_row))
            top = self.values.get((merged.min_row, merged.min_col))
            width = merged.max_col - merged.min_col + 1
            for r in range(merged.min_row, merged.max_row + 1):
                self.banner_rows[r] = max(self.banner_rows.get(r, 0), width)
                for c in range(merged.min_col, merged.max_col + 1):
                    if top is None:
                        self.values.pop((r, c), None)
                    else:
                        coordinate = f"{get_column_letter(c)}{r}"
                        self.values[(r, c)] = Cell(top.value, top.number_format, coordinate)

    def value(self, r: int, c: int) -> object:
        cell = self.values.get((r, c))
        return None if cell is None else cell.value

    def text(self, r: int, c: int) -> str:
        return clean_text(self.value(r, c))

    def row_texts(self, r: int) -> list[str]:
        return [t for c in range(1, self.max_col + 1) if (t := self.text(r, c))]


def open_workbook(path: Path, data: bytes) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, InvalidFileException) as exc:
        raise UnreadableWorkbook(
            f"{path.name}: 不是有效的 xlsx 工作簿（文件损坏、加密，或为旧版 .xls；请用 Excel 另存为 .xlsx 后重报）: {exc}"
        ) from exc
    except (KeyError, ValueError, TypeError, OSError, EOFError) as exc:
        raise UnreadableWorkbook(f"{path.name}: 工作簿无法读取（文件损坏）: {exc}") from exc


def _split_unit(label: str) -> tuple[str, str | None]:
    m = _UNIT.match(nfkc(label).replace(" ", ""))
    return (m.group(1), m.group(2)) if m else (label, None)


def _match_column(parts: list[str], schema: FormSchema) -> tuple[ColumnSpec | None, str | None]:
    """The schema column a header cell names (full "parent/child" label, then child, then parent)."""
    candidates = ["/".join(parts)] + ([parts[-1], parts[0]] if len(parts) > 1 else [])
    for candidate in candidates:
        base, unit = _split_unit(candidate)
        for text, text_unit in ((candidate, None), (base, unit)):
            spec = schema.by_label.get(norm_label(text))
            if spec is not None:
                return spec, text_unit
    return None, None


def _header_at(grid: _Grid, first: int, depth: int, schema: FormSchema) -> _Header:
    columns: list[HeaderColumn] = []
    claimed: set[str] = set()
    unit_problems: list[str] = []
    for c in range(1, grid.max_col + 1):
        parts: list[str] = []
        for r in range(first, first + depth):
            text = grid.text(r, c)
            if text and (not parts or norm_label(parts[-1]) != norm_label(text)):
                parts.append(text)
        label = "/".join(parts)
        spec, unit = _match_column(parts, schema) if parts else (None, None)
        if spec is None or spec.name in claimed:
            columns.append(HeaderColumn(c, label, None))
            continue
        claimed.add(spec.name)
        factor = None
        if unit is not None and spec.units:
            factor = spec.unit_factor(unit)
            if factor is None:
                allowed = "、".join(u for u, _ in spec.units)
                unit_problems.append(
                    f"列“{label}”（{get_column_letter(c)}列）的单位“{unit}”无法识别，可用：{allowed}"
                )
        columns.append(HeaderColumn(c, label, spec.name, unit, factor))
    return _Header(first, depth, columns, len(claimed), unit_problems)


def find_header(grid: _Grid, schema: FormSchema) -> _Header | None:
    """The best (most columns matched; then fewest rows) header among the first rows."""
    best: _Header | None = None
    last = min(grid.max_row, schema.header_scan_rows)
    for first in range(1, last + 1):
        if not grid.row_texts(first):
            continue
        for depth in range(1, MAX_HEADER_DEPTH + 1):
            if first + depth - 1 > grid.max_row:
                break
            header = _header_at(grid, first, depth, schema)
            # more columns matched wins; then fewer header rows; then the earlier row
            if header.score and (best is None or _rank(header) > _rank(best)):
                best = header
    # a row merged down into the header belongs to it (the parent row of a two-row header)
    while best is not None and best.first > 1 and (best.first - 1) in grid.merged_down:
        wider = _header_at(grid, best.first - 1, best.depth + 1, schema)
        if wider.score < best.score or wider.depth > MAX_HEADER_DEPTH:
            break
        best = wider
    return best


def _rank(header: _Header) -> tuple[int, int, int]:
    return (header.score, -header.depth, -header.first)


def _is_column_number_row(texts: list[str]) -> bool:
    """A row numbering the columns under the header: "甲 乙 1 2 3 ..." or "1 2 3 ..."."""
    if len(texts) < 3:
        return False
    numbers = [w for w in (nfkc(t) for t in texts) if w not in COLUMN_NUMBER_WORDS]
    if not numbers or not all(w.isdigit() for w in numbers):
        return False
    ints = [int(w) for w in numbers]
    return ints == list(range(ints[0], ints[0] + len(ints)))


def _read_table(grid: _Grid, header: _Header, schema: FormSchema) -> SheetTable:
    last_header = header.first + header.depth - 1
    title = " ".join(t for r in range(1, header.first) for t in dict.fromkeys(grid.row_texts(r)))
    table = SheetTable(grid.title, header.first, last_header, header.columns, title)
    table.problems.extend(header.unit_problems)
    mapped = {c.field: c for c in header.columns if c.field}
    table.missing_required = [s for s in schema.required if s.name not in mapped]
    content = [c for c in header.columns if c.field and schema.column(c.field).type != "serial"]
    header_labels = {norm_label(c.label.split("/")[-1]) for c in header.columns if c.field}
    width = max((c.index for c in header.columns if c.field), default=1)
    data_first = last_header + 1
    if _is_column_number_row(grid.row_texts(data_first)):
        table.skipped.append((data_first, "栏目序号行"))
        data_first += 1
    in_notes = False
    for r in range(data_first, grid.max_row + 1):
        texts = grid.row_texts(r)
        if not texts:
            continue
        if in_notes or NOTE_PREFIX.match(nfkc(texts[0])):
            in_notes = True
            table.notes.append((r, " ".join(dict.fromkeys(texts))))
            continue
        if grid.banner_rows.get(r, 0) >= max(3, int(width * 0.6)):
            table.skipped.append((r, f"跨列合并的分组/说明行“{texts[0]}”"))
            continue
        if any(norm_label(t) in TOTAL_WORDS or norm_label(t).startswith("合计") for t in texts[:3]):
            table.skipped.append((r, f"合计行“{texts[0]}”"))
            continue
        if all(is_empty(grid.value(r, c.index)) for c in content):
            if texts:
                table.skipped.append((r, "空白行（仅有序号）"))
            continue
        labels = {norm_label(grid.text(r, c.index)) for c in header.columns if c.field}
        if len(labels & header_labels) >= max(2, len(header_labels) // 2):
            table.skipped.append((r, "重复的表头行"))
            continue
        row = DataRow(r, {})
        for col in header.columns:
            cell = grid.values.get((r, col.index))
            if col.field:
                row.cells[col.field] = cell or Cell(None, "General", f"{col.letter}{r}")
            elif col.label and cell is not None:
                row.extras[col.label] = cell.value
        table.rows.append(row)
    return table


def read_workbook(path: Path, data: bytes, schema: FormSchema) -> WorkbookRead:
    """Every visible sheet's table of this form. Raises UnreadableWorkbook for a corrupt file."""
    wb = open_workbook(path, data)
    result = WorkbookRead(path, list(wb.sheetnames))
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            result.hidden_sheets.append(ws.title)
            continue
        grid = _Grid(ws)
        header = find_header(grid, schema)
        score = header.score if header else 0
        enough = header is not None and (
            score >= schema.min_header_matches
            or all(s.name in {c.field for c in header.columns} for s in schema.required)
        )
        if not enough:
            result.ignored_sheets.append(ws.title)
            result.best_ignored_score = max(result.best_ignored_score, score)
            continue
        assert header is not None
        result.tables.append(_read_table(grid, header, schema))
    wb.close()
    return result


def header_score(path: Path, data: bytes, schema: FormSchema) -> tuple[int, int]:
    """(required columns matched, columns matched) of the best visible sheet: which form is it?"""
    wb = open_workbook(path, data)
    best = (0, 0)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        header = find_header(_Grid(ws), schema)
        if header is None:
            continue
        fields = {c.field for c in header.columns}
        best = max(best, (sum(1 for s in schema.required if s.name in fields), header.score))
    wb.close()
    return best
