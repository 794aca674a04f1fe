"""HJ 212 raw tables partitioned by CN class and month (migration 0016), on a real PostgreSQL:
converting a warehouse that holds rows keeps every row and the loader's first-sighting dedupe;
a file for a month without a partition creates it (also from concurrent loads); retention drops
an expired minute partition, audited, keeps the hourly and daily readings, refuses while the
hourly model has not processed it, and leaves every mart as it was (real dbt builds)."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import migrate as migrations
from ingest.core import warehouse
from ingest.hj212 import load as hj212_load
from ingest.hj212 import partitions
from ingest.hj212 import registry as device_registry
from ingest.hj212.protocol import LOCAL_TZ, frame
from pipelines import retention
from pipelines.dbt import run_dbt
from tests.conftest import REPO

MN = "TESTPARTITION00000000001"
# "now" for retention: the data below are of March and April 2026
NOW = dt.datetime(2026, 12, 7, 12, tzinfo=LOCAL_TZ)
DAYS = 200  # cutoff 2026-05-21: March and April have expired, later months not

_spec = importlib.util.spec_from_file_location(
    "mart_fingerprint", REPO / "tools/mart_fingerprint.py"
)
assert _spec is not None and _spec.loader is not None
_fingerprint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fingerprint)
# columns that say when or by which run a row was built, not what it says (as the fingerprint
# tool); raw_batch_watermark: which run built the row
VOLATILE = _fingerprint.VOLATILE


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


def packet(cn: str, moment: dt.datetime, so2: str, flag: str = "N") -> str:
    """A CEMS data packet (minute, hourly, daily or real-time) with SO2, O2 and flow."""
    stat = "Rtd" if cn == "2011" else "Avg"
    return frame(
        f"QN={moment:%Y%m%d%H%M%S}000;ST=31;CN={cn};PW=1;MN={MN};Flag=4;"
        f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a21026-{stat}={so2},a21026-Flag={flag};"
        f"a19001-{stat}=9.0,a19001-Flag=N;a00000-{stat}=100,a00000-Flag=N&&"
    )


def minutes(start: dt.datetime, count: int, base: int = 20) -> list[str]:
    return [
        packet("2051", start + dt.timedelta(minutes=m), str(base + m % 5)) for m in range(count)
    ]


def write(inbox: Path, receiver: str, hour: dt.datetime, lines: list[str]) -> None:
    folder = inbox / "hj212" / receiver
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{hour:%Y-%m-%dT%H}.log").write_text("\r\n".join(lines) + "\r\n")


def first_files(inbox: Path) -> None:
    """Minutes of 2026-03-31 22:00 to 2026-04-01 02:00 (local) across the month boundary, an
    hourly packet for another hour, a daily packet and a real-time one."""
    others = [
        packet("2061", at(31, 20), "40"),
        packet("2031", at(30, 0), "35"),
        packet("2011", at(31, 22, 30), "21"),
    ]
    write(inbox, "r1", at(31, 22), [*minutes(at(31, 22), 120), *others])
    write(inbox, "r1", at(1, 0, month=4), minutes(at(1, 0, month=4), 120, base=30))


def replay_file(inbox: Path) -> None:
    """A second receiver's replay from 23:30 to 00:30, in both months: 10 minutes with another
    value (conflicts: the first sighting stays), the rest identical, then 20 new minutes."""
    lines = minutes(at(31, 23, 30), 30) + minutes(at(1, 0, month=4), 30, base=30)
    lines[:10] = [packet("2051", at(31, 23, 30) + dt.timedelta(minutes=m), "99") for m in range(10)]
    lines += minutes(at(1, 2, month=4), 20)
    write(inbox, "r2", at(1, 2, month=4), lines)


def registry(path: Path) -> Path:
    path.write_text(
        ",".join(device_registry.COLUMNS)
        + f"\n{MN},cems,分区测试电厂(样例),91141002MA0000000X,DA001,1号排口,尧都区,火电,6,"
        "ultra-low-power-2015\n",
        encoding="utf-8",
    )
    return path


def load(url: str, inbox: Path, start: dt.datetime, end: dt.datetime) -> hj212_load.LoadSummary:
    engine = warehouse.engine(url)
    try:
        return hj212_load.load_interval(engine, inbox, start, end)
    finally:
        engine.dispose()


READING_ROWS = (
    "select mn, cn, data_time, pollutant_code, statistic, value, flag, st, source_code, qn,"
    " batch_id, source_file, line_number, packet_seq from raw.hj212_reading order by 1, 2, 3, 4, 5"
)
PACKET_ROWS = "select * from raw.hj212_packet order by batch_id, packet_seq"


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = warehouse.engine(url)
    with engine.connect() as conn:
        out = [tuple(r) for r in conn.execute(sa.text(sql))]
    engine.dispose()
    return out


def scalar(url: str, sql: str) -> object:
    return rows(url, sql)[0][0]


# -- a warehouse migrated to 0015 that holds rows, then converted -----------------------------


def _copy(src: sa.Engine, dst: sa.Engine, table: str, columns: list[str]) -> None:
    cols = ", ".join(columns)
    buffer = io.StringIO()
    raw_src = src.raw_connection()
    try:
        raw_src.cursor().copy_expert(f"copy (select {cols} from {table}) to stdout", buffer)
    finally:
        raw_src.close()
    buffer.seek(0)
    raw_dst = dst.raw_connection()
    try:
        raw_dst.cursor().copy_expert(f"copy {table} ({cols}) from stdin", buffer)
        raw_dst.commit()
    finally:
        raw_dst.close()


def _columns(engine: sa.Engine, table: str) -> list[str]:
    schema, name = table.split(".")
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "select column_name from information_schema.columns where table_schema = :s"
                    " and table_name = :t order by ordinal_position"
                ),
                {"s": schema, "t": name},
            ).scalars()
        )


@pytest.fixture(scope="module")
def warehouses(
    make_database: Callable[..., str],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch_module: pytest.MonkeyPatch,
) -> tuple[str, str, Path]:
    """(a warehouse loaded on the partitioned layout, one loaded before 0016 and converted by
    it, the inbox). The old one gets the new one's rows as the 0003 layout held them."""
    tmp = tmp_path_factory.mktemp("hj212_partitions")
    inbox = tmp / "inbox"
    first_files(inbox)
    new_url = make_database("hj212_part_new")
    engine = warehouse.engine(new_url)
    device_registry.load_registry(engine, registry(tmp / "registry.csv"))
    engine.dispose()
    load(new_url, inbox, at(31, 22), at(1, 1, month=4))

    old_url = make_database("hj212_part_old", migrated=False)
    before = tmp / "migrations_0015"
    before.mkdir()
    for path in sorted(migrations.MIGRATIONS.glob("*.sql")):
        if path.name < "0016":
            shutil.copy(path, before / path.name)
    monkeypatch_module.setattr(migrations, "MIGRATIONS", before)
    old = warehouse.engine(old_url)
    migrations.migrate(old)
    monkeypatch_module.undo()
    assert (
        scalar(old_url, "select relkind from pg_class where oid = 'raw.hj212_reading'::regclass")
        == "r"
    )
    src = warehouse.engine(new_url)
    # the columns the old layout has (later migrations add some, e.g. 0019's to hj212_file)
    for table in ("audit.load_batch", "raw.device_registry", "audit.hj212_file",
                  "quarantine.rejected_record", "raw.hj212_reading", "raw.hj212_packet"):  # fmt: skip
        _copy(src, old, table, _columns(old, table))
    with old.begin() as conn:
        conn.exec_driver_sql(
            "select setval(pg_get_serial_sequence('audit.load_batch', 'batch_id'),"
            " (select max(batch_id) from audit.load_batch))"
        )
    # 0016 converts; the later migrations follow it
    applied = migrations.migrate(old)
    assert applied[0] == "0016_hj212_partitions.sql" and all(a > "0016" for a in applied[1:])
    assert migrations.migrate(old) == []  # recorded once; every statement may run again
    src.dispose()
    old.dispose()
    return new_url, old_url, inbox


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_conversion_keeps_every_row_in_its_partition(warehouses: tuple[str, str, Path]) -> None:
    new_url, old_url, _ = warehouses
    assert rows(old_url, READING_ROWS) == rows(new_url, READING_ROWS)
    # received_hour of a converted packet: the hour its file is named for, as the loader sets it
    assert rows(old_url, PACKET_ROWS) == rows(new_url, PACKET_ROWS)
    by_partition = (
        "select tableoid::regclass::text, count(*) from raw.hj212_reading group by 1 order by 1"
    )
    assert rows(old_url, by_partition) == rows(new_url, by_partition)
    assert dict(rows(old_url, by_partition)) == {
        "raw.hj212_reading_hourly_202603": 6,  # one hourly and one daily packet, 3 codes each
        "raw.hj212_reading_minute_202603": 121 * 3,  # 120 minutes (22:00-24:00), 1 real-time
        "raw.hj212_reading_minute_202604": 120 * 3,
    }
    for url in (old_url, new_url):
        assert (
            scalar(url, "select relkind from pg_class where oid = 'raw.hj212_reading'::regclass")
            == "p"
        )
        assert scalar(url, "select to_regclass('raw.hj212_reading_unpartitioned')") is None


