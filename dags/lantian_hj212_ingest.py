"""Airflow DAG ``lantian_hj212_ingest``: load the HJ 212 packet logs of its interval.

Thin by design: scheduling and parameters here, the work in ``pipelines.hj212``. Hourly
(CronDataIntervalTimetable, Asia/Shanghai): each run loads the device registry and the packet
logs named for the hour it covers (``<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log``, hour START).
A manual run or backfill may name any interval with the params ``interval_start`` /
``interval_end`` (ISO 8601). Re-running an interval changes nothing (files are identified by
path and SHA-256, readings by key). Its outlet Asset announces new packets to the transform.
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from pipelines.dag_common import (
    HJ212_RAW,
    HOURLY_INGEST,
    announce_and_report,
    input_errors_fail_without_retry,
    run_interval_and_name,
)

with DAG(
    dag_id="lantian_hj212_ingest",
    description="HJ 212 在线监测报文入库 / load HJ 212 packet logs into raw",
    tags=["lantian", "ingest", "hj212"],
    **HOURLY_INGEST,
):

    @task
    def load_hj212_packets() -> dict[str, object]:
        from pipelines.hj212 import load_hj212_interval

        with input_errors_fail_without_retry():
            start, end, loaded_by = run_interval_and_name()
            return load_hj212_interval(start, end, loaded_by=loaded_by, raise_failed=False)

    announce_and_report(load_hj212_packets(), HJ212_RAW)
