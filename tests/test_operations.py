"""How a run behaves when something is wrong, as the data team meets it (issue 14, finding 5):
one bad national file does not stop the county feed of the same run, and the summary stops
reporting a failed file once it has been fixed and loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import ledger
from ingest.core.ledger import LoadFailed
from ingest.station import parse as ns
from pipelines import scope
from pipelines import station as pipeline
from pipelines.summary import summary
from tests.test_county import DAY, _hour_file, _rows


def test_a_bad_national_file_does_not_stop_the_county_feed_and_a_fixed_one_clears(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database("operations")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    inbox = tmp_path / "inbox"
    start = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)
    for h in (1, 2):
        _hour_file(inbox / "national_station", start + dt.timedelta(hours=h), ("N1", "N2"))
        _hour_file(inbox / "county_station", start + dt.timedelta(hours=h), ("C1", "C2"))
    bad = inbox / "national_station" / f"{start + dt.timedelta(hours=1):%Y-%m-%dT%H}.csv"
    good = bad.read_bytes()
    bad.write_text("not,the,publication,layout\n1,2,3,4\n", encoding="utf-8")
    end = start + dt.timedelta(hours=2)

    with pytest.raises(LoadFailed, match=r"national_station.*T01\.csv"):
        pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
    # the county files of the same run loaded all the same, and so did the good national file
    partial = pipeline.load_station_interval(
        start, end, loaded_by="test", inbox=inbox, raise_failed=False
    )
    assert partial["files_unchanged"] == 3 and len(partial["failures"]) == 1  # type: ignore[arg-type]
    loaded = _rows(
        url,
        "select source, count(*) from audit.load_batch where status = 'loaded'"
        " group by source order by source",
    )
    assert loaded == [
        ("county_station_hourly", 2),
        ("national_station_hourly", 1),
    ]
    assert "batches: 3 loaded, 1 files failed" in summary(url)

    bad.write_bytes(good)  # the data team fixes the file and re-runs the interval
    fixed = pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
    assert fixed["batches_loaded"] == 1 and fixed["failures"] == []
    assert "batches: 4 loaded, 0 files failed" in summary(url)


def test_a_failed_dbt_build_is_the_verdict_not_the_suites_after_it() -> None:
    """Issue 14, finding 1: when a build of the run failed, the verdict names it (the suites
    after it judged marts that were not rebuilt) and says where its error is."""
    from pipelines.transform import StepFailed, verdict_step

    with pytest.raises(
        StepFailed, match=r"dbt build failed in dbt_build_upstream .*dq\.dbt_result"
    ):
        verdict_step("no-such-run", failed_builds=["dbt_build_upstream"])


def test_a_transform_builds_only_batches_no_finished_transform_saw(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, finding 4 and backfill's concurrent loads: what a build saw is the warehouse
    snapshot it started from, so an event whose batch an earlier build took starts no second
    build, and a batch whose transaction was still open when the build started is not taken as
    seen (it commits after: the next run builds it)."""
    url = make_database("seen")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    inbox = tmp_path / "inbox"
    start = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)
    for h in (1, 2):
        _hour_file(inbox / "national_station", start + dt.timedelta(hours=h), ("N1",))

    def load_hour(h: int) -> None:
        hour = start + dt.timedelta(hours=h - 1)
        pipeline.load_station_interval(hour, hour + dt.timedelta(hours=1), inbox=inbox)

    def last_batch() -> int:
        return _rows(url, "select max(batch_id) from audit.load_batch where status = 'loaded'")[0][
            0
        ]

    load_hour(1)
    assert scope.unseen_loads() is None  # no transform finished: the first one builds
    first = scope.warehouse_snapshot()
    scope.record_built("run-1", first)
    assert scope.unseen_loads() == []  # a second event for hour 1's batch builds nothing

    load_hour(2)
    assert scope.unseen_loads() == [last_batch()]
    assert scope.loaded_outside(first) == [last_batch()]

    # a batch commits while a build reads its snapshot: that build has not seen it
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    extra = inbox / "late.csv"
    extra.write_text("a late file\n", encoding="utf-8")
    batch = ledger.open_batch(engine, "test_feed", inbox, extra, "test")
    assert isinstance(batch, ledger.Batch)
    with engine.begin() as conn:
        batch.close_loaded(conn, records_in=0, loaded=0)
        during = scope.warehouse_snapshot()  # another session, the batch not yet committed
    engine.dispose()
    scope.record_built("run-2", during)
    assert scope.unseen_loads() == [batch.batch_id]  # so the next run builds it
    scope.record_built("run-3", scope.warehouse_snapshot())
    assert scope.unseen_loads() == []


