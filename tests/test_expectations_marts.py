"""The dq marts and the gates on a real database, with real dbt builds and real GX validations.

Inputs are small and hand-made (a few HJ 212 hours, form submissions, load batches); every
expected count below is worked out by hand from them in the comments.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from expectations import runner
from expectations.checkpoint import run_checkpoint
from expectations.run_report import write_run_report
from ingest.core import warehouse
from ingest.station import load
from ingest.station import parse as ns
from pipelines import transform as transform_steps
from pipelines.dbt import run_dbt
from pipelines.transform import freshness_step as check_freshness
from tests.conftest import REAL, REPO

CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 3, 15, tzinfo=CST)  # local midnight
MN_A, MN_B, MN_DUST = "MN_A_CEMS_0001", "MN_B_CEMS_0001", "MN_DUST_00001"


def batch(conn: sa.Connection, source: str, n_in: int, loaded: int, quar: int, dup: int) -> int:
    return conn.execute(
        sa.text(
            "insert into audit.load_batch (source, source_file, records_in, records_loaded,"
            " records_quarantined, records_duplicate, status, finished_at, loaded_xid)"
            " values (:s, :f, :i, :l, :q, :d, 'loaded', now(), pg_current_xact_id())"
            " returning batch_id"
        ),
        {
            "s": source,
            "f": f"{source}/hand-made-{n_in}",
            "i": n_in,
            "l": loaded,
            "q": quar,
            "d": dup,
        },
    ).scalar_one()


def registry(conn: sa.Connection, batch_id: int) -> None:
    rows = [
        (MN_A, "cems", "企业甲(测试)", "U1", "DA001", "甲1号排口", "尧都区", "焦化", 8),
        (MN_B, "cems", "企业乙(测试)", "U2", "DA001", "乙1号排口", "洪洞县", "焦化", 8),
        (MN_DUST, "dust", "某工地(测试)", None, "GD001", "扬尘监测点", "尧都区", "建筑施工", None),
    ]
    conn.execute(
        sa.text(
            "insert into raw.device_registry (batch_id, mn, kind, name, uscc, outlet_id,"
            " outlet_name, county, industry, o2_ref_pct) values (:b, :mn, :k, :n, :u, :o, :on,"
            " :c, :i, :o2)"
        ),
        [
            dict(zip(("mn", "k", "n", "u", "o", "on", "c", "i", "o2"), r, strict=True), b=batch_id)
            for r in rows
        ],
    )


def hourly(conn: sa.Connection, batch_id: int, mn: str, st: str, hours: dict[int, str]) -> None:
    """One CN=2061 SO2 (a21026) average per hour, with the given flag."""
    conn.execute(
        sa.text(
            "insert into raw.hj212_reading (mn, cn, data_time, pollutant_code, statistic, value,"
            " flag, st, batch_id, source_file, line_number, packet_seq)"
            " values (:mn, '2061', :t, 'a21026', 'avg', 12.5, :f, :st, :b, 'hand.log', :n, :n)"
        ),
        [
            {
                "mn": mn,
                "t": DAY + dt.timedelta(hours=h),
                "f": f,
                "st": st,
                "b": batch_id,
                "n": h + 1,
            }
            for h, f in hours.items()
        ],
    )


def submission(conn: sa.Connection, form: str, period: str, scope: str, loaded: str) -> int:
    b = batch(conn, f"form:{form}", 1, 1, 0, 0)
    conn.execute(
        sa.text(
            "insert into raw.form_submission (batch_id, form_id, period, scope, source_file, owner,"
            " schema_version, records, rejected, duplicates, loaded_at)"
            " values (:b, :f, :p, :s, 'hand.xlsx', 'test', 1, 1, 0, 0, cast(:t as timestamptz))"
        ),
        {"b": b, "f": form, "p": period, "s": scope, "t": loaded},
    )
    return b


def site_rows(conn: sa.Connection, batch_id: int, sites: dict[str, str | None]) -> None:
    """Rows of the construction-site list (March 2026): site code -> dust monitor MN."""
    conn.execute(
        sa.text(
            "insert into raw.form_record (batch_id, form_id, source_file, sheet, row_number, period,"
            " scope, record_key, record, raw_cells) values (:b, 'construction_site', 'hand.xlsx',"
            " 'Sheet1', :n, '2026-03', '全市', :k, cast(:r as jsonb), '{}'::jsonb)"
        ),
        [
            {
                "b": batch_id,
                "n": n + 3,
                "k": code,
                "r": json.dumps(
                    {
                        "site_code": code,
                        "site_type": "房屋建筑",
                        "responsible_leader": "张三",
                        "dust_monitor_mn": mn,
                    }
                ),
            }
            for n, (code, mn) in enumerate(sites.items())
        ],
    )


def dbt_build(url: str, tmp: Path, *args: str) -> None:
    outcome = run_dbt(["build", *args], url, target_path=tmp / "dbt_target")
    assert outcome.success, outcome.failed


def test_form_cadence_seed_agrees_with_the_form_schemas() -> None:
    seed = (REPO / "dbt_project" / "seeds" / "dq_form_cadence.csv").read_text(encoding="utf-8")
    rows = {line.split(",")[0]: line.split(",")[1:3] for line in seed.splitlines()[1:]}
    schemas = {}
    for path in (REPO / "ingest" / "forms").glob("*.yaml"):
        if path.name.startswith("_"):
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        schemas[doc["form_id"]] = [doc["cadence"], doc["scope"]["by"]]
    assert rows == schemas


@pytest.mark.slow
def test_dq_marts_count_expected_received_valid_and_gx_flags_them(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database("dqmarts")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    engine = warehouse.engine(url)
    with engine.begin() as conn:
        registry(conn, batch(conn, "device_registry", 3, 3, 0, 0))
        b = batch(conn, "hj212", 40, 47, 0, 0)  # 47 readings loaded of 40 in: 7 unaccounted
        # A: hours 0..23 but 7 missing, hour 5 flagged D (faulty): received 23, valid 22
        hourly(conn, b, MN_A, "31", {h: ("D" if h == 5 else "N") for h in range(24) if h != 7})
        # dust monitor: all 24 hours valid; B (registered) sends nothing
        hourly(conn, b, MN_DUST, "39", dict.fromkeys(range(24), "N"))
        batch(conn, "national_station_hourly", 10, 7, 2, 1)  # reconciles: 7 + 2 + 1
        # key_task weekly: W10 (2 Mar..8 Mar, due 11 Mar) received 6 Mar
        submission(conn, "key_task", "2026-W10", "全市", "2026-03-06T10:00+08:00")
        # dual_substitution monthly per county: February from 尧都区 only, received 12 Mar
        # (due 28 Feb + 10 days = 10 Mar: late)
        submission(conn, "dual_substitution", "2026-02", "尧都区", "2026-03-12T10:00+08:00")
        # site list of March: S1's monitor is the registered dust device with data, S2 names no
        # monitor, S3 names an MN that is not registered
        sites = submission(conn, "construction_site", "2026-03", "全市", "2026-03-05T10:00+08:00")
        site_rows(conn, sites, {"S1": MN_DUST, "S2": None, "S3": "MN_NOT_REGISTERED"})
        # a station of the profile that never published
        conn.execute(
            sa.text(
                "insert into raw.ref_station (batch_id, station_code, station_name, city, county)"
                " values (:b, '9999A', '无数据站', '临汾市', '尧都区')"
            ),
            {"b": batch(conn, "city_profile", 1, 1, 0, 0)},
        )
    dbt_build(
        url, tmp_path, "--select", "+path:models/marts/dq", "--vars", "{dq_as_of: '2026-03-15'}"
    )

    with engine.connect() as conn:
        devices = {
            r.device_mn: tuple(r[1:])
            for r in conn.execute(
                sa.text(
                    "select device_mn, day, received_hours, valid_hours, missing_hours,"
                    " invalid_hours, is_day_valid from marts.device_day_coverage"
                )
            )
        }
        enterprises = {
            r.credit_code: tuple(r[1:])
            for r in conn.execute(
                sa.text(
                    "select credit_code, registered_outlets, outlets_reporting,"
                    " expected_outlet_hours, received_outlet_hours, valid_outlet_hours, has_device,"
                    " has_data from marts.enterprise_month_coverage"
                )
            )
        }
        forms = {
            (r.form_id, r.period, r.scope): (r.status, r.is_late)
            for r in conn.execute(sa.text("select * from marts.form_period_coverage"))
        }
        site_cov = {
            r.site_code: tuple(r[1:])
            for r in conn.execute(
                sa.text(
                    "select site_code, has_monitor, monitor_registered, received_hours, has_data"
                    " from marts.site_month_coverage"
                )
            )
        }
        stations = conn.execute(
            sa.text(
                "select station_code, is_listed, has_data, days_with_data"
                " from marts.station_registry_coverage"
            )
        ).all()
        recon = conn.execute(
            sa.text(
                "select source, unaccounted_records from marts.load_batch_reconciliation"
                " where source in ('hj212', 'national_station_hourly') order by source"
            )
        ).all()
    d = DAY.date()
    assert devices == {
        MN_A: (d, 23, 22, 1, 1, True),  # 22 valid hours >= 20: the day is valid
        MN_B: (d, 0, 0, 24, 0, False),
        MN_DUST: (d, 24, 24, 0, 0, True),
    }
    assert enterprises == {
        "U1": (1, 1, 24, 23, 22, True, True),
        "U2": (1, 0, 24, 0, 0, True, False),
    }
    # key_task: ISO weeks W01..W11 of 2026; W01..W09 due before 15 Mar and missing, W11 (9..15
    # Mar, due 18 Mar) not due yet
    weekly = {k: v for k, v in forms.items() if k[0] == "key_task"}
    assert len(weekly) == 11
    assert weekly[("key_task", "2026-W10", "全市")] == ("received", False)
    assert weekly[("key_task", "2026-W11", "全市")] == ("not_due", False)
    assert sum(v == ("missing", False) for v in weekly.values()) == 9
    # dual_substitution: counties 尧都区 (submitted) and 洪洞县 (registry) x Jan, Feb, Mar
    monthly = {k[1:]: v for k, v in forms.items() if k[0] == "dual_substitution"}
    assert monthly == {
        ("2026-01", "尧都区"): ("missing", False),
        ("2026-01", "洪洞县"): ("missing", False),
        ("2026-02", "尧都区"): ("received", True),
        ("2026-02", "洪洞县"): ("missing", False),
        ("2026-03", "尧都区"): ("not_due", False),
        ("2026-03", "洪洞县"): ("not_due", False),
    }
    assert site_cov == {
        "S1": (True, True, 24, True),
        "S2": (False, False, 0, False),
        "S3": (True, False, 0, False),
    }
    assert [tuple(r) for r in stations] == [("9999A", True, False, 0)]
    assert [tuple(r) for r in recon] == [("hj212", -7), ("national_station_hourly", 0)]

    # GX: device coverage warns (A and B have missing hours, B has 0 < 20 valid hours);
    # reconciliation fails critically on the hj212 batch
    cov = run_checkpoint(url, "device_day_coverage", run_id="t-dev", report_dir=None)
    res = {r.spec.index: r for r in cov.results}
    assert cov.critical_success and not cov.success
    assert (res[2].unexpected_count, res[3].unexpected_count) == (2, 1)
    rec = run_checkpoint(url, "load_batch_reconciliation", run_id="t-rec", report_dir=None)
    assert not rec.critical_success
    assert {r.spec.index: r.unexpected_count for r in rec.results}[1] == 1
    forms_gx = run_checkpoint(url, "form_period_coverage", run_id="t-forms", report_dir=None)
    res = {r.spec.index: r for r in forms_gx.results}
    # missing: key_task W01..W09, dual_substitution 3, construction_site January and February
    assert (res[1].unexpected_count, res[2].unexpected_count) == (9 + 3 + 2, 1)
    sites_gx = run_checkpoint(url, "site_month_coverage", run_id="t-sites", report_dir=None)
    assert [r.unexpected_count for r in sites_gx.results][1:] == [1, 2, 2]

    # dbt source freshness, persisted: the newest HJ 212 reading is hour 23 of 15 March (years
    # before now: older than the 3 hours of dbt_project.yml, a warning); forms loaded in 2026-03
    fresh = check_freshness("t-fresh", url)
    assert fresh["statuses"]["source.lantian.hj212.hj212_reading"] == "warn"
    with engine.connect() as conn:
        stored = {
            r.table_name: r
            for r in conn.execute(
                sa.text("select * from dq.source_freshness where pipeline_run = 't-fresh'")
            )
        }
    assert set(stored) == {"station_hour_publication", "hj212_reading", "form_submission"}
    hj = stored["hj212_reading"]
    assert hj.max_loaded_at == DAY + dt.timedelta(hours=23)
    assert (hj.status, hj.warn_after, hj.error_after) == ("warn", "3 hour", None)
    assert stored["form_submission"].max_loaded_at == dt.datetime(2026, 3, 12, 10, tzinfo=CST)
    engine.dispose()


def make_station_inbox(root: Path, hours: tuple[str, ...]) -> Path:
    folder = root / "national_station"
    folder.mkdir(parents=True, exist_ok=True)
    for name in hours:
        if name == "2026-03-15T09.csv":  # the 08:00 publication, relabelled as the next hour
            text = (REAL / "2026-03-15T08.csv").read_text(encoding="utf-8")
            (folder / name).write_text(text.replace("2026-03-15T0800", "2026-03-15T0900"))
        else:
            shutil.copy(REAL / name, folder / name)
    return root


@pytest.mark.slow
def test_a_critical_gate_failure_blocks_only_the_marts_it_guards(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An invalid HJ 212 flag stops cems_outlet_hour (last good version stays) while the station
    marts refresh; the verdict fails the run naming the suite and the marts kept back."""
    url = make_database("gates")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    engine = warehouse.engine(url)
    whole = (
        dt.datetime(2026, 1, 1, tzinfo=ns.LOCAL_TZ),
        dt.datetime(2027, 1, 1, tzinfo=ns.LOCAL_TZ),
    )
    inbox = make_station_inbox(tmp_path / "inbox", ("2026-03-15T08.csv",))
    load.load_interval(engine, inbox, *whole)
    with engine.begin() as conn:
        registry(conn, batch(conn, "device_registry", 3, 3, 0, 0))
        hourly(conn, batch(conn, "hj212", 2, 2, 0, 0), MN_A, "31", {0: "N", 1: "N"})

    def transform(run: str) -> dict[str, object]:
        from pipelines.transform import UPSTREAM, build

        build(UPSTREAM)
        gate = transform_steps.gate_step(run)
        transform_steps.marts_build_step(list(gate["blocked"]))  # type: ignore[call-overload]
        return gate

    def counts() -> tuple[int, int]:
        with engine.connect() as conn:
            return (
                conn.execute(sa.text("select count(distinct observed_at) from marts.station_hour_aqi")).scalar_one(),
                conn.execute(sa.text("select count(*) from marts.cems_outlet_hour")).scalar_one(),
            )  # fmt: skip

    first = transform("run-1")
    assert first["blocked"] == [] and first["critical_failures"] == []
    assert "no critical data-quality failure" in transform_steps.verdict_step("run-1")
    assert counts() == (1, 2)  # one station hour; A's two SO2 hours

    # next: a new station hour, a good HJ 212 hour and one with a flag outside HJ 212 table 8
    make_station_inbox(inbox, ("2026-03-15T09.csv",))
    load.load_interval(engine, inbox, *whole)
    with engine.begin() as conn:
        hourly(conn, batch(conn, "hj212", 2, 2, 0, 0), MN_A, "31", {2: "N", 3: "X"})
    second = transform("run-2")
    assert "hj212_reading_staging" in second["critical_failures"]
    assert "stg_hj212__reading+" in second["blocked"]
    assert "station_hour_staging" not in second["critical_failures"]
    # station marts refreshed (2 hours); cems_outlet_hour kept its last good version (2 rows)
    assert counts() == (2, 2)
    with pytest.raises(
        runner.DataQualityFailed, match=r"hj212_reading_staging.*stg_hj212__reading\+"
    ):
        transform_steps.verdict_step("run-2")
    with engine.connect() as conn:
        recorded = conn.execute(
            sa.text(
                "select blocked_models, stage from dq.validation_run"
                " where pipeline_run = 'run-2' and suite = 'hj212_reading_staging'"
            )
        ).one()
        flag = conn.execute(
            sa.text(
                "select r.unexpected_count, r.partial_unexpected from dq.expectation_result r"
                " join dq.validation_run v using (run_id) where v.pipeline_run = 'run-2'"
                " and v.suite = 'hj212_reading_staging' and r.column_name = 'data_flag'"
            )
        ).one()
    assert recorded == (["stg_hj212__reading+"], "gate")
    assert (flag.unexpected_count, flag.partial_unexpected) == (1, ["X"])
    report = write_run_report(engine, "run-2", tmp_path / "reports").read_text(encoding="utf-8")
    assert "stg_hj212__reading+" in report and "不通过（严重）" in report
    assert "select * from staging.stg_hj212__reading where data_flag not in" in report
    engine.dispose()
