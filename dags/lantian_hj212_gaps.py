"""Airflow DAG ``lantian_hj212_gaps``: 补传, ask HJ 212 devices again for their missing hours.

Thin by design: the schedule here, the work in ``pipelines.hj212_gaps`` (which hours are
missing, the plan, the rate limit, the audit record). Hourly at half past (Asia/Shanghai), after
the hour's ingest and transform have had their turn; the replayed packets reach raw through the
receiver's next published hour and the ingest DAG. Settings from the environment
(``LANTIAN_RECEIVER_URLS``, ``LANTIAN_HJ212_GAP_*``: pipelines/settings.py).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, task

from pipelines.dag_common import BEIJING, RETRIES, cron_schedule

with DAG(
    dag_id="lantian_hj212_gaps",
    description="HJ 212 补传 / ask devices for the hours the warehouse is missing",
    tags=["lantian", "hj212", "gaps"],
    schedule=cron_schedule("30 * * * *"),
    default_args=RETRIES,
    start_date=dt.datetime(2026, 1, 1, tzinfo=BEIJING),
    catchup=False,
    max_active_runs=1,
):

    @task
    def request_missing_hours() -> dict[str, object]:
        from pipelines.hj212_gaps import fetch_gaps_back

        return fetch_gaps_back(requested_by="airflow")

    request_missing_hours()
