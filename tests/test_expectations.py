"""The GX coverage checkpoint on a hand-made ``marts.station_day_coverage`` in the real database.

Every test builds its own table (drop + create), because the session database is shared.
The expected counts below were worked out by hand from ``BASE``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from expectations.checkpoint import CheckpointOutcome, run_checkpoint
from expectations.window import DayWindow
from pipelines.__main__ import main as cli


def main(argv: list[str]) -> int:
    """The validate verb of the project CLI (python3 lantian.py validate ...)."""
    return cli(["validate", *argv])


CST = timezone(timedelta(hours=8))
NASTY_NAME = '东四<环>&"站'

# (station_code, station_name, city, day, expected_hours, present_hours, valid_hours)
BASE = [
    ("1001A", "万寿西宫", "北京", "2024-01-01", 24, 24, 24),
    ("1001A", "万寿西宫", "北京", "2024-01-02", 24, 24, 23),
    ("1001A", "万寿西宫", "北京", "2024-01-03", 24, 24, 24),
    ("1002A", "定陵", "北京", "2024-01-01", 24, 24, 24),
    ("1002A", "定陵", "北京", "2024-01-02", 24, 19, 17),  # 5-hour gap, and only 17 valid
    ("1002A", "定陵", "北京", "2024-01-03", 24, 24, 24),
    ("1003A", NASTY_NAME, "北京", "2024-01-01", 24, 24, 19),  # complete, but only 19 valid
    ("1003A", NASTY_NAME, "北京", "2024-01-02", 24, 24, 24),
    ("1003A", NASTY_NAME, "北京", "2024-01-03", 24, 24, 22),
]
# Suite order (expectations/suites/station_day_coverage.json).
UNIQUE_KEY, CODE_NOT_NULL, DAY_NOT_NULL, PRESENT_RANGE, PRESENT_LE_EXPECTED = 0, 1, 2, 3, 4
NO_MISSING, VALID_GE_20, ROW_COUNT = 5, 6, 7


def make_table(engine: sa.Engine, rows: list[tuple]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("create schema if not exists marts"))
        kind = conn.execute(
            sa.text("select relkind from pg_class where oid = to_regclass(:t)"),
            {"t": "marts.station_day_coverage"},
        ).scalar()
        if kind is not None:
            what = {"v": "view", "m": "materialized view"}.get(kind, "table")
            conn.execute(sa.text(f"drop {what} marts.station_day_coverage cascade"))
        conn.execute(
            sa.text(
                "create table marts.station_day_coverage ("
                " station_code text, station_name text, city text, day date,"
                " expected_hours integer, present_hours integer, valid_hours integer,"
                " missing_hours integer)"
            )
        )
        if rows:
            conn.execute(
                sa.text(
                    "insert into marts.station_day_coverage values"
                    " (:code, :name, :city, cast(:day as date), :exp, :pres, :valid, :exp - :pres)"
                ),
                [
                    dict(
                        zip(("code", "name", "city", "day", "exp", "pres", "valid"), r, strict=True)
                    )
                    for r in rows
                ],
            )


def by_index(outcome: CheckpointOutcome) -> dict:
    return {r.spec.index: r for r in outcome.results}


def failed(outcome: CheckpointOutcome) -> set[int]:
    return {r.spec.index for r in outcome.results if not r.success}


def assert_offline(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    lowered = text.lower()
    for bad in ("http://", "https://", "//cdn", "<script", "<link", "@import", "url("):
        assert bad not in lowered, f"{bad!r} in {path}"
    return text


def dq_rows(engine: sa.Engine, run_id: str) -> tuple[list, list]:
    with engine.connect() as conn:
        runs = conn.execute(
            sa.text("select * from dq.validation_run where run_id = :r"), {"r": run_id}
        ).all()
        results = conn.execute(
            sa.text(
                "select * from dq.expectation_result where run_id = :r order by expectation_index"
            ),
            {"r": run_id},
        ).all()
    return runs, results


def test_gaps_and_low_validity_are_warnings(
    engine: sa.Engine, warehouse_url: str, tmp_path: Path
) -> None:
    make_table(engine, BASE)
    outcome = run_checkpoint(warehouse_url, run_id="t-gaps", report_dir=tmp_path)

    assert (outcome.success, outcome.critical_success) == (False, True)
    assert (outcome.evaluated, outcome.failed_critical, outcome.failed_warning) == (8, 0, 2)
    assert failed(outcome) == {NO_MISSING, VALID_GE_20}
    res = by_index(outcome)
    assert res[NO_MISSING].unexpected_count == 1
    assert res[NO_MISSING].partial_unexpected == [5]
    assert res[VALID_GE_20].unexpected_count == 2
    assert sorted(res[VALID_GE_20].partial_unexpected) == [17, 19]
    assert res[VALID_GE_20].element_count == 9
    assert res[ROW_COUNT].observed_value == "9"
    assert "PASS with warnings" in outcome.summary()

    runs, results = dq_rows(engine, "t-gaps")
    assert len(runs) == 1
    run = runs[0]._mapping
    assert run["success"] is False
    assert (run["evaluated_expectations"], run["successful_expectations"]) == (8, 6)
    assert run["severity"] == "warning"
    assert run["data_asset"] == "marts.station_day_coverage"
    assert run["interval_start"] is None and run["interval_end"] is None
    assert run["report_path"] == str(outcome.report_path)
    assert [r.expectation_index for r in results] == list(range(8))
    assert [r.success for r in results] == [True] * 5 + [False, False, True]
    assert [r.severity for r in results] == ["critical"] * 5 + ["warning"] * 3
    assert results[VALID_GE_20].kwargs == {"column": "valid_hours", "min_value": 20}
    assert results[VALID_GE_20].column_name == "valid_hours"
    assert results[UNIQUE_KEY].column_name == "station_code,day"
    assert results[VALID_GE_20].unexpected_count == 2
    assert float(results[VALID_GE_20].unexpected_percent) == pytest.approx(200 / 9)
    assert results[NO_MISSING].partial_unexpected == [5]
    assert results[ROW_COUNT].observed_value == "9"
    assert results[ROW_COUNT].unexpected_count is None

    assert outcome.report_path == (tmp_path / "t-gaps.html").resolve()
    text = assert_offline(outcome.report_path)
    assert (tmp_path / "latest.html").read_text(encoding="utf-8") == text
    assert "数据质量报告" in text and "Data-quality report" in text
    assert "GB 3095-2012" in text and "万寿西宫" in text
    assert "东四&lt;环&gt;&amp;&quot;站" in text and NASTY_NAME not in text
    assert "67 / 72" in text and "93.1%" in text  # 1002A: 24 + 19 + 24 of 3 x 24 hours


def test_rerun_with_same_run_id_replaces_rows(
    engine: sa.Engine, warehouse_url: str, tmp_path: Path
) -> None:
    make_table(engine, BASE)
    first = run_checkpoint(warehouse_url, run_id="t-rerun", report_dir=tmp_path)
    assert not first.success

    repaired = [
        (c, n, city, d, 24, 24, 24) if c in ("1002A", "1003A") else (c, n, city, d, e, p, v)
        for c, n, city, d, e, p, v in BASE
    ]
    make_table(engine, repaired)
    second = run_checkpoint(warehouse_url, run_id="t-rerun", report_dir=tmp_path)
    assert (second.success, second.critical_success, second.failed_warning) == (True, True, 0)
    assert second.summary().startswith("PASS: run t-rerun")

    runs, results = dq_rows(engine, "t-rerun")
    assert len(runs) == 1 and len(results) == 8
    run = runs[0]._mapping
    assert run["success"] is True and run["successful_expectations"] == 8
    assert run["severity"] == "none"
    assert all(r.success for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.html", "t-rerun.html"]


def test_interval_restricts_to_local_days(
    engine: sa.Engine, warehouse_url: str, tmp_path: Path
) -> None:
    make_table(engine, BASE)

    # 2 January, local midnight to midnight: the gap row (valid 17) is the only problem.
    jan2 = run_checkpoint(
        warehouse_url,
        run_id="t-interval-jan2",
        interval_start=datetime(2024, 1, 2, tzinfo=CST),
        interval_end=datetime(2024, 1, 3, tzinfo=CST),
        report_dir=tmp_path,
    )
    res = by_index(jan2)
    assert res[ROW_COUNT].observed_value == "3"
    assert failed(jan2) == {NO_MISSING, VALID_GE_20}
    assert res[NO_MISSING].unexpected_count == 1
    assert res[VALID_GE_20].unexpected_count == 1
    assert res[VALID_GE_20].partial_unexpected == [17]
    runs, _ = dq_rows(engine, "t-interval-jan2")
    assert runs[0].interval_start == datetime(2024, 1, 1, 16, tzinfo=UTC)
    assert runs[0].interval_end == datetime(2024, 1, 2, 16, tzinfo=UTC)
    text = assert_offline(jan2.report_path)
    assert "[2024-01-02, 2024-01-03)" in text

    # An Airflow-style UTC data interval for local 3 January: all complete and valid.
    run_id = "scheduled__2024-01-02T16:00:00+00:00"
    jan3 = run_checkpoint(
        warehouse_url,
        run_id=run_id,
        interval_start=datetime(2024, 1, 2, 16, tzinfo=UTC),
        interval_end=datetime(2024, 1, 3, 16, tzinfo=UTC),
        report_dir=tmp_path,
    )
    assert jan3.success and by_index(jan3)[ROW_COUNT].observed_value == "3"
    assert jan3.report_path.name == "scheduled__2024-01-02T16_00_00_00_00.html"
    assert len(dq_rows(engine, run_id)[0]) == 1

    # No rows in the interval: the row-count expectation fails as a warning, a coverage
    # finding, not a broken pipeline: a city whose stations have sent nothing yet (its devices
    # connected first) must not fail every transform (issue 14, finding 8).
    empty = run_checkpoint(
        warehouse_url,
        run_id="t-interval-empty",
        interval_start=datetime(2025, 1, 1),
        report_dir=tmp_path,
    )
    assert (empty.critical_success, empty.failed_critical, empty.failed_warning) == (True, 0, 1)
    assert failed(empty) == {ROW_COUNT}
    assert by_index(empty)[ROW_COUNT].observed_value == "0"
    assert "区间内无数据" in assert_offline(empty.report_path)


def test_day_window_takes_days_whose_local_midnight_is_in_the_interval() -> None:
    aligned = DayWindow.from_interval(datetime(2024, 1, 1, 16, tzinfo=UTC), None)
    assert aligned.first_day == date(2024, 1, 2) and aligned.end_day is None
    midday = DayWindow.from_interval(
        datetime(2024, 1, 1, 12, tzinfo=CST), datetime(2024, 1, 2, 12, tzinfo=CST)
    )
    assert (midday.first_day, midday.end_day) == (date(2024, 1, 2), date(2024, 1, 3))
    naive = DayWindow.from_interval(datetime(2024, 1, 1), datetime(2024, 1, 3))
    assert (naive.first_day, naive.end_day) == (date(2024, 1, 1), date(2024, 1, 3))
    assert naive.where_sql("day") == "\"day\" >= date '2024-01-01' and \"day\" < date '2024-01-03'"
    assert DayWindow.from_interval(None, None).where_sql("day") == "true"
    with pytest.raises(ValueError, match="empty interval"):
        DayWindow.from_interval(datetime(2024, 1, 2), datetime(2024, 1, 2))


def test_duplicate_key_is_critical_and_cli_exits_1(
    engine: sa.Engine,
    warehouse_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_table(engine, [*BASE, ("1001A", "万寿西宫", "北京", "2024-01-01", 24, 24, 24)])
    outcome = run_checkpoint(warehouse_url, run_id="t-dup", report_dir=tmp_path)
    assert (outcome.success, outcome.critical_success) == (False, False)
    assert (outcome.failed_critical, outcome.failed_warning) == (1, 2)
    assert failed(outcome) == {UNIQUE_KEY, NO_MISSING, VALID_GE_20}
    dup = by_index(outcome)[UNIQUE_KEY]
    # GX counts every row of a duplicated key, not the surplus rows: 2 of 10.
    assert (dup.unexpected_count, dup.element_count) == (2, 10)
    assert dup.partial_unexpected == [{"station_code": "1001A", "day": "2024-01-01"}] * 2
    assert outcome.summary().startswith("FAIL (critical)")
    runs, results = dq_rows(engine, "t-dup")
    assert runs[0].severity == "critical" and runs[0].successful_expectations == 5
    assert (
        results[UNIQUE_KEY].partial_unexpected
        == [{"station_code": "1001A", "day": "2024-01-01"}] * 2
    )
    assert_offline(outcome.report_path)

    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    report_dir = tmp_path / "cli"
    argv = ["--suite", "station_day_coverage", "--report-dir", str(report_dir)]
    assert main([*argv, "--run-id", "t-cli", "--start", "2024-01-01", "--end", "2024-01-02"]) == 1
    assert "FAIL (critical): run t-cli" in capsys.readouterr().out
    assert (report_dir / "t-cli.html").exists() and (report_dir / "latest.html").exists()

    make_table(engine, BASE)  # duplicate gone: warnings only, exit 0
    assert main([*argv, "--run-id", "t-cli"]) == 0
    assert "PASS with warnings: run t-cli" in capsys.readouterr().out
    assert len(dq_rows(engine, "t-cli")[0]) == 1
    assert main([*argv, "--suite", "no_such_suite"]) == 2


def test_a_missing_table_is_skipped_with_the_reason(
    engine: sa.Engine, warehouse_url: str, tmp_path: Path
) -> None:
    """A mart that was never built (its first build held back by a failed gate) is not run into
    errors: the suite is recorded as skipped, with the reason, and fails nothing."""
    make_table(engine, [])
    with engine.begin() as conn:
        conn.execute(sa.text("drop table marts.station_day_coverage"))
    outcome = run_checkpoint(warehouse_url, run_id="t-missing", report_dir=tmp_path)
    assert outcome.critical_success and not outcome.success
    assert outcome.evaluated == 0 and outcome.results == ()
    assert outcome.skipped_reason is not None
    assert (
        "marts.station_day_coverage does not exist: no previous version" in outcome.skipped_reason
    )
    assert outcome.summary().startswith("SKIPPED")
    with engine.connect() as conn:
        run = conn.execute(
            sa.text(
                "select severity, evaluated_expectations, skipped_reason from dq.validation_run"
                " where run_id = 't-missing'"
            )
        ).one()
    assert (run.severity, run.evaluated_expectations) == ("skipped", 0)
    assert run.skipped_reason == outcome.skipped_reason


def test_cli_stage_runs_every_marts_suite_and_writes_both_reports(
    engine: sa.Engine, warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_table(engine, BASE)
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    argv = ["--stage", "marts", "--pipeline-run", "t-stage", "--report-dir", str(tmp_path)]
    # only station_day_coverage exists here: every other marts suite is skipped (no table yet),
    # with the reason, instead of failing on errors
    assert main(argv) == 0
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                sa.text(
                    "select suite, severity from dq.validation_run where pipeline_run = 't-stage'"
                )
            ).all()
        )
    assert rows["station_day_coverage"] == "warning"  # the two warnings of BASE
    assert rows["cems_outlet_hour"] == "skipped"
    assert set(rows) == {p.stem for p in Path("expectations/suites").glob("*.json")} - {
        "station_hour_staging",
        "station_feed_validity",
        "hj212_reading_staging",
        "hj212_hourly_intermediate",
        "forms_record_staging",
    }
    report = assert_offline(tmp_path / "t-stage.html")
    assert "未校验 SKIPPED" in report and "marts.cems_outlet_hour does not exist" in report
    rolling = assert_offline(tmp_path / "rolling.html")
    # BASE, 2 January: present 24 + 19 + 24 = 67 of 72 hours (93.1 %), valid 23 + 17 + 24 = 64
    # (88.9 %); 1 January: 72 present, 24 + 24 + 19 = 67 valid (93.1 %)
    assert "national_station 2024-01-02: 93.1%" in rolling
    assert "national_station 2024-01-02: 88.9%" in rolling
    assert "national_station 2024-01-01: 100.0%" in rolling
    assert "national_station 2024-01-01: 93.1%" in rolling
    assert "<svg" in rolling
    assert "1002A 2024-01-02: 17 h" in rolling  # the heat map cell of the gap day (valid 17)