def test_the_loader_still_dedupes_across_partitions(warehouses: tuple[str, str, Path]) -> None:
    new_url, old_url, inbox = warehouses
    replay_file(inbox)
    before = rows(old_url, READING_ROWS)
    results = [load(url, inbox, at(1, 2, month=4), at(1, 3, month=4)) for url in (new_url, old_url)]
    for result in results:
        (batch,) = result.batches
        # 60 replayed minutes x 3 codes are duplicates (first sighting wins), 20 new minutes
        assert (batch.status, batch.loaded, batch.duplicates) == ("loaded", 60, 180)
    assert rows(old_url, READING_ROWS) == rows(new_url, READING_ROWS)
    conflicting = "select readings_conflicting from audit.hj212_file order by batch_id desc limit 1"
    assert scalar(old_url, conflicting) == scalar(new_url, conflicting) == 10
    after = {r[:5]: r for r in rows(old_url, READING_ROWS)}
    for row in before:  # nothing already loaded was replaced by the replay's values
        assert after[row[:5]] == row
    assert len(after) == len(before) + 60


# -- partitions made ahead by the loader ------------------------------------------------------


def test_a_file_for_a_month_without_partition_creates_it(
    warehouses: tuple[str, str, Path], tmp_path: Path
) -> None:
    new_url, _, _ = warehouses
    assert scalar(new_url, "select to_regclass('raw.hj212_reading_minute_202606')") is None
    # four receivers' files of June, loaded at once: each asks for the partitions, one makes them
    hour = at(10, 8, month=6)
    inboxes = []
    for n in range(4):
        inbox = tmp_path / f"inbox{n}"
        write(inbox, f"r{n}", hour, minutes(hour + dt.timedelta(minutes=15 * n), 15))
        inboxes.append(inbox)
    partitions.forget()
    with ThreadPoolExecutor(4) as pool:
        summaries = list(
            pool.map(lambda i: load(new_url, i, hour, hour + dt.timedelta(hours=1)), inboxes)
        )
    assert [b.status for s in summaries for b in s.batches] == ["loaded"] * 4
    placed = rows(
        new_url,
        "select tableoid::regclass::text, count(*) from raw.hj212_reading"
        " where data_time >= '2026-06-01' group by 1",
    )
    assert placed == [("raw.hj212_reading_minute_202606", 4 * 15 * 3)]
    assert scalar(new_url, "select count(*) from raw.hj212_packet_minute_202606") == 60
    for part in ("reading_hourly", "packet_hourly"):
        assert scalar(new_url, f"select to_regclass('raw.hj212_{part}_202606')") is not None


