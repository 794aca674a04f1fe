"""Load HJ 212 packet logs into ``raw``, exactly once per reading; rejects go to ``quarantine``.

Files: ``<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log``, one per receiver (forwarder) per hour,
named by the hour's START, local time, holding the bytes the receiver got in that hour. A file is
one ``audit.load_batch`` (source ``hj212``), identified like the station files by its path and
SHA-256: loading the same content again adds nothing.

Exactly once. The reading key is (device MN, CN, DataTime, pollutant code, statistic). Packets
are re-delivered (no 9014 answer -> the device sends again), replayed (history uploads after an
outage), and reach several receivers. ``raw.hj212_packet`` keeps every sighting (append-only,
batch lineage); ``raw.hj212_reading`` keeps one row per key, the FIRST sighting wins: a device
cannot revise a measured value, and a later packet must not overwrite what was reported (an
exceedance stays on record); replays that differ are counted as conflicting in
``audit.hj212_file``. Every later sighting counts in ``records_duplicate``, so per batch
records_in = loaded + quarantined + duplicate, where a record is a reading, a rejected packet or
a rejected field. Re-running any interval changes nothing: loaded files are skipped, and a
reading already present is never replaced.

Bulk path: ``COPY`` for packets, readings and rejects. Readings are deduplicated within the file
in Python, then COPYed straight into ``raw.hj212_reading`` under a savepoint; only when that hits
a key already loaded (a replay of an earlier file) does the file go the slower way: COPY into a
temporary table, then ``insert .. on conflict do nothing``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg2.errors
import sqlalchemy as sa

from ingest.hj212 import parse as hj212
from ingest.station.load import BatchResult, IntervalResult, LoadFailed

SOURCE = "hj212"
REGISTRY_SOURCE = "device_registry"
FEED_FOLDER = "hj212"
FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})\.log$")
READING_COLUMNS = (
    "mn",
    "cn",
    "data_time",
    "pollutant_code",
    "statistic",
    "value",
    "flag",
    "st",
    "source_code",
    "qn",
    "batch_id",
    "source_file",
    "line_number",
    "packet_seq",
)
PACKET_COLUMNS = (
    "batch_id",
    "source_file",
    "line_number",
    "packet_seq",
    "receiver",
    "qn",
    "st",
    "cn",
    "mn",
    "flag",
    "protocol",
    "needs_ack",
    "pnum",
    "pno",
    "data_time",
    "kind",
    "readings",
    "was_split",
    "raw_packet",
)
REGISTRY_COLUMNS = (
    "mn",
    "kind",
    "name",
    "uscc",
    "outlet_id",
    "outlet_name",
    "county",
    "industry",
    "o2_ref_pct",
    "emission_standard_id",
)
DEVICE_KINDS = ("cems", "dust", "micro_station")
_KEY = tuple[str, str, dt.datetime, str, str]

__all__ = ["LoadFailed", "load_file", "load_interval", "load_registry"]


class RegistryError(ValueError):
    """The device registry file is not usable; the message names the file, line and column."""


@dataclass
class HJ212IntervalResult(IntervalResult):
    missing_files: list[tuple[str, dt.datetime]] = field(default_factory=list)

    def summary(self) -> str:
        loaded = [b for b in self.batches if b.status == "loaded"]
        skipped = [b for b in self.batches if b.status == "skipped"]
        return (
            f"HJ 212: {len(loaded)} packet logs loaded, {len(skipped)} unchanged, "
            f"{len(self.failed)} failed; readings in {self.total('records_in')}, "
            f"new {self.total('loaded')}, quarantined {self.total('quarantined')}, "
            f"duplicates {self.total('duplicates')}; "
            f"{len(self.missing_files)} receiver-hours without a file"
        )


def hour_of_file(path: Path) -> dt.datetime | None:
    """The hour START (local) a packet log is named for (``2026-03-12T08.log``: 08:00-09:00)."""
    match = FILE_NAME.match(path.name)
    if not match:
        return None
    day = dt.date.fromisoformat(match.group(1))
    hour = int(match.group(2))
    if hour > 23:
        return None
    return dt.datetime.combine(day, dt.time(hour), hj212.LOCAL_TZ)


def files_in_interval(
    inbox: Path, start: dt.datetime, end: dt.datetime
) -> tuple[list[Path], list[tuple[str, dt.datetime]]]:
    """Packet logs whose hour starts in [start, end), ordered by hour then receiver, and the
    (receiver, hour) pairs without a file, for every receiver folder present."""
    root = inbox / FEED_FOLDER
    found: dict[tuple[dt.datetime, str], Path] = {}
    receivers = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for receiver in receivers:
        for path in (root / receiver).glob("*.log"):
            hour = hour_of_file(path)
            if hour is not None and start <= hour < end:
                found[(hour, receiver)] = path
    hours = []
    cursor = start.astimezone(hj212.LOCAL_TZ).replace(minute=0, second=0, microsecond=0)
    if cursor < start:
        cursor += dt.timedelta(hours=1)
    while cursor < end:
        hours.append(cursor)
        cursor += dt.timedelta(hours=1)
    missing = [(r, h) for h in hours for r in receivers if (h, r) not in found]
    return [found[k] for k in sorted(found)], missing


def _text(value: object) -> str:
    """A value in COPY text format (\\N for null, backslash escapes)."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _copy(conn: sa.Connection, table: str, columns: Sequence[str], buffer: io.StringIO) -> None:
    buffer.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    # one read of the whole buffer: in 8 KB reads, each would wait for the GIL held by the
    # parser thread of the pipeline (load_interval)
    size = max(8192, len(buffer.getvalue()))
    cursor.copy_expert(f"copy {table} ({', '.join(columns)}) from stdin", buffer, size=size)


