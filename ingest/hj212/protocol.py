"""HJ 212-2017 protocol tables and the frame checksum (污染物在线监控（监测）系统数据传输标准).

What the standard defines, apart from parsing: the command codes (CN, table 9) loaded as
readings, the data flags (table 8), the statistic suffixes (table 4), the HJ/T 212-2005 codes
and their 2017 codes (Appendix B table B.2), the CRC of Appendix A (and the wrong CRCs devices
send, to name them), the frame, and how the Flag's version bits name the standard
(:class:`FlagScheme`). The parser (:mod:`ingest.hj212.parse`) and the sample generator use them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

# CN (table 9) of the data uploads we load as readings, with the interval DataTime starts.
DATA_COMMANDS: dict[str, str] = {
    "2011": "realtime",  # DataTime = sampling moment
    "2051": "minute",  # DataTime = start of the minute interval
    "2061": "hour",  # start of the hour
    "2031": "day",  # start of the day
}
# The same CNs sent BY THE PLATFORM are requests (table 9; appendix C): C.10 取污染物实时数据
# (CN=2011, CP=&&&&), C.20/C.21/C.22 取污染物分钟/小时/日历史数据 (CN=2051/2061/2031, CP holds
# only BeginTime and EndTime). A request carries no DataTime and no reading.
REQUEST_FIELDS = frozenset({"BeginTime", "EndTime"})  # table 4: N14 YYYYMMDDhhmmss
ACK_COMMANDS = frozenset({"9011", "9012", "9013", "9014"})  # 请求应答/执行结果/通知应答/数据应答
DATA_FLAGS = {  # table 8
    "N": "正常 normal",
    "F": "停运 stopped",
    "M": "维护 maintenance",
    "S": "手工输入 manual",
    "D": "故障 fault",
    "C": "校准 calibration",
    "T": "超测量上限 over range",
    "B": "通讯异常 communication fault",
}
STATISTICS = {  # table 4 suffix -> statistic
    "Rtd": "rtd",
    "Avg": "avg",
    "Min": "min",
    "Max": "max",
    "Cou": "cou",
    "ZsRtd": "zs_rtd",
    "ZsAvg": "zs_avg",
    "ZsMin": "zs_min",
    "ZsMax": "zs_max",
}
# Suffixes table 4 defines that are not measured values (recognised, not loaded as readings):
# xxxxxx-EFlag, xxxxxx-SampleTime, SBxxx-RS, SBxxx-RT, xxxxxx-Info, the noise xxxxxx-Data /
# -DayData / -NightData (loaded by no Lantian model), and SN (device serial, appendix C). Any
# other suffix (Ia, Pt, ZsCou, ValidNum, ... of other projects) is not in table 4: quarantined
# with reason ``unknown_suffix`` (ingest.hj212.parse), never dropped silently.
OTHER_SUFFIXES = frozenset(
    {"EFlag", "SampleTime", "Info", "SN", "RS", "RT", "Data", "DayData", "NightData"}
)
# Sizes (bytes of UTF-8 text, as the length field counts them, s6.3.1):
MAX_SEGMENT_BYTES = 1024  # table 2: 数据段 0<=n<=1024
MAX_CP_BYTES = 950  # table 3: CP 0<=n<=950, the length counting "CP=", the &&s and the data area
POLLUTANTS: dict[str, str] = {  # Appendix B table B.2 (air), the codes Lantian uses
    "a21026": "二氧化硫 SO2",
    "a21002": "氮氧化物 NOx",
    "a21003": "一氧化氮 NO",
    "a21004": "二氧化氮 NO2",
    "a21005": "一氧化碳 CO",
    "a34013": "烟尘 particulate",
    "a19001": "氧气含量 O2 %",
    "a00000": "废气流量 flue-gas flow (m3/s)",
    "a01011": "烟气流速 velocity (m/s)",
    "a01012": "烟气温度 temperature (°C)",
    "a01013": "烟气压力 pressure (kPa)",
    "a01014": "烟气湿度 humidity %",
    "a34002": "PM10",
    "a34004": "PM2.5",
    "a34001": "TSP",
    "a05024": "臭氧 O3",
    "a01001": "温度 temperature (°C)",
    "a01002": "湿度 humidity %",
    "a01006": "气压 pressure (kPa)",
    "a01007": "风速 wind speed (m/s)",
    "a01008": "风向 wind direction (°)",
}
# HJ/T 212-2005 codes -> HJ 212-2017 codes. Source: HJ 212-2017 Appendix B table B.2, column
# 原编码 (the 2005 code of each factor), ../shared/standards/HJ212-2017.txt. Verified against that
# table for every entry below; "O3" is not in the table: RULES.md s4 ("ozone arrives as a05024
# or O3"), unverified against a primary text.
LEGACY_CODES: dict[str, str] = {
    "01": "a34013",  # 烟尘
    "02": "a21026",  # 二氧化硫
    "03": "a21002",  # 氮氧化物
    "04": "a21005",  # 一氧化碳
    "05": "a21028",  # 硫化氢
    "06": "a21018",  # 氟化物
    "07": "a21017",  # 氰化物
    "08": "a21024",  # 氯化氢
    "09": "a34038",  # 沥青烟
    "10": "a21001",  # 氨
    "11": "a21022",  # 氯气
    "30": "a05001",  # 二氧化碳
    "B02": "a00000",  # 废气 (flow)
    "S01": "a19001",  # 氧气含量
    "S02": "a01011",  # 烟气流速
    "S03": "a01012",  # 烟气温度
    "S04": "a01017",  # 烟气动压
    "S05": "a01014",  # 烟气湿度
    "S06": "a01015",  # 制冷温度
    "S07": "a01016",  # 烟道截面积
    "S08": "a01013",  # 烟气压力
    "O3": "a05024",  # RULES.md s4 (unverified)
}
UNVERIFIED_CODE_MAPPINGS = frozenset({"O3"})


def _crc_table() -> tuple[int, ...]:
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def _m_powers() -> tuple[tuple[int, ...], ...]:
    """``[j][v] = M^j(v)`` for j = 0..7, where ``M(v) = _TABLE[v] >> 8`` (the 8 rounds of
    Appendix A on an 8-bit value, keeping the high byte): linear over GF(2), and M^8 is the
    identity (checked here, so a wrong table cannot pass silently)."""
    powers = [tuple(range(256))]
    for _ in range(8):
        powers.append(tuple(_TABLE[v] >> 8 for v in powers[-1]))
    if powers[8] != powers[0]:
        raise AssertionError("HJ 212 CRC: M^8 is not the identity")
    return tuple(powers[:8])


_M_POWERS = _m_powers()
_START = tuple(_M_POWERS[r][0xFF] for r in range(8))  # M^r of the register's initial high byte


def crc16(data: bytes) -> int:
    """HJ 212-2017 Appendix A CRC of ``data`` (the data segment).

    Step 3 xors each byte into the register's HIGH byte after shifting it right by 8, so the
    register holds at most 8 bits before the 8 shift/xor rounds: per byte
    ``crc = _TABLE[(crc >> 8) ^ byte]``. Only the high byte ``s`` carries from one byte to the
    next: ``s' = M(s ^ byte)`` with ``M(v) = _TABLE[v] >> 8``, and the CRC is
    ``_TABLE[s_last ^ last byte]``. M is linear and M^8 = identity, so the value before that
    last lookup is the XOR over all bytes of ``M^((n-1-i) mod 8)(byte_i)`` (and of the initial
    0xFF): XOR the data's 8-byte words together (big-integer folding, in C), then 8 lookups.
    ``crc16_reference`` (the standard's C function) checks it in the tests.
    """
    n = len(data)
    if not n:
        return 0xFFFF
    bits = 64 << ((n + 7) // 8 - 1).bit_length()  # the words, padded to a power of two
    x = int.from_bytes(data, "big")  # big-endian: the padding is leading zero bytes
    while bits > 64:
        bits >>= 1
        x = (x >> bits) ^ (x & ((1 << bits) - 1))
    p = _M_POWERS
    value = (
        p[7][x >> 56]
        ^ p[6][(x >> 48) & 255]
        ^ p[5][(x >> 40) & 255]
        ^ p[4][(x >> 32) & 255]
        ^ p[3][(x >> 24) & 255]
        ^ p[2][(x >> 16) & 255]
        ^ p[1][(x >> 8) & 255]
        ^ (x & 255)
        ^ _START[(n - 1) & 7]
    )
    return _TABLE[value]


def crc16_reference(data: bytes) -> int:
    """The standard's C function, transcribed bit by bit (tests check crc16 against it)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            check = crc & 0x0001
            crc >>= 1
            if check == 0x0001:
                crc ^= 0xA001
    return crc


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (the register's LOW byte takes each byte): what some devices send instead."""
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def swap_bytes(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def frame(segment: str, crc: int | None = None) -> str:
    """``##`` + length + segment + CRC (Appendix A unless given), without the CR LF."""
    body = segment.encode("utf-8")
    value = crc16(body) if crc is None else crc
    return f"##{len(body):04d}{segment}{value:04X}"


@dataclass(frozen=True)
class FlagScheme:
    """How the version bits of Flag (Flag >> 2) name the standard. Configuration: HJ 212-2025
    changes these bits (RULES.md s4) but its text was not verified, so it is marked unverified."""

    versions: Mapping[int, str] = field(
        default_factory=lambda: {0: "HJ/T 212-2005", 1: "HJ 212-2017", 2: "HJ 212-2025"}
    )
    unverified: frozenset[int] = frozenset({2})

    @classmethod
    def from_env(cls, value: str | None = None) -> FlagScheme:
        """``LANTIAN_HJ212_FLAG_VERSIONS="0=HJ/T 212-2005,1=HJ 212-2017,2=HJ 212-2025?"``: a
        trailing ``?`` marks a version as unverified."""
        text = os.environ.get("LANTIAN_HJ212_FLAG_VERSIONS") if value is None else value
        if not text:
            return cls()
        versions: dict[int, str] = {}
        unverified: set[int] = set()
        for part in text.split(","):
            bits, _, name = part.partition("=")
            number = int(bits.strip())
            name = name.strip()
            if name.endswith("?"):
                unverified.add(number)
                name = name[:-1].strip()
            versions[number] = name
        return cls(versions, frozenset(unverified))

    def protocol(self, flag: int | None) -> str:
        if flag is None:
            return "HJ/T 212-2005 (no Flag)"
        bits = flag >> 2
        name = self.versions.get(bits, f"unknown version {bits:06b}")
        return f"{name} (unverified)" if bits in self.unverified else name


DEFAULT_SCHEME = FlagScheme()
