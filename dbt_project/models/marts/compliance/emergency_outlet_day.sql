-- 在线监测全覆盖, by day: one row per listed outlet (int_compliance__emergency_outlet) and local day of
-- the feed window: hours received and valid (the most of any pollutant of the outlet, from
-- cems_outlet_day), whether it sent valid data (>= 1 valid hour) and whether the day is valid
-- (>= 20 valid hours, HJ 212-2017 Appendix D formula 25). Outlets without a device: 0 hours.
-- Incremental: a run recomputes whole days (every listed outlet's row of the day): the days
-- cems_outlet_day rebuilt since the last run. A reload of the device registry or a new version of
-- the emergency list empties the table first and rebuilds it (reset_on_reference_change).
{{ config(**watermarked_incremental(
    ['list_year', 'credit_code', 'production_line', 'outlet_key', 'obs_date'],
    extra_indexes=[['obs_date']],
    pre_hook=[
        "{{ reset_on_reference_change('device_registry', 'hj212', 'registry_batch_id') }}",
        "{{ reset_on_reference_change(column='list_batch_id', relation=ref('stg_forms__emergency_list')) }}",
    ],
)) }}
with

coverage as (
    select * from {{ ref('int_compliance__emergency_outlet') }}
),

window_days as (
    select distinct obs_date
    from {{ ref('cems_outlet_day') }}
    where {{ new_since_last_run() }}
),

device_days as (
    select
        d.device_mn,
        d.obs_date,
        max(d.received_hours) as received_hours,
        max(d.valid_hours) as valid_hours,
        array_agg(distinct b order by b) filter (where b is not null) as batch_ids
    from {{ ref('cems_outlet_day') }} as d
    inner join window_days as w on d.obs_date = w.obs_date
    left join lateral unnest(d.batch_ids) as b on true
    group by d.device_mn, d.obs_date
)

select
    c.list_year::integer as list_year,
    c.credit_code::text as credit_code,
    c.enterprise_name::text as enterprise_name,
    c.county::text as county,
    c.production_line::text as production_line,
    c.outlet_key::text as outlet_key,
    c.device_mn::text as device_mn,
    w.obs_date::date as obs_date,
    c.coverage_status::text as coverage_status,
    coalesce(d.received_hours, 0)::integer as received_hours,
    coalesce(d.valid_hours, 0)::integer as valid_hours,
    (coalesce(d.valid_hours, 0) > 0)::boolean as sent_valid_data,
    (coalesce(d.valid_hours, 0) >= {{ var('min_valid_hours_per_day', 20) }})::boolean as is_day_valid,
    coalesce(d.batch_ids, '{}')::bigint[] as batch_ids,
    c.batch_id::bigint as list_batch_id,
    c.source_file::text as list_source_file,
    c.sheet::text as list_sheet,
    c.source_row::integer as list_source_row,
    {{ raw_watermark(source('hj212', 'device_registry')) }}::bigint as registry_batch_id,
    {{ raw_watermark(ref('cems_outlet_day'), 'raw_batch_watermark') }}::bigint as raw_batch_watermark
from coverage as c
cross join window_days as w
left join device_days as d
    on
        c.device_mn = d.device_mn
        and w.obs_date = d.obs_date
