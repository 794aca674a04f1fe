"""Province-scale input for the ingest benchmark (``bench.run``).

    .venv/bin/python -m bench.generate --out DIR [--stations 200] [--station-days 7]
                                                 [--outlets 1500] [--cems-days 1]

* national station feed: ``--stations`` stations' hourly publication files for
  ``--station-days`` days, written by ``samples.station`` from a synthetic profile (the city
  profile's stations plus generated ones, 10 per city);
* HJ 212 feed: ``--outlets`` CEMS outlets' hourly packets (CN=2061, 9 factors with
  Avg/Min/Max/ZsAvg/Cou and flags, ~30 readings a packet) for ``--cems-days`` days, one packet
  log per hour (``hj212/bench/YYYY-MM-DDTHH.log``), clean (the fault handling is tested elsewhere).

A month (``--cems-days 30``: ~32 M readings) is a flag away; the defaults run in a few minutes
on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.core import paths
from ingest.hj212.protocol import LOCAL_TZ, frame
from samples import station as sample

PROFILE = paths.config_dir() / "city_profile.yaml"
END = dt.date(2026, 3, 3)


@dataclass(frozen=True)
class BenchInput:
    root: Path
    station_start: dt.datetime
    station_end: dt.datetime
    cems_start: dt.datetime
    cems_end: dt.datetime


def station_profile(stations: int, path: Path) -> Path:
    """A profile with ``stations`` stations: the real ones, then generated ones (10 a city)."""
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    have = len(profile["city"]["stations"]) + sum(
        len(c["stations"]) for c in profile["peer_cities"]
    )
    extra = max(0, stations - have)
    for c in range((extra + 9) // 10):
        members = [
            {
                "code": f"9{c:02d}{s}B",
                "name": f"基准站{c}-{s}",
                "longitude": 111.0 + c * 0.01,
                "latitude": 36.0 + s * 0.01,
            }
            for s in range(min(10, extra - c * 10))
        ]
        profile["peer_cities"].append(
            {"name": f"基准市{c:02d}", "province": "山西省", "stations": members}
        )
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return path


def cems_packets(outlets: int, days: int, out: Path, seed: int) -> int:
    """Write hourly CN=2061 packet logs of ``outlets`` outlets; return the packets written."""
    rng = random.Random(seed)
    folder = out / "hj212" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime.combine(END - dt.timedelta(days=days), dt.time(), LOCAL_TZ)
    mns = [f"1400{o // 100:04d}31{o:014d}" for o in range(outlets)]
    written = 0
    for h in range(days * 24):
        hour = start + dt.timedelta(hours=h)
        lines = []
        for i, mn in enumerate(mns):
            items = []
            for code, base in (("a34013", 5.0), ("a21026", 20.0), ("a21002", 40.0)):
                c = base * rng.uniform(0.6, 1.4)
                items.append(
                    f"{code}-Avg={c:.2f},{code}-Min={c * 0.8:.2f},{code}-Max={c * 1.2:.2f},"
                    f"{code}-ZsAvg={c * 1.1:.2f},{code}-Cou={c * 0.3:.3f},{code}-Flag=N"
                )
            for code, val in (
                ("a19001", rng.uniform(8, 11)),
                ("a00000", rng.uniform(20, 400)),
                ("a01012", rng.uniform(45, 90)),
                ("a01011", rng.uniform(8, 16)),
                ("a01013", rng.uniform(0.1, 0.3)),
                ("a01014", rng.uniform(6, 12)),
            ):
                items.append(
                    f"{code}-Avg={val:.2f},{code}-Min={val * 0.9:.2f},{code}-Max={val * 1.1:.2f},{code}-Flag=N"
                )
            qn = f"{hour + dt.timedelta(hours=1):%Y%m%d%H%M%S}{i % 1000:03d}"
            lines.append(
                frame(
                    f"QN={qn};ST=31;CN=2061;PW=123456;MN={mn};Flag=4;"
                    f"CP=&&DataTime={hour:%Y%m%d%H%M%S};{';'.join(items)}&&"
                )
            )
        receipt = hour + dt.timedelta(hours=1)
        (folder / f"{receipt:%Y-%m-%dT%H}.log").write_text("\r\n".join(lines) + "\r\n")
        written += len(lines)
    return written


def generate(
    out: Path,
    stations: int = 200,
    station_days: int = 7,
    outlets: int = 1500,
    cems_days: int = 1,
    seed: int = 7,
) -> BenchInput:
    out.mkdir(parents=True, exist_ok=True)
    profile = station_profile(stations, out / "bench_profile.yaml")
    first = END - dt.timedelta(days=station_days)
    sample.generate(profile, out, first, END, seed)
    cems_packets(outlets, cems_days, out, seed)
    to_dt = lambda d: dt.datetime.combine(d, dt.time(), LOCAL_TZ)  # noqa: E731
    return BenchInput(
        out,
        to_dt(first),
        to_dt(END),
        to_dt(END - dt.timedelta(days=cems_days)) + dt.timedelta(hours=1),
        to_dt(END) + dt.timedelta(hours=1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--station-days", type=int, default=7)
    parser.add_argument("--outlets", type=int, default=1500)
    parser.add_argument("--cems-days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    made = generate(
        args.out, args.stations, args.station_days, args.outlets, args.cems_days, args.seed
    )
    print(made)


if __name__ == "__main__":
    main()
