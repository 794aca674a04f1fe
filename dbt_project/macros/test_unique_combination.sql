{#- Generic test: the combination of `columns` is unique (the grain of a model). dbt_utils is not reachable offline. -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
