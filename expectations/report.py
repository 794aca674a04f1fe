"""The offline HTML report: one self-contained file (inline CSS, no scripts, no external URLs)."""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from expectations.gx_run import ExpectationOutcome
from expectations.suite import SuiteSpec
from expectations.window import DayWindow, as_local

_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*:)?//\S*", re.IGNORECASE)

CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;
margin:2em;color:#222;background:#fff;font-size:14px}
h1{font-size:1.6em;margin-bottom:.2em}h1 small{font-weight:normal;color:#666;font-size:.6em}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0;width:100%}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.meta{width:auto}table.meta th{width:12em}
.pass{color:#17692b;font-weight:bold}.fail{color:#b00020;font-weight:bold}
.warn{color:#8a5a00;font-weight:bold}.muted{color:#777}
.badge{display:inline-block;padding:2px 10px;border-radius:3px;color:#fff}
.badge.pass{background:#17692b;color:#fff}.badge.warn{background:#b07800;color:#fff}
.badge.fail{background:#b00020;color:#fff}
code{font-family:Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
footer{margin-top:2em;color:#777;font-size:.85em}
"""


@dataclass(frozen=True)
class StationCoverage:
    station_code: str
    station_name: str | None
    city: str | None
    days: int
    present_hours: int
    expected_hours: int
    low_valid_days: int

    @property
    def percent(self) -> float | None:
        if not self.expected_hours:
            return None
        return 100.0 * self.present_hours / self.expected_hours


def station_coverage(
    engine: sa.Engine, query: str, valid_threshold: int
) -> tuple[list[StationCoverage], str | None]:
    """Per-station coverage over the validated rows; (rows, None) or ([], error message)."""
    sql = sa.text(
        f"""
        select station_code, max(station_name) as station_name, max(city) as city,
               count(*) as days,
               coalesce(sum(present_hours), 0) as present_hours,
               coalesce(sum(expected_hours), 0) as expected_hours,
               count(*) filter (where coalesce(valid_hours, 0) < :threshold) as low_valid_days
        from ({query}) as validated
        group by station_code
        order by station_code
        """
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(sql, {"threshold": valid_threshold}).all()
    except sa.exc.SQLAlchemyError as exc:
        return [], str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return [StationCoverage(*row) for row in rows], None


def _t(value: Any) -> str:
    """Escaped text; anything that looks like a URL is blanked (the report must stay offline)."""
    if value is None:
        return '<span class="muted">—</span>'
    return html.escape(_URL.sub("[URL]", str(value)))


def _ts(value: datetime | None) -> str:
    return "—" if value is None else as_local(value).isoformat(sep=" ")


def _table(head: list[str], rows: list[list[str]], empty: str = "无 none") -> str:
    if not rows:
        return f'<p class="muted">{empty}</p>'
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _safe(conn: sa.Connection, sql: str, params: dict | None = None) -> list[sa.Row] | str:
    """Rows, or the first line of the error (a mart may not exist yet): never break the report."""
    try:
        with conn.begin_nested():
            return conn.execute(sa.text(sql), params or {}).all()
    except sa.exc.SQLAlchemyError as exc:
        return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _interval(window: DayWindow) -> str:
    if window.start is None and window.end is None:
        return "全表 whole table"
    return f"{_t(_ts(window.start))} — {_t(_ts(window.end))}"


def _kwargs(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in kwargs.items())


def _result_cell(outcome: ExpectationOutcome) -> str:
    if outcome.success:
        return '<span class="pass">通过 PASS</span>'
    css = "fail" if outcome.spec.severity == "critical" else "warn"
    return f'<span class="{css}">未通过 FAIL</span>'


def _expectation_rows(outcomes: Sequence[ExpectationOutcome]) -> str:
    rows = []
    for o in outcomes:
        observed = f"错误 error: {o.error}" if o.error else o.observed_value
        percent = None if o.unexpected_percent is None else f"{o.unexpected_percent:.2f}%"
        examples = (
            None
            if not o.partial_unexpected
            else json.dumps(o.partial_unexpected[:10], ensure_ascii=False)
        )
        rows.append(
            "<tr>"
            f'<td class="num">{o.spec.index}</td>'
            f"<td><code>{_t(o.spec.type)}</code><br><code>{_t(_kwargs(o.spec.kwargs))}</code></td>"
            f"<td>{_t(o.spec.rule)}</td>"
            f"<td>{_t(o.spec.severity)}</td>"
            f"<td>{_result_cell(o)}</td>"
            f"<td>{_t(observed)}</td>"
            f'<td class="num">{_t(o.unexpected_count)}</td>'
            f'<td class="num">{_t(percent)}</td>'
            f'<td class="num">{_t(o.element_count)}</td>'
            f"<td><code>{_t(examples)}</code></td>"
            "</tr>"
        )
    return "\n".join(rows)


def _coverage_rows(rows: Sequence[StationCoverage]) -> str:
    out = []
    for r in rows:
        percent = None if r.percent is None else f"{r.percent:.1f}%"
        out.append(
            "<tr>"
            f"<td>{_t(r.station_code)}</td><td>{_t(r.station_name)}</td><td>{_t(r.city)}</td>"
            f'<td class="num">{r.days}</td>'
            f'<td class="num">{r.present_hours} / {r.expected_hours}</td>'
            f'<td class="num">{_t(percent)}</td>'
            f'<td class="num">{r.low_valid_days}</td>'
            "</tr>"
        )
    return "\n".join(out)


def _verdict(outcomes: Sequence[ExpectationOutcome]) -> str:
    if all(o.success for o in outcomes):
        return '<span class="badge pass">通过 PASS</span>'
    if all(o.success for o in outcomes if o.spec.severity == "critical"):
        return '<span class="badge warn">通过（有警告） PASS with warnings</span>'
    return '<span class="badge fail">不通过（严重） FAIL: critical expectation failed</span>'


def render_html(
    *,
    run_id: str,
    checkpoint: str,
    suite: SuiteSpec,
    window: DayWindow,
    outcomes: Sequence[ExpectationOutcome],
    coverage: Sequence[StationCoverage],
    coverage_error: str | None,
    valid_threshold: int,
    generated_at: datetime,
    extra_html: str = "",
) -> str:
    """The whole report as one HTML string."""
    failed_critical = sum(1 for o in outcomes if not o.success and o.spec.severity == "critical")
    failed_warning = sum(1 for o in outcomes if not o.success and o.spec.severity == "warning")
    if not suite.station_coverage_section:
        coverage_block = (
            '<p class="muted">本检查不含站点覆盖表 This suite has no station coverage table.</p>'
        )
    elif coverage_error:
        coverage_block = (
            f'<p class="fail">无法查询覆盖率 Coverage unavailable: {_t(coverage_error)}</p>'
        )
    elif not coverage:
        coverage_block = '<p class="muted">区间内无数据 No rows in the interval.</p>'
    else:
        coverage_block = f"""<table>
<thead><tr><th>站点编码<br>station_code</th><th>站点<br>station_name</th><th>城市<br>city</th>
<th>天数<br>days</th><th>发布小时 / 应有小时<br>present_hours / expected_hours</th>
<th>覆盖率<br>coverage %</th><th>有效小时 &lt; {valid_threshold} 的天数<br>
days with valid_hours &lt; {valid_threshold}</th></tr></thead>
<tbody>
{_coverage_rows(coverage)}
</tbody></table>"""
    title = f"数据质量报告 / Data-quality report — {suite.name} — {run_id}"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_t(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>数据质量报告 <small>Data-quality report</small></h1>
<p>{_verdict(outcomes)}</p>
<table class="meta">
<tr><th>运行 Run ID</th><td><code>{_t(run_id)}</code></td></tr>
<tr><th>检查点 Checkpoint</th><td>{_t(checkpoint)}</td></tr>
<tr><th>规则集 Suite</th><td>{_t(suite.name)} — {_t(suite.description)}</td></tr>
<tr><th>数据资产 Data asset</th><td><code>{_t(suite.data_asset)}</code></td></tr>
<tr><th>区间 Interval [start, end)</th><td>{_interval(window)}</td></tr>
<tr><th>日期范围 Days ({_t(suite.day_column)})</th><td>{_t(window.describe())}</td></tr>
<tr><th>期望数 Evaluated</th><td>{len(outcomes)}</td></tr>
<tr><th>严重失败 Failed critical</th><td>{failed_critical}</td></tr>
<tr><th>警告 Failed warning</th><td>{failed_warning}</td></tr>
<tr><th>生成时间 Generated at</th><td>{_t(_ts(generated_at))}</td></tr>
</table>

<h2>期望结果 Expectations</h2>
<table>
<thead><tr><th>#</th><th>期望 Expectation</th><th>规则 Rule</th><th>级别 Severity</th>
<th>结果 Result</th><th>观测值 Observed value</th><th>不符合数 Unexpected count</th>
<th>不符合比例 Unexpected %</th><th>行数 Element count</th><th>示例 Examples</th></tr></thead>
<tbody>
{_expectation_rows(outcomes)}
</tbody></table>

<h2>站点覆盖率 Station coverage</h2>
{coverage_block}
{extra_html}

<footer>本报告为自包含离线文件，不引用任何外部资源。
Self-contained offline report: inline styles only, no scripts, no external resources.</footer>
</body>
</html>
"""


def write_report(report_dir: Path, run_id: str, text: str) -> Path:
    """Write ``<report_dir>/<run_id>.html`` and a copy ``latest.html``, each atomically.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` in the run id become ``_``.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", run_id).lstrip(".") or "run"
    path = report_dir / f"{safe}.html"
    for target in (path, report_dir / "latest.html"):
        fd, tmp = tempfile.mkstemp(dir=report_dir, prefix=".report-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    return path
