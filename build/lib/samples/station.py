"""Deterministic, seeded sample of the national real-time hourly publication (站点实时数据).

Writes one CSV per hour for every national-control station of the city and its peer cities
(``config/city_profile.yaml``), in the exact format of the real files in ``../shared/real/``, with
realistic late-winter Fenwei Plain values and a handful of injected faults, all recorded in the
returned :class:`GenerationSummary` so that tests can find them.

Conventions (mimicking the two real files):

- Files are named by the hour-ENDING local time: the hour 23:00-24:00 of 2026-02-15 is
  ``2026-02-16T00.csv``. Such a 24:00 hour belongs to its *data date* (2026-02-15): the data date
  (the date of the interval's start) chooses the rule set (HJ 633-2012 before 2026-03-01, 2026 from
  then), the timestamp format (``2026-02-16T00:00:00`` before, ``2026-03-15T0800`` from 2026-03-01),
  the missing marker (empty before, ``NA`` from 2026-03-01), and the day of the running daily maxima.
- Columns: ``pm10``, ``pm2_5``, ``no2``, ``so2``, ``co`` are 1h values, their ``*_24h`` columns the
  24h moving means (>= 20 valid hours, GB/T 8170 half-even rounding). Ozone, as on the platform in
  each era (``OZONE_LAYOUTS``): until November 2023 ``o3_24h`` holds the current 1h O3 and ``o3`` the
  running daily max; then ``o3`` the 1h value and ``o3_24h`` empty; in March-April 2026 the 1h value
  in both; from May 2026 ``o3_24h`` empty again; ``o3_8h_24h`` the current 8h moving mean (>= 6 valid hours) and ``o3_8h``
  its running daily max over the windows ending 08:00..24:00 (the current 8h mean for the hours
  ending 01:00..07:00). NB: the real files show ``o3_8h >= o3_8h_24h`` on every row (and
  ``o3_8h > o3_8h_24h`` on 74 rows of 2022-06-15T15), so the running max is in ``o3_8h``.
- CO: 1h with one decimal (``1.0``); ``co_24h`` without a trailing ``.0`` (``1``), as published.
- ``aqi``/``primarypollutant`` come from :func:`samples.aqi.hourly_aqi` on the published 1h values
  (the 1h O3). An AQI that is not published is empty before 2026-03-01 and ``NA`` (in both
  columns) from then. Stations that do not monitor a pollutant write ``/`` from 2026-03-01 and
  empty before.
- Row order: by station code before 2026-03-01 (as in 2022-06-15T15), by city in GB 18030 order
  (pinyin order for these names) then station code from 2026-03-01 (as in 2026-03-15T08).
- Line ends LF, UTF-8 without BOM, except the few "re-saved" files: UTF-8 with BOM and CRLF.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ingest.station.parse import COLUMNS
from samples.aqi import RULE_2026_FROM, hourly_aqi

HEADER = COLUMNS
COL = {name: i for i, name in enumerate(HEADER)}
POLLUTANTS = ("pm10", "pm2_5", "o3", "no2", "so2", "co")
STATION_DIR = "national_station"
COUNTY_DIR = "county_station"
REVISION_DIR = "revisions/national_station"
WARMUP_HOURS = 48  # simulated before start so that the 24h means and the maxima are full

FAULT_KINDS = (
    "missing_file",  # the whole hourly file is absent
    "station_absent",  # a station's row is absent from an hourly file
    "empty_row",  # code, name and position present, every value empty (NA from 2026-03-01)
    "na_value",  # one pollutant's 1h value missing for a single hour
    "duplicate_row",  # an exact copy of a row later in the same file
    "repeated_file",  # the file holds all its rows three times (header once)
    "wrong_columns",  # a line with too few or too many fields
    "bad_number",  # a non-numeric (12a) or negative (-5) value in a numeric column
    "bad_timepoint",  # an unparseable timepoint
    "revision",  # a re-sent hour under revisions/, with changed values (one entry per value)
    "bom",  # a file written with a UTF-8 BOM (and CRLF line ends)
)

# Clean-air level of each city: PM2.5 base (ug/m3), SO2, NO2 and sensitivity to regional episodes.
CITY_LEVELS: dict[str, tuple[float, float, float, float]] = {
    "临汾市": (58, 24, 42, 1.0),
    "运城市": (55, 16, 40, 1.0),
    "晋中市": (50, 20, 38, 0.9),
    "吕梁市": (46, 20, 36, 0.85),
    "西安市": (52, 11, 45, 1.0),
    "咸阳市": (55, 12, 40, 1.0),
    "渭南市": (52, 13, 36, 0.95),
    "宝鸡市": (42, 11, 35, 0.85),
    "铜川市": (40, 13, 30, 0.8),
    "洛阳市": (50, 13, 40, 0.9),
    "三门峡市": (45, 15, 34, 0.85),
}
DEFAULT_LEVELS = (50.0, 15.0, 36.0, 0.9)

# Diurnal shapes by the hour of day at the START of the interval (local time).
# fmt: off
PM_DIURNAL_FACTOR = (1.10, 1.12, 1.12, 1.10, 1.07, 1.05, 1.05, 1.08, 1.12, 1.12, 1.06, 0.98,
                     0.90, 0.84, 0.80, 0.80, 0.83, 0.90, 0.98, 1.05, 1.10, 1.13, 1.14, 1.12)
NO2_DIURNAL = (0.85, 0.80, 0.75, 0.72, 0.72, 0.78, 0.90, 1.10, 1.30, 1.25, 1.05, 0.90,
               0.80, 0.75, 0.75, 0.80, 0.95, 1.15, 1.35, 1.35, 1.25, 1.10, 1.00, 0.92)
SO2_DIURNAL = (0.95, 0.92, 0.90, 0.90, 0.90, 0.92, 0.98, 1.05, 1.12, 1.18, 1.15, 1.08,
               1.02, 0.98, 0.95, 0.95, 0.97, 1.00, 1.04, 1.06, 1.05, 1.02, 1.00, 0.97)
O3_DIURNAL = (0.30, 0.26, 0.23, 0.21, 0.20, 0.20, 0.22, 0.26, 0.35, 0.50, 0.65, 0.80,
              0.92, 1.00, 1.00, 0.95, 0.85, 0.70, 0.55, 0.46, 0.40, 0.36, 0.33, 0.31)
# fmt: on
PM_DIURNAL = tuple(math.log(m) for m in PM_DIURNAL_FACTOR)
DUST_PM10 = (260, 450, 640, 700, 470, 260)  # city PM10 (ug/m3) during the sand-dust event


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    longitude: str
    latitude: str
    city: str
    county: str | None = None


@dataclass(frozen=True)
class Fault:
    """One injected fault (or event), located in the output.

    ``file`` is relative to the output directory (posix); ``line`` is the 1-based physical line
    (the header is line 1), None for whole-file faults.
    """

    kind: str
    file: str
    line: int | None = None
    station: str | None = None
    column: str | None = None
    detail: str = ""


@dataclass
class GenerationSummary:
    out_dir: Path
    start: dt.date
    end: dt.date
    seed: int
    stations: int
    hours: int  # hours in [start, end)
    files: int = 0  # hourly files written to national_station/
    rows: int = 0  # data lines in those files (header excluded, duplicates and bad lines included)
    revision_files: int = 0
    faults: list[Fault] = field(default_factory=list)
    not_monitored: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> pollutants
    events: list[Fault] = field(default_factory=list)  # sand dust: rows with PM10 > 600
    county_stations: int = 0
    county_files: int = 0  # hourly files written to county_station/
    county_rows: int = 0
    county_gaps: list[Fault] = field(default_factory=list)  # missing files, absent stations

    def of_kind(self, kind: str) -> list[Fault]:
        return [f for f in self.faults if f.kind == kind]

    @property
    def fault_counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in FAULT_KINDS}

    def render(self) -> str:
        lines = [
            f"sample {self.start}..{self.end} (end exclusive), seed {self.seed} -> {self.out_dir}",
            f"stations {self.stations}, hours {self.hours}, files {self.files}, rows {self.rows}, "
            f"revision files {self.revision_files}",
            "not monitored: "
            + ", ".join(f"{code} {'/'.join(p)}" for code, p in self.not_monitored.items()),
            "faults: " + ", ".join(f"{k} {n}" for k, n in self.fault_counts.items()),
            f"county stations {self.county_stations}, files {self.county_files}, "
            f"rows {self.county_rows}, gaps {len(self.county_gaps)}",
        ]
        for f in [*self.faults, *self.events]:
            where = f.file + (f":{f.line}" if f.line is not None else "")
            extra = " ".join(x for x in (f.station, f.column, f.detail) if x)
            lines.append(f"  {f.kind:<15} {where} {extra}".rstrip())
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# profile


def load_profile(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def profile_stations(profile: dict[str, Any]) -> list[Station]:
    """Stations of the city, then of each peer city, in profile order."""
    out: list[Station] = []
    for city in [profile["city"], *profile.get("peer_cities", [])]:
        for s in city["stations"]:
            out.append(
                Station(
                    code=str(s["code"]),
                    name=str(s["name"]),
                    longitude=str(s["longitude"]),
                    latitude=str(s["latitude"]),
                    city=str(city["name"]),
                    county=s.get("county"),
                )
            )
    return out


def profile_county_stations(profile: dict[str, Any]) -> list[Station]:
    """The home city's county stations (their own feed, not the national publication)."""
    home = profile["city"]
    return [
        Station(
            code=str(s["code"]),
            name=str(s["name"]),
            longitude=str(s["longitude"]),
            latitude=str(s["latitude"]),
            city=str(home["name"]),
            county=s.get("county"),
        )
        for s in home.get("county_stations", [])
    ]


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# ---------------------------------------------------------------------------------------------
# small exact helpers


