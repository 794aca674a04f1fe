-- 重点任务状态变化史: every version of every task row as the ledgers said it, in order of the
-- report week and then of loading (a re-sent week's correction comes after the version it
-- corrects), with the previous version's status and what kind of change this version is:
-- first_report, status_changed, unchanged, corrected (same week, re-sent, other status) or
-- correction_unchanged. derived_status is the status as of the week's Sunday (macro
-- key_task_status). Lineage: the one workbook row (batch_id, source_file, sheet, source_row).
with

versions as (
    select * from {{ ref('int_accountability__key_task_version') }}
),

ordered as (
    select
        v.*,
        lag(v.reported_status) over w as previous_status,
        lag(v.report_week) over w as previous_report_week,
        lag(v.batch_id) over w as previous_batch_id,
        lag(v.progress_pct) over w as previous_progress_pct,
        row_number() over w as version_no,
        {{ key_task_expected_pct('v.deadline', 'v.week_end', 'v.task_year') }} as expected_progress_pct
    from versions as v
    window w as (partition by v.task_year, v.task_no order by v.week_start, v.batch_id)
)

select
    task_year::integer as task_year,
    task_no::text as task_no,
    report_week::text as report_week,
    week_start::date as week_start,
    week_end::date as week_end,
    batch_id::bigint as batch_id,
    version_no::integer as version_no,
    loaded_at::timestamptz as loaded_at,
    is_current::boolean as is_current_version,
    superseded_by_batch::bigint as superseded_by_batch,
    category::text as category,
    content::text as content,
    lead_unit::text as lead_unit,
    lead_county::text as lead_county,
    deadline::date as deadline,
    deadline_text::text as deadline_text,
    progress_pct::numeric as progress_pct,
    reported_status::text as reported_status,
    previous_status::text as previous_status,
    previous_report_week::text as previous_report_week,
    previous_batch_id::bigint as previous_batch_id,
    previous_progress_pct::numeric as previous_progress_pct,
    (case
        when previous_status is null then 'first_report'
        when previous_report_week = report_week and previous_status <> reported_status then 'corrected'
        when previous_report_week = report_week then 'correction_unchanged'
        when previous_status <> reported_status then 'status_changed'
        else 'unchanged'
    end)::text as change_kind,
    coalesce(previous_status <> reported_status, false)::boolean as status_changed,
    expected_progress_pct::numeric as expected_progress_pct,
    {{ key_task_status('reported_status', 'progress_pct', 'deadline', 'week_end', 'expected_progress_pct') }}::text
        as derived_status,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row,
    concat_ws('|', task_year, task_no, report_week, batch_id)::text as lineage_key
from ordered
