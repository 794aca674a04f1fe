"""Benchmark: the hourly transform with 1 month and with 12 months of history behind it.

    .venv/bin/python -m bench.transform [--hours 3] [--seed N]

Two fresh databases on one PostgreSQL (WAREHOUSE_URL's server, or the embedded one): one holds
the last month of a generated sample (the city profile, national and county stations), the
other the last twelve months. Each gets a full dbt
build, then the same next hours arrive one at a time: each hour is loaded and the hourly
transform (``dbt run``: the models; the incremental ones process only what changed) is timed.
Prints the median seconds of both and their ratio (goal: <= 1.5, i.e. the cost of an hourly run
does not grow with the history behind it). The baseline is measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.run import fresh_database
from ingest.core import paths, warehouse
from ingest.reference import profile as reference
from ingest.station import load
from ingest.station import parse as ns
from pipelines.dbt import run_dbt
from samples import station as sample

PROFILE = paths.config_dir() / "city_profile.yaml"


def hourly_runs(
    url: str, inbox: Path, history_start: dt.datetime, now: dt.datetime, hours: int, work: Path
) -> list[float]:
    """Load [history_start, now), full build, then time `hours` hourly load+transform cycles."""
    engine = warehouse.engine(url)
    reference.load_profile(engine, PROFILE)  # stations' counties, targets, peer groups
    for feed in load.FEEDS:  # national-control and county stations
        load.load_interval(engine, inbox, history_start, now, "bench", feed)
    if not run_dbt(["build", "--quiet"], url, target_path=work / "target").success:
        raise SystemExit("full dbt build failed")
    timings = []
    for step in range(hours):
        start = now + dt.timedelta(hours=step)
        for feed in load.FEEDS:
            load.load_interval(engine, inbox, start, start + dt.timedelta(hours=1), "bench", feed)
        began = time.perf_counter()
        outcome = run_dbt(["run", "--quiet"], url, target_path=work / "target")
        timings.append(time.perf_counter() - began)
        if not outcome.success:
            raise SystemExit("hourly dbt run failed")
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--hours", type=int, default=3, help="hourly cycles timed per database")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lantian-bench-"))
    try:
        end_day = dt.date(2026, 3, 3)
        first_day = end_day - dt.timedelta(days=366)
        print(f"generating {first_day}..{end_day} (12 months + hours to come) into {work}")
        sample.generate(PROFILE, work / "inbox", first_day, end_day, args.seed)
        server = os.environ.get("WAREHOUSE_URL") or warehouse.warehouse_url()
        now = dt.datetime.combine(end_day - dt.timedelta(days=1), dt.time(), ns.LOCAL_TZ)
        results = {}
        for label, days in (("1 month", 30), ("12 months", 365)):
            url = fresh_database(server, f"lantian_bench_{days}d")
            history_start = now - dt.timedelta(days=days)
            print(
                f"{label}: loading {history_start:%Y-%m-%d}..{now:%Y-%m-%d %H:%M}, full build ..."
            )
            timings = hourly_runs(url, work / "inbox", history_start, now, args.hours, work)
            results[label] = statistics.median(timings)
            print(f"{label}: hourly transform {', '.join(f'{t:.1f}' for t in timings)} s")
        ratio = results["12 months"] / results["1 month"]
        print(
            f"hourly transform median: 1 month {results['1 month']:.1f} s, "
            f"12 months {results['12 months']:.1f} s, ratio {ratio:.2f} (goal <= 1.5)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
