"""补传: ask HJ 212 devices again for the hours the warehouse knows are missing.

``python -m pipelines hj212-gaps`` and the Airflow DAG ``lantian_hj212_gaps`` call :func:`run`:

1. **Missing device-hours** of the window (the last ``LANTIAN_HJ212_GAP_DAYS`` local days, up
   to ``settle_hours`` before now, so that an hour still being published, loaded or built is
   not a gap yet): the days ``marts.device_day_coverage`` counts ``missing_hours`` for, and in
   them the hours without a row in ``intermediate.int_hj212__hourly`` (the hourly value of any
   factor, from the device's CN=2061 packet or its minutes: the same test as received_hours).
2. **Plan** (:func:`plan_requests`, no I/O): per device, the missing hours not asked for within
   the backoff and asked fewer than ``max_attempts`` times, as runs of consecutive hours of at
   most ``max_span_hours``: one history request each.
3. **Ask** the receiver each device is connected to (``GET /status`` of every receiver in
   ``LANTIAN_RECEIVER_URLS``): ``POST /request`` with CN=2061 取污染物小时历史数据 and
   BeginTime/EndTime, the START of the first and of the last missing hour in local time
   (HJ 212-2017 table 9, C.21: BeginTime=20160801080000;EndTime=20160801080000 asks for one
   hour; table 4: N14 YYYYMMDDhhmmss). The receiver follows the device's 9011 (QnRtn, table 7)
   and 9012 (ExeRtn, table 6); the replayed uploads land in its hourly log like any other packet
   and reach raw through the loader (the reading key dedupes what was there). Rate-limited:
   ``rate_per_s`` request starts per second, ``concurrency`` in flight, ``max_requests`` a run.
4. **Audit**: every request is a row of ``audit.hj212_history_request``, written ``pending``
   before it is sent and completed with the answer; ``marts.hj212_gap_request`` joins each
   requested hour with what then arrived. Devices not connected to any receiver are not asked
   (nothing would reach them) and are counted in the run's result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa

from ingest.core import warehouse
from ingest.hj212.protocol import LOCAL_TZ
from pipelines.settings import GapFetchSettings

HOUR = dt.timedelta(hours=1)
HISTORY_CN = "2061"  # table 9: 取污染物小时历史数据 (C.21)
# attempts that reached no device do not count towards max_attempts
NOT_ASKED = ("not_connected", "unreachable")


class NotBuilt(RuntimeError):
    """The models the gaps are read from do not exist yet (the transform never ran)."""


NEEDED_RELATIONS = ("marts.device_day_coverage", "intermediate.int_hj212__hourly")


def check_built(conn: sa.Connection) -> None:
    """Raise :class:`NotBuilt` naming the relations missing, before any query needs them."""
    missing = [
        name
        for name in NEEDED_RELATIONS
        if conn.execute(sa.text("select to_regclass(:n)"), {"n": name}).scalar() is None
    ]
    if missing:
        raise NotBuilt(
            f"{', '.join(missing)} not built yet: run the transform (lantian_transform, or"
            " dbt build) first; no gap was looked for"
        )


@dataclass(frozen=True)
class PriorRequest:
    """A request already recorded: the hours it asked for, when, and its outcome."""

    device_mn: str
    begin_hour: dt.datetime
    end_hour: dt.datetime
    requested_at: dt.datetime
    status: str


@dataclass(frozen=True)
class PlannedRequest:
    device_mn: str
    begin_hour: dt.datetime  # START of the first missing hour
    end_hour: dt.datetime  # START of the last missing hour (C.21: inclusive)
    missing_hours: int

    @property
    def begin_time(self) -> str:
        """BeginTime (table 4, N14 YYYYMMDDhhmmss, local time)."""
        return self.begin_hour.astimezone(LOCAL_TZ).strftime("%Y%m%d%H%M%S")

    @property
    def end_time(self) -> str:
        return self.end_hour.astimezone(LOCAL_TZ).strftime("%Y%m%d%H%M%S")


@dataclass
class Plan:
    requests: list[PlannedRequest]
    hours_missing: int = 0
    hours_in_backoff: int = 0
    hours_given_up: int = 0


def window(now: dt.datetime, settings: GapFetchSettings) -> tuple[dt.datetime, dt.datetime]:
    """[first hour, end) of the hours the run looks at: local days back, up to the settle time."""
    local = now.astimezone(LOCAL_TZ)
    first_day = local.date() - dt.timedelta(days=settings.window_days - 1)
    start = dt.datetime.combine(first_day, dt.time(), LOCAL_TZ)
    end = local.replace(minute=0, second=0, microsecond=0) - settings.settle_hours * HOUR
    return start, end


def missing_device_hours(
    conn: sa.Connection, start: dt.datetime, end: dt.datetime
) -> dict[str, list[dt.datetime]]:
    """Per device, the hours in [start, end) of the days device_day_coverage finds incomplete
    that have no hourly value in int_hj212__hourly."""
    rows = conn.execute(
        sa.text(
            "with days as ("
            "  select device_mn, day from marts.device_day_coverage"
            "  where missing_hours > 0 and day between cast(:d0 as date) and cast(:d1 as date)),"
            " hours as ("
            "  select d.device_mn, d.day, h.hour_start from days as d cross join lateral"
            "  generate_series(d.day::timestamp at time zone 'Asia/Shanghai',"
            "   d.day::timestamp at time zone 'Asia/Shanghai' + interval '23 hours',"
            "   interval '1 hour') as h (hour_start))"
            " select h.device_mn, h.hour_start from hours as h"
            " where h.hour_start >= :start and h.hour_start < :end and not exists ("
            "  select 1 from intermediate.int_hj212__hourly as x where x.device_mn = h.device_mn"
            "  and x.obs_date = h.day and x.hour_start = h.hour_start)"
            " order by 1, 2"
        ),
        {
            "d0": start.astimezone(LOCAL_TZ).date(),
            "d1": end.astimezone(LOCAL_TZ).date(),
            "start": start,
            "end": end,
        },
    )
    out: dict[str, list[dt.datetime]] = {}
    for mn, hour in rows:
        out.setdefault(mn, []).append(hour)
    return out


def prior_requests(conn: sa.Connection, since: dt.datetime) -> list[PriorRequest]:
    rows = conn.execute(
        sa.text(
            "select device_mn, begin_hour, end_hour, requested_at, status"
            " from audit.hj212_history_request where end_hour >= :since"
        ),
        {"since": since},
    )
    return [PriorRequest(*row) for row in rows]


def plan_requests(
    missing: dict[str, list[dt.datetime]],
    prior: Iterable[PriorRequest],
    now: dt.datetime,
    settings: GapFetchSettings,
) -> Plan:
    """The requests to send: per device, the missing hours not asked for within the backoff and
    asked (a device reached) fewer than max_attempts times, as runs of consecutive hours."""
    backoff_since = now - dt.timedelta(hours=settings.backoff_hours)
    by_device: dict[str, list[PriorRequest]] = {}
    for p in prior:
        by_device.setdefault(p.device_mn, []).append(p)
    plan = Plan([])
    for mn in sorted(missing):
        asked = by_device.get(mn, [])
        wanted: list[dt.datetime] = []
        for hour in sorted(set(missing[mn])):
            plan.hours_missing += 1
            covering = [p for p in asked if p.begin_hour <= hour <= p.end_hour]
            if any(p.requested_at >= backoff_since for p in covering):
                plan.hours_in_backoff += 1
            elif sum(p.status not in NOT_ASKED for p in covering) >= settings.max_attempts:
                plan.hours_given_up += 1
            else:
                wanted.append(hour)
        run: list[dt.datetime] = []
        for hour in wanted:
            if run and (hour - run[-1] != HOUR or len(run) == settings.max_span_hours):
                plan.requests.append(PlannedRequest(mn, run[0], run[-1], len(run)))
                run = []
            run.append(hour)
        if run:
            plan.requests.append(PlannedRequest(mn, run[0], run[-1], len(run)))
    return plan


def _http_json(url: str, body: dict[str, object] | None, timeout: float) -> dict[str, object]:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        document = json.loads(response.read().decode("utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{url} answered {document!r}, not a JSON object")
    return document


def connected_devices(
    urls: Iterable[str], timeout: float = 10.0
) -> tuple[dict[str, str], list[str]]:
    """{MN: the receiver URL it is connected to} from each receiver's ``GET /status``, and the
    receivers that did not answer (each named with the reason)."""
    where: dict[str, str] = {}
    unreachable: list[str] = []
    for url in urls:
        try:
            status = _http_json(f"{url}/status", None, timeout)
        except (OSError, ValueError) as exc:
            unreachable.append(f"{url}: {exc}")
            continue
        devices = status.get("devices")
        for mn, device in (devices if isinstance(devices, dict) else {}).items():
            if isinstance(device, dict) and device.get("connected"):
                where.setdefault(mn, url)
    return where, unreachable


class _RateLimit:
    """At most ``rate`` starts per second, shared by the worker threads."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_start = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.interval
        time.sleep(max(0.0, start - now))


