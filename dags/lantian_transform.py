"""Airflow DAG ``lantian_transform``: dbt below the marts, a GX gate, the marts, GX coverage.

Triggered by the station ingest DAG's Asset. Order: dbt build of seeds, staging and intermediate
models -> GX suite ``station_hour_staging`` (critical expectations: a failure stops the run
here, so the marts keep their last good version) -> dbt build of the marts -> GX coverage suite
on the marts, with ``trigger_rule=all_done`` so data-quality results are recorded even when a
dbt test failed. dbt and GX results are loaded into the ``dq`` schema.
"""

from __future__ import annotations

import datetime as dt
import itertools

from airflow.sdk import DAG, Asset, get_current_context, task

STATION_RAW = Asset("lantian://warehouse/raw/station_hour_publication")
FORMS_RAW = Asset("lantian://warehouse/raw/form_record")
HJ212_RAW = Asset("lantian://warehouse/raw/hj212_packet")
MARTS = Asset("lantian://warehouse/marts/indicators")


def _run_id(step: str) -> str:
    run = get_current_context()["dag_run"]
    return f"{run.dag_id}__{step}__{run.run_id}".replace(":", "").replace("+", "")


with DAG(
    dag_id="lantian_transform",
    description="dbt 构建指标集市并做数据质量校验 / build marts with dbt, validate with GX",
    schedule=(STATION_RAW | FORMS_RAW | HJ212_RAW),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["lantian", "transform", "dq"],
):

    @task
    def dbt_build_upstream() -> dict[str, object]:
        from ingest.pipeline import UPSTREAM, build

        return build(UPSTREAM)

    @task
    def gate_station_hours() -> dict[str, object]:
        from ingest.pipeline import validate

        return validate("station_hour_staging", _run_id("gate"))

    @task(outlets=[MARTS])
    def dbt_build_marts() -> dict[str, object]:
        from ingest.pipeline import MARTS as MART_SELECTION
        from ingest.pipeline import build

        return build(MART_SELECTION)

    @task(trigger_rule="all_done")
    def validate_station_coverage() -> dict[str, object]:
        from ingest.pipeline import validate_coverage

        return validate_coverage(_run_id("coverage"))

    @task(trigger_rule="one_failed", retries=0)
    def watcher() -> None:
        """Airflow's watcher pattern: the run fails visibly when any task failed, even though
        the coverage validation (all_done) still ran after it."""
        raise RuntimeError("a transform step failed: see the failed task's log (gate or dbt)")

    steps = [
        dbt_build_upstream(),
        gate_station_hours(),
        dbt_build_marts(),
        validate_station_coverage(),
    ]
    for upstream, downstream in itertools.pairwise(steps):
        upstream >> downstream
    steps >> watcher()
