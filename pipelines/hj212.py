"""Entry points of the HJ 212 ingest that the DAG and the CLI call (no Airflow import).

One step loads the device registry (``config/device_registry.csv``, or ``LANTIAN_DEVICE_REGISTRY``)
into ``raw.device_registry`` and then the packet logs of the interval
(``<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log``) into ``raw.hj212_packet`` / ``raw.hj212_reading``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

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
        milliseconds = datatime_milliseconds(engine, summary)
    finally:
        engine.dispose()
    result = ledger.finish(
        summary,
        raise_failed,
        (start, end),
        registry_batch=registry_batch,
        datatime_milliseconds=milliseconds,
    )
    # after the ledger's line: a 17-digit DataTime (milliseconds; table 4 asks N14) is accepted,
    # kept and counted per file (audit.hj212_file.datatime_milliseconds)
    print(f"HJ 212 data packets with a 17-digit DataTime (milliseconds kept): {milliseconds}")
    return result


def datatime_milliseconds(engine: sa.Engine, summary: ledger.LoadSummary) -> int:
    """The data packets whose DataTime had milliseconds, over the files this run loaded."""
    batches = [b.batch_id for b in summary.batches if b.status == "loaded" and b.batch_id]
    if not batches:
        return 0
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "select coalesce(sum(datatime_milliseconds), 0) from audit.hj212_file"
                    " where batch_id = any(:b)"
                ),
                {"b": batches},
            ).scalar_one()
        )
