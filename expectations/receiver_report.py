"""The HJ 212 receiver's section of the run report: what each receiver saw (its ``status.json``,
receiver/status.py, ``status_version`` 1), the packets it refused and why, the packets of unknown
devices or with a wrong PW it kept apart (quarantine), the registry devices silent too long, and
the 补传 requests of the last day (``marts.hj212_gap_request``).

The library reads no file and knows nothing of the receiver: the entry point finds the status
files (``pipelines.settings.receiver_status_paths``) and hands each one's parsed document here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from expectations.report import _safe, _t, _table, _ts

# refusals that put the packet in the receiver's quarantine (receiver/access.py verdicts)
QUARANTINE_REASONS = ("unknown_mn", "bad_pw")
MAX_LISTED = 50  # silent devices listed by name; the rest counted

GAP_REQUESTS_SQL = """
select request_status, count(distinct request_id) as requests, count(*) as hours,
       count(*) filter (where is_filled) as filled,
       count(*) filter (where filled_after_request) as filled_after_request,
       count(distinct device_mn) as devices
from marts.hj212_gap_request where requested_at >= :since
group by request_status order by request_status
"""


@dataclass(frozen=True)
class ReceiverStatus:
    """One receiver's status file: where it was looked for, its parsed document, or why not."""

    source: str
    document: dict[str, Any] | None
    problem: str | None = None


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _hours(since: datetime | None, now: datetime) -> str:
    return "—" if since is None else f"{(now - since).total_seconds() / 3600:.1f} h"


def silent_devices(
    document: dict[str, Any], now: datetime, silent_hours: float
) -> list[tuple[str, datetime | None]]:
    """The devices whose last accepted packet is older than ``silent_hours`` at ``now``, and the
    registry's devices it never heard from (last packet None), oldest first."""
    limit = now - timedelta(hours=silent_hours)
    silent: list[tuple[str, datetime | None]] = [
        (mn, None) for mn in document.get("registry_devices_never_seen", [])
    ]
    for mn, device in document.get("devices", {}).items():
        last = _moment(device.get("last_packet"))
        if last is None or last < limit:
            silent.append((mn, last))
    return sorted(silent, key=lambda s: (s[1] is not None, s[1] or now, s[0]))


def _totals_row(status: ReceiverStatus, now: datetime, silent: int) -> list[str]:
    doc = status.document or {}
    totals, rejects = doc.get("totals", {}), doc.get("rejects", {})
    written = _moment(doc.get("generated"))
    kept_apart = ", ".join(f"{r} {rejects.get(r, 0)}" for r in QUARANTINE_REASONS)
    return [
        f"{_t(doc.get('receiver'))}<br><code>{_t(status.source)}</code>",
        f"{_t(_ts(written))} ({_hours(written, now)} ago)",
        str(doc.get("connections", 0)),
        str(totals.get("accepted", 0)),
        str(totals.get("stored", 0)),
        str(totals.get("acknowledged", 0)),
        str(totals.get("duplicates_not_stored", 0)),
        f'<span class="{"warn" if totals.get("quarantined") else ""}">'
        f"{totals.get('quarantined', 0)}</span> ({kept_apart})",
        str(sum(rejects.values())),
        f"{len(doc.get('devices', {}))} / {doc.get('registry_devices', 0)}",
        f'<span class="{"warn" if silent else ""}">{silent}</span>',
    ]


def _gap_requests(conn: sa.Connection | None, since: datetime) -> str:
    title = f"<h3>补传请求 Gap-fetch requests since {_t(_ts(since))} (marts.hj212_gap_request)</h3>"
    if conn is None:
        return ""
    rows = _safe(conn, GAP_REQUESTS_SQL, {"since": since})
    if isinstance(rows, str):
        return f'{title}<p class="muted">不可用 unavailable: {_t(rows)}</p>'
    query = " ".join(GAP_REQUESTS_SQL.replace(":since", f"'{since.isoformat()}'").split())
    return f'{title}<p class="muted">查询 Query: <code>{_t(query)}</code></p>' + _table(
        ["状态 request_status", "请求 requests", "设备 devices", "请求小时 hours asked",
         "已补 filled", "请求后补入 filled after the request"],
        [[_t(r.request_status), str(r.requests), str(r.devices), str(r.hours), str(r.filled),
          str(r.filled_after_request)] for r in rows],
        "无 none",
    )  # fmt: skip


def receiver_section(
    statuses: Sequence[ReceiverStatus],
    now: datetime,
    conn: sa.Connection | None = None,
    silent_hours: float = 2.0,
    gap_window: timedelta = timedelta(hours=24),
) -> str:
    """The report's "HJ 212 receiver" section, as HTML (one line when no status file was read)."""
    head = "<h2>HJ 212 接收服务 HJ 212 receiver</h2>"
    readable = [s for s in statuses if s.document is not None]
    problems = "".join(
        f'<p class="muted">{_t(s.source)}: {_t(s.problem)}</p>' for s in statuses if s.problem
    )
    gaps = _gap_requests(conn, (now - gap_window).replace(microsecond=0))
    if not readable:
        where = ", ".join(s.source for s in statuses) or "none configured"
        line = f"无接收服务状态文件 no receiver status file ({_t(where)})"
        unreadable = [s for s in statuses if s.document is None and s.problem != "no such file"]
        return f'{head}<p class="muted">{line}</p>' + (problems if unreadable else "") + gaps
    silent = {s.source: silent_devices(s.document or {}, now, silent_hours) for s in readable}
    totals = _table(
        ["接收服务 receiver", "状态写入 status written", "连接 connections", "接受 accepted",
         "落盘 stored", "已应答 acknowledged (9014)", "重复未存 duplicates", "隔离 quarantined",
         "拒收 rejected", "设备 seen / registry", f"静默>{silent_hours:g}h silent"],
        [_totals_row(s, now, len(silent[s.source])) for s in readable],
        "",
    )  # fmt: skip
    reject_rows = [
        [_t((s.document or {}).get("receiver")), f"<code>{_t(reason)}</code>", str(count)]
        for s in readable
        for reason, count in sorted(
            (s.document or {}).get("rejects", {}).items(), key=lambda rc: (-rc[1], rc[0])
        )
    ]
    rejects = _table(
        ["接收服务 receiver", "原因 reason", "包数 packets"],
        reject_rows,
        "无拒收 no packet refused",
    )
    silent_rows = [
        [_t((s.document or {}).get("receiver")), f"<code>{_t(mn)}</code>",
         "从未收到 never heard from" if last is None else _t(_ts(last)), _hours(last, now)]
        for s in readable
        for mn, last in silent[s.source][:MAX_LISTED]
    ]  # fmt: skip
    more = sum(max(0, len(v) - MAX_LISTED) for v in silent.values())
    silent_html = _table(
        ["接收服务 receiver", "MN", "最后一包 last packet", "静默 silent for"],
        silent_rows,
        "无 none",
    ) + (f'<p class="muted">另有 {more} 台 and {more} more</p>' if more else "")
    return (
        f"{head}{totals}{problems}"
        f"<h3>拒收原因 Rejects by reason</h3>{rejects}"
        f'<p class="muted">隔离 quarantined: unknown_mn (MN 不在设备名录) / bad_pw (PW 不符), '
        "kept apart in the receiver's quarantine folder, never in the inbox.</p>"
        f"<h3>静默设备 Devices silent for more than {silent_hours:g} h</h3>{silent_html}"
        f"{gaps}"
    )
