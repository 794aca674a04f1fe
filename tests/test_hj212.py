"""HJ 212 parser (no database): frame, CRC (Appendix A), fields, flags, codes, tolerance of real
devices, and the seeded sample generator."""

from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.hj212 import parse as hj212
from ingest.hj212 import protocol
from ingest.hj212.parse import parse
from ingest.hj212.protocol import LOCAL_TZ, crc16, crc16_modbus, crc16_reference, frame
from samples import hj212 as gen
from tests.conftest import REPO, SHARED

STANDARD_EXAMPLE = (
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80"
)
# Public packets with their CRCs, from the tests and examples of open-source HJ 212 parsers.
PUBLIC_VECTORS = [
    (
        "QN=20201216134702246;ST=32;CN=2011;PW=123456;MN=SD370300001043;CP=&&DataTime=20201216134641;"
        "011-Rtd=73.9200,011-Flag=N;060-Rtd=1.0900,060-Flag=N;B01-Rtd=70.7000,B01-Flag=N;"
        "B00-Rtd=1395185.0000,B00-Flag=N;001-Rtd=7.0380,001-Flag=N&&",
        0x0280,
    ),
    (
        "ST=32;CN=2011;PW=123456;,MN=88888881234567;FLAG=0;CP=&&DataTime=20180306120000;"
        "001-Rtd=6.951,001-Flag=N;060-Rtd=23.400,060-Flag=N;011-Rtd=134.119,011-Flag=N;"
        "B01-Rtd=382.222,B01-Flag=N;B00-Rtd=156720160.000,B00-Flag=N&&",
        0x2940,
    ),
]
# A device in the wild that sends CRC-16/MODBUS (public example packet): must be recognised.
MODBUS_PACKET = (
    "##0122QN=20170516010101001;ST=22;CN=3014;PW=123456;MN=ABCDEFG1234567;Flag=3;"
    "CP=&&PolId=101,CTime=04,CTime=10,CTime=14,CTime=16&&526F"
)
MN = "141002310000000100000001"


def hourly(
    data_time: str = "20260312080000", cp: str | None = None, flag: int | None = 4, cn: str = "2061"
) -> str:
    body = cp or (
        "a21026-Avg=12.50,a21026-Min=10.1,a21026-Max=15,a21026-ZsAvg=13.2,a21026-Flag=N;"
        "a34013-Avg=3.04,a34013-Flag=D;a19001-Avg=9.5,a19001-Flag=N"
    )
    head = f"QN=20260312090001123;ST=31;CN={cn};PW=123456;MN={MN};"
    head += f"Flag={flag};" if flag is not None else ""
    return frame(f"{head}CP=&&DataTime={data_time};{body}&&")


def test_standard_example_verifies_as_1c80() -> None:
    segment = STANDARD_EXAMPLE[6:-4].encode()
    assert len(segment) == 101
    assert crc16(segment) == crc16_reference(segment) == 0x1C80
    assert frame(STANDARD_EXAMPLE[6:-4]) == STANDARD_EXAMPLE
    result = parse(STANDARD_EXAMPLE.encode() + b"\r\n")
    assert result.rejects == []
    (packet,) = result.packets
    assert (packet.cn, packet.kind, packet.flag, packet.protocol) == (
        "1062",
        "other",
        5,
        "HJ 212-2017",
    )
    assert packet.needs_ack and packet.pnum is None  # Flag=5: version 000001, D=0, A=1


@pytest.mark.parametrize(("segment", "crc"), PUBLIC_VECTORS)
def test_public_crc_vectors(segment: str, crc: int) -> None:
    assert crc16(segment.encode()) == crc16_reference(segment.encode()) == crc


def test_modbus_reference_check_value_and_the_table_driven_crc() -> None:
    # CRC-16/MODBUS catalogue check value: "123456789" -> 0x4B37
    assert crc16_modbus(b"123456789") == 0x4B37
    rng = random.Random(1)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        assert crc16(data) == crc16_reference(data)


def test_a_real_modbus_crc_packet_is_quarantined_as_such() -> None:
    (reject,) = parse(MODBUS_PACKET.encode()).rejects
    assert reject.code == "crc_modbus"
    assert "CRC-16/MODBUS" in reject.reason and reject.raw == MODBUS_PACKET


