"""Report sections on what the loads did: reconciliation per source, feed gaps, quarantined records.

Every figure names the query that lists its source records, so an auditor can check it without
asking the data team.
"""

from __future__ import annotations

import html
from typing import Any

import sqlalchemy as sa

from expectations.window import DayWindow

RECONCILIATION_SQL = """
select source, count(*) as batches,
       count(*) filter (where status = 'failed') as failed,
       coalesce(sum(records_in), 0) as records_in,
       coalesce(sum(records_loaded), 0) as loaded,
       coalesce(sum(records_quarantined), 0) as quarantined,
       coalesce(sum(records_duplicate), 0) as duplicates
from audit.load_batch
group by source
order by source
"""
GAPS_SQL = (
    "select source, expected_hour_end, detected_by, resolved_by_batch from audit.feed_gap"
    " order by source, expected_hour_end"
)
GAP_SUMMARY_SQL = """
select source, count(*) as hours, count(*) filter (where resolved_by_batch is null) as unresolved,
       min(expected_hour_end) as first_hour_end, max(expected_hour_end) as last_hour_end
from audit.feed_gap group by source order by source
"""
GAPS_PER_SOURCE = 50
QUARANTINE_SQL = (
    "select q.source_file, q.sheet, q.line_number, q.column_name, q.value, q.reason"
    " from quarantine.rejected_record q order by q.source_file, q.line_number"
)
# values invalidated one by one (the record is loaded; dbt view over the versions in use)
VALUE_QUARANTINE_SQL = (
    "select v.source_file, v.line_number, v.station_code, v.column_name, v.value, v.reason"
    " from quarantine.station_value_rejected v order by v.source_file, v.line_number, v.column_name"
)
MAX_LISTED = 5000  # quarantined records listed in full up to this many (the query lists all)


def _t(value: Any) -> str:
    return "" if value is None else html.escape(str(value))


def _rows(conn: sa.Connection, sql: str, limit: int | None = None) -> list[sa.Row]:
    text = sql + (f" limit {int(limit)}" if limit else "")
    return conn.execute(sa.text(text)).all()