def packet_rows(packets: Iterable[hj212.Packet], batch_id: int, rel: str, receiver: str) -> str:
    """raw.hj212_packet rows in COPY text format."""
    head = f"{batch_id}\t{_text(rel)}\t"
    tail = f"\t{_text(receiver)}\t"
    out = []
    for p in packets:
        out.append(
            f"{head}{p.line_number}\t{p.seq}{tail}{_text(p.qn)}\t{p.st}\t{p.cn}\t{p.mn}\t"
            f"{_text(p.flag)}\t{_text(p.protocol)}\t{'t' if p.needs_ack else 'f'}\t"
            f"{_text(p.pnum)}\t{_text(p.pno)}\t"
            f"{_text(p.data_time.isoformat() if p.data_time else None)}\t{p.kind}\t"
            f"{p.readings}\t{'t' if p.was_split else 'f'}\t{_text(p.raw)}\n"
        )
    return "".join(out)


def reading_rows(readings: Iterable[hj212.Reading], batch_id: int, rel: str) -> str:
    """raw.hj212_reading rows in COPY text format (the value as the packet wrote it)."""
    tail = f"\t{batch_id}\t{_text(rel)}\t"
    times: dict[dt.datetime, str] = {}
    qns: dict[str | None, str] = {}
    out = []
    for r in readings:
        stamp = times.get(r.data_time)
        if stamp is None:
            stamp = times[r.data_time] = r.data_time.isoformat()
        qn = qns.get(r.qn)
        if qn is None:
            qn = qns[r.qn] = _text(r.qn)
        out.append(
            f"{r.mn}\t{r.cn}\t{stamp}\t{r.pollutant_code}\t{r.statistic}\t{r.value_text}\t"
            f"{r.flag if r.flag is not None else chr(92) + 'N'}\t{r.st}\t"
            f"{r.source_code if r.source_code is not None else chr(92) + 'N'}\t{qn}"
            f"{tail}{r.line_number}\t{r.packet_seq}\n"
        )
    return "".join(out)


@dataclass
class _Dedupe:
    unique: list[hj212.Reading]
    in_file_duplicates: int
    in_file_conflicts: int


def dedupe(readings: Iterable[hj212.Reading]) -> _Dedupe:
    """First sighting of each reading key within one file; later ones counted (and conflicts)."""
    first: dict[_KEY, hj212.Reading] = {}
    duplicates = conflicts = 0
    for r in readings:
        key = (r.mn, r.cn, r.data_time, r.pollutant_code, r.statistic)
        seen = first.get(key)
        if seen is None:
            first[key] = r
            continue
        duplicates += 1
        conflicts += seen.value != r.value or seen.flag != r.flag
    return _Dedupe(list(first.values()), duplicates, conflicts)


