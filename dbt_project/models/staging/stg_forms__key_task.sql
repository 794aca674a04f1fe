-- 重点任务推进台账 (ingest/forms/key_task.yaml), current version: one row per task per week.
-- `deadline` is null when the ledger gives words (长期坚持...): `deadline_text` keeps them.
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'key_task'
)

select
    period as report_week,
    to_date(period, 'IYYY-"W"IW') as week_start,
    record ->> 'task_no' as task_no,
    record ->> 'category' as category,
    record ->> 'content' as content,
    record ->> 'lead_unit' as lead_unit,
    record ->> 'supporting_units' as supporting_units,
    (record ->> 'deadline')::date as deadline,
    raw_cells ->> 'deadline' as deadline_text,
    (record ->> 'progress_pct')::numeric as progress_pct,
    record ->> 'progress_note' as progress_note,
    record ->> 'status' as status,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
