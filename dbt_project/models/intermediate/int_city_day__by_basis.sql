{{
    config(
        materialized='incremental',
        unique_key=['city', 'obs_date', 'basis'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['city', 'obs_date', 'basis'], 'unique': True},
            {'columns': ['raw_batch_watermark']}, {'columns': ['obs_date']}
        ]
    )
}}
-- City days under three bases: in_force (each day under the rule set in force on its date: the
-- official figure), HJ633-2012 and HJ633-2026 (every day under one set, for comparisons across
-- 2026-03-01), with the exceptional-event flag (e.g. sand and dust days, HJ 663-2026).
with

reference_batch as (
    select coalesce(max(batch_id), 0) as reference_batch_id
    from {{ source('reference', 'ref_city') }}
),

-- incremental: the city-days changed since the last run; all of them when the profile (and so
-- its exceptional events) was reloaded
day_aqi as (
    select * from {{ ref('int_day__aqi') }}
    where
        scope = 'city'
        and (
            {{ new_since_last_run() }}
            {% if is_incremental() %}
                or (select r.reference_batch_id from reference_batch as r)
                > (select coalesce(max(this_run.reference_batch_id), 0) from {{ this }} as this_run)
            {% endif %}
        )
),

events as (
    select distinct
        city,
        event_date
    from {{ ref('stg_reference__exceptional_event') }}
),

bases as (
    select
        'in_force' as basis,
        *
    from day_aqi
    where is_rule_in_force
    union all
    select
        rule_set as basis,
        *
    from day_aqi
)

select
    b.city,
    b.obs_date,
    b.basis,
    b.rule_set,
    b.rule_set_in_force,
    b.so2_24h,
    b.no2_24h,
    b.co_24h,
    b.pm10_24h,
    b.pm2_5_24h,
    b.o3_mda8,
    b.aqi,
    b.primary_pollutant,
    b.aqi <= 100 as is_good_day,
    b.aqi > 200 as is_heavy_pollution_day,
    e.city is not null as is_exceptional_event_day,
    b.raw_batch_watermark,
    (select r.reference_batch_id from reference_batch as r) as reference_batch_id
from bases as b
left join events as e
    on b.city = e.city and b.obs_date = e.event_date
