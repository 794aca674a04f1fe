"""Property-based fuzzing of the HJ 212 parser (hypothesis): random bytes and mutated real
packets never crash it, and no reading's value ever differs from the packet's text.

Needs ``hypothesis`` (pin: hypothesis==6.170.17, not yet in constraints.txt): skipped without it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ingest.hj212 import parse as hj212  # noqa: E402
from ingest.hj212 import protocol  # noqa: E402
from ingest.hj212.parse import parse  # noqa: E402
from ingest.hj212.protocol import frame  # noqa: E402

MN = "141002310000000100000001"
REAL = frame(
    f"QN=20260312090001123;ST=31;CN=2061;PW=123456;MN={MN};Flag=4;CP=&&DataTime=20260312080000;"
    "a21026-Avg=12.50,a21026-Min=10.1,a21026-Max=15,a21026-ZsAvg=13.2,a21026-Flag=N;"
    "02-Avg=7,02-Flag=N;a34013-Avg=3.04,a34013-Flag=D;a19001-Avg=9.5,a19001-Flag=N&&"
)
SUFFIX = {v: k for k, v in hj212.STATISTICS.items()}


def assert_readings_match_packets(result: hj212.ParsedLog) -> None:
    """Every reading's value is exactly the text written in its packet."""
    packets = {p.seq: p for p in result.packets}
    for r in result.readings:
        packet = packets[r.packet_seq]
        code = r.source_code or r.pollutant_code
        assert f"{code}-{SUFFIX[r.statistic]}={r.value_text}" in packet.raw
        assert Decimal(r.value_text) == r.value
        assert packet.mn == r.mn and packet.cn == r.cn


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    result = parse(data)
    assert_readings_match_packets(result)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(REAL) * 3),
            st.sampled_from(["delete", "insert", "replace", "newline", "duplicate"]),
            st.binary(min_size=1, max_size=4),
        ),
        max_size=6,
    )
)
def test_mutated_real_packets_never_crash_or_invent_values(
    mutations: list[tuple[int, str, bytes]],
) -> None:
    data = bytearray((REAL + "\r\n") * 3, "ascii")
    for position, kind, payload in mutations:
        at = position % (len(data) + 1)
        if kind == "delete":
            del data[at : at + len(payload)]
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "replace":
            data[at : at + len(payload)] = payload
        elif kind == "newline":
            data[at:at] = b"\r\n"
        else:
            data[at:at] = data[max(0, at - 30) : at]
    result = parse(bytes(data))
    assert_readings_match_packets(result)
    # a packet that is loaded passed its CRC: its readings are those of an intact copy
    for packet in result.packets:
        assert protocol.crc16(packet.raw[6:-4].encode()) == int(packet.raw[-4:], 16)


numbers = st.decimals(
    min_value=Decimal("-99999"), max_value=Decimal("999999"), places=3, allow_nan=False
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a21026", "a21002", "a34013", "a19001", "a00000", "01", "S01"]),
        st.tuples(numbers, st.sampled_from(list("NFMSDCTB"))),
        min_size=1,
    )
)
def test_generated_packets_round_trip(values: dict[str, tuple[Decimal, str]]) -> None:
    cp = ";".join(f"{code}-Avg={v},{code}-Flag={f}" for code, (v, f) in values.items())
    packet = frame(
        f"QN=20260312090001123;ST=31;CN=2061;PW=1;MN={MN};Flag=4;CP=&&DataTime=20260312080000;{cp}&&"
    )
    result = parse(f"{packet}\r\n".encode())
    assert result.rejects == []
    got = {r.source_code or r.pollutant_code: (r.value, r.flag) for r in result.readings}
    assert got == {code: (Decimal(str(v)), f) for code, (v, f) in values.items()}
