-- 领导分包督查频次: per city leader, assigned county and month, the leader's inspections of the
-- county against the expected cadence (seed expected_inspection_cadence: visits per leader-county and
-- month for 领导分包督查). An inspection is a distinct inspection date of a 领导分包督查 finding
-- led by the leader in the county: the lists record findings, so a visit that found nothing is
-- not counted (stated in the README). Months: from the month of the assignment (since_date, else
-- January) to the last month with an inspection list of that year. ytd_* run over the year.
-- Lineage: lineage.inspection_cadence_source (the assignment row and the findings counted).
with

assignments as (
    select * from {{ ref('stg_forms__leader_district') }}
),

cadence as (
    select expected_per_leader_county_month as expected
    from {{ ref('expected_inspection_cadence') }}
    where inspection_type = '领导分包督查'
),

last_month as (
    select
        extract(year from report_month)::integer as report_year,
        max(report_month) as last_report_month
    from {{ ref('stg_forms__inspection') }}
    group by 1
),

months as (
    select
        a.*,
        generate_series(
            date_trunc('month', coalesce(a.since_date, make_date(a.assignment_year, 1, 1))),
            l.last_report_month,
            interval '1 month'
        )::date as month
    from assignments as a
    inner join last_month as l on a.assignment_year = l.report_year
),

visits as (
    select
        leader,
        county,
        date_trunc('month', inspection_date)::date as month,
        count(distinct inspection_date) as inspections,
        count(*) as findings
    from {{ ref('inspection_finding') }}
    where inspection_type = '领导分包督查'
    group by 1, 2, 3
),

counted as (
    select
        m.assignment_year,
        m.leader_name,
        m.leader_post,
        m.county,
        m.month,
        coalesce(v.inspections, 0) as inspections,
        coalesce(v.findings, 0) as findings,
        c.expected,
        m.batch_id,
        m.source_file,
        m.sheet,
        m.source_row
    from months as m
    cross join cadence as c
    left join visits as v
        on m.leader_name = v.leader and m.county = v.county and m.month = v.month
)

select
    assignment_year::integer as assignment_year,
    leader_name::text as leader_name,
    leader_post::text as leader_post,
    county::text as county,
    month::date as month,
    inspections::integer as inspections,
    findings::integer as findings,
    expected::integer as expected_inspections,
    greatest(expected - inspections, 0)::integer as shortfall,
    (inspections >= expected)::boolean as meets_cadence,
    (sum(inspections) over ytd)::integer as ytd_inspections,
    (sum(expected) over ytd)::integer as ytd_expected_inspections,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row,
    concat_ws('|', assignment_year, leader_name, county, month)::text as lineage_key
from counted
window ytd as (partition by assignment_year, leader_name, county order by month)
