-- 约谈问责按单位: per target unit and month of the action, the counts of interviews,
-- accountability decisions, criticisms, public exposures and negative-list entries (flags of
-- accountability_action; one case can count under several, e.g. an interview published in the
-- media), and the year-to-date totals. Lineage: lineage.accountability_unit_summary_source.
with

monthly as (
    select
        target_unit,
        max(target_county) as target_county,
        date_trunc('month', action_date)::date as action_month,
        count(*) as cases,
        count(*) filter (where is_interview) as interviews,
        count(*) filter (where is_accountability) as accountability_actions,
        count(*) filter (where is_criticism) as criticisms,
        count(*) filter (where is_public_exposure) as public_exposures,
        count(*) filter (where is_negative_list) as negative_list_entries
    from {{ ref('accountability_action') }}
    group by target_unit, date_trunc('month', action_date)
)

select
    target_unit::text as target_unit,
    target_county::text as target_county,
    action_month::date as action_month,
    cases::integer as cases,
    interviews::integer as interviews,
    accountability_actions::integer as accountability_actions,
    criticisms::integer as criticisms,
    public_exposures::integer as public_exposures,
    negative_list_entries::integer as negative_list_entries,
    (sum(cases) over ytd)::integer as ytd_cases,
    (sum(interviews) over ytd)::integer as ytd_interviews,
    (sum(negative_list_entries) over ytd)::integer as ytd_negative_list_entries,
    concat_ws('|', target_unit, action_month)::text as lineage_key
from monthly
window ytd as (
    partition by target_unit, extract(year from action_month) order by action_month
)
