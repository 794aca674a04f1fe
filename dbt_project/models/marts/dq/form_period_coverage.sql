-- 委办局报表报送覆盖: one row per bureau form, expected period and expected scope (全市, or each
-- county for county forms), whether the form was received, when, and whether it is overdue.
-- Expected periods: every period of the form's cadence (seed dq_form_cadence, as in
-- ingest/forms/<form_id>.yaml) from the start of the calendar year of its first submission up to
-- the period containing the as-of day (var dq_as_of, else the latest day of the monitoring feeds,
-- else today). Expected scopes: city forms the scope(s) they were reported for; county forms every
-- county that sent any county form or has a registered device.
-- status: received | missing (not received, period end + grace_days before the as-of day) |
-- not_due (not received, still within the grace days). is_late: first loaded after the due day, for
-- periods due before the as-of day (on a backfill of history the load time is the receipt time).
-- Validated by expectations/suites/form_period_coverage.json.
with

cadence as (
    select * from {{ ref('dq_form_cadence') }}
),

submission as (
    select
        form_id,
        period,
        scope,
        min(loaded_at) as first_received_at,
        max(loaded_at) as last_received_at,
        count(*) as versions,
        min(batch_id) as first_batch_id,
        max(batch_id) as last_batch_id
    from {{ source('forms', 'form_submission') }}
    group by form_id, period, scope
),

as_of as (
    select
        coalesce(
            {% if var('dq_as_of', none) %}date '{{ var("dq_as_of") }}'{% else %}null::date{% endif %},
            greatest(
                (select max(c.day) from {{ ref('station_day_coverage') }} as c),
                (select max(d.day) from {{ ref('device_day_coverage') }} as d)
            ),
            current_date
        ) as as_of_day
),

form_years as (
    select
        s.form_id,
        min(left(s.period, 4)::integer) as first_year
    from submission as s
    group by s.form_id
),

period_starts as (
    select
        c.form_id,
        c.cadence,
        c.scope_by,
        c.grace_days,
        a.as_of_day,
        gs.period_start::date as period_start
    from cadence as c
    inner join form_years as y on c.form_id = y.form_id
    cross join as_of as a
    cross join lateral generate_series(
        case c.cadence
            when 'weekly' then to_date(y.first_year::text || '-01-1', 'IYYY-IW-ID')::timestamp
            else make_date(y.first_year, 1, 1)::timestamp
        end,
        a.as_of_day::timestamp,
        case c.cadence
            when 'weekly' then interval '1 week'
            when 'monthly' then interval '1 month'
            when 'quarterly' then interval '3 months'
            else interval '1 year'
        end
    ) as gs (period_start)
),

periods as (
    select
        *,
        case cadence
            when 'weekly' then to_char(period_start, 'IYYY-"W"IW')
            when 'monthly' then to_char(period_start, 'YYYY-MM')
            when 'quarterly' then to_char(period_start, 'YYYY-"Q"Q')
            else to_char(period_start, 'YYYY')
        end as period,
        (
            period_start
            + case cadence
                when 'weekly' then interval '1 week'
                when 'monthly' then interval '1 month'
                when 'quarterly' then interval '3 months'
                else interval '1 year'
            end
            - interval '1 day'
        )::date as period_end
    from period_starts
),

counties as (
    select distinct s.scope
    from submission as s
    inner join cadence as c on s.form_id = c.form_id
    where c.scope_by = 'county'
    union
    select distinct county from {{ ref('stg_hj212__device') }}
    where county is not null
),

scopes as (
    select distinct
        s.form_id,
        s.scope
    from submission as s
    inner join cadence as c on s.form_id = c.form_id
    where c.scope_by = 'city'
    union
    select
        c.form_id,
        k.scope
    from cadence as c
    cross join counties as k
    where c.scope_by = 'county'
),

expected as (
    select
        p.*,
        sc.scope,
        (p.period_end + p.grace_days) as due_day
    from periods as p
    inner join scopes as sc on p.form_id = sc.form_id
)

select
    e.form_id::text as form_id,
    e.cadence::text as cadence,
    e.period::text as period,
    e.scope::text as scope,
    e.period_start::date as period_start,
    e.period_end::date as period_end,
    e.due_day::date as due_day,
    e.as_of_day::date as as_of_day,
    (s.form_id is not null)::boolean as is_received,
    s.first_received_at::timestamptz as first_received_at,
    coalesce(s.versions, 0)::integer as versions,
    s.last_batch_id::bigint as last_batch_id,
    (
        case
            when s.form_id is not null then 'received'
            when e.due_day < e.as_of_day then 'missing'
            else 'not_due'
        end
    )::text as status,
    coalesce(
        (s.first_received_at at time zone '{{ var("local_timezone") }}')::date > e.due_day
        and e.due_day < e.as_of_day,
        false
    )::boolean as is_late
from expected as e
left join submission as s
    on e.form_id = s.form_id and e.period = s.period and e.scope = s.scope
