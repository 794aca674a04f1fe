"""The rolling report: trend of coverage and validity by source, entity and day, with charts.

Reads the dq marts (coverage per station-day, device-day, form-period) and the validation
history in ``dq``; writes ``<report_dir>/rolling.html``, self-contained (inline CSS and SVG).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from expectations import charts
from expectations.report import CSS, _t, _ts
from expectations.run_report import EXTRA_CSS, _query_note, _safe, _table

STATION_DAILY_SQL = """
select day, 'national_station' as source,
       100.0 * sum(present_hours) / nullif(sum(expected_hours), 0) as received_pct,
       100.0 * sum(valid_hours) / nullif(sum(expected_hours), 0) as valid_pct
from marts.station_day_coverage where day >= :since group by day order by day
"""
DEVICE_DAILY_SQL = """
select day, 'hj212:' || device_kind as source,
       100.0 * sum(received_hours) / nullif(sum(expected_hours), 0) as received_pct,
       100.0 * sum(valid_hours) / nullif(sum(expected_hours), 0) as valid_pct
from marts.device_day_coverage where day >= :since group by day, device_kind order by day
"""
FORMS_SQL = """
select to_char(period_start, 'YYYY-MM') as month,
       100.0 * count(*) filter (where status = 'received') / nullif(count(*), 0) as received_pct
from marts.form_period_coverage where status <> 'not_due'
group by to_char(period_start, 'YYYY-MM') order by 1
"""
VALIDITY_SQL = """
select v.pipeline_run, min(v.run_at) as run_at,
       count(*) filter (where not r.success and r.severity = 'critical') as critical,
       count(*) filter (where not r.success and r.severity = 'warning') as warnings,
       count(*) as evaluated
from dq.validation_run v join dq.expectation_result r using (run_id)
where v.pipeline_run is not null
group by v.pipeline_run order by min(v.run_at) desc limit 30
"""
WORST_STATIONS_SQL = """
select station_code, max(station_name) as station_name,
       100.0 * sum(present_hours) / nullif(sum(expected_hours), 0) as received_pct,
       100.0 * sum(valid_hours) / nullif(sum(expected_hours), 0) as valid_pct,
       count(*) filter (where valid_hours < 20) as days_below_20
from marts.station_day_coverage where day >= :since
group by station_code order by valid_pct nulls first, station_code limit 15
"""
WORST_DEVICES_SQL = """
select device_mn, device_kind, max(owner_name) as owner_name,
       100.0 * sum(received_hours) / nullif(sum(expected_hours), 0) as received_pct,
       100.0 * sum(valid_hours) / nullif(sum(expected_hours), 0) as valid_pct,
       count(*) filter (where not is_day_valid) as days_not_valid
