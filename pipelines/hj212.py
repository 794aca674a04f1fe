"""Entry points of the HJ 212 ingest that the DAG and the CLI call (no Airflow import).

One step loads the device registry (``config/device_registry.csv``, or ``LANTIAN_DEVICE_REGISTRY``)
into ``raw.device_registry`` and then the packet logs of the interval
(``<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log``) into ``raw.hj212_packet`` / ``raw.hj212_reading``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ingest.core import paths, warehouse
from ingest.core.migrate import migrate
from ingest.hj212 import load as hj212_load
from ingest.hj212 import parse as hj212
from pipelines.station import inbox_dir


def registry_path() -> Path:
    """``LANTIAN_DEVICE_REGISTRY``, default ``config/device_registry.csv``."""
    default = paths.config_dir() / "device_registry.csv"
    return Path(os.environ.get("LANTIAN_DEVICE_REGISTRY", default)).resolve()


def load_hj212_interval(
    start: dt.datetime,
    end: dt.datetime,
    loaded_by: str = "cli",
    inbox: Path | None = None,
    registry: Path | None = None,
) -> dict[str, object]:
    """Load the registry, then the packet logs of [start, end); raise LoadFailed if any failed."""
    engine = warehouse.engine()
    try:
        migrate(engine)
        registry_batch = hj212_load.load_registry(engine, registry or registry_path())
        result = hj212_load.load_interval(
            engine, inbox or inbox_dir(), start, end, loaded_by, hj212.FlagScheme.from_env()
        )
    finally:
        engine.dispose()
    print(result.summary())
    return {
        "interval_start": start.isoformat(),
        "interval_end": end.isoformat(),
        "registry_batch": registry_batch,
        "batches_loaded": sum(1 for b in result.batches if b.status == "loaded"),
        "files_unchanged": sum(1 for b in result.batches if b.status == "skipped"),
        "records_in": result.total("records_in"),
        "records_loaded": result.total("loaded"),
        "records_quarantined": result.total("quarantined"),
        "records_duplicate": result.total("duplicates"),
        "receiver_hours_without_file": len(result.missing_files),
    }
