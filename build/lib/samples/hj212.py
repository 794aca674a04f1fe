"""Deterministic, seeded sample of HJ 212 packet logs for the city, and its device registry.

Devices (all names fictional, marked 样例): ~40 CEMS outlets (ST=31) of ~20 enterprises in the
counties of ``config/city_profile.yaml`` (coking, sintering, power, cement, coal and gas boilers),
~30 construction-site dust monitors (ST=39) and a few micro-stations (ST=22). The registry
(MN -> kind, name, USCC, outlet, county, industry, reference O2, emission standard) depends only
on the profile and the seed, so ``config/device_registry.csv`` matches the default sample.

Files: ``<out>/hj212/<receiver>/YYYY-MM-DDTHH.log``, one per receiver per hour of receipt (local
hour START), for the data hours [start, end) plus the hour ``end`` (which receives the last
hour's hourly packets). Hourly packets (CN=2061, DataTime = hour start) arrive in the next hour;
minute packets (CN=2051, 1-minute interval) a few seconds after their minute.

Faults and events, each recorded in :class:`Summary` with file, line and MN:
flags D/M/C/F, missing minutes and hours, bad CRCs, wrong lengths, byte-swapped CRCs and one
device whose firmware sends CRC-16/MODBUS in MODBUS byte order, duplicate packets, a history
replay on request (9011, replayed 2061 packets, 9012; one replayed value differs), a device
reaching both receivers, split packets, several packets on one line, missing CR LF, one old
device sending HJ/T 212-2005 codes without Flag, one micro-station with Flag version bits 2
(HJ 212-2025, unverified), ``O3`` for a05024, a non-numeric value, a restart notice (CN=2081),
and a few exceedances (converted NOx/SO2/particulate above the standard's limit).

Heavy-pollution warnings (dbt seed ``heavy_pollution_warnings.csv``): during a warning each
enterprise curtails production by its own response (:func:`warning_response`: flue-gas flow
x 0.55, x 0.75 or unchanged), so the emergency-response verification finds some cuts achieved
and some not. A few construction-site dust monitors see a PM10 spike (level x 3 for 4 hours).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ingest.core import paths
from ingest.hj212.protocol import LOCAL_TZ, crc16_modbus, frame
from ingest.hj212.registry import COLUMNS as REGISTRY_COLUMNS

FEED_DIR = "hj212"
RECEIVERS = ("receiver-1", "receiver-2")
PW = "123456"
FAULT_KINDS = (
    "flag_D",
    "flag_M",
    "flag_C",
    "flag_F",
    "missing_minutes",
    "missing_hour",
    "bad_crc",
    "wrong_length",
    "crc_byte_swapped",
    "crc_modbus_byte_swapped",
    "duplicate_packet",
    "replay",
    "replay_conflicting",
    "dual_receiver",
    "split_packet",
    "several_per_line",
    "missing_crlf",
    "legacy_codes",
    "hj212_2025_flag",
    "o3_alias",
    "bad_value",
    "restart_notice",
    "exceedance",
)
WARNINGS_SEED = paths.seeds_dir() / "heavy_pollution_warnings.csv"
WARNING_RESPONSES = (0.55, 0.75, 1.0)  # flow factor during a warning (45 %, 25 %, no cut)
COUNTY_CODES = {  # 行政区划代码 (GB/T 2260) of 临汾市's counties
    "尧都区": "141002",
    "曲沃县": "141021",
    "翼城县": "141022",
    "襄汾县": "141023",
    "洪洞县": "141024",
    "古县": "141025",
    "安泽县": "141026",
    "浮山县": "141027",
    "吉县": "141028",
    "乡宁县": "141029",
    "大宁县": "141030",
    "隰县": "141031",
    "永和县": "141032",
    "蒲县": "141033",
    "汾西县": "141034",
    "侯马市": "141081",
    "霍州市": "141082",
}


@dataclass(frozen=True)
class Industry:
    name: str
    o2_ref: str  # % (RULES.md s5; verify per standard)
    standard_id: str  # dbt seed hj212_emission_limits
    o2: float  # typical measured O2 %
    pm: float  # typical measured concentrations, mg/m3
    so2: float
    nox: float
    flow: float  # typical flue-gas flow, m3/s


INDUSTRIES = (
    # typical measured values ~1/3 of the limit (converted), so that only the injected
    # exceedances exceed; limits in dbt_project/seeds/hj212_emission_limits.csv
    Industry("焦化", "8", "GB16171-2012-special", 9.5, 4.4, 8.8, 44, 60),
    Industry("钢铁烧结", "16", "ultra-low-steel-2019", 16.2, 3, 11, 16, 280),
    Industry("火电", "6", "ultra-low-power-2015", 6.5, 3, 11, 16, 420),
    Industry("水泥", "10", "GB4915-2013-special", 10.5, 6, 30, 100, 110),
    Industry("燃煤锅炉", "9", "GB13271-2014-special-coal", 9.8, 9, 60, 60, 25),
    Industry("燃气锅炉", "3.5", "GB13271-2014-special-gas", 4.2, 2, 5, 45, 8),
)
ENTERPRISE_WORDS = (
    "晋河",
    "汾源",
    "尧光",
    "平阳",
    "霍山",
    "姑射",
    "吕梁",
    "古槐",
    "鼓楼",
    "华尧",
    "汾川",
    "晋南",
    "壶口",
    "太岳",
    "中条",
    "尧乡",
    "河东",
    "晋阳",
    "云丘",
    "龙祠",
)
PROJECT_WORDS = ("锦园", "和府", "学府", "滨河", "新城", "御景", "尚品", "华庭", "书院", "花园")
SITE_KINDS = ("住宅项目", "道路改造工程", "棚户区改造项目", "综合体项目", "学校建设项目")


@dataclass(frozen=True)
class Device:
    mn: str
    kind: str  # cems | dust | micro_station
    st: str
    name: str
    uscc: str | None
    outlet_id: str | None
    outlet_name: str | None
    county: str
    industry: str
    o2_ref: str | None
    standard_id: str | None
    receivers: tuple[str, ...]
    hourly: bool  # sends CN=2061
    minute: bool  # sends CN=2051 (1-minute data)
    nox_as_no: bool = False  # sends NO and NO2 instead of NOx
    legacy: bool = False  # HJ/T 212-2005 codes, no Flag
    flag_value: int = 4  # HJ 212-2017, no answer wanted (Flag=4)
    o3_alias: bool = False
    spec: Industry | None = None
    scale: float = 1.0

    def registry_row(self) -> dict[str, str]:
        return {
            "mn": self.mn,
            "kind": self.kind,
            "name": self.name,
            "uscc": self.uscc or "",
            "outlet_id": self.outlet_id or "",
            "outlet_name": self.outlet_name or "",
            "county": self.county,
            "industry": self.industry,
            "o2_ref_pct": self.o2_ref or "",
            "emission_standard_id": self.standard_id or "",
        }


@dataclass(frozen=True)
class Fault:
    kind: str
    file: str  # relative to the output directory (posix)
    line: int | None
    mn: str | None
    detail: str = ""


@dataclass
class Summary:
    out_dir: Path
    start: dt.date
    end: dt.date
    seed: int
    devices: list[Device]
    files: int = 0
    packets: int = 0  # frames written (faulty ones and repeats included)
    faults: list[Fault] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Fault]:
        return [f for f in self.faults if f.kind == kind]

    @property
    def fault_counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in FAULT_KINDS}

    @property
    def load_start(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), LOCAL_TZ)

    @property
    def load_end(self) -> dt.datetime:
        """Exclusive end of the file hours written (the hour ``end`` holds the last hour's data)."""
        return dt.datetime.combine(self.end, dt.time(), LOCAL_TZ) + dt.timedelta(hours=1)

    def render(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in self.fault_counts.items() if n)
        counts = {k: sum(1 for d in self.devices if d.kind == k) for k in ("cems", "dust")}
        micro = sum(1 for d in self.devices if d.kind == "micro_station")
        return (
            f"HJ 212 sample {self.start}..{self.end} (seed {self.seed}): {counts['cems']} CEMS"
            f" outlets, {counts['dust']} dust monitors, {micro} micro-stations; {self.files}"
            f" packet logs, {self.packets} packets; faults: {kinds}"
        )


# -- registry ------------------------------------------------------------------------------

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc(county_code: str, rng: random.Random) -> str:
    """A well-formed 统一社会信用代码 (GB 32100-2015 check digit; organisation code with its
    GB 11714 check digit) for a fictional enterprise (registered by 市场监管 '9', enterprise '1')."""
    org = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org_sum = sum(int(c, 36) * w for c, w in zip(org, _ORG_WEIGHTS, strict=True))
    check = 11 - org_sum % 11
    org += "X" if check == 10 else "0" if check == 11 else str(check)
    body = "91" + county_code + org
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def load_profile(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def build_devices(profile: dict[str, Any], seed: int) -> list[Device]:
    """The city's HJ 212 devices: a function of the profile's counties and the seed only."""
    rng = random.Random(f"hj212-registry-{seed}")
    counties = [c for c in profile["city"]["counties"] if c in COUNTY_CODES]
    devices: list[Device] = []
    # enterprises: industry mix of the city (coking and steel heavy), 1-3 outlets each
    plan = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 0]
    for e, industry_index in enumerate(plan):
        spec = INDUSTRIES[industry_index]
        county = counties[(e * 7 + 3) % len(counties)] if e else "尧都区"
        code = COUNTY_CODES[county]
        name = f"临汾市{ENTERPRISE_WORDS[e]}{spec.name}有限公司(样例)"
        credit = uscc(code, rng)
        outlets = 3 if industry_index in (0, 1) and e % 2 == 0 else 2 if e % 3 != 2 else 1
        for o in range(1, outlets + 1):
            legacy = e == 14 and o == 1
            mn = f"{code}31{e + 1:06d}" if legacy else f"{code}31{e + 1:08d}{o:08d}"
            devices.append(
                Device(
                    mn=mn,
                    kind="cems",
                    st="31",
                    name=name,
                    uscc=credit,
                    outlet_id=f"DA{o:03d}",
                    outlet_name=f"{spec.name}{o}号排口",
                    county=county,
                    industry=spec.name,
                    o2_ref=spec.o2_ref,
                    standard_id=spec.standard_id,
                    receivers=("receiver-1", "receiver-2")
                    if e in (3, 9) and o == 1
                    else RECEIVERS[:1],
                    hourly=not (e in (2, 8, 12, 16) and o == 1),
                    minute=e in (2, 8, 12, 16) and o == 1,
                    nox_as_no=industry_index == 5 and o == 1,
                    legacy=legacy,
                    spec=spec,
                    scale=rng.uniform(0.7, 1.3),
                )
            )
    for s in range(30):
        county = "尧都区" if s < 14 else counties[(s * 5) % len(counties)]
        code = COUNTY_CODES[county]
        name = f"临汾市{county}{PROJECT_WORDS[s % 10]}{SITE_KINDS[s % 5]}(样例)"
        devices.append(
            Device(
                mn=f"{code}39{s + 1:016d}",
                kind="dust",
                st="39",
                name=name,
                uscc=None,
                outlet_id=f"GD{s + 1:03d}",
                outlet_name="扬尘监测点",
                county=county,
                industry="建筑施工",
                o2_ref=None,
                standard_id=None,
                receivers=("receiver-2",),
                hourly=s not in (2, 5),
                minute=s < 8,
                scale=rng.uniform(0.6, 1.6),
            )
        )
    for m in range(5):
        county = counties[(m * 3 + 1) % len(counties)]
        code = COUNTY_CODES[county]
        devices.append(
            Device(
                mn=f"{code}22{m + 1:016d}",
                kind="micro_station",
                st="22",
                name=f"{county}{['城区', '工业园区', '高速口', '乡镇', '学校'][m]}微型站(样例)",
                uscc=None,
                outlet_id=f"WZ{m + 1:03d}",
                outlet_name="空气质量微型站",
                county=county,
                industry="环境空气",
                o2_ref=None,
                standard_id=None,
                receivers=("receiver-1",),
                hourly=True,
                minute=False,
                flag_value=9 if m == 4 else 4,
                o3_alias=m == 3,
                scale=rng.uniform(0.8, 1.2),
            )
        )
    return devices


def write_registry(devices: Sequence[Device], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTRY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for device in devices:
            writer.writerow(device.registry_row())


# -- packets -------------------------------------------------------------------------------


@dataclass
class _Event:
    received: dt.datetime  # local time the receiver got it
    receiver: str
    text: str  # the frame (## .. CRC) as sent
    mn: str
    faults: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)
    layout: str = "line"  # line | split | join_next | lf_only | no_eol


def _qn(moment: dt.datetime, ms: int) -> str:
    return f"{moment:%Y%m%d%H%M%S}{ms:03d}"


def _segment(qn: str | None, st: str, cn: str, mn: str, flag: int | None, cp: Sequence[str]) -> str:
    head = (f"QN={qn};" if qn else "") + f"ST={st};CN={cn};PW={PW};MN={mn};"
    head += f"Flag={flag};" if flag is not None else ""
    return head + "CP=&&" + ";".join(cp) + "&&"


def _fmt(value: float, places: int) -> str:
    return f"{max(value, 0.0):.{places}f}"


def _item(code: str, stats: dict[str, str], flag: str) -> str:
    parts = [f"{code}-{suffix}={text}" for suffix, text in stats.items()]
    return ",".join([*parts, f"{code}-Flag={flag}"])


class _Walk:
    """A positive AR(1) process around 1.0 (log scale), one value per step."""

    def __init__(self, rng: random.Random, sigma: float, phi: float = 0.9) -> None:
        self.rng, self.sigma, self.phi, self.x = rng, sigma, phi, 0.0

    def step(self) -> float:
        self.x = self.phi * self.x + self.rng.gauss(0, self.sigma)
        return math.exp(self.x)


def _cems_values(dev: Device, level: float, o2: float, rng: random.Random) -> dict[str, float]:
    spec = dev.spec
    assert spec is not None
    return {
        "pm": spec.pm * dev.scale * level * rng.uniform(0.9, 1.1),
        "so2": spec.so2 * dev.scale * level * rng.uniform(0.9, 1.1),
        "nox": spec.nox * dev.scale * level * rng.uniform(0.92, 1.08),
        "o2": o2,
        "flow": spec.flow * dev.scale * rng.uniform(0.95, 1.05),
        "temp": rng.uniform(45, 95),
        "velocity": rng.uniform(8, 16),
        "pressure": rng.uniform(-0.3, 0.3),
        "humidity": rng.uniform(6, 14),
    }


def warning_periods(path: Path = WARNINGS_SEED) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) of each warning of the seed, local time (none when the seed is absent)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (
                dt.datetime.fromisoformat(row["start_local"]).replace(tzinfo=LOCAL_TZ),
                dt.datetime.fromisoformat(row["end_local"]).replace(tzinfo=LOCAL_TZ),
            )
            for row in csv.DictReader(handle)
        ]


