"""The device registry (``config/device_registry.csv``): which HJ 212 device (MN) is what.

Configuration, not history: each load replaces ``raw.device_registry`` in one transaction as one
snapshot batch of the ledger (source ``device_registry``); going back to a version loaded
before gives its rows that version's batch again.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from ingest.core import ledger

SOURCE = "device_registry"
COLUMNS = (
    "mn",
    "kind",
    "name",
    "uscc",
    "outlet_id",
    "outlet_name",
    "county",
    "industry",
    "o2_ref_pct",
    "emission_standard_id",
)
DEVICE_KINDS = ("cems", "dust", "micro_station")


class RegistryError(ValueError):
    """The device registry file is not usable; the message names the file, line and column."""


def read_registry(path: Path) -> list[dict[str, str | Decimal | None]]:
    """The device registry rows (config/device_registry.csv), checked; raises RegistryError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read the device registry: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegistryError(f"{path}: header lacks column(s) {', '.join(missing)}")
    rows: list[dict[str, str | Decimal | None]] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        row: dict[str, str | Decimal | None] = {c: (raw[c] or "").strip() or None for c in COLUMNS}
        mn = row["mn"]
        if not mn or not isinstance(mn, str):
            raise RegistryError(f"{path}: line {line}: empty mn")
        if mn in seen:
            raise RegistryError(f"{path}: line {line}: mn {mn} listed twice")
        seen.add(mn)
        if row["kind"] not in DEVICE_KINDS:
            raise RegistryError(f"{path}: line {line}: kind {row['kind']!r} not in {DEVICE_KINDS}")
        if not row["name"]:
            raise RegistryError(f"{path}: line {line}: empty name")
        o2 = row["o2_ref_pct"]
        if o2 is not None:
            try:
                row["o2_ref_pct"] = Decimal(str(o2))
            except ArithmeticError as exc:
                raise RegistryError(f"{path}: line {line}: o2_ref_pct {o2!r} not a number") from exc
        rows.append(row)
    return rows


def load_registry(engine: sa.Engine, path: Path) -> int | None:
    """Replace raw.device_registry with the file's rows in one transaction. Returns the batch
    id, None if unchanged."""
    data = path.read_bytes()
    rows = read_registry(path)
    with engine.begin() as conn:
        current = conn.execute(sa.text("select max(batch_id) from raw.device_registry")).scalar()
        batch_id = ledger.snapshot_batch(
            conn, SOURCE, path, data, len(rows), "registry", current, reuse_earlier_version=True
        )
        if batch_id is None:
            return None
        conn.execute(sa.text("delete from raw.device_registry"))
        if rows:
            conn.execute(
                sa.text(
                    f"insert into raw.device_registry (batch_id, {', '.join(COLUMNS)})"
                    f" values (:batch_id, {', '.join(':' + c for c in COLUMNS)})"
                ),
                [{"batch_id": batch_id, **row} for row in rows],
            )
    return batch_id