def _div_half_even(total: int, n: int) -> int:
    """round(total / n) half to even, in integers (GB/T 8170)."""
    q, r = divmod(total, n)
    twice = 2 * r
    if twice > n or (twice == n and q % 2 == 1):
        return q + 1
    return q


def _moving_mean(values: Sequence[int | None], width: int, min_n: int) -> list[int | None]:
    out: list[int | None] = []
    total = count = 0
    for i, v in enumerate(values):
        if v is not None:
            total += v
            count += 1
        old = values[i - width] if i >= width else None
        if old is not None:
            total -= old
            count -= 1
        out.append(_div_half_even(total, count) if count >= min_n else None)
    return out


def _tenths(v: int) -> str:
    return f"{v // 10}.{v % 10}"


def _tenths_trimmed(v: int) -> str:
    return str(v // 10) if v % 10 == 0 else _tenths(v)


def _csv_line(fields: Sequence[str]) -> str:
    out = []
    for f in fields:
        if "," in f or '"' in f or "\n" in f or "\r" in f:
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out)


# ---------------------------------------------------------------------------------------------
# simulation


def _regional_driver(n: int, rng: random.Random) -> list[float]:
    """Regional stagnation (log units): multi-day episodes, slow build-up, fast clearance."""
    level = [0.0] * n
    t = -rng.randint(0, 48)
    while t < n:
        t += rng.randint(18, 72)  # clean spell
        length = rng.randint(48, 120)
        amp = rng.uniform(0.55, 1.1)
        for k in range(length):
            i = t + k
            if 0 <= i < n:
                x = k / length
                level[i] = amp * (x / 0.8) ** 0.7 if x < 0.8 else amp * (1.0 - x) / 0.2
        t += length
    ar = 0.0
    for i in range(n):
        ar = 0.97 * ar + rng.gauss(0.0, 0.035)
        level[i] += ar
    return level


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _simulate(
    cities: list[tuple[str, list[Station]]],
    n: int,
    rng: random.Random,
    dust_city: str,
    dust_start: int,
) -> dict[str, dict[str, list[int | None]]]:
    """Hourly 1h values per station and pollutant (CO in integer tenths of mg/m3).

    Index i is the hour starting at (start - WARMUP_HOURS) + i hours; start is at local midnight.
    """
    regional = _regional_driver(n, rng)
    series: dict[str, dict[str, list[int | None]]] = {}
    for city, stations in cities:
        base_pm, base_so2, base_no2, sens = CITY_LEVELS.get(city, DEFAULT_LEVELS)
        # station biases: PM2.5, PM10/PM2.5 ratio, NO2, SO2, O3
        biases = [
            tuple(rng.gauss(0, sd) for sd in (0.07, 0.06, 0.12, 0.15, 0.08)) for _ in stations
        ]
        out: dict[str, dict[str, list[int | None]]] = {
            s.code: {p: [None] * n for p in POLLUTANTS} for s in stations
        }
        s_ar = [0.0] * len(stations)
        c_pm = c_ratio = c_no2 = c_so2 = c_o3 = 0.0
        for i in range(n):
            hod = i % 24
            reg = regional[i]
            c_pm = 0.95 * c_pm + rng.gauss(0, 0.05)
            c_ratio = 0.95 * c_ratio + rng.gauss(0, 0.02)
            c_no2 = 0.9 * c_no2 + rng.gauss(0, 0.05)
            c_so2 = 0.9 * c_so2 + rng.gauss(0, 0.06)
            c_o3 = 0.97 * c_o3 + rng.gauss(0, 0.03)
            stag = _clamp(reg, 0.0, 1.4)
            pm_city = base_pm * math.exp(sens * reg + c_pm + PM_DIURNAL[hod])
            ratio_city = 1.75 - 0.28 * stag + c_ratio
            no2_city = base_no2 * NO2_DIURNAL[hod] * math.exp(0.3 * sens * reg + c_no2)
            so2_city = base_so2 * SO2_DIURNAL[hod] * math.exp(0.25 * sens * reg + c_so2)
            o3_city = 105.0 * O3_DIURNAL[hod] * math.exp(-0.45 * stag + c_o3)
            k = i - dust_start
            dust = DUST_PM10[k] if city == dust_city and 0 <= k < len(DUST_PM10) else 0
            for j, st in enumerate(stations):
                b_pm, b_ratio, b_no2, b_so2, b_o3 = biases[j]
                s_ar[j] = 0.8 * s_ar[j] + rng.gauss(0, 0.06)
                pm25 = _clamp(pm_city * math.exp(b_pm + s_ar[j]), 3, 300)
                ratio = _clamp(ratio_city + b_ratio + rng.gauss(0, 0.05), 1.2, 2.3)
                pm10 = pm25 * ratio
                if dust:  # coarse dust: PM10 up to the event level, PM2.5 up a little
                    pm10 = max(pm10, dust * rng.uniform(0.92, 1.08))
                    pm25 = max(pm25, 0.22 * pm10)
                no2 = _clamp(no2_city * math.exp(b_no2 + rng.gauss(0, 0.12)), 4, 150)
                so2 = _clamp(so2_city * math.exp(b_so2 + rng.gauss(0, 0.15)), 3, 90)
                o3 = o3_city * math.exp(b_o3 + rng.gauss(0, 0.08)) - 0.25 * (no2 - 40)
                o3 = _clamp(o3, 2, 180)
                co = _clamp(0.5 + 0.0075 * pm25 + rng.gauss(0, 0.08), 0.2, 4.5)
                row = out[st.code]
                row["pm10"][i] = round(pm10)
                row["pm2_5"][i] = round(pm25)
                row["o3"][i] = round(o3)
                row["no2"][i] = round(no2)
                row["so2"][i] = round(so2)
                row["co"][i] = round(co * 10)
        series.update(out)
    return series