def warning_response(dev: Device) -> float:
    """Flow factor of the device's enterprise during a warning (by its name: deterministic)."""
    return WARNING_RESPONSES[sum(dev.name.encode("utf-8")) % len(WARNING_RESPONSES)]


def _zs(c: float, o2: float, o2_ref: float) -> float:
    return c * (21 - o2_ref) / (21 - o2)


def _cems_items(
    dev: Device, v: dict[str, float], flag: str, stats: Sequence[str], seconds: int
) -> list[str]:
    """Data-area items of a CEMS packet. ``stats``: suffixes to send (Avg Min Max ...)."""
    assert dev.spec is not None
    o2_ref = float(dev.spec.o2_ref)
    codes = (
        {"pm": "01", "so2": "02", "nox": "03", "o2": "S01", "flow": "B02", "temp": "S03"}
        if dev.legacy
        else {
            "pm": "a34013",
            "so2": "a21026",
            "nox": "a21002",
            "o2": "a19001",
            "flow": "a00000",
            "temp": "a01012",
            "velocity": "a01011",
            "pressure": "a01013",
            "humidity": "a01014",
        }
    )
    items = []
    for key in ("pm", "so2", "nox"):
        c = v[key]
        if key == "nox" and dev.nox_as_no and not dev.legacy:
            no2 = c * 0.1
            no = (c - no2) * 30 / 46
            for code, val in (("a21003", no), ("a21004", no2)):
                items.append(_item(code, {"Avg": _fmt(val, 2)}, flag))
            continue
        values = {"Avg": _fmt(c, 2)}
        if "Min" in stats:
            values["Min"] = _fmt(c * 0.85, 2)
            values["Max"] = _fmt(c * 1.15, 2)
        values["ZsAvg"] = _fmt(_zs(c, v["o2"], o2_ref), 2)
        items.append(_item(codes[key], values, flag))
    items.append(_item(codes["o2"], {"Avg": _fmt(v["o2"], 1)}, flag))
    flow = {"Avg": _fmt(v["flow"], 1)}
    if "Min" in stats:
        flow["Cou"] = _fmt(v["flow"] * seconds, 0)
    items.append(_item(codes["flow"], flow, flag))
    items.append(_item(codes["temp"], {"Avg": _fmt(v["temp"], 1)}, flag))
    if not dev.legacy and "Min" in stats:
        for key in ("velocity", "pressure", "humidity"):
            items.append(_item(codes[key], {"Avg": _fmt(v[key], 2)}, flag))
    return items


