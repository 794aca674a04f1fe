-- 市级领导分包 (ingest/forms/leader_district.yaml), current version: one row per leader and county.
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'leader_district'
)

select
    period::integer as assignment_year,
    record ->> 'leader_name' as leader_name,
    record ->> 'leader_post' as leader_post,
    record ->> 'county' as county,
    record ->> 'focus_area' as focus_area,
    record ->> 'contact_unit' as contact_unit,
    (record ->> 'since_date')::date as since_date,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
