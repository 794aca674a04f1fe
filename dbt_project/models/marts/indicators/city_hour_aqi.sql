{{ config(**watermarked_incremental(['city', 'observed_at'])) }}
-- 城市小时实时AQI: real-time AQI per city-hour. The city's 1h concentration of each pollutant is
-- the mean over its stations reporting it that hour (HJ 663 city scale), rounded per GB/T 8170
-- (integers, CO 1 decimal), then scored as the station-hours are (HJ 633 formula (1), PM 1h on the
-- 24h breakpoints, SO2 1h > 800 per rule set, 2026 s5.3.1 when a pollutant has no station).
with

affected_hours as (
    select distinct observed_at
    from {{ ref('int_station_hour__current') }}
    where {{ new_since_last_run() }}
),

hours as (
    select h.*
    from {{ ref('int_station_hour__current') }} as h
    inner join affected_hours as a on h.observed_at = a.observed_at
    where h.network = 'national'  -- HJ 663 city scale: national-control stations only
),

city_hours as (
    select
        city,
        observed_at,
        max(obs_date) as obs_date,
        max(rule_set) as rule_set,
        max(raw_batch_watermark) as raw_batch_watermark,
        count(*) as stations_reporting,
        {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
            count({{ pol }}_1h) as {{ pol }}_stations,
            {{ round_half_even('avg(' ~ pol ~ '_1h)', 1 if pol == 'co' else 0) }} as {{ pol }}_1h,
            bool_and({{ pol }}_status = 'not_monitored') as {{ pol }}_not_monitored,
        {% endfor %}
        {{ round_half_even('avg(so2_24h)', 0) }} as so2_24h
    from hours
    group by city, observed_at
),

long as (
    {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
        select
            city,
            observed_at,
            rule_set,
            '{{ pol }}' as pollutant,
            {{ "'24h'" if pol in ['pm10', 'pm2_5'] else "'1h'" }} as averaging,
            {{ pol }}_1h as conc,
            {{ pol }}_not_monitored as not_monitored
        from city_hours
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

so2_daily as (
    select
        city,
        observed_at,
        rule_set,
        'so2' as pollutant,
        '24h' as averaging,
        so2_24h as conc
    from city_hours
),

scored_raw as (
    {{ score_iaqi('long') }}
),

scored_so2_24h as (
    {{ score_iaqi('so2_daily') }}
),

scored as (
    select
        s.city,
        s.observed_at,
        s.pollutant,
        s.conc,
        s.not_monitored,
        {{ so2_1h_iaqi('s.pollutant', 's.conc', 's.rule_set', 's.iaqi', 'd.iaqi') }} as iaqi,
        s.above_top_breakpoint and s.pollutant <> 'so2' as above_top_breakpoint
    from scored_raw as s
    left join scored_so2_24h as d
        on s.city = d.city and s.observed_at = d.observed_at and s.pollutant = 'so2'
),

per_hour as (
    select
        city,
        observed_at,
        {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
            max(iaqi) filter (where pollutant = '{{ pol }}') as iaqi_{{ pol }},
        {% endfor %}
        max(iaqi) as aqi_available,
        count(*) filter (where conc is null and not coalesce(not_monitored, false)) as pollutants_missing,
        bool_or(above_top_breakpoint) as above_top_breakpoint
    from scored
    group by city, observed_at
),

primary_pollutant as (
    select
        s.city,
        s.observed_at,
        string_agg(ind.primary_label, ',' order by ind.display_order) as primary_pollutant
    from scored as s
    inner join per_hour as p on s.city = p.city and s.observed_at = p.observed_at
    inner join {{ ref('aqi_indicators') }} as ind
        on
            s.pollutant = ind.pollutant
            and ind.indicator = case
                when s.pollutant in ('pm10', 'pm2_5') then s.pollutant else s.pollutant || '_1h'
            end
    where p.aqi_available > 50 and s.iaqi = p.aqi_available
    group by s.city, s.observed_at
),

published as (
    select
        p.*,
        c.rule_set,
        c.obs_date,
        c.stations_reporting,
        c.raw_batch_watermark,
        {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
            c.{{ pol }}_1h,
            c.{{ pol }}_stations,
        {% endfor %}
        {{ published_aqi('c.rule_set', 'p.pollutants_missing', 'p.aqi_available') }} as aqi
    from per_hour as p
    inner join city_hours as c on p.city = c.city and p.observed_at = c.observed_at
)

select
    p.city,
    p.observed_at,
    p.obs_date,
    p.rule_set,
    p.stations_reporting,
    {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
        p.{{ pol }}_1h,
        p.{{ pol }}_stations,
        p.iaqi_{{ pol }},
    {% endfor %}
    p.aqi,
    p.aqi_available,
    p.pollutants_missing,
    p.above_top_breakpoint,
    case when p.aqi is not null then pp.primary_pollutant end as primary_pollutant,
    cat.level as aqi_level,
    cat.category,
    cat.category_en,
    cat.colour,
    p.raw_batch_watermark
from published as p
left join primary_pollutant as pp on p.city = pp.city and p.observed_at = pp.observed_at
{{ aqi_category_join('p') }}
