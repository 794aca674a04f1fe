-- 重点用煤单位 per unit and month (stg_forms__coal_consumption, current version of each month):
-- coal burnt, year to date (sum of the unit's current months of the year, beside the cumulative
-- the unit reported), calorific value (收到基低位发热量, MJ/kg and kcal/kg at 4.1868 kJ/kcal),
-- sulphur, and the unit's status: a unit that burnt coal in an earlier month of the year and
-- reports 0 t is 'closed' (关停) from the first month of zeros on; 0 t without earlier coal is
-- 'idle' (the form has no status column: decision, verify with 发改委).
with

units as (
    select * from {{ ref('stg_forms__coal_consumption') }}
),

with_history as (
    select
        *,
        sum(coal_tonnes) over unit_year as ytd_computed_tonnes,
        count(*) over unit_year as months_reported_ytd,
        coalesce(sum(coal_tonnes) over earlier, 0) as earlier_tonnes,
        max(report_month) filter (where coal_tonnes > 0) over unit_year as last_month_with_coal
    from units
    window
        unit_year as (
            partition by credit_code, extract(year from report_month) order by report_month
        ),
        earlier as (
            partition by credit_code, extract(year from report_month) order by report_month
            rows between unbounded preceding and 1 preceding
        )
)

select
    credit_code::text as credit_code,
    report_month::date as report_month,
    unit_name::text as unit_name,
    county::text as county,
    coal_use::text as coal_use,
    coal_tonnes::numeric as coal_tonnes,
    ytd_computed_tonnes::numeric as ytd_tonnes,
    ytd_tonnes::numeric as reported_ytd_tonnes,
    months_reported_ytd::integer as months_reported_ytd,
    calorific_value_mj_per_kg::numeric as calorific_value_mj_per_kg,
    round(calorific_value_mj_per_kg / 0.0041868, 0)::numeric as calorific_value_kcal_per_kg,
    sulphur_pct::numeric as sulphur_pct,
    case
        when coal_tonnes > 0 then 'operating'
        when earlier_tonnes > 0 then 'closed'
        else 'idle'
    end::text as unit_status,
    case
        when coal_tonnes = 0 and earlier_tonnes > 0
            then (last_month_with_coal + interval '1 month')::date
    end::date as closed_since_month,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row
from with_history
