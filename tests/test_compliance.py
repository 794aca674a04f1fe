"""Source-compliance marts (models/marts/compliance) on a small hand-made city: a few HJ 212
packets, a device registry and one workbook of each bureau form, loaded by the real loaders
into a real PostgreSQL and built by a real dbt run. Every expected figure is worked out below
from the inputs (the comments show the arithmetic), never copied from the code's output.

The warning checked is the seed's HPW-2026-03-A (orange, 2026-03-13 20:00 .. 2026-03-14 20:00
local, seeds/heavy_pollution_warnings.csv): the test asserts those dates first.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from ingest.forms.load import load_inbox
from ingest.forms.schema import load_registry as load_form_registry
from ingest.hj212 import load as hj212_load
from ingest.hj212 import registry as device_registry
from ingest.hj212.protocol import LOCAL_TZ, frame
from pipelines.dbt import run_dbt
from samples.forms import credit_code
from samples.forms_xlsx import SheetSpec, write_workbook
from tests.conftest import REPO

PROFILE = REPO / "config" / "city_profile.yaml"
MN_A = "141002310000000000000A01"  # E1 1#机组, hourly packets
MN_B = "141002310000000000000B01"  # E2 DA001: registered, never sends, not written on the list
MN_X = "141002310000009999000001"  # on the list for E3, not registered
MN_D = "141002390000000000000D01"  # dust monitor of site S1
E1, E2, E3 = (credit_code(random.Random(n), "141002") for n in (1, 2, 3))
U1, U2 = (credit_code(random.Random(n), "141002") for n in (11, 12))
P1, P2, P3 = (credit_code(random.Random(n), "141002") for n in (21, 22, 23))
T0 = dt.datetime(2026, 3, 12, 20, tzinfo=LOCAL_TZ)  # first CEMS hour (START)


def hourly_cems(hour: dt.datetime, so2: str, nox: str, pm: str, flow: str, flag: str) -> str:
    """CN=2061 of MN_A: O2 11 % -> converted = measured x (21 - 6) / (21 - 11) = x 1.5."""
    items = [
        f"a21026-Avg={so2},a21026-Flag={flag}",
        f"a21002-Avg={nox},a21002-Flag={flag}",
        f"a34013-Avg={pm},a34013-Flag={flag}",
        f"a19001-Avg=11,a19001-Flag={flag}",
        f"a00000-Avg={flow},a00000-Flag={flag}",
    ]
    return frame(
        f"QN={hour:%Y%m%d%H%M%S}000;ST=31;CN=2061;PW=1;MN={MN_A};Flag=4;"
        f"CP=&&DataTime={hour:%Y%m%d%H%M%S};{';'.join(items)}&&"
    )


def hourly_dust(hour: dt.datetime, pm10: str, flag: str) -> str:
    return frame(
        f"QN={hour:%Y%m%d%H%M%S}000;ST=39;CN=2061;PW=1;MN={MN_D};Flag=4;"
        f"CP=&&DataTime={hour:%Y%m%d%H%M%S};a34002-Avg={pm10},a34002-Flag={flag}&&"
    )


def packets() -> list[str]:
    out = []
    # 24 baseline hours 2026-03-12 20:00 .. 03-13 19:00: flow 100 m3/s = 360000 m3/h;
    # SO2 20 -> 7.2 kg/h (converted 30 < 35), NOx 30 -> 10.8 kg/h, PM 4 -> 1.44 kg/h
    for h in range(24):
        out.append(hourly_cems(T0 + dt.timedelta(hours=h), "20", "30", "4", "100", "N"))
    # 24 warning hours 03-13 20:00 .. 03-14 19:00: flow 70 m3/s = 252000 m3/h;
    # SO2 20 -> 5.04 kg/h, NOx 30 -> 7.56, PM 4 -> 1.008; 03-14 10:00 SO2 30 (converted 45 > 35:
    # an exceedance, 7.56 kg/h); 03-14 15:00 flagged D (not valid)
    for h in range(24, 48):
        hour = T0 + dt.timedelta(hours=h)
        so2 = "30" if hour.hour == 10 else "20"
        out.append(hourly_cems(hour, so2, "30", "4", "70", "D" if hour.hour == 15 else "N"))
    eight = dt.datetime(2026, 3, 13, 8, tzinfo=LOCAL_TZ)
    for k, (pm10, flag) in enumerate((("120", "N"), ("180", "N"), ("151", "N"), ("200", "D"))):
        out.append(hourly_dust(eight + dt.timedelta(hours=k), pm10, flag))
    return out


def registry_csv(path: Path) -> Path:
    rows = [
        f"{MN_A},cems,测试电厂,{E1},DA001,1号排口,尧都区,火电,6,ultra-low-power-2015",
        f"{MN_B},cems,测试焦化,{E2},DA001,1号排口,尧都区,焦化,8,GB16171-2012-special",
        f"{MN_D},dust,测试工地一,,GD001,扬尘监测点,尧都区,建筑施工,,",
    ]
    path.write_text(
        ",".join(device_registry.COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return path


def workbooks(inbox: Path) -> None:
    forms = inbox / "forms"

    def book(form: str, name: str, *sheets: SheetSpec) -> None:
        (forms / form).mkdir(parents=True, exist_ok=True)
        write_workbook(forms / form / name, list(sheets))

    book(
        "emergency_list",
        "sthjj_尧都区_2026.xlsx",
        SheetSpec(
            name="应急减排清单",
            title_lines=["尧都区2026年重污染天气应急减排清单"],
            header=["序号", "企业名称", "统一社会信用代码", "所在县（市、区）", "行业类别", "绩效等级",
                    "生产线/工序", "排放口编号", "在线监测设备编号（MN）", "黄色预警减排措施",
                    "橙色预警减排措施", "红色预警减排措施"],
            rows=[
                [1, "测试电厂", E1, "尧都区", "电力", "B", "1#机组", "DA001", MN_A,
                 "1#机组限产10%", "1#机组限产20%", "1#机组停产"],
                [2, "测试电厂", E1, "尧都区", "电力", "B", "2#机组", "DA002", "无",
                 "2#机组限产10%", "2#机组限产20%", "2#机组停产"],
                [3, "测试焦化", E2, "尧都区", "焦化", "A", "1#焦炉", "DA001", "无",
                 "自主减排", "自主减排", "1#焦炉限产10%"],
                [4, "测试水泥", E3, "尧都区", "水泥", "C", "熟料生产线", "DA001", MN_X,
                 "限产20%", "限产30%", "停产"],
            ],
        ),
    )  # fmt: skip
    people = ["李建国", "王志强", "张海涛", "刘丽娟", "陈晓东"]
    book(
        "construction_site",
        "zjj_施工工地清单_2026年3月.xlsx",
        SheetSpec(
            name="工地清单",
            title_lines=["临汾市施工工地扬尘管控清单（2026年3月）"],
            header=["序号", "工地编号", "项目名称", "工地类型", "所在县（市、区）", "建设单位", "施工单位",
                    "建筑面积（万平方米）", "包联领导", "住建部门监管人", "生态环境部门监管人", "城管部门监管人",
                    "乡镇（街道）监管人", "扬尘在线监测设备编号（MN）", "开工日期", "计划竣工日期"],
            rows=[
                [1, "GD-S1", "测试工地一", "房屋建筑", "尧都区", "甲置业", "乙建设", 5, *people, MN_D,
                 "2025-10-01", "2027-01-01"],
                [2, "GD-S2", "测试工地二", "市政工程", "尧都区", "甲置业", "乙建设", 3, *people[:3], "—",
                 people[4], "无", "2025-11-01", "2026-12-01"],
                [3, "GD-S3", "测试工地三", "道路工程", "尧都区", "甲置业", "乙建设", 2, *people,
                 "141002390000000000009999", "2025-12-01", "2026-12-01"],
            ],
        ),
    )  # fmt: skip
    ok = ["√"] * 7
    book(
        "site_inspection",
        "zjj_工地检查记录_2026年3月.xlsx",
        SheetSpec(
            name="3月检查记录",
            title_lines=["临汾市施工工地扬尘治理“七个百分之百”检查记录（2026年3月）"],
            header=["序号", "工地编号", "项目名称", "县区", "检查日期", "检查人员", "周边围挡", "物料堆放覆盖",
                    "土方开挖湿法作业", "路面硬化", "出入车辆清洗", "渣土车辆密闭运输", "在线监测和视频监控",
                    "发现问题", "整改时限", "整改情况"],
            rows=[
                [1, "GD-S1", "测试工地一", "尧都区", "2026-03-05", "赵一", *ok, "无", "/", None],
                [2, "GD-S1", "测试工地一", "尧都区", "2026-03-12", "赵一", "×", "√", "√", "√", "×", "√", "√",
                 "围挡破损；车辆未冲洗", "2026-03-19", "整改中"],
            ],
        ),
    )  # fmt: skip

    def coal_sheet(month: int, rows: list[list[object]]) -> SheetSpec:
        return SheetSpec(
            name=f"{month}月",
            title_lines=[f"临汾市重点用煤单位煤炭消费情况（2026年{month}月）"],
            header=["序号", "用煤单位", "统一社会信用代码", "县区", "用煤类型", "本月耗煤量（吨）",
                    "累计耗煤量（吨）", "收到基低位发热量（MJ/kg）", "全硫含量（%）"],
            rows=rows,
        )  # fmt: skip

    book(
        "coal_consumption",
        "fgw_2026年煤炭消费月报.xlsx",
        coal_sheet(1, [[1, "测试电厂", U1, "尧都区", "发电", 1000000, 1000000, 20, "0.5%"],
                       [2, "测试热力", U2, "尧都区", "供热", 500000, 500000, 18, "0.6%"]]),
        coal_sheet(2, [[1, "测试电厂", U1, "尧都区", "发电", 3000000, 4000000, 22, "0.5%"],
                       [2, "测试热力", U2, "尧都区", "供热", 0, 500000, None, None]]),
    )  # fmt: skip
    book(
        "relocation",
        "gxj_退城入园台账_2026-02.xlsx",
        SheetSpec(
            name="退城入园",
            title_lines=["临汾市城市建成区重污染企业退城入园推进台账（截至2026年2月28日）"],
            header=["序号", "项目编号", "企业名称", "统一社会信用代码", "原址所在县（市、区）", "行业", "拟入驻园区",
                    "签订协议日期", "原址关停计划时间", "原址关停完成时间", "新址投产计划时间", "新址投产完成时间",
                    "当前进度", "进展情况"],
            rows=[
                [1, "TCRY-001", "测试一厂", P1, "尧都区", "焦化", "临汾经济技术开发区", "2025-06-01",
                 "2026-01-15", "2026-01-10", "2026-06-30", "—", "已关停", "设备已拆除"],
                [2, "TCRY-002", "测试二厂", P2, "尧都区", "铸造", "临汾经济技术开发区", "2025-06-01",
                 "2026-02-10", "—", "2026-09-01", "—", "推进中", "—"],
                [3, "TCRY-003", "测试三厂", P3, "尧都区", "陶瓷", "侯马经济开发区", "2025-09-01",
                 "待定", "—", "2027-01-01", "—", "未启动", "—"],
            ],
        ),
    )  # fmt: skip
    book(
        "dual_substitution",
        "qjqn_尧都区_2026年2月.xlsx",
        SheetSpec(
            name="双替代",
            title_lines=["尧都区清洁取暖“双替代”改造进度表（2026年2月）"],
            header=["序号", "县（市、区）", "乡镇（街道）", "村（社区）", "替代方式", "计划改造户数",
                    "已完成户数", "完成率", "验收日期"],
            rows=[
                [1, "尧都区", "城关镇", "东村", "气代煤", 100, 100, "100%", "2026-02-10"],
                [2, "尧都区", "城关镇", "西村", "电代煤", 200, 50, "25%", "—"],
                [3, "尧都区", "屯里镇", "南庄", "气代煤", 50, 10, "30%", "—"],
            ],
        ),
    )  # fmt: skip


@pytest.fixture(scope="module")
def built(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    tmp = tmp_path_factory.mktemp("compliance")
    url = make_database("compliance")
    engine = warehouse.engine(url)
    folder = tmp / "inbox" / "hj212" / "r1"
    folder.mkdir(parents=True)
    (folder / "2026-03-14T20.log").write_text("\r\n".join(packets()) + "\r\n")
    device_registry.load_registry(engine, registry_csv(tmp / "registry.csv"))
    hour = dt.datetime(2026, 3, 14, 20, tzinfo=LOCAL_TZ)
    hj212_load.load_interval(engine, tmp / "inbox", hour, hour + dt.timedelta(hours=1))
    workbooks(tmp / "inbox")
    forms = load_inbox(engine, tmp / "inbox", load_form_registry(PROFILE), tmp / "reports")
    assert [(r.source, r.status, r.quarantined) for r in forms.batches if r.quarantined] == []
    assert len(forms.batches) == 6
    outcome = run_dbt(
        [
            "build",
            "--select",
            "+path:models/marts/compliance",
            "path:models/lineage",
            "--exclude",
            "path:models/lineage/accountability",
        ],
        url,
        target_path=tmp / "dbt",
    )
    assert outcome.success, outcome.failed
    yield engine
    engine.dispose()


def rows(engine: sa.Engine, sql: str, **params: object) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def test_cems_outlet_day_rates_exceedance_and_kg(built: sa.Engine) -> None:
    got = {
        r.obs_date.day: r
        for r in rows(
            built,
            "select * from marts.cems_outlet_day where device_mn = :mn and pollutant_code = 'a21026'",
            mn=MN_A,
        )
    }
    assert sorted(got) == [12, 13, 14]  # the feed window: every day with CEMS data
    d12, d13, d14 = got[12], got[13], got[14]
    # 03-12: hours 20..23 -> 4 of 24 received (16.67 %), all valid, 4 x 7.2 kg
    assert (d12.received_hours, d12.valid_hours) == (4, 4)
    assert d12.transmission_rate_pct == Decimal("16.67") and d12.validity_rate_pct == 100
    assert d12.emission_kg == Decimal("28.8") and not d12.is_day_valid
    assert d12.converted_mean_mg_m3 == 30 and d12.converted_daily_mean_mg_m3 is None
    # 03-13: 24 hours, 20 at 7.2 kg/h and 4 at 5.04 kg/h = 144 + 20.16
    assert (d13.received_hours, d13.valid_hours, d13.is_day_valid) == (24, 24, True)
    assert d13.emission_kg == Decimal("164.16") and d13.converted_daily_mean_mg_m3 == 30
    # 03-14: hours 0..19 received (83.33 %), 15:00 flag D -> 19 valid (95 % of received,
    # 79.17 % of 24), not a valid day (< 20); 10:00 converted 30 x 1.5 = 45 > 35: 1 exceedance;
    # kg = 18 x 5.04 + 7.56 (the 10:00 hour) = 90.72 + 7.56
    assert (d14.received_hours, d14.valid_hours, d14.exceedance_hours) == (20, 19, 1)
    assert d14.transmission_rate_pct == Decimal("83.33") and d14.validity_rate_pct == 95
    assert d14.effective_transmission_rate_pct == Decimal("79.17") and not d14.is_day_valid
    assert d14.emission_kg == Decimal("98.28") and d14.converted_max_mg_m3 == 45
    silent = rows(
        built,
        "select count(*), sum(received_hours), max(transmission_rate_pct)"
        " from marts.cems_outlet_day where device_mn = :mn",
        mn=MN_B,
    )[0]
    assert tuple(silent) == (9, 0, 0)  # 3 pollutants x 3 days, nothing received
    source = rows(
        built,
        "select count(*), count(distinct reading_code) from lineage.cems_outlet_day_source"
        " where device_mn = :mn and pollutant_code = 'a21026' and obs_date = '2026-03-14'",
        mn=MN_A,
    )[0]
    # 20 hourly packets x (SO2, O2, flow) avg readings
    assert tuple(source) == (60, 3)


def test_online_monitoring_coverage(built: sa.Engine) -> None:
    got = {
        (r.credit_code, r.production_line): r
        for r in rows(built, "select * from marts.emergency_outlet_coverage")
    }
    assert len(got) == 4
    a = got[(E1, "1#机组")]
    # valid data on 3 days, >= 20 valid hours only on 03-13
    assert (a.coverage_status, a.device_mn, a.days_with_valid_data, a.valid_days) == (
        "covered",
        MN_A,
        3,
        1,
    )
    assert (a.enterprise_outlets, a.enterprise_outlets_with_device) == (2, 1)
    assert a.enterprise_coverage == "partial" and a.window_days == 3
    assert got[(E1, "2#机组")].coverage_status == "no_device"
    b = got[(E2, "1#焦炉")]
    assert (b.coverage_status, b.device_mn, b.days_with_valid_data) == (
        "covered_mn_not_on_list",
        MN_B,
        0,
    )
    assert b.enterprise_coverage == "full"
    x = got[(E3, "熟料生产线")]
    assert (x.coverage_status, x.listed_mn, x.device_mn, x.enterprise_coverage) == (
        "mn_not_registered",
        MN_X,
        None,
        "none",
    )
    days = rows(
        built,
        "select obs_date, received_hours, valid_hours, sent_valid_data, is_day_valid"
        " from marts.emergency_outlet_day where credit_code = :c order by production_line, obs_date",
        c=E1,
    )
    assert [tuple(r)[1:] for r in days] == [
        (4, 4, True, False),
        (24, 24, True, True),
        (20, 19, True, False),
        (0, 0, False, False),  # 2#机组 has no device: three silent days
        (0, 0, False, False),
        (0, 0, False, False),
    ]
    source = rows(
        built,
        "select source_file, registry_mn from lineage.emergency_outlet_coverage_source"
        " where credit_code = :c and production_line = '1#机组'",
        c=E1,
    )
    assert [tuple(r) for r in source] == [("forms/emergency_list/sthjj_尧都区_2026.xlsx", MN_A)]


def test_emergency_response_verification(built: sa.Engine) -> None:
    warning = rows(
        built,
        "select start_local, end_local, warning_level from reference.heavy_pollution_warnings"
        " where warning_id = 'HPW-2026-03-A'",
    )[0]
    assert tuple(warning) == (
        dt.datetime(2026, 3, 13, 20),
        dt.datetime(2026, 3, 14, 20),
        "orange",
    )
    got = {
        r.production_line: r
        for r in rows(
            built,
            "select * from marts.emergency_response_verification where warning_id = 'HPW-2026-03-A'",
        )
    }
    a = got["1#机组"]
    assert (a.plan_measure, a.required_cut_pct, a.required_cut_source) == (
        "1#机组限产20%",
        20,
        "plan",
    )
    # baseline: the 24 hours before 20:00 on 03-13 (the 7 days before hold no other data)
    assert (a.baseline_valid_hours, a.period_valid_hours) == (24, 23)  # 15:00 flagged D
    assert a.baseline_so2_kg_h == Decimal("7.2") and a.period_nox_kg_h == Decimal("7.56")
    # SO2 during the warning: (22 x 5.04 + 7.56) / 23 = 118.44 / 23 kg/h;
    # cut = 1 - (118.44 / 23) / 7.2 = 1 - 118.44 / 165.6 = 28.48 %; NOx, PM: 1 - 0.7 = 30 %
    assert a.cut_so2_pct == Decimal("28.48")
    assert a.cut_nox_pct == 30 and a.cut_pm_pct == 30 and a.least_cut_pct == Decimal("28.48")
    assert (a.verdict, a.verdict_label) == ("achieved", "落实到位")
    assert got["2#机组"].verdict == "not_verifiable"
    assert got["2#机组"].not_verifiable_reason == "no_registered_device"
    assert (got["1#焦炉"].verdict, got["1#焦炉"].not_verifiable_reason) == (
        "not_verifiable",
        "too_few_valid_hours_in_period",
    )
    assert got["1#焦炉"].required_cut_pct == 0  # 自主减排
    assert got["熟料生产线"].required_cut_pct == 30  # 限产30%
    assert got["熟料生产线"].not_verifiable_reason == "no_registered_device"
    source = rows(
        built,
        "select source_kind, phase, count(*) from lineage.emergency_response_verification_source"
        " where warning_id = 'HPW-2026-03-A' and production_line = '1#机组' group by 1, 2 order by 1, 2",
    )
    # the list row; 24 + 24 hourly packets x 5 readings (SO2, NOx, PM, O2, flow)
    assert [tuple(r) for r in source] == [
        ("form_row", None, 1),
        ("hj212_reading", "baseline", 120),
        ("hj212_reading", "period", 120),
    ]


def test_construction_dust(built: sa.Engine) -> None:
    got = {r.site_code: r for r in rows(built, "select * from marts.construction_site_compliance")}
    s1, s2, s3 = got["GD-S1"], got["GD-S2"], got["GD-S3"]
    # PM10 120, 180, 151 valid and 200 flagged D: 2 valid hours above 150, mean 451 / 3
    assert (s1.monitor_coverage, s1.pm10_received_hours, s1.pm10_valid_hours) == (
        "monitored",
        4,
        3,
    )
    assert (s1.pm10_exceedance_hours, s1.pm10_max_ug_m3) == (2, 180)
    assert round(s1.pm10_mean_ug_m3, 3) == Decimal("150.333")
    # two inspections, 14 measure checks, 2 failed (围挡, 车辆清洗): 12 / 14 = 85.71 %
    assert (s1.inspections, s1.compliant_inspections, s1.measure_checks, s1.measure_failures) == (
        2,
        1,
        14,
        2,
    )
    assert s1.measure_compliance_pct == Decimal("85.71")
    assert s1.failed_measures == "周边围挡、出入车辆清洗"
    assert (s1.supervision_named, s1.supervision_complete) == (5, True)
    assert (s2.monitor_coverage, s2.inspections, s2.measure_compliance_pct) == (
        "no_monitor",
        0,
        None,
    )
    assert (s2.supervision_named, s2.supervision_complete, s2.supervision_missing) == (
        4,
        False,
        "城管部门",
    )
    assert s3.monitor_coverage == "mn_not_registered"
    kinds = rows(
        built,
        "select source_kind, count(*) from lineage.construction_site_compliance_source"
        " where site_code = 'GD-S1' group by 1 order by 1",
    )
    assert [tuple(r) for r in kinds] == [
        ("hj212_reading", 4),
        ("inspection_row", 2),
        ("site_row", 1),
    ]


def test_coal_against_the_cap(built: sa.Engine) -> None:
    jan, feb = rows(built, "select * from marts.coal_consumption_month order by report_month")
    # January: 1,000,000 + 500,000 t; projection 1.5 Mt x 12 = 18 Mt <= 21.8 Mt;
    # calorific (1e6 x 20 + 0.5e6 x 18) / 1.5e6 = 19.333 MJ/kg; 1.5 / 21.8 = 6.88 %
    assert (jan.coal_tonnes, jan.ytd_tonnes, jan.projected_year_tonnes) == (
        1500000,
        1500000,
        18000000,
    )
    assert not jan.projected_over_cap and jan.ytd_share_of_cap_pct == Decimal("6.88")
    assert jan.calorific_value_mj_per_kg == Decimal("19.333")
    # February: 3,000,000 + 0 t; ytd 4.5 Mt; 4.5 x 12 / 2 = 27 Mt > 21.8 Mt; allowance left
    # 21.8 - 4.5 = 17.3 Mt over 10 months; the heating unit burnt 0 t after 500,000: closed
    assert (feb.coal_tonnes, feb.ytd_tonnes, feb.projected_year_tonnes) == (
        3000000,
        4500000,
        27000000,
    )
    assert feb.projected_over_cap and feb.ytd_share_of_cap_pct == Decimal("20.64")
    assert feb.remaining_allowance_tonnes == 17300000
    assert feb.allowance_per_remaining_month_tonnes == 1730000
    assert (feb.units_closed, feb.calorific_value_mj_per_kg, feb.reported_ytd_tonnes) == (
        1,
        22,
        4500000,
    )
    unit = rows(
        built,
        "select unit_status, closed_since_month, ytd_tonnes from marts.coal_unit_month"
        " where credit_code = :c order by report_month",
        c=U2,
    )
    assert [tuple(r) for r in unit] == [
        ("operating", None, 500000),
        ("closed", dt.date(2026, 2, 1), 500000),
    ]
    kcal = rows(
        built,
        "select calorific_value_kcal_per_kg from marts.coal_unit_month"
        " where credit_code = :c and report_month = '2026-01-01'",
        c=U1,
    )[0][0]
    assert kcal == 4777  # 20 MJ/kg / 4.1868 kJ/kcal = 4776.9
    source = rows(
        built,
        "select contributes, count(*) from lineage.coal_consumption_month_source"
        " where report_month = '2026-02-01' group by 1 order by 1",
    )
    assert [tuple(r) for r in source] == [("month", 2), ("ytd", 2)]


def test_relocation_and_dual_substitution(built: sa.Engine) -> None:
    got = {
        r.project_no: r
        for r in rows(
            built, "select * from marts.relocation_progress where report_month = '2026-02-01'"
        )
    }
    assert got["TCRY-001"].as_of_date == dt.date(2026, 2, 28)
    assert (got["TCRY-001"].closure_state, got["TCRY-001"].production_state) == (
        "done",
        "on_schedule",
    )
    assert got["TCRY-001"].progress == "on_schedule"
    # closure planned 02-10, not done by 02-28: 18 days overdue
    two = got["TCRY-002"]
    assert (two.closure_state, two.closure_days_overdue, two.progress) == ("overdue", 18, "behind")
    three = got["TCRY-003"]
    assert (three.closure_state, three.production_state, three.progress) == (
        "no_plan",
        "on_schedule",
        "not_started",
    )
    summary = rows(built, "select * from marts.relocation_summary")[0]
    assert (summary.planned_enterprises, summary.projects_listed, summary.closed) == (77, 3, 1)
    assert (summary.closure_overdue, summary.behind, summary.not_started) == (1, 1, 1)
    assert summary.closed_pct_of_plan == Decimal("1.30")  # 1 / 77 = 1.2987 %
    dual = {
        (r.county, r.substitution_mode): r
        for r in rows(built, "select * from marts.dual_substitution_progress")
    }
    gas = dual[("尧都区", "气代煤")]
    # 东村 100/100 (accepted) + 南庄 10/50 (reported 30 %, really 20 %): 110 / 150 = 73.33 %
    assert (gas.villages, gas.planned_households, gas.completed_households) == (2, 150, 110)
    assert gas.completion_pct == Decimal("73.33")
    assert (gas.villages_completed, gas.villages_accepted, gas.reported_rate_mismatches) == (
        1,
        1,
        1,
    )
    total = dual[("全市", "合计")]
    assert (total.planned_households, total.completed_households) == (350, 160)
    assert total.completion_pct == Decimal("45.71")  # 160 / 350 = 45.714 %
    assert dual[("全市", "电代煤")].completion_pct == 25
    assert len(dual) == 2 + 1 + 2 + 1  # county x mode, county total, city x mode, city total
    source = rows(
        built,
        "select count(*) from lineage.dual_substitution_progress_source"
        " where county = '全市' and substitution_mode = '合计'",
    )
    assert source[0][0] == 3