def _derive(s: dict[str, list[int | None]], n: int) -> dict[str, list[int | None]]:
    """The published moving means and running daily maxima of one station's 1h series.

    Index 0 is an hour starting at local midnight, so ``i % 24 == 0`` starts a new data day.
    """
    d = {f"{p}_24h": _moving_mean(s[p], 24, 20) for p in ("pm10", "pm2_5", "no2", "so2", "co")}
    o3_8h = _moving_mean(s["o3"], 8, 6)
    o3_max: list[int | None] = []
    o3_8h_max: list[int | None] = []
    run1: int | None = None
    run8: int | None = None
    for i in range(n):
        if i % 24 == 0:
            run1 = run8 = None
        v = s["o3"][i]
        if v is not None and (run1 is None or v > run1):
            run1 = v
        o3_max.append(run1)
        if i % 24 >= 7:  # the MDA8 windows: those ending 08:00..24:00
            v8 = o3_8h[i]
            if v8 is not None and (run8 is None or v8 > run8):
                run8 = v8
            o3_8h_max.append(run8)
        else:
            o3_8h_max.append(o3_8h[i])
    d["o3_8h"] = o3_8h
    d["o3_max"] = o3_max
    d["o3_8h_max"] = o3_8h_max
    return d


# ---------------------------------------------------------------------------------------------
# fault plan