def _insert_readings(conn: sa.Connection, rows: str) -> tuple[int, int]:
    """Insert the file's unique readings; return (new, conflicting with earlier batches)."""
    table = "raw.hj212_reading"
    nested = conn.begin_nested()
    try:
        _copy(conn, table, READING_COLUMNS, io.StringIO(rows))
    except psycopg2.errors.UniqueViolation:
        nested.rollback()
    else:
        nested.commit()
        return rows.count("\n"), 0
    # some keys were loaded by an earlier batch (a replay): keep theirs, add the rest
    conn.exec_driver_sql(
        "create temporary table if not exists hj212_incoming"
        " (like raw.hj212_reading including defaults) on commit drop"
    )
    conn.exec_driver_sql("truncate hj212_incoming")
    _copy(conn, "hj212_incoming", READING_COLUMNS, io.StringIO(rows))
    conn.exec_driver_sql("analyze hj212_incoming")  # so the join below probes the primary key
    conflicts = conn.execute(
        sa.text(
            "select count(*) from hj212_incoming i join raw.hj212_reading r"
            " using (mn, cn, data_time, pollutant_code, statistic)"
            " where r.value <> i.value or r.flag is distinct from i.flag"
        )
    ).scalar_one()
    new = conn.exec_driver_sql(
        f"insert into {table} select * from hj212_incoming on conflict do nothing"
    ).rowcount
    return new, conflicts


def _copy_rejects(
    conn: sa.Connection, batch_id: int, rel: str, rejects: Sequence[hj212.Reject]
) -> None:
    if not rejects:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for r in rejects:
        writer.writerow([batch_id, SOURCE, rel, r.line_number, r.column, r.value, r.reason, r.raw])
    buffer.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.copy_expert(
        "copy quarantine.rejected_record (batch_id, source, source_file, line_number,"
        " column_name, value, reason, raw_record) from stdin with (format csv)",
        buffer,
    )


@dataclass
class _Prepared:
    """A packet log parsed and turned into COPY rows (no database: runs in a worker thread)."""

    rel: str
    receiver: str
    hour: dt.datetime | None
    batch_id: int
    parsed: hj212.ParsedLog | None = None
    unique: _Dedupe | None = None
    packets: str = ""
    readings: str = ""
    error: str | None = None


def _prepare(
    data: bytes | None, read_error: str, prep: _Prepared, scheme: hj212.FlagScheme
) -> _Prepared:
    if data is None:
        prep.error = read_error
        return prep
    prep.parsed = hj212.parse(data, scheme)
    prep.unique = dedupe(prep.parsed.readings)
    prep.packets = packet_rows(prep.parsed.packets, prep.batch_id, prep.rel, prep.receiver)
    prep.readings = reading_rows(prep.unique.unique, prep.batch_id, prep.rel)
    return prep


def _begin(
    engine: sa.Engine,
    inbox: Path,
    path: Path,
    loaded_by: str,
    interval_start: dt.datetime | None,
    interval_end: dt.datetime | None,
) -> tuple[BatchResult | None, bytes | None, str, _Prepared | None]:
    """Read the file; skip it if this content is loaded, else open its batch ('running')."""
    rel = str(path.relative_to(inbox)) if path.is_relative_to(inbox) else str(path)
    try:
        data: bytes | None = path.read_bytes()
        read_error = ""
    except OSError as exc:
        data = None
        read_error = f"cannot read file: {exc.strerror or exc}"
    digest = hashlib.sha256(data).hexdigest() if data is not None else None
    with engine.begin() as conn:
        if digest is not None:
            done = conn.execute(
                sa.text(
                    "select batch_id from audit.load_batch where source = :s and source_file = :f"
                    " and file_sha256 = :h and status = 'loaded'"
                ),
                {"s": SOURCE, "f": rel, "h": digest},
            ).scalar()
            if done is not None:
                return BatchResult(rel, "skipped", done), None, "", None
        batch_id = conn.execute(
            sa.text(
                "insert into audit.load_batch (source, source_file, file_sha256, file_bytes,"
                " interval_start, interval_end, status, loaded_by)"
                " values (:s, :f, :h, :b, :is, :ie, 'running', :by) returning batch_id"
            ),
            {
                "s": SOURCE,
                "f": rel,
                "h": digest,
                "b": len(data) if data is not None else None,
                "is": interval_start,
                "ie": interval_end,
                "by": loaded_by,
            },
        ).scalar_one()
    return None, data, read_error, _Prepared(rel, path.parent.name, hour_of_file(path), batch_id)


