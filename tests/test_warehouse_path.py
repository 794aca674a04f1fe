"""The real published hours through the warehouse path: raw -> dbt -> marts.station_hour_aqi.

Every file of ``../shared/real`` is loaded (the test is generic over the folder). Every
station-hour with all six pollutants must reproduce the published AQI and primary pollutant
exactly (RULES.md 1). For rows with a missing pollutant, HJ 633-2026 s5.3.1 is the official figure
and the platform's own reading sits beside it (``platform_aqi``): the agreement of both with the
publication is measured per file and per class of row and reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from ingest.core.ledger import LoadFailed
from ingest.station import load
from ingest.station import parse as ns
from pipelines.dbt import run_dbt
from samples.aqi import hourly_aqi
from tests.conftest import REAL

REAL_FILES = tuple(sorted(p.name for p in REAL.glob("*.csv")))
WHOLE_RANGE = (
    dt.datetime(2020, 1, 1, tzinfo=ns.LOCAL_TZ),
    dt.datetime(2031, 1, 1, tzinfo=ns.LOCAL_TZ),
)
MARKERS = ("", "NA", "/")
POLLUTANTS = ("pm10", "pm2_5", "o3", "no2", "so2", "co")


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
    assert [b.status for b in result.batches] == ["loaded"] * len(REAL_FILES)
    engine.dispose()
    build(url, tmp)
    return url


def published_rows(name: str) -> list[dict[str, str]]:
    with open(REAL / name, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> Decimal | None:
    text = text.strip()
    return None if text in MARKERS else Decimal(text)


def one_hour_columns(rows: list[dict[str, str]]) -> dict[str, str]:
    """The README's reading of a file ("Reading the national publication"): the column of each
    pollutant's 1h value; for O3, o3_24h when o3 runs above it somewhere (o3 is then the running
    daily maximum), else o3."""
    running_max = any(
        (a := _number(r["o3"])) is not None and (b := _number(r["o3_24h"])) is not None and a > b
        for r in rows
    )
    return {p: ("o3_24h" if running_max else "o3") if p == "o3" else p for p in POLLUTANTS}


def is_complete(row: dict[str, str], columns: dict[str, str]) -> bool:
    return all(row[c].strip() not in MARKERS for c in columns.values())


def codes(label: str) -> str:
    """The pollutant codes a published primary-pollutant label names, in the platform's order."""
    found = {
        "pm10": "PM10" in label,
        "pm2_5": "PM2.5" in label,
        "o3": "臭氧" in label,
        "no2": "二氧化氮" in label,
        "so2": "二氧化硫" in label,
        "co": "一氧化碳" in label,
    }
    return ",".join(p for p in POLLUTANTS if found[p])


def mart_rows(url: str) -> dict[tuple[str, dt.datetime], sa.Row]:
    engine = warehouse.engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select station_code, observed_at, aqi, aqi_status, primary_pollutant_codes,"
                " platform_aqi, platform_primary_codes, platform_difference, o3_1h_source"
                " from marts.station_hour_aqi"
            )
        ).all()
    engine.dispose()
    return {(r.station_code, r.observed_at): r for r in rows}


@pytest.mark.parametrize("name", REAL_FILES)
def test_complete_station_hours_reproduce_the_publication(real_db: str, name: str) -> None:
    rows = published_rows(name)
    columns = one_hour_columns(rows)
    complete = [r for r in rows if is_complete(r, columns)]
    marts = mart_rows(real_db)
    observed = ns.parse_timepoint(rows[0]["timepoint"])
    assert sum(1 for key in marts if key[1] == observed) == len(rows)
    mismatches = [
        (r["stationcode"], r["aqi"], r["primarypollutant"], ours.aqi, ours.primary_pollutant_codes)
        for r in complete
        if (ours := marts[(r["stationcode"], observed)]).aqi != int(r["aqi"])
        or (ours.primary_pollutant_codes or "") != codes(r["primarypollutant"])
    ]
    assert len(complete) > 1000
    assert mismatches == []
    # staging says which column gave the 1h O3, and it is the one the README's reading names
    assert {marts[(r["stationcode"], observed)].o3_1h_source for r in complete} == {columns["o3"]}


def row_class(missing: set[str], not_monitored: set[str], available: int | None) -> str:
    """The class of a row with a missing pollutant, as the README's agreement table lists them."""
    if available is None:
        return "no pollutant at all"
    if not missing:
        return "only not monitored (/)"
    if {"pm10", "pm2_5"} <= missing:
        return "PM10 and PM2.5 missing"
    side = "above 100" if available > 100 else "at or below 100"
    return f"only PM10 missing, {side}" if missing == {"pm10"} else f"other missing, {side}"


