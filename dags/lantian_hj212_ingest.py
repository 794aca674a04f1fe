"""Airflow DAG ``lantian_hj212_ingest``: load the HJ 212 packet logs of its interval.

Thin by design: scheduling and parameters here, the work in ``ingest.hj212_pipeline``. Hourly
(CronDataIntervalTimetable, Asia/Shanghai): each run loads the device registry and the packet
logs named for the hour it covers (``<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log``, hour START).
A manual run or backfill may name any interval with the params ``interval_start`` /
``interval_end`` (ISO 8601). Re-running an interval changes nothing (files are identified by
path and SHA-256, readings by key). Its outlet Asset announces new packets to the transform.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Asset, Param, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

HJ212_RAW = Asset("lantian://warehouse/raw/hj212_packet")

with DAG(
    dag_id="lantian_hj212_ingest",
    description="HJ 212 在线监测报文入库 / load HJ 212 packet logs into raw",
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
    tags=["lantian", "ingest", "hj212"],
):

    @task(outlets=[HJ212_RAW])
    def load_hj212_packets() -> dict[str, object]:
        from pipelines.hj212 import load_hj212_interval
        from pipelines.station import run_interval

        context = get_current_context()
        start, end = run_interval(
            context["params"], context["data_interval_start"], context["data_interval_end"]
        )
        run = context["dag_run"]
        return load_hj212_interval(start, end, loaded_by=f"{run.dag_id}/{run.run_id}")

    load_hj212_packets()
