{#-
  Period statistics of an area (city or county) from its days under each basis (a model of
  int_city_day__by_basis's shape; `keys` name the area). What it computes and the clauses:
  城市时段统计: period statistics per city (week, 旬, month, quarter, year, year to date), under
  each basis (in_force = official; HJ633-2012 / HJ633-2026 = every day under one rule set), with
  and without exceptional-event days. HJ 663: period means of daily values; percentiles P98
  SO2/NO2, P95 PM10/PM2.5/CO (24h), P90 O3 MDA8, by k = 1 + (n-1)p with interpolation (exact
  macro hj663_percentile); GB 3095 table 4 validity: a month needs >= 27 valid days (February
  25), a year >= 324; other periods have no rule and report their counts. Good-day ratio =
  days with AQI <= 100 / days with a valid AQI. Composite index (综合指数, RULES.md 3): sum over
  SO2, NO2, PM10, PM2.5 (means vs annual limits), CO (P95 vs 24h limit) and O3 (P90 MDA8 vs 8h
  limit) of C_i/S_i, each rounded to 2 decimals half-even. Limits: the basis's standard
  (in_force: the one in force at the period end; GB 3095-2026's transitional values until 2030).
-#}
{% macro area_period_stats(days_model, keys) -%}
with

days as (
    select * from {{ ref(days_model) }}
),

-- incremental: only the periods that contain a day changed since the last run, and every ytd
-- period (its end moves with the latest data)
{% if is_incremental() %}
    changed_days as (
        select distinct obs_date
        from days
        where {{ new_since_last_run() }} or {{ new_since_last_run('reference_batch_id') }}
    ),

    periods as (
        select p.*
        from {{ ref('int_calendar_periods') }} as p
        where
            p.period_type = 'ytd'
            or exists (
                select 1 from changed_days as c
                where c.obs_date between p.period_start and p.period_end
            )
    ),
{% else %}
    periods as (
        select * from {{ ref('int_calendar_periods') }}
    ),
{% endif %}

event_options as (
    select false as events_excluded
    union all
    select true as events_excluded
),

in_period as (
    select
        p.period_type,
        p.period_start,
        p.period_end,
        p.calendar_days,
        e.events_excluded,
        d.*
    from periods as p
    inner join days as d
        on d.obs_date between p.period_start and p.period_end
    cross join event_options as e
    where not (e.events_excluded and d.is_exceptional_event_day)
),

-- materialized: each step's expressions are computed once, not re-expanded downstream
aggregated as materialized (
    select
        {% for k in keys %}{{ k }},{% endfor %}
        basis,
        events_excluded,
        period_type,
        period_start,
        period_end,
        calendar_days,
        count(*) as days_with_data,
        count(*) filter (where is_exceptional_event_day) as exceptional_event_days,
        string_agg(distinct rule_set_in_force, ',' order by rule_set_in_force) as rule_sets_in_force,
        max(rule_set) as rule_set,
        {% for ind in ['so2_24h', 'no2_24h', 'co_24h', 'pm10_24h', 'pm2_5_24h', 'o3_mda8'] %}
            count({{ ind }}) as {{ ind }}_valid_days,
            avg({{ ind }}) as {{ ind }}_mean_exact,
            array_agg({{ ind }} order by {{ ind }}) filter (where {{ ind }} is not null) as {{ ind }}_sorted,
        {% endfor %}
        count(aqi) as aqi_valid_days,
        count(*) filter (where is_good_day) as good_days,
        count(*) filter (where is_heavy_pollution_day) as heavy_pollution_days,
        max(raw_batch_watermark) as raw_batch_watermark,
        max(reference_batch_id) as reference_batch_id
    from in_period
    group by {% for k in keys %}{{ k }}, {% endfor %}basis, events_excluded, period_type, period_start, period_end, calendar_days
),

limit_phases as (
    select
        standard,
        phase,
        effective_from,
        effective_to,
        max(limit_value) filter (where pollutant = 'so2' and averaging = 'annual') as so2_annual,
        max(limit_value) filter (where pollutant = 'no2' and averaging = 'annual') as no2_annual,
        max(limit_value) filter (where pollutant = 'pm10' and averaging = 'annual') as pm10_annual,
        max(limit_value) filter (where pollutant = 'pm2_5' and averaging = 'annual') as pm2_5_annual,
        max(limit_value) filter (where pollutant = 'co' and averaging = '24h') as co_24h,
        max(limit_value) filter (where pollutant = 'o3' and averaging = '8h') as o3_8h
    from {{ ref('air_quality_limits') }}
    group by standard, phase, effective_from, effective_to
),

percentiles as materialized (
    select
        a.*,
        {{ hj663_percentile('a.so2_24h_sorted', 0.98) }} as so2_p98_exact,
        {{ hj663_percentile('a.no2_24h_sorted', 0.98) }} as no2_p98_exact,
        {{ hj663_percentile('a.pm10_24h_sorted', 0.95) }} as pm10_p95_exact,
        {{ hj663_percentile('a.pm2_5_24h_sorted', 0.95) }} as pm2_5_p95_exact,
        {{ hj663_percentile('a.co_24h_sorted', 0.95) }} as co_p95_exact,
        {{ hj663_percentile('a.o3_mda8_sorted', 0.90) }} as o3_mda8_p90_exact
    from aggregated as a
),

statistics as materialized (
    select
        a.*,
        {{ round_half_even('a.so2_24h_mean_exact', 0) }} as so2_mean,
        {{ round_half_even('a.no2_24h_mean_exact', 0) }} as no2_mean,
        {{ round_half_even('a.pm10_24h_mean_exact', 0) }} as pm10_mean,
        {{ round_half_even('a.pm2_5_24h_mean_exact', 0) }} as pm2_5_mean,
        {{ round_half_even('a.co_24h_mean_exact', 1) }} as co_mean,
        {{ round_half_even('a.so2_p98_exact', 0) }} as so2_p98,
        {{ round_half_even('a.no2_p98_exact', 0) }} as no2_p98,
        {{ round_half_even('a.pm10_p95_exact', 0) }} as pm10_p95,
        {{ round_half_even('a.pm2_5_p95_exact', 0) }} as pm2_5_p95,
        {{ round_half_even('a.co_p95_exact', 1) }} as co_p95,
        {{ round_half_even('a.o3_mda8_p90_exact', 0) }} as o3_mda8_p90,
        case
            when a.basis = 'in_force'
                then (
                    select rs.limits_standard from {{ ref('aqi_rule_sets') }} as rs
                    where a.period_end between rs.effective_from and rs.effective_to
                )
            else (
                select rs.limits_standard from {{ ref('aqi_rule_sets') }} as rs
                where rs.rule_set = a.basis
            )
        end as limits_standard
    from percentiles as a
),

with_limits as materialized (
    select
        s.*,
        lp.phase as limits_phase,
        lp.so2_annual,
        lp.no2_annual,
        lp.pm10_annual,
        lp.pm2_5_annual,
        lp.co_24h as co_24h_limit,
        lp.o3_8h as o3_8h_limit
    from statistics as s
    left join lateral (
        select l.*
        from limit_phases as l
        where l.standard = s.limits_standard
        order by (s.period_end between l.effective_from and l.effective_to) desc, l.effective_from asc
        limit 1
    ) as lp on true
),

composite as materialized (
    select
        *,
        {{ round_half_even('so2_mean / so2_annual', 2) }} as ci_so2,
        {{ round_half_even('no2_mean / no2_annual', 2) }} as ci_no2,
        {{ round_half_even('pm10_mean / pm10_annual', 2) }} as ci_pm10,
        {{ round_half_even('pm2_5_mean / pm2_5_annual', 2) }} as ci_pm2_5,
        {{ round_half_even('co_p95 / co_24h_limit', 2) }} as ci_co,
        {{ round_half_even('o3_mda8_p90 / o3_8h_limit', 2) }} as ci_o3
    from with_limits
)

select
    {% for k in keys %}{{ k }},{% endfor %}
    basis,
    events_excluded,
    period_type,
    period_start,
    period_end,
    calendar_days,
    days_with_data,
    exceptional_event_days,
    rule_sets_in_force,
    rule_sets_in_force like '%,%' as spans_rule_change,
    limits_standard,
    limits_phase,
    so2_24h_valid_days as so2_valid_days,
    no2_24h_valid_days as no2_valid_days,
    co_24h_valid_days as co_valid_days,
    pm10_24h_valid_days as pm10_valid_days,
    pm2_5_24h_valid_days as pm2_5_valid_days,
    o3_mda8_valid_days,
    case
        when period_type = 'month' and extract(month from period_start) = 2
            then pm2_5_24h_valid_days >= {{ var('min_valid_days_february') }}
        when period_type = 'month' then pm2_5_24h_valid_days >= {{ var('min_valid_days_month') }}
        when period_type = 'year' then pm2_5_24h_valid_days >= {{ var('min_valid_days_year') }}
    end as pm2_5_mean_valid,
    so2_mean,
    no2_mean,
    pm10_mean,
    pm2_5_mean,
    co_mean,
    pm2_5_24h_mean_exact as pm2_5_mean_exact,
    so2_p98,
    no2_p98,
    pm10_p95,
    pm2_5_p95,
    co_p95,
    o3_mda8_p90,
    aqi_valid_days,
    good_days,
    case when aqi_valid_days > 0 then good_days::numeric / aqi_valid_days end as good_day_ratio,
    case
        when aqi_valid_days > 0 then {{ round_half_even('100.0 * good_days / aqi_valid_days', 1) }}
    end as good_day_pct,
    heavy_pollution_days,
    ci_so2,
    ci_no2,
    ci_pm10,
    ci_pm2_5,
    ci_co,
    ci_o3,
    ci_so2 + ci_no2 + ci_pm10 + ci_pm2_5 + ci_co + ci_o3 as composite_index,
    raw_batch_watermark,
    reference_batch_id
from composite
{%- endmacro %}
