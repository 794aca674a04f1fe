"""Airflow DAG ``lantian_station_ingest``: load the hourly national station files of its interval.

Thin by design: scheduling and parameters here, the work in ``pipelines.station``. Hourly in
production (CronDataIntervalTimetable gives each run the hour it covers; a plain cron would give
an empty interval in Airflow 3). A manual run or backfill may name any interval with the params
``interval_start``/``interval_end`` (ISO 8601), so a year loads in one run, not 8,760.
Its outlet Asset triggers ``lantian_transform`` (Airflow's example_assets pattern).
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from pipelines.dag_common import (
    HOURLY_INGEST,
    STATION_RAW,
    announce_and_report,
    input_errors_fail_without_retry,
    run_interval_and_name,
)

with DAG(
    dag_id="lantian_station_ingest",
    description="国控站点小时数据入库 / load national station hourly files into raw",
    tags=["lantian", "ingest"],
    **HOURLY_INGEST,
):

    @task
    def load_reference_config() -> dict[str, object]:
        from pipelines.station import load_reference

        with input_errors_fail_without_retry():
            return load_reference()

    @task
    def load_station_files() -> dict[str, object]:
        from pipelines.station import load_station_interval

        with input_errors_fail_without_retry():
            start, end, loaded_by = run_interval_and_name()
            return load_station_interval(start, end, loaded_by=loaded_by, raise_failed=False)

    loaded = load_station_files()
    load_reference_config() >> loaded
    announce_and_report(loaded, STATION_RAW)
