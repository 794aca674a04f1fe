"""Load bureau workbooks into ``raw.form_record``: one ``audit.load_batch`` per workbook.

Inbox layout: ``<inbox>/forms/<form_id>/**/*.xlsx`` and re-sent versions under
``<inbox>/revisions/forms/<form_id>/``; loaded in that order, then by arrival (mtime), then
name. A workbook already loaded with the same content (path and SHA-256) is skipped. Accepted
rows go in with COPY; each bad cell is a row of ``quarantine.rejected_record`` (sheet, row,
column, value, reason); ``records_quarantined`` counts the rejected workbook rows, so per file
records_in = loaded + quarantined + duplicate. Each (period, scope) the workbook reports becomes
the current version in ``raw.form_submission`` and marks the earlier one superseded (never
deleted). A workbook that cannot be loaded at all is a failed batch with a message naming the
file, sheet and problem; the rest of the run still loads, then :class:`LoadFailed` is raised.
Every workbook gets a feedback report for its bureau (:mod:`ingest.feedback`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ingest.forms.feedback import Feedback, write_report
from ingest.forms.parse import ParsedWorkbook, WorkbookError, parse_workbook
from ingest.forms.schema import FormRegistry, FormSchema
from ingest.station.load import LoadFailed

SOURCE_PREFIX = "form:"
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
VERSION_FOLDERS = (Path("forms"), Path("revisions") / "forms")
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})
RECORD_COLUMNS = (
    "batch_id",
    "form_id",
    "source_file",
    "sheet",
    "row_number",
    "period",
    "scope",
    "record_key",
    "record",
    "raw_cells",
)


@dataclass(frozen=True)
class InboxWorkbook:
    form_id: str  # the folder under forms/ ("" when the file is not in a form's folder)
    path: Path
    revision_level: int


@dataclass(frozen=True)
class WorkbookResult:
    source_file: str
    form_id: str
    status: str  # loaded | skipped (same content already loaded) | failed
    batch_id: int | None = None
    records_in: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    message: str | None = None
    feedback_report: str | None = None


@dataclass
class FormsRunResult:
    results: list[WorkbookResult] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(r, attr) for r in self.results)

    @property
    def failed(self) -> list[WorkbookResult]:
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> str:
        return (
            f"{self.count('loaded')} workbooks loaded, {self.count('skipped')} unchanged, "
            f"{len(self.failed)} failed; rows in {self.total('records_in')}, loaded "
            f"{self.total('loaded')}, quarantined {self.total('quarantined')}, duplicates "
            f"{self.total('duplicates')}"
        )


def _ignored(path: Path) -> bool:
    return path.name.startswith(("~$", ".")) or not path.is_file()


def discover(inbox: Path, arrived_before: dt.datetime | None = None) -> list[InboxWorkbook]:
    """Workbooks of the inbox in load order; with ``arrived_before``, only files modified earlier."""
    found: list[tuple[tuple[int, int, str], InboxWorkbook]] = []
    for level, relative in enumerate(VERSION_FOLDERS):
        base = inbox / relative
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if _ignored(path):
                continue
            stat = path.stat()
            if arrived_before is not None and stat.st_mtime >= arrived_before.timestamp():
                continue
            parts = path.relative_to(base).parts
            form_id = parts[0] if len(parts) > 1 else ""
            found.append(
                ((level, stat.st_mtime_ns, str(path)), InboxWorkbook(form_id, path, level))
            )
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def load_inbox(
    engine: sa.Engine,
    inbox: Path,
    registry: FormRegistry,
    report_dir: Path,
    loaded_by: str = "cli",
    arrived_before: dt.datetime | None = None,
) -> FormsRunResult:
    """Load every workbook of the inbox (not loaded yet). Raises LoadFailed after the rest."""
    result = FormsRunResult()
    for item in discover(inbox, arrived_before):
        result.results.append(load_workbook(engine, inbox, item, registry, report_dir, loaded_by))
    if result.failed:
        causes = "; ".join(f"{r.message}" for r in result.failed)
        raise LoadFailed(f"{len(result.failed)} workbook(s) failed to load: {causes}")
    return result


def _relative(inbox: Path, path: Path) -> str:
    return path.relative_to(inbox).as_posix() if path.is_relative_to(inbox) else str(path)


def load_workbook(
    engine: sa.Engine,
    inbox: Path,
    item: InboxWorkbook,
    registry: FormRegistry,
    report_dir: Path,
    loaded_by: str = "cli",
) -> WorkbookResult:
    """Load one workbook as one batch (or skip it when this exact content is already loaded)."""
    rel = _relative(inbox, item.path)
    source = SOURCE_PREFIX + (item.form_id or "unknown")
    try:
        data: bytes | None = item.path.read_bytes()
        read_error = ""
    except OSError as exc:
        data, read_error = None, f"无法读取文件: {exc.strerror or exc}"
    digest = hashlib.sha256(data).hexdigest() if data is not None else None
    with engine.begin() as conn:
        if digest is not None:
            done = conn.execute(
                sa.text(
                    "select batch_id from audit.load_batch where source = :s and source_file = :f"
                    " and file_sha256 = :h and status = 'loaded'"
                ),
                {"s": source, "f": rel, "h": digest},
            ).scalar()
            if done is not None:
                return WorkbookResult(rel, item.form_id, "skipped", done)
        batch_id = conn.execute(
            sa.text(
                "insert into audit.load_batch (source, source_file, file_sha256, file_bytes,"
                " status, loaded_by) values (:s, :f, :h, :b, 'running', :by) returning batch_id"
            ),
            {
                "s": source,
                "f": rel,
                "h": digest,
                "b": len(data) if data is not None else None,
                "by": loaded_by,
            },
        ).scalar_one()
    schema = registry.forms.get(item.form_id)
    try:
        if schema is None:
            known = "、".join(sorted(registry.forms))
            raise WorkbookError(
                item.path,
                [f"文件不在已知表格的目录中（forms/<表格代码>/，可用：{known}）：{rel}"],
            )
        if data is None:
            raise WorkbookError(item.path, [read_error])
        if item.path.suffix.lower() not in WORKBOOK_SUFFIXES:
            raise WorkbookError(
                item.path,
                [f"不支持的文件格式“{item.path.suffix}”：请用 Excel 另存为 .xlsx 后重新报送"],
            )
        parsed = parse_workbook(item.path, data, schema, registry)
    except WorkbookError as exc:
        return _fail(engine, rel, item, schema, batch_id, exc.problems, report_dir)
    except Exception as exc:  # a workbook openpyxl chokes on must not stop the other files
        problem = f"读取工作簿时出错（{type(exc).__name__}: {exc}），请用 Excel 打开后另存为 .xlsx 重新报送"
        return _fail(engine, rel, item, schema, batch_id, [problem], report_dir)
    try:
        with engine.begin() as conn:
            supersedes = _store(conn, batch_id, rel, schema, parsed)
    except sa.exc.DBAPIError as exc:
        return _fail(engine, rel, item, schema, batch_id, [str(exc).splitlines()[0]], report_dir)
    report = _feedback(rel, schema, batch_id, parsed, supersedes, report_dir)
    with engine.begin() as conn:
        conn.execute(
            sa.text("update audit.form_file set feedback_report = :p where batch_id = :b"),
            {"p": str(report), "b": batch_id},
        )
    return WorkbookResult(
        rel,
        item.form_id,
        "loaded",
        batch_id,
        parsed.records_in,
        len(parsed.records),
        parsed.rejected_rows,
        parsed.duplicates,
        feedback_report=str(report),
    )


def _store(
    conn: sa.Connection, batch_id: int, rel: str, schema: FormSchema, parsed: ParsedWorkbook
) -> list[str]:
    """Land the workbook; return what it supersedes (Chinese lines for the feedback)."""
    # one loader at a time per form, so two versions of a slice never both become current
    conn.execute(sa.text("select pg_advisory_xact_lock(hashtext(:f))"), {"f": schema.form_id})
    _copy_records(conn, batch_id, rel, schema.form_id, parsed)
    if parsed.rejects:
        conn.execute(
            sa.text(
                "insert into quarantine.rejected_record (batch_id, source, source_file,"
                " line_number, sheet, column_name, value, reason, raw_record)"
                " values (:b, :s, :f, :l, :sheet, :c, :v, :r, :raw)"
            ),
            [
                {
                    "b": batch_id,
                    "s": SOURCE_PREFIX + schema.form_id,
                    "f": rel,
                    "l": r.row_number,
                    "sheet": r.sheet,
                    "c": r.column,
                    "v": r.value,
                    "r": r.reason,
                    "raw": json.dumps(
                        {"cell": r.cell, "field": r.field, "cells": json.loads(r.raw)},
                        ensure_ascii=False,
                    ),
                }
                for r in parsed.rejects
            ],
        )
    supersedes: list[str] = []
    for (period, scope), counts in parsed.slices.items():
        earlier = conn.execute(
            sa.text(
                "update raw.form_submission set superseded_by_batch = :b, superseded_at = now()"
                " where form_id = :f and period = :p and scope = :s and superseded_by_batch is null"
                " returning batch_id, source_file"
            ),
            {"b": batch_id, "f": schema.form_id, "p": period, "s": scope},
        ).all()
        supersedes += [
            f"{period}（{scope}）：替代此前报送的“{old_file}”（批次 {old_batch}），原版本留档备查"
            for old_batch, old_file in earlier
        ]
        conn.execute(
            sa.text(
                "insert into raw.form_submission (batch_id, form_id, period, scope, source_file,"
                " owner, schema_version, records, rejected, duplicates)"
                " values (:b, :f, :p, :s, :file, :o, :v, :n, :q, :d)"
            ),
            {
                "b": batch_id,
                "f": schema.form_id,
                "p": period,
                "s": scope,
                "file": rel,
                "o": schema.owner,
                "v": schema.schema_version,
                "n": counts.records,
                "q": counts.rejected,
                "d": counts.duplicates,
            },
        )
    scopes = sorted({scope for _, scope in parsed.slices})
    conn.execute(
        sa.text(
            "insert into audit.form_file (batch_id, form_id, scope, periods, sheets_read, notes)"
            " values (:b, :f, :scope, :periods, :sheets, cast(:notes as jsonb))"
        ),
        {
            "b": batch_id,
            "f": schema.form_id,
            "scope": ", ".join(scopes),
            "periods": sorted({period for period, _ in parsed.slices}),
            "sheets": parsed.sheets_read,
            "notes": json.dumps(parsed.info, ensure_ascii=False),
        },
    )
    conn.execute(
        sa.text(
            "update audit.load_batch set status = 'loaded', records_in = :n,"
            " records_loaded = :l, records_quarantined = :q, records_duplicate = :d,"
            " finished_at = now() where batch_id = :id"
        ),
        {
            "n": parsed.records_in,
            "l": len(parsed.records),
            "q": parsed.rejected_rows,
            "d": parsed.duplicates,
            "id": batch_id,
        },
    )
    return supersedes


def _copy_records(
    conn: sa.Connection, batch_id: int, rel: str, form_id: str, parsed: ParsedWorkbook
) -> None:
    if not parsed.records:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for rec in parsed.records:
        writer.writerow(
            [
                batch_id,
                form_id,
                rel,
                rec.sheet,
                rec.row_number,
                rec.period,
                rec.scope,
                rec.record_key,
                json.dumps(rec.record, ensure_ascii=False),
                json.dumps(rec.raw_cells, ensure_ascii=False),
            ]
        )
    buffer.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.copy_expert(
        f"copy raw.form_record ({', '.join(RECORD_COLUMNS)}) from stdin with (format csv)", buffer
    )


def _feedback(
    rel: str,
    schema: FormSchema,
    batch_id: int,
    parsed: ParsedWorkbook,
    supersedes: list[str],
    report_dir: Path,
) -> Path:
    scopes = sorted({scope for _, scope in parsed.slices})
    return write_report(
        report_dir,
        Feedback(
            source_file=rel,
            form_id=schema.form_id,
            form_title=schema.title,
            owner=schema.owner,
            status="loaded",
            batch_id=batch_id,
            checked_at=dt.datetime.now(BEIJING),
            scope="、".join(scopes),
            periods=sorted({period for period, _ in parsed.slices}),
            records_in=parsed.records_in,
            loaded=len(parsed.records),
            quarantined=parsed.rejected_rows,
            duplicates=parsed.duplicates,
            rejects=parsed.rejects,
            info=parsed.info,
            supersedes=supersedes,
        ),
    )


def _fail(
    engine: sa.Engine,
    rel: str,
    item: InboxWorkbook,
    schema: FormSchema | None,
    batch_id: int,
    problems: list[str],
    report_dir: Path,
) -> WorkbookResult:
    message = f"{rel}: " + "; ".join(problems)
    report = write_report(
        report_dir,
        Feedback(
            source_file=rel,
            form_id=item.form_id or "unknown",
            form_title=schema.title if schema else "（未知表格）",
            owner=schema.owner if schema else "—",
            status="failed",
            batch_id=batch_id,
            checked_at=dt.datetime.now(BEIJING),
            problems=problems,
        ),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "update audit.load_batch set status = 'failed', message = :m,"
                " finished_at = now() where batch_id = :id"
            ),
            {"m": message, "id": batch_id},
        )
        conn.execute(
            sa.text(
                "insert into audit.form_file (batch_id, form_id, problems, feedback_report)"
                " values (:b, :f, cast(:p as jsonb), :r) on conflict (batch_id) do nothing"
            ),
            {
                "b": batch_id,
                "f": item.form_id or "unknown",
                "p": json.dumps(problems, ensure_ascii=False),
                "r": str(report),
            },
        )
    return WorkbookResult(
        rel, item.form_id, "failed", batch_id, message=message, feedback_report=str(report)
    )
