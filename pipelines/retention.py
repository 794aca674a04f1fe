"""Retention of HJ 212 minute and real-time data: ``python -m pipelines retention``.

Minute (CN 2051) and real-time (CN 2011) readings and the packets that carried them live in their
own monthly partitions (``raw.hj212_reading_minute_YYYYMM``, ``raw.hj212_packet_minute_YYYYMM``,
migration ``0016_hj212_partitions.sql``); hourly (2061) and daily (2031) ones, acks and other
commands are in the ``*_hourly_*`` partitions, which this never touches. A minute partition whose
whole month ended more than ``LANTIAN_HJ212_MINUTE_RETENTION_DAYS`` days ago is dropped (a
partition drop: no row-by-row delete, no bloat), and ``audit.hj212_partition_drop`` records its
name, range, row count and batches, when and by whom.

What the marts need from the minutes is the hourly value ``int_hj212__hourly`` derives from them
(Appendix D), so a partition is dropped only when that model has processed every batch in it
(:func:`processed_by_hourly_model`, the one place that decides); otherwise it is kept and the
refusal is reported. Run as the warehouse admin (the user that migrates): dropping a table needs
its owner, and the DAG tasks' login has no DDL rights.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from dataclasses import dataclass

import sqlalchemy as sa

from ingest.hj212 import partitions
from ingest.hj212.protocol import LOCAL_TZ

RETENTION_ENV = "LANTIAN_HJ212_MINUTE_RETENTION_DAYS"
# 400 days: a full year of minutes plus a month, so a year's review can still go back to them;
# the hourly and daily values stay forever whatever this says.
DEFAULT_RETENTION_DAYS = 400
PARENTS = ("raw.hj212_reading_minute", "raw.hj212_packet_minute")
HOURLY_MODEL = "int_hj212__hourly"
HOURLY_RELATION = ("intermediate", HOURLY_MODEL)
_MONTHLY = re.compile(r"_(\d{4})(\d{2})$")


def retention_days(value: str | None = None) -> int | None:
    """The retention in days from the setting (``value`` or the environment); None = keep
    forever (``none``, ``0`` or a negative number). Unset: :data:`DEFAULT_RETENTION_DAYS`."""
    text = os.environ.get(RETENTION_ENV) if value is None else value
    if text is None or not text.strip():
        return DEFAULT_RETENTION_DAYS
    if text.strip().lower() in ("none", "forever", "keep"):
        return None
    try:
        days = int(text)
    except ValueError:
        raise ValueError(f"{RETENTION_ENV}={text!r}: a number of days, or 'none'") from None
    return days if days > 0 else None


@dataclass(frozen=True)
class Partition:
    """A monthly minute partition: its qualified name, parent and local month range."""

    name: str
    parent: str
    range_start: dt.datetime
    range_end: dt.datetime


@dataclass
class Decision:
    """What retention did with one expired partition, and why."""

    partition: Partition
    rows: int
    min_batch: int | None
    max_batch: int | None
    safe: bool  # the hourly model has processed it
    dropped: bool
    reason: str


def _month_range(name: str) -> tuple[dt.datetime, dt.datetime] | None:
    match = _MONTHLY.search(name)
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    start = dt.datetime(year, month, 1, tzinfo=LOCAL_TZ)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=LOCAL_TZ)
    return start, end


def expired_partitions(conn: sa.Connection, cutoff: dt.datetime) -> list[Partition]:
    """Monthly minute partitions whose month ended at or before ``cutoff`` (defaults never)."""
    found = conn.execute(
        sa.text(
            "select p.relname as parent, c.relname as child from pg_inherits i"
            " join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent"
            " join pg_namespace n on n.oid = p.relnamespace"
            " where n.nspname = 'raw' and p.relname = any(:parents) order by c.relname"
        ),
        {"parents": [name.split(".", 1)[1] for name in PARENTS]},
    ).all()
    out = []
    for parent, child in found:
        bounds = _month_range(child)
        if bounds is not None and bounds[1] <= cutoff:
            out.append(Partition(f"raw.{child}", f"raw.{parent}", *bounds))
    return out


def processed_by_hourly_model(conn: sa.Connection, max_batch: int | None) -> tuple[bool, str]:
    """Whether ``int_hj212__hourly`` has taken every batch of a partition into account, and why
    (or why not). THE rule, in one place: every batch in the partition is at or below the
    model's highest ``raw_batch_watermark`` (its watermark stays below any batch still loading,
    ``macros/incremental.sql``). A model without that column is a warehouse built before the
    model became incremental (its first ``dbt build --full-refresh`` is still due): nothing is
    dropped before it."""
    if max_batch is None:
        return True, "empty partition"
    schema, table = HOURLY_RELATION
    columns = set(
        conn.execute(
            sa.text(
                "select column_name from information_schema.columns"
                " where table_schema = :s and table_name = :t"
            ),
            {"s": schema, "t": table},
        ).scalars()
    )
    if not columns:
        return False, f"{schema}.{table} does not exist (never built): its hours are not derived"
    if "raw_batch_watermark" not in columns:
        return False, f"{schema}.{table} is not incremental yet: run dbt build --full-refresh"
    watermark = conn.execute(
        sa.text(f'select max(raw_batch_watermark) from "{schema}"."{table}"')
    ).scalar()
    if watermark is not None and max_batch <= watermark:
        return True, f"batches <= {max_batch}, {HOURLY_MODEL} watermark {watermark}"
    return False, f"batch {max_batch} above {HOURLY_MODEL}'s watermark {watermark}"


def _inspect(conn: sa.Connection, part: Partition) -> tuple[int, int | None, int | None]:
    rows, low, high = conn.execute(
        sa.text(f"select count(*), min(batch_id), max(batch_id) from {part.name}")
    ).one()
    return rows, low, high


def apply_retention(
    engine: sa.Engine,
    days: int | None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> list[Decision]:
    """Drop the minute partitions expired under ``days`` (None: keep forever, nothing happens)
    that the hourly model has processed; one transaction per partition, audited."""
    if days is None:
        return []
    cutoff = (now or dt.datetime.now(LOCAL_TZ)) - dt.timedelta(days=days)
    with engine.connect() as conn:
        candidates = expired_partitions(conn, cutoff)
    decisions = []
    for part in candidates:
        with engine.begin() as conn:
            # no row may arrive in the partition between its count and its drop (a share lock
            # stops writes to it alone); the drop then locks the parent briefly: never queue
            # behind a long build forever
            conn.exec_driver_sql("set local lock_timeout = '60s'")
            if not dry_run:
                conn.exec_driver_sql(f"lock table {part.name} in share mode")
            rows, low, high = _inspect(conn, part)
            safe, reason = processed_by_hourly_model(conn, high)
            decision = Decision(part, rows, low, high, safe, safe and not dry_run, reason)
            decisions.append(decision)
            if not decision.dropped:
                continue
            conn.execute(
                sa.text(
                    "insert into audit.hj212_partition_drop (partition_name, parent_table,"
                    " range_start, range_end, row_count, min_batch_id, max_batch_id,"
                    " retention_days, safe_because) values (:n, :p, :s, :e, :r, :lo, :hi, :d,"
                    " :why)"
                ),
                {
                    "n": part.name,
                    "p": part.parent.rsplit("_", 1)[0],
                    "s": part.range_start,
                    "e": part.range_end,
                    "r": rows,
                    "lo": low,
                    "hi": high,
                    "d": days,
                    "why": reason,
                },
            )
            conn.exec_driver_sql(f"drop table {part.name}")
    partitions.forget()
    return decisions


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``retention`` verb of ``python -m pipelines``."""
    p = sub.add_parser(
        "retention", help="drop expired HJ 212 minute / real-time partitions (audited)"
    )
    p.add_argument("--days", help=f"override {RETENTION_ENV} (default {DEFAULT_RETENTION_DAYS})")
    p.add_argument("--dry-run", action="store_true", help="say what would go, drop nothing")


def main(engine: sa.Engine, args: argparse.Namespace) -> int:
    """Run retention, print one line per expired partition; 1 when one had to be kept."""
    try:
        days = retention_days(args.days)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if days is None:
        print(f"{RETENTION_ENV}: keep forever; nothing dropped")
        return 0
    decisions = apply_retention(engine, days, dry_run=args.dry_run)
    for d in decisions:
        verb = "dropped" if d.dropped else ("would drop" if d.safe else "KEPT")
        print(
            f"{verb} {d.partition.name} ({d.rows} rows, batches {d.min_batch}..{d.max_batch}):"
            f" {d.reason}"
        )
    if not decisions:
        print(f"no minute partition older than {days} days")
    refused = [d for d in decisions if not d.safe]
    return 1 if refused else 0
