"""The real published hours through the warehouse path: raw -> dbt -> marts.station_hour_aqi.

Every station-hour with all six pollutants must reproduce the published AQI and primary
pollutant exactly (RULES.md 1). For rows with a missing pollutant, HJ 633-2026 s5.3.1 is
implemented and its agreement with the publication is measured and reported, not asserted.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest import load, warehouse
from ingest import national_station as ns
from ingest.aqi import hourly_aqi
from ingest.dbt_runner import run_dbt
from tests.conftest import REAL

REAL_FILES = ("2022-06-15T15.csv", "2026-03-15T08.csv")
WHOLE_RANGE = (
    dt.datetime(2022, 1, 1, tzinfo=ns.LOCAL_TZ),
    dt.datetime(2027, 1, 1, tzinfo=ns.LOCAL_TZ),
)
POLLUTANT_COLUMNS = ns.ONE_HOUR_COLUMN


def make_inbox(root: Path, names: tuple[str, ...] = REAL_FILES) -> Path:
    folder = root / "national_station"
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(REAL / name, folder / name)
    return root


def build(url: str, tmp_path: Path) -> None:
    outcome = run_dbt(["build"], url, target_path=tmp_path / "dbt_target")
    assert outcome.success, outcome.failed


@pytest.fixture(scope="module")
def real_db(make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    url = make_database("real")
    tmp = tmp_path_factory.mktemp("real")
    engine = warehouse.engine(url)
    result = load.load_interval(engine, make_inbox(tmp / "inbox"), *WHOLE_RANGE)
    assert [b.status for b in result.batches] == ["loaded", "loaded"]
    engine.dispose()
    build(url, tmp)
    return url


def published_rows(name: str) -> list[dict[str, str]]:
    with open(REAL / name, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def is_complete(row: dict[str, str]) -> bool:
    return all(row[c].strip() not in ("", "NA", "/") for c in POLLUTANT_COLUMNS.values())


@pytest.mark.parametrize("name", REAL_FILES)
def test_complete_station_hours_reproduce_the_publication(real_db: str, name: str) -> None:
    rows = published_rows(name)
    complete = {r["stationcode"]: r for r in rows if is_complete(r)}
    observed = ns.parse_timepoint(rows[0]["timepoint"])
    engine = warehouse.engine(real_db)
    with engine.connect() as conn:
        marts = conn.execute(
            sa.text(
                "select station_code, aqi, primary_pollutant from marts.station_hour_aqi"
                " where observed_at = :t"
            ),
            {"t": observed},
        ).all()
    engine.dispose()
    ours = {code: (aqi, primary or "") for code, aqi, primary in marts}
    assert len(ours) == len(rows)
    mismatches = [
        (code, row["aqi"], row["primarypollutant"], ours[code])
        for code, row in complete.items()
        if ours[code] != (int(row["aqi"]), row["primarypollutant"].strip())
    ]
    assert len(complete) > 1000
    assert mismatches == []


def test_missing_pollutant_rows_follow_s5_3_1_and_agreement_is_reported(
    real_db: str, report_line: Callable[[str], None]
) -> None:
    engine = warehouse.engine(real_db)
    with engine.connect() as conn:
        marts = {
            (code, t): (aqi, status)
            for code, t, aqi, status in conn.execute(
                sa.text(
                    "select station_code, observed_at, aqi, aqi_status from marts.station_hour_aqi"
                )
            )
        }
    engine.dispose()
    for name in REAL_FILES:
        agree = total = na_by_rule = 0
        for row in published_rows(name):
            if is_complete(row):
                continue
            observed = ns.parse_timepoint(row["timepoint"])
            day = (observed - dt.timedelta(hours=1)).date()
            conc = {
                p: (Decimal(row[c]) if row[c].strip() not in ("", "NA", "/") else None)
                for p, c in POLLUTANT_COLUMNS.items()
            }
            not_monitored = frozenset(
                p for p, c in POLLUTANT_COLUMNS.items() if row[c].strip() == "/"
            )
            so2_24h = row["so2_24h"].strip()
            so2_24h_value = Decimal(so2_24h) if so2_24h not in ("", "NA", "/") else None
            reference = hourly_aqi(day, conc, so2_24h_value, not_monitored)
            aqi, status = marts[(row["stationcode"], observed)]
            # the warehouse agrees with the independent Python reference of the same clause
            assert aqi == reference.aqi, row["stationcode"]
            total += 1
            na_by_rule += status == "na_missing_pollutant"
            published = row["aqi"].strip()
            published_aqi = int(published) if published.isdigit() else None
            agree += aqi == published_aqi
        report_line(
            f"{name}: rows with a missing or not-monitored pollutant: {total}; "
            f"AQI as published: {agree} ({agree / total:.1%}); NA under HJ 633-2026 s5.3.1: {na_by_rule}"
        )
        assert total > 0


def test_reload_is_idempotent_and_a_revision_replaces_values_keeping_history(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("revision")
    inbox = make_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    engine = warehouse.engine(url)

    def counts() -> tuple[int, int, int]:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "select (select count(*) from audit.load_batch),"
                    " (select count(*) from raw.station_hour_publication),"
                    " (select count(*) from quarantine.rejected_record)"
                )
            ).one()

    first = load.load_interval(engine, inbox, *WHOLE_RANGE)
    before = counts()
    again = load.load_interval(engine, inbox, *WHOLE_RANGE)
    assert [b.status for b in again.batches] == ["skipped"]
    assert counts() == before == (1, 1601, 0)
    assert first.total("records_in") == 1601

    # a re-sent file for the same hour: station 1001A's PM2.5 corrected from 30 to 200
    original = (REAL / "2026-03-15T08.csv").read_text(encoding="utf-8")
    line = next(x for x in original.splitlines() if ",1001A," in x)
    fields = line.split(",")
    fields[10] = "200"
    revised_dir = inbox / "revisions" / "national_station"
    revised_dir.mkdir(parents=True)
    (revised_dir / "2026-03-15T08.csv").write_text(
        original.replace(line, ",".join(fields)), encoding="utf-8"
    )
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    build(url, tmp_path)
    with engine.connect() as conn:
        mart = conn.execute(
            sa.text(
                "select pm2_5_1h, iaqi_pm2_5, is_revised, published_versions, source_file"
                " from marts.station_hour_aqi where station_code = '1001A'"
            )
        ).one()
        history = (
            conn.execute(
                sa.text(
                    "select pm2_5 from raw.station_hour_publication where station_code = '1001A'"
                    " order by batch_id"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert history == [line.split(",")[10], "200"]
    assert (
        mart.pm2_5_1h == 200 and mart.iaqi_pm2_5 == 250
    )  # 2026: 150..250 -> 200..300, at 200: 250
    assert mart.is_revised and mart.published_versions == 2
    assert mart.source_file == "revisions/national_station/2026-03-15T08.csv"


def test_unreadable_file_fails_its_batch_visibly_and_the_rest_loads(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("badfile")
    inbox = make_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    (inbox / "national_station" / "2026-03-15T09.csv").write_text("garbage,header\n1,2\n")
    engine = warehouse.engine(url)
    with pytest.raises(load.LoadFailed, match=r"national_station/2026-03-15T09\.csv.*lacks column"):
        load.load_interval(engine, inbox, *WHOLE_RANGE)
    with engine.connect() as conn:
        batches = conn.execute(
            sa.text(
                "select source_file, status, records_loaded, message from audit.load_batch order by 1"
            )
        ).all()
    engine.dispose()
    assert [(b.source_file, b.status) for b in batches] == [
        ("national_station/2026-03-15T08.csv", "loaded"),
        ("national_station/2026-03-15T09.csv", "failed"),
    ]
    assert batches[0].records_loaded == 1601
    assert "header line 1 lacks column(s)" in batches[1].message


def test_audited_values_outrank_realtime_and_history_shows_what_was_current(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("audited")
    inbox = make_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    original = (REAL / "2026-03-15T08.csv").read_text(encoding="utf-8")
    line = next(x for x in original.splitlines() if ",1001A," in x)

    def version(folder: str, pm2_5: str) -> None:
        fields = line.split(",")
        fields[10] = pm2_5
        target = inbox / folder / "national_station"
        target.mkdir(parents=True, exist_ok=True)
        (target / "2026-03-15T08.csv").write_text(
            original.replace(line, ",".join(fields)), encoding="utf-8"
        )

    engine = warehouse.engine(url)
    load.load_interval(engine, inbox, *WHOLE_RANGE)  # real-time, as published
    version("audited", "41")  # the audited value, next month
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    version("revisions", "99")  # a late real-time re-send must not undo the audit
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    build(url, tmp_path)
    with engine.connect() as conn:
        mart = conn.execute(
            sa.text(
                "select pm2_5_1h, publication_stage from marts.station_hour_aqi"
                " where station_code = '1001A'"
            )
        ).one()
        history = conn.execute(
            sa.text(
                "select version_number, publication_stage, pm2_5, is_current,"
                " current_from is not null as was_current, current_until is not null as ended"
                " from marts.station_hour_version where station_code = '1001A'"
                " order by version_number"
            )
        ).all()
    engine.dispose()
    assert (mart.pm2_5_1h, mart.publication_stage) == (41, "audited")
    assert [tuple(h) for h in history] == [
        (1, "realtime", line.split(",")[10], False, True, True),
        (2, "audited", "41", True, True, False),
        (3, "realtime", "99", False, False, False),
    ]


def test_hours_without_a_file_are_recorded_as_gaps_and_resolved_by_a_late_file(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("gaps")
    inbox = make_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    engine = warehouse.engine(url)
    start = dt.datetime(2026, 3, 15, 6, tzinfo=ns.LOCAL_TZ)
    end = dt.datetime(2026, 3, 15, 9, tzinfo=ns.LOCAL_TZ)
    result = load.load_interval(engine, inbox, start, end, loaded_by="test")
    assert [h.hour for h in result.missing_hours] == [7, 9]
    late = inbox / "national_station" / "2026-03-15T09.csv"
    late.write_text(
        (REAL / "2026-03-15T08.csv")
        .read_text(encoding="utf-8")
        .replace("2026-03-15T0800", "2026-03-15T0900"),
        encoding="utf-8",
    )
    load.load_interval(engine, inbox, start, end, loaded_by="test")
    with engine.connect() as conn:
        gaps = conn.execute(
            sa.text(
                "select extract(hour from expected_hour_end at time zone 'Asia/Shanghai'),"
                " resolved_by_batch is not null from audit.feed_gap order by 1"
            )
        ).all()
    engine.dispose()
    assert [tuple(g) for g in gaps] == [(7, False), (9, True)]


INCREMENTAL_MARTS = (
    "marts.station_hour_aqi",
    "marts.city_hour_aqi",
    "marts.station_day_aqi",
    "marts.city_day_aqi",
    "marts.station_day_coverage",
    "marts.station_hour_version",
    "marts.city_period_stats",
)


def snapshot(
    engine: sa.Engine, tables: tuple[str, ...] = INCREMENTAL_MARTS
) -> dict[str, list[tuple]]:
    """Every table's rows (without the run watermark, which says when, not what)."""
    out = {}
    with engine.connect() as conn:
        for table in tables:
            schema, name = table.split(".")
            columns = [
                c
                for c in conn.execute(
                    sa.text(
                        "select column_name from information_schema.columns where table_schema = :s"
                        " and table_name = :t and column_name <> 'raw_batch_watermark' order by 1"
                    ),
                    {"s": schema, "t": name},
                ).scalars()
            ]
            cols = ", ".join(f'"{c}"' for c in columns)
            rows = conn.execute(sa.text(f"select {cols} from {table} order by {cols}")).all()
            out[table] = [tuple(r) for r in rows]
    return out


