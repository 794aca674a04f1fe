-- 重点任务状态（任意日期）: one row per task and date, for a date spine from the Monday of each
-- year's first reported week to the Sunday of its last: the task as the CURRENT version of the
-- ledger of the week containing the date reports it (weeks without a ledger carry the latest
-- earlier one forward; report_week says which), and the status derived for that date (macro
-- key_task_status: done / on_schedule / behind / overdue against the straight line from 1
-- January to the deadline). BI picks a date with `where as_of_date = :d`.
-- Lineage: batch_id, source_file, sheet, source_row of the ledger row used.
with

current_rows as (
    select * from {{ ref('int_accountability__key_task_version') }}
    where is_current
),

spine as (
    select
        task_year,
        generate_series(min(week_start), max(week_end), interval '1 day')::date as as_of_date
    from current_rows
    group by task_year
),

tasks as (
    select distinct
        task_year,
        task_no
    from current_rows
),

picked as (
    select
        s.as_of_date,
        r.*
    from spine as s
    inner join tasks as t on s.task_year = t.task_year
    inner join lateral (
        select c.*
        from current_rows as c
        where
            c.task_year = t.task_year
            and c.task_no = t.task_no
            and c.week_start <= s.as_of_date
        order by c.week_start desc
        limit 1
    ) as r on true
),

scored as (
    select
        p.*,
        {{ key_task_expected_pct('p.deadline', 'p.as_of_date', 'p.task_year') }} as expected_progress_pct
    from picked as p
),

derived as (
    select
        s.*,
        {{ key_task_status('s.reported_status', 's.progress_pct', 's.deadline', 's.as_of_date', 's.expected_progress_pct') }}
            as derived_status
    from scored as s
)

select
    task_year::integer as task_year,
    task_no::text as task_no,
    as_of_date::date as as_of_date,
    report_week::text as report_week,
    category::text as category,
    content::text as content,
    lead_unit::text as lead_unit,
    lead_county::text as lead_county,
    supporting_units::text as supporting_units,
    deadline::date as deadline,
    deadline_text::text as deadline_text,
    progress_pct::numeric as progress_pct,
    reported_status::text as reported_status,
    expected_progress_pct::numeric as expected_progress_pct,
    (progress_pct - expected_progress_pct)::numeric as progress_gap_pct,
    derived_status::text as derived_status,
    {{ key_task_status_label('derived_status') }}::text as derived_status_label,
    (case when derived_status = 'overdue' then as_of_date - deadline end)::integer as days_overdue,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row,
    concat_ws('|', task_year, task_no, as_of_date)::text as lineage_key
from derived
