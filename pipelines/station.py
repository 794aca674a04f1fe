"""Entry points of the station ingest (the national feed and the county feed) and of the city
profile that the DAG and the CLI call; no Airflow import."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

from ingest.core import ledger, warehouse
from ingest.core.migrate import migrate
from ingest.reference import profile as reference
from ingest.station import load
from pipelines.settings import inbox_dir, profile_path


def load_reference() -> dict[str, object]:
    """Load the city profile (cities, stations, peer groups, targets, events) into raw.ref_*."""
    engine = warehouse.engine()
    migrate(engine)
    batch = reference.load_profile(engine, profile_path())
    engine.dispose()
    return {"profile": str(profile_path()), "batch_id": batch, "changed": batch is not None}


def load_station_interval(
    start: dt.datetime,
    end: dt.datetime,
    loaded_by: str = "cli",
    inbox: Path | None = None,
    raise_failed: bool = True,
) -> dict[str, object]:
    """Load the station files of [start, end) from the inbox: the national feed, and the county
    feed when the inbox has its folder (an inbox without one expects no county files, so it
    records no county gaps). Each feed loads whatever the other's files did; a failed file
    raises after both (or, without ``raise_failed``, is listed in ``failures``)."""
    engine = warehouse.engine()
    migrate(engine)
    root = inbox or inbox_dir()
    feeds = [f for f in load.FEEDS if f is load.NATIONAL or (root / f.folder).is_dir()]
    try:
        summary = ledger.run_all(
            "stations",
            [partial(load.load_interval, engine, root, start, end, loaded_by, f) for f in feeds],
        )
    finally:
        engine.dispose()
    return ledger.finish(summary, raise_failed, (start, end), feeds=[f.folder for f in feeds])
