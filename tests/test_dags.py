"""Airflow: the DAG files import cleanly, and one real end-to-end run of the main command.

Both run Airflow in a subprocess with its own AIRFLOW_HOME (SQLite metadata DB in a temp
folder), exactly as ``lantian.py run`` does.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from tests.conftest import REPO, airflow_env, dagbag_json

BIN = Path(sys.executable).parent


def test_dag_files_import_without_errors(tmp_path: Path) -> None:
    result = dagbag_json(
        tmp_path,
        "{'errors': {k: str(v) for k, v in b.import_errors.items()},"
        " 'dags': {d: type(b.dags[d].timetable).__name__ for d in b.dags}}",
    )
    assert isinstance(result, dict)
    assert result["errors"] == {}
    expected = {
        "lantian_station_ingest": "CronDataIntervalTimetable",
        "lantian_forms_ingest": "CronDataIntervalTimetable",
        "lantian_hj212_ingest": "CronDataIntervalTimetable",
        "lantian_hj212_gaps": "CronDataIntervalTimetable",
        "lantian_transform": "AssetTriggeredTimetable",
    }
    assert {dag: result["dags"].get(dag) for dag in expected} == expected


@pytest.mark.slow
def test_main_command_end_to_end_and_rerun_is_idempotent(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("e2e")
    inbox = tmp_path / "inbox"
    gen = subprocess.run(
        [sys.executable, "-m", "samples.station", "--profile", "config/city_profile.yaml",
         "--out", str(inbox), "--start", "2026-02-27", "--end", "2026-03-03"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr[-2000:]
    env = airflow_env(tmp_path / "state", WAREHOUSE_URL=url)
    command = [sys.executable, "lantian.py", "run", "--inbox", str(inbox)]

    def run_main() -> str:
        proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
        return proc.stdout

    def state() -> dict[str, object]:
        engine = warehouse.engine(url)
        with engine.connect() as conn:
            out = {
                table: conn.execute(sa.text(f"select count(*) from {table}")).scalar()
                for table in (
                    "audit.load_batch",
                    "raw.station_hour_publication",
                    "quarantine.rejected_record",
                    "marts.station_hour_aqi",
                    "marts.station_day_aqi",
                    "marts.city_day_aqi",
                    "marts.station_day_coverage",
                )
            }
            out["station_batches"] = conn.execute(
                sa.text(
                    "select count(*) from audit.load_batch where source = 'national_station_hourly'"
                )
            ).scalar()
            out["profile_batches"] = conn.execute(
                sa.text("select count(*) from audit.load_batch where source = 'city_profile'")
            ).scalar()
            out["unreconciled"] = conn.execute(
                sa.text(
                    "select count(*) from audit.load_batch where records_in <>"
                    " records_loaded + records_quarantined + records_duplicate"
                )
            ).scalar()
            out["aqi_sum"] = conn.execute(
                sa.text("select sum(aqi) from marts.station_hour_aqi")
            ).scalar()
        engine.dispose()
        return out

    stdout = run_main()
    first = state()
    files = list((inbox / "national_station").rglob("*.csv")) + list(
        (inbox / "revisions" / "national_station").rglob("*.csv")
    )
    assert first["station_batches"] == len(files)
    assert first["profile_batches"] == 1
    assert first["unreconciled"] == 0
    assert first["quarantine.rejected_record"] > 0  # the sample's malformed lines
    for table in ("marts.station_hour_aqi", "marts.station_day_aqi", "marts.city_day_aqi"):
        assert first[table] > 0, table
    assert "data-quality report:" in stdout and "records in" in stdout
    report = Path(stdout.split("data-quality report:")[1].split()[0])
    html = report.read_text(encoding="utf-8")
    assert "数据质量报告" in html and "https://" not in html and "http://" not in html
    # the auditors see every quarantined record and the feed gaps, with the queries behind them
    assert f"Quarantined records ({first['quarantine.rejected_record']})" in html
    assert "Feed gaps (" in html and "select source, expected_hour_end" in html

    run_main()
    assert state() == first


def test_tasks_retry_where_a_retry_can_succeed_and_only_there(tmp_path: Path) -> None:
    """Issue 14, finding 7: the loads and the builds retry with exponential backoff (the
    warehouse restarting, a lock timeout: tests/test_production.py restarts the server and
    watches them recover); what judges recorded results, or a bad file, does not retry."""
    tasks = dagbag_json(
        tmp_path,
        "{d: {t.task_id: [t.retries, bool(t.retry_exponential_backoff)]"
        " for t in b.dags[d].tasks} for d in b.dags if d.startswith('lantian_')}",
    )
    assert isinstance(tasks, dict)
    never = {"bad_files", "verdict", "catch_up", "watcher"}
    retried = {
        "load_station_files", "load_reference_config", "load_hj212_packets",
        "load_bureau_workbooks", "anything_new", "dbt_build_upstream", "gate",
        "dbt_build_marts", "validate_marts", "dq_reports",
    }  # fmt: skip
    seen = {task for dag in tasks.values() for task in dag}
    assert retried <= seen and never <= seen, seen
    for dag, dag_tasks in tasks.items():
        for task, (retries, backoff) in dag_tasks.items():
            if task in never:
                assert retries == 0, (dag, task)
            elif task in retried:
                assert retries == 3 and backoff, (dag, task, retries, backoff)