def _with_crc(packet: str, crc: int) -> str:
    return f"{packet[:-4]}{crc:04X}"


def test_crc_faults_have_specific_reasons() -> None:
    good = hourly()
    seg = good[6:-4].encode()
    right, modbus = crc16(seg), crc16_modbus(seg)
    cases = {
        "crc_byte_swapped": _with_crc(good, ((right & 0xFF) << 8) | right >> 8),
        "crc_modbus": _with_crc(good, modbus),
        "crc_modbus_byte_swapped": _with_crc(good, ((modbus & 0xFF) << 8) | modbus >> 8),
        "crc_mismatch": _with_crc(good, right ^ 0x1234),
    }
    for code, packet in cases.items():
        result = parse(f"{good}\r\n{packet}\r\n{good}\r\n".encode())
        assert [r.code for r in result.rejects] == [code]
        assert result.rejects[0].line_number == 2
        assert result.rejects[0].raw == packet
        assert len(result.packets) == 2  # the packets around it are loaded


def test_wrong_length_and_truncated_packets() -> None:
    good = hourly()
    longer = f"##{int(good[2:6]) + 3:04d}{good[6:]}"
    shorter = f"##{int(good[2:6]) - 2:04d}{good[6:]}"
    result = parse(f"{longer}\r\n{shorter}\r\n{good}\r\n{good[:80]}".encode())
    codes = [(r.line_number, r.code) for r in result.rejects]
    assert codes == [(1, "wrong_length"), (2, "wrong_length"), (4, "truncated")]
    assert "declared length" in result.rejects[0].reason
    assert len(result.packets) == 1 and len(result.readings) == 6


def test_split_packets_several_per_line_and_missing_crlf() -> None:
    a, b, c = hourly("20260312080000"), hourly("20260312090000"), hourly("20260312100000")
    text = f"{a}{b}\n{c[:40]}\r\n{c[40:90]}\n{c[90:]}\r\nnoise line\r\n{a}"
    result = parse(text.encode())
    assert [p.line_number for p in result.packets] == [1, 1, 2, 6]
    assert [p.was_split for p in result.packets] == [False, False, True, False]
    assert result.packets[2].raw == c
    assert [(r.line_number, r.code) for r in result.rejects] == [(5, "stray_bytes")]
    assert result.counts["packets_split"] == 1
    # the re-delivered first packet yields the same readings again (the loader dedupes them)
    assert len(result.readings) == 4 * 6


def test_fields_data_time_is_the_interval_start_and_flags() -> None:
    result = parse(hourly().encode())
    assert result.rejects == []
    got = {(r.pollutant_code, r.statistic): (r.value, r.flag) for r in result.readings}
    assert got == {
        ("a21026", "avg"): (Decimal("12.50"), "N"),
        ("a21026", "min"): (Decimal("10.1"), "N"),
        ("a21026", "max"): (Decimal("15"), "N"),
        ("a21026", "zs_avg"): (Decimal("13.2"), "N"),
        ("a34013", "avg"): (Decimal("3.04"), "D"),
        ("a19001", "avg"): (Decimal("9.5"), "N"),
    }
    reading = result.readings[0]
    assert reading.data_time == dt.datetime(2026, 3, 12, 8, tzinfo=LOCAL_TZ)  # 08:00-09:00
    assert (reading.mn, reading.st, reading.cn, reading.qn) == (
        MN,
        "31",
        "2061",
        "20260312090001123",
    )
    assert str(reading.value) == reading.value_text == "12.50"


@pytest.mark.parametrize(
    ("cn", "data_time", "ok"),
    [
        ("2061", "20260312080000", True),
        ("2061", "20260312083000", False),
        ("2051", "20260312081700", True),
        ("2051", "20260312081730", False),
        ("2031", "20260312000000", True),
        ("2031", "20260312010000", False),
        ("2011", "20260312081733", True),
        ("2061", "20261312080000", False),
    ],
)
def test_data_time_must_start_the_interval(cn: str, data_time: str, ok: bool) -> None:
    result = parse(hourly(data_time, cn=cn).encode())
    assert (result.rejects == []) is ok
    if not ok:
        assert result.rejects[0].code == "bad_datatime"
        assert result.readings == []


