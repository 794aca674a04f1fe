{#-
Data tests bounded by the run (issue 15, "Checks bounded by the run"). An hourly transform
changes the rows of a few days; a data test over a model's whole history would cost more every
month. A model whose rows are time series says which column dates them, in its YAML:

    config:
      meta:
        check_window: {timestamp: observed_at}    (a timestamptz column), or
        check_window: {local_date: obs_date}       (a local, Asia/Shanghai, date column)

and every data test on it reads only the rows from the run's first changed day on. That day is
the session setting lantian.check_since (an ISO timestamp), which pipelines.transform sets for
dbt's connections (PGOPTIONS) from the run's scope (pipelines.scope.run_scope: the days the run's
new batches changed, and the day before each). Without the setting (a manual run, the nightly full
validation, dbt run by hand) the window is open: every row is tested. The expression is the same
SQL on every run, so dbt's partial parsing is kept; it is stable, so PostgreSQL prunes the raw
partitions and uses the time indexes.

Overrides dbt's get_where_subquery (the postgres dispatch), keeping a test's own `where` config.
-#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set window = check_window_condition(relation) -%}
    {%- if window -%}{%- do conditions.append(window) -%}{%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro check_since_timestamp() -%}
    coalesce(cast(nullif(current_setting('lantian.check_since', true), '') as timestamptz), '-infinity'::timestamptz)
{%- endmacro %}

{#- The condition of `relation`'s check_window (empty when its model declares none). -#}
{% macro check_window_condition(relation) -%}
    {%- if not execute or relation.identifier is not defined -%}{%- do return('') -%}{%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier
              and node.schema == relation.schema -%}
            {%- set window = node.config.meta.get('check_window') or {} -%}
            {%- if window.get('timestamp') -%}
                {%- do return(window['timestamp'] ~ ' >= ' ~ check_since_timestamp()) -%}
            {%- elif window.get('local_date') -%}
                {%- do return(window['local_date'] ~ ' >= cast(' ~ check_since_timestamp()
                    ~ " at time zone '" ~ var('local_timezone') ~ "' as date)") -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return('') -%}
{%- endmacro %}
