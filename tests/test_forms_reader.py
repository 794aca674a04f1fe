"""Reading real-world bureau workbooks (ingest.forms.xlsx + ingest.forms.parse), one messy
feature per test, on xlsx files written with openpyxl in temporary folders. No database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from ingest.forms.parse import ParsedWorkbook, WorkbookError, parse_workbook
from ingest.forms.schema import FormRegistry, load_registry
from ingest.forms.xlsx import read_workbook

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "config" / "city_profile.yaml"
CODE_A = "91520000214434146R"  # valid (GB 32100-2015)
CODE_B = "91440300708461136T"
CODE_C = "914403001922038216"
EMERGENCY_HEADER = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "县区",
    "行业类别",
    "绩效等级",
    "生产线/工序",
]
KEY_TASK_HEADER = ["任务编号", "任务类别", "任务内容", "牵头单位", "完成时限", "完成进度", "状态"]


@pytest.fixture(scope="module")
def registry() -> FormRegistry:
    return load_registry(PROFILE)


Build = Callable[[Worksheet], None]


def workbook(tmp_path: Path, name: str, *sheets: tuple[str, Build]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, build in sheets:
        build(wb.create_sheet(title))
    path = tmp_path / name
    wb.save(path)
    return path


def parse(registry: FormRegistry, path: Path, form_id: str) -> ParsedWorkbook:
    return parse_workbook(path, path.read_bytes(), registry.get(form_id), registry)


def records(parsed: ParsedWorkbook) -> list[dict[str, object]]:
    return [r.record for r in parsed.records]


def reconcile(parsed: ParsedWorkbook) -> None:
    assert parsed.records_in == len(parsed.records) + parsed.rejected_rows + parsed.duplicates


def emergency_rows(ws: Worksheet, *rows: list[object]) -> None:
    ws.append(EMERGENCY_HEADER)
    for row in rows:
        ws.append(row)


# --- layout ----------------------------------------------------------------------------------


def test_title_rows_above_the_header_and_period_and_county_from_them(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        ws.append(["洪洞县2026年重污染天气应急减排清单"])
        ws.merge_cells("A1:G1")
        ws.append(["填报单位：洪洞县生态环境分局", None, None, "填报日期：2026年3月5日"])
        ws.append([])
        emergency_rows(ws, [1, "甲公司", CODE_A, "洪洞县", "焦化", "B", "1#焦炉"])
        ws.append([2])  # pre-numbered blank template rows
        ws.append([3, None, "  ", "—"])

    parsed = parse(registry, workbook(tmp_path, "清单.xlsx", ("Sheet1", build)), "emergency_list")
    assert [(r.period, r.scope, r.row_number) for r in parsed.records] == [("2026", "洪洞县", 5)]
    assert sum("空白行（仅有序号）" in i for i in parsed.info) == 2
    reconcile(parsed)


def test_two_row_merged_header(registry: FormRegistry, tmp_path: Path) -> None:
    def build(ws: Worksheet) -> None:
        ws.append([*EMERGENCY_HEADER, "应急减排措施", None, None])
        ws.append([None] * 7 + ["黄色预警", "橙色预警", "红色预警"])
        for col in "ABCDEFG":
            ws.merge_cells(f"{col}1:{col}2")
        ws.merge_cells("H1:J1")
        ws.append(
            [1, "甲公司", CODE_A, "洪洞县", "焦化", "B", "1#焦炉", "限产10%", "限产20%", "停产"]
        )

    path = workbook(tmp_path, "sthjj_洪洞县_2026.xlsx", ("清单", build))
    table = read_workbook(path, path.read_bytes(), registry.get("emergency_list")).tables[0]
    assert (table.header_first, table.header_last) == (1, 2)
    assert table.column_of("orange_measures").label == "应急减排措施/橙色预警"
    record = records(parse(registry, path, "emergency_list"))[0]
    assert (record["yellow_measures"], record["orange_measures"], record["red_measures"]) == (
        "限产10%",
        "限产20%",
        "停产",
    )


def test_cells_merged_down_repeat_on_every_row(registry: FormRegistry, tmp_path: Path) -> None:
    def build(ws: Worksheet) -> None:
        emergency_rows(
            ws,
            [1, "甲公司", CODE_A, "洪洞县", "焦化", "B", "1#焦炉"],
            [None, None, None, None, None, None, "2#焦炉"],
            [None, None, None, None, None, None, "干熄焦"],
        )
        for col in "ABCDEF":
            ws.merge_cells(f"{col}2:{col}4")

    parsed = parse(
        registry, workbook(tmp_path, "sthjj_洪洞县_2026.xlsx", ("s", build)), "emergency_list"
    )
    assert [
        (r["enterprise_name"], r["credit_code"], r["production_line"]) for r in records(parsed)
    ] == [
        ("甲公司", CODE_A, "1#焦炉"),
        ("甲公司", CODE_A, "2#焦炉"),
        ("甲公司", CODE_A, "干熄焦"),
    ]


def test_notes_totals_banners_column_numbers_and_repeated_header(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        ws.append(["大气污染防治重点任务推进台账（2026年第11周）"])
        ws.append(KEY_TASK_HEADER)
        ws.append(["甲", "乙", 1, 2, 3, 4, 5])  # column-number row
        ws.append(["一、产业结构调整"])
        ws.merge_cells("A4:G4")  # section banner
        ws.append(["1", "产业结构调整", "任务一", "市工信局", "长期坚持", "50%", "推进中"])
        ws.append(KEY_TASK_HEADER)  # header repeated (pasted from another file)
        ws.append(["2", "能源结构", "任务二", "市能源局", "2026年6月底前", "0.3", "推进中"])
        ws.append(["合计", None, "2项"])
        ws.append(["注：1.完成进度按百分比填写。"])
        ws.append(["2.“长期坚持”的任务按序时进度考核。", "x", "y"])
        ws.append(["填报人：张三", None, "联系电话：123"])

    parsed = parse(registry, workbook(tmp_path, "dqb.xlsx", ("台账", build)), "key_task")
    assert [r.row_number for r in parsed.records] == [5, 7]
    assert [r.period for r in parsed.records] == ["2026-W11", "2026-W11"]
    info = "\n".join(parsed.info)
    for fragment in (
        "栏目序号行",
        "分组/说明行",
        "重复的表头行",
        "合计行",
        "第9行起为表下注释（3行）",
    ):
        assert fragment in info
    assert records(parsed)[1]["category"] == "能源结构调整"
    reconcile(parsed)


def test_hidden_sheets_are_not_read(registry: FormRegistry, tmp_path: Path) -> None:
    def visible(ws: Worksheet) -> None:
        emergency_rows(ws, [1, "甲公司", CODE_A, "洪洞县", "焦化", "B", "1#焦炉"])

    def hidden(ws: Worksheet) -> None:
        emergency_rows(ws, [1, "旧公司", CODE_B, "洪洞县", "焦化", "C", "旧焦炉"])
        ws.sheet_state = "hidden"

    path = workbook(tmp_path, "sthjj_洪洞县_2026.xlsx", ("2026版", visible), ("2025版", hidden))
    parsed = parse(registry, path, "emergency_list")
    assert [r["enterprise_name"] for r in records(parsed)] == ["甲公司"]
    assert "隐藏工作表“2025版”未读取" in parsed.info


def test_one_sheet_per_month(registry: FormRegistry, tmp_path: Path) -> None:
    header = ["用煤单位", "统一社会信用代码", "县区", "用煤类型", "本月耗煤量（吨）"]

    def month(value: float) -> Build:
        def build(ws: Worksheet) -> None:
            ws.append(header)
            ws.append(["甲电厂", CODE_A, "霍州市", "发电", value])

        return build

    path = workbook(
        tmp_path,
        "fgw_2026年煤炭消费月报.xlsx",
        ("1月", month(100)),
        ("二月", month(200)),
        ("2026年3月", month(300)),
        ("4月", lambda ws: ws.append(header)),  # prepared in advance, nothing reported yet
        ("填表说明", lambda ws: ws.append(["本表每月10日前报送"])),
    )
    parsed = parse(registry, path, "coal_consumption")
    assert sorted((r.period, r.record["coal_tonnes"]) for r in parsed.records) == [
        ("2026-01", 100),
        ("2026-02", 200),
        ("2026-03", 300),
    ]
    assert sorted(parsed.slices) == [("2026-01", "全市"), ("2026-02", "全市"), ("2026-03", "全市")]
    assert "工作表“填表说明”不是本表格式，未读取" in parsed.info
    assert "工作表“4月”没有数据行，不作为一期报送" in parsed.info
    empty = workbook(tmp_path, "fgw_2026年4月.xlsx", ("4月", lambda ws: ws.append(header)))
    with pytest.raises(WorkbookError, match="工作簿中没有数据行（工作表：4月）"):
        parse(registry, empty, "coal_consumption")


def test_one_workbook_per_county(registry: FormRegistry, tmp_path: Path) -> None:
    def build(ws: Worksheet) -> None:
        emergency_rows(
            ws,
            [1, "甲公司", CODE_A, "侯马", "焦化", "B", "1#焦炉"],
            [2, "乙公司", CODE_B, "尧都区", "钢铁", "A", "1#高炉"],
        )

    path = workbook(tmp_path, "sthjj_侯马市_2026.xlsx", ("s", build))
    parsed = parse(registry, path, "emergency_list")
    assert [(r.scope, r.record["county"]) for r in parsed.records] == [("侯马市", "侯马市")]
    assert [(r.field, r.reason) for r in parsed.rejects] == [
        ("county", "“尧都区”与本工作簿所属县区“侯马市”不一致")
    ]
    nameless = workbook(tmp_path, "sthjj_2026.xlsx", ("s", build))
    with pytest.raises(WorkbookError, match="无法确定本工作簿所属县区"):
        parse(registry, nameless, "emergency_list")


# --- values ----------------------------------------------------------------------------------


def test_full_width_digits_trailing_spaces_and_empty_markers(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        ws.append([*EMERGENCY_HEADER, "MN号", "黄色预警减排措施"])
        wide = "".join(chr(ord(c) + 0xFEE0) for c in CODE_A)
        ws.append([1, "甲公司 ", wide, "洪洞县\u3000", " 焦化", "B级 ", "1#焦炉", "—", "无"])
        ws.append([2, "乙公司", CODE_B + " ", "洪洞", "钢铁", "Ａ", "1#高炉", "/", "-"])

    parsed = parse(
        registry, workbook(tmp_path, "sthjj_洪洞县_2026.xlsx", ("s", build)), "emergency_list"
    )
    first, second = records(parsed)
    assert (first["enterprise_name"], first["credit_code"], first["county"]) == (
        "甲公司",
        CODE_A,
        "洪洞县",
    )
    assert (first["industry"], first["performance_grade"], first["mn"]) == ("焦化", "B", None)
    assert (second["credit_code"], second["performance_grade"], second["yellow_measures"]) == (
        CODE_B,
        "A",
        None,
    )
    assert parsed.records[0].raw_cells["credit_code"].startswith("９１")  # as written


def test_dates_as_text_serials_and_date_cells(registry: FormRegistry, tmp_path: Path) -> None:
    serial = (dt.date(2026, 3, 5) - dt.date(1899, 12, 30)).days

    def build(ws: Worksheet) -> None:
        ws.append(["2026年3月督查问题清单"])
        ws.append(
            [
                "问题编号",
                "督查日期",
                "督查类型",
                "县区",
                "发现问题",
                "责任单位",
                "整改时限",
                "整改状态",
            ]
        )
        for n, value in enumerate(
            ["2026年3月5日", "2026.3.5", serial, dt.datetime(2026, 3, 5), "3月5日"]
        ):
            ws.append(
                [
                    f"DC-{n}",
                    value,
                    "“两办”督查",
                    "吉县",
                    "裸土未苫盖",
                    "吉县政府",
                    "2026/3/12",
                    "整改中",
                ]
            )

    parsed = parse(registry, workbook(tmp_path, "dcs_第3期.xlsx", ("s", build)), "inspection")
    assert {r["inspection_date"] for r in records(parsed)} == {"2026-03-05"}
    assert {r["rectification_deadline"] for r in records(parsed)} == {"2026-03-12"}
    assert {r["inspection_type"] for r in records(parsed)} == {"两办督查"}
    assert {r.period for r in parsed.records} == {"2026-03"}


def test_numbers_as_text_percent_strings_and_units_in_the_header(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        ws.append(
            [
                "用煤单位",
                "统一社会信用代码",
                "县区",
                "用煤类型",
                "本月耗煤量（万吨）",
                "低位发热量（大卡/千克）",
                "全硫含量（%）",
            ]
        )
        ws.append(["甲电厂", CODE_A, "霍州市", "发电", "1.2345", 5000, "0.85%"])
        ws.append(["乙电厂", CODE_B, "霍州市", "火电", " 1,234.5 ", "５０００", 0.9])
        ws.append(["丙热力", CODE_C, "霍州市", "集中供热", "3吨", "20.9兆焦/千克", None])
        ws.cell(row=4, column=7).value = 0.0085
        ws.cell(row=4, column=7).number_format = "0.00%"

    parsed = parse(
        registry, workbook(tmp_path, "fgw_2026年3月.xlsx", ("3月", build)), "coal_consumption"
    )
    got = [(r["coal_tonnes"], r["calorific_value"], r["sulphur_pct"]) for r in records(parsed)]
    assert got == [(12345, 20.934, 0.85), (12345000, 20.934, 0.9), (3, 20.9, 0.85)]
    assert any("按单位“万吨”换算（×10000）" in i for i in parsed.info)


def test_unknown_unit_in_the_header_fails_the_workbook(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        ws.append(["用煤单位", "统一社会信用代码", "县区", "用煤类型", "本月耗煤量（千克）"])
        ws.append(["甲电厂", CODE_A, "霍州市", "发电", 1])

    with pytest.raises(
        WorkbookError, match="工作表“3月”：列“本月耗煤量（千克）”（E列）的单位“千克”无法识别"
    ):
        parse(registry, workbook(tmp_path, "fgw_2026.xlsx", ("3月", build)), "coal_consumption")


# --- quarantine and broken workbooks ---------------------------------------------------------


def test_a_bad_cell_rejects_its_row_with_every_problem_and_the_rest_loads(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        emergency_rows(
            ws,
            [1, "甲公司", CODE_A, "洪洞县", "焦化", "B", "1#焦炉"],
            [2, "乙公司", CODE_A[:17] + "X", "洪洞县", "炼油", "E", "1#高炉"],
            [3, None, CODE_C, "洪洞县", "钢铁", "C", "1#高炉"],
        )

    parsed = parse(
        registry, workbook(tmp_path, "sthjj_洪洞县_2026.xlsx", ("清单", build)), "emergency_list"
    )
    assert [r.row_number for r in parsed.records] == [2]
    assert parsed.rejected_rows == 2
    got = [(r.sheet, r.row_number, r.cell, r.column, r.value) for r in parsed.rejects]
    assert got == [
        ("清单", 3, "C3", "统一社会信用代码", CODE_A[:17] + "X"),
        ("清单", 3, "E3", "行业类别", "炼油"),
        ("清单", 3, "F3", "绩效等级", "E"),
        ("清单", 4, "B4", "企业名称", ""),
    ]
    assert "校验位错误" in parsed.rejects[0].reason and "必填项" in parsed.rejects[3].reason
    reconcile(parsed)


def test_exact_duplicates_are_counted_and_conflicting_keys_rejected(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        emergency_rows(
            ws,
            [1, "甲公司", CODE_A, "洪洞县", "焦化", "B", "1#焦炉"],
            [1, "甲公司", CODE_A, "洪洞县", "焦化", "B", "1#焦炉"],
            [1, "甲公司", CODE_A, "洪洞县", "焦化", "C", "1#焦炉"],
        )

    parsed = parse(
        registry, workbook(tmp_path, "sthjj_洪洞县_2026.xlsx", ("s", build)), "emergency_list"
    )
    assert (len(parsed.records), parsed.duplicates, parsed.rejected_rows) == (1, 1, 1)
    assert "与第2行的记录键" in parsed.rejects[0].reason
    reconcile(parsed)


def test_missing_required_column_names_file_sheet_and_column(
    registry: FormRegistry, tmp_path: Path
) -> None:
    def build(ws: Worksheet) -> None:
        ws.append(["标题"])
        ws.append(["序号", "企业名称", "县区", "行业类别", "绩效等级", "生产线/工序"])
        ws.append([1, "甲公司", "洪洞县", "焦化", "B", "1#焦炉"])

    path = workbook(tmp_path, "sthjj_洪洞县_2026.xlsx", ("减排清单", build))
    with pytest.raises(WorkbookError) as caught:
        parse(registry, path, "emergency_list")
    assert str(caught.value).startswith(
        "sthjj_洪洞县_2026.xlsx: 工作表“减排清单”第2行表头缺少必填列“统一社会信用代码”"
    )


def test_corrupt_and_legacy_files(registry: FormRegistry, tmp_path: Path) -> None:
    good = workbook(tmp_path, "good.xlsx", ("s", lambda ws: emergency_rows(ws)))
    broken = tmp_path / "sthjj_洪洞县_2026.xlsx"
    broken.write_bytes(good.read_bytes()[:300])
    with pytest.raises(WorkbookError, match=r"sthjj_洪洞县_2026\.xlsx: 不是有效的 xlsx 工作簿"):
        parse(registry, broken, "emergency_list")
    legacy = tmp_path / "old.xlsx"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)  # OLE2 (.xls) signature
    with pytest.raises(WorkbookError, match=r"旧版 \.xls"):
        parse(registry, legacy, "emergency_list")


def test_wrong_form_says_which_form_it_looks_like(registry: FormRegistry, tmp_path: Path) -> None:
    def build(ws: Worksheet) -> None:
        ws.append(["用煤单位", "统一社会信用代码", "县区", "用煤类型", "本月耗煤量（吨）"])
        ws.append(["甲电厂", CODE_A, "霍州市", "发电", 100])

    path = workbook(tmp_path, "dcs_2026_第3期.xlsx", ("1月", build))
    with pytest.raises(
        WorkbookError,
        match=r"没有找到《大气污染防治督查问题清单》的表头.*看起来是《重点用煤单位煤炭消费月报》",
    ):
        parse(registry, path, "inspection")


def test_no_period_anywhere_fails(registry: FormRegistry, tmp_path: Path) -> None:
    def build(ws: Worksheet) -> None:
        ws.append(KEY_TASK_HEADER)
        ws.append(["1", "产业结构调整", "任务一", "市工信局", "长期坚持", "50%", "推进中"])

    with pytest.raises(WorkbookError, match="无法确定报送期"):
        parse(registry, workbook(tmp_path, "重点任务.xlsx", ("s", build)), "key_task")
