"""HJ 633 real-time (hourly) AQI in exact arithmetic: the Python reference of the dbt models.

The warehouse computes AQI in SQL (``dbt_project/models/intermediate``) from the breakpoint seed
``dbt_project/seeds/aqi_breakpoints.csv``; this module reads the same seed, so the two can only
disagree in arithmetic. The sample generator uses it to fill the "published" columns.

Clauses: HJ 633-2012 s5 table 1 and HJ 633-2026 s4.2 table 3 (breakpoints, formula (1), AQI = max
IAQI); both round IAQI up (2012 s5.1 note, 2026 s4.2.6); 2026 s4.2.2/4.2.3 round concentrations per
GB/T 8170 (half even) first; 2026 s4.3.1 / 2012 s5.2 primary pollutant; 2026 s5.3.1 missing data.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from functools import cache

from ingest.core import paths

SEED_DIR = paths.seeds_dir()
RULE_2026_FROM = dt.date(2026, 3, 1)

# Order in which the national platform lists tied primary pollutants (observed on ../shared/real:
# "颗粒物(PM10),细颗粒物(PM2.5)" and "细颗粒物(PM2.5),臭氧1小时"); the rest follow HJ 633's table order.
POLLUTANTS = ("pm10", "pm2_5", "o3", "no2", "so2", "co")
PRIMARY_LABEL = {
    "pm10": "颗粒物(PM10)",
    "pm2_5": "细颗粒物(PM2.5)",
    "o3": "臭氧1小时",
    "no2": "二氧化氮",
    "so2": "二氧化硫",
    "co": "一氧化碳",
}


def rule_set_for(day: dt.date) -> str:
    """HJ 633-2012 up to 2026-02-28, HJ 633-2026 from 2026-03-01 (by the date of the data)."""
    return "HJ633-2026" if day >= RULE_2026_FROM else "HJ633-2012"


@dataclass(frozen=True)
class Segment:
    iaqi_lo: int
    iaqi_hi: int
    bp_lo: Decimal
    bp_hi: Decimal


@cache
def breakpoints() -> dict[tuple[str, str, str], tuple[Segment, ...]]:
    """(rule_set, pollutant, averaging) -> segments, from the dbt seed."""
    table: dict[tuple[str, str, str], list[Segment]] = {}
    with open(SEED_DIR / "aqi_breakpoints.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["rule_set"], row["pollutant"], row["averaging"])
            table.setdefault(key, []).append(
                Segment(
                    int(row["iaqi_lo"]),
                    int(row["iaqi_hi"]),
                    Decimal(row["bp_lo"]),
                    Decimal(row["bp_hi"]),
                )
            )
    return {k: tuple(sorted(v, key=lambda s: s.bp_lo)) for k, v in table.items()}


def round_half_even(value: Decimal, places: int) -> Decimal:
    """GB/T 8170 rounding (round half to even) to ``places`` decimals, exactly."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


@dataclass(frozen=True)
class Iaqi:
    value: int
    above_top: bool = False  # concentration above the top breakpoint: IAQI 500 as published


def iaqi(rule_set: str, pollutant: str, averaging: str, conc: Decimal) -> Iaqi:
    """IAQI by formula (1), rounded up; above the top breakpoint -> 500, flagged."""
    segments = breakpoints()[(rule_set, pollutant, averaging)]
    for seg in segments:
        if conc <= seg.bp_hi:
            exact = Fraction(seg.iaqi_hi - seg.iaqi_lo) * Fraction(conc - seg.bp_lo) / Fraction(
                seg.bp_hi - seg.bp_lo
            ) + Fraction(seg.iaqi_lo)
            return Iaqi(_ceil(exact))
    return Iaqi(500, above_top=True)


@dataclass(frozen=True)
class HourlyAqi:
    rule_set: str
    iaqi: dict[str, int]
    aqi: int | None  # None = published as NA (2026 s5.3.1)
    aqi_from_available: int | None
    primary: tuple[str, ...]

    @property
    def primary_label(self) -> str:
        return ",".join(PRIMARY_LABEL[p] for p in self.primary)


def hourly_aqi(
    day: dt.date,
    conc_1h: dict[str, Decimal | None],
    so2_24h: Decimal | None = None,
    not_monitored: frozenset[str] = frozenset(),
) -> HourlyAqi:
    """Real-time AQI of one station-hour.

    ``conc_1h``: 1h means of the six pollutants (ug/m3, CO mg/m3); None = missing or invalid.
    ``not_monitored``: pollutants the station does not monitor ("/"), which under 2026 s5.3.2 do
    not hold back publication. PM10/PM2.5 1h are scored on the 24h breakpoints (2026 s4.2.4).
    """
    rule = rule_set_for(day)
    scores: dict[str, int] = {}
    for pol in POLLUTANTS:
        c = conc_1h.get(pol)
        if c is None:
            continue
        if rule == "HJ633-2026":
            c = round_half_even(c, 1 if pol == "co" else 0)
        if pol == "so2" and c > Decimal(800):
            # >800: 2012 -> the 24h IAQI (table 1 note 2); 2026 -> IAQI 200 (table 3 note b)
            if rule == "HJ633-2026":
                scores[pol] = 200
            elif so2_24h is not None:
                scores[pol] = iaqi(rule, "so2", "24h", so2_24h).value
            continue
        averaging = "24h" if pol in ("pm10", "pm2_5") else "1h"
        scores[pol] = iaqi(rule, pol, averaging, c).value
    if not scores:
        return HourlyAqi(rule, scores, None, None, ())
    best = max(scores.values())
    missing = [p for p in POLLUTANTS if p not in scores and p not in not_monitored]
    published: int | None = best
    if missing and rule == "HJ633-2026" and best <= 100:
        published = None  # 2026 s5.3.1: AQI only if > 100, else NA
    primary = tuple(p for p in POLLUTANTS if scores.get(p) == best) if best > 50 else ()
    return HourlyAqi(rule, scores, published, best, primary if published is not None else ())
