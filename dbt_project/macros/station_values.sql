{#-
  Reading the station feeds' published text values (models/intermediate/int_station_hour__current.sql).
  station_value_present: the cell carries something (not empty, NA or "/").
  station_value_is_number: the cell is a plain decimal number (negative sentinels such as -99 included).
  station_value_in_range: a number inside the pollutant's analyser range; needs the one-row CTE
    `ranges` (columns <pollutant>_min, <pollutant>_max from the seed analyser_ranges).
  station_value_above: both cells are numbers and the first is greater (ozone layout detection).
-#}
{% macro station_value_present(col) -%}
    (coalesce({{ col }}, '') not in ('', 'NA', '/'))
{%- endmacro %}

{% macro station_value_is_number(col) -%}
    (coalesce({{ col }}, '') ~ '^-?[0-9]+(\.[0-9]+)?$')
{%- endmacro %}

{% macro station_value_in_range(col, pollutant) -%}
    ({{ station_value_is_number(col) }} and {{ col }}::numeric between ranges.{{ pollutant }}_min and ranges.{{ pollutant }}_max)
{%- endmacro %}

{% macro station_value_above(a, b) -%}
    ({{ station_value_is_number(a) }} and {{ station_value_is_number(b) }} and {{ a }}::numeric > {{ b }}::numeric)
{%- endmacro %}

{#-
  The pollutant codes named by a primary-pollutant label (首要污染物), in the platform's order
  (PM10, PM2.5, O3, NO2, SO2, CO), comma-separated; null when none. The platform's labels changed
  over the years ("臭氧1小时" until early 2026, "臭氧1小时(O3_1h)" from April 2026): comparing codes
  keeps the comparison with the publication independent of the wording.
-#}
{% macro primary_pollutant_codes(label) -%}
    nullif(concat_ws(
        ',',
        case when {{ label }} ~ 'PM10' then 'pm10' end,
        case when {{ label }} ~ 'PM2\.5' then 'pm2_5' end,
        case when {{ label }} ~ '臭氧|O3' then 'o3' end,
        case when {{ label }} ~ '二氧化氮|NO2' then 'no2' end,
        case when {{ label }} ~ '二氧化硫|SO2' then 'so2' end,
        case when {{ label }} ~ '一氧化碳|(^|[^A-Za-z])CO([^A-Za-z0-9]|$)' then 'co' end
    ), '')
{%- endmacro %}
