"""What the Lantian Airflow DAGs share: the Assets (each URI typed once) and the hourly ingest
DAG's schedule, params and interval.

The one module of ``pipelines`` that imports Airflow, and only the DAG files import it. It lives
in the installed package, not beside the DAGs, because not every Airflow process puts the DAGs
folder on ``sys.path`` (a plain ``DagBag()`` does not), so a sibling module of the DAG files
would fail to import there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow.sdk import Asset, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.interval import CronDataIntervalTimetable

BEIJING = dt.timezone(dt.timedelta(hours=8))

# raw tables an ingest DAG lands (its outlet) and the marts the transform builds
STATION_RAW = Asset("lantian://warehouse/raw/station_hour_publication")
HJ212_RAW = Asset("lantian://warehouse/raw/hj212_packet")
FORMS_RAW = Asset("lantian://warehouse/raw/form_record")
MARTS = Asset("lantian://warehouse/marts/indicators")
# loads a transform run did not see (they committed after it started): the run announces them
# itself, so no load waits for an unrelated event (pipelines.scope.loaded_outside)
PENDING = Asset("lantian://warehouse/raw/pending")

# Retries where one can succeed (the warehouse restarting or unreachable, a lock timeout);
# a bad file or a bad interval fails at once (input_errors_fail_without_retry).
RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay": dt.timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=10),
}


def cron_schedule(cron: str) -> CronDataIntervalTimetable:
    """A cron schedule whose runs each cover the interval since the previous one (a plain cron
    gives an empty data interval in Airflow 3), in Beijing time."""
    return CronDataIntervalTimetable(cron, timezone="Asia/Shanghai")


HOURLY_INGEST = {
    "schedule": cron_schedule("0 * * * *"),
    "default_args": RETRIES,
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
    """Inside a task: the interval the run loads (``pipelines.settings.run_interval``: a manual
    run without a logical date has no data interval in Airflow 3) and the name it loads under."""
    from pipelines.settings import run_interval

    context = get_current_context()
    start, end = run_interval(
        context["params"], context.get("data_interval_start"), context.get("data_interval_end")
    )
    run = context["dag_run"]
    return start, end, f"{run.dag_id}/{run.run_id}"


@contextmanager
def input_errors_fail_without_retry() -> Iterator[None]:
    """What retrying cannot fix fails the task at once, with its message: a bad interval, a bad
    configuration file (the profile, the registry, the bureau-form schemas and code lists)."""
    from ingest.forms.schema import SchemaError
    from ingest.hj212.registry import RegistryError
    from ingest.reference.profile import ProfileError
    from pipelines.settings import IntervalError

    try:
        yield
    except (IntervalError, ProfileError, RegistryError, SchemaError) as exc:
        raise AirflowFailException(str(exc)) from exc


def announce_and_report(loaded: Any, asset: Asset) -> None:
    """Inside a DAG, after the load task: announce ``asset`` (which starts the transform) only
    when the load landed a batch, and fail the run, naming each file and cause, when a file
    failed; the batches of the other files are announced all the same."""

    @task.short_circuit
    def anything_loaded(result: dict[str, Any]) -> bool:
        return int(result.get("batches_loaded") or 0) > 0

    @task(outlets=[asset])
    def announce(result: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in result.items() if k != "failures"}

    @task(retries=0)
    def bad_files(result: dict[str, Any]) -> None:
        failures = result.get("failures") or []
        if failures:
            raise AirflowFailException(
                f"{len(failures)} file(s) failed to load (fix or re-send, then re-run the"
                f" interval): {'; '.join(failures)}"
            )

    anything_loaded(loaded) >> announce(loaded)
    bad_files(loaded)
