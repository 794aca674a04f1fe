"""Deterministic sample of every bureau form, written as bureaus really fill them in.

``generate_forms(profile_path, out_dir, seed, as_of)`` writes ``<out_dir>/forms/<form_id>/
<bureau>_<scope?>_<period>.xlsx`` (re-sent versions under ``<out_dir>/revisions/forms/``) and
returns a :class:`Summary` that says, per workbook, the rows written, the rows that must be
rejected (and which cells), the exact duplicates, and the messy features used, so tests can
check the loader against it. Features: title rows, two-row merged headers, a column-number row,
cells merged down (an enterprise over its production lines), section banner rows, totals, blank
pre-numbered rows, notes below the data, hidden sheets, one sheet per month, one workbook per
county, full-width digits, empty markers (— / 无 -), dates as text / Excel serials / date
cells / "6月底前", numbers as text, trailing spaces, percentages as strings, units in headers.

Consistency with the feeds: when ``config/device_registry.csv`` (beside the profile) exists, the
emergency list's MNs and enterprises are its CEMS devices and the sites' dust-monitor MNs its
dust devices; otherwise MNs follow :func:`mn_for` (division code + HJ 212 ST + sequence).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import random
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ingest.forms.cells import (
    EXCEL_EPOCH,
    CellError,
    credit_code_check_char,
    parse_mn,
    validate_credit_code,
)
from ingest.forms.schema import FORMS_DIR, CodeList, load_code_lists
from samples.forms_xlsx import HeaderItem, SheetSpec, Styled, write_workbook
from samples.hj212 import COUNTY_CODES

FORM_IDS = (
    "emergency_list",
    "construction_site",
    "site_inspection",
    "coal_consumption",
    "relocation",
    "dual_substitution",
    "key_task",
    "inspection",
    "accountability",
    "leader_district",
    "annual_target",
)
REGISTRY_FILE = "device_registry.csv"
# Administrative division codes of Linfen's counties (GB/T 2260; sample use, verify).
COUNTY_DIVISIONS = COUNTY_CODES
HJ212_ST = {"cems": "31", "dust": "39", "micro_station": "22"}
INDUSTRY_LINES = {
    "钢铁": ("1#烧结机", "1#高炉", "1#转炉", "2#烧结机"),
    "焦化": ("1#焦炉", "2#焦炉", "干熄焦", "3#焦炉"),
    "电力": ("1#机组", "2#机组"),
    "水泥": ("熟料生产线", "水泥粉磨站"),
    "铸造": ("熔炼工序", "造型制芯"),
    "铁合金": ("1#矿热炉", "2#矿热炉"),
    "炭素": ("焙烧炉", "煅烧炉"),
    "耐火材料": ("隧道窑", "梭式窑"),
    "砖瓦窑": ("隧道窑",),
    "石灰窑": ("1#石灰窑", "2#石灰窑"),
    "玻璃": ("浮法玻璃线",),
    "陶瓷": ("辊道窑", "喷雾干燥塔"),
    "化工": ("合成氨装置", "尿素装置", "甲醇装置"),
    "有色金属": ("电解槽系列", "熔铸车间"),
    "涉VOCs行业": ("喷涂线", "印刷线"),
}
INDUSTRY_WORDS = {
    "钢铁": "钢铁",
    "焦化": "焦化",
    "电力": "发电",
    "水泥": "水泥",
    "铸造": "铸业",
    "铁合金": "铁合金",
    "炭素": "炭素",
    "耐火材料": "耐火材料",
    "砖瓦窑": "新型建材",
    "石灰窑": "钙业",
    "玻璃": "玻璃",
    "陶瓷": "陶瓷",
    "化工": "化工",
    "有色金属": "铝业",
    "涉VOCs行业": "包装印刷",
}
TRADE_NAMES = (
    "宏达 鑫源 恒泰 金晖 华鑫 瑞丰 晋峰 汇丰 东方 建龙 立恒 三维 永鑫 鼎盛 泰和 兴盛 安泰 通达 中升 天宇 "
    "晋南 尧王 汾河 平阳 华盛 博远 宏图 金源 广厦 恒信 德润 嘉禾 福瑞 新源 同盛 聚源 海鑫 昌盛 龙腾 众和"
).split()
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 胡 郭 何 高 林 罗 郑 梁 宋 谢 韩 唐 冯 董 薛 曹 田".split()
GIVEN = "建国 志强 海涛 丽娟 晓东 文斌 红梅 卫东 国华 振华 秀英 俊峰 晓燕 立新 建军 永刚 玉兰 明亮 雪梅 宏伟".split()
GRADE_MEASURES = {
    "引领性": ("自主减排", "自主减排", "自主减排"),
    "A": ("自主减排", "自主减排", "限产10%"),
    "B": ("限产10%", "限产20%", "限产30%"),
    "C": ("限产20%", "限产30%", "限产50%"),
    "D": ("限产30%", "限产50%", "停产"),
}
TASK_CATEGORIES = (
    ("产业结构调整", 7),
    ("能源结构调整", 7),
    ("运输结构调整", 8),
    ("扬尘污染治理", 8),
    ("工业污染深度治理", 8),
    ("散乱污治理", 5),
    ("重污染天气应对", 6),
    ("面源污染治理", 5),
    ("监测监控能力建设", 6),
)
CN_ORDINALS = "一二三四五六七八九十"
CN_MONTHS = (
    "一月",
    "二月",
    "三月",
    "四月",
    "五月",
    "六月",
    "七月",
    "八月",
    "九月",
    "十月",
    "十一月",
    "十二月",
)
UNITS = (
    "市生态环境局 市工信局 市住建局 市发改委 市交通局 市公安局交警支队 市城管局 市自然资源局 "
    "市农业农村局 市商务局 市能源局 市气象局 各县（市、区）政府"
).split()
LEADER_POSTS = (
    "市委书记",
    "市长",
    "市委副书记",
    "常务副市长",
    "副市长",
    "市委常委",
    "市人大常委会副主任",
    "市政协副主席",
)


@dataclass(frozen=True)
class Device:
    mn: str
    kind: str
    name: str
    credit_code: str
    county: str
    industry: str
    outlet_id: str = ""
    outlet_name: str = ""


@dataclass(frozen=True)
class Line:
    name: str
    outlets: tuple[str, ...]
    mns: tuple[str, ...]


@dataclass(frozen=True)
class Enterprise:
    name: str
    credit_code: str
    county: str
    industry: str
    grade: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    county: str
    site_type: str
    builder: str
    contractor: str
    area: Decimal  # 万平方米
    people: tuple[str, str, str, str, str]  # leader + four supervisors
    mn: str | None
    start: dt.date
    completion: dt.date


@dataclass(frozen=True)
class BadCell:
    sheet: str
    row: int
    field: str
    kind: str


@dataclass
class GeneratedWorkbook:
    form_id: str
    path: str  # relative to out_dir, posix
    scope: str
    periods: list[str] = field(default_factory=list)
    rows_in: int = 0
    rejected_rows: int = 0
    duplicates: int = 0
    bad_cells: list[BadCell] = field(default_factory=list)
    features: set[str] = field(default_factory=set)
    revision: bool = False
    facts: dict[str, Any] = field(default_factory=dict)  # values tests can look up

    @property
    def loaded(self) -> int:
        return self.rows_in - self.rejected_rows - self.duplicates


@dataclass
class Summary:
    out_dir: Path
    seed: int
    as_of: dt.date
    workbooks: list[GeneratedWorkbook] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # path -> what is wrong
    registry_used: bool = False
    notes: list[str] = field(default_factory=list)

    def of_form(self, form_id: str) -> list[GeneratedWorkbook]:
        return [w for w in self.workbooks if w.form_id == form_id]

    @property
    def features(self) -> set[str]:
        return set().union(*(w.features for w in self.workbooks))

    def render(self) -> str:
        lines = [f"bureau-form sample: seed {self.seed}, as of {self.as_of}, into {self.out_dir}"]
        for form_id in FORM_IDS:
            books = self.of_form(form_id)
            lines.append(
                f"  {form_id}: {len(books)} workbooks, rows {sum(b.rows_in for b in books)}, "
                f"to reject {sum(b.rejected_rows for b in books)}, duplicates "
                f"{sum(b.duplicates for b in books)}"
            )
        lines += [f"  broken: {path} ({why})" for path, why in self.broken.items()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# --- identifiers ------------------------------------------------------------------------------


def organization_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) with its own check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(rng: random.Random, division: str, kind: str = "91") -> str:
    """A valid unified social credit code (GB 32100-2015): kind + division + org code + check."""
    first17 = kind + division + organization_code(rng)
    return first17 + credit_code_check_char(first17)


def spoil_check_char(code: str) -> str:
    """The same code with a wrong 18th character (a typical typo)."""
    good = code[17]
    for candidate in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if candidate != good:
            return code[:17] + candidate
    raise AssertionError("unreachable")


def mn_for(kind: str, division: str, sequence: int) -> str:
    """Sample HJ 212 device number: 6-digit division + 2-digit ST + 16-digit sequence (24 chars)."""
    return f"{division}{HJ212_ST[kind]}{sequence:016d}"


def division_of(county: str, counties: Sequence[str]) -> str:
    return COUNTY_DIVISIONS.get(county, f"1410{90 + counties.index(county) % 10:02d}")


# --- messy spellings --------------------------------------------------------------------------


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def date_variant(day: dt.date, rng: random.Random, kinds: Sequence[str] | None = None) -> object:
    kind = rng.choice(kinds or ("cell", "cn", "dot", "serial", "slash", "compact"))
    if kind == "cell":
        return dt.datetime(day.year, day.month, day.day)
    if kind == "cn":
        return f"{day.year}年{day.month}月{day.day}日"
    if kind == "dot":
        return f"{day.year}.{day.month}.{day.day}"
    if kind == "serial":
        return (day - EXCEL_EPOCH).days
    if kind == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if kind == "md":
        return f"{day.month}月{day.day}日"
    return day.strftime("%Y%m%d")


def number_variant(value: Decimal, rng: random.Random) -> object:
    kind = rng.choice(("number", "number", "text", "thousands", "fullwidth", "spaced"))
    plain = format(value, "f")
    if kind == "number":
        return int(value) if value == value.to_integral_value() else float(value)
    if kind == "text":
        return plain
    if kind == "thousands":
        whole, _, frac = plain.partition(".")
        return f"{int(whole):,}" + (f".{frac}" if frac else "")
    if kind == "fullwidth":
        return fullwidth(plain)
    return f" {plain} "


def percent_variant(pct: Decimal, rng: random.Random) -> object:
    kind = rng.choice(("string", "fullwidth", "cell", "number"))
    text = format(pct.normalize(), "f")
    if kind == "string":
        return f"{text}%"
    if kind == "fullwidth":
        return f"{text}％"
    if kind == "cell":
        return Styled(float(pct / 100), "0.0%")
    return float(pct)


def spaced(text: str, rng: random.Random) -> str:
    return text + rng.choice((" ", "  ", "\u3000"))


def empty_marker(rng: random.Random) -> str | None:
    return rng.choice(("—", "/", "无", "-", None))


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def stem(county: str) -> str:
    return county[:-1] if len(county) > 2 else county


# --- a workbook under construction -----------------------------------------------------------


class _Book:
    """Sheets of one workbook and what the loader must make of them."""

    def __init__(self, form_id: str, rel: str, scope: str, revision: bool = False) -> None:
        self.meta = GeneratedWorkbook(form_id, rel, scope, revision=revision)
        self.sheets: list[SheetSpec] = []
        self.expect: list[tuple[str, dict[int, list[tuple[str, str]]], set[int]]] = []

    def add(
        self,
        spec: SheetSpec,
        period: str | None,
        bad: dict[int, list[tuple[str, str]]] | None = None,
        duplicates: set[int] | None = None,
    ) -> None:
        self.sheets.append(spec)
        if spec.hidden or period is None:
            return
        if period not in self.meta.periods:
            self.meta.periods.append(period)
        self.expect.append((spec.name, bad or {}, duplicates or set()))

    def write(self, out_dir: Path) -> GeneratedWorkbook:
        positions = write_workbook(out_dir / self.meta.path, self.sheets)
        by_name = {s.name: s for s in self.sheets}
        for name, bad, duplicates in self.expect:
            self.meta.rows_in += len(by_name[name].rows)
            self.meta.rejected_rows += len(bad)
            self.meta.duplicates += len(duplicates)
            for index, cells in bad.items():
                for field_name, kind in cells:
                    self.meta.bad_cells.append(
                        BadCell(name, positions[name][index], field_name, kind)
                    )
        return self.meta


# --- the city's entities ----------------------------------------------------------------------


def read_device_registry(path: Path) -> list[Device]:
    """config/device_registry.csv (another engineer's file): tolerant of its exact column names."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))

    def pick(row: dict[str, str], *names: str) -> str:
        for name in names:
            if row.get(name):
                return row[name].strip()
        return ""

    devices = []
    for row in rows:
        mn = pick(row, "mn", "MN")
        if not mn:
            continue
        devices.append(
            Device(
                mn=mn,
                kind=pick(row, "kind", "type").lower(),
                name=pick(
                    row, "enterprise", "enterprise_name", "site", "site_name", "name", "owner"
                ),
                credit_code=pick(row, "uscc", "credit_code", "unified_social_credit_code"),
                county=pick(row, "county"),
                industry=pick(row, "industry"),
                outlet_id=pick(row, "outlet_id"),
                outlet_name=pick(row, "outlet_name"),
            )
        )
    return devices


def _enterprise_name(rng: random.Random, county: str, industry: str, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(('山西', '临汾', '山西' + stem(county)))}{rng.choice(TRADE_NAMES)}{INDUSTRY_WORDS[industry]}有限公司"
        if name not in used:
            used.add(name)
            return name


def _grade(rng: random.Random) -> str:
    return rng.choices(("引领性", "A", "B", "C", "D"), weights=(2, 8, 30, 45, 15))[0]


@functools.cache
def _industry_codes() -> CodeList:
    profile = {"city": {"name": "", "counties": []}}
    return load_code_lists(FORMS_DIR, profile)[0]["industry"]


def industry_of(text: str) -> str | None:
    """The emergency list's industry a registry industry names (via the code list's spellings)."""
    return _industry_codes().resolve(text) if text else None


def _valid_code(code: str) -> bool:
    try:
        return validate_credit_code(code) == code
    except CellError:
        return False


def _registry_lines(group: list[Device], names: Sequence[str], notes: list[str]) -> list[Line]:
    """One production line per registry outlet (its name, else the industry's line names)."""
    outlets: dict[str, list[Device]] = {}
    for device in group:
        try:
            parse_mn(device.mn, multiple=False)
        except CellError as exc:
            notes.append(f"registry MN {device.mn!r} left off the emergency list: {exc.reason}")
            continue
        outlets.setdefault(device.outlet_name or device.outlet_id or device.mn, []).append(device)
    lines = []
    for i, devices in enumerate(outlets.values()):
        first = devices[0]
        name = first.outlet_name or names[i % len(names)] + ("" if i < len(names) else f"-{i}")
        outlet_ids = tuple(dict.fromkeys(d.outlet_id or f"DA{i + 1:03d}" for d in devices))
        lines.append(Line(name, outlet_ids, tuple(d.mn for d in devices)))
    return lines


def build_enterprises(
    rng: random.Random,
    counties: list[str],
    devices: list[Device],
    total: int = 120,
    mn_start: int = 0,
    notes: list[str] | None = None,
) -> list[Enterprise]:
    """The emergency list's enterprises: the registry's CEMS owners first, then generated ones."""
    notes = notes if notes is not None else []
    industries = list(INDUSTRY_LINES)
    used: set[str] = set()
    out: list[Enterprise] = []
    groups: dict[str, list[Device]] = {}
    for device in devices:
        if device.kind == "cems":
            groups.setdefault(device.credit_code or device.name, []).append(device)
    for group in groups.values():
        first = group[0]
        county = first.county if first.county in counties else rng.choice(counties)
        industry = industry_of(first.industry) or rng.choice(industries)
        if industry_of(first.industry) is None:
            notes.append(
                f"registry industry {first.industry!r} of {first.name} is not in the list's 15 industries: listed as {industry}"
            )
        code = first.credit_code
        if not _valid_code(code):
            notes.append(f"registry credit code {code!r} of {first.name} is not valid: replaced")
            code = credit_code(rng, division_of(county, counties))
        lines = _registry_lines(group, INDUSTRY_LINES[industry], notes)
        if not lines:
            continue
        name = first.name or _enterprise_name(rng, county, industry, used)
        used.add(name)
        out.append(Enterprise(name, code, county, industry, _grade(rng), tuple(lines)))
    weights = [
        6 if c in ("尧都区", "洪洞县", "襄汾县", "侯马市", "霍州市", "曲沃县") else 1
        for c in counties
    ]
    sequence = mn_start
    while len(out) < total:
        county = rng.choices(counties, weights=weights)[0]
        industry = rng.choice(industries)
        division = division_of(county, counties)
        names = INDUSTRY_LINES[industry]
        lines = []
        for i in range(rng.randint(1, min(3, len(names)))):
            outlets = tuple(f"DA{i * 2 + k + 1:03d}" for k in range(rng.randint(1, 2)))
            mns: list[str] = []
            if not devices and rng.random() < 0.6:
                for _ in outlets:
                    sequence += 1
                    mns.append(mn_for("cems", division, sequence))
            lines.append(Line(names[i], outlets, tuple(mns)))
        name = _enterprise_name(rng, county, industry, used)
        out.append(
            Enterprise(
                name, credit_code(rng, division), county, industry, _grade(rng), tuple(lines)
            )
        )
    return out


SITE_TYPES = (
    "房屋建筑",
    "房屋建筑",
    "房屋建筑",
    "市政工程",
    "道路工程",
    "水利工程",
    "拆迁工程",
    "园林绿化",
)
SITE_WORDS = (
    "滨河花园",
    "锦绣华府",
    "尧都新城",
    "汾河湾",
    "鼓楼西街",
    "平阳南街",
    "滨河东路",
    "五一西路",
    "学府名苑",
    "阳光家园",
)


def build_sites(
    rng: random.Random, counties: list[str], devices: list[Device], as_of: dt.date, total: int = 60
) -> list[Site]:
    dust = [d for d in devices if d.kind == "dust"]
    weights = [
        10 if c == "尧都区" else 3 if c in ("侯马市", "霍州市", "洪洞县") else 1 for c in counties
    ]
    sites = []
    for i in range(max(total, len(dust))):
        device = dust[i] if i < len(dust) else None
        county = (
            device.county
            if device and device.county in counties
            else rng.choices(counties, weights=weights)[0]
        )
        division = division_of(county, counties)
        kind = rng.choice(SITE_TYPES)
        name = (device.name if device and device.name else None) or (
            f"{stem(county)}{rng.choice(SITE_WORDS)}{CN_ORDINALS[rng.randint(0, 3)]}期{'项目' if kind != '道路工程' else '道路改造工程'}"
        )
        start = as_of - dt.timedelta(days=rng.randint(30, 400))
        # with a registry, only its dust devices send packets; without, the scheme's MNs do
        generated = mn_for("dust", division, i + 1) if rng.random() < 0.85 else None
        mn = device.mn if device else None if devices else generated
        sites.append(
            Site(
                code=f"GD-{division}-{i + 1:03d}",
                name=name,
                county=county,
                site_type=kind,
                builder=f"临汾市{rng.choice(TRADE_NAMES)}置业有限公司",
                contractor=f"山西{rng.choice(TRADE_NAMES)}建设集团有限公司",
                area=Decimal(rng.randint(5, 400)) / 10,
                people=(person(rng), person(rng), person(rng), person(rng), person(rng)),
                mn=mn,
                start=start,
                completion=start + dt.timedelta(days=rng.randint(200, 900)),
            )
        )
    return sites


# --- the forms --------------------------------------------------------------------------------


@dataclass
class _Context:
    out_dir: Path
    rng: random.Random
    as_of: dt.date
    city: str
    counties: list[str]
    targets: dict[str, Any]
    enterprises: list[Enterprise]
    sites: list[Site]
    seed: int

    def fork(self, name: str) -> random.Random:
        return random.Random(self.seed * 1000 + zlib.crc32(name.encode()))


def _month(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def _previous_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


EMERGENCY_NOTES = [
    "注：1.绩效等级按《重污染天气重点行业应急减排措施制定技术指南》评定，填A/B/C/D或引领性。",
    "2.在线监测设备编号填污染源自动监控设备MN号；无在线监测的填“无”。",
    "填报人：            审核人：            联系电话：",
]


def _emergency_sheet(
    ctx: _Context,
    rng: random.Random,
    county: str,
    firms: list[Enterprise],
    year: int,
    bad_plan: list[str],
) -> tuple[SheetSpec, dict[int, list[tuple[str, str]]]]:
    header: list[HeaderItem] = [
        "序号",
        "企业名称",
        "统一社会信用代码",
        rng.choice(("所在县（市、区）", "县区")),
        "行业类别",
        rng.choice(("绩效等级", "绩效分级")),
        "生产线/工序",
        "排放口编号",
        rng.choice(("在线监测设备编号（MN）", "MN号")),
        ("应急减排措施", ["黄色预警", "橙色预警", "红色预警"]),
    ]
    rows: list[list[object]] = []
    merges: list[tuple[int, int, int]] = []
    bad: dict[int, list[tuple[str, str]]] = {}
    for n, firm in enumerate(firms, start=1):
        first = len(rows)
        code: str = firm.credit_code
        if rng.random() < 0.15:
            code = fullwidth(code)
        elif rng.random() < 0.2:
            code = spaced(code, rng)
        county_text: str = rng.choice(
            (
                county,
                county,
                stem(county) if len(stem(county)) >= 2 else county,
                spaced(county, rng),
            )
        )
        grade_text = rng.choice(
            (firm.grade, firm.grade, f"{firm.grade}级" if firm.grade != "引领性" else firm.grade)
        )
        yellow, orange, red = GRADE_MEASURES[firm.grade]
        if bad_plan and n == 2:
            kind = bad_plan.pop()
            if kind == "credit_check":
                code = spoil_check_char(firm.credit_code)
                bad[first] = [("credit_code", kind)]
            elif kind == "grade_code":
                grade_text = "E级"
                bad[first] = [("performance_grade", kind)]
        for i, line in enumerate(firm.lines):
            mn = "、".join(line.mns) if line.mns else empty_marker(rng)
            lead = (
                [n, firm.name, code, county_text, firm.industry, grade_text]
                if i == 0
                else [None] * 6
            )
            rows.append(
                [
                    *lead,
                    line.name,
                    "、".join(line.outlets),
                    mn,
                    f"{line.name}{yellow}",
                    f"{line.name}{orange}",
                    f"{line.name}{red}",
                ]
            )
            if i > 0 and first in bad:
                bad[len(rows) - 1] = list(
                    bad[first]
                )  # merged down: the bad cell repeats on each line
        merges += [(col, first, len(rows) - 1) for col in range(1, 7)]
    spec = SheetSpec(
        name="应急减排清单",
        title_lines=[
            f"{county}{year}年重污染天气应急减排清单",
            f"填报单位：{county}生态环境分局（盖章）          填报日期：{ctx.as_of.year}年{ctx.as_of.month}月{ctx.as_of.day}日",
        ],
        header=header,
        rows=rows,
        notes=EMERGENCY_NOTES,
        merge_down=merges,
    )
    return spec, bad


def _codes_sheet() -> SheetSpec:
    return SheetSpec(
        name="代码表",
        title_lines=[],
        header=["行业类别", "绩效等级"],
        rows=[
            [industry, grade]
            for industry, grade in zip(
                INDUSTRY_LINES, ("引领性", "A", "B", "C", "D") * 3, strict=False
            )
        ],
        hidden=True,
    )


def gen_emergency_list(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("emergency_list")
    year = ctx.as_of.year
    by_county: dict[str, list[Enterprise]] = {}
    for firm in ctx.enterprises:
        by_county.setdefault(firm.county, []).append(firm)
    books = []
    bad_counties = [c for c in ctx.counties if len(by_county.get(c, [])) >= 3][:2]
    for county in ctx.counties:
        firms = by_county.get(county)
        if not firms:
            continue
        plan = (
            ["credit_check"]
            if county == bad_counties[0]
            else ["grade_code"]
            if county in bad_counties[1:]
            else []
        )
        book = _Book("emergency_list", f"forms/emergency_list/sthjj_{county}_{year}.xlsx", county)
        spec, bad = _emergency_sheet(ctx, rng, county, firms, year, plan)
        book.add(spec, str(year), bad)
        book.add(_codes_sheet(), None)
        book.meta.features |= {
            "title_rows",
            "two_row_header",
            "merged_down",
            "notes_below",
            "hidden_sheet",
            "workbook_per_county",
            "empty_markers",
            "fullwidth_digits",
            "trailing_spaces",
        }
        books.append(book.write(ctx.out_dir))
    # re-sent list of the first county with a bad cell: fixed, one grade changed, one firm added
    county = bad_counties[0]
    firms = list(by_county[county])
    changed = firms[0]
    new_grade = "B" if changed.grade != "B" else "A"
    firms[0] = Enterprise(
        changed.name,
        changed.credit_code,
        changed.county,
        changed.industry,
        new_grade,
        changed.lines,
    )
    added = build_enterprises(ctx.fork("emergency_list/added"), [county], [], 1, mn_start=9000)[0]
    firms.append(added)
    book = _Book(
        "emergency_list",
        f"revisions/forms/emergency_list/sthjj_{county}_{year}_更正.xlsx",
        county,
        revision=True,
    )
    spec, bad = _emergency_sheet(ctx, ctx.fork("emergency_list/revision"), county, firms, year, [])
    book.add(spec, str(year), bad)
    book.meta.features |= {"revision", "title_rows", "two_row_header", "merged_down"}
    book.meta.facts = {
        "changed_credit_code": changed.credit_code,
        "old_grade": changed.grade,
        "new_grade": new_grade,
        "added_credit_code": added.credit_code,
        "superseded": next(b.path for b in books if b.scope == county),
    }
    books.append(book.write(ctx.out_dir))
    return books


def _site_row(site: Site, rng: random.Random, area_unit: str) -> list[object]:
    area = site.area if area_unit == "万平方米" else site.area * 10000
    return [
        None,
        spaced(site.code, rng) if rng.random() < 0.1 else site.code,
        site.name,
        site.site_type
        if rng.random() < 0.7
        else {"房屋建筑": "房建", "市政工程": "市政", "道路工程": "道路", "拆迁工程": "拆除"}.get(
            site.site_type, site.site_type
        ),
        spaced(site.county, rng) if rng.random() < 0.2 else site.county,
        site.builder,
        site.contractor,
        number_variant(area, rng),
        *_supervision(site),
        site.mn if site.mn else empty_marker(rng),
        date_variant(site.start, rng),
        date_variant(site.completion, rng),
    ]


def _supervision(site: Site) -> list[object]:
    """The "1+4" cells: every 7th site leaves its urban-management supervisor empty."""
    people: list[object] = list(site.people)
    if int(site.code[-3:]) % 7 == 3:
        people[3] = "—"
    return people


def gen_construction_site(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("construction_site")
    books = []
    current = ctx.as_of
    for month_day, sites, unit in (
        (_previous_month(current), ctx.sites[:-3], "平方米"),
        (current, ctx.sites, "万平方米"),
    ):
        period = _month(month_day)
        rows = [_site_row(s, rng, unit) for s in sites]
        for i, row in enumerate(rows, start=1):
            row[0] = i
        bad: dict[int, list[tuple[str, str]]] = {}
        if month_day == current:
            rows[4][3] = "厂房"
            bad[4] = [("site_type", "unknown_code")]
            rows[9][15] = date_variant(sites[9].start - dt.timedelta(days=10), rng, ("cn",))
            bad[9] = [("planned_completion", "check_completion_before_start")]
        spec = SheetSpec(
            name="工地清单",
            title_lines=[
                f"临汾市施工工地扬尘管控清单（{month_day.year}年{month_day.month}月）",
                "填报单位：临汾市住房和城乡建设局",
            ],
            header=[
                "序号",
                "工地编号",
                "项目名称",
                "工地类型",
                "所在县（市、区）",
                "建设单位",
                "施工单位",
                f"建筑面积（{unit}）",
                (
                    "“1+4”监管责任人",
                    ["包联领导", "住建部门", "生态环境部门", "城管部门", "乡镇（街道）"],
                ),
                "扬尘在线监测设备编号（MN）",
                "开工日期",
                "计划竣工日期",
            ],
            rows=rows,
            notes=["注：“1+4”指1名包联领导和住建、生态环境、城管、属地乡镇（街道）4名监管责任人。"],
            blank_rows=5,
        )
        book = _Book(
            "construction_site",
            f"forms/construction_site/zjj_施工工地清单_{month_day.year}年{month_day.month}月.xlsx",
            "全市",
        )
        book.add(spec, period, bad)
        book.meta.features |= {
            "title_rows",
            "two_row_header",
            "blank_numbered_rows",
            "units_in_header",
            "dates_mixed",
            "numbers_as_text",
            "notes_below",
        }
        book.meta.facts = {"sites": len(sites), "unit": unit}
        books.append(book.write(ctx.out_dir))
    return books


MEASURE_LABELS = (
    "周边围挡",
    "物料堆放覆盖",
    "土方开挖湿法作业",
    "路面硬化",
    "出入车辆清洗",
    "渣土车辆密闭运输",
    "在线监测和视频监控",
)


def gen_site_inspection(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("site_inspection")
    first = ctx.as_of.replace(day=1)
    days = max(1, (ctx.as_of - first).days + 1)
    rows: list[list[object]] = []
    used: set[tuple[str, dt.date]] = set()
    while len(rows) < 40:
        site = rng.choice(ctx.sites)
        day = first + dt.timedelta(days=rng.randrange(days))
        if (site.code, day) in used:
            continue
        used.add((site.code, day))
        ok = [rng.random() > 0.12 for _ in MEASURE_LABELS]
        marks = [
            rng.choice(("√", "是", "达标")) if v else rng.choice(("×", "否", "不达标")) for v in ok
        ]
        failed = [MEASURE_LABELS[i] for i, v in enumerate(ok) if not v]
        rows.append(
            [
                len(rows) + 1, site.code, site.name, site.county, date_variant(day, rng, ("cell", "cn", "dot", "md")),
                person(rng) + "、" + person(rng), *marks,
                ("；".join(f"{m}不到位" for m in failed) if failed else rng.choice(("无", "—"))),
                date_variant(day + dt.timedelta(days=7), rng) if failed else "/",
                rng.choice(("整改中", "已整改")) if failed else None,
            ]
        )  # fmt: skip
    rows[6][4] = f"{first.year}年2月30日"
    bad = {6: [("inspection_date", "impossible_date")]}
    spec = SheetSpec(
        name=f"{first.month}月检查记录",
        title_lines=[
            f"临汾市施工工地扬尘治理“七个百分之百”检查记录（{first.year}年{first.month}月）"
        ],
        header=[
            "序号",
            "工地编号",
            "项目名称",
            "县区",
            "检查日期",
            "检查人员",
            ("七个百分之百", list(MEASURE_LABELS)),
            "发现问题",
            "整改时限",
            "整改情况",
        ],
        rows=rows,
        notes=["说明：达标填“√”，不达标填“×”。"],
    )
    book = _Book(
        "site_inspection",
        f"forms/site_inspection/zjj_工地检查记录_{first.year}年{first.month}月.xlsx",
        "全市",
    )
    book.add(spec, _month(first), bad)
    book.meta.features |= {"two_row_header", "dates_mixed", "empty_markers", "notes_below"}
    return [book.write(ctx.out_dir)]


COAL_USES = ("发电", "供热", "钢铁", "焦化", "化工", "建材")


def _coal_units(ctx: _Context) -> list[tuple[str, str, str, str, Decimal]]:
    """(name, credit code, county, use, typical monthly tonnes) of 25 key coal users."""
    rng = ctx.fork("coal_units")
    use_of = {"电力": "发电", "钢铁": "钢铁", "焦化": "焦化", "化工": "化工", "水泥": "建材"}
    units = [
        (f.name, f.credit_code, f.county, use_of[f.industry], Decimal(rng.randint(20, 400)) * 400)
        for f in ctx.enterprises
        if f.industry in use_of
    ][:20]
    while len(units) < 25:
        county = rng.choice(ctx.counties)
        code = credit_code(rng, division_of(county, ctx.counties))
        units.append(
            (
                f"{stem(county)}{rng.choice(TRADE_NAMES)}热力有限公司",
                code,
                county,
                "供热",
                Decimal(rng.randint(5, 80)) * 1000,
            )
        )
    return units


CLOSED_COAL_UNITS = (23, 24)  # heating units closed from February (关停燃煤锅炉): 0 t from then on


def _unit_tonnes(typical: Decimal, index: int, month: int) -> Decimal:
    """A unit's coal in a month: its typical tonnes x 90..110 %, 0 once it is closed."""
    if index in CLOSED_COAL_UNITS and month >= 2:
        return Decimal(0)
    return typical * (Decimal(90 + (month * 7 + index) % 21) / 100)


def _coal_sheet(
    ctx: _Context, rng: random.Random, year: int, month: int, name: str, tonnes_unit: str, heat_unit: str,
    bad_kinds: Sequence[str], hidden: bool = False, adjust: Decimal = Decimal(0),
) -> tuple[SheetSpec, dict[int, list[tuple[str, str]]], Decimal]:  # fmt: skip
    units = _coal_units(ctx)
    rows: list[list[object]] = []
    total = Decimal(0)
    for i, (unit_name, code, county, use, typical) in enumerate(units):
        tonnes = _unit_tonnes(typical, i, month)
        if i == 0:
            tonnes += adjust
        total += tonnes
        ytd = sum((_unit_tonnes(typical, i, m) for m in range(1, month)), tonnes)
        shown = tonnes / 10000 if tonnes_unit == "万吨" else tonnes
        shown_ytd = ytd / 10000 if tonnes_unit == "万吨" else ytd
        kcal = Decimal(4800 + (i * 37 + month * 11) % 900)
        heat = (
            kcal
            if heat_unit == "大卡/千克"
            else (kcal * Decimal("0.0041868")).quantize(Decimal("0.01"))
        )
        sulphur = Decimal(40 + (i * 13 + month) % 90) / 100
        rows.append([
            i + 1, spaced(unit_name, rng) if i % 7 == 3 else unit_name, code, county, use,
            number_variant(shown, rng), number_variant(shown_ytd, rng), number_variant(heat, rng),
            percent_variant(sulphur, rng),
        ])  # fmt: skip
        if tonnes == 0:  # a closed unit burns nothing: no coal quality either
            rows[-1][7:9] = ["—", "—"]
    bad: dict[int, list[tuple[str, str]]] = {}
    for k, kind in enumerate(bad_kinds):
        index = 5 + 4 * k
        if kind == "negative":
            rows[index][5] = "-120"
            bad[index] = [("coal_tonnes", kind)]
        elif kind == "unknown_county":
            rows[index][3] = "临汾经济开发区"
            bad[index] = [("county", kind)]
        elif kind == "check_ytd":
            rows[index][6] = 1
            bad[index] = [("coal_tonnes", kind)]
    spec = SheetSpec(
        name=name,
        title_lines=[
            f"{ctx.city}重点用煤单位煤炭消费情况（{year}年{month}月）",
            "报送单位：临汾市发展和改革委员会（市能源局）",
        ],
        header=[
            "序号",
            "用煤单位",
            "统一社会信用代码",
            "县区",
            "用煤类型",
            f"本月耗煤量（{tonnes_unit}）",
            f"累计耗煤量（{tonnes_unit}）",
            f"收到基低位发热量（{heat_unit}）",
            "全硫含量（%）",
        ],
        rows=rows,
        total_row=[
            "合计",
            None,
            None,
            None,
            None,
            float(total / 10000 if tonnes_unit == "万吨" else total),
        ],
        notes=["注：全市煤炭消费总量控制目标为2180万吨。"],
        hidden=hidden,
    )
    return spec, bad, total


def gen_coal_consumption(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("coal_consumption")
    year = ctx.as_of.year
    months = list(range(1, ctx.as_of.month))
    if not months:
        year, months = year - 1, [12]
    book = _Book(
        "coal_consumption", f"forms/coal_consumption/fgw_{year}年煤炭消费月报.xlsx", "全市"
    )
    old, _, _ = _coal_sheet(
        ctx, rng, year - 1, 12, f"{year - 1}年12月", "吨", "大卡/千克", (), hidden=True
    )
    book.add(old, None)
    for k, month in enumerate(months):
        name = (f"{month}月", CN_MONTHS[month - 1], f"{year}年{month}月")[k % 3]
        spec, bad, _ = _coal_sheet(
            ctx, rng, year, month, name, ("吨", "万吨")[k % 2], ("大卡/千克", "MJ/kg")[k % 2],
            ("negative", "unknown_county", "check_ytd")[k % 3 : k % 3 + 1 + (k == 0)],
        )  # fmt: skip
        book.add(spec, f"{year}-{month:02d}", bad)
    book.meta.features |= {
        "sheet_per_month",
        "hidden_sheet",
        "units_in_header",
        "numbers_as_text",
        "percent_strings",
        "total_row",
        "fullwidth_digits",
        "trailing_spaces",
    }
    books = [book.write(ctx.out_dir)]
    # re-sent: the last month only, corrected (bad cells fixed, the first unit's coal changed)
    month = months[-1]
    revised = _Book(
        "coal_consumption",
        f"revisions/forms/coal_consumption/fgw_{year}年{month}月煤炭消费_更正.xlsx",
        "全市",
        revision=True,
    )
    spec, bad, _ = _coal_sheet(
        ctx,
        ctx.fork("coal/revision"),
        year,
        month,
        f"{month}月",
        "吨",
        "大卡/千克",
        (),
        adjust=Decimal(5000),
    )
    revised.add(spec, f"{year}-{month:02d}", bad)
    revised.meta.features |= {"revision"}
    revised.meta.facts = {"period": f"{year}-{month:02d}", "credit_code": _coal_units(ctx)[0][1]}
    books.append(revised.write(ctx.out_dir))
    return books


def gen_relocation(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("relocation")
    parks = (
        "临汾经济技术开发区",
        "侯马经济开发区",
        "洪洞经济技术开发区",
        "襄汾经济技术开发区",
        "曲沃经济技术开发区",
    )
    rows: list[list[object]] = []
    for i in range(77):
        county = rng.choice(("尧都区", "尧都区", "尧都区", "侯马市", "霍州市", "洪洞县"))
        county = county if county in ctx.counties else ctx.counties[0]
        industry = rng.choice(tuple(INDUSTRY_LINES))
        agreement = dt.date(ctx.as_of.year - 1, 1, 1) + dt.timedelta(days=rng.randint(0, 400))
        agreement = min(agreement, ctx.as_of)
        closure_plan = agreement + dt.timedelta(days=rng.randint(120, 500))
        production_plan = closure_plan + dt.timedelta(days=rng.randint(60, 300))
        closed = closure_plan <= ctx.as_of and rng.random() < 0.8
        produced = closed and production_plan <= ctx.as_of and rng.random() < 0.7
        status = (
            "已投产"
            if produced
            else "已关停"
            if closed
            else rng.choice(("推进中", "推进中", "未启动"))
        )
        rows.append([
            i + 1, f"TCRY-{i + 1:03d}", _enterprise_name(rng, county, industry, set()),
            credit_code(rng, division_of(county, ctx.counties)), county, industry, rng.choice(parks),
            date_variant(agreement, rng),
            rng.choice(("待定", date_variant(closure_plan, rng))) if status == "未启动" else date_variant(closure_plan, rng),
            date_variant(closure_plan, rng) if closed else empty_marker(rng),
            date_variant(production_plan, rng),
            date_variant(production_plan, rng) if produced else empty_marker(rng),
            status, rng.choice(("设备已拆除", "新厂区主体施工", "土地手续办理中", "环评审批中", "—")),
        ])  # fmt: skip
    rows[11][9] = f"{ctx.as_of.year}.13.1"
    bad = {11: [("closure_done", "impossible_date")]}
    spec = SheetSpec(
        name="退城入园",
        title_lines=[
            f"临汾市城市建成区重污染企业退城入园推进台账（截至{ctx.as_of.year}年{ctx.as_of.month}月{ctx.as_of.day}日）"
        ],
        header=[
            "序号",
            "项目编号",
            "企业名称",
            "统一社会信用代码",
            "原址所在县（市、区）",
            "行业",
            "拟入驻园区",
            "签订协议日期",
            ("原址关停", ["计划时间", "完成时间"]),
            ("新址投产", ["计划时间", "完成时间"]),
            "当前进度",
            "进展情况",
        ],
        rows=rows,
        column_numbers=True,
        notes=["注：完成时间未到的填“—”。", "报送单位：临汾市工业和信息化局"],
    )
    book = _Book(
        "relocation", f"forms/relocation/gxj_退城入园台账_{_month(ctx.as_of)}.xlsx", "全市"
    )
    book.add(spec, _month(ctx.as_of), bad)
    book.meta.features |= {
        "two_row_header",
        "column_number_row",
        "dates_mixed",
        "empty_markers",
        "notes_below",
        "title_rows",
    }
    return [book.write(ctx.out_dir)]


TOWNSHIP_WORDS = (
    "城关镇",
    "东关街道",
    "西城街道",
    "南辛店乡",
    "北王乡",
    "屯里镇",
    "刘村镇",
    "金殿镇",
    "魏村镇",
    "土门镇",
)
VILLAGE_WORDS = (
    "东村",
    "西村",
    "南庄",
    "北庄",
    "王家庄",
    "李家堡",
    "张村",
    "新民村",
    "河底村",
    "上官村",
    "下院村",
    "柳沟村",
)


def gen_dual_substitution(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("dual_substitution")
    as_of = ctx.as_of
    books = []
    for c_index, county in enumerate(ctx.counties):
        rows: list[list[object]] = []
        used: set[tuple[str, str, str]] = set()
        wanted = rng.randint(4, 7)
        while len(rows) < wanted:
            township = rng.choice(TOWNSHIP_WORDS)
            village = rng.choice(VILLAGE_WORDS)
            mode = rng.choice(("气代煤", "电代煤"))
            if (township, village, mode) in used:
                continue
            used.add((township, village, mode))
            planned = rng.randint(40, 600)
            done = rng.randint(0, planned)
            rate = (Decimal(done) * 100 / planned).quantize(Decimal("0.1"))
            rows.append([
                len(rows) + 1, county if rng.random() < 0.8 else spaced(county, rng), township, village,
                rng.choice((mode, {"气代煤": "煤改气", "电代煤": "煤改电"}[mode])),
                number_variant(Decimal(planned), rng), number_variant(Decimal(done), rng),
                percent_variant(rate, rng), date_variant(as_of - dt.timedelta(days=rng.randint(1, 60)), rng) if done == planned else empty_marker(rng),
            ])  # fmt: skip
        bad: dict[int, list[tuple[str, str]]] = {}
        if c_index == 1:
            rows[1][6] = number_variant(Decimal(10000), rng)
            bad[1] = [("completed_households", "check_done_above_plan")]
        if c_index == 2:
            other = ctx.counties[0]
            rows[0][1] = other
            bad[0] = [("county", "county_mismatch")]
        spec = SheetSpec(
            name="双替代",
            title_lines=[
                f"{county}清洁取暖“双替代”改造进度表（{as_of.year}年{as_of.month}月）",
                f"填报单位：{county}住房和城乡建设管理局",
            ],
            header=[
                "序号",
                "县（市、区）",
                "乡镇（街道）",
                "村（社区）",
                "替代方式",
                ("改造户数", ["计划", "已完成"]),
                "完成率",
                "验收日期",
            ],
            rows=rows,
            total_row=["合计", None, None, None, None, None, None, None],
            notes=["注：完成率=已完成户数/计划改造户数。"],
        )
        book = _Book(
            "dual_substitution",
            f"forms/dual_substitution/qjqn_{county}_{as_of.year}年{as_of.month}月.xlsx",
            county,
        )
        book.add(spec, _month(as_of), bad)
        book.meta.features |= {
            "workbook_per_county",
            "two_row_header",
            "percent_strings",
            "numbers_as_text",
            "fullwidth_digits",
            "total_row",
            "trailing_spaces",
        }
        books.append(book.write(ctx.out_dir))
    return books


def _tasks(ctx: _Context) -> list[tuple[str, str, str, str, str]]:
    """(number, category, content, lead unit, supporting units) of the 60 key tasks; every
    fourth task (numbers 2, 6, 10, ...) is led by a county government, so the county scorecard
    has tasks of its own besides the ones led by 各县（市、区）政府."""
    rng = ctx.fork("tasks")
    tasks = []
    number = 0
    for category, count in TASK_CATEGORIES:
        for k in range(count):
            number += 1
            lead = rng.choice(UNITS)
            support = "、".join(rng.sample([u for u in UNITS if u != lead], 2))
            if number % 4 == 2:
                lead = f"{ctx.counties[(number // 4) % len(ctx.counties)]}人民政府"
            tasks.append(
                (
                    str(number),
                    category,
                    f"{category}重点任务第{k + 1}项：按方案完成年度目标任务",
                    lead,
                    support,
                )
            )
    return tasks


# Pace of a task (by number % 5) against the straight line from 1 January to its deadline:
# fast, on the line (twice), slow, stalled. Slow tasks are still reported 推进中 by the ledger,
# so the derived status (behind) and the reported one differ; stalled ones are reported 滞后.
TASK_PACES = (Decimal("1.3"), Decimal(1), Decimal(1), Decimal("0.6"), Decimal("0.3"))


def task_deadline(number: int, year: int) -> dt.date | None:
    """The deadline the sample ledger states for a task (None: 长期坚持)."""
    kind, month = number % 4, number % 12 + 1
    if kind == 0:
        return None
    if kind == 1:
        return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date(year, month, 15)


def task_progress(number: int, day: dt.date) -> Decimal:
    """Reported progress (%) of a task on ``day``: its pace times the straight-line share."""
    start = dt.date(day.year, 1, 1)
    deadline = task_deadline(number, day.year) or dt.date(day.year, 12, 31)
    share = min(Decimal(1), Decimal((day - start).days) / Decimal((deadline - start).days))
    return min(
        Decimal(100), (TASK_PACES[number % 5] * share * 100).to_integral_value("ROUND_FLOOR")
    )


def _task_sheet(
    ctx: _Context, rng: random.Random, week_day: dt.date, bump: set[int], bad_kinds: Sequence[str]
) -> tuple[SheetSpec, dict[int, list[tuple[str, str]]]]:
    year, week, _ = week_day.isocalendar()
    rows: list[list[object]] = []
    banners: dict[int, str] = {}
    last_category = ""
    ordinal = 0
    start = dt.date(week_day.year, 1, 1)
    for i, (number, category, content, lead, support) in enumerate(_tasks(ctx)):
        if category != last_category:
            banners[i] = f"{CN_ORDINALS[ordinal]}、{category}"
            ordinal += 1
            last_category = category
        n = int(number)
        progress = task_progress(n, week_day)
        if i in bump:
            progress = min(Decimal(100), progress + 20)
        deadline_day = task_deadline(n, week_day.year) or dt.date(week_day.year, 12, 31)
        expected = min(100, 100 * (week_day - start).days / (deadline_day - start).days)
        status = (
            "已完成" if progress == 100 else
            "未启动" if progress == 0 else
            "滞后" if progress < expected / 2 else
            "推进中"
        )  # fmt: skip
        due = task_deadline(n, week_day.year)
        deadline: object = (
            "长期坚持" if due is None else
            f"{due.year}年{due.month}月底前" if n % 4 == 1 else
            date_variant(due, rng)
        )  # fmt: skip
        rows.append(
            [
                number,
                category,
                content,
                lead,
                support,
                deadline,
                percent_variant(progress, rng),
                rng.choice(("按序时推进", "已完成阶段性任务", "正在组织实施")),
                status,
            ]
        )
    bad: dict[int, list[tuple[str, str]]] = {}
    for kind in bad_kinds:
        if kind == "percent_over":
            rows[3][6] = "120%"
            bad[3] = [("progress_pct", kind)]
        elif kind == "impossible_date":
            rows[10][5] = "6月31日"
            bad[10] = [("deadline", kind)]
    spec = SheetSpec(
        name="重点任务",
        title_lines=[f"临汾市大气污染防治重点任务推进台账（{year}年第{week}周）"],
        header=[
            "任务编号",
            "任务类别",
            "任务内容",
            "牵头单位",
            "配合单位",
            "完成时限",
            "完成进度",
            "进展情况",
            "状态",
        ],
        rows=rows,
        banners=banners,
        notes=[
            "注：完成时限为“长期坚持”的任务按年度序时进度考核。",
            "填报人：                联系电话：",
        ],
    )
    return spec, bad


def gen_key_task(ctx: _Context) -> list[GeneratedWorkbook]:
    """One ledger per week from the year's first ISO week to the week of ``as_of`` (so the
    status history has something to show), the last with two bad cells, and a re-sent last week."""
    rng = ctx.fork("key_task")
    books = []
    weeks = [
        ctx.as_of - dt.timedelta(days=7 * k)
        for k in range(52, -1, -1)
        if (ctx.as_of - dt.timedelta(days=7 * k)).isocalendar()[0] == ctx.as_of.isocalendar()[0]
    ]
    for week_day in weeks:
        bad_kinds = ("percent_over", "impossible_date") if week_day == ctx.as_of else ()
        spec, bad = _task_sheet(ctx, rng, week_day, set(), bad_kinds)
        book = _Book("key_task", f"forms/key_task/dqb_重点任务台账_{_week(week_day)}.xlsx", "全市")
        book.add(spec, _week(week_day), bad)
        book.meta.features |= {
            "title_rows",
            "section_banners",
            "percent_strings",
            "dates_mixed",
            "date_words",
            "notes_below",
        }
        books.append(book.write(ctx.out_dir))
    bumped = {0, 8, 17}
    spec, bad = _task_sheet(ctx, ctx.fork("key_task/revision"), ctx.as_of, bumped, ())
    book = _Book(
        "key_task",
        f"revisions/forms/key_task/dqb_重点任务台账_{_week(ctx.as_of)}_更正.xlsx",
        "全市",
        revision=True,
    )
    book.add(spec, _week(ctx.as_of), bad)
    book.meta.features |= {"revision"}
    book.meta.facts = {
        "period": _week(ctx.as_of),
        "bumped_tasks": [str(i + 1) for i in sorted(bumped)],
    }
    books.append(book.write(ctx.out_dir))
    return books


INSPECTION_TYPES = (
    "领导分包督查",
    "“两办”督查",
    "两办督查",
    "环保专项督查",
    "驻点督导",
    "专项督查",
)
FINDINGS = (
    "工地未落实湿法作业",
    "裸土未苫盖",
    "企业违规露天堆放煤炭",
    "散煤复烧",
    "渣土车未密闭运输",
    "在线监测设备离线",
    "道路扬尘明显",
    "秸秆焚烧火点",
)


def _report_months(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day reported) of each month from January to ``as_of``'s month."""
    months = []
    for month in range(1, as_of.month + 1):
        first = dt.date(as_of.year, month, 1)
        end = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        months.append((first, min(end, as_of)))
    return months


def _leaders(ctx: _Context) -> dict[str, tuple[str, str]]:
    """The city leader (name, post) assigned to each county: 12 leaders over the counties."""
    rng = ctx.fork("leader_district/leaders")
    names: list[str] = []
    while len(names) < 12:
        name = person(rng)
        if name not in names:
            names.append(name)
    return {
        county: (names[i % len(names)], LEADER_POSTS[i % len(names) % len(LEADER_POSTS)])
        for i, county in enumerate(ctx.counties)
    }


INSPECTION_PLACES = ("工业园区", "城区主干道", "建筑工地集中区")
INSPECTION_TEAMS = ("市委督查室第一督查组", "市政府督查室第二督查组", "市生态环境局专项督查组")


def _finding_row(
    rng: random.Random, day: dt.date, cutoff: dt.date, kind: str, leader: str, county: str
) -> list[object]:
    """One finding; its rectification as the bureau reports it on ``cutoff`` (some on time, some
    late, some overdue and still open)."""
    deadline = day + dt.timedelta(days=rng.choice((3, 7, 15)))
    if deadline < cutoff:
        outcome = rng.choices(("on_time", "late", "overdue", "open"), weights=(60, 15, 10, 15))[0]
    else:
        outcome = rng.choices(("on_time", "open"), weights=(40, 60))[0]
    status = {"on_time": "已整改", "late": "已整改", "overdue": "逾期未整改", "open": "整改中"}
    if outcome == "on_time":
        rectified: object = date_variant(min(deadline, cutoff), rng)
    elif outcome == "late":
        rectified = date_variant(
            deadline + dt.timedelta(days=(cutoff - deadline).days // 2 + 1), rng
        )
    else:
        rectified = empty_marker(rng)
    return [
        0, "", date_variant(day, rng, ("cell", "serial", "cn", "dot")), kind, leader, county,
        f"{stem(county)}{rng.choice(INSPECTION_PLACES)}", rng.choice(FINDINGS), f"{county}人民政府",
        date_variant(deadline, rng), status[outcome], rectified,
    ]  # fmt: skip


def gen_inspection(ctx: _Context) -> list[GeneratedWorkbook]:
    """One findings list per month from January to ``as_of``: each county's city leader
    inspects it 0 to 2 times a month (so some leader-counties fall short of the cadence in
    seeds/expected_inspection_cadence.csv), plus the two offices', special and resident inspections.
    Places and findings come from small lists, so some findings repeat in later months."""
    rng = ctx.fork("inspection")
    leaders = _leaders(ctx)
    months = _report_months(ctx.as_of)
    books = []
    for first, cutoff in months:
        days = (cutoff - first).days + 1
        found: list[tuple[dt.date, list[object]]] = []
        for county in ctx.counties:
            for _ in range(rng.choice((0, 1, 1, 2))):
                day = first + dt.timedelta(days=rng.randrange(days))
                for _ in range(rng.choice((1, 1, 2))):
                    kind = rng.choice(("领导分包督查", "市领导分包督查", "分包督查"))
                    found.append(
                        (day, _finding_row(rng, day, cutoff, kind, leaders[county][0], county))
                    )
        target = max(30, len(found) + 8)
        while len(found) < target:
            day = first + dt.timedelta(days=rng.randrange(days))
            kind = rng.choice(INSPECTION_TYPES[1:])
            team = rng.choice(INSPECTION_TEAMS)
            found.append(
                (day, _finding_row(rng, day, cutoff, kind, team, rng.choice(ctx.counties)))
            )
        found.sort(key=lambda item: item[0])
        rows = [row for _, row in found]
        for i, row in enumerate(rows):
            row[0], row[1] = i + 1, f"DC-{first.year}{first.month:02d}-{i + 1:03d}"
        bad: dict[int, list[tuple[str, str]]] = {}
        if first == months[-1][0]:
            rows[8][9] = date_variant(first - dt.timedelta(days=3), rng, ("cn",))
            rows[8][10], rows[8][11] = "整改中", None
            rows[15][3] = "暗访"
            bad = {
                8: [("rectification_deadline", "check_deadline_before_inspection")],
                15: [("inspection_type", "unknown_code")],
            }
        spec = SheetSpec(
            name="督查问题",
            title_lines=[
                f"{first.year}年{first.month}月大气污染防治督查问题清单",
                "市委市政府督查室",
            ],
            header=[
                "序号",
                "问题编号",
                "督查日期",
                "督查类型",
                "带队领导",
                "县区",
                "督查点位",
                "发现问题",
                "责任单位",
                "整改时限",
                "整改状态",
                "整改完成日期",
            ],
            rows=rows,
            notes=["注：“两办”指市委办公室、市政府办公室。"],
        )
        book = _Book(
            "inspection", f"forms/inspection/dcs_{first.year}_第{first.month}期.xlsx", "全市"
        )
        book.add(spec, _month(first), bad)
        book.meta.features |= {"period_in_title", "dates_mixed", "empty_markers", "notes_below"}
        books.append(book.write(ctx.out_dir))
    return books


ACCOUNTABILITY_REASONS = (
    "PM2.5浓度同比上升",
    "重点任务进度滞后",
    "督查发现问题整改不力",
    "重污染天气应急减排措施落实不到位",
)


def gen_accountability(ctx: _Context) -> list[GeneratedWorkbook]:
    """One statistics sheet per month from January to ``as_of``; the last month has a row with
    an unknown type and an exact duplicate row. Targets: county governments and city bureaus."""
    rng = ctx.fork("accountability")
    types = ("约谈", "约谈", "问责", "通报批评", "公开曝光", "列入负面清单")
    months = _report_months(ctx.as_of)
    books = []
    for first, cutoff in months:
        rows: list[list[object]] = []
        for i in range(rng.randint(6, 9)):
            if rng.random() < 0.75:
                unit = f"{rng.choice(ctx.counties)}人民政府"
                post = rng.choice(("县长", "分管副县长", "生态环境分局局长", "住建局局长"))
            else:
                unit = rng.choice(UNITS[:-1])
                post = rng.choice(("局长", "分管副局长", "科长"))
            kind = types[i % len(types)]
            published = kind in ("约谈", "公开曝光") or rng.random() < 0.3
            day = first + dt.timedelta(days=rng.randrange((cutoff - first).days + 1))
            rows.append([
                i + 1, f"YT-{first.year}{first.month:02d}-{i + 1:03d}", date_variant(day, rng),
                unit, post, kind, rng.choice(ACCOUNTABILITY_REASONS),
                rng.choice(("是", "√")) if published else "否", "临汾日报、临汾电视台" if published else "—",
                "是" if kind in ("约谈", "列入负面清单") else "否",
            ])  # fmt: skip
        bad: dict[int, list[tuple[str, str]]] = {}
        duplicates: set[int] = set()
        if first == months[-1][0]:
            rows.append(list(rows[2]))
            rows[5][5] = "警告"
            bad = {5: [("action_type", "unknown_code")]}
            duplicates = {len(rows) - 1}
        spec = SheetSpec(
            name="约谈问责",
            title_lines=[f"大气污染防治约谈问责情况统计表（{first.year}年{first.month}月）"],
            header=[
                "序号",
                "编号",
                "日期",
                "对象单位",
                "对象职务",
                "类型",
                "事由",
                "是否媒体公开",
                "公开媒体",
                "是否计入负面清单",
            ],
            rows=rows,
            notes=["备注：计入负面清单的由市委组织部记入领导班子和领导干部档案。"],
        )
        book = _Book(
            "accountability", f"forms/accountability/wzwz_约谈问责_{_month(first)}.xlsx", "全市"
        )
        book.add(spec, _month(first), bad, duplicates=duplicates)
        book.meta.features |= {"notes_below", "dates_mixed"}
        if duplicates:
            book.meta.features.add("duplicate_row")
        books.append(book.write(ctx.out_dir))
    return books


def gen_leader_district(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("leader_district")
    year = ctx.as_of.year
    rows: list[list[object]] = []
    for county, (name, post) in _leaders(ctx).items():
        rows.append(
            [
                len(rows) + 1,
                name,
                post,
                county,
                f"{stem(county)}城区及周边重点区域",
                rng.choice(UNITS),
                date_variant(dt.date(year, 1, 10), rng),
            ]
        )
    spec = SheetSpec(
        name="分包安排",
        title_lines=[f"{year}年市级领导分包县（市、区）大气污染防治工作安排表"],
        header=[
            "序号",
            "市级领导",
            "职务",
            "分包县（市、区）",
            "分包重点区域",
            "联系单位",
            "分包起始日期",
        ],
        rows=rows,
    )
    book = _Book(
        "leader_district", f"forms/leader_district/swb_{year}年市级领导分包安排.xlsx", "全市"
    )
    book.add(spec, str(year), {})
    book.meta.features |= {"title_rows"}
    return [book.write(ctx.out_dir)]


TARGET_ROWS = (
    ("pm2_5_annual_mean_target", "PM2.5平均浓度", "微克/立方米", "≤"),
    ("pm10_annual_mean_target", "PM10平均浓度", "微克/立方米", "不高于"),
    ("good_days_target", "优良天数", "天", "≥"),
    ("heavy_pollution_days_max", "重污染天数", "天", "不超过"),
)


def gen_annual_target(ctx: _Context) -> list[GeneratedWorkbook]:
    rng = ctx.fork("annual_target")
    year = ctx.as_of.year
    target = ctx.targets
    rows: list[list[object]] = []
    for key, label, unit, direction in TARGET_ROWS:
        if key in target:
            value = Decimal(str(target[key]))
            rows.append(
                [
                    len(rows) + 1,
                    "全市",
                    label,
                    number_variant(value, rng),
                    unit,
                    direction,
                    number_variant(value + (3 if "天数" not in label else -5), rng),
                    target.get("source", ""),
                ]
            )
    rows.append(
        [
            len(rows) + 1,
            "全市",
            "煤炭消费总量",
            2180,
            "万吨",
            "≤",
            2230,
            "全市煤炭消费总量控制在2180万吨以内",
        ]
    )
    for county in ctx.counties:
        value = Decimal(rng.randint(38, 52))
        rows.append(
            [
                len(rows) + 1,
                county,
                "PM2.5平均浓度",
                number_variant(value, rng),
                "微克/立方米",
                "≤",
                number_variant(value + 3, rng),
                "市对县考核目标（sample）",
            ]
        )
    spec = SheetSpec(
        name="年度目标",
        title_lines=[f"{year}年环境空气质量改善目标", "单位：微克/立方米、天、万吨"],
        header=[
            "序号",
            "县（市、区）",
            "指标",
            "目标值",
            "单位",
            "考核要求",
            "上年实际值",
            "目标来源",
        ],
        rows=rows,
        column_numbers=True,
    )
    book = _Book("annual_target", f"forms/annual_target/dqb_{year}年度目标.xlsx", "全市")
    book.add(spec, str(year), {})
    book.meta.features |= {"column_number_row", "numbers_as_text", "title_rows"}
    book.meta.facts = {
        "coal_cap_10kt": 2180,
        "city_targets": {k: target[k] for k, *_ in TARGET_ROWS if k in target},
    }
    return [book.write(ctx.out_dir)]


GENERATORS = {
    "emergency_list": gen_emergency_list,
    "construction_site": gen_construction_site,
    "site_inspection": gen_site_inspection,
    "coal_consumption": gen_coal_consumption,
    "relocation": gen_relocation,
    "dual_substitution": gen_dual_substitution,
    "key_task": gen_key_task,
    "inspection": gen_inspection,
    "accountability": gen_accountability,
    "leader_district": gen_leader_district,
    "annual_target": gen_annual_target,
}


def write_broken(ctx: _Context) -> dict[str, str]:
    """Three workbooks that must fail as a whole (and not stop the others)."""
    out: dict[str, str] = {}
    rel = (
        f"forms/construction_site/zjj_施工工地清单_{ctx.as_of.year}年{ctx.as_of.month}月_缺列.xlsx"
    )
    spec = SheetSpec(
        name="工地清单",
        title_lines=["临汾市施工工地扬尘管控清单"],
        header=[
            "序号",
            "工地编号",
            "项目名称",
            "工地类型",
            "所在县（市、区）",
            "建设单位",
            "包联领导",
        ],
        rows=[
            [1, s.code, s.name, s.site_type, s.county, s.builder, s.people[0]]
            for s in ctx.sites[:5]
        ],
    )
    write_workbook(ctx.out_dir / rel, [spec])
    out[rel] = "missing_required_column"
    rel = f"forms/key_task/dqb_重点任务台账_{_week(ctx.as_of)}_损坏.xlsx"
    good = ctx.out_dir / f"forms/key_task/dqb_重点任务台账_{_week(ctx.as_of)}.xlsx"
    (ctx.out_dir / rel).write_bytes(good.read_bytes()[:2000])
    out[rel] = "corrupt"
    rel = f"forms/inspection/dcs_{ctx.as_of.year}_第99期.xlsx"
    spec, _, _ = _coal_sheet(
        ctx, ctx.fork("broken"), ctx.as_of.year, 1, "1月", "吨", "大卡/千克", ()
    )
    write_workbook(ctx.out_dir / rel, [spec])
    out[rel] = "wrong_form"
    return out


def generate_forms(
    profile_path: Path, out_dir: Path, seed: int, as_of: dt.date, broken: bool = False
) -> Summary:
    """Write a workbook (or several) of every form into ``out_dir``; see the module docstring."""
    profile = yaml.safe_load(profile_path.read_text(encoding="utf-8"))
    counties = [str(c) for c in profile["city"]["counties"]]
    targets = next((t for t in profile.get("targets", []) if int(t["year"]) == as_of.year), {})
    devices = read_device_registry(profile_path.parent / REGISTRY_FILE)
    rng = random.Random(seed)
    summary = Summary(out_dir, seed, as_of, registry_used=bool(devices))
    if not devices:
        summary.notes.append(
            f"{REGISTRY_FILE} not found beside the profile: MNs generated as <division 6><HJ 212 ST 2><sequence 16> (samples.forms.mn_for)"
        )
    ctx = _Context(
        out_dir=out_dir,
        rng=rng,
        as_of=as_of,
        city=str(profile["city"]["name"]),
        counties=counties,
        targets=targets,
        enterprises=build_enterprises(
            random.Random(seed + 1), counties, devices, notes=summary.notes
        ),
        sites=build_sites(random.Random(seed + 2), counties, devices, as_of),
        seed=seed,
    )
    for form_id in FORM_IDS:
        summary.workbooks += GENERATORS[form_id](ctx)
    if broken:
        summary.broken = write_broken(ctx)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m samples.forms",
        description="Write a deterministic sample of every bureau form (xlsx, as bureaus fill them in).",
    )
    parser.add_argument("--profile", type=Path, default=Path("config/city_profile.yaml"))
    parser.add_argument(
        "--out", type=Path, required=True, help="inbox folder (forms/ goes under it)"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: the profile's sample seed")
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="default: the profile's sample end",
    )
    parser.add_argument(
        "--broken", action="store_true", help="also write three workbooks that must fail"
    )
    args = parser.parse_args(argv)
    sample = (yaml.safe_load(args.profile.read_text(encoding="utf-8")) or {}).get("sample", {})
    seed = args.seed if args.seed is not None else int(sample.get("seed", 20260301))
    as_of = args.as_of or dt.date.fromisoformat(str(sample.get("end", dt.date.today())))
    summary = generate_forms(args.profile, args.out, seed, as_of, broken=args.broken)
    print(summary.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
