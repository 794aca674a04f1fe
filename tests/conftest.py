"""Shared fixtures: a real PostgreSQL warehouse for the whole test session.

With ``WAREHOUSE_URL`` set, the tests use a fresh database ``lantian_test`` on that server;
otherwise an embedded PostgreSQL under ``.lantian/test`` (separate from the main run's state).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from ingest import warehouse
from ingest.migrate import migrate

REPO = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("LANTIAN_SHARED", REPO.parent / "shared")) / "real"
TEST_DB = f"lantian_test_{os.getpid()}"


@pytest.fixture(scope="session")
def warehouse_url() -> Iterator[str]:
    external = os.environ.get("WAREHOUSE_URL")
    started_here = False
    if external:
        parts = urlsplit(external)
        admin = sa.create_engine(
            urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {TEST_DB} with (force)"))
            conn.execute(sa.text(f"create database {TEST_DB}"))
        admin.dispose()
        url = urlunsplit(parts._replace(path=f"/{TEST_DB}"))
    else:
        state = REPO / ".lantian" / "test"
        state.mkdir(parents=True, exist_ok=True)
        base = warehouse.ensure_embedded(state)
        started_here = True
        parts = urlsplit(base)
        admin = sa.create_engine(
            urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {TEST_DB} with (force)"))
            conn.execute(sa.text(f"create database {TEST_DB}"))
        admin.dispose()
        url = urlunsplit(parts._replace(path=f"/{TEST_DB}"))
    eng = warehouse.engine(url)
    migrate(eng)
    eng.dispose()
    try:
        yield url
    finally:
        admin = sa.create_engine(
            urlunsplit(urlsplit(url)._replace(path="/postgres")), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {TEST_DB} with (force)"))
        admin.dispose()
        if started_here:
            warehouse.stop_embedded(REPO / ".lantian" / "test")


@pytest.fixture(scope="session")
def engine(warehouse_url: str) -> Iterator[sa.Engine]:
    eng = warehouse.engine(warehouse_url)
    yield eng
    eng.dispose()