def test_a_row_the_default_partition_caught_moves_into_its_new_partition(
    warehouses: tuple[str, str, Path],
) -> None:
    new_url, _, _ = warehouses
    engine = warehouse.engine(new_url)
    with engine.begin() as conn:
        # a device clock reset to 2019: outside the window the loader creates, so it is kept in
        # the default partition (never rejected)
        conn.exec_driver_sql(
            "insert into raw.hj212_reading select mn, cn, '2019-05-03 10:00+08', pollutant_code,"
            " statistic, value, flag, st, source_code, qn, batch_id, source_file, line_number,"
            " packet_seq from raw.hj212_reading where cn = '2051' limit 1"
        )
    assert scalar(new_url, "select count(*) from raw.hj212_reading_minute_default") == 1
    partitions.forget()
    assert partitions.ensure(engine, "reading", [dt.date(2019, 5, 1)]) == 2
    engine.dispose()
    assert scalar(new_url, "select count(*) from raw.hj212_reading_minute_default") == 0
    assert scalar(new_url, "select count(*) from raw.hj212_reading_minute_201905") == 1
    with warehouse.engine(new_url).begin() as conn:
        conn.exec_driver_sql("drop table raw.hj212_reading_minute_201905")
        conn.exec_driver_sql("drop table raw.hj212_reading_hourly_201905")


