{#-
  HJ 663 percentile of a sorted numeric array, exactly (PostgreSQL's percentile_cont returns
  double precision): k = 1 + (n - 1) p, s = floor(k), X_p = X_s + (X_{s+1} - X_s)(k - s).
  `sorted_array` must be ascending with no nulls (array_agg(x order by x) filter (where x is not null)).
-#}
{% macro hj663_percentile(sorted_array, p) -%}
    (
        case
            when coalesce(cardinality({{ sorted_array }}), 0) = 0 then null
            else
                {{ sorted_array }}[floor(1 + (cardinality({{ sorted_array }}) - 1) * {{ p }})::integer]
                + (
                    coalesce(
                        {{ sorted_array }}[floor(1 + (cardinality({{ sorted_array }}) - 1) * {{ p }})::integer + 1],
                        {{ sorted_array }}[floor(1 + (cardinality({{ sorted_array }}) - 1) * {{ p }})::integer]
                    )
                    - {{ sorted_array }}[floor(1 + (cardinality({{ sorted_array }}) - 1) * {{ p }})::integer]
                )
                * (
                    (1 + (cardinality({{ sorted_array }}) - 1) * {{ p }})
                    - floor(1 + (cardinality({{ sorted_array }}) - 1) * {{ p }})
                )
        end
    )
{%- endmacro %}
