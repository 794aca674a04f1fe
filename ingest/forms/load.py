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
Every workbook gets a feedback report for its bureau (:mod:`ingest.forms.feedback`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import sqlalchemy as sa

from ingest.core import ledger
from ingest.core.ledger import BatchResult, LoadSummary
from ingest.forms.feedback import Feedback, write_report
from ingest.forms.parse import ParsedWorkbook, WorkbookError, parse_workbook
from ingest.forms.schema import FormRegistry, FormSchema

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
) -> LoadSummary:
    """Load every workbook of the inbox (not loaded yet). Raises LoadFailed after the rest."""
    result = summary()
    for item in discover(inbox, arrived_before):
        result.batches.append(load_workbook(engine, inbox, item, registry, report_dir, loaded_by))
    result.raise_if_failed()
    return result


def summary() -> LoadSummary:
    """The ledger's summary of a forms run (workbooks and their rows; no expected files)."""
    return LoadSummary("forms", "workbooks", "rows", gap_label="")


def load_workbook(
    engine: sa.Engine,
    inbox: Path,
    item: InboxWorkbook,
    registry: FormRegistry,
    report_dir: Path,
    loaded_by: str = "cli",
) -> BatchResult:
    """Load one workbook as one batch (or skip it when this exact content is already loaded)."""
    source = SOURCE_PREFIX + (item.form_id or "unknown")
    batch = ledger.open_batch(engine, source, inbox, item.path, loaded_by)
    if isinstance(batch, BatchResult):
        return batch
    rel = batch.source_file
    schema = registry.forms.get(item.form_id)
    try:
        if schema is None:
            known = "、".join(sorted(registry.forms))
            raise WorkbookError(
                item.path,
                [f"文件不在已知表格的目录中（forms/<表格代码>/，可用：{known}）：{rel}"],
            )
        if batch.data is None:
            raise WorkbookError(item.path, [f"无法读取文件: {batch.unreadable}"])
        if item.path.suffix.lower() not in WORKBOOK_SUFFIXES:
            raise WorkbookError(
                item.path,
                [f"不支持的文件格式“{item.path.suffix}”：请用 Excel 另存为 .xlsx 后重新报送"],
            )
        parsed = parse_workbook(item.path, batch.data, schema, registry)
    except WorkbookError as exc:
        return _fail(batch, item, schema, exc.problems, report_dir)
    except Exception as exc:  # a workbook openpyxl chokes on must not stop the other files
        problem = f"读取工作簿时出错（{type(exc).__name__}: {exc}），请用 Excel 打开后另存为 .xlsx 重新报送"
        return _fail(batch, item, schema, [problem], report_dir)
    try:
        with engine.begin() as conn:
            supersedes = _store(conn, batch.batch_id, rel, schema, parsed)
            result = batch.close_loaded(
                conn,
                parsed.records_in,
                len(parsed.records),
                parsed.rejected_rows,
                parsed.duplicates,
            )
    except (sa.exc.DBAPIError, psycopg2.Error) as exc:
        batch.raise_if_interrupted(exc)
        return _fail(batch, item, schema, [ledger.failure_message(exc)], report_dir)
    report = _feedback(rel, schema, batch.batch_id, parsed, supersedes, report_dir)
    with engine.begin() as conn:
        conn.execute(
            sa.text("update audit.form_file set feedback_report = :p where batch_id = :b"),
            {"p": str(report), "b": batch.batch_id},
        )
    return dataclasses.replace(result, feedback_report=str(report))


def _store(
    conn: sa.Connection, batch_id: int, rel: str, schema: FormSchema, parsed: ParsedWorkbook
) -> list[str]:
    """Land the workbook; return what it supersedes (Chinese lines for the feedback)."""
    # one loader at a time per form, so two versions of a slice never both become current
    conn.execute(sa.text("select pg_advisory_xact_lock(hashtext(:f))"), {"f": schema.form_id})
    _copy_records(conn, batch_id, rel, schema.form_id, parsed)
    ledger.quarantine(
        conn,
        batch_id,
        SOURCE_PREFIX + schema.form_id,
        rel,
        (
            ledger.Reject(
                r.row_number,
                r.column,
                r.value,
                r.reason,
                json.dumps(
                    {"cell": r.cell, "field": r.field, "cells": json.loads(r.raw)},
                    ensure_ascii=False,
                ),
                sheet=r.sheet,
            )
            for r in parsed.rejects
        ),
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
    return supersedes


def _copy_records(
    conn: sa.Connection, batch_id: int, rel: str, form_id: str, parsed: ParsedWorkbook
) -> None:
    if not parsed.records:
        return
    ledger.copy_csv(
        conn,
        "raw.form_record",
        RECORD_COLUMNS,
        (
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
            for rec in parsed.records
        ),
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
    batch: ledger.Batch,
    item: InboxWorkbook,
    schema: FormSchema | None,
    problems: list[str],
    report_dir: Path,
) -> BatchResult:
    rel, batch_id = batch.source_file, batch.batch_id
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
    result = batch.close_failed(message, feedback_report=str(report))
    with batch.engine.begin() as conn:
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
    return result
