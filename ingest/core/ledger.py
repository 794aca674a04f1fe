"""The batch ledger: one home for how any input lands in the warehouse.

Every loader (station and county station files, HJ 212 packet logs, bureau workbooks, the city
profile, the device registry) records each file it reads as one ``audit.load_batch`` row:

1. :func:`open_batch` reads the file and skips it when the same content (source, path relative
   to the inbox, SHA-256) is already loaded; otherwise it opens a ``running`` batch, committed
   before its rows are stored (at once, or with the previous file: :mod:`ingest.core.runner`),
   so a crash during its load leaves a visible unfinished batch, never a silent loss.
2. The loader COPYs its rows (:func:`copy_csv`, :func:`copy_text`) and its rejects
   (:func:`quarantine`) and closes the batch :meth:`Batch.close_loaded` with its counts, all in
   one transaction: records_in = loaded + quarantined + duplicates.
3. Or :meth:`Batch.fail` records why the file could not be loaded, and the run goes on; when
   the warehouse interrupted the load (:data:`TRANSIENT`: the connection dropped, a lock or
   statement timed out) it raises :class:`WarehouseInterrupted` instead: not the file's fault,
   so the step fails and its retry loads the file again. A batch a crash left ``running`` is
   closed as interrupted when its file is next opened.

Configuration files that replace a whole set (the city profile, the device registry) are
snapshots: :func:`snapshot_batch`. Each file's outcome is one :class:`BatchResult`; a run's is a
:class:`LoadSummary`, whose :meth:`LoadSummary.raise_if_failed` raises :class:`LoadFailed` naming
each failed file after the rest has loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import sqlalchemy as sa

REJECT_COLUMNS = ("batch_id", "source", "source_file", "line_number", "sheet", "column_name",
                  "value", "reason", "raw_record")  # fmt: skip


# What the warehouse, not the file, causes: the connection dropped (a server restart, a network
# cut), a lock or statement timeout (psycopg2 reports these as OperationalError). A retry can
# succeed, so a loader raises rather than record the file as bad (Batch.fail).
TRANSIENT: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)


class WarehouseInterrupted(RuntimeError):
    """The warehouse interrupted a load (:data:`TRANSIENT`); the message names the file. The
    step fails so that Airflow retries it; nothing of the file was kept."""


class LoadFailed(RuntimeError):
    """One or more files of a run could not be loaded; the message lists file and cause, and
    ``summary`` holds the run's results (the other files were loaded)."""

    def __init__(self, message: str, summary: LoadSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class BatchResult:
    """What became of one file: loaded, skipped (this content was loaded before) or failed."""

    source: str
    source_file: str
    status: str  # loaded | skipped | failed
    batch_id: int | None = None
    records_in: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    message: str | None = None
    feedback_report: str | None = None  # the bureau's report on its workbook (forms only)


@dataclass(frozen=True)
class Reject:
    """One quarantined record, or one bad field of a record: where it was and why."""

    line_number: int | None
    column: str | None
    value: str | None
    reason: str
    raw: str | None
    sheet: str | None = None


@dataclass
class LoadSummary:
    """A run of one loader: every file's result and the expected files that were not there.

    ``files`` and ``records`` name what the feed's files and records are (packet logs and
    readings, workbooks and rows), ``gaps`` the expected files that are missing (hours, or
    receiver-hours) and ``gap_label`` what one is.
    """

    label: str
    files: str = "files"
    records: str = "records"
    gap_label: str = "hours without a file"
    batches: list[BatchResult] = field(default_factory=list)
    gaps: list[object] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(b, attr) for b in self.batches)

    def count(self, status: str) -> int:
        return sum(1 for b in self.batches if b.status == status)

    @property
    def failed(self) -> list[BatchResult]:
        return [b for b in self.batches if b.status == "failed"]

    def summary(self) -> str:
        text = (
            f"{self.label}: {self.count('loaded')} {self.files} loaded, "
            f"{self.count('skipped')} unchanged, {len(self.failed)} failed; "
            f"{self.records} in {self.total('records_in')}, loaded {self.total('loaded')}, "
            f"quarantined {self.total('quarantined')}, duplicates {self.total('duplicates')}"
        )
        return text + (f"; {len(self.gaps)} {self.gap_label}" if self.gap_label else "")

    def as_dict(self) -> dict[str, object]:
        """The counts a pipeline step returns (the DAG's XCom, the CLI's output)."""
        return {
            "batches_loaded": self.count("loaded"),
            "files_unchanged": self.count("skipped"),
            "batches_failed": len(self.failed),
            "records_in": self.total("records_in"),
            "records_loaded": self.total("loaded"),
            "records_quarantined": self.total("quarantined"),
            "records_duplicate": self.total("duplicates"),
            "files_missing": len(self.gaps),
            "failures": [self._cause(b) for b in self.failed],
        }

    @staticmethod
    def _cause(b: BatchResult) -> str:
        if b.message and b.message.startswith(b.source_file):
            return b.message
        return f"{b.source_file}: {b.message}"

    def raise_if_failed(self) -> None:
        if self.failed:
            causes = "; ".join(self._cause(b) for b in self.failed)
            raise LoadFailed(
                f"{len(self.failed)} {self.files.removesuffix('s')}(s) failed to load: {causes}",
                self,
            )


