"""Benchmark: the hourly transform with a short and with a long history behind it.

    .venv/bin/python -m bench.transform [--hours 3] [--seed N]
    .venv/bin/python -m bench.transform --feed hj212 [--short-days 2] [--long-days 14] [--hours 3]

Two fresh databases on one PostgreSQL (WAREHOUSE_URL's server, or the embedded one): one holds a
short history of a generated sample, the other a long one. Each gets a full dbt build, then the
same next hours arrive one at a time: each hour is loaded and the hourly transform (``dbt run``:
the models; the incremental ones process only what changed) is timed. Prints the median seconds
of both and their ratio (goal: <= 1.5, i.e. the cost of an hourly run does not grow with the
history behind it). The baseline is measured in the same run.

``--feed station`` (default): the city profile's national and county stations, 1 month against
12 months of history. ``--feed hj212``: the sample's HJ 212 devices (CEMS outlets, dust monitors,
micro-stations: minute and hourly packets, with the sample's faults and replays) and their
registry, ``--short-days`` against ``--long-days`` of history: the HJ 212 and compliance path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.run import fresh_database
from ingest.core import paths, warehouse
from ingest.hj212 import load as hj212_load
from ingest.hj212 import registry as device_registry
from ingest.reference import profile as reference
from ingest.station import load
from ingest.station import parse as ns
from pipelines.dbt import run_dbt
from samples import hj212 as hj212_sample
from samples import station as sample

PROFILE = paths.config_dir() / "city_profile.yaml"
Loader = Callable[[sa.Engine, Path, dt.datetime, dt.datetime], None]


@dataclass(frozen=True)
class Feed:
    """How one feed's sample is generated, prepared (reference data) and loaded hour by hour."""

    generate: Callable[[Path, dt.date, dt.date, int], object]
    prepare: Callable[[sa.Engine, Path], None]
    load: Loader
    count_sql: str  # what the history holds, printed beside the timings


def _station_prepare(engine: sa.Engine, inbox: Path) -> None:
    reference.load_profile(engine, PROFILE)  # stations' counties, targets, peer groups


def _station_load(engine: sa.Engine, inbox: Path, start: dt.datetime, end: dt.datetime) -> None:
    for feed in load.FEEDS:  # national-control and county stations
        load.load_interval(engine, inbox, start, end, "bench", feed)


def _hj212_prepare(engine: sa.Engine, inbox: Path) -> None:
    reference.load_profile(engine, PROFILE)
    device_registry.load_registry(engine, inbox / "hj212_device_registry.csv")


def _hj212_load(engine: sa.Engine, inbox: Path, start: dt.datetime, end: dt.datetime) -> None:
    hj212_load.load_interval(engine, inbox, start, end, "bench")


FEEDS = {
    "station": Feed(
        lambda out, first, end, seed: sample.generate(PROFILE, out, first, end, seed),
        _station_prepare,
        _station_load,
        "select count(*) from raw.station_hour_publication",
    ),
    "hj212": Feed(
        lambda out, first, end, seed: hj212_sample.generate_hj212(PROFILE, out, first, end, seed),
        _hj212_prepare,
        _hj212_load,
        "select count(*) from raw.hj212_reading",
    ),
}


def hourly_runs(
    url: str,
    feed: Feed,
    inbox: Path,
    history_start: dt.datetime,
    now: dt.datetime,
    hours: int,
    work: Path,
) -> tuple[list[float], int]:
    """Load [history_start, now), full build, then time `hours` hourly load+transform cycles.
    Returns the timings and the rows of history."""
    engine = warehouse.engine(url)
    feed.prepare(engine, inbox)
    feed.load(engine, inbox, history_start, now)
    with engine.connect() as conn:
        history = int(conn.execute(sa.text(feed.count_sql)).scalar_one())
    if not run_dbt(["build", "--quiet"], url, target_path=work / "target").success:
        raise SystemExit("full dbt build failed")
    timings = []
    for step in range(hours):
        start = now + dt.timedelta(hours=step)
        feed.load(engine, inbox, start, start + dt.timedelta(hours=1))
        began = time.perf_counter()
        outcome = run_dbt(["run", "--quiet"], url, target_path=work / "target")
        timings.append(time.perf_counter() - began)
        if not outcome.success:
            raise SystemExit("hourly dbt run failed")
    engine.dispose()
    return timings, history


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--feed", choices=sorted(FEEDS), default="station")
    parser.add_argument("--hours", type=int, default=3, help="hourly cycles timed per database")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--short-days", type=int, help="short history (station 30, hj212 2)")
    parser.add_argument("--long-days", type=int, help="long history (station 365, hj212 14)")
    args = parser.parse_args()
    short = args.short_days or (30 if args.feed == "station" else 2)
    long = args.long_days or (365 if args.feed == "station" else 14)
    feed = FEEDS[args.feed]
    work = Path(tempfile.mkdtemp(prefix="lantian-bench-"))
    try:
        end_day = dt.date(2026, 3, 3) if args.feed == "station" else dt.date(2026, 3, 20)
        first_day = end_day - dt.timedelta(days=long + 1)
        print(f"{args.feed}: generating {first_day}..{end_day} (history + hours to come) in {work}")
        feed.generate(work / "inbox", first_day, end_day, args.seed)
        server = os.environ.get("WAREHOUSE_URL") or warehouse.warehouse_url()
        now = dt.datetime.combine(end_day - dt.timedelta(days=1), dt.time(), ns.LOCAL_TZ)
        results = {}
        for days in (short, long):
            url = fresh_database(server, f"lantian_bench_{args.feed}_{days}d")
            history_start = now - dt.timedelta(days=days)
            print(
                f"{days} days: loading {history_start:%Y-%m-%d}..{now:%Y-%m-%d %H:%M}, full build"
            )
            timings, history = hourly_runs(
                url, feed, work / "inbox", history_start, now, args.hours, work
            )
            results[days] = statistics.median(timings)
            print(
                f"{days} days ({history:,} rows of history): hourly transform"
                f" {', '.join(f'{t:.1f}' for t in timings)} s"
            )
        ratio = results[long] / results[short]
        print(
            f"{args.feed} hourly transform median: {short} days {results[short]:.1f} s, "
            f"{long} days {results[long]:.1f} s, ratio {ratio:.2f} (goal <= 1.5)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
