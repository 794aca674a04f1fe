-- 污染源排口小时达标 (CEMS compliance) per outlet, pollutant and hour (hour START, local time).
-- From int_hj212__hourly: the valid flag (flag N hourly packet, or >= 45 valid minutes), the
-- measured and converted concentration (C * (21 - O2_ref) / (21 - O2_measured)), flow, hourly
-- emission (kg/h = C mg/m3 * Q m3/h * 1e-6), the outlet's limit (seed hj212_emission_limits) and
-- the exceedance hour: a VALID hour whose converted concentration is above the limit (RULES.md s5).
-- Lineage: batch_id, source_file, line_number (the hourly packet, or the first minute packet of
-- a derived hour) and packet_qn (hourly packets).
-- Incremental: the rows of int_hj212__hourly rebuilt since the last run (whole device-days, so the
-- day's valid hours are right); a reload of the device registry (an outlet added, moved to another
-- standard or removed) empties the table first and rebuilds it (reset_on_reference_change). After
-- editing the seed hj212_emission_limits, rebuild with --full-refresh.
{{ config(**watermarked_incremental(
    ['device_mn', 'pollutant_code', 'hour_start'],
    extra_indexes=[['obs_date'], ['device_mn', 'obs_date'], ['registry_batch_id']],
    pre_hook="{{ reset_on_reference_change('device_registry', 'hj212', 'registry_batch_id') }}",
)) }}
{% set pollutants = {'a34013': '颗粒物 particulate', 'a21026': '二氧化硫 SO2', 'a21002': '氮氧化物 NOx'} %}
with

hourly as (
    select * from {{ ref('int_hj212__hourly') }}
    where
        pollutant_code in ('{{ pollutants.keys() | join("', '") }}')
        and {{ new_since_last_run() }}
),

devices as (
    select * from {{ ref('stg_hj212__device') }}
    where device_kind = 'cems'
),

limits as (
    select * from {{ ref('hj212_emission_limits') }}
)

select
    d.outlet_id::text as outlet_id,
    d.outlet_name::text as outlet_name,
    h.device_mn::text as device_mn,
    d.owner_name::text as enterprise_name,
    d.uscc::text as uscc,
    d.county::text as county,
    d.industry::text as industry,
    d.emission_standard_id::text as emission_standard_id,
    h.pollutant_code::text as pollutant_code,
    case h.pollutant_code
        {% for code, name in pollutants.items() %}
            when '{{ code }}' then '{{ name }}'
        {% endfor %}
    end::text as pollutant_name,
    h.hour_start::timestamptz as hour_start,
    h.hour_start_local::timestamp as hour_start_local,
    h.obs_date::date as obs_date,
    h.value_source::text as value_source,
    h.data_flag::text as data_flag,
    h.valid_minutes::integer as valid_minutes,
    h.is_valid::boolean as is_valid,
    h.measured_value::numeric as measured_mg_m3,
    h.o2_measured_pct::numeric as o2_measured_pct,
    h.o2_ref_pct::numeric as o2_ref_pct,
    h.converted_value::numeric as converted_mg_m3,
    h.device_converted_value::numeric as device_converted_mg_m3,
    h.flow_m3_h::numeric as flow_m3_h,
    h.emission_kg_h::numeric as emission_kg_h,
    l.limit_mg_m3::numeric as limit_mg_m3,
    coalesce(h.is_valid and coalesce(h.converted_value, h.measured_value) > l.limit_mg_m3, false)::boolean
        as is_exceedance,
    h.day_valid_hours::integer as day_valid_hours,
    h.is_day_valid::boolean as is_day_valid,
    h.batch_id::bigint as batch_id,
    h.source_file::text as source_file,
    h.line_number::integer as line_number,
    h.packet_qn::text as packet_qn,
    h.registry_batch_id::bigint as registry_batch_id,
    {{ raw_watermark(ref('int_hj212__hourly'), 'raw_batch_watermark') }}::bigint as raw_batch_watermark
from hourly as h
inner join devices as d on h.device_mn = d.device_mn
left join limits as l
    on
        d.emission_standard_id = l.emission_standard_id
        and h.pollutant_code = l.pollutant_code