def merge(label: str, summaries: Sequence[LoadSummary]) -> LoadSummary:
    """One summary of several runs of one step (the station step loads two feeds)."""
    nouns = {(s.files, s.records, s.gap_label) for s in summaries}
    files, records, gap_label = nouns.pop() if len(nouns) == 1 else ("files", "records", "gaps")
    merged = LoadSummary(label, files, records, gap_label)
    for s in summaries:
        merged.batches += s.batches
        merged.gaps += s.gaps
    return merged


def finish(
    summary: LoadSummary,
    raise_failed: bool,
    interval: tuple[dt.datetime, dt.datetime] | None = None,
    **extra: object,
) -> dict[str, object]:
    """What a pipeline step returns (and prints): the step's facts and the ledger's counts; with
    ``raise_failed`` it raises :class:`LoadFailed` instead when a file failed (the CLI), without
    it the failures are in ``failures`` for the caller to act on after announcing what loaded
    (the DAGs)."""
    print(summary.summary(), flush=True)  # the run's log line
    if raise_failed:
        summary.raise_if_failed()
    if interval is not None:
        extra = {
            "interval_start": interval[0].isoformat(),
            "interval_end": interval[1].isoformat(),
            **extra,
        }
    return {**extra, **summary.as_dict()}


def outcome(load: Callable[[], LoadSummary]) -> LoadSummary:
    """A load's summary whether or not a file failed (its failed files included): what a DAG
    announces and reports after the rest of the run has loaded."""
    try:
        return load()
    except LoadFailed as exc:
        if exc.summary is None:
            raise
        return exc.summary


def run_all(label: str, loads: Sequence[Callable[[], LoadSummary]]) -> LoadSummary:
    """Run several loads of one step, each whatever the others did (a failed feed does not stop
    the next), and merge their summaries (the failed files included)."""
    return merge(label, [outcome(load) for load in loads])


def relative_name(inbox: Path, path: Path) -> str:
    """How a file is named in the ledger: its path relative to the inbox."""
    return path.relative_to(inbox).as_posix() if path.is_relative_to(inbox) else str(path)


