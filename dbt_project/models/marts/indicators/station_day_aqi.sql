{{ config(**watermarked_incremental(['station_code', 'obs_date'])) }}
-- 站点日AQI: daily AQI per station and natural day,
-- with validity counts, IAQI per indicator, primary pollutant, category and good-day flag.
-- Official figures: each day under the rule set in force on its date (city_day_aqi_by_rule_set
-- has every day under both). Logic and clauses: intermediate/int_day__aqi.sql and int_station_day__concentration.sql;
-- the day-AQI columns and category: macros/day_aqi.sql (one definition for station, city, county).
with

day_aqi as (
    {{ day_aqi_in_force('station') }}
),

concentration as (
    select * from {{ ref('int_station_day__concentration') }}
)

select
    d.entity_code as station_code,
    d.entity_name as station_name,
    d.city,
    d.obs_date,
    d.rule_set,
    c.hours_present,
    c.pm2_5_valid_hours,
    c.pm10_valid_hours,
    c.so2_valid_hours,
    c.no2_valid_hours,
    c.co_valid_hours,
    c.o3_valid_hours,
    c.o3_8h_valid_windows,
    {{ day_aqi_columns('d', 'cat') }}
from day_aqi as d
inner join concentration as c
    on d.entity_code = c.station_code and d.obs_date = c.obs_date
{{ aqi_category_join('d', 'cat') }}
