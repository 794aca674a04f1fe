-- 污染源排口日统计 (CEMS outlet day): per registered CEMS outlet, pollutant of its emission standard
-- and local day of the feed window (every day from the first to the last day with CEMS data, so
-- an outlet that sent nothing has a row with 0 hours).
-- Rates (《污染源自动监控设施运行管理办法》 / HJ 75-2017 s12, verify): transmission rate = hours
-- received / hours expected (24); validity rate = valid hours / hours received; effective
-- transmission rate = valid hours / hours expected (= transmission x validity).
-- Valid hour, converted concentration, exceedance: cems_outlet_hour (HJ 212-2017 Appendix D,
-- RULES.md s5). Emission (kg) = sum over the valid hours of kg/h x 1 h (Appendix D formula 33).
-- Day valid: >= 20 valid hours (Appendix D formula 25); the daily mean is given only then.
-- Incremental: a run recomputes whole local days (every outlet and pollutant of the day): the
-- days with a cems_outlet_hour row rebuilt since the last run, and the days the feed window gained
-- (before the first or after the last day built: silent days included). A reload of the device
-- registry empties the table first and rebuilds it (reset_on_reference_change).
{{ config(**watermarked_incremental(
    ['device_mn', 'pollutant_code', 'obs_date'],
    extra_indexes=[['obs_date'], ['registry_batch_id']],
    pre_hook="{{ reset_on_reference_change('device_registry', 'hj212', 'registry_batch_id') }}",
)) }}
with

feed_window as (
    select
        min(obs_date) as first_day,
        max(obs_date) as last_day
    from {{ ref('cems_outlet_hour') }}
),

{% if is_incremental() %}
    built as (
        select
            min(obs_date) as first_day,
            max(obs_date) as last_day
        from {{ this }}
    ),

    changed_days as (
        select distinct obs_date
        from {{ ref('cems_outlet_hour') }}
        where {{ new_since_last_run() }}
    ),
{% endif %}

feed_days as (
    select generate_series(first_day, last_day, interval '1 day')::date as obs_date
    from feed_window
),

window_days as (
    select d.obs_date
    from feed_days as d
    {% if is_incremental() %}
        cross join built as b
        where
            b.first_day is null
            or d.obs_date < b.first_day
            or d.obs_date > b.last_day
            or d.obs_date in (select c.obs_date from changed_days as c)
    {% endif %}
),

hours as (
    select h.*
    from {{ ref('cems_outlet_hour') }} as h
    inner join window_days as w on h.obs_date = w.obs_date
),

outlet_pollutants as (
    select
        d.device_mn,
        d.outlet_id,
        d.outlet_name,
        d.owner_name as enterprise_name,
        d.uscc,
        d.county,
        d.industry,
        d.emission_standard_id,
        d.registry_batch_id,
        l.pollutant_code,
        l.limit_mg_m3
    from {{ ref('stg_hj212__device') }} as d
    inner join {{ ref('hj212_emission_limits') }} as l
        on d.emission_standard_id = l.emission_standard_id
    where d.device_kind = 'cems'
),

daily as (
    select
        device_mn,
        pollutant_code,
        obs_date,
        count(*) as received_hours,
        count(*) filter (where is_valid) as valid_hours,
        count(*) filter (where is_exceedance) as exceedance_hours,
        count(*) filter (where is_valid and converted_mg_m3 is null) as valid_hours_without_o2,
        avg(converted_mg_m3) filter (where is_valid) as converted_mean_mg_m3,
        max(converted_mg_m3) filter (where is_valid) as converted_max_mg_m3,
        sum(emission_kg_h) filter (where is_valid) as emission_kg,
        count(*) filter (where is_valid and emission_kg_h is not null) as emission_hours,
        array_agg(distinct batch_id order by batch_id) as batch_ids,
        min(hour_start) as first_hour_start,
        max(hour_start) as last_hour_start
    from hours
    group by device_mn, pollutant_code, obs_date
)

select
    o.device_mn::text as device_mn,
    o.outlet_id::text as outlet_id,
    o.outlet_name::text as outlet_name,
    o.enterprise_name::text as enterprise_name,
    o.uscc::text as uscc,
    o.county::text as county,
    o.industry::text as industry,
    o.emission_standard_id::text as emission_standard_id,
    o.pollutant_code::text as pollutant_code,
    w.obs_date::date as obs_date,
    24::integer as expected_hours,
    coalesce(d.received_hours, 0)::integer as received_hours,
    coalesce(d.valid_hours, 0)::integer as valid_hours,
    round(100.0 * coalesce(d.received_hours, 0) / 24, 2)::numeric as transmission_rate_pct,
    round(100.0 * d.valid_hours / nullif(d.received_hours, 0), 2)::numeric as validity_rate_pct,
    round(100.0 * coalesce(d.valid_hours, 0) / 24, 2)::numeric as effective_transmission_rate_pct,
    (coalesce(d.valid_hours, 0) >= {{ var('min_valid_hours_per_day', 20) }})::boolean as is_day_valid,
    o.limit_mg_m3::numeric as limit_mg_m3,
    coalesce(d.exceedance_hours, 0)::integer as exceedance_hours,
    coalesce(d.valid_hours_without_o2, 0)::integer as valid_hours_without_o2,
    d.converted_mean_mg_m3::numeric as converted_mean_mg_m3,
    case
        when d.valid_hours >= {{ var('min_valid_hours_per_day', 20) }} then d.converted_mean_mg_m3
    end::numeric as converted_daily_mean_mg_m3,
    d.converted_max_mg_m3::numeric as converted_max_mg_m3,
    coalesce(d.emission_kg, 0)::numeric as emission_kg,
    coalesce(d.emission_hours, 0)::integer as emission_hours,
    coalesce(d.batch_ids, '{}')::bigint[] as batch_ids,
    o.registry_batch_id::bigint as registry_batch_id,
    d.first_hour_start::timestamptz as first_hour_start,
    d.last_hour_start::timestamptz as last_hour_start,
    {{ raw_watermark(ref('cems_outlet_hour'), 'raw_batch_watermark') }}::bigint as raw_batch_watermark
from outlet_pollutants as o
cross join window_days as w
left join daily as d
    on
        o.device_mn = d.device_mn
        and o.pollutant_code = d.pollutant_code
        and w.obs_date = d.obs_date
