"""The parser against the HJ 212-2017 text itself (issue 16, "The parser, against other
projects' test packets"): requests of the platform, the size limits of tables 2 and 3, a
DataTime with milliseconds, whitespace around a field name (C.25) and suffixes table 4 does
not define. Each packet below is quoted from the standard (../shared/standards/HJ212-2017.txt);
each test first checks that its quotation is really there."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from ingest.hj212.parse import parse
from ingest.hj212.protocol import LOCAL_TZ, MAX_CP_BYTES, MAX_SEGMENT_BYTES, frame
from tests.conftest import SHARED

STANDARD = (SHARED / "standards" / "HJ212-2017.txt").read_text(encoding="utf-8")
# the header of the appendix C examples (上位机 -> 现场机), QN..Flag as printed there
HEAD = "QN=20160801085857223;ST=32;CN={cn};PW=123456;MN=010000A8900016F000169DC0;Flag=5;"


_SPACE = re.compile(r"\s+")
_SQUEEZED = _SPACE.sub("", STANDARD)
# appendix C's tables wrap a packet over several lines, the Chinese column text between them
_ASCII_ONLY = re.sub(r"[^\x21-\x7e]+", "", STANDARD)


def in_standard(fragment: str) -> bool:
    """The fragment appears in the standard's text, blind to whitespace (and, for a packet,
    to the Chinese text of the table's other columns its wrapped lines are printed beside)."""
    text = _SPACE.sub("", fragment)
    return text in (_ASCII_ONLY if text.isascii() else _SQUEEZED)


# C.10 取污染物实时数据: CN=2011 with CP=&&&&; C.20 / C.21 / C.22 取污染物分钟/小时/日历史数据
# (CN=2051/2061/2031 with BeginTime/EndTime only), as the platform (上位机) sends them.
REQUESTS = [
    ("C.10", "2011", "CP=&&&&"),
    ("C.20", "2051", "CP=&&BeginTime=20160801084000;EndTime=20160801084000&&"),
    ("C.21", "2061", "CP=&&BeginTime=20160801080000;EndTime=20160801080000&&"),
    ("C.22", "2031", "CP=&&BeginTime=20160801000000;EndTime=20160801000000&&"),
]


@pytest.mark.parametrize(("table", "cn", "cp"), REQUESTS)
def test_requests_of_the_platform_are_requests_not_bad_data_packets(
    table: str, cn: str, cp: str
) -> None:
    segment = HEAD.format(cn=cn) + cp
    assert in_standard(segment), f"{table} quotation not found in the standard"
    result = parse(f"{frame(segment)}\r\n".encode())
    assert result.rejects == []  # was: bad_datatime "data packet without DataTime"
    assert result.readings == []
    (packet,) = result.packets
    assert (packet.kind, packet.cn, packet.data_time, packet.readings) == ("request", cn, None, 0)
    assert result.counts["packets_request"] == 1 and result.counts["packets_data"] == 0
    assert result.counts["packets_rejected"] == 0


def test_a_data_packet_without_datatime_is_still_rejected() -> None:
    # not a request: it carries readings (table 4: 2061 needs DataTime, the interval start)
    segment = HEAD.format(cn="2061") + "CP=&&w01018-Avg=40.1,w01018-Flag=N&&"
    result = parse(frame(segment).encode())
    assert [r.code for r in result.rejects] == ["bad_datatime"] and result.packets == []


def _c21_upload(extra_items: int) -> str:
    """The C.21 小时数据 upload, with more w01018-like items to reach a given size."""
    base = (
        "QN=20160801085857534;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
        "CP=&&DataTime=20160801080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,"
        "w00000-Max=20.1,w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,"
        "w01001-Flag=N"
    )
    assert in_standard(base)
    more = "".join(
        f";w{21000 + i:05d}-Avg=40.1,w{21000 + i:05d}-Flag=N" for i in range(extra_items)
    )
    return base + more + "&&"


def test_table_2_limits_the_data_segment_to_1024_bytes() -> None:
    assert in_standard("数据段 字符 0≤n≤1024") and MAX_SEGMENT_BYTES == 1024
    # the C.21 upload, its CP within table 3's 950, its header padded to a given segment size
    upload = _c21_upload(14)
    assert len("CP=" + upload.partition(";CP=")[2]) <= MAX_CP_BYTES

    def sized(size: int) -> str:
        pad = size - len(upload) - len("XX=;")
        return upload.replace("Flag=4;", f"Flag=4;XX={'0' * pad};")

    assert len(sized(1024)) == 1024 and len(sized(1025)) == 1025
    assert parse(frame(sized(1024)).encode()).rejects == []
    result = parse(frame(sized(1025)).encode())
    (reject,) = result.rejects
    assert (reject.code, reject.column, reject.value) == ("segment_too_long", "length", "1025")
    assert "table 2" in reject.reason and result.packets == [] and result.readings == []


