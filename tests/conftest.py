"""Shared fixtures: a real PostgreSQL for the whole test session.

With ``WAREHOUSE_URL`` set, the tests create throwaway databases on that server; otherwise they
start an embedded PostgreSQL under ``.lantian/test`` (separate from the main run's state) and stop
it at the end. Database names carry the process id, so parallel sessions never collide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from ingest.core.migrate import migrate

REPO = Path(__file__).resolve().parent.parent


def _shared_folder() -> Path:
    """The standards and the real published data: ``LANTIAN_SHARED``, else ``../shared`` beside
    the checkout, else beside the local checkout this one was cloned from (CI tests a fresh
    clone in a temporary folder: ``git clone /work/main $d/repo``)."""
    if os.environ.get("LANTIAN_SHARED"):
        return Path(os.environ["LANTIAN_SHARED"])
    beside = REPO.parent / "shared"
    if beside.is_dir():
        return beside
    origin = subprocess.run(
        ["git", "-C", str(REPO), "remote", "get-url", "origin"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if origin and Path(origin).is_dir() and (Path(origin).resolve().parent / "shared").is_dir():
        return Path(origin).resolve().parent / "shared"
    return beside


SHARED = _shared_folder()
REAL = SHARED / "real"
TEST_STATE = REPO / ".lantian" / "test"


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A URL of the server's maintenance database ``postgres``."""
    external = os.environ.get("WAREHOUSE_URL")
    if external:
        yield _with_db(external, "postgres")
        return
    TEST_STATE.mkdir(parents=True, exist_ok=True)
    base = warehouse.ensure_embedded(TEST_STATE)
    try:
        yield _with_db(base, "postgres")
    finally:
        warehouse.stop_embedded(TEST_STATE)


@pytest.fixture(scope="session")
def make_database(server_url: str) -> Iterator[Callable[..., str]]:
    """Factory: a fresh database ``lantian_<purpose>_<pid>``, migrated unless ``migrated=False``
    (a test that migrates it itself, e.g. to an earlier version); all dropped at the end."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make(purpose: str, migrated: bool = True) -> str:
        name = f"lantian_{purpose}_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
            conn.execute(sa.text(f'create database "{name}"'))
        created.append(name)
        url = _with_db(server_url, name)
        if migrated:
            eng = warehouse.engine(url)
            migrate(eng)
            eng.dispose()
        return url

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


@pytest.fixture(scope="session")
def warehouse_url(make_database: Callable[[str], str]) -> str:
    """A migrated database shared by tests that create their own tables."""
    return make_database("test")


@pytest.fixture(scope="session")
def engine(warehouse_url: str) -> Iterator[sa.Engine]:
    eng = warehouse.engine(warehouse_url)
    yield eng
    eng.dispose()


REPORT_LINES: list[str] = []


@pytest.fixture(scope="session")
def report_line() -> Callable[[str], None]:
    """Tests that measure something (agreement rates, ratios) report it in the terminal summary."""
    return REPORT_LINES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT_LINES:
        terminalreporter.section("Lantian measurements")
        for line in REPORT_LINES:
            terminalreporter.write_line(line)


def airflow_env(state: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LANTIAN_STATE": str(state),
            "AIRFLOW_HOME": str(state / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{state / 'airflow' / 'airflow.db'}",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            **extra,
        }
    )
    (state / "airflow").mkdir(parents=True, exist_ok=True)
    return env


def dagbag_json(state: Path, expression: str, setup: str = "") -> object:
    """``expression`` (Python over ``b``, a ``DagBag`` of the repository's ``dags/``, after the
    statements ``setup``), evaluated in an Airflow subprocess with its own AIRFLOW_HOME under
    ``state`` and returned through JSON: how every Airflow process would see the DAG files."""
    code = (
        "import json; from airflow.dag_processing.dagbag import DagBag; b = DagBag(); "
        + (f"{setup}; " if setup else "")
        + f"print(json.dumps({expression}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=airflow_env(state), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def metadata_url(server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database for Airflow's metadata (CeleryExecutor and LocalExecutor
    refuse SQLite; Celery keeps its results there too), one per test module; dropped after."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name = f"lantian_airflow_{module}_{os.getpid()}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        conn.exec_driver_sql(f'create database "{name}"')
    parts = urlsplit(server_url)
    yield urlunsplit(parts._replace(scheme="postgresql+psycopg2", path=f"/{name}"))
    with admin.connect() as conn:
        conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
    admin.dispose()