def test_legacy_2005_codes_are_mapped_and_kept() -> None:
    cp = "01-Avg=8.1,01-Flag=N;02-Avg=60,02-Flag=N;03-Avg=90.5,03-Flag=N;S01-Avg=9.6,S01-Flag=N;B02-Avg=25.3,B02-Flag=N;O3-Avg=80,O3-Flag=N"
    result = parse(hourly(cp=cp, flag=None).encode())
    mapped = {(r.source_code, r.pollutant_code) for r in result.readings}
    assert mapped == {
        ("01", "a34013"),
        ("02", "a21026"),
        ("03", "a21002"),
        ("S01", "a19001"),
        ("B02", "a00000"),
        ("O3", "a05024"),
    }
    assert result.packets[0].protocol == "HJ/T 212-2005 (no Flag)"
    # every mapping used comes from HJ 212-2017 table B.2 (原编码) except the marked ones
    table = (SHARED / "standards" / "HJ212-2017.txt").read_text(encoding="utf-8")
    for old, new in protocol.LEGACY_CODES.items():
        if old in protocol.UNVERIFIED_CODE_MAPPINGS:
            continue
        line = next(x for x in table.splitlines() if x.strip().startswith(new + " "))
        assert f" {old} " in f" {line} ", (old, new, line)


def test_flag_bits_by_version_and_configurable_scheme() -> None:
    protocols = [parse(hourly(flag=f).encode()).packets[0] for f in (0, 1, 4, 5, 8, 9, 12)]
    assert [p.protocol for p in protocols] == [
        "HJ/T 212-2005",
        "HJ/T 212-2005",
        "HJ 212-2017",
        "HJ 212-2017",
        "HJ 212-2025 (unverified)",
        "HJ 212-2025 (unverified)",
        "unknown version 000011",
    ]
    assert [p.needs_ack for p in protocols] == [False, True, False, True, False, True, False]
    scheme = hj212.FlagScheme.from_env("0=HJ/T 212-2005,1=HJ 212-2017,3=HJ 212-2025?")
    assert parse(hourly(flag=13).encode(), scheme).packets[0].protocol == "HJ 212-2025 (unverified)"
    assert parse(hourly(flag=8).encode(), scheme).packets[0].protocol == "unknown version 000010"
    # D bit: PNUM/PNO must be present (split messages, table 3)
    assert parse(hourly(flag=6).encode()).rejects[0].code == "bad_header"
    seg = hourly(flag=6)[6:-4].replace("Flag=6;", "Flag=6;PNUM=2;PNO=1;")
    packet = parse(frame(seg).encode()).packets[0]
    assert (packet.pnum, packet.pno) == (2, 1)


def test_acknowledgements_are_counted_not_loaded_and_bad_fields_alone_are_rejected() -> None:
    ack = frame(f"QN=20260312090001123;ST=91;CN=9014;PW=123456;MN={MN};Flag=4;CP=&&&&")
    req = frame(f"QN=20260312090001123;ST=91;CN=9011;PW=123456;MN={MN};Flag=4;CP=&&QnRtn=1&&")
    bad = hourly(cp="a21026-Avg=1a.5,a21026-Flag=N;a34013-Avg=3,a34013-Flag=NN?;a19001-Avg=9")
    result = parse(f"{ack}\r\n{req}\r\n{bad}\r\n".encode())
    assert result.counts["packets_ack"] == 2 and result.counts["packets_data"] == 1
    assert [(r.line_number, r.code) for r in result.rejects] == [(3, "bad_value"), (3, "bad_flag")]
    assert {(r.pollutant_code, r.flag) for r in result.readings} == {
        ("a34013", None),
        ("a19001", None),
    }


