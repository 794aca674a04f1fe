-- Reporting periods over the loaded days: week (ISO, Monday), xun (旬: days 1-10, 11-20, 21-end),
-- month, quarter, year, and ytd (年初至今): Jan 1 to the month-day of the latest loaded day, for
-- every year, so this year's YTD and last year's same period line up for year-on-year.
with

bounds as (
    select
        min(obs_date) as first_day,
        max(obs_date) as last_day
    from {{ ref('int_city_day__by_basis') }}
),

days as (
    select generate_series(first_day, last_day, interval '1 day')::date as day
    from bounds
),

periods as (
    select distinct
        'week' as period_type,
        date_trunc('week', day)::date as period_start,
        (date_trunc('week', day) + interval '6 days')::date as period_end
    from days
    union all
    select distinct
        'xun' as period_type,
        make_date(
            extract(year from day)::integer,
            extract(month from day)::integer,
            case when extract(day from day) <= 10 then 1 when extract(day from day) <= 20 then 11 else 21 end
        ) as period_start,
        case
            when extract(day from day) <= 20
                then make_date(
                    extract(year from day)::integer,
                    extract(month from day)::integer,
                    case when extract(day from day) <= 10 then 10 else 20 end
                )
            else (date_trunc('month', day) + interval '1 month - 1 day')::date
        end as period_end
    from days
    union all
    select distinct
        'month' as period_type,
        date_trunc('month', day)::date as period_start,
        (date_trunc('month', day) + interval '1 month - 1 day')::date as period_end
    from days
    union all
    select distinct
        'quarter' as period_type,
        date_trunc('quarter', day)::date as period_start,
        (date_trunc('quarter', day) + interval '3 months - 1 day')::date as period_end
    from days
    union all
    select distinct
        'year' as period_type,
        date_trunc('year', day)::date as period_start,
        (date_trunc('year', day) + interval '1 year - 1 day')::date as period_end
    from days
    union all
    select distinct
        'ytd' as period_type,
        date_trunc('year', d.day)::date as period_start,
        least(
            make_date(
                extract(year from d.day)::integer,
                extract(month from b.last_day)::integer,
                1
            ) + (extract(day from b.last_day)::integer - 1),
            (
                make_date(extract(year from d.day)::integer, extract(month from b.last_day)::integer, 1)
                + interval '1 month - 1 day'
            )::date
        ) as period_end
    from days as d
    cross join bounds as b
)

select
    period_type,
    period_start,
    period_end,
    (period_end - period_start + 1) as calendar_days
from periods
