-- 重点任务推进台账 (ingest/forms/key_task.yaml), current version: one row per task per week.
-- `deadline` is null when the ledger gives words (长期坚持...): `deadline_text` keeps them.
{{ stg_form('key_task', [
    'period as report_week',
    'to_date(period, \'IYYY-"W"IW\') as week_start',
    'record.task_no', 'record.category', 'record.content', 'record.lead_unit',
    'record.supporting_units', 'record.deadline::date',
    "raw_cells ->> 'deadline' as deadline_text",
    'record.progress_pct::numeric', 'record.progress_note', 'record.status',
]) }}