def test_missing_pollutant_rows_follow_s5_3_1_and_the_platform_reading_is_measured(
    real_db: str, report_line: Callable[[str], None]
) -> None:
    marts = mart_rows(real_db)
    for name in REAL_FILES:
        rows = published_rows(name)
        columns = one_hour_columns(rows)
        total = official = platform = 0
        by_class: dict[str, Counter[str]] = {}
        for row in rows:
            if is_complete(row, columns):
                continue
            observed = ns.parse_timepoint(row["timepoint"])
            assert observed is not None
            day = (observed - dt.timedelta(hours=1)).date()
            conc = {p: _number(row[c]) for p, c in columns.items()}
            not_monitored = {p for p, c in columns.items() if row[c].strip() == "/"}
            missing = {p for p, v in conc.items() if v is None} - not_monitored
            reference = hourly_aqi(day, conc, _number(row["so2_24h"]), frozenset(not_monitored))
            ours = marts[(row["stationcode"], observed)]
            # the warehouse agrees with the independent Python reference of the same clause
            assert ours.aqi == reference.aqi, row["stationcode"]
            published = row["aqi"].strip()
            published_aqi = int(published) if published.isdigit() else None
            total += 1
            official += ours.aqi == published_aqi
            agrees = ours.platform_aqi == published_aqi and (
                published_aqi is None
                or (ours.platform_primary_codes or "") == codes(row["primarypollutant"])
            )
            platform += agrees
            # a difference between the two readings always carries its reason code
            assert (ours.platform_difference is None) == (ours.platform_aqi == ours.aqi)
            cls = row_class(missing, not_monitored, reference.aqi_from_available)
            by_class.setdefault(cls, Counter())["agree" if agrees else "differ"] += 1
        report_line(
            f"{name}: rows with a missing or not-monitored pollutant: {total}; official AQI"
            f" (HJ 633 as written) as published: {official} ({official / total:.1%}); platform"
            f" reading as published: {platform} ({platform / total:.1%})"
        )
        for cls, n in sorted(by_class.items()):
            report_line(f"    {cls}: platform reading agrees {n['agree']} of {n.total()}")
        assert total > 0
        # the platform reading is what a user comparing with the national website needs: it
        # must explain the publication far better than the standard's text does
        assert platform / total >= 0.95, name


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
    with pytest.raises(LoadFailed, match=r"national_station/2026-03-15T09\.csv.*lacks column"):
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
    assert [h.hour for h in result.gaps] == [7, 9]
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


def _hour_with_bad_values(hour: int, bad: dict[str, dict[str, str]]) -> str:
    """The real 2026-03-15 08:00 publication relabelled as ``hour``, with some stations' cells
    replaced (station code -> {column: value})."""
    original = (REAL / "2026-03-15T08.csv").read_text(encoding="utf-8")
    lines = original.splitlines()
    header = lines[0].split(",")
    out = [lines[0]]
    for line in lines[1:]:
        fields = next(csv.reader([line]))
        fields[0] = f"2026-03-15T{hour:02d}00"
        for column, value in bad.get(fields[1], {}).items():
            fields[header.index(column)] = value
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(fields)
        out.append(buffer.getvalue())
    return "\n".join(out) + "\n"


def _transform(run: str, checks: bool = True) -> dict[str, object]:
    """The transform DAG's steps, in its order (dags/lantian_transform.py); without ``checks``
    only the builds and the gate (a warehouse's earlier, good state)."""
    from pipelines import transform

    transform.build(transform.UPSTREAM)
    gate = transform.gate_step(run)
    built = transform.marts_build_step(list(gate["blocked"]))  # type: ignore[call-overload]
    if not checks:
        return {"gate": gate, "built": built}
    transform.marts_step(run)
    reports = transform.reports_step(run)
    return {"gate": gate, "built": built, "report": reports["report"]}


# 1001A (Beijing) and 1004A: impossible values; 1005A: a sentinel and a stray letter
FEW_BAD = {
    "1001A": {"no2": "6000"},
    "1004A": {"co": "200", "pm2_5": "99999"},
    "1005A": {"so2": "-99", "pm10": "12a"},
}


