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

Partitions (migration 0016): both raw tables are partitioned by CN class and month; before a
file's COPY, :mod:`ingest.hj212.partitions` makes sure the months it touches exist (its own short
transaction). The reading key contains both partition keys, so the dedupe above holds across
partitions unchanged. Packets carry ``received_hour`` (the file's hour), their partition key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg2.errors
import sqlalchemy as sa

from ingest.core import ledger, runner
from ingest.core.ledger import BatchResult, LoadSummary, copy_text, text_value
from ingest.hj212 import parse as hj212
from ingest.hj212 import partitions

SOURCE = "hj212"
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
    "received_hour",
)
_KEY = tuple[str, str, dt.datetime, str, str]

__all__ = ["load_file", "load_interval"]


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


def packet_rows(
    packets: Iterable[hj212.Packet],
    batch_id: int,
    rel: str,
    receiver: str,
    received: dt.datetime,
) -> str:
    """raw.hj212_packet rows in COPY text format (``received``: the hour the file was received,
    the packets' partition key)."""
    head = f"{batch_id}\t{text_value(rel)}\t"
    tail = f"\t{text_value(receiver)}\t"
    end = f"\t{received.isoformat()}\n"
    out = []
    for p in packets:
        out.append(
            f"{head}{p.line_number}\t{p.seq}{tail}{text_value(p.qn)}\t{p.st}\t{p.cn}\t{p.mn}\t"
            f"{text_value(p.flag)}\t{text_value(p.protocol)}\t{'t' if p.needs_ack else 'f'}\t"
            f"{text_value(p.pnum)}\t{text_value(p.pno)}\t"
            f"{text_value(p.data_time.isoformat() if p.data_time else None)}\t{p.kind}\t"
            f"{p.readings}\t{'t' if p.was_split else 'f'}\t{text_value(p.raw)}{end}"
        )
    return "".join(out)


def reading_rows(readings: Iterable[hj212.Reading], batch_id: int, rel: str) -> str:
    """raw.hj212_reading rows in COPY text format (the value as the packet wrote it)."""
    tail = f"\t{batch_id}\t{text_value(rel)}\t"
    null = "\\N"
    out = []
    packet = head = middle = end = None
    # a packet's readings are consecutive and share its fields: those are formatted once
    for mn, st, cn, data_time, code, statistic, _, flag, qn, line, seq, source, text in readings:
        if seq != packet:
            packet, head = seq, f"{mn}\t{cn}\t{data_time.isoformat()}\t"
            middle, end = f"\t{st}\t", f"\t{text_value(qn)}{tail}{line}\t{seq}\n"
        out.append(
            f"{head}{code}\t{statistic}\t{text}\t{null if flag is None else flag}{middle}"
            f"{null if source is None else source}{end}"
        )
    return "".join(out)


@dataclass
class _Dedupe:
    unique: list[hj212.Reading]
    in_file_duplicates: int
    in_file_conflicts: int


# fields of a Reading (a NamedTuple): its packet's position, its packet's part of the reading key
# (mn, cn, data_time) and its own (pollutant_code, statistic)
_packet_seq, _packet_key, _own_key = (operator.itemgetter(*i) for i in ((10,), (0, 2, 3), (4, 5)))


def _distinct_keys(readings: Sequence[hj212.Reading]) -> bool:
    """No reading key twice: no two packets with the same (MN, CN, DataTime), and no
    (code, statistic) twice in one packet (checked a packet at a time: fast)."""
    packets = set()
    count = 0
    for _, group in itertools.groupby(readings, _packet_seq):
        own = list(group)
        if len(set(map(_own_key, own))) != len(own):
            return False
        packets.add(_packet_key(own[0]))
        count += 1
    return len(packets) == count


def dedupe(readings: Sequence[hj212.Reading]) -> _Dedupe:
    """First sighting of each reading key within one file; later ones counted (and conflicts)."""
    if _distinct_keys(readings):  # the usual file
        return _Dedupe(list(readings), 0, 0)
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
        copy_text(conn, table, READING_COLUMNS, rows)
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
    copy_text(conn, "hj212_incoming", READING_COLUMNS, rows)
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


@dataclass
class _Prepared:
    """A packet log parsed and turned into COPY rows (no database: runs in a worker thread)."""

    receiver: str
    hour: dt.datetime | None
    parsed: hj212.ParsedLog
    unique: _Dedupe
    packets: str
    readings: str
    received: dt.datetime
    reading_months: tuple[dt.date, ...]