from marts.device_day_coverage where day >= :since
group by device_mn, device_kind order by valid_pct nulls first, device_mn limit 15
"""
STATION_HEAT_SQL = """
select c.station_code, c.day, c.valid_hours
from marts.station_day_coverage as c
join (
    select station_code from marts.station_day_coverage where day >= :since
    group by station_code order by sum(valid_hours)::numeric / nullif(sum(expected_hours), 0),
             station_code limit 15
) as worst using (station_code)
where c.day >= :since order by c.station_code, c.day
"""
DEVICE_HEAT_SQL = """
select c.device_mn, c.day, c.valid_hours
from marts.device_day_coverage as c
join (
    select device_mn from marts.device_day_coverage where day >= :since
    group by device_mn order by sum(valid_hours)::numeric / nullif(sum(expected_hours), 0),
             device_mn limit 15
) as worst using (device_mn)
where c.day >= :since order by c.device_mn, c.day
"""
SINCE_SQL = """
select max(day) - :days from marts.station_day_coverage
"""
SINCE_DEVICE_SQL = """
select max(day) - :days from marts.device_day_coverage
"""


def _f(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def render_rolling_report(engine: sa.Engine, days: int, generated_at: datetime) -> str:
    with engine.connect() as conn:
        starts = [_safe(conn, sql, {"days": days}) for sql in (SINCE_SQL, SINCE_DEVICE_SQL)]
        known = [r[0][0] for r in starts if not isinstance(r, str) and r and r[0][0] is not None]
        since = max(known) if known else None
        params = {"since": since or datetime(1970, 1, 1).date()}
        parts = [_safe(conn, sql, params) for sql in (STATION_DAILY_SQL, DEVICE_DAILY_SQL)]
        rows_ok = [row for part in parts if not isinstance(part, str) for row in part]
        daily = rows_ok if rows_ok or all(not isinstance(p, str) for p in parts) else parts[0]
        forms = _safe(conn, FORMS_SQL)
        validity = _safe(conn, VALIDITY_SQL)
        worst_stations = _safe(conn, WORST_STATIONS_SQL, params)
        worst_devices = _safe(conn, WORST_DEVICES_SQL, params)
        heat_stations = _safe(conn, STATION_HEAT_SQL, params)
        heat_devices = _safe(conn, DEVICE_HEAT_SQL, params)

    blocks: list[str] = []
    if isinstance(daily, str):
        blocks.append(f'<p class="fail">覆盖率不可用 coverage unavailable: {_t(daily)}</p>')
    else:
        received: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
        valid: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
        for r in daily:
            received[r.source].append((r.day.isoformat(), _f(r.received_pct)))
            valid[r.source].append((r.day.isoformat(), _f(r.valid_pct)))
        blocks.append(
            charts.line_chart(
                "每日收到率 Received hours per day (% of expected), by source",
                [charts.Series(k, tuple(v)) for k, v in sorted(received.items())],
            )
        )
        blocks.append(
            charts.line_chart(
                "每日有效率 Valid hours per day (% of expected), by source",
                [charts.Series(k, tuple(v)) for k, v in sorted(valid.items())],
            )
        )
        blocks.append(_query_note(STATION_DAILY_SQL))
        blocks.append(_query_note(DEVICE_DAILY_SQL))
    if not isinstance(forms, str):
        blocks.append(
            charts.line_chart(
                "报表按期报送率 Forms received on their cadence (% of due form-periods), by period start month",
                [charts.Series("forms", tuple((r.month, _f(r.received_pct)) for r in forms))],
            )
        )
        blocks.append(_query_note(FORMS_SQL))
    if not isinstance(validity, str) and validity:
        runs = list(reversed(validity))
        blocks.append(
            charts.line_chart(
                "每次运行未通过的期望 Failed expectations per run",
                [
                    charts.Series(
                        "critical", tuple((_ts(r.run_at)[:16], float(r.critical)) for r in runs)
                    ),
                    charts.Series(
                        "warning", tuple((_ts(r.run_at)[:16], float(r.warnings)) for r in runs)
                    ),
                ],
                y_max=max(1.0, max(float(r.critical + r.warnings) for r in runs)),
                y_unit="",
            )
        )
        blocks.append(_query_note(VALIDITY_SQL))
        blocks.append(
            _table(
                [
                    "运行 pipeline_run",
                    "时间 run_at",
                    "期望 evaluated",
                    "严重 critical",
                    "警告 warnings",
                ],
                [
                    [
                        _t(r.pipeline_run),
                        _t(_ts(r.run_at)),
                        str(r.evaluated),
                        str(r.critical),
                        str(r.warnings),
                    ]
                    for r in validity
                ],
            )
        )

    def pct(value: object) -> str:
        return "—" if value is None else f"{float(value):.1f}%"  # type: ignore[arg-type]

    for title, heat in (
        ("有效小时数 Valid hours per station and day (the 15 stations with the lowest share; "
         "GB 3095 table 4 needs 20)", heat_stations),
        ("有效小时数 Valid hours per device and day (the 15 devices with the lowest share; "
         "HJ 212 Appendix D needs 20)", heat_devices),
    ):  # fmt: skip
        if not isinstance(heat, str):
            grid: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
            for r in heat:
                grid[str(r[0])].append((r.day.isoformat(), _f(r.valid_hours)))
            blocks.append(charts.heatmap(title, sorted(grid.items())))
    blocks.append(_query_note(STATION_HEAT_SQL))
    if not isinstance(worst_stations, str):
        blocks.append("<h2>有效率最低的站点 Stations with the lowest valid share</h2>")
        blocks.append(_query_note(WORST_STATIONS_SQL))
        blocks.append(
            _table(
                [
                    "station_code",
                    "站点 station_name",
                    "收到 received %",
                    "有效 valid %",
                    "有效小时<20的天数 days_below_20",
                ],
                [
                    [
                        _t(r.station_code),
                        _t(r.station_name),
                        pct(r.received_pct),
                        pct(r.valid_pct),
                        str(r.days_below_20),
                    ]
                    for r in worst_stations
                ],
            )
        )
    if not isinstance(worst_devices, str):
        blocks.append("<h2>有效率最低的设备 Devices with the lowest valid share</h2>")
        blocks.append(_query_note(WORST_DEVICES_SQL))
        blocks.append(
            _table(
                [
                    "MN",
                    "类型 kind",
                    "企业/工地 owner",
                    "收到 received %",
                    "有效 valid %",
                    "日无效天数 days_not_valid",
                ],
                [
                    [
                        f"<code>{_t(r.device_mn)}</code>",
                        _t(r.device_kind),
                        _t(r.owner_name),
                        pct(r.received_pct),
                        pct(r.valid_pct),
                        str(r.days_not_valid),
                    ]
                    for r in worst_devices
                ],
            )
        )
    window = f"{since.isoformat()} 起 since" if since else "全部 all days"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>数据质量滚动报告 / Rolling data-quality report</title>
<style>{CSS}{EXTRA_CSS}</style>
</head>
<body>
<h1>数据质量滚动报告 <small>Rolling data-quality report</small></h1>
<nav><a href="latest.html">最近一次运行 Latest run report</a></nav>
<table class="meta">
<tr><th>窗口 Window</th><td>{_t(window)} ({days} 天 days)</td></tr>
<tr><th>生成时间 Generated at</th><td>{_t(_ts(generated_at))}</td></tr>
</table>
<h2>覆盖率与有效率趋势 Coverage and validity trend</h2>
{"".join(blocks)}
<footer>本报告为自包含离线文件，不引用任何外部资源。
Self-contained offline report: inline styles and inline SVG only, no scripts, no external resources.</footer>
</body>
</html>
"""


def write_rolling_report(engine: sa.Engine, report_dir: Path, days: int = 90) -> Path:
    """Write ``<report_dir>/rolling.html`` over the last ``days`` days of data."""
    report_dir.mkdir(parents=True, exist_ok=True)
    text = render_rolling_report(engine, days, datetime.now(UTC))
    path = report_dir / "rolling.html"
    tmp = report_dir / ".rolling.html.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path.resolve()
