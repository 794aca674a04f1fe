"""HJ 633 vectors worked by hand from the standards' tables (RULES.md section 1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from samples.aqi import hourly_aqi, iaqi, round_half_even, rule_set_for

R12, R26 = "HJ633-2012", "HJ633-2026"


def test_rule_set_switches_on_2026_03_01() -> None:
    assert rule_set_for(dt.date(2026, 2, 28)) == R12
    assert rule_set_for(dt.date(2026, 3, 1)) == R26


@pytest.mark.parametrize(
    ("rule", "pol", "avg", "conc", "expected"),
    [
        (R12, "pm2_5", "24h", "35", 50),  # breakpoint itself: exactly 50, not 51
        (R12, "pm2_5", "24h", "28", 40),  # 50/35*28 = 40 exactly, not 41
        (R12, "pm2_5", "24h", "75", 100),
        (R26, "pm2_5", "24h", "60", 100),  # 2026 lowered the 100 breakpoint to 60
        (R26, "pm2_5", "24h", "75", 114),  # 100 + 50*15/55 = 113.6 -> up
        (R12, "pm10", "24h", "150", 100),
        (R26, "pm10", "24h", "120", 100),
        (R26, "pm10", "24h", "121", 101),  # 100 + 50/130 -> up
        (R12, "pm10", "24h", "600", 500),
        (R12, "no2", "1h", "1", 1),  # 0.5 -> up
        (R12, "co", "1h", "0.1", 1),
        (R12, "o3", "8h", "265", 200),
        (R12, "o3", "1h", "161", 52),  # 50 + 50/40 = 51.25 -> 52
        (R12, "so2", "24h", "2620", 500),
    ],
)
def test_iaqi_vectors(rule: str, pol: str, avg: str, conc: str, expected: int) -> None:
    assert iaqi(rule, pol, avg, D(conc)).value == expected


def test_above_top_breakpoint_is_500_and_flagged() -> None:
    result = iaqi(R26, "pm10", "24h", D("601"))
    assert (result.value, result.above_top) == (500, True)


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [("2.5", 0, "2"), ("3.5", 0, "4"), ("2.51", 0, "3"), ("5.05", 1, "5.0"), ("5.15", 1, "5.2")],
)
def test_gbt8170_half_even(value: str, places: int, expected: str) -> None:
    assert round_half_even(D(value), places) == D(expected)


def full(**overrides: str) -> dict[str, D | None]:
    base = {"pm10": "10", "pm2_5": "10", "o3": "10", "no2": "10", "so2": "10", "co": "0.2"}
    base.update(overrides)
    return {k: (D(v) if v is not None else None) for k, v in base.items()}


def test_so2_above_800_differs_by_version() -> None:
    # 2012 table 1 note: SO2 1h > 800 -> the SO2 24h IAQI (24h 150 -> 100)
    old = hourly_aqi(dt.date(2022, 6, 15), full(so2="900"), so2_24h=D("150"))
    assert old.iaqi["so2"] == 100 and old.aqi == 100 and old.primary_label == "二氧化硫"
    # 2026 table 3 note b: IAQI 200
    new = hourly_aqi(dt.date(2026, 3, 15), full(so2="900"), so2_24h=D("150"))
    assert new.iaqi["so2"] == 200 and new.aqi == 200


def test_primary_pollutant_ties_and_threshold() -> None:
    tie = hourly_aqi(dt.date(2026, 3, 15), full(pm10="250", pm2_5="115"))
    assert tie.aqi == 150 and tie.primary_label == "颗粒物(PM10),细颗粒物(PM2.5)"
    clean = hourly_aqi(dt.date(2026, 3, 15), full(pm2_5="35"))
    assert clean.aqi == 50 and clean.primary == ()  # no primary pollutant when AQI <= 50


def test_missing_pollutant_2026_s5_3_1() -> None:
    low = hourly_aqi(dt.date(2026, 3, 15), full(pm10=None, pm2_5="50"))
    assert (
        low.aqi is None and low.aqi_from_available == 80
    )  # 2026 PM2.5 35..60: 50 + 50*15/25 = 80 <= 100: NA
    high = hourly_aqi(dt.date(2026, 3, 15), full(pm10=None, pm2_5="80"))
    assert high.aqi == 119  # 2026 PM2.5 60..115: 100 + 50*20/55 = 118.2 -> 119, > 100: published
    not_monitored = hourly_aqi(
        dt.date(2026, 3, 15), full(co=None, pm2_5="50"), not_monitored=frozenset({"co"})
    )
    assert not_monitored.aqi == 80  # "/" does not hold back publication (s5.3.2)
