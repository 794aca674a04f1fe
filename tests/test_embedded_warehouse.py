"""The embedded warehouse: started on demand, reused, never twice for one folder, stopped cleanly."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from ingest.core import warehouse
from tests.conftest import REPO


def test_start_reuse_and_stop() -> None:
    state = REPO / ".lantian" / f"test-lifecycle-{os.getpid()}"
    state.mkdir(parents=True, exist_ok=True)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            urls = set(pool.map(lambda _: warehouse.ensure_embedded(state), range(3)))
        assert len(urls) == 1  # three concurrent callers, one server
        (url,) = urls
        pid = (state / "warehouse" / "pgdata" / "postmaster.pid").read_text().split()[0]
        assert warehouse.ensure_embedded(state) == url  # reused by a later caller
        assert (state / "warehouse" / "pgdata" / "postmaster.pid").read_text().split()[0] == pid
        engine = warehouse.engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("select current_database()")).scalar() == "lantian"
        engine.dispose()
        assert warehouse.stop_embedded(state) is True
        assert warehouse.stop_embedded(state) is False
        assert not (state / "warehouse" / "pgdata" / "postmaster.pid").exists()
        # started again (a restart): the same port, so a URL configured elsewhere stays valid
        assert warehouse.ensure_embedded(state) == url
        engine = warehouse.engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar() == 1
        engine.dispose()
    finally:
        warehouse.stop_embedded(state)
        import shutil

        shutil.rmtree(state, ignore_errors=True)
