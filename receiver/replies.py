"""The platform's (上位机) side of HJ 212-2017 section 6: what it answers and what it asks.

- Data acknowledgement (数据应答, CN=9014, table 9): sent when the upload's Flag has bit A set
  (table 3: ``A: 命令是否应答; 1-应答``), to every upload command (C.14-C.19, C.24: "根据标志 Flag
  的值决定是否返回数据应答"). Its form is the standard's own example (C.17, C.24):
  ``QN=<the upload's QN>;ST=91;CN=9014;PW=<PW>;MN=<MN>;Flag=4;CP=&&&&`` (ST=91 系统交互,
  table 5). Flag keeps the upload's version bits (V5..V0, table 3) and clears D and A: 4 for
  HJ 212-2017. For version bits 2 (HJ 212-2025) the same form is sent, **unverified**: the 2025
  text was not at hand (RULES.md s4); :class:`ingest.hj212.protocol.FlagScheme` names the bits.
  Version bits 0 (HJ/T 212-2005) get the same form with Flag=0, also **unverified** (the 2005
  text is not at hand either); an upload without any Flag never asks for an answer.
- Requests to a device (请求命令): 取污染物实时数据 CN=2011 (C.10, ``CP=&&&&``), 取分钟/小时/日
  历史数据 CN=2051/2061/2031 (C.20-C.22, ``CP=&&BeginTime=..;EndTime=..&&``), Flag=5 (version
  2017, A=1: answer wanted). The device answers 请求应答 CN=9011 with ``QnRtn`` (table 7:
  1 准备执行请求, 2 请求被拒绝, 3 PW 错误, 4 MN 错误, 5 ST 错误, 6 Flag 错误, 7 QN 错误, 8 CN 错误,
  9 CRC 校验错误, 100 未知错误), uploads the data, then 执行结果 CN=9012 with ``ExeRtn`` (table 6:
  1 执行成功, 2 执行失败, 3 命令请求条件错误, 4 通讯超时, 5 系统繁忙, 6 系统故障, 100 没有数据). Both
  answers carry the request's QN (C.20-C.22, s6.1 steps 2 and 5).
"""

from __future__ import annotations

import datetime as dt
import re

from ingest.hj212.protocol import LOCAL_TZ, frame

REQUEST_COMMANDS = {  # table 9 request CNs the platform may send, and their annex C table
    "2011": "C.10 取污染物实时数据",
    "2051": "C.20 取污染物分钟历史数据",
    "2061": "C.21 取污染物小时历史数据",
    "2031": "C.22 取污染物日历史数据",
}
QN_RTN = {1: "ready", 2: "refused", 3: "bad_pw", 4: "bad_mn", 5: "bad_st", 6: "bad_flag"}
QN_RTN.update({7: "bad_qn", 8: "bad_cn", 9: "bad_crc", 100: "unknown_error"})  # table 7
EXE_RTN = {1: "success", 2: "failed", 3: "bad_condition", 4: "comm_timeout", 5: "busy"}
EXE_RTN.update({6: "system_fault", 100: "no_data"})  # table 6
_TIME = re.compile(r"\d{14}")
_VERSION_2017 = 1


def _flag(version_bits: int, answer: bool) -> int:
    """Flag (table 3): V5..V0 version, D (no sub-packets here), A (answer wanted)."""
    return (version_bits << 2) | (1 if answer else 0)


def data_ack(qn: str | None, pw: str | None, mn: str, device_flag: int | None) -> bytes:
    """The CN=9014 answer to an upload (C.17), as the bytes to send (with CR LF)."""
    version = (device_flag >> 2) if device_flag is not None else _VERSION_2017
    head = f"QN={qn};" if qn else ""
    segment = f"{head}ST=91;CN=9014;PW={pw or ''};MN={mn};Flag={_flag(version, False)};CP=&&&&"
    return frame(segment).encode("utf-8") + b"\r\n"


def request_qn(now: dt.datetime | None = None, sequence: int = 0) -> str:
    """QN = YYYYMMDDhhmmsszzz (table 3, 精确到毫秒的时间戳); ``sequence`` is added to the
    milliseconds so two requests in one millisecond get distinct QNs."""
    moment = (now or dt.datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ)
    moment += dt.timedelta(milliseconds=sequence)
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


class RequestError(ValueError):
    """A request the platform cannot send (bad CN or times); the message says which field."""


def history_request(
    qn: str,
    cn: str,
    st: str,
    pw: str,
    mn: str,
    begin: str | None,
    end: str | None,
    version_bits: int = _VERSION_2017,
) -> bytes:
    """The platform's request packet (C.10 / C.20-C.22) as bytes to send (with CR LF)."""
    if cn not in REQUEST_COMMANDS:
        raise RequestError(f"cn {cn!r} is not one of {', '.join(REQUEST_COMMANDS)}")
    if cn == "2011":
        cp = ""  # C.10: CP=&&&&
    else:
        for name, value in (("begin", begin), ("end", end)):
            if not value or not _TIME.fullmatch(value):
                raise RequestError(f"{name} {value!r} is not YYYYMMDDhhmmss")
        if end < begin:  # type: ignore[operator]
            raise RequestError(f"end {end} is before begin {begin}")
        cp = f"BeginTime={begin};EndTime={end}"
    flag = _flag(version_bits, True)
    segment = f"QN={qn};ST={st};CN={cn};PW={pw};MN={mn};Flag={flag};CP=&&{cp}&&"
    return frame(segment).encode("utf-8") + b"\r\n"


def cp_value(cp: str, name: str) -> int | None:
    """An integer field of a data area (``QnRtn``, ``ExeRtn``; the standard's own C.3 example
    writes ``CP=&& ExeRtn=1&&``, so the name is stripped of spaces)."""
    for item in cp.split(";"):
        key, eq, value = item.partition("=")
        if eq and key.strip() == name:
            value = value.strip()
            return int(value) if value.isdigit() else None
    return None
