{{ config(**watermarked_incremental(['city', 'county', 'basis', 'events_excluded', 'period_type', 'period_start'], pre_hook="{{ reset_on_reference_change() }}")) }}
-- 县区时段统计: period statistics per county (县、市、区) exactly as for cities (week, 旬, month,
-- quarter, year, year to date; each basis; with and without exceptional-event days; HJ 663
-- means, percentiles, GB 3095 validity, good days, composite index): the macro
-- area_period_stats (macros/area_period_stats.sql) over int_county_day__by_basis.
{{ area_period_stats('int_county_day__by_basis', ['city', 'county']) }}
