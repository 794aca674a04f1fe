-- 一厂一策 应急减排核查 (emergency response verification): one row per warning period and
-- production line of the emergency list, from int_compliance__emergency_line_pollutant: the
-- emissions of the line's CEMS outlets during the warning against its baseline, per pollutant
-- (particulate, SO2, NOx), and the cut its plan (or grade) requires. Verdict:
--   not_verifiable: a pollutant of the line cannot be judged (no registered device, an outlet
--     without one, fewer than var('emergency_min_valid_share') of the period's hours valid,
--     fewer than var('emergency_min_baseline_hours') baseline hours, zero baseline);
--   no_cut_required: the plan asks none (自主减排); achieved: every pollutant's actual cut >=
--   the required cut; not_achieved otherwise.
{% set pollutants = {'a34013': 'pm', 'a21026': 'so2', 'a21002': 'nox'} %}
with

long as (
    select * from {{ ref('int_compliance__emergency_line_pollutant') }}
),

lines as (
    select
        warning_id,
        list_year,
        credit_code,
        production_line,
        min(warning_level) as warning_level,
        min(level_label) as level_label,
        min(start_local) as start_local,
        min(end_local) as end_local,
        min(period_hours) as period_hours,
        min(baseline_start_local) as baseline_start_local,
        min(enterprise_name) as enterprise_name,
        min(county) as county,
        min(industry) as industry,
        min(performance_grade) as performance_grade,
        min(plan_measure) as plan_measure,
        min(required_cut_pct) as required_cut_pct,
        min(required_cut_source) as required_cut_source,
        min(listed_outlets) as listed_outlets,
        min(line_devices) as line_devices,
        min(device_mns) as device_mns,
        min(period_valid_hours) as period_valid_hours,
        min(baseline_valid_hours) as baseline_valid_hours,
        {% for code, p in pollutants.items() %}
            max(baseline_mean_kg_h) filter (where pollutant_code = '{{ code }}') as baseline_{{ p }}_kg_h,
            max(period_mean_kg_h) filter (where pollutant_code = '{{ code }}') as period_{{ p }}_kg_h,
            max(period_emission_kg) filter (where pollutant_code = '{{ code }}') as period_{{ p }}_kg,
            max(actual_cut_pct) filter (where pollutant_code = '{{ code }}') as cut_{{ p }}_pct,
        {% endfor %}
        string_agg(distinct not_verifiable_reason, ', ' order by not_verifiable_reason)
            as not_verifiable_reason,
        min(actual_cut_pct) as least_cut_pct,
        min(batch_id) as batch_id,
        min(source_file) as source_file,
        min(sheet) as sheet,
        min(source_row) as source_row
    from long
    group by warning_id, list_year, credit_code, production_line
)

select
    warning_id::text as warning_id,
    warning_level::text as warning_level,
    level_label::text as level_label,
    start_local::timestamp as start_local,
    end_local::timestamp as end_local,
    period_hours::integer as period_hours,
    baseline_start_local::timestamp as baseline_start_local,
    list_year::integer as list_year,
    credit_code::text as credit_code,
    enterprise_name::text as enterprise_name,
    county::text as county,
    industry::text as industry,
    performance_grade::text as performance_grade,
    production_line::text as production_line,
    plan_measure::text as plan_measure,
    required_cut_pct::numeric as required_cut_pct,
    required_cut_source::text as required_cut_source,
    listed_outlets::integer as listed_outlets,
    line_devices::integer as line_devices,
    coalesce(device_mns, '{}')::text[] as device_mns,
    period_valid_hours::integer as period_valid_hours,
    baseline_valid_hours::integer as baseline_valid_hours,
    {% for p in pollutants.values() %}
        baseline_{{ p }}_kg_h::numeric as baseline_{{ p }}_kg_h,
        period_{{ p }}_kg_h::numeric as period_{{ p }}_kg_h,
        period_{{ p }}_kg::numeric as period_{{ p }}_kg,
        round(cut_{{ p }}_pct, 2)::numeric as cut_{{ p }}_pct,
    {% endfor %}
    case when not_verifiable_reason is null then round(least_cut_pct, 2) end::numeric as least_cut_pct,
    case
        when not_verifiable_reason is not null then 'not_verifiable'
        when required_cut_pct = 0 then 'no_cut_required'
        when least_cut_pct >= required_cut_pct then 'achieved'
        else 'not_achieved'
    end::text as verdict,
    case
        when not_verifiable_reason is not null then '无法核查'
        when required_cut_pct = 0 then '无强制减排要求'
        when least_cut_pct >= required_cut_pct then '落实到位'
        else '未落实到位'
    end::text as verdict_label,
    not_verifiable_reason::text as not_verifiable_reason,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row
from lines
