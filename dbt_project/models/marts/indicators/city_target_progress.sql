-- 目标进度: for each city with annual targets (city profile, later the 年度目标 form), day by day
-- through the year: year-to-date PM2.5 mean and good/heavy days (official basis, all days), and
-- what the rest of the year allows: the PM2.5 mean the remaining days may not exceed to meet the
-- annual mean target: (S + r X) / (v + r) <= T  =>  X <= (T (v + r) - S) / r, with S the sum and
-- v the count of valid days so far and r the days left; good days still needed; heavy-pollution
-- days left. Assumes every remaining day yields a valid value (stated, not hidden).
with

targets as (
    select
        city,
        target_year,
        max(target_value) filter (where indicator = 'pm2_5_annual_mean') as pm2_5_target,
        max(target_value) filter (where indicator = 'good_days') as good_days_target,
        max(target_value) filter (where indicator = 'heavy_pollution_days') as heavy_days_max,
        max(source) as target_source
    from {{ ref('stg_reference__annual_target') }}
    group by city, target_year
),

days as (
    select d.*
    from {{ ref('int_city_day__by_basis') }} as d
    where d.basis = 'in_force'
),

running as (
    select
        d.city,
        d.obs_date as as_of_date,
        t.target_year,
        t.pm2_5_target,
        t.good_days_target,
        t.heavy_days_max,
        t.target_source,
        (make_date(t.target_year + 1, 1, 1) - make_date(t.target_year, 1, 1)) as days_in_year,
        (make_date(t.target_year + 1, 1, 1) - d.obs_date - 1) as days_left,
        count(d.pm2_5_24h) over w as pm2_5_valid_days,
        sum(d.pm2_5_24h) over w as pm2_5_sum,
        count(*) filter (where d.is_good_day) over w as good_days,
        count(*) filter (where d.is_heavy_pollution_day) over w as heavy_pollution_days
    from days as d
    inner join targets as t
        on d.city = t.city and extract(year from d.obs_date) = t.target_year
    window w as (partition by d.city, t.target_year order by d.obs_date)
)

select
    city,
    target_year,
    as_of_date,
    days_in_year,
    days_left,
    pm2_5_target,
    pm2_5_valid_days,
    {{ round_half_even('pm2_5_sum / nullif(pm2_5_valid_days, 0)', 0) }} as pm2_5_ytd_mean,
    case
        when days_left > 0
            then {{ round_half_even('(pm2_5_target * (pm2_5_valid_days + days_left) - pm2_5_sum) / days_left', 1) }}
    end as pm2_5_allowed_mean_rest_of_year,
    good_days_target,
    good_days,
    greatest(good_days_target - good_days, 0) as good_days_still_needed,
    good_days_target - good_days <= days_left as good_days_target_reachable,
    heavy_days_max,
    heavy_pollution_days,
    heavy_days_max - heavy_pollution_days as heavy_pollution_days_left,
    target_source
from running
