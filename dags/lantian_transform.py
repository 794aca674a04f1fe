"""Airflow DAG ``lantian_transform``: dbt below the marts, GX gates, the marts, GX on the marts.

Triggered by the ingest DAGs' Assets (announced only when a load landed a batch; several feeds'
events coalesce into one run), and by ``PENDING``, which a run's last task announces when loads
committed after its build started, so no load waits for an unrelated event. An asset-triggered
run whose batches a finished transform already saw (backfill's concurrent loads, an event that
arrived after a run took its data) stops at ``anything_new``: one build per batch. Order: dbt build
of seeds, staging and intermediate models -> every GX ``gate`` suite (expectations/suites/*.json with "stage": "gate"; over the days the
run's new batches changed, or every row: ``pipelines.scope``, which bounds the dbt data tests of
the time-series models too; a critical failure
keeps the marts the suite guards at their last good version) -> dbt build of the marts without
the blocked ones -> every GX ``marts`` suite, source freshness, the run's report and the rolling
report (``trigger_rule=all_done``: results are recorded even when a step failed) -> the verdict,
which fails the run visibly and says which suite blocked which marts. Results land in ``dq``.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, get_current_context, task

from pipelines.dag_common import FORMS_RAW, HJ212_RAW, MARTS, PENDING, RETRIES, STATION_RAW

BUILDS = ("dbt_build_upstream", "dbt_build_marts")


def _pipeline_run() -> str:
    run = get_current_context()["dag_run"]
    return f"{run.dag_id}__{run.run_id}".replace(":", "").replace("+", "")


with DAG(
    dag_id="lantian_transform",
    description="dbt 构建指标集市并做数据质量校验 / build marts with dbt, validate with GX",
    schedule=(STATION_RAW | FORMS_RAW | HJ212_RAW | PENDING),
    # a retry can succeed when the warehouse restarted or a lock timed out; the verdict and
    # the catch-up judge what was recorded and never retry
    default_args=RETRIES,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["lantian", "transform", "dq"],
):

    @task.short_circuit
    def anything_new() -> bool:
        """An asset-triggered run builds only when a batch loaded that no finished transform
        saw; a manual run always builds (``pipelines.scope.should_build``)."""
        from pipelines.scope import should_build

        return should_build(get_current_context()["dag_run"].run_type == "asset_triggered")

    @task
    def dbt_build_upstream() -> dict[str, object]:
        from pipelines.transform import upstream_step

        run = get_current_context()["dag_run"]
        return upstream_step(asset_triggered=run.run_type == "asset_triggered")

    @task
    def gate(upstream_result: dict[str, object]) -> dict[str, object]:
        from pipelines.transform import gate_step

        return gate_step(_pipeline_run(), upstream_result.get("scope"))  # type: ignore[arg-type]

    @task(outlets=[MARTS])
    def dbt_build_marts(
        gate_result: dict[str, object], upstream_result: dict[str, object]
    ) -> dict[str, object]:
        from pipelines.transform import marts_build_step

        return marts_build_step(
            list(gate_result.get("blocked") or []),  # type: ignore[call-overload]
            _pipeline_run(),
            str(upstream_result["seen_snapshot"]),
            gate_result.get("scope"),  # type: ignore[arg-type]
        )

    @task(trigger_rule="all_done")
    def validate_marts() -> dict[str, object]:
        """The marts suites over the gate's scope (every row when the gate did not finish)."""
        from pipelines.transform import marts_step

        gated = get_current_context()["ti"].xcom_pull(task_ids="gate") or {}
        return marts_step(_pipeline_run(), gated.get("scope"))

    @task(trigger_rule="all_done")
    def dq_reports() -> dict[str, object]:
        from pipelines.transform import reports_step

        return reports_step(_pipeline_run())

    @task(trigger_rule="all_done", retries=0)
    def verdict() -> str:
        """Fails the run when a critical expectation failed, naming suites and the marts kept;
        a dbt build that failed is named first (the suites then judged stale or absent marts)."""
        from pipelines.transform import verdict_step

        ti = get_current_context()["ti"]
        unbuilt = [t for t in BUILDS if ti.xcom_pull(task_ids=t) is None]
        return verdict_step(_pipeline_run(), failed_builds=unbuilt)

    @task(trigger_rule="all_done", retries=0, outlets=[PENDING])
    def catch_up() -> dict[str, object]:
        """Loads that committed after this run's build started (their asset event may have
        been consumed by this run, or by none): announce them, so the next run takes them."""
        from airflow.sdk.exceptions import AirflowSkipException

        from pipelines.scope import loaded_outside

        ti = get_current_context()["ti"]
        upstream = ti.xcom_pull(task_ids="dbt_build_upstream") or {}
        if not upstream.get("seen_snapshot"):
            raise AirflowSkipException("the upstream build failed: the next load's event retries")
        newer = loaded_outside(str(upstream["seen_snapshot"]))
        if not newer:
            raise AirflowSkipException("nothing loaded since this run's build started")
        return {"batches_loaded_since": newer}

    @task(trigger_rule="one_failed", retries=0)
    def watcher() -> None:
        """Airflow's watcher pattern: the run fails visibly when any task failed, even though
        the data-quality steps (all_done) still ran after it."""
        raise RuntimeError("a transform step failed: see the failed task's log (dbt or GX)")

    upstream = dbt_build_upstream()
    anything_new() >> upstream
    gated = gate(upstream)
    built = dbt_build_marts(gated, upstream)
    checked = validate_marts()
    built >> checked
    reports = dq_reports()
    checked >> reports
    judged = verdict()
    reports >> judged
    judged >> catch_up()
    [upstream, gated, built, checked, reports, judged] >> watcher()
