"""Loading bureau workbooks into a real PostgreSQL (ingest.forms.load, pipelines.forms):
per-file reconciliation, cell-level quarantine, supersession with history, broken workbooks that
fail alone, idempotent re-runs, feedback reports, and the scheduled run's arrival cut-off."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from ingest.core.ledger import LoadFailed
from ingest.forms.load import discover, load_inbox, summary
from ingest.forms.schema import FormRegistry, load_registry
from pipelines.forms import load_forms
from samples.forms import Summary, generate_forms

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "config" / "city_profile.yaml"
AS_OF = dt.date(2026, 3, 15)


@dataclass
class Loaded:
    engine: sa.Engine
    sample: Summary
    registry: FormRegistry
    reports: Path
    failure: str


@pytest.fixture(scope="module")
def loaded(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    url = make_database("forms_load")
    folder = tmp_path_factory.mktemp("forms_inbox")
    sample = generate_forms(PROFILE, folder, 20260301, AS_OF, broken=True)
    engine = warehouse.engine(url)
    registry = load_registry(PROFILE)
    reports = folder / "reports"
    with pytest.raises(LoadFailed) as caught:
        load_inbox(engine, folder, registry, reports, loaded_by="test")
    yield Loaded(engine, sample, registry, reports, str(caught.value))
    engine.dispose()


def _batches(engine: sa.Engine) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select source_file, batch_id, status, message, records_in, records_loaded,"
                " records_quarantined, records_duplicate from audit.load_batch"
                " where source like 'form:%' order by batch_id"
            )
        ).all()
    return {r.source_file: r for r in rows}  # the latest batch of each file


def test_broken_workbooks_fail_alone_with_file_sheet_and_problem(loaded: Loaded) -> None:
    assert loaded.failure.startswith("3 workbook(s) failed to load: ")
    batches = _batches(loaded.engine)
    for rel in loaded.sample.broken:
        assert rel in loaded.failure
        assert batches[rel].status == "failed" and batches[rel].message.startswith(rel)
    assert "工作表“工地清单”第2行表头缺少必填列“施工单位”" in loaded.failure
    assert "不是有效的 xlsx 工作簿" in loaded.failure
    assert "看起来是《重点用煤单位煤炭消费月报》" in loaded.failure
    for book in loaded.sample.workbooks:
        assert batches[book.path].status == "loaded", book.path


def test_every_workbook_reconciles_rows_in_loaded_quarantined(loaded: Loaded) -> None:
    batches = _batches(loaded.engine)
    with loaded.engine.connect() as conn:
        landed = dict(
            conn.execute(
                sa.text("select batch_id, count(*) from raw.form_record group by batch_id")
            ).all()
        )
        rejected_rows = dict(
            conn.execute(
                sa.text(
                    "select batch_id, count(distinct (sheet, line_number))"
                    " from quarantine.rejected_record group by batch_id"
                )
            ).all()
        )
    for book in loaded.sample.workbooks:
        b = batches[book.path]
        assert b.records_in == b.records_loaded + b.records_quarantined + b.records_duplicate
        assert (b.records_in, b.records_loaded, b.records_quarantined, b.records_duplicate) == (
            book.rows_in,
            book.loaded,
            book.rejected_rows,
            book.duplicates,
        ), book.path
        assert landed.get(b.batch_id, 0) == book.loaded
        assert rejected_rows.get(b.batch_id, 0) == book.rejected_rows


def test_quarantine_names_file_sheet_row_column_value_and_reason(loaded: Loaded) -> None:
    with loaded.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select source, source_file, sheet, line_number, column_name, value, reason,"
                " raw_record::jsonb ->> 'field', raw_record::jsonb ->> 'cell'"
                " from quarantine.rejected_record where source like 'form:%'"
            )
        ).all()
    got = {(r[1], r[2], r[3], r[7]) for r in rows}
    expected = {
        (book.path, cell.sheet, cell.row, cell.field)
        for book in loaded.sample.workbooks
        for cell in book.bad_cells
    }
    assert got == expected
    for r in rows:
        assert r.source == "form:" + r.source_file.split("/")[-2]
        assert r.column_name and r.reason and r[8].endswith(str(r.line_number))
    reasons = {r[7]: r.reason for r in rows}
    assert "校验位错误" in reasons["credit_code"]
    assert "不在代码表" in reasons["site_type"]


def test_resent_workbook_supersedes_and_history_is_kept(loaded: Loaded) -> None:
    revision = next(w for w in loaded.sample.of_form("emergency_list") if w.revision)
    batches = _batches(loaded.engine)
    old, new = batches[revision.facts["superseded"]].batch_id, batches[revision.path].batch_id
    with loaded.engine.connect() as conn:
        versions = conn.execute(
            sa.text(
                "select batch_id, superseded_by_batch, superseded_at is not null"
                " from raw.form_submission where form_id = 'emergency_list' and scope = :s"
                " order by batch_id"
            ),
            {"s": revision.scope},
        ).all()
        grades = conn.execute(
            sa.text(
                "select batch_id, record ->> 'performance_grade' from raw.form_record"
                " where form_id = 'emergency_list' and record ->> 'credit_code' = :c"
                " order by batch_id, row_number"
            ),
            {"c": revision.facts["changed_credit_code"]},
        ).all()
        coal = dict(
            conn.execute(
                sa.text(
                    "select period, source_file from raw.form_submission"
                    " where form_id = 'coal_consumption' and superseded_by_batch is null"
                )
            ).all()
        )
    assert [tuple(v) for v in versions] == [(old, new, True), (new, None, False)]
    assert (old, revision.facts["old_grade"]) in grades and (
        new,
        revision.facts["new_grade"],
    ) in grades
    coal_revision = next(w for w in loaded.sample.of_form("coal_consumption") if w.revision)
    assert coal[coal_revision.facts["period"]] == coal_revision.path
    assert coal["2026-01"] == "forms/coal_consumption/fgw_2026年煤炭消费月报.xlsx"


def test_rerun_loads_nothing_new(loaded: Loaded) -> None:
    def counts() -> tuple[int, ...]:
        with loaded.engine.connect() as conn:
            return tuple(
                conn.execute(sa.text(f"select count(*) from {t}")).scalar_one()
                for t in ("raw.form_record", "raw.form_submission", "quarantine.rejected_record")
            )

    before = counts()
    with pytest.raises(LoadFailed):
        load_inbox(loaded.engine, loaded.sample.out_dir, loaded.registry, loaded.reports)
    assert counts() == before
    with loaded.engine.connect() as conn:
        loaded_batches = conn.execute(
            sa.text("select count(*) from audit.load_batch where status = 'loaded'")
        ).scalar_one()
    assert loaded_batches == len(loaded.sample.workbooks)


def test_feedback_reports_in_chinese_are_self_contained(loaded: Loaded) -> None:
    with loaded.engine.connect() as conn:
        reports = dict(
            conn.execute(
                sa.text(
                    "select b.source_file, f.feedback_report from audit.form_file f"
                    " join audit.load_batch b using (batch_id)"
                )
            ).all()
        )
    with_rejects = next(w for w in loaded.sample.workbooks if w.bad_cells)
    html = Path(reports[with_rejects.path]).read_text(encoding="utf-8")
    assert "部分入库" in html and "需要修改的单元格" in html
    for cell in with_rejects.bad_cells:
        assert f"<td>{cell.sheet}</td><td>{cell.row}</td>" in html
    failed = Path(reports[next(iter(loaded.sample.broken))]).read_text(encoding="utf-8")
    assert "未入库" in failed and "缺少必填列" in failed
    revision = next(w for w in loaded.sample.of_form("key_task") if w.revision)
    assert "版本替代" in Path(reports[revision.path]).read_text(encoding="utf-8")
    for path in reports.values():
        text = Path(path).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "<script" not in text


def test_unknown_folders_and_legacy_files_fail(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database("forms_odd")
    inbox = tmp_path / "inbox"
    (inbox / "forms" / "weather").mkdir(parents=True)
    (inbox / "forms" / "weather" / "a.xlsx").write_bytes(b"x")
    (inbox / "forms" / "key_task").mkdir(parents=True)
    (inbox / "forms" / "key_task" / "dqb_2026-W11.xls").write_bytes(b"x")
    (inbox / "forms" / "key_task" / "~$dqb_2026-W11.xlsx").write_bytes(b"lock file")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    with pytest.raises(LoadFailed) as caught:
        load_forms(inbox=inbox)
    message = str(caught.value)
    assert message.startswith("2 workbook(s) failed")
    assert "forms/weather/a.xlsx: 文件不在已知表格的目录中" in message
    assert "forms/key_task/dqb_2026-W11.xls: 不支持的文件格式“.xls”" in message


def test_scheduled_run_takes_workbooks_arrived_before_its_interval_end(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database("forms_sched")
    inbox = tmp_path / "inbox"
    sample = generate_forms(PROFILE, inbox, 7, AS_OF)
    interval_end = dt.datetime(2026, 3, 16, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    late = sample.of_form("annual_target")[0].path
    for book in sample.workbooks:
        moment = interval_end + (
            dt.timedelta(hours=2) if book.path == late else -dt.timedelta(hours=3)
        )
        os.utime(inbox / book.path, (moment.timestamp(), moment.timestamp()))
    assert {str(w.path.relative_to(inbox)) for w in discover(inbox, interval_end)} == {
        b.path for b in sample.workbooks if b.path != late
    }
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    first = load_forms(interval_end, loaded_by="scheduled", inbox=inbox)
    assert first["batches_loaded"] == len(sample.workbooks) - 1
    everything = load_forms(None, loaded_by="manual", inbox=inbox)
    assert (everything["batches_loaded"], everything["files_unchanged"]) == (
        1,
        len(sample.workbooks) - 1,
    )
    assert isinstance(summary().summary(), str)
