-- 县（市、区）综合考评: per county and scorecard date (each Sunday of the key-task ledger's
-- weeks), four components on a 0-100 scale (higher is better), the raw figures behind each, a
-- composite and the rank. Components (decisions, README "Accountability marts"):
-- - indicators: share of three checks met, year to date (int_accountability__county_indicator):
--   PM2.5 below last year, PM2.5 within the county target, good days above last year;
-- - compliance: CEMS outlet hours of the county's enterprises this year to the date
--   (marts.cems_outlet_hour): 100 * (valid hours - exceedance hours) / valid hours;
-- - tasks: key tasks led by the county government or by every county (各县（市、区）政府)
--   on the date (marts.key_task_status): 100 * (done + on schedule) / tasks;
-- - rectification: findings in the county this year whose deadline passed before the date
--   (marts.inspection_finding): 100 * rectified on time / findings due.
-- A component without data is null with its *_null_reason; the composite is the weighted mean
-- of the components present (weights: vars scorecard_weight_*), components_used lists them;
-- counties are ranked by composite (highest first, ties share a rank).
-- Lineage: marts.accountability_source_record (task, finding and CEMS rows behind each row).
{% set weights = {
    'indicators': var('scorecard_weight_indicators'),
    'compliance': var('scorecard_weight_compliance'),
    'tasks': var('scorecard_weight_tasks'),
    'rectification': var('scorecard_weight_rectification'),
} %}
{% set weighted_sum = [] %}
{% set weight_sum = [] %}
{% for component, weight in weights.items() %}
    {% do weighted_sum.append('coalesce(' ~ weight ~ ' * s.' ~ component ~ '_score, 0)') %}
    {% do weight_sum.append('case when s.' ~ component ~ '_score is not null then ' ~ weight ~ ' else 0 end') %}
{% endfor %}
{% set weighted_sum = weighted_sum | join(' + ') %}
{% set weight_sum = weight_sum | join(' + ') %}
with

dates as (
    select distinct
        task_year,
        as_of_date
    from {{ ref('key_task_status') }}
    where extract(isodow from as_of_date) = 7
),

grid as (
    select
        d.task_year,
        d.as_of_date,
        c.county
    from dates as d
    cross join {{ ref('int_accountability__county') }} as c
),

tasks as (
    select
        g.as_of_date,
        g.county,
        count(t.task_no) as tasks,
        count(*) filter (where t.derived_status = 'done') as tasks_done,
        count(*) filter (where t.derived_status = 'on_schedule') as tasks_on_schedule,
        count(*) filter (where t.derived_status = 'behind') as tasks_behind,
        count(*) filter (where t.derived_status = 'overdue') as tasks_overdue
    from grid as g
    inner join {{ ref('key_task_status') }} as t
        on
            g.as_of_date = t.as_of_date
            and (g.county = t.lead_county or t.lead_county = '各县（市、区）')
    group by g.as_of_date, g.county
),

findings as (
    select
        g.as_of_date,
        g.county,
        count(*) as findings_to_date,
        count(*) filter (where f.rectification_deadline < g.as_of_date) as findings_due,
        count(*) filter (where f.rectification_deadline < g.as_of_date and f.rectified_on_time)
            as findings_rectified_on_time,
        count(*) filter (
            where f.rectification_deadline < g.as_of_date
            and not (f.is_rectified and f.rectified_date <= g.as_of_date)
        ) as findings_overdue_open,
        count(*) filter (where f.is_repeat) as repeat_findings
    from grid as g
    inner join {{ ref('inspection_finding') }} as f
        on
            g.county = f.county
            and g.as_of_date >= f.inspection_date
            and f.inspection_date >= make_date(g.task_year, 1, 1)
    group by g.as_of_date, g.county
),

cems as (
    select
        g.as_of_date,
        g.county,
        count(*) filter (where h.is_valid) as cems_valid_hours,
        count(*) filter (where h.is_exceedance) as cems_exceedance_hours,
        count(distinct h.device_mn) as cems_outlets
    from grid as g
    inner join {{ ref('cems_outlet_hour') }} as h
        on
            g.county = h.county
            and h.obs_date between make_date(g.task_year, 1, 1) and g.as_of_date
    group by g.as_of_date, g.county
),

targets as (
    select
        target_year,
        area as county,
        max(target_value) filter (where indicator = 'pm2_5_annual_mean') as pm2_5_target
    from {{ ref('stg_forms__annual_target') }}
    group by target_year, area
),