@dataclass
class Batch:
    """An open (``running``) batch and the bytes of its file (None when it could not be read)."""

    engine: sa.Engine
    source: str
    source_file: str
    batch_id: int
    data: bytes | None
    read_error: OSError | None

    @property
    def unreadable(self) -> str:
        """Why the file could not be read (the OS's words), empty when it was read."""
        error = self.read_error
        return "" if error is None else str(error.strerror or error)

    def close_loaded(
        self,
        conn: sa.Connection,
        records_in: int,
        loaded: int,
        quarantined: int = 0,
        duplicates: int = 0,
        feedback_report: str | None = None,
    ) -> BatchResult:
        """Close the batch as loaded, inside the transaction that landed its rows."""
        conn.execute(
            sa.text(
                "update audit.load_batch set status = 'loaded', records_in = :n,"
                " records_loaded = :l, records_quarantined = :q, records_duplicate = :d,"
                " finished_at = clock_timestamp(), loaded_xid = pg_current_xact_id()"
                " where batch_id = :id"
            ),
            {"n": records_in, "l": loaded, "q": quarantined, "d": duplicates, "id": self.batch_id},
        )
        return BatchResult(
            self.source, self.source_file, "loaded", self.batch_id,
            records_in, loaded, quarantined, duplicates, feedback_report=feedback_report,
        )  # fmt: skip

    def raise_if_interrupted(self, exc: BaseException) -> None:
        """When the warehouse interrupted the load (:data:`TRANSIENT`), record the batch as
        interrupted where the warehouse still answers, and raise :class:`WarehouseInterrupted`;
        otherwise return (the file is at fault: the caller records why)."""
        if not isinstance(exc, TRANSIENT):
            return
        message = (
            f"interrupted: {failure_message(exc)} (the warehouse was unreachable or timed out;"
            " the file loads again when the step is retried)"
        )
        try:
            self.close_failed(message)
        except TRANSIENT:
            pass  # still down: the file's next open_batch closes this batch as interrupted
        raise WarehouseInterrupted(f"{self.source_file}: {message}") from exc

    def fail(self, exc: BaseException) -> BatchResult:
        """Close the batch as failed for ``exc``, or raise :class:`WarehouseInterrupted` when the
        warehouse, not the file, was the cause (:meth:`raise_if_interrupted`)."""
        self.raise_if_interrupted(exc)
        return self.close_failed(failure_message(exc))

    def close_failed(self, message: str, feedback_report: str | None = None) -> BatchResult:
        """Close the batch as failed, saying why; nothing of the file is kept in raw."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "update audit.load_batch set status = 'failed', message = :m,"
                    " finished_at = clock_timestamp() where batch_id = :id"
                ),
                {"m": message, "id": self.batch_id},
            )
        return BatchResult(
            self.source, self.source_file, "failed", self.batch_id,
            message=message, feedback_report=feedback_report,
        )  # fmt: skip


def failure_message(exc: BaseException) -> str:
    """The first line of an error, for the ledger and the run's log."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def read_file(path: Path) -> tuple[bytes | None, OSError | None]:
    """A file's bytes, or why the OS could not read it."""
    try:
        return path.read_bytes(), None
    except OSError as exc:
        return None, exc


# One statement (one round trip): skip a content already loaded; else close a batch of this file
# that a crash left running, and open the new one (an explicit id: see open_batch_in)
_OPEN = sa.text(
    "with done as (select batch_id from audit.load_batch where source = :s and source_file = :f"
    " and file_sha256 = :h and status = 'loaded' limit 1), stale as (update audit.load_batch"
    " set status = 'failed', finished_at = clock_timestamp(), message = 'interrupted: the load"
    " did not finish (the warehouse or the worker stopped); the file was opened again'"
    " where source = :s and source_file = :f and status = 'running' and not exists (select"
    " from done)), opened as (insert into audit.load_batch (batch_id, source, source_file,"
    " file_sha256, file_bytes, interval_start, interval_end, status, loaded_by, started_at)"
    " overriding system value select coalesce(cast(:id as bigint), nextval(pg_get_serial_"
    "sequence('audit.load_batch', 'batch_id'))), :s, :f, :h, :b, cast(:is as timestamptz),"
    " cast(:ie as timestamptz), 'running', :by, clock_timestamp() where not exists (select"
    " from done) returning batch_id) select (select batch_id from done), (select batch_id"
    " from opened)"
)


def open_batch_in(
    conn: sa.Connection,
    source: str,
    rel: str,
    read: tuple[bytes | None, OSError | None],
    loaded_by: str,
    interval: tuple[dt.datetime | None, dt.datetime | None] = (None, None),
    batch_id: int | None = None,
) -> Batch | BatchResult:
    """:func:`open_batch` in the caller's transaction (``read``: :func:`read_file`). With
    ``batch_id``, under the id a rolled-back opening drew (the sequence never hands it out
    again, and the rows prepared for the file carry it)."""
    data, read_error = read
    digest = hashlib.sha256(data).hexdigest() if data is not None else None
    params = {"s": source, "f": rel, "h": digest, "b": None if data is None else len(data),
              "is": interval[0], "ie": interval[1], "by": loaded_by, "id": batch_id}  # fmt: skip
    done, opened = conn.execute(_OPEN, params).one()
    if done is not None:
        return BatchResult(source, rel, "skipped", done)
    return Batch(conn.engine, source, rel, opened, data, read_error)


