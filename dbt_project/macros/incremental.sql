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
