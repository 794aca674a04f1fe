"""The pipelined run over a feed's files (ingest/core/runner.py), on real files and a real
warehouse: a file's ``running`` batch is committed before its rows are stored although it is
opened inside the previous file's transaction, and a file whose transaction fails takes the next
file's opening down with it, which is then opened again under the id its rows were built with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import ledger, runner, warehouse
from ingest.core.ledger import LoadFailed
from ingest.station import load
from ingest.station import parse as ns
from tests.test_county import DAY, _hour_file, _rows

START = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)


def _files(inbox: Path, hours: int) -> list[Path]:
    folder = inbox / "national_station"
    for h in range(1, hours + 1):
        _hour_file(folder, START + dt.timedelta(hours=h), ("N1", "N2"))
    return sorted(folder.glob("*.csv"))


def test_each_batch_is_committed_running_before_its_rows_are_stored(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("runner_running")
    engine = warehouse.engine(url)
    observer = warehouse.engine(url)  # another session: sees only what is committed
    paths = _files(tmp_path / "inbox", 3)
    seen: list[tuple[str, str]] = []

    def store(conn: sa.Connection, batch: ledger.Batch, rows: int) -> ledger.BatchResult:
        with observer.connect() as other:
            status = other.execute(
                sa.text("select status from audit.load_batch where batch_id = :b"),
                {"b": batch.batch_id},
            ).scalar_one()
        seen.append((batch.source_file, status))
        return batch.close_loaded(conn, rows, rows)

    results = runner.load_files(
        engine, "runner_test", tmp_path / "inbox", paths, "test", (None, None),
        lambda batch, path: len((batch.data or b"").splitlines()), store,
    )  # fmt: skip
    assert [s for _, s in seen] == ["running"] * 3
    assert [r.status for r in results] == ["loaded"] * 3
    assert _rows(url, "select status, count(*) from audit.load_batch group by 1") == [("loaded", 3)]
    # a second run skips every file in one read each, and opens nothing
    again = runner.load_files(
        engine, "runner_test", tmp_path / "inbox", paths, "test", (None, None),
        lambda batch, path: 0, store,
    )  # fmt: skip
    assert [r.status for r in again] == ["skipped"] * 3 and len(seen) == 3
    engine.dispose()
    observer.dispose()


def test_a_file_failing_in_its_transaction_keeps_the_next_one_and_its_batch_id(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("runner_failure")
    engine = warehouse.engine(url)
    inbox = tmp_path / "inbox"
    paths = _files(inbox, 3)
    # hour 2 holds a NUL byte, which PostgreSQL refuses in text: its COPY fails, after the next
    # file's batch was opened in the same transaction
    paths[1].write_text(paths[1].read_text().replace("临汾市", "临汾\x00市", 1), encoding="utf-8")
    with pytest.raises(LoadFailed, match=r"T02\.csv") as caught:
        load.load_interval(engine, inbox, START, START + dt.timedelta(hours=3), "test")
    summary = caught.value.summary
    assert summary is not None
    assert [b.status for b in summary.batches] == ["loaded", "failed", "loaded"]
    assert "0x00" in (summary.batches[1].message or "")
    batches = _rows(url, "select batch_id, status from audit.load_batch order by batch_id")
    assert [s for _, s in batches] == ["loaded", "failed", "loaded"]  # nothing left running
    loaded = {b for b, s in batches if s == "loaded"}
    rows = _rows(url, "select batch_id, count(*) from raw.station_hour_publication group by 1")
    assert dict(rows) == {b: 2 for b in loaded}  # hour 3's rows carry its (re)opened batch's id
    assert summary.total("records_in") == 4 and summary.total("loaded") == 4

    _hour_file(inbox / "national_station", START + dt.timedelta(hours=2), ("N1", "N2"))
    fixed = load.load_interval(engine, inbox, START, START + dt.timedelta(hours=3), "test")
    assert [b.status for b in fixed.batches] == ["skipped", "loaded", "skipped"]
    assert _rows(url, "select count(*) from raw.station_hour_publication") == [(6,)]
    engine.dispose()