def _record_pending(engine: sa.Engine, req: PlannedRequest, requested_by: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            sa.text(
                "insert into audit.hj212_history_request (device_mn, cn, begin_hour, end_hour,"
                " missing_hours, status, requested_by) values (:mn, :cn, :b, :e, :n, 'pending',"
                " :by) returning request_id"
            ),
            {
                "mn": req.device_mn,
                "cn": HISTORY_CN,
                "b": req.begin_hour,
                "e": req.end_hour,
                "n": req.missing_hours,
                "by": requested_by,
            },
        ).scalar_one()


def _record_outcome(engine: sa.Engine, request_id: int, answer: dict[str, object]) -> None:
    def text(key: str) -> str | None:
        value = answer.get(key)
        return None if value is None else str(value)

    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "update audit.hj212_history_request set status = :s, qn = :qn, qn_rtn = :qr,"
                " exe_rtn = :er, detail = :d, answered_at = clock_timestamp()"
                " where request_id = :id"
            ),
            {
                "s": text("status"),
                "qn": text("qn"),
                "qr": text("qn_rtn"),
                "er": text("exe_rtn"),
                "d": text("detail"),
                "id": request_id,
            },
        )


_STATUSES = frozenset({"done", "refused", "not_connected", "timeout", "failed"})


def ask(url: str, req: PlannedRequest, timeout_s: float) -> dict[str, object]:
    """One history request through the receiver's ``POST /request``; an answer that is not one
    of the receiver's outcomes, or none, becomes ``unreachable`` with the reason."""
    body = {
        "mn": req.device_mn,
        "cn": HISTORY_CN,
        "begin": req.begin_time,
        "end": req.end_time,
        "timeout_s": timeout_s,
    }
    try:
        # the receiver waits up to timeout_s for 9011, then for 9012 (restarted by each replay)
        answer = _http_json(f"{url}/request", body, timeout=timeout_s * 4 + 30)
    except (OSError, ValueError) as exc:
        return {"status": "unreachable", "detail": f"{url}/request: {exc}"}
    if answer.get("status") not in _STATUSES:
        return {"status": "unreachable", "detail": f"{url}/request answered {answer!r}"}
    return answer


