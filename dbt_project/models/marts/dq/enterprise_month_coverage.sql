-- 企业月度在线监测覆盖: per listed enterprise and month, whether it has registered CEMS devices
-- and whether they sent data. Listed enterprises: those with CEMS outlets in the device registry
-- and those on the emergency reduction list (重污染天气应急减排清单) that name a monitoring MN.
-- A listed MN missing from the registry is an enterprise "without a device" in the warehouse.
-- Months: those in which the HJ 212 feed delivered data (device_day_coverage).
-- Validated by expectations/suites/enterprise_month_coverage.json.
with

registry as (
    select * from {{ ref('stg_hj212__device') }}
    where device_kind = 'cems'
),

listed_mns as (
    select distinct
        e.credit_code,
        e.enterprise_name,
        e.county,
        mn
    from {{ ref('stg_forms__emergency_list') }} as e
    cross join lateral unnest(e.mns) as mn
    where e.credit_code is not null
),

enterprises as (
    select
        uscc as credit_code,
        max(owner_name) as enterprise_name,
        max(county) as county
    from registry
    where uscc is not null
    group by uscc
    union
    select
        credit_code,
        max(enterprise_name) as enterprise_name,
        max(county) as county
    from listed_mns
    group by credit_code
),

enterprise as (
    select
        credit_code,
        max(enterprise_name) as enterprise_name,
        max(county) as county
    from enterprises
    group by credit_code
),

listed as (
    select
        credit_code,
        count(distinct mn) as listed_mns,
        count(distinct mn) filter (
            where mn not in (select r.device_mn from registry as r)
        ) as listed_mns_unregistered
    from listed_mns
    group by credit_code
),

months as (
    select distinct date_trunc('month', day)::date as month_start
    from {{ ref('device_day_coverage') }}
),

usage as (
    select
        c.uscc as credit_code,
        date_trunc('month', c.day)::date as month_start,
        count(distinct c.device_mn) filter (where c.received_hours > 0) as outlets_reporting,
        sum(c.expected_hours) as expected_outlet_hours,
        sum(c.received_hours) as received_outlet_hours,
        sum(c.valid_hours) as valid_outlet_hours
    from {{ ref('device_day_coverage') }} as c
    where c.device_kind = 'cems'
    group by c.uscc, date_trunc('month', c.day)
),

registered as (
    select
        uscc as credit_code,
        count(*) as registered_outlets
    from registry
    group by uscc
)

select
    e.credit_code::text as credit_code,
    e.enterprise_name::text as enterprise_name,
    e.county::text as county,
    m.month_start::date as month_start,
    coalesce(r.registered_outlets, 0)::integer as registered_outlets,
    (l.credit_code is not null)::boolean as on_emergency_list,
    coalesce(l.listed_mns, 0)::integer as listed_mns,
    coalesce(l.listed_mns_unregistered, 0)::integer as listed_mns_unregistered,
    coalesce(u.outlets_reporting, 0)::integer as outlets_reporting,
    coalesce(u.expected_outlet_hours, 0)::integer as expected_outlet_hours,
    coalesce(u.received_outlet_hours, 0)::integer as received_outlet_hours,
    coalesce(u.valid_outlet_hours, 0)::integer as valid_outlet_hours,
    (coalesce(r.registered_outlets, 0) > 0)::boolean as has_device,
    (coalesce(u.received_outlet_hours, 0) > 0)::boolean as has_data
from enterprise as e
cross join months as m
left join registered as r on e.credit_code = r.credit_code
left join listed as l on e.credit_code = l.credit_code
left join usage as u on e.credit_code = u.credit_code and m.month_start = u.month_start