def _prepare(batch: ledger.Batch, path: Path, scheme: hj212.FlagScheme) -> _Prepared:
    """Parse a file, dedupe its readings and build its COPY rows. Its receiver is its folder;
    it counts as received in the hour it is named for, else the hour it is loaded (never
    unset: the packets' partition key)."""
    if batch.data is None:
        raise OSError(f"cannot read file: {batch.unreadable}")
    hour = hour_of_file(path)
    received = hour or dt.datetime.now(hj212.LOCAL_TZ).replace(minute=0, second=0, microsecond=0)
    receiver = path.parent.name
    parsed = hj212.parse(batch.data, scheme)
    unique = dedupe(parsed.readings)
    packets = packet_rows(parsed.packets, batch.batch_id, batch.source_file, receiver, received)
    readings = reading_rows(unique.unique, batch.batch_id, batch.source_file)
    times = {r.data_time for r in unique.unique}
    months = {*partitions.months_near(times, received), *partitions.ahead(received)}
    return _Prepared(
        receiver, hour, parsed, unique, packets, readings, received, tuple(sorted(months))
    )


def _ensure_partitions(engine: sa.Engine, prep: _Prepared) -> None:
    """The months a file touches get their partitions before its transaction (see there)."""
    partitions.ensure(engine, "reading", prep.reading_months)
    partitions.ensure(engine, "packet", partitions.ahead(prep.received))


def _store(conn: sa.Connection, batch: ledger.Batch, prep: _Prepared) -> BatchResult:
    """COPY a prepared file into raw / quarantine and close its batch, in its transaction."""
    parsed = prep.parsed
    copy_text(conn, "raw.hj212_packet", PACKET_COLUMNS, prep.packets)
    new, conflicts = _insert_readings(conn, prep.readings)
    # an empty field value is recorded as NULL (no value was sent)
    ledger.quarantine(
        conn,
        batch.batch_id,
        SOURCE,
        batch.source_file,
        (
            ledger.Reject(r.line_number, r.column, r.value or None, r.reason, r.raw or None)
            for r in parsed.rejects
        ),
    )
    counts = parsed.counts
    records_in = len(parsed.readings) + len(parsed.rejects)
    duplicates = len(parsed.readings) - new
    conn.execute(
        sa.text(
            "insert into audit.hj212_file (batch_id, receiver, hour_start, packets_data,"
            " packets_ack, packets_other, packets_split, packets_rejected,"
            " readings_parsed, readings_new, readings_duplicate, readings_conflicting,"
            " fields_rejected, packets_request, datatime_milliseconds) values (:b, :r, :h,"
            " :pd, :pa, :po, :ps, :pr, :rp, :rn, :rd, :rc, :fr, :pq, :ms)"
        ),
        {
            "b": batch.batch_id,
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
            "pq": counts["packets_request"],
            "ms": counts["datatime_milliseconds"],
        },
    )
    return batch.close_loaded(conn, records_in, new, len(parsed.rejects), duplicates)


def _load_files(
    engine: sa.Engine,
    inbox: Path,
    paths: list[Path],
    loaded_by: str,
    interval: tuple[dt.datetime | None, dt.datetime | None],
    scheme: hj212.FlagScheme,
) -> list[BatchResult]:
    """The files through :func:`ingest.core.runner.load_files`: the next file parsed in a worker
    thread while this one's COPY runs."""
    return runner.load_files(
        engine,
        SOURCE,
        inbox,
        paths,
        loaded_by,
        interval,
        lambda batch, path: _prepare(batch, path, scheme),
        _store,
        (OSError,),
        _ensure_partitions,
    )


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
    scheme = scheme or hj212.FlagScheme.from_env()
    return _load_files(engine, inbox, [path], loaded_by, (interval_start, interval_end), scheme)[0]


def record_gaps(
    engine: sa.Engine, missing: list[tuple[str, dt.datetime]], detected_by: str
) -> None:
    """Record receiver-hours without a packet log (audit.feed_gap, source ``hj212:<receiver>``,
    keyed by the hour END like the station feed) and resolve those a late file has filled."""
    with engine.begin() as conn:
        ledger.record_gaps(
            conn,
            ((f"{SOURCE}:{r}", h + dt.timedelta(hours=1)) for r, h in missing),
            detected_by,
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
) -> LoadSummary:
    """Load every packet log of [start, end). Raises LoadFailed after loading the rest."""
    files, missing = files_in_interval(inbox, start, end)
    result = LoadSummary(
        "HJ 212", "packet logs", "readings", "receiver-hours without a file", gaps=list(missing)
    )
    scheme = scheme or hj212.FlagScheme.from_env()
    result.batches += _load_files(engine, inbox, files, loaded_by, (start, end), scheme)
    record_gaps(engine, missing, loaded_by)
    result.raise_if_failed()
    return result
