"""What the HJ 212 parser produces (no database): packets, readings in long form, rejects."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple


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
    kind: str  # data | ack | request (the platform's, table 9) | other
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


def decode_raw(raw: bytes) -> str:
    """The bytes as text (UTF-8; bytes that are not become backslash escapes)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="backslashreplace")
