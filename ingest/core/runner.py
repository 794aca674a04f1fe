"""A loader's run over its files through the batch ledger, pipelined: one home for how a run
keeps Python and PostgreSQL busy at once.

For every file, as :func:`ingest.core.ledger.open_batch` and a loader's own transaction would,
but with fewer waits:

* one connection for the whole run (not one checkout, and its ping, per file);
* one transaction, so one commit (one WAL flush), per file: the next file's ``running`` batch
  is opened inside the current file's transaction (:func:`ledger.open_batch_in`, one
  statement), so it is committed before that file's own rows are stored, as the ledger requires
  (a crash during a file's load leaves its batch ``running``; its next opening closes it as
  interrupted). Only the run's first file is opened in a transaction of its own;
* the next file is prepared (parsed, validated, deduplicated, its COPY rows built: ``prepare``,
  no database) in a worker thread while the current file's COPY runs on the server (``store``):
  on 2 cores, Python on one and PostgreSQL on the other. Results come back in file order.

When a file's transaction fails, it is rolled back with the next file's opening; the file is
recorded as failed (:meth:`ledger.Batch.fail`: raises :class:`ledger.WarehouseInterrupted` when
the warehouse was at fault) and the next file is opened again under the id its rows were
prepared with.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import psycopg2
import sqlalchemy as sa

from ingest.core import ledger
from ingest.core.ledger import BatchResult

Prepared = TypeVar("Prepared")

# While the worker parses, each reply the main thread waits for (a statement, a COPY, a commit)
# must win the GIL back, which takes up to the interpreter's switch interval (5 ms by default):
# with ~10 round trips a file, that alone costs more than the ledger's statements. During a run
# the interval is 0.5 ms (restored after it).
_SWITCH_INTERVAL = 0.0005


@dataclass
class _Pending(Generic[Prepared]):
    batch: ledger.Batch
    path: Path
    future: Future[Prepared]


_runs = {"active": 0, "interval_before": 0.0}  # runs in this process (threads), guarded by:
_runs_lock = threading.Lock()


@contextmanager
def _short_switch_interval() -> Iterator[None]:
    """The short interval while any run of this process is active; the interpreter's own back
    when the last one ends (runs may overlap in threads)."""
    with _runs_lock:
        if not _runs["active"]:
            _runs["interval_before"] = sys.getswitchinterval()
            sys.setswitchinterval(min(_runs["interval_before"], _SWITCH_INTERVAL))
        _runs["active"] += 1
    try:
        yield
    finally:
        with _runs_lock:
            _runs["active"] -= 1
            if not _runs["active"]:
                sys.setswitchinterval(_runs["interval_before"])


def load_files(
    engine: sa.Engine,
    source: str,
    inbox: Path,
    paths: Sequence[Path],
    loaded_by: str,
    interval: tuple[dt.datetime | None, dt.datetime | None],
    prepare: Callable[[ledger.Batch, Path], Prepared],
    store: Callable[[sa.Connection, ledger.Batch, Prepared], BatchResult],
    file_errors: tuple[type[BaseException], ...] = (),
    before: Callable[[sa.Engine, Prepared], object] | None = None,
) -> list[BatchResult]:
    """Load ``paths`` in order, one batch each; return their results in file order.

    ``prepare(batch, path)`` runs in a worker thread and must not touch the database; if it
    raises (a file it cannot read, a parser bug), the batch is closed as failed with the error's
    first line. ``store(conn, batch, prepared)`` runs in the batch's transaction and returns
    :meth:`ledger.Batch.close_loaded`'s result; a database error or one of ``file_errors`` rolls
    the transaction back and fails the batch (:meth:`ledger.Batch.fail`). ``before(engine,
    prepared)`` runs just before the batch's transaction, in its own (HJ 212: the partitions
    the file needs; made inside it, they would wait for the locks it holds).
    """
    results: list[BatchResult] = []
    todo = iter(paths)
    with (
        engine.connect() as conn,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{source}-prepare") as pool,
        _short_switch_interval(),
    ):

        def open_next() -> tuple[list[BatchResult], _Pending[Prepared] | None]:
            """Open the next file to load in ``conn``'s transaction and start preparing it; the
            files skipped before it (content already loaded) are returned."""
            skipped: list[BatchResult] = []
            for path in todo:
                rel = ledger.relative_name(inbox, path)
                read = ledger.read_file(path)
                opened = ledger.open_batch_in(conn, source, rel, read, loaded_by, interval)
                if isinstance(opened, BatchResult):
                    skipped.append(opened)
                    continue
                return skipped, _Pending(opened, path, pool.submit(prepare, opened, path))
            return skipped, None

        def reopen(pending: _Pending[Prepared]) -> _Pending[Prepared] | None:
            """Open a file whose opening was rolled back again, under the same id."""
            batch = pending.batch
            with conn.begin():
                opened = ledger.open_batch_in(
                    conn, source, batch.source_file, (batch.data, batch.read_error),
                    loaded_by, interval, batch.batch_id,
                )  # fmt: skip
            if isinstance(opened, BatchResult):  # another run loaded this content meanwhile
                pending.future.cancel()
                results.append(opened)
                return None
            return pending

        with conn.begin():
            skipped, pending = open_next()
        results += skipped
        while pending is not None:
            current, pending, skipped = pending, None, []
            try:
                prepared = current.future.result()
            except Exception as exc:  # a parser bug must not leave the batch 'running'
                results.append(current.batch.close_failed(ledger.failure_message(exc)))
                with conn.begin():
                    skipped, pending = open_next()
                results += skipped
                continue
            try:
                if before is not None:
                    before(engine, prepared)
                with conn.begin():
                    skipped, pending = open_next()
                    result = store(conn, current.batch, prepared)
            except (sa.exc.DBAPIError, psycopg2.Error, *file_errors) as exc:
                # rolled back: this file's rows and the next file's opening
                results.append(current.batch.fail(exc))  # raises when the warehouse failed
                results += skipped
                if pending is not None:
                    pending = reopen(pending)
                if pending is None:
                    with conn.begin():
                        skipped, pending = open_next()
                    results += skipped
                continue
            results.append(result)
            results += skipped
    return results
