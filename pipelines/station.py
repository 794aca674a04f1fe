"""Entry points the DAGs and the CLI call: one function per pipeline step, no Airflow import.

Keeping them here leaves the DAG files thin (scheduling only) and lets tests run each step
without Airflow.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ingest.core import paths, warehouse
from ingest.core.migrate import migrate
from ingest.reference import profile as reference
from ingest.station import load
from pipelines.dbt import run_dbt


class StepFailed(RuntimeError):
    """A pipeline step failed; the message says which and why."""


def run_interval(
    params: dict[str, object], data_interval_start: dt.datetime, data_interval_end: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The interval a run loads: its data interval, or the ISO ``interval_start``/``interval_end``
    params of a manual run or backfill (so a year loads in one run)."""
    start = params.get("interval_start")
    end = params.get("interval_end")
    return (
        dt.datetime.fromisoformat(str(start)) if start else data_interval_start,
        dt.datetime.fromisoformat(str(end)) if end else data_interval_end,
    )


def inbox_dir() -> Path:
    """``LANTIAN_INBOX``, default ``<state>/sample_inbox`` (the generated sample)."""
    return Path(os.environ.get("LANTIAN_INBOX", warehouse.state_dir() / "sample_inbox")).resolve()


def profile_path() -> Path:
    """``LANTIAN_PROFILE``, default ``config/city_profile.yaml``."""
    default = paths.config_dir() / "city_profile.yaml"
    return Path(os.environ.get("LANTIAN_PROFILE", default)).resolve()


def load_reference() -> dict[str, object]:
    """Load the city profile (cities, stations, peer groups, targets, events) into raw.ref_*."""
    engine = warehouse.engine()
    migrate(engine)
    batch = reference.load_profile(engine, profile_path())
    engine.dispose()
    return {"profile": str(profile_path()), "batch_id": batch, "changed": batch is not None}


def load_station_interval(
    start: dt.datetime, end: dt.datetime, loaded_by: str = "cli", inbox: Path | None = None
) -> dict[str, object]:
    """Load the station files of [start, end) from the inbox: the national feed, and the county
    feed when the inbox has its folder (an inbox without one expects no county files, so it
    records no county gaps); raise if any file failed."""
    engine = warehouse.engine()
    migrate(engine)
    root = inbox or inbox_dir()
    feeds = [f for f in load.FEEDS if f is load.NATIONAL or (root / f.folder).is_dir()]
    results = []
    try:
        for feed in feeds:
            results.append(load.load_interval(engine, root, start, end, loaded_by, feed))
            print(f"{feed.folder}: {results[-1].summary()}")
    finally:
        engine.dispose()

    def total(attr: str) -> int:
        return sum(r.total(attr) for r in results)

    return {
        "interval_start": start.isoformat(),
        "interval_end": end.isoformat(),
        "feeds": [f.folder for f in feeds],
        "batches_loaded": sum(1 for r in results for b in r.batches if b.status == "loaded"),
        "files_unchanged": sum(1 for r in results for b in r.batches if b.status == "skipped"),
        "records_in": total("records_in"),
        "records_loaded": total("loaded"),
        "records_quarantined": total("quarantined"),
        "records_duplicate": total("duplicates"),
        "hours_without_file": sum(len(r.missing_hours) for r in results),
    }


# dbt selections of the transform: the layers below the marts (and the quarantine views over
# them, so invalidated values show even when a gate holds the marts back), then the marts (which
# a critical data-quality failure in between keeps at their last good version).
UPSTREAM = [
    "--select",
    "path:seeds",
    "path:models/staging",
    "path:models/intermediate",
    "path:models/quarantine",
]
MARTS = ["--select", "path:models/marts", "path:models/lineage"]


def build(selection: list[str] | None = None) -> dict[str, object]:
    """``dbt build`` of a selection (models, data and unit tests); results land in dq.dbt_result."""
    engine = warehouse.engine()
    migrate(engine)
    engine.dispose()
    outcome = run_dbt(["build", *(selection or [])])
    if not outcome.success:
        raise StepFailed(
            f"dbt build failed: {', '.join(outcome.failed) or 'see the dbt log above'}"
        )
    return {"dbt_invocation_id": outcome.invocation_id, "dbt_nodes": outcome.results}


def build_marts() -> dict[str, object]:
    """The whole dbt project in one build (CLI convenience; the DAG builds in two steps)."""
    return build()


def validate(
    suite: str, run_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict[str, object]:
    """Run a GX suite as a checkpoint; raise StepFailed on a critical failure."""
    from expectations.checkpoint import run_checkpoint

    outcome = run_checkpoint(
        warehouse.warehouse_url(),
        suite,
        run_id=run_id,
        interval_start=start,
        interval_end=end,
        report_dir=report_dir(),
    )
    print(outcome.summary())
    if not outcome.critical_success:
        raise StepFailed(f"critical data-quality failure in suite {suite}: {outcome.summary()}")
    return {
        "run_id": outcome.run_id,
        "success": outcome.success,
        "report": str(outcome.report_path),
    }


def validate_coverage(
    run_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict[str, object]:
    """GX coverage checkpoint on marts.station_day_coverage."""
    return validate("station_day_coverage", run_id, start, end)


def report_dir() -> Path:
    return warehouse.state_dir() / "reports" / "dq"
