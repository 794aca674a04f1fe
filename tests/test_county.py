"""County stations: their own feed, the county figures and rankings, never the city figure.

A hand-made day (2026-03-10, HJ 633-2026) with constant hourly values, so every figure can be
worked out by hand: national-control stations N1 (county X, PM2.5 40) and N2 (no county, 60),
county stations C1 (county X, 80) and C2 (county Y, 30); PM10 50, SO2 5, NO2 10, CO 0.3, O3 50
at every station and hour. The county feed misses its file for the hour ending 13:00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from ingest.core import warehouse
from ingest.reference import profile as reference
from ingest.station import parse as ns
from pipelines import station as pipeline
from pipelines.dbt import run_dbt

DAY = dt.date(2026, 3, 10)
PM2_5 = {"N1": 40, "N2": 60, "C1": 80, "C2": 30}
PROFILE = {
    "city": {
        "name": "临汾市",
        "province": "山西省",
        "stations": [
            {"code": "N1", "name": "国控一", "longitude": 111.5, "latitude": 36.0, "county": "X"},
            {"code": "N2", "name": "国控二", "longitude": 111.5, "latitude": 36.1},
        ],
        "county_stations": [
            {"code": "C1", "name": "县控一", "longitude": 111.4, "latitude": 35.6, "county": "X"},
            {"code": "C2", "name": "县控二", "longitude": 111.7, "latitude": 36.5, "county": "Y"},
        ],
    },
}


def _hour_file(folder: Path, hour_end: dt.datetime, codes: tuple[str, ...]) -> None:
    lines = [",".join(ns.COLUMNS)]
    for code in codes:
        pm = str(PM2_5[code])
        # columns: timepoint, code, lon, lat, area, name, primary, aqi, pm10, pm10_24h, pm2_5,
        # pm2_5_24h, o3, o3_24h (the 1h O3), o3_8h, o3_8h_24h, no2, no2_24h, so2, so2_24h, co, co_24h
        lines.append(
            f"{hour_end:%Y-%m-%dT%H}00,{code},111.5,36.0,临汾市,{code},,,50,50,{pm},{pm},"
            "50,50,50,50,10,10,5,5,0.3,0.3"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{hour_end:%Y-%m-%dT%H}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def county_db(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, object], dict[str, object]]:
    url = make_database("county")
    tmp = tmp_path_factory.mktemp("county")
    inbox = tmp / "inbox"
    start = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)
    for h in range(1, 25):
        hour_end = start + dt.timedelta(hours=h)
        _hour_file(inbox / "national_station", hour_end, ("N1", "N2"))
        if h != 13:
            _hour_file(inbox / "county_station", hour_end, ("C1", "C2"))
    profile = tmp / "profile.yaml"
    profile.write_text(yaml.safe_dump(PROFILE, allow_unicode=True), encoding="utf-8")
    engine = warehouse.engine(url)
    reference.load_profile(engine, profile)
    engine.dispose()
    mp = pytest.MonkeyPatch()
    mp.setenv("WAREHOUSE_URL", url)
    try:
        end = start + dt.timedelta(days=1)
        first = pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
        again = pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
    finally:
        mp.undo()
    outcome = run_dbt(
        ["build", "--select", "+county_ranking", "+county_day_aqi", "+city_day_aqi"],
        url,
        target_path=tmp / "dbt_target",
    )
    assert outcome.success, outcome.failed
    return url, first, again


def _rows(url: str, sql: str) -> list[tuple]:
    engine = warehouse.engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    engine.dispose()
    return rows


def test_both_feeds_load_reconcile_and_gaps_are_per_feed(county_db: tuple) -> None:
    url, first, again = county_db
    # 24 national files x 2 rows + 23 county files x 2 rows, nothing rejected
    assert first["feeds"] == ["national_station", "county_station"]
    assert (first["batches_loaded"], first["records_in"], first["records_loaded"]) == (47, 94, 94)
    assert first["files_missing"] == 1
    assert (again["batches_loaded"], again["files_unchanged"]) == (0, 47)  # idempotent
    gaps = _rows(
        url,
        "select source, extract(hour from expected_hour_end at time zone 'Asia/Shanghai')"
        " from audit.feed_gap",
    )
    assert gaps == [("county_station_hourly", 13)]
    networks = _rows(
        url,
        "select station_code, network, count(*) from intermediate.int_station_hour__current"
        " group by 1, 2 order by 1",
    )
    assert networks == [
        ("C1", "county", 23),
        ("C2", "county", 23),
        ("N1", "national", 24),
        ("N2", "national", 24),
    ]


def test_the_city_figure_uses_national_control_stations_only(county_db: tuple) -> None:
    url = county_db[0]
    # (40 + 60) / 2 = 50; 2026 PM2.5 24h segment 35..60 -> 50..100: 50 + 50 x 15/25 = 80
    assert _rows(
        url, "select stations_reporting, pm2_5_24h, aqi, primary_pollutant from marts.city_day_aqi"
    ) == [(2, 50, 80, "细颗粒物(PM2.5)")]


def test_county_figures_use_every_station_assigned_to_the_county(county_db: tuple) -> None:
    url = county_db[0]
    # X: N1 40 and C1 80 (23 valid hours >= 20) -> 60 = IAQI 100; Y: C2 30 -> ceil(30 x 50/35)
    # = 43, PM10 50 = IAQI 50 -> AQI 50 (no primary pollutant at AQI <= 50); N2 has no county
    assert _rows(
        url,
        "select county, stations_reporting, pm2_5_24h, aqi, primary_pollutant, is_good_day"
        " from marts.county_day_aqi order by county",
    ) == [("X", 2, 60, 100, "细颗粒物(PM2.5)", True), ("Y", 1, 30, 50, None, True)]


def test_counties_are_ranked_within_their_city(county_db: tuple) -> None:
    url = county_db[0]
    # composite index (GB 3095-2026 transitional limits: PM2.5 30, PM10 60, SO2 60, NO2 40,
    # CO 24h 4, O3 8h 160): SO2 5/60 = 0.08, NO2 10/40 = 0.25, PM10 50/60 = 0.83, CO 0.3/4 =
    # 0.075 -> 0.08 (half even), O3 MDA8 50/160 = 0.3125 -> 0.31; PM2.5 X 60/30 = 2.00, Y 30/30
    # = 1.00 -> X 3.55, Y 2.55
    assert _rows(
        url,
        "select county, counties_ranked, composite_index, rank_composite_index, pm2_5_mean,"
        " rank_pm2_5, rank_good_day_ratio from marts.county_ranking where basis = 'in_force'"
        " and not events_excluded and period_type = 'month' order by county",
    ) == [("X", 2, Decimal("3.55"), 2, 60, 2, 1), ("Y", 2, Decimal("2.55"), 1, 30, 1, 1)]


COUNTY_TABLES = (
    "intermediate.int_county_day__concentration",
    "intermediate.int_county_day__by_basis",
    "marts.county_period_stats",
    "marts.county_ranking",
)


def test_incremental_county_runs_equal_a_full_rebuild_after_a_revision_and_a_move(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    """A revised county file and a reference list that moves C2 from Y to X: the incremental
    run must end where a full rebuild does (X then has N1 40, C1 80 and C2 30: mean 50)."""
    from tests.test_warehouse_path import snapshot

    url = make_database("county_incremental")
    inbox = tmp_path / "inbox"
    start = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)
    for h in range(1, 25):
        _hour_file(inbox / "national_station", start + dt.timedelta(hours=h), ("N1", "N2"))
        _hour_file(inbox / "county_station", start + dt.timedelta(hours=h), ("C1", "C2"))
    profile = tmp_path / "profile.yaml"
    profile.write_text(yaml.safe_dump(PROFILE, allow_unicode=True), encoding="utf-8")
    engine = warehouse.engine(url)
    reference.load_profile(engine, profile)
    mp = pytest.MonkeyPatch()
    mp.setenv("WAREHOUSE_URL", url)
    select = ["--select", "+county_ranking"]
    try:
        end = start + dt.timedelta(days=1)
        pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
        assert run_dbt(["build", *select], url, target_path=tmp_path / "t").success
        revised = inbox / "revisions" / "county_station" / "2026-03-10T05.csv"
        revised.parent.mkdir(parents=True)
        original = (inbox / "county_station" / "2026-03-10T05.csv").read_text(encoding="utf-8")
        revised.write_text(original.replace(",C1,,,50,50,80,80,", ",C1,,,50,50,104,104,"), "utf-8")
        pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
    finally:
        mp.undo()
    moved = dict(PROFILE, city=dict(PROFILE["city"]))
    moved["city"]["county_stations"] = [
        dict(s, county="X") for s in PROFILE["city"]["county_stations"]
    ]
    profile.write_text(yaml.safe_dump(moved, allow_unicode=True), encoding="utf-8")
    reference.load_profile(engine, profile)
    assert run_dbt(["build", *select], url, target_path=tmp_path / "t").success
    incremental = snapshot(engine, COUNTY_TABLES)
    assert run_dbt(["build", "--full-refresh", *select], url, target_path=tmp_path / "t").success
    full = snapshot(engine, COUNTY_TABLES)
    x = _rows(
        url,
        "select county, stations_reporting, pm2_5_24h_exact"
        " from intermediate.int_county_day__concentration",
    )
    engine.dispose()
    assert original != revised.read_text(encoding="utf-8")
    for table in COUNTY_TABLES:
        assert incremental[table] == full[table], table
    # C1's day: 23 hours of 80 and one of 104 -> 81; X = (40 + 81 + 30) / 3 = 50.33...
    assert [(c, n, round(v, 4)) for c, n, v in x] == [("X", 3, Decimal("50.3333"))]
