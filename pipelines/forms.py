"""Entry points of the bureau-form ingest that the DAG and the CLI call (no Airflow import)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.core import warehouse
from ingest.core.migrate import migrate
from ingest.forms.load import load_inbox
from ingest.forms.schema import load_registry
from pipelines.station import inbox_dir, profile_path


def report_dir() -> Path:
    """Where the per-workbook feedback reports go: ``<state>/reports/forms/<form_id>/``."""
    return warehouse.state_dir() / "reports" / "forms"


def load_forms(
    arrived_before: dt.datetime | None = None,
    loaded_by: str = "cli",
    inbox: Path | None = None,
) -> dict[str, object]:
    """Load the inbox's bureau workbooks not loaded yet (all of them, or those that had arrived
    before ``arrived_before``). Raises LoadFailed after loading the rest if any workbook failed."""
    engine = warehouse.engine()
    migrate(engine)
    registry = load_registry(profile_path())
    try:
        result = load_inbox(
            engine, inbox or inbox_dir(), registry, report_dir(), loaded_by, arrived_before
        )
    finally:
        engine.dispose()
    print(result.summary())
    return {
        "arrived_before": arrived_before.isoformat() if arrived_before else None,
        "workbooks_loaded": result.count("loaded"),
        "workbooks_unchanged": result.count("skipped"),
        "records_in": result.total("records_in"),
        "records_loaded": result.total("loaded"),
        "records_quarantined": result.total("quarantined"),
        "records_duplicate": result.total("duplicates"),
        "feedback_reports": str(report_dir()),
    }
