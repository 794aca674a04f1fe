"""Parser for the national real-time hourly station publication (CNEMC archive CSV format).

Knows nothing of the database. A file becomes well-formed records (values kept as published
text, so auditors see exactly what the file said), rejected lines with a reason, and a count of
exact duplicate lines. Quirks handled (../shared/real/README.md): UTF-8 with or without BOM (GB18030
as a fallback), two timestamp formats (``2022-06-15T15:00:00``, ``2026-03-15T0800``), empty / ``NA``
/ ``/`` markers, rows with every value empty, the same station-hour repeated in one file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = "national_station_hourly"
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

COLUMNS = (
    "timepoint",
    "stationcode",
    "longitude",
    "latitude",
    "area",
    "positionname",
    "primarypollutant",
    "aqi",
    "pm10",
    "pm10_24h",
    "pm2_5",
    "pm2_5_24h",
    "o3",
    "o3_24h",
    "o3_8h",
    "o3_8h_24h",
    "no2",
    "no2_24h",
    "so2",
    "so2_24h",
    "co",
    "co_24h",
)
VALUE_COLUMNS = COLUMNS[8:]
# The published column holding each pollutant's 1h mean. The 1h O3 is the column named o3_24h:
# the archive's o3 / o3_24h names are swapped (RULES.md 1; checked on every row of ../shared/real).
ONE_HOUR_COLUMN = {
    "pm10": "pm10",
    "pm2_5": "pm2_5",
    "o3": "o3_24h",
    "no2": "no2",
    "so2": "so2",
    "co": "co",
}
# Published markers: empty = missing (2012 era), NA = missing/invalid (2026), "/" = not monitored.
MARKERS = frozenset({"", "NA", "/"})
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_SIGNED_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M")
FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})\.csv$")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (encoding, header); the message names file and cause."""


@dataclass(frozen=True)
class Reject:
    line_number: int
    reason: str
    column: str | None = None
    value: str | None = None
    raw: str | None = None


@dataclass
class ParsedFile:
    path: Path
    records: list[dict[str, object]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    duplicates: int = 0

    @property
    def records_in(self) -> int:
        return len(self.records) + len(self.rejects) + self.duplicates


def hour_of_file(path: Path) -> dt.datetime | None:
    """The hour-ending local timestamp a file is named for (``2026-03-15T08.csv``), if any."""
    match = FILE_NAME.match(path.name)
    if not match:
        return None
    day = dt.date.fromisoformat(match.group(1))
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ) + dt.timedelta(hours=int(match.group(2)))


def parse_timepoint(text: str) -> dt.datetime | None:
    for fmt in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    return None


def _decode(path: Path, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(f"{path}: neither UTF-8 nor GB18030 text")


def _check_value(column: str, value: str) -> str | None:
    """None if the published value is acceptable, else the reason."""
    if value in MARKERS:
        return None
    if _NUMBER.match(value):
        return None
    if _SIGNED_NUMBER.match(value):
        return f"negative concentration in {column}"
    return f"not a number in {column}"


def parse(path: Path, data: bytes | None = None) -> ParsedFile:
    """Parse one hourly publication file. Raises UnreadableFile if the file cannot be read."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFile(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    text = _decode(path, data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UnreadableFile(f"{path}: empty file, no header line")
    header = [h.strip().lower() for h in next(csv.reader([lines[0]]))]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UnreadableFile(f"{path}: header line 1 lacks column(s) {', '.join(missing)}")
    index = {name: header.index(name) for name in COLUMNS}
    result = ParsedFile(path)
    seen: dict[tuple[str, dt.datetime], tuple[int, tuple[str, ...]]] = {}
    for line_number, row in _rows(lines):
        raw = lines[line_number - 1]
        if not any(cell.strip() for cell in row):
            continue  # blank line: not a record
        if len(row) != len(header):
            result.rejects.append(
                Reject(line_number, f"expected {len(header)} fields, got {len(row)}", raw=raw)
            )
            continue
        cells = {name: row[i].strip() for name, i in index.items()}
        observed = parse_timepoint(cells["timepoint"])
        if observed is None:
            result.rejects.append(
                Reject(line_number, "unparseable timepoint", "timepoint", cells["timepoint"], raw)
            )
            continue
        if not cells["stationcode"]:
            result.rejects.append(Reject(line_number, "empty station code", "stationcode", "", raw))
            continue
        problem = _first_problem(cells)
        if problem is not None:
            column, reason = problem
            result.rejects.append(Reject(line_number, reason, column, cells[column], raw))
            continue
        key = (cells["stationcode"], observed)
        content = tuple(cells[c] for c in COLUMNS)
        if key in seen:
            first_line, first_content = seen[key]
            if first_content == content:
                result.duplicates += 1
            else:
                result.rejects.append(
                    Reject(
                        line_number,
                        f"conflicting duplicate of line {first_line} for the same station-hour",
                        "stationcode",
                        cells["stationcode"],
                        raw,
                    )
                )
            continue
        seen[key] = (line_number, content)
        result.records.append({"line_number": line_number, "observed_at": observed, **cells})
    return result


def _first_problem(cells: dict[str, str]) -> tuple[str, str] | None:
    if cells["aqi"] not in MARKERS and not cells["aqi"].isdigit():
        return "aqi", "AQI is not an integer"
    for column in VALUE_COLUMNS:
        reason = _check_value(column, cells[column])
        if reason is not None:
            return column, reason
    for column in ("longitude", "latitude"):
        if cells[column] and not _SIGNED_NUMBER.match(cells[column]):
            return column, f"not a number in {column}"
    return None


def _rows(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    for offset, line in enumerate(lines[1:], start=2):
        yield offset, next(csv.reader(io.StringIO(line)), [])
