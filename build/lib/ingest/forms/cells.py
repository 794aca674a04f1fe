"""Cell validators and converters of the bureau forms: no workbook, no database.

Each converter takes a cell value as openpyxl returns it (str, int, float, datetime, None) and
returns the canonical value, or raises :class:`CellError` with a Chinese reason a bureau can act
on. Real-world spellings handled: full-width digits and letters, the empty markers ("—", "/",
"无", "-"...), trailing spaces, numbers stored as text ("1,234", "１２３"), percentages as strings
("85%") or percent-formatted cells, dates as text ("2026年3月5日", "2026.3.5", "20260305",
"6月底前"), as Excel serials or as date cells. The unified social credit code is checked per
GB 32100-2015 (charset, length, check character).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from ingest.forms.schema import CodeList, ColumnSpec, norm_label

EMPTY_MARKERS = frozenset(
    {"", "—", "——", "–", "-", "--", "－", "/", "／", "\\", "无", "暂无", "空", "N/A", "n/a", "NA"}
)
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 with Excel's 1900 leap-year bug
SERIAL_RANGE = (25569, 73415)  # 1970-01-01 .. 2100-12-31: plausible dates in a bureau form
CN_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SPACES = re.compile(r"[\s\u3000\xa0]+")
_DATE_PATTERNS = (
    re.compile(
        r"^(\d{4})[年\-./](\d{1,2})[月\-./](\d{1,2})[日号]?(?:前)?(?:\d{1,2}:\d{2}(?::\d{2})?)?$"
    ),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})[日号](?:前)?$")
_MONTH_END = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(?:份)?(?:底|末)(?:前|以前)?$")
_YEAR_END = re.compile(r"^(?:(\d{4})年)?(?:年底|年末)(?:前|以前)?$")


class CellError(ValueError):
    """A cell's value is not acceptable; ``reason`` (Chinese) says what the bureau must fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def clean_text(value: object) -> str:
    """The cell as trimmed text (leading/trailing spaces, full-width spaces, NBSP removed)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(" \t\r\n\u3000\xa0")


def is_empty(value: object) -> bool:
    """Empty cell or one of the markers bureaus write for "nothing here"."""
    if value is None:
        return True
    if isinstance(value, str):
        return nfkc(clean_text(value)) in EMPTY_MARKERS or clean_text(value) in EMPTY_MARKERS
    return False


def display(value: object) -> str:
    """How a cell value is shown in quarantine and feedback (dates ISO, floats as Excel shows them)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value)


# --- unified social credit code (GB 32100-2015) ---------------------------------------------


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17: 31 - (sum of value * 3^(i) mod 31) mod 31; 31 -> 0."""
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    check = 31 - total % 31
    return CREDIT_CHARSET[0 if check == 31 else check]


def validate_credit_code(value: object) -> str:
    """The canonical code (upper case, half-width, no spaces) or CellError."""
    code = _SPACES.sub("", nfkc(clean_text(value))).upper()
    if len(code) != 18:
        raise CellError(f"统一社会信用代码应为18位，实为{len(code)}位")
    bad = sorted({c for c in code if c not in CREDIT_CHARSET})
    if bad:
        raise CellError(
            f"统一社会信用代码含非法字符“{'、'.join(bad)}”（GB 32100-2015 不使用 I、O、S、V、Z）"
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise CellError(
            f"统一社会信用代码校验位错误：第18位为“{code[17]}”，按 GB 32100-2015 应为“{expected}”，请核对代码"
        )
    return code


# --- numbers ---------------------------------------------------------------------------------


def _from_float(value: float) -> Decimal:
    """Excel stores binary floats; 15 significant digits is what Excel itself shows."""
    return Decimal(format(value, ".15g"))


def parse_number(
    value: object,
    number_format: str = "General",
    units: tuple[tuple[str, Decimal], ...] = (),
    percent: bool = False,
) -> Decimal:
    """A number from a numeric cell or text ("1,234.5", "１２３", " 56 ", "3.5万吨", "85%")."""
    if isinstance(value, bool):
        raise CellError(f"“{value}”不是数字")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = _from_float(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        return _parse_number_text(value, units, percent)
    else:
        raise CellError(f"“{display(value)}”不是数字")
    if percent and "%" in number_format:
        number *= 100
    return number


def _parse_number_text(text: str, units: tuple[tuple[str, Decimal], ...], percent: bool) -> Decimal:
    raw = clean_text(text)
    s = _SPACES.sub("", nfkc(raw)).replace(",", "")
    factor = Decimal(1)
    if s.endswith("%"):
        if not percent:
            raise CellError(f"“{raw}”带百分号，本列应填数值")
        s = s[:-1]
    else:
        for unit, unit_factor in sorted(units, key=lambda u: -len(u[0])):
            u = norm_label(unit)
            if u and s.casefold().endswith(u):
                s, factor = s[: -len(u)], unit_factor
                break
    if not _NUMBER.match(s):
        raise CellError(f"“{raw}”不是数字")
    try:
        return Decimal(s) * factor
    except InvalidOperation as exc:
        raise CellError(f"“{raw}”不是数字") from exc


def json_number(number: Decimal) -> int | float | str:
    """JSON-safe exact form: int when integral, float when it round-trips, else the text."""
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    if Decimal(repr(as_float)) == number:
        return as_float
    return format(number, "f")


# --- dates -----------------------------------------------------------------------------------


def _date(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(f"日期“{raw}”不存在") from exc


def _month_end(year: int, month: int, raw: str) -> dt.date:
    if not 1 <= month <= 12:
        raise CellError(f"日期“{raw}”不存在")
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_date(value: object, default_year: int | None = None) -> dt.date:
    """A date from a date cell, an Excel serial, or text; "6月底前" is the month's last day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _date_from_number(value)
    raw = clean_text(value)
    s = _SPACES.sub("", nfkc(raw))
    for pattern in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    if _NUMBER.match(s) and "." not in s:
        return _date_from_number(int(s))
    year_hint = default_year
    m = _MONTH_END.match(s)
    if m and (m.group(1) or year_hint):
        return _month_end(int(m.group(1) or year_hint), int(m.group(2)), raw)
    m = _YEAR_END.match(s)
    if m and (m.group(1) or year_hint):
        return dt.date(int(m.group(1) or year_hint), 12, 31)
    m = _MONTH_DAY.match(s)
    if m and year_hint:
        return _date(year_hint, int(m.group(1)), int(m.group(2)), raw)
    raise CellError(f"无法识别的日期“{raw}”，请填写如 2026-03-05 或 2026年3月5日")