def test_table_3_limits_cp_to_950_bytes_counting_the_name() -> None:
    assert in_standard("指令参数 CP 字符 0≤n≤950") and MAX_CP_BYTES == 950
    assert in_standard("表 3 中“长度”包含字段名称、‘=’、字段内容三部分内容")

    # QN, PW and Flag left out (the shortest header) so that a CP over 950 keeps the segment
    # within table 2's 1024 and table 3 alone is broken
    def upload(items: int) -> str:
        return re.sub(r"QN=\d+;|PW=\d+;|Flag=\d;", "", _c21_upload(items))

    items = 0
    while len(upload(items + 1).partition(";CP=")[2]) + 3 <= MAX_CP_BYTES:
        items += 1
    fits, over = upload(items), upload(items + 1)
    assert len("CP=" + fits.partition(";CP=")[2]) <= 950 < len("CP=" + over.partition(";CP=")[2])
    assert parse(frame(fits).encode()).rejects == []
    result = parse(frame(over).encode())
    (reject,) = result.rejects
    assert reject.code == "cp_too_long" and reject.column == "CP" and "table 3" in reject.reason
    assert len(over) <= MAX_SEGMENT_BYTES  # the segment itself is within table 2


def test_a_17_digit_datatime_is_accepted_with_its_milliseconds_and_counted() -> None:
    # table 4: DataTime is N14 YYYYMMDDhhmmss; table 3's QN adds zzz (milliseconds): devices that
    # write DataTime like QN are accepted, the milliseconds kept and the packet counted
    assert in_standard("QN=YYYYMMDDhhmmsszzz") and in_standard("DataTime 数据时间信息 0-9 N14")
    c25 = HEAD.format(cn="2011").replace("ST=32", "ST=23")
    plain = frame(c25 + "CP=&&DataTime=20160801085857;LA-Rtd=50.1&&")
    with_ms = frame(c25 + "CP=&&DataTime=20160801085857223;LA-Rtd=50.2&&")
    hour_ms = frame(HEAD.format(cn="2061") + "CP=&&DataTime=20160801080000000;w01018-Avg=40.1&&")
    result = parse(f"{plain}\r\n{with_ms}\r\n{hour_ms}\r\n".encode())
    assert result.rejects == []
    times = [r.data_time for r in result.readings]
    assert times == [
        dt.datetime(2016, 8, 1, 8, 58, 57, tzinfo=LOCAL_TZ),
        dt.datetime(2016, 8, 1, 8, 58, 57, 223_000, tzinfo=LOCAL_TZ),  # not truncated
        dt.datetime(2016, 8, 1, 8, 0, tzinfo=LOCAL_TZ),
    ]
    assert result.counts["datatime_milliseconds"] == 2
    # an hourly DataTime with milliseconds past the hour does not start the interval (table 4)
    late = frame(HEAD.format(cn="2061") + "CP=&&DataTime=20160801080000001;w01018-Avg=40.1&&")
    assert [r.code for r in parse(late.encode()).rejects] == ["bad_datatime"]


def test_whitespace_around_a_field_name_keeps_the_reading_c25() -> None:
    # C.25 上传噪声声级实时数据, exactly as the standard prints it (a space after the ';')
    segment = HEAD.format(cn="2011").replace("ST=32", "ST=23")
    segment += "CP=&&DataTime=20160801085857; LA-Rtd=50.1&&"
    assert in_standard(segment) and "; LA-Rtd=50.1" in STANDARD
    result = parse(frame(segment).encode())
    assert result.rejects == []
    ((code, statistic, value, when),) = [
        (r.pollutant_code, r.statistic, r.value, r.data_time) for r in result.readings
    ]
    assert (code, statistic, value) == ("LA", "rtd", Decimal("50.1"))
    assert when == dt.datetime(2016, 8, 1, 8, 58, 57, tzinfo=LOCAL_TZ)
    spaced = frame(HEAD.format(cn="2061") + "CP=&& DataTime = 20160801080000 ;w01018-Avg= 40.1&&")
    assert [str(r.value) for r in parse(spaced.encode()).readings] == ["40.1"]


def test_suffixes_table_4_does_not_define_are_quarantined_not_dropped() -> None:
    # table 4 defines Rtd Min Avg Max ZsRtd ZsMin ZsAvg ZsMax Flag EFlag Cou RS RT SampleTime
    # Data DayData NightData Info; Ia, Pt, ZsCou, ValidNum are other projects' extensions
    for suffix in ("-Rtd", "-ZsAvg", "-EFlag", "-Cou", "-SampleTime", "SBxxx-RS"):
        assert suffix in STANDARD
    for suffix in ("-Ia", "-Pt", "-ZsCou", "-ValidNum"):
        assert suffix not in STANDARD
    cp = (
        "DataTime=20160801080000;w01018-Avg=40.1,w01018-Flag=N,w01018-EFlag=A1,"
        "w01018-SampleTime=20160801080000;e10101-Ia=1.2;e10101-Pt=3.4;w01018-ZsCou=9;"
        "w01018-ValidNum=60;SB1-RS=1"
    )
    result = parse(frame(HEAD.format(cn="2061") + f"CP=&&{cp}&&").encode())
    assert [(r.pollutant_code, r.statistic, r.flag) for r in result.readings] == [
        ("w01018", "avg", "N")
    ]
    assert [(r.code, r.column, r.value) for r in result.rejects] == [
        ("unknown_suffix", "field", "e10101-Ia=1.2"),
        ("unknown_suffix", "field", "e10101-Pt=3.4"),
        ("unknown_suffix", "field", "w01018-ZsCou=9"),
        ("unknown_suffix", "field", "w01018-ValidNum=60"),
    ]
    assert result.counts["fields_rejected"] == 4 and result.counts["packets_rejected"] == 0
