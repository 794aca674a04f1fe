{{ config(**watermarked_incremental(['station_code', 'observed_at'])) }}
-- 站点小时实时AQI: real-time AQI per station-hour, with IAQI per pollutant, primary pollutant,
-- category and colour, the published values beside ours, and the source row behind it.
-- AQI = max IAQI (HJ 633 formula (2)). Primary pollutant when AQI > 50, ties all listed
-- (2026 s4.3.1; 2012 s5.2). Missing data (2026 s5.3.1): AQI from the other pollutants, published
-- only when > 100, otherwise NA. "/" (not monitored, s5.3.2) does not hold back publication.
-- HJ 633-2012 has no such clause: the AQI of the available pollutants is reported. A value
-- invalidated in staging (out of its analyser range, or not a number) counts as missing.
-- Beside the official figure, the platform's reading (platform_aqi, README "Reading the national
-- publication"): what the national platform publishes for the same values, and why it differs.
with

hours as (
    select * from {{ ref('int_station_hour__current') }}
    where {{ new_since_last_run() }}
),

iaqi as (
    select * from {{ ref('int_station_hour__iaqi') }}
    where {{ new_since_last_run() }}
),

indicators as (
    select * from {{ ref('aqi_indicators') }}
),

per_hour as (
    select
        station_code,
        observed_at,
        max(iaqi) as aqi_available,
        count(*) filter (where status in ('missing', 'out_of_range', 'unreadable')) as pollutants_missing,
        count(*) filter (where status in ('out_of_range', 'unreadable')) as pollutants_invalid,
        bool_or(pollutant = 'pm10' and status in ('missing', 'out_of_range', 'unreadable')) as pm10_missing,
        bool_or(pollutant = 'pm2_5' and status in ('missing', 'out_of_range', 'unreadable')) as pm2_5_missing,
        count(*) filter (where status = 'not_monitored') as pollutants_not_monitored,
        bool_or(above_top_breakpoint) as above_top_breakpoint,
        {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
            max(iaqi) filter (where pollutant = '{{ pol }}') as iaqi_{{ pol }},
            max(conc) filter (where pollutant = '{{ pol }}') as {{ pol }}_conc,
        {% endfor %}
        string_agg(distinct rule_applied, '; ') as rules_applied
    from iaqi
    group by station_code, observed_at
),

published_rule as (
    select
        per_hour.*,
        hours.rule_set,
        {{ published_aqi('hours.rule_set', 'per_hour.pollutants_missing', 'per_hour.aqi_available') }} as aqi,
        case
            when per_hour.aqi_available is null then 'no_data'
            when {{ is_na_by_s5_3_1('hours.rule_set', 'per_hour.pollutants_missing', 'per_hour.aqi_available') }}
                then 'na_missing_pollutant'
            when per_hour.pollutants_missing > 0 then 'published_missing_pollutant'
            else 'published'
        end as aqi_status,
        {{ platform_aqi('hours.obs_date', 'per_hour') }} as platform_aqi
    from per_hour
    inner join hours
        on
            per_hour.station_code = hours.station_code
            and per_hour.observed_at = hours.observed_at
),

-- the pollutants with the highest IAQI when the AQI of the pollutants present is above 50
primary_available as (
    select
        i.station_code,
        i.observed_at,
        string_agg(ind.primary_label, ',' order by ind.display_order) as primary_pollutant,
        string_agg(i.pollutant, ',' order by ind.display_order) as primary_codes
    from iaqi as i
    inner join published_rule as p
        on i.station_code = p.station_code and i.observed_at = p.observed_at
    inner join indicators as ind
        on
            i.pollutant = ind.pollutant
            and ind.indicator = case
                when i.pollutant in ('pm10', 'pm2_5') then i.pollutant else i.pollutant || '_1h'
            end
    where p.aqi_available > 50 and i.iaqi = p.aqi_available
    group by i.station_code, i.observed_at
),

primary_pollutant as (
    select
        p.station_code,
        p.observed_at,
        case when p.aqi is not null then pa.primary_pollutant end as primary_pollutant,
        case when p.aqi is not null then pa.primary_codes end as primary_codes,
        case when p.platform_aqi is not null then pa.primary_pollutant end as platform_primary_pollutant,
        case when p.platform_aqi is not null then pa.primary_codes end as platform_primary_codes
    from published_rule as p
    left join primary_available as pa
        on p.station_code = pa.station_code and p.observed_at = pa.observed_at
)

select
    hours.station_code,
    hours.station_name,
    hours.city,
    hours.observed_at,
    hours.hour_start_local,
    hours.obs_date,
    p.rule_set,
    {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
        p.{{ pol }}_conc as {{ pol }}_1h,
        p.iaqi_{{ pol }},
    {% endfor %}
    p.aqi,
    p.aqi_available,
    p.aqi_status,
    p.pollutants_missing,
    p.pollutants_invalid,
    p.pollutants_not_monitored,
    p.above_top_breakpoint,
    pp.primary_pollutant,
    cat.level as aqi_level,
    cat.category,
    cat.category_en,
    cat.colour,
    cat.rgb,
    hours.published_aqi,
    hours.published_aqi_text,
    hours.published_primary_pollutant,
    pp.primary_codes as primary_pollutant_codes,
    hours.published_primary_codes,
    (
        p.aqi is not distinct from hours.published_aqi
        and pp.primary_codes is not distinct from hours.published_primary_codes
    ) as matches_publication,
    p.platform_aqi,
    pp.platform_primary_pollutant,
    pp.platform_primary_codes,
    {{ platform_difference('p', 'hours.rule_set') }} as platform_difference,
    (
        p.platform_aqi is not distinct from hours.published_aqi
        and pp.platform_primary_codes is not distinct from hours.published_primary_codes
    ) as platform_matches_publication,
    p.rules_applied,
    hours.is_revised,
    hours.published_versions,
    hours.publication_stage,
    hours.batch_id,
    hours.source_file,
    hours.line_number,
    hours.o3_1h_source,
    hours.o3_layout,
    hours.raw_batch_watermark
from hours
inner join published_rule as p
    on hours.station_code = p.station_code and hours.observed_at = p.observed_at
left join primary_pollutant as pp
    on hours.station_code = pp.station_code and hours.observed_at = pp.observed_at
{{ aqi_category_join('p') }}
