"""Entry points of the HJ 212 ingest that the DAG and the CLI call (no Airflow import).

One step loads the device registry (``config/device_registry.csv``, or ``LANTIAN_DEVICE_REGISTRY``)
into ``raw.device_registry`` and then the packet logs of the interval
(``<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log``) into ``raw.hj212_packet`` / ``raw.hj212_reading``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.core import ledger, warehouse
from ingest.core.migrate import migrate
from ingest.hj212 import load as hj212_load
from ingest.hj212 import parse as hj212
from ingest.hj212 import registry as device_registry
from pipelines.settings import inbox_dir, registry_path


def load_hj212_interval(
    start: dt.datetime,
    end: dt.datetime,
    loaded_by: str = "cli",
    inbox: Path | None = None,
    registry: Path | None = None,
    raise_failed: bool = True,
) -> dict[str, object]:
    """Load the registry, then the packet logs of [start, end); a failed packet log raises
    LoadFailed after the rest loaded (or, without ``raise_failed``, is listed in ``failures``)."""
    engine = warehouse.engine()
    try:
        migrate(engine)
        registry_batch = device_registry.load_registry(engine, registry or registry_path())
        summary = ledger.outcome(
            lambda: hj212_load.load_interval(
                engine, inbox or inbox_dir(), start, end, loaded_by, hj212.FlagScheme.from_env()
            )
        )
    finally:
        engine.dispose()
    return ledger.finish(
        summary,
        raise_failed,
        (start, end),
        registry_batch=registry_batch,
    )
