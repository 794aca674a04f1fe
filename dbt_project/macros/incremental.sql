{#-
  Incremental models process only what changed since their last run, so an hourly run's cost does
  not grow with the years of history behind it. Every row carries raw_batch_watermark: the highest
  raw batch id the warehouse held when the row was (re)built. A downstream model takes the rows of
  its input whose watermark is above its own highest one.
-#}
{% macro new_since_last_run(column='raw_batch_watermark') -%}
    {%- if is_incremental() -%}
        {{ column }} > (select coalesce(max(this_run.{{ column }}), 0) from {{ this }} as this_run)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
  The CTE `source`: every published version of the station-hours that received a version since
  this model's last run (on a full build: all of raw). Reading all versions of a touched hour keeps
  the audited-over-real-time precedence right. `relation`: the versions read (default the raw
  publication; int_station_hour__current reads them renamed, from stg_cnemc__station_hour).
-#}
{% macro station_hour_versions_since_last_run(relation=none) -%}
    {%- set relation = relation if relation is not none else source('cnemc', 'station_hour_publication') -%}
    {% if is_incremental() %}
        changed_keys as (
            select distinct
                station_code,
                observed_at
            from {{ relation }}
            where batch_id > (select coalesce(max(t.raw_batch_watermark), 0) from {{ this }} as t)
        ),

        source as (
            select r.*
            from {{ relation }} as r
            inner join changed_keys as k
                on r.station_code = k.station_code and r.observed_at = k.observed_at
        ),
    {% else %}
        source as (
            select * from {{ relation }}
        ),
    {% endif %}
{%- endmacro %}

{% macro raw_station_watermark() -%}
    (select coalesce(max(w.batch_id), 0) from {{ source('cnemc', 'station_hour_publication') }} as w)
{%- endmacro %}

{#-
  pre_hook of incremental models keyed by the reference list (e.g. counties): a row whose key
  disappears from the reference (a station moved county, a county lost its last station) would
  never be replaced by delete+insert, so when the reference was reloaded since the table's last
  run, empty it first; the model then recomputes everything, as a full rebuild would.
-#}
{% macro reset_on_reference_change(ref_table='ref_city') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            (select coalesce(max(r.batch_id), 0) from {{ source('reference', ref_table) }} as r)
            > (select coalesce(max(t.reference_batch_id), 0) from {{ this }} as t)
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
  pre_hook of int_day__aqi: county days that no longer exist upstream (after a reference
  reload) are removed, since delete+insert only replaces keys that are still produced.
-#}
{% macro delete_vanished_county_days() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as t
        where
            t.scope = 'county'
            and not exists (
                select 1 from {{ ref('int_county_day__concentration') }} as c
                where t.entity_code = c.city || '/' || c.county and t.obs_date = c.obs_date
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
  The config of a watermarked incremental model (the runs above): delete+insert on `key`, a
  unique index on it, an index on raw_batch_watermark (what new_since_last_run reads) and the
  `extra_indexes` (lists of columns) its readers filter on; `pre_hook` as dbt's.
    {{ config(**watermarked_incremental(['station_code', 'obs_date'])) }}
-#}
{% macro watermarked_incremental(key, extra_indexes=[], pre_hook=none) -%}
    {%- set indexes = [{'columns': key, 'unique': True}, {'columns': ['raw_batch_watermark']}] -%}
    {%- for columns in extra_indexes -%}
        {%- do indexes.append({'columns': columns}) -%}
    {%- endfor -%}
    {%- set settings = {
        'materialized': 'incremental',
        'unique_key': key,
        'incremental_strategy': 'delete+insert',
        'indexes': indexes,
    } -%}
    {%- if pre_hook is not none -%}
        {%- do settings.update({'pre_hook': pre_hook}) -%}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}