def test_incremental_runs_equal_a_full_rebuild(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("incremental")
    inbox = make_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    engine = warehouse.engine(url)
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    build(url, tmp_path)
    # then: a new hour, and a revision of the first one (station 1001A PM2.5 changed)
    original = (REAL / "2026-03-15T08.csv").read_text(encoding="utf-8")
    (inbox / "national_station" / "2026-03-15T09.csv").write_text(
        original.replace("2026-03-15T0800", "2026-03-15T0900"), encoding="utf-8"
    )
    line = next(x for x in original.splitlines() if ",1001A," in x)
    fields = line.split(",")
    fields[10] = "77"
    revised = inbox / "revisions" / "national_station"
    revised.mkdir(parents=True)
    (revised / "2026-03-15T08.csv").write_text(
        original.replace(line, ",".join(fields)), encoding="utf-8"
    )
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    build(url, tmp_path)  # incremental
    incremental = snapshot(engine)
    outcome = run_dbt(["build", "--full-refresh"], url, target_path=tmp_path / "dbt_target")
    assert outcome.success, outcome.failed
    full = snapshot(engine)
    engine.dispose()
    assert len(incremental["marts.station_hour_aqi"]) == 2 * 1601
    for table in INCREMENTAL_MARTS:
        assert incremental[table] == full[table], table


def test_a_critical_gate_failure_keeps_the_last_good_marts(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import pipeline

    url = make_database("gate")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    inbox = make_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    engine = warehouse.engine(url)
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    pipeline.build(pipeline.UPSTREAM)
    assert pipeline.validate("station_hour_staging", "gate-1")["success"] is not None
    pipeline.build(pipeline.MARTS)

    # the next hour carries an impossible PM2.5 (instrument range 0..3000): the gate must stop it
    original = (REAL / "2026-03-15T08.csv").read_text(encoding="utf-8")
    line = next(x for x in original.splitlines() if ",1001A," in x)
    fields = line.replace("2026-03-15T0800", "2026-03-15T0900").split(",")
    fields[10] = "99999"
    bad = original.replace("2026-03-15T0800", "2026-03-15T0900").replace(
        line.replace("2026-03-15T0800", "2026-03-15T0900"), ",".join(fields)
    )
    (inbox / "national_station" / "2026-03-15T09.csv").write_text(bad, encoding="utf-8")
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    pipeline.build(pipeline.UPSTREAM)
    with pytest.raises(
        pipeline.StepFailed, match="critical data-quality failure in suite station_hour_staging"
    ):
        pipeline.validate("station_hour_staging", "gate-2")
    with engine.connect() as conn:
        hours = conn.execute(
            sa.text("select count(distinct observed_at) from marts.station_hour_aqi")
        ).scalar()
        failed = conn.execute(
            sa.text(
                "select expectation_type, column_name, unexpected_count from dq.expectation_result"
                " where run_id = 'gate-2' and not success"
            )
        ).all()
    engine.dispose()
    assert hours == 1  # the marts still hold the last good state: 08:00 only
    assert [tuple(f) for f in failed] == [("ExpectColumnValuesToBeBetween", "pm2_5_1h", 1)]
