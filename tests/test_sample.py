"""The sample generator (samples.station): determinism, format, faults, values. No database needed."""

from __future__ import annotations

import csv
import datetime as dt
import re
import statistics
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from samples.aqi import hourly_aqi
from samples.station import (
    FAULT_KINDS,
    HEADER,
    POLLUTANTS,
    GenerationSummary,
    generate,
    main,
    one_hour_column,
)
from tests.conftest import REAL, REPO

PROFILE = REPO / "config" / "city_profile.yaml"
REAL_2026 = REAL / "2026-03-15T08.csv"
START, END = dt.date(2026, 2, 28), dt.date(2026, 3, 3)  # 72 hours across the rule change
SWITCH = dt.date(2026, 3, 1)
BOM = b"\xef\xbb\xbf"
OLD_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00$")
NEW_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}00$")
NUMERIC = HEADER[7:]
COL = {name: i for i, name in enumerate(HEADER)}
MALFORMED = ("wrong_columns", "bad_number", "bad_timepoint")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(PROFILE, tmp_path_factory.mktemp("sample_a"), START, END)


@pytest.fixture(scope="module")
def profile() -> dict:
    with open(PROFILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def one_hour(day: dt.date) -> dict[str, str]:
    """The column of each pollutant's 1h value in the sample's layout of that data date."""
    return {p: one_hour_column(p, day) for p in POLLUTANTS}


def _lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    return raw.decode("utf-8").splitlines()


def _parse(line: str) -> list[str]:
    return next(csv.reader([line]))


def _label(name: str) -> dt.datetime:
    return dt.datetime.strptime(name[:13], "%Y-%m-%dT%H")


def _parse_timepoint(text: str) -> dt.datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H%M"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    return None


def _is_number(text: str) -> bool:
    return re.fullmatch(r"\d+(\.\d)?", text) is not None


def _files(summary: GenerationSummary) -> list[Path]:
    return sorted((summary.out_dir / "national_station").glob("*.csv"))


def _fault_lines(summary: GenerationSummary) -> set[tuple[str, int]]:
    return {(f.file, f.line) for f in summary.faults if f.line is not None}


def _clean_rows(summary: GenerationSummary) -> Iterator[tuple[Path, int, dict[str, str]]]:
    """Rows that carry no injected fault (first occurrence only, repeated file skipped)."""
    flagged = _fault_lines(summary)
    for path in _files(summary):
        rel = f"national_station/{path.name}"
        seen: set[str] = set()
        for line_no, line in enumerate(_lines(path)[1:], start=2):
            if (rel, line_no) in flagged or line in seen:
                continue
            seen.add(line)
            yield path, line_no, dict(zip(HEADER, _parse(line), strict=True))


# --- determinism, naming, header ---------------------------------------------------------------


def test_two_runs_are_byte_identical(sample: GenerationSummary, tmp_path: Path) -> None:
    again = generate(PROFILE, tmp_path, START, END)
    first = {p.relative_to(sample.out_dir): p.read_bytes() for p in sample.out_dir.rglob("*.csv")}
    second = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.csv")}
    assert first.keys() == second.keys()
    assert first == second
    assert again.faults == sample.faults
    assert again.events == sample.events
    assert (again.files, again.rows) == (sample.files, sample.rows)


def test_another_seed_differs(sample: GenerationSummary, tmp_path: Path) -> None:
    other = generate(PROFILE, tmp_path, START, END, seed=7)
    assert other.faults != sample.faults


def test_hour_ending_names_cover_the_interval(sample: GenerationSummary) -> None:
    expected = [
        dt.datetime.combine(START, dt.time()) + dt.timedelta(hours=h + 1)
        for h in range((END - START).days * 24)
    ]
    assert sample.hours == len(expected) == 72
    missing = {f.file.split("/")[-1] for f in sample.of_kind("missing_file")}
    assert 2 <= len(missing) <= 3
    names = [p.name for p in _files(sample)]
    assert names == [
        f"{t:%Y-%m-%dT%H}.csv" for t in expected if f"{t:%Y-%m-%dT%H}.csv" not in missing
    ]
    assert names[0] == "2026-02-28T01.csv"  # 00:00-01:00 of the first day
    assert expected[-1] == dt.datetime(2026, 3, 3, 0)  # 23:00-24:00 of the last day
    assert sample.files == len(names)
    # the timepoint inside a file is the file's hour
    for path in _files(sample):
        stamps = {_parse(line)[0] for line in _lines(path)[1:]}
        parsed = {_parse_timepoint(s) for s in stamps}
        assert _label(path.name) in parsed


def test_header_equals_the_real_files(sample: GenerationSummary) -> None:
    real = [p for p in (REAL / "2022-06-15T15.csv", REAL_2026) if p.exists()]
    if not real:
        pytest.skip("real files not available")
    for path in real:
        assert _lines(path)[0] == ",".join(HEADER)
    for path in _files(sample):
        assert _lines(path)[0] == ",".join(HEADER)


def test_both_timestamp_formats_around_the_switch(sample: GenerationSummary) -> None:
    formats: dict[str, set[str]] = {}
    for path, _, row in _clean_rows(sample):
        data_day = (_label(path.name) - dt.timedelta(hours=1)).date()
        kind = (
            "old"
            if OLD_TS.match(row["timepoint"])
            else "new"
            if NEW_TS.match(row["timepoint"])
            else "?"
        )
        formats.setdefault("before" if data_day < SWITCH else "after", set()).add(kind)
    assert formats == {"before": {"old"}, "after": {"new"}}
    # the 24:00 hour of 2026-02-28 belongs to that day: old format in 2026-03-01T00.csv
    path = sample.out_dir / "national_station" / "2026-03-01T00.csv"
    if path.exists():
        assert _lines(path)[1].startswith("2026-03-01T00:00:00,")


def test_row_order_by_code_then_by_city(sample: GenerationSummary) -> None:
    disordered = {f.file for f in sample.faults if f.kind not in ("bom", "station_absent")}
    for path in _files(sample):
        if f"national_station/{path.name}" in disordered:
            continue
        rows = [_parse(line) for line in _lines(path)[1:]]
        keys = [r[1] for r in rows]
        if (_label(path.name) - dt.timedelta(hours=1)).date() >= SWITCH:
            keys = [(r[4].encode("gb18030"), r[1]) for r in rows]
        assert keys == sorted(keys), path.name


def test_bom_and_line_ends(sample: GenerationSummary) -> None:
    bom = {f.file for f in sample.of_kind("bom")}
    assert len(bom) == 3
    for path in _files(sample):
        raw = path.read_bytes()
        rel = f"national_station/{path.name}"
        assert raw.startswith(BOM) == (rel in bom)
        assert (b"\r\n" in raw) == (rel in bom)


# --- stations ------------------------------------------------------------------------------------


def test_linfen_stations_are_the_real_ones(sample: GenerationSummary, profile: dict) -> None:
    if not REAL_2026.exists():
        pytest.skip("real files not available")
    with open(REAL_2026, encoding="utf-8") as handle:
        real = list(csv.DictReader(handle))
    cities = [profile["city"], *profile["peer_cities"]]
    assert profile["city"]["name"] == "临汾市"
    assert len(cities) == 11
    assert {c["name"] for c in cities} == set(profile["peer_groups"]["fenwei"]["cities"])
    for city in cities:
        want = {
            r["stationcode"]: (r["positionname"], r["longitude"], r["latitude"])
            for r in real
            if r["area"] == city["name"]
        }
        have = {
            s["code"]: (s["name"], str(s["longitude"]), str(s["latitude"]))
            for s in city["stations"]
        }
        assert have == want, city["name"]
    linfen_real = {r["stationcode"] for r in real if r["area"] == "临汾市"}
    linfen_out = {
        row["stationcode"] for _, _, row in _clean_rows(sample) if row["area"] == "临汾市"
    }
    assert linfen_out == linfen_real == {"1733A", "1734A", "1736A", "3018A", "4244A"}
    assert sample.stations == sum(len(c["stations"]) for c in cities)


def test_profile_blocks(profile: dict) -> None:
    assert len(profile["city"]["counties"]) == 17
    assert profile["peer_groups"]["fenwei"]["source"] and profile["peer_groups"]["fenwei"]["year"]
    assert all(t["source"] and t["year"] for t in profile["targets"])
    for group in profile["peer_groups"].values():
        assert group["source"] and group["year"] and group["cities"]
    # the default sample spans at least 13 months (year-on-year and annual statistics) and
    # crosses the 2026-03-01 rule change
    start, end = profile["sample"]["start"], profile["sample"]["end"]
    assert (end.year - start.year) * 12 + end.month - start.month >= 13
    assert start < dt.date(2026, 3, 1) < end
    assert isinstance(profile["sample"]["seed"], int)


# --- faults ----------------------------------------------------------------------------------


def test_every_fault_kind_is_present(sample: GenerationSummary) -> None:
    counts = sample.fault_counts
    assert set(counts) == set(FAULT_KINDS)
    assert all(counts[k] >= 1 for k in FAULT_KINDS), counts
    assert counts["repeated_file"] == 1
    assert {f.file for f in sample.of_kind("revision")} and sample.revision_files == 1


def _line(summary: GenerationSummary, rel: str, line: int) -> str:
    return _lines(summary.out_dir / rel)[line - 1]


def test_faults_are_where_the_summary_says(sample: GenerationSummary) -> None:
    out = sample.out_dir
    for f in sample.of_kind("missing_file"):
        assert not (out / f.file).exists()
    for f in sample.of_kind("station_absent"):
        codes = {_parse(line)[1] for line in _lines(out / f.file)[1:]}
        assert f.station not in codes
    for f in sample.of_kind("empty_row"):
        fields = _parse(_line(sample, f.file, f.line))
        assert fields[1] == f.station and fields[4] and fields[5]
        assert len(set(fields[6:])) == 1 and fields[6] in ("", "NA")
    for f in sample.of_kind("na_value"):
        row = dict(zip(HEADER, _parse(_line(sample, f.file, f.line)), strict=True))
        assert row["stationcode"] == f.station
        assert row[f.column] in ("", "NA")
        day = (_label(Path(f.file).name) - dt.timedelta(hours=1)).date()
        others = [c for c in one_hour(day).values() if c != f.column]
        assert all(_is_number(row[c]) or row[c] == "/" for c in others)
    for f in sample.of_kind("duplicate_row"):
        original = int(f.detail.rsplit(" ", 1)[1])
        assert original < f.line
        assert _line(sample, f.file, f.line) == _line(sample, f.file, original)
    for f in sample.of_kind("repeated_file"):
        data = _lines(out / f.file)[1:]
        third = len(data) // 3
        assert len(data) == 3 * third and data == data[:third] * 3
        assert len(set(data)) == third
    for f in sample.of_kind("wrong_columns"):
        assert len(_parse(_line(sample, f.file, f.line))) != len(HEADER)
    for f in sample.of_kind("bad_number"):
        row = dict(zip(HEADER, _parse(_line(sample, f.file, f.line)), strict=True))
        assert not _is_number(row[f.column]) and row[f.column] == f.detail.split(" -> ")[1]
    for f in sample.of_kind("bad_timepoint"):
        stamp = _parse(_line(sample, f.file, f.line))[0]
        assert stamp == f.detail and _parse_timepoint(stamp) is None
    for f in sample.of_kind("revision"):
        revised = dict(zip(HEADER, _parse(_line(sample, f.file, f.line)), strict=True))
        original_path = out / f.file.replace("revisions/", "", 1)
        original = next(
            dict(zip(HEADER, _parse(line), strict=True))
            for line in _lines(original_path)[1:]
            if _parse(line)[1] == f.station
        )
        old, new = f.detail.split(" -> ")
        assert original[f.column] == old and revised[f.column] == new != old


def test_no_unrecorded_malformed_lines(sample: GenerationSummary) -> None:
    """Every line a loader would reject (malformed) or whose value staging would invalidate (bad
    number) is one of the recorded faults."""
    found: set[tuple[str, int]] = set()
    for path in _files(sample):
        rel = f"national_station/{path.name}"
        for line_no, line in enumerate(_lines(path)[1:], start=2):
            fields = _parse(line)
            if len(fields) != len(HEADER) or _parse_timepoint(fields[0]) != _label(path.name):
                found.add((rel, line_no))
                continue
            if not all(_is_number(v) or v in ("", "NA", "/") for v in fields[7:]):
                found.add((rel, line_no))
    recorded = {(f.file, f.line) for f in sample.faults if f.kind in MALFORMED}
    assert found == recorded


def test_not_monitored_markers(sample: GenerationSummary) -> None:
    assert len(sample.not_monitored) == 2
    seen = set()
    for path, _, row in _clean_rows(sample):
        pols = sample.not_monitored.get(row["stationcode"])
        if not pols:
            assert "/" not in row.values()
            continue
        after = (_label(path.name) - dt.timedelta(hours=1)).date() >= SWITCH
        for p in pols:
            assert row[p] == row[f"{p}_24h"] == ("/" if after else "")
        seen.add(after)
    assert seen == {False, True}


# --- values ----------------------------------------------------------------------------------


def _num(text: str) -> float | None:
    return float(text) if _is_number(text) else None


def test_values_are_plausible(sample: GenerationSummary) -> None:
    pm25_linfen: list[float] = []
    ratios: list[float] = []
    for path, _, row in _clean_rows(sample):
        v = {c: _num(row[c]) for c in HEADER[8:]}
        after = (_label(path.name) - dt.timedelta(hours=1)).date() >= SWITCH
        if v["pm2_5"] is not None:
            assert 1 <= v["pm2_5"] <= 350
            assert float(row["pm2_5"]).is_integer()
        if v["pm10"] is not None and v["pm2_5"] is not None:
            assert v["pm10"] >= v["pm2_5"] and v["pm10"] <= 1000
            ratios.append(v["pm10"] / v["pm2_5"])
        if v["so2"] is not None:
            assert 1 <= v["so2"] <= 100
        if v["no2"] is not None:
            assert 1 <= v["no2"] <= 200
        if v["co"] is not None:
            assert 0.1 <= v["co"] <= 5 and re.fullmatch(r"\d+\.\d", row["co"])
        # the ozone layouts of the real publication: the 1h value in o3 with o3_24h empty until
        # February 2026, the same value in both in March 2026
        if v["o3"] is not None:
            assert 0 <= v["o3"] <= 250
        if after:
            assert row["o3"] == row["o3_24h"]
        else:
            assert row["o3_24h"] == ""
        if v["o3_8h"] is not None and v["o3_8h_24h"] is not None:
            assert v["o3_8h"] >= v["o3_8h_24h"]
        if row["area"] == "临汾市" and v["pm2_5"] is not None:
            pm25_linfen.append(v["pm2_5"])
    assert 40 <= statistics.median(pm25_linfen) <= 150
    assert 1.3 <= statistics.median(ratios) <= 2.0


def test_sand_dust_in_a_western_peer_city(sample: GenerationSummary, profile: dict) -> None:
    assert sample.events
    west = sorted(
        profile["peer_cities"],
        key=lambda c: statistics.mean(float(s["longitude"]) for s in c["stations"]),
    )[:3]
    west_codes = {s["code"] for c in west for s in c["stations"]}
    hours = set()
    for e in sample.events:
        row = dict(zip(HEADER, _parse(_line(sample, e.file, e.line)), strict=True))
        assert row["stationcode"] == e.station in west_codes
        assert int(row["pm10"]) > 600 and row["aqi"] == "500"
        hours.add(e.file)
    assert 1 <= len(hours) <= 3


def _rounded_mean(values: list[int]) -> int:
    return int((Decimal(sum(values)) / len(values)).quantize(Decimal(1), "ROUND_HALF_EVEN"))


def test_24h_means_follow_the_1h_series(sample: GenerationSummary) -> None:
    """Where the previous 24 files exist with complete rows, pm2_5_24h is their rounded mean."""
    clean = {(p.name, row["stationcode"]): row for p, _, row in _clean_rows(sample)}
    names = {p.name for p in _files(sample)}
    checked = 0
    for (name, code), row in clean.items():
        end = _label(name)
        window = [f"{end - dt.timedelta(hours=k):%Y-%m-%dT%H}.csv" for k in range(24)]
        rows = [clean.get((n, code)) for n in window]
        if not all(n in names for n in window) or any(r is None for r in rows):
            continue
        series = [r["pm2_5"] for r in rows if r is not None]
        if not all(_is_number(x) for x in series):
            continue
        assert row["pm2_5_24h"] == str(_rounded_mean([int(x) for x in series])), (name, code)
        checked += 1
    assert checked > 100


def test_published_aqi_is_hourly_aqi(sample: GenerationSummary) -> None:
    checked = {False: 0, True: 0}
    for path, _, row in _clean_rows(sample):
        if row["pm10"] == row["pm2_5"] == row["no2"] and row["pm10"] in ("", "NA"):
            continue  # empty row
        day = (_label(path.name) - dt.timedelta(hours=1)).date()
        columns = one_hour(day)
        conc = {p: (Decimal(row[c]) if _is_number(row[c]) else None) for p, c in columns.items()}
        not_monitored = frozenset(p for p, c in columns.items() if row[c] == "/")
        so2_24h = Decimal(row["so2_24h"]) if _is_number(row["so2_24h"]) else None
        result = hourly_aqi(day, conc, so2_24h, not_monitored)
        after = day >= SWITCH
        if result.aqi is None:
            assert row["aqi"] == ("NA" if after else "")
            assert row["primarypollutant"] == ("NA" if after else "")
        else:
            assert row["aqi"] == str(result.aqi)
            assert row["primarypollutant"] == result.primary_label
        checked[after] += 1
    assert checked[False] > 500 and checked[True] > 500


def test_revision_is_consistent(sample: GenerationSummary) -> None:
    (rel,) = {f.file for f in sample.of_kind("revision")}
    path = sample.out_dir / rel
    day = (_label(path.name) - dt.timedelta(hours=1)).date()
    original = _lines(sample.out_dir / rel.replace("revisions/", "", 1))
    revised = _lines(path)
    assert len(original) == len(revised) and original[0] == revised[0]
    changed = {f.line for f in sample.of_kind("revision")}
    for line_no, (a, b) in enumerate(zip(original, revised, strict=True), start=1):
        assert (a != b) == (line_no in changed)
        if a != b:
            row = dict(zip(HEADER, _parse(b), strict=True))
            columns = one_hour(day)
            conc = {p: Decimal(row[c]) if _is_number(row[c]) else None for p, c in columns.items()}
            not_monitored = frozenset(p for p, c in columns.items() if row[c] == "/")
            result = hourly_aqi(day, conc, None, not_monitored)
            if result.aqi is not None:
                assert row["aqi"] == str(result.aqi)


def test_cli_prints_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--profile", str(PROFILE), "--out", str(tmp_path), "--start", "2026-03-01"]
    assert main([*args, "--end", "2026-03-02", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "seed 5" in out and "faults:" in out and "missing_file" in out
    assert len(list((tmp_path / "national_station").glob("*.csv"))) >= 24 - 3
