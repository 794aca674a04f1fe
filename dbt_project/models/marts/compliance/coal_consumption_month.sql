-- 煤炭消费总量控制 (coal cap): the city's key coal users per month (coal_unit_month): the month's
-- coal, year to date (the year's current months up to this one), against the annual cap
-- var('coal_annual_cap_tonnes') = 2180万吨 (speech), with a straight-line projection to year end:
-- ytd x 12 / month number (months elapsed; decision: the monthly form has no day resolution),
-- the allowance left per remaining month, the coal-weighted mean calorific value, and the units
-- closed ('closed' in coal_unit_month).
{% set cap = var('coal_annual_cap_tonnes', 21800000) %}
with

units as (
    select * from {{ ref('coal_unit_month') }}
),

months as (
    select
        report_month,
        count(*) as units_reported,
        sum(coal_tonnes) as coal_tonnes,
        sum(reported_ytd_tonnes) as reported_ytd_tonnes,
        sum(coal_tonnes * calorific_value_mj_per_kg) filter (where calorific_value_mj_per_kg is not null)
        / nullif(sum(coal_tonnes) filter (where calorific_value_mj_per_kg is not null), 0)
            as calorific_value_mj_per_kg,
        count(*) filter (where unit_status = 'closed') as units_closed,
        array_agg(distinct batch_id order by batch_id) as batch_ids
    from units
    group by report_month
),

ytd as (
    select
        *,
        sum(coal_tonnes) over year_to_date as ytd_tonnes,
        count(*) over year_to_date as months_with_data,
        extract(month from report_month)::integer as month_number
    from months
    window year_to_date as (partition by extract(year from report_month) order by report_month)
)

select
    report_month::date as report_month,
    extract(year from report_month)::integer as report_year,
    month_number::integer as month_number,
    units_reported::integer as units_reported,
    coal_tonnes::numeric as coal_tonnes,
    ytd_tonnes::numeric as ytd_tonnes,
    reported_ytd_tonnes::numeric as reported_ytd_tonnes,
    months_with_data::integer as months_with_data,
    {{ cap }}::numeric as annual_cap_tonnes,
    round(100 * ytd_tonnes / {{ cap }}, 2)::numeric as ytd_share_of_cap_pct,
    (ytd_tonnes * 12 / month_number)::numeric as projected_year_tonnes,
    round(100 * ytd_tonnes * 12 / month_number / {{ cap }}, 2)::numeric as projected_share_of_cap_pct,
    (ytd_tonnes * 12 / month_number > {{ cap }})::boolean as projected_over_cap,
    ({{ cap }} - ytd_tonnes)::numeric as remaining_allowance_tonnes,
    (({{ cap }} - ytd_tonnes) / nullif(12 - month_number, 0))::numeric as allowance_per_remaining_month_tonnes,
    round(calorific_value_mj_per_kg, 3)::numeric as calorific_value_mj_per_kg,
    units_closed::integer as units_closed,
    batch_ids::bigint[] as batch_ids
from ytd
