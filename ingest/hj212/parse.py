"""Parser for HJ 212-2017 packets (污染物在线监控（监测）系统数据传输标准), tolerant of real devices.

Knows nothing of the database: the bytes of a packet log become packets, readings in long form
and rejects (file line, reason, raw packet), as ``ingest.national_station`` does for CSV.

Frame (HJ 212-2017 s6.3.1, table 2): ``##`` + 4 decimal digits (length of the data segment) +
data segment + 4 hex digits CRC + CR LF. CRC: Appendix A (NOT CRC-16/MODBUS): crc = 0xFFFF; per
byte crc = (crc >> 8) ^ byte, then 8 times shift right and xor 0xA001 if the bit shifted out was
1; printed high byte first. The standard's example verifies as 1C80 (its prose misprints 1C08).
The length counts the bytes of the data segment (ASCII; UTF-8 bytes for Chinese log text).

Data segment (table 3): ``QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;[PNUM=..;PNO=..;]CP=&&..&&``.
Data area (s6.3.3): items separated by ``;``, values of one item by ``,``; ``DataTime=`` and
``<code>-Rtd/-Avg/-Min/-Max/-Cou/-ZsRtd/-ZsAvg/-ZsMin/-ZsMax/-Flag``. DataTime is the START of
the interval for CN 2051 (minute), 2061 (hour), 2031 (day), the sampling moment for 2011
(table 4); local time (Asia/Shanghai, UTC+8).

Flag (table 3): bits ``V5 V4 V3 V2 V1 V0 D A``: A (bit 0) = the packet wants an answer, D (bit 1)
= PNUM/PNO present, V5..V0 = Flag >> 2 = standard version: 000000 HJ/T 212-2005, 000001 HJ
212-2017. HJ 212-2025 changes the version bits (RULES.md s4); its text was not at hand, so the
version table is configuration (:class:`FlagScheme`, env ``LANTIAN_HJ212_FLAG_VERSIONS``), by
default ``2 = HJ 212-2025`` marked unverified, same D/A bits assumed.

Tolerated device faults: several packets on one line, missing CR LF, a packet split across
lines (line breaks inside the declared length are removed and the CRC must then verify), legacy
HJ/T 212-2005 codes (mapped, the code as sent is kept), ``O3`` for a05024. Quarantined with a
specific reason, never loaded: wrong length, truncated packet, bad CRC, and CRCs that are the
right value byte-swapped, CRC-16/MODBUS, or CRC-16/MODBUS byte-swapped (MODBUS wire order).
Acknowledgements (9011..9014) and other commands are recognised and counted, not loaded.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

# CN (table 9) of the data uploads we load as readings, with the interval DataTime starts.
DATA_COMMANDS: dict[str, str] = {
    "2011": "realtime",  # DataTime = sampling moment
    "2051": "minute",  # DataTime = start of the minute interval
    "2061": "hour",  # start of the hour
    "2031": "day",  # start of the day
}
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
# Suffixes that are not measured values (recognised, not loaded as readings).
OTHER_SUFFIXES = frozenset(
    {"EFlag", "SampleTime", "Info", "SN", "RS", "RT", "Data", "DayData", "NightData"}
)
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

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_CODE = re.compile(r"[A-Za-z0-9]{1,12}")
_MN = re.compile(r"[0-9A-Za-z_\-]{1,32}")
_ST = re.compile(r"[0-9A-Z]{2}")
_CN = re.compile(r"\d{4}")
_DATATIME = re.compile(r"(\d{14})(\d{3})?")
_FLAG_VALUE = re.compile(r"[A-Za-z0-9]{1,4}")
_PACKET_TEXT = re.compile(rb"##(\d{4})(.*)([0-9A-Fa-f]{4})\s*", re.DOTALL)
_HEX = frozenset(b"0123456789abcdefABCDEF")
_PAIR = re.compile(r"([^;,=]*)=([^;,=]*)")  # name=value of the data area (s6.3.3.1)
_SEPARATORS = re.compile(r"[;,]")


def _crc_table() -> tuple[int, ...]:
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """HJ 212-2017 Appendix A CRC of ``data`` (the data segment).

    Step 3 xors each byte into the register's HIGH byte after shifting it right by 8, so the
    register holds at most 8 bits before the 8 shift/xor rounds: one table lookup per byte.
    """
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc >> 8) ^ byte]
    return crc


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


def _swap(value: int) -> int:
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


class Reading(NamedTuple):
    """One value of one statistic of one pollutant in one packet (long form)."""

    mn: str
    st: str
    cn: str
    data_time: dt.datetime  # interval START for 2051/2061/2031, sampling moment for 2011
    pollutant_code: str  # HJ 212-2017 code (legacy codes mapped)
    statistic: str  # rtd avg min max cou zs_rtd zs_avg zs_min zs_max
    value: Decimal  # exactly the packet's text
    flag: str | None  # data flag N F M S D C T B (None if the packet gave none)
    qn: str | None
    line_number: int  # file line where the packet starts
    packet_seq: int  # the packet's position in the file (1-based)
    source_code: str | None  # the code as sent when it was mapped (legacy 2005 / O3)
    value_text: str  # the value as written in the packet


@dataclass(frozen=True)
class Packet:
    """A well-formed packet (length and CRC verified)."""

    seq: int
    line_number: int
    qn: str | None
    st: str
    cn: str
    pw: str | None
    mn: str
    flag: int | None
    protocol: str
    needs_ack: bool
    pnum: int | None
    pno: int | None
    data_time: dt.datetime | None
    kind: str  # data | ack | other
    readings: int
    was_split: bool
    raw: str  # the frame as received (## .. CRC), line breaks of a split packet removed


@dataclass(frozen=True)
class Reject:
    line_number: int
    reason: str  # "<code>: <explanation>", code e.g. crc_modbus, wrong_length, bad_value
    raw: str | None = None
    column: str | None = None
    value: str | None = None

    @property
    def code(self) -> str:
        return self.reason.split(":", 1)[0]


@dataclass
class ParsedLog:
    packets: list[Packet] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def packets_rejected(self) -> int:
        return sum(1 for r in self.rejects if r.column != "field")


class _PacketError(ValueError):
    def __init__(self, code: str, text: str, column: str | None = None, value: str | None = None):
        super().__init__(f"{code}: {text}")
        self.column = column
        self.value = value


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="backslashreplace")


_TIMES: dict[str, dt.datetime | None] = {}


def _parse_time(text: str) -> dt.datetime | None:
    """DataTime ``YYYYMMDDhhmmss`` (optionally + ``zzz``) as local time; None if invalid."""
    cached = _TIMES.get(text)
    if cached is not None or text in _TIMES:
        return cached
    moment: dt.datetime | None = None
    if _DATATIME.fullmatch(text):
        try:
            moment = dt.datetime(
                int(text[0:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[8:10]),
                int(text[10:12]),
                int(text[12:14]),
                tzinfo=LOCAL_TZ,
            )
        except ValueError:
            moment = None
    if len(_TIMES) > 100_000:
        _TIMES.clear()
    _TIMES[text] = moment
    return moment


def _check_alignment(cn: str, moment: dt.datetime) -> str | None:
    if cn == "2051" and moment.second:
        return "is not the start of a minute"
    if cn == "2061" and (moment.minute or moment.second):
        return "is not the start of an hour"
    if cn == "2031" and (moment.hour or moment.minute or moment.second):
        return "is not the start of a day"
    return None


class _Segment(NamedTuple):
    qn: str | None
    st: str
    cn: str
    pw: str | None
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: str


def parse_segment(segment: str) -> _Segment:
    """Header fields and the CP data area of a data segment; raises _PacketError."""
    head, sep, rest = segment.partition("CP=&&")
    if not sep:
        raise _PacketError("malformed", "no CP=&& data area")
    if not rest.endswith("&&"):
        raise _PacketError("malformed", "data area does not end with &&")
    fields: dict[str, str] = {}
    for part in head.split(";"):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise _PacketError("malformed", f"header field {part!r} without '='", "header", part)
        fields.setdefault(key, value)
    st, cn, mn = fields.get("ST"), fields.get("CN"), fields.get("MN")
    if not st or not _ST.fullmatch(st):
        raise _PacketError("bad_header", f"ST missing or invalid ({st!r})", "ST", st)
    if not cn or not _CN.fullmatch(cn):
        raise _PacketError("bad_header", f"CN missing or invalid ({cn!r})", "CN", cn)
    if not mn or not _MN.fullmatch(mn):
        raise _PacketError("bad_header", f"MN missing or invalid ({mn!r})", "MN", mn)
    flag_text = fields.get("Flag")
    flag: int | None = None
    if flag_text is not None:
        if not flag_text.isdigit() or int(flag_text) > 255:
            raise _PacketError(
                "bad_header", f"Flag is not 0..255 ({flag_text!r})", "Flag", flag_text
            )
        flag = int(flag_text)
    pnum = pno = None
    if "PNUM" in fields or "PNO" in fields or (flag is not None and flag & 2):
        pnum_text, pno_text = fields.get("PNUM", ""), fields.get("PNO", "")
        if not (pnum_text.isdigit() and pno_text.isdigit()):
            raise _PacketError(
                "bad_header",
                f"Flag D bit or PNUM/PNO present but PNUM={pnum_text!r} PNO={pno_text!r}",
                "PNUM",
                pnum_text,
            )
        pnum, pno = int(pnum_text), int(pno_text)
        if not 1 <= pno <= pnum:
            raise _PacketError("bad_header", f"PNO {pno} outside 1..PNUM {pnum}", "PNO", pno_text)
    qn = fields.get("QN")
    return _Segment(qn, st, cn, fields.get("PW"), mn, flag, pnum, pno, rest[:-2])


class _Frame(NamedTuple):
    line_number: int
    segment: bytes
    crc_text: bytes
    raw: bytes
    was_split: bool


def _crc_problem(segment: bytes, crc_text: bytes) -> str | None:
    got = int(crc_text, 16)
    expected = crc16(segment)
    if got == expected:
        return None
    shown = crc_text.decode("ascii")
    if got == _swap(expected):
        return (
            f"crc_byte_swapped: CRC {shown} is the HJ 212 Appendix A CRC with its bytes swapped"
            f" (low byte first); expected {expected:04X}"
        )
    modbus = crc16_modbus(segment)
    if got == modbus:
        return (
            f"crc_modbus: CRC {shown} is CRC-16/MODBUS of the data segment, not HJ 212"
            f" Appendix A; expected {expected:04X}"
        )
    if got == _swap(modbus):
        return (
            f"crc_modbus_byte_swapped: CRC {shown} is CRC-16/MODBUS in MODBUS byte order"
            f" (low byte first), not HJ 212 Appendix A; expected {expected:04X}"
        )
    return f"crc_mismatch: CRC {shown} does not match the data segment; expected {expected:04X}"


def _ok_tail(data: bytes, pos: int) -> bool:
    return pos >= len(data) or data[pos] in b"\r\n \t" or data.startswith(b"##", pos)


def _split_end(region: bytes, size: int) -> int | None:
    """Index in ``region`` just after its first ``size`` bytes that are not CR or LF."""
    count = 0
    for index, byte in enumerate(region):
        if byte not in (10, 13):
            count += 1
            if count == size:
                return index + 1
    return None


def _frames(data: bytes, rejects: list[Reject]) -> list[_Frame]:
    """Cut the byte stream into frames; bytes that form no valid frame become rejects."""
    frames: list[_Frame] = []
    n = len(data)
    pos = 0
    line, line_pos = 1, 0

    def line_at(p: int) -> int:
        nonlocal line, line_pos
        line += data.count(b"\n", line_pos, p)
        line_pos = p
        return line

    while pos < n:
        start = data.find(b"##", pos)
        stray_end = n if start < 0 else start
        stray = data[pos:stray_end]
        if stray.strip():
            offset = len(stray) - len(stray.lstrip())
            rejects.append(
                Reject(
                    line_at(pos + offset),
                    "stray_bytes: text outside any packet (no ## header)",
                    _decode(stray.strip()),
                )
            )
        if start < 0:
            break
        ln = line_at(start)
        header = data[start + 2 : start + 6]
        nxt = data.find(b"##", start + 2)
        nxt = n if nxt < 0 else nxt
        if len(header) < 4 or not header.isdigit():
            rejects.append(
                Reject(
                    ln,
                    "bad_length_field: the 4 characters after ## are not a decimal length",
                    _decode(data[start:nxt].strip()),
                    "length",
                    _decode(header),
                )
            )
            pos = nxt
            continue
        length = int(header)
        seg_end = start + 6 + length
        crc_end = seg_end + 4
        segment = data[start + 6 : seg_end]
        crc_text = data[seg_end:crc_end]
        if (
            len(crc_text) == 4
            and all(c in _HEX for c in crc_text)
            and b"\n" not in segment
            and b"\r" not in segment
            and segment.endswith(b"&&")
            and _ok_tail(data, crc_end)
        ):
            frames.append(_Frame(ln, segment, crc_text, data[start:crc_end], False))
            pos = crc_end
            continue
        # a packet split across lines: line breaks inside it are transport artefacts
        region = data[start:nxt]
        joined = region.replace(b"\r", b"").replace(b"\n", b"")
        end = _split_end(region, 6 + length + 4)
        if end is not None and end < len(region) and region[end] not in b"\r\n":
            end = None  # more text right after the CRC on the same line: not a clean packet
        if end is not None:
            packet = region[:end].replace(b"\r", b"").replace(b"\n", b"")
            segment, crc_text = packet[6 : 6 + length], packet[6 + length :]
            if (
                packet != region[:end]
                and all(c in _HEX for c in crc_text)
                and segment.endswith(b"&&")
            ):
                frames.append(_Frame(ln, segment, crc_text, packet, True))
                pos = start + end
                continue
        body = joined[6:]
        raw = _decode(joined.strip())
        match = _PACKET_TEXT.fullmatch(joined.strip())
        if match and len(match.group(2)) != length and match.group(2).endswith(b"&&"):
            reason = (
                f"wrong_length: declared length {length:04d} but the data segment has"
                f" {len(match.group(2))} bytes"
            )
        elif len(body) < length + 4:
            reason = (
                f"truncated: declared length {length:04d} but only {max(len(body) - 4, 0)}"
                " bytes of data segment before the next packet or the end of the file"
            )
        else:
            reason = "malformed: no 4-hex-digit CRC right after the declared data segment"
        rejects.append(Reject(ln, reason, raw, "length", f"{length:04d}"))
        pos = nxt
    return frames


def parse(data: bytes, scheme: FlagScheme = DEFAULT_SCHEME) -> ParsedLog:
    """Parse a packet log (bytes as received, any line ends)."""
    result = ParsedLog()
    rejects = result.rejects
    counts = result.counts
    frames = _frames(data, rejects)
    seq = 0
    for fr in frames:
        raw_text = _decode(fr.raw)
        problem = _crc_problem(fr.segment, fr.crc_text)
        if problem is not None:
            rejects.append(Reject(fr.line_number, problem, raw_text, "crc", fr.crc_text.decode()))
            continue
        seq += 1
        try:
            packet, readings, field_rejects = _parse_frame(fr, seq, raw_text, scheme)
        except _PacketError as exc:
            rejects.append(Reject(fr.line_number, str(exc), raw_text, exc.column, exc.value))
            seq -= 1
            continue
        result.packets.append(packet)
        result.readings.extend(readings)
        rejects.extend(field_rejects)
        counts[f"packets_{packet.kind}"] += 1
        counts["packets_split"] += packet.was_split
    counts["packets_rejected"] = result.packets_rejected
    counts["fields_rejected"] = len(rejects) - result.packets_rejected
    return result


def _parse_frame(
    fr: _Frame, seq: int, raw_text: str, scheme: FlagScheme
) -> tuple[Packet, list[Reading], list[Reject]]:
    try:
        segment = fr.segment.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _PacketError("not_utf8", "data segment is not UTF-8 text") from exc
    head = parse_segment(segment)
    cn = head.cn
    interval = DATA_COMMANDS.get(cn)
    kind = "data" if interval else "ack" if cn in ACK_COMMANDS else "other"
    readings: list[Reading] = []
    rejects: list[Reject] = []
    data_time: dt.datetime | None = None
    if interval:
        data_time, readings, rejects = _data_area(head, fr, seq, raw_text)
    flag = head.flag
    packet = Packet(
        seq=seq,
        line_number=fr.line_number,
        qn=head.qn,
        st=head.st,
        cn=cn,
        pw=head.pw,
        mn=head.mn,
        flag=flag,
        protocol=scheme.protocol(flag),
        needs_ack=bool(flag is not None and flag & 1),
        pnum=head.pnum,
        pno=head.pno,
        data_time=data_time,
        kind=kind,
        readings=len(readings),
        was_split=fr.was_split,
        raw=raw_text,
    )
    return packet, readings, rejects


def _data_area(
    head: _Segment, fr: _Frame, seq: int, raw_text: str
) -> tuple[dt.datetime, list[Reading], list[Reject]]:
    values: list[tuple[str, str, str]] = []  # (code, statistic, text); repeats kept for the loader
    flags: dict[str, str] = {}
    rejects: list[Reject] = []
    data_time_text: str | None = None
    ln = fr.line_number
    cp = head.cp
    pairs = _PAIR.findall(cp)
    if (
        len(pairs) != cp.count("=")
        or len(pairs) < len(_SEPARATORS.split(cp.strip(";,")))
        or any(not key for key, _ in pairs)
    ):
        pairs = []
        for sub in _SEPARATORS.split(cp):
            key, eq, value = sub.partition("=")
            if eq and "=" not in value:
                pairs.append((key, value))
            elif sub.strip():
                rejects.append(
                    Reject(ln, f"bad_field: {sub!r} is not name=value", raw_text, "field", sub)
                )
    statistics = STATISTICS
    for key, value in pairs:
        if key == "DataTime":
            data_time_text = value
            continue
        code, dash, suffix = key.rpartition("-")
        if not dash:
            continue  # a parameter such as RtdInterval, PolId: not a reading
        if suffix == "Flag":
            if _FLAG_VALUE.fullmatch(value):
                flags.setdefault(code, value)
            else:
                rejects.append(
                    Reject(ln, f"bad_flag: {key}={value!r}", raw_text, "field", f"{key}={value}")
                )
            continue
        statistic = statistics.get(suffix)
        if statistic is None:
            continue  # EFlag, SampleTime, Info, SN, ...: recognised, not a reading
        if not _CODE.fullmatch(code):
            rejects.append(
                Reject(
                    ln, f"bad_code: pollutant code {code!r}", raw_text, "field", f"{key}={value}"
                )
            )
            continue
        if not _NUMBER.fullmatch(value):
            rejects.append(
                Reject(
                    ln,
                    f"bad_value: {key}={value!r} is not a number",
                    raw_text,
                    "field",
                    f"{key}={value}",
                )
            )
            continue
        values.append((code, statistic, value))
    if data_time_text is None:
        raise _PacketError("bad_datatime", f"CN={head.cn} data packet without DataTime")
    moment = _parse_time(data_time_text)
    if moment is None:
        raise _PacketError(
            "bad_datatime", f"DataTime {data_time_text!r} is not YYYYMMDDhhmmss", "DataTime"
        )
    misaligned = _check_alignment(head.cn, moment)
    if misaligned:
        raise _PacketError(
            "bad_datatime",
            f"DataTime {data_time_text} {misaligned} (CN={head.cn}: DataTime is the interval start)",
            "DataTime",
            data_time_text,
        )
    readings = []
    for code, statistic, text in values:
        mapped = LEGACY_CODES.get(code)
        readings.append(
            Reading(
                head.mn,
                head.st,
                head.cn,
                moment,
                mapped or code,
                statistic,
                Decimal(text),
                flags.get(code),
                head.qn,
                ln,
                seq,
                code if mapped else None,
                text,
            )
        )
    return moment, readings, rejects
