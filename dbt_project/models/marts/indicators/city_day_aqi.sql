{{
    config(
        materialized='incremental',
        unique_key=['city', 'obs_date'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['city', 'obs_date'], 'unique': True},
            {'columns': ['raw_batch_watermark']}
        ]
    )
}}
-- 城市日AQI: daily AQI per city and natural day (mean of its stations' valid daily values),
-- with validity counts, IAQI per indicator, primary pollutant, category and good-day flag.
-- Official figures: each day under the rule set in force on its date (city_day_aqi_by_rule_set
-- has every day under both). Logic and clauses: intermediate/int_day__aqi.sql and int_city_day__concentration.sql.
with

day_aqi as (
    select * from {{ ref('int_day__aqi') }}
    where scope = 'city' and is_rule_in_force and {{ new_since_last_run() }}
),

concentration as (
    select * from {{ ref('int_city_day__concentration') }}
)

select
    d.city,
    c.stations_reporting,
    c.pm2_5_24h_valid_stations,
    c.pm10_24h_valid_stations,
    d.obs_date,
    d.rule_set,
    d.so2_24h,
    d.no2_24h,
    d.co_24h,
    d.pm10_24h,
    d.pm2_5_24h,
    d.o3_mda8,
    d.o3_1h_max,
    d.iaqi_so2_24h,
    d.iaqi_no2_24h,
    d.iaqi_co_24h,
    d.iaqi_pm10,
    d.iaqi_pm2_5,
    d.iaqi_o3_8h,
    d.iaqi_o3_1h,
    d.aqi,
    d.aqi_available,
    d.aqi_status,
    d.indicators_missing,
    d.above_top_breakpoint,
    d.primary_pollutant,
    cat.level as aqi_level,
    cat.category,
    cat.category_en,
    cat.colour,
    cat.rgb,
    d.aqi <= 100 as is_good_day,
    d.aqi > 200 as is_heavy_pollution_day,
    d.raw_batch_watermark
from day_aqi as d
inner join concentration as c
    on d.entity_code = c.city and d.obs_date = c.obs_date
left join {{ ref('aqi_categories') }} as cat
    on d.rule_set = cat.rule_set and d.aqi between cat.aqi_lo and cat.aqi_hi