def test_missing_header_fields_are_rejected_with_the_field() -> None:
    no_mn = frame(
        "QN=20260312090001123;ST=31;CN=2061;PW=123456;Flag=4;CP=&&DataTime=20260312080000&&"
    )
    no_cp = frame(f"QN=1;ST=31;CN=2061;MN={MN};Flag=4;DataTime=20260312080000&&")
    result = parse(f"{no_mn}\r\n{no_cp}".encode())
    assert [(r.code, r.column) for r in result.rejects] == [
        ("bad_header", "MN"),
        ("malformed", None),
    ]


# -- the sample generator --------------------------------------------------------------------

PROFILE = REPO / "config" / "city_profile.yaml"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> gen.Summary:
    out = tmp_path_factory.mktemp("hj212_sample")
    return gen.generate_hj212(PROFILE, out, dt.date(2026, 3, 12), dt.date(2026, 3, 14), 7)


def test_sample_is_deterministic_and_has_every_fault(sample: gen.Summary, tmp_path: Path) -> None:
    gen.generate_hj212(PROFILE, tmp_path, dt.date(2026, 3, 12), dt.date(2026, 3, 14), 7)
    files = sorted(p.relative_to(sample.out_dir) for p in sample.out_dir.rglob("*.log"))
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.log"))
    for rel in files:
        assert (sample.out_dir / rel).read_bytes() == (tmp_path / rel).read_bytes()
    missing = [k for k, n in sample.fault_counts.items() if n == 0]
    assert missing == []
    kinds = {d.kind for d in sample.devices}
    assert kinds == {"cems", "dust", "micro_station"}
    assert 35 <= sum(d.kind == "cems" for d in sample.devices) <= 45
    assert sum(d.kind == "dust" for d in sample.devices) == 30


def test_sample_faults_are_where_the_summary_says(sample: gen.Summary) -> None:
    expected = {
        "bad_crc": "crc_mismatch",
        "wrong_length": "wrong_length",
        "crc_byte_swapped": "crc_byte_swapped",
        "crc_modbus_byte_swapped": "crc_modbus_byte_swapped",
        "bad_value": "bad_value",
    }
    parsed = {}
    for fault_kind, code in expected.items():
        for fault in sample.of_kind(fault_kind):
            if fault.file not in parsed:
                parsed[fault.file] = hj212.parse((sample.out_dir / fault.file).read_bytes())
            found = {(r.line_number, r.code) for r in parsed[fault.file].rejects}
            assert (fault.line, code) in found, fault
    for fault in sample.of_kind("split_packet"):
        result = hj212.parse((sample.out_dir / fault.file).read_bytes())
        assert any(p.was_split and p.line_number == fault.line for p in result.packets)


def test_sample_registry_matches_packets_and_config(sample: gen.Summary) -> None:
    with open(sample.out_dir / "hj212_device_registry.csv", encoding="utf-8") as handle:
        registry = {row["mn"]: row for row in csv.DictReader(handle)}
    seen: set[str] = set()
    for path in sample.out_dir.rglob("*.log"):
        seen.update(p.mn for p in hj212.parse(path.read_bytes()).packets)
    assert seen == set(registry)
    kinds = {"31": "cems", "39": "dust", "22": "micro_station"}
    for device in sample.devices:
        assert kinds[device.st] == registry[device.mn]["kind"]
        if device.kind == "cems":
            assert len(registry[device.mn]["uscc"]) == 18 and registry[device.mn]["o2_ref_pct"]
    # config/device_registry.csv is the default sample's registry (profile seed)
    seed = int(gen.load_profile(PROFILE)["sample"]["seed"])
    config = (REPO / "config" / "device_registry.csv").read_text(encoding="utf-8")
    out = sample.out_dir / "default_registry.csv"
    gen.write_registry(gen.build_devices(gen.load_profile(PROFILE), seed), out)
    assert out.read_text(encoding="utf-8") == config


def test_uscc_check_digits() -> None:
    # GB 32100-2015 example-style check on a known-valid code (国家市场监督管理总局 public code)
    code = gen.uscc("141002", random.Random(3))
    total = sum(
        gen._USCC_CHARS.index(c) * w for c, w in zip(code[:17], gen._USCC_WEIGHTS, strict=True)
    )
    assert gen._USCC_CHARS[(31 - total % 31) % 31] == code[17]
    assert code.startswith("91141002")
