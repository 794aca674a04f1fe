-- 应急减排清单排口 (one row per listed outlet): the emergency list's production lines
-- (stg_forms__emergency_list, current version) split into their outlets and MNs, matched to the
-- device registry. A line's cells "DA001、DA002" / "MN1、MN2" are paired by position when both
-- lists have the same length; otherwise each MN is a row (outlet text kept) and a line without
-- MN gives one row per outlet (or one row when it names none). A registry CEMS device matches by
-- the listed MN, else by (credit code, outlet id) - an MN the list forgot.
with

lines as (
    select
        *,
        regexp_split_to_array(nullif(trim(coalesce(outlets, '')), ''), '\s*[、，,;；/]\s*') as outlet_ids
    from {{ ref('stg_forms__emergency_list') }}
),

by_mn as (
    select
        l.*,
        m.mn as listed_mn,
        case
            when cardinality(l.outlet_ids) = cardinality(l.mns) then l.outlet_ids[m.position]
            when cardinality(l.outlet_ids) = 1 then l.outlet_ids[1]
            else l.outlets
        end as outlet_id
    from lines as l
    cross join lateral unnest(l.mns) with ordinality as m (mn, position)
    where cardinality(l.mns) > 0
),

by_outlet as (
    select
        l.*,
        null::text as listed_mn,
        o.outlet_id
    from lines as l
    cross join lateral unnest(coalesce(l.outlet_ids, array[null::text])) as o (outlet_id)
    where cardinality(l.mns) = 0
),

listed as (
    select * from by_mn
    union all
    select * from by_outlet
),

devices as (
    select * from {{ ref('stg_hj212__device') }}
    where device_kind = 'cems'
)

select
    l.list_year,
    l.credit_code,
    l.enterprise_name,
    l.county,
    l.industry,
    l.performance_grade,
    l.production_line,
    coalesce(l.listed_mn, l.outlet_id, '(none)') as outlet_key,
    l.outlet_id,
    l.listed_mn,
    coalesce(by_mn.device_mn, by_outlet.device_mn) as device_mn,
    case
        when by_mn.device_mn is not null then 'covered'
        when by_outlet.device_mn is not null then 'covered_mn_not_on_list'
        when l.listed_mn is not null then 'mn_not_registered'
        else 'no_device'
    end as coverage_status,
    coalesce(by_mn.registry_batch_id, by_outlet.registry_batch_id) as registry_batch_id,
    l.yellow_measures,
    l.orange_measures,
    l.red_measures,
    l.batch_id,
    l.source_file,
    l.sheet,
    l.source_row
from listed as l
left join devices as by_mn on l.listed_mn = by_mn.device_mn
left join devices as by_outlet
    on
        l.listed_mn is null
        and l.credit_code = by_outlet.uscc
        and l.outlet_id = by_outlet.outlet_id
