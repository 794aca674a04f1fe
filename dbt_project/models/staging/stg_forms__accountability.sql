-- 约谈问责 (ingest/forms/accountability.yaml), current version: one row per interview,
-- accountability decision, public exposure or negative-list entry.
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'accountability'
)

select
    to_date(period, 'YYYY-MM') as report_month,
    record ->> 'case_no' as case_no,
    (record ->> 'action_date')::date as action_date,
    record ->> 'target_unit' as target_unit,
    record ->> 'target_post' as target_post,
    record ->> 'action_type' as action_type,
    record ->> 'reason' as reason,
    (record ->> 'media_published')::boolean as media_published,
    record ->> 'media_name' as media_name,
    (record ->> 'negative_list')::boolean as negative_list,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
