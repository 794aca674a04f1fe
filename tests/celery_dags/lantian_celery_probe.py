"""Airflow DAG ``lantian_celery_probe`` (tests only): which process ran each task?

Used by tests/test_celery.py through CeleryExecutor. Each task writes into the warehouse
(``WAREHOUSE_URL``) its pid, the chain of its parent pids and the token of the Celery worker
it found in its environment, so the test can prove the task ran under that worker process.
The second task reads what the first one wrote, so the DAG is a real two-step run.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.sdk import DAG, task

TABLE = "public.celery_probe"


def _ancestors() -> list[int]:
    pids, pid = [], os.getpid()
    while pid > 1:
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        pids.append(pid)
    return pids


def _record(task_id: str, rows_seen: int) -> None:
    import socket

    import sqlalchemy as sa

    from ingest.core import warehouse

    engine = warehouse.engine()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"insert into {TABLE} (task_id, pid, ancestors, hostname, worker_token, rows_seen)"
                " values (:t, :p, :a, :h, :w, :n)"
            ),
            {
                "t": task_id,
                "p": os.getpid(),
                "a": _ancestors(),
                "h": socket.gethostname(),
                "w": os.environ.get("LANTIAN_CELERY_WORKER_TOKEN"),
                "n": rows_seen,
            },
        )
    engine.dispose()


with DAG(
    dag_id="lantian_celery_probe",
    schedule=None,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["lantian", "test"],
):

    @task
    def first() -> int:
        _record("first", 0)
        return 1

    @task
    def second(previous: int) -> None:
        import sqlalchemy as sa

        from ingest.core import warehouse

        engine = warehouse.engine()
        with engine.connect() as conn:
            seen = conn.execute(sa.text(f"select count(*) from {TABLE}")).scalar_one()
        engine.dispose()
        _record("second", seen + previous - 1)

    second(first())
