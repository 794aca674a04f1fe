"""Checks bounded by the run (issue 15): an asset-triggered transform validates the days its new
batches changed, not the history; a manual run, the first one, the day's first one and one after
a reference change validate every row; a suite that failed critically validates every row until
it passes, so a bad day that later runs do not touch keeps gating the marts it guards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from expectations import runner
from ingest.core import warehouse
from ingest.station import load
from ingest.station import parse as ns
from pipelines import transform as transform_steps
from pipelines.dbt import run_dbt
from pipelines.scope import Scope, run_scope, warehouse_snapshot
from tests.conftest import REAL
from tests.test_expectations_marts import MN_A, batch, hourly, make_station_inbox, registry

WHOLE = (dt.datetime(2026, 1, 1, tzinfo=ns.LOCAL_TZ), dt.datetime(2027, 1, 1, tzinfo=ns.LOCAL_TZ))
MARCH = {d: dt.date(2026, 3, d) for d in range(13, 18)}


def _relabelled(inbox: Path, day: int) -> None:
    """The real 2026-03-15 08:00 publication, as the same hour of another day of March."""
    text = (REAL / "2026-03-15T08.csv").read_text(encoding="utf-8")
    target = inbox / "national_station" / f"2026-03-{day:02d}T08.csv"
    target.write_text(text.replace("2026-03-15T0800", f"2026-03-{day:02d}T0800"), encoding="utf-8")


@pytest.mark.slow
def test_a_run_validates_the_days_it_changed_and_a_failing_suite_everything(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database("bounded")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    engine = warehouse.engine(url)
    inbox = make_station_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    load.load_interval(engine, inbox, *WHOLE)
    with engine.begin() as conn:
        registry(conn, batch(conn, "device_registry", 3, 3, 0, 0))
        hourly(conn, batch(conn, "hj212", 2, 2, 0, 0), MN_A, "31", {0: "N", 1: "N"})

    runs: dict[str, tuple[dt.datetime, dt.datetime]] = {}

    def transform(run: str) -> dict[str, object]:
        began = dt.datetime.now(dt.UTC)
        gate = transform_steps.build_and_gate(run, asset_triggered=True)
        transform_steps.marts_step(run, gate["scope"])  # type: ignore[arg-type]
        runs[run] = (began, dt.datetime.now(dt.UTC))
        return gate

    def unit_tests_between(began: dt.datetime, ended: dt.datetime) -> int:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "select count(*) from dq.dbt_result where resource_type = 'unit_test'"
                    " and generated_at between :b and :e"
                ),
                {"b": began, "e": ended},
            ).scalar_one()

    def validated(run: str) -> dict[str, list[dt.date] | None]:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select suite, validated_days from dq.validation_run where pipeline_run = :r"
                ),
                {"r": run},
            ).all()
        return {suite: days for suite, days in rows}

    def elements(run: str, suite: str) -> int:
        """How many rows the suite's row-count expectation saw."""
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "select cast(r.observed_value as integer) from dq.expectation_result r"
                    " join dq.validation_run v using (run_id) where v.pipeline_run = :r"
                    " and v.suite = :s and r.expectation_type = 'ExpectTableRowCountToBeBetween'"
                ),
                {"r": run, "s": suite},
            ).scalar_one()

    def rows_on(days: list[dt.date] | None) -> int:
        where = "" if days is None else " where day = any(:d)"
        with engine.connect() as conn:
            return conn.execute(
                sa.text(f"select count(*) from marts.station_day_coverage{where}"), {"d": days}
            ).scalar_one()

    first = transform("run-1")
    assert first["scope"] == {
        "days": None,
        "reason": "the first transform validates every row",
        "batches": None,
    }
    assert set(validated("run-1").values()) == {None}

    # the same day's next hour, and an HJ 212 hour with a flag outside HJ 212 table 8
    make_station_inbox(inbox, ("2026-03-15T09.csv",))
    load.load_interval(engine, inbox, *WHOLE)
    with engine.begin() as conn:
        hourly(conn, batch(conn, "hj212", 2, 2, 0, 0), MN_A, "31", {2: "N", 3: "X"})
    second = transform("run-2")
    changed = [MARCH[14], MARCH[15]]  # the day and the day before it
    assert second["scope"]["days"] == [d.isoformat() for d in changed]  # type: ignore[index]
    assert "hj212_reading_staging" in second["critical_failures"]  # type: ignore[operator]
    days = validated("run-2")
    assert days["station_hour_staging"] == changed and days["station_day_coverage"] == changed
    assert days["load_batch_reconciliation"] is None  # no day column: every row, always
    assert elements("run-2", "station_day_coverage") == rows_on(changed)
    # the staged readings (a table of loaded rows, "batch_column") are validated by the run's
    # new batches, not by its days: the day's earlier readings were validated when they came
    with engine.connect() as conn:
        new_readings, day_readings = conn.execute(
            sa.text(
                "select count(*) filter (where batch_id = any(:b)), count(*) filter (where"
                " cast(data_time_local as date) = any(:d)) from staging.stg_hj212__reading"
            ),
            {"b": second["scope"]["batches"], "d": changed},  # type: ignore[index]
        ).one()
        checked = conn.execute(
            sa.text(
                "select max(r.element_count) from dq.expectation_result r join dq.validation_run"
                " v using (run_id) where v.pipeline_run = 'run-2' and v.suite = :s"
            ),
            {"s": "hj212_reading_staging"},
        ).scalar_one()
    assert 0 < checked == new_readings < day_readings

    # two days later: only that day (and the day before) is validated by the station suites,
    # but the HJ 212 suite that failed on the 15th validates everything and still gates
    _relabelled(inbox, 17)
    load.load_interval(engine, inbox, *WHOLE)
    third = transform("run-3")
    changed = [MARCH[16], MARCH[17]]
    assert third["scope"]["days"] == [d.isoformat() for d in changed]  # type: ignore[index]
    days = validated("run-3")
    assert days["station_day_coverage"] == changed
    assert elements("run-3", "station_day_coverage") == rows_on(changed) < rows_on(None)
    assert days["hj212_reading_staging"] is None
    assert "hj212_reading_staging" in third["critical_failures"]  # type: ignore[operator]
    assert "stg_hj212__reading+" in third["blocked"]  # type: ignore[operator]

    # a run that loaded only data without days (a bureau workbook): its day-bounded suites
    # have nothing to validate and say so; the others validate every row
    with engine.begin() as conn:
        batch(conn, "form:key_task", 1, 1, 0, 0)
    forms_only = run_scope(warehouse_snapshot(), asset_triggered=True)
    assert forms_only.days == ()
    stage = runner.run_stage(url, "marts", "run-forms", days=forms_only.days)
    reasons = {o.suite.name: o.skipped_reason for o in stage.outcomes}
    assert "changed no day" in str(reasons["station_day_coverage"])
    assert reasons["load_batch_reconciliation"] is None
    assert "hj212_reading_staging" not in reasons  # a gate suite: not in this stage

    # what makes a run validate every row
    snapshot = warehouse_snapshot()
    assert run_scope(snapshot, asset_triggered=False).full  # a manual run
    with engine.begin() as conn:  # the last full validation was yesterday: the nightly one
        conn.execute(sa.text("update dq.transform_run set built_at = built_at - interval '1 day'"))
    nightly = run_scope(snapshot, asset_triggered=True)
    assert nightly.full and "nightly" in nightly.reason

    # dbt's data tests of a time-series model read the run's days too (macros/check_window.sql):
    # a status outside the accepted ones on the 15th fails the model's test over every row, and
    # not over a run that changed only the 16th and 17th (the nightly run checks the 15th)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "update intermediate.int_station_hour__current set pm10_status = 'corrupted'"
                " where observed_at = '2026-03-15T08:00+08:00'"
            )
        )
    grain = ["test", "--select", "int_station_hour__current,test_type:data"]
    bounded = run_dbt(grain, url, check_since=Scope.from_dict(third["scope"]).check_since)  # type: ignore[arg-type]
    assert bounded.success and bounded.results > 0, bounded.failed
    every_row = run_dbt(grain, url)
    assert not every_row.success
    assert any("int_station_hour__current_pm10_status" in f for f in every_row.failed)
    # an hourly run's builds leave the unit tests (logic on fixed rows) to the full runs
    assert unit_tests_between(*runs["run-1"]) > 0
    assert unit_tests_between(*runs["run-3"]) == 0
    engine.dispose()
