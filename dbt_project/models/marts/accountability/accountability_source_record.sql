-- 问责类数据溯源: for every row of every accountability mart, the source records behind it.
-- One row per (mart, lineage_key, source record): source_table raw.form_record (batch_id,
-- sheet, source_row = row_number) or raw.hj212_packet / marts.cems_outlet_hour (batch_id,
-- source_file, source_row = line_number) for the CEMS hours behind a county's compliance.
-- Each mart carries lineage_key; the records behind one mart row:
--   select * from marts.accountability_source_record where mart = 'county_scorecard'
--   and lineage_key = '2026-03-15|洪洞县'
-- A view: membership is re-derived with the marts' own conditions when queried.
with

task as (
    select * from {{ ref('key_task_status') }}
),

finding as (
    select * from {{ ref('inspection_finding') }}
),

action as (
    select * from {{ ref('accountability_action') }}
),

county_card as (
    select * from {{ ref('county_scorecard') }}
),

department_card as (
    select * from {{ ref('department_scorecard') }}
),

lineage as (
    select
        'key_task_status' as mart,
        lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from task
    union all
    select
        'key_task_status_history' as mart,
        lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from {{ ref('key_task_status_history') }}
    union all
    select
        'key_task_unit_status' as mart,
        concat_ws('|', task_year, as_of_date, lead_unit) as lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from task
    union all
    select
        'inspection_finding' as mart,
        lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from finding
    union all
    select
        'inspection_rectification' as mart,
        concat_ws('|', report_month, county) as lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from finding
    union all
    select
        'inspection_cadence' as mart,
        lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from {{ ref('inspection_cadence') }}
    union all
    select
        'inspection_cadence' as mart,
        c.lineage_key,
        'raw.form_record' as source_table,
        f.batch_id,
        f.source_file,
        f.sheet,
        f.source_row
    from {{ ref('inspection_cadence') }} as c
    inner join finding as f
        on
            f.inspection_type = '领导分包督查'
            and c.leader_name = f.leader
            and c.county = f.county
            and c.month = date_trunc('month', f.inspection_date)::date
    union all
    select
        'accountability_action' as mart,
        lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from action
    union all
    select
        'accountability_unit_summary' as mart,
        concat_ws('|', target_unit, date_trunc('month', action_date)::date) as lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from action
    union all
    select
        'county_scorecard' as mart,
        s.lineage_key,
        'raw.form_record' as source_table,
        t.batch_id,
        t.source_file,
        t.sheet,
        t.source_row
    from county_card as s
    inner join task as t
        on s.as_of_date = t.as_of_date and (s.county = t.lead_county or t.lead_county = '各县（市、区）')
    union all
    select
        'county_scorecard' as mart,
        s.lineage_key,
        'raw.form_record' as source_table,
        f.batch_id,
        f.source_file,
        f.sheet,
        f.source_row
    from county_card as s
    inner join finding as f
        on
            s.county = f.county
            and s.as_of_date >= f.inspection_date
            and f.inspection_date >= make_date(s.scorecard_year, 1, 1)
    union all
    select
        'county_scorecard' as mart,
        s.lineage_key,
        'raw.hj212_packet' as source_table,
        h.batch_id,
        h.source_file,
        null as sheet,
        h.line_number as source_row
    from county_card as s
    inner join {{ ref('cems_outlet_hour') }} as h
        on
            s.county = h.county
            and h.obs_date between make_date(s.scorecard_year, 1, 1) and s.as_of_date
    union all
    select
        'department_scorecard' as mart,
        s.lineage_key,
        'raw.form_record' as source_table,
        t.batch_id,
        t.source_file,
        t.sheet,
        t.source_row
    from department_card as s
    inner join task as t on s.as_of_date = t.as_of_date and s.unit = t.lead_unit
    union all
    select
        'department_scorecard' as mart,
        s.lineage_key,
        'raw.form_record' as source_table,
        f.batch_id,
        f.source_file,
        f.sheet,
        f.source_row
    from department_card as s
    inner join finding as f
        on
            s.unit = f.responsible_unit
            and s.as_of_date >= f.inspection_date
            and f.inspection_date >= make_date(s.scorecard_year, 1, 1)
    union all
    select
        'department_scorecard' as mart,
        s.lineage_key,
        'raw.form_record' as source_table,
        a.batch_id,
        a.source_file,
        a.sheet,
        a.source_row
    from department_card as s
    inner join action as a
        on
            s.unit = a.target_unit
            and s.as_of_date >= a.action_date
            and a.action_date >= make_date(s.scorecard_year, 1, 1)
)

select distinct
    mart::text as mart,
    lineage_key::text as lineage_key,
    source_table::text as source_table,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row
from lineage
