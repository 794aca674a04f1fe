-- Every segment of every breakpoint table (HJ 633-2012 table 1, HJ 633-2026 table 3): at its
-- upper breakpoint the IAQI is exactly the table's IAQI_hi, at a non-zero lower breakpoint
-- exactly IAQI_lo, and one step above the lower breakpoint it is IAQI_lo + 1 or more (rounded
-- up). The expectations come from the table itself, not from the macro under test.
{{ config(tags=['hj633']) }}

with

segments as (
    select * from {{ ref('aqi_breakpoints') }}
),

probes as (
    select
        rule_set,
        pollutant,
        averaging,
        bp_hi as conc,
        iaqi_hi as expected_min,
        iaqi_hi as expected_max
    from segments
    union all
    select
        rule_set,
        pollutant,
        averaging,
        bp_lo as conc,
        iaqi_lo as expected_min,
        iaqi_lo as expected_max
    from segments
    where bp_lo > 0
    union all
    select
        rule_set,
        pollutant,
        averaging,
        bp_lo + case when pollutant = 'co' then 0.1 else 1 end as conc,
        iaqi_lo + 1 as expected_min,
        iaqi_hi as expected_max
    from segments
),

scored as (
    {{ score_iaqi('probes') }}
)

select *
from scored
where iaqi is null or iaqi < expected_min or iaqi > expected_max
