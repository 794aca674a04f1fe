"""What a transform run validates: every row, or only the days its new batches changed.

An hourly run that re-validated the whole history would cost more every month (issue 15); the
marts it builds are incremental, so its checks are too. The batches a run is about are those its
build's snapshot shows and the previous finished build's did not (``pipelines.transform``); the
days they changed come from their raw rows (by ``batch_id``). Each such day and the day before
it are validated: a station file's hour END at 00:00 is the previous day's last hour, and the
standard's day and 8-hour figures read neighbouring hours.

Every row is validated instead (with the reason recorded) when:
- the run is not asset-triggered (a manual run, the main command): the operator asked;
- no transform has finished yet;
- the last full validation was before today's local midnight: the day's first transform is the
  nightly full validation;
- the city profile or the device registry changed: they reach every day's coverage.

A suite whose latest validation failed critically validates every row until it passes
(``expectations.runner.run_stage``), so a bad day keeps gating what it guards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ingest.core import warehouse
from ingest.hj212 import load as hj212_load
from ingest.hj212 import registry
from ingest.reference import profile
from ingest.station import load as station_load

LOCAL_TIMEZONE = "Asia/Shanghai"
# raw rows of a batch, by source: the local day of each
_STATION_DAYS = (
    f"select distinct cast(observed_at at time zone '{LOCAL_TIMEZONE}' as date)"
    " from raw.station_hour_publication where batch_id = any(:b)"
)
_HJ212_DAYS = (
    f"select distinct cast(data_time at time zone '{LOCAL_TIMEZONE}' as date)"
    " from raw.hj212_reading where batch_id = any(:b)"
)
DAYS_OF_SOURCE = {
    **{feed.source: _STATION_DAYS for feed in station_load.FEEDS},
    hj212_load.SOURCE: _HJ212_DAYS,
}
# snapshots that change what every day's coverage means
EVERY_DAY_SOURCES = (profile.SOURCE, registry.SOURCE)


@dataclass(frozen=True)
class Scope:
    """The days to validate (``None``: every row) and why."""

    days: tuple[dt.date, ...] | None
    reason: str

    @property
    def full(self) -> bool:
        return self.days is None

    def as_dict(self) -> dict[str, object]:
        days = None if self.days is None else [d.isoformat() for d in self.days]
        return {"days": days, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> Scope:
        """The scope a task returned (``None``: every row, e.g. when that task failed)."""
        if not data or data.get("days") is None:
            return cls(None, str((data or {}).get("reason") or "every row"))
        days = data["days"]
        assert isinstance(days, list)
        return cls(tuple(dt.date.fromisoformat(str(d)) for d in days), str(data["reason"]))


def run_scope(snapshot: str, asset_triggered: bool) -> Scope:
    """What a run whose build started from ``snapshot`` validates (the rules above)."""
    if not asset_triggered:
        return Scope(None, "a manual run validates every row")
    engine = warehouse.engine()
    try:
        with engine.connect() as conn:
            last = conn.execute(
                sa.text(
                    "select seen_snapshot from dq.transform_run"
                    " order by built_at desc, pipeline_run limit 1"
                )
            ).scalar()
            if last is None:
                return Scope(None, "the first transform validates every row")
            nightly = conn.execute(
                sa.text(
                    "select coalesce(max(built_at) filter (where full_validation), '-infinity')"
                    f" < date_trunc('day', now() at time zone '{LOCAL_TIMEZONE}')"
                    f" at time zone '{LOCAL_TIMEZONE}' from dq.transform_run"
                )
            ).scalar_one()
            if nightly:
                return Scope(None, "the day's first transform validates every row (nightly)")
            new = conn.execute(
                sa.text(
                    "select source, array_agg(batch_id) from audit.load_batch"
                    " where status = 'loaded' and loaded_xid is not null"
                    " and pg_visible_in_snapshot(loaded_xid, cast(:now as pg_snapshot))"
                    " and not pg_visible_in_snapshot(loaded_xid, cast(:last as pg_snapshot))"
                    " group by source"
                ),
                {"now": snapshot, "last": last},
            ).all()
            changed = sorted(source for source, _ in new if source in EVERY_DAY_SOURCES)
            if changed:
                return Scope(None, f"{', '.join(changed)} changed: every row is validated")
            days: set[dt.date] = set()
            for source, batches in new:
                sql = DAYS_OF_SOURCE.get(source)
                if sql is not None:
                    days.update(conn.execute(sa.text(sql), {"b": list(batches)}).scalars())
    finally:
        engine.dispose()
    chosen = tuple(sorted(days | {d - dt.timedelta(days=1) for d in days}))
    return Scope(chosen, f"the {len(chosen)} day(s) the run's new batches changed")
