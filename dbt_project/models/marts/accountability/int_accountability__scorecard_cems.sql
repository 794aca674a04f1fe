{{ config(materialized='table', schema='intermediate') }}
-- The compliance figures of marts.county_scorecard: per county scorecard row (scorecard year,
-- date, county; the rows of int_accountability__scorecard_fact) the CEMS outlet hours of the
-- county's enterprises from 1 January of the scorecard year to the date (decisions, README
-- "Accountability marts"): valid hours, exceedance hours and the outlets (devices) with any hour.
-- From the outlet-days (int_accountability__cems_outlet_day), not the hours: a row per scorecard
-- row, whatever the hours behind it.
-- - hours: the county-days' sums over [1 January of the year, date];
-- - outlets: a device has an hour in [1 January of year Y, date] exactly when its first day of
--   some calendar year >= Y is on or before the date, so the devices' first day per calendar year
--   are counted, not their days.
-- Lineage (the same window over the same outlet-days, expanded to hours and packets on demand):
-- lineage.county_scorecard_source.
with

scorecard_rows as (
    select distinct
        scorecard_year,
        as_of_date,
        entity as county
    from {{ ref('int_accountability__scorecard_fact') }}
    where scorecard = 'county_scorecard'
),

outlet_day as (
    select * from {{ ref('int_accountability__cems_outlet_day') }}
),

county_day as (
    select
        county,
        obs_date,
        sum(valid_hours) as valid_hours,
        sum(exceedance_hours) as exceedance_hours
    from outlet_day
    group by county, obs_date
),

device_year as (
    select
        county,
        device_mn,
        extract(year from obs_date)::integer as obs_year,
        min(obs_date) as first_day
    from outlet_day
    group by county, device_mn, extract(year from obs_date)
),

hours as (
    select
        s.scorecard_year,
        s.as_of_date,
        s.county,
        coalesce(sum(d.valid_hours), 0) as valid_hours,
        coalesce(sum(d.exceedance_hours), 0) as exceedance_hours
    from scorecard_rows as s
    left join county_day as d
        on {{ scorecard_cems_window('s', 'd') }}
    group by s.scorecard_year, s.as_of_date, s.county
),

outlets as (
    select
        s.scorecard_year,
        s.as_of_date,
        s.county,
        count(distinct y.device_mn) as outlets
    from scorecard_rows as s
    left join device_year as y
        on
            s.county = y.county
            and s.scorecard_year <= y.obs_year
            and s.as_of_date >= y.first_day
    group by s.scorecard_year, s.as_of_date, s.county
)

select
    h.scorecard_year::integer as scorecard_year,
    h.as_of_date::date as as_of_date,
    h.county::text as county,
    o.outlets::integer as cems_outlets,
    h.valid_hours::integer as cems_valid_hours,
    h.exceedance_hours::integer as cems_exceedance_hours
from hours as h
inner join outlets as o
    on
        h.scorecard_year = o.scorecard_year
        and h.as_of_date = o.as_of_date
        and h.county = o.county
