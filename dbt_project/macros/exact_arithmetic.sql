{#-
  Exact arithmetic for the standard's rounding rules, on PostgreSQL numeric (never float).
  round_half_even: GB/T 8170 "四舍六入五成双" to `places` decimals (HJ 633-2026 s4.2.2).
    PostgreSQL's round(numeric) rounds half away from zero, which is wrong for ties.
  ceil_div: ceiling of n / d for n >= 0, d > 0 with integer division and remainder, so no
    rounded intermediate quotient can turn IAQI 50 into 51 (HJ 633 s4.2.6: IAQI rounded up).
-#}
{% macro round_half_even(expr, places=0) -%}
    {%- set scale = 10 ** places -%}
    (
        case
            when ({{ expr }}) is null then null
            else round((
                floor(({{ expr }})::numeric * {{ scale }})
                + case
                    when ({{ expr }})::numeric * {{ scale }} - floor(({{ expr }})::numeric * {{ scale }}) > 0.5 then 1
                    when ({{ expr }})::numeric * {{ scale }} - floor(({{ expr }})::numeric * {{ scale }}) < 0.5 then 0
                    when mod(floor(({{ expr }})::numeric * {{ scale }}), 2) = 0 then 0
                    else 1
                end
            ) / {{ scale }}, {{ places }})
        end
    )
{%- endmacro %}

{% macro ceil_div(numerator, denominator) -%}
    (
        div(({{ numerator }})::numeric, ({{ denominator }})::numeric)
        + case when mod(({{ numerator }})::numeric, ({{ denominator }})::numeric) > 0 then 1 else 0 end
    )
{%- endmacro %}