def run(
    engine: sa.Engine,
    settings: GapFetchSettings | None = None,
    now: dt.datetime | None = None,
    requested_by: str = "cli",
) -> dict[str, object]:
    """Find the missing device-hours, ask the connected devices for them, record every request
    and its answer; the counts of the run (the DAG's XCom, the CLI's output)."""
    settings = settings or GapFetchSettings.from_env()
    now = now or dt.datetime.now(dt.UTC)
    start, end = window(now, settings)
    with engine.connect() as conn:
        check_built(conn)
        missing = missing_device_hours(conn, start, end)
        prior = prior_requests(conn, start)
    plan = plan_requests(missing, prior, now, settings)
    where, unreachable = connected_devices(settings.receiver_urls)
    to_send = [r for r in plan.requests if r.device_mn in where][: settings.max_requests]
    not_connected = sorted({r.device_mn for r in plan.requests} - set(where))
    limit = _RateLimit(settings.rate_per_s)
    outcomes: Counter[str] = Counter()

    def one(req: PlannedRequest) -> str:
        limit.wait()
        request_id = _record_pending(engine, req, requested_by)
        answer = ask(where[req.device_mn], req, settings.timeout_s)
        _record_outcome(engine, request_id, answer)
        return str(answer["status"])

    with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="hj212-gap") as pool:
        for status in pool.map(one, to_send):
            outcomes[status] += 1
    return {
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "devices_with_gaps": len(missing),
        "hours_missing": plan.hours_missing,
        "hours_in_backoff": plan.hours_in_backoff,
        "hours_given_up": plan.hours_given_up,
        "requests_planned": len(plan.requests),
        "requests_sent": len(to_send),
        "requests_left_for_next_run": sum(1 for r in plan.requests if r.device_mn in where)
        - len(to_send),
        "hours_requested": sum(r.missing_hours for r in to_send),
        "devices_not_connected": len(not_connected),
        "receivers_unreachable": unreachable,
        "outcomes": dict(sorted(outcomes.items())),
    }


def fetch_gaps_back(requested_by: str = "cli") -> dict[str, object]:
    """:func:`run` on the configured warehouse (the DAG's task)."""
    engine = warehouse.engine()
    try:
        return run(engine, requested_by=requested_by)
    finally:
        engine.dispose()


def add_parser(sub: argparse._SubParsersAction) -> None:
    sub.add_parser(
        "hj212-gaps",
        help="ask connected HJ 212 devices for their missing hours (补传; settings from env)",
    )


def main(engine: sa.Engine, args: argparse.Namespace) -> int:
    try:
        result = run(engine, requested_by="cli")
    except (NotBuilt, ValueError) as exc:  # ValueError: a setting (GapFetchSettings.from_env)
        print(f"hj212-gaps: {exc}")
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 1 if result["receivers_unreachable"] else 0