def test_a_load_the_warehouse_interrupts_raises_for_a_retry_not_a_bad_file(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, retries: a lock timeout inside a load (as a server restart or a dropped
    connection) is the warehouse's fault, not the file's: the load raises WarehouseInterrupted
    naming the file (the task retries), records the batch as interrupted, keeps nothing of it,
    and the next attempt loads the file as a new batch."""
    url = make_database("interrupted")
    monkeypatch.setenv("WAREHOUSE_URL", f"{url}?options=-c%20lock_timeout%3D500")
    inbox = tmp_path / "inbox"
    start = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)
    _hour_file(inbox / "national_station", start + dt.timedelta(hours=1), ("N1", "N2"))
    end = start + dt.timedelta(hours=1)
    holder = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with holder.connect() as conn:
        conn.execute(sa.text("lock table raw.station_hour_publication in access exclusive mode"))
        with pytest.raises(ledger.WarehouseInterrupted, match=r"national_station/.*T01\.csv"):
            pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
        conn.rollback()
    holder.dispose()
    assert _rows(url, "select count(*) from raw.station_hour_publication") == [(0,)]
    interrupted = _rows(url, "select status, message from audit.load_batch order by batch_id")
    assert [s for s, _ in interrupted] == ["failed"] and interrupted[0][1].startswith(
        "interrupted: "
    )

    retried = pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
    assert retried["batches_loaded"] == 1 and retried["failures"] == []
    assert _rows(url, "select count(*) from raw.station_hour_publication") == [(2,)]
    assert "0 files failed" in summary(url)


@pytest.mark.slow
def test_a_batch_that_commits_after_a_later_one_still_reaches_the_marts(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backfill loads hours in parallel, so batches commit in any order: an incremental
    build between a later batch's commit and an earlier one's must not put the earlier one under
    its watermark for ever. The loader's steps, interleaved as two concurrent runs do them: hour
    1's batch opens, hour 2 loads whole, dbt builds, then hour 1's rows land and commit."""
    import yaml

    from ingest.reference import profile as reference
    from ingest.station import load
    from pipelines.dbt import run_dbt
    from tests.test_county import PROFILE
    from tests.test_warehouse_path import snapshot

    url = make_database("out_of_order")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    inbox = tmp_path / "inbox"
    start = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)
    for h in (1, 2):
        _hour_file(inbox / "national_station", start + dt.timedelta(hours=h), ("N1", "N2"))
    first = inbox / "national_station" / f"{start + dt.timedelta(hours=1):%Y-%m-%dT%H}.csv"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    profile = tmp_path / "profile.yaml"
    city = {k: v for k, v in PROFILE["city"].items() if k != "county_stations"}
    profile.write_text(yaml.safe_dump({"city": city}, allow_unicode=True), encoding="utf-8")
    reference.load_profile(engine, profile)
    slow = ledger.open_batch(engine, load.NATIONAL.source, inbox, first, "run-a")
    assert isinstance(slow, ledger.Batch)
    hour2 = start + dt.timedelta(hours=1)
    pipeline.load_station_interval(hour2, hour2 + dt.timedelta(hours=1), "run-b", inbox)
    select = ["--select", "+station_hour_aqi"]
    assert run_dbt(["build", *select], url, target_path=tmp_path / "t").success
    parsed = ns.parse(first, slow.data)
    with engine.begin() as conn:  # run A's rows land and commit now
        ledger.copy_csv(
            conn,
            "raw.station_hour_publication",
            load.RAW_COLUMNS,
            load.raw_rows(
                slow.batch_id,
                slow.source_file,
                load.publication_stage(first),
                load.NATIONAL.network,
                parsed.records,
            ),
        )
        slow.close_loaded(conn, parsed.records_in, len(parsed.records))
    assert run_dbt(["build", *select], url, target_path=tmp_path / "t").success
    hours = _rows(
        url, "select observed_at, count(*) from marts.station_hour_aqi group by 1 order by 1"
    )
    assert [n for _, n in hours] == [2, 2], hours  # both hours, both stations
    tables = ("intermediate.int_station_hour__current", "marts.station_hour_aqi")
    incremental = snapshot(engine, tables)
    assert run_dbt(["build", "--full-refresh", *select], url, target_path=tmp_path / "t").success
    assert snapshot(engine, tables) == incremental
    engine.dispose()
