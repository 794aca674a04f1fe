"""Write bureau-style workbooks for the sample (openpyxl), byte-for-byte deterministic.

A :class:`SheetSpec` describes one sheet the way bureaus lay it out: title rows merged across
the table, a one- or two-row header (groups merged over their children, plain labels merged
down), an optional column-number row (甲 乙 1 2 3...), data rows (cells merged down over a
group of rows, section banner rows merged across), a total row, pre-numbered blank rows and
notes below. :func:`write_workbook` returns where each data row landed (sheet, Excel row).
Zip entry times and the document's created/modified stamps are fixed so that the same seed
gives the same bytes (and the same SHA-256: re-running the sample loads nothing new).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_STAMP = "2026-01-01T00:00:00Z"
Group = tuple[str, list[str]]
HeaderItem = str | Group


@dataclass(frozen=True)
class Styled:
    """A cell value with its Excel number format (e.g. 0.0% or yyyy-mm-dd)."""

    value: object
    number_format: str


@dataclass
class SheetSpec:
    name: str
    title_lines: list[str]
    header: list[HeaderItem]
    rows: list[list[object]]
    notes: list[str] = field(default_factory=list)
    merge_down: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # (col, first, last) rows idx
    banners: dict[int, str] = field(default_factory=dict)  # before data row idx -> text
    column_numbers: bool = False
    total_row: list[object] | None = None
    blank_rows: int = 0
    hidden: bool = False


def leaf_labels(header: list[HeaderItem]) -> list[str]:
    out: list[str] = []
    for item in header:
        out += [f"{item[0]}/{c}" for c in item[1]] if isinstance(item, tuple) else [item]
    return out


def _put(ws: Worksheet, row: int, col: int, value: object) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, Styled):
        cell.value = value.value
        cell.number_format = value.number_format
    else:
        cell.value = value
        if isinstance(value, dt.datetime):
            cell.number_format = "yyyy-mm-dd"


def _write_header(ws: Worksheet, top: int, header: list[HeaderItem]) -> int:
    """Write the header from row ``top``; return the last header row."""
    two_rows = any(isinstance(item, tuple) for item in header)
    col = 1
    bold = Font(bold=True)
    for item in header:
        if isinstance(item, tuple):
            parent, children = item
            ws.cell(row=top, column=col, value=parent).font = bold
            ws.merge_cells(
                start_row=top, start_column=col, end_row=top, end_column=col + len(children) - 1
            )
            for offset, child in enumerate(children):
                ws.cell(row=top + 1, column=col + offset, value=child).font = bold
            col += len(children)
        else:
            ws.cell(row=top, column=col, value=item).font = bold
            if two_rows:
                ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
            col += 1
    return top + 1 if two_rows else top


def write_sheet(ws: Worksheet, spec: SheetSpec) -> list[int]:
    """Lay out one sheet; return the Excel row of each data row."""
    width = len(leaf_labels(spec.header))
    row = 1
    for index, line in enumerate(spec.title_lines):
        ws.cell(row=row, column=1, value=line)
        if index == 0:
            ws.cell(row=row, column=1).font = Font(bold=True, size=14)
            ws.cell(row=row, column=1).alignment = Alignment(horizontal="center")
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
    row = _write_header(ws, row, spec.header) + 1
    if spec.column_numbers:
        for col in range(1, width + 1):
            ws.cell(row=row, column=col, value="甲" if col == 1 else "乙" if col == 2 else col - 2)
        row += 1
    positions: list[int] = []
    for index, values in enumerate(spec.rows):
        if index in spec.banners:
            ws.cell(row=row, column=1, value=spec.banners[index])
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)
        positions.append(row)
        row += 1
    for col, first, last in spec.merge_down:
        if last > first:
            ws.merge_cells(
                start_row=positions[first],
                start_column=col,
                end_row=positions[last],
                end_column=col,
            )
    if spec.total_row is not None:
        for col, value in enumerate(spec.total_row, start=1):
            _put(ws, row, col, value)
        row += 1
    for offset in range(spec.blank_rows):
        ws.cell(row=row, column=1, value=len(spec.rows) + offset + 1)
        row += 1
    for note in spec.notes:
        ws.cell(row=row, column=1, value=note)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
    if spec.hidden:
        ws.sheet_state = "hidden"
    return positions


def write_workbook(path: Path, sheets: list[SheetSpec]) -> dict[str, list[int]]:
    """Write the workbook deterministically; return sheet -> Excel row of each data row."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    positions: dict[str, list[int]] = {}
    for spec in sheets:
        positions[spec.name] = write_sheet(wb.create_sheet(spec.name), spec)
    wb.properties.creator = "蓝天 sample generator"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(deterministic_zip(buffer.getvalue()))
    return positions


def deterministic_zip(data: bytes) -> bytes:
    """Re-pack an xlsx with fixed entry times and fixed created/modified document stamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = payload.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rf"\g<1>{FIXED_STAMP}\g<3>",
                    text,
                )
                payload = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, payload)
    return out.getvalue()
