"""Warehouse roles on a real PostgreSQL: each role can do its job, and every denial holds.

Login users are made here the way the deployment makes them (a LOGIN role that is a member of
one group role), with the process id in the name, so parallel sessions on one server never
collide; they are dropped at the end. The server trusts local connections (embedded server,
CI's 127.0.0.1:5432), so the users need no password.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
import yaml

from ingest.core import grants, warehouse
from ingest.core.migrate import migrate
from ingest.core.paths import dbt_project_dir
from ingest.hj212 import load as hj212_load
from ingest.hj212 import partitions as hj212_partitions
from ingest.hj212.protocol import frame
from ingest.station import load as station_load
from ingest.station import parse as ns
from pipelines.dbt import run_dbt

PID = os.getpid()
DENIED = sa.exc.ProgrammingError  # psycopg2 InsufficientPrivilege (SQLSTATE 42501)

GOOD_ROW = (
    "2026-03-15T0800,1001A,116.36,39.87,北京市,万寿西宫,,25,25,21,12,11,15,15,25,25,6,5,5,5,0.3,0.4"
)


def _as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    netloc = f"{user}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
def db(make_database: Callable[[str], str]) -> str:
    return make_database("roles")


@pytest.fixture(scope="module")
def admin(db: str) -> Iterator[sa.Engine]:
    eng = warehouse.engine(db)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def users(db: str, admin: sa.Engine, server_url: str) -> Iterator[dict[str, sa.Engine]]:
    """One login user per group role, connected to the roles database."""
    names = {role: f"{role}_t{PID}" for role in grants.ROLES}
    cluster = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with cluster.connect() as conn:
        for role, user in names.items():
            conn.exec_driver_sql(f'drop role if exists "{user}"')
            conn.exec_driver_sql(f'create role "{user}" login in role "{role}"')
    engines = {role: warehouse.engine(_as_user(db, user)) for role, user in names.items()}
    yield engines
    for eng in engines.values():
        eng.dispose()
    with admin.connect() as conn:  # privileges held in this database, then the users
        for user in names.values():
            conn.exec_driver_sql(f'drop owned by "{user}"')
        conn.commit()
    with cluster.connect() as conn:
        for user in names.values():
            conn.exec_driver_sql(f'drop role if exists "{user}"')
    cluster.dispose()


@pytest.fixture(scope="module")
def later_mart(users: dict[str, sa.Engine]) -> str:
    """A mart table created after the migrations, by dbt's role (as dbt's SET ROLE does)."""
    with users[grants.TRANSFORMER].begin() as conn:
        conn.exec_driver_sql(f"set role {grants.TRANSFORMER}")
        conn.exec_driver_sql("create table marts.role_probe (city text primary key, aqi integer)")
        conn.exec_driver_sql("insert into marts.role_probe values ('太原市', 87), ('临汾市', 131)")
    return "marts.role_probe"


def _denied(eng: sa.Engine, sql: str) -> None:
    with pytest.raises(DENIED) as info, eng.begin() as conn:
        conn.exec_driver_sql(sql)
    # 42501 insufficient_privilege: "permission denied for ..." or "must be owner of ...".
    assert info.value.orig.pgcode == "42501", str(info.value)


def test_group_roles_exist_and_cannot_log_in(admin: sa.Engine) -> None:
    with admin.connect() as conn:
        rows = dict(
            conn.execute(
                sa.text("select rolname, rolcanlogin from pg_roles where rolname = any(:r)"),
                {"r": list(grants.ROLES)},
            ).all()
        )
    assert rows == dict.fromkeys(grants.ROLES, False)


def test_migrations_and_grants_run_again_without_change(db: str, admin: sa.Engine) -> None:
    assert migrate(admin) == []
    with admin.connect() as conn:
        acl = conn.execute(sa.text("select nspacl::text from pg_namespace where nspname = 'marts'"))
        before = acl.scalar_one()
    assert migrate(admin) == []
    with admin.connect() as conn:
        acl = conn.execute(sa.text("select nspacl::text from pg_namespace where nspname = 'marts'"))
        assert acl.scalar_one() == before
    # Each mapped role appears once on the marts schema: the transformer with USAGE+CREATE
    # (UC), the BI reader with USAGE (U), the auditor with USAGE for its one mart (TABLE_GRANTS).
    assert f"{grants.TRANSFORMER}=UC/" in before
    assert f"{grants.BI_READER}=U/" in before
    assert f"{grants.AUDITOR}=U/" in before
    assert grants.LOADER not in before


def test_bi_reader_reads_a_mart_created_after_the_grants(
    users: dict[str, sa.Engine], later_mart: str
) -> None:
    with users[grants.BI_READER].connect() as conn:
        rows = conn.exec_driver_sql(f"select city, aqi from {later_mart} order by aqi").all()
    assert rows == [("太原市", 87), ("临汾市", 131)]


@pytest.mark.parametrize(
    "table",
    [
        "raw.station_hour_publication",
        "quarantine.rejected_record",
        "audit.load_batch",
        "dq.validation_run",
        "audit.schema_migration",
    ],
)
def test_bi_reader_cannot_read_outside_marts(users: dict[str, sa.Engine], table: str) -> None:
    _denied(users[grants.BI_READER], f"select * from {table} limit 1")


@pytest.mark.parametrize(
    "sql",
    [
        "insert into marts.role_probe values ('大同市', 50)",
        "update marts.role_probe set aqi = 0",
        "delete from marts.role_probe",
        "truncate marts.role_probe",
        "alter table marts.role_probe add column x integer",
        "drop table marts.role_probe",
        "create table marts.bi_own (x integer)",
        "create view marts.bi_view as select 1 as x",
        "create table public.bi_own (x integer)",
        "create schema bi_own",
        "insert into raw.device_registry default values",
        "insert into dq.validation_run (run_id) values ('x')",
    ],
)
def test_bi_reader_cannot_write_anything(
    users: dict[str, sa.Engine], later_mart: str, sql: str
) -> None:
    _denied(users[grants.BI_READER], sql)


def test_auditor_reads_dq_audit_quarantine(users: dict[str, sa.Engine]) -> None:
    with users[grants.AUDITOR].connect() as conn:
        for table in ("dq.validation_run", "audit.load_batch", "quarantine.rejected_record"):
            assert conn.exec_driver_sql(f"select count(*) from {table}").scalar_one() >= 0


@pytest.mark.parametrize(
    "sql",
    [
        "insert into dq.validation_run (run_id) values ('x')",
        "update audit.load_batch set message = 'edited'",
        "delete from quarantine.rejected_record",
        "truncate audit.load_batch cascade",
        "create table dq.auditor_own (x integer)",
        "create table audit.auditor_own (x integer)",
        "select * from raw.station_hour_publication",
        "select * from marts.role_probe",
    ],
)
def test_auditor_cannot_write_or_read_beyond_audit_data(
    users: dict[str, sa.Engine], later_mart: str, sql: str
) -> None:
    _denied(users[grants.AUDITOR], sql)


def test_auditor_reads_the_gap_request_mart_once_dbts_role_refreshed_the_grants(
    users: dict[str, sa.Engine], later_mart: str
) -> None:
    """marts.hj212_gap_request (which gaps were asked for and filled) is the auditor's like
    audit.hj212_history_request; dbt recreates it at each build, and the grants refresh after the
    build (pipelines/dbt.py, as dbt's login) gives it back. The BI reader keeps its marts access;
    the auditor reads no other mart."""
    assert grants.TABLE_GRANTS["marts.hj212_gap_request"] == {grants.AUDITOR: grants.READ}
    with users[grants.TRANSFORMER].begin() as conn:
        conn.exec_driver_sql(f"set role {grants.TRANSFORMER}")
        conn.exec_driver_sql("drop table if exists marts.hj212_gap_request")
        conn.exec_driver_sql(
            "create table marts.hj212_gap_request (request_id bigint, device_mn text,"
            " hour_start timestamptz, is_filled boolean)"
        )
        conn.exec_driver_sql(
            "insert into marts.hj212_gap_request values"
            " (1, '14100231000000010000000001', '2026-03-12 00:00+00', true)"
        )
    _denied(users[grants.AUDITOR], "select * from marts.hj212_gap_request")  # as dbt left it
    grants.refresh(users[grants.TRANSFORMER])
    for role in (grants.AUDITOR, grants.BI_READER):
        with users[role].connect() as conn:
            row = conn.exec_driver_sql(
                "select request_id, device_mn, is_filled from marts.hj212_gap_request"
            ).one()
        assert tuple(row) == (1, "14100231000000010000000001", True)
    _denied(users[grants.AUDITOR], f"select * from {later_mart}")
    _denied(users[grants.AUDITOR], "update marts.hj212_gap_request set is_filled = false")
    _denied(users[grants.AUDITOR], "create table marts.auditor_own (x integer)")


def test_loader_loads_a_file_with_the_real_loader(
    users: dict[str, sa.Engine], admin: sa.Engine, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "national_station").mkdir(parents=True)
    path = inbox / "national_station" / "2026-03-15T08.csv"
    bad = GOOD_ROW.replace("1001A", "1002A").replace(",116.36,", ",116.3x,")
    path.write_text("\n".join([",".join(ns.COLUMNS), GOOD_ROW, bad]) + "\n", encoding="utf-8")
    loader = users[grants.LOADER]
    # A DAG task calls migrate() first: on an up-to-date warehouse the loader runs no DDL.
    assert migrate(loader) == []
    hour = dt.datetime(2026, 3, 15, 7, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    result = station_load.load_file(loader, inbox, path, "test_roles", hour)
    assert (result.status, result.loaded, result.quarantined) == ("loaded", 1, 1), result.message
    with admin.connect() as conn:
        stations = conn.execute(
            sa.text("select station_code from raw.station_hour_publication where batch_id = :b"),
            {"b": result.batch_id},
        ).scalars()
        assert list(stations) == ["1001A"]
        reject = conn.execute(
            sa.text(
                "select column_name, value from quarantine.rejected_record where batch_id = :b"
            ),
            {"b": result.batch_id},
        ).one()
    assert tuple(reject) == ("longitude", "116.3x")


def test_loader_makes_hj212_partitions_without_ddl_rights(
    users: dict[str, sa.Engine], admin: sa.Engine, tmp_path: Path
) -> None:
    """A packet log of a month without partitions: the loader gets them through the migration's
    SECURITY DEFINER function (it has no DDL right of its own), and the transformer reads the new
    partition's rows through the parent, whose privileges are the ones checked."""
    hour = dt.datetime(2025, 11, 3, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    folder = tmp_path / "inbox" / "hj212" / "r1"
    folder.mkdir(parents=True)
    path = folder / f"{hour:%Y-%m-%dT%H}.log"
    path.write_text(
        frame(
            f"QN={hour:%Y%m%d%H%M%S}000;ST=31;CN=2051;PW=1;MN=ROLEPROBE0001;Flag=4;"
            f"CP=&&DataTime={hour:%Y%m%d%H%M%S};a21026-Avg=20,a21026-Flag=N&&"
        )
        + "\r\n"
    )
    hj212_partitions.forget()
    result = hj212_load.load_file(users[grants.LOADER], tmp_path / "inbox", path)
    assert (result.status, result.loaded) == ("loaded", 1), result.message
    with users[grants.TRANSFORMER].connect() as conn:
        placed = conn.exec_driver_sql(
            "select tableoid::regclass::text from raw.hj212_reading where mn = 'ROLEPROBE0001'"
        ).scalar_one()
    assert placed == "raw.hj212_reading_minute_202511"
    _denied(users[grants.LOADER], "drop table raw.hj212_reading_minute_202511")
    _denied(users[grants.TRANSFORMER], "drop table raw.hj212_reading_minute_202511")


@pytest.mark.parametrize(
    "sql",
    [
        "alter table marts.role_probe add column x integer",
        "alter table marts.role_probe rename to loader_probe",
        "drop table marts.role_probe",
        "insert into marts.role_probe values ('大同市', 50)",
        "update marts.role_probe set aqi = 0",
        "select * from marts.role_probe",
        "create table marts.loader_own (x integer)",
        "alter table raw.station_hour_publication add column x integer",
        "drop table raw.device_registry",
        "create table raw.loader_own (x integer)",
        "insert into dq.validation_run (run_id) values ('x')",
    ],
)
def test_loader_cannot_alter_marts_or_change_ddl(
    users: dict[str, sa.Engine], later_mart: str, sql: str
) -> None:
    _denied(users[grants.LOADER], sql)


@pytest.mark.parametrize(
    "sql",
    [
        "insert into raw.device_registry default values",
        "delete from quarantine.rejected_record",
        "update audit.load_batch set message = 'edited'",
        "create table raw.transformer_own (x integer)",
    ],
)
def test_transformer_cannot_write_what_was_loaded(users: dict[str, sa.Engine], sql: str) -> None:
    _denied(users[grants.TRANSFORMER], sql)


def test_a_schema_added_by_a_later_migration_gets_its_grants(
    users: dict[str, sa.Engine], admin: sa.Engine
) -> None:
    # A mapped schema created after the grants ran (as `lineage` was before migration 0014, or
    # recreated by hand): it has no grants until the next migrate(), which grants on it.
    with admin.begin() as conn:
        conn.exec_driver_sql("drop schema if exists lineage cascade")
        conn.exec_driver_sql("create schema lineage")
        conn.exec_driver_sql(
            "create or replace view lineage.role_probe_source as"
            " select 'marts.role_probe'::text as mart, 'raw.station_hour_publication'::text as src"
        )
    _denied(users[grants.AUDITOR], "select * from lineage.role_probe_source")
    assert migrate(admin) == []
    with users[grants.AUDITOR].connect() as conn:
        row = conn.exec_driver_sql("select mart, src from lineage.role_probe_source").one()
    assert tuple(row) == ("marts.role_probe", "raw.station_hour_publication")
    _denied(users[grants.BI_READER], "select * from lineage.role_probe_source")
    _denied(users[grants.AUDITOR], "create view lineage.auditor_own as select 1 as x")


def test_dbt_builds_as_the_transformer_role(
    db: str, users: dict[str, sa.Engine], tmp_path: Path
) -> None:
    """dbt connected as a transformer login, with SET ROLE (profiles.yml ``LANTIAN_DB_ROLE``):
    the seeds land in ``reference`` owned by the role, and its results in ``dq``."""
    url = _as_user(db, f"{grants.TRANSFORMER}_t{PID}")
    env = {"LANTIAN_DB_ROLE": grants.TRANSFORMER, "LANTIAN_STATE": str(tmp_path)}
    old = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        outcome = run_dbt(["seed", "--select", "aqi_categories"], url, tmp_path / "target")
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert outcome.success and outcome.results == 1, outcome
    with users[grants.AUDITOR].connect() as conn:
        owner = conn.exec_driver_sql(
            "select tableowner from pg_tables where schemaname = 'reference'"
            " and tablename = 'aqi_categories'"
        ).scalar_one()
        stored = conn.execute(
            sa.text("select status from dq.dbt_result where invocation_id = :i"),
            {"i": outcome.invocation_id},
        ).scalars()
        assert list(stored) == ["success"]
    assert owner == grants.TRANSFORMER
    _denied(users[grants.BI_READER], "select * from reference.aqi_categories")


def _dbt_schemas() -> set[str]:
    """Every ``+schema`` the dbt project builds into (dbt_project.yml, at any depth)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "+schema":
                    found.add(str(value))
                walk(value)

    walk(yaml.safe_load((dbt_project_dir() / "dbt_project.yml").read_text(encoding="utf-8")))
    return found


def test_every_schema_dbt_builds_into_exists_for_the_transformer(
    users: dict[str, sa.Engine],
) -> None:
    """The ETL login may not create schemas in the database (it has no CREATE on it): each schema
    dbt builds into must come from a migration, with CREATE for the transformer. `lineage` once
    did not, and the first transform as the ETL login failed (issue 14, finding 1)."""
    schemas = _dbt_schemas()
    assert {"staging", "intermediate", "marts", "lineage", "quarantine"} <= schemas
    with users[grants.TRANSFORMER].connect() as conn:
        conn.exec_driver_sql(f"set role {grants.TRANSFORMER}")
        missing = [
            s
            for s in sorted(schemas)
            if not conn.execute(
                sa.text(
                    "select case when exists (select from pg_namespace where nspname = :s)"
                    " then has_schema_privilege(:s, 'CREATE') else false end"
                ),
                {"s": s},
            ).scalar_one()
        ]
        on_database = conn.exec_driver_sql(
            "select has_database_privilege(current_database(), 'CREATE')"
        ).scalar_one()
    assert missing == [] and on_database is False
