-- The county scorecard's indicator component: per county and day, the year-to-date PM2.5 mean
-- (HJ 663: mean of the valid daily values, rounded half-even) and good days (AQI <= 100), and the
-- same figures for the same period a year earlier (Jan 1 to the same month-day), from the county
-- days (int_county_day__by_basis, official basis: each day under the rule set in force on its
-- date, exceptional-event days included, as the official figures are). The county's PM2.5 target
-- comes from the 年度目标 form in the scorecard.
with

days as (
    select
        city,
        county,
        obs_date,
        pm2_5_24h,
        is_good_day
    from {{ ref('int_county_day__by_basis') }}
    where basis = 'in_force'
),

running as (
    select
        county,
        obs_date,
        sum(pm2_5_24h) over w as pm2_5_sum,
        count(pm2_5_24h) over w as pm2_5_valid_days,
        count(*) filter (where is_good_day) over w as good_days_ytd
    from days
    window w as (partition by city, county, extract(year from obs_date) order by obs_date)
)

select
    this_year.county,
    this_year.obs_date as as_of_date,
    {{ round_half_even('this_year.pm2_5_sum / nullif(this_year.pm2_5_valid_days, 0)', 0) }}
        as pm2_5_ytd_mean,
    {{ round_half_even('last_year.pm2_5_sum / nullif(last_year.pm2_5_valid_days, 0)', 0) }}
        as pm2_5_ytd_mean_last_year,
    null::numeric as pm2_5_target,
    this_year.good_days_ytd::integer as good_days_ytd,
    last_year.good_days_ytd::integer as good_days_ytd_last_year,
    (
        'county_day_aqi: ' || this_year.pm2_5_valid_days || ' valid days this year, '
        || coalesce(last_year.pm2_5_valid_days, 0) || ' the same period last year'
    )::text as indicator_source
from running as this_year
left join running as last_year
    on
        this_year.county = last_year.county
        and last_year.obs_date = (this_year.obs_date - interval '1 year')::date