@dataclass
class _Plan:
    dust_city: str
    dust_start: int
    missing: list[int]
    repeated: int
    revision: int
    bom: list[int]
    not_monitored: dict[str, tuple[str, ...]]
    absent: dict[tuple[int, str], None] = field(default_factory=dict)
    empty: dict[tuple[int, str], None] = field(default_factory=dict)
    na: dict[tuple[int, str], str] = field(default_factory=dict)  # -> pollutant
    duplicate: dict[tuple[int, str], int] = field(default_factory=dict)  # -> lines later
    wrong_columns: dict[tuple[int, str], int] = field(default_factory=dict)  # -> field delta
    bad_number: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)
    bad_timepoint: dict[tuple[int, str], str] = field(default_factory=dict)
    revised: list[tuple[str, float]] = field(default_factory=list)  # code, factor


def _plan(
    rng: random.Random,
    cities: list[tuple[str, list[Station]]],
    first: int,
    n: int,
) -> _Plan:
    hours = list(range(first, n))
    # sand dust in one of the three westernmost peer cities, starting late morning
    peers = cities[1:] or cities
    west = sorted(peers, key=lambda c: sum(float(s.longitude) for s in c[1]) / len(c[1]))[:3]
    dust_city = rng.choice(west)[0]
    days = (n - first) // 24
    dust_start = first + 24 * rng.randrange(days) + rng.randint(9, 13)
    dust_start = min(dust_start, n - len(DUST_PM10))
    dust_hours = set(range(dust_start, dust_start + len(DUST_PM10)))

    pool = [i for i in hours if i not in dust_hours]
    rng.shuffle(pool)
    n_missing = rng.randint(2, 3)
    missing = sorted(pool[:n_missing])
    repeated = pool[n_missing]
    revision = pool[n_missing + 1]
    bom = sorted(pool[n_missing + 2 : n_missing + 5])

    peer_stations = [s for _, sts in peers for s in sts]
    nm_pick = rng.sample(peer_stations, 2)
    not_monitored = {nm_pick[0].code: ("co",), nm_pick[1].code: ("so2",)}

    plan = _Plan(dust_city, dust_start, missing, repeated, revision, bom, not_monitored)
    reserved = {*missing, repeated, revision}
    row_hours = [i for i in hours if i not in reserved]
    all_stations = [s for _, sts in cities for s in sts]
    full = [s for s in all_stations if s.code not in not_monitored]
    used: set[tuple[int, str]] = {
        (i, s.code) for i in dust_hours for c, sts in cities if c == dust_city for s in sts
    }

    def pick(candidates: list[Station]) -> tuple[int, str]:
        while True:
            key = (rng.choice(row_hours), rng.choice(candidates).code)
            if key not in used:
                used.add(key)
                return key

    for st in rng.sample(all_stations, rng.randint(1, 2)):
        begin = rng.choice(row_hours)
        for i in range(begin, min(begin + rng.randint(2, 5), n)):
            if i not in reserved and (i, st.code) not in used:
                used.add((i, st.code))
                plan.absent[(i, st.code)] = None
    for _ in range(rng.randint(3, 5)):
        plan.empty[pick(full)] = None
    for _ in range(rng.randint(4, 6)):
        plan.na[pick(full)] = rng.choice(
            ("pm10", "pm10", "pm10", "pm2_5", "no2", "so2", "co", "o3")
        )
    for _ in range(rng.randint(2, 4)):
        plan.duplicate[pick(all_stations)] = rng.randint(1, 12)
    for delta in (-3, 1):
        plan.wrong_columns[pick(all_stations)] = delta
    for style in ("suffix", "negative"):
        key = pick(full)
        column = rng.choice(("pm2_5", "pm10", "no2", "so2"))
        plan.bad_number[key] = (column, style)
    for style in ("hour25", "day32"):
        plan.bad_timepoint[pick(all_stations)] = style
    plan.revised = [(s.code, rng.choice((0.8, 0.85, 1.15, 1.25))) for s in rng.sample(full, 4)]
    return plan


