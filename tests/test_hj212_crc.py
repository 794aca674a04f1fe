"""The Appendix A CRC (``ingest.hj212.protocol.crc16``, computed by folding 8-byte words) is the
standard's C function (``crc16_reference``, transcribed bit by bit) at every length a frame can
have, and beyond."""

from __future__ import annotations

import random

from ingest.hj212.protocol import crc16, crc16_reference


def test_the_folded_crc_is_the_standards_function_at_every_frame_length() -> None:
    rng = random.Random(212)
    for length in range(0, 1100):
        data = rng.randbytes(length)
        assert crc16(data) == crc16_reference(data), length
    for data in (b"\xff" * 1024, b"\x00" * 1024, bytes(range(256)) * 5, rng.randbytes(70_000)):
        assert crc16(data) == crc16_reference(data)


def test_the_standards_example_and_a_chinese_segment() -> None:
    # HJ 212-2017 s6.3 example (its prose misprints 1C08; the CRC of the segment is 1C80)
    segment = (
        b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&RtdInterval=30&&"
    )
    assert crc16(segment) == crc16_reference(segment) == 0x1C80
    text = "QN=1;ST=31;CN=2081;PW=1;MN=1;CP=&&Info=设备重启&&".encode()
    assert crc16(text) == crc16_reference(text)
