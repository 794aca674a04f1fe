"""What the Lantian Airflow DAGs share: the Assets (each URI typed once) and the hourly ingest
DAG's schedule, params and interval.

The one module of ``pipelines`` that imports Airflow, and only the DAG files import it. It lives
in the installed package, not beside the DAGs, because not every Airflow process puts the DAGs
folder on ``sys.path`` (a plain ``DagBag()`` does not), so a sibling module of the DAG files
would fail to import there."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, Param, get_current_context
from airflow.timetables.interval import CronDataIntervalTimetable

BEIJING = dt.timezone(dt.timedelta(hours=8))

# raw tables an ingest DAG lands (its outlet) and the marts the transform builds
STATION_RAW = Asset("lantian://warehouse/raw/station_hour_publication")
HJ212_RAW = Asset("lantian://warehouse/raw/hj212_packet")
FORMS_RAW = Asset("lantian://warehouse/raw/form_record")
MARTS = Asset("lantian://warehouse/marts/indicators")


def cron_schedule(cron: str) -> CronDataIntervalTimetable:
    """A cron schedule whose runs each cover the interval since the previous one (a plain cron
    gives an empty data interval in Airflow 3), in Beijing time."""
    return CronDataIntervalTimetable(cron, timezone="Asia/Shanghai")


HOURLY_INGEST = {
    "schedule": cron_schedule("0 * * * *"),
    "start_date": dt.datetime(2026, 1, 1, tzinfo=BEIJING),
    "catchup": False,
    "max_active_runs": 1,
    "params": {
        "interval_start": Param(
            None, type=["null", "string"], description="ISO start (manual runs)"
        ),
        "interval_end": Param(None, type=["null", "string"], description="ISO end (manual runs)"),
    },
}
"""The keyword arguments of an hourly ingest DAG: each run covers its hour; a manual run or
backfill may name any interval with the params ``interval_start``/``interval_end`` (ISO 8601)."""


def run_interval_and_name() -> tuple[dt.datetime, dt.datetime, str]:
    """Inside a task: the interval the run loads and the name it loads under (dag/run id)."""
    from pipelines.settings import run_interval

    context = get_current_context()
    start, end = run_interval(
        context["params"], context["data_interval_start"], context["data_interval_end"]
    )
    run = context["dag_run"]
    return start, end, f"{run.dag_id}/{run.run_id}"
