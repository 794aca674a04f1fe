-- Seam for the county scorecard's indicator component: one row per county and date with the
-- year-to-date PM2.5 mean and good days, the same period a year earlier, and the county's PM2.5
-- target. County-level day and period statistics (marts.county_day_aqi / county_period_stats)
-- are being built elsewhere; until this model is pointed at them it returns no rows, and the
-- scorecard shows the indicator component as null with indicator_null_reason (the ranking is
-- computed from the other components). Columns are the contract the scorecard relies on.
select
    null::text as county,
    null::date as as_of_date,
    null::numeric as pm2_5_ytd_mean,
    null::numeric as pm2_5_ytd_mean_last_year,
    null::numeric as pm2_5_target,
    null::integer as good_days_ytd,
    null::integer as good_days_ytd_last_year,
    null::text as indicator_source
where false
