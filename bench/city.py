"""City benchmark (issue 15): a city's devices every hour, with a short and a long history.

    .venv/bin/python -m bench.city [--cems 1500] [--dust 834] [--micro 200] [--stations 200]
                                   [--short-days 1] [--long-days 7] [--cycles 3] [--seed 7]

For each history length (short, long), in a fresh database on one PostgreSQL (``WAREHOUSE_URL``'s
server, else the embedded one):

1. the city: a profile with ``--stations`` stations (``bench.generate.station_profile``) and a
   device registry of ``--cems`` CEMS outlets (hourly CN=2061 packets: three pollutants with
   Avg/Min/Max/ZsAvg/Cou, O2, flow, temperature, humidity, pressure, velocity: 33 readings),
   ``--dust`` construction-site dust monitors (CN=2051 minute packets of PM10 and TSP-free PM2.5,
   and their hourly averages) and ``--micro`` micro-stations (hourly PM2.5, PM10, SO2, NO2, CO,
   O3): about 1,450 readings per device-day, as the sample's 1,550;
2. the history, by a bulk path (SQL ``generate_series`` straight into ``raw.hj212_reading``,
   one ledger batch per day; the station files of those days through the real loader), then one
   dbt run to build every model on it (not timed);
3. one warm-up cycle (the day's first transform validates every row: the nightly one), then
   ``--cycles`` timed hourly cycles through the real path: the hour's packet log and station
   files are written (not timed), then loaded (``pipelines.hj212``, ``pipelines.station``),
   transformed and validated as the transform DAG does for an asset-triggered run (dbt build
   below the marts, gate suites over the run's days, marts build, marts suites).

Prints per history: the cycle's median seconds (load, transform, validate), the HJ 212 and
station ingest rates beside a bare ``COPY`` of the same rows (``bench.run``), and the ratio
long/short of the cycle (goals, issue 15: ratio <= 1.2, a cycle under 2 minutes, ingest >= 80 %
of bare COPY). Both baselines are measured in the same run.

The defaults (a whole city, 1 and 7 days) take about 25 minutes on 2 shared cores, most of it
building the 7 days of history (25 million readings); the 30-day ratio of issue 15 is measured
at a tenth of the city: ``--cems 150 --dust 83 --micro 20 --stations 50 --long-days 30``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench import generate
from bench.run import bare_copy, fresh_database, hj212_rows, station_rows
from ingest.core import warehouse
from ingest.hj212 import load as hj212_load
from ingest.hj212 import partitions
from ingest.hj212 import registry as device_registry
from ingest.hj212.protocol import LOCAL_TZ, frame
from ingest.reference import profile as reference
from ingest.station import load as station_load
from pipelines import hj212 as hj212_step
from pipelines import station as station_step
from pipelines import transform
from pipelines.dbt import run_dbt
from samples import hj212 as sample_hj212
from samples import station as sample_station

HISTORY_END = dt.date(2026, 3, 1)  # the timed hours follow it
COUNTY = "尧都区"
CEMS_POLLUTANTS = (("a34013", 5.0), ("a21026", 20.0), ("a21002", 40.0))
CEMS_PARAMETERS = (
    ("a19001", 9.5),
    ("a00000", 150.0),
    ("a01012", 70.0),
    ("a01011", 12.0),
    ("a01013", 0.2),
    ("a01014", 9.0),
)
DUST_CODES = (("a34002", 80.0), ("a34004", 45.0))
MICRO_CODES = (
    ("a34004", 45.0),
    ("a34002", 80.0),
    ("a21026", 15.0),
    ("a21004", 30.0),
    ("a21005", 0.8),
    ("a05024", 90.0),
)


@dataclass(frozen=True)
class Device:
    mn: str
    kind: str  # cems | dust | micro_station
    st: str


def devices(cems: int, dust: int, micro: int) -> list[Device]:
    code = sample_hj212.COUNTY_CODES[COUNTY]
    return (
        [Device(f"{code}31{i:016d}", "cems", "31") for i in range(cems)]
        + [Device(f"{code}39{i:016d}", "dust", "39") for i in range(dust)]
        + [Device(f"{code}22{i:016d}", "micro_station", "22") for i in range(micro)]
    )


def write_registry(city: list[Device], path: Path, seed: int) -> Path:
    rng = random.Random(seed)
    code = sample_hj212.COUNTY_CODES[COUNTY]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(sample_hj212.REGISTRY_COLUMNS))
        writer.writeheader()
        for i, d in enumerate(city):
            cems = d.kind == "cems"
            writer.writerow(
                {
                    "mn": d.mn,
                    "kind": d.kind,
                    "name": f"基准{d.kind}{i:05d}",
                    "uscc": sample_hj212.uscc(code, rng) if cems else "",
                    "outlet_id": "DA001" if cems else "",
                    "outlet_name": "1号排口" if cems else "",
                    "county": COUNTY,
                    "industry": "焦化" if cems else "建筑施工",
                    "o2_ref_pct": "8" if cems else "",
                    "emission_standard_id": "",
                }
            )
    return path


def _items(codes: tuple[tuple[str, float], ...], rng: random.Random, full: bool) -> list[str]:
    out = []
    for code, base in codes:
        c = base * rng.uniform(0.6, 1.4)
        if full:
            out.append(
                f"{code}-Avg={c:.2f},{code}-Min={c * 0.8:.2f},{code}-Max={c * 1.2:.2f},"
                f"{code}-ZsAvg={c * 1.1:.2f},{code}-Cou={c * 0.3:.3f},{code}-Flag=N"
            )
        else:
            out.append(f"{code}-Avg={c:.2f},{code}-Flag=N")
    return out


def write_hour_log(city: list[Device], receipt: dt.datetime, inbox: Path, seed: int) -> Path:
    """The packet log of the hour starting ``receipt``: the minute packets of that hour and the
    hourly packets of the hour before (a device sends an hour's average when it ends)."""
    rng = random.Random(f"{seed}-{receipt}")
    hour = receipt - dt.timedelta(hours=1)
    lines = []
    for i, d in enumerate(city):
        if d.kind == "cems":
            cp = _items(CEMS_POLLUTANTS, rng, True) + [
                f"{c}-Avg={b * rng.uniform(0.9, 1.1):.2f},{c}-Min={b * 0.9:.2f},"
                f"{c}-Max={b * 1.1:.2f},{c}-Flag=N"
                for c, b in CEMS_PARAMETERS
            ]
        else:
            cp = _items(DUST_CODES if d.kind == "dust" else MICRO_CODES, rng, False)
        qn = f"{receipt:%Y%m%d%H%M%S}{i % 1000:03d}"
        lines.append(
            frame(
                f"QN={qn};ST={d.st};CN=2061;PW=123456;MN={d.mn};Flag=4;"
                f"CP=&&DataTime={hour:%Y%m%d%H%M%S};{';'.join(cp)}&&"
            )
        )
        if d.kind == "dust":
            for m in range(60):
                minute = receipt + dt.timedelta(minutes=m)
                items = ";".join(_items(DUST_CODES, rng, False))
                lines.append(
                    frame(
                        f"QN={minute:%Y%m%d%H%M%S}{i % 1000:03d};ST=39;CN=2051;PW=123456;"
                        f"MN={d.mn};Flag=4;CP=&&DataTime={minute:%Y%m%d%H%M%S};{items}&&"
                    )
                )
    folder = inbox / "hj212" / "city"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{receipt:%Y-%m-%dT%H}.log"
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


_BULK = """
insert into raw.hj212_reading (mn, cn, data_time, pollutant_code, statistic, value, flag, st,
    batch_id, source_file, line_number, packet_seq)
select d.mn, s.cn, t, s.code, s.stat, round(cast(s.base * (0.6 + random() * 0.8) as numeric), 2),
    'N', d.st, :batch, :file, 0, 0
from bench_city.device as d
join bench_city.series as s on s.kind = d.kind
cross join lateral generate_series(
    cast(:day as timestamptz),
    cast(:day as timestamptz) + interval '1 day' - s.step,
    s.step
) as t
"""


def bulk_history(url: str, city: list[Device], first: dt.date, days: int) -> int:
    """The HJ 212 readings of ``days`` days, as the real path would store them, by SQL."""
    series = [("cems", "2061", c, st, b, "1 hour") for c, b in CEMS_POLLUTANTS
              for st in ("avg", "min", "max", "zs_avg", "cou")]  # fmt: skip
    series += [("cems", "2061", c, st, b, "1 hour") for c, b in CEMS_PARAMETERS
               for st in ("avg", "min", "max")]  # fmt: skip
    series += [("dust", cn, c, "avg", b, step) for c, b in DUST_CODES
               for cn, step in (("2061", "1 hour"), ("2051", "1 minute"))]  # fmt: skip
    series += [("micro_station", "2061", c, "avg", b, "1 hour") for c, b in MICRO_CODES]
    engine = warehouse.engine(url)
    total = 0
    with engine.begin() as conn:
        conn.execute(sa.text("create schema if not exists bench_city"))
        conn.execute(sa.text("create table bench_city.device (mn text, kind text, st text)"))
        conn.execute(
            sa.text(
                "create table bench_city.series (kind text, cn text, code text, stat text,"
                " base float8, step interval)"
            )
        )
        conn.execute(
            sa.text("insert into bench_city.device values (:mn, :k, :st)"),
            [{"mn": d.mn, "k": d.kind, "st": d.st} for d in city],
        )
        conn.execute(
            sa.text("insert into bench_city.series values (:k, :cn, :c, :s, :b, cast(:i as interval))"),
            [dict(zip(("k", "cn", "c", "s", "b", "i"), r, strict=True)) for r in series],
        )  # fmt: skip
    for n in range(days):
        day = dt.datetime.combine(first + dt.timedelta(days=n), dt.time(), LOCAL_TZ)
        # the month's partitions first, as the real loader makes them before its COPY
        partitions.ensure(engine, "reading", [partitions.month_of(day)])
        with engine.begin() as conn:
            batch = conn.execute(
                sa.text(
                    "insert into audit.load_batch (source, source_file, status, loaded_by,"
                    " finished_at, loaded_xid) values ('hj212', :f, 'loaded', 'bench-bulk',"
                    " clock_timestamp(), pg_current_xact_id()) returning batch_id"
                ),
                {"f": f"bulk/{day:%Y-%m-%d}"},
            ).scalar_one()
            rows = conn.execute(
                sa.text(_BULK), {"batch": batch, "file": f"bulk/{day:%Y-%m-%d}", "day": day}
            ).rowcount
            conn.execute(
                sa.text(
                    "update audit.load_batch set records_in = :n, records_loaded = :n"
                    " where batch_id = :b"
                ),
                {"n": rows, "b": batch},
            )
            total += rows
    engine.dispose()
    return total


@dataclass
class Cycle:
    load_s: float
    transform_s: float
    validate_s: float
    hj212_rows: int
    hj212_load_s: float
    hj212_copy_s: float
    station_rows: int
    station_load_s: float
    station_copy_s: float

    @property
    def total_s(self) -> float:
        return self.load_s + self.transform_s + self.validate_s


def cycle(
    url: str, work: Path, city: list[Device], receipt: dt.datetime, run: str, seed: int
) -> Cycle:
    """One hour through the real path: load both feeds, transform and validate as the DAG."""
    log = write_hour_log(city, receipt, work, seed)
    hour = receipt - dt.timedelta(hours=1)
    end = hour + dt.timedelta(hours=1)
    station_files, _ = station_load.files_in_interval(work, hour, end)
    began = time.perf_counter()
    hj = hj212_step.load_hj212_interval(receipt, receipt + dt.timedelta(hours=1), run, work)
    hj_s = time.perf_counter() - began
    st = station_step.load_station_interval(hour, end, run, work)
    load_s = time.perf_counter() - began
    gate = transform.build_and_gate(run, asset_triggered=True)
    transform_s = time.perf_counter() - began - load_s
    transform.marts_step(run, gate["scope"])  # type: ignore[arg-type]
    validate_s = time.perf_counter() - began - load_s - transform_s
    # the same rows for the bare COPY (batch ids of their own: the station key holds them)
    fake = 10_000_000 + int(receipt.timestamp()) // 3600 * 1000
    prepared_hj = [hj212_rows(log, work, fake)]
    prepared_st = [station_rows(p, work, fake + i) for i, p in enumerate(station_files)]
    return Cycle(
        load_s, transform_s, validate_s,
        int(hj["records_loaded"]), hj_s,  # type: ignore[call-overload]
        bare_copy(url, "hj212_reading", hj212_load.READING_COLUMNS, "", prepared_hj),
        int(st["records_loaded"]), load_s - hj_s,  # type: ignore[call-overload]
        bare_copy(url, "station_hour_publication", station_load.RAW_COLUMNS,
                  " with (format csv)", prepared_st),
    )  # fmt: skip


def history_run(
    days: int, args: argparse.Namespace, server: str, work: Path, profile: Path
) -> list[Cycle]:
    city = devices(args.cems, args.dust, args.micro)
    # named by size too, so that two runs of different cities on one server keep apart
    name = f"lantian_bench_city_{len(city)}dev_{days}d"
    url = fresh_database(server, name)
    os.environ["WAREHOUSE_URL"] = url
    registry = write_registry(city, work / "registry.csv", args.seed)
    os.environ["LANTIAN_DEVICE_REGISTRY"] = str(registry)
    os.environ["LANTIAN_PROFILE"] = str(profile)
    first = HISTORY_END - dt.timedelta(days=days)
    began = time.perf_counter()
    engine = warehouse.engine(url)
    reference.load_profile(engine, profile)
    device_registry.load_registry(engine, registry)
    engine.dispose()
    rows = bulk_history(url, city, first, days)
    t0 = dt.datetime.combine(first, dt.time(), LOCAL_TZ)
    t_end = dt.datetime.combine(HISTORY_END, dt.time(), LOCAL_TZ)
    station_step.load_station_interval(t0, t_end, "bench-history", work)
    for step in (["seed", "--quiet"], ["run", "--quiet"]):
        if not run_dbt(step, url, target_path=work / "target").success:
            raise SystemExit(f"the history's dbt {step[0]} failed")
    print(f"  {days} day(s) of history: {rows:,} HJ 212 readings, built in"
          f" {time.perf_counter() - began:.0f} s")  # fmt: skip
    cycles = []
    for k in range(args.cycles + 1):  # the first: the day's full validation, not timed
        receipt = t_end + dt.timedelta(hours=k + 1)
        c = cycle(url, work, city, receipt, f"bench-{days}d-{k}", args.seed)
        print(f"  cycle {k}{' (warm-up, full validation)' if k == 0 else ''}: {c.total_s:.1f} s"
              f" (load {c.load_s:.1f}, transform {c.transform_s:.1f}, validate"
              f" {c.validate_s:.1f})")  # fmt: skip
        if k:
            cycles.append(c)
    return cycles


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cems", type=int, default=1500)
    parser.add_argument("--dust", type=int, default=834)
    parser.add_argument("--micro", type=int, default=200)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--short-days", type=int, default=1)
    parser.add_argument("--long-days", type=int, default=7)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    server = os.environ.get("WAREHOUSE_URL") or warehouse.warehouse_url()
    results: dict[int, list[Cycle]] = {}
    for days in (args.short_days, args.long_days):
        work = Path(tempfile.mkdtemp(prefix=f"lantian-bench-city-{days}d-"))
        try:
            first = HISTORY_END - dt.timedelta(days=days)
            profile = generate.station_profile(args.stations, work / "profile.yaml")
            # the station files of the history and of the timed hours (the day after it)
            sample_station.generate(
                profile, work, first, HISTORY_END + dt.timedelta(days=1), args.seed
            )
            print(f"history of {days} day(s):")
            results[days] = history_run(days, args, server, work, profile)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{'history':<10}{'cycle s':>9}{'load':>7}{'transform':>11}{'validate':>10}"
          f"{'HJ 212 vs COPY':>16}{'station vs COPY':>17}")  # fmt: skip
    medians = {}
    for days, cycles in results.items():
        med = lambda f, cs=cycles: statistics.median(f(c) for c in cs)  # noqa: E731
        medians[days] = med(lambda c: c.total_s)
        hj = sum(c.hj212_copy_s for c in cycles) / sum(c.hj212_load_s for c in cycles)
        st = sum(c.station_copy_s for c in cycles) / sum(c.station_load_s for c in cycles)
        print(f"{days:>3} days  {medians[days]:>9.1f}{med(lambda c: c.load_s):>7.1f}"
              f"{med(lambda c: c.transform_s):>11.1f}{med(lambda c: c.validate_s):>10.1f}"
              f"{hj:>16.0%}{st:>17.0%}")  # fmt: skip
    ratio = medians[args.long_days] / medians[args.short_days]
    print(f"hourly cycle, {args.long_days} days / {args.short_days} day(s) of history: {ratio:.2f}"
          " (goal <= 1.2); goals: a cycle under 120 s, ingest >= 80 % of bare COPY")  # fmt: skip


if __name__ == "__main__":
    main()