def test_a_load_that_cannot_make_its_partition_in_time_lands_in_the_default(
    warehouses: tuple[str, str, Path], tmp_path: Path
) -> None:
    """A long query holding the default partition (attaching a partition locks it): the load
    does not wait for it beyond the lock timeout, its rows go to the default partition, and the
    next call for that month moves them into the partition."""
    new_url, _, _ = warehouses
    hour = at(10, 8, month=9)
    write(tmp_path / "inbox", "r1", hour, minutes(hour, 10))
    partitions.forget()
    engine = warehouse.engine(new_url)
    with engine.connect() as reader, reader.begin():
        reader.exec_driver_sql("select count(*) from raw.hj212_reading_minute_default")
        summary = load(new_url, tmp_path / "inbox", hour, hour + dt.timedelta(hours=1))
    assert [b.status for b in summary.batches] == ["loaded"]
    assert scalar(new_url, "select to_regclass('raw.hj212_reading_minute_202609')") is None
    assert scalar(new_url, "select count(*) from raw.hj212_reading_minute_default") == 30
    assert partitions.ensure(engine, "reading", [dt.date(2026, 9, 1)]) == 2
    engine.dispose()
    assert scalar(new_url, "select count(*) from raw.hj212_reading_minute_default") == 0
    assert scalar(new_url, "select count(*) from raw.hj212_reading_minute_202609") == 30


# -- retention ------------------------------------------------------------------------------


def test_retention_setting() -> None:
    assert retention.retention_days("") == retention.DEFAULT_RETENTION_DAYS
    assert retention.retention_days("none") is None
    assert retention.retention_days("0") is None
    assert retention.retention_days("90") == 90
    with pytest.raises(ValueError, match="number of days"):
        retention.retention_days("three months")


def marts(url: str) -> dict[str, list[str]]:
    """Every row of every relation in schema marts, as text over the columns that say what the
    row says (sorted): no expected output is written down, builds are compared."""
    engine = warehouse.engine(url)
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        relations = conn.execute(
            sa.text(
                "select table_name from information_schema.tables where table_schema = 'marts'"
                " order by 1"
            )
        ).scalars()
        for name in list(relations):
            columns = [
                c
                for c in _columns(engine, f"marts.{name}")
                if not VOLATILE.match(c) and c != "raw_batch_watermark"
            ]
            cols = ", ".join(f'"{c}"' for c in columns)
            out[name] = sorted(
                conn.execute(sa.text(f"select row({cols})::text from marts.{name}")).scalars()
            )
    engine.dispose()
    return out


def build(url: str, target: Path) -> None:
    """The transform's dbt build (every model, as the hourly run builds them)."""
    outcome = run_dbt(["build"], url, target_path=target)
    assert outcome.success, outcome.failed


def decide(url: str, dry_run: bool = False) -> dict[str, retention.Decision]:
    engine = warehouse.engine(url)
    try:
        decisions = retention.apply_retention(engine, DAYS, now=NOW, dry_run=dry_run)
    finally:
        engine.dispose()
    return {d.partition.name: d for d in decisions}


KEPT_ROWS = (
    "select mn, cn, data_time, pollutant_code, statistic, value, batch_id from raw.hj212_reading"
    " where cn in ('2061', '2031') order by 1, 2, 3, 4, 5"
)


