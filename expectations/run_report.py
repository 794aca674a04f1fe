"""The auditors' report of one pipeline run: every suite, every failed expectation with the query
that lists its rows, coverage of stations, devices, enterprises and forms, freshness, dbt tests,
load reconciliation and every quarantined record. Built from what is persisted in ``dq`` and the
dq marts, so the report says exactly what the warehouse holds. One self-contained HTML file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from expectations import charts
from expectations.load_audit import load_audit_html
from expectations.receiver_report import ReceiverStatus, receiver_section
from expectations.report import CSS, _safe, _t, _table, _ts, write_report
from expectations.suite import ExpectationSpec, SuiteError, load_suite
from expectations.window import DayWindow

EXTRA_CSS = """
nav a{margin-right:1em}.chart{max-width:100%;height:auto;border:1px solid #eee;margin:.4em 0}
details{margin:.3em 0}summary{cursor:pointer}
"""
MAX_ROWS = 200


def _quote(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def unexpected_query(spec: ExpectationSpec, data_asset: str) -> str | None:
    """SQL listing the rows an expectation found unexpected, for the report (None: table-level)."""
    kw = spec.kwargs
    col = kw.get("column")
    if spec.type == "ExpectColumnValuesToBeBetween" and col:
        conds = []
        if kw.get("min_value") is not None:
            conds.append(f"{col} < {_quote(kw['min_value'])}")
        if kw.get("max_value") is not None:
            conds.append(f"{col} > {_quote(kw['max_value'])}")
        return f"select * from {data_asset} where " + " or ".join(conds)
    if spec.type == "ExpectColumnValuesToBeInSet" and col:
        values = ", ".join(_quote(v) for v in kw["value_set"])
        return f"select * from {data_asset} where {col} not in ({values})"
    if spec.type == "ExpectColumnValuesToNotBeNull" and col:
        return f"select * from {data_asset} where {col} is null"
    if spec.type == "ExpectColumnValuesToBeUnique" and col:
        return f"select {col}, count(*) from {data_asset} group by {col} having count(*) > 1"
    if spec.type == "ExpectCompoundColumnsToBeUnique":
        cols = ", ".join(kw["column_list"])
        return f"select {cols}, count(*) from {data_asset} group by {cols} having count(*) > 1"
    if spec.type == "ExpectColumnPairValuesAToBeGreaterThanB":
        op = "<" if kw.get("or_equal") else "<="
        return f"select * from {data_asset} where {kw['column_A']} {op} {kw['column_B']}"
    return None


def _spec(suite_name: str, index: int) -> ExpectationSpec | None:
    try:
        suite = load_suite(suite_name)
    except SuiteError:
        return None
    return suite.expectations[index] if index < len(suite.expectations) else None


def _query_note(sql: str) -> str:
    return f'<p class="muted">查询 Query: <code>{_t(" ".join(sql.split()))}</code></p>'


def _section(conn: sa.Connection, title: str, sql: str, head: list[str], fmt: Any) -> str:
    rows = _safe(conn, sql)
    if isinstance(rows, str):
        return f'<h2>{title}</h2><p class="fail">不可用 unavailable: {_t(rows)}</p>'
    return f"<h2>{title} ({len(rows)})</h2>{_query_note(sql)}" + _table(
        head, [fmt(r) for r in rows[:MAX_ROWS]]
    )


SUITES_SQL = """
select v.run_id, v.suite, v.stage, v.data_asset, v.success, v.evaluated_expectations,
       v.successful_expectations, v.severity, v.blocked_models, v.run_at, v.skipped_reason,
       count(*) filter (where not r.success and r.severity = 'critical') as failed_critical,
       count(*) filter (where not r.success and r.severity = 'warning') as failed_warning
from dq.validation_run v left join dq.expectation_result r using (run_id)
where v.pipeline_run = :p
group by v.run_id order by v.stage desc, v.suite
"""
FAILED_SQL = """
select v.suite, v.data_asset, r.expectation_index, r.expectation_type, r.column_name, r.severity,
       r.observed_value, r.unexpected_count, r.unexpected_percent, r.element_count,
       r.partial_unexpected
from dq.validation_run v join dq.expectation_result r using (run_id)
where v.pipeline_run = :p and not r.success
order by case r.severity when 'critical' then 0 else 1 end, v.suite, r.expectation_index
"""
STATION_SQL = """
select station_code, max(station_name) as station_name, count(*) as days,
       sum(expected_hours) as expected, sum(present_hours) as received, sum(valid_hours) as valid,
       count(*) filter (where valid_hours < 20) as days_below_20
from marts.station_day_coverage group by station_code
having sum(present_hours) < sum(expected_hours) or count(*) filter (where valid_hours < 20) > 0
order by sum(present_hours)::numeric / nullif(sum(expected_hours), 0), station_code
"""
SILENT_STATIONS_SQL = """
select station_code, station_name, city, county, is_listed, days_with_data
from marts.station_registry_coverage where not has_data or not is_listed
order by station_code
"""
DEVICE_SQL = """
select device_mn, device_kind, max(owner_name) as owner_name, max(outlet_name) as outlet_name,
       sum(expected_hours) as expected, sum(received_hours) as received,
       sum(valid_hours) as valid, sum(invalid_hours) as invalid,
       count(*) filter (where not is_day_valid) as days_not_valid
from marts.device_day_coverage group by device_mn, device_kind
having sum(received_hours) < sum(expected_hours) or sum(invalid_hours) > 0
order by sum(valid_hours)::numeric / nullif(sum(expected_hours), 0), device_mn
"""
ENTERPRISE_SQL = """
select credit_code, enterprise_name, county, month_start, registered_outlets, listed_mns,
       listed_mns_unregistered, outlets_reporting, received_outlet_hours, expected_outlet_hours
from marts.enterprise_month_coverage
where not has_device or not has_data or listed_mns_unregistered > 0
order by month_start, credit_code
"""
SITES_SQL = """
select site_code, month_start, project_name, county, dust_monitor_mn, has_monitor,
       monitor_registered, received_hours, expected_hours, has_data
from marts.site_month_coverage
where not has_monitor or not monitor_registered or not coalesce(has_data, true)
order by month_start, site_code
"""
FORMS_SQL = """
select form_id, cadence, period, scope, due_day, status, is_late, first_received_at
from marts.form_period_coverage
where status = 'missing' or is_late
order by form_id, period_start, scope
"""
FORMS_SUMMARY_SQL = """
select form_id, count(*) as expected, count(*) filter (where status = 'received') as received,
       count(*) filter (where status = 'missing') as missing,
       count(*) filter (where status = 'not_due') as not_due,
       count(*) filter (where is_late) as late
from marts.form_period_coverage group by form_id order by form_id
"""
FRESHNESS_SQL = """
select distinct on (unique_id) source_name, table_name, status, max_loaded_at, snapshotted_at,
       age_seconds, warn_after, error_after
from dq.source_freshness order by unique_id, generated_at desc
"""
DBT_SQL = """
select resource_type, status, count(*) as nodes
from dq.dbt_result
where invocation_id in (
    select invocation_id from dq.dbt_result group by invocation_id
    order by max(generated_at) desc limit 2)
group by resource_type, status order by resource_type, status
"""
DBT_FAILED_SQL = """
select unique_id, status, failures, message from dq.dbt_result
where status in ('fail', 'error', 'warn', 'runtime error')
  and generated_at > now() - interval '1 day'
order by generated_at desc
"""
UNRECONCILED_SQL = """
select batch_id, source, source_file, records_in, records_loaded, records_quarantined,
       records_duplicate, unaccounted_records, status
from marts.load_batch_reconciliation where unaccounted_records <> 0 or status <> 'loaded'
order by batch_id
"""
COVERAGE_BY_SOURCE_SQL = """
select 'national_station' as source, sum(present_hours)::numeric / nullif(sum(expected_hours), 0) as received,
       sum(valid_hours)::numeric / nullif(sum(expected_hours), 0) as valid
from marts.station_day_coverage
union all
select 'hj212:' || device_kind, sum(received_hours)::numeric / nullif(sum(expected_hours), 0),
       sum(valid_hours)::numeric / nullif(sum(expected_hours), 0)
from marts.device_day_coverage group by device_kind
union all
select 'forms', avg((status = 'received')::int) filter (where status <> 'not_due'), null
from marts.form_period_coverage
"""


def _pct(num: Any, den: Any) -> str:
    return "—" if not den else f"{100 * float(num) / float(den):.1f}%"


def _badge(critical: int, warnings: int) -> str:
    if critical:
        return '<span class="badge fail">不通过（严重） FAIL</span>'
    if warnings:
        return '<span class="badge warn">通过（有警告） PASS with warnings</span>'
    return '<span class="badge pass">通过 PASS</span>'


def _suites_block(rows: list[sa.Row]) -> str:
    return _table(
        ["规则集 suite", "阶段 stage", "数据资产 data_asset", "期望 evaluated", "严重失败 critical",
         "警告 warnings", "未刷新集市 kept at last good version", "结果 result"],
        [
            [
                _t(r.suite), _t(r.stage), f"<code>{_t(r.data_asset)}</code>",
                str(r.evaluated_expectations), str(r.failed_critical), str(r.failed_warning),
                _t(", ".join(r.blocked_models or [])) if r.blocked_models else "—",
                f'<span class="badge warn">未校验 SKIPPED</span> {_t(r.skipped_reason)}'
                if r.skipped_reason else _badge(r.failed_critical, r.failed_warning),
            ]
            for r in rows
        ],
        "本次运行无校验记录 no validation recorded for this run",
    )  # fmt: skip


def _failed_block(rows: list[sa.Row]) -> str:
    out = []
    for r in rows:
        spec = _spec(r.suite, r.expectation_index)
        query = unexpected_query(spec, r.data_asset) if spec else None
        examples = json.dumps((r.partial_unexpected or [])[:10], ensure_ascii=False)
        css = "fail" if r.severity == "critical" else "warn"
        out.append(
            [
                _t(r.suite),
                f"<code>{_t(r.expectation_type)}</code><br>{_t(r.column_name)}",
                _t(spec.rule if spec else ""),
                f'<span class="{css}">{_t(r.severity)}</span>',
                _t(r.observed_value),
                f'<span class="num">{_t(r.unexpected_count)}</span>'
                + (f" / {r.element_count}" if r.element_count is not None else ""),
                f"<code>{_t(examples)}</code>",
                f"<code>{_t(query)}</code>" if query else "—",
            ]
        )
    return _table(
        ["规则集 suite", "期望 expectation", "规则 rule", "级别 severity", "观测值 observed_value",
         "不符合数 unexpected_count", "示例 examples", "列出来源记录的查询 query listing the rows"],
        out,
        "全部期望通过 every expectation passed",
    )  # fmt: skip


def _coverage_chart(conn: sa.Connection) -> str:
    rows = _safe(conn, COVERAGE_BY_SOURCE_SQL)
    if isinstance(rows, str) or not rows:
        return ""
    bars = []
    for r in rows:
        if r.received is not None:
            bars.append((f"{r.source} 收到 received", round(100 * float(r.received), 1), "#1f5fa8"))
        if r.valid is not None:
            bars.append((f"{r.source} 有效 valid", round(100 * float(r.valid), 1), "#17692b"))
    return charts.bar_chart("各来源覆盖率 Coverage by source (% of expected)", bars, unit="%")


def render_run_report(
    engine: sa.Engine,
    pipeline_run: str,
    generated_at: datetime,
    receivers: Sequence[ReceiverStatus] = (),
    silent_hours: float = 2.0,
) -> str:
    """The run's report; ``receivers``: the HJ 212 receivers' status documents the entry point
    read (none: the receiver section says so in one line)."""
    with engine.connect() as conn:
        suites = _safe(conn, SUITES_SQL, {"p": pipeline_run})
        suites = [] if isinstance(suites, str) else suites
        failed = _safe(conn, FAILED_SQL, {"p": pipeline_run})
        failed = [] if isinstance(failed, str) else failed
        critical = sum(r.failed_critical for r in suites)
        warnings = sum(r.failed_warning for r in suites)
        sections = [
            _coverage_chart(conn),
            _section(conn, "站点覆盖缺口 Stations with gaps (station-hours, GB 3095 表4: >= 20 valid hours a day)",
                     STATION_SQL,
                     ["station_code", "站点 station_name", "天数 days", "收到/应有 received/expected",
                      "有效率 valid %", "有效小时<20的天数 days_below_20"],
                     lambda r: [_t(r.station_code), _t(r.station_name), str(r.days),
                                f"{r.received} / {r.expected} ({_pct(r.received, r.expected)})",
                                _pct(r.valid, r.expected), str(r.days_below_20)]),
            _section(conn, "名录站点无数据或未列入名录 Listed stations without data, publishing stations not listed",
                     SILENT_STATIONS_SQL,
                     ["station_code", "站点 station_name", "城市 city", "县区 county", "在名录 is_listed",
                      "有数据天数 days_with_data"],
                     lambda r: [_t(r.station_code), _t(r.station_name), _t(r.city), _t(r.county),
                                _t(r.is_listed), str(r.days_with_data)]),
            _section(conn, "设备覆盖缺口 Devices with gaps or invalid hours (CEMS outlet-hours, dust-monitor hours, HJ 212 Appendix D)",
                     DEVICE_SQL,
                     ["MN", "类型 kind", "企业/工地 owner", "排口 outlet", "收到/应有 received/expected",
                      "有效 valid", "无效 invalid (D/M/C/F)", "日无效天数 days_not_valid"],
                     lambda r: [f"<code>{_t(r.device_mn)}</code>", _t(r.device_kind), _t(r.owner_name),
                                _t(r.outlet_name), f"{r.received} / {r.expected} ({_pct(r.received, r.expected)})",
                                f"{r.valid} ({_pct(r.valid, r.expected)})", str(r.invalid), str(r.days_not_valid)]),
            _section(conn, "企业覆盖缺口 Listed enterprises without a device or data", ENTERPRISE_SQL,
                     ["credit_code", "企业 enterprise_name", "县区 county", "月份 month_start",
                      "登记排口 registered_outlets", "清单MN listed_mns", "未登记MN unregistered",
                      "有数据排口 outlets_reporting", "收到/应有 received/expected"],
                     lambda r: [_t(r.credit_code), _t(r.enterprise_name), _t(r.county), _t(r.month_start),
                                str(r.registered_outlets), str(r.listed_mns), str(r.listed_mns_unregistered),
                                str(r.outlets_reporting), f"{r.received_outlet_hours} / {r.expected_outlet_hours}"]),
            _section(conn, "工地扬尘监测缺口 Construction sites without a registered dust monitor or its data", SITES_SQL,
                     ["工地 site_code", "月份 month_start", "项目 project_name", "县区 county", "MN",
                      "有监测 has_monitor", "已登记 registered", "收到/应有 received/expected", "有数据 has_data"],
                     lambda r: [_t(r.site_code), _t(r.month_start), _t(r.project_name), _t(r.county),
                                _t(r.dust_monitor_mn), _t(r.has_monitor), _t(r.monitor_registered),
                                f"{r.received_hours} / {r.expected_hours}", _t(r.has_data)]),
            _section(conn, "报表报送汇总 Bureau forms by cadence", FORMS_SUMMARY_SQL,
                     ["表 form_id", "应报 expected", "已报 received", "逾期未报 missing", "未到期 not_due", "迟报 late"],
                     lambda r: [_t(r.form_id), str(r.expected), str(r.received),
                                f'<span class="{"warn" if r.missing else ""}">{r.missing}</span>',
                                str(r.not_due), str(r.late)]),
            _section(conn, "逾期或迟报的报表 Forms overdue or late", FORMS_SQL,
                     ["表 form_id", "频次 cadence", "期间 period", "范围 scope", "截止 due_day", "状态 status",
                      "迟报 is_late", "收到时间 first_received_at"],
                     lambda r: [_t(r.form_id), _t(r.cadence), _t(r.period), _t(r.scope), _t(r.due_day),
                                _t(r.status), _t(r.is_late), _t(_ts(r.first_received_at))]),
            _section(conn, "数据源新鲜度 Source freshness (dbt source freshness)", FRESHNESS_SQL,
                     ["来源 source", "表 table", "状态 status", "最新数据 max_loaded_at", "检查时间 snapshotted_at",
                      "滞后 age", "警告阈值 warn_after", "错误阈值 error_after"],
                     lambda r: [_t(r.source_name), _t(r.table_name), _t(r.status), _t(_ts(r.max_loaded_at)),
                                _t(_ts(r.snapshotted_at)),
                                "—" if r.age_seconds is None else f"{float(r.age_seconds) / 3600:.1f} h",
                                _t(r.warn_after), _t(r.error_after)]),
            _section(conn, "dbt 测试结果 dbt tests and models (last build)", DBT_SQL,
                     ["类型 resource_type", "状态 status", "节点数 nodes"],
                     lambda r: [_t(r.resource_type), _t(r.status), str(r.nodes)]),
            _section(conn, "dbt 未通过的测试 dbt tests failed or warned (last 24 h)", DBT_FAILED_SQL,
                     ["unique_id", "状态 status", "失败行数 failures", "信息 message"],
                     lambda r: [_t(r.unique_id), _t(r.status), _t(r.failures), _t(r.message)]),
            _section(conn, "未对平或失败的批次 Batches not reconciling or failed", UNRECONCILED_SQL,
                     ["batch_id", "来源 source", "文件 source_file", "输入 in", "入库 loaded", "隔离 quarantined",
                      "重复 duplicates", "差额 unaccounted", "状态 status"],
                     lambda r: [str(r.batch_id), _t(r.source), _t(r.source_file), str(r.records_in),
                                str(r.records_loaded), str(r.records_quarantined), str(r.records_duplicate),
                                str(r.unaccounted_records), _t(r.status)]),
        ]  # fmt: skip
        sections.append(receiver_section(receivers, generated_at, conn, silent_hours))
    load_audit = load_audit_html(engine, DayWindow.from_interval(None, None))
    body = "\n".join(s for s in sections if s)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>数据质量报告 / Data-quality report — {_t(pipeline_run)}</title>
<style>{CSS}{EXTRA_CSS}</style>
</head>
<body>
<h1>数据质量报告 <small>Data-quality report (per run)</small></h1>
<nav><a href="rolling.html">滚动报告 Rolling report</a></nav>
<p>{_badge(critical, warnings)}</p>
<table class="meta">
<tr><th>运行 Pipeline run</th><td><code>{_t(pipeline_run)}</code></td></tr>
<tr><th>规则集 Suites</th><td>{len(suites)}</td></tr>
<tr><th>严重失败 Failed critical</th><td>{critical}</td></tr>
<tr><th>警告 Failed warning</th><td>{warnings}</td></tr>
<tr><th>生成时间 Generated at</th><td>{_t(_ts(generated_at))}</td></tr>
</table>
<p class="muted">严重 critical：门禁(gate)失败时其守护的集市保持上次合格版本，运行失败并说明原因；集市(marts)阶段失败时运行失败。
警告 warning：记录并报告，不阻断。 Critical: a failed gate keeps the marts it guards at their last
good version and the run fails saying why; a failed marts suite fails the run. Warning: recorded and reported.</p>

<h2>校验汇总 Suites ({len(suites)})</h2>
<p class="muted">查询 Query: <code>select * from dq.validation_run where pipeline_run = {_t(_quote(pipeline_run))}</code></p>
{_suites_block(suites)}

<h2>未通过的期望 Failed expectations ({len(failed)})</h2>
<p class="muted">每项附列出来源记录的查询 / each with the query that lists its rows. History:
<code>select * from dq.expectation_result join dq.validation_run using (run_id)</code></p>
{_failed_block(failed)}

{body}
{load_audit}

<footer>本报告为自包含离线文件，不引用任何外部资源。
Self-contained offline report: inline styles and inline SVG only, no scripts, no external resources.</footer>
</body>
</html>
"""


def write_run_report(
    engine: sa.Engine,
    pipeline_run: str,
    report_dir: Path,
    receivers: Sequence[ReceiverStatus] = (),
    silent_hours: float = 2.0,
) -> Path:
    """Write ``<report_dir>/<pipeline_run>.html`` (and ``latest.html``); point the run's rows at it."""
    text = render_run_report(engine, pipeline_run, datetime.now(UTC), receivers, silent_hours)
    path = write_report(report_dir, pipeline_run, text).resolve()
    with engine.begin() as conn:
        conn.execute(
            sa.text("update dq.validation_run set report_path = :r where pipeline_run = :p"),
            {"r": str(path), "p": pipeline_run},
        )
    return path
