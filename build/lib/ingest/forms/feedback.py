"""Per-workbook feedback report (反馈单) for the bureau that sent it: self-contained HTML in Chinese.

It says whether the workbook was accepted, the counts (数据行 = 入库 + 退回 + 重复), every cell
the bureau must fix (sheet, row, cell, column, value, reason), the whole-workbook problems of a
failed file, and what was skipped or converted. No script, stylesheet or font from another host:
it opens on an offline intranet and can be mailed as one file.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.forms.parse import Reject

STYLE = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #bbb;padding:4px 8px;vertical-align:top}
th{background:#eef2f7;text-align:left}.ok{color:#1a7f37}.bad{color:#b42318}.muted{color:#666}
.verdict{font-size:16px;font-weight:bold;margin:8px 0}
"""


@dataclass
class Feedback:
    source_file: str
    form_id: str
    form_title: str
    owner: str
    status: str  # loaded | failed
    batch_id: int
    checked_at: dt.datetime
    scope: str | None = None
    periods: list[str] = field(default_factory=list)
    records_in: int = 0
    loaded: int = 0
    quarantined: int = 0  # rows
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)  # whole-workbook problems (failed files)
    rejects: list[Reject] = field(default_factory=list)  # bad cells
    info: list[str] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _verdict(fb: Feedback) -> str:
    if fb.status == "failed":
        return '<p class="verdict bad">未入库：整份工作簿无法读取或不符合表格规范，请按下列问题修改后重新报送整份工作簿。</p>'
    if fb.quarantined:
        return (
            f'<p class="verdict bad">部分入库：{fb.quarantined} 行数据有误未入库，其余 {fb.loaded} 行已入库。'
            "请修改下列单元格后重新报送整份工作簿（新版本将替代本版本）。</p>"
        )
    return f'<p class="verdict ok">已全部入库（{fb.loaded} 行），无需修改。</p>'


def render_html(fb: Feedback) -> str:
    rows = [
        ("文件", fb.source_file),
        ("表格", f"{fb.form_title}（{fb.form_id}）"),
        ("报送单位（表格归口）", fb.owner),
        ("报送期", "、".join(fb.periods) or "—"),
        ("范围", fb.scope or "—"),
        ("批次号", fb.batch_id),
        ("检查时间（北京时间）", fb.checked_at.strftime("%Y-%m-%d %H:%M:%S")),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>报表反馈单 {_e(fb.source_file)}</title><style>{STYLE}</style></head><body>",
        "<h1>报表数据反馈单</h1>",
        _verdict(fb),
        "<table>"
        + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
        + "</table>",
    ]
    if fb.status == "loaded":
        parts.append(
            "<h2>数据核对</h2><table><tr><th>数据行</th><th>入库</th><th>退回修改</th><th>重复行</th></tr>"
            f"<tr><td>{fb.records_in}</td><td>{fb.loaded}</td><td>{fb.quarantined}</td>"
            f"<td>{fb.duplicates}</td></tr></table>"
            '<p class="muted">数据行 = 入库 + 退回修改 + 重复行（完全相同的重复行只入库一次）。</p>'
        )
    if fb.problems:
        parts.append("<h2>需要修改的问题（整份工作簿）</h2><ol>")
        parts += [f"<li>{_e(p)}</li>" for p in fb.problems]
        parts.append("</ol>")
    if fb.rejects:
        parts.append(
            f"<h2>需要修改的单元格（{len(fb.rejects)} 处，涉及 {fb.quarantined} 行）</h2><table>"
            "<tr><th>工作表</th><th>行</th><th>单元格</th><th>列</th><th>填报内容</th><th>问题及修改要求</th></tr>"
        )
        for r in sorted(fb.rejects, key=lambda r: (r.sheet, r.row_number, _column_order(r.cell))):
            parts.append(
                f"<tr><td>{_e(r.sheet)}</td><td>{r.row_number}</td><td>{_e(r.cell)}</td>"
                f"<td>{_e(r.column)}</td><td>{_e(r.value)}</td><td>{_e(r.reason)}</td></tr>"
            )
        parts.append("</table>")
    if fb.supersedes:
        parts.append("<h2>版本替代</h2><ul>")
        parts += [f"<li>{_e(s)}</li>" for s in fb.supersedes]
        parts.append("</ul>")
    if fb.info:
        parts.append("<h2>处理说明（无需修改）</h2><ul>")
        parts += [f"<li>{_e(i)}</li>" for i in fb.info]
        parts.append("</ul>")
    parts.append(
        '<p class="muted">本反馈单由蓝天数据平台自动生成。同一期、同一范围重新报送的工作簿将替代此前版本，历史版本留档备查。</p>'
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def _column_order(cell: str | None) -> tuple[int, str]:
    letters = re.match(r"^[A-Z]+", cell or "")
    text = letters.group(0) if letters else ""
    return (len(text), text)


def report_path(report_dir: Path, fb: Feedback) -> Path:
    stem = Path(fb.source_file).stem
    return report_dir / fb.form_id / f"{stem}__batch{fb.batch_id}.html"


def write_report(report_dir: Path, fb: Feedback) -> Path:
    path = report_path(report_dir, fb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(fb), encoding="utf-8")
    return path
