-- 重点任务台账, every version: one row per task, ISO week and workbook (superseded corrections
-- included), typed as in stg_forms__key_task, with the county a task is led by: a county
-- government (lead unit beginning with the county's name) or every county (各县（市、区）政府).
with

versions as (
    select * from {{ ref('int_accountability__form_version') }}
    where form_id = 'key_task'
),

counties as (
    select county from {{ ref('int_accountability__county') }}
),

typed as (
    select
        v.record ->> 'task_no' as task_no,
        v.period as report_week,
        to_date(v.period, 'IYYY-"W"IW') as week_start,
        to_date(v.period, 'IYYY-"W"IW') + 6 as week_end,
        v.record ->> 'category' as category,
        v.record ->> 'content' as content,
        v.record ->> 'lead_unit' as lead_unit,
        v.record ->> 'supporting_units' as supporting_units,
        (v.record ->> 'deadline')::date as deadline,
        v.raw_cells ->> 'deadline' as deadline_text,
        (v.record ->> 'progress_pct')::numeric as progress_pct,
        v.record ->> 'status' as reported_status,
        v.batch_id,
        v.source_file,
        v.sheet,
        v.source_row,
        v.loaded_at,
        v.superseded_by_batch,
        v.is_current
    from versions as v
)

select
    t.*,
    extract(isoyear from t.week_start)::integer as task_year,
    case
        when t.lead_unit like '各县%' then '各县（市、区）'
        else (
            select c.county from counties as c
            where t.lead_unit like c.county || '%'
            order by length(c.county) desc
            limit 1
        )
    end as lead_county
from typed as t
