"""Airflow DAG ``lantian_forms_ingest``: load the bureau workbooks (委办局报表) of the inbox.

Thin by design: scheduling and parameters here, the work in ``pipelines.forms``. Hourly at :00
Asia/Shanghai (CronDataIntervalTimetable): a run loads every workbook under ``<inbox>/forms/``
(and ``revisions/forms/``) that had arrived (file modified) before the end of its hour and is not
loaded yet, so a workbook sent at 10:20 lands by 11:00 (not the next midnight), a missed hour is
caught up by the next run, and no workbook is loaded twice (path + SHA-256). The manual-run param
``load_all`` loads every workbook of the inbox now, whatever its arrival time. A broken workbook
fails the run after the others are loaded and announced; its feedback report
(``<state>/reports/forms/``) tells the bureau what to fix.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param, get_current_context, task

from pipelines.dag_common import (
    BEIJING,
    FORMS_RAW,
    RETRIES,
    announce_and_report,
    cron_schedule,
    input_errors_fail_without_retry,
)

with DAG(
    dag_id="lantian_forms_ingest",
    description="委办局报表入库 / load bureau spreadsheets into raw.form_record",
    schedule=cron_schedule("0 * * * *"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=BEIJING),
    catchup=False,
    max_active_runs=1,
    default_args=RETRIES,
    params={
        "load_all": Param(
            False,
            type="boolean",
            description="load every workbook in the inbox, whatever its arrival time (manual runs)",
        ),
    },
    tags=["lantian", "ingest", "forms"],
):

    @task
    def load_bureau_workbooks() -> dict[str, object]:
        from pipelines.forms import load_forms

        context = get_current_context()
        run = context["dag_run"]
        end = context.get("data_interval_end")
        # a manual run without a logical date (no data interval) loads what has arrived by now
        arrived_before = None if context["params"].get("load_all") or end is None else end
        with input_errors_fail_without_retry():  # a bad schema or profile: no retry can help
            return load_forms(
                arrived_before, loaded_by=f"{run.dag_id}/{run.run_id}", raise_failed=False
            )

    announce_and_report(load_bureau_workbooks(), FORMS_RAW)
