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
  the audited-over-real-time precedence right.
-#}
{% macro station_hour_versions_since_last_run() -%}
    {% if is_incremental() %}
        changed_keys as (
            select distinct
                station_code,
                observed_at
            from {{ source('cnemc', 'station_hour_publication') }}
            where batch_id > (select coalesce(max(t.raw_batch_watermark), 0) from {{ this }} as t)
        ),

        source as (
            select r.*
            from {{ source('cnemc', 'station_hour_publication') }} as r
            inner join changed_keys as k
                on r.station_code = k.station_code and r.observed_at = k.observed_at
        ),
    {% else %}
        source as (
            select * from {{ source('cnemc', 'station_hour_publication') }}
        ),
    {% endif %}
{%- endmacro %}

{% macro raw_station_watermark() -%}
    (select coalesce(max(w.batch_id), 0) from {{ source('cnemc', 'station_hour_publication') }} as w)
{%- endmacro %}
