"""Parser for HJ 212-2017 packets (污染物在线监控（监测）系统数据传输标准), tolerant of real devices.

Knows nothing of the database: the bytes of a packet log become packets, readings in long form
and rejects (file line, reason, raw packet), as ``ingest.station.parse`` does for CSV.

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

Against other projects' test packets (issue 16):
- requests from the platform (table 9; C.10 CN=2011 with ``CP=&&&&``; C.20/C.21/C.22
  CN=2051/2061/2031 with only BeginTime/EndTime) are packets of kind ``request``: counted in
  ``packets_request``, kept in raw like the acknowledgements, never a reading nor a reject;
- a data segment over 1024 bytes (table 2) is rejected ``segment_too_long``, a CP over 950
  bytes (table 3) ``cp_too_long``;
- a 17-digit DataTime (``YYYYMMDDhhmmsszzz``, the QN format of table 3 where table 4 asks N14)
  is accepted with its milliseconds kept and counted per packet (``datatime_milliseconds``);
- whitespace around a field name or value is removed (C.25's own example: ``; LA-Rtd=50.1``);
- a suffix table 4 does not define (``Ia``, ``Pt``, ``ZsCou``, ``ValidNum``) is quarantined as a
  field with reason ``unknown_suffix`` (the value kept in quarantine with its line and column).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import NamedTuple

from ingest.hj212.framing import Frame, crc_problem, frames
from ingest.hj212.protocol import (
    ACK_COMMANDS,
    DATA_COMMANDS,
    DEFAULT_SCHEME,
    LEGACY_CODES,
    LOCAL_TZ,
    MAX_CP_BYTES,
    MAX_SEGMENT_BYTES,
    OTHER_SUFFIXES,
    REQUEST_FIELDS,
    STATISTICS,
    FlagScheme,
)
from ingest.hj212.records import Packet, ParsedLog, Reading, Reject, decode_raw

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_CODE = re.compile(r"[A-Za-z0-9]{1,12}")
_MN = re.compile(r"[0-9A-Za-z_\-]{1,32}")
_ST = re.compile(r"[0-9A-Z]{2}")
_CN = re.compile(r"\d{4}")
_DATATIME = re.compile(r"(\d{14})(\d{3})?")
_FLAG_VALUE = re.compile(r"[A-Za-z0-9]{1,4}")
_PAIR = re.compile(r"([^;,=]*)=([^;,=]*)")  # name=value of the data area (s6.3.3.1)
_SEPARATORS = re.compile(r"[;,]")


class _PacketError(ValueError):
    def __init__(self, code: str, text: str, column: str | None = None, value: str | None = None):
        super().__init__(f"{code}: {text}")
        self.column = column
        self.value = value


_TIMES: dict[str, dt.datetime | None] = {}


def _parse_time(text: str) -> dt.datetime | None:
    """DataTime ``YYYYMMDDhhmmss`` (table 4, N14), or + ``zzz`` milliseconds (the QN format of
    table 3 some devices use): local time, the milliseconds kept; None if invalid."""
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
                int(text[14:17] or 0) * 1000,
                tzinfo=LOCAL_TZ,
            )
        except ValueError:
            moment = None
    if len(_TIMES) > 100_000:
        _TIMES.clear()
    _TIMES[text] = moment
    return moment


def _check_alignment(cn: str, moment: dt.datetime) -> str | None:
    if cn == "2051" and (moment.second or moment.microsecond):
        return "is not the start of a minute"
    if cn == "2061" and (moment.minute or moment.second or moment.microsecond):
        return "is not the start of an hour"
    if cn == "2031" and (moment.hour or moment.minute or moment.second or moment.microsecond):
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


def parse(data: bytes, scheme: FlagScheme = DEFAULT_SCHEME) -> ParsedLog:
    """Parse a packet log (bytes as received, any line ends)."""
    result = ParsedLog()
    rejects = result.rejects
    counts = result.counts
    seq = 0
    for fr in frames(data, rejects):
        raw_text = decode_raw(fr.raw)
        problem = crc_problem(fr.segment, fr.crc_text)
        if problem is not None:
            rejects.append(Reject(fr.line_number, problem, raw_text, "crc", fr.crc_text.decode()))
            continue
        seq += 1
        try:
            packet, readings, field_rejects, with_ms = _parse_frame(fr, seq, raw_text, scheme)
        except _PacketError as exc:
            rejects.append(Reject(fr.line_number, str(exc), raw_text, exc.column, exc.value))
            seq -= 1
            continue
        result.packets.append(packet)
        result.readings.extend(readings)
        rejects.extend(field_rejects)
        counts[f"packets_{packet.kind}"] += 1
        counts["packets_split"] += packet.was_split
        counts["datatime_milliseconds"] += with_ms
    counts["packets_rejected"] = result.packets_rejected
    counts["fields_rejected"] = len(rejects) - result.packets_rejected
    return result


def _parse_frame(
    fr: Frame, seq: int, raw_text: str, scheme: FlagScheme
) -> tuple[Packet, list[Reading], list[Reject], bool]:
    """The packet, its readings and field rejects, and whether its DataTime had milliseconds."""
    try:
        segment = fr.segment.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _PacketError("not_utf8", "data segment is not UTF-8 text") from exc
    if len(fr.segment) > MAX_SEGMENT_BYTES:  # HJ 212-2017 s6.3.1 table 2: 数据段 0<=n<=1024
        raise _PacketError(
            "segment_too_long",
            f"data segment has {len(fr.segment)} bytes; HJ 212-2017 table 2 allows at most"
            f" {MAX_SEGMENT_BYTES}",
            "length",
            str(len(fr.segment)),
        )
    head = parse_segment(segment)
    cp_bytes = len(head.cp.encode("utf-8")) + len("CP=&&&&")
    if cp_bytes > MAX_CP_BYTES:  # s6.3.2 table 3: CP 0<=n<=950, "CP=" and the &&s counted
        raise _PacketError(
            "cp_too_long",
            f"CP has {cp_bytes} bytes; HJ 212-2017 table 3 allows at most {MAX_CP_BYTES}",
            "CP",
            str(cp_bytes),
        )
    cn = head.cn
    interval = DATA_COMMANDS.get(cn)
    kind = "data" if interval else "ack" if cn in ACK_COMMANDS else "other"
    readings: list[Reading] = []
    rejects: list[Reject] = []
    data_time: dt.datetime | None = None
    with_ms = False
    if interval and _is_request(head.cp):
        kind = "request"
    elif interval:
        data_time, readings, rejects, with_ms = _data_area(head, fr, seq, raw_text)
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
    return packet, readings, rejects, with_ms


def _is_request(cp: str) -> bool:
    """A CN of table 9 sent by the platform: an empty CP (C.10 取污染物实时数据, ``CP=&&&&``) or
    one that holds only BeginTime/EndTime (C.20-C.22 取污染物分钟/小时/日历史数据)."""
    names = {pair.partition("=")[0].strip() for pair in _SEPARATORS.split(cp) if pair.strip()}
    return names <= REQUEST_FIELDS


def _data_area(
    head: _Segment, fr: Frame, seq: int, raw_text: str
) -> tuple[dt.datetime, list[Reading], list[Reject], bool]:
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
        or any(not key.strip() for key, _ in pairs)
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
        # spaces around a name or value are not part of it (C.25 sends "; LA-Rtd=50.1")
        key, value = key.strip(), value.strip()
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
            if suffix in OTHER_SUFFIXES:
                continue  # EFlag, SampleTime, Info, SN, ... (table 4): recognised, not a reading
            rejects.append(
                Reject(
                    ln,
                    f"unknown_suffix: {key}={value!r}: suffix {suffix!r} is not in HJ 212-2017"
                    " table 4",
                    raw_text,
                    "field",
                    f"{key}={value}",
                )
            )
            continue
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
    return moment, readings, rejects, len(data_time_text) == 17
