"""Cell validators of the bureau forms (ingest.forms.cells): credit code, dates, numbers, codes."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.forms.cells import (
    CREDIT_CHARSET,
    CREDIT_WEIGHTS,
    CellError,
    convert,
    credit_code_check_char,
    is_empty,
    parse_bool,
    parse_date,
    parse_mn,
    parse_number,
    parse_period,
    validate_credit_code,
)
from ingest.forms.schema import ColumnSpec, FormRegistry, load_registry
from samples.forms import credit_code, fullwidth, spoil_check_char

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "config" / "city_profile.yaml"

# Public unified social credit codes of well-known listed companies (business-registration
# records). Each also passes the independent GB 11714 check of its embedded organisation code.
REAL_CODES = {
    "贵州茅台酒股份有限公司": "91520000214434146R",
    "中国石油天然气股份有限公司": "91110000710925462X",
    "深圳市腾讯计算机系统有限公司": "91440300708461136T",
    "华为技术有限公司": "914403001922038216",
    "中国平安保险（集团）股份有限公司": "91440300100012316L",
}


@pytest.fixture(scope="module")
def registry() -> FormRegistry:
    return load_registry(PROFILE)


# --- unified social credit code (GB 32100-2015) ----------------------------------------------


def test_weights_are_powers_of_three_mod_31_and_charset_has_31_characters() -> None:
    assert CREDIT_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(CREDIT_CHARSET) == 31 and not set("IOSVZ") & set(CREDIT_CHARSET)


def test_check_character_worked_by_hand() -> None:
    code = REAL_CODES["贵州茅台酒股份有限公司"]
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    assert CREDIT_CHARSET[(31 - total % 31) % 31] == "R" == credit_code_check_char(code[:17])


def test_check_value_31_becomes_0() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        first17 = "91" + "".join(rng.choice("0123456789") for _ in range(15))
        total = sum(int(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
        if total % 31 == 0:
            assert credit_code_check_char(first17) == "0"
            assert validate_credit_code(first17 + "0") == first17 + "0"
            return
    pytest.fail("no code with sum divisible by 31 found")


@pytest.mark.parametrize("code", sorted(REAL_CODES.values()))
def test_real_public_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("code", sorted(REAL_CODES.values()))
def test_a_wrong_check_character_is_rejected_with_the_expected_one(code: str) -> None:
    bad = spoil_check_char(code)
    with pytest.raises(CellError, match=f"应为“{code[17]}”"):
        validate_credit_code(bad)


def test_generated_codes_are_valid_for_every_division() -> None:
    rng = random.Random(1)
    for division in ("141002", "141024", "141082", "110000"):
        for _ in range(50):
            code = credit_code(rng, division)
            assert len(code) == 18 and validate_credit_code(code) == code


def test_single_character_typos_are_caught() -> None:
    code = REAL_CODES["华为技术有限公司"]
    for position in range(17):
        for replacement in "0123456789ABC":
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(CellError):
                validate_credit_code(typo)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("91520000214434146", "应为18位，实为17位"),
        ("91520000214434146RR", "应为18位，实为19位"),
        ("9152000021443414OR", "非法字符“O”"),
        ("9152000021443414IR", "非法字符“I”"),
        ("91520000214434146Z", "非法字符“Z”"),
    ],
)
def test_malformed_codes_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(CellError, match=fragment):
        validate_credit_code(text)


def test_full_width_lower_case_and_spaces_are_normalised() -> None:
    code = REAL_CODES["中国石油天然气股份有限公司"]
    assert validate_credit_code(fullwidth(code)) == code
    assert validate_credit_code(" " + code.lower() + "\u3000") == code


# --- dates -----------------------------------------------------------------------------------


MARCH_5 = dt.date(2026, 3, 5)


@pytest.mark.parametrize(
    "value",
    [
        "2026年3月5日",
        "2026年03月05日",
        "2026.3.5",
        "2026/3/5",
        "2026-03-05",
        "20260305",
        20260305,
        "２０２６年３月５日",
        " 2026.3.5 ",
        "2026-03-05 00:00:00",
        (MARCH_5 - dt.date(1899, 12, 30)).days,  # Excel serial in a General cell
        float((MARCH_5 - dt.date(1899, 12, 30)).days),
        dt.datetime(2026, 3, 5),
        MARCH_5,
        "3月5日",  # the year comes from the period
    ],
)
def test_dates_as_bureaus_write_them(value: object) -> None:
    assert parse_date(value, default_year=2026) == MARCH_5


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026年6月底前", dt.date(2026, 6, 30)),
        ("6月底前", dt.date(2026, 6, 30)),
        ("2026年2月底", dt.date(2026, 2, 28)),
        ("年底前", dt.date(2026, 12, 31)),
        ("2026年6月30日前", dt.date(2026, 6, 30)),
    ],
)
def test_deadline_phrases(text: str, expected: dt.date) -> None:
    assert parse_date(text, default_year=2026) == expected


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("2026年2月30日", "不存在"),
        ("2026.13.1", "不存在"),
        ("6月31日", "不存在"),
        ("下周", "无法识别的日期"),
        (5, "不是有效日期"),
    ],
)
def test_bad_dates(value: object, fragment: str) -> None:
    with pytest.raises(CellError, match=fragment):
        parse_date(value, default_year=2026)


# --- numbers and percentages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1,234.5", Decimal("1234.5")),
        ("１２３", Decimal(123)),
        (" 56 ", Decimal(56)),
        ("56\u3000", Decimal(56)),
        (12, Decimal(12)),
        (12.0, Decimal(12)),
        (0.1 + 0.2, Decimal("0.3")),  # as Excel shows it: 15 significant digits
        ("1.2E+3", Decimal(1200)),
    ],
)
def test_numbers_stored_as_text_or_numbers(value: object, expected: Decimal) -> None:
    assert parse_number(value) == expected


def test_unit_written_in_the_cell_converts() -> None:
    units = (("吨", Decimal(1)), ("万吨", Decimal(10000)))
    assert parse_number("3.5万吨", units=units) == Decimal(35000)
    assert parse_number("120吨", units=units) == Decimal(120)


@pytest.mark.parametrize(
    "value, number_format, expected",
    [
        ("85%", "General", Decimal(85)),
        ("85.5％", "General", Decimal("85.5")),
        (0.855, "0.0%", Decimal("85.5")),
        (85, "General", Decimal(85)),
    ],
)
def test_percentages(value: object, number_format: str, expected: Decimal) -> None:
    assert parse_number(value, number_format, percent=True) == expected


@pytest.mark.parametrize("value", ["abc", "12a", "85%", "1.2.3"])
def test_not_numbers(value: str) -> None:
    with pytest.raises(CellError):
        parse_number(value)


# --- empty markers, codes, booleans, MN, periods ---------------------------------------------


@pytest.mark.parametrize(
    "value", [None, "", " ", "\u3000", "—", "——", "/", "／", "无", "-", "－", "暂无"]
)
def test_empty_markers(value: object) -> None:
    assert is_empty(value)
    for kind in ("text", "number", "date", "credit_code", "code"):
        spec = ColumnSpec("x", "x", (), kind, codes="county" if kind == "code" else None)
        assert convert(spec, value, codes={}) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("尧都区", "尧都区"),
        ("尧都", "尧都区"),
        ("临汾市洪洞县", "洪洞县"),
        ("　侯马市 ", "侯马市"),
        ("古县", "古县"),
        ("全市", "全市"),
    ],
)
def test_county_spellings(registry: FormRegistry, text: str, expected: str) -> None:
    spec = ColumnSpec("county", "县区", (), "code", codes="county")
    assert convert(spec, text, codes=registry.codes) == expected


def test_unknown_code_lists_the_choices(registry: FormRegistry) -> None:
    spec = ColumnSpec("grade", "绩效等级", (), "code", codes="performance_grade")
    assert convert(spec, "B级", codes=registry.codes) == "B"
    assert convert(spec, "Ａ", codes=registry.codes) == "A"
    with pytest.raises(CellError, match="不在代码表〔绩效等级〕中，可填：引领性、A、B、C、D"):
        convert(spec, "E级", codes=registry.codes)


def test_booleans() -> None:
    assert parse_bool("√", ("√", "是"), ("×", "否")) is True
    assert parse_bool(" 否 ", ("√", "是"), ("×", "否")) is False
    with pytest.raises(CellError, match="应填"):
        parse_bool("也许", ("√", "是"), ("×", "否"))


def test_monitoring_device_numbers() -> None:
    assert parse_mn("14102431000000000001、ｍｎ1410243100000002", True) == [
        "14102431000000000001",
        "MN1410243100000002",
    ]
    with pytest.raises(CellError, match="只能填一个"):
        parse_mn("A1234567, B1234567", False)
    with pytest.raises(CellError, match="6至24位"):
        parse_mn("1" * 25, False)


@pytest.mark.parametrize(
    "text, granularity, expected",
    [
        ("sthjj_洪洞县_2026", "year", "2026"),
        ("fgw_2026年煤炭消费月报", "year", "2026"),
        ("2026年3月大气污染防治督查问题清单", "month", "2026-03"),
        ("gxj_退城入园台账_2026-03", "month", "2026-03"),
        ("report_202603", "month", "2026-03"),
        ("3月", "month", "2026-03"),
        ("二月", "month", "2026-02"),
        ("十二月", "month", "2026-12"),
        ("dqb_重点任务台账_2026-W11", "week", "2026-W11"),
        ("重点任务推进台账（2026年第11周）", "week", "2026-W11"),
        ("截至2026年3月15日", "week", "2026-W11"),
        ("2026年第一季度", "quarter", "2026-Q1"),
        ("2026年3月5日通报", "day", "2026-03-05"),
        ("dcs_2026_第3期", "month", None),
        ("煤炭消费", "year", None),
    ],
)
def test_periods(text: str, granularity: str, expected: str | None) -> None:
    assert parse_period(text, granularity, default_year=2026) == expected