# ---------------------------------------------------------------------------------------------
# publication


@dataclass
class _Published:
    fields: list[str]
    conc: dict[str, int | None]  # published 1h values (CO in tenths), for revisions


def generate(
    profile_path: Path,
    out_dir: Path,
    start: dt.date | None = None,
    end: dt.date | None = None,
    seed: int | None = None,
) -> GenerationSummary:
    """Write the hourly sample files under ``out_dir`` and return what was written and injected."""
    profile = load_profile(Path(profile_path))
    defaults = profile.get("sample", {})
    start_d = _as_date(start if start is not None else defaults["start"])
    end_d = _as_date(end if end is not None else defaults["end"])
    seed_i = int(seed if seed is not None else defaults["seed"])
    if end_d <= start_d:
        raise ValueError(f"end {end_d} must be after start {start_d}")
    out_dir = Path(out_dir)

    stations = profile_stations(profile)
    cities: list[tuple[str, list[Station]]] = []
    for st in stations:
        if not cities or cities[-1][0] != st.city:
            cities.append((st.city, []))
        cities[-1][1].append(st)

    n_out = (end_d - start_d).days * 24
    n = WARMUP_HOURS + n_out
    t0 = dt.datetime.combine(start_d, dt.time()) - dt.timedelta(hours=WARMUP_HOURS)

    plan = _plan(random.Random(f"lantian-sample-faults:{seed_i}"), cities, WARMUP_HOURS, n)
    series = _simulate(cities, n, random.Random(seed_i), plan.dust_city, plan.dust_start)

    # data gaps that the platform itself had (absent rows, empty rows, single NA values)
    for i, code in [*plan.absent, *plan.empty]:
        for p in POLLUTANTS:
            series[code][p][i] = None
    for (i, code), p in plan.na.items():
        series[code][p][i] = None
    for code, pols in plan.not_monitored.items():
        for p in pols:
            series[code][p] = [None] * n

    derived = {st.code: _derive(series[st.code], n) for st in stations}

    summary = GenerationSummary(
        out_dir=out_dir,
        start=start_d,
        end=end_d,
        seed=seed_i,
        stations=len(stations),
        hours=n_out,
        not_monitored=dict(plan.not_monitored),
    )
    station_dir = out_dir / STATION_DIR
    station_dir.mkdir(parents=True, exist_ok=True)
    gb_order = {c: c.encode("gb18030") for c, _ in cities}
    missing = set(plan.missing)
    bom = set(plan.bom)
    city_of = {st.code: st.city for st in stations}

    for i in range(WARMUP_HOURS, n):
        hour = _Hour.at(t0, i)
        label, day, post, name, timepoint = (
            hour.label,
            hour.day,
            hour.post,
            hour.name,
            hour.timepoint,
        )
        rel = f"{STATION_DIR}/{name}"
        if i in missing:
            summary.faults.append(Fault("missing_file", rel))
            continue
        if post:
            ordered = sorted(stations, key=lambda s: (gb_order[s.city], s.code))
        else:
            ordered = sorted(stations, key=lambda s: s.code)
        published: dict[str, _Published] = {}
        for st in ordered:
            if (i, st.code) in plan.absent:
                summary.faults.append(Fault("station_absent", rel, station=st.code))
                continue
            published[st.code] = _publish(
                st,
                i,
                day,
                post,
                timepoint,
                series[st.code],
                derived[st.code],
                plan.not_monitored.get(st.code, ()),
                empty=(i, st.code) in plan.empty,
            )

        if i == plan.revision:
            _write_revision(out_dir, name, published, plan, day, post, summary)

        rows: list[tuple[str, str]] = []  # (code, text) in file order
        row_faults: list[Fault] = []  # located below, once the duplicates are in
        corrupted: set[str] = set()
        for code, pub in published.items():
            key = (i, code)
            fields = list(pub.fields)
            fault: Fault | None = None
            if key in plan.empty:
                fault = Fault("empty_row", rel, station=code)
            elif key in plan.na:
                p = plan.na[key]
                fault = Fault("na_value", rel, station=code, column=one_hour_column(p, day))
            elif key in plan.bad_number:
                column, style = plan.bad_number[key]
                old = fields[COL[column]]
                fields[COL[column]] = f"{old}a" if style == "suffix" else f"-{old}"
                detail = f"{old} -> {fields[COL[column]]}"
                fault = Fault("bad_number", rel, station=code, column=column, detail=detail)
            elif key in plan.bad_timepoint:
                bad = _bad_timepoint(label, post, plan.bad_timepoint[key])
                fields[0] = bad
                fault = Fault("bad_timepoint", rel, station=code, column="timepoint", detail=bad)
            elif key in plan.wrong_columns:
                delta = plan.wrong_columns[key]
                fields = fields[:delta] if delta < 0 else fields + [""] * delta
                detail = f"{len(fields)} fields instead of {len(HEADER)}"
                fault = Fault("wrong_columns", rel, station=code, detail=detail)
            if fault is not None:
                row_faults.append(fault)
                corrupted.add(code)
            rows.append((code, _csv_line(fields)))
        # exact duplicates, inserted some lines after their original (or at the end)
        duplicated = [code for code in published if (i, code) in plan.duplicate]
        for code in duplicated:
            at = next(j for j, (c, _) in enumerate(rows) if c == code)
            copy = rows[at]
            rows.insert(min(at + plan.duplicate[(i, code)], len(rows)), copy)
        first: dict[str, int] = {}
        second: dict[str, int] = {}
        for line_no, (code, _) in enumerate(rows, start=2):
            (second if code in first else first).setdefault(code, line_no)
        for f in row_faults:
            summary.faults.append(_at_line(f, first[f.station or ""]))
        for code in duplicated:
            detail = f"copy of line {first[code]}"
            summary.faults.append(Fault("duplicate_row", rel, second[code], code, detail=detail))

        data = [text for _, text in rows]
        if i == plan.repeated:
            data = data * 3
            summary.faults.append(Fault("repeated_file", rel, detail=f"{len(rows)} rows x 3"))
        eol = "\r\n" if i in bom else "\n"
        payload = (eol.join([",".join(HEADER), *data]) + eol).encode("utf-8")
        if i in bom:
            payload = b"\xef\xbb\xbf" + payload
            summary.faults.append(Fault("bom", rel, detail="UTF-8 BOM, CRLF line ends"))
        (station_dir / name).write_bytes(payload)
        summary.files += 1
        summary.rows += len(data)

        for code, pub in published.items():
            pm10 = pub.conc.get("pm10")
            if pm10 is not None and pm10 > 600 and code not in corrupted:
                detail = f"{city_of[code]} PM10 {pm10} (sand dust, above the top breakpoint)"
                summary.events.append(Fault("sand_dust", rel, first[code], code, "pm10", detail))
    _write_county_feed(profile, out_dir, seed_i, t0, n, plan, summary)
    return summary


