"""HJ 212 packet logs through a real PostgreSQL: exactly once, reconciliation, quarantine, and
the dbt models (Appendix D hourly derivation, conversion, NOx, emission) on hand-made data."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from ingest.core.ledger import LoadSummary
from ingest.hj212 import load as hj212_load
from ingest.hj212 import registry as device_registry
from ingest.hj212.protocol import LOCAL_TZ, frame
from pipelines.dbt import run_dbt
from samples import hj212 as gen
from tests.conftest import REPO

PROFILE = REPO / "config" / "city_profile.yaml"
START, END = dt.date(2026, 3, 12), dt.date(2026, 3, 14)


def state(engine: sa.Engine) -> dict[str, object]:
    """Counts and a checksum of every reading value and flag."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "select (select count(*) from raw.hj212_reading),"
                " (select sum(value) from raw.hj212_reading),"
                " (select md5(string_agg(mn || cn || data_time || pollutant_code || statistic"
                "  || value || coalesce(flag, '-') || batch_id, ',' order by mn, cn, data_time,"
                "  pollutant_code, statistic)) from raw.hj212_reading),"
                " (select count(*) from quarantine.rejected_record where source = 'hj212'),"
                " (select count(*) from raw.hj212_packet)"
            )
        ).one()
    return dict(
        zip(("readings", "value_sum", "checksum", "quarantined", "packets"), row, strict=True)
    )


@pytest.fixture(scope="module")
def loaded(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, gen.Summary, LoadSummary]:
    out = tmp_path_factory.mktemp("hj212_inbox")
    summary = gen.generate_hj212(PROFILE, out, START, END, 11)
    url = make_database("hj212")
    engine = warehouse.engine(url)
    assert device_registry.load_registry(engine, out / "hj212_device_registry.csv") is not None
    result = hj212_load.load_interval(engine, out, summary.load_start, summary.load_end)
    engine.dispose()
    return url, summary, result


def test_every_batch_reconciles(
    loaded: tuple[str, gen.Summary, LoadSummary],
    report_line: Callable[[str], None],
) -> None:
    url, summary, result = loaded
    assert result.failed == [] and result.gaps == []
    assert len(result.batches) == summary.files
    engine = warehouse.engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select b.records_in, b.records_loaded, b.records_quarantined,"
                " b.records_duplicate, f.readings_parsed, f.readings_new, f.readings_duplicate,"
                " f.packets_rejected + f.fields_rejected,"
                " (select count(*) from raw.hj212_reading r where r.batch_id = b.batch_id),"
                " (select count(*) from quarantine.rejected_record q where q.batch_id = b.batch_id)"
                " from audit.load_batch b join audit.hj212_file f using (batch_id)"
            )
        ).all()
        totals = conn.execute(
            sa.text(
                "select sum(packets_ack), sum(packets_other), sum(packets_split),"
                " sum(readings_conflicting) from audit.hj212_file"
            )
        ).one()
    engine.dispose()
    assert len(rows) == summary.files
    for n, loaded_, quarantined, dup, parsed, new, dup2, rejected, in_raw, in_q in rows:
        assert n == loaded_ + quarantined + dup
        assert (loaded_, dup, quarantined) == (new, dup2, rejected)
        assert n == parsed + rejected and in_raw == loaded_ and in_q == quarantined
    acks, other, split, conflicting = totals
    assert acks == 2 and other == 1  # 9011 + 9012 around the replay, the 2081 restart notice
    assert split == len(summary.of_kind("split_packet"))
    assert conflicting == len(summary.of_kind("replay_conflicting")) == 1
    report_line(
        f"HJ 212 sample {START}..{END}: {result.total('records_in')} records in = "
        f"{result.total('loaded')} loaded + {result.total('quarantined')} quarantined + "
        f"{result.total('duplicates')} duplicates"
    )