def _store(engine: sa.Engine, prep: _Prepared) -> BatchResult:
    """COPY a prepared file into raw / quarantine and close its batch (one transaction)."""
    batch_id = prep.batch_id
    try:
        if prep.error is not None or prep.parsed is None or prep.unique is None:
            raise OSError(prep.error or "file was not parsed")
        parsed = prep.parsed
        with engine.begin() as conn:
            _copy(conn, "raw.hj212_packet", PACKET_COLUMNS, io.StringIO(prep.packets))
            new, conflicts = _insert_readings(conn, prep.readings)
            _copy_rejects(conn, batch_id, prep.rel, parsed.rejects)
            counts = parsed.counts
            records_in = len(parsed.readings) + len(parsed.rejects)
            duplicates = len(parsed.readings) - new
            conn.execute(
                sa.text(
                    "insert into audit.hj212_file (batch_id, receiver, hour_start, packets_data,"
                    " packets_ack, packets_other, packets_split, packets_rejected,"
                    " readings_parsed, readings_new, readings_duplicate, readings_conflicting,"
                    " fields_rejected) values (:b, :r, :h, :pd, :pa, :po, :ps, :pr, :rp, :rn,"
                    " :rd, :rc, :fr)"
                ),
                {
                    "b": batch_id,
                    "r": prep.receiver,
                    "h": prep.hour,
                    "pd": counts["packets_data"],
                    "pa": counts["packets_ack"],
                    "po": counts["packets_other"],
                    "ps": counts["packets_split"],
                    "pr": counts["packets_rejected"],
                    "rp": len(parsed.readings),
                    "rn": new,
                    "rd": duplicates,
                    "rc": conflicts + prep.unique.in_file_conflicts,
                    "fr": counts["fields_rejected"],
                },
            )
            conn.execute(
                sa.text(
                    "update audit.load_batch set status = 'loaded', records_in = :n,"
                    " records_loaded = :l, records_quarantined = :q, records_duplicate = :d,"
                    " finished_at = now() where batch_id = :id"
                ),
                {
                    "n": records_in,
                    "l": new,
                    "q": len(parsed.rejects),
                    "d": duplicates,
                    "id": batch_id,
                },
            )
        return BatchResult(
            prep.rel, "loaded", batch_id, records_in, new, len(parsed.rejects), duplicates
        )
    except (OSError, sa.exc.DBAPIError, psycopg2.Error) as exc:
        return _fail(engine, prep.rel, batch_id, exc)


def _fail(engine: sa.Engine, rel: str, batch_id: int, exc: BaseException) -> BatchResult:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "update audit.load_batch set status = 'failed', message = :m,"
                " finished_at = now() where batch_id = :id"
            ),
            {"m": message, "id": batch_id},
        )
    return BatchResult(rel, "failed", batch_id, message=message)


def load_file(
    engine: sa.Engine,
    inbox: Path,
    path: Path,
    loaded_by: str = "cli",
    interval_start: dt.datetime | None = None,
    interval_end: dt.datetime | None = None,
    scheme: hj212.FlagScheme | None = None,
) -> BatchResult:
    """Load one packet log as one batch (or skip it if this exact content is already loaded)."""
    skipped, data, read_error, prep = _begin(
        engine, inbox, path, loaded_by, interval_start, interval_end
    )
    if skipped is not None or prep is None:
        assert skipped is not None
        return skipped
    try:
        _prepare(data, read_error, prep, scheme or hj212.FlagScheme.from_env())
    except Exception as exc:  # a parser bug must not leave the batch 'running'
        return _fail(engine, prep.rel, prep.batch_id, exc)
    return _store(engine, prep)


def record_gaps(
    engine: sa.Engine, missing: list[tuple[str, dt.datetime]], detected_by: str
) -> None:
    """Record receiver-hours without a packet log (audit.feed_gap, source ``hj212:<receiver>``,
    keyed by the hour END like the station feed) and resolve those a late file has filled."""
    with engine.begin() as conn:
        if missing:
            conn.execute(
                sa.text(
                    "insert into audit.feed_gap (source, expected_hour_end, detected_by)"
                    " values (:s, :h, :by) on conflict do nothing"
                ),
                [
                    {"s": f"{SOURCE}:{r}", "h": h + dt.timedelta(hours=1), "by": detected_by}
                    for r, h in missing
                ],
            )
        conn.execute(
            sa.text(
                "update audit.feed_gap g set resolved_by_batch = ("
                "  select min(f.batch_id) from audit.hj212_file f"
                "  where 'hj212:' || f.receiver = g.source"
                "  and f.hour_start + interval '1 hour' = g.expected_hour_end)"
                " where g.source like 'hj212:%' and g.resolved_by_batch is null and exists ("
                "  select 1 from audit.hj212_file f where 'hj212:' || f.receiver = g.source"
                "  and f.hour_start + interval '1 hour' = g.expected_hour_end)"
            )
        )