def _write_county_feed(
    profile: dict[str, Any],
    out_dir: Path,
    seed: int,
    t0: dt.datetime,
    n: int,
    plan: _Plan,
    summary: GenerationSummary,
) -> None:
    """The county stations' hourly files (``county_station/``, same layout as the national one).

    They are simulated with the same seed, so the regional pollution episodes match the city's,
    and each county gets its own level (some counties cleaner, some dirtier), so rankings differ.
    Gaps: a few hours without a file and one station out for 30 hours (two days under 20 valid
    hours, so those county-days are invalid for that station), listed in ``county_gaps``.
    """
    stations = profile_county_stations(profile)
    if not stations:
        return
    home = stations[0].city
    series = _simulate([(home, stations)], n, random.Random(seed), plan.dust_city, plan.dust_start)
    rng = random.Random(f"lantian-sample-county:{seed}")
    for st in stations:
        level = math.exp(rng.gauss(0.0, 0.18))
        for p in ("pm10", "pm2_5"):
            series[st.code][p] = [
                None if v is None else max(1, round(v * level)) for v in series[st.code][p]
            ]
    missing = set(rng.sample(range(WARMUP_HOURS, n), 3))
    out_station = stations[rng.randrange(len(stations))].code
    days = (n - WARMUP_HOURS) // 24
    # from noon of a day (not the first or last): the outage spans parts of two days
    out_from = WARMUP_HOURS + 24 * rng.randrange(1, max(days - 2, 2)) + 12
    outage = set(range(out_from, min(out_from + 30, n)))
    derived = {st.code: _derive(series[st.code], n) for st in stations}
    folder = out_dir / COUNTY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    summary.county_stations = len(stations)
    for i in range(WARMUP_HOURS, n):
        hour = _Hour.at(t0, i)
        rel = f"{COUNTY_DIR}/{hour.name}"
        if i in missing:
            summary.county_gaps.append(Fault("missing_file", rel))
            continue
        lines = [",".join(HEADER)]
        for st in stations:
            if st.code == out_station and i in outage:
                summary.county_gaps.append(Fault("station_absent", rel, station=st.code))
                continue
            pub = _publish(
                st, i, hour.day, hour.post, hour.timepoint, series[st.code], derived[st.code], (),
                False,
            )  # fmt: skip
            lines.append(_csv_line(pub.fields))
        (folder / hour.name).write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        summary.county_files += 1
        summary.county_rows += len(lines) - 1


