"""Parser unit tests: the real publication files and every malformed-line case."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.station import parse as ns
from tests.conftest import REAL

HEADER = ",".join(ns.COLUMNS)
GOOD_2026 = (
    "2026-03-15T0800,1001A,116.36,39.87,北京市,万寿西宫,,25,25,21,12,11,15,15,25,25,6,5,5,5,0.3,0.4"
)
GOOD_2022 = (
    "2022-06-15T15:00:00,1002A,116.2,40.3,北京市,定陵,,,,27,,16,165,165,102,102,18,17,3,3,0.9,0.5"
)


def write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize(
    ("name", "rows"),
    [("2022-06-15T15.csv", 1700), ("2023-12-12T10.csv", 1725), ("2026-03-15T08.csv", 1601)],
)
def test_real_files_parse_without_rejects(name: str, rows: int) -> None:
    parsed = ns.parse(REAL / name)
    assert len(parsed.records) == rows
    assert parsed.rejects == []
    assert parsed.duplicates == 0
    assert parsed.records_in == rows


def test_both_timestamp_formats_are_hour_ending_local_time() -> None:
    old = ns.parse_timepoint("2022-06-15T15:00:00")
    new = ns.parse_timepoint("2026-03-15T0800")
    assert old is not None and old.isoformat() == "2022-06-15T15:00:00+08:00"
    assert new is not None and new.isoformat() == "2026-03-15T08:00:00+08:00"
    assert ns.parse_timepoint("15/03/2026 8") is None


def test_file_name_gives_hour_end() -> None:
    hour = ns.hour_of_file(Path("2026-03-16T00.csv"))
    assert hour is not None and hour.isoformat() == "2026-03-16T00:00:00+08:00"
    assert ns.hour_of_file(Path("notes.csv")) is None


def test_markers_are_kept_as_published(tmp_path: Path) -> None:
    line = GOOD_2026.replace(",0.3,0.4", ",/,/").replace(",25,21,", ",NA,21,")
    parsed = ns.parse(write(tmp_path, "a.csv", [HEADER, line]))
    (rec,) = parsed.records
    assert rec["pm10"] == "NA" and rec["co"] == "/" and rec["co_24h"] == "/"


def test_malformed_lines_are_rejected_with_line_column_and_reason(tmp_path: Path) -> None:
    lines = [
        HEADER,
        GOOD_2026,  # 2: loads
        GOOD_2026.rsplit(",", 1)[0],  # 3: one field short
        GOOD_2026.replace("1001A", "1003A").replace(",12,11,", ",12a,11,"),  # 4: a bad value
        GOOD_2026.replace("1001A", "1004A").replace("2026-03-15T0800", "2026-13-45T99"),  # 5
        GOOD_2026.replace("1001A", "1005A").replace(",6,5,5,5,", ",-6,5,5,5,"),  # 6: a sentinel
        GOOD_2026,  # 7: exact duplicate of line 2
        GOOD_2026.replace(",25,21,", ",26,21,"),  # 8: same station-hour, other values
        "",  # blank line: ignored
        GOOD_2022,  # 10: loads
        GOOD_2026.replace("116.36", "116.3x"),  # 11: a coordinate that is not a number
    ]
    parsed = ns.parse(write(tmp_path, "2026-03-15T08.csv", lines))
    # one bad value never stops the record: "12a" and "-6" load as published, and dbt
    # invalidates just those values (int_station_hour__current, seed analyser_ranges)
    assert [r["line_number"] for r in parsed.records] == [2, 4, 6, 10]
    assert parsed.records[1]["pm2_5"] == "12a" and parsed.records[2]["no2"] == "-6"
    assert parsed.duplicates == 1
    rejects = {r.line_number: r for r in parsed.rejects}
    assert sorted(rejects) == [3, 5, 8, 11]
    assert rejects[3].reason == "expected 22 fields, got 21"
    assert rejects[5].column == "timepoint" and rejects[5].reason == "unparseable timepoint"
    assert "conflicting duplicate of line 2" in rejects[8].reason
    assert (rejects[11].column, rejects[11].value) == ("longitude", "116.3x")
    assert parsed.records_in == 4 + 4 + 1


def test_an_empty_placeholder_row_gives_way_to_the_row_with_values(tmp_path: Path) -> None:
    # archived hours can hold their station list twice, a station empty in one copy and with
    # values in the other (seen in the 2023-03-15 10:00 archive): the values are the record
    empty = ",".join(GOOD_2026.split(",")[:6] + [""] * 16)
    other = GOOD_2026.replace("1001A", "1002A")
    parsed = ns.parse(
        write(tmp_path, "2026-03-15T08.csv", [HEADER, empty, other, GOOD_2026, other, empty])
    )
    assert [r["line_number"] for r in parsed.records] == [4, 3]
    assert parsed.rejects == [] and parsed.duplicates == 3
    assert parsed.records_in == 5


def test_bom_and_gb18030_are_read(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n" + GOOD_2026 + "\n").encode())
    assert len(ns.parse(bom).records) == 1
    gbk = write(tmp_path, "gbk.csv", [HEADER, GOOD_2026], encoding="gb18030")
    assert ns.parse(gbk).records[0]["area"] == "北京市"


def test_unreadable_file_names_file_and_cause(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", ["timepoint,stationcode,aqi", "2026-03-15T0800,1001A,20"])
    with pytest.raises(
        ns.UnreadableFile, match=r"x\.csv: header line 1 lacks column\(s\) longitude"
    ):
        ns.parse(path)
    with pytest.raises(ns.UnreadableFile, match="empty file"):
        ns.parse(write(tmp_path, "empty.csv", [""]))
    with pytest.raises(ns.UnreadableFile, match="cannot read file"):
        ns.parse(tmp_path / "absent.csv")