def open_batch(
    engine: sa.Engine,
    source: str,
    inbox: Path,
    path: Path,
    loaded_by: str,
    interval_start: dt.datetime | None = None,
    interval_end: dt.datetime | None = None,
) -> Batch | BatchResult:
    """Open the file's batch, or return its ``skipped`` result when this content is loaded."""
    with engine.begin() as conn:
        return open_batch_in(conn, source, relative_name(inbox, path), read_file(path),
                             loaded_by, (interval_start, interval_end))  # fmt: skip


def snapshot_batch(
    conn: sa.Connection,
    source: str,
    path: Path,
    data: bytes,
    records: int,
    loaded_by: str,
    current_batch: int | None,
    reuse_earlier_version: bool,
) -> int | None:
    """The batch of a configuration file that replaces a whole set in one transaction.

    None when the content is that of ``current_batch`` (the set loaded now: nothing to do).
    A content loaded before under an earlier batch gets that batch again when
    ``reuse_earlier_version`` (its rows keep their lineage), else a new loaded batch.
    """
    digest = hashlib.sha256(data).hexdigest()
    same = conn.execute(
        sa.text(
            "select max(batch_id) from audit.load_batch where source = :s"
            " and status = 'loaded' and file_sha256 = :h"
        ),
        {"s": source, "h": digest},
    ).scalar()
    if same is not None and same == current_batch:
        return None
    if same is not None and reuse_earlier_version:
        return int(same)
    return int(
        conn.execute(
            sa.text(
                "insert into audit.load_batch (source, source_file, file_sha256, file_bytes,"
                " records_in, records_loaded, status, loaded_by, finished_at, loaded_xid)"
                " values (:s, :f, :h, :b, :n, :n, 'loaded', :by, clock_timestamp(),"
                " pg_current_xact_id())"
                " returning batch_id"
            ),
            {
                "s": source,
                "f": path.name,
                "h": digest,
                "b": len(data),
                "n": records,
                "by": loaded_by,
            },
        ).scalar_one()
    )


def record_gaps(
    conn: sa.Connection, missing: Iterable[tuple[str, dt.datetime]], detected_by: str
) -> None:
    """Record expected files that are not there, once each, in ``audit.feed_gap`` as (source,
    the hour END they were expected for); the feed resolves them when a late file lands."""
    rows = [{"s": source, "h": hour_end, "by": detected_by} for source, hour_end in missing]
    if rows:
        conn.execute(
            sa.text(
                "insert into audit.feed_gap (source, expected_hour_end, detected_by)"
                " values (:s, :h, :by) on conflict do nothing"
            ),
            rows,
        )


def latest_batch(conn: sa.Connection, source: str) -> int | None:
    """The last loaded batch of a source."""
    return conn.execute(
        sa.text(
            "select max(batch_id) from audit.load_batch where source = :s and status = 'loaded'"
        ),
        {"s": source},
    ).scalar()


def copy_text(
    conn: sa.Connection, table: str, columns: Sequence[str], rows: str, csv_format: bool = False
) -> None:
    """COPY rows already formatted (COPY text format, or CSV) into a table, in one read."""
    buffer = io.StringIO(rows)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    options = " with (format csv)" if csv_format else ""
    # one read of the whole buffer: in 8 KB reads, each would wait for the GIL (runner's worker)
    cursor.copy_expert(
        f"copy {table} ({', '.join(columns)}) from stdin{options}",
        buffer,
        size=max(8192, len(rows)),
    )


def copy_csv(
    conn: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """COPY rows of values into a table as CSV (None and the empty string both land as NULL)."""
    copy_text(conn, table, columns, csv_text(rows), csv_format=True)


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV for :func:`copy_text` (``csv_format``), built apart from their COPY."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text_value(value: object) -> str:
    """A value in COPY text format (\\N for None, backslash escapes)."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(_ESCAPES)
    return text


def quarantine(
    conn: sa.Connection, batch_id: int, source: str, source_file: str, rejects: Iterable[Reject]
) -> None:
    """COPY a batch's rejects into ``quarantine.rejected_record`` (an empty value stays empty)."""
    rows = "".join(
        "\t".join(
            text_value(v)
            for v in (
                batch_id, source, source_file, r.line_number, r.sheet,
                r.column, r.value, r.reason, r.raw,
            )
        ) + "\n"
        for r in rejects
    )  # fmt: skip
    if rows:
        copy_text(conn, "quarantine.rejected_record", REJECT_COLUMNS, rows)
