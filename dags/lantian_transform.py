"""Airflow DAG ``lantian_transform``: dbt build of the marts, then the GX coverage checkpoint.

Triggered by the station ingest DAG's Asset. The validation runs with ``trigger_rule=all_done``
so data-quality results are recorded even when a dbt test failed; a critical expectation
failure fails the run visibly. dbt and GX results are loaded into the ``dq`` schema.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Asset, get_current_context, task

STATION_RAW = Asset("lantian://warehouse/raw/station_hour_publication")
MARTS = Asset("lantian://warehouse/marts/indicators")

with DAG(
    dag_id="lantian_transform",
    description="dbt 构建指标集市并做数据质量校验 / build marts with dbt, validate with GX",
    schedule=[STATION_RAW],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["lantian", "transform", "dq"],
):

    @task(outlets=[MARTS])
    def dbt_build() -> dict[str, object]:
        from ingest.pipeline import build_marts

        return build_marts()

    @task(trigger_rule="all_done")
    def validate_station_coverage() -> dict[str, object]:
        from ingest.pipeline import validate_coverage

        run = get_current_context()["dag_run"]
        run_id = f"{run.dag_id}__{run.run_id}".replace(":", "").replace("+", "")
        return validate_coverage(run_id)

    dbt_build() >> validate_station_coverage()
