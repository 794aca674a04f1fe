"""Accountability marts (models/marts/accountability): key-task status as of any date and its
history, inspections against the cadence and their rectification, accountability cases per
unit, the county and department scorecards, and the lineage view, built with real dbt on real
PostgreSQL from hand-made form rows (raw.form_record / raw.form_submission as the loader writes
them). Every expected figure is worked out by hand in the comments beside it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from ingest.forms.load import load_inbox
from ingest.forms.schema import load_registry
from pipelines.dbt import run_dbt
from samples.forms import generate_forms

D = dt.date
OWNER = {
    "key_task": "市大气污染防治攻坚指挥部办公室",
    "inspection": "市委市政府督查室",
    "accountability": "市纪委监委",
    "leader_district": "市委办公室",
}
RECORD_KEY = {
    "key_task": ("task_no",),
    "inspection": ("issue_no",),
    "accountability": ("case_no",),
    "leader_district": ("leader_name", "county"),
}


def submit(
    conn: sa.Connection,
    form_id: str,
    period: str,
    rows: list[dict[str, Any]],
    source_file: str,
    loaded_at: str | None = None,
) -> int:
    """Land one workbook as ingest.forms.load does: a batch, its rows from Excel row 4, and a
    version of (form, period, 全市) that supersedes the earlier one."""
    batch = conn.execute(
        sa.text(
            "insert into audit.load_batch (source, source_file, file_sha256, status, records_in,"
            " records_loaded) values (:s, :f, md5(:f), 'loaded', :n, :n) returning batch_id"
        ),
        {"s": f"form:{form_id}", "f": source_file, "n": len(rows)},
    ).scalar_one()
    for i, row in enumerate(rows):
        record = {k: v for k, v in row.items() if not k.startswith("_")}
        raw = {k: str(v) for k, v in record.items() if v is not None}
        raw.update({k[1:]: v for k, v in row.items() if k.startswith("_")})
        conn.execute(
            sa.text(
                "insert into raw.form_record (batch_id, form_id, source_file, sheet, row_number,"
                " period, scope, record_key, record, raw_cells) values (:b, :f, :file, 'Sheet1',"
                " :r, :p, '全市', :k, cast(:rec as jsonb), cast(:raw as jsonb))"
            ),
            {
                "b": batch,
                "f": form_id,
                "file": source_file,
                "r": 4 + i,
                "p": period,
                "k": "|".join(str(record[k]) for k in RECORD_KEY[form_id]),
                "rec": json.dumps(record, ensure_ascii=False),
                "raw": json.dumps(raw, ensure_ascii=False),
            },
        )
    conn.execute(
        sa.text(
            "update raw.form_submission set superseded_by_batch = :b, superseded_at = now()"
            " where form_id = :f and period = :p and scope = '全市' and superseded_by_batch is null"
        ),
        {"b": batch, "f": form_id, "p": period},
    )
    conn.execute(
        sa.text(
            "insert into raw.form_submission (batch_id, form_id, period, scope, source_file, owner,"
            " schema_version, records, rejected, duplicates, loaded_at) values (:b, :f, :p, '全市',"
            " :file, :o, 1, :n, 0, 0, coalesce(cast(:at as timestamptz), now()))"
        ),
        {
            "b": batch,
            "f": form_id,
            "p": period,
            "file": source_file,
            "o": OWNER[form_id],
            "n": len(rows),
            "at": loaded_at,
        },
    )
    return batch


def task(no: str, lead: str, deadline: str | None, pct: int, status: str) -> dict[str, Any]:
    return {
        "task_no": no,
        "category": "扬尘污染治理",
        "content": f"任务{no}",
        "lead_unit": lead,
        "deadline": deadline,
        "_deadline": deadline or "长期坚持",
        "progress_pct": pct,
        "status": status,
    }


def finding(
    no: str,
    day: str,
    kind: str,
    leader: str,
    county: str,
    place: str,
    what: str,
    unit: str,
    deadline: str,
    status: str,
    rectified: str | None = None,
) -> dict[str, Any]:
    return {
        "issue_no": no,
        "inspection_date": day,
        "inspection_type": kind,
        "leader": leader,
        "county": county,
        "location": place,
        "finding": what,
        "responsible_unit": unit,
        "rectification_deadline": deadline,
        "rectification_status": status,
        "rectified_date": rectified,
    }


def case(no: str, day: str, unit: str, kind: str, media: bool, negative: bool) -> dict[str, Any]:
    return {
        "case_no": no,
        "action_date": day,
        "target_unit": unit,
        "target_post": "负责人",
        "action_type": kind,
        "reason": "重点任务进度滞后",
        "media_published": media,
        "negative_list": negative,
    }


HONGDONG, HUOZHOU = "洪洞县", "霍州市"
HD_GOV, HZ_GOV, EEB, CGJ = "洪洞县人民政府", "霍州市人民政府", "市生态环境局", "市城管局"
ALL_COUNTIES = "各县（市、区）政府"


@pytest.fixture(scope="module")
def built(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.Engine, dict[str, int]]]:
    url = make_database("accountability")
    engine = warehouse.engine(url)
    batches: dict[str, int] = {}
    with engine.begin() as conn:
        batches["leaders"] = submit(
            conn,
            "leader_district",
            "2026",
            [
                {"leader_name": "张三", "leader_post": "市长", "county": HONGDONG,
                 "since_date": "2026-01-10"},
                {"leader_name": "李四", "leader_post": "副市长", "county": HUOZHOU,
                 "since_date": "2026-02-01"},
                {"leader_name": "王五", "leader_post": "市委副书记", "county": HUOZHOU,
                 "since_date": None},
            ],
            "forms/leader_district/swb_2026.xlsx",
        )  # fmt: skip
        # T1 city bureau, due 31 Jan; T2 Hongdong's government, due 14 Jan; T3 every county,
        # no date (长期坚持: the straight line runs to 31 December).
        batches["w02"] = submit(
            conn,
            "key_task",
            "2026-W02",
            [
                task("1", EEB, "2026-01-31", 50, "推进中"),
                task("2", HD_GOV, "2026-01-14", 40, "推进中"),
                task("3", ALL_COUNTIES, None, 0, "未启动"),
            ],
            "forms/key_task/dqb_2026-W02.xlsx",
        )
        batches["w03"] = submit(
            conn,
            "key_task",
            "2026-W03",
            [
                task("1", EEB, "2026-01-31", 60, "推进中"),
                task("2", HD_GOV, "2026-01-14", 80, "推进中"),
                task("3", ALL_COUNTIES, None, 1, "滞后"),
            ],
            "forms/key_task/dqb_2026-W03.xlsx",
        )
        # the bureau re-sends week 3: task 1 was in fact finished
        batches["w03_resent"] = submit(
            conn,
            "key_task",
            "2026-W03",
            [
                task("1", EEB, "2026-01-31", 100, "已完成"),
                task("2", HD_GOV, "2026-01-14", 80, "推进中"),
                task("3", ALL_COUNTIES, None, 1, "滞后"),
            ],
            "revisions/forms/key_task/dqb_2026-W03_更正.xlsx",
        )
        batches["jan_findings"] = submit(
            conn,
            "inspection",
            "2026-01",
            [
                finding("DC-1", "2026-01-12", "领导分包督查", "张三", HONGDONG, "A园区",
                        "裸土未苫盖", HD_GOV, "2026-01-19", "已整改", "2026-01-18"),
                finding("DC-2", "2026-01-12", "领导分包督查", "张三", HONGDONG, "B工地",
                        "工地未落实湿法作业", HD_GOV, "2026-01-15", "已整改", "2026-01-20"),
                finding("DC-3", "2026-01-20", "两办督查", "第一督查组", HUOZHOU, "C路",
                        "道路扬尘明显", CGJ, "2026-01-27", "整改中"),
            ],
            "forms/inspection/dcs_2026_第1期.xlsx",
        )  # fmt: skip
        # the February list is sent on 20 February: it speaks for that day
        batches["feb_findings"] = submit(
            conn,
            "inspection",
            "2026-02",
            [
                finding("DC-4", "2026-02-03", "领导分包督查", "李四", HUOZHOU, "C路",
                        "道路扬尘明显", CGJ, "2026-02-25", "整改中"),
                finding("DC-5", "2026-02-05", "领导分包督查", "张三", HONGDONG, "A园区",
                        "裸土未苫盖", HD_GOV, "2026-02-10", "逾期未整改"),
                finding("DC-6", "2026-02-05", "领导分包督查", "张三", HONGDONG, "D村",
                        "散煤复烧", HD_GOV, "2026-02-12", "已整改", "2026-02-11"),
            ],
            "forms/inspection/dcs_2026_第2期.xlsx",
            loaded_at="2026-02-20 10:00+08",
        )  # fmt: skip
        batches["jan_cases"] = submit(
            conn,
            "accountability",
            "2026-01",
            [
                case("YT-1", "2026-01-08", HD_GOV, "约谈", media=True, negative=True),
                case("YT-2", "2026-01-20", HD_GOV, "问责", media=False, negative=False),
                case("YT-3", "2026-01-25", CGJ, "公开曝光", media=True, negative=False),
            ],
            "forms/accountability/wzwz_2026-01.xlsx",
        )
        batches["feb_cases"] = submit(
            conn,
            "accountability",
            "2026-02",
            [case("YT-4", "2026-02-03", HD_GOV, "列入负面清单", media=False, negative=True)],
            "forms/accountability/wzwz_2026-02.xlsx",
        )
    outcome = run_dbt(
        [
            "build",
            "--select",
            "expected_inspection_cadence",
            "+path:models/marts/accountability",
            "+path:models/lineage/accountability",
        ],
        url,
        target_path=tmp_path_factory.mktemp("dbt_target"),
    )
    assert outcome.success, outcome.failed
    yield engine, batches
    engine.dispose()


def fetch(engine: sa.Engine, sql: str, **params: object) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def test_key_task_status_as_of_any_date(built: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, batches = built
    status = {
        (r.task_no, r.as_of_date): r for r in fetch(engine, "select * from marts.key_task_status")
    }
    # spine: Monday of W02 (5 Jan) to Sunday of W03 (18 Jan) = 14 days x 3 tasks
    assert len(status) == 42
    assert {d for _, d in status} == {D(2026, 1, 5) + dt.timedelta(days=i) for i in range(14)}

    t1 = status[("1", D(2026, 1, 10))]
    # W02 ledger: 50 %; expected 100 * (10 Jan - 1 Jan) / (31 Jan - 1 Jan) = 900 / 30 = 30.0
    assert (t1.report_week, t1.progress_pct, t1.expected_progress_pct) == (
        "2026-W02",
        Decimal(50),
        Decimal("30.0"),
    )
    assert (t1.derived_status, t1.progress_gap_pct) == ("on_schedule", Decimal("20.0"))
    # from W03 on, the re-sent ledger (not the first W03 version) says 100 % 已完成
    t1 = status[("1", D(2026, 1, 17))]
    assert (t1.derived_status, t1.batch_id) == ("done", batches["w03_resent"])
    assert t1.source_file == "revisions/forms/key_task/dqb_2026-W03_更正.xlsx"

    # T2: 10 Jan, 40 % against 100 * 9 / 13 = 69.23 -> 69.2; 40 < 69.2 - 10 -> behind
    t2 = status[("2", D(2026, 1, 10))]
    assert (t2.expected_progress_pct, t2.derived_status) == (Decimal("69.2"), "behind")
    # on the deadline itself (14 Jan) 80 % against 100: behind, not yet overdue
    assert status[("2", D(2026, 1, 14))].derived_status == "behind"
    # the day after: overdue by 1 day; on 18 Jan by 4 days
    assert (status[("2", D(2026, 1, 15))].derived_status, status[("2", D(2026, 1, 15))].days_overdue) == ("overdue", 1)  # fmt: skip
    assert status[("2", D(2026, 1, 18))].days_overdue == 4
    assert status[("2", D(2026, 1, 18))].derived_status_label == "逾期未完成"
    assert status[("2", D(2026, 1, 18))].lead_county == HONGDONG

    # T3 (长期坚持): 10 Jan expected 100 * 9 / 364 = 2.47 -> 2.5; 0 % is within 10 points
    t3 = status[("3", D(2026, 1, 10))]
    assert (t3.deadline, t3.deadline_text, t3.expected_progress_pct) == (None, "长期坚持", Decimal("2.5"))  # fmt: skip
    assert (t3.reported_status, t3.derived_status, t3.lead_county) == ("未启动", "on_schedule", "各县（市、区）")  # fmt: skip
    # W03 reports 滞后 itself: behind whatever the line says
    assert status[("3", D(2026, 1, 12))].derived_status == "behind"

    units = {
        r.lead_unit: (r.tasks, r.done, r.on_schedule, r.behind, r.overdue, r.on_track_pct)
        for r in fetch(
            engine, "select * from marts.key_task_unit_status where as_of_date = '2026-01-15'"
        )
    }
    assert units == {
        EEB: (1, 1, 0, 0, 0, Decimal("100.0")),
        HD_GOV: (1, 0, 0, 0, 1, Decimal("0.0")),
        ALL_COUNTIES: (1, 0, 0, 1, 0, Decimal("0.0")),
    }


def test_key_task_history_of_status_changes(built: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, batches = built
    history = fetch(
        engine,
        "select task_no, version_no, report_week, batch_id, reported_status, previous_status,"
        " change_kind, is_current_version, superseded_by_batch, derived_status"
        " from marts.key_task_status_history order by task_no, version_no",
    )
    w02, w03, fix = batches["w02"], batches["w03"], batches["w03_resent"]
    # three versions per task: W02, W03 as first sent (superseded by the correction), W03 re-sent
    assert [(r.task_no, r.version_no, r.batch_id, r.change_kind) for r in history] == [
        ("1", 1, w02, "first_report"),
        ("1", 2, w03, "unchanged"),
        ("1", 3, fix, "corrected"),  # 推进中 -> 已完成 in the re-sent week
        ("2", 1, w02, "first_report"),
        ("2", 2, w03, "unchanged"),
        ("2", 3, fix, "correction_unchanged"),
        ("3", 1, w02, "first_report"),
        ("3", 2, w03, "status_changed"),  # 未启动 -> 滞后
        ("3", 3, fix, "correction_unchanged"),
    ]
    by_key = {(r.task_no, r.version_no): r for r in history}
    assert (by_key[("1", 3)].previous_status, by_key[("1", 3)].reported_status) == ("推进中", "已完成")  # fmt: skip
    assert (by_key[("1", 2)].is_current_version, by_key[("1", 2)].superseded_by_batch) == (False, fix)  # fmt: skip
    assert by_key[("1", 3)].is_current_version
    # judged on the week's Sunday: T2 in W02 (11 Jan): 40 % vs 100 * 10 / 13 = 76.9 -> behind;
    # in W03 (18 Jan) past its 14 Jan deadline -> overdue
    assert (by_key[("2", 1)].derived_status, by_key[("2", 2)].derived_status) == ("behind", "overdue")  # fmt: skip


def test_inspection_findings_rectification_and_repeats(
    built: tuple[sa.Engine, dict[str, int]],
) -> None:
    engine, _ = built
    rows = {r.issue_no: r for r in fetch(engine, "select * from marts.inspection_finding")}
    # January list: loaded now (after the month) -> speaks for 31 Jan; February: sent 20 Feb
    assert rows["DC-1"].status_as_of == D(2026, 1, 31)
    assert rows["DC-4"].status_as_of == D(2026, 2, 20)
    # DC-1 rectified 18 Jan, deadline 19 Jan: on time, 6 days after the 12 Jan inspection
    assert (rows["DC-1"].rectified_on_time, rows["DC-1"].is_overdue, rows["DC-1"].days_to_rectify) == (True, False, 6)  # fmt: skip
    # DC-2 rectified 20 Jan, deadline 15 Jan: late by 5 days, not overdue (it is rectified)
    assert (rows["DC-2"].rectified_on_time, rows["DC-2"].is_overdue, rows["DC-2"].days_late) == (False, False, 5)  # fmt: skip
    # DC-3 still open, deadline 27 Jan < 31 Jan: overdue by 4 days
    assert (rows["DC-3"].is_overdue, rows["DC-3"].days_late) == (True, 4)
    # DC-4 open, deadline 25 Feb after 20 Feb: not overdue; repeat of DC-3 (same county, place, problem)
    assert (rows["DC-4"].is_overdue, rows["DC-4"].is_repeat, rows["DC-4"].first_issue_no) == (False, True, "DC-3")  # fmt: skip
    # DC-5 reported 逾期未整改, deadline 10 Feb: overdue by 20 - 10 = 10 days; repeat of DC-1
    assert (rows["DC-5"].is_overdue, rows["DC-5"].days_late, rows["DC-5"].occurrence_no) == (True, 10, 2)  # fmt: skip
    assert rows["DC-5"].first_issue_no == "DC-1"
    assert not rows["DC-6"].is_repeat and rows["DC-6"].rectified_on_time

    summary = {
        (r.report_month, r.county): (
            r.findings, r.rectified, r.rectified_on_time, r.not_rectified, r.overdue,
            r.repeat_findings, r.rectification_rate_pct, r.overdue_rate_pct,
        )
        for r in fetch(engine, "select * from marts.inspection_rectification")
    }  # fmt: skip
    assert summary == {
        (D(2026, 1, 1), HONGDONG): (2, 2, 1, 0, 0, 0, Decimal("100.0"), Decimal("0.0")),
        (D(2026, 1, 1), HUOZHOU): (1, 0, 0, 1, 1, 0, Decimal("0.0"), Decimal("100.0")),
        # DC-5 overdue, DC-6 rectified on time: 1 of 2 = 50 %; DC-5 is a repeat
        (D(2026, 2, 1), HONGDONG): (2, 1, 1, 1, 1, 1, Decimal("50.0"), Decimal("50.0")),
        (D(2026, 2, 1), HUOZHOU): (1, 0, 0, 1, 0, 1, Decimal("0.0"), Decimal("0.0")),
    }


def test_leader_inspections_against_the_cadence(built: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, batches = built
    cadence = {
        (r.leader_name, r.county, r.month): (
            r.inspections, r.findings, r.expected_inspections, r.shortfall, r.meets_cadence,
            r.ytd_inspections, r.ytd_expected_inspections,
        )
        for r in fetch(engine, "select * from marts.inspection_cadence")
    }  # fmt: skip
    jan, feb = D(2026, 1, 1), D(2026, 2, 1)
    assert cadence == {
        # 张三 since 10 Jan: January one visit (12 Jan, two findings), February one (5 Feb, two)
        ("张三", HONGDONG, jan): (1, 2, 1, 0, True, 1, 1),
        ("张三", HONGDONG, feb): (1, 2, 1, 0, True, 2, 2),
        # 李四 since 1 Feb: the 3 Feb visit
        ("李四", HUOZHOU, feb): (1, 1, 1, 0, True, 1, 1),
        # 王五 (no start date: from January) never inspected: short by one each month
        ("王五", HUOZHOU, jan): (0, 0, 1, 1, False, 0, 1),
        ("王五", HUOZHOU, feb): (0, 0, 1, 1, False, 0, 2),
    }
    # DC-3 (两办督查 in 霍州市) is not a leader's inspection and counts for nobody
    row = fetch(
        engine,
        "select batch_id, source_row from marts.inspection_cadence where leader_name = '王五'"
        " and month = '2026-01-01'",
    )[0]
    assert (row.batch_id, row.source_row) == (batches["leaders"], 6)  # third row from row 4


def test_accountability_cases_per_unit(built: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, _ = built
    units = {
        (r.target_unit, r.action_month): (
            r.target_county, r.cases, r.interviews, r.accountability_actions, r.criticisms,
            r.public_exposures, r.negative_list_entries, r.ytd_cases, r.ytd_negative_list_entries,
        )
        for r in fetch(engine, "select * from marts.accountability_unit_summary")
    }  # fmt: skip
    assert units == {
        # YT-1 interview (published, negative list) + YT-2 accountability
        (HD_GOV, D(2026, 1, 1)): (HONGDONG, 2, 1, 1, 0, 1, 1, 2, 1),
        # YT-4 negative list; year to date 3 cases, 2 negative-list entries
        (HD_GOV, D(2026, 2, 1)): (HONGDONG, 1, 0, 0, 0, 0, 1, 3, 2),
        (CGJ, D(2026, 1, 1)): (None, 1, 0, 0, 0, 1, 0, 1, 0),
    }


def test_county_and_department_scorecards(built: tuple[sa.Engine, dict[str, int]]) -> None:
    engine, _ = built
    cards = {
        (r.as_of_date, r.county): r for r in fetch(engine, "select * from marts.county_scorecard")
    }
    # Sundays of the ledger weeks x the two counties (from the leader assignments)
    assert set(cards) == {(d, c) for d in (D(2026, 1, 11), D(2026, 1, 18)) for c in (HONGDONG, HUOZHOU)}  # fmt: skip
    hd, hz = cards[(D(2026, 1, 11), HONGDONG)], cards[(D(2026, 1, 11), HUOZHOU)]
    # 11 Jan, 洪洞县: T2 behind + T3 on schedule (every county's) -> 1 of 2 = 50.0; no finding
    # yet, no CEMS hour, no county indicator data -> composite = tasks alone
    assert (hd.tasks, hd.tasks_on_schedule, hd.tasks_behind, hd.tasks_score) == (2, 1, 1, Decimal("50.0"))  # fmt: skip
    assert (hd.rectification_score, hd.compliance_score, hd.indicators_score) == (None, None, None)
    assert hd.indicators_null_reason and hd.compliance_null_reason and hd.rectification_null_reason
    assert (hd.composite_score, hd.components_used) == (Decimal("50.0"), "tasks")
    # 霍州市: T3 only, on schedule -> 100.0, ranked first of two
    assert (hz.tasks, hz.composite_score, hz.county_rank, hd.county_rank) == (1, Decimal("100.0"), 1, 2)  # fmt: skip
    assert hz.counties_ranked == 2
    hd = cards[(D(2026, 1, 18), HONGDONG)]
    # 18 Jan, 洪洞县: T2 overdue, T3 behind -> 0.0; findings to date DC-1, DC-2 (12 Jan); due
    # before 18 Jan: DC-2 only (deadline 15 Jan), rectified late (20 Jan) -> 0 of 1 = 0.0, and on
    # 18 Jan still open
    assert (hd.tasks_score, hd.tasks_overdue, hd.findings_to_date, hd.findings_due) == (Decimal("0.0"), 1, 2, 1)  # fmt: skip
    assert (hd.rectification_score, hd.findings_overdue_open) == (Decimal("0.0"), 1)
    assert (hd.composite_score, hd.components_used) == (Decimal("0.0"), "tasks, rectification")
    # 霍州市 on 18 Jan: T3 behind -> 0.0 too: tied, both rank 1
    assert cards[(D(2026, 1, 18), HUOZHOU)].county_rank == hd.county_rank == 1

    departments = {
        (r.as_of_date, r.unit): (r.tasks_score, r.rectification_score, r.composite_score, r.unit_rank)
        for r in fetch(engine, "select * from marts.department_scorecard")
    }  # fmt: skip
    # units that are not county governments: 市生态环境局 (leads T1), 市城管局 (DC-3, DC-4)
    assert departments == {
        (D(2026, 1, 11), EEB): (Decimal("100.0"), None, Decimal("100.0"), 1),
        (D(2026, 1, 18), EEB): (Decimal("100.0"), None, Decimal("100.0"), 1),
        # nothing led, DC-3 is found only on 20 Jan: no component, not ranked
        (D(2026, 1, 11), CGJ): (None, None, None, None),
        (D(2026, 1, 18), CGJ): (None, None, None, None),
    }


def test_lineage_lists_the_source_records_of_any_row(
    built: tuple[sa.Engine, dict[str, int]],
) -> None:
    engine, batches = built
    sources = fetch(
        engine,
        "select s.source_table, s.batch_id, r.form_id, r.record_key"
        " from lineage.county_scorecard_source s"
        " join raw.form_record r on r.batch_id = s.batch_id and r.sheet = s.sheet"
        " and r.row_number = s.source_row"
        " where s.mart = 'county_scorecard' and s.lineage_key = :k",
        k=f"2026-01-18|{HONGDONG}",
    )
    # the county's tasks on 18 Jan (T2, T3 of the re-sent W03) and its findings so far (DC-1, DC-2)
    assert {(r.batch_id, r.form_id, r.record_key) for r in sources} == {
        (batches["w03_resent"], "key_task", "2"),
        (batches["w03_resent"], "key_task", "3"),
        (batches["jan_findings"], "inspection", "DC-1"),
        (batches["jan_findings"], "inspection", "DC-2"),
    }
    # every row of every mart has at least one source record
    for mart in (
        "key_task_status",
        "key_task_status_history",
        "key_task_unit_status",
        "inspection_finding",
        "inspection_rectification",
        "inspection_cadence",
        "accountability_action",
        "accountability_unit_summary",
    ):
        missing = fetch(
            engine,
            f"select count(*) from marts.{mart} m where not exists (select 1 from"
            f" lineage.{mart}_source s where s.mart = :m"
            " and s.lineage_key = m.lineage_key)",
            m=mart,
        )[0][0]
        assert missing == 0, mart
    unit = fetch(
        engine,
        "select count(*) from lineage.accountability_unit_summary_source where mart ="
        " 'accountability_unit_summary' and lineage_key = :k",
        k=f"{HD_GOV}|2026-01-01",
    )[0][0]
    assert unit == 2  # YT-1 and YT-2


def test_the_sample_year_fills_every_mart(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    """Done-when of issue 6: the default sample's forms give non-trivial content everywhere (the
    exact figures are asserted on the hand-made rows above)."""
    url = make_database("accountability_sample")
    profile = Path(__file__).resolve().parent.parent / "config" / "city_profile.yaml"
    sample = generate_forms(profile, tmp_path / "inbox", 20260301, D(2026, 3, 15))
    engine = warehouse.engine(url)
    load_inbox(engine, sample.out_dir, load_registry(profile), tmp_path / "reports")
    outcome = run_dbt(
        [
            "build",
            "--select",
            "expected_inspection_cadence",
            "+path:models/marts/accountability",
            "+path:models/lineage/accountability",
        ],
        url,
        target_path=tmp_path / "dbt_target",
    )
    assert outcome.success, outcome.failed
    (figures,) = fetch(
        engine,
        "select"
        " (select count(distinct task_no) from marts.key_task_status) as tasks,"
        " (select count(*) from marts.key_task_status where as_of_date = '2026-03-15'"
        "  and derived_status = 'overdue') as overdue_tasks,"
        " (select count(*) from marts.key_task_status where as_of_date = '2026-03-15'"
        "  and derived_status = 'behind') as behind_tasks,"
        " (select count(*) from marts.key_task_status_history where change_kind = 'status_changed')"
        "  as status_changes,"
        " (select count(*) from marts.key_task_status_history where change_kind = 'corrected')"
        "  as corrections,"
        " (select count(*) from marts.inspection_finding where is_overdue) as overdue_findings,"
        " (select count(*) from marts.inspection_finding where is_repeat) as repeat_findings,"
        " (select count(*) from marts.inspection_cadence where not meets_cadence) as short_months,"
        " (select count(*) from marts.accountability_unit_summary where negative_list_entries > 0)"
        "  as units_on_negative_list,"
        " (select count(distinct county_rank) from marts.county_scorecard"
        "  where as_of_date = '2026-03-15') as distinct_ranks,"
        " (select count(*) from marts.department_scorecard where unit_rank is not null) as ranked",
    )
    assert figures.tasks == 60
    assert figures.overdue_tasks > 0 and figures.behind_tasks > 0
    assert figures.status_changes > 0 and figures.corrections > 0
    assert figures.overdue_findings > 0 and figures.repeat_findings > 0
    assert figures.short_months > 0 and figures.units_on_negative_list > 0
    assert figures.distinct_ranks > 1 and figures.ranked > 0
    engine.dispose()