def test_quarantine_reasons_match_the_injected_faults(
    loaded: tuple[str, gen.Summary, LoadSummary],
) -> None:
    url, summary, _ = loaded
    engine = warehouse.engine(url)
    with engine.connect() as conn:
        rejects = {
            (f, line, reason.split(":")[0])
            for f, line, reason in conn.execute(
                sa.text("select source_file, line_number, reason from quarantine.rejected_record")
            )
        }
    engine.dispose()
    expected = {
        "bad_crc": "crc_mismatch",
        "wrong_length": "wrong_length",
        "crc_byte_swapped": "crc_byte_swapped",
        "crc_modbus_byte_swapped": "crc_modbus_byte_swapped",
        "bad_value": "bad_value",
    }
    wanted = {
        (f.file, f.line, code) for kind, code in expected.items() for f in summary.of_kind(kind)
    }
    assert wanted and wanted == rejects


def test_replaying_a_day_twice_changes_no_reading(
    loaded: tuple[str, gen.Summary, LoadSummary], tmp_path: Path
) -> None:
    url, summary, _ = loaded
    engine = warehouse.engine(url)
    before = state(engine)
    day_files = sorted((summary.out_dir / "hj212").rglob("2026-03-12T*.log"))
    for replay in (1, 2):  # forwarders re-delivering the day twice: same bytes, other folders
        for path in day_files:
            folder = tmp_path / "hj212" / f"replay{replay}-{path.parent.name}"
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / path.name)
    start = dt.datetime(2026, 3, 12, tzinfo=LOCAL_TZ)
    first = hj212_load.load_interval(engine, tmp_path, start, start + dt.timedelta(days=1))
    after = state(engine)
    assert after["readings"] == before["readings"]
    assert after["value_sum"] == before["value_sum"] and after["checksum"] == before["checksum"]
    assert after["packets"] > before["packets"]  # raw keeps every sighting
    assert first.total("loaded") == 0
    assert first.total("duplicates") + first.total("quarantined") == first.total("records_in")
    again = hj212_load.load_interval(engine, tmp_path, start, start + dt.timedelta(days=1))
    assert {b.status for b in again.batches} == {"skipped"}
    assert state(engine) == after
    # the original interval again: nothing new either
    rerun = hj212_load.load_interval(engine, summary.out_dir, summary.load_start, summary.load_end)
    assert {b.status for b in rerun.batches} == {"skipped"} and state(engine) == after
    engine.dispose()


def test_first_sighting_wins_over_a_conflicting_replay(
    loaded: tuple[str, gen.Summary, LoadSummary],
) -> None:
    url, summary, _ = loaded
    (fault,) = summary.of_kind("replay_conflicting")
    text = (summary.out_dir / fault.file).read_text(encoding="utf-8").splitlines()[fault.line - 1]
    replayed = Decimal(text.split("a21026-Avg=", 1)[1].split(",", 1)[0])
    data_time = text.split("DataTime=", 1)[1][:14]
    engine = warehouse.engine(url)
    with engine.connect() as conn:
        value, source_file = conn.execute(
            sa.text(
                "select value, source_file from raw.hj212_reading where mn = :mn and cn = '2061'"
                " and pollutant_code = 'a21026' and statistic = 'avg'"
                " and data_time = :t"
            ),
            {
                "mn": fault.mn,
                "t": dt.datetime.strptime(data_time, "%Y%m%d%H%M%S").replace(tzinfo=LOCAL_TZ),
            },
        ).one()
    engine.dispose()
    assert value == replayed - 1 and source_file != fault.file


