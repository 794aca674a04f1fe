"""Production topology: Airflow's four services as processes run Lantian end to end (issue 14).

What runs, all real and on this machine: a fresh PostgreSQL metadata database, ``airflow
api-server``, ``airflow scheduler`` (LocalExecutor), ``airflow dag-processor`` and ``airflow
triggerer``, each a process of its own, parsing the repository's ``dags/``. The warehouse is set
up the way compose sets it up: the admin migrates (``python -m pipelines migrate``), the tasks
connect as an ETL login that is a member of ``lantian_loader`` and ``lantian_transformer`` (dbt
runs ``SET ROLE lantian_transformer``), never as the admin. The inbox is tiny (two national
stations, a few hours of 2026-03-10) so that each dbt transform is quick.

The story: the DAGs are unpaused; a backfill runs three consecutive hours; each hour's run loads
exactly its file (the next hour's file, already in the inbox, stays unloaded); the transform
follows the loads (the Assets) and the marts show the hours; a late revision of the middle hour
is loaded when that hour is re-run (``airflow tasks clear``) and the mart shows its value; and
``airflow dags trigger lantian_station_ingest`` as the README writes it succeeds (nothing new:
it loads nothing, and no transform follows). Each finished transform built batches the one
before it had not seen (one build per batch). Then the warehouse restarts twice: while a load's
COPY waits inside its transaction, and while the transform's dbt build does (a lock the test
holds keeps each there; the server's fast shutdown ends it): each task is up for retry, retries
and succeeds, the interrupted batch is recorded as interrupted, and the marts and lineage equal
those of a copy of the warehouse that loaded and transformed the same hour undisturbed. The
warehouse runs on a server of its own (the one the test restarts); Airflow's metadata database
on the session's. Every wait is bounded; the processes are stopped and the databases and the
servers cleaned up at the end, even on failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
import yaml

from ingest.core import warehouse
from ingest.core.migrate import migrate
from ingest.station import parse as ns
from pipelines import station as station_step
from pipelines import transform as transform_steps
from tests.conftest import REPO, airflow_env
from tests.test_celery import _free_port, _process, _wait
from tests.test_county import PROFILE, _hour_file
from tools.mart_fingerprint import VOLATILE

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
PID = os.getpid()
DAY_START = dt.datetime(2026, 3, 10, tzinfo=ns.LOCAL_TZ)
# the backfill's hours (interval starts, local time); the file of each is named by its END
HOURS = [DAY_START + dt.timedelta(hours=h) for h in (9, 10, 11)]
DAGS = (
    "lantian_station_ingest",
    "lantian_hj212_ingest",
    "lantian_forms_ingest",
    "lantian_transform",
)
TERMINAL = ("success", "failed")
LEDGER_MART = ("marts", "load_batch_reconciliation")


def _as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.hostname}:{parts.port}"))


def _file_name(hour_start: dt.datetime) -> str:
    """The station file of the hour starting then: named by the hour END, local time."""
    return f"{(hour_start + dt.timedelta(hours=1)).astimezone(ns.LOCAL_TZ):%Y-%m-%dT%H}.csv"


@pytest.fixture
def etl_warehouse() -> Iterator[tuple[str, str, Path]]:
    """(admin URL, ETL URL, state folder) of a warehouse migrated by the admin, with compose's
    ETL login, on a PostgreSQL server of its own (the test restarts it; Airflow's metadata
    database stays on the session's server, as compose keeps them apart)."""
    # under the checkout, as the embedded server's other folders: pytest's 0700 tmp folder is
    # out of reach of the unprivileged user the server runs as when the tests run as root
    state = REPO / ".lantian" / f"test-production-{PID}"
    server = warehouse.ensure_embedded(state)
    admin_url = server.rsplit("/", 1)[0] + "/prod"
    cluster = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    user = f"lantian_etl_t{PID}"
    try:
        with cluster.connect() as conn:
            conn.exec_driver_sql('create database "prod"')
        admin = warehouse.engine(admin_url)
        migrate(admin)
        admin.dispose()
        with cluster.connect() as conn:
            conn.exec_driver_sql(
                f'create role "{user}" login in role lantian_loader, lantian_transformer'
            )
        cluster.dispose()
        yield admin_url, _as_user(admin_url, user), state
    finally:
        cluster.dispose()
        warehouse.stop_embedded(state)
        shutil.rmtree(state, ignore_errors=True)


def _cli(env: dict[str, str], *args: str, timeout: int = 180) -> str:
    proc = subprocess.run(
        [AIRFLOW, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, (
        f"airflow {' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def _json_rows(out: str) -> list[dict]:
    """The JSON list of a CLI's ``-o json`` output (log lines such as warnings around it)."""
    start = out.index("[{")
    return json.loads(out[start : out.rindex("}]") + 2])


def _contents(eng: sa.Engine) -> dict[str, list[str]]:
    """Every row of the marts and the lineage, as sorted md5s over the columns that say what a
    row means (not when or by which run or batch it was produced)."""
    out: dict[str, list[str]] = {}
    for schema, name in _rows(
        eng,
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('marts', 'lineage') order by 1, 2",
    ):
        columns = [
            c
            for (c,) in _rows(
                eng,
                "select column_name from information_schema.columns where table_schema = :s"
                " and table_name = :n order by column_name",
                s=schema,
                n=name,
            )
            if not VOLATILE.match(c) and "batch" not in c
        ]
        text = " || '|' || ".join(f"coalesce(\"{c}\"::text, '~')" for c in columns) or "''"
        # the ledger's mart lists every batch: the interrupted one is the restart's honest trace
        where = " where status <> 'failed'" if (schema, name) == LEDGER_MART else ""
        out[f"{schema}.{name}"] = [
            r[0]
            for r in _rows(eng, f'select md5({text}) from "{schema}"."{name}"{where} order by 1')
        ]
    return out


def _rows(eng: sa.Engine, sql: str, **params: object) -> list[tuple]:
    with eng.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


@pytest.mark.slow
def test_production_topology_runs_the_hours(
    etl_warehouse: tuple[str, str, Path],
    metadata_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin_url, etl_url, server_state = etl_warehouse
    inbox = tmp_path / "inbox"
    for hour in [*HOURS, HOURS[-1] + dt.timedelta(hours=1)]:  # the last: not in the backfill
        _hour_file(inbox / "national_station", hour + dt.timedelta(hours=1), ("N1", "N2"))
    profile = tmp_path / "profile.yaml"
    # the national stations only (no county feed); the counties the forms' code lists need
    city = {k: v for k, v in PROFILE["city"].items() if k != "county_stations"}
    city["counties"] = ["X"]
    profile.write_text(yaml.safe_dump({"city": city}, allow_unicode=True), encoding="utf-8")

    api_port = _free_port()
    env = airflow_env(
        tmp_path / "state",
        WAREHOUSE_URL=etl_url,
        LANTIAN_DB_ROLE="lantian_transformer",
        LANTIAN_INBOX=str(inbox),
        LANTIAN_PROFILE=str(profile),
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__DEFAULT_TIMEZONE="Asia/Shanghai",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="30",
        AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
        AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        PYTHONPATH=str(REPO),
    )
    # compose's airflow-init: the metadata DB, then the warehouse as its admin
    _cli(env, "db", "migrate", timeout=600)
    migrate = subprocess.run(
        [sys.executable, "-m", "pipelines", "migrate"],
        env={**env, "WAREHOUSE_URL": admin_url},
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-3000:]

    meta = sa.create_engine(metadata_url)
    wh = warehouse.engine(admin_url)  # pre-ping: the test restarts the server
    logs = {name: tmp_path / f"{name}.log" for name in ("api", "scheduler", "dagproc", "triggerer")}

    def runs(dag_id: str) -> list[tuple]:
        return _rows(
            meta,
            "select run_id, state, run_type, logical_date from dag_run where dag_id = :d"
            " order by id",
            d=dag_id,
        )

    def tail() -> str:
        services = [f"--- {n}:\n{p.read_text()[-1500:]}" for n, p in logs.items()]
        task_logs = sorted(
            (tmp_path / "state" / "airflow" / "logs").rglob("*.log"),
            key=lambda p: p.stat().st_mtime,
        )[-3:]  # the latest task logs: what a task that failed or hangs said
        tasks = [f"--- {p}:\n{p.read_text(errors='replace')[-2500:]}" for p in task_logs]
        return "\n".join(services + tasks)

    def until(what: str, check: Callable[[], bool], secs: int) -> None:
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    pytest.fail(
                        f"{name} exited with {proc.returncode} while waiting for {what}:\n{tail()}"
                    )
            if check():
                return
            time.sleep(2)
        pytest.fail(f"{what}: not after {secs} s; station runs {runs(DAGS[0])}, transform runs"
                    f" {runs(DAGS[3])}\n{tail()}")  # fmt: skip

    def transforms_settled() -> bool:
        """No transform run active, and no asset event waiting to start one."""
        active = [r for r in runs("lantian_transform") if r[1] not in TERMINAL]
        queued = _rows(meta, "select count(*) from asset_dag_run_queue")[0][0]
        return not active and not queued

    def batches() -> list[tuple]:
        return _rows(
            wh,
            "select source_file, interval_start, interval_end, loaded_by from audit.load_batch"
            " where status = 'loaded' and source = 'national_station_hourly' order by batch_id",
        )

    def hold_lock() -> sa.Connection:
        """An open transaction holding the raw station table: a load's COPY and a dbt build
        wait for it, inside their transactions."""
        conn = wh.connect()
        conn.execute(sa.text("lock table raw.station_hour_publication in access exclusive mode"))
        return conn

    def waiting_on_lock() -> int:
        """ETL sessions waiting for the held table (not, say, for another's advisory lock)."""
        return _rows(
            wh,
            "select count(*) from pg_locks as l join pg_stat_activity as a using (pid)"
            " where not l.granted and l.relation = cast('raw.station_hour_publication' as"
            " regclass) and a.usename = :u",
            u=etl_url.split("//", 1)[1].split("@", 1)[0],
        )[0][0]

    def task_state(dag_id: str, run_id: str, task_id: str) -> str | None:
        found = _rows(
            meta,
            "select state from task_instance where dag_id = :d and run_id = :r and task_id = :t",
            d=dag_id, r=run_id, t=task_id,
        )  # fmt: skip
        return found[0][0] if found else None

    def transform_waiting() -> str:
        """The transform run whose upstream dbt build waits on the lock, or ''."""
        active = [r[0] for r in runs("lantian_transform") if r[1] not in TERMINAL]
        for run_id in active:
            if task_state("lantian_transform", run_id, "dbt_build_upstream") == "running":
                if waiting_on_lock() > 0:
                    return run_id
        return ""

    def restart_warehouse(holder: sa.Connection, failed_over: Callable[[], bool]) -> None:
        """Stop the warehouse server (a fast shutdown ends every session, the waiting one's
        transaction too), wait until the task is up for retry, start it again."""
        port = urlsplit(admin_url).port
        assert warehouse.stop_embedded(server_state)  # the holder's session ends with it
        holder.invalidate()
        until("the interrupted task is up for retry", failed_over, 180)
        assert urlsplit(warehouse.ensure_embedded(server_state)).port == port  # same URL

    def one_build_per_batch() -> None:
        """Each finished transform's build saw a loaded batch the one before it had not (no
        build for nothing), and the last one saw every loaded batch (none waits)."""
        built = _rows(
            wh, "select pipeline_run, seen_snapshot from dq.transform_run order by built_at"
        )
        assert built, "no transform recorded a build"
        previous = None
        for run, snapshot in built:
            new = _rows(
                wh,
                "select count(*) from audit.load_batch where status = 'loaded'"
                " and pg_visible_in_snapshot(loaded_xid, cast(:s as pg_snapshot)) and (cast(:p"
                " as text) is null or not pg_visible_in_snapshot(loaded_xid, cast(:p as pg_snapshot)))",
                s=snapshot, p=previous,
            )[0][0]  # fmt: skip
            assert new, f"{run} built again what the transform before it had built"
            previous = snapshot
        unseen = _rows(
            wh,
            "select batch_id from audit.load_batch where status = 'loaded'"
            " and not pg_visible_in_snapshot(loaded_xid, cast(:s as pg_snapshot))",
            s=previous,
        )
        assert not unseen, f"loaded batches no transform built: {unseen}"

    api_cmd = [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(api_port), "-w", "1"]
    procs: dict[str, subprocess.Popen] = {}
    try:
        with ExitStack() as stack:
            procs["api"] = stack.enter_context(_process(api_cmd, env, logs["api"]))

            def api_up() -> bool:
                try:
                    url = f"http://127.0.0.1:{api_port}/api/v2/version"
                    with urllib.request.urlopen(url, timeout=2):
                        return True
                except OSError:
                    return False

            _wait("API server", api_up, procs["api"], logs["api"], 180)
            for name, cmd in (
                ("dagproc", [AIRFLOW, "dag-processor"]),
                ("scheduler", [AIRFLOW, "scheduler"]),
                ("triggerer", [AIRFLOW, "triggerer"]),
            ):
                procs[name] = stack.enter_context(_process(cmd, env, logs[name]))
            until(
                "the dag-processor parsed the four DAGs",
                lambda: len(_rows(meta, "select dag_id from dag where dag_id = any(:d)", d=list(DAGS)))
                == 4,
                240,
            )  # fmt: skip
            _cli(env, "dags", "unpause", "lantian_.*", "--treat-dag-id-as-regex", "-y")
            assert not _rows(
                meta, "select dag_id from dag where dag_id = any(:d) and is_paused", d=list(DAGS)
            )

            # 1. three consecutive hours, one backfill run each
            _cli(
                env, "backfill", "create", "--dag-id", "lantian_station_ingest",
                "--from-date", HOURS[0].isoformat(), "--to-date", HOURS[-1].isoformat(),
            )  # fmt: skip

            def backfilled() -> list[tuple]:
                return [r for r in runs("lantian_station_ingest") if r[2] == "backfill"]

            until(
                "the backfill's runs finished",
                lambda: (
                    len(backfilled()) == len(HOURS) and all(r[1] in TERMINAL for r in backfilled())
                ),
                420,
            )
            filled = backfilled()
            assert [r[1] for r in filled] == ["success"] * len(HOURS), filled
            assert sorted(r[3] for r in filled) == HOURS
            until("the transforms the loads started", transforms_settled, 420)

            loaded = batches()
            by_run = {r[0]: r for r in filled}
            expected = {
                f"national_station/{_file_name(r[3])}": (r[3], r[3] + dt.timedelta(hours=1), r[0])
                for r in filled
            }
            assert len(loaded) == len(HOURS), loaded  # exactly one batch per hour file
            for source_file, start, end, loaded_by in loaded:
                assert source_file in expected, (source_file, loaded)
                hour_start, hour_end, run_id = expected[source_file]
                assert (start, end) == (hour_start, hour_end)
                assert loaded_by == f"lantian_station_ingest/{run_id}" and run_id in by_run
            # the next hour's file was in the inbox all along, and no run's interval covers it
            assert not [
                b for b in loaded if b[0].endswith(_file_name(HOURS[-1] + dt.timedelta(hours=1)))
            ]

            transforms = runs("lantian_transform")
            assert transforms, "no transform followed the loads"
            assert 1 <= len(transforms) <= len(HOURS), transforms  # events coalesce, none extra
            assert [r[1] for r in transforms] == ["success"] * len(transforms), transforms
            assert {r[2] for r in transforms} == {"asset_triggered"}
            one_build_per_batch()
            # the other ingest DAGs' scheduled runs loaded nothing (no files): they announced
            # nothing, so no transform ran for them
            mart_hours = _rows(
                wh,
                "select observed_at, count(*) from marts.station_hour_aqi group by 1 order by 1",
            )
            assert mart_hours == [(h + dt.timedelta(hours=1), 2) for h in HOURS], mart_hours

            # 2. a late revision of the middle hour: re-running that hour loads it
            late = inbox / "revisions" / "national_station" / _file_name(HOURS[1])
            late.parent.mkdir(parents=True)
            original = (inbox / "national_station" / late.name).read_text(encoding="utf-8")
            revised = original.replace(",N1,,,50,50,40,40,", ",N1,,,50,50,90,90,")
            assert revised != original
            late.write_text(revised, encoding="utf-8")
            transforms_before = len(transforms)
            _cli(
                env, "tasks", "clear", "lantian_station_ingest", "-y",
                "-s", HOURS[1].isoformat(), "-e", HOURS[1].isoformat(),
            )  # fmt: skip
            middle = next(r[0] for r in filled if r[3] == HOURS[1])
            until(
                "the re-run hour loaded the late file",
                lambda: len(batches()) == len(HOURS) + 1
                and dict((r[0], r[1]) for r in runs("lantian_station_ingest"))[middle] in TERMINAL,
                300,
            )  # fmt: skip
            assert dict((r[0], r[1]) for r in runs("lantian_station_ingest"))[middle] == "success"
            new = batches()[-1]
            assert new[0] == f"revisions/national_station/{late.name}"
            assert (new[1], new[2]) == (HOURS[1], HOURS[1] + dt.timedelta(hours=1))
            assert new[3] == f"lantian_station_ingest/{middle}"
            until(
                "a transform after the late file",
                lambda: len(runs("lantian_transform")) > transforms_before and transforms_settled(),
                420,
            )  # fmt: skip
            transforms = runs("lantian_transform")
            assert [r[1] for r in transforms] == ["success"] * len(transforms), transforms
            pm = _rows(
                wh,
                "select observed_at, pm2_5_1h from marts.station_hour_aqi where station_code"
                " = 'N1' order by observed_at",
            )
            assert [float(v) for _, v in pm] == [40, 90, 40], pm
            one_build_per_batch()

            # 3. the README's manual trigger: nothing new, so it loads nothing, announces nothing
            _cli(env, "dags", "trigger", "lantian_station_ingest")
            manual = lambda: [r for r in runs("lantian_station_ingest") if r[2] == "manual"]  # noqa: E731
            until(
                "the manual run finished",
                lambda: len(manual()) == 1 and manual()[0][1] in TERMINAL,
                240,
            )
            assert manual()[0][1] == "success", manual()
            assert len(batches()) == len(HOURS) + 1
            out = _cli(env, "dags", "list-runs", "lantian_station_ingest", "-o", "json")
            listed = _json_rows(out)
            assert {r["run_id"]: r["state"] for r in listed}[manual()[0][0]] == "success"
            time.sleep(5)  # a transform the manual run wrongly started would be queued by now
            assert transforms_settled()
            assert len(runs("lantian_transform")) == len(transforms)

            # 4. the warehouse restarts in the middle of a load, then of a transform: both
            # runs retry and end where an undisturbed run ends (the reference: a copy of the
            # warehouse as it is now, that loads and transforms the same hour undisturbed)
            wh.dispose()
            with sa.create_engine(
                admin_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
            ).connect() as conn:
                conn.exec_driver_sql('create database "reference" template "prod"')
            last = HOURS[-1] + dt.timedelta(hours=1)  # its file has been in the inbox all along
            conf = {
                "interval_start": last.isoformat(),
                "interval_end": (last + dt.timedelta(hours=1)).isoformat(),
            }
            transforms_before = len(runs("lantian_transform"))
            holder = hold_lock()
            _cli(env, "dags", "trigger", "lantian_station_ingest", "-c", json.dumps(conf))
            load_run = [r for r in runs("lantian_station_ingest") if r[2] == "manual"][-1][0]
            until(
                "the load waits inside its transaction",
                lambda: waiting_on_lock() > 0
                and task_state("lantian_station_ingest", load_run, "load_station_files")
                == "running",
                240,
            )  # fmt: skip
            restart_warehouse(
                holder, lambda: task_state("lantian_station_ingest", load_run,
                                           "load_station_files") == "up_for_retry",
            )  # fmt: skip
            until(
                "the load's retry succeeded",
                lambda: task_state("lantian_station_ingest", load_run, "load_station_files")
                in ("success", "failed"),
                300,
            )  # fmt: skip
            holder = hold_lock()  # the transform the load starts waits for it inside dbt
            assert task_state("lantian_station_ingest", load_run, "load_station_files") == "success"
            until(
                "the transform waits inside its dbt build",
                lambda: bool(transform_waiting()),
                300,
            )
            transform_run = transform_waiting()
            restart_warehouse(
                holder, lambda: task_state("lantian_transform", transform_run,
                                           "dbt_build_upstream") == "up_for_retry",
            )  # fmt: skip
            until(
                "the transform after the restart",
                lambda: len(runs("lantian_transform")) > transforms_before and transforms_settled(),
                600,
            )  # fmt: skip
            assert dict((r[0], r[1]) for r in runs("lantian_transform"))[transform_run] == "success"
            assert dict((r[0], r[1]) for r in runs("lantian_station_ingest"))[load_run] == "success"
            tries = _rows(
                meta,
                "select task_id, try_number from task_instance where dag_id = 'lantian_transform'"
                " and run_id = :r and task_id = 'dbt_build_upstream'",
                r=transform_run,
            )
            assert tries[0][1] >= 2, tries  # it was retried, not run once
            ledger_rows = _rows(
                wh,
                "select status, message from audit.load_batch where source_file = :f order by"
                " batch_id",
                f=f"national_station/{_file_name(last)}",
            )
            assert [r[0] for r in ledger_rows] == ["failed", "loaded"], ledger_rows
            assert ledger_rows[0][1].startswith("interrupted:"), ledger_rows
            assert not _rows(wh, "select batch_id from audit.load_batch where status = 'running'")
            one_build_per_batch()

            # the reference: the same hour, loaded and transformed undisturbed
            reference_url = admin_url.rsplit("/", 1)[0] + "/reference"
            for name, value in {**env, "WAREHOUSE_URL": reference_url}.items():
                if name.startswith(("LANTIAN_", "WAREHOUSE_")):
                    monkeypatch.setenv(name, value)
            station_step.load_station_interval(last, last + dt.timedelta(hours=1), loaded_by="ref")
            transform_steps.build_and_gate("reference", asset_triggered=True)
            reference = warehouse.engine(reference_url)
            try:
                assert _contents(wh) == _contents(reference)
            finally:
                reference.dispose()
    finally:
        meta.dispose()
        wh.dispose()