scored as (
    select
        g.task_year,
        g.as_of_date,
        g.county,
        i.pm2_5_ytd_mean,
        i.pm2_5_ytd_mean_last_year,
        coalesce(i.pm2_5_target, tg.pm2_5_target) as pm2_5_target,
        i.good_days_ytd,
        i.good_days_ytd_last_year,
        case when i.county is not null then {{ round_half_even(
            '100.0 * ((i.pm2_5_ytd_mean < i.pm2_5_ytd_mean_last_year)::int'
            ~ ' + (i.pm2_5_ytd_mean <= coalesce(i.pm2_5_target, tg.pm2_5_target))::int'
            ~ ' + (i.good_days_ytd > i.good_days_ytd_last_year)::int) / 3', 1) }} end as indicators_score,
        coalesce(c.cems_outlets, 0) as cems_outlets,
        coalesce(c.cems_valid_hours, 0) as cems_valid_hours,
        coalesce(c.cems_exceedance_hours, 0) as cems_exceedance_hours,
        case when c.cems_valid_hours > 0 then {{ round_half_even(
            '100.0 * (c.cems_valid_hours - c.cems_exceedance_hours) / c.cems_valid_hours', 1) }} end
            as compliance_score,
        coalesce(t.tasks, 0) as tasks,
        coalesce(t.tasks_done, 0) as tasks_done,
        coalesce(t.tasks_on_schedule, 0) as tasks_on_schedule,
        coalesce(t.tasks_behind, 0) as tasks_behind,
        coalesce(t.tasks_overdue, 0) as tasks_overdue,
        case when t.tasks > 0 then {{ round_half_even(
            '100.0 * (t.tasks_done + t.tasks_on_schedule) / t.tasks', 1) }} end as tasks_score,
        coalesce(f.findings_to_date, 0) as findings_to_date,
        coalesce(f.findings_due, 0) as findings_due,
        coalesce(f.findings_rectified_on_time, 0) as findings_rectified_on_time,
        coalesce(f.findings_overdue_open, 0) as findings_overdue_open,
        coalesce(f.repeat_findings, 0) as repeat_findings,
        case when f.findings_due > 0 then {{ round_half_even(
            '100.0 * f.findings_rectified_on_time / f.findings_due', 1) }} end as rectification_score,
        i.indicator_source
    from grid as g
    -- the county's latest day with figures up to the scorecard date (same year)
    left join lateral (
        select ci.*
        from {{ ref('int_accountability__county_indicator') }} as ci
        where
            ci.county = g.county
            and ci.as_of_date between make_date(g.task_year, 1, 1) and g.as_of_date
        order by ci.as_of_date desc
        limit 1
    ) as i on true
    left join targets as tg on g.county = tg.county and g.task_year = tg.target_year
    left join tasks as t on g.county = t.county and g.as_of_date = t.as_of_date
    left join findings as f on g.county = f.county and g.as_of_date = f.as_of_date
    left join cems as c on g.county = c.county and g.as_of_date = c.as_of_date
),

composite as (
    select
        s.*,
        {{ round_half_even('(' ~ weighted_sum ~ ') / nullif(' ~ weight_sum ~ ', 0)', 1) }} as composite_score
    from scored as s
)

select
    task_year::integer as scorecard_year,
    as_of_date::date as as_of_date,
    county::text as county,
    composite_score::numeric as composite_score,
    (case when composite_score is not null then rank() over ranking end)::integer as county_rank,
    (count(composite_score) over (partition by as_of_date))::integer as counties_ranked,
    concat_ws(
        ', ',
        case when indicators_score is not null then 'indicators' end,
        case when compliance_score is not null then 'compliance' end,
        case when tasks_score is not null then 'tasks' end,
        case when rectification_score is not null then 'rectification' end
    )::text as components_used,
    indicators_score::numeric as indicators_score,
    (case
        when indicators_score is null then
            'no county PM2.5 / good-day figures for this date and the same period last year (no station '
            || 'of the county in the reference list, or no valid data): int_accountability__county_indicator'
    end)::text as indicators_null_reason,
    pm2_5_ytd_mean::numeric as pm2_5_ytd_mean,
    pm2_5_ytd_mean_last_year::numeric as pm2_5_ytd_mean_last_year,
    pm2_5_target::numeric as pm2_5_target,
    good_days_ytd::integer as good_days_ytd,
    good_days_ytd_last_year::integer as good_days_ytd_last_year,
    compliance_score::numeric as compliance_score,
    (case
        when compliance_score is null then
            'no valid CEMS outlet hour of the county''s enterprises this year'
    end)::text as compliance_null_reason,
    cems_outlets::integer as cems_outlets,
    cems_valid_hours::integer as cems_valid_hours,
    cems_exceedance_hours::integer as cems_exceedance_hours,
    tasks_score::numeric as tasks_score,
    (case when tasks_score is null then 'no key task led by the county' end)::text as tasks_null_reason,
    tasks::integer as tasks,
    tasks_done::integer as tasks_done,
    tasks_on_schedule::integer as tasks_on_schedule,
    tasks_behind::integer as tasks_behind,
    tasks_overdue::integer as tasks_overdue,
    rectification_score::numeric as rectification_score,
    (case
        when rectification_score is null then
            'no inspection finding of the county with a deadline before the date'
    end)::text as rectification_null_reason,
    findings_to_date::integer as findings_to_date,
    findings_due::integer as findings_due,
    findings_rectified_on_time::integer as findings_rectified_on_time,
    findings_overdue_open::integer as findings_overdue_open,
    repeat_findings::integer as repeat_findings,
    indicator_source::text as indicator_source,
    concat_ws('|', as_of_date, county)::text as lineage_key
from composite
window ranking as (partition by as_of_date order by composite_score desc nulls last)