def _date_from_number(number: float) -> dt.date:
    if float(number).is_integer() and 19000101 <= number <= 21001231:
        text = str(int(number))
        return _date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
    if SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        return EXCEL_EPOCH + dt.timedelta(days=int(number))
    raise CellError(f"“{display(number)}”不是有效日期")


# --- periods (of a workbook or sheet) --------------------------------------------------------


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十") and len(text) == 2 and text[1] in CN_NUMERALS:
        return 10 + CN_NUMERALS[text[1]]
    if len(text) == 1 and text in CN_NUMERALS:
        return CN_NUMERALS[text]
    return None


_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_MONTH_PATTERNS = (
    re.compile(r"(20\d{2})年(\d{1,2}|[一二三四五六七八九十]{1,2})月"),
    re.compile(r"(?<!\d)(20\d{2})[-._](\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(?!\d)"),
)
_BARE_MONTH = re.compile(r"(?<![\d年])(\d{1,2}|[一二三四五六七八九十]{1,2})月")
_WEEK_PATTERNS = (
    re.compile(r"(20\d{2})-?W(\d{1,2})(?!\d)", re.IGNORECASE),
    re.compile(r"(20\d{2})年第(\d{1,2})周"),
)
_BARE_WEEK = re.compile(r"第(\d{1,2})周")
_QUARTER_PATTERNS = (
    re.compile(r"(20\d{2})-?Q([1-4])", re.IGNORECASE),
    re.compile(r"(20\d{2})年第?([1-4一二三四])季度"),
)
_DAY_PATTERNS = (
    re.compile(r"(20\d{2})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(?<!\d)(20\d{2})[-.](\d{1,2})[-.](\d{1,2})(?!\d)"),
)


def parse_period(text: str, granularity: str, default_year: int | None = None) -> str | None:
    """The period a file name, title or sheet name states, as 2026 / 2026-Q1 / 2026-03 /
    2026-W10 / 2026-03-05; None when the text states none."""
    s = _SPACES.sub("", nfkc(text))
    if granularity == "year":
        m = _YEAR.search(s)
        return m.group(1) if m else None
    if granularity == "month":
        for pattern in _MONTH_PATTERNS:
            m = pattern.search(s)
            if m:
                month = _cn_number(m.group(2))
                if month is not None and 1 <= month <= 12:
                    return f"{m.group(1)}-{month:02d}"
        m = _BARE_MONTH.search(s)
        if m and default_year:
            month = _cn_number(m.group(1))
            if month is not None and 1 <= month <= 12:
                return f"{default_year}-{month:02d}"
        return None
    if granularity == "week":
        for pattern in _WEEK_PATTERNS:
            m = pattern.search(s)
            if m and 1 <= int(m.group(2)) <= 53:
                return f"{m.group(1)}-W{int(m.group(2)):02d}"
        m = _BARE_WEEK.search(s)
        if m and default_year and 1 <= int(m.group(1)) <= 53:
            return f"{default_year}-W{int(m.group(1)):02d}"
        day = parse_period(s, "day")
        if day:
            year, week, _ = dt.date.fromisoformat(day).isocalendar()
            return f"{year}-W{week:02d}"
        return None
    if granularity == "quarter":
        for pattern in _QUARTER_PATTERNS:
            m = pattern.search(s)
            if m:
                return f"{m.group(1)}-Q{_cn_number(m.group(2))}"
        return None
    if granularity == "day":
        for pattern in _DAY_PATTERNS:
            m = pattern.search(s)
            if m:
                try:
                    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
                except ValueError:
                    return None
        return None
    raise ValueError(f"unknown granularity {granularity}")


