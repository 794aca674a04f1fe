"""Airflow DAG ``lantian_forms_ingest``: it imports cleanly, and a real ``airflow dags test`` run
loads the generated bureau workbooks into a fresh database (as ``lantian.py run`` would)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from samples.forms import generate_forms
from tests.conftest import REPO, airflow_env, dagbag_json

BIN = Path(sys.executable).parent
PROFILE = REPO / "config" / "city_profile.yaml"


def test_forms_dag_imports_with_an_hourly_shanghai_timetable(tmp_path: Path) -> None:
    result = dagbag_json(
        tmp_path,
        "{'errors': {k: str(v) for k, v in b.import_errors.items()},"
        " 'timetable': type(t).__name__, 'cron': t._expression, 'tz': str(t._timezone),"
        " 'tasks': [x.task_id for x in d.tasks], 'outlets': [o.uri for o in task.outlets],"
        " 'params': sorted(d.params.keys())}",
        setup="d = b.dags['lantian_forms_ingest']; t = d.timetable; task = d.get_task('announce')",
    )
    assert result == {
        "errors": {},
        "timetable": "CronDataIntervalTimetable",
        "cron": "0 * * * *",  # hourly: a workbook sent in the morning lands within the hour
        "tz": "Asia/Shanghai",
        # the Asset is announced only when a workbook was loaded; a bad one fails the run after
        "tasks": ["load_bureau_workbooks", "anything_loaded", "announce", "bad_files"],
        "outlets": ["lantian://warehouse/raw/form_record"],
        "params": ["load_all"],
    }


@pytest.mark.slow
def test_manual_run_loads_every_workbook_of_the_inbox(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("forms_dag")
    inbox = tmp_path / "inbox"
    sample = generate_forms(PROFILE, inbox, 20260301, dt.date(2026, 3, 15))
    env = airflow_env(tmp_path / "state", WAREHOUSE_URL=url, LANTIAN_INBOX=str(inbox))
    migrated = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    logical = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    command = [str(BIN / "airflow"), "dags", "test", "lantian_forms_ingest", logical]
    proc = subprocess.run(
        [*command, "-c", json.dumps({"load_all": True})],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    engine = warehouse.engine(url)
    with engine.connect() as conn:
        batches = conn.execute(
            sa.text(
                "select count(*), sum(records_in), sum(records_loaded), count(distinct loaded_by)"
                " from audit.load_batch where source like 'form:%' and status = 'loaded'"
            )
        ).one()
        failed = conn.execute(
            sa.text("select count(*) from audit.load_batch where status <> 'loaded'")
        ).scalar_one()
    engine.dispose()
    assert failed == 0
    assert batches[0] == len(sample.workbooks)
    assert batches[1] == sum(w.rows_in for w in sample.workbooks)
    assert batches[2] == sum(w.loaded for w in sample.workbooks)
    assert (tmp_path / "state" / "reports" / "forms" / "key_task").is_dir()
