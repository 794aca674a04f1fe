{{ config(**watermarked_incremental(['city', 'obs_date'])) }}
-- 城市日AQI: daily AQI per city and natural day (mean of its stations' valid daily values),
-- with validity counts, IAQI per indicator, primary pollutant, category and good-day flag.
-- Official figures: each day under the rule set in force on its date (city_day_aqi_by_rule_set
-- has every day under both). Logic and clauses: intermediate/int_day__aqi.sql and int_city_day__concentration.sql;
-- the day-AQI columns and category: macros/day_aqi.sql (one definition for station, city, county).
with

day_aqi as (
    {{ day_aqi_in_force('city') }}
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
    {{ day_aqi_columns('d', 'cat') }}
from day_aqi as d
inner join concentration as c
    on d.entity_code = c.city and d.obs_date = c.obs_date
{{ aqi_category_join('d', 'cat') }}
