"""Entry points of the bureau-form ingest that the DAG and the CLI call (no Airflow import)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.core import ledger, warehouse
from ingest.core.migrate import migrate
from ingest.forms.load import load_inbox
from ingest.forms.schema import load_registry
from pipelines.settings import forms_report_dir, inbox_dir, profile_path


def load_forms(
    arrived_before: dt.datetime | None = None,
    loaded_by: str = "cli",
    inbox: Path | None = None,
    raise_failed: bool = True,
) -> dict[str, object]:
    """Load the inbox's bureau workbooks not loaded yet (all of them, or those that had arrived
    before ``arrived_before``). A broken workbook raises LoadFailed after the rest loaded (or,
    without ``raise_failed``, is listed in ``failures``); its feedback report says what to fix."""
    engine = warehouse.engine()
    migrate(engine)
    registry = load_registry(profile_path())
    try:
        summary = ledger.outcome(
            lambda: load_inbox(
                engine,
                inbox or inbox_dir(),
                registry,
                forms_report_dir(),
                loaded_by,
                arrived_before,
            )
        )
    finally:
        engine.dispose()
    return ledger.finish(
        summary,
        raise_failed,
        arrived_before=arrived_before.isoformat() if arrived_before else None,
        feedback_reports=str(forms_report_dir()),
    )