def test_retention_drops_only_what_the_hourly_model_has_processed(
    make_database: Callable[[str], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = make_database("hj212_retention")
    inbox = tmp_path / "inbox"
    first_files(inbox)
    engine = warehouse.engine(url)
    device_registry.load_registry(engine, registry(tmp_path / "registry.csv"))
    engine.dispose()
    load(url, inbox, at(31, 22), at(1, 1, month=4))
    kept = rows(url, KEPT_ROWS)
    assert kept

    # never built: nothing may go
    refused = decide(url)
    assert {d.dropped for d in refused.values()} == {False}
    assert "raw.hj212_reading_minute_202603" in refused
    assert "does not exist" in refused["raw.hj212_reading_minute_202603"].reason
    # the command says so, and fails (exit code 1) when an expired partition had to be kept
    engine = warehouse.engine(url)
    code = retention.main(engine, argparse.Namespace(days=str(DAYS), dry_run=True))
    engine.dispose()
    assert code == 1
    assert "KEPT raw.hj212_reading_minute_202603" in capsys.readouterr().out

    build(url, tmp_path / "dbt")
    # a late file brings March minutes (21:00-22:00) the model has not seen yet
    write(inbox, "r3", at(1, 9, month=4), minutes(at(31, 21), 50, base=50))
    assert load(url, inbox, at(1, 9, month=4), at(1, 10, month=4)).total("loaded") == 150
    april_rows = scalar(url, "select count(*) from raw.hj212_reading_minute_202604")
    first = decide(url)
    assert not first["raw.hj212_reading_minute_202603"].dropped  # the late batch is unprocessed
    assert first["raw.hj212_reading_minute_202604"].dropped
    assert scalar(url, "select to_regclass('raw.hj212_reading_minute_202604')") is None
    assert scalar(url, "select to_regclass('raw.hj212_reading_minute_202603')") is not None
    audit = rows(
        url,
        "select partition_name, parent_table, range_start, range_end, row_count, retention_days"
        " from audit.hj212_partition_drop where partition_name like 'raw.hj212_reading%'",
    )
    assert audit == [
        (
            "raw.hj212_reading_minute_202604",
            "raw.hj212_reading",
            at(1, 0, month=4),
            dt.datetime(2026, 5, 1, tzinfo=LOCAL_TZ),
            april_rows,
            DAYS,
        )
    ]

    build(url, tmp_path / "dbt")
    before = marts(url)
    assert any(before.values())
    dry = decide(url, dry_run=True)
    assert (
        dry["raw.hj212_reading_minute_202603"].safe,
        dry["raw.hj212_reading_minute_202603"].dropped,
    ) == (True, False)
    assert scalar(url, "select to_regclass('raw.hj212_reading_minute_202603')") is not None
    second = decide(url)
    assert second["raw.hj212_reading_minute_202603"].dropped
    assert scalar(url, "select count(*) from raw.hj212_reading where cn in ('2011', '2051')") == 0
    assert rows(url, KEPT_ROWS) == kept  # hourly and daily readings are kept forever
    dropped = [d for d in (*first.values(), *second.values()) if d.dropped]
    assert scalar(url, "select count(*) from audit.hj212_partition_drop") == len(dropped)

    build(url, tmp_path / "dbt")  # the next hourly run after the drop (incremental models)
    assert marts(url) == before


def _history(url: str, inbox: Path, target: Path, drop: bool) -> None:
    """March-April minutes and a late March file, built; retention when ``drop``; then a June
    hour arrives and the hourly run builds it."""
    engine = warehouse.engine(url)
    device_registry.load_registry(engine, registry(inbox.parent / "registry.csv"))
    engine.dispose()
    load(url, inbox, at(31, 21), at(1, 10, month=4))
    build(url, target)
    if drop:
        assert [d.dropped for d in decide(url).values()] == [True] * 4
        assert scalar(url, "select count(*) from raw.hj212_reading where cn = '2051'") == 0
    load(url, inbox, at(10, 8, month=6), at(10, 9, month=6))
    build(url, target)


def test_marts_after_a_drop_equal_those_of_a_warehouse_that_kept_its_minutes(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    first_files(inbox)
    write(inbox, "r3", at(1, 9, month=4), minutes(at(31, 21), 50, base=50))
    june = at(10, 8, month=6)
    write(inbox, "r1", june, [*minutes(june, 60), packet("2061", june, "30")])
    kept, dropped = make_database("hj212_kept"), make_database("hj212_dropped")
    _history(kept, inbox, tmp_path / "dbt_kept", drop=False)
    _history(dropped, inbox, tmp_path / "dbt_dropped", drop=True)
    with_minutes, without = marts(kept), marts(dropped)
    assert any(with_minutes.values())
    assert without == with_minutes