def load_audit_html(engine: sa.Engine, window: DayWindow) -> str:
    """The sections as HTML (empty note where a table does not exist yet)."""
    del window  # the load audit is shown whole: batches are few and gaps are the point
    try:
        with engine.connect() as conn:
            recon = _rows(conn, RECONCILIATION_SQL)
            gap_summary = _rows(conn, GAP_SUMMARY_SQL)
            # the first hours of every source, so one source's long outage hides no other's gaps
            gaps = _rows(
                conn,
                "select * from (select g.*, row_number() over (partition by source"
                f" order by expected_hour_end) as n from ({GAPS_SQL}) as g) as ranked"
                f" where n <= {GAPS_PER_SOURCE} order by source, expected_hour_end",
            )
            quarantined = _rows(conn, QUARANTINE_SQL, MAX_LISTED)
            quarantined_total = conn.execute(
                sa.text("select count(*) from quarantine.rejected_record")
            ).scalar_one()
            has_values = conn.execute(
                sa.text("select to_regclass('quarantine.station_value_rejected') is not null")
            ).scalar_one()
            values = _rows(conn, VALUE_QUARANTINE_SQL, MAX_LISTED) if has_values else []
            values_total = (
                conn.execute(
                    sa.text("select count(*) from quarantine.station_value_rejected")
                ).scalar_one()
                if has_values
                else 0
            )
    except sa.exc.SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f'<p class="fail">无法查询加载审计 Load audit unavailable: {_t(first)}</p>'
    recon_rows = "\n".join(
        f"<tr><td>{_t(r.source)}</td><td class=num>{r.batches}</td><td class=num>{r.failed}</td>"
        f"<td class=num>{r.records_in}</td><td class=num>{r.loaded}</td>"
        f"<td class=num>{r.quarantined}</td><td class=num>{r.duplicates}</td>"
        f"<td>{'<span class=pass>✓</span>' if r.records_in == r.loaded + r.quarantined + r.duplicates else '<span class=fail>✗</span>'}</td></tr>"
        for r in recon
    )
    gap_rows = "\n".join(
        f"<tr><td>{_t(g.source)}</td><td>{_t(g.expected_hour_end)}</td><td>{_t(g.detected_by)}</td>"
        f"<td>{'已补 filled by batch ' + _t(g.resolved_by_batch) if g.resolved_by_batch else '<span class=warn>缺失 missing</span>'}</td></tr>"
        for g in gaps
    )
    gap_summary_rows = "\n".join(
        f"<tr><td>{_t(g.source)}</td><td class=num>{g.hours}</td><td class=num>{g.unresolved}</td>"
        f"<td>{_t(g.first_hour_end)}</td><td>{_t(g.last_hour_end)}</td></tr>"
        for g in gap_summary
    )
    q_rows = "\n".join(
        f"<tr><td>{_t(q.source_file)}</td><td>{_t(q.sheet)}</td><td class=num>{_t(q.line_number)}</td>"
        f"<td>{_t(q.column_name)}</td><td><code>{_t(q.value)}</code></td><td>{_t(q.reason)}</td></tr>"
        for q in quarantined
    )
    more = (
        f'<p class="muted">仅列出前 {MAX_LISTED} 条 / first {MAX_LISTED} of {quarantined_total} listed.</p>'
        if quarantined_total > MAX_LISTED
        else ""
    )
    v_rows = "\n".join(
        f"<tr><td>{_t(v.source_file)}</td><td class=num>{_t(v.line_number)}</td><td>{_t(v.station_code)}</td>"
        f"<td>{_t(v.column_name)}</td><td><code>{_t(v.value)}</code></td><td>{_t(v.reason)}</td></tr>"
        for v in values
    )
    more_values = (
        f'<p class="muted">仅列出前 {MAX_LISTED} 条 / first {MAX_LISTED} of {values_total} listed.</p>'
        if values_total > MAX_LISTED
        else ""
    )
    return f"""
<h2>加载对账 Load reconciliation</h2>
<p class="muted">records_in = loaded + quarantined + duplicates, per source. Query: <code>{_t(" ".join(RECONCILIATION_SQL.split()))}</code></p>
<table><thead><tr><th>来源 source</th><th>批次 batches</th><th>失败 failed</th><th>输入 records_in</th>
<th>入库 loaded</th><th>隔离 quarantined</th><th>重复 duplicates</th><th>对平 reconciles</th></tr></thead>
<tbody>{recon_rows}</tbody></table>

<h2>数据缺失时段 Feed gaps ({sum(g.hours for g in gap_summary)})</h2>
<p class="muted">Hours an interval run expected a file for and found none, per source. Query: <code>{_t(" ".join(GAP_SUMMARY_SQL.split()))}</code></p>
<table><thead><tr><th>来源 source</th><th>缺失小时 hours</th><th>未补 unresolved</th>
<th>最早 first_hour_end</th><th>最晚 last_hour_end</th></tr></thead><tbody>{gap_summary_rows}</tbody></table>
<p class="muted">每个来源列出前 {GAPS_PER_SOURCE} 个 / the first {GAPS_PER_SOURCE} hours of each source. Query: <code>{_t(GAPS_SQL)}</code></p>
<table><thead><tr><th>来源 source</th><th>应到小时(结束) expected_hour_end</th><th>发现于 detected_by</th>
<th>状态 status</th></tr></thead><tbody>{gap_rows}</tbody></table>

<h2>隔离记录 Quarantined records ({quarantined_total})</h2>
<p class="muted">Every rejected record with its reason. Query: <code>{_t(QUARANTINE_SQL)}</code></p>
{more}
<table><thead><tr><th>文件 file</th><th>工作表 sheet</th><th>行 line</th><th>列 column</th>
<th>值 value</th><th>原因 reason</th></tr></thead><tbody>{q_rows}</tbody></table>

<h2>隔离数值 Values invalidated ({values_total})</h2>
<p class="muted">Single values left out of every score (out of the analyser range, or not a number); the record is loaded and scored from its other pollutants. Query: <code>{_t(VALUE_QUARANTINE_SQL)}</code></p>
{more_values}
<table><thead><tr><th>文件 file</th><th>行 line</th><th>站点 station</th><th>列 column</th>
<th>值 value</th><th>原因 reason</th></tr></thead><tbody>{v_rows}</tbody></table>
"""
