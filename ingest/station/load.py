"""Load inbox files into ``raw`` with one ``audit.load_batch`` row each; rejects go to ``quarantine``.

A file is identified by (source, path relative to the inbox, SHA-256). Loading a file already
loaded with the same content adds nothing (idempotent re-runs); a changed file for the same hour
(a revision, re-sent later or under ``revisions/``) is a new batch, and staging takes the latest
batch per station-hour while raw keeps every version (append-only history for auditors).
Bulk path: rows go in with ``COPY ... FROM STDIN``, not row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ingest.core import ledger, runner
from ingest.core.ledger import BatchResult, LoadSummary
from ingest.station import parse as ns

RAW_COLUMNS = (
    "batch_id",
    "source_file",
    "line_number",
    "publication_stage",
    "observed_at",
    "timepoint",
    "station_code",
    "longitude",
    "latitude",
    "area",
    "position_name",
    "primary_pollutant",
    "aqi",
    *ns.VALUE_COLUMNS,
    "network",
)


@dataclass(frozen=True)
class Feed:
    """An hourly station feed in the national publication's CSV layout.

    ``folder`` is its inbox folder; ``source`` names its batches and gaps in ``audit``;
    ``network`` is written on every record it lands (raw.station_hour_publication.network):
    national-control stations make the city figures, county stations the county figures.
    """

    folder: str
    source: str
    network: str

    @property
    def version_folders(self) -> tuple[Path, ...]:
        """Where each version of an hour's file is found under the inbox, in load order: the
        real-time publication, re-sends of it, and the audited values published the next month.
        Files under audited/ are stage 'audited', the others 'realtime' (see publication_stage)."""
        return (Path(self.folder), Path("revisions") / self.folder, Path("audited") / self.folder)


# 全国城市空气质量实时发布平台: the national-control (国控) stations
NATIONAL = Feed("national_station", ns.SOURCE, "national")
# 县(市、区)空气自动监测站: the province's county stations, published in the same CSV layout
COUNTY = Feed("county_station", "county_station_hourly", "county")
FEEDS = (NATIONAL, COUNTY)
FEED_FOLDER = NATIONAL.folder
VERSION_FOLDERS = NATIONAL.version_folders


def files_in_interval(
    inbox: Path, start: dt.datetime, end: dt.datetime, feed: Feed = NATIONAL
) -> tuple[list[Path], list[dt.datetime]]:
    """Hourly files whose hour (start-end, hour-ending naming) lies in [start, end), and gaps.

    Files under ``<inbox>/<feed folder>/`` (e.g. ``national_station/``; and ``revisions/``, ``audited/`` beside it) named
    ``YYYY-MM-DDTHH.csv`` for the hour ENDING at that local time: the file for 07:00-08:00 is
    ``...T08.csv`` and belongs to an interval that contains [07:00, 08:00).
    """
    found: dict[dt.datetime, list[Path]] = {}
    for relative in feed.version_folders:
        folder = inbox / relative
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.csv"):
            hour_end = ns.hour_of_file(path)
            if hour_end is not None and start < hour_end <= end:
                found.setdefault(hour_end, []).append(path)
    hours: list[dt.datetime] = []
    cursor = _ceil_hour(start) + dt.timedelta(hours=1)
    while cursor <= end:
        hours.append(cursor)
        cursor += dt.timedelta(hours=1)
    missing = [h for h in hours if h not in found]
    files = [p for h in sorted(found) for p in sorted(found[h], key=_revision_order)]
    return files, missing


def record_gaps(
    engine: sa.Engine, missing: list[dt.datetime], detected_by: str, feed: Feed = NATIONAL
) -> None:
    """Record hours without a file (once each) and resolve gaps a late file of the same feed
    has since filled."""
    with engine.begin() as conn:
        ledger.record_gaps(conn, ((feed.source, hour) for hour in missing), detected_by)
        conn.execute(
            sa.text(
                "update audit.feed_gap g set resolved_by_batch = ("
                "  select min(r.batch_id) from raw.station_hour_publication r"
                "  join audit.load_batch b on b.batch_id = r.batch_id and b.source = g.source"
                "  where r.observed_at = g.expected_hour_end)"
                " where g.source = :s and g.resolved_by_batch is null and exists ("
                "  select 1 from raw.station_hour_publication r"
                "  join audit.load_batch b on b.batch_id = r.batch_id and b.source = g.source"
                "  where r.observed_at = g.expected_hour_end)"
            ),
            {"s": feed.source},
        )


def _revision_order(path: Path) -> tuple[int, str]:
    parts = path.parts
    return (2 if "audited" in parts else 1 if "revisions" in parts else 0, str(path))


def publication_stage(path: Path) -> str:
    return "audited" if "audited" in path.parts else "realtime"


def _ceil_hour(moment: dt.datetime) -> dt.datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + dt.timedelta(hours=1)


def load_interval(
    engine: sa.Engine,
    inbox: Path,
    start: dt.datetime,
    end: dt.datetime,
    loaded_by: str = "cli",
    feed: Feed = NATIONAL,
) -> LoadSummary:
    """Load every file of one station feed of [start, end). Raises LoadFailed after loading the
    rest."""
    files, missing = files_in_interval(inbox, start, end, feed)
    result = LoadSummary(feed.folder, gaps=list(missing))
    result.batches += _load_files(engine, inbox, files, loaded_by, (start, end), feed)
    record_gaps(engine, missing, loaded_by, feed)
    result.raise_if_failed()
    return result


def load_file(
    engine: sa.Engine,
    inbox: Path,
    path: Path,
    loaded_by: str = "cli",
    interval_start: dt.datetime | None = None,
    interval_end: dt.datetime | None = None,
    feed: Feed = NATIONAL,
) -> BatchResult:
    """Load one file as one batch (or skip it if this exact content is already loaded)."""
    return _load_files(engine, inbox, [path], loaded_by, (interval_start, interval_end), feed)[0]


@dataclass
class _Prepared:
    """A file parsed and its raw rows formatted for COPY (no database: a worker thread)."""

    parsed: ns.ParsedFile
    rows: str


def _load_files(
    engine: sa.Engine,
    inbox: Path,
    paths: list[Path],
    loaded_by: str,
    interval: tuple[dt.datetime | None, dt.datetime | None],
    feed: Feed,
) -> list[BatchResult]:
    def prepare(batch: ledger.Batch, path: Path) -> _Prepared:
        if batch.data is None:
            raise ns.UnreadableFile(f"{path}: cannot read file: {batch.unreadable}")
        parsed = ns.parse(path, batch.data)
        stage = publication_stage(path)
        rows = raw_rows(batch.batch_id, batch.source_file, stage, feed.network, parsed.records)
        return _Prepared(parsed, ledger.csv_text(rows))

    def store(conn: sa.Connection, batch: ledger.Batch, prep: _Prepared) -> BatchResult:
        parsed = prep.parsed
        ledger.copy_text(conn, "raw.station_hour_publication", RAW_COLUMNS, prep.rows, True)
        ledger.quarantine(
            conn,
            batch.batch_id,
            feed.source,
            batch.source_file,
            (
                ledger.Reject(r.line_number, r.column, r.value, r.reason, r.raw)
                for r in parsed.rejects
            ),
        )
        return batch.close_loaded(
            conn, parsed.records_in, len(parsed.records), len(parsed.rejects), parsed.duplicates
        )

    return runner.load_files(
        engine, feed.source, inbox, paths, loaded_by, interval, prepare, store, (ns.UnreadableFile,)
    )


def raw_rows(
    batch_id: int, rel: str, stage: str, network: str, records: Iterable[dict[str, object]]
) -> Iterator[tuple[object, ...]]:
    """The raw.station_hour_publication rows of a file's records, in RAW_COLUMNS order."""
    head = (batch_id, rel)
    stamps: dict[object, str] = {}
    for rec in records:
        observed = rec["observed_at"]
        stamp = stamps.get(observed)
        if stamp is None:
            stamp = stamps[observed] = observed.isoformat()  # type: ignore[attr-defined]
        yield (
            *head,
            rec["line_number"],
            stage,
            stamp,
            rec["timepoint"],
            rec["stationcode"],
            rec["longitude"],
            rec["latitude"],
            rec["area"],
            rec["positionname"],
            rec["primarypollutant"],
            rec["aqi"],
            *[rec[c] for c in ns.VALUE_COLUMNS],
            network,
        )
