"""补传 (pipelines/hj212_gaps.py): the planner, and end to end through a real receiver.

End to end: two simulated devices (bench/hj212_devices.py) connect to a real receiver subprocess
and send yesterday's hours, one of them without 10:00; the existing loader reads the published
log, dbt builds the HJ 212 path, the gap task finds the one missing device-hour
(marts.device_day_coverage, int_hj212__hourly), asks that device, and only it, for it
(CN=2061 with BeginTime/EndTime, HJ 212-2017 table 9 / C.21), the device replays it, the next
published hour is loaded and built, and marts.cems_outlet_hour is complete for that hour;
audit.hj212_history_request and marts.hj212_gap_request show the request, its answer and that
the hour was filled. A second run asks nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.hj212_devices import ReceiverProcess, SimulatedDevice, fields_of, free_port
from ingest.core import warehouse
from ingest.hj212 import load as hj212_load
from ingest.hj212 import registry as device_registry
from ingest.hj212.protocol import LOCAL_TZ
from pipelines import hj212_gaps
from pipelines.dbt import run_dbt
from pipelines.settings import GapFetchSettings

T0 = dt.datetime(2026, 3, 12, tzinfo=LOCAL_TZ)
HOST, PW = "127.0.0.1", "pw-gaps-1"
# two CEMS outlets that send, one registered that never connects, one silent all day that
# connects but refuses the request (QnRtn=2, HJ 212-2017 table 7)
MNS = [f"1410023100000002000000{i:02d}" for i in range(1, 5)]
H = dt.timedelta(hours=1)


def prior(mn: str, begin: dt.datetime, end: dt.datetime, at: dt.datetime, status: str):
    return hj212_gaps.PriorRequest(mn, begin, end, at, status)


def test_the_plan_groups_consecutive_hours_and_honours_backoff_attempts_and_span() -> None:
    settings = GapFetchSettings(backoff_hours=6, max_attempts=2, max_span_hours=3)
    now = T0 + 48 * H
    missing = {
        "A": [T0 + h * H for h in (1, 2, 3, 4, 5, 9)],  # 1-3, 4-5 (span 3), 9
        "B": [T0 + 1 * H, T0 + 2 * H, T0 + 3 * H],
        "C": [T0 + 7 * H],
    }
    asked = [
        prior("B", T0 + 1 * H, T0 + 1 * H, now - 2 * H, "done"),  # within the backoff
        prior("B", T0 + 2 * H, T0 + 3 * H, now - 30 * H, "failed"),  # after it: asked again
        prior("C", T0 + 7 * H, T0 + 7 * H, now - 30 * H, "timeout"),
        prior("C", T0 + 7 * H, T0 + 7 * H, now - 20 * H, "failed"),  # 2 attempts: given up
        prior("A", T0 + 9 * H, T0 + 9 * H, now - 20 * H, "not_connected"),  # reached no device
        prior("A", T0 + 9 * H, T0 + 9 * H, now - 19 * H, "unreachable"),
        prior("A", T0 + 9 * H, T0 + 9 * H, now - 18 * H, "not_connected"),
    ]
    plan = hj212_gaps.plan_requests(missing, asked, now, settings)
    got = [(r.device_mn, r.begin_time, r.end_time, r.missing_hours) for r in plan.requests]
    assert got == [
        ("A", "20260312010000", "20260312030000", 3),
        ("A", "20260312040000", "20260312050000", 2),
        ("A", "20260312090000", "20260312090000", 1),
        ("B", "20260312020000", "20260312030000", 2),
    ]
    assert (plan.hours_missing, plan.hours_in_backoff, plan.hours_given_up) == (10, 1, 1)


def test_the_window_ends_settle_hours_before_now_and_starts_a_local_day() -> None:
    settings = GapFetchSettings(window_days=3, settle_hours=2)
    start, end = hj212_gaps.window(dt.datetime(2026, 3, 12, 1, 40, tzinfo=dt.UTC), settings)
    assert start == dt.datetime(2026, 3, 10, tzinfo=LOCAL_TZ)  # 09:40 local on the 12th
    assert end == dt.datetime(2026, 3, 12, 7, tzinfo=LOCAL_TZ)


def test_settings_come_from_the_environment_and_bad_ones_name_the_variable() -> None:
    settings = GapFetchSettings.from_env(
        {
            "LANTIAN_RECEIVER_URLS": "http://rx1:9213/, http://rx2:9213",
            "LANTIAN_HJ212_GAP_DAYS": "7",
            "LANTIAN_HJ212_GAP_BACKOFF_HOURS": "1.5",
        }
    )
    assert settings.receiver_urls == ("http://rx1:9213", "http://rx2:9213")
    assert (settings.window_days, settings.backoff_hours) == (7, 1.5)
    assert settings.max_span_hours == GapFetchSettings().max_span_hours  # the default
    for name, value in (("LANTIAN_HJ212_GAP_DAYS", "x"), ("LANTIAN_HJ212_GAP_RATE", "0")):
        with pytest.raises(ValueError, match=name):
            GapFetchSettings.from_env({name: value})


VALUES = {"a34013": "3.1", "a21026": "12.5", "a21002": "40.2", "a19001": "9.5"}
SELECT = ["build", "--select", "+cems_outlet_hour", "+device_day_coverage", "+hj212_gap_request"]


def _load_and_build(engine: sa.Engine, url: str, inbox: Path, tmp: Path) -> None:
    now = dt.datetime.now(LOCAL_TZ)
    result = hj212_load.load_interval(engine, inbox, now - 72 * H, now + 72 * H, "test")
    assert result.failed == []
    outcome = run_dbt(SELECT, url, target_path=tmp / "dbt")
    assert outcome.success, outcome.failed


def test_a_missing_hour_is_asked_for_replayed_loaded_and_the_mart_is_complete(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("hj212_gaps")
    engine = warehouse.engine(url)
    registry = tmp_path / "registry.csv"
    registry.write_text(
        ",".join(device_registry.COLUMNS)
        + "".join(
            f"\n{mn},cems,测试电厂(样例),91141002MA0000000X,DA00{i},{i}号排口,尧都区,火电,6,"
            "ultra-low-power-2015"
            for i, mn in enumerate(MNS, 1)
        )
        + "\n",
        encoding="utf-8",
    )
    device_registry.load_registry(engine, registry)  # the warehouse and the receiver: one file
    receiver = ReceiverProcess(tmp_path / "rx", registry=registry, default_pw=PW)
    inbox = receiver.inbox
    day = dt.datetime.now(LOCAL_TZ).date() - dt.timedelta(days=1)
    hours = [dt.datetime.combine(day, dt.time(h), LOCAL_TZ) for h in range(24)]
    gap = hours[10]
    gappy, whole, refuser = MNS[0], MNS[1], MNS[3]

    def history(device: SimulatedDevice) -> dict[str, list[str]]:
        return {
            f"{h:%Y%m%d%H%M%S}": [device.data_packet("2061", f"{h:%Y%m%d%H%M%S}", VALUES)]
            for h in hours
        }

    async def send_the_day() -> None:
        for mn in (gappy, whole):
            device = SimulatedDevice(mn, PW, HOST, receiver.port)
            await device.connect()
            for key, packets in history(device).items():
                if mn == gappy and key == f"{gap:%Y%m%d%H%M%S}":
                    continue  # the hour lost on the way (no packet ever reached the platform)
                assert await device.send(packets[0])
            await device.close()

    dead_receiver = f"http://{HOST}:{free_port()}"  # a receiver that does not answer
    settings = GapFetchSettings(
        receiver_urls=(f"http://{HOST}:{receiver.status_port}", dead_receiver),
        window_days=2,
        rate_per_s=20,
        timeout_s=10,
    )
    try:
        receiver.start()
        asyncio.run(send_the_day())
        receiver.stop()
        # an hour later (the receiver's clock): the first hour's log is published at start
        receiver.start(LANTIAN_RECEIVER_CLOCK_OFFSET_S="3600")
        _load_and_build(engine, url, inbox, tmp_path)
        with engine.connect() as conn:
            before = conn.execute(
                sa.text(
                    "select device_mn, missing_hours from marts.device_day_coverage"
                    " where day = :day order by 1"
                ),
                {"day": day},
            ).all()
            hours_before = conn.execute(
                sa.text(
                    "select count(*) from marts.cems_outlet_hour"
                    " where device_mn = :mn and obs_date = :day and pollutant_code = 'a21026'"
                ),
                {"mn": gappy, "day": day},
            ).scalar_one()
        assert [tuple(r) for r in before] == [(gappy, 1), (whole, 0), (MNS[2], 24), (refuser, 24)]
        assert hours_before == 23

        async def ask_while_connected() -> tuple[dict[str, object], SimulatedDevice]:
            device = SimulatedDevice(gappy, PW, HOST, receiver.port)
            device.history = history(device)
            others = [
                SimulatedDevice(whole, PW, HOST, receiver.port),
                SimulatedDevice(refuser, PW, HOST, receiver.port, refuse_with=2),
            ]
            for d in (device, *others):
                await d.connect()
                await d.send(d.data_packet("2011", f"{dt.datetime.now(LOCAL_TZ):%Y%m%d%H%M%S}", {}))
            result = await asyncio.to_thread(hj212_gaps.run, engine, settings, None, "test")
            for d in (device, *others):
                await d.close()
            return result, device

        result, device = asyncio.run(ask_while_connected())
        receiver.stop()
        receiver.start(LANTIAN_RECEIVER_CLOCK_OFFSET_S="7200")  # publishes the replay's hour
        _load_and_build(engine, url, inbox, tmp_path)
        receiver.stop()
    finally:
        receiver.close()

    # the hours of yesterday the run looked at (it ends settle_hours before it ran)
    window_end = dt.datetime.fromisoformat(str(result["window_end"]))
    refused_hours = [h for h in hours if h < window_end]
    # the gap task asked the device with a gap for the one hour, as C.21 does; the refuser for
    # its silent day; not the device that is connected nowhere; the dead receiver is reported
    assert result["requests_sent"] == 2 and result["outcomes"] == {"done": 1, "refused": 1}
    assert result["hours_requested"] == 1 + len(refused_hours)
    assert result["devices_not_connected"] == 1
    assert [u.split(": ")[0] for u in result["receivers_unreachable"]] == [dead_receiver]
    ((qn, cn, begin, end),) = device.requests
    assert (cn, begin, end) == ("2061", f"{gap:%Y%m%d%H%M%S}", f"{gap:%Y%m%d%H%M%S}")
    assert [fields_of(p)["DataTime"] for p in device.replayed] == [f"{gap:%Y%m%d%H%M%S}"]
    with engine.connect() as conn:
        audit = conn.execute(
            sa.text(
                "select device_mn, cn, begin_hour, end_hour, status, qn, qn_rtn, exe_rtn,"
                " requested_by, answered_at >= requested_at from audit.hj212_history_request"
                " order by request_id"
            )
        ).all()
        mart = conn.execute(
            sa.text(
                "select device_mn, hour_start, request_status, is_filled, filled_after_request"
                " from marts.hj212_gap_request order by device_mn, hour_start"
            )
        ).all()
        # the auditor reads this mart as it reads audit.hj212_history_request, and no other
        auditor_reads = conn.execute(
            sa.text(
                "select has_table_privilege('lantian_auditor', 'marts.hj212_gap_request',"
                " 'select'), has_table_privilege('lantian_auditor', 'marts.cems_outlet_hour',"
                " 'select'), has_table_privilege('lantian_bi_reader',"
                " 'marts.hj212_gap_request', 'select')"
            )
        ).one()
        outlet_hours = conn.execute(
            sa.text(
                "select pollutant_code, count(*), count(*) filter (where is_valid),"
                " bool_or(hour_start = :gap) from marts.cems_outlet_hour"
                " where device_mn = :mn and obs_date = :day group by 1 order by 1"
            ),
            {"mn": gappy, "day": day, "gap": gap},
        ).all()
    assert [tuple(r) for r in audit if r[0] == gappy] == [
        (gappy, "2061", gap, gap, "done", qn, "1", "1", "test", True)
    ]
    ((*refused, refused_qn, qn_rtn, exe_rtn, by, answered),) = [r for r in audit if r[0] == refuser]
    assert refused == [refuser, "2061", refused_hours[0], refused_hours[-1], "refused"]
    assert (qn_rtn, exe_rtn, by, answered) == ("2", None, "test", True) and refused_qn
    assert [tuple(r) for r in mart] == [(gappy, gap, "done", True, True)] + [
        (refuser, h, "refused", False, False) for h in refused_hours
    ]
    assert tuple(auditor_reads) == (True, False, True)
    # marts.cems_outlet_hour is complete for that hour: every pollutant, all 24 hours, valid
    assert [tuple(r) for r in outlet_hours] == [
        ("a21002", 24, 24, True),
        ("a21026", 24, 24, True),
        ("a34013", 24, 24, True),
    ]
    # the filled hour is no longer missing; the refused ones wait out the backoff; the device
    # connected nowhere is planned again, and again not asked
    again = hj212_gaps.run(engine, settings, None, "test")
    assert again["requests_sent"] == 0 and again["requests_planned"] == 1
    assert again["devices_not_connected"] == 1
    assert (again["hours_missing"], again["hours_in_backoff"]) == (
        2 * len(refused_hours),
        len(refused_hours),
    )
    engine.dispose()
