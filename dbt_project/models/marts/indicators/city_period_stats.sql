{{ config(**watermarked_incremental(['city', 'basis', 'events_excluded', 'period_type', 'period_start'])) }}
-- 城市时段统计: period statistics per city (week, 旬, month, quarter, year, year to date), under
-- each basis (in_force = official; HJ633-2012 / HJ633-2026 = every day under one rule set), with
-- and without exceptional-event days. HJ 663: period means of daily values; percentiles P98
-- SO2/NO2, P95 PM10/PM2.5/CO (24h), P90 O3 MDA8, by k = 1 + (n-1)p with interpolation (exact
-- macro hj663_percentile); GB 3095 table 4 validity: a month needs >= 27 valid days (February
-- 25), a year >= 324; other periods have no rule and report their counts. Good-day ratio =
-- days with AQI <= 100 / days with a valid AQI. Composite index (综合指数, RULES.md 3): sum over
-- SO2, NO2, PM10, PM2.5 (means vs annual limits), CO (P95 vs 24h limit) and O3 (P90 MDA8 vs 8h
-- limit) of C_i/S_i, each rounded to 2 decimals half-even. Limits: the basis's standard
-- (in_force: the one in force at the period end; GB 3095-2026's transitional values until 2030).
-- The logic is the macro area_period_stats (macros/area_period_stats.sql), shared with counties.
{{ area_period_stats('int_city_day__by_basis', ['city']) }}
