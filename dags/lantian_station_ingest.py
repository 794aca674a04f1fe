"""Airflow DAG ``lantian_station_ingest``: load the hourly national station files of its interval.

Thin by design: scheduling and parameters here, the work in ``ingest.pipeline``. Hourly in
production (CronDataIntervalTimetable gives each run the hour it covers; a plain cron would give
an empty interval in Airflow 3). A manual run or backfill may name any interval with the params
``interval_start``/``interval_end`` (ISO 8601), so a year loads in one run, not 8,760.
Its outlet Asset triggers ``lantian_transform`` (Airflow's example_assets pattern).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Asset, Param, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

STATION_RAW = Asset("lantian://warehouse/raw/station_hour_publication")

with DAG(
    dag_id="lantian_station_ingest",
    description="国控站点小时数据入库 / load national station hourly files into raw",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="Asia/Shanghai"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    catchup=False,
    max_active_runs=1,
    params={
        "interval_start": Param(
            None, type=["null", "string"], description="ISO start (manual runs)"
        ),
        "interval_end": Param(None, type=["null", "string"], description="ISO end (manual runs)"),
    },
    tags=["lantian", "ingest"],
):

    @task
    def load_reference_config() -> dict[str, object]:
        from pipelines.station import load_reference

        return load_reference()

    @task(outlets=[STATION_RAW])
    def load_station_files() -> dict[str, object]:
        from pipelines.station import load_station_interval, run_interval

        context = get_current_context()
        start, end = run_interval(
            context["params"], context["data_interval_start"], context["data_interval_end"]
        )
        run = context["dag_run"]
        return load_station_interval(start, end, loaded_by=f"{run.dag_id}/{run.run_id}")

    load_reference_config() >> load_station_files()