def load_interval(
    engine: sa.Engine,
    inbox: Path,
    start: dt.datetime,
    end: dt.datetime,
    loaded_by: str = "cli",
    scheme: hj212.FlagScheme | None = None,
) -> HJ212IntervalResult:
    """Load every packet log of [start, end). Raises LoadFailed after loading the rest."""
    files, missing = files_in_interval(inbox, start, end)
    result = HJ212IntervalResult(start, end, missing_files=missing)
    scheme = scheme or hj212.FlagScheme.from_env()
    # Pipeline: the next file is parsed in a worker thread while this one is COPYed (the parser
    # is Python, COPY waits on PostgreSQL: on 2 cores they overlap). Results in file order.
    pending: deque[tuple[_Prepared, Future[_Prepared]]] = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hj212-parse") as pool:

        def drain(keep: int) -> None:
            while len(pending) > keep:
                prep, future = pending.popleft()
                try:
                    future.result()
                except Exception as exc:  # a parser bug must not leave the batch 'running'
                    result.batches.append(_fail(engine, prep.rel, prep.batch_id, exc))
                    continue
                result.batches.append(_store(engine, prep))

        for path in files:
            skipped, data, read_error, prep = _begin(engine, inbox, path, loaded_by, start, end)
            if skipped is not None or prep is None:
                drain(0)
                result.batches.append(skipped)  # type: ignore[arg-type]
                continue
            pending.append((prep, pool.submit(_prepare, data, read_error, prep, scheme)))
            drain(1)
        drain(0)
    record_gaps(engine, missing, loaded_by)
    if result.failed:
        causes = "; ".join(f"{b.source_file}: {b.message}" for b in result.failed)
        raise LoadFailed(f"{len(result.failed)} packet log(s) failed to load: {causes}")
    return result


def read_registry(path: Path) -> list[dict[str, str | Decimal | None]]:
    """The device registry rows (config/device_registry.csv), checked; raises RegistryError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read the device registry: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REGISTRY_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegistryError(f"{path}: header lacks column(s) {', '.join(missing)}")
    rows: list[dict[str, str | Decimal | None]] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        row: dict[str, str | Decimal | None] = {
            c: (raw[c] or "").strip() or None for c in REGISTRY_COLUMNS
        }
        mn = row["mn"]
        if not mn or not isinstance(mn, str):
            raise RegistryError(f"{path}: line {line}: empty mn")
        if mn in seen:
            raise RegistryError(f"{path}: line {line}: mn {mn} listed twice")
        seen.add(mn)
        if row["kind"] not in DEVICE_KINDS:
            raise RegistryError(f"{path}: line {line}: kind {row['kind']!r} not in {DEVICE_KINDS}")
        if not row["name"]:
            raise RegistryError(f"{path}: line {line}: empty name")
        o2 = row["o2_ref_pct"]
        if o2 is not None:
            try:
                row["o2_ref_pct"] = Decimal(str(o2))
            except ArithmeticError as exc:
                raise RegistryError(f"{path}: line {line}: o2_ref_pct {o2!r} not a number") from exc
        rows.append(row)
    return rows


def load_registry(engine: sa.Engine, path: Path) -> int | None:
    """Replace raw.device_registry with the file's rows in one transaction; the load is one
    audit.load_batch (source ``device_registry``). Returns the batch id, None if unchanged."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    rows = read_registry(path)
    with engine.begin() as conn:
        current, same = conn.execute(
            sa.text(
                "select (select max(batch_id) from raw.device_registry),"
                " (select max(batch_id) from audit.load_batch where source = :s"
                "  and status = 'loaded' and file_sha256 = :h)"
            ),
            {"s": REGISTRY_SOURCE, "h": digest},
        ).one()
        if same is not None and same == current:
            return None
        if same is not None:
            batch_id = same  # back to a version loaded before: its rows keep that batch
        else:
            batch_id = conn.execute(
                sa.text(
                    "insert into audit.load_batch (source, source_file, file_sha256, file_bytes,"
                    " records_in, records_loaded, status, loaded_by, finished_at)"
                    " values (:s, :f, :h, :b, :n, :n, 'loaded', 'registry', now())"
                    " returning batch_id"
                ),
                {"s": REGISTRY_SOURCE, "f": path.name, "h": digest, "b": len(data), "n": len(rows)},
            ).scalar_one()
        conn.execute(sa.text("delete from raw.device_registry"))
        if rows:
            conn.execute(
                sa.text(
                    f"insert into raw.device_registry (batch_id, {', '.join(REGISTRY_COLUMNS)})"
                    f" values (:batch_id, {', '.join(':' + c for c in REGISTRY_COLUMNS)})"
                ),
                [{"batch_id": batch_id, **row} for row in rows],
            )
    return batch_id
