-- 重污染天气应急减排清单 (ingest/forms/emergency_list.yaml), current version: one row per
-- enterprise and production line of the latest list of each county. `mns` are the CEMS devices
-- (HJ 212 MN) of the line: the link to the online-monitoring packets.
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'emergency_list'
)

select
    period::integer as list_year,
    scope as reporting_county,
    record ->> 'enterprise_name' as enterprise_name,
    record ->> 'credit_code' as credit_code,
    record ->> 'county' as county,
    record ->> 'industry' as industry,
    record ->> 'performance_grade' as performance_grade,
    record ->> 'production_line' as production_line,
    record ->> 'outlets' as outlets,
    case
        when jsonb_typeof(record -> 'mn') = 'array'
            then array(select jsonb_array_elements_text(record -> 'mn'))
        else '{}'::text[]
    end as mns,
    record ->> 'yellow_measures' as yellow_measures,
    record ->> 'orange_measures' as orange_measures,
    record ->> 'red_measures' as red_measures,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