@dataclass(frozen=True)
class _Hour:
    """Simulated hour i as the publication names it: labelled by its END, local time."""

    label: dt.datetime
    day: dt.date  # the natural day the hour belongs to (its start's date)
    post: bool  # HJ 633-2026 format (from 2026-03-01): NA markers, ``T0800`` timepoints
    name: str  # file name YYYY-MM-DDTHH.csv
    timepoint: str

    @classmethod
    def at(cls, t0: dt.datetime, i: int) -> _Hour:
        begin = t0 + dt.timedelta(hours=i)
        label = begin + dt.timedelta(hours=1)
        post = begin.date() >= RULE_2026_FROM
        timepoint = f"{label:%Y-%m-%dT%H}00" if post else f"{label:%Y-%m-%dT%H}:00:00"
        return cls(label, begin.date(), post, f"{label:%Y-%m-%dT%H}.csv", timepoint)


def _at_line(fault: Fault, line: int) -> Fault:
    return Fault(fault.kind, fault.file, line, fault.station, fault.column, fault.detail)


def _bad_timepoint(label: dt.datetime, post: bool, style: str) -> str:
    if style == "hour25":
        return f"{label:%Y-%m-%d}T2500" if post else f"{label:%Y-%m-%d}T25:00:00"
    stamp = f"{label:%Y-%m}-32T{label:%H}"
    return f"{stamp}00" if post else f"{stamp}:00:00"


def _publish(
    st: Station,
    i: int,
    day: dt.date,
    post: bool,
    timepoint: str,
    s: dict[str, list[int | None]],
    d: dict[str, list[int | None]],
    not_monitored: tuple[str, ...],
    empty: bool,
) -> _Published:
    miss = "NA" if post else ""
    head = [timepoint, st.code, st.longitude, st.latitude, st.city, st.name]
    if empty:
        return _Published([*head] + [miss] * (len(HEADER) - 6), {})
    conc = {p: s[p][i] for p in POLLUTANTS}

    def fmt(p: str, v: int | None, co_style: str = "") -> str:
        if p in not_monitored:
            return "/" if post else ""
        if v is None:
            return miss
        if p == "co":
            return _tenths(v) if co_style == "1h" else _tenths_trimmed(v)
        return str(v)

    o3_column, o3_24h_column = _ozone_columns(day, fmt("o3", conc["o3"]), fmt("o3", d["o3_max"][i]))
    values = [
        fmt("pm10", conc["pm10"]),
        fmt("pm10", d["pm10_24h"][i]),
        fmt("pm2_5", conc["pm2_5"]),
        fmt("pm2_5", d["pm2_5_24h"][i]),
        o3_column,
        o3_24h_column,
        fmt("o3", d["o3_8h_max"][i]),
        fmt("o3", d["o3_8h"][i]),
        fmt("no2", conc["no2"]),
        fmt("no2", d["no2_24h"][i]),
        fmt("so2", conc["so2"]),
        fmt("so2", d["so2_24h"][i]),
        fmt("co", conc["co"], "1h"),
        fmt("co", d["co_24h"][i]),
    ]
    primary, aqi = _aqi_columns(day, post, conc, d["so2_24h"][i], not_monitored)
    return _Published([*head, primary, aqi, *values], conc)


