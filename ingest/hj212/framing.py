"""Cutting a packet log's bytes into HJ 212 frames (HJ 212-2017 s6.3.1, table 2).

``##`` + 4 decimal digits (the data segment's length) + data segment + 4 hex digits CRC + CR LF.
Tolerated: several packets on one line, a missing CR LF, a packet split across lines (the line
breaks inside the declared length are removed and the CRC must then verify). Bytes that form no
valid frame become rejects with a specific reason (wrong length, truncated, bad CRC, and CRCs that
are the right value byte-swapped, CRC-16/MODBUS, or CRC-16/MODBUS byte-swapped).

A receiver stamp (``@<receive time ISO 8601> <peer> `` right before a packet, written by Lantian's
own receiver, :mod:`receiver.journal`) is metadata, not stray text: it is skipped.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ingest.hj212.protocol import crc16, crc16_modbus, swap_bytes
from ingest.hj212.records import Reject
from ingest.hj212.records import decode_raw as _decode

_PACKET_TEXT = re.compile(rb"##(\d{4})(.*)([0-9A-Fa-f]{4})\s*", re.DOTALL)
HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")  # the CRC field: 4 hex digits (s6.3.1 table 2)
# receive time and peer that receiver/journal.py writes before each frame it accepted
RECEIVER_STAMP = re.compile(
    rb"@\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}:\d{2} [^\s#]+ "
)


class Frame(NamedTuple):
    line_number: int
    segment: bytes
    crc_text: bytes
    raw: bytes
    was_split: bool


def crc_problem(segment: bytes, crc_text: bytes) -> str | None:
    """None when the CRC is HJ 212 Appendix A's, else the reject reason naming the wrong CRC."""
    got = int(crc_text, 16)
    expected = crc16(segment)
    if got == expected:
        return None
    shown = crc_text.decode("ascii")
    if got == swap_bytes(expected):
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
    if got == swap_bytes(modbus):
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


def frames(data: bytes, rejects: list[Reject]) -> list[Frame]:
    """Cut the byte stream into frames; bytes that form no valid frame become rejects."""
    frames: list[Frame] = []
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
        if stray.strip() and RECEIVER_STAMP.sub(b"", stray).strip():
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
            and all(c in HEX_DIGITS for c in crc_text)
            and b"\n" not in segment
            and b"\r" not in segment
            and segment.endswith(b"&&")
            and _ok_tail(data, crc_end)
        ):
            frames.append(Frame(ln, segment, crc_text, data[start:crc_end], False))
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
                and all(c in HEX_DIGITS for c in crc_text)
                and segment.endswith(b"&&")
            ):
                frames.append(Frame(ln, segment, crc_text, packet, True))
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
