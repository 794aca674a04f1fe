"""Cutting a TCP byte stream into HJ 212 frames, incrementally, in bounded memory.

HJ 212-2017 s6.3.1, table 2: ``##`` + 4 decimal digits (length of the data segment, 0..1024) +
data segment + 4 hex digits CRC (Appendix A) + CR LF. On a socket a frame may be split across
reads, several may arrive in one read, and garbage may sit between them. The CRC check and the
names of the wrong CRCs are the file parser's (:func:`ingest.hj212.framing.crc_problem`): one
home for the checksum.

Memory: the buffer never holds more than one maximal frame (2 + 4 + 1024 + 4 + 2 bytes) after a
``feed``: a header claiming more than 1024 bytes is rejected at once and the framer resynchronises
at the next ``##``; bytes before a ``##`` are dropped as they arrive.
"""

from __future__ import annotations

from typing import NamedTuple

from ingest.hj212.framing import HEX_DIGITS, crc_problem
from ingest.hj212.protocol import MAX_SEGMENT_BYTES

# HJ 212-2017 s6.3.1 table 2: data segment 0 <= n <= 1024 (the protocol module's constant, the
# file parser's too)
MAX_FRAME = 2 + 4 + MAX_SEGMENT_BYTES + 4 + 2  # ## + length + segment + CRC + CR LF


class StreamReject(NamedTuple):
    code: str  # too_long, bad_length_field, wrong_length, malformed, crc_*, stray_bytes
    detail: str
    raw: bytes  # at most one frame's worth of the offending bytes


class StreamFramer:
    """Feed it the bytes of each read; it returns the complete frames (``##`` .. CRC, without
    the CR LF) whose length and Appendix A CRC verify, and a reject for everything else."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._resyncing = False  # after a reject, the bytes up to the next ## are its remains

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> tuple[list[bytes], list[StreamReject]]:
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        rejects: list[StreamReject] = []
        while buf:
            start = buf.find(b"##")
            if start < 0:
                keep = 1 if buf[-1:] == b"#" else 0  # a header's first # may be the last byte
                if not self._resyncing:
                    self._stray(bytes(buf[: len(buf) - keep]), rejects)
                del buf[: len(buf) - keep]
                break
            if start:
                if not self._resyncing:
                    self._stray(bytes(buf[:start]), rejects)
                del buf[:start]
            self._resyncing = False
            if len(buf) < 6:
                break
            header = bytes(buf[2:6])
            if not header.isdigit():
                self._reject(rejects, "bad_length_field", f"length field {header!r}", 6)
                continue
            length = int(header)
            if length > MAX_SEGMENT_BYTES:  # table 2: 0 <= n <= 1024; do not wait for the bytes
                detail = f"declared length {length:04d} > {MAX_SEGMENT_BYTES}"
                self._reject(rejects, "too_long", detail, 6)
                continue
            end = 6 + length + 4
            # a data segment holds no CR / LF (s6.3: ASCII text; CR LF is the packet's tail):
            # one inside the declared span means the length is wrong, so say so now rather than
            # wait for bytes a device waiting for its answer will never send
            window = buf[6 : min(end, len(buf))]
            if b"\n" in window or b"\r" in window:
                self._reject(rejects, "wrong_length", f"line end inside declared {length:04d}", end)
                continue
            if len(buf) < end:
                break
            segment = bytes(buf[6 : 6 + length])
            crc_text = bytes(buf[6 + length : end])
            if not all(c in HEX_DIGITS for c in crc_text) or not segment.endswith(b"&&"):
                self._reject(
                    rejects, "wrong_length", f"no CP ..&& and 4-hex CRC at {length:04d}", end
                )
                continue
            problem = crc_problem(segment, crc_text)
            if problem is not None:  # resync at the next ##: the length itself may be wrong
                code, _, detail = problem.partition(": ")
                self._reject(rejects, code, detail, end)
                continue
            frames.append(bytes(buf[:end]))
            del buf[:end]
        return frames, rejects

    def _reject(self, rejects: list[StreamReject], code: str, detail: str, span: int) -> None:
        buf = self._buf
        rejects.append(StreamReject(code, detail, bytes(buf[: min(span, MAX_FRAME)])))
        del buf[:1]  # resynchronise at the next ## after this one's first # ("###0140..")
        self._resyncing = True

    @staticmethod
    def _stray(text: bytes, rejects: list[StreamReject]) -> None:
        if text.strip():
            rejects.append(StreamReject("stray_bytes", "bytes outside any frame", text[:MAX_FRAME]))
