{{ config(**watermarked_incremental(['station_code', 'observed_at', 'pollutant'])) }}
-- Real-time (hourly) IAQI per station-hour and pollutant, long format.
-- HJ 633-2026 s4.2.3: the six 1h means; s4.2.2: concentrations first rounded per GB/T 8170
-- (integers; CO 1 decimal). A 1h PM10/PM2.5 is scored on the 24h breakpoints (s4.2.4, and the
-- national platform under HJ 633-2012 likewise). SO2 1h above 800: 2012 uses the SO2 24h IAQI
-- (table 1 note 2), 2026 scores 200 (table 3 note b).
with

hours as (
    select * from {{ ref('int_station_hour__current') }}
    where {{ new_since_last_run() }}
),

long as (
    {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
        select
            station_code,
            observed_at,
            rule_set,
            raw_batch_watermark,
            '{{ pol }}' as pollutant,
            {{ "'24h'" if pol in ['pm10', 'pm2_5'] else "'1h'" }} as averaging,
            {{ pol }}_status as status,
            {{ pol }}_1h as published_conc,
            case
                when rule_set = 'HJ633-2012' then {{ pol }}_1h
                else {{ round_half_even(pol ~ '_1h', 1 if pol == 'co' else 0) }}
            end as conc
        from hours
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

so2_24h as (
    select
        station_code,
        observed_at,
        rule_set,
        'so2' as pollutant,
        '24h' as averaging,
        so2_24h as conc
    from hours
),

scored as (
    {{ score_iaqi('long') }}
),

scored_so2_24h as (
    {{ score_iaqi('so2_24h') }}
)

select
    scored.station_code,
    scored.observed_at,
    scored.rule_set,
    scored.raw_batch_watermark,
    scored.pollutant,
    scored.averaging,
    scored.status,
    scored.published_conc,
    scored.conc,
    {{ so2_1h_iaqi('scored.pollutant', 'scored.conc', 'scored.rule_set', 'scored.iaqi', 's24.iaqi') }} as iaqi,
    scored.above_top_breakpoint and scored.pollutant <> 'so2' as above_top_breakpoint,
    case
        when scored.pollutant = 'so2' and scored.conc > 800 and scored.rule_set = 'HJ633-2026'
            then 'HJ 633-2026 table 3 note b: SO2 1h > 800, IAQI 200'
        when scored.pollutant = 'so2' and scored.conc > 800
            then 'HJ 633-2012 table 1 note 2: SO2 1h > 800, SO2 24h IAQI used'
        when scored.rule_set = 'HJ633-2026' then 'HJ 633-2026 s4.2.3-4.2.6, table 3'
        else 'HJ 633-2012 s5, table 1'
    end as rule_applied
from scored
left join scored_so2_24h as s24
    on
        scored.station_code = s24.station_code
        and scored.observed_at = s24.observed_at
        and scored.pollutant = 'so2'
