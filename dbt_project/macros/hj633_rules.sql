{#-
  The special rules of HJ 633 shared by the hourly and daily, station and city models.

  is_na_by_s5_3_1: HJ 633-2026 s5.3.1: when a pollutant is missing or invalid, the AQI of the
  others is published only when it is above 100; otherwise the AQI is NA. HJ 633-2012 has no such
  clause (the AQI of the pollutants present is reported). "/" (not monitored, s5.3.2) is not
  counted as missing by the callers.

  so2_1h_iaqi: SO2 1h above 800 ug/m3: HJ 633-2012 table 1 note 2 uses the SO2 24h IAQI;
  HJ 633-2026 table 3 note b scores IAQI 200.
-#}
{% macro is_na_by_s5_3_1(rule_set, missing, aqi_available) -%}
    ({{ rule_set }} = 'HJ633-2026' and {{ missing }} > 0 and {{ aqi_available }} <= 100)
{%- endmacro %}

{% macro published_aqi(rule_set, missing, aqi_available) -%}
    case when {{ is_na_by_s5_3_1(rule_set, missing, aqi_available) }} then null else {{ aqi_available }} end
{%- endmacro %}

{% macro so2_1h_iaqi(pollutant, conc, rule_set, iaqi, iaqi_so2_24h) -%}
    case
        when {{ pollutant }} = 'so2' and {{ conc }} > 800 and {{ rule_set }} = 'HJ633-2026' then 200
        when {{ pollutant }} = 'so2' and {{ conc }} > 800 then {{ iaqi_so2_24h }}
        else {{ iaqi }}
    end
{%- endmacro %}
