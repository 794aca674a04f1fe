{#-
  The days of `scope` (station, city or county) of int_day__aqi under the rule set in force on
  their date (the official figures), those new since the model's last run when it is
  incremental.
-#}
{% macro day_aqi_in_force(scope) -%}
    select * from {{ ref('int_day__aqi') }}
    where scope = '{{ scope }}' and is_rule_in_force and {{ new_since_last_run() }}
{%- endmacro %}

{#-
  The day-AQI columns of the daily marts (station_day_aqi, city_day_aqi, county_day_aqi): one
  definition of what a day's AQI row says, whatever the entity. `d` is a row of int_day__aqi
  (HJ 633 IAQI per indicator, AQI, s5.3.1 status, primary pollutant), `cat` the aqi_categories
  row joined by aqi_category_join (level, category, colours of the rule set's AQI band).
  Good day: AQI <= 100 (优良); heavy pollution: AQI > 200 (重度及以上).
-#}
{% macro day_aqi_columns(d='d', cat='cat') -%}
    {%- set day_columns = [
        'so2_24h', 'no2_24h', 'co_24h', 'pm10_24h', 'pm2_5_24h', 'o3_mda8', 'o3_1h_max',
        'iaqi_so2_24h', 'iaqi_no2_24h', 'iaqi_co_24h', 'iaqi_pm10', 'iaqi_pm2_5', 'iaqi_o3_8h',
        'iaqi_o3_1h', 'aqi', 'aqi_available', 'aqi_status', 'indicators_missing',
        'above_top_breakpoint', 'primary_pollutant'
    ] %}
    {%- for col in day_columns %}
        {{ d }}.{{ col }},
    {%- endfor %}
    {{ cat }}.level as aqi_level,
    {{ cat }}.category,
    {{ cat }}.category_en,
    {{ cat }}.colour,
    {{ cat }}.rgb,
    {{ d }}.aqi <= 100 as is_good_day,
    {{ d }}.aqi > 200 as is_heavy_pollution_day,
    {{ d }}.raw_batch_watermark
{%- endmacro %}

{#- The AQI band (GB/HJ 633 table of categories) of the day's published AQI under its rule set. -#}
{% macro aqi_category_join(d='d', cat='cat') -%}
    left join {{ ref('aqi_categories') }} as {{ cat }}
        on {{ d }}.rule_set = {{ cat }}.rule_set and {{ d }}.aqi between {{ cat }}.aqi_lo and {{ cat }}.aqi_hi
{%- endmacro %}