def test_a_missing_file_is_a_gap_until_it_arrives(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("hj212_gap")
    engine = warehouse.engine(url)
    hour = dt.datetime(2026, 3, 12, 8, tzinfo=LOCAL_TZ)
    packet = frame(
        "QN=20260312090001123;ST=31;CN=2061;PW=1;MN=M1;Flag=4;CP=&&DataTime=20260312080000;"
        "a21026-Avg=1,a21026-Flag=N&&"
    )
    for receiver in ("r1", "r2"):
        (tmp_path / "hj212" / receiver).mkdir(parents=True)
    (tmp_path / "hj212" / "r1" / "2026-03-12T09.log").write_text(packet + "\r\n")
    hj212_load.load_interval(engine, tmp_path, hour, hour + dt.timedelta(hours=2))
    late = tmp_path / "hj212" / "r2" / "2026-03-12T09.log"
    late.write_text(packet + "\r\n")
    result = hj212_load.load_interval(engine, tmp_path, hour, hour + dt.timedelta(hours=2))
    with engine.connect() as conn:
        gaps = conn.execute(
            sa.text(
                "select source, expected_hour_end, resolved_by_batch is not null"
                " from audit.feed_gap order by 1, 2"
            )
        ).all()
    engine.dispose()
    assert result.total("duplicates") == 1
    assert [(s, h.astimezone(LOCAL_TZ).hour, r) for s, h, r in gaps] == [
        ("hj212:r1", 9, False),
        ("hj212:r2", 9, False),
        ("hj212:r2", 10, True),
    ]


def test_requests_milliseconds_and_unknown_suffixes_reconcile_in_the_ledger(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    # issue 16: a request of the platform (HJ 212-2017 C.21) is a packet of kind 'request', not a
    # record; a 17-digit DataTime is loaded with its milliseconds and counted; a suffix table 4
    # does not define is a quarantined field: records_in = loaded + quarantined + duplicates
    url = make_database("hj212_requests")
    engine = warehouse.engine(url)
    head = "QN=20260312090001123;ST=32;CN={cn};PW=1;MN=M1;Flag=5;"
    request = frame(
        head.format(cn="2061") + "CP=&&BeginTime=20260312080000;EndTime=20260312080000&&"
    )
    realtime = frame(
        head.format(cn="2011") + "CP=&&DataTime=20260312085857223;a21026-Rtd=1.5;a21026-Ia=2&&"
    )
    folder = tmp_path / "hj212" / "r1"
    folder.mkdir(parents=True)
    (folder / "2026-03-12T09.log").write_text(f"{request}\r\n{realtime}\r\n")
    hour = dt.datetime(2026, 3, 12, 9, tzinfo=LOCAL_TZ)
    result = hj212_load.load_interval(engine, tmp_path, hour, hour + dt.timedelta(hours=1))
    with engine.connect() as conn:
        ledger_row = conn.execute(
            sa.text(
                "select records_in, records_loaded, records_quarantined, records_duplicate"
                " from audit.load_batch where source = 'hj212'"
            )
        ).one()
        file_row = conn.execute(
            sa.text(
                "select packets_data, packets_request, datatime_milliseconds, packets_rejected,"
                " fields_rejected from audit.hj212_file"
            )
        ).one()
        kinds = conn.execute(sa.text("select kind, cn from raw.hj212_packet order by 1")).all()
        reading_time = conn.execute(sa.text("select data_time from raw.hj212_reading")).scalar_one()
        reasons = conn.execute(
            sa.text("select reason, value from quarantine.rejected_record")
        ).all()
    engine.dispose()
    assert result.failed == []
    assert tuple(ledger_row) == (2, 1, 1, 0)  # the reading and the quarantined field
    assert tuple(file_row) == (1, 1, 1, 0, 1)
    assert [tuple(k) for k in kinds] == [("data", "2011"), ("request", "2061")]
    assert reading_time == dt.datetime(2026, 3, 12, 8, 58, 57, 223_000, tzinfo=LOCAL_TZ)
    assert [(r.split(":")[0], v) for r, v in reasons] == [("unknown_suffix", "a21026-Ia=2")]


# -- Appendix D and the marts on hand-made data ---------------------------------------------

MINUTE_MN = "TESTMINUTE000000000000001"
NOX_MN = "TESTNONO2000000000000002"


def minute_packet(moment: dt.datetime, so2: str, flag: str) -> str:
    return frame(
        f"QN={moment:%Y%m%d%H%M%S}000;ST=31;CN=2051;PW=1;MN={MINUTE_MN};Flag=4;"
        f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a21026-Avg={so2},a21026-Flag={flag};"
        "a19001-Avg=9.0,a19001-Flag=N;a00000-Avg=100,a00000-Flag=N&&"
    )


def nox_packet(hour: dt.datetime, no: str, no2: str) -> str:
    return frame(
        f"QN={hour:%Y%m%d%H%M%S}000;ST=31;CN=2061;PW=1;MN={NOX_MN};Flag=4;"
        f"CP=&&DataTime={hour:%Y%m%d%H%M%S};a21003-Avg={no},a21003-Flag=N;"
        f"a21004-Avg={no2},a21004-Flag=N;a19001-Avg=3.5,a19001-Flag=N;a00000-Avg=10,a00000-Flag=N&&"
    )


@pytest.fixture(scope="module")
def hand_made(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    tmp = tmp_path_factory.mktemp("hj212_appendix_d")
    url = make_database("hj212_appd")
    eight = dt.datetime(2026, 3, 12, 8, tzinfo=LOCAL_TZ)
    lines = []
    # 08:00-09:00: minutes 0..49 valid (SO2 20,21,22,23,24 repeated: mean 22), 50..59 flag C
    for m in range(60):
        value, flag = (str(20 + m % 5), "N") if m < 50 else ("500", "C")
        lines.append(minute_packet(eight + dt.timedelta(minutes=m), value, flag))
    # 09:00-10:00: 44 valid minutes of 30, 16 minutes missing: fewer than 45 -> not valid
    for m in range(44):
        lines.append(minute_packet(eight + dt.timedelta(hours=1, minutes=m), "30", "N"))
    lines.append(nox_packet(eight, "30", "5"))  # NOx = 30 * 46/30 + 5 = 51
    lines.append(nox_packet(eight + dt.timedelta(hours=1), "120", "20"))  # 184 + 20 = 204
    folder = tmp / "hj212" / "r1"
    folder.mkdir(parents=True)
    (folder / "2026-03-12T09.log").write_text("\r\n".join(lines) + "\r\n")
    registry = tmp / "registry.csv"
    registry.write_text(
        ",".join(device_registry.COLUMNS)
        + f"\n{MINUTE_MN},cems,测试电厂(样例),91141002MA0000000X,DA001,1号排口,尧都区,火电,6,ultra-low-power-2015"
        + f"\n{NOX_MN},cems,测试锅炉(样例),,DA001,1号排口,尧都区,燃气锅炉,3.5,GB13271-2014-special-gas\n",
        encoding="utf-8",
    )
    engine = warehouse.engine(url)
    device_registry.load_registry(engine, registry)
    hj212_load.load_interval(engine, tmp, eight, eight + dt.timedelta(hours=3))
    outcome = run_dbt(["build", "--select", "+cems_outlet_hour"], url, target_path=tmp / "dbt")
    assert outcome.success, outcome.failed
    yield engine
    engine.dispose()


def mart_rows(engine: sa.Engine, mn: str) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "select * from marts.cems_outlet_hour where device_mn = :mn"
                " order by pollutant_code, hour_start"
            ),
            {"mn": mn},
        ).all()


def test_appendix_d_hour_from_minutes_with_conversion_and_emission(hand_made: sa.Engine) -> None:
    valid, short = mart_rows(hand_made, MINUTE_MN)
    assert valid.value_source == short.value_source == "derived_from_minutes"
    assert (valid.valid_minutes, valid.is_valid, valid.data_flag) == (50, True, "N")
    assert valid.measured_mg_m3 == 22  # the 10 calibration minutes (500) are left out
    assert valid.o2_measured_pct == 9 and valid.o2_ref_pct == 6
    assert valid.converted_mg_m3 == Decimal("27.5")  # 22 * (21 - 6) / (21 - 9)
    assert valid.flow_m3_h == 360000  # 100 m3/s
    assert valid.emission_kg_h == Decimal("7.92")  # 22 mg/m3 * 360000 m3/h * 1e-6
    assert valid.limit_mg_m3 == 35 and not valid.is_exceedance
    assert (short.valid_minutes, short.is_valid, short.data_flag) == (44, False, None)
    assert not short.is_exceedance
    assert valid.day_valid_hours == 1 and not valid.is_day_valid  # 20 valid hours needed
    assert valid.source_file == "hj212/r1/2026-03-12T09.log" and valid.line_number == 1


def test_nox_from_no_and_no2_and_the_exceedance_hour(hand_made: sa.Engine) -> None:
    first, second = mart_rows(hand_made, NOX_MN)
    assert first.value_source == "no_plus_no2" and first.is_valid
    assert round(first.measured_mg_m3, 10) == 51  # 30 * 46 / 30 + 5
    assert round(first.converted_mg_m3, 10) == 51  # O2 at the reference 3.5 %
    assert round(second.measured_mg_m3, 10) == 204  # 120 * 46 / 30 + 20
    assert second.limit_mg_m3 == 150 and second.is_exceedance and not first.is_exceedance
    assert first.packet_qn == "20260312080000000"
