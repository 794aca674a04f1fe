-- 一厂一策 verification, long form: one row per warning period (seed heavy_pollution_warnings),
-- production line of the emergency list and pollutant (a34013, a21026, a21002).
-- Required cut: the line's plan measure for the warning's level ("限产20%" -> 20, "停产" -> 100,
-- "自主减排" -> 0), else the grade default (seed emergency_grade_cuts; RULES.md s5: >= 10/20/30 %).
-- Emission of the line in an hour = sum of kg/h of its registered CEMS outlets, counted only when
-- every outlet of the line has a valid hour with a flow (int_hj212__hourly; HJ 212-2017
-- Appendix D). Baseline: the valid line-hours of the var('emergency_baseline_days') days before
-- the warning's start that lie in no warning. Mean kg/h in the period against the baseline's:
-- actual cut = (1 - period mean / baseline mean) x 100.
{% set baseline_days = var('emergency_baseline_days', 7) %}
with

warnings as (
    select
        *,
        (extract(epoch from end_local - start_local) / 3600)::integer as period_hours,
        start_local - interval '{{ baseline_days }} days' as baseline_start_local
    from {{ ref('heavy_pollution_warnings') }}
),

outlets as (
    select * from {{ ref('int_compliance__emergency_outlet') }}
),

line_list as (
    select
        list_year,
        credit_code,
        production_line,
        min(enterprise_name) as enterprise_name,
        min(county) as county,
        min(industry) as industry,
        min(performance_grade) as performance_grade,
        min(yellow_measures) as yellow_measures,
        min(orange_measures) as orange_measures,
        min(red_measures) as red_measures,
        count(*) as listed_outlets,
        count(distinct device_mn) as line_devices,
        array_agg(distinct device_mn order by device_mn) filter (where device_mn is not null) as device_mns,
        min(batch_id) as batch_id,
        min(source_file) as source_file,
        min(sheet) as sheet,
        min(source_row) as source_row
    from outlets
    group by list_year, credit_code, production_line
),

line_warning as (
    select
        w.warning_id,
        w.warning_level,
        w.level_label,
        w.start_local,
        w.end_local,
        w.period_hours,
        w.baseline_start_local,
        l.*,
        case w.warning_level
            when 'yellow' then l.yellow_measures
            when 'orange' then l.orange_measures
            when 'red' then l.red_measures
        end as plan_measure
    from warnings as w
    inner join line_list as l on extract(year from w.start_local) = l.list_year
),

with_cut as (
    select
        lw.*,
        case
            when lw.plan_measure ~ '停产|停止生产' then 100
            when lw.plan_measure ~ '[0-9.]+\s*[%％]'
                then substring(lw.plan_measure from '([0-9.]+)\s*[%％]')::numeric
            when lw.plan_measure ~ '自主减排' then 0
        end as plan_cut_pct,
        g.required_cut_pct as grade_cut_pct
    from line_warning as lw
    left join {{ ref('emergency_grade_cuts') }} as g
        on lw.performance_grade = g.performance_grade and lw.warning_level = g.warning_level
),

pollutants as (
    select distinct pollutant_code from {{ ref('hj212_emission_limits') }}
),

line_pollutant as (
    select
        c.*,
        p.pollutant_code
    from with_cut as c
    cross join pollutants as p
),

-- only the hours of the warnings' baselines and periods are read (index on hour_start_local), so
-- the cost follows the warnings, not the years of HJ 212 history; distinct: windows may overlap
device_hours as (
    select distinct
        h.device_mn,
        h.pollutant_code,
        h.hour_start_local,
        h.emission_kg_h
    from warnings as w
    inner join {{ ref('int_hj212__hourly') }} as h
        on
            w.baseline_start_local <= h.hour_start_local
            and w.end_local > h.hour_start_local
    where h.is_valid and h.emission_kg_h is not null
),

line_hours as (
    select
        lp.warning_id,
        lp.list_year,
        lp.credit_code,
        lp.production_line,
        lp.pollutant_code,
        h.hour_start_local,
        case when h.hour_start_local >= lp.start_local then 'period' else 'baseline' end as phase,
        sum(h.emission_kg_h) as emission_kg_h,
        count(*) as valid_devices,
        min(lp.line_devices) as line_devices
    from line_pollutant as lp
    inner join device_hours as h
        on
            h.device_mn = any(lp.device_mns)
            and lp.pollutant_code = h.pollutant_code
            and lp.baseline_start_local <= h.hour_start_local
            and lp.end_local > h.hour_start_local
    where
        not exists (
            select 1 from warnings as other
            where
                h.hour_start_local < lp.start_local
                and h.hour_start_local >= other.start_local
                and h.hour_start_local < other.end_local
        )
    group by
        lp.warning_id, lp.list_year, lp.credit_code, lp.production_line, lp.pollutant_code,
        h.hour_start_local, lp.start_local
),

phases as (
    select
        warning_id,
        list_year,
        credit_code,
        production_line,
        pollutant_code,
        count(*) filter (where phase = 'period') as period_valid_hours,
        avg(emission_kg_h) filter (where phase = 'period') as period_mean_kg_h,
        sum(emission_kg_h) filter (where phase = 'period') as period_emission_kg,
        count(*) filter (where phase = 'baseline') as baseline_valid_hours,
        avg(emission_kg_h) filter (where phase = 'baseline') as baseline_mean_kg_h
    from line_hours
    where valid_devices = line_devices
    group by warning_id, list_year, credit_code, production_line, pollutant_code
),

measured as (
    select
        lp.*,
        coalesce(lp.plan_cut_pct, lp.grade_cut_pct) as required_cut_pct,
        case when lp.plan_cut_pct is not null then 'plan' when lp.grade_cut_pct is not null then 'grade' end
            as required_cut_source,
        coalesce(ph.period_valid_hours, 0) as period_valid_hours,
        ph.period_mean_kg_h,
        ph.period_emission_kg,
        coalesce(ph.baseline_valid_hours, 0) as baseline_valid_hours,
        ph.baseline_mean_kg_h,
        100 * (1 - ph.period_mean_kg_h / nullif(ph.baseline_mean_kg_h, 0)) as actual_cut_pct
    from line_pollutant as lp
    left join phases as ph
        on
            lp.warning_id = ph.warning_id
            and lp.list_year = ph.list_year
            and lp.credit_code = ph.credit_code
            and lp.production_line = ph.production_line
            and lp.pollutant_code = ph.pollutant_code
)

select
    *,
    case
        when line_devices = 0 then 'no_registered_device'
        when listed_outlets > line_devices then 'outlet_without_device'
        when period_valid_hours < {{ var('emergency_min_valid_share', 0.75) }} * period_hours
            then 'too_few_valid_hours_in_period'
        when baseline_valid_hours < {{ var('emergency_min_baseline_hours', 24) }}
            then 'too_few_valid_baseline_hours'
        when baseline_mean_kg_h = 0 then 'zero_baseline'
        when required_cut_pct is null then 'no_required_cut'
    end as not_verifiable_reason
from measured
