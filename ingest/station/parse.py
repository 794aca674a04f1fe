"""Parser for the national real-time hourly station publication (CNEMC archive CSV format).

Knows nothing of the database. A file becomes well-formed records (values kept as published
text, so auditors see exactly what the file said), rejected lines with a reason (a line that
cannot be a record: field count, timepoint, station code, coordinates, a conflicting repeat of a
station-hour), and a count of duplicate lines (exact repeats, and empty placeholder rows of a
station-hour that another row of the file carries with values). Concentration values are not
judged here: staging invalidates a bad value on its own (seed ``analyser_ranges``). Quirks handled (../shared/real/README.md): UTF-8 with or without BOM (GB18030
as a fallback), two timestamp formats (``2022-06-15T15:00:00``, ``2026-03-15T0800``), empty / ``NA``
/ ``/`` markers, rows with every value empty, the same station-hour repeated in one file.
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
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
# Published markers: empty = missing (2012 era), NA = missing/invalid (2026), "/" = not monitored.
MARKERS = frozenset({"", "NA", "/"})
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
    pick = operator.itemgetter(*(header.index(name) for name in COLUMNS))
    result = ParsedFile(path)
    seen: dict[tuple[str, dt.datetime], tuple[int, tuple[str, ...]]] = {}
    times: dict[str, dt.datetime | None] = {}  # a file's rows share one or a few timepoints
    for line_number, row in _rows(lines):
        raw = lines[line_number - 1]
        if not "".join(row).strip():
            continue  # blank line: not a record
        if len(row) != len(header):
            result.rejects.append(
                Reject(line_number, f"expected {len(header)} fields, got {len(row)}", raw=raw)
            )
            continue
        content = tuple(map(str.strip, pick(row)))
        cells = dict(zip(COLUMNS, content, strict=True))
        timepoint = cells["timepoint"]
        observed = times.get(timepoint)
        if observed is None and timepoint not in times:
            observed = times[timepoint] = parse_timepoint(timepoint)
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
        if key in seen:
            first_line, first_content = seen[key]
            if first_content == content or _without_values(cells):
                # an exact repeat, or an empty placeholder row after a row with values (archived
                # hours repeat their station list, the copies differing only in such rows)
                result.duplicates += 1
            elif _without_values(dict(zip(COLUMNS, first_content, strict=True))):
                # the earlier row was the empty placeholder: this row with values replaces it
                result.duplicates += 1
                position = next(
                    i for i, r in enumerate(result.records) if r["line_number"] == first_line
                )
                result.records[position] = {
                    "line_number": line_number,
                    "observed_at": observed,
                    **cells,
                }
                seen[key] = (line_number, content)
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
        cells["line_number"], cells["observed_at"] = line_number, observed  # type: ignore[assignment]
        result.records.append(cells)  # type: ignore[arg-type]
    return result


def _without_values(cells: dict[str, str]) -> bool:
    """Every published value (AQI, primary pollutant, concentrations) is empty or NA."""
    return all(cells[c] in ("", "NA") for c in ("primarypollutant", "aqi", *VALUE_COLUMNS))


def _first_problem(cells: dict[str, str]) -> tuple[str, str] | None:
    """A problem that makes the whole record unusable (the coordinates name the station's place).

    Concentrations and the published AQI are not checked here: a bad value (a sentinel such as
    -99 or 99999, a stuck analyser, a stray letter) is invalidated at the value level in staging
    (``int_station_hour__current``, seed ``analyser_ranges``) and listed in
    ``quarantine.station_value_rejected``, so one bad value never stops the record's good ones.
    """
    for column in ("longitude", "latitude"):
        if cells[column] and not _SIGNED_NUMBER.match(cells[column]):
            return column, f"not a number in {column}"
    return None


def _rows(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """Each line's fields, the line parsed on its own (a stray quote cannot swallow the next
    lines). Without a quote character, CSV's fields are exactly the comma-separated parts."""
    for offset, line in enumerate(lines[1:], start=2):
        yield offset, line.split(",") if '"' not in line else next(csv.reader([line]), [])