# The platform's ozone layouts by the date of the data (README "Reading the national
# publication"): until 2023 the running daily maximum of the 1h O3 in ``o3`` and the 1h value in
# ``o3_24h``; from November 2023 the 1h value in ``o3`` and ``o3_24h`` empty; March-April 2026 the 1h
# value in both; from May 2026 (the live layout) ``o3_24h`` empty again. The sample follows the
# dates; Lantian's reading (staging) decides from what each file carries, never by date.
OZONE_LAYOUTS = (
    (dt.date(2023, 11, 14), "running_max"),
    (dt.date(2026, 3, 1), "o3_only"),
    (dt.date(2026, 5, 1), "both"),
    (dt.date.max, "o3_only"),
)


def ozone_layout(day: dt.date) -> str:
    """The sample's ozone layout for a data date (running_max, o3_only or both)."""
    return next(layout for until, layout in OZONE_LAYOUTS if day < until)


def one_hour_column(pollutant: str, day: dt.date) -> str:
    """The published column that carries a pollutant's 1h value in the sample on a data date."""
    if pollutant == "o3":
        return "o3_24h" if ozone_layout(day) == "running_max" else "o3"
    return pollutant


def _ozone_columns(day: dt.date, o3_1h: str, o3_max: str) -> tuple[str, str]:
    """The published (o3, o3_24h) cells of a row."""
    layout = ozone_layout(day)
    if layout == "running_max":
        return o3_max, o3_1h
    if layout == "both":
        return o3_1h, o3_1h
    return o3_1h, ""


def _aqi_columns(
    day: dt.date,
    post: bool,
    conc: dict[str, int | None],
    so2_24h: int | None,
    not_monitored: tuple[str, ...],
) -> tuple[str, str]:
    dec: dict[str, Decimal | None] = {}
    for p in POLLUTANTS:
        v = conc.get(p)
        dec[p] = None if v is None else (Decimal(v).scaleb(-1) if p == "co" else Decimal(v))
    result = hourly_aqi(
        day,
        dec,
        None if so2_24h is None else Decimal(so2_24h),
        frozenset(not_monitored),
    )
    if result.aqi is None:
        return ("NA", "NA") if post else ("", "")
    return result.primary_label, str(result.aqi)


def _write_revision(
    out_dir: Path,
    name: str,
    published: dict[str, _Published],
    plan: _Plan,
    day: dt.date,
    post: bool,
    summary: GenerationSummary,
) -> None:
    """The audited re-send of one hour: same rows, some PM values changed, AQI recomputed."""
    rel = f"{REVISION_DIR}/{name}"
    revised = dict(plan.revised)
    lines = [",".join(HEADER)]
    for code, pub in published.items():
        fields = list(pub.fields)
        if code in revised and pub.conc:
            conc = dict(pub.conc)
            for p in ("pm2_5", "pm10"):
                old = conc[p]
                if old is None:
                    continue
                new = max(1, round(old * revised[code]))
                if new == old:
                    new = old + 2
                conc[p] = new
                fields[COL[p]] = str(new)
                summary.faults.append(
                    Fault("revision", rel, len(lines) + 1, code, p, f"{old} -> {new}")
                )
            nm = plan.not_monitored.get(code, ())
            so2_24h = fields[COL["so2_24h"]]
            primary, aqi = _aqi_columns(
                day, post, conc, int(so2_24h) if so2_24h.isdigit() else None, nm
            )
            fields[COL["primarypollutant"]] = primary
            fields[COL["aqi"]] = aqi
        lines.append(_csv_line(fields))
    path = out_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    summary.revision_files += 1


# ---------------------------------------------------------------------------------------------
# CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samples.station",
        description="Write a deterministic sample of the national hourly station publication.",
    )
    parser.add_argument("--profile", type=Path, default=Path("config/city_profile.yaml"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None, help="exclusive")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    summary = generate(args.profile, args.out, args.start, args.end, args.seed)
    print(summary.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
