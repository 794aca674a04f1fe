-- 约谈问责明细: one row per case of the current monthly statistics (约谈问责情况统计表), with the
-- county the target unit belongs to (a county government or body whose name begins with the
-- county's; null for city bureaus) and one flag per kind the issue asks to count: interview
-- (约谈), accountability (问责), criticism (通报批评), public exposure (公开曝光, or any case
-- published in the media), negative list (列入负面清单, or a case entered in the negative list).
-- Lineage: batch_id, source_file, sheet, source_row.
with

cases as (
    select * from {{ ref('stg_forms__accountability') }}
),

counties as (
    select county from {{ ref('int_accountability__county') }}
)

select
    c.report_month::date as report_month,
    c.case_no::text as case_no,
    c.action_date::date as action_date,
    c.target_unit::text as target_unit,
    (
        select k.county from counties as k
        where c.target_unit like k.county || '%'
        order by length(k.county) desc
        limit 1
    )::text as target_county,
    c.target_post::text as target_post,
    c.action_type::text as action_type,
    c.reason::text as reason,
    coalesce(c.media_published, false)::boolean as media_published,
    c.media_name::text as media_name,
    coalesce(c.negative_list, false)::boolean as negative_list,
    (c.action_type = '约谈')::boolean as is_interview,
    (c.action_type = '问责')::boolean as is_accountability,
    (c.action_type = '通报批评')::boolean as is_criticism,
    (c.action_type = '公开曝光' or coalesce(c.media_published, false))::boolean as is_public_exposure,
    (c.action_type = '列入负面清单' or coalesce(c.negative_list, false))::boolean as is_negative_list,
    c.batch_id::bigint as batch_id,
    c.source_file::text as source_file,
    c.sheet::text as sheet,
    c.source_row::integer as source_row,
    concat_ws('|', c.report_month, c.case_no)::text as lineage_key
from cases as c