@pytest.mark.slow
def test_a_few_impossible_values_are_left_out_and_every_figure_refreshes(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines import transform

    url = make_database("fewbad")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    inbox = make_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    engine = warehouse.engine(url)
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    _transform("good-1", checks=False)
    (inbox / "national_station" / "2026-03-15T09.csv").write_text(
        _hour_with_bad_values(9, FEW_BAD), encoding="utf-8"
    )
    result = load.load_interval(engine, inbox, *WHOLE_RANGE)
    # the records load: a bad value never stops its record (1601 lines, nothing quarantined)
    assert [(b.loaded, b.quarantined) for b in result.batches if b.status == "loaded"] == [
        (1601, 0)
    ]
    run = _transform("fewbad-2")
    assert run["gate"]["critical_failures"] == [] and run["gate"]["blocked"] == []
    verdict = transform.verdict_step("fewbad-2")
    assert verdict.startswith("PASS with warnings") and "station_hour_staging" in verdict
    with engine.connect() as conn:
        hours = conn.execute(
            sa.text("select count(distinct observed_at) from marts.station_hour_aqi")
        ).scalar_one()
        city_hours = conn.execute(
            sa.text("select count(distinct observed_at) from marts.city_hour_aqi")
        ).scalar_one()
        bad = {
            r.station_code: r
            for r in conn.execute(
                sa.text(
                    "select station_code, aqi, aqi_available, pollutants_invalid, no2_1h,"
                    " co_1h, pm2_5_1h, so2_1h, pm10_1h, iaqi_no2, iaqi_co from marts.station_hour_aqi"
                    " where observed_at = '2026-03-15 09:00+08' and station_code = any(:c)"
                ),
                {"c": list(FEW_BAD)},
            )
        }
        quarantined = conn.execute(
            sa.text(
                "select station_code, column_name, value, reason_code, reason, line_number"
                " from quarantine.station_value_rejected order by station_code, column_name"
            )
        ).all()
        share = conn.execute(
            sa.text(
                "select values_invalid, invalid_share from intermediate.int_station_feed__run_validity"
            )
        ).one()
    engine.dispose()
    assert (hours, city_hours) == (2, 2)  # every other station's hour, and the cities', refreshed
    # the bad values are out of every score; each station-hour is scored from the rest
    assert bad["1001A"].no2_1h is None and bad["1001A"].iaqi_no2 is None
    assert bad["1004A"].co_1h is None and bad["1004A"].pm2_5_1h is None
    assert bad["1005A"].so2_1h is None and bad["1005A"].pm10_1h is None
    assert [bad[c].pollutants_invalid for c in FEW_BAD] == [1, 2, 2]
    # HJ 633-2026 s5.3.1: with a pollutant missing, the AQI is published only above 100
    for r in bad.values():
        assert r.aqi == (r.aqi_available if r.aqi_available > 100 else None)
    assert [(q.station_code, q.column_name, q.value, q.reason_code) for q in quarantined] == [
        ("1001A", "no2", "6000", "out_of_range"),
        ("1004A", "co", "200", "out_of_range"),
        ("1004A", "pm2_5", "99999", "out_of_range"),
        ("1005A", "pm10", "12a", "not_a_number"),
        ("1005A", "so2", "-99", "out_of_range"),
    ]
    assert quarantined[0].reason.startswith("out_of_range: 6000 outside 0..5000 ug/m3 (")
    assert share.values_invalid == 5
    report = Path(str(run["report"])).read_text(encoding="utf-8")
    assert "隔离数值 Values invalidated (5)" in report and "99999" in report


@pytest.mark.slow
def test_a_systemic_failure_blocks_the_station_marts_and_says_no_previous_version_exists(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from expectations import runner
    from pipelines import transform

    url = make_database("systemic")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    inbox = tmp_path / "inbox"
    (inbox / "national_station").mkdir(parents=True)
    # every station's NO2 exported in the wrong unit: 1 of 6 values invalid everywhere (~17 %)
    codes_ = [r["stationcode"] for r in published_rows("2026-03-15T08.csv")]
    (inbox / "national_station" / "2026-03-15T09.csv").write_text(
        _hour_with_bad_values(9, {c: {"no2": "99999"} for c in codes_}), encoding="utf-8"
    )
    engine = warehouse.engine(url)
    load.load_interval(engine, inbox, *WHOLE_RANGE)
    run = _transform("systemic-1")
    assert run["gate"]["critical_failures"] == ["station_feed_validity"]
    assert "marts.station_hour_aqi" in run["built"]["never_built"]  # type: ignore[operator]
    with pytest.raises(runner.DataQualityFailed) as failure:
        transform.verdict_step("systemic-1")
    message = str(failure.value)
    assert "station_feed_validity" in message and "invalid_share" in message
    assert "0.1" in message  # the observed share, e.g. [0.1667]
    assert "marts.station_hour_aqi" in message and "marts.city_day_aqi" in message
    with engine.connect() as conn:
        exists = conn.execute(sa.text("select to_regclass('marts.station_hour_aqi')")).scalar()
        skipped = conn.execute(
            sa.text(
                "select suite, skipped_reason from dq.validation_run"
                " where pipeline_run = 'systemic-1' and severity = 'skipped' order by suite"
            )
        ).all()
        errors = conn.execute(
            sa.text(
                "select count(*) from dq.expectation_result r join dq.validation_run v"
                " using (run_id) where v.pipeline_run = 'systemic-1'"
                " and r.observed_value like 'error:%'"
            )
        ).scalar_one()
    engine.dispose()
    assert exists is None
    assert "station_hour_aqi" in {s.suite for s in skipped}
    assert all("no previous version" in s.skipped_reason for s in skipped)
    assert errors == 0  # missing tables are skipped with the reason, never run into errors
