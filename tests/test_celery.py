"""Distributed run: a real Celery worker executes a DAG's tasks through CeleryExecutor.

What runs, all real and on this machine: Redis at 127.0.0.1:6379 as the broker (skipped when
none answers), a PostgreSQL metadata database on the test server (CeleryExecutor refuses
SQLite) that also holds Celery's results, the Airflow API server (its Execution API is how a
worker's task reports state in Airflow 3), one ``airflow celery worker`` process, and
``airflow dags test --use-executor``, which queues each task to the configured executor instead
of running it in-process. Each task writes the chain of its parent pids and the worker's token
into the warehouse: the test asserts the worker process is an ancestor of both tasks.

Redis keys carry a prefix with the process id (``global_keyprefix``), so parallel sessions
on one Redis never take each other's tasks. Every wait is bounded; the processes started here are stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from tests.conftest import REPO, airflow_env

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 13  # a database number of its own on the shared Redis
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
PROBE_DAGS = REPO / "tests" / "celery_dags"


def _redis_answers() -> str | None:
    """None when Redis answers PING, else why not."""
    try:
        import redis
    except ImportError:
        return "the redis client is not installed (apache-airflow-providers-celery pulls it in)"
    try:
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=2)
        client.ping()
        client.close()
    except (redis.RedisError, OSError) as exc:
        return f"no Redis reachable at {REDIS_HOST}:{REDIS_PORT} ({exc})"
    return None


def _drop_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(
    what: str, check: Callable[[], bool], proc: subprocess.Popen, log: Path, secs: int
) -> None:
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(1)
    pytest.fail(f"{what} not ready after {secs} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def _process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Start ``cmd`` in a process group of its own; stop that group (only) at the end."""
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)


@pytest.mark.slow
def test_celery_worker_runs_the_dag_tasks(
    make_database: Callable[[str], str], metadata_url: str, tmp_path: Path
) -> None:
    reason = _redis_answers()
    if reason:
        pytest.skip(f"CeleryExecutor test needs a Redis broker: {reason}")
    if not Path("/proc/self/stat").exists():
        pytest.skip("the probe DAG reads parent pids from /proc (Linux)")

    wh_url = make_database("celery")
    wh = warehouse.engine(wh_url)
    with wh.begin() as conn:
        conn.exec_driver_sql(
            "create table public.celery_probe (task_id text primary key, pid integer not null,"
            " ancestors integer[] not null, hostname text, worker_token text, rows_seen integer)"
        )

    api_port = _free_port()
    prefix = f"lantian_test_{os.getpid()}_"
    env = airflow_env(
        tmp_path,
        WAREHOUSE_URL=wh_url,
        AIRFLOW__CORE__DAGS_FOLDER=str(PROBE_DAGS),
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
        AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + metadata_url.replace("+psycopg2", ""),
        # Every Redis key of this run (queues, bindings) starts with the prefix: parallel
        # sessions on one Redis never take each other's tasks.
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX=prefix,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
        # One secret shared by the executor (signs task tokens) and the API server (checks them).
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        PYTHONPATH=str(REPO),
    )
    migrate = subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]

    token = uuid.uuid4().hex
    worker_env = {**env, "LANTIAN_CELERY_WORKER_TOKEN": token}
    api_log, worker_log = tmp_path / "api-server.log", tmp_path / "worker.log"

    def api_up() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/v2/version", timeout=2):
                return True
        except OSError:
            return False

    api_cmd = [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(api_port), "-w", "1"]
    worker_cmd = [AIRFLOW, "celery", "worker", "--concurrency", "1", "--skip-serve-logs",
                  "--without-gossip", "--without-mingle"]  # fmt: skip
    with (
        _process(api_cmd, env, api_log) as api,
        _process(worker_cmd, worker_env, worker_log) as worker,
    ):
        _wait("API server", api_up, api, api_log, 180)
        _wait("Celery worker", lambda: " ready." in worker_log.read_text(), worker, worker_log, 180)
        dag_test = subprocess.Popen(
            [AIRFLOW, "dags", "test", "lantian_celery_probe", "--use-executor"],
            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            output, _ = dag_test.communicate(timeout=600)
        finally:
            if dag_test.poll() is None:
                dag_test.kill()
                dag_test.wait(timeout=30)
        worker_pid = worker.pid
    _drop_redis_keys(prefix)
    assert dag_test.returncode == 0, output[-3000:]

    with wh.connect() as conn:
        rows = {
            r.task_id: r
            for r in conn.execute(sa.text("select * from public.celery_probe")).mappings().all()
        }
    wh.dispose()
    assert sorted(rows) == ["first", "second"], worker_log.read_text()[-3000:]
    for task_id, row in rows.items():
        # The token exists only in the worker's environment, and the worker process we started
        # is an ancestor of the task process: the task ran under that Celery worker.
        assert row["worker_token"] == token, task_id
        assert worker_pid in row["ancestors"], (task_id, worker_pid, row["ancestors"])
        assert dag_test.pid not in row["ancestors"], task_id  # not run in-process
    assert rows["first"]["pid"] != rows["second"]["pid"]
    # `second` ran after `first` and saw its row: 1 row seen, + 1 returned by first - 1.
    assert rows["second"]["rows_seen"] == 1