def _dust_items(level: float, scale: float, flag: str, rng: random.Random) -> list[str]:
    pm25 = 38 * scale * level * rng.uniform(0.9, 1.1)
    pm10 = pm25 * rng.uniform(1.6, 2.2)
    tsp = pm10 * rng.uniform(1.4, 1.8)
    return [
        _item("a34001", {"Avg": _fmt(tsp, 1)}, flag),
        _item("a34002", {"Avg": _fmt(pm10, 1)}, flag),
        _item("a34004", {"Avg": _fmt(pm25, 1)}, flag),
    ]


def _micro_items(dev: Device, level: float, rng: random.Random) -> list[str]:
    o3 = "O3" if dev.o3_alias else "a05024"
    values = {
        "a34002": 95 * level * dev.scale,
        "a34004": 55 * level * dev.scale,
        "a21026": 22 * level,
        "a21004": 40 * level,
        "a21005": 1.1 * level,
        o3: 70 / level,
    }
    return [
        _item(code, {"Avg": _fmt(v * rng.uniform(0.9, 1.1), 1 if code != "a21005" else 2)}, "N")
        for code, v in values.items()
    ]


def generate_hj212(
    profile_path: Path, out_dir: Path, start: dt.date, end: dt.date, seed: int
) -> Summary:
    """Write the packet logs of the data hours [start, end) and the registry
    (``<out>/hj212_device_registry.csv``); return what was written and where the faults are."""
    if end <= start:
        raise ValueError(f"end {end} must be after start {start}")
    profile = load_profile(profile_path)
    devices = build_devices(profile, seed)
    write_registry(devices, out_dir / "hj212_device_registry.csv")
    rng = random.Random(f"hj212-packets-{seed}-{start}-{end}")
    t0 = dt.datetime.combine(start, dt.time(), LOCAL_TZ)
    hours = int((dt.datetime.combine(end, dt.time(), LOCAL_TZ) - t0).total_seconds() // 3600)
    events: list[_Event] = []
    notes: list[Fault] = []  # faults without a line (gaps)
    cems = [d for d in devices if d.kind == "cems"]
    hourly_cems = [d for d in cems if d.hourly and not d.legacy]
    minute_cems = [d for d in cems if d.minute]
    dust_minute = [d for d in devices if d.kind == "dust" and d.minute]
    # fault plans: (device, hour index) -> flag / gap; chosen deterministically
    flag_plan: dict[tuple[str, int], tuple[str, str]] = {}
    for kind, letter, span in (
        ("flag_D", "D", 2),
        ("flag_M", "M", 2),
        ("flag_C", "C", 1),
        ("flag_F", "F", 6),
    ):
        dev = hourly_cems[rng.randrange(len(hourly_cems))]
        first = rng.randrange(2, max(3, hours - span - 2))
        for h in range(first, min(first + span, hours)):
            flag_plan[(dev.mn, h)] = (letter, kind)
    missing_hours = {(hourly_cems[5].mn, h) for h in (min(10, hours - 1), min(11, hours - 1))}
    exceed: dict[tuple[str, int], str] = {}
    for i, key in enumerate(("nox", "so2", "pm")):
        dev = hourly_cems[(7 * i + 2) % len(hourly_cems)]
        exceed[(dev.mn, min(14 + 9 * i, hours - 1))] = key
    # minute devices: a calibration window (flag C) and missing minutes
    calib = {(minute_cems[0].mn, min(9, hours - 1)): range(20, 40)}
    gaps = {
        (minute_cems[1].mn, min(15, hours - 1)): range(10, 20),  # 50 valid minutes: hour valid
        (dust_minute[0].mn, min(4, hours - 1)): range(30, 50),  # 40 valid minutes: invalid hour
    }
    modbus_device = hourly_cems[-1].mn
    warnings = warning_periods()
    dust_devices = [d for d in devices if d.kind == "dust"]
    dust_spikes = {
        (d.mn, h) for d in dust_devices[1::9] for h in range(min(30, hours - 4), min(34, hours))
    }
    for dev in devices:
        drng = random.Random(f"{seed}-{dev.mn}-{start}")
        walk = _Walk(drng, 0.05)
        flag_field = None if dev.legacy else dev.flag_value
        for h in range(hours):
            hour = t0 + dt.timedelta(hours=h)
            diurnal = 1 + 0.15 * math.sin((hour.hour - 9) / 24 * 2 * math.pi)
            level = walk.step() * diurnal
            flag, fault_kind = flag_plan.get((dev.mn, h), ("N", ""))
            if dev.kind == "cems":
                assert dev.spec is not None
                o2 = min(dev.spec.o2 + drng.gauss(0, 0.4), 19.5)
                v = _cems_values(dev, level, o2, drng)
                boost = exceed.get((dev.mn, h))
                if boost:
                    v[boost] *= 4.5  # typical is ~1/3 of the limit
                if any(start <= hour < end for start, end in warnings):
                    v["flow"] *= warning_response(dev)
                if dev.minute:
                    for m in range(60):
                        moment = hour + dt.timedelta(minutes=m)
                        if m in gaps.get((dev.mn, h), ()):
                            continue
                        mflag = "C" if m in calib.get((dev.mn, h), ()) else flag
                        mv = {k: x * drng.uniform(0.97, 1.03) for k, x in v.items()}
                        mv["o2"] = v["o2"]
                        cp = [
                            f"DataTime={moment:%Y%m%d%H%M%S}",
                            *_cems_items(dev, mv, mflag, ("Avg",), 60),
                        ]
                        recv = moment + dt.timedelta(minutes=1, seconds=drng.randrange(1, 20))
                        seg = _segment(
                            _qn(recv, drng.randrange(1000)), dev.st, "2051", dev.mn, flag_field, cp
                        )
                        for receiver in dev.receivers:
                            events.append(_Event(recv, receiver, frame(seg), dev.mn))
                if dev.hourly and (dev.mn, h) not in missing_hours:
                    cp = [
                        f"DataTime={hour:%Y%m%d%H%M%S}",
                        *_cems_items(dev, v, flag, ("Avg", "Min", "Max"), 3600),
                    ]
                    recv = hour + dt.timedelta(hours=1, seconds=drng.randrange(5, 50))
                    seg = _segment(
                        _qn(recv, drng.randrange(1000)), dev.st, "2061", dev.mn, flag_field, cp
                    )
                    faults = [(fault_kind, f"flag {flag}")] if fault_kind else []
                    if dev.legacy:
                        faults.append(("legacy_codes", "HJ/T 212-2005 codes 01/02/03/S01/B02/S03"))
                    if boost:
                        faults.append(("exceedance", f"{boost} x4.5 (about 1.5x the limit)"))
                    for receiver in dev.receivers:
                        events.append(_Event(recv, receiver, frame(seg), dev.mn, list(faults)))
                        if len(dev.receivers) > 1 and receiver == dev.receivers[1] and h % 24 == 5:
                            events[-1].faults.append(("dual_receiver", "also in receiver-1"))
            elif dev.kind == "dust":
                if (dev.mn, h) in dust_spikes:
                    level *= 3
                minute_values = []
                for m in range(60):
                    if not dev.minute:
                        break
                    if m in gaps.get((dev.mn, h), ()):
                        continue
                    moment = hour + dt.timedelta(minutes=m)
                    items = _dust_items(level, dev.scale, "N", drng)
                    minute_values.append(items)
                    cp = [f"DataTime={moment:%Y%m%d%H%M%S}", *items]
                    recv = moment + dt.timedelta(minutes=1, seconds=drng.randrange(1, 20))
                    seg = _segment(
                        _qn(recv, drng.randrange(1000)), dev.st, "2051", dev.mn, flag_field, cp
                    )
                    events.append(_Event(recv, dev.receivers[0], frame(seg), dev.mn))
                if dev.hourly:
                    cp = [
                        f"DataTime={hour:%Y%m%d%H%M%S}",
                        *_dust_items(level, dev.scale, "N", drng),
                    ]
                    recv = hour + dt.timedelta(hours=1, seconds=drng.randrange(5, 50))
                    seg = _segment(
                        _qn(recv, drng.randrange(1000)), dev.st, "2061", dev.mn, flag_field, cp
                    )
                    events.append(_Event(recv, dev.receivers[0], frame(seg), dev.mn))
            else:
                cp = [f"DataTime={hour:%Y%m%d%H%M%S}", *_micro_items(dev, level, drng)]
                recv = hour + dt.timedelta(hours=1, seconds=drng.randrange(5, 50))
                seg = _segment(
                    _qn(recv, drng.randrange(1000)), dev.st, "2061", dev.mn, flag_field, cp
                )
                faults = []
                if dev.flag_value >> 2 == 2 and h == 0:
                    faults.append(
                        ("hj212_2025_flag", f"Flag={dev.flag_value}: version bits 000010")
                    )
                if dev.o3_alias and h == 0:
                    faults.append(("o3_alias", "O3-Avg for a05024"))
                events.append(_Event(recv, dev.receivers[0], frame(seg), dev.mn, faults))
    for (mn, h), minutes in gaps.items():
        notes.append(
            Fault(
                "missing_minutes",
                "",
                None,
                mn,
                f"hour {h}: minutes {minutes.start}..{minutes.stop - 1} absent",
            )
        )
    for mn, h in sorted(missing_hours):
        notes.append(Fault("missing_hour", "", None, mn, f"hour index {h}: no CN=2061 packet"))
    _inject(events, rng, hours, t0, modbus_device, hourly_cems)
    summary = Summary(out_dir, start, end, seed, devices, faults=notes)
    _write(events, out_dir, t0, hours, summary)
    return summary


def _retext(event: _Event, text: str) -> None:
    event.text = text


def _inject(
    events: list[_Event],
    rng: random.Random,
    hours: int,
    t0: dt.datetime,
    modbus_device: str,
    hourly_cems: list[Device],
) -> None:
    """Transport faults on individual packets, replays, acknowledgements."""
    hourly = [e for e in events if ";CN=2061;" in e.text and not e.faults]
    minute = [e for e in events if ";CN=2051;" in e.text and not e.faults]
    picks = rng.sample(hourly, 14)
    for e in picks[0:2]:  # bad CRC
        good = int(e.text[-4:], 16)
        _retext(e, f"{e.text[:-4]}{good ^ 0x1234:04X}")
        e.faults.append(("bad_crc", "CRC altered"))
    for e, delta in zip(picks[2:4], (1, -2), strict=True):  # wrong declared length
        length = int(e.text[2:6]) + delta
        _retext(e, f"##{length:04d}{e.text[6:]}")
        e.faults.append(("wrong_length", f"declared {length}"))
    for e in picks[4:6]:  # the right CRC, bytes swapped
        crc = e.text[-4:]
        _retext(e, f"{e.text[:-4]}{crc[2:]}{crc[:2]}")
        e.faults.append(("crc_byte_swapped", f"{crc} sent as {crc[2:]}{crc[:2]}"))
    for e in picks[6:8]:  # duplicate packet right after (re-sent, no 9014 answer)
        copy = _Event(e.received + dt.timedelta(seconds=10), e.receiver, e.text, e.mn)
        copy.faults.append(("duplicate_packet", "same packet sent again 10 s later"))
        events.append(copy)
    for e in picks[8:10]:
        e.layout = "split"
        e.faults.append(("split_packet", "packet split across two lines"))
    picks[10].layout = "join_next"
    picks[10].faults.append(("several_per_line", "this and the next packet(s) on one line"))
    picks[11].layout = "lf_only"
    picks[11].faults.append(("missing_crlf", "line ends with LF only"))
    for e in picks[12:14]:  # a non-numeric value
        if "a21026-Avg=" not in e.text:
            continue
        _retext(e, frame(e.text[6:-4].replace("a21026-Avg=", "a21026-Avg=--", 1)))
        e.faults.append(("bad_value", "a21026-Avg=--..."))
    for e in rng.sample(minute, 6):  # a few minute packets several on one line
        e.layout = "join_next"
        e.faults.append(("several_per_line", "minute packets on one line"))
    # one device's firmware: CRC-16/MODBUS in MODBUS byte order for its packets of 3 hours
    modbus_hours = {
        t0 + dt.timedelta(hours=h + 1) for h in range(min(20, hours - 1), min(23, hours))
    }
    for e in events:
        if e.mn == modbus_device and ";CN=2061;" in e.text:
            if e.received.replace(minute=0, second=0, microsecond=0) in modbus_hours:
                seg = e.text[6:-4].encode()
                crc = crc16_modbus(seg)
                _retext(e, f"{e.text[:-4]}{(crc & 0xFF) << 8 | crc >> 8:04X}")
                e.faults.append(
                    ("crc_modbus_byte_swapped", "firmware sends CRC-16/MODBUS low byte first")
                )
    # a history replay on request: a device re-sends its hourly packets of day 1 in a later hour,
    # framed by 9011 (request answered) and 9012 (done); one replayed value differs.
    dev = hourly_cems[3]
    originals = sorted(
        (
            e
            for e in events
            if e.mn == dev.mn and ";CN=2061;" in e.text and e.receiver == "receiver-1"
        ),
        key=lambda e: e.received,
    )[:24]
    if hours > 30 and originals:
        when = t0 + dt.timedelta(hours=hours - 3, minutes=17)
        qn = _qn(when, 0)
        ack = _segment(qn, "91", "9011", dev.mn, 4, ["QnRtn=1"])
        events.append(_Event(when, "receiver-1", frame(ack), dev.mn))
        restart = _segment(
            _qn(when, 1),
            dev.st,
            "2081",
            dev.mn,
            4,
            [
                f"DataTime={when:%Y%m%d%H%M%S}",
                f"RestartTime={when - dt.timedelta(minutes=3):%Y%m%d%H%M%S}",
            ],
        )
        events.append(
            _Event(when, "receiver-1", frame(restart), dev.mn, [("restart_notice", "CN=2081")])
        )
        for i, e in enumerate(originals):
            moment = when + dt.timedelta(seconds=2 + i)
            seg = e.text[6:-4]
            seg = seg.replace(f"QN={seg[3:20]}", f"QN={_qn(moment, i)}", 1)
            kind = "replay"
            if i == 5:
                avg = seg.split("a21026-Avg=", 1)[1].split(",", 1)[0]
                seg = seg.replace(f"a21026-Avg={avg}", f"a21026-Avg={Decimal(avg) + 1}", 1)
                kind = "replay_conflicting"
            events.append(
                _Event(
                    moment, "receiver-1", frame(seg), dev.mn, [(kind, "history re-sent on request")]
                )
            )
        done = _segment(qn, "91", "9012", dev.mn, 4, ["ExeRtn=1"])
        events.append(_Event(when + dt.timedelta(seconds=40), "receiver-1", frame(done), dev.mn))


def _write(
    events: list[_Event], out_dir: Path, t0: dt.datetime, hours: int, summary: Summary
) -> None:
    files: dict[tuple[str, dt.datetime], list[_Event]] = {}
    for e in events:
        hour = e.received.replace(minute=0, second=0, microsecond=0)
        files.setdefault((e.receiver, hour), []).append(e)
    for receiver in RECEIVERS:  # a file per receiver per hour, even an empty one
        for h in range(hours + 1):
            files.setdefault((receiver, t0 + dt.timedelta(hours=h)), [])
    for (receiver, hour), batch in sorted(files.items()):
        batch.sort(key=lambda e: e.received)
        rel = f"{FEED_DIR}/{receiver}/{hour:%Y-%m-%dT%H}.log"
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        out: list[str] = []
        line = 1
        for i, e in enumerate(batch):
            for kind, detail in e.faults:
                summary.faults.append(Fault(kind, rel, line, e.mn, detail))
            summary.packets += 1
            last = i == len(batch) - 1
            if e.layout == "split":
                cut = len(e.text) // 2
                out.append(f"{e.text[:cut]}\r\n{e.text[cut:]}\r\n")
                line += 2
            elif e.layout == "join_next" and not last:
                out.append(e.text)
            elif e.layout == "lf_only":
                out.append(f"{e.text}\n")
                line += 1
            else:
                out.append(f"{e.text}\r\n")
                line += 1
        path.write_bytes("".join(out).encode("utf-8"))
        summary.files += 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a seeded HJ 212 packet-log sample.")
    parser.add_argument("--profile", type=Path, default=Path("config/city_profile.yaml"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None, help="exclusive")
    parser.add_argument("--days", type=int, default=3, help="days of data before --end")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--registry", type=Path, default=None, help="also write the registry here (config file)"
    )
    args = parser.parse_args(argv)
    sample = load_profile(args.profile).get("sample", {})
    end = args.end or dt.date.fromisoformat(str(sample.get("end", "2026-03-15")))
    start = args.start or end - dt.timedelta(days=args.days)
    seed = args.seed if args.seed is not None else int(sample.get("seed", 20260301))
    summary = generate_hj212(args.profile, args.out, start, end, seed)
    if args.registry:
        write_registry(summary.devices, args.registry)
    print(summary.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
