"""What a transform run is about: the batches its build saw that the last finished build had
not (so an asset-triggered run with none builds nothing), and the rows it validates: every row,
or only the days those batches changed.

What a build saw is exact, not a clock comparison (migration 0015): each loaded batch records the
transaction that committed it (``audit.load_batch.loaded_xid``), each finished build the snapshot
it started from (``dq.transform_run``); a batch is unseen by a snapshot that does not show its
transaction (``pg_visible_in_snapshot``), so a batch committing while a build starts is never
taken as seen.

An hourly run that re-validated the whole history would cost more every month (issue 15); the
marts it builds are incremental, so its checks are too. The days the run's batches changed come
from their raw rows (by ``batch_id``). Each such day and the day before
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
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ingest.core import warehouse
from ingest.core.migrate import migrate
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
    """The days to validate (``None``: every row) and why; with them, the batches the run
    loaded (a suite of loaded rows validates those: ``expectations.window``)."""

    days: tuple[dt.date, ...] | None
    reason: str
    batches: tuple[int, ...] | None = None

    @property
    def full(self) -> bool:
        return self.days is None

    @property
    def check_since(self) -> str | None:
        """Where the dbt data tests of a time-series model start reading (``run_dbt``'s
        ``check_since``): the local midnight of the first day, ``None`` for every row, and
        ``infinity`` (no time-series row) when the run changed no day."""
        if self.days is None:
            return None
        if not self.days:
            return "infinity"
        first = dt.datetime.combine(min(self.days), dt.time(), ZoneInfo(LOCAL_TIMEZONE))
        return first.isoformat()

    def as_dict(self) -> dict[str, object]:
        days = None if self.days is None else [d.isoformat() for d in self.days]
        batches = None if self.days is None or self.batches is None else list(self.batches)
        return {"days": days, "reason": self.reason, "batches": batches}

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> Scope:
        """The scope a task returned (``None``: every row, e.g. when that task failed)."""
        if not data or data.get("days") is None:
            return cls(None, str((data or {}).get("reason") or "every row"))
        days = data["days"]
        assert isinstance(days, list)
        batches = data.get("batches")
        return cls(
            tuple(dt.date.fromisoformat(str(d)) for d in days),
            str(data["reason"]),
            None if batches is None else tuple(int(b) for b in batches),  # type: ignore[union-attr]
        )


def warehouse_snapshot() -> str:
    """The warehouse's snapshot (``pg_current_snapshot()``), read before a build: the batches
    whose loading transaction it shows are in the build; the others are not."""
    engine = warehouse.engine()
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("select cast(pg_current_snapshot() as text)")).scalar())
    finally:
        engine.dispose()


def loaded_outside(snapshot: str) -> list[int]:
    """The loaded batches ``snapshot`` does not show: data a build that started from it has not
    seen (the transform's ``catch_up`` announces them)."""
    engine = warehouse.engine()
    try:
        with engine.connect() as conn:
            return [batch for _, batch in _loaded_between(conn, snapshot)]
    finally:
        engine.dispose()


def unseen_loads() -> list[int] | None:
    """The loaded batches no finished transform has seen; ``None`` when no transform has
    finished yet (there is no build to compare with: build)."""
    engine = warehouse.engine()
    migrate(engine)
    try:
        with engine.connect() as conn:
            last = _last_built(conn)
            return None if last is None else [b for _, b in _loaded_between(conn, last)]
    finally:
        engine.dispose()


def should_build(asset_triggered: bool) -> bool:
    """Whether a transform run builds: a manual one always; an asset-triggered one when a batch
    loaded that no finished transform saw (so an event whose data an earlier run already took,
    as backfill's concurrent loads give, starts no second build). Says why in the run's log."""
    if not asset_triggered:
        return True
    unseen = unseen_loads()
    if unseen is None:
        print("no transform has finished yet: building")
        return True
    print(f"batches no finished transform saw: {unseen or 'none (nothing to build)'}")
    return bool(unseen)


def record_built(pipeline_run: str, snapshot: str, full_validation: bool = True) -> None:
    """Record that ``pipeline_run``'s marts build finished on the data ``snapshot`` showed, and
    whether the run validated every row (the nightly full validation, see :func:`run_scope`)."""
    engine = warehouse.engine()
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "insert into dq.transform_run (pipeline_run, seen_snapshot, full_validation)"
                    " values (:r, :s, :f) on conflict (pipeline_run) do update set seen_snapshot"
                    " = excluded.seen_snapshot, full_validation = excluded.full_validation,"
                    " built_at = clock_timestamp()"
                ),
                {"r": pipeline_run, "s": snapshot, "f": full_validation},
            )
    finally:
        engine.dispose()


def _last_built(conn: sa.Connection) -> str | None:
    """The snapshot the last finished build started from."""
    last = conn.execute(
        sa.text(
            "select seen_snapshot from dq.transform_run"
            " order by built_at desc, pipeline_run limit 1"
        )
    ).scalar()
    return None if last is None else str(last)


def _loaded_between(
    conn: sa.Connection, unseen_by: str, seen_by: str | None = None
) -> list[tuple[str, int]]:
    """(source, batch id) of the loaded batches the snapshot ``unseen_by`` does not show (and,
    with ``seen_by``, that snapshot does), in batch order."""
    return [
        (str(source), int(batch))
        for source, batch in conn.execute(
            sa.text(
                "select source, batch_id from audit.load_batch where status = 'loaded'"
                " and loaded_xid is not null"
                " and not pg_visible_in_snapshot(loaded_xid, cast(:unseen as pg_snapshot))"
                " and (cast(:seen as text) is null"
                " or pg_visible_in_snapshot(loaded_xid, cast(:seen as pg_snapshot)))"
                " order by batch_id"
            ),
            {"unseen": unseen_by, "seen": seen_by},
        ).all()
    ]


def run_scope(snapshot: str, asset_triggered: bool) -> Scope:
    """What a run whose build started from ``snapshot`` validates (the rules above)."""
    if not asset_triggered:
        return Scope(None, "a manual run validates every row")
    engine = warehouse.engine()
    try:
        with engine.connect() as conn:
            last = _last_built(conn)
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
            new: dict[str, list[int]] = {}
            for source, batch in _loaded_between(conn, last, seen_by=snapshot):
                new.setdefault(source, []).append(batch)
            changed = sorted(source for source in new if source in EVERY_DAY_SOURCES)
            if changed:
                return Scope(None, f"{', '.join(changed)} changed: every row is validated")
            days: set[dt.date] = set()
            for source, batches in new.items():
                sql = DAYS_OF_SOURCE.get(source)
                if sql is not None:
                    days.update(conn.execute(sa.text(sql), {"b": batches}).scalars())
    finally:
        engine.dispose()
    chosen = tuple(sorted(days | {d - dt.timedelta(days=1) for d in days}))
    loaded = tuple(sorted(b for batches in new.values() for b in batches))
    return Scope(chosen, f"the {len(chosen)} day(s) the run's new batches changed", loaded)
