{#-
  Daily concentrations of an area (a city or a county): the arithmetic mean over the area's
  stations that have a valid daily value for the indicator (HJ 663 area scale), with the number
  of stations behind each mean. Decision (RULES.md 2 "verify"): MDA8 is the mean of the station
  MDA8s, not taken from an area-mean hourly series.
  `station_days` is a relation or CTE of station-days carrying the grouping columns; `keys` the
  columns that name the area (e.g. ['city'] or ['city', 'county']); `watermark_floor` an
  expression the rows' raw_batch_watermark is raised to (a reference reload's batch id, so
  downstream incremental models see rows rebuilt for it).
-#}
{% macro area_day_concentration(station_days, keys, watermark_floor='0') -%}
    select
        {% for k in keys %}{{ k }},{% endfor %}
        obs_date,
        max(rule_set) as rule_set,
        greatest(max(raw_batch_watermark), {{ watermark_floor }}) as raw_batch_watermark,
        count(*) as stations_reporting,
        {% for ind in ['so2_24h', 'no2_24h', 'co_24h', 'pm10_24h', 'pm2_5_24h', 'o3_8h'] %}
            count({{ ind }}_exact) as {{ ind }}_valid_stations,
            avg({{ ind }}_exact) as {{ ind }}_exact,
            bool_and({{ ind.split('_')[0] if ind != 'pm2_5_24h' else 'pm2_5' }}_not_monitored) as {{ ind }}_not_monitored,
        {% endfor %}
        count(o3_1h_max) as o3_1h_max_valid_stations,
        avg(o3_1h_max) as o3_1h_max
    from {{ station_days }}
    group by {% for k in keys %}{{ k }}, {% endfor %}obs_date
{%- endmacro %}

{#-
  Area days (scope 'city' or 'county' of int_day__aqi) under three bases: in_force (each day
  under the rule set in force on its date: the official figure), HJ633-2012 and HJ633-2026 (every
  day under one set, for comparisons across 2026-03-01), with the exceptional-event flag (e.g.
  sand and dust days, HJ 663-2026; a city's event day is one for each of its counties too).
  Incremental: the days changed since the last run; all of them when the reference profile (and
  so its exceptional events) was reloaded.
-#}
{% macro area_day_by_basis(scope) -%}
with

reference_batch as (
    select coalesce(max(batch_id), 0) as reference_batch_id
    from {{ source('reference', 'ref_city') }}
),

day_aqi as (
    select * from {{ ref('int_day__aqi') }}
    where
        scope = '{{ scope }}'
        and (
            {{ new_since_last_run() }}  -- noqa: LT02
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
    {% if scope == 'county' %}b.entity_name as county,{% endif %}
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
{%- endmacro %}
