{#-
  Incremental models process only what changed since their last run, so an hourly run's cost does
  not grow with the years of history behind it. Every row carries raw_batch_watermark: the highest
  raw batch id the warehouse held when the row was (re)built, kept below any batch still loading
  (below_unfinished_batches). A downstream model takes the rows of
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
  The CTE `source`: every row of `relation` that belongs to a unit (keys) which received a row
  since this model's last run (on a full build: all of `relation`). Reading the whole unit again,
  not only its new rows, keeps what is decided over the unit right: the audited-over-real-time
  precedence of a station-hour's versions, the valid minutes of a device-hour, the valid hours of
  a device-day. `keys`: columns of `relation` naming the unit. `span` (optional): (column, start
  expression, interval): the unit also covers [start, start + interval) of that column, so a
  station-hour is (station_code, observed_at) and a device-day is device_mn plus
    ('data_time', "date_trunc('day', data_time, 'Asia/Shanghai')", '1 day')
  (a range on the column, which its index can serve). `batch_column`: the raw batch of a row.
  `filter` (optional): a condition on `relation`'s columns the model applies anyway (e.g. the
  CN and statistics it reads), so that each unit's lookup reads only those rows.

  Each changed unit's rows are looked up through the relation's index (a LATERAL subquery per
  unit, kept from being flattened by OFFSET 0): the planner cannot know how few units changed
  (the watermark is read at run time), and given the choice it hashed the changed units and
  scanned the whole history to probe them, a cost that grew with every month kept.
-#}
{% macro rows_of_units_changed_since_last_run(relation, keys, span=none, batch_column='batch_id', filter=none) -%}
    {%- set unit = keys | list -%}
    {%- set match = [] -%}
    {%- for key in keys -%}
        {%- do match.append('r.' ~ key ~ ' = k.' ~ key) -%}
    {%- endfor -%}
    {%- if span is not none -%}
        {%- do unit.append(span[1] ~ ' as span_start') -%}
        {%- do match.append('r.' ~ span[0] ~ ' >= k.span_start') -%}
        {%- do match.append('r.' ~ span[0] ~ " < k.span_start + interval '" ~ span[2] ~ "'") -%}
    {%- endif -%}
    {% if is_incremental() %}
        changed_keys as (
            select distinct {{ unit | join(', ') }}
            from {{ relation }}
            where {{ batch_column }} > (select coalesce(max(t.raw_batch_watermark), 0) from {{ this }} as t)
        ),

        source as (
            select r.*
            from changed_keys as k
            cross join lateral (
                select * from {{ relation }} as r
                where {{ match | join(' and ') }} and ({{ filter or 'true' }})
                offset 0
            ) as r
        ),
    {% else %}
        source as (
            select * from {{ relation }}
            where ({{ filter or 'true' }})
        ),
    {% endif %}
{%- endmacro %}

{#-
  Every published version of the station-hours that received a version since the last run
  (default relation: the raw publication; int_station_hour__current reads them renamed, from
  stg_cnemc__station_hour).
-#}
{% macro station_hour_versions_since_last_run(relation=none) -%}
    {%- set relation = relation if relation is not none else source('cnemc', 'station_hour_publication') -%}
    {{ rows_of_units_changed_since_last_run(relation, ['station_code', 'observed_at']) }}
{%- endmacro %}

{#-
  The watermark a row built now carries: the highest batch of `relation` (a raw table; or, with
  column='raw_batch_watermark', an incremental model: what it had processed).
-#}
{% macro raw_watermark(relation, column='batch_id') -%}
    (
        select
            least(coalesce(max(watermark_source.{{ column }}), 0), {{ below_unfinished_batches() }})
        from {{ relation }} as watermark_source
    )
{%- endmacro %}

{#-
  Batches commit in any order (a backfill loads its hours in parallel): a batch still loading
  while a model runs may have a lower id than one already in raw, and a watermark above it would
  leave it out for ever. So a watermark stays below the lowest batch still running; the units of
  the batches above it are read again by the next run (delete+insert: the same rows). A batch
  left running for over a day is a crash's leftover (closed as interrupted when its file is
  opened again), not a load: it holds no watermark back.
-#}
{% macro below_unfinished_batches() -%}
    coalesce(
        (
            select min(running.batch_id) - 1
            from {{ source('audit', 'load_batch') }} as running
            where running.status = 'running' and running.started_at > now() - interval '1 day'
        ),
        9223372036854775807
    )
{%- endmacro %}

{% macro raw_station_watermark() -%}
    {{ raw_watermark(source('cnemc', 'station_hour_publication')) }}
{%- endmacro %}

{#-
  pre_hook of incremental models keyed by a reference list (e.g. counties, the HJ 212 device
  registry): a row whose key disappears from the reference (a station moved county, a device left
  the registry) would never be replaced by delete+insert, and a reference value behind every row
  (a reference O2) may have changed, so when the reference was reloaded since the table's last
  run, empty it first; the model then recomputes everything, as a full rebuild would. The table
  keeps the reference's batch in `column`; "reloaded" is any other batch, since a reference may
  go back to a version loaded before under its earlier (lower) batch (the device registry does).
  `relation` (instead of a source): a staged reference, e.g. the current emergency list.
  A large model indexes `column` (extra_indexes), so that the check reads the index, not every row.
-#}
{% macro reset_on_reference_change(ref_table='ref_city', source_name='reference', column='reference_batch_id', relation=none) -%}
    {%- set relation = relation if relation is not none else source(source_name, ref_table) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            (select coalesce(max(r.batch_id), 0) from {{ relation }} as r)
            <> (select coalesce(max(t.{{ column }}), 0) from {{ this }} as t)
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
