"""Benchmark: each feed's full ingest path against a bare COPY of the same rows, in one run.

    .venv/bin/python -m bench.run [--stations 200] [--station-days 7] [--outlets 1500]
                                  [--cems-days 1] [--keep DIR]

On one PostgreSQL (``WAREHOUSE_URL``'s server, else the embedded one of ``ingest.core.warehouse``),
in a fresh database, for the national station feed (``ingest.station.load``) and the HJ 212 feed
(``ingest.hj212.load``): the full path (read, parse, validate, dedupe, COPY, audit; every file a
batch, as in production) is timed and its records/second set beside a bare ``COPY`` of the same
normalized rows, file by file, into a table of the same structure (``like raw.<table> including
all``: same columns, primary key and indexes; LIKE copies neither the station table's foreign
key to the ledger nor the HJ 212 table's partitions). Prints both rates and their ratio (goal,
issue 15: >= 80 %).
The input is written by ``bench.generate`` (sizes are flags).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from bench import generate
from ingest.core import warehouse
from ingest.core.migrate import migrate
from ingest.hj212 import load as hj212_load
from ingest.hj212 import parse as hj212
from ingest.station import load
from ingest.station import parse as ns


def fresh_database(server: str, name: str) -> str:
    admin = sa.create_engine(
        urlunsplit(urlsplit(server)._replace(path="/postgres")), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        conn.execute(sa.text(f'create database "{name}"'))
    admin.dispose()
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    engine = warehouse.engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("create schema if not exists bench_copy"))
        for table in ("station_hour_publication", "hj212_reading"):
            conn.execute(
                sa.text(f"create table bench_copy.{table} (like raw.{table} including all)")
            )
    engine.dispose()
    return url


def station_rows(path: Path, inbox: Path, batch: int) -> str:
    """The rows ingest.station.load COPYs for one file (CSV), built outside the timing."""
    buffer = io.StringIO()
    rel = str(path.relative_to(inbox))
    stage = load.publication_stage(path)
    rows = load.raw_rows(batch, rel, stage, load.NATIONAL.network, ns.parse(path).records)
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def hj212_rows(path: Path, inbox: Path, batch: int) -> str:
    """The reading rows ingest.hj212.load COPYs for one file (COPY text format)."""
    parsed = hj212.parse(path.read_bytes())
    return hj212_load.reading_rows(
        hj212_load.dedupe(parsed.readings).unique, batch, str(path.relative_to(inbox))
    )


def bare_copy(url: str, table: str, columns: tuple[str, ...], fmt: str, files: list[str]) -> float:
    """Seconds to COPY the prepared rows, one file per transaction (as the loaders commit)."""
    engine = warehouse.engine(url)
    began = time.perf_counter()
    for rows in files:
        with engine.begin() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.copy_expert(
                f"copy bench_copy.{table} ({', '.join(columns)}) from stdin{fmt}", io.StringIO(rows)
            )
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed


def measure(
    label: str,
    url: str,
    full: Callable[[sa.Engine], int],
    prepared: list[str],
    table: str,
    columns: tuple[str, ...],
    fmt: str,
) -> tuple[str, int, float, float]:
    engine = warehouse.engine(url)
    began = time.perf_counter()
    records = full(engine)
    full_s = time.perf_counter() - began
    engine.dispose()
    bare_s = bare_copy(url, table, columns, fmt, prepared)
    rows = sum(r.count("\n") for r in prepared) if fmt == "" else records
    print(f"{label}: {records} records, full path {full_s:.2f} s, bare COPY {bare_s:.2f} s")
    return label, rows, full_s, bare_s


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--station-days", type=int, default=7)
    parser.add_argument("--outlets", type=int, default=1500)
    parser.add_argument("--cems-days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="write the input here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="lantian-bench-ingest-"))
    try:
        print(f"generating input into {work} ...")
        made = generate.generate(
            work, args.stations, args.station_days, args.outlets, args.cems_days, args.seed
        )
        server = os.environ.get("WAREHOUSE_URL") or warehouse.warehouse_url()
        url = fresh_database(server, "lantian_bench_ingest")
        station_files, _ = load.files_in_interval(work, made.station_start, made.station_end)
        hj_files, _ = hj212_load.files_in_interval(work, made.cems_start, made.cems_end)
        results = [
            measure(
                "national station feed",
                url,
                lambda e: load.load_interval(
                    e, work, made.station_start, made.station_end, "bench"
                ).total("loaded"),
                [station_rows(p, work, i) for i, p in enumerate(station_files)],
                "station_hour_publication",
                load.RAW_COLUMNS,
                " with (format csv)",
            ),
            measure(
                "HJ 212 feed",
                url,
                lambda e: hj212_load.load_interval(
                    e, work, made.cems_start, made.cems_end, "bench"
                ).total("loaded"),
                [hj212_rows(p, work, i) for i, p in enumerate(hj_files)],
                "hj212_reading",
                hj212_load.READING_COLUMNS,
                "",
            ),
        ]
        print()
        print(f"{'feed':<24}{'records':>10}{'full rec/s':>14}{'bare COPY rec/s':>18}{'ratio':>8}")
        for label, rows, full_s, bare_s in results:
            full_rate, bare_rate = rows / full_s, rows / bare_s
            print(
                f"{label:<24}{rows:>10}{full_rate:>14,.0f}{bare_rate:>18,.0f}"
                f"{full_rate / bare_rate:>8.0%}"
            )
        print("(goal: full path >= 80 % of the bare COPY rate)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