def period_year(period: str) -> int:
    return int(period[:4])


# --- codes, booleans, monitoring device numbers ----------------------------------------------


def resolve_code(value: object, codes: CodeList) -> str:
    raw = clean_text(value)
    canonical = codes.resolve(raw)
    if canonical is None:
        options = "、".join(codes.canonical[:12]) + ("等" if len(codes.canonical) > 12 else "")
        raise CellError(f"“{raw}”不在代码表〔{codes.label}〕中，可填：{options}")
    return canonical


def parse_bool(value: object, true_words: tuple[str, ...], false_words: tuple[str, ...]) -> bool:
    raw = clean_text(value)
    key = norm_label(raw)
    if key in {norm_label(w) for w in true_words}:
        return True
    if key in {norm_label(w) for w in false_words}:
        return False
    raise CellError(f"“{raw}”应填“{true_words[0]}”或“{false_words[0]}”")


_MN = re.compile(r"^[0-9A-Z]{6,24}$")
_LIST_SEPARATORS = re.compile(r"[,;、\s]+")


def parse_mn(value: object, multiple: bool) -> str | list[str]:
    """HJ 212 device number(s) (MN, at most 24 letters or digits); several split on 、,;."""
    raw = clean_text(value)
    parts = [p for p in _LIST_SEPARATORS.split(nfkc(raw).upper()) if p]
    if not parts:
        raise CellError("设备编号（MN）为空")
    if len(parts) > 1 and not multiple:
        raise CellError(f"本列只能填一个设备编号（MN），实填{len(parts)}个")
    for part in parts:
        if not _MN.match(part):
            raise CellError(f"设备编号（MN）“{part}”应为6至24位字母或数字（HJ 212）")
    return parts if multiple else parts[0]


# --- one cell of a column --------------------------------------------------------------------


def convert(
    spec: ColumnSpec,
    value: object,
    number_format: str = "General",
    codes: dict[str, CodeList] | None = None,
    default_year: int | None = None,
    header_factor: Decimal | None = None,
) -> object:
    """The JSON-ready canonical value of one cell (None when empty), or CellError."""
    if is_empty(value):
        return None
    kind = spec.type
    if kind == "serial":
        text = clean_text(value)
        return int(text) if text.isdigit() else text
    if kind == "text":
        text = clean_text(value)
        if spec.pattern and not re.fullmatch(spec.pattern, nfkc(text)):
            raise CellError(f"“{text}”格式不对：{spec.pattern_hint or spec.pattern}")
        return text
    if kind == "code":
        assert codes is not None and spec.codes is not None
        return resolve_code(value, codes[spec.codes])
    if kind == "credit_code":
        return validate_credit_code(value)
    if kind == "mn":
        return parse_mn(value, spec.multiple)
    if kind == "bool":
        return parse_bool(value, spec.true_words, spec.false_words)
    if kind == "date":
        text = clean_text(value) if isinstance(value, str) else None
        if text is not None and norm_label(text) in {norm_label(t) for t in spec.text_values}:
            return None  # an accepted text such as 长期坚持: no date; the raw cell keeps the words
        return parse_date(value, default_year).isoformat()
    if kind in ("integer", "number", "percent"):
        number = parse_number(value, number_format, spec.units, percent=kind == "percent")
        if header_factor is not None and not isinstance(value, str):
            number *= header_factor
        elif header_factor is not None and isinstance(value, str):
            number = _text_with_header_unit(value, spec, header_factor, number_format)
        return _check_range(spec, number)
    raise CellError(f"unknown type {kind}")


def _text_with_header_unit(
    value: str, spec: ColumnSpec, header_factor: Decimal, number_format: str
) -> Decimal:
    """A number as text under a header with a unit: the unit written in the cell wins."""
    plain = _SPACES.sub("", nfkc(clean_text(value))).replace(",", "")
    if _NUMBER.match(plain.rstrip("%")):
        return (
            parse_number(value, number_format, (), percent=spec.type == "percent") * header_factor
        )
    return parse_number(value, number_format, spec.units, percent=spec.type == "percent")


def _check_range(spec: ColumnSpec, number: Decimal) -> int | float | str:
    if spec.type == "integer" and number != number.to_integral_value():
        raise CellError(f"“{display(number)}”应为整数")
    if spec.min is not None and number < spec.min:
        raise CellError(f"数值{display(number)}小于下限{spec.min}")
    if spec.max is not None and number > spec.max:
        raise CellError(f"数值{display(number)}大于上限{spec.max}")
    return json_number(number.normalize() if number != 0 else Decimal(0))
